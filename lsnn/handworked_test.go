package lsnn_test

import (
	"flag"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	. "github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/lsnntest"
)

var update = flag.Bool("update", false, "rewrite the models under ../testdata/models")

func mustMatrix(t *testing.T, rows, cols int, syn []Synapse, delays bool) Matrix {
	t.Helper()
	m, err := NewMatrix(rows, cols, syn, delays)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// oneNeuron is a single neuron driven by one input channel of weight w, delay 0.
func oneNeuron(t *testing.T, nr Neuron, w float64) *Network {
	return &Network{Dt: 1, TauOut: 20, Neurons: []Neuron{nr},
		In:   mustMatrix(t, 1, 1, []Synapse{{Pre: 0, Post: 0, Weight: w}}, true),
		Rec:  mustMatrix(t, 1, 1, nil, true),
		Out:  mustMatrix(t, 1, 1, []Synapse{{Pre: 0, Post: 0, Weight: 1}}, false),
		BOut: []float64{0}}
}

// handWorked are the tiny models of testdata/models with the spike times worked out
// by hand from the equations of lsnn.md (alpha = exp(-1/20) = 0.951229 throughout).
func handWorked(t *testing.T) []struct {
	name  string
	net   *Network
	input func(step int) bool // input channel 0
	T     int
	want  [][]int // spike steps per neuron
} {
	return []struct {
		name  string
		net   *Network
		input func(step int) bool
		T     int
		want  [][]int
	}{{
		// LIF, b0 = 0.5, no refractory period, w = 3 on every step. Before the first
		// spike v[t] = 3(1 - alpha^(t+1)): v[2] = 0.418, v[3] = 0.544 > 0.5, so s[4] = 1.
		// The one-step lag makes it fire again at 5 (v[4] = 0.664 > 0.5; the reset only
		// enters v[5] = 0.278). Then v[6] = alpha v[5] + 0.146 - 0.5 = -0.090 (reset of
		// s[5]) climbs back: v[11] = 0.594 > 0.5 gives s[12], s[13]; and so on.
		name: "lif", net: oneNeuron(t, Neuron{TauM: 20, B0: 0.5}, 3),
		input: func(int) bool { return true }, T: 30,
		want: [][]int{{4, 5, 12, 13, 19, 20, 27, 28}},
	}, {
		// lsnn.md's worked ALIF example (tau_a = 200, beta = 1.5, n_ref = 2), run for
		// 200 steps: each spike raises A by beta(1-rho) = 0.0075 and A decays slowly,
		// so the intervals grow from 4 steps to 6: adaptation.
		name: "alif", net: oneNeuron(t, Neuron{TauM: 20, TauA: 200, Beta: 1.5, B0: 0.5, NRef: 2}, 3),
		input: func(int) bool { return true }, T: 200,
		want: [][]int{{4, 8, 13, 17, 21, 26, 30, 35, 39, 44, 49, 54, 59, 64, 69, 74, 79, 84, 89, 94,
			99, 104, 110, 115, 120, 126, 131, 137, 142, 148, 153, 159, 164, 170, 176, 181, 187, 193, 199}},
	}, {
		// LIF, n_ref = 3, w = 20 on every step: v[0] = 20(1-alpha) = 0.975 > 0.5 and v
		// stays above threshold, so the neuron fires at 1 and then as soon as its
		// refractory period allows: every n_ref + 1 = 4 steps.
		name: "refractory", net: oneNeuron(t, Neuron{TauM: 20, B0: 0.5, NRef: 3}, 20),
		input: func(int) bool { return true }, T: 30,
		want: [][]int{{1, 5, 9, 13, 17, 21, 25, 29}},
	}, {
		// Delays: one input spike at step 0 reaches neuron 0 at 3 (d_in = 3): v0[3] =
		// 15(1-alpha) = 0.732 > 0.5, so s0[4] = 1; at 5 it is refractory (n_ref = 2)
		// and the reset leaves v0[5] = 0.162, silent after. Its spike reaches neuron 1
		// at 4 + 5 = 9 (d_rec = 5): v1[9] = 0.732, so s1[10] = 1, and likewise once only.
		name: "delays",
		net: &Network{Dt: 1, TauOut: 20,
			Neurons: []Neuron{{TauM: 20, B0: 0.5, NRef: 2}, {TauM: 20, B0: 0.5, NRef: 2}},
			In:      mustMatrix(t, 1, 2, []Synapse{{Pre: 0, Post: 0, Weight: 15, Delay: 3}}, true),
			Rec:     mustMatrix(t, 2, 2, []Synapse{{Pre: 0, Post: 1, Weight: 15, Delay: 5}}, true),
			Out:     mustMatrix(t, 2, 1, []Synapse{{Pre: 1, Post: 0, Weight: 1}}, false),
			BOut:    []float64{0}},
		input: func(s int) bool { return s == 0 }, T: 30,
		want: [][]int{{4}, {10}},
	}}
}

func TestHandWorkedModels(t *testing.T) {
	for _, c := range handWorked(t) {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "models", c.name+".bin")
			if *update {
				if err := WriteModelFile(path, c.net); err != nil {
					t.Fatal(err)
				}
			}
			net, err := ReadModelFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.net, net); d != "" {
				t.Fatalf("%s differs from the model built here (run go test ./lsnn -run HandWorked -update):\n%s", path, d)
			}
			x := NewRaster(c.T, 1)
			for s := 0; s < c.T; s++ {
				if c.input(s) {
					x.Set(s, 0)
				}
			}
			tr, err := Simulate(net, []Raster{x}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for j, want := range c.want {
				var got []int
				for s := 0; s < c.T; s++ {
					if tr[0].Spikes.At(s, j) {
						got = append(got, s)
					}
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("neuron %d spike steps (-hand +simulated):\n%s", j, d)
				}
			}
		})
	}
}

// TestMediumModelRoundTrip checks the committed random medium-size model: it decodes,
// encodes to the same bytes, and survives a trip through .npz.
func TestMediumModelRoundTrip(t *testing.T) {
	path := filepath.Join("..", "testdata", "models", "medium.bin")
	if *update {
		rng := rand.New(rand.NewPCG(2026, 11))
		net := lsnntest.RandomNetwork(rng, 80, 300, 10, 0.1, 10)
		net.Meta = map[string]string{"made_by": "lsnn handworked_test.go randomNetwork(seed 2026/11)"}
		if err := WriteModelFile(path, net); err != nil {
			t.Fatal(err)
		}
	}
	net, err := ReadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if net.N() != 300 || net.NIn() != 80 || net.NOut() != 10 {
		t.Fatalf("medium model is %d/%d/%d, want 80 inputs, 300 neurons, 10 readouts", net.NIn(), net.N(), net.NOut())
	}
	dir := t.TempDir()
	npz := filepath.Join(dir, "m.npz")
	if err := WriteNPZFile(npz, net); err != nil {
		t.Fatal(err)
	}
	back, err := ReadNPZFile(npz)
	if err != nil {
		t.Fatal(err)
	}
	back.Meta = net.Meta // .npz does not carry provenance
	if d := cmp.Diff(net, back); d != "" {
		t.Fatalf("model.bin -> npz -> model differs:\n%s", d)
	}
}
