package quant

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/targets"
)

// handWorked are lsnn's hand-worked tiny models (lsnn/handworked_test.go) with the
// spike steps worked out there from lsnn.md's equations.
var handWorked = []struct {
	name  string
	input func(step int) bool // input channel 0
	T     int
	want  [][]int // spike steps per neuron
}{
	{"lif", func(int) bool { return true }, 30, [][]int{{4, 5, 12, 13, 19, 20, 27, 28}}},
	{"alif", func(int) bool { return true }, 200, [][]int{{4, 8, 13, 17, 21, 26, 30, 35, 39, 44, 49, 54, 59, 64, 69, 74, 79, 84, 89, 94,
		99, 104, 110, 115, 120, 126, 131, 137, 142, 148, 153, 159, 164, 170, 176, 181, 187, 193, 199}}},
	{"refractory", func(int) bool { return true }, 30, [][]int{{1, 5, 9, 13, 17, 21, 25, 29}}},
	{"delays", func(s int) bool { return s == 0 }, 30, [][]int{{4}, {10}}},
}

func loadModel(t testing.TB, name string) *lsnn.Network {
	t.Helper()
	net, err := lsnn.ReadModelFile(filepath.Join("..", "testdata", "models", name+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	return net
}

func lookup(t testing.TB, name string) *targets.Target {
	t.Helper()
	tg, err := targets.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func spikeSteps(r lsnn.Raster, j int) []int {
	var got []int
	for s := 0; s < r.T; s++ {
		if r.At(s, j) {
			got = append(got, s)
		}
	}
	return got
}

// withEffectiveTaus returns net with every time constant replaced by the one its
// decay code realizes on the target (from the report).
func withEffectiveTaus(t *testing.T, net *lsnn.Network, rep *Report) *lsnn.Network {
	t.Helper()
	c := net.Clone()
	for _, tc := range rep.TimeConstants {
		switch tc.Name {
		case "tau_out":
			c.TauOut = tc.Effective
		default:
			for j := range c.Neurons {
				nr := &c.Neurons[j]
				if tc.Name == "tau_m" && nr.TauM == tc.Requested {
					nr.TauM = tc.Effective
				}
				if tc.Name == "tau_a" && nr.IsALIF() && nr.TauA == tc.Requested {
					nr.TauA = tc.Effective
				}
			}
		}
	}
	return c
}

// TestHandWorkedSpikeTimes runs the hand-worked models in the golden simulator and
// checks the spike steps worked out by hand.
//
// On targets with a 12- or 16-bit multiplier decay and 8-bit weights (loihi,
// artix7-35t, ice40-up5k) the LIF, refractory and delay models reproduce every spike
// step. The ALIF model reproduces its first 12 spikes; its 13th has a margin of 0.3% in
// the float model (v[57] = 0.57637 against A[58] = 0.57802), and there the integer
// neuron fires one step early: on loihi because tau_a = 200 ms is not a 12-bit decay
// (the nearest is 204.3 ms), on the FPGA targets because 3 (1 - alpha) rounds up by
// 0.13% in an 8-bit mantissa. The test pins that down: the spike count is the same,
// every spike is at most two steps early (the drift by step 200), and on loihi the float model with the effective time
// constants fires the same early spikes. On a target with generous bits every model
// reproduces every step.
func TestHandWorkedSpikeTimes(t *testing.T) {
	for _, tg := range []*targets.Target{lookup(t, "loihi"), lookup(t, "artix7-35t"), lookup(t, "ice40-up5k"), generousTarget(t)} {
		for _, c := range handWorked {
			t.Run(tg.Name+"/"+c.name, func(t *testing.T) {
				net := loadModel(t, c.name)
				qn, rep, err := Quantize(net, tg)
				if err != nil {
					t.Fatal(err)
				}
				x := lsnn.NewRaster(c.T, 1)
				for s := 0; s < c.T; s++ {
					if c.input(s) {
						x.Set(s, 0)
					}
				}
				tr, err := Simulate(qn, []lsnn.Raster{x}, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if c.name == "alif" && tg.Name != "generous" {
					got, want := spikeSteps(tr[0].Spikes, 0), c.want[0]
					if d := cmp.Diff(want[:12], got[:min(12, len(got))]); d != "" {
						t.Errorf("first 12 spike steps (-hand +integer):\n%s", d)
					}
					if len(got) != len(want) {
						t.Fatalf("%d spikes, hand-worked %d: %v", len(got), len(want), got)
					}
					for k := range got {
						if d := got[k] - want[k]; d < -2 || d > 0 {
							t.Errorf("spike %d at step %d, hand-worked %d: want at most two steps early", k, got[k], want[k])
						}
					}
					if tg.Name == "loihi" {
						// Here weights and thresholds are exact (3 (1 - alpha) 2^16 = 75 << 7,
						// 0.5 2^16 = 512 << 6) and the shift comes from tau_a: the float model
						// with the effective time constants fires the same first 25 spikes.
						ft, err := lsnn.Simulate(withEffectiveTaus(t, net, rep), []lsnn.Raster{x}, lsnn.Options{})
						if err != nil {
							t.Fatal(err)
						}
						if d := cmp.Diff(spikeSteps(ft[0].Spikes, 0)[:25], got[:25]); d != "" {
							t.Errorf("first 25 spike steps (-float with effective taus +integer):\n%s", d)
						}
					}
					return
				}
				for j, want := range c.want {
					if d := cmp.Diff(want, spikeSteps(tr[0].Spikes, j)); d != "" {
						t.Errorf("neuron %d spike steps (-hand +integer):\n%s", j, d)
					}
				}
			})
		}
	}
}

// generousTarget is loihi with wide formats: 24-bit mantissas, 40-bit state and a
// 22-bit decay multiplier with round-half-to-even, so that quantization error is
// far below the float model's margins.
func generousTarget(t testing.TB) *targets.Target {
	t.Helper()
	g := lookup(t, "loihi").Clone()
	g.Name = "generous"
	f := &g.Formats
	f.Weight.MantissaBits = 24
	f.Weight.ExponentMin, f.Weight.ExponentMax = -8, 8
	f.AccumulatorBits, f.MembraneBits, f.AdaptationBits = 40, 40, 40
	f.ThresholdBits, f.ThresholdShift = 36, 0
	f.Decay.FractionBits = 22
	f.Rounding = targets.HalfToEven
	g.Readout.AccumulatorBits = 40
	g.Core.SynapseMemory.SynapsesPerWord = 1
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	return g
}
