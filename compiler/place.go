package compiler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/snnc/snnc/targets"
)

// placement is what the place pass decided and why.
type placement struct {
	method string  // how the positions were found
	cost   float64 // sum over core pairs of traffic x hops, plus host traffic x hops
	naive  float64 // the same for row-major placement
	moves  int     // annealing moves tried
}

// Budgets of the place pass: the core graph is built when the sources' destination
// lists hold at most graphPairs entries; the greedy start runs when cores x
// candidate positions x mean degree is at most greedyWork; annealing tries at most
// annealMoves moves and touches at most annealWork adjacency entries.
const (
	graphPairs  = 1 << 24
	greedyWork  = 1 << 28
	annealMoves = 2_000_000
	annealWork  = 1 << 28
)

// coreGraph is the traffic between logical cores, symmetric, in packets per step,
// and the traffic each core receives from the host.
type coreGraph struct {
	start []int32
	adj   []int32
	w     []float64
	host  []float64
}

// dests builds, per source, its destination cores (logical, in the order its
// targets first reach them).
func (st *state) dests() {
	p, g := st.part, st.g
	start := make([]int64, g.S+1)
	for s := 0; s < g.S; s++ {
		start[s+1] = start[s] + int64(p.dsize[s])
	}
	list := make([]int32, start[g.S])
	g.scanner(p.coreOf, p.cores).scan(func(_, s int, d []dest) {
		for i, x := range d {
			list[start[s]+int64(i)] = x.core
		}
	})
	st.dstStart, st.dst = start, list
}

// destsOf returns source s's destination cores (logical).
func (st *state) destsOf(s int) []int32 { return st.dst[st.dstStart[s]:st.dstStart[s+1]] }

// home is the logical core of source s, or -1 for an input channel.
func (st *state) home(s int) int {
	if s < st.g.N {
		return int(st.part.coreOf[s])
	}
	return -1
}

// placePass puts logical cores on physical cores. It starts from the best of
// row-major order, a locality-preserving curve order and (for small meshes) a greedy
// placement by traffic, then anneals with seeded swaps when the core graph is small
// enough to build. The result is never worse than row-major order.
func placePass(st *state) error {
	K, t := st.part.cores, st.t
	geo := newGeometry(t)
	var cg *coreGraph
	if len(st.dst) <= graphPairs {
		cg = st.coreGraph()
	}
	cost := func(pos []int32) float64 {
		if cg != nil {
			return cg.cost(geo, pos)
		}
		return st.pairCost(geo, pos)
	}
	type cand struct {
		name string
		pos  []int32
	}
	cands := []cand{{"row-major", rowMajor(K)}, {"curve", geo.curve(K)}}
	if cg != nil {
		// Greedy over a compact region near the host: the first positions of the
		// curve, four times as many as there are cores.
		region := geo.curve(min(t.TotalCores(), 4*K))
		if int64(K)*int64(len(region))*int64(len(cg.adj)/K+1) <= greedyWork {
			cands = append(cands, cand{"greedy", cg.greedy(geo, K, region)})
		}
	}
	best, bestCost := 0, math.Inf(1)
	naive := 0.0
	for i, c := range cands {
		x := cost(c.pos)
		if i == 0 {
			naive = x
		}
		if x < bestCost {
			best, bestCost = i, x
		}
	}
	pos, method := cands[best].pos, cands[best].name
	plc := &placement{naive: naive}
	if cg != nil && K > 1 && bestCost > 0 {
		ann, moves := cg.anneal(geo, slices.Clone(pos), st.opt.Seed)
		plc.moves = moves
		if c := cg.cost(geo, ann); c < bestCost {
			pos, bestCost = ann, c
			method += " + annealing"
		}
	}
	if cg == nil {
		method += fmt.Sprintf(" (no annealing: %s destination pairs exceed the core-graph budget)", commas(len(st.dst)))
	}
	plc.method, plc.cost = method, bestCost
	st.pos, st.plc = pos, plc
	return st.traffic()
}

// rowMajor is the naive placement: logical core k on physical core k.
func rowMajor(K int) []int32 {
	pos := make([]int32, K)
	for k := range pos {
		pos[k] = int32(k)
	}
	return pos
}

// geometry caches tile coordinates of physical cores.
type geometry struct {
	cols, rows, per int
	hostCol         int
	hostRow         int
	col, row        []int32 // per physical core
}

func newGeometry(t *targets.Target) *geometry {
	n := t.TotalCores()
	geo := &geometry{cols: t.Mesh.Cols, rows: t.Mesh.Rows, per: t.Mesh.CoresPerTile,
		hostCol: t.Mesh.HostPort.Col, hostRow: t.Mesh.HostPort.Row, col: make([]int32, n), row: make([]int32, n)}
	for c := 0; c < n; c++ {
		tile := c / geo.per
		geo.col[c], geo.row[c] = int32(tile%geo.cols), int32(tile/geo.cols)
	}
	return geo
}

func (geo *geometry) hops(a, b int32) int {
	return absInt(int(geo.col[a])-int(geo.col[b])) + absInt(int(geo.row[a])-int(geo.row[b]))
}

func (geo *geometry) hostHops(a int32) int {
	return absInt(int(geo.col[a])-geo.hostCol) + absInt(int(geo.row[a])-geo.hostRow)
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// curve places logical cores in order along a Morton (Z-order) curve over the tiles,
// starting at the corner nearest the host port, filling each tile's cores in turn:
// consecutive cores, which the partition filled from consecutive units, land close
// together.
func (geo *geometry) curve(K int) []int32 {
	flipC, flipR := geo.hostCol*2 >= geo.cols, geo.hostRow*2 >= geo.rows
	type tile struct {
		z        uint64
		col, row int
	}
	tiles := make([]tile, 0, geo.cols*geo.rows)
	for r := 0; r < geo.rows; r++ {
		for c := 0; c < geo.cols; c++ {
			x, y := c, r
			if flipC {
				x = geo.cols - 1 - c
			}
			if flipR {
				y = geo.rows - 1 - r
			}
			tiles = append(tiles, tile{z: interleave(uint32(x), uint32(y)), col: c, row: r})
		}
	}
	slices.SortFunc(tiles, func(a, b tile) int {
		switch {
		case a.z < b.z:
			return -1
		case a.z > b.z:
			return 1
		}
		return 0
	})
	pos := make([]int32, K)
	for k := range pos {
		tl := tiles[k/geo.per]
		pos[k] = int32((tl.row*geo.cols+tl.col)*geo.per + k%geo.per)
	}
	return pos
}

// interleave spreads the bits of x and y: x in the even bits, y in the odd bits.
func interleave(x, y uint32) uint64 {
	spread := func(v uint32) uint64 {
		var out uint64
		for i := 0; i < 32 && v>>i != 0; i++ {
			out |= uint64(v>>i&1) << (2 * i)
		}
		return out
	}
	return spread(x) | spread(y)<<1
}

// coreGraph builds the symmetric traffic between logical cores from the sources'
// destination lists: a source of rate r in core a with a destination b != a adds r
// to (a, b); an input channel of rate r adds r to the host traffic of each of its
// destinations.
func (st *state) coreGraph() *coreGraph {
	g, p := st.g, st.part
	K := p.cores
	cg := &coreGraph{host: make([]float64, K)}
	type edge struct {
		a, b int32
		w    float64
	}
	var edges []edge
	acc := make([]float64, K)
	var touched []int32
	members := unitsByCore(p.coreOf, K)
	for a := 0; a < K; a++ {
		touched = touched[:0]
		for _, u := range members[a] {
			if int(u) >= g.N {
				continue
			}
			for _, b := range st.destsOf(int(u)) {
				if int(b) == a {
					continue
				}
				if acc[b] == 0 {
					touched = append(touched, b)
				}
				acc[b] += g.rate[u]
			}
		}
		slices.Sort(touched)
		for _, b := range touched {
			edges = append(edges, edge{int32(a), b, acc[b]}, edge{b, int32(a), acc[b]})
			acc[b] = 0
		}
	}
	for s := g.N; s < g.S; s++ {
		for _, b := range st.destsOf(s) {
			cg.host[b] += g.rate[s]
		}
	}
	// Rows of the symmetric graph: count, place, then merge duplicates per row.
	cg.start = make([]int32, K+1)
	for _, e := range edges {
		cg.start[e.a+1]++
	}
	for a := 0; a < K; a++ {
		cg.start[a+1] += cg.start[a]
	}
	adj := make([]int32, len(edges))
	w := make([]float64, len(edges))
	next := slices.Clone(cg.start[:K])
	for _, e := range edges {
		adj[next[e.a]], w[next[e.a]] = e.b, e.w
		next[e.a]++
	}
	edges = nil
	out := cg.start[:1:1]
	cg.adj, cg.w = adj[:0], w[:0]
	for a := 0; a < K; a++ {
		touched = touched[:0]
		for i := cg.start[a]; i < cg.start[a+1]; i++ {
			b := adj[i]
			if acc[b] == 0 {
				touched = append(touched, b)
			}
			acc[b] += w[i]
		}
		slices.Sort(touched)
		for _, b := range touched {
			cg.adj = append(cg.adj, b)
			cg.w = append(cg.w, acc[b])
			acc[b] = 0
		}
		out = append(out, int32(len(cg.adj)))
	}
	cg.start = out
	return cg
}

// cost is the sum over core pairs of traffic x hops plus host traffic x hops.
func (cg *coreGraph) cost(geo *geometry, pos []int32) float64 {
	c := 0.0
	for a := range cg.host {
		for i := cg.start[a]; i < cg.start[a+1]; i++ {
			if b := cg.adj[i]; int(b) > a {
				c += cg.w[i] * float64(geo.hops(pos[a], pos[b]))
			}
		}
		c += cg.host[a] * float64(geo.hostHops(pos[a]))
	}
	return c
}

// pairCost is cost without the core graph: from the destination lists directly.
func (st *state) pairCost(geo *geometry, pos []int32) float64 {
	g := st.g
	c := 0.0
	for s := 0; s < g.S; s++ {
		h := st.home(s)
		r := g.rate[s]
		for _, b := range st.destsOf(s) {
			if h >= 0 {
				c += r * float64(geo.hops(pos[h], pos[b]))
			} else {
				c += r * float64(geo.hostHops(pos[b]))
			}
		}
	}
	return c
}

// greedy places the core with the most traffic nearest the host, then repeatedly
// the unplaced core with the most traffic to placed cores on the free position that
// costs least.
func (cg *coreGraph) greedy(geo *geometry, K int, region []int32) []int32 {
	pos := make([]int32, K)
	for k := range pos {
		pos[k] = -1
	}
	free := make([]bool, len(region))
	for i := range free {
		free[i] = true
	}
	link := make([]float64, K) // traffic to placed cores
	placed := make([]bool, K)
	for n := 0; n < K; n++ {
		// Pick: most traffic to placed cores, then most host traffic, then lowest index.
		pick := -1
		for k := 0; k < K; k++ {
			if placed[k] {
				continue
			}
			if pick < 0 || link[k] > link[pick] || link[k] == link[pick] && cg.host[k] > cg.host[pick] {
				pick = k
			}
		}
		bestP, bestC := -1, math.Inf(1)
		for i, q := range region {
			if !free[i] {
				continue
			}
			c := cg.host[pick] * float64(geo.hostHops(q))
			for e := cg.start[pick]; e < cg.start[pick+1]; e++ {
				if b := cg.adj[e]; placed[b] {
					c += cg.w[e] * float64(geo.hops(q, pos[b]))
				}
			}
			if c < bestC {
				bestP, bestC = i, c
			}
		}
		pos[pick], free[bestP], placed[pick] = region[bestP], false, true
		for i := cg.start[pick]; i < cg.start[pick+1]; i++ {
			link[cg.adj[i]] += cg.w[i]
		}
	}
	return pos
}

// anneal improves a placement by simulated annealing: a move takes a random core to
// a random position within a window around it (swapping with the core there, if
// any); worse moves are accepted with probability exp(-delta / T), T falling
// geometrically. It returns the best placement seen and the moves tried.
func (cg *coreGraph) anneal(geo *geometry, pos []int32, seed uint64) ([]int32, int) {
	K, P := len(pos), len(geo.col)
	occ := make([]int32, P)
	for i := range occ {
		occ[i] = -1
	}
	for k, q := range pos {
		occ[q] = int32(k)
	}
	rng := rand.New(rand.NewPCG(seed, 0x706c616365)) // "place"
	delta := func(a int, from, to int32, skip int) float64 {
		d := cg.host[a] * float64(geo.hostHops(to)-geo.hostHops(from))
		for i := cg.start[a]; i < cg.start[a+1]; i++ {
			b := int(cg.adj[i])
			if b == skip {
				continue
			}
			d += cg.w[i] * float64(geo.hops(to, pos[b])-geo.hops(from, pos[b]))
		}
		return d
	}
	deg := float64(len(cg.adj))/float64(K) + 1
	moves := int(min(float64(annealMoves), max(200*float64(K), 20000), float64(annealWork)/(2*deg)))
	span := max(geo.cols, geo.rows)
	// Moves stay within a window about the size of the region the cores occupy.
	window := min(span, 2+int(math.Sqrt(float64(K)/float64(geo.per))))
	pick := func(radius int) (int, int32) {
		a := rng.IntN(K)
		col, row := int(geo.col[pos[a]]), int(geo.row[pos[a]])
		c := min(max(col+rng.IntN(2*radius+1)-radius, 0), geo.cols-1)
		r := min(max(row+rng.IntN(2*radius+1)-radius, 0), geo.rows-1)
		return a, int32((r*geo.cols+c)*geo.per + rng.IntN(geo.per))
	}
	// Temperature: from the mean |delta| of random moves down to a thousandth of it.
	t0 := 0.0
	for i := 0; i < 200; i++ {
		a, q := pick(span)
		b := int(occ[q])
		d := delta(a, pos[a], q, b)
		if b >= 0 && b != a {
			d += delta(b, q, pos[a], a)
		}
		t0 += math.Abs(d)
	}
	// Start cool: the start is already a good placement, and a hot start would
	// only scramble it.
	t0 = 0.05 * t0 / 200
	if t0 == 0 {
		return pos, 0
	}
	cur := cg.cost(geo, pos)
	best, bestPos := cur, slices.Clone(pos)
	for i := 0; i < moves; i++ {
		frac := float64(i) / float64(moves)
		temp := t0 * math.Pow(1e-3, frac)
		radius := max(1, int(float64(window)*(1-frac)))
		a, q := pick(radius)
		b := int(occ[q])
		if b == a {
			continue
		}
		from := pos[a]
		d := delta(a, from, q, b)
		if b >= 0 {
			d += delta(b, q, from, a)
		}
		if d > 0 && rng.Float64() >= math.Exp(-d/temp) {
			continue
		}
		pos[a], occ[q], occ[from] = q, int32(a), int32(b)
		if b >= 0 {
			pos[b] = from
		}
		cur += d
		if cur < best-1e-9 {
			best = cur
			copy(bestPos, pos)
		}
	}
	return bestPos, moves
}
