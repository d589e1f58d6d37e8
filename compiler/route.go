package compiler

import (
	"math/bits"
	"slices"

	"github.com/snnc/snnc/chipimage"
)

// routeKey is one routing-table entry before compression: a key and where a router
// sends it.
type routeKey struct {
	key   uint64
	links uint8
	cores uint64
}

// routePass builds, on a multicast target, every router's table with one entry per
// key that passes it: the union of the dimension-order (XY) paths from the source's
// tile (or the host's) to each destination tile is a tree, and each router on it
// copies the packet to the tree's links out of it and to its local destination
// cores. On a unicast target packets follow XY routes without tables.
func routePass(st *state) error {
	if !st.g.multicast {
		st.tables = nil
		return nil
	}
	t := st.t
	tb := newTreeBuilder(newGeometry(t))
	st.tables = make([][]routeKey, t.Tiles())
	phys := make([]int32, 0, 64)
	for s := 0; s < st.g.S; s++ {
		d := st.destsOf(s)
		if len(d) == 0 {
			continue
		}
		phys = phys[:0]
		for _, b := range d {
			phys = append(phys, st.pos[b])
		}
		key := st.sourceID(s)
		col, row := st.sourceTile(tb.geo, s)
		tb.build(col, row, phys, func(tile int, links uint8, cores uint64) {
			st.tables[tile] = append(st.tables[tile], routeKey{key: key, links: links, cores: cores})
		})
	}
	for _, tab := range st.tables {
		slices.SortFunc(tab, func(a, b routeKey) int { return cmpU64(a.key, b.key) })
	}
	return nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sourceID is the image's source id of source s (chipimage.Limits.NeuronSource or
// InputSource): the key of its packets on a multicast target.
func (st *state) sourceID(s int) uint64 {
	n := uint64(st.t.Core.Neurons)
	if s < st.g.N {
		return uint64(st.pos[st.part.coreOf[s]])*n + uint64(st.slot[s])
	}
	return uint64(st.t.TotalCores())*n + uint64(s-st.g.N)
}

// sourceTile is the tile where source s's packets enter the mesh: its core's tile,
// or the host port's.
func (st *state) sourceTile(geo *geometry, s int) (col, row int) {
	if s < st.g.N {
		q := st.pos[st.part.coreOf[s]]
		return int(geo.col[q]), int(geo.row[q])
	}
	return geo.hostCol, geo.hostRow
}

// treeBuilder computes XY multicast trees with scratch memory per mesh.
type treeBuilder struct {
	geo            *geometry
	colMin, colMax []int32  // per column: the northernmost and southernmost destination row
	local          []uint64 // per tile: destination cores
	cols, tiles    []int32  // touched
}

func newTreeBuilder(geo *geometry) *treeBuilder {
	tb := &treeBuilder{geo: geo, colMin: make([]int32, geo.cols), colMax: make([]int32, geo.cols), local: make([]uint64, geo.cols*geo.rows)}
	for c := range tb.colMin {
		tb.colMin[c], tb.colMax[c] = -1, -1
	}
	return tb
}

// build calls emit for every tile of the XY tree from tile (sc, sr) to the
// destination cores (physical), with the tree's links out of that tile and its
// destination cores there, and returns the number of links the tree uses.
func (tb *treeBuilder) build(sc, sr int, dests []int32, emit func(tile int, links uint8, cores uint64)) int {
	geo := tb.geo
	minCol, maxCol := sc, sc
	for _, q := range dests {
		c, r := geo.col[q], geo.row[q]
		tile := int(r)*geo.cols + int(c)
		if tb.local[tile] == 0 {
			tb.tiles = append(tb.tiles, int32(tile))
		}
		tb.local[tile] |= 1 << (int(q) % geo.per)
		if tb.colMin[c] < 0 {
			tb.cols = append(tb.cols, c)
			tb.colMin[c], tb.colMax[c] = r, r
		}
		tb.colMin[c], tb.colMax[c] = min(tb.colMin[c], r), max(tb.colMax[c], r)
		minCol, maxCol = min(minCol, int(c)), max(maxCol, int(c))
	}
	links := 0
	out := func(col, row int, l uint8) {
		tile := row*geo.cols + col
		links += bits.OnesCount8(l)
		emit(tile, l, tb.local[tile])
	}
	for x := minCol; x <= maxCol; x++ {
		var l uint8
		if x >= sc && x < maxCol {
			l |= chipimage.LinkEast
		}
		if x <= sc && x > minCol {
			l |= chipimage.LinkWest
		}
		if tb.colMin[x] >= 0 && int(tb.colMin[x]) < sr {
			l |= chipimage.LinkNorth
		}
		if tb.colMax[x] >= 0 && int(tb.colMax[x]) > sr {
			l |= chipimage.LinkSouth
		}
		out(x, sr, l)
	}
	slices.Sort(tb.cols)
	for _, x := range tb.cols {
		for y := sr - 1; y >= int(tb.colMin[x]); y-- {
			var l uint8
			if y > int(tb.colMin[x]) {
				l = chipimage.LinkNorth
			}
			out(int(x), y, l)
		}
		for y := sr + 1; y <= int(tb.colMax[x]); y++ {
			var l uint8
			if y < int(tb.colMax[x]) {
				l = chipimage.LinkSouth
			}
			out(int(x), y, l)
		}
	}
	for _, c := range tb.cols {
		tb.colMin[c], tb.colMax[c] = -1, -1
	}
	for _, tile := range tb.tiles {
		tb.local[tile] = 0
	}
	tb.cols, tb.tiles = tb.cols[:0], tb.tiles[:0]
	return links
}
