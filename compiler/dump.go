package compiler

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// dumpLines bounds the lines of each table a dump prints.
const dumpLines = 64

// dump writes the compiler's state after a pass, for --dump-after.
func (st *state) dump(w io.Writer, pass string) {
	fmt.Fprintf(w, "== state after pass %s (target %s) ==\n", pass, st.t.Name)
	g := st.g
	switch pass {
	case "quantize":
		net := st.net
		fmt.Fprintf(w, "%d neurons, %d input channels, %d readout units; %s synapses kept, %s with a zero mantissa dropped\n",
			g.N, g.NIn, g.NOut, commas(int(g.nnz)), commas(int(g.zero)))
		fmt.Fprintf(w, "state scale 2^%d, adapt shift %d, readout scale 2^%d; exponent granularity %s:", net.StateExp, net.AdaptShift, net.Readout.Exp, net.Arith.Granularity)
		for i, gr := range net.Groups {
			fmt.Fprintf(w, " group %d (%s) 2^%d;", i, gr.Name, gr.Exponent)
		}
		fmt.Fprintln(w)
		split := 0
		for _, s := range g.split {
			if s {
				split++
			}
		}
		fmt.Fprintf(w, "%d neurons have readout synapses with another exponent than their recurrent ones (separate axon lists)\n", split)
	case "partition":
		p := st.part
		fmt.Fprintf(w, "%d cores; cut %.4g packets/step leave their core (%.4g before refinement: %s)\n", p.cores, p.cut, p.cut0, p.refine)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "core\tunits\tslots\taxons\twords\tfan-out\tmembers\t")
		members := unitsByCore(p.coreOf, p.cores)
		for c := 0; c < min(p.cores, dumpLines); c++ {
			u := p.use[c]
			fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", c, u.units, u.slots, u.entries, u.words, u.fanout, st.members(members[c]))
		}
		tw.Flush()
		more(w, p.cores)
	case "place":
		geo := newGeometry(st.t)
		fmt.Fprintf(w, "method %s; traffic x hops %.4g (row-major %.4g)\n", st.plc.method, st.plc.cost, st.plc.naive)
		for k := 0; k < min(len(st.pos), dumpLines); k++ {
			q := st.pos[k]
			fmt.Fprintf(w, "core %d -> physical core %d, tile (%d, %d)\n", k, q, geo.col[q], geo.row[q])
		}
		more(w, len(st.pos))
	case "route":
		if st.tables == nil {
			fmt.Fprintln(w, "unicast: packets carry (core, axon) and follow dimension-order (XY) routes; no tables")
			break
		}
		st.dumpTables(w, func(tile int) []string {
			var lines []string
			for _, k := range st.tables[tile] {
				lines = append(lines, fmt.Sprintf("key %d -> %s", k.key, describeRoute(k.links, k.cores)))
			}
			return lines
		})
	case "compress":
		if st.tables == nil {
			fmt.Fprintln(w, "unicast: no tables")
			break
		}
		byTile := map[int][]string{}
		for _, r := range st.routers {
			for _, e := range r.Entries {
				byTile[r.Tile] = append(byTile[r.Tile], fmt.Sprintf("key %#x mask %#x -> %s", e.Key, e.Mask, describeRoute(e.Links, e.Cores)))
			}
		}
		st.dumpTables(w, func(tile int) []string { return byTile[tile] })
	case "emit":
		fmt.Fprintln(w, st.img.String())
		for i := 0; i < min(len(st.img.Cores), dumpLines); i++ {
			c := &st.img.Cores[i]
			fmt.Fprintf(w, "core %d: %d neurons, %d readouts, exponents %v, %d axon entries (%d axons), %d words, %d fan-out entries\n",
				c.Index, len(c.Neurons), len(c.Readouts), c.Exponents, len(c.Axons), len(c.AxonMap), c.Words, len(c.Fanout))
		}
		more(w, len(st.img.Cores))
	}
}

func more(w io.Writer, n int) {
	if n > dumpLines {
		fmt.Fprintf(w, "... and %d more\n", n-dumpLines)
	}
}

func (st *state) dumpTables(w io.Writer, lines func(tile int) []string) {
	cols := st.t.Mesh.Cols
	shown := 0
	for tile := range st.tables {
		ls := lines(tile)
		if len(ls) == 0 {
			continue
		}
		if shown == dumpLines {
			fmt.Fprintln(w, "... more routers")
			return
		}
		shown++
		fmt.Fprintf(w, "router (%d, %d): %d entries\n", tile%cols, tile/cols, len(ls))
		for i, l := range ls {
			if i == dumpLines {
				fmt.Fprintf(w, "    ... and %d more\n", len(ls)-dumpLines)
				break
			}
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
}

// members formats a core's units as runs: "neurons 0-119, readout units 0-9".
func (st *state) members(us []int32) string {
	g := st.g
	var neu, ro []int
	for _, u := range us {
		if int(u) < g.N {
			neu = append(neu, int(u))
		} else {
			ro = append(ro, int(u)-g.N)
		}
	}
	var parts []string
	if len(neu) > 0 {
		parts = append(parts, "neurons "+runs(neu))
	}
	if len(ro) > 0 {
		parts = append(parts, "readout units "+runs(ro))
	}
	return strings.Join(parts, ", ")
}

// runs formats ascending indices as runs: "3, 7-9, 120-219", at most 8 runs.
func runs(ids []int) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if n == 8 {
			fmt.Fprintf(&b, " and %d more", len(ids)-i)
			break
		}
		if n > 0 {
			b.WriteString(", ")
		}
		if i == j {
			fmt.Fprint(&b, ids[i])
		} else {
			fmt.Fprintf(&b, "%d-%d", ids[i], ids[j])
		}
		n++
		i = j + 1
	}
	return b.String()
}
