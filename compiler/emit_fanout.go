package compiler

import (
	"fmt"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/internal/parallel"
)

// Budgets of transposeFanouts: a block of senders holds at most fanoutBlockEntries
// fan-out entries (unless one group alone has more) and fanoutBlockGroups groups of
// source ids; a round notes at most fanoutRoundEntries entries (unless one block
// alone has more). Variables so that a test can make them tiny; the image does not
// depend on them.
var (
	fanoutBlockEntries int64 = 1 << 17
	fanoutBlockGroups        = 64
	fanoutRoundEntries int64 = 1 << 24
)

// transposeFanouts builds the fan-out tables and the input map of a unicast target
// by transposing the axon maps: core k's entry (source, axon) is the fan-out entry
// (k, axon) of the source. The receivers are visited in physical order, so each
// source's entries come out sorted by core, as the format wants.
//
// Writing each entry straight into its source's list would touch a random list per
// entry, and reading each source's destinations from the maps (a cursor per core)
// would touch a random map: at 10^8 entries over 25,000 cores either misses the
// cache every time. So the senders are cut into blocks of about fanoutBlockEntries
// entries, consecutive in source-id order, which is the order of the lists in the
// image. One stream over the maps appends each entry to its sender block's region of
// the final array (a few hundred regions, each written in order), noting the sender;
// then each block's entries are put in place by sender, in a buffer that fits in
// cache. Rounds of blocks bound the notes to fanoutRoundEntries.
//
// sources lists the source indices in source-id order; every source's entries number
// its destination cores, and any disagreement with the maps is an internal error.
func (st *state) transposeFanouts(bs []coreBuild, order []int32, members [][]int32, sources []int32, img *chipimage.Image) error {
	g := st.g
	n := uint64(st.t.Core.Neurons)
	// Every list in source-id order in one array: per core its neurons', then the
	// input map.
	start := make([]int64, len(sources)+1)
	ids := make([]uint64, len(sources))
	for i, s := range sources {
		start[i+1] = start[i] + int64(len(st.destsOf(int(s))))
		ids[i] = st.sourceID(int(s))
	}
	all := make([]chipimage.Dest, start[len(sources)])
	i := 0
	for _, k := range order {
		c := bs[k].c
		first := start[i]
		for _, u := range members[k] {
			if int(u) < g.N {
				i++
				c.FanoutStart = append(c.FanoutStart, uint32(start[i]-first))
			}
		}
		c.Fanout = all[first:start[i]:start[i]]
	}
	img.Inputs.Start = make([]uint32, 1, g.NIn+1)
	for j := i; j < len(sources); j++ {
		img.Inputs.Start = append(img.Inputs.Start, uint32(start[j+1]-start[i]))
	}
	img.Inputs.Dest = all[start[i]:]

	// Groups of source ids (id / n: a physical core, or a page of input channels)
	// and blocks of consecutive groups.
	groups := uint64(st.t.TotalCores()) + (uint64(g.NIn)+n-1)/n
	blockOf := make([]int32, groups) // -1: no source
	slotOf := make([]int32, groups)  // the group's index within its block
	for i := range blockOf {
		blockOf[i] = -1
	}
	type block struct {
		lo, hi int // ordinals [lo, hi)
		groups int
	}
	var blocks []block
	for i := range ids {
		grp := ids[i] / n
		if blockOf[grp] >= 0 {
			continue // a group's sources are consecutive
		}
		b := len(blocks) - 1
		if b < 0 || blocks[b].groups == fanoutBlockGroups || start[i]-start[blocks[b].lo] >= fanoutBlockEntries {
			if b >= 0 {
				blocks[b].hi = i
			}
			blocks = append(blocks, block{lo: i})
			b++
		}
		blockOf[grp], slotOf[grp] = int32(b), int32(blocks[b].groups)
		blocks[b].groups++
	}
	if len(blocks) > 0 {
		blocks[len(blocks)-1].hi = len(ids)
	}
	key := func(id uint64) uint32 { return uint32(uint64(slotOf[id/n])*n + id%n) }

	workers := parallel.Workers(st.opt.Workers)
	type scratch struct {
		tab []int32 // key -> ordinal - lo, or -1
		at  []int64
		buf []chipimage.Dest
	}
	scr := make([]scratch, workers)
	errs := make([]error, len(blocks))
	var note []uint32
	for r0 := 0; r0 < len(blocks); {
		// A round: blocks [r0, r1) with at most fanoutRoundEntries entries (or one).
		r1, base := r0+1, start[blocks[r0].lo]
		for r1 < len(blocks) && start[blocks[r1].hi]-base <= fanoutRoundEntries {
			r1++
		}
		end := start[blocks[r1-1].hi]
		if int64(cap(note)) < end-base {
			note = make([]uint32, end-base)
		}
		note = note[:end-base]
		cur := make([]int64, r1-r0)
		for b := r0; b < r1; b++ {
			cur[b-r0] = start[blocks[b].lo]
		}
		for _, k := range order {
			c := bs[k].c
			for _, m := range c.AxonMap {
				grp := m.Source / n
				if grp >= groups || blockOf[grp] < int32(r0) || blockOf[grp] >= int32(r1) {
					continue
				}
				b := int(blockOf[grp]) - r0
				p := cur[b]
				if p == start[blocks[b+r0].hi] {
					return fmt.Errorf("compile: internal error: core %d: more axon-map entries for the sources of %d to %d than their fan-outs expect",
						c.Index, ids[blocks[b+r0].lo], ids[blocks[b+r0].hi-1])
				}
				all[p] = chipimage.UnicastDest(c.Index, m.Axon)
				note[p-base] = key(m.Source)
				cur[b]++
			}
		}
		parallel.For(r1-r0, workers, func(w, bi int) {
			bl := blocks[r0+bi]
			sc := &scr[w]
			lo, hi := start[bl.lo], start[bl.hi]
			if need := bl.groups * int(n); len(sc.tab) < need {
				sc.tab = make([]int32, need)
			}
			tab := sc.tab[:bl.groups*int(n)]
			for j := range tab {
				tab[j] = -1
			}
			sc.at = sc.at[:0]
			for o := bl.lo; o < bl.hi; o++ {
				tab[key(ids[o])] = int32(o - bl.lo)
				sc.at = append(sc.at, start[o]-lo)
			}
			if int64(cap(sc.buf)) < hi-lo {
				sc.buf = make([]chipimage.Dest, hi-lo)
			}
			buf := sc.buf[:hi-lo]
			if cur[bi] != hi {
				errs[r0+bi] = fmt.Errorf("compile: internal error: the axon maps hold %d entries for sources %d to %d, their fan-outs expect %d",
					cur[bi]-lo, ids[bl.lo], ids[bl.hi-1], hi-lo)
				return
			}
			for p := lo; p < hi; p++ {
				o := tab[note[p-base]]
				if o < 0 || sc.at[o] == start[bl.lo+int(o)+1]-lo {
					errs[r0+bi] = fmt.Errorf("compile: internal error: the axon maps name one of sources %d to %d more often than its fan-out expects",
						ids[bl.lo], ids[bl.hi-1])
					return
				}
				buf[sc.at[o]] = all[p]
				sc.at[o]++
			}
			copy(all[lo:hi], buf)
		})
		for _, err := range errs[r0:r1] {
			if err != nil {
				return err
			}
		}
		r0 = r1
	}
	return nil
}
