package compiler

import (
	"fmt"
	"slices"
	"sort"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/internal/parallel"
	"github.com/snnc/snnc/quant"
)

// check verifies, after a pass, the invariants the state holds so far (Go's SSA
// checker in spirit): every unit placed exactly once and every core within its
// limits (partition); every logical core on its own physical core (place); every
// source's packets reaching exactly its destination cores through the routing tables,
// without loops (route, compress); and the image valid and holding exactly the
// network's synapses (emit).
func (st *state) check(pass string) error {
	switch pass {
	case "quantize":
		g := st.g
		if g.nnz+g.zero != int64(st.net.In.NNZ()+st.net.Rec.NNZ()+st.net.Readout.W.NNZ()) {
			return fmt.Errorf("graph holds %d + %d synapses, the network %d", g.nnz, g.zero, st.net.In.NNZ()+st.net.Rec.NNZ()+st.net.Readout.W.NNZ())
		}
	case "partition":
		return st.checkPartition()
	case "place":
		return st.checkPlacement()
	case "route":
		if st.tables != nil {
			return st.checkDelivery("the uncompressed tables", func(tile int, key uint64) (uint8, uint64, bool) {
				tab := st.tables[tile]
				i := sort.Search(len(tab), func(i int) bool { return tab[i].key >= key })
				if i < len(tab) && tab[i].key == key {
					return tab[i].links, tab[i].cores, true
				}
				return 0, 0, false
			})
		}
	case "compress":
		return st.checkCompressed()
	case "emit":
		return st.checkImage()
	}
	return nil
}

func (st *state) checkPartition() error {
	g, p, t := st.g, st.part, st.t
	if p.cores > t.TotalCores() {
		return fmt.Errorf("%d cores used, the target has %d", p.cores, t.TotalCores())
	}
	count := make([]int, p.cores)
	for u, c := range p.coreOf {
		if c < 0 || int(c) >= p.cores {
			return fmt.Errorf("%s is on core %d, outside 0..%d", g.unitName(u), c, p.cores-1)
		}
		count[c]++
	}
	for c, n := range count {
		if n == 0 {
			return fmt.Errorf("core %d holds nothing", c)
		}
	}
	use, dsize, _ := st.measure(p.coreOf, p.cores)
	lim := limitsOf(t)
	for c, u := range use {
		if u != p.use[c] {
			return fmt.Errorf("core %d: the partition counted %+v, a fresh count gives %+v", c, p.use[c], u)
		}
		if !u.fits(lim) {
			return fmt.Errorf("core %d: %+v exceeds the limits %+v", c, u, lim)
		}
	}
	if !slices.Equal(dsize, p.dsize) {
		return fmt.Errorf("destination counts differ from a fresh count")
	}
	// Slots: within each core, units' slot ranges do not overlap and fit.
	end := make([]int32, p.cores)
	for u := 0; u < g.U; u++ {
		c := p.coreOf[u]
		if u >= g.N && t.Readout.NeuronSlots == 0 {
			continue
		}
		if st.slot[u] < end[c] || int(st.slot[u]+g.cost[u]) > t.Core.Neurons {
			return fmt.Errorf("%s: slot %d overlaps or leaves core %d", g.unitName(u), st.slot[u], c)
		}
		end[c] = st.slot[u] + g.cost[u]
	}
	return nil
}

func (st *state) checkPlacement() error {
	seen := make(map[int32]int, len(st.pos))
	if len(st.pos) != st.part.cores {
		return fmt.Errorf("%d positions for %d cores", len(st.pos), st.part.cores)
	}
	for k, q := range st.pos {
		if q < 0 || int(q) >= st.t.TotalCores() {
			return fmt.Errorf("core %d placed on physical core %d, outside the mesh", k, q)
		}
		if j, ok := seen[q]; ok {
			return fmt.Errorf("cores %d and %d both placed on physical core %d", j, k, q)
		}
		seen[q] = k
	}
	return nil
}

func (st *state) checkCompressed() error {
	if st.tables == nil {
		if len(st.routers) != 0 {
			return fmt.Errorf("routing tables on a unicast target")
		}
		return nil
	}
	byTile := make(map[int]*chipimage.Router, len(st.routers))
	for i := range st.routers {
		r := &st.routers[i]
		if len(r.Entries) > st.t.Router.TableEntries {
			return fmt.Errorf("router %d: %d entries, the limit is %d", r.Tile, len(r.Entries), st.t.Router.TableEntries)
		}
		byTile[r.Tile] = r
	}
	return st.checkDelivery("the compressed tables", func(tile int, key uint64) (uint8, uint64, bool) {
		r := byTile[tile]
		if r == nil {
			return 0, 0, false
		}
		for _, e := range r.Entries {
			if key&e.Mask == e.Key {
				return e.Links, e.Cores, true
			}
		}
		return 0, 0, false
	})
}

// checkDelivery routes every source's key from its tile through lookup and checks
// that it reaches exactly its destination cores, visiting no tile twice.
func (st *state) checkDelivery(what string, lookup func(tile int, key uint64) (uint8, uint64, bool)) error {
	geo := newGeometry(st.t)
	seen := make([]int32, geo.cols*geo.rows)
	var queue []int
	var got, want []int32
	for s := 0; s < st.g.S; s++ {
		d := st.destsOf(s)
		if len(d) == 0 {
			continue
		}
		key := st.sourceID(s)
		sc, sr := st.sourceTile(geo, s)
		stamp := int32(s + 1)
		queue = append(queue[:0], sr*geo.cols+sc)
		seen[queue[0]] = stamp
		got = got[:0]
		for len(queue) > 0 {
			tile := queue[0]
			queue = queue[1:]
			col, row := tile%geo.cols, tile/geo.cols
			links, cores, ok := lookup(tile, key)
			if !ok {
				return fmt.Errorf("%s: key %d of %s reaches router (%d, %d), which has no entry for it", what, key, st.sourceName(s), col, row)
			}
			for _, n := range [...]struct {
				bit    uint8
				dc, dr int
			}{{chipimage.LinkNorth, 0, -1}, {chipimage.LinkEast, 1, 0}, {chipimage.LinkSouth, 0, 1}, {chipimage.LinkWest, -1, 0}} {
				if links&n.bit == 0 {
					continue
				}
				c, r := col+n.dc, row+n.dr
				if c < 0 || c >= geo.cols || r < 0 || r >= geo.rows {
					return fmt.Errorf("%s: key %d leaves the mesh at router (%d, %d)", what, key, col, row)
				}
				nt := r*geo.cols + c
				if seen[nt] == stamp {
					return fmt.Errorf("%s: key %d loops: router (%d, %d) sends it back to router (%d, %d)", what, key, col, row, c, r)
				}
				seen[nt] = stamp
				queue = append(queue, nt)
			}
			for l := 0; l < geo.per; l++ {
				if cores>>l&1 != 0 {
					got = append(got, int32(tile*geo.per+l))
				}
			}
		}
		want = want[:0]
		for _, b := range d {
			want = append(want, st.pos[b])
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s: %s reaches cores %v, its synapses are in cores %v", what, st.sourceName(s), got, want)
		}
	}
	return nil
}

func (st *state) sourceName(s int) string {
	if s < st.g.N {
		return "neuron " + commas(s)
	}
	return "input channel " + commas(s-st.g.N)
}

// checkImage validates the image and checks that it holds exactly the partition's
// units and the network's synapses with non-zero mantissas: every neuron and readout
// unit on its core and slot, and the same count and order-independent checksum of
// (source id, core, target slot, mantissa, stored delay) tuples computed from the
// network and read back from the image's own tables.
func (st *state) checkImage() error {
	img, g, net, p := st.img, st.g, st.net, st.part
	if err := img.Validate(); err != nil {
		return err
	}
	for _, c := range img.Cores {
		for _, n := range c.Neurons {
			if int(st.pos[p.coreOf[n.ID]]) != c.Index || int(st.slot[n.ID]) != n.Slot {
				return fmt.Errorf("neuron %d is at core %d slot %d of the image, the partition put it at core %d slot %d",
					n.ID, c.Index, n.Slot, st.pos[p.coreOf[n.ID]], st.slot[n.ID])
			}
		}
		for _, r := range c.Readouts {
			if u := g.N + r.Index; int(st.pos[p.coreOf[u]]) != c.Index || int(st.slot[u]) != r.Slot {
				return fmt.Errorf("readout unit %d is at core %d slot %d of the image, the partition put it elsewhere", r.Index, c.Index, r.Slot)
			}
		}
	}
	tuple := func(src uint64, core, slot int, m int32, d int) uint64 {
		return mix(mix(mix(src)+uint64(core)<<20+uint64(slot)) + uint64(uint32(m))<<20 + uint64(d))
	}
	type acc struct {
		sum uint64
		n   int64
	}
	workers := parallel.Workers(st.opt.Workers)
	// Per unit, its physical core and slot in one word: one random read a synapse.
	unitAt := make([]uint64, g.U)
	for u := range unitAt {
		unitAt[u] = uint64(st.pos[p.coreOf[u]])<<32 | uint64(st.slot[u])
	}
	want := make([]acc, workers)
	const block = 4096
	parallel.For((g.S+block-1)/block, workers, func(w, b int) {
		a := &want[w]
		for s := b * block; s < min(g.S, (b+1)*block); s++ {
			src := st.sourceID(s)
			add := func(m *quant.Matrix, x int, u int, d int) {
				if m.Mantissa[x] != 0 {
					at := unitAt[u]
					a.sum += tuple(src, int(at>>32), int(uint32(at)), m.Mantissa[x], d)
					a.n++
				}
			}
			if s < g.N {
				rec, ro := &net.Rec, &net.Readout.W
				for x := rec.RowStart[s]; x < rec.RowStart[s+1]; x++ {
					add(rec, x, int(rec.Col[x]), int(rec.Delay[x])-1)
				}
				for x := ro.RowStart[s]; x < ro.RowStart[s+1]; x++ {
					add(ro, x, g.N+int(ro.Col[x]), 0)
				}
			} else {
				in, i := &net.In, s-g.N
				for x := in.RowStart[i]; x < in.RowStart[i+1]; x++ {
					add(in, x, int(in.Col[x]), int(in.Delay[x]))
				}
			}
		}
	})
	got := make([]acc, workers)
	lay := img.Layout()
	parallel.For(len(img.Cores), workers, func(w, i int) {
		a := &got[w]
		c := &img.Cores[i]
		for _, m := range c.AxonMap {
			for e := m.Axon; ; e++ {
				x := c.Axons[e]
				rd := lay.Reader(c.Synapses, int(x.FirstWord))
				for k := 0; k < int(x.Count); k++ {
					syn := rd.Next()
					a.sum += tuple(m.Source, c.Index, syn.Target, syn.Mantissa, syn.Delay)
					a.n++
				}
				if !x.More {
					break
				}
			}
		}
	})
	var ws, gs acc
	for w := range want {
		ws.sum, ws.n = ws.sum+want[w].sum, ws.n+want[w].n
		gs.sum, gs.n = gs.sum+got[w].sum, gs.n+got[w].n
	}
	if ws != gs {
		return fmt.Errorf("the image holds %d synapses (checksum %016x), the network %d with non-zero mantissas (checksum %016x)", gs.n, gs.sum, ws.n, ws.sum)
	}
	return nil
}

// mix is SplitMix64's finalizer.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
