package emulator

import (
	"fmt"

	"github.com/snnc/snnc/internal/parallel"
	"github.com/snnc/snnc/targets"
)

// Mode selects how the engine runs a step.
type Mode int

const (
	// Fast applies every spike's synapses at once, with the image's routes but no
	// timing: for bulk runs. It counts everything but cycles, stalls and buffers.
	Fast Mode = iota
	// Cycle runs the network on chip cycle by cycle and charges the cores' cycles.
	Cycle
)

func (m Mode) String() string {
	if m == Cycle {
		return "cycle"
	}
	return "fast"
}

// ParseMode reads "fast" or "cycle".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "fast":
		return Fast, nil
	case "cycle":
		return Cycle, nil
	}
	return 0, fmt.Errorf("emulator: mode %q: want fast or cycle", s)
}

// Input is one sample's input spike train: T steps of NIn channels, Bits row by row
// (step t is Bits[t*NIn : (t+1)*NIn]); a non-zero value is a spike.
type Input struct {
	T, NIn int
	Bits   []uint8
}

// Options say how Run runs.
type Options struct {
	Mode Mode
	// Workers is the number of goroutines over the batch; 0 means GOMAXPROCS.
	Workers int
	// Record keeps every neuron's membrane potential and threshold per step.
	Record bool
}

// Result is what one sample produced. Neurons are in the network's order (the ids
// the image records), readouts by index.
type Result struct {
	T, N, NOut int
	// Spikes is T x N: 1 where neuron j spiked in step t.
	Spikes []uint8
	// Readout is T x NOut: the integer readout outputs Out[t] (state plus bias); the
	// float logit is Out / 2^ReadoutExp (Emulator.ReadoutFloat).
	Readout []int64
	// Voltage and Threshold are T x N membrane potentials V[t] and thresholds A[t],
	// with Options.Record.
	Voltage, Threshold []int64
	// Cores are the counters of each core, in the order of Emulator.Cores; Host
	// counts the input packets the host port sent.
	Cores []Counters
	Host  Counters
	// Barriers is the number of barriers: one after the prologue and one per step.
	Barriers int64
	// Routers (per tile, tile = col + row * cols) and Cycles are filled in cycle
	// mode only.
	Routers []RouterCounters
	Cycles  *Cycles
}

// Cycles is the timing of one sample in cycle mode.
type Cycles struct {
	// Prologue delivers step 0's input (barrier included).
	Prologue int64 `json:"prologue"`
	// Steps are the cycles of each step: the updates, the traffic they cause and the
	// next step's input, then the barrier.
	Steps []int64 `json:"steps"`
	// Flush is the final update of the readout units (no barrier).
	Flush int64 `json:"flush"`
}

// Total is every cycle of the sample.
func (c *Cycles) Total() int64 {
	t := c.Prologue + c.Flush
	for _, s := range c.Steps {
		t += s
	}
	return t
}

// Total is the sum of the counters of the cores and the host.
func (r *Result) Total() Counters {
	var c Counters
	for _, x := range r.Cores {
		c.Add(x)
	}
	c.Add(r.Host)
	return c
}

// Emulator runs one image. It is safe for concurrent use.
type Emulator struct {
	p  *program
	tg *targets.Target
}

// Target is the target the image was compiled for.
func (e *Emulator) Target() *targets.Target { return e.tg }

// NIn, N and NOut are the network's input channels, neurons and readout units.
func (e *Emulator) NIn() int  { return e.p.nIn }
func (e *Emulator) N() int    { return e.p.n }
func (e *Emulator) NOut() int { return e.p.nOut }

// ReadoutExp: a readout output Out is the float logit Out / 2^ReadoutExp.
func (e *Emulator) ReadoutExp() int { return e.p.readoutExp }

// ReadoutFloat maps an integer readout output to its float logit.
func (e *Emulator) ReadoutFloat(v int64) float64 {
	x := float64(v)
	for k := e.p.readoutExp; k > 0; k-- {
		x /= 2
	}
	for k := e.p.readoutExp; k < 0; k++ {
		x *= 2
	}
	return x
}

// CoreInfo describes one core the image uses.
type CoreInfo struct {
	Index    int `json:"core"`
	Col      int `json:"col"`
	Row      int `json:"row"`
	Neurons  int `json:"neurons"`
	Readouts int `json:"readouts"`
	Slots    int `json:"neuron_slots"`
	Axons    int `json:"axons"`
	Synapses int `json:"synapses"`
}

// Cores lists the cores the image uses, by ascending index.
func (e *Emulator) Cores() []CoreInfo {
	p := e.p
	out := make([]CoreInfo, len(p.cores))
	for c := range p.cores {
		co := &p.cores[c]
		tile := int(co.tile)
		syn := 0
		for _, a := range co.axons {
			syn += int(a.hi - a.lo)
		}
		out[c] = CoreInfo{Index: co.index, Col: tile % p.mesh.cols, Row: tile / p.mesh.cols,
			Neurons: int(co.hi - co.lo), Readouts: len(co.readouts), Slots: int(co.nSlots + co.rSlots),
			Axons: len(co.axons), Synapses: syn}
	}
	return out
}

// NeuronCore returns, for each neuron of the network, the position in Cores of the
// core that holds it.
func (e *Emulator) NeuronCore() []int {
	out := make([]int, e.p.n)
	for _, nr := range e.p.neurons {
		out[nr.id] = int(nr.core)
	}
	return out
}

// Run emulates every input of the batch from the image's initial state, spreading
// the batch over opt.Workers goroutines. Results are in input order and do not
// depend on the number of workers.
func (e *Emulator) Run(xs []Input, opt Options) ([]Result, error) {
	for b, x := range xs {
		if x.NIn != e.p.nIn || x.T < 0 || len(x.Bits) != x.T*x.NIn {
			return nil, fmt.Errorf("emulator: input %d: %d steps x %d channels (%d values), want %d channels", b, x.T, x.NIn, len(x.Bits), e.p.nIn)
		}
	}
	out := make([]Result, len(xs))
	errs := make([]error, len(xs))
	w := min(parallel.Workers(opt.Workers), max(len(xs), 1))
	states := make([]*state, w)
	nocs := make([]*noc, w)
	parallel.For(len(xs), w, func(worker, b int) {
		s := states[worker]
		if s == nil {
			s = newState(e.p)
			states[worker] = s
		}
		s.reset()
		res := &out[b]
		s.begin(xs[b], res, opt.Record)
		if opt.Mode == Cycle {
			if nocs[worker] == nil {
				nocs[worker] = newNoC(e.p, s)
			}
			errs[b] = nocs[worker].runCycle(xs[b], res)
		} else {
			s.runFast(xs[b], res)
		}
		res.Cores = append([]Counters(nil), s.cc...)
		res.Host = s.host
	})
	for b, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("emulator: input %d: %w", b, err)
		}
	}
	return out, nil
}

// begin sizes a sample's result.
func (s *state) begin(x Input, res *Result, record bool) {
	p := s.p
	*res = Result{T: x.T, N: p.n, NOut: p.nOut, Spikes: make([]uint8, x.T*p.n), Readout: make([]int64, x.T*p.nOut)}
	if record {
		res.Voltage = make([]int64, x.T*p.n)
		res.Threshold = make([]int64, x.T*p.n)
	}
}

// runFast runs one sample in fast mode: the same hardware steps as cycle mode (a
// step's updates, then its spikes delivered at once), without timing.
func (s *state) runFast(x Input, res *Result) {
	T := x.T
	for t := 0; t <= T; t++ {
		var row []uint8
		if t < T {
			row = x.Bits[t*x.NIn : (t+1)*x.NIn]
		}
		s.stepFast(t, row, t == T)
		if t < T {
			s.recordNeurons(t, res)
		}
		if t >= 1 {
			s.recordReadouts(t, res)
		}
	}
	res.Barriers = int64(T + 1)
}

// stepFast runs hardware step t: unless last, step t's input and neuron updates and
// the delivery of their spikes (s.fired), then the readout update, whose outputs
// (s.out) are those of step t-1.
func (s *state) stepFast(t int, in []uint8, last bool) {
	p := s.p
	s.set = s.set[:0]
	s.fired = s.fired[:0]
	if !last {
		for ch, b := range in {
			if b != 0 {
				s.emitFast(&p.srcInput[ch], t)
			}
		}
		s.updateNeurons(t)
		for _, u := range s.fired {
			s.emitFast(&p.srcNeuron[u], t)
		}
	}
	s.updateReadouts(t)
	s.clearSlot(t)
}

// recordNeurons writes step t's spikes (and states) into the result.
func (s *state) recordNeurons(t int, res *Result) {
	p := s.p
	row := res.Spikes[t*p.n : (t+1)*p.n]
	for _, u := range s.fired {
		row[p.neurons[u].id] = 1
	}
	if res.Voltage != nil {
		for u := range p.neurons {
			id := int(p.neurons[u].id)
			res.Voltage[t*p.n+id] = s.v[u]
			res.Threshold[t*p.n+id] = s.threshold(u)
		}
	}
}

// recordReadouts writes the outputs of hardware step t's readout update, the golden
// simulator's step t-1.
func (s *state) recordReadouts(t int, res *Result) {
	copy(res.Readout[(t-1)*s.p.nOut:], s.out)
}
