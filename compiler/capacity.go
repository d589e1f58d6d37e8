package compiler

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/snnc/snnc/targets"
)

// CapacityError is a model that does not fit its target: every violated limit with
// the numbers, and the smallest changes that would fit.
type CapacityError struct {
	Model    string   // the model's name, when known
	Target   string   // the target's name
	Problems []string // one per violated limit ("core 0: neuron slots: needs 1,230, has 1,000 (core.neurons)")
	Fixes    []string // changes that would fit, smallest first
}

func (e *CapacityError) Error() string {
	var b strings.Builder
	model := "the model"
	if e.Model != "" {
		model = e.Model
	}
	n := len(e.Problems)
	fmt.Fprintf(&b, "compile: %s does not fit target %s (%d limit%s violated)", model, e.Target, n, plural(n))
	for i, p := range e.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  ... and %d more", n-maxListed)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	if len(e.Fixes) > 0 {
		b.WriteString("\nwhat would fit:")
		for _, f := range e.Fixes {
			b.WriteString("\n  - ")
			b.WriteString(f)
		}
	}
	return b.String()
}

// maxListed bounds the problems an error spells out.
const maxListed = 40

func (e *CapacityError) add(problem string, fixes ...string) {
	e.Problems = append(e.Problems, problem)
	for _, f := range fixes {
		if f != "" && !contains(e.Fixes, f) {
			e.Fixes = append(e.Fixes, f)
		}
	}
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// commas formats an integer with thousands separators: 19211 -> "19,211".
func commas(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// precheck records the limits of the whole target that the network's sizes exceed.
func (st *state) precheck(ce *CapacityError) {
	g, t := st.g, st.t
	if ch := t.Mesh.HostPort.InputChannels; g.NIn > ch {
		ce.add(fmt.Sprintf("input channels: needs %s, has %s (mesh.host_port.input_channels)", commas(g.NIn), commas(ch)),
			fmt.Sprintf("use at most %s input channels (the model has %s)", commas(ch), commas(g.NIn)))
	}
	if ro := t.Readout.Units; g.NOut > ro {
		ce.add(fmt.Sprintf("readout units: needs %s, has %s (readout.units)", commas(g.NOut), commas(ro)),
			fmt.Sprintf("use at most %s readout units (the model has %s)", commas(ro), commas(g.NOut)))
	}
}

// unitName names a unit: "neuron 17" or "readout unit 3".
func (g *graph) unitName(u int) string {
	if u < g.N {
		return "neuron " + commas(u)
	}
	return "readout unit " + commas(u-g.N)
}

// unitProblems records units that do not fit an empty core, grouped by the limit
// they exceed.
func (ce *CapacityError) unitProblems(g *graph, t *targets.Target, bad []unitNeed) {
	lim := limitsOf(t)
	for _, r := range []struct {
		what, field string
		need        func(unitNeed) int
		have        int
		fix         string
	}{
		{"neuron slots", "core.neurons", func(x unitNeed) int { return x.slots }, lim.slots, ""},
		{"axon-table entries (one per presynaptic source)", "core.input_axons", func(x unitNeed) int { return x.entries }, lim.entries,
			"limit every neuron's fan-in to %s presynaptic sources"},
		{"synapse memory words (one list per presynaptic source)", "core.synapse_memory.words", func(x unitNeed) int { return x.words }, lim.words,
			"limit every neuron's fan-in to %s presynaptic sources"},
	} {
		var who []string
		worst := 0
		for _, x := range bad {
			if n := r.need(x); n > r.have {
				if len(who) < 8 {
					who = append(who, g.unitName(x.unit))
				}
				worst = max(worst, n)
			}
		}
		if worst == 0 {
			continue
		}
		n := 0
		for _, x := range bad {
			if r.need(x) > r.have {
				n++
			}
		}
		list := strings.Join(who, ", ")
		if n > len(who) {
			list += fmt.Sprintf(" and %d more", n-len(who))
		}
		fix := ""
		if r.fix != "" {
			fix = fmt.Sprintf(r.fix, commas(r.have))
		}
		ce.add(fmt.Sprintf("%s: needs up to %s %s alone, a core has %s (%s)", list, commas(worst), r.what, commas(r.have), r.field), fix)
	}
}

// tooManyCores records that the partition needs more cores than the target has,
// with what each resource alone would need, and the scale that would fit.
func (ce *CapacityError) tooManyCores(st *state, p *partition) {
	g, t := st.g, st.t
	total := t.TotalCores()
	f := float64(total) / float64(p.cores)
	if total == 1 {
		// One core: say what the whole network needs of it, limit by limit, and scale
		// by the most exceeded one.
		f = 1
		all := make([]int32, g.U)
		use, _, _ := st.measure(all, 1)
		u, lim := use[0], limitsOf(t)
		for _, x := range []struct {
			what, unit, field string
			need, have        int
		}{
			{"neuron slots", "slots", "core.neurons", u.slots, lim.slots},
			{"axon table", "entries", "core.input_axons", u.entries, lim.entries},
			{"synapse memory", "words", "core.synapse_memory.words", u.words, lim.words},
			{"fan-out table", "entries", "core.fanout_entries", u.fanout, lim.fanout},
		} {
			if x.need > x.have {
				ce.add(fmt.Sprintf("core 0: %s: needs %s %s, has %s (%s)", x.what, commas(x.need), x.unit, commas(x.have), x.field))
				f = min(f, float64(x.have)/float64(x.need))
			}
		}
	} else {
		slots := 0
		for _, c := range g.cost {
			slots += int(c)
		}
		lb := []string{fmt.Sprintf("neuron slots alone: %s", commas(ceilDiv(slots, t.Core.Neurons)))}
		if spc := t.SynapsesPerCore(); spc > 0 {
			lb = append(lb, fmt.Sprintf("synapse memory alone: %s", commas(ceilDiv(int(g.nnz), spc))))
		}
		ce.add(fmt.Sprintf("cores: the partition needs %s, the target has %s (lower bounds: %s)", commas(p.cores), commas(total), strings.Join(lb, ", ")))
	}
	ce.Fixes = append(ce.Fixes,
		fmt.Sprintf("about %s neurons at this connectivity (the model has %s)", commas(int(math.Floor(float64(g.N)*f))), commas(g.N)),
		fmt.Sprintf("or about %s synapses at this size (the model has %s)", commas(int(math.Floor(float64(g.nnz)*f))), commas(int(g.nnz))))
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// fixes adds to the fixes the built-in targets on which the model's partition fits.
func (st *state) fixes(ce *CapacityError) []string {
	var fit []string
	for _, name := range targets.Names() {
		if name == st.t.Name {
			continue
		}
		t, err := targets.Lookup(name)
		if err != nil {
			continue
		}
		if st.fitsOn(t) {
			fit = append(fit, fmt.Sprintf("%s (%s core%s)", name, commas(t.TotalCores()), plural(t.TotalCores())))
		}
	}
	out := ce.Fixes
	if len(fit) > 0 {
		out = append(out, "or a larger target: "+strings.Join(fit, ", "))
	}
	return out
}

// fitsOn reports whether the network's sizes and a fill of its units fit target t:
// a quick answer for suggestions (the quantization for t may still differ).
func (st *state) fitsOn(t *targets.Target) bool {
	g := st.g
	if g.NIn > t.Mesh.HostPort.InputChannels || g.NOut > t.Readout.Units {
		return false
	}
	if g.NOut > 0 && t.Readout.NeuronSlots == 0 && t.TotalCores() != 1 {
		return false
	}
	h := *g
	h.maxList = min(t.Core.MaxSynapsesPerAxon, 1<<31-1)
	h.perWord = t.SynapsesPerWord()
	h.entryWords = t.WordsFor(h.maxList)
	h.multicast = t.Packets.Addressing == targets.Multicast
	h.cost = make([]int32, g.U)
	for j, n := range g.net.Neurons {
		h.cost[j] = int32(t.NeuronSlots(n.ALIF))
		if n.ALIF && !t.Formats.ALIF {
			return false
		}
	}
	for k := 0; k < g.NOut; k++ {
		h.cost[g.N+k] = int32(t.Readout.NeuronSlots)
	}
	p, bad := fill(&h, limitsOf(t), nil)
	return len(bad) == 0 && p.cores <= t.TotalCores()
}
