// Package targettest is the conformance suite every snnc target passes: the built-in
// presets in the targets package's own tests, and a user's target file in theirs:
//
//	func TestMyTarget(t *testing.T) {
//		tg, err := targets.Load("testdata/my-board.json")
//		if err != nil {
//			t.Fatal(err)
//		}
//		targettest.Run(t, tg)
//	}
//
// Run checks what a later stage relies on without looking: number formats fit their
// bits, limits are positive, the energy and timing tables are complete with a source
// and a kind for every figure, the hash is stable across loads and encodings, inherits
// left no field empty, and the derived helpers (tiles, hops, index widths) agree with
// each other.
package targettest

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/snnc/snnc/targets"
)

// Run runs the conformance checks on tg as subtests of t.
func Run(t *testing.T, tg *targets.Target) {
	t.Helper()
	if tg == nil {
		t.Fatal("targettest: nil target")
	}
	if err := tg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	t.Run("formats", func(t *testing.T) { formats(t, tg) })
	t.Run("limits", func(t *testing.T) { limits(t, tg) })
	t.Run("figures", func(t *testing.T) { figures(t, tg) })
	t.Run("hash", func(t *testing.T) { hash(t, tg) })
	t.Run("resolved", func(t *testing.T) { resolved(t, tg) })
	t.Run("geometry", func(t *testing.T) { geometry(t, tg) })
}

func formats(t *testing.T, tg *targets.Target) {
	f, s := tg.Formats, tg.Core.SynapseMemory
	if got := tg.EntryBits() * s.SynapsesPerWord; got > s.WordBits {
		t.Errorf("%d synapse entries of %d bits need %d bits; word has %d", s.SynapsesPerWord, tg.EntryBits(), got, s.WordBits)
	}
	if tg.EntryBits() != f.Weight.MantissaBits+s.DelayBits+s.TargetBits {
		t.Errorf("EntryBits = %d, want weight + delay + target bits", tg.EntryBits())
	}
	if maxD := 1<<s.DelayBits - 1; f.MaxDelaySteps > maxD {
		t.Errorf("max_delay_steps = %d does not fit %d delay bits", f.MaxDelaySteps, s.DelayBits)
	}
	indexed := tg.Core.Neurons
	if tg.Readout.NeuronSlots == 0 {
		indexed += tg.Readout.Units
	}
	if 1<<s.TargetBits < indexed {
		t.Errorf("target_bits = %d cannot index %d synapse targets", s.TargetBits, indexed)
	}
	if f.ThresholdBits+f.ThresholdShift >= f.MembraneBits {
		t.Errorf("threshold of %d bits << %d does not fit a %d-bit membrane", f.ThresholdBits, f.ThresholdShift, f.MembraneBits)
	}
	if _, hiV := targets.SignedRange(f.MembraneBits); tg.MaxThreshold() > hiV {
		t.Errorf("MaxThreshold = %d above the membrane's largest value %d", tg.MaxThreshold(), hiV)
	}
	lo, hi := tg.WeightMantissaRange()
	if lo != -(hi+1) || hi < 0 {
		t.Errorf("WeightMantissaRange = %d..%d is not a two's complement range", lo, hi)
	}
	if need := f.Weight.MantissaBits + max(f.Weight.ExponentMax, 0); need > f.AccumulatorBits || need > tg.Readout.AccumulatorBits {
		t.Errorf("largest weight needs %d bits; accumulators have %d (core) and %d (readout)", need, f.AccumulatorBits, tg.Readout.AccumulatorBits)
	}
	if f.Weight.ExponentMin > f.Weight.ExponentMax {
		t.Errorf("exponent range %d..%d is empty", f.Weight.ExponentMin, f.Weight.ExponentMax)
	}
	switch f.Decay.Representation {
	case targets.DecayMultiplier:
		if f.Decay.FractionBits < 1 || f.MembraneBits+f.Decay.FractionBits > 62 || f.AdaptationBits+f.Decay.FractionBits > 62 {
			t.Errorf("multiplier decay with %d fraction bits does not fit 64-bit arithmetic", f.Decay.FractionBits)
		}
	case targets.DecayShift:
		if f.Decay.MaxShift < 1 {
			t.Errorf("shift decay with max_shift = %d", f.Decay.MaxShift)
		}
	default:
		t.Errorf("decay representation %q", f.Decay.Representation)
	}
	if tg.DelaySlots() != f.MaxDelaySteps+1 {
		t.Errorf("DelaySlots = %d, want %d", tg.DelaySlots(), f.MaxDelaySteps+1)
	}
	if tg.NeuronSlots(false) != 1 || tg.NeuronSlots(true) != tg.Core.ALIFNeuronSlots {
		t.Errorf("NeuronSlots = %d, %d", tg.NeuronSlots(false), tg.NeuronSlots(true))
	}
	if have := tg.PacketBits(); tg.Packets.Addressing == targets.Unicast && tg.CoreIndexBits()+tg.AxonIndexBits() > have ||
		tg.Packets.Addressing == targets.Multicast && tg.KeyBits() > have {
		t.Errorf("packet of %d bits cannot hold its address", have)
	}
}

func limits(t *testing.T, tg *targets.Target) {
	positive := map[string]int64{
		"clock_hz":                              tg.ClockHz,
		"mesh.cols":                             int64(tg.Mesh.Cols),
		"mesh.rows":                             int64(tg.Mesh.Rows),
		"mesh.cores_per_tile":                   int64(tg.Mesh.CoresPerTile),
		"mesh.host_port.input_channels":         int64(tg.Mesh.HostPort.InputChannels),
		"core.neurons":                          int64(tg.Core.Neurons),
		"core.alif_neuron_slots":                int64(tg.Core.ALIFNeuronSlots),
		"core.input_axons":                      int64(tg.Core.InputAxons),
		"core.fanout_entries":                   int64(tg.Core.FanoutEntries),
		"core.max_synapses_per_axon":            int64(tg.Core.MaxSynapsesPerAxon),
		"core.synapse_memory.words":             int64(tg.Core.SynapseMemory.Words),
		"core.synapse_memory.word_bits":         int64(tg.Core.SynapseMemory.WordBits),
		"core.synapse_memory.synapses_per_word": int64(tg.Core.SynapseMemory.SynapsesPerWord),
		"formats.weight.mantissa_bits":          int64(tg.Formats.Weight.MantissaBits),
		"formats.accumulator_bits":              int64(tg.Formats.AccumulatorBits),
		"formats.membrane_bits":                 int64(tg.Formats.MembraneBits),
		"formats.adaptation_bits":               int64(tg.Formats.AdaptationBits),
		"formats.threshold_bits":                int64(tg.Formats.ThresholdBits),
		"readout.units":                         int64(tg.Readout.Units),
		"readout.accumulator_bits":              int64(tg.Readout.AccumulatorBits),
		"packets.flits_per_packet":              int64(tg.Packets.FlitsPerPacket),
		"packets.flit_bits":                     int64(tg.Packets.FlitBits),
		"router.buffer_flits":                   int64(tg.Router.BufferFlits),
		"TotalCores()":                          int64(tg.TotalCores()),
		"SynapsesPerCore()":                     int64(tg.SynapsesPerCore()),
	}
	for name, v := range positive {
		if v <= 0 {
			t.Errorf("%s = %d: must be positive", name, v)
		}
	}
	if tg.Packets.Addressing == targets.Multicast && tg.Router.TableEntries <= 0 {
		t.Errorf("multicast target with router.table_entries = %d", tg.Router.TableEntries)
	}
	if tg.Readout.NeuronSlots == 0 && tg.TotalCores() != 1 {
		t.Errorf("dedicated readouts (neuron_slots 0) on %d cores", tg.TotalCores())
	}
	if tg.Formats.MaxDelaySteps < 0 || tg.Formats.MaxRefractorySteps < 0 {
		t.Errorf("negative max delay or refractory period")
	}
}

func figures(t *testing.T, tg *targets.Target) {
	figs := tg.Figures()
	// Every Cycles, Picojoules and Milliwatts field of the spec must be listed.
	want := countFigures(reflect.TypeOf(tg.Timing)) + countFigures(reflect.TypeOf(tg.Energy))
	if len(figs) != want {
		t.Errorf("Figures lists %d figures, the spec has %d", len(figs), want)
	}
	kinds := map[targets.Kind]bool{}
	for _, k := range targets.Kinds() {
		kinds[k] = true
	}
	seen := map[string]bool{}
	for _, f := range figs {
		if seen[f.Path] {
			t.Errorf("%s listed twice", f.Path)
		}
		seen[f.Path] = true
		if !kinds[f.Kind] {
			t.Errorf("%s: kind %q is not one of %v", f.Path, f.Kind, targets.Kinds())
		}
		if strings.TrimSpace(f.Source) == "" {
			t.Errorf("%s: no source", f.Path)
		}
		if math.IsNaN(f.Value) || math.IsInf(f.Value, 0) || f.Value < 0 {
			t.Errorf("%s = %v %s: must be finite and not negative", f.Path, f.Value, f.Unit)
		}
		if f.Unit != "cycles" && f.Unit != "pJ" && f.Unit != "mW" {
			t.Errorf("%s: unit %q", f.Path, f.Unit)
		}
	}
	for _, p := range []string{"energy.synaptic_op", "energy.neuron_update_active", "timing.synaptic_op", "timing.neuron_update_active"} {
		for _, f := range figs {
			if f.Path == p && f.Value <= 0 {
				t.Errorf("%s = %v: must be positive", p, f.Value)
			}
		}
	}
	if tg.BarrierCycles() < 0 {
		t.Errorf("BarrierCycles = %d", tg.BarrierCycles())
	}
}

func countFigures(typ reflect.Type) int {
	n := 0
	for i := 0; i < typ.NumField(); i++ {
		switch typ.Field(i).Type {
		case reflect.TypeOf(targets.Cycles{}), reflect.TypeOf(targets.Picojoules{}), reflect.TypeOf(targets.Milliwatts{}):
			n++
		}
	}
	return n
}

func hash(t *testing.T, tg *targets.Target) {
	h := tg.Hash()
	if h != tg.Hash() {
		t.Fatal("Hash differs between two calls")
	}
	if tg.Clone().Hash() != h {
		t.Error("Clone has a different hash")
	}
	for i := 0; i < 2; i++ {
		again, err := tg.Reload()
		if err != nil {
			t.Fatalf("reload %q: %v", tg.Origin(), err)
		}
		if again.Hash() != h {
			t.Errorf("reload %d of %q has a different hash", i+1, tg.Origin())
		}
	}
	// The canonical encoding is a fixed point: decoding it and encoding again gives
	// the same bytes.
	b, err := json.Marshal(tg)
	if err != nil {
		t.Fatal(err)
	}
	var back targets.Target
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Hash() != h {
		t.Error("hash changes across a JSON round trip")
	}
	c := tg.Clone()
	c.Core.Neurons++
	if c.Hash() == h {
		t.Error("hash does not change when core.neurons changes")
	}
}

func resolved(t *testing.T, tg *targets.Target) {
	chain := tg.Chain()
	if len(chain) == 0 {
		t.Error("Chain is empty: the target was not loaded by the targets package")
	}
	emptyStrings(t, reflect.ValueOf(*tg), "")
	// Every field of the schema is in the encoding.
	b, err := json.Marshal(tg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "version", "description", "clock_hz", "mesh", "core", "router", "formats", "readout", "packets", "timing", "energy"} {
		if _, ok := m[k]; !ok {
			t.Errorf("resolved spec has no %q", k)
		}
	}
	if strings.Contains(string(b), `"inherits"`) {
		t.Error("resolved spec still has an inherits field")
	}
}

// emptyStrings reports every empty string field of v, a struct.
func emptyStrings(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		p := name
		if path != "" {
			p = path + "." + name
		}
		switch fv := v.Field(i); fv.Kind() {
		case reflect.Struct:
			emptyStrings(t, fv, p)
		case reflect.String:
			if strings.TrimSpace(fv.String()) == "" {
				t.Errorf("%s is empty after resolving inherits", p)
			}
		}
	}
}

func geometry(t *testing.T, tg *targets.Target) {
	n := tg.TotalCores()
	if n != tg.Mesh.Cols*tg.Mesh.Rows*tg.Mesh.CoresPerTile || tg.Tiles() != tg.Mesh.Cols*tg.Mesh.Rows {
		t.Fatalf("TotalCores = %d, Tiles = %d for a %d x %d mesh of %d cores per tile", n, tg.Tiles(), tg.Mesh.Cols, tg.Mesh.Rows, tg.Mesh.CoresPerTile)
	}
	if tg.TotalNeuronSlots() != n*tg.Core.Neurons {
		t.Errorf("TotalNeuronSlots = %d", tg.TotalNeuronSlots())
	}
	// Check every core of a small mesh, and a fixed sample of a large one.
	var cores []int
	if n <= 4096 {
		for c := 0; c < n; c++ {
			cores = append(cores, c)
		}
	} else {
		step := n / 1024
		for c := 0; c < n; c += step {
			cores = append(cores, c)
		}
		cores = append(cores, n-1)
	}
	diam := tg.MeshDiameter()
	for i, c := range cores {
		col, row := tg.TileOf(c)
		if col < 0 || col >= tg.Mesh.Cols || row < 0 || row >= tg.Mesh.Rows {
			t.Fatalf("TileOf(%d) = (%d, %d) outside the mesh", c, col, row)
		}
		if back := tg.CoreAt(col, row, tg.LocalIndex(c)); back != c {
			t.Fatalf("CoreAt(TileOf(%d)) = %d", c, back)
		}
		if tg.Hops(c, c) != 0 || !tg.SameTile(c, c) {
			t.Fatalf("core %d is not 0 hops from itself", c)
		}
		if h := tg.HostHops(c); h < 0 || h > diam {
			t.Fatalf("HostHops(%d) = %d outside 0..%d", c, h, diam)
		}
		other := cores[len(cores)-1-i]
		x, y := tg.HopsXY(c, other)
		h := tg.Hops(c, other)
		if h != x+y || h != tg.Hops(other, c) || h > diam || (h == 0) != tg.SameTile(c, other) {
			t.Fatalf("Hops(%d, %d) = %d, HopsXY = (%d, %d), diameter %d", c, other, h, x, y, diam)
		}
	}
	if tg.Hops(0, n-1) != diam {
		t.Errorf("Hops between the first and last core = %d, want the diameter %d", tg.Hops(0, n-1), diam)
	}
	if tg.KeyBits() < tg.CoreIndexBits() {
		t.Errorf("KeyBits %d < CoreIndexBits %d", tg.KeyBits(), tg.CoreIndexBits())
	}
	if 1<<tg.CoreIndexBits() < n || (n > 1 && 1<<(tg.CoreIndexBits()-1) >= n) {
		t.Errorf("CoreIndexBits = %d for %d cores", tg.CoreIndexBits(), n)
	}
}
