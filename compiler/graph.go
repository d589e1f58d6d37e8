package compiler

import (
	"github.com/snnc/snnc/internal/parallel"
	"github.com/snnc/snnc/quant"
	"github.com/snnc/snnc/targets"
)

// graph is the quantized network as the passes see it.
//
// Units are what cores hold: neuron j is unit j, readout unit k is unit N+k. Sources
// are what sends spikes: neuron j is source j, input channel i is source N+i. A
// synapse with a zero mantissa adds nothing and is dropped.
//
// A source's synapses into one core form at most two synapse lists: its main list
// (targets that are neurons, and readout units when the readout row's exponent equals
// the main row's) and its readout list (the other readout targets). List l of source s
// is l = s (main) or l = S + s (readout), S = N + NIn.
type graph struct {
	N, NIn, NOut int
	U, S         int
	net          *quant.Network
	cost         []int32 // neuron slots per unit
	split        []bool  // per neuron: its readout synapses form a list of their own
	inStart      []int64 // per unit: in-edges [inStart[u], inStart[u+1]) of inSrc
	inSrc        []int32 // source of each in-edge, by unit then source
	rate         []float64
	nnz, zero    int64 // synapses kept, zero-mantissa synapses dropped
	maxList      int   // longest list one axon entry may hold
	perWord      int
	entryWords   int // words of a full axon entry
	small        []listCost
	multicast    bool
	workers      int
}

func newGraph(net *quant.Network, t *targets.Target, rate []float64, workers int) *graph {
	N, nIn, nOut := net.N(), net.NIn, net.NOut()
	g := &graph{N: N, NIn: nIn, NOut: nOut, U: N + nOut, S: N + nIn, net: net, rate: rate, workers: workers,
		perWord: t.SynapsesPerWord(), multicast: t.Packets.Addressing == targets.Multicast}
	g.maxList = min(t.Core.MaxSynapsesPerAxon, 1<<31-1)
	g.entryWords = t.WordsFor(g.maxList)
	g.small = make([]listCost, 256)
	for n := range g.small {
		g.small[n] = listCost{int32(g.entriesOf(n)), int32(g.wordsOf(n))}
	}
	g.cost = make([]int32, g.U)
	for j, n := range net.Neurons {
		g.cost[j] = int32(t.NeuronSlots(n.ALIF))
	}
	for k := 0; k < nOut; k++ {
		g.cost[N+k] = int32(t.Readout.NeuronSlots)
	}
	g.split = make([]bool, N)
	exp := func(m *quant.Matrix, i int) int { return net.Groups[m.RowGroup[i]].Exponent }
	for j := 0; j < N; j++ {
		g.split[j] = exp(&net.Rec, j) != exp(&net.Readout.W, j)
	}
	// Transpose: count in-edges per unit, then fill by source order. Each worker
	// owns a range of units and scans every synapse, keeping those into its range:
	// the counts and writes, random under uniform connectivity, are split between
	// the workers, and every unit's in-edges stay in source order.
	W := parallel.Workers(workers)
	unitRange := func(w int) (lo, hi int) { return w * g.U / W, (w + 1) * g.U / W }
	g.inStart = make([]int64, g.U+1)
	cnt := g.inStart[1:]
	for _, m := range []*quant.Matrix{&net.In, &net.Rec, &net.Readout.W} {
		for _, x := range m.Mantissa {
			if x == 0 {
				g.zero++
			}
		}
	}
	parallel.For(W, W, func(_, w int) {
		lo, hi := unitRange(w)
		countCols := func(m *quant.Matrix, base int) {
			for k, c := range m.Col {
				if u := base + int(c); u >= lo && u < hi && m.Mantissa[k] != 0 {
					cnt[u]++
				}
			}
		}
		countCols(&net.In, 0)
		countCols(&net.Rec, 0)
		countCols(&net.Readout.W, N)
	})
	for u := 0; u < g.U; u++ {
		g.inStart[u+1] += g.inStart[u]
	}
	g.nnz = g.inStart[g.U]
	g.transpose(W)
	return g
}

// transposeEdges is about how many in-edges one block of units holds in transpose:
// a block's part of inSrc (512 KB) stays in cache while it is sorted. (A variable
// for tests.)
var transposeEdges int64 = 1 << 17

// transpose fills inSrc with every unit's in-edges in source order. Written
// directly, in source order, each edge lands at a random place of an array of 4
// bytes per synapse (400 MB at 10^8): a cache and TLB miss per synapse under random
// connectivity. So the units are cut into blocks of 2^k consecutive units, about
// transposeEdges in-edges each. A first pass over the sources, in order, appends
// each edge to its block's part of inSrc (with the unit's offset in its block in
// off), one sequential stream per block; a second pass, block by block, moves each
// block's edges to their units' places inside the block's part. Both keep every
// unit's edges in source order. Workers own ranges of blocks in the first pass and
// whole blocks in the second.
func (g *graph) transpose(W int) {
	g.inSrc = make([]int32, g.nnz)
	if g.nnz == 0 {
		return
	}
	k := 0 // units per block: 2^k, at most 2^16 so that an offset fits off
	for k < 16 && int64(2)<<k*g.nnz <= transposeEdges*int64(g.U) {
		k++
	}
	B := (g.U-1)>>k + 1
	first := func(b int) int64 { return g.inStart[min(b<<k, g.U)] }
	off := make([]uint16, g.nnz)
	blockRange := func(w int) (lo, hi int) { return w * B / W, (w + 1) * B / W }
	parallel.For(W, W, func(_, w int) {
		lo, hi := blockRange(w)
		if lo == hi {
			return
		}
		at := make([]int64, hi-lo)
		for b := range at {
			at[b] = first(lo + b)
		}
		for s := 0; s < g.S; s++ {
			g.targets(s, func(u int, _ bool) {
				if b := u >> k; b >= lo && b < hi {
					e := at[b-lo]
					g.inSrc[e], off[e] = int32(s), uint16(u-b<<k)
					at[b-lo] = e + 1
				}
			})
		}
	})
	srcs, ats := make([][]int32, W), make([][]int64, W)
	parallel.For(B, W, func(w, b int) {
		lo, hi := first(b), first(b+1)
		src := append(srcs[w][:0], g.inSrc[lo:hi]...)
		srcs[w] = src
		u0 := b << k
		at := append(ats[w][:0], g.inStart[u0:min(u0+1<<k, g.U)]...)
		ats[w] = at
		for i, s := range src {
			o := off[lo+int64(i)]
			g.inSrc[at[o]] = s
			at[o]++
		}
	})
}

// row returns the matrix and row that hold source s's synapses into neurons (in or
// rec).
func (g *graph) mainRow(s int) (*quant.Matrix, int) {
	if s < g.N {
		return &g.net.Rec, s
	}
	return &g.net.In, s - g.N
}

// targets calls f for every unit source s has a (non-zero) synapse into, in matrix
// order: neurons ascending, then readout units ascending; readout says whether the
// target is a readout unit.
func (g *graph) targets(s int, f func(u int, readout bool)) {
	m, i := g.mainRow(s)
	for k := m.RowStart[i]; k < m.RowStart[i+1]; k++ {
		if m.Mantissa[k] != 0 {
			f(int(m.Col[k]), false)
		}
	}
	if s < g.N {
		w := &g.net.Readout.W
		for k := w.RowStart[s]; k < w.RowStart[s+1]; k++ {
			if w.Mantissa[k] != 0 {
				f(g.N+int(w.Col[k]), true)
			}
		}
	}
}

// list is the index of the list a synapse from s into unit u belongs to.
func (g *graph) list(s, u int) int {
	if u >= g.N && s < g.N && g.split[s] {
		return g.S + s
	}
	return s
}

// listCost is the axon-table entries and synapse-memory words of a list.
type listCost struct{ entries, words int32 }

// entries is the number of axon-table entries a list of n synapses takes. The
// partition asks once per (source, core) pair, nearly always for short lists: those
// are looked up, which saves two divisions by non-constants per call.
func (g *graph) entries(n int) int {
	if uint(n) < uint(len(g.small)) {
		return int(g.small[n].entries)
	}
	return g.entriesOf(n)
}

// words is the number of synapse-memory words a list of n synapses takes.
func (g *graph) words(n int) int {
	if uint(n) < uint(len(g.small)) {
		return int(g.small[n].words)
	}
	return g.wordsOf(n)
}

func (g *graph) entriesOf(n int) int { return (n + g.maxList - 1) / g.maxList }

func (g *graph) wordsOf(n int) int {
	full := n / g.maxList
	rest := n - full*g.maxList
	return full*g.entryWords + (rest+g.perWord-1)/g.perWord
}

// dest is one destination core of a source: how many synapses of its main and
// readout lists land there.
type dest struct {
	core      int32
	main, out int32
}

// scanner walks every source's destinations under a partition, with scratch memory
// per worker.
type scanner struct {
	g      *graph
	coreOf []int32
	core16 []uint16  // coreOf narrowed, when every core index fits 16 bits
	where  [][]int32 // per worker, per core: position in dests + 1, or 0
}

func (g *graph) scanner(coreOf []int32, cores int) *scanner {
	w := parallel.Workers(g.workers)
	sc := &scanner{g: g, coreOf: coreOf, where: make([][]int32, w)}
	for i := range sc.where {
		sc.where[i] = make([]int32, cores)
	}
	sc.core16 = narrowCores(coreOf, cores)
	return sc
}

// narrowCoresMax is the most cores narrowCores narrows (a variable for tests).
var narrowCoresMax = 1 << 16

// narrowCores returns coreOf in 16 bits, or nil when there are more than 2^16
// cores. Scans read the core of every synapse's target, a random unit under random
// connectivity: at 10^6 units 2 bytes per unit stay in cache where 4 do not.
func narrowCores(coreOf []int32, cores int) []uint16 {
	if cores > narrowCoresMax {
		return nil
	}
	n := make([]uint16, len(coreOf))
	for u, c := range coreOf {
		n[u] = uint16(c)
	}
	return n
}

// scanBlock is the number of consecutive sources a scan hands a worker at a time.
const scanBlock = 4096

// scanBlocks is the number of blocks a scan of g's sources has; source s is in
// block s / scanBlock.
func (g *graph) scanBlocks() int { return (g.S + scanBlock - 1) / scanBlock }

// scan calls f(worker, s, dests) for every source s, on the scanner's workers in
// blocks of sources. dests lists s's destination cores in the order its targets
// first reach them; it is reused after f returns. f must only write per-worker,
// per-block or per-source memory: which worker gets which block depends on
// scheduling, so results that must not (sums of floats) go per block.
func (sc *scanner) scan(f func(worker, s int, d []dest)) {
	if sc.core16 != nil {
		scanWith(sc, sc.core16, f)
	} else {
		scanWith(sc, sc.coreOf, f)
	}
}

func scanWith[T uint16 | int32](sc *scanner, coreOf []T, f func(worker, s int, d []dest)) {
	g := sc.g
	const block = scanBlock
	blocks := g.scanBlocks()
	bufs := make([][]dest, len(sc.where))
	net := g.net
	parallel.For(blocks, len(sc.where), func(worker, b int) {
		where := sc.where[worker]
		d := bufs[worker]
		visit := func(m *quant.Matrix, i, base int, out bool) {
			cols, mant := m.Col[m.RowStart[i]:m.RowStart[i+1]], m.Mantissa[m.RowStart[i]:m.RowStart[i+1]]
			for x, col := range cols {
				if mant[x] == 0 {
					continue
				}
				c := int32(coreOf[base+int(col)])
				p := where[c]
				if p == 0 {
					d = append(d, dest{core: c})
					p = int32(len(d))
					where[c] = p
				}
				if out {
					d[p-1].out++
				} else {
					d[p-1].main++
				}
			}
		}
		for s := b * block; s < min(g.S, (b+1)*block); s++ {
			d = d[:0]
			if s < g.N {
				visit(&net.Rec, s, 0, false)
				visit(&net.Readout.W, s, g.N, g.split[s])
			} else {
				visit(&net.In, s-g.N, 0, false)
			}
			for _, x := range d {
				where[x.core] = 0
			}
			f(worker, s, d)
		}
		bufs[worker] = d
	})
}
