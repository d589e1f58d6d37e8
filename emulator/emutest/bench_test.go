package emutest

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/lsnntest"
	"github.com/snnc/snnc/quant"
	"github.com/snnc/snnc/targets"
)

// sparseNetwork draws a network with a fixed fan-in: every neuron receives fanin
// recurrent synapses from distinct random neurons and inIn input synapses; one
// neuron in 32 feeds a random readout unit. Its cost is linear in the synapses, so it scales
// to 10^5 neurons where lsnntest.RandomNetwork (which draws every pair) does not.
func sparseNetwork(rng *rand.Rand, nIn, N, nOut, fanin, inIn, maxDelay int, wscale float64) *lsnn.Network {
	net := &lsnn.Network{Dt: 1, TauOut: 20, BOut: make([]float64, nOut)}
	for j := 0; j < N; j++ {
		nr := lsnn.Neuron{TauM: 20, B0: 0.3 + 0.3*rng.Float64(), NRef: 2}
		if j%2 == 1 {
			nr.TauA, nr.Beta = 300, 1
		}
		net.Neurons = append(net.Neurons, nr)
	}
	var in, rec, out []lsnn.Synapse
	seen := map[int]bool{}
	for j := 0; j < N; j++ {
		for k := 0; k < inIn; k++ {
			in = append(in, lsnn.Synapse{Pre: rng.IntN(nIn), Post: j, Weight: 0.5 * rng.Float64(), Delay: rng.IntN(maxDelay + 1)})
		}
		clear(seen)
		for len(seen) < fanin {
			i := rng.IntN(N)
			if i == j || seen[i] {
				continue
			}
			seen[i] = true
			w := wscale * rng.NormFloat64() / math.Sqrt(float64(fanin))
			rec = append(rec, lsnn.Synapse{Pre: i, Post: j, Weight: w, Delay: 1 + rng.IntN(maxDelay)})
		}
		if j%32 == 0 {
			out = append(out, lsnn.Synapse{Pre: j, Post: rng.IntN(nOut), Weight: rng.NormFloat64() * 0.1})
		}
	}
	var err error
	if net.In, err = lsnn.NewMatrix(nIn, N, dedupe(in), true); err != nil {
		panic(err)
	}
	if net.Rec, err = lsnn.NewMatrix(N, N, rec, true); err != nil {
		panic(err)
	}
	if net.Out, err = lsnn.NewMatrix(N, nOut, dedupe(out), false); err != nil {
		panic(err)
	}
	return net
}

// dedupe keeps the first synapse of every (pre, post) pair.
func dedupe(s []lsnn.Synapse) []lsnn.Synapse {
	type key struct{ pre, post int }
	seen := map[key]bool{}
	out := s[:0]
	for _, x := range s {
		k := key{x.Pre, x.Post}
		if !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}

// benchCase is a network, the target it is compiled for and a batch of inputs.
type benchCase struct {
	net *lsnn.Network
	tg  *targets.Target
	xs  []lsnn.Raster
	em  *emulator.Emulator
	qn  *quant.Network
}

var (
	benchOnce  sync.Map
	benchCases = map[string]func(b *testing.B) *benchCase{
		"smnist": func(b *testing.B) *benchCase {
			net, xs := smnist(b, 16)
			c := &benchCase{net: net, xs: xs}
			c.tg, _ = targets.Load("loihi")
			return c
		},
		"random-100k": func(b *testing.B) *benchCase {
			rng := rand.New(rand.NewPCG(1, 100000))
			c := &benchCase{net: sparseNetwork(rng, 200, 100000, 10, 100, 10, 8, 1.2)}
			// One sample of 30 steps: cycle mode moves about 2 million flit-hops per
			// step on this mesh (random connectivity sends every spike to ~100 cores).
			c.xs = append(c.xs, lsnntest.RandomInput(rng, 30, 200, 0.05))
			c.tg, _ = targets.Load("loihi-mesh")
			return c
		},
	}
)

// load builds a case once per test binary: compiling and quantizing it.
func load(b *testing.B, name string) *benchCase {
	if c, ok := benchOnce.Load(name); ok {
		return c.(*benchCase)
	}
	c := benchCases[name](b)
	img, _, err := compiler.Compile(c.net, c.tg, compiler.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if c.em, err = emulator.New(img, c.tg); err != nil {
		b.Fatal(err)
	}
	if c.qn, _, err = quant.Quantize(c.net, c.tg); err != nil {
		b.Fatal(err)
	}
	benchOnce.Store(name, c)
	return c
}

// BenchmarkEmulate measures the emulator in both modes, the integer golden simulator
// and the float reference simulator on the same network and inputs, all with both
// machine cores over the batch. It reports synaptic events (synapses applied) and
// time steps (per sample) per second of wall time.
func BenchmarkEmulate(b *testing.B) {
	for _, name := range []string{"smnist", "random-100k"} {
		for _, sim := range []string{"emulator-fast", "emulator-cycle", "golden", "float"} {
			b.Run(name+"/"+sim, func(b *testing.B) {
				c := load(b, name)
				steps := 0
				for _, x := range c.xs {
					steps += x.T
				}
				var events int64
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					events = c.run(b, sim)
				}
				s := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(float64(events)/s, "synevents/s")
				b.ReportMetric(float64(steps)/s, "steps/s")
				b.ReportMetric(float64(events)/float64(steps), "synevents/step")
			})
		}
	}
}

// run runs the batch once in one simulator and returns the synaptic events.
func (c *benchCase) run(b *testing.B, sim string) int64 {
	switch sim {
	case "emulator-fast", "emulator-cycle":
		mode := emulator.Fast
		if sim == "emulator-cycle" {
			mode = emulator.Cycle
		}
		in := make([]emulator.Input, len(c.xs))
		for k, x := range c.xs {
			in[k] = emulator.Input{T: x.T, NIn: x.W, Bits: x.Bits}
		}
		res, err := c.em.Run(in, emulator.Options{Mode: mode})
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		for k := range res {
			n += res[k].Total().SynapticOps
		}
		return n
	}
	var spikes []lsnn.Raster
	if sim == "golden" {
		trs, err := quant.Simulate(c.qn, c.xs, quant.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, tr := range trs {
			spikes = append(spikes, tr.Spikes)
		}
	} else {
		fsim, err := lsnn.NewSimulator(c.net)
		if err != nil {
			b.Fatal(err)
		}
		trs, err := fsim.Run(c.xs, lsnn.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, tr := range trs {
			spikes = append(spikes, tr.Spikes)
		}
	}
	var n int64
	for k := range spikes {
		n += events(c.net, c.xs[k], spikes[k])
	}
	return n
}

// events counts the synapses a run applied: input, recurrent and readout rows of
// every spike, as the emulator counts synaptic operations.
func events(net *lsnn.Network, x, s lsnn.Raster) int64 {
	rows := func(m *lsnn.Matrix, i int32) int64 { return int64(m.RowStart[i+1] - m.RowStart[i]) }
	var n int64
	var act []int32
	for t := 0; t < x.T; t++ {
		act = x.Active(t, act[:0])
		for _, i := range act {
			n += rows(&net.In, i)
		}
		act = s.Active(t, act[:0])
		for _, j := range act {
			n += rows(&net.Rec, j) + rows(&net.Out, j)
		}
	}
	return n
}
