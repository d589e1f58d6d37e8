package emutest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/lsnntest"
	"github.com/snnc/snnc/lsnn/tasks"
	"github.com/snnc/snnc/quant"
	"github.com/snnc/snnc/targets"
)

// variants are targets derived from the presets to reach what the presets alone do
// not: many small cores on several tiles (multi-core placements, traffic between
// tiles), two-flit packets in two-flit buffers (back-pressure), the host port on
// other edges, and the other rounding and saturation rules.
var variants = map[string]string{
	"loihi-tiny.json": `{"version": 1, "inherits": "loihi", "description": "test: small cores on 3 x 2 tiles of 2",
		"mesh": {"cols": 3, "rows": 2, "cores_per_tile": 2, "host_port": {"col": 2, "row": 1, "side": "south", "input_channels": 64}},
		"core": {"neurons": 24}}`,
	"loihi-narrow.json": `{"version": 1, "inherits": "loihi", "description": "test: two-flit packets, two-flit buffers, small cores",
		"mesh": {"cols": 4, "rows": 2, "cores_per_tile": 1, "host_port": {"col": 3, "row": 0, "side": "east", "input_channels": 64}},
		"core": {"neurons": 16},
		"router": {"buffer_flits": 2},
		"packets": {"flits_per_packet": 2, "flit_bits": 16}}`,
	"artix-tiny.json": `{"version": 1, "inherits": "artix7-35t", "description": "test: multicast over small cores, half-to-even rounding, wrapping",
		"mesh": {"cols": 3, "rows": 3, "cores_per_tile": 1, "host_port": {"col": 1, "row": 0, "side": "north", "input_channels": 64}},
		"core": {"neurons": 20},
		"router": {"buffer_flits": 1},
		"formats": {"rounding": "half-to-even", "saturation": "wrap", "weight": {"exponent_max": 3},
			"accumulator_bits": 12, "membrane_bits": 14, "adaptation_bits": 14, "threshold_bits": 7, "threshold_shift": 6},
		"readout": {"accumulator_bits": 14}}`,
	"loihi-128.json": `{"version": 1, "inherits": "loihi", "description": "test: loihi with 128-slot cores, so that sMNIST spans several",
		"core": {"neurons": 128}}`,
	"loihi-sat.json": `{"version": 1, "inherits": "loihi", "description": "test: narrow state that saturates, small cores",
		"mesh": {"cols": 2, "rows": 2, "cores_per_tile": 2},
		"core": {"neurons": 32},
		"formats": {"weight": {"exponent_max": 3}, "accumulator_bits": 12, "membrane_bits": 14, "adaptation_bits": 14,
			"threshold_bits": 7, "threshold_shift": 6},
		"readout": {"accumulator_bits": 14}}`,
	"artix-floor.json": `{"version": 1, "inherits": "artix7-35t", "description": "test: multicast over two tiles of two cores, floor rounding",
		"mesh": {"cols": 2, "rows": 1, "cores_per_tile": 2},
		"core": {"neurons": 32},
		"formats": {"rounding": "floor", "decay": {"min_decrement": 1}}}`,
}

func allTargets(t *testing.T) []*targets.Target {
	var out []*targets.Target
	for _, name := range targets.Names() {
		tg, err := targets.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tg)
	}
	for _, name := range []string{"artix-floor.json", "artix-tiny.json", "loihi-128.json", "loihi-narrow.json", "loihi-sat.json", "loihi-tiny.json"} {
		tg, err := targets.Parse(name, []byte(variants[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, tg)
	}
	return out
}

// network is one random network of the suite.
type network struct {
	name string
	net  *lsnn.Network
	xs   []lsnn.Raster
}

func randomNetworks() []network {
	var out []network
	add := func(name string, seed uint64, nIn, N, nOut int, density float64, maxDelay int, rate float64, edit func(*lsnn.Network, *rand.Rand)) {
		rng := rand.New(rand.NewPCG(seed, 99))
		net := lsnntest.RandomNetwork(rng, nIn, N, nOut, density, maxDelay)
		if edit != nil {
			edit(net, rng)
		}
		xs := []lsnn.Raster{lsnntest.RandomInput(rng, 70, nIn, rate), lsnntest.RandomInput(rng, 50, nIn, rate/2)}
		out = append(out, network{fmt.Sprintf("%s/seed=%d", name, seed), net, xs})
	}
	for seed := uint64(1); seed <= 3; seed++ {
		add("mixed", seed, 12, 40, 4, 0.25, 6, 0.2, nil)
		add("lif", seed, 10, 50, 3, 0.2, 3, 0.25, func(n *lsnn.Network, _ *rand.Rand) {
			for j := range n.Neurons {
				n.Neurons[j].TauA, n.Neurons[j].Beta = 0, 0
			}
		})
		add("alif-long-delays", seed, 16, 30, 8, 0.3, 11, 0.15, func(n *lsnn.Network, rng *rand.Rand) {
			for j := range n.Neurons {
				n.Neurons[j].TauA, n.Neurons[j].Beta = 100+500*rng.Float64(), 1+rng.Float64()
				n.Neurons[j].NRef = rng.IntN(8)
			}
		})
		// Strong input into neurons with tiny thresholds: the state scale is raised
		// for the thresholds' sake, and the accumulators and membranes saturate.
		add("saturating", seed, 8, 24, 2, 0.5, 2, 0.6, func(n *lsnn.Network, rng *rand.Rand) {
			for k := range n.In.Weight {
				n.In.Weight[k] *= 20
			}
			for j := range n.Neurons {
				if j%3 == 0 {
					n.Neurons[j].B0 = 0.04
				}
			}
		})
	}
	add("larger", 7, 16, 150, 8, 0.08, 8, 0.1, nil)
	return out
}

// TestDifferential is the suite: every random network on every target that fits it,
// golden simulator, fast mode and cycle mode, spike for spike and readout for
// readout.
func TestDifferential(t *testing.T) {
	tgs := allTargets(t)
	nets := randomNetworks()
	ran, multi, saturated := 0, 0, 0
	for _, tg := range tgs {
		for _, nw := range nets {
			t.Run(tg.Name+"/"+nw.name, func(t *testing.T) {
				out := compareOrSkip(t, nw.net, tg, nw.xs)
				ran++
				if out.Cores > 1 {
					multi++
				}
				qn, _, _ := quant.Quantize(nw.net, tg)
				tr, _ := quant.Simulate(qn, nw.xs[:1], quant.Options{})
				if s := tr[0].Saturations; s.Total() > 0 {
					saturated++
					t.Logf("saturations: %+v", s)
				}
			})
		}
	}
	t.Logf("%d network-target pairs compared, %d on several cores, %d with saturation", ran, multi, saturated)
	if ran < 100 || multi < 40 || saturated < 10 {
		t.Errorf("the suite covered too little: %d pairs, %d multi-core, %d saturating", ran, multi, saturated)
	}
}

// compareOrSkip runs Compare, skipping the test when the network does not fit the
// target (the quantizer or the compiler says so).
func compareOrSkip(t *testing.T, net *lsnn.Network, tg *targets.Target, xs []lsnn.Raster) *Outcome {
	t.Helper()
	out, err := Compare(net, tg, xs, compiler.Options{})
	var qe *quant.Error
	var ce *compiler.CapacityError
	if errors.As(err, &qe) || errors.As(err, &ce) {
		t.Skipf("does not fit: %v", firstLine(err))
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// smnist loads the shipped sMNIST model and its first n test digits, or skips.
func smnist(tb testing.TB, n int) (*lsnn.Network, []lsnn.Raster) {
	tb.Helper()
	net, err := lsnn.LoadFile("../../testdata/models/smnist.bin")
	if err != nil {
		tb.Fatal(err)
	}
	data, err := tasks.LoadMNIST("")
	if err != nil {
		tb.Skipf("no MNIST data: %v", err)
	}
	task, err := tasks.NewSMNIST(data, 1)
	if err != nil {
		tb.Fatal(err)
	}
	var xs []lsnn.Raster
	for i := 0; i < n; i++ {
		xs = append(xs, task.TestSample(i).Input)
	}
	return net, xs
}

func firstLine(err error) string {
	s := err.Error()
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// TestSMNIST runs the shipped sMNIST model on a few test digits for every target it
// fits.
func TestSMNIST(t *testing.T) {
	n := 3
	if testing.Short() {
		n = 1
	}
	net, xs := smnist(t, n)
	fitted := 0
	for _, tg := range allTargets(t) {
		t.Run(tg.Name, func(t *testing.T) {
			out := compareOrSkip(t, net, tg, xs)
			fitted++
			t.Logf("%d cores, %d spikes in %d samples", out.Cores, out.Spikes, len(xs))
		})
	}
	if fitted < 6 {
		t.Errorf("sMNIST ran on %d targets, want at least loihi, loihi-128, loihi-mesh, artix7-35t, ice40-up5k and xylo-wide", fitted)
	}
}

// TestDeterministic: the same image and inputs give byte-identical reports whatever
// the number of workers.
func TestDeterministic(t *testing.T) {
	nw := randomNetworks()[0]
	tg, err := targets.Parse("loihi-tiny.json", []byte(variants["loihi-tiny.json"]))
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := compiler.Compile(nw.net, tg, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	em, err := emulator.New(img, tg)
	if err != nil {
		t.Fatal(err)
	}
	in := []emulator.Input{}
	for _, x := range append(nw.xs, nw.xs...) {
		in = append(in, emulator.Input{T: x.T, NIn: x.W, Bits: x.Bits})
	}
	for _, mode := range []emulator.Mode{emulator.Fast, emulator.Cycle} {
		var reports [][]byte
		var first []emulator.Result
		for _, w := range []int{1, 2, 3} {
			res, err := em.Run(in, emulator.Options{Mode: mode, Workers: w})
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = res
			} else if !reflect.DeepEqual(first, res) {
				t.Fatalf("%s mode: results with %d workers differ from 1 worker", mode, w)
			}
			b, err := json.Marshal(em.Report(res, mode))
			if err != nil {
				t.Fatal(err)
			}
			reports = append(reports, b)
		}
		for _, b := range reports[1:] {
			if !bytes.Equal(b, reports[0]) {
				t.Fatalf("%s mode: reports differ between runs", mode)
			}
		}
	}
}

// TestRefusesOtherTarget: an image is only run with the target it was compiled for.
func TestRefusesOtherTarget(t *testing.T) {
	nw := randomNetworks()[0]
	tg, _ := targets.Load("loihi")
	img, _, err := compiler.Compile(nw.net, tg, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := targets.Parse("loihi.json", []byte(`{"version": 1, "inherits": "loihi", "energy": {"synaptic_op": {"pj": 30}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emulator.New(img, other); err == nil {
		t.Fatal("an image ran with a target whose spec hash differs")
	}
	if _, err := emulator.New(img, nil); err != nil {
		t.Fatalf("the preset the image names: %v", err)
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
