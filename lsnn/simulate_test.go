package lsnn

import (
	"math"
	"testing"
)

// workedALIF is the single ALIF neuron of lsnn.md's worked example.
func workedALIF(t *testing.T) *Network {
	t.Helper()
	in, err := NewMatrix(1, 1, []Synapse{{Pre: 0, Post: 0, Weight: 3, Delay: 0}}, true)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := NewMatrix(1, 1, nil, true)
	out, _ := NewMatrix(1, 1, []Synapse{{Pre: 0, Post: 0, Weight: 1}}, false)
	return &Network{Dt: 1, TauOut: 20,
		Neurons: []Neuron{{TauM: 20, TauA: 200, Beta: 1.5, B0: 0.5, NRef: 2}},
		In:      in, Rec: rec, Out: out, BOut: []float64{0}}
}

func TestWorkedExample(t *testing.T) {
	net := workedALIF(t)
	x := NewRaster(10, 1)
	for i := range x.Bits {
		x.Bits[i] = 1
	}
	tr, err := Simulate(net, []Raster{x}, Options{RecordThreshold: true, RecordVoltage: true})
	if err != nil {
		t.Fatal(err)
	}
	// Columns b (derived from A), A, v, s, y as printed in lsnn.md to 7 decimals.
	want := []struct {
		A, v float64
		s    uint8
		y    float64
	}{
		{0.5000000, 0.1463117, 0, 0},
		{0.5000000, 0.2854877, 0, 0},
		{0.5000000, 0.4178761, 0, 0},
		{0.5000000, 0.5438077, 0, 0},
		{0.5000000, 0.6635977, 1, 0.0487706},
		{0.5074813, 0.2700641, 0, 0.0463920},
		{0.5074440, 0.4032046, 0, 0.0441294},
		{0.5074068, 0.5298518, 0, 0.0419772},
		{0.5073699, 0.6503224, 1, 0.0887005},
		{0.5148144, 0.2501031, 0, 0.0843746},
	}
	g := tr[0]
	for k, w := range want {
		if math.Abs(g.Threshold[k]-w.A) > 5e-8 || math.Abs(g.Voltage[k]-w.v) > 5e-8 ||
			g.Spikes.Bits[k] != w.s || math.Abs(g.Readout[k]-w.y) > 5e-8 {
			t.Errorf("step %d: A=%.7f v=%.7f s=%d y=%.7f, want A=%.7f v=%.7f s=%d y=%.7f",
				k, g.Threshold[k], g.Voltage[k], g.Spikes.Bits[k], g.Readout[k], w.A, w.v, w.s, w.y)
		}
	}
}
