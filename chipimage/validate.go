package chipimage

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/snnc/snnc/targets"
)

// maxNetwork bounds the neurons, inputs and readouts of an image, as lsnn does.
const maxNetwork = 1 << 24

// maxSlotSum bounds the sum of |weight| into one neuron or readout unit, so that exact
// accumulator sums fit an int64 (docs/arithmetic.md, section 7).
const maxSlotSum = int64(1) << 62

// problems collects what a check finds.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// rng reports whether lo <= v <= hi, and records a problem if not.
func (p *problems) rng(name string, v, lo, hi int) bool {
	if v < lo || v > hi {
		p.add("%s = %d: want %d..%d", name, v, lo, hi)
		return false
	}
	return true
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(p, "; "))
}

// checkHeader checks the header's names, counts and limits against the bounds of
// package targets, so that every size derived from them is safe to use.
func checkHeader(h *Header, nCores, nRouters int) error {
	var p problems
	add, rng := p.add, p.rng
	if !validName(h.Target) {
		add("target name %q: want 1 to 64 characters from A-Z a-z 0-9 . _ + - (not starting with a dot)", h.Target)
	}
	l := &h.Limits
	meshOK := rng("mesh.cols", l.Cols, 1, targets.MaxMeshSide)
	meshOK = rng("mesh.rows", l.Rows, 1, targets.MaxMeshSide) && meshOK
	meshOK = rng("mesh.cores_per_tile", l.CoresPerTile, 1, targets.MaxCoresPerTile) && meshOK
	if meshOK && int64(l.Cols)*int64(l.Rows)*int64(l.CoresPerTile) > targets.MaxCores {
		add("mesh: %d x %d tiles of %d cores: more than %d cores", l.Cols, l.Rows, l.CoresPerTile, targets.MaxCores)
		meshOK = false
	}
	if meshOK && rng("mesh.host_port.col", l.HostCol, 0, l.Cols-1) && rng("mesh.host_port.row", l.HostRow, 0, l.Rows-1) {
		onEdge := map[targets.Side]bool{targets.West: l.HostCol == 0, targets.East: l.HostCol == l.Cols-1,
			targets.North: l.HostRow == 0, targets.South: l.HostRow == l.Rows-1}[l.HostSide]
		if !onEdge {
			add("mesh.host_port: tile (%d, %d) is not on the %s edge", l.HostCol, l.HostRow, l.HostSide)
		}
	}
	rng("mesh.host_port.input_channels", l.InputChannels, 1, targets.MaxChannels)
	neuronsOK := rng("core.neurons", l.Neurons, 1, targets.MaxNeuronsPerCore)
	if neuronsOK {
		rng("core.alif_neuron_slots", l.ALIFNeuronSlots, 1, l.Neurons)
		rng("readout.neuron_slots", l.ReadoutNeuronSlots, 0, l.Neurons)
	}
	rng("core.input_axons", l.InputAxons, 1, targets.MaxAxonsPerCore)
	rng("core.fanout_entries", l.FanoutEntries, 1, targets.MaxFanoutEntries)
	rng("core.max_synapses_per_axon", l.MaxSynapsesPerAxon, 1, targets.MaxWords*targets.MaxWordBits)
	rng("core.synapse_memory.words", l.Words, 1, targets.MaxWords)
	rng("core.synapse_memory.word_bits", l.WordBits, 1, targets.MaxWordBits)
	rng("core.synapse_memory.synapses_per_word", l.SynapsesPerWord, 1, targets.MaxWordBits)
	rng("core.synapse_memory.delay_bits", l.DelayBits, 0, 16)
	unitsOK := rng("readout.units", l.ReadoutUnits, 1, targets.MaxChannels)
	if rng("core.synapse_memory.target_bits", l.TargetBits, 0, 32) && neuronsOK && unitsOK {
		need := int64(l.Neurons)
		if l.ReadoutNeuronSlots == 0 {
			need += int64(l.ReadoutUnits)
		}
		if int64(1)<<l.TargetBits < need {
			add("core.synapse_memory.target_bits = %d cannot index %d slots", l.TargetBits, need)
		}
	}
	if l.ReadoutNeuronSlots == 0 && meshOK && l.TotalCores() != 1 {
		add("readout.neuron_slots = 0 (dedicated readouts) on a target of %d cores", l.TotalCores())
	}
	if l.Multicast() {
		rng("router.table_entries", l.TableEntries, 1, 1<<20)
	} else {
		rng("router.table_entries", l.TableEntries, 0, 1<<20)
	}
	rng("neurons", h.N, 0, maxNetwork)
	rng("input channels", h.NIn, 0, min(maxNetwork, l.InputChannels))
	rng("readout units", h.NOut, 0, min(maxNetwork, l.ReadoutUnits))
	if meshOK {
		rng("cores used", nCores, 0, l.TotalCores())
		if l.Multicast() {
			rng("routing tables", nRouters, 0, l.Tiles())
		} else if nRouters != 0 {
			add("routing tables = %d on a unicast target: want 0", nRouters)
		}
	}
	return p.err()
}

func validName(s string) bool {
	if len(s) < 1 || len(s) > maxNameLen || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

// checkArith checks the arithmetic block and the network scalars: every width and
// rule the step relies on (docs/arithmetic.md, section 7).
func (img *Image) checkArith() error {
	a, l, n := &img.Arith, &img.Header.Limits, &img.Net
	var p problems
	add, rng := p.add, p.rng
	ok := rng("mantissa_bits", a.MantissaBits, 1, 32)
	ok = rng("exponent_min", a.ExponentMin, -64, 64) && ok
	ok = rng("exponent_max", a.ExponentMax, -64, 64) && ok
	if a.ExponentMin > a.ExponentMax {
		add("exponent range %d..%d is empty", a.ExponentMin, a.ExponentMax)
		ok = false
	}
	if a.Granularity == targets.PerSynapseGroup {
		rng("exponent_groups_per_core", a.ExponentGroupsPerCore, 1, targets.MaxAxonsPerCore)
	} else if a.ExponentGroupsPerCore != 0 {
		add("exponent_groups_per_core = %d: only for granularity synapse_group", a.ExponentGroupsPerCore)
	}
	for _, w := range []struct {
		name string
		v    int
	}{{"accumulator_bits", a.AccumulatorBits}, {"membrane_bits", a.MembraneBits}, {"adaptation_bits", a.AdaptationBits}, {"readout_bits", a.ReadoutBits}} {
		ok = rng(w.name, w.v, 2, targets.MaxStateBits) && ok
	}
	ok = rng("threshold_bits", a.ThresholdBits, 1, targets.MaxStateBits) && ok
	ok = rng("threshold_shift", a.ThresholdShift, 0, targets.MaxStateBits) && ok
	if ok {
		if a.ThresholdBits+a.ThresholdShift > a.MembraneBits-1 {
			add("threshold_bits + threshold_shift = %d + %d exceed the membrane's %d magnitude bits", a.ThresholdBits, a.ThresholdShift, a.MembraneBits-1)
		}
		if need := a.MantissaBits + max(a.ExponentMax, 0); need > min(a.AccumulatorBits, a.ReadoutBits) {
			add("the largest weight needs %d bits, more than the accumulators hold", need)
		}
		if e := a.MantissaBits + l.DelayBits + l.TargetBits; e*l.SynapsesPerWord > l.WordBits {
			add("%d synapse entries of %d bits do not fit a %d-bit word", l.SynapsesPerWord, e, l.WordBits)
		}
	}
	switch a.Decay.Representation {
	case targets.DecayMultiplier:
		if rng("decay.fraction_bits", a.Decay.FractionBits, 1, 31) && ok &&
			max(a.MembraneBits, a.AdaptationBits, a.ReadoutBits)+a.Decay.FractionBits > targets.MaxStateBits {
			add("state bits + decay.fraction_bits exceed %d", targets.MaxStateBits)
		}
		rng("decay.max_shift", a.Decay.MaxShift, 0, 0)
	case targets.DecayShift:
		rng("decay.max_shift", a.Decay.MaxShift, 1, targets.MaxStateBits)
		rng("decay.fraction_bits", a.Decay.FractionBits, 0, 0)
	}
	rng("decay.min_decrement", a.Decay.MinDecrement, 0, 1<<16)
	if rng("max_delay_steps", a.MaxDelay, 0, targets.MaxDelaySteps) && a.MaxDelay > 1<<l.DelayBits-1 {
		add("max_delay_steps = %d does not fit %d delay bits", a.MaxDelay, l.DelayBits)
	}
	rng("max_refractory_steps", a.MaxRefractory, 0, targets.MaxRefractory)
	if math.IsNaN(n.Dt) || math.IsInf(n.Dt, 0) || n.Dt <= 0 {
		add("dt = %v: want a positive finite number", n.Dt)
	}
	rng("state_exp", n.StateExp, -1000, 1000)
	rng("readout_exp", n.ReadoutExp, -1000, 1000)
	if rng("adapt_shift", n.AdaptShift, -62, 62) && ok && n.AdaptShift < 0 && a.AdaptationBits-1-n.AdaptShift > 62 {
		add("adapt_shift = %d: the adaptation state shifted left needs %d bits", n.AdaptShift, a.AdaptationBits-1-n.AdaptShift)
	}
	return p.err()
}

// codeOK reports whether c is a valid decay code of the arithmetic.
func (a *Arithmetic) codeOK(c int32) bool {
	if a.Decay.Representation == targets.DecayShift {
		return c >= 1 && int(c) <= a.Decay.MaxShift
	}
	return c >= 0 && int64(c) < int64(1)<<a.Decay.FractionBits
}

func fits(v int64, bits int) bool {
	lo, hi := targets.SignedRange(bits)
	return v >= lo && v <= hi
}

// effectiveWeight is docs/arithmetic.md's effective weight: m << e, or m / 2^-e
// rounded by the rule.
func effectiveWeight(m int64, e int, r targets.Rounding) int64 {
	if e >= 0 {
		return m << e
	}
	s := -e
	switch r {
	case targets.Floor:
		return m >> s
	case targets.TowardZero:
		if m < 0 {
			return -(-m >> s)
		}
		return m >> s
	case targets.HalfAwayFromZero:
		half := int64(1) << (s - 1)
		if m < 0 {
			return -((-m + half) >> s)
		}
		return (m + half) >> s
	default: // half-to-even
		q := m >> s
		rem, half := m-q<<s, int64(1)<<(s-1)
		if rem > half || rem == half && q&1 != 0 {
			q++
		}
		return q
	}
}

// validator holds what Validate builds while checking.
type validator struct {
	img *Image
	l   *Limits
	a   *Arithmetic
	lay Layout

	corePos *index     // core index -> position in img.Cores
	readout []int32    // per readout unit: position of its core + 1
	scratch []*scratch // per worker
}

// scratch is one worker's memory for checking one core at a time.
type scratch struct {
	slotUnit []int32      // per slot: see busy
	sums     []int64      // per slot: sum of |weight| into the unit based there
	chainOf  []int32      // per axon entry: the first entry of its chain
	mapped   []bool       // per axon entry: named by the axon map
	seen     []int32      // per tile: the route being walked that visited it
	seenSet  map[int]bool // the same on a mesh too large for an array
	stamp    int32
	queue    []int
}

func (v *validator) scratchFor(w int) *scratch {
	for len(v.scratch) <= w {
		v.scratch = append(v.scratch, nil)
	}
	if v.scratch[w] == nil {
		v.scratch[w] = &scratch{}
	}
	return v.scratch[w]
}

// index maps core (or tile) numbers to positions in a sorted list: densely when the
// numbers' range is not much larger than the list (so that the memory stays
// proportional to what the file holds), else by binary search.
type index struct {
	dense []int32
	keys  []int32
}

func newIndex(n int, keys []int32) *index {
	x := &index{keys: keys}
	if n <= 8*len(keys)+4096 {
		x.dense = make([]int32, n)
		for i := range x.dense {
			x.dense[i] = -1
		}
		for p, k := range keys {
			x.dense[k] = int32(p)
		}
	}
	return x
}

// pos is the position of k, or -1.
func (x *index) pos(k int) int {
	if x.dense != nil {
		if k < 0 || k >= len(x.dense) {
			return -1
		}
		return int(x.dense[k])
	}
	i, ok := slices.BinarySearch(x.keys, int32(k))
	if !ok || k != int(int32(k)) {
		return -1
	}
	return i
}

// spread runs f(0) .. f(n-1) on n goroutines and waits for them.
func spread(n int, f func(w int)) {
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w)
		}()
	}
	wg.Wait()
}

// each calls f(worker, i) for every i in [0, n) on up to GOMAXPROCS goroutines,
// handing out indices in increasing order, and returns the error of the smallest i
// that failed: the result does not depend on scheduling. Indices above a failed one
// may be skipped.
func each(n int, f func(worker, i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			if err := f(0, i); err != nil {
				return err
			}
		}
		return nil
	}
	var next, failAt atomic.Int64
	failAt.Store(math.MaxInt64)
	errs := make([]error, n)
	spread(workers, func(w int) {
		for {
			i := next.Add(1) - 1
			if i >= int64(n) || i > failAt.Load() {
				return
			}
			if err := f(w, int(i)); err != nil {
				errs[i] = err
				for {
					at := failAt.Load()
					if i >= at || failAt.CompareAndSwap(at, i) {
						break
					}
				}
			}
		}
	})
	if at := failAt.Load(); at != math.MaxInt64 {
		return errs[at]
	}
	return nil
}

// slotUnit values: 0 free; i+1 the base slot of neuron i; -(k+1) the base slot of
// readout unit position k; busy for the other slots a unit occupies.
const busy = math.MinInt32

// Validate checks everything a consumer of the image relies on: the header's limits
// against the bounds of package targets; the arithmetic; every value against its
// format; every count against the target's limits; every index in range; every
// neuron and readout unit present exactly once; synapse entries naming units of their
// core with delays the arithmetic allows; unused bits zero; and that spikes reach
// exactly the axons that expect them: on a unicast target the fan-out and input-map
// entries and the axon maps name each other one to one, and on a multicast target
// every key routed through the tables from its source reaches exactly the cores whose
// axon maps hold it, without loops. It returns an *Error naming the section, and the
// byte offset for a decoded image.
func (img *Image) Validate() error {
	v := &validator{img: img, l: &img.Header.Limits, a: &img.Arith}
	h := &img.Header
	if err := checkHeader(h, len(img.Cores), len(img.Routers)); err != nil {
		return v.secErr(tagHead, img.off.head, -1, "%s", err)
	}
	if err := img.checkArith(); err != nil {
		return v.secErr(tagArith, img.off.arith, -1, "%s", err)
	}
	v.lay = img.Layout()
	keys := make([]int32, len(img.Cores))
	for p := range img.Cores {
		c := img.Cores[p].Index
		if c < 0 || c >= v.l.TotalCores() {
			return v.coreErr(p, 0, "core index %d out of range 0..%d", c, v.l.TotalCores()-1)
		}
		if p > 0 && c <= img.Cores[p-1].Index {
			return v.coreErr(p, 0, "core %d after core %d: cores must be in ascending order", c, img.Cores[p-1].Index)
		}
		keys[p] = int32(c)
	}
	v.corePos = newIndex(v.l.TotalCores(), keys)
	if err := v.identities(); err != nil {
		return err
	}
	workers := min(runtime.GOMAXPROCS(0), max(len(img.Cores), 1))
	for w := 0; w < workers; w++ {
		v.scratchFor(w) // before any goroutine starts: scratchFor grows v.scratch
	}
	if err := each(len(img.Cores), func(w, p int) error { return v.core(p, v.scratch[w]) }); err != nil {
		return err
	}
	if err := v.outputs(); err != nil {
		return err
	}
	if err := v.inputs(); err != nil {
		return err
	}
	if err := v.routers(); err != nil {
		return err
	}
	return v.delivery()
}

// identities checks that every neuron and readout unit is in exactly one core.
func (v *validator) identities() error {
	img, h := v.img, &v.img.Header
	// Count before allocating: a header may claim 2^24 neurons in a tiny file.
	held, heldR := 0, 0
	for p := range img.Cores {
		held += len(img.Cores[p].Neurons)
		heldR += len(img.Cores[p].Readouts)
	}
	if held != h.N || heldR != h.NOut || len(img.Outputs) != h.NOut {
		return v.secErr(tagHead, img.off.head, -1, "%d neurons and %d readout units, but the cores hold %d and %d and the output map names %d",
			h.N, h.NOut, held, heldR, len(img.Outputs))
	}
	neuron := make([]bool, h.N)
	v.readout = make([]int32, h.NOut)
	for p := range img.Cores {
		c := &img.Cores[p]
		t := tablesOf(c)
		for i, n := range c.Neurons {
			at := t.neurons + neuronSize*int64(i)
			if n.ID < 0 || n.ID >= h.N {
				return v.coreErr(p, at, "neuron entry %d: id %d out of range 0..%d", i, n.ID, h.N-1)
			}
			if neuron[n.ID] {
				return v.coreErr(p, at, "neuron entry %d: neuron %d is placed twice", i, n.ID)
			}
			neuron[n.ID] = true
		}
		for k, r := range c.Readouts {
			at := t.readouts + readoutSize*int64(k)
			if r.Index < 0 || r.Index >= h.NOut {
				return v.coreErr(p, at, "readout entry %d: unit %d out of range 0..%d", k, r.Index, h.NOut-1)
			}
			if v.readout[r.Index] != 0 {
				return v.coreErr(p, at, "readout entry %d: readout unit %d is placed twice", k, r.Index)
			}
			v.readout[r.Index] = int32(p + 1)
		}
	}
	for i, seen := range neuron {
		if !seen {
			return v.secErr(tagHead, img.off.head, -1, "neuron %d is in no core", i)
		}
	}
	return nil
}

func (v *validator) secErr(tag string, off int64, rel int64, format string, args ...any) error {
	e := &Error{Section: tag, Offset: -1, Msg: fmt.Sprintf(format, args...)}
	if v.img.off.decoded {
		e.Section = fmt.Sprintf("section %s at offset %d", tag, off)
		if rel >= 0 {
			e.Offset = off + sectionHeaderSize + rel
		}
	}
	return e
}

// coreErr names core position p and, for a decoded image, the offset rel within its
// payload (when rel >= 0).
func (v *validator) coreErr(p int, rel int64, format string, args ...any) error {
	c := &v.img.Cores[p]
	e := &Error{Section: fmt.Sprintf("core %d", c.Index), Offset: -1, Msg: fmt.Sprintf(format, args...)}
	if v.img.off.decoded && p < len(v.img.off.cores) {
		off := v.img.off.cores[p]
		e.Section = fmt.Sprintf("section CORE at offset %d (core %d)", off, c.Index)
		if rel >= 0 {
			e.Offset = off + sectionHeaderSize + rel
		}
	}
	return e
}

// coreTables holds the offsets of a core section's tables within its payload.
type coreTables struct{ neurons, readouts, axons, amap, fstart, fanout, syn int64 }

func tablesOf(c *Core) coreTables {
	var t coreTables
	t.neurons = coreFixedSize + int64(len(c.Exponents))
	t.readouts = t.neurons + neuronSize*int64(len(c.Neurons))
	t.axons = t.readouts + readoutSize*int64(len(c.Readouts))
	t.amap = t.axons + axonSize*int64(len(c.Axons))
	t.fstart = t.amap + mapEntrySize*int64(len(c.AxonMap))
	t.fanout = t.fstart + 4*int64(len(c.FanoutStart))
	t.syn = t.fanout + 8*int64(len(c.Fanout))
	return t
}

func (v *validator) core(p int, sc *scratch) error {
	img, l, a := v.img, v.l, v.a
	c := &img.Cores[p]
	t := tablesOf(c)
	h := &img.Header
	if len(c.Neurons)+len(c.Readouts) == 0 {
		return v.coreErr(p, 4, "holds no neuron and no readout unit")
	}
	// Exponent table.
	maxGroups := a.ExponentGroupsPerCore
	switch a.Granularity {
	case targets.PerMatrix:
		maxGroups = 3
	case targets.PerCore:
		maxGroups = 1
	}
	if len(c.Exponents) > maxGroups {
		return v.coreErr(p, 12, "%d exponents: granularity %s allows %d per core", len(c.Exponents), a.Granularity, maxGroups)
	}
	for i, e := range c.Exponents {
		if e < a.ExponentMin || e > a.ExponentMax || i > 0 && e <= c.Exponents[i-1] {
			return v.coreErr(p, coreFixedSize+int64(i), "exponent %d = %d: want strictly increasing values in %d..%d", i, e, a.ExponentMin, a.ExponentMax)
		}
	}
	// Neurons: ids once in the image, slots in order without overlap, every parameter
	// and state in its format.
	// Per-slot scratch as long as the slots this core's units reach (at most the
	// core's neuron slots).
	need := 0
	for i := range c.Neurons {
		need = max(need, min(c.Neurons[i].Slot+l.ALIFNeuronSlots, l.Neurons))
	}
	if l.ReadoutNeuronSlots > 0 {
		for i := range c.Readouts {
			need = max(need, min(c.Readouts[i].Slot+l.ReadoutNeuronSlots, l.Neurons))
		}
	}
	if len(sc.slotUnit) < need {
		sc.slotUnit, sc.sums = make([]int32, need), make([]int64, need)
	}
	slots := sc.slotUnit[:need]
	clear(slots)
	thrMax := int64(1)<<a.ThresholdBits - 1
	_, adaptMax := targets.SignedRange(a.AdaptationBits)
	next := 0
	for i := range c.Neurons {
		n := &c.Neurons[i]
		at := t.neurons + neuronSize*int64(i)
		bad := func(rel int64, format string, args ...any) error {
			return v.coreErr(p, at+rel, "neuron entry %d (neuron %d): %s", i, n.ID, fmt.Sprintf(format, args...))
		}
		cost := 1
		if n.ALIF {
			cost = l.ALIFNeuronSlots
		}
		if n.Slot < next || n.Slot+cost > min(l.Neurons, need) {
			return bad(4, "slot %d (taking %d): want ascending, non-overlapping slots within 0..%d", n.Slot, cost, l.Neurons-1)
		}
		next = n.Slot + cost
		slots[n.Slot] = int32(i + 1)
		for s := n.Slot + 1; s < next; s++ {
			slots[s] = busy
		}
		switch {
		case n.ALIF && !a.ALIF:
			return bad(8, "ALIF on an arithmetic without adaptation")
		case n.Threshold < 0 || n.Threshold > thrMax:
			return bad(24, "threshold mantissa %d out of 0..%d", n.Threshold, thrMax)
		case !a.codeOK(n.MemDecay):
			return bad(16, "membrane decay code %d out of range", n.MemDecay)
		case n.Refractory < 0 || int(n.Refractory) > a.MaxRefractory:
			return bad(12, "refractory period %d out of 0..%d", n.Refractory, a.MaxRefractory)
		case n.ALIF && !a.codeOK(n.AdaptDecay):
			return bad(20, "adaptation decay code %d out of range", n.AdaptDecay)
		case n.ALIF && (n.AdaptInc < 0 || n.AdaptInc > adaptMax):
			return bad(32, "adaptation increment %d out of 0..%d", n.AdaptInc, adaptMax)
		case !n.ALIF && (n.AdaptDecay != 0 || n.AdaptInc != 0 || n.B != 0):
			return bad(20, "a LIF neuron has adaptation parameters or state")
		case !fits(n.V, a.MembraneBits):
			return bad(40, "initial membrane %d does not fit %d bits", n.V, a.MembraneBits)
		case !fits(n.B, a.AdaptationBits):
			return bad(48, "initial adaptation %d does not fit %d bits", n.B, a.AdaptationBits)
		case n.RefrLeft < 0 || n.RefrLeft > n.Refractory:
			return bad(56, "initial refractory counter %d out of 0..%d", n.RefrLeft, n.Refractory)
		}
	}
	// Readout units.
	dedicated := l.ReadoutNeuronSlots == 0
	for k := range c.Readouts {
		r := &c.Readouts[k]
		at := t.readouts + readoutSize*int64(k)
		bad := func(rel int64, format string, args ...any) error {
			return v.coreErr(p, at+rel, "readout entry %d (unit %d): %s", k, r.Index, fmt.Sprintf(format, args...))
		}
		if dedicated {
			if r.Slot != l.Neurons+r.Index || k > 0 && r.Index <= c.Readouts[k-1].Index {
				return bad(4, "slot %d: a dedicated readout unit k has slot %d + k, in ascending order", r.Slot, l.Neurons)
			}
		} else {
			if k > 0 && r.Slot <= c.Readouts[k-1].Slot || r.Slot < 0 || r.Slot+l.ReadoutNeuronSlots > min(l.Neurons, need) {
				return bad(4, "slot %d: want ascending slots within 0..%d", r.Slot, l.Neurons-l.ReadoutNeuronSlots)
			}
			for s := r.Slot; s < r.Slot+l.ReadoutNeuronSlots; s++ {
				if slots[s] != 0 {
					return bad(4, "slot %d overlaps another unit", s)
				}
				slots[s] = busy
			}
			slots[r.Slot] = int32(-(k + 1))
		}
		switch {
		case !a.codeOK(r.Decay):
			return bad(8, "decay code %d out of range", r.Decay)
		case !fits(r.Bias, a.ReadoutBits):
			return bad(12, "bias %d does not fit %d bits", r.Bias, a.ReadoutBits)
		case !fits(r.Y, a.ReadoutBits):
			return bad(20, "initial state %d does not fit %d bits", r.Y, a.ReadoutBits)
		}
	}
	// Axon table: contiguous lists in order, each within the limits.
	if len(c.Axons) > l.InputAxons {
		return v.coreErr(p, 16, "%d axon-table entries, the target's limit is %d", len(c.Axons), l.InputAxons)
	}
	if cap(sc.chainOf) < len(c.Axons) {
		sc.chainOf = make([]int32, len(c.Axons))
		sc.mapped = make([]bool, len(c.Axons))
	}
	chainOf, mapped := sc.chainOf[:len(c.Axons)], sc.mapped[:len(c.Axons)]
	clear(mapped)
	words, start, chains := 0, 0, 0
	for i, x := range c.Axons {
		at := t.axons + axonSize*int64(i)
		if x.Count < 1 || int(x.Count) > l.MaxSynapsesPerAxon {
			return v.coreErr(p, at+4, "axon entry %d: %d synapses: want 1..%d (core.max_synapses_per_axon)", i, x.Count, l.MaxSynapsesPerAxon)
		}
		if int(x.Group) >= len(c.Exponents) {
			return v.coreErr(p, at+8, "axon entry %d: exponent group %d out of range 0..%d", i, x.Group, len(c.Exponents)-1)
		}
		if int(x.FirstWord) != words {
			return v.coreErr(p, at, "axon entry %d: first word %d: lists are contiguous in table order, want %d", i, x.FirstWord, words)
		}
		words += v.lay.WordsFor(int(x.Count))
		if words > l.Words {
			return v.coreErr(p, at, "axon entry %d: its list ends at word %d, beyond the %d words of synapse memory", i, words, l.Words)
		}
		chainOf[i] = int32(start)
		if i == start {
			chains++
		}
		if !x.More {
			start = i + 1
		}
	}
	if len(c.Axons) > 0 && c.Axons[len(c.Axons)-1].More {
		return v.coreErr(p, t.axons+axonSize*int64(len(c.Axons)-1)+9, "the last axon entry continues to an entry that does not exist")
	}
	if words != c.Words || len(c.Synapses) != c.Words*v.lay.WordBytes {
		return v.coreErr(p, 24, "%d words of synapse memory (%d bytes), but the axon lists use %d words", c.Words, len(c.Synapses), words)
	}
	// Axon map: one entry per chain, by ascending source; then every synapse.
	if len(c.AxonMap) != chains {
		return v.coreErr(p, 20, "%d axon-map entries for %d axons", len(c.AxonMap), chains)
	}
	sums := sc.sums[:need]
	clear(sums)
	var dsums map[int]int64 // dedicated readouts, by unit
	for i, m := range c.AxonMap {
		at := t.amap + mapEntrySize*int64(i)
		if i > 0 && m.Source <= c.AxonMap[i-1].Source {
			return v.coreErr(p, at, "axon-map entry %d: source %d: want strictly ascending sources", i, m.Source)
		}
		input, sc, ss, ch, ok := l.Source(m.Source)
		switch {
		case !ok:
			return v.coreErr(p, at, "axon-map entry %d: source id %d names no neuron slot or input channel", i, m.Source)
		case input && ch >= h.NIn:
			return v.coreErr(p, at, "axon-map entry %d: input channel %d out of range 0..%d", i, ch, h.NIn-1)
		case m.Axon < 0 || m.Axon >= len(c.Axons) || int(chainOf[m.Axon]) != m.Axon:
			return v.coreErr(p, at+8, "axon-map entry %d: axon %d is not the first entry of an axon", i, m.Axon)
		case mapped[m.Axon]:
			return v.coreErr(p, at+8, "axon-map entry %d: axon %d is mapped twice", i, m.Axon)
		}
		mapped[m.Axon] = true
		selfSlot := -1
		if !input && sc == c.Index {
			selfSlot = ss
		}
		prev := -1
		for e := m.Axon; ; e++ {
			x := c.Axons[e]
			exp := c.Exponents[x.Group]
			at := t.syn + int64(x.FirstWord)*int64(v.lay.WordBytes)
			rd := v.lay.Reader(c.Synapses, int(x.FirstWord))
			for k := 0; k < int(x.Count); k++ {
				s := rd.Next()
				bad := func(format string, args ...any) error {
					return v.coreErr(p, at+int64(k/v.lay.PerWord*v.lay.WordBytes), "axon entry %d, synapse %d: %s", e, k, fmt.Sprintf(format, args...))
				}
				if s.Target <= prev {
					return bad("target slot %d after %d: targets strictly ascend along an axon", s.Target, prev)
				}
				prev = s.Target
				w := effectiveWeight(int64(s.Mantissa), exp, a.Rounding)
				if w < 0 {
					w = -w
				}
				if s.Target >= l.Neurons {
					k := s.Target - l.Neurons
					pos := sort.Search(len(c.Readouts), func(j int) bool { return c.Readouts[j].Index >= k })
					if !dedicated || pos == len(c.Readouts) || c.Readouts[pos].Index != k {
						return bad("target slot %d holds no unit", s.Target)
					}
					if s.Delay != 0 {
						return bad("delay %d into a readout unit: want 0", s.Delay)
					}
					if dsums == nil {
						dsums = map[int]int64{}
					}
					dsums[k] = min(dsums[k]+w, maxSlotSum)
					if dsums[k] >= maxSlotSum {
						return bad("the sum of |weights| into readout unit %d reaches 2^62", k)
					}
					continue
				}
				u := int32(0)
				if s.Target < len(slots) {
					u = slots[s.Target]
				}
				switch {
				case u == 0 || u == busy:
					return bad("target slot %d is not the base slot of a unit", s.Target)
				case u < 0 && s.Delay != 0:
					return bad("delay %d into a readout unit: want 0", s.Delay)
				case u > 0 && input && s.Delay > a.MaxDelay:
					return bad("delay %d from an input: want 0..%d", s.Delay, a.MaxDelay)
				case u > 0 && !input && s.Delay > a.MaxDelay-1:
					return bad("stored delay %d from a neuron: want 0..%d (the model's delay minus one)", s.Delay, a.MaxDelay-1)
				case s.Target == selfSlot && u > 0:
					return bad("neuron %d connects to itself", c.Neurons[u-1].ID)
				}
				sums[s.Target] = min(sums[s.Target]+w, maxSlotSum)
				if sums[s.Target] >= maxSlotSum {
					return bad("the sum of |weights| into slot %d reaches 2^62", s.Target)
				}
			}
			if err := v.zeroTail(c, x); err != nil {
				return v.coreErr(p, at, "axon entry %d: %v", e, err)
			}
			if !x.More {
				break
			}
		}
	}
	// Fan-out table.
	if len(c.FanoutStart) != len(c.Neurons)+1 || c.FanoutStart[0] != 0 || int(c.FanoutStart[len(c.Neurons)]) != len(c.Fanout) {
		return v.coreErr(p, t.fstart, "fan-out starts: %d of them, first %d, last %d; want %d from 0 to %d",
			len(c.FanoutStart), first(c.FanoutStart), last(c.FanoutStart), len(c.Neurons)+1, len(c.Fanout))
	}
	if len(c.Fanout) > l.FanoutEntries {
		return v.coreErr(p, 28, "%d fan-out entries, the target's limit is %d", len(c.Fanout), l.FanoutEntries)
	}
	for i := range c.Neurons {
		lo, hi := c.FanoutStart[i], c.FanoutStart[i+1]
		if hi < lo {
			return v.coreErr(p, t.fstart+4*int64(i+1), "fan-out start %d of neuron entry %d is below the previous one", hi, i)
		}
		if l.Multicast() {
			if hi-lo > 1 {
				return v.coreErr(p, t.fanout+8*int64(lo), "neuron entry %d: %d fan-out keys: a multicast neuron sends one key", i, hi-lo)
			}
			if hi > lo && c.Fanout[lo].Key() != l.NeuronSource(c.Index, c.Neurons[i].Slot) {
				return v.coreErr(p, t.fanout+8*int64(lo), "neuron entry %d: key %d, want its source id %d", i, c.Fanout[lo].Key(), l.NeuronSource(c.Index, c.Neurons[i].Slot))
			}
			continue
		}
		for j := lo; j < hi; j++ {
			d := c.Fanout[j]
			if v.corePos.pos(d.Core()) < 0 || j > lo && d.Core() <= c.Fanout[j-1].Core() {
				return v.coreErr(p, t.fanout+8*int64(j), "neuron entry %d: destination core %d: want ascending cores that hold something", i, d.Core())
			}
		}
	}
	return nil
}

func first(s []uint32) uint32 {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}

func last(s []uint32) uint32 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

// zeroTail checks that the bits of x's words that hold no entry are zero.
func (v *validator) zeroTail(c *Core, x Axon) error {
	y := v.lay
	nw := y.WordsFor(int(x.Count))
	for w := 0; w < nw; w++ {
		used := y.PerWord
		if w == nw-1 {
			used = int(x.Count) - w*y.PerWord
		}
		fw := int(x.FirstWord) + w
		word := c.Synapses[fw*y.WordBytes : (fw+1)*y.WordBytes]
		from := used * y.EntryBits()
		b := from / 8
		if r := from % 8; r != 0 {
			if word[b]>>r != 0 {
				return fmt.Errorf("word %d: bits above its %d entries are not zero", fw, used)
			}
			b++
		}
		for ; b < len(word); b++ {
			if word[b] != 0 {
				return fmt.Errorf("word %d: bits above its %d entries are not zero", fw, used)
			}
		}
	}
	return nil
}

func (v *validator) outputs() error {
	img := v.img
	for k, o := range img.Outputs {
		at := 8 * int64(k)
		p := v.readout[k]
		if p == 0 {
			return v.secErr(tagOutput, img.off.outputs, at, "readout unit %d is in no core", k)
		}
		c := &img.Cores[p-1]
		if o.Core != c.Index {
			return v.secErr(tagOutput, img.off.outputs, at, "readout unit %d: core %d, but core %d holds it", k, o.Core, c.Index)
		}
		for _, r := range c.Readouts {
			if r.Index == k && r.Slot != o.Slot {
				return v.secErr(tagOutput, img.off.outputs, at+4, "readout unit %d: slot %d, but it is at slot %d", k, o.Slot, r.Slot)
			}
		}
	}
	return nil
}

func (v *validator) inputs() error {
	img, l := v.img, v.l
	in := &img.Inputs
	nIn := img.Header.NIn
	if len(in.Start) != nIn+1 || in.Start[0] != 0 || int(in.Start[nIn]) != len(in.Dest) {
		return v.secErr(tagInputs, img.off.inputs, 0, "%d starts, first %d, last %d: want %d from 0 to %d", len(in.Start), first(in.Start), last(in.Start), nIn+1, len(in.Dest))
	}
	dests := 4 * int64(nIn+1)
	for ch := 0; ch < nIn; ch++ {
		lo, hi := in.Start[ch], in.Start[ch+1]
		if hi < lo {
			return v.secErr(tagInputs, img.off.inputs, 4*int64(ch+1), "channel %d: start %d below the previous one", ch+1, hi)
		}
		for j := lo; j < hi; j++ {
			d := in.Dest[j]
			at := dests + 8*int64(j)
			if l.Multicast() {
				if hi-lo > 1 || d.Key() != l.InputSource(ch) {
					return v.secErr(tagInputs, img.off.inputs, at, "channel %d: key %d: want one key, its source id %d", ch, d.Key(), l.InputSource(ch))
				}
				continue
			}
			if v.corePos.pos(d.Core()) < 0 || j > lo && d.Core() <= in.Dest[j-1].Core() {
				return v.secErr(tagInputs, img.off.inputs, at, "channel %d: destination core %d: want ascending cores that hold something", ch, d.Core())
			}
		}
	}
	return nil
}

func (v *validator) routers() error {
	img, l := v.img, v.l
	keyMask := lowMask(l.KeyBits())
	coreMask := lowMask(l.CoresPerTile)
	for p := range img.Routers {
		r := &img.Routers[p]
		off := int64(-1)
		if img.off.decoded {
			off = img.off.routers[p]
		}
		if r.Tile < 0 || r.Tile >= l.Tiles() || p > 0 && r.Tile <= img.Routers[p-1].Tile {
			return v.secErr(tagRouter, off, 0, "tile %d: want ascending tiles in 0..%d", r.Tile, l.Tiles()-1)
		}
		if len(r.Entries) < 1 || len(r.Entries) > l.TableEntries {
			return v.secErr(tagRouter, off, 4, "tile %d: %d entries: want 1..%d (router.table_entries)", r.Tile, len(r.Entries), l.TableEntries)
		}
		col, row := r.Tile%l.Cols, r.Tile/l.Cols
		var offEdge uint8
		if row == 0 {
			offEdge |= LinkNorth
		}
		if row == l.Rows-1 {
			offEdge |= LinkSouth
		}
		if col == 0 {
			offEdge |= LinkWest
		}
		if col == l.Cols-1 {
			offEdge |= LinkEast
		}
		for i, e := range r.Entries {
			at := routerFixedSize + routeEntrySize*int64(i)
			switch {
			case e.Key&^e.Mask != 0 || e.Mask&^keyMask != 0:
				return v.secErr(tagRouter, off, at, "tile %d, entry %d: key %#x, mask %#x: want key bits within the mask and the mask within %d bits", r.Tile, i, e.Key, e.Mask, l.KeyBits())
			case e.Links&^linksAll != 0 || e.Links&offEdge != 0:
				return v.secErr(tagRouter, off, at+16, "tile %d, entry %d: links %#x: a link leaves the mesh or is unknown", r.Tile, i, e.Links)
			case e.Cores&^coreMask != 0:
				return v.secErr(tagRouter, off, at+17, "tile %d, entry %d: local cores %#x: the tile has %d", r.Tile, i, e.Cores, l.CoresPerTile)
			case e.Links == 0 && e.Cores == 0:
				return v.secErr(tagRouter, off, at+16, "tile %d, entry %d: sends nowhere", r.Tile, i)
			}
		}
	}
	return nil
}

// delivery checks that senders and axons name each other one to one. Senders are
// visited in ascending source id (cores in order, neurons by slot, then input
// channels), and every core's axon map is sorted by source (core checked both), so
// each core keeps a cursor into its map: a packet for core c from source S must find
// S at c's cursor (with the axon the packet names, on a unicast target), and at the
// end every cursor must have reached the end of its map.
//
// The senders are cut into ranges (of cores, and the input channels), each walked
// once by one worker with cursors of its own. A range's cursors start at the first
// map entries whose sources are not below the range's first possible source id (at
// 0 for the first range), and must end where the next range's start (at the maps'
// ends for the last): since sources ascend and the maps are sorted, that is the
// same as one cursor per core walked over all senders. Walking each fan-out entry
// once, instead of once per worker, and reading every map as one stream per range,
// is what makes the check fast on a large image. Any failure falls back to
// deliveryAll, the single walk, so that the error reported is the one its order
// finds.
func (v *validator) delivery() error {
	img, l := v.img, v.l
	if len(img.Cores) == 0 {
		return nil // inputs() found that no input-map entry names a core
	}
	if !l.Multicast() {
		return v.deliveryByReceiver()
	}
	tilePos := v.tilePos()
	K := len(img.Cores)
	nr := min(K, 4*max(1, len(v.scratch))) // ranges of cores; range nr is the inputs
	lo := func(r int) int { return r * K / nr }
	// starts[r][p]: where range r's cursor into core p's map starts, and so where
	// range r-1's must end.
	starts := make([][]int32, nr+2)
	for r := range starts {
		x := make([]int32, K)
		for p := range img.Cores {
			m := img.Cores[p].AxonMap
			switch {
			case r == 0:
			case r == nr+1:
				x[p] = int32(len(m))
			default:
				id := l.InputSource(0)
				if r < nr {
					id = l.NeuronSource(img.Cores[lo(r)].Index, 0)
				}
				x[p] = int32(sort.Search(len(m), func(j int) bool { return m[j].Source >= id }))
			}
		}
		starts[r] = x
	}
	// rests[r][p]: what remains of core p's map for range r's cursor; a packet
	// arriving as expected drops the map's first entry. (One slice header per core
	// in a row keeps the random accesses of uniform connectivity to two cache lines
	// a packet.)
	rests := make([][][]AxonSource, nr+1)
	err := each(nr+1, func(w, r int) error {
		rest := make([][]AxonSource, K)
		for p := range rest {
			rest[p] = img.Cores[p].AxonMap[starts[r][p]:]
		}
		rests[r] = rest
		arrive := func(p int, src uint64, axon int) bool {
			m := rest[p]
			if len(m) == 0 || m[0].Source != src || axon >= 0 && m[0].Axon != axon {
				return false
			}
			rest[p] = m[1:]
			return true
		}
		var ordinal int
		if r < nr {
			return v.walkSenders(v.scratchFor0(w), tilePos, lo(r), lo(r+1), false, &ordinal, arrive)
		}
		return v.walkSenders(v.scratchFor0(w), tilePos, K, K, true, &ordinal, arrive)
	})
	for r := 0; err == nil && r <= nr; r++ {
		for p, m := range rests[r] {
			if i := int32(len(img.Cores[p].AxonMap) - len(m)); i != starts[r+1][p] { // entries i..starts[r+1][p]-1 were not reached
				err = v.coreErr(p, tablesOf(&img.Cores[p]).amap+mapEntrySize*int64(i),
					"axon-map entry %d: source %d sends it nothing (no fan-out or input-map entry reaches this axon)", i, img.Cores[p].AxonMap[i].Source)
				break
			}
		}
	}
	if err != nil {
		// Name the failure the single walk finds first; it finds one, since it
		// checks the same property.
		if errAll := v.deliveryAll(tilePos); errAll != nil {
			return errAll
		}
	}
	return err
}

// receiverBlock is the number of receiving cores whose cursors one walk of
// deliveryByReceiver keeps: their map heads and cursors stay in a core's cache.
const receiverBlock = 1024

// deliveryByReceiver is delivery on a unicast target, where a packet's receiver is
// read off its fan-out entry. Under uniform connectivity every fan-out entry names
// a core at random, and with cursors for every core each entry costs a few misses
// of every cache. So the receiving cores are cut into blocks of receiverBlock (at
// least one per worker), each checked by one worker with cursors for its block
// alone, which stay in cache. Every fan-out list is sorted by core (core and
// inputs checked that), so a block's packets of one sender are a run found by
// binary search. Any failure falls back to deliveryAll, to report the first
// failure in sender order.
func (v *validator) deliveryByReceiver() error {
	img, l := v.img, v.l
	K := len(img.Cores)
	nb := min(K, max(len(v.scratch), (K+receiverBlock-1)/receiverBlock))
	err := each(nb, func(_, b int) error {
		lo, hi := b*K/nb, (b+1)*K/nb
		first, last := img.Cores[lo].Index, img.Cores[hi-1].Index
		rest := make([][]AxonSource, hi-lo)
		for p := range rest {
			rest[p] = img.Cores[lo+p].AxonMap
		}
		fail := errors.New("a packet finds no axon-map entry")
		send := func(src uint64, ds []Dest) error {
			i := sort.Search(len(ds), func(j int) bool { return ds[j].Core() >= first })
			for ; i < len(ds) && ds[i].Core() <= last; i++ {
				p := v.corePos.pos(ds[i].Core()) - lo
				m := rest[p]
				if len(m) == 0 || m[0].Source != src || m[0].Axon != ds[i].Axon() {
					return fail
				}
				rest[p] = m[1:]
			}
			return nil
		}
		for p := range img.Cores {
			c := &img.Cores[p]
			for i := range c.Neurons {
				if err := send(l.NeuronSource(c.Index, c.Neurons[i].Slot), c.Fanout[c.FanoutStart[i]:c.FanoutStart[i+1]]); err != nil {
					return err
				}
			}
		}
		in := &img.Inputs
		for ch := 0; ch < img.Header.NIn; ch++ {
			if err := send(l.InputSource(ch), in.Dest[in.Start[ch]:in.Start[ch+1]]); err != nil {
				return err
			}
		}
		for _, m := range rest {
			if len(m) > 0 {
				return errors.New("an axon-map entry is not reached")
			}
		}
		return nil
	})
	if err != nil {
		if errAll := v.deliveryAll(nil); errAll != nil {
			return errAll
		}
	}
	return err
}

// tilePos indexes the routers by tile on a multicast target, else is nil.
func (v *validator) tilePos() *index {
	if !v.l.Multicast() {
		return nil
	}
	keys := make([]int32, len(v.img.Routers))
	for p := range v.img.Routers {
		keys[p] = int32(v.img.Routers[p].Tile)
	}
	return newIndex(v.l.Tiles(), keys)
}

// walkSenders passes every packet of the neurons of cores lo..hi-1 (by position),
// then, if inputs, of the input channels, to arrive, which says whether the packet
// is expected (axon is -1 on a multicast target); ordinal counts the senders
// visited. It stops at the first error. (arrive reports a bool rather than taking a
// function that builds the error: such a closure escapes, and allocating one per
// fan-out entry cost most of the check's time.)
func (v *validator) walkSenders(sc *scratch, tilePos *index, lo, hi int, inputs bool, ordinal *int, arrive func(p int, src uint64, axon int) bool) error {
	img, l := v.img, v.l
	for p := lo; p < hi; p++ {
		c := &img.Cores[p]
		t := tablesOf(c)
		col, row := l.TileOf(c.Index)
		for i := range c.Neurons {
			*ordinal++
			src := l.NeuronSource(c.Index, c.Neurons[i].Slot)
			for j := c.FanoutStart[i]; j < c.FanoutStart[i+1]; j++ {
				d := c.Fanout[j]
				var err error
				if l.Multicast() {
					err = v.route(sc, tilePos, d.Key(), row*l.Cols+col, fmt.Sprintf("neuron %d", c.Neurons[i].ID), arrive)
				} else {
					if !arrive(v.corePos.pos(d.Core()), src, d.Axon()) {
						err = v.coreErr(p, t.fanout+8*int64(j), "neuron %d sends to core %d, axon %d, which is not the axon core %d's map gives its source id %d",
							c.Neurons[i].ID, d.Core(), d.Axon(), d.Core(), src)
					}
				}
				if err != nil {
					return err
				}
			}
		}
	}
	if !inputs {
		return nil
	}
	in := &img.Inputs
	for ch := 0; ch < img.Header.NIn; ch++ {
		*ordinal++
		src := l.InputSource(ch)
		for j := in.Start[ch]; j < in.Start[ch+1]; j++ {
			d := in.Dest[j]
			var err error
			if l.Multicast() {
				err = v.route(sc, tilePos, d.Key(), l.HostRow*l.Cols+l.HostCol, fmt.Sprintf("input channel %d", ch), arrive)
			} else {
				if !arrive(v.corePos.pos(d.Core()), src, d.Axon()) {
					err = v.secErr(tagInputs, img.off.inputs, 4*int64(img.Header.NIn+1)+8*int64(j),
						"channel %d sends to core %d, axon %d, which is not the axon core %d's map gives its source id", ch, d.Core(), d.Axon(), d.Core())
				}
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// deliveryAll is delivery's check as one walk over all senders with one cursor per
// core: workers own ranges of destination cores and each walks all senders, checking
// only its cores. It reports the failure of the first sender that fails, else the
// first map entry no sender reached.
func (v *validator) deliveryAll(tilePos *index) error {
	img := v.img
	workers := max(1, min(len(v.scratch), len(img.Cores)))
	owner := func(p int) int { return p * workers / len(img.Cores) }
	cursor := make([]int32, len(img.Cores))
	type failure struct {
		at  int // sender ordinal
		err error
	}
	fails := make([]failure, workers)
	spread(workers, func(w int) {
		// arrive checks a packet of source src reaching core position p, naming
		// axon (or -1 on a multicast target).
		arrive := func(p int, src uint64, axon int) bool {
			if owner(p) != w {
				return true
			}
			m := img.Cores[p].AxonMap
			i := cursor[p]
			if int(i) >= len(m) || m[i].Source != src || axon >= 0 && m[i].Axon != axon {
				return false
			}
			cursor[p]++
			return true
		}
		ordinal := 0
		if err := v.walkSenders(v.scratchFor0(w), tilePos, 0, len(img.Cores), true, &ordinal, arrive); err != nil {
			fails[w] = failure{ordinal, err}
		}
	})
	var first *failure
	for w := range fails {
		if f := &fails[w]; f.err != nil && (first == nil || f.at < first.at) {
			first = f
		}
	}
	if first != nil {
		return first.err
	}
	for p := range img.Cores {
		if m := img.Cores[p].AxonMap; int(cursor[p]) != len(m) {
			return v.coreErr(p, tablesOf(&img.Cores[p]).amap+mapEntrySize*int64(cursor[p]),
				"axon-map entry %d: source %d sends it nothing (no fan-out or input-map entry reaches this axon)", cursor[p], m[cursor[p]].Source)
		}
	}
	return nil
}

// scratchFor0 is scratchFor for goroutines: the slice was sized before they started.
func (v *validator) scratchFor0(w int) *scratch {
	if w < len(v.scratch) && v.scratch[w] != nil {
		return v.scratch[w]
	}
	return &scratch{}
}

// route walks a multicast key from a tile through the routing tables: every router on
// its way must have an entry for it and no tile may be visited twice; every core it
// reaches is passed to arrive.
func (v *validator) route(sc *scratch, tilePos *index, key uint64, tile int, who string, arrive func(p int, src uint64, axon int) bool) error {
	img, l := v.img, v.l
	// Tiles visited by this key: a stamp per tile when the routing tables justify
	// an array as long as the mesh, else a set.
	if sc.seen == nil && sc.seenSet == nil {
		if tilePos.dense != nil {
			sc.seen = make([]int32, l.Tiles())
		} else {
			sc.seenSet = map[int]bool{}
		}
	}
	sc.stamp++
	if sc.stamp == math.MaxInt32 {
		clear(sc.seen)
		sc.stamp = 1
	}
	clear(sc.seenSet)
	stamp := sc.stamp
	visited := func(t int) bool {
		if sc.seen != nil {
			return sc.seen[t] == stamp
		}
		return sc.seenSet[t]
	}
	visit := func(t int) {
		if sc.seen != nil {
			sc.seen[t] = stamp
		} else {
			sc.seenSet[t] = true
		}
	}
	sc.queue = append(sc.queue[:0], tile)
	visit(tile)
	for len(sc.queue) > 0 {
		tl := sc.queue[0]
		sc.queue = sc.queue[1:]
		col, row := tl%l.Cols, tl/l.Cols
		rp := tilePos.pos(tl)
		if rp < 0 {
			return v.secErr(tagHead, img.off.head, -1, "%s: key %d reaches tile (%d, %d), which has no routing table", who, key, col, row)
		}
		var e *RouteEntry
		for i := range img.Routers[rp].Entries {
			if x := &img.Routers[rp].Entries[i]; key&x.Mask == x.Key {
				e = x
				break
			}
		}
		if e == nil {
			return v.secErr(tagRouter, v.routerOff(int(rp)), -1, "%s: key %d reaches tile (%d, %d), whose table has no entry for it", who, key, col, row)
		}
		for _, n := range [...]struct {
			bit      uint8
			dc, dr   int
			name     string
			inBounds bool
		}{{LinkNorth, 0, -1, "north", row > 0}, {LinkEast, 1, 0, "east", col < l.Cols-1}, {LinkSouth, 0, 1, "south", row < l.Rows-1}, {LinkWest, -1, 0, "west", col > 0}} {
			if e.Links&n.bit == 0 || !n.inBounds {
				continue
			}
			nt := (row+n.dr)*l.Cols + col + n.dc
			if visited(nt) {
				return v.secErr(tagRouter, v.routerOff(rp), -1, "%s: key %d loops: tile (%d, %d) sends it %s to a tile it already visited", who, key, col, row, n.name)
			}
			visit(nt)
			sc.queue = append(sc.queue, nt)
		}
		for lc := 0; lc < l.CoresPerTile; lc++ {
			if e.Cores>>lc&1 == 0 {
				continue
			}
			core := tl*l.CoresPerTile + lc
			p := v.corePos.pos(core)
			if p < 0 || !arrive(int(p), key, -1) {
				return v.secErr(tagRouter, v.routerOff(int(rp)), -1, "%s: key %d is delivered to core %d, which has no axon for it", who, key, core)
			}
		}
	}
	return nil
}

func (v *validator) routerOff(p int) int64 {
	if v.img.off.decoded {
		return v.img.off.routers[p]
	}
	return -1
}

// CheckTarget reports whether the image was compiled for t: the name, the hash of
// the resolved spec and every recorded limit must match.
func (img *Image) CheckTarget(t *targets.Target) error {
	h := &img.Header
	if h.Target != t.Name {
		return fmt.Errorf("chipimage: the image is for target %s, not %s", h.Target, t.Name)
	}
	if h.TargetHash != t.Hash() {
		return fmt.Errorf("chipimage: the image was compiled for another version of target %s (spec hash %x, the target's is %s)", h.Target, h.TargetHash[:8], t.HashHex()[:16])
	}
	if h.Limits != LimitsOf(t) {
		return fmt.Errorf("chipimage: the image's recorded limits differ from target %s's", t.Name)
	}
	return nil
}
