package compiler

import (
	"fmt"
	"slices"

	"github.com/snnc/snnc/targets"
)

// partition is the assignment of units to logical cores 0 .. cores-1, numbered in
// the order they were opened.
type partition struct {
	coreOf []int32 // per unit
	cores  int
	use    []usage // per core
	dsize  []int32 // per source: destination cores
	refine string  // what refinement did, for the report
	fills  int     // index-order fills: 1, more when fan-out tables overflowed
	cut    float64 // packets per step between cores (unicast count), after refinement
	cut0   float64 // the same before refinement
}

// usage is what one core holds, in the units of the target's limits.
type usage struct {
	units   int // neurons and readout units
	slots   int // neuron slots
	entries int // axon-table entries
	words   int // synapse-memory words
	fanout  int // fan-out entries
}

// limits are the per-core limits the partition respects.
type limits struct{ slots, entries, words, fanout int }

func limitsOf(t *targets.Target) limits {
	return limits{t.Core.Neurons, t.Core.InputAxons, t.Core.SynapseMemory.Words, t.Core.FanoutEntries}
}

func (u usage) fits(l limits) bool {
	return u.slots <= l.slots && u.entries <= l.entries && u.words <= l.words && u.fanout <= l.fanout
}

// partitionPass fills cores with units in index order (each core up to its first
// full limit), splits cores whose fan-out tables overflow, then, on models small
// enough, moves single units between cores while that lowers the traffic between
// cores and keeps every core within its limits. It is deterministic and, but for
// the refinement, linear in the synapses.
func partitionPass(st *state) error {
	g, t := st.g, st.t
	ce := &CapacityError{Model: st.opt.ModelName, Target: t.Name}
	st.precheck(ce)
	p, unitProblems := fill(g, limitsOf(t), nil)
	ce.unitProblems(g, t, unitProblems)
	if len(unitProblems) == 0 {
		if err := st.repairFanout(p, ce); err != nil {
			return err
		}
	}
	// repairFanout leaves p.use, p.dsize and p.cut measured.
	if p.cores > t.TotalCores() && len(unitProblems) == 0 {
		ce.tooManyCores(st, p)
	}
	if len(ce.Problems) > 0 {
		ce.Fixes = st.fixes(ce)
		return ce
	}
	p.cut0 = p.cut
	p.refine = st.refine(p)
	st.part = p
	st.slot = st.slotsOf()
	st.dests()
	st.rep.partitionStats(st)
	g.inSrc = nil // only the fill and the refinement walk in-edges
	return nil
}

// filler assigns units to cores in a given order, opening a new core when the next
// unit would exceed a core's neuron slots, axon-table entries, synapse words or (when
// fan-out costs are given) fan-out entries. It counts each list's synapses in the
// current core with stamps, so a fill is linear in the in-edges of the units.
type filler struct {
	g      *graph
	lim    limits
	fanout []int32  // per unit: fan-out entries it costs, or nil
	count  []uint64 // per list: (core + 1) << 32 | synapses of the list in that core
	c0     []int32  // per in-edge of the unit being added: its list's count before
	cur    int32
	u0     usage
	opened bool
	bad    []unitNeed
}

func newFiller(g *graph, lim limits, fanout []int32) *filler {
	return &filler{g: g, lim: lim, fanout: fanout, count: make([]uint64, 2*g.S)}
}

// delta is what adding unit u to the current core costs in axon-table entries and
// words; it leaves each in-edge's list count in f.c0.
func (f *filler) delta(u int) (dE, dW int) {
	g := f.g
	in := g.inSrc[g.inStart[u]:g.inStart[u+1]]
	f.c0 = f.c0[:0]
	tag := uint64(f.cur+1) << 32
	for _, s := range in {
		x := f.count[g.list(int(s), u)]
		c0 := 0
		if x&^(1<<32-1) == tag {
			c0 = int(uint32(x))
		}
		f.c0 = append(f.c0, int32(c0))
		// The graph's list costs, as move and canMove use them; short lists (all,
		// under random connectivity) are a table lookup.
		dE += g.entries(c0+1) - g.entries(c0)
		dW += g.words(c0+1) - g.words(c0)
	}
	return
}

// add puts unit u on the current core, or on a new one (numbered from next) when it
// does not fit.
func (f *filler) add(u int, coreOf []int32, next *int32) {
	g, lim := f.g, f.lim
	dS, dF := int(g.cost[u]), 0
	if f.fanout != nil {
		dF = int(f.fanout[u])
	}
	dE, dW := f.delta(u)
	if !f.opened || f.u0.slots+dS > lim.slots || f.u0.entries+dE > lim.entries || f.u0.words+dW > lim.words || f.u0.fanout+dF > lim.fanout {
		if f.opened || f.u0.units > 0 {
			*next++
		}
		f.cur, f.u0, f.opened = *next, usage{}, true
		dE, dW = f.delta(u)
	}
	if dS > lim.slots || dE > lim.entries || dW > lim.words {
		f.bad = append(f.bad, unitNeed{unit: u, slots: dS, entries: dE, words: dW})
	}
	tag := uint64(f.cur+1) << 32
	for i, s := range g.inSrc[g.inStart[u]:g.inStart[u+1]] {
		f.count[g.list(int(s), u)] = tag | uint64(f.c0[i]+1)
	}
	f.u0.units++
	f.u0.slots += dS
	f.u0.entries += dE
	f.u0.words += dW
	f.u0.fanout += dF
	coreOf[u] = f.cur
}

// fill assigns every unit in index order to cores 0, 1, ...; units that do not fit
// even an empty core are returned (and placed alone).
func fill(g *graph, lim limits, fanout []int32) (*partition, []unitNeed) {
	coreOf := make([]int32, g.U)
	f := newFiller(g, lim, fanout)
	next := int32(0)
	for u := 0; u < g.U; u++ {
		f.add(u, coreOf, &next)
	}
	cores := 0
	if g.U > 0 {
		cores = int(next) + 1
	}
	return &partition{coreOf: coreOf, cores: cores}, f.bad
}

// unitNeed is what one unit needs of a core by itself.
type unitNeed struct {
	unit                  int
	slots, entries, words int
}

// measure computes every core's usage, every source's number of destination cores
// and the cut (the packets per step that leave their core: every source's rate times
// its destination cores other than its own) under a partition. The cut is summed per
// block of sources and the blocks in order, so that it does not depend on which
// worker scanned which block: the report must be byte-identical run to run.
func (st *state) measure(coreOf []int32, cores int) ([]usage, []int32, float64) {
	g := st.g
	use := make([]usage, cores)
	for u, c := range coreOf {
		use[c].units++
		use[c].slots += int(g.cost[u])
	}
	sc := g.scanner(coreOf, cores)
	// Per-worker sums, written at a random core per (source, core) pair: 12 bytes a
	// core keep 25,000 cores within a worker's cache. They cannot overflow: a core's
	// entries and words are at most its synapses, and a graph holds fewer than 2^31
	// (quantizePass).
	type partial struct{ entries, words, fanout int32 }
	part := make([][]partial, len(sc.where))
	for i := range part {
		part[i] = make([]partial, cores)
	}
	dsize := make([]int32, g.S)
	cuts := make([]float64, g.scanBlocks())
	sc.scan(func(w, s int, d []dest) {
		pu := part[w]
		remote := len(d)
		for _, x := range d {
			pu[x.core].entries += int32(g.entries(int(x.main)) + g.entries(int(x.out)))
			pu[x.core].words += int32(g.words(int(x.main)) + g.words(int(x.out)))
			if s < g.N && x.core == coreOf[s] {
				remote--
			}
		}
		cuts[s/scanBlock] += g.rate[s] * float64(remote)
		dsize[s] = int32(len(d))
		if s < g.N && len(d) > 0 {
			if g.multicast {
				pu[coreOf[s]].fanout++
			} else {
				pu[coreOf[s]].fanout += int32(len(d))
			}
		}
	})
	cut := 0.0
	for _, x := range cuts {
		cut += x
	}
	for _, pu := range part {
		for c := range use {
			use[c].entries += int(pu[c].entries)
			use[c].words += int(pu[c].words)
			use[c].fanout += int(pu[c].fanout)
		}
	}
	return use, dsize, cut
}

// fanoutOf is what neuron u's fan-out table entries cost given its destinations.
func (g *graph) fanoutOf(dsize int32) int {
	if g.multicast {
		return min(int(dsize), 1)
	}
	return int(dsize)
}

// repairFanout makes every core's fan-out table fit. The first fill cannot know
// where a unit's targets will go; when it leaves tables overflowing, the units are
// filled again in the same order with each neuron's measured fan-out as a cost. A
// refill moves core boundaries and so changes some fan-outs a little, so it aims a
// margin below the limit: 3%, which has sufficed at 10^4 to 10^6 neurons (a refill
// at the limit itself left a few tables overflowing and cost one more round); each
// further round measures again and refills with a larger margin, until every table
// fits. A core that holds a single neuron and still overflows is a capacity problem.
func (st *state) repairFanout(p *partition, ce *CapacityError) error {
	g, lim := st.g, limitsOf(st.t)
	for round := 0; ; round++ {
		use, dsize, cut := st.measure(p.coreOf, p.cores)
		var over []int
		for c, u := range use {
			if u.fanout > lim.fanout {
				over = append(over, c)
			}
		}
		if len(over) == 0 {
			p.use, p.dsize, p.cut, p.fills = use, dsize, cut, round+1
			return nil
		}
		for _, c := range over {
			if use[c].units == 1 {
				members := unitsByCore(p.coreOf, p.cores)
				u := int(members[c][0])
				ce.add(fmt.Sprintf("neuron %s: its spikes go to %s cores, but a fan-out table holds %s entries (core.fanout_entries)",
					commas(u), commas(int(dsize[u])), commas(lim.fanout)),
					fmt.Sprintf("give neuron %d targets in at most %s cores: fewer or more clustered outgoing synapses", u, commas(lim.fanout)))
			}
		}
		if len(ce.Problems) > 0 {
			return nil
		}
		if round == 24 {
			return fmt.Errorf("compile: internal error: fan-out repair did not converge (%d cores still overflow)", len(over))
		}
		cost := make([]int32, g.U)
		for u := 0; u < g.N; u++ {
			cost[u] = int32(g.fanoutOf(dsize[u]))
		}
		l := lim
		l.fanout = lim.fanout - lim.fanout*(round+1)/32 // 3%, 6%, ... below the limit
		q, _ := fill(g, l, cost)
		*p = *q
	}
}

// unitsByCore lists each core's units in ascending order.
func unitsByCore(coreOf []int32, cores int) [][]int32 {
	start := make([]int32, cores+1)
	for _, c := range coreOf {
		start[c+1]++
	}
	for c := 0; c < cores; c++ {
		start[c+1] += start[c]
	}
	all := make([]int32, len(coreOf))
	next := slices.Clone(start[:cores])
	for u, c := range coreOf {
		all[next[c]] = int32(u)
		next[c]++
	}
	out := make([][]int32, cores)
	for c := range out {
		out[c] = all[start[c]:start[c+1]]
	}
	return out
}

// Refinement budgets: the dense count matrices (lists x cores) and the work of one
// pass (in-edges x cores) must stay below these.
const (
	refineCells  = 1 << 25
	refineWork   = 1 << 27
	refinePasses = 8
)

// refine moves single units to the core that lowers the cut most, while every core
// stays within its limits, for a few passes over the units. It keeps dense counts of
// every list's synapses per core, so it runs on models small enough for them.
func (st *state) refine(p *partition) string {
	g, lim := st.g, limitsOf(st.t)
	K := p.cores
	if K < 2 {
		return "not needed (one core)"
	}
	if int64(2*g.S)*int64(K) > refineCells || g.nnz*int64(K) > refineWork {
		return fmt.Sprintf("skipped: %s synapses x %s cores is above the refinement budget", commas(int(g.nnz)), commas(K))
	}
	cnt := make([]int32, 2*g.S*K) // list l, core c -> synapses
	for u := 0; u < g.U; u++ {
		c := int(p.coreOf[u])
		for e := g.inStart[u]; e < g.inStart[u+1]; e++ {
			cnt[g.list(int(g.inSrc[e]), u)*K+c]++
		}
	}
	// reach(s, c): synapses of source s into core c, both lists.
	reach := func(s, c int) int32 {
		n := cnt[s*K+c]
		if s < g.N {
			n += cnt[(g.S+s)*K+c]
		}
		return n
	}
	use := p.use
	dsize := p.dsize
	home := func(s int) int { // the core of a source, or -1 for an input channel
		if s < g.N {
			return int(p.coreOf[s])
		}
		return -1
	}
	gain := make([]float64, K)
	dFan := make([]int, K)
	var touched []int
	moves := 0
	for pass := 0; pass < refinePasses; pass++ {
		moved := 0
		for u := 0; u < g.U; u++ {
			A := int(p.coreOf[u])
			if use[A].units == 1 {
				continue // moving it would only rename the core
			}
			in := g.inSrc[g.inStart[u]:g.inStart[u+1]]
			// gain[B]: what u's arrival in B adds to the cut (sources that start
			// reaching B) minus u's packets to B that become local.
			for B := range gain {
				gain[B] = 0
			}
			for _, s32 := range in {
				s := int(s32)
				r, h := g.rate[s], home(s)
				for B := 0; B < K; B++ {
					if B != h && reach(s, B) == 0 {
						gain[B] += r
					}
				}
			}
			if u < g.N {
				r := g.rate[u]
				for B := 0; B < K; B++ {
					if reach(u, B) > 0 {
						gain[B] -= r
					}
				}
			}
			// Moving to B changes the cut by gain[B] - removeA + own: the sources
			// whose only synapse in A is u's stop reaching A (unless A is their home),
			// and u's own packets to A become remote.
			removeA, own := 0.0, 0.0
			for _, s32 := range in {
				s := int(s32)
				if reach(s, A) == 1 && A != home(s) {
					removeA += g.rate[s]
				}
			}
			if u < g.N && reach(u, A) > 0 {
				own = g.rate[u]
			}
			best, bestD := -1, -1e-12
			for B := 0; B < K; B++ {
				if B == A {
					continue
				}
				if d := gain[B] - removeA + own; d < bestD && st.canMove(p, cnt, use, dsize, dFan, &touched, u, A, B, lim) {
					best, bestD = B, d
				}
			}
			if best < 0 {
				continue
			}
			st.move(p, cnt, use, dsize, u, A, best)
			moved++
		}
		moves += moved
		if moved == 0 {
			break
		}
	}
	if moves == 0 {
		return "no improving move"
	}
	compact(p)
	p.use, p.dsize, p.cut = st.measure(p.coreOf, p.cores)
	return fmt.Sprintf("%d unit moves", moves)
}

// canMove reports whether moving unit u from core A to core B keeps every core
// within its limits.
func (st *state) canMove(p *partition, cnt []int32, use []usage, dsize []int32, dFan []int, touched *[]int, u, A, B int, lim limits) bool {
	g := st.g
	K := p.cores
	if use[B].slots+int(g.cost[u]) > lim.slots {
		return false
	}
	dE, dW := 0, 0
	for e := g.inStart[u]; e < g.inStart[u+1]; e++ {
		n := int(cnt[g.list(int(g.inSrc[e]), u)*K+B])
		dE += g.entries(n+1) - g.entries(n)
		dW += g.words(n+1) - g.words(n)
	}
	if use[B].entries+dE > lim.entries || use[B].words+dW > lim.words {
		return false
	}
	// Fan-out: u's own table moves from A to B; each source of u may gain B and lose A.
	*touched = (*touched)[:0]
	bump := func(c, d int) {
		if dFan[c] == 0 {
			*touched = append(*touched, c)
		}
		dFan[c] += d
	}
	own := g.fanoutOf(0)
	if u < g.N {
		own = g.fanoutOf(dsize[u])
	}
	bump(A, -own)
	bump(B, own)
	if !g.multicast {
		for e := g.inStart[u]; e < g.inStart[u+1]; e++ {
			s := int(g.inSrc[e])
			if s >= g.N {
				continue
			}
			h := int(p.coreOf[s])
			if s == u {
				continue
			}
			nB := cnt[s*K+B] + cnt[(g.S+s)*K+B]
			nA := cnt[s*K+A] + cnt[(g.S+s)*K+A]
			if nB == 0 {
				bump(h, 1)
			}
			if nA == 1 {
				bump(h, -1)
			}
		}
	}
	// A multicast source sends one key whatever its destinations: only u's own
	// entry moves.
	ok := true
	for _, c := range *touched {
		if use[c].fanout+dFan[c] > lim.fanout && dFan[c] > 0 {
			ok = false
		}
		dFan[c] = 0
	}
	return ok
}

// move moves unit u from core A to core B and updates the counts.
func (st *state) move(p *partition, cnt []int32, use []usage, dsize []int32, u, A, B int) {
	g := st.g
	K := p.cores
	lists := func(c, d int) {
		for e := g.inStart[u]; e < g.inStart[u+1]; e++ {
			s := int(g.inSrc[e])
			l := g.list(s, u)
			n := int(cnt[l*K+c])
			use[c].entries += g.entries(n+d) - g.entries(n)
			use[c].words += g.words(n+d) - g.words(n)
			before := cnt[s*K+c]
			if s < g.N {
				before += cnt[(g.S+s)*K+c]
			}
			cnt[l*K+c] += int32(d)
			after := before + int32(d)
			if before == 0 && after > 0 || before > 0 && after == 0 {
				dsize[s] += int32(d)
				if s < g.N && !g.multicast {
					use[p.coreOf[s]].fanout += d
				}
			}
		}
	}
	lists(A, -1)
	lists(B, +1)
	own := 0
	if u < g.N {
		own = g.fanoutOf(dsize[u])
	}
	use[A].fanout -= own
	use[B].fanout += own
	use[A].units--
	use[B].units++
	use[A].slots -= int(g.cost[u])
	use[B].slots += int(g.cost[u])
	p.coreOf[u] = int32(B)
}

// compact renumbers cores so that none is empty, keeping their order.
func compact(p *partition) {
	used := make([]bool, p.cores)
	for _, c := range p.coreOf {
		used[c] = true
	}
	newID := make([]int32, p.cores)
	n := int32(0)
	for c, ok := range used {
		newID[c] = n
		if ok {
			n++
		}
	}
	for u, c := range p.coreOf {
		p.coreOf[u] = newID[c]
	}
	p.cores = int(n)
}

// slotsOf assigns every unit its base slot: in each core, neurons by ascending id,
// then readout units, each taking its cost in slots; with dedicated readouts a
// readout unit k has slot Neurons + k.
func (st *state) slotsOf() []int32 {
	g, t := st.g, st.t
	slot := make([]int32, g.U)
	next := make([]int32, st.part.cores)
	for u := 0; u < g.U; u++ {
		c := st.part.coreOf[u]
		if u >= g.N && t.Readout.NeuronSlots == 0 {
			slot[u] = int32(t.Core.Neurons + u - g.N)
			continue
		}
		slot[u] = next[c]
		next[c] += g.cost[u]
	}
	return slot
}
