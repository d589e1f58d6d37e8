package lsnn

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/internal/parallel"
)

// Raster is a T x W binary array stored row by row: channel i at step t is
// Bits[t*W+i], 0 or 1. It holds input spike trains (W = NIn) and spike outputs (W = N).
type Raster struct {
	T, W int
	Bits []uint8
}

// NewRaster returns an all-zero T x W raster.
func NewRaster(T, W int) Raster { return Raster{T: T, W: W, Bits: make([]uint8, T*W)} }

// At reports whether channel i spikes at step t.
func (r Raster) At(t, i int) bool { return r.Bits[t*r.W+i] != 0 }

// Set marks a spike of channel i at step t.
func (r Raster) Set(t, i int) { r.Bits[t*r.W+i] = 1 }

// Row returns step t as a slice aliasing the raster.
func (r Raster) Row(t int) []uint8 { return r.Bits[t*r.W : (t+1)*r.W] }

// Active appends to dst the channels that spike at step t, in increasing order, and
// returns the extended slice: the event list a step consumes.
func (r Raster) Active(t int, dst []int32) []int32 {
	for i, b := range r.Row(t) {
		if b != 0 {
			dst = append(dst, int32(i))
		}
	}
	return dst
}

// Count is the number of spikes in the raster.
func (r Raster) Count() int {
	c := 0
	for _, b := range r.Bits {
		if b != 0 {
			c++
		}
	}
	return c
}

// Options selects what Run records besides spikes and readouts.
type Options struct {
	RecordThreshold bool // keep A[t] of every neuron
	RecordVoltage   bool // keep v[t] of every neuron
	Workers         int  // goroutines over the batch; 0 means GOMAXPROCS
}

// Trace is what one sample of a run produced.
type Trace struct {
	Spikes    Raster    // T x N recurrent spikes s[t]
	Readout   []float64 // T x NOut readout values y[t], row-major
	Threshold []float64 // T x N adaptive thresholds A[t], when recorded
	Voltage   []float64 // T x N membrane potentials v[t], when recorded
}

// Simulator runs a network in float64. It holds the decay factors derived from the
// network; build a new one when the network changes. It is safe for concurrent use.
type Simulator struct {
	net               *Network
	alpha, rho, decay []float64 // per neuron: alpha, rho, 1-alpha
	b0, beta          []float64
	nref              []int32
	kappa             float64
	ring              int // accumulator slots: the largest delay + 1
}

// NewSimulator validates the network and prepares it for simulation.
func NewSimulator(net *Network) (*Simulator, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	N := net.N()
	s := &Simulator{net: net, alpha: make([]float64, N), rho: make([]float64, N), decay: make([]float64, N),
		b0: make([]float64, N), beta: make([]float64, N), nref: make([]int32, N)}
	for j, nr := range net.Neurons {
		s.b0[j], s.beta[j], s.nref[j] = nr.B0, nr.Beta, int32(nr.NRef)
		s.alpha[j] = math.Exp(-net.Dt / nr.TauM)
		s.decay[j] = 1 - s.alpha[j]
		if nr.TauA > 0 {
			s.rho[j] = math.Exp(-net.Dt / nr.TauA)
		}
	}
	s.kappa = math.Exp(-net.Dt / net.TauOut)
	s.ring = max(net.In.MaxDelayUsed(), net.Rec.MaxDelayUsed()) + 1
	return s, nil
}

// Network returns the simulated network.
func (s *Simulator) Network() *Network { return s.net }

// Run simulates every input of the batch from the zero state, spreading the batch
// over opt.Workers goroutines. Each input is a T x NIn raster; T may differ between
// samples.
func (s *Simulator) Run(inputs []Raster, opt Options) ([]Trace, error) {
	for b, x := range inputs {
		if x.W != s.net.NIn() || len(x.Bits) != x.T*x.W || x.T < 0 {
			return nil, fmt.Errorf("lsnn: input %d: %d steps x %d channels (%d values), want %d channels", b, x.T, x.W, len(x.Bits), s.net.NIn())
		}
	}
	out := make([]Trace, len(inputs))
	w := min(parallel.Workers(opt.Workers), len(inputs))
	states := make([]*State, w)
	parallel.For(len(inputs), w, func(worker, b int) {
		if states[worker] == nil {
			states[worker] = s.NewState()
		}
		st := states[worker]
		st.Reset()
		out[b] = st.run(inputs[b], opt)
	})
	return out, nil
}

// Simulate is NewSimulator followed by Run.
func Simulate(net *Network, inputs []Raster, opt Options) ([]Trace, error) {
	s, err := NewSimulator(net)
	if err != nil {
		return nil, err
	}
	return s.Run(inputs, opt)
}

// State is one sample's state between steps. After Step, its exported slices hold the
// quantities of the step just taken; they are overwritten by the next Step.
type State struct {
	sim *Simulator
	T   int // steps taken

	I     []float64 // I[t], the synaptic input of the last step
	A     []float64 // A[t], the adaptive thresholds
	V     []float64 // v[t], the membrane potentials
	B     []float64 // b[t], the threshold adaptations
	Fired []int32   // neurons with s[t] = 1, in increasing order
	Y     []float64 // y[t], the readouts

	spiked []bool    // s[t] per neuron
	refr   []int32   // steps of refractoriness left
	acc    []float64 // ring x N dendritic accumulators; slot t%ring holds I[t]
	off    []int     // off[d]: where slot t+d starts in acc, for the current step
	zhat   []float64 // sum_j W_out[j,k] zhat_j[t], the readout without bias
}

// NewState returns a state at rest, before step 0.
func (s *Simulator) NewState() *State {
	N, nOut := s.net.N(), s.net.NOut()
	return &State{sim: s,
		I: make([]float64, N), A: make([]float64, N), V: make([]float64, N), B: make([]float64, N),
		Y: make([]float64, nOut), spiked: make([]bool, N), refr: make([]int32, N),
		acc: make([]float64, s.ring*N), zhat: make([]float64, nOut), off: make([]int, s.ring)}
}

// Reset returns the state to rest, before step 0.
func (st *State) Reset() {
	st.T = 0
	for _, v := range [][]float64{st.I, st.A, st.V, st.B, st.Y, st.acc, st.zhat} {
		clear(v)
	}
	clear(st.spiked)
	clear(st.refr)
	st.Fired = st.Fired[:0]
}

// Step advances one step; active lists the input channels that spike in it.
// Channels must be in range.
func (st *State) Step(active []int32) {
	s, net := st.sim, st.sim.net
	N := len(st.V)
	t := st.T
	ring := s.ring
	off := st.off
	for d := range off {
		off[d] = ((t + d) % ring) * N
	}
	// Inputs of step t reach slot t + d; delay 0 lands in this step.
	in := &net.In
	for _, i := range active {
		for k := in.RowStart[i]; k < in.RowStart[i+1]; k++ {
			st.acc[off[in.Delay[k]]+int(in.Col[k])] += in.Weight[k]
		}
	}
	slot := st.acc[off[0]:][:N]
	st.Fired = st.Fired[:0]
	V, B, A, I, refr, spiked := st.V[:N], st.B[:N], st.A[:N], st.I[:N], st.refr[:N], st.spiked[:N]
	alpha, decay, rho, b0, beta, nref := s.alpha[:N], s.decay[:N], s.rho[:N], s.b0[:N], s.beta[:N], s.nref[:N]
	for j := 0; j < N; j++ {
		x := slot[j]
		slot[j] = 0
		var sPrev float64
		if spiked[j] {
			sPrev = 1
		}
		b := rho[j]*B[j] + (1-rho[j])*sPrev
		a := b0[j] + beta[j]*b
		fire := false
		if refr[j] > 0 {
			refr[j]--
		} else if V[j] > a {
			fire = true
			refr[j] = nref[j]
		}
		V[j] = alpha[j]*V[j] + decay[j]*x - a*sPrev
		B[j], A[j], I[j] = b, a, x
		spiked[j] = fire
		if fire {
			st.Fired = append(st.Fired, int32(j))
		}
	}
	// Spikes of step t reach their targets at t + d, d >= 1, and the readout now.
	for k := range st.zhat {
		st.zhat[k] *= s.kappa
	}
	rec, out := &net.Rec, &net.Out
	for _, i := range st.Fired {
		for k := rec.RowStart[i]; k < rec.RowStart[i+1]; k++ {
			st.acc[off[rec.Delay[k]]+int(rec.Col[k])] += rec.Weight[k]
		}
		for k := out.RowStart[i]; k < out.RowStart[i+1]; k++ {
			st.zhat[out.Col[k]] += (1 - s.kappa) * out.Weight[k]
		}
	}
	for k := range st.Y {
		st.Y[k] = st.zhat[k] + net.BOut[k]
	}
	st.T++
}

func (st *State) run(x Raster, opt Options) Trace {
	net := st.sim.net
	N, nOut := net.N(), net.NOut()
	tr := Trace{Spikes: NewRaster(x.T, N), Readout: make([]float64, x.T*nOut)}
	if opt.RecordThreshold {
		tr.Threshold = make([]float64, x.T*N)
	}
	if opt.RecordVoltage {
		tr.Voltage = make([]float64, x.T*N)
	}
	active := make([]int32, 0, x.W)
	for t := 0; t < x.T; t++ {
		active = x.Active(t, active[:0])
		st.Step(active)
		row := tr.Spikes.Row(t)
		for _, j := range st.Fired {
			row[j] = 1
		}
		copy(tr.Readout[t*nOut:], st.Y)
		if tr.Threshold != nil {
			copy(tr.Threshold[t*N:], st.A)
		}
		if tr.Voltage != nil {
			copy(tr.Voltage[t*N:], st.V)
		}
	}
	return tr
}
