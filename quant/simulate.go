package quant

import (
	"fmt"

	"github.com/snnc/snnc/internal/parallel"
	"github.com/snnc/snnc/lsnn"
)

// Options selects what Run records besides spikes and readouts.
type Options struct {
	RecordVoltage   bool // keep V[t] of every neuron
	RecordThreshold bool // keep A[t] of every neuron
	Workers         int  // goroutines over the batch; 0 means GOMAXPROCS
}

// Saturations counts the values the saturation rule changed (clamped or wrapped)
// during a run: accumulator slots when read, membrane potentials, adaptation states,
// thresholds, readout states and readout outputs.
type Saturations struct {
	Accumulator int64 `json:"accumulator"`
	Membrane    int64 `json:"membrane"`
	Adaptation  int64 `json:"adaptation"`
	Threshold   int64 `json:"threshold"`
	Readout     int64 `json:"readout"`
}

// Add adds o to s.
func (s *Saturations) Add(o Saturations) {
	s.Accumulator += o.Accumulator
	s.Membrane += o.Membrane
	s.Adaptation += o.Adaptation
	s.Threshold += o.Threshold
	s.Readout += o.Readout
}

// Total is the sum of the counts.
func (s Saturations) Total() int64 {
	return s.Accumulator + s.Membrane + s.Adaptation + s.Threshold + s.Readout
}

// Trace is what one sample of a run produced.
type Trace struct {
	Spikes       lsnn.Raster // T x N recurrent spikes s[t]
	Readout      []int64     // T x NOut integer outputs Y[t] + bias, row-major
	ReadoutFloat []float64   // the same mapped to float logits (Network.ReadoutFloat)
	Voltage      []int64     // T x N membrane potentials V[t], when recorded
	Threshold    []int64     // T x N thresholds A[t], when recorded
	Saturations  Saturations
}

// Simulator is the integer golden simulator: the executable definition of a target's
// arithmetic (docs/arithmetic.md). It favours being obviously right over speed. It is
// safe for concurrent use.
type Simulator struct {
	net        *Network
	ring       int
	in, rec, o []int64 // effective weight of every synapse, in matrix order
}

// NewSimulator validates the network and prepares it for simulation.
func NewSimulator(net *Network) (*Simulator, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	s := &Simulator{net: net}
	maxD := 0
	for _, d := range net.In.Delay {
		maxD = max(maxD, int(d))
	}
	for _, d := range net.Rec.Delay {
		maxD = max(maxD, int(d))
	}
	s.ring = maxD + 1
	eff := func(m *Matrix) []int64 {
		w := make([]int64, m.NNZ())
		for i := 0; i < m.Rows; i++ {
			for k := m.RowStart[i]; k < m.RowStart[i+1]; k++ {
				w[k] = net.Weight(m, i, k)
			}
		}
		return w
	}
	s.in, s.rec, s.o = eff(&net.In), eff(&net.Rec), eff(&net.Readout.W)
	return s, nil
}

// Network returns the simulated network.
func (s *Simulator) Network() *Network { return s.net }

// Run simulates every input of the batch from the zero state, spreading the batch over
// opt.Workers goroutines. Each input is a T x NIn raster of 0/1; T may differ between
// samples.
func (s *Simulator) Run(inputs []lsnn.Raster, opt Options) ([]Trace, error) {
	for b, x := range inputs {
		if x.W != s.net.NIn || x.T < 0 || len(x.Bits) != x.T*x.W {
			return nil, fmt.Errorf("quant: input %d: %d steps x %d channels (%d values), want %d channels", b, x.T, x.W, len(x.Bits), s.net.NIn)
		}
	}
	out := make([]Trace, len(inputs))
	w := min(parallel.Workers(opt.Workers), len(inputs))
	states := make([]*State, w)
	parallel.For(len(inputs), w, func(worker, b int) {
		if states[worker] == nil {
			states[worker] = s.NewState()
		}
		states[worker].Reset()
		out[b] = states[worker].run(inputs[b], opt)
	})
	return out, nil
}

// Simulate is NewSimulator followed by Run.
func Simulate(net *Network, inputs []lsnn.Raster, opt Options) ([]Trace, error) {
	s, err := NewSimulator(net)
	if err != nil {
		return nil, err
	}
	return s.Run(inputs, opt)
}

// State is one sample's state between steps. After Step, its exported slices hold the
// values of the step just taken; the next Step overwrites them.
type State struct {
	sim *Simulator
	T   int // steps taken

	X     []int64 // the accumulator value each neuron read in the last step (after Fit)
	B     []int64 // adaptation states B[t] (zero for LIF neurons)
	A     []int64 // thresholds A[t], membrane units
	V     []int64 // membrane potentials V[t]
	Fired []int32 // neurons with s[t] = 1, ascending
	Y     []int64 // readout states Y[t]
	Out   []int64 // readout outputs Y[t] + bias, fitted to the readout width

	Saturations Saturations // counts since the last Reset

	spiked []bool  // s[t] per neuron
	refr   []int32 // refractory steps left
	acc    []int64 // ring x N exact slot sums; slot (t % ring) holds step t's input
	racc   []int64 // per readout, the exact sum of this step's readout events
}

// NewState returns a state at rest, before step 0.
func (s *Simulator) NewState() *State {
	N, nOut := s.net.N(), s.net.NOut()
	return &State{sim: s,
		X: make([]int64, N), B: make([]int64, N), A: make([]int64, N), V: make([]int64, N),
		Y: make([]int64, nOut), Out: make([]int64, nOut),
		spiked: make([]bool, N), refr: make([]int32, N), acc: make([]int64, s.ring*N), racc: make([]int64, nOut)}
}

// Reset returns the state to rest, before step 0.
func (st *State) Reset() {
	st.T = 0
	for _, v := range [][]int64{st.X, st.B, st.A, st.V, st.Y, st.Out, st.acc, st.racc} {
		clear(v)
	}
	clear(st.spiked)
	clear(st.refr)
	st.Fired = st.Fired[:0]
	st.Saturations = Saturations{}
}

// Step advances one step; active lists the input channels that spike in it (each in
// range, each once). It follows docs/arithmetic.md, phase by phase.
func (st *State) Step(active []int32) {
	s := st.sim
	net := s.net
	a := net.Arith
	N := len(st.V)
	t := st.T
	slot := func(d int) int { return ((t + d) % s.ring) * N }

	// Phase 1, deliver: input spikes of step t land in slot t + d (d >= 0). Slots
	// hold exact sums; the order of events does not matter.
	in := &net.In
	for _, i := range active {
		for k := in.RowStart[i]; k < in.RowStart[i+1]; k++ {
			st.acc[slot(int(in.Delay[k]))+int(in.Col[k])] += s.in[k]
		}
	}

	// Phase 2, update every neuron from the state of step t-1.
	cur := slot(0)
	st.Fired = st.Fired[:0]
	thrShift := a.ThresholdShift
	for j := 0; j < N; j++ {
		nr := &net.Neurons[j]
		var changed bool
		// (a) read and clear the accumulator slot, then fit it to the accumulator.
		x := st.acc[cur+j]
		st.acc[cur+j] = 0
		x, changed = Fit(x, a.AccumulatorBits, a.Saturation)
		st.Saturations.Accumulator += b2i(changed)
		sPrev := st.spiked[j]
		// (b) adaptation: B[t] = decay(B[t-1]) + AdaptInc * s[t-1].
		// (c) threshold: A[t] = (Threshold << ThresholdShift) + B[t] brought to
		// membrane units (shifted right by AdaptShift, rounded).
		A := nr.Threshold << thrShift
		if nr.ALIF {
			b := DecayStep(st.B[j], nr.AdaptDecay, a.Decay, a.Rounding)
			if sPrev {
				b += nr.AdaptInc
			}
			b, changed = Fit(b, a.AdaptationBits, a.Saturation)
			st.Saturations.Adaptation += b2i(changed)
			st.B[j] = b
			A, changed = Fit(A+adaptToMembrane(b, net.AdaptShift, a.Rounding), a.MembraneBits, a.Saturation)
			st.Saturations.Threshold += b2i(changed)
		}
		// (d) spike: s[t] = V[t-1] > A[t], unless refractory.
		fire := false
		if st.refr[j] > 0 {
			st.refr[j]--
		} else if st.V[j] > A {
			fire = true
			st.refr[j] = nr.Refractory
		}
		// (e) membrane: V[t] = decay(V[t-1]) + X[t] - A[t] * s[t-1], fitted once.
		v := DecayStep(st.V[j], nr.MemDecay, a.Decay, a.Rounding) + x
		if sPrev {
			v -= A
		}
		v, changed = Fit(v, a.MembraneBits, a.Saturation)
		st.Saturations.Membrane += b2i(changed)
		st.V[j], st.A[j], st.X[j] = v, A, x
		st.spiked[j] = fire
		if fire {
			st.Fired = append(st.Fired, int32(j))
		}
	}

	// Phase 3, emit: spikes of step t reach recurrent targets in slot t + d (d >= 1)
	// and the readout units in this step.
	rec, out := &net.Rec, &net.Readout.W
	clear(st.racc)
	for _, i := range st.Fired {
		for k := rec.RowStart[i]; k < rec.RowStart[i+1]; k++ {
			st.acc[slot(int(rec.Delay[k]))+int(rec.Col[k])] += s.rec[k]
		}
		for k := out.RowStart[i]; k < out.RowStart[i+1]; k++ {
			st.racc[out.Col[k]] += s.o[k]
		}
	}
	// Phase 4, readout: Y[t] = decay(Y[t-1]) + sum of w_out s[t]; out = Y[t] + bias.
	for k := range st.Y {
		y, changed := Fit(DecayStep(st.Y[k], net.Readout.Decay, a.Decay, a.Rounding)+st.racc[k], a.ReadoutBits, a.Saturation)
		st.Saturations.Readout += b2i(changed)
		st.Y[k] = y
		o, changed := Fit(y+net.Readout.Bias[k], a.ReadoutBits, a.Saturation)
		st.Saturations.Readout += b2i(changed)
		st.Out[k] = o
	}
	st.T++
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (st *State) run(x lsnn.Raster, opt Options) Trace {
	net := st.sim.net
	N, nOut := net.N(), net.NOut()
	tr := Trace{Spikes: lsnn.NewRaster(x.T, N), Readout: make([]int64, x.T*nOut), ReadoutFloat: make([]float64, x.T*nOut)}
	if opt.RecordVoltage {
		tr.Voltage = make([]int64, x.T*N)
	}
	if opt.RecordThreshold {
		tr.Threshold = make([]int64, x.T*N)
	}
	active := make([]int32, 0, x.W)
	for t := 0; t < x.T; t++ {
		active = x.Active(t, active[:0])
		st.Step(active)
		row := tr.Spikes.Row(t)
		for _, j := range st.Fired {
			row[j] = 1
		}
		copy(tr.Readout[t*nOut:], st.Out)
		for k, v := range st.Out {
			tr.ReadoutFloat[t*nOut+k] = net.ReadoutFloat(v)
		}
		if tr.Voltage != nil {
			copy(tr.Voltage[t*N:], st.V)
		}
		if tr.Threshold != nil {
			copy(tr.Threshold[t*N:], st.A)
		}
	}
	tr.Saturations = st.Saturations
	return tr
}
