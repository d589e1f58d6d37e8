package quant

import (
	"math"
	"math/bits"

	"github.com/snnc/snnc/internal/parallel"
	"github.com/snnc/snnc/targets"
)

// Arithmetic is the part of a target's formats that defines the integer step: the
// widths every value is held in, the decay representation, the rounding and the
// saturation rule. Quantize copies it from the target so that a Network can be
// simulated, compiled and emulated without the target at hand. docs/arithmetic.md
// says how each field is used.
type Arithmetic struct {
	MantissaBits int `json:"mantissa_bits"` // weight mantissa, two's complement, sign included
	ExponentMin  int `json:"exponent_min"`
	ExponentMax  int `json:"exponent_max"`
	// Granularity and ExponentGroupsPerCore say which synapses may share an exponent;
	// see Group.
	Granularity           targets.Granularity `json:"exponent_granularity"`
	ExponentGroupsPerCore int                 `json:"exponent_groups_per_core,omitempty"`

	AccumulatorBits int `json:"accumulator_bits"` // dendritic accumulator slot, read value
	MembraneBits    int `json:"membrane_bits"`    // membrane potential V and threshold A
	AdaptationBits  int `json:"adaptation_bits"`  // threshold adaptation state B
	ThresholdBits   int `json:"threshold_bits"`   // unsigned baseline-threshold mantissa
	ThresholdShift  int `json:"threshold_shift"`  // its left shift into membrane units
	ReadoutBits     int `json:"readout_bits"`     // readout state Y and output Y + bias

	Decay      targets.Decay      `json:"decay"`
	Rounding   targets.Rounding   `json:"rounding"`
	Saturation targets.Saturation `json:"saturation"`

	MaxDelay      int  `json:"max_delay_steps"`
	MaxRefractory int  `json:"max_refractory_steps"`
	ALIF          bool `json:"alif"`
}

// ArithmeticOf copies the arithmetic of a target.
func ArithmeticOf(t *targets.Target) Arithmetic {
	f := t.Formats
	return Arithmetic{
		MantissaBits: f.Weight.MantissaBits, ExponentMin: f.Weight.ExponentMin, ExponentMax: f.Weight.ExponentMax,
		Granularity: f.Weight.Granularity, ExponentGroupsPerCore: f.Weight.ExponentGroupsPerCore,
		AccumulatorBits: f.AccumulatorBits, MembraneBits: f.MembraneBits, AdaptationBits: f.AdaptationBits,
		ThresholdBits: f.ThresholdBits, ThresholdShift: f.ThresholdShift, ReadoutBits: t.Readout.AccumulatorBits,
		Decay: f.Decay, Rounding: f.Rounding, Saturation: f.Saturation,
		MaxDelay: f.MaxDelaySteps, MaxRefractory: f.MaxRefractorySteps, ALIF: f.ALIF,
	}
}

// Neuron holds the integer parameters of one recurrent neuron.
type Neuron struct {
	// Threshold is the baseline threshold b0 as an unsigned mantissa of ThresholdBits;
	// in membrane units it is Threshold << ThresholdShift.
	Threshold int64 `json:"threshold"`
	// MemDecay is the membrane's decay code: the multiplier code d (the factor is
	// 1 - d/2^F) or the shift s (the factor is 1 - 2^-s), as Arithmetic.Decay says.
	MemDecay int32 `json:"mem_decay"`
	// ALIF says whether the neuron has threshold adaptation. AdaptDecay and AdaptInc
	// are zero for a LIF neuron.
	ALIF bool `json:"alif"`
	// AdaptDecay is the adaptation state's decay code.
	AdaptDecay int32 `json:"adapt_decay"`
	// AdaptInc is beta * (1 - rho) in adaptation units: what a spike adds to the
	// adaptation state B one step later.
	AdaptInc int64 `json:"adapt_inc"`
	// Refractory is the refractory period n_ref in steps.
	Refractory int32 `json:"refractory"`
}

// Matrix is an integer weight matrix in compressed sparse rows, presynaptic rows and
// postsynaptic columns, with the same layout and synapse order as lsnn.Matrix: row i
// is [RowStart[i], RowStart[i+1]) and its columns are strictly increasing.
//
// A synapse's weight is Mantissa * 2^e in accumulator units, where e is the exponent
// of its row's group: Network.Groups[RowGroup[i]].Exponent. Every synapse of a row
// shares one exponent, so an axon's synapse list (one presynaptic source in one core)
// is always in one group.
type Matrix struct {
	Rows     int      `json:"rows"`
	Cols     int      `json:"cols"`
	RowStart []int    `json:"row_start"`
	Col      []int32  `json:"col"`
	Mantissa []int32  `json:"mantissa"`
	Delay    []uint16 `json:"delay,omitempty"` // nil for the readout matrix
	RowGroup []int32  `json:"row_group"`       // per row, an index into Network.Groups
}

// NNZ is the number of synapses held, zero mantissas included.
func (m *Matrix) NNZ() int { return len(m.Col) }

// Group is a set of synapse rows that share one weight exponent.
//
// How rows are grouped follows the target's exponent granularity (Quantize):
//   - "matrix": three groups, 0 = w_in, 1 = w_rec, 2 = w_out, every row of a matrix
//     in its group. One exponent per matrix for the whole network satisfies "one per
//     matrix per core" whatever the partition.
//   - "core": one group (0) holding every row of every matrix: one exponent for the
//     whole network, so any partition has one exponent per core.
//   - "synapse_group": one group per distinct exponent, sorted by exponent; each row
//     (one presynaptic source of one matrix) has its own best exponent, and there are
//     never more groups than ExponentGroupsPerCore. Any partition then gives each core
//     at most that many groups, and each axon list one group. An axon of a source whose
//     rows of two matrices (w_rec and w_out) fall in different groups needs one axon
//     list per group in a core that holds both.
//
// So a group never has to be kept within one core: the compiler may place any
// synapse anywhere and build each core's exponent table from the groups present.
type Group struct {
	Exponent int    `json:"exponent"`
	Name     string `json:"name"` // "w_in", "w_rec", "w_out", "all", or "exp N"
}

// Readout holds the readout units: non-spiking integer leaky integrators of the
// recurrent spikes, with their own scale.
type Readout struct {
	// Decay is the decay code of kappa, shared by every unit.
	Decay int32 `json:"decay"`
	// W is the N x NOut readout matrix (no delays); its rows are grouped like the
	// others.
	W Matrix `json:"w"`
	// Bias is b_out in readout units, added to the state when the output is formed.
	Bias []int64 `json:"bias"`
	// Scale is the number of readout units per 1.0 of a float logit y: the float
	// readout is (Y + Bias) / Scale. It is a power of two, 2^Exp.
	Scale float64 `json:"scale"`
	Exp   int     `json:"exp"`
}

// Network is an LSNN in a target's integer arithmetic: what the compiler turns into a
// chip image and what the golden simulator (Simulator) runs. It is self-contained: it
// needs neither the float network nor the target. The zero value is not valid; Quantize
// returns valid networks, and Validate checks one built otherwise.
type Network struct {
	Target     string     `json:"target"`      // the target's name
	TargetHash string     `json:"target_hash"` // targets.Target.HashHex of the target quantized for
	Dt         float64    `json:"dt_ms"`       // the step, ms (provenance: the arithmetic has no time)
	Arith      Arithmetic `json:"arithmetic"`

	// StateScale is the number of membrane units per 1.0 of the float membrane
	// potential v (and of thresholds and weights times (1 - alpha)); 2^StateExp.
	StateScale float64 `json:"state_scale"`
	StateExp   int     `json:"state_exp"`
	// AdaptShift is how many more fraction bits the adaptation state B has than the
	// membrane: B is in units of 2^-AdaptShift membrane units, and the threshold adds
	// B shifted right by AdaptShift (left when negative).
	AdaptShift int `json:"adapt_shift"`

	NIn     int      `json:"n_in"`
	Neurons []Neuron `json:"neurons"`
	In      Matrix   `json:"w_in"`  // NIn x N, delays 0..MaxDelay
	Rec     Matrix   `json:"w_rec"` // N x N, delays 1..MaxDelay, no self-connections
	Groups  []Group  `json:"groups"`
	Readout Readout  `json:"readout"`
}

// N is the number of recurrent neurons.
func (n *Network) N() int { return len(n.Neurons) }

// NOut is the number of readout units.
func (n *Network) NOut() int { return n.Readout.W.Cols }

// AdaptScale is the number of adaptation units per 1.0 of float threshold adaptation
// beta * b: StateScale * 2^AdaptShift.
func (n *Network) AdaptScale() float64 { return math.Ldexp(n.StateScale, n.AdaptShift) }

// Weight returns the value synapse k of row i of m adds to an accumulator slot.
func (n *Network) Weight(m *Matrix, i, k int) int64 {
	return EffectiveWeight(int64(m.Mantissa[k]), n.Groups[m.RowGroup[i]].Exponent, n.Arith.Rounding)
}

// ReadoutFloat maps an integer readout output (Y + Bias) to a float logit.
func (n *Network) ReadoutFloat(v int64) float64 { return float64(v) / n.Readout.Scale }

// Exponents lists the distinct exponents the groups use, ascending.
func (n *Network) Exponents() []int {
	seen := map[int]bool{}
	var out []int
	for _, g := range n.Groups {
		if !seen[g.Exponent] {
			seen[g.Exponent] = true
			out = append(out, g.Exponent)
		}
	}
	sortInts(out)
	return out
}

// Clone returns a deep copy.
func (n *Network) Clone() *Network {
	c := *n
	c.Neurons = append([]Neuron(nil), n.Neurons...)
	c.In, c.Rec = n.In.clone(), n.Rec.clone()
	c.Groups = append([]Group(nil), n.Groups...)
	c.Readout.W = n.Readout.W.clone()
	c.Readout.Bias = append([]int64(nil), n.Readout.Bias...)
	return &c
}

func (m Matrix) clone() Matrix {
	m.RowStart = append([]int(nil), m.RowStart...)
	m.Col = append([]int32(nil), m.Col...)
	m.Mantissa = append([]int32(nil), m.Mantissa...)
	if m.Delay != nil {
		m.Delay = append([]uint16(nil), m.Delay...)
	}
	m.RowGroup = append([]int32(nil), m.RowGroup...)
	return m
}

// maxSlotSum bounds the sum of |weight| into one neuron or readout unit, so that the
// golden simulator's exact slot sums fit an int64 (see docs/arithmetic.md).
const maxSlotSum = int64(1) << 62

// Validate checks that every value fits its format and the matrices are well formed,
// and returns nil or a *ValidationError listing every problem.
func (n *Network) Validate() error {
	var p problems
	a := n.Arith
	bitsOK := true
	for _, b := range []struct {
		name string
		v    int
		lo   int
	}{{"mantissa_bits", a.MantissaBits, 1}, {"accumulator_bits", a.AccumulatorBits, 2}, {"membrane_bits", a.MembraneBits, 2},
		{"adaptation_bits", a.AdaptationBits, 2}, {"threshold_bits", a.ThresholdBits, 1}, {"readout_bits", a.ReadoutBits, 2}} {
		if b.v < b.lo || b.v > 62 {
			p.add("arithmetic: %s = %d: must be in %d..62", b.name, b.v, b.lo)
			bitsOK = false
		}
	}
	if a.MantissaBits > 32 {
		p.add("arithmetic: mantissa_bits = %d: must be at most 32", a.MantissaBits)
		bitsOK = false
	}
	if a.ThresholdShift < 0 || a.ThresholdBits+a.ThresholdShift > a.MembraneBits-1 {
		p.add("arithmetic: threshold_bits + threshold_shift = %d + %d must fit the %d magnitude bits of the membrane", a.ThresholdBits, a.ThresholdShift, a.MembraneBits-1)
		bitsOK = false
	}
	if a.ExponentMin < -64 || a.ExponentMax > 64 || a.ExponentMin > a.ExponentMax {
		p.add("arithmetic: exponent range %d..%d: must be within -64..64 and not empty", a.ExponentMin, a.ExponentMax)
		bitsOK = false
	}
	if bitsOK && a.MantissaBits+max(a.ExponentMax, 0) > min(a.AccumulatorBits, a.ReadoutBits) {
		p.add("arithmetic: a %d-bit mantissa shifted by %d does not fit the accumulators", a.MantissaBits, a.ExponentMax)
		bitsOK = false
	}
	var maxCode int64
	switch a.Decay.Representation {
	case targets.DecayMultiplier:
		if a.Decay.FractionBits < 1 || a.Decay.FractionBits > 31 {
			p.add("arithmetic: decay.fraction_bits = %d: must be in 1..31", a.Decay.FractionBits)
			bitsOK = false
		} else {
			maxCode = int64(1)<<a.Decay.FractionBits - 1
			if bitsOK && max(a.MembraneBits, a.AdaptationBits, a.ReadoutBits)+a.Decay.FractionBits > 62 {
				p.add("arithmetic: state bits + decay.fraction_bits exceed 62")
				bitsOK = false
			}
		}
	case targets.DecayShift:
		if a.Decay.MaxShift < 1 || a.Decay.MaxShift > 62 {
			p.add("arithmetic: decay.max_shift = %d: must be in 1..62", a.Decay.MaxShift)
			bitsOK = false
		} else {
			maxCode = int64(a.Decay.MaxShift)
		}
	default:
		p.add("arithmetic: decay.representation = %q: must be %q or %q", a.Decay.Representation, targets.DecayMultiplier, targets.DecayShift)
		bitsOK = false
	}
	if a.Decay.MinDecrement < 0 || a.Decay.MinDecrement > 1<<16 {
		p.add("arithmetic: decay.min_decrement = %d: must be in 0..65536", a.Decay.MinDecrement)
	}
	switch a.Rounding {
	case targets.HalfAwayFromZero, targets.HalfToEven, targets.TowardZero, targets.Floor:
	default:
		p.add("arithmetic: rounding = %q: unknown rule", a.Rounding)
		bitsOK = false
	}
	switch a.Saturation {
	case targets.Saturate, targets.Wrap:
	default:
		p.add("arithmetic: saturation = %q: unknown rule", a.Saturation)
		bitsOK = false
	}
	switch a.Granularity {
	case targets.PerMatrix, targets.PerCore:
	case targets.PerSynapseGroup:
		if a.ExponentGroupsPerCore < 1 {
			p.add("arithmetic: exponent_groups_per_core = %d: must be positive", a.ExponentGroupsPerCore)
		}
	default:
		p.add("arithmetic: exponent_granularity = %q: unknown", a.Granularity)
		bitsOK = false
	}
	if a.MaxDelay < 0 || a.MaxDelay > targets.MaxDelaySteps || a.MaxRefractory < 0 || a.MaxRefractory > targets.MaxRefractory {
		p.add("arithmetic: max_delay_steps = %d, max_refractory_steps = %d: out of range", a.MaxDelay, a.MaxRefractory)
		bitsOK = false
	}
	if !(n.StateScale > 0) || math.IsInf(n.StateScale, 0) || !(n.Readout.Scale > 0) || math.IsInf(n.Readout.Scale, 0) {
		p.add("scales: state %v, readout %v: must be positive and finite", n.StateScale, n.Readout.Scale)
	}
	if n.AdaptShift < -62 || n.AdaptShift > 62 || (bitsOK && n.AdaptShift < 0 && a.AdaptationBits-1-n.AdaptShift > 62) {
		p.add("adapt_shift = %d: out of range for %d-bit adaptation", n.AdaptShift, a.AdaptationBits)
	}
	if !bitsOK {
		return &ValidationError{Problems: p}
	}
	N := len(n.Neurons)
	if N == 0 {
		p.add("network has no recurrent neurons")
	}
	if N > 1<<24 || n.NIn < 0 || n.NIn > 1<<24 {
		p.add("%d neurons, %d inputs: at most 2^24 each", N, n.NIn)
		return &ValidationError{Problems: p}
	}
	_, adaptMax := targets.SignedRange(a.AdaptationBits)
	for j, nr := range n.Neurons {
		if nr.Threshold < 0 || nr.Threshold > int64(1)<<a.ThresholdBits-1 {
			p.add("neuron %d: threshold mantissa %d out of 0..%d", j, nr.Threshold, int64(1)<<a.ThresholdBits-1)
		}
		if !codeOK(nr.MemDecay, a, maxCode) {
			p.add("neuron %d: membrane decay code %d out of range", j, nr.MemDecay)
		}
		if nr.Refractory < 0 || int(nr.Refractory) > a.MaxRefractory {
			p.add("neuron %d: refractory period %d out of 0..%d", j, nr.Refractory, a.MaxRefractory)
		}
		switch {
		case nr.ALIF && !a.ALIF:
			p.add("neuron %d: ALIF on an arithmetic without adaptation", j)
		case nr.ALIF:
			if !codeOK(nr.AdaptDecay, a, maxCode) {
				p.add("neuron %d: adaptation decay code %d out of range", j, nr.AdaptDecay)
			}
			if nr.AdaptInc < 0 || nr.AdaptInc > adaptMax {
				p.add("neuron %d: adaptation increment %d out of 0..%d", j, nr.AdaptInc, adaptMax)
			}
		case nr.AdaptDecay != 0 || nr.AdaptInc != 0:
			p.add("neuron %d: a LIF neuron has adaptation parameters", j)
		}
	}
	groupsOK := len(n.Groups) > 0
	if !groupsOK {
		p.add("no exponent groups")
	}
	for g, gr := range n.Groups {
		if gr.Exponent < a.ExponentMin || gr.Exponent > a.ExponentMax {
			p.add("group %d: exponent %d out of %d..%d", g, gr.Exponent, a.ExponentMin, a.ExponentMax)
		}
	}
	switch a.Granularity {
	case targets.PerMatrix:
		if len(n.Groups) != 3 {
			p.add("granularity matrix: %d groups, want 3 (w_in, w_rec, w_out)", len(n.Groups))
			groupsOK = false
		}
	case targets.PerCore:
		if len(n.Groups) != 1 {
			p.add("granularity core: %d groups, want 1", len(n.Groups))
			groupsOK = false
		}
	case targets.PerSynapseGroup:
		if len(n.Groups) > a.ExponentGroupsPerCore {
			p.add("granularity synapse_group: %d groups, more than the %d a core holds", len(n.Groups), a.ExponentGroupsPerCore)
		}
	}
	mlo, mhi := targets.SignedRange(a.MantissaBits)
	// The exact sums read a random unit's sum at every synapse: seconds at 10^8
	// synapses. A weight's magnitude is at most 2^(MantissaBits-1+e) for the largest
	// exponent e, so they can reach maxSlotSum only when that times the number of
	// synapses can; otherwise the sums are skipped and nothing changes.
	eMax := 0
	for _, g := range n.Groups {
		eMax = max(eMax, g.Exponent)
	}
	mayReach := func(synapses int) bool { return a.MantissaBits-1+eMax+bits.Len(uint(synapses)) > 62 }
	var sums []int64 // nil: not needed
	if mayReach(len(n.In.Col) + len(n.Rec.Col)) {
		sums = make([]int64, N)
	}
	checkMatrix := func(name string, m *Matrix, rows, cols, minDelay int, delays, noDiag bool, group int, sums []int64) {
		if m.Rows != rows || m.Cols != cols {
			p.add("%s: shape %dx%d, want %dx%d", name, m.Rows, m.Cols, rows, cols)
			return
		}
		nnz := len(m.Col)
		if len(m.RowStart) != rows+1 || m.RowStart[0] != 0 || m.RowStart[rows] != nnz || len(m.Mantissa) != nnz ||
			len(m.RowGroup) != rows || (delays && len(m.Delay) != nnz) || (!delays && m.Delay != nil) {
			p.add("%s: malformed (row starts %d, synapses %d, mantissas %d, delays %d, row groups %d)", name, len(m.RowStart), nnz, len(m.Mantissa), len(m.Delay), len(m.RowGroup))
			return
		}
		// Extents first: a malformed one ends this matrix's check after the rows
		// before it. Those rows go in blocks to all cores, each block listing its
		// problems in row order and summing into its worker's own sums: the blocks'
		// lists are joined in order and saturating sums of non-negative terms do not
		// depend on grouping, so the result is the serial one.
		bad := rows
		for i := 0; i < rows; i++ {
			if lo, hi := m.RowStart[i], m.RowStart[i+1]; lo > hi || hi > nnz {
				bad = i
				break
			}
		}
		const block = 4096
		probs := make([]problems, (bad+block-1)/block)
		W := parallel.Workers(0)
		part := make([][]int64, W)
		parallel.For(len(probs), W, func(w, b int) {
			if sums != nil && part[w] == nil {
				part[w] = make([]int64, len(sums))
			}
			ps, p := part[w], &probs[b]
			for i := b * block; i < min(bad, (b+1)*block); i++ {
				lo, hi := m.RowStart[i], m.RowStart[i+1]
				g := m.RowGroup[i]
				if g < 0 || int(g) >= len(n.Groups) {
					p.add("%s: row %d: group %d out of range", name, i, g)
					continue
				}
				if groupsOK && group >= 0 && int(g) != group {
					p.add("%s: row %d in group %d, want %d for granularity %s", name, i, g, group, a.Granularity)
				}
				for k := lo; k < hi; k++ {
					j := int(m.Col[k])
					if j < 0 || j >= cols || (k > lo && m.Col[k] <= m.Col[k-1]) {
						p.add("%s: row %d: column %d out of range or out of order", name, i, j)
						continue
					}
					if noDiag && i == j {
						p.add("%s[%d,%d]: self-connection", name, i, j)
					}
					if mt := int64(m.Mantissa[k]); mt < mlo || mt > mhi {
						p.add("%s[%d,%d]: mantissa %d out of %d..%d", name, i, j, mt, mlo, mhi)
						continue
					}
					if delays {
						if d := int(m.Delay[k]); d < minDelay || d > a.MaxDelay {
							p.add("%s[%d,%d]: delay %d out of %d..%d", name, i, j, d, minDelay, a.MaxDelay)
						}
					}
					if ps != nil {
						w := n.Weight(m, i, k)
						if w < 0 {
							w = -w
						}
						ps[j] = min(ps[j]+w, maxSlotSum)
					}
				}
			}
		})
		for _, q := range probs {
			p = append(p, q...)
		}
		for _, ps := range part {
			for j, x := range ps {
				if x >= maxSlotSum-sums[j] {
					sums[j] = maxSlotSum
				} else {
					sums[j] += x
				}
			}
		}
		if bad < rows {
			p.add("%s: row %d has a malformed extent [%d,%d)", name, bad, m.RowStart[bad], m.RowStart[bad+1])
		}
	}
	inG, recG, outG := -1, -1, -1
	switch a.Granularity {
	case targets.PerMatrix:
		inG, recG, outG = 0, 1, 2
	case targets.PerCore:
		inG, recG, outG = 0, 0, 0
	}
	checkMatrix("w_in", &n.In, n.NIn, N, 0, true, false, inG, sums)
	checkMatrix("w_rec", &n.Rec, N, N, 1, true, true, recG, sums)
	for j, s := range sums {
		if s >= maxSlotSum {
			p.add("neuron %d: the sum of |weights| into it reaches 2^62", j)
		}
	}
	r := n.Readout
	nOut := r.W.Cols
	var osums []int64
	if mayReach(len(r.W.Col)) {
		osums = make([]int64, max(nOut, 0))
	}
	checkMatrix("w_out", &r.W, N, nOut, 0, false, false, outG, osums)
	for k, s := range osums {
		if s >= maxSlotSum {
			p.add("readout %d: the sum of |weights| into it reaches 2^62", k)
		}
	}
	if !codeOK(r.Decay, a, maxCode) {
		p.add("readout: decay code %d out of range", r.Decay)
	}
	if len(r.Bias) != nOut {
		p.add("readout: %d biases for %d units", len(r.Bias), nOut)
	}
	rlo, rhi := targets.SignedRange(a.ReadoutBits)
	for k, b := range r.Bias {
		if b < rlo || b > rhi {
			p.add("readout %d: bias %d does not fit %d bits", k, b, a.ReadoutBits)
		}
	}
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

func codeOK(c int32, a Arithmetic, maxCode int64) bool {
	if a.Decay.Representation == targets.DecayShift {
		return c >= 1 && int64(c) <= maxCode
	}
	return c >= 0 && int64(c) <= maxCode
}

// ValidationError lists every problem Validate found in an integer network.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return listError("quant: invalid integer network", e.Problems)
}
