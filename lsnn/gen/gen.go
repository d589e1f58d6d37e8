package gen

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/snnc/snnc/internal/parallel"
	"github.com/snnc/snnc/lsnn"
)

// Config describes a random network.
type Config struct {
	Neurons      int     // recurrent neurons, N
	FanIn        int     // recurrent synapses into each neuron (0 .. N-1)
	Inputs       int     // input channels
	InputFanout  int     // neurons each input channel feeds (0 .. N)
	Outputs      int     // readout units
	ReadoutFanIn int     // neurons each readout unit reads (0 .. N)
	ALIF         float64 // fraction of ALIF neurons, 0 .. 1
	MaxDelay     int     // synaptic delays are 1 .. MaxDelay (inputs 0 .. MaxDelay)
	Locality     float64 // fraction of presynaptic partners drawn from the band
	Band         int     // half-width of the band; 0 means 4 * FanIn
	Seed         uint64
	Workers      int // goroutines; 0 means GOMAXPROCS
}

// Default is a configuration with everything but the size filled in: 64 inputs
// feeding 1,000 neurons each, 10 readouts of 100 neurons each, 40% ALIF, delays up
// to 8 steps, uniform connectivity.
func Default(neurons, fanIn int, seed uint64) Config {
	return Config{Neurons: neurons, FanIn: fanIn, Inputs: 64, InputFanout: min(neurons, 1000), Outputs: 10,
		ReadoutFanIn: min(neurons, 100), ALIF: 0.4, MaxDelay: 8, Seed: seed}
}

// check validates a configuration.
func (c *Config) check() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if c.Neurons < 2 || c.Neurons > lsnn.MaxNeurons {
		add("neurons = %d: want 2..%d", c.Neurons, lsnn.MaxNeurons)
	}
	if c.FanIn < 0 || c.FanIn > c.Neurons-1 {
		add("fan-in = %d: want 0..%d (neurons - 1)", c.FanIn, max(c.Neurons-1, 0))
	}
	if int64(c.Neurons)*int64(max(c.FanIn, 0)) > 1<<31-1 {
		add("%d neurons x %d synapses: more than 2^31 synapses", c.Neurons, c.FanIn)
	}
	if c.Inputs < 0 || c.Inputs > lsnn.MaxNeurons {
		add("inputs = %d: want 0..%d", c.Inputs, lsnn.MaxNeurons)
	}
	if c.InputFanout < 0 || c.InputFanout > c.Neurons {
		add("input fan-out = %d: want 0..%d", c.InputFanout, c.Neurons)
	}
	if c.Outputs < 0 || c.Outputs > lsnn.MaxNeurons {
		add("outputs = %d: want 0..%d", c.Outputs, lsnn.MaxNeurons)
	}
	if c.ReadoutFanIn < 0 || c.ReadoutFanIn > c.Neurons {
		add("readout fan-in = %d: want 0..%d", c.ReadoutFanIn, c.Neurons)
	}
	if !(c.ALIF >= 0 && c.ALIF <= 1) {
		add("ALIF fraction = %v: want 0..1", c.ALIF)
	}
	if !(c.Locality >= 0 && c.Locality <= 1) {
		add("locality = %v: want 0..1", c.Locality)
	}
	if c.MaxDelay < 1 || c.MaxDelay > lsnn.MaxDelay {
		add("max delay = %d: want 1..%d", c.MaxDelay, lsnn.MaxDelay)
	}
	if c.Band < 0 {
		add("band = %d: want at least 0", c.Band)
	}
	if len(p) > 0 {
		return errors.New("gen: " + joinLines(p))
	}
	return nil
}

func joinLines(p []string) string {
	out := p[0]
	for _, s := range p[1:] {
		out += "; " + s
	}
	return out
}

// Sparse draws a network.
func Sparse(c Config) (*lsnn.Network, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if c.Band == 0 {
		c.Band = 4 * max(c.FanIn, 1)
	}
	N := c.Neurons
	net := &lsnn.Network{Dt: 1, TauOut: 20, Neurons: make([]lsnn.Neuron, N), BOut: make([]float64, c.Outputs),
		SignIn: make([]int8, c.Inputs), SignRec: make([]int8, N), Meta: map[string]string{
			"generator": "snnc gen",
			"config": fmt.Sprintf("neurons=%d fanin=%d inputs=%d input-fanout=%d outputs=%d readout-fanin=%d alif=%g max-delay=%d locality=%g band=%d seed=%d",
				N, c.FanIn, c.Inputs, c.InputFanout, c.Outputs, c.ReadoutFanIn, c.ALIF, c.MaxDelay, c.Locality, c.Band, c.Seed)}}
	const chunk = 1 << 14
	chunks := (N + chunk - 1) / chunk
	rng := func(stream, i uint64) *rand.Rand { return rand.New(rand.NewPCG(c.Seed, stream<<48|i)) }
	parallel.For(chunks, c.Workers, func(_, ch int) {
		r := rng(1, uint64(ch))
		for j := ch * chunk; j < min(N, (ch+1)*chunk); j++ {
			n := lsnn.Neuron{TauM: 10 + 30*r.Float64(), B0: 0.2 + 0.4*r.Float64(), NRef: 1 + r.IntN(5)}
			if r.Float64() < c.ALIF {
				n.TauA, n.Beta = 100+900*r.Float64(), 0.5+1.5*r.Float64()
			}
			net.Neurons[j] = n
			net.SignRec[j] = sign(r)
		}
	})
	r := rng(2, 0)
	for i := range net.SignIn {
		net.SignIn[i] = sign(r)
	}
	for k := range net.BOut {
		net.BOut[k] = 0.1 * r.NormFloat64()
	}

	// Recurrent synapses: every neuron's sources, by target, then transposed into rows.
	K := c.FanIn
	src := make([]int32, N*K)
	parallel.For(chunks, c.Workers, func(_, ch int) {
		r := rng(3, uint64(ch))
		var picked []int32
		for j := ch * chunk; j < min(N, (ch+1)*chunk); j++ {
			picked = drawSources(r, picked[:0], j, N, K, c.Locality, c.Band)
			copy(src[j*K:], picked)
		}
	})
	scale := 1.5 / math.Sqrt(float64(max(K, 1)))
	net.Rec = transpose(N, N, src, K, c.Workers, func(i, j int) (float64, uint16) {
		h := hash(c.Seed, 4, uint64(i), uint64(j))
		w := scale * (0.25 + 1.5*unit(h))
		if net.SignRec[i] < 0 {
			w = -2 * w
		}
		return w, uint16(1 + int(h>>40)%c.MaxDelay)
	})
	src = nil

	// Inputs: each channel's targets, drawn per channel (rows directly).
	in := lsnn.Matrix{Rows: c.Inputs, Cols: N, RowStart: make([]int, c.Inputs+1)}
	in.Col = make([]int32, 0, c.Inputs*c.InputFanout)
	for i := 0; i < c.Inputs; i++ {
		r := rng(5, uint64(i))
		cols := sampleSorted(r, N, c.InputFanout, -1)
		in.Col = append(in.Col, cols...)
		in.RowStart[i+1] = len(in.Col)
	}
	in.Weight, in.Delay = make([]float64, len(in.Col)), make([]uint16, len(in.Col))
	for i := 0; i < c.Inputs; i++ {
		for k := in.RowStart[i]; k < in.RowStart[i+1]; k++ {
			h := hash(c.Seed, 6, uint64(i), uint64(in.Col[k]))
			w := 0.6 * (0.5 + unit(h))
			if net.SignIn[i] < 0 {
				w = -w
			}
			in.Weight[k], in.Delay[k] = w, uint16(int(h>>40)%(c.MaxDelay+1))
		}
	}
	net.In = in

	// Readouts: each unit's sources, then transposed into rows of neurons.
	ro := make([]int32, c.Outputs*c.ReadoutFanIn)
	for k := 0; k < c.Outputs; k++ {
		copy(ro[k*c.ReadoutFanIn:], sampleSorted(rng(7, uint64(k)), N, c.ReadoutFanIn, -1))
	}
	outScale := 1 / math.Sqrt(float64(max(c.ReadoutFanIn, 1)))
	net.Out = transpose(N, c.Outputs, ro, c.ReadoutFanIn, c.Workers, func(i, k int) (float64, uint16) {
		w := outScale * (2*unit(hash(c.Seed, 8, uint64(i), uint64(k))) - 1)
		if net.SignRec[i]*sgn(w) < 0 {
			w = -w
		}
		return w, 0
	})
	net.Out.Delay = nil
	return net, nil
}

func sign(r *rand.Rand) int8 {
	if r.Float64() < 0.2 {
		return -1
	}
	return 1
}

func sgn(x float64) int8 {
	if x < 0 {
		return -1
	}
	return 1
}

// drawSources appends to picked k distinct sources for target j (never j), sorted:
// it draws k candidates, sorts them, drops duplicates and j, and draws again for
// what is missing.
func drawSources(r *rand.Rand, picked []int32, j, n, k int, locality float64, band int) []int32 {
	if 2*k > n {
		return append(picked, sampleSorted(r, n, k, j)...)
	}
	band = min(max(band, k), (n-1)/2) // a band of 2k or more candidates always has k
	for len(picked) < k {
		for range k - len(picked) {
			var s int
			if band > 0 && r.Float64() < locality {
				off := 1 + r.IntN(band)
				if r.IntN(2) == 0 {
					off = -off
				}
				s = ((j+off)%n + n) % n
			} else {
				s = r.IntN(n)
			}
			picked = append(picked, int32(s))
		}
		slices.Sort(picked)
		picked = slices.Compact(picked)
		if i, ok := slices.BinarySearch(picked, int32(j)); ok {
			picked = slices.Delete(picked, i, i+1)
		}
	}
	return picked
}

// sampleSorted draws k distinct values of 0 .. n-1 other than skip, ascending
// (selection sampling: one pass over the candidates).
func sampleSorted(r *rand.Rand, n, k, skip int) []int32 {
	out := make([]int32, 0, k)
	left := n
	if skip >= 0 && skip < n {
		left--
	}
	for v := 0; v < n && len(out) < k; v++ {
		if v == skip {
			continue
		}
		if r.IntN(left) < k-len(out) {
			out = append(out, int32(v))
		}
		left--
	}
	return out
}

// transpose builds the rows x cols matrix whose column j holds the sources
// src[j*k : (j+1)*k]; wd gives each synapse's weight and delay.
func transpose(rows, cols int, src []int32, k, workers int, wd func(i, j int) (float64, uint16)) lsnn.Matrix {
	m := lsnn.Matrix{Rows: rows, Cols: cols, RowStart: make([]int, rows+1)}
	for _, s := range src {
		m.RowStart[s+1]++
	}
	for i := 0; i < rows; i++ {
		m.RowStart[i+1] += m.RowStart[i]
	}
	m.Col = make([]int32, len(src))
	next := slices.Clone(m.RowStart[:rows])
	for j := 0; j < cols; j++ {
		for _, s := range src[j*k : (j+1)*k] {
			m.Col[next[s]] = int32(j)
			next[s]++
		}
	}
	m.Weight, m.Delay = make([]float64, len(src)), make([]uint16, len(src))
	parallel.For((rows+4095)/4096, workers, func(_, b int) {
		for i := b * 4096; i < min(rows, (b+1)*4096); i++ {
			for x := m.RowStart[i]; x < m.RowStart[i+1]; x++ {
				m.Weight[x], m.Delay[x] = wd(i, int(m.Col[x]))
			}
		}
	})
	return m
}

// hash mixes a seed, a stream and two indices (SplitMix64 finalizer rounds).
func hash(seed, stream, a, b uint64) uint64 {
	x := seed ^ stream*0x9e3779b97f4a7c15
	for _, v := range [...]uint64{a, b} {
		x ^= v + 0x9e3779b97f4a7c15 + x<<6 + x>>2
		x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
		x = (x ^ x>>27) * 0x94d049bb133111eb
		x ^= x >> 31
	}
	return x
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }
