package compiler

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"

	"github.com/snnc/snnc/chipimage"
)

// compressPass replaces each router's one-entry-per-key table by the fewest ordered
// (key, mask) entries it finds that route every key passing the router as before.
// Keys that never reach a router do not matter there, and a table is searched in
// order (first match wins), so an entry may cover a whole block of keys with one
// route after the entries for its exceptions. A table that still has more entries
// than the router holds is an error naming every such router.
func compressPass(st *state) error {
	if st.tables == nil {
		st.routers = nil
		st.rep.routing(st)
		return nil
	}
	keyBits := st.t.KeyBits()
	st.routers = st.routers[:0]
	for tile, tab := range st.tables {
		if len(tab) == 0 {
			continue
		}
		st.routers = append(st.routers, chipimage.Router{Tile: tile, Entries: compressTable(tab, keyBits)})
	}
	return st.checkTables(true)
}

// uncompressed is the routers' tables with one exact entry per key.
func uncompressed(st *state) []chipimage.Router {
	if st.tables == nil {
		return nil
	}
	full := lowBits(st.t.KeyBits())
	var out []chipimage.Router
	for tile, tab := range st.tables {
		if len(tab) == 0 {
			continue
		}
		es := make([]chipimage.RouteEntry, len(tab))
		for i, k := range tab {
			es[i] = chipimage.RouteEntry{Key: k.key, Mask: full, Links: k.links, Cores: k.cores}
		}
		out = append(out, chipimage.Router{Tile: tile, Entries: es})
	}
	return out
}

// checkTables fails when a router's table is longer than the target allows, naming
// every such router with its counts before and after compression.
func (st *state) checkTables(compressed bool) error {
	t := st.t
	var over []string
	for _, r := range st.routers {
		if len(r.Entries) > t.Router.TableEntries {
			col, row := r.Tile%t.Mesh.Cols, r.Tile/t.Mesh.Cols
			how := fmt.Sprintf("after compression (%s keys before)", commas(len(st.tables[r.Tile])))
			if !compressed {
				how = "(one per key: compression skipped)"
			}
			over = append(over, fmt.Sprintf("router (%d, %d): routing table: needs %s entries %s, has %s (router.table_entries)",
				col, row, commas(len(r.Entries)), how, commas(t.Router.TableEntries)))
		}
	}
	st.rep.routing(st)
	if len(over) == 0 {
		return nil
	}
	ce := &CapacityError{Model: st.opt.ModelName, Target: t.Name, Problems: over,
		Fixes: []string{"fewer cores per source: a lower connectivity, or a partition over fewer cores",
			"or a target with larger routing tables (router.table_entries)"}}
	return ce
}

func lowBits(n int) uint64 {
	if n >= 64 {
		return ^uint64(0)
	}
	return uint64(1)<<n - 1
}

// cnode is a node of the key trie: keys [lo, hi) share their first depth bits.
type cnode struct {
	lo, hi, depth int
	left, right   int   // child nodes, -1 for a node whose keys share one route
	route         int32 // the shared route, or -1
	routes        []int32
	costs         []int32 // f(R) for R in routes: entries needed before a catch-all R
	bot           int32   // the same with no catch-all after
	best          int32   // entries needed to cover the node with one catch-all
	bestRoute     int32
}

// compressTable turns one router's exact entries (sorted by key) into ordered
// (key, mask) entries. It solves, on the trie of the keys present, for every node and
// every route R, the fewest entries that route the node's keys correctly when placed
// before an entry sending the whole node to R: either the children's solutions, or
// one entry covering the node with its best route placed after the children's
// exceptions to it.
func compressTable(tab []routeKey, keyBits int) []chipimage.RouteEntry {
	// Routes by first appearance.
	type port struct {
		links uint8
		cores uint64
	}
	ids := map[port]int32{}
	var ports []port
	route := make([]int32, len(tab))
	for i, k := range tab {
		p := port{k.links, k.cores}
		id, ok := ids[p]
		if !ok {
			id = int32(len(ports))
			ids[p] = id
			ports = append(ports, p)
		}
		route[i] = id
	}
	var nodes []cnode
	var solve func(lo, hi int) int
	solve = func(lo, hi int) int {
		depth := keyBits
		if hi-lo > 1 {
			depth = keyBits - bits.Len64(tab[lo].key^tab[hi-1].key)
		}
		n := cnode{lo: lo, hi: hi, depth: depth, left: -1, right: -1, route: route[lo]}
		for i := lo + 1; i < hi; i++ {
			if route[i] != n.route {
				n.route = -1
				break
			}
		}
		if n.route >= 0 {
			n.routes, n.costs, n.bot, n.best, n.bestRoute = []int32{n.route}, []int32{0}, 1, 1, n.route
			nodes = append(nodes, n)
			return len(nodes) - 1
		}
		b := uint(keyBits - 1 - depth)
		mid := lo + sort.Search(hi-lo, func(i int) bool { return tab[lo+i].key>>b&1 == 1 })
		n.left, n.right = solve(lo, mid), solve(mid, hi)
		L, R := &nodes[n.left], &nodes[n.right]
		f := func(x *cnode, r int32) int32 {
			i := sort.Search(len(x.routes), func(i int) bool { return x.routes[i] >= r })
			if i < len(x.routes) && x.routes[i] == r {
				return x.costs[i]
			}
			return x.bot
		}
		n.routes = mergeRoutes(L.routes, R.routes)
		n.costs = make([]int32, len(n.routes))
		n.best = 1 << 30
		for i, r := range n.routes {
			split := f(L, r) + f(R, r)
			n.costs[i] = split
			if split+1 < n.best {
				n.best, n.bestRoute = split+1, r
			}
		}
		for i := range n.costs {
			n.costs[i] = min(n.costs[i], n.best)
		}
		n.bot = min(L.bot+R.bot, n.best)
		nodes = append(nodes, n)
		return len(nodes) - 1
	}
	root := solve(0, len(tab))
	full := lowBits(keyBits)
	var out []chipimage.RouteEntry
	entry := func(n *cnode, r int32) {
		mask := full &^ lowBits(keyBits-n.depth)
		out = append(out, chipimage.RouteEntry{Key: tab[n.lo].key & mask, Mask: mask, Links: ports[r].links, Cores: ports[r].cores})
	}
	var emit func(i int, r int32)
	emit = func(i int, r int32) {
		n := &nodes[i]
		if n.left < 0 {
			if r != n.route {
				entry(n, n.route)
			}
			return
		}
		split := nodes[n.left].costFor(r) + nodes[n.right].costFor(r)
		if split <= n.best {
			emit(n.left, r)
			emit(n.right, r)
			return
		}
		emit(n.left, n.bestRoute)
		emit(n.right, n.bestRoute)
		entry(n, n.bestRoute)
	}
	emit(root, -1)
	return out
}

// costFor is f(r) of a node: r = -1 means no catch-all.
func (n *cnode) costFor(r int32) int32 {
	if r < 0 {
		return n.bot
	}
	i := sort.Search(len(n.routes), func(i int) bool { return n.routes[i] >= r })
	if i < len(n.routes) && n.routes[i] == r {
		return n.costs[i]
	}
	return n.bot
}

func mergeRoutes(a, b []int32) []int32 {
	out := make([]int32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// describeRoute formats a route for dumps: "E S + cores 0,2".
func describeRoute(links uint8, cores uint64) string {
	var parts []string
	for _, l := range []struct {
		bit  uint8
		name string
	}{{chipimage.LinkNorth, "N"}, {chipimage.LinkEast, "E"}, {chipimage.LinkSouth, "S"}, {chipimage.LinkWest, "W"}} {
		if links&l.bit != 0 {
			parts = append(parts, l.name)
		}
	}
	if cores != 0 {
		var cs []string
		for c := 0; c < 64; c++ {
			if cores>>c&1 != 0 {
				cs = append(cs, fmt.Sprint(c))
			}
		}
		parts = append(parts, "cores "+strings.Join(cs, ","))
	}
	return strings.Join(parts, " ")
}
