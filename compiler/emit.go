package compiler

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/internal/parallel"
	"github.com/snnc/snnc/quant"
)

// coreBuild is one core's tables while emit fills them.
type coreBuild struct {
	c      *chipimage.Core
	exps   [3]uint64 // exponents present, bit e+64
	src    uint64    // 1 + the id of the source whose synapses are being appended, or 0
	out    bool      // the current entry is a readout list of its own
	map0   int       // axon-map entries expected
	fanout int       // fan-out entries expected
	syns   int64     // non-zero synapses the core receives
	bit    uint64    // bit offset of the next entry of the current list
	inWord int       // entries of the current list in its current word
}

// next advances the list's write position by one entry.
func (b *coreBuild) next(lay *chipimage.Layout, entryBits uint64) {
	b.inWord++
	if b.inWord == lay.PerWord {
		b.inWord = 0
		b.bit = (b.bit/8/uint64(lay.WordBytes) + 1) * uint64(lay.WordBytes) * 8
	} else {
		b.bit += entryBits
	}
}

// group is the index of exponent e in the core's exponent table.
func (b *coreBuild) group(e int) int {
	i := e + 64
	n := 0
	for w := 0; w < i/64; w++ {
		n += bits.OnesCount64(b.exps[w])
	}
	return n + bits.OnesCount64(b.exps[i/64]&(uint64(1)<<(i%64)-1))
}

func setExp(x *[3]uint64, e int) { x[(e+64)/64] |= 1 << ((e + 64) % 64) }

// emitPass builds the image. Sources are visited in the order of their source ids
// (cores by physical index, neurons by slot, then input channels), so every core's
// axon table and axon map come out sorted by source. A source's synapses into a core
// form one axon: its main list, then (when its readout synapses have another
// exponent) its readout list, each split into entries of at most
// max_synapses_per_axon synapses chained by the More flag.
//
// Workers own contiguous ranges of cores and write only those. The fan-out tables
// and the input map then come from the axon maps: on a unicast target each map
// entry (source, axon) of core k is the source's entry (k, axon) (transposeFanouts);
// on a multicast target each source that sends has one entry, its key.
func emitPass(st *state) error {
	g, t, p, net := st.g, st.t, st.part, st.net
	K := p.cores
	lay := chipimage.Layout{TargetBits: t.Core.SynapseMemory.TargetBits, DelayBits: t.Core.SynapseMemory.DelayBits,
		MantissaBits: net.Arith.MantissaBits, PerWord: t.SynapsesPerWord(), WordBytes: (t.Core.SynapseMemory.WordBits + 7) / 8}
	mats := [3]*[]int32{&net.In.RowGroup, &net.Rec.RowGroup, &net.Readout.W.RowGroup}
	exp := func(m, row int) int { return net.Groups[(*mats[m])[row]].Exponent } // m: 0 in, 1 rec, 2 out
	mainExp := func(s int) int {
		if s < g.N {
			return exp(1, s)
		}
		return exp(0, s-g.N)
	}
	bs := make([]coreBuild, K)
	for s := 0; s < g.N; s++ {
		if p.dsize[s] > 0 {
			bs[p.coreOf[s]].fanout += g.fanoutOf(p.dsize[s])
		}
	}
	tallyCores(st, bs, mainExp, exp)

	members := unitsByCore(p.coreOf, K)
	img := &chipimage.Image{
		Header: chipimage.Header{Target: t.Name, TargetHash: t.Hash(), ModelHash: st.opt.ModelHash,
			N: g.N, NIn: g.NIn, NOut: g.NOut, Limits: chipimage.LimitsOf(t)},
		Arith: chipimage.Arithmetic(net.Arith),
		Net:   chipimage.Network{Dt: net.Dt, StateExp: net.StateExp, AdaptShift: net.AdaptShift, ReadoutExp: net.Readout.Exp},
	}
	// Cores in physical order.
	order := make([]int32, K)
	for k := range order {
		order[k] = int32(k)
	}
	slices.SortFunc(order, func(a, b int32) int { return int(st.pos[a]) - int(st.pos[b]) })
	img.Cores = make([]chipimage.Core, K)
	for i, k := range order {
		b := &bs[k]
		c := &img.Cores[i]
		b.c = c
		c.Index = int(st.pos[k])
		for e := -64; e <= 64; e++ {
			if b.exps[(e+64)/64]>>((e+64)%64)&1 != 0 {
				c.Exponents = append(c.Exponents, e)
			}
		}
		u := p.use[k]
		c.Words = u.words
		c.Synapses = make([]byte, u.words*lay.WordBytes)
		c.Axons = make([]chipimage.Axon, 0, u.entries)
		c.AxonMap = make([]chipimage.AxonSource, 0, b.map0)
		for _, un := range members[k] {
			un := int(un)
			if un < g.N {
				nr := net.Neurons[un]
				c.Neurons = append(c.Neurons, chipimage.Neuron{ID: un, Slot: int(st.slot[un]), ALIF: nr.ALIF,
					Threshold: nr.Threshold, MemDecay: nr.MemDecay, AdaptDecay: nr.AdaptDecay, AdaptInc: nr.AdaptInc, Refractory: nr.Refractory})
			} else {
				r := un - g.N
				c.Readouts = append(c.Readouts, chipimage.ReadoutUnit{Index: r, Slot: int(st.slot[un]), Decay: net.Readout.Decay, Bias: net.Readout.Bias[r]})
			}
		}
		c.FanoutStart = make([]uint32, 1, len(c.Neurons)+1)
	}
	img.Outputs = make([]chipimage.Output, g.NOut)
	for r := range img.Outputs {
		u := g.N + r
		img.Outputs[r] = chipimage.Output{Core: int(st.pos[p.coreOf[u]]), Slot: int(st.slot[u])}
	}
	// Sources in source-id order.
	sources := make([]int32, 0, g.S)
	for _, k := range order {
		for _, u := range members[k] {
			if int(u) < g.N {
				sources = append(sources, u)
			}
		}
	}
	for i := 0; i < g.NIn; i++ {
		sources = append(sources, int32(g.N+i))
	}
	st.emitSynapses(bs, order, sources, lay, exp)
	if g.multicast {
		st.multicastFanouts(bs, order, members, img)
	} else if err := st.transposeFanouts(bs, order, members, sources, img); err != nil {
		return err
	}
	for k := range bs {
		c := bs[k].c
		if len(c.Axons) != p.use[k].entries || len(c.AxonMap) != bs[k].map0 || len(c.Fanout) != bs[k].fanout {
			return fmt.Errorf("compile: internal error: core %d: emitted %d axon entries, %d map entries and %d fan-out entries, the partition counted %d, %d and %d",
				c.Index, len(c.Axons), len(c.AxonMap), len(c.Fanout), p.use[k].entries, bs[k].map0, bs[k].fanout)
		}
		if n := len(c.Axons); n > 0 && int(c.Axons[n-1].FirstWord)+lay.WordsFor(int(c.Axons[n-1].Count)) != c.Words {
			return fmt.Errorf("compile: internal error: core %d: lists end at word %d, the partition counted %d words",
				c.Index, int(c.Axons[n-1].FirstWord)+lay.WordsFor(int(c.Axons[n-1].Count)), c.Words)
		}
	}
	img.Routers = st.routers
	st.img = img
	return nil
}

// coreTally is what tallyCores counts per core.
type coreTally struct {
	exps [3]uint64 // exponents present, bit e+64
	syns int64     // non-zero synapses received
	map0 int64     // axon-map entries: sources received from
}

// tallyCores records in each core the exponents of the lists it receives (a
// source's main exponent where its non-zero synapses into neurons, and into readout
// units when they share it, go; its readout exponent where its own readout list
// goes), and counts the non-zero synapses and the sources each core receives.
//
// Every synapse updates the tally of a random core under random connectivity, so
// the workers count into tallies of their own (a few hundred kilobytes at 25,000
// cores) and the tallies are merged after: OR and integer sums, whatever order.
func tallyCores(st *state, bs []coreBuild, mainExp func(int) int, exp func(int, int) int) {
	if core16 := narrowCores(st.part.coreOf, st.part.cores); core16 != nil {
		tallyWith(st, bs, core16, mainExp, exp)
	} else {
		tallyWith(st, bs, st.part.coreOf, mainExp, exp)
	}
}

func tallyWith[T uint16 | int32](st *state, bs []coreBuild, coreOf []T, mainExp func(int) int, exp func(int, int) int) {
	g := st.g
	w := &st.net.Readout.W
	W := parallel.Workers(st.opt.Workers)
	tallies := make([][]coreTally, W)
	parallel.For(g.scanBlocks(), W, func(worker, blk int) {
		if tallies[worker] == nil {
			tallies[worker] = make([]coreTally, len(bs))
		}
		t := tallies[worker]
		for s := blk * scanBlock; s < min(g.S, (blk+1)*scanBlock); s++ {
			for _, k := range st.destsOf(s) {
				t[k].map0++
			}
			me := mainExp(s)
			m, i := g.mainRow(s)
			for x := m.RowStart[i]; x < m.RowStart[i+1]; x++ {
				if m.Mantissa[x] != 0 {
					c := &t[coreOf[m.Col[x]]]
					setExp(&c.exps, me)
					c.syns++
				}
			}
			if s < g.N {
				oe := me
				if g.split[s] {
					oe = exp(2, s)
				}
				for x := w.RowStart[s]; x < w.RowStart[s+1]; x++ {
					if w.Mantissa[x] != 0 {
						c := &t[coreOf[g.N+int(w.Col[x])]]
						setExp(&c.exps, oe)
						c.syns++
					}
				}
			}
		}
	})
	for _, t := range tallies {
		for k := range t {
			b := &bs[k]
			for i, x := range t[k].exps {
				b.exps[i] |= x
			}
			b.syns += t[k].syns
			b.map0 += int(t[k].map0)
		}
	}
}

// emitChunk bounds the synapses one emit worker buckets at a time (24 bytes each).
const emitChunk = 1 << 23

// bucketed is one synapse on its way into its core's tables.
type bucketed struct {
	id    uint64 // source id
	slot  int32  // target slot
	mant  int32  // mantissa
	delay uint16 // stored delay
	out   bool   // part of the source's readout list
	exp   int8   // the exponent of the list it belongs to
}

// chunkRefs are the synapses of a range of sources into the cores of one chunk, in
// source-id order: runs of (source, count) and each synapse's offset among its
// source's synapses (main row, then readout row).
type chunkRefs struct {
	runs []uint64 // source << 32 | synapses
	offs []uint32
}

// emitSynapses writes the axon tables, axon maps and synapse memories of every core.
//
// Writing synapses in source order would touch a different core's tables at nearly
// every synapse (every one, with uniform connectivity), and those random writes to
// gigabytes of tables dominate. So the cores (in physical order) are cut into chunks
// of at most emitChunk synapses. One pass over the sources in source-id order sorts
// every synapse into its chunk (as a reference, 4 bytes); then, for each chunk, a
// worker buckets the chunk's synapses by core, which keeps every core's synapses in
// source order, and writes the chunk's cores one after the other. Every synapse is
// read twice, whatever the number of chunks.
func (st *state) emitSynapses(bs []coreBuild, order, sources []int32, lay chipimage.Layout, exp func(int, int) int) {
	workers := max(1, min(parallel.Workers(st.opt.Workers), len(order)))
	var total int64
	for k := range bs {
		total += bs[k].syns
	}
	// Chunks of consecutive cores; at least one per worker when there is work.
	limit := max(1, min(emitChunk, (total+int64(workers)-1)/int64(workers)))
	chunkOf := make([]int32, len(bs))
	var chunks [][]int32 // cores of each chunk, in physical order
	var size int64
	for i, k := range order {
		if i == 0 || size > 0 && size+bs[k].syns > limit {
			chunks = append(chunks, nil)
			size = 0
		}
		c := len(chunks) - 1
		chunks[c] = append(chunks[c], k)
		chunkOf[k] = int32(c)
		size += bs[k].syns
	}
	start := make([]int64, len(bs)) // per core: its first synapse in its chunk's buffer
	for _, ks := range chunks {
		var n int64
		for _, k := range ks {
			start[k] = n
			n += bs[k].syns
		}
	}
	// Ranges of sources, in source-id order, each sorted into the chunks by one worker.
	C, R := len(chunks), min(len(sources), 4*workers)
	refs := make([]chunkRefs, R*C) // range r, chunk c -> refs[r*C+c]
	parallel.For(R, workers, func(_, r int) {
		st.sortIntoChunks(sources[r*len(sources)/R:(r+1)*len(sources)/R], chunkOf, refs[r*C:(r+1)*C])
	})
	at := slices.Clone(start) // per core: where its next synapse goes while bucketing
	bufs := make([][]bucketed, workers)
	parallel.For(C, workers, func(w, ci int) {
		var n int64
		for _, k := range chunks[ci] {
			n += bs[k].syns
		}
		if int64(cap(bufs[w])) < n {
			bufs[w] = make([]bucketed, n)
		}
		buf := bufs[w][:n]
		for r := 0; r < R; r++ {
			st.bucket(&refs[r*C+ci], at, buf, exp)
			refs[r*C+ci] = chunkRefs{}
		}
		for _, k := range chunks[ci] {
			b := &bs[k]
			st.writeCore(b, buf[start[k]:start[k]+b.syns], lay)
		}
	})
}

// synapseAt locates source s's synapse at offset o among its synapses (main row,
// then readout row): its matrix and position there, the unit its column counts
// from, what its stored delay adds to the matrix delay, and whether it belongs to
// a readout list of its own.
func (st *state) synapseAt(s, o int) (m *quant.Matrix, x int, base, delayOff int, out bool) {
	g, net := st.g, st.net
	switch {
	case s >= g.N:
		return &net.In, net.In.RowStart[s-g.N] + o, 0, 0, false
	case o < net.Rec.RowStart[s+1]-net.Rec.RowStart[s]:
		return &net.Rec, net.Rec.RowStart[s] + o, 0, -1, false
	default:
		w := &net.Readout.W
		return w, w.RowStart[s] + o - (net.Rec.RowStart[s+1] - net.Rec.RowStart[s]), g.N, 0, g.split[s]
	}
}

// sortIntoChunks appends the non-zero synapses of sources (in their order) to the
// chunk references of the chunks of their target cores.
func (st *state) sortIntoChunks(sources []int32, chunkOf []int32, refs []chunkRefs) {
	g, p, net := st.g, st.part, st.net
	count := make([]uint32, len(refs))
	var touched []int32
	row := func(m *quant.Matrix, i, base int, o uint32) uint32 {
		for x := m.RowStart[i]; x < m.RowStart[i+1]; x, o = x+1, o+1 {
			if m.Mantissa[x] == 0 {
				continue
			}
			c := chunkOf[p.coreOf[base+int(m.Col[x])]]
			if count[c] == 0 {
				touched = append(touched, c)
			}
			count[c]++
			refs[c].offs = append(refs[c].offs, o)
		}
		return o
	}
	for _, s32 := range sources {
		s := int(s32)
		touched = touched[:0]
		if s < g.N {
			o := row(&net.Rec, s, 0, 0)
			row(&net.Readout.W, s, g.N, o)
		} else {
			row(&net.In, s-g.N, 0, 0)
		}
		for _, c := range touched {
			refs[c].runs = append(refs[c].runs, uint64(s)<<32|uint64(count[c]))
			count[c] = 0
		}
	}
}

// bucket puts the synapses of one range of sources into one chunk's buffer, by core;
// at[core] is where the core's next synapse goes.
func (st *state) bucket(refs *chunkRefs, at []int64, buf []bucketed, exp func(int, int) int) {
	g, p := st.g, st.part
	offs := refs.offs
	for _, run := range refs.runs {
		s, n := int(run>>32), int(uint32(run))
		id := st.sourceID(s)
		mainExp, outExp := 0, 0
		if s < g.N {
			mainExp, outExp = exp(1, s), exp(2, s)
		} else {
			mainExp = exp(0, s-g.N)
		}
		for _, o := range offs[:n] {
			m, x, base, delay, out := st.synapseAt(s, int(o))
			u := base + int(m.Col[x])
			k := p.coreOf[u]
			if m.Delay != nil {
				delay += int(m.Delay[x])
			}
			e := mainExp
			if out {
				e = outExp
			}
			buf[at[k]] = bucketed{id: id, slot: st.slot[u], mant: m.Mantissa[x], delay: uint16(delay), out: out, exp: int8(e)}
			at[k]++
		}
		offs = offs[n:]
	}
}

// writeCore appends a core's synapses, bucketed in source order, to its axon table,
// axon map and synapse memory: a new chain when the source changes, a new entry when
// the list kind changes or the entry is full.
func (st *state) writeCore(b *coreBuild, syns []bucketed, lay chipimage.Layout) {
	g := st.g
	c := b.c
	eb := uint64(lay.EntryBits())
	for _, r := range syns {
		syn := chipimage.Synapse{Target: int(r.slot), Delay: int(r.delay), Mantissa: r.mant}
		n := len(c.Axons)
		if b.src == r.id+1 && b.out == r.out && int(c.Axons[n-1].Count) < g.maxList {
			lay.PutAt(c.Synapses, b.bit, syn)
			b.next(&lay, eb)
			c.Axons[n-1].Count++
			continue
		}
		if b.src != r.id+1 {
			c.AxonMap = append(c.AxonMap, chipimage.AxonSource{Source: r.id, Axon: n})
			b.src = r.id + 1
		} else {
			c.Axons[n-1].More = true
		}
		b.out = r.out
		first := 0
		if n > 0 {
			first = int(c.Axons[n-1].FirstWord) + lay.WordsFor(int(c.Axons[n-1].Count))
		}
		c.Axons = append(c.Axons, chipimage.Axon{FirstWord: uint32(first), Count: 1, Group: uint8(b.group(int(r.exp)))})
		b.bit, b.inWord = uint64(first)*uint64(lay.WordBytes)*8, 0
		lay.PutAt(c.Synapses, b.bit, syn)
		b.next(&lay, eb)
	}
}

// multicastFanouts builds the fan-out tables and the input map of a multicast
// target: one entry, the source's key, for every source that sends anywhere.
func (st *state) multicastFanouts(bs []coreBuild, order []int32, members [][]int32, img *chipimage.Image) {
	g := st.g
	for _, k := range order {
		c := bs[k].c
		c.Fanout = make([]chipimage.Dest, 0, bs[k].fanout)
		for _, u := range members[k] {
			if int(u) < g.N {
				if len(st.destsOf(int(u))) > 0 {
					c.Fanout = append(c.Fanout, chipimage.Dest(st.sourceID(int(u))))
				}
				c.FanoutStart = append(c.FanoutStart, uint32(len(c.Fanout)))
			}
		}
	}
	img.Inputs.Start = make([]uint32, 1, g.NIn+1)
	for i := 0; i < g.NIn; i++ {
		if len(st.destsOf(g.N+i)) > 0 {
			img.Inputs.Dest = append(img.Inputs.Dest, chipimage.Dest(st.sourceID(g.N+i)))
		}
		img.Inputs.Start = append(img.Inputs.Start, uint32(len(img.Inputs.Dest)))
	}
}
