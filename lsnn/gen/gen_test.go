package gen_test

import (
	"reflect"
	"testing"

	"github.com/snnc/snnc/lsnn/gen"
)

func TestSparse(t *testing.T) {
	for _, c := range []gen.Config{
		gen.Default(1000, 50, 1),
		func() gen.Config { c := gen.Default(500, 30, 2); c.Locality, c.Band = 1, 10; return c }(),
		func() gen.Config { c := gen.Default(20, 15, 3); c.ALIF = 1; return c }(), // dense: selection sampling
		{Neurons: 2, FanIn: 1, MaxDelay: 1, Seed: 4},
	} {
		net, err := gen.Sparse(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := net.Validate(); err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if net.N() != c.Neurons || net.Rec.NNZ() != c.Neurons*c.FanIn || net.NIn() != c.Inputs || net.NOut() != c.Outputs ||
			net.In.NNZ() != c.Inputs*c.InputFanout || net.Out.NNZ() != c.Outputs*c.ReadoutFanIn {
			t.Fatalf("%+v: %d neurons, %d/%d/%d synapses", c, net.N(), net.In.NNZ(), net.Rec.NNZ(), net.Out.NNZ())
		}
		// Every neuron has exactly FanIn sources.
		in := make([]int, c.Neurons)
		for _, j := range net.Rec.Col {
			in[j]++
		}
		for j, n := range in {
			if n != c.FanIn {
				t.Fatalf("neuron %d has %d sources, want %d", j, n, c.FanIn)
			}
		}
		// Deterministic, whatever the goroutines.
		c.Workers = 1
		again, _ := gen.Sparse(c)
		if !reflect.DeepEqual(net, again) {
			t.Fatal("another run with one worker differs")
		}
	}
	// Locality keeps sources near their targets.
	c := gen.Default(10000, 20, 5)
	c.Locality, c.Band = 1, 40
	net, _ := gen.Sparse(c)
	far := 0
	for i := 0; i < net.Rec.Rows; i++ {
		for k := net.Rec.RowStart[i]; k < net.Rec.RowStart[i+1]; k++ {
			d := int(net.Rec.Col[k]) - i
			if d < 0 {
				d = -d
			}
			if min(d, 10000-d) > 40 {
				far++
			}
		}
	}
	if far != 0 {
		t.Errorf("%d synapses outside the band", far)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []gen.Config{
		{Neurons: 1, MaxDelay: 1},
		{Neurons: 10, FanIn: 10, MaxDelay: 1},
		{Neurons: 10, FanIn: 2, MaxDelay: 0},
		{Neurons: 10, FanIn: 2, MaxDelay: 1, ALIF: 2},
		{Neurons: 10, FanIn: 2, MaxDelay: 1, InputFanout: 11, Inputs: 1},
	} {
		if _, err := gen.Sparse(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
