package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/snnc/snnc/targets"
)

type targetsCmd struct {
	List targetsListCmd `cmd:"" default:"withargs" help:"List the built-in targets (the default)."`
	Show targetsShowCmd `cmd:"" help:"Print a target's resolved spec."`
}

type targetsListCmd struct {
	JSON bool `help:"Print the list as JSON."`
}

type targetSummary struct {
	Name           string `json:"name"`
	Cores          int    `json:"cores"`
	NeuronsPerCore int    `json:"neurons_per_core"`
	ClockHz        int64  `json:"clock_hz"`
	Description    string `json:"description"`
}

func (c *targetsListCmd) Run(e *env) error {
	var list []targetSummary
	for _, name := range targets.Names() {
		t, err := targets.Lookup(name)
		if err != nil {
			return err
		}
		list = append(list, targetSummary{Name: t.Name, Cores: t.TotalCores(), NeuronsPerCore: t.Core.Neurons, ClockHz: t.ClockHz, Description: t.Description})
	}
	if c.JSON {
		return printJSON(e.stdout, list)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "name\tcores\tneurons/core\tclock\tdescription")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", s.Name, s.Cores, s.NeuronsPerCore, hertz(s.ClockHz), firstLine(s.Description, 72))
	}
	return tw.Flush()
}

type targetsShowCmd struct {
	Target string `arg:"" help:"A preset name, or a target file (a path ending in .json or containing a slash)." placeholder:"NAME|FILE.json"`
	JSON   bool   `help:"Print the resolved spec as JSON (the encoding the target's hash covers)."`
}

func (c *targetsShowCmd) Run(e *env) error {
	t, err := loadTarget(c.Target)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(e.stdout, t)
	}
	showTarget(e.stdout, t)
	return nil
}

// loadTarget resolves --target: a file when it ends in .json or contains a path
// separator, else a preset; an unknown preset name is a usage error.
func loadTarget(s string) (*targets.Target, error) {
	if !strings.HasSuffix(s, ".json") && !strings.ContainsAny(s, `/\`) && !slices.Contains(targets.Names(), s) {
		return nil, usageError{fmt.Errorf("unknown target %q (presets: %s; or give a path to a .json file)", s, strings.Join(targets.Names(), ", "))}
	}
	return targets.Load(s)
}

// firstLine is the first line of s, cut to its first sentence and to at most n
// characters on a word boundary.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n-3], ' ')
	if cut <= 0 {
		cut = n - 3
	}
	return strings.TrimRight(s[:cut], " ,;:") + "..."
}

func hertz(hz int64) string {
	switch {
	case hz >= 1e9 && hz%1e6 == 0:
		return fmt.Sprintf("%g GHz", float64(hz)/1e9)
	case hz >= 1e6 && hz%1e3 == 0:
		return fmt.Sprintf("%g MHz", float64(hz)/1e6)
	case hz >= 1e3:
		return fmt.Sprintf("%g kHz", float64(hz)/1e3)
	}
	return fmt.Sprintf("%d Hz", hz)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func showTarget(w io.Writer, t *targets.Target) {
	m, k, s, f, r := t.Mesh, t.Core, t.Core.SynapseMemory, t.Formats, t.Readout
	fmt.Fprintf(w, "%s: %s\n", t.Name, t.Description)
	fmt.Fprintf(w, "from %s; hash %s\n\n", strings.Join(t.Chain(), " -> "), t.HashHex())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(name, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\n", name, fmt.Sprintf(format, args...))
	}
	row("mesh", "%d x %d tiles x %d cores = %d cores; host port at tile (%d, %d), %s edge, %d input channels",
		m.Cols, m.Rows, m.CoresPerTile, t.TotalCores(), m.HostPort.Col, m.HostPort.Row, m.HostPort.Side, m.HostPort.InputChannels)
	row("clock", "%s", hertz(t.ClockHz))
	row("core", "%d neuron slots (ALIF neuron: %d), %d input axons, %d fan-out entries, at most %d synapses per axon",
		k.Neurons, k.ALIFNeuronSlots, k.InputAxons, k.FanoutEntries, k.MaxSynapsesPerAxon)
	row("synapse memory", "%d words of %d bits, %d entries of %d bits (weight %d + delay %d + target %d): %d synapses per core",
		s.Words, s.WordBits, s.SynapsesPerWord, t.EntryBits(), f.Weight.MantissaBits, s.DelayBits, s.TargetBits, t.SynapsesPerCore())
	row("router", "%d routing-table entries, %d-flit buffers", t.Router.TableEntries, t.Router.BufferFlits)
	gran := string(f.Weight.Granularity)
	if f.Weight.Granularity == targets.PerSynapseGroup {
		gran = fmt.Sprintf("synapse group (%d per core)", f.Weight.ExponentGroupsPerCore)
	}
	row("weights", "%d-bit mantissa x 2^(%d..%d), one exponent per %s", f.Weight.MantissaBits, f.Weight.ExponentMin, f.Weight.ExponentMax, gran)
	row("state", "accumulator %d, membrane %d, adaptation %d bits; threshold %d-bit mantissa << %d",
		f.AccumulatorBits, f.MembraneBits, f.AdaptationBits, f.ThresholdBits, f.ThresholdShift)
	dec := fmt.Sprintf("multiplier, %d fraction bits", f.Decay.FractionBits)
	if f.Decay.Representation == targets.DecayShift {
		dec = fmt.Sprintf("bit shift 1..%d", f.Decay.MaxShift)
	}
	row("decay", "%s, min decrement %d; rounding %s; saturation %s", dec, f.Decay.MinDecrement, f.Rounding, f.Saturation)
	row("limits", "delays up to %d steps, refractory up to %d steps, threshold adaptation: %s", f.MaxDelaySteps, f.MaxRefractorySteps, yesNo(f.ALIF))
	slots := fmt.Sprintf("%d neuron slot(s) each", r.NeuronSlots)
	if r.NeuronSlots == 0 {
		slots = "dedicated hardware"
	}
	row("readout", "%d units, %d-bit state, %s", r.Units, r.AccumulatorBits, slots)
	row("packets", "%s, %d flit(s) of %d bits", t.Packets.Addressing, t.Packets.FlitsPerPacket, t.Packets.FlitBits)
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tkind\tsource")
	for _, fg := range t.Figures() {
		fmt.Fprintf(tw, "%s\t%g %s\t%s\t%s\n", fg.Path, fg.Value, fg.Unit, fg.Kind, fg.Source)
	}
	tw.Flush()
}
