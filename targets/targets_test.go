package targets_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/targets/targettest"
)

func TestPresetsConform(t *testing.T) {
	names := targets.Names()
	for _, want := range []string{"loihi", "loihi-mesh", "xylo", "xylo-wide", "ice40-up5k", "artix7-35t"} {
		if !slices.Contains(names, want) {
			t.Errorf("no preset %q in %v", want, names)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			tg, err := targets.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			if tg.Name != name || tg.Origin() != name {
				t.Errorf("Name = %q, Origin = %q", tg.Name, tg.Origin())
			}
			targettest.Run(t, tg)
		})
	}
}

func TestPresetDescriptions(t *testing.T) {
	for _, name := range targets.Names() {
		tg, err := targets.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		d := strings.ToLower(tg.Description)
		if strings.Contains(d, "runs on") {
			t.Errorf("%s: description claims to run on hardware: %q", name, tg.Description)
		}
		for _, chip := range []string{"loihi", "xylo"} {
			if strings.HasPrefix(name, chip) && !strings.Contains(d, chip+"-like") && !strings.Contains(d, "not a "+chip) {
				t.Errorf("%s: description does not say %s-like: %q", name, chip, tg.Description)
			}
		}
	}
}

// The project's sMNIST model: 120 LIF + 100 ALIF neurons, 80 inputs, 10 readouts,
// about 8,200 synapses, delays up to 10 steps, refractory period 5 steps.
const (
	smnistLIF, smnistALIF = 120, 100
	smnistInputs          = 80
	smnistReadouts        = 10
	smnistSynapses        = 8200
	smnistMaxDelay        = 10
	smnistRefractory      = 5
)

// smnistMisfits returns the limits of tg the sMNIST model violates, counted coarsely
// (as if the compiler could spread neurons freely over cores).
func smnistMisfits(tg *targets.Target) []string {
	var bad []string
	slots := smnistLIF + smnistALIF*tg.NeuronSlots(true) + smnistReadouts*tg.Readout.NeuronSlots
	if slots > tg.TotalNeuronSlots() {
		bad = append(bad, "neuron slots")
	}
	if !tg.Formats.ALIF {
		bad = append(bad, "alif")
	}
	if smnistInputs > tg.Mesh.HostPort.InputChannels {
		bad = append(bad, "input channels")
	}
	if smnistReadouts > tg.Readout.Units {
		bad = append(bad, "readout units")
	}
	// Every source with synapses in a core has an axon there and starts a word.
	sources := smnistInputs + smnistLIF + smnistALIF
	words := smnistSynapses/tg.SynapsesPerWord() + sources*tg.TotalCores()
	if words > tg.Core.SynapseMemory.Words*tg.TotalCores() {
		bad = append(bad, "synapse memory")
	}
	if sources > tg.Core.InputAxons*tg.TotalCores() {
		bad = append(bad, "input axons")
	}
	if smnistMaxDelay > tg.Formats.MaxDelaySteps {
		bad = append(bad, "max delay")
	}
	if smnistRefractory > tg.Formats.MaxRefractorySteps {
		bad = append(bad, "max refractory")
	}
	return bad
}

func TestSMNISTFits(t *testing.T) {
	for _, name := range []string{"loihi", "loihi-mesh", "artix7-35t", "ice40-up5k", "xylo-wide"} {
		tg, err := targets.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if bad := smnistMisfits(tg); len(bad) > 0 {
			t.Errorf("%s: the sMNIST model does not fit: %v", name, bad)
		}
	}
	// Xylo has 16 input channels and 8 readouts: only those two limits fail.
	tg, err := targets.Lookup("xylo")
	if err != nil {
		t.Fatal(err)
	}
	if bad := smnistMisfits(tg); !slices.Equal(bad, []string{"input channels", "readout units"}) {
		t.Errorf("xylo: sMNIST misfits = %v, want input channels and readout units", bad)
	}
}

func TestLoihiMeshHoldsAMillionNeurons(t *testing.T) {
	tg, err := targets.Lookup("loihi-mesh")
	if err != nil {
		t.Fatal(err)
	}
	const neurons, fanIn = 1_000_000, 100
	cores := int64(tg.TotalCores())
	if got := cores * int64(tg.Core.Neurons); got < neurons {
		t.Errorf("%d neuron slots < %d", got, neurons)
	}
	// Worst case: every synapse of a core comes from a different source and so takes
	// an axon of its own; synapse memory holds far more than that.
	if got := cores * int64(tg.Core.InputAxons); got < neurons*fanIn {
		t.Errorf("%d axons < %d synapses", got, neurons*fanIn)
	}
	if got := cores * int64(tg.SynapsesPerCore()); got < neurons*fanIn {
		t.Errorf("%d synapse entries < %d synapses", got, neurons*fanIn)
	}
	loihi, err := targets.Lookup("loihi")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Core != loihi.Core || tg.Formats != loihi.Formats || tg.Energy != loihi.Energy {
		t.Error("loihi-mesh changed loihi's cores, formats or energies")
	}
	if want := []string{"preset loihi", "preset loihi-mesh"}; !slices.Equal(tg.Chain(), want) {
		t.Errorf("Chain = %v, want %v", tg.Chain(), want)
	}
}

func TestDerived(t *testing.T) {
	tg, err := targets.Lookup("loihi")
	if err != nil {
		t.Fatal(err)
	}
	if tg.TotalCores() != 128 || tg.Tiles() != 32 {
		t.Fatalf("TotalCores = %d, Tiles = %d", tg.TotalCores(), tg.Tiles())
	}
	for _, c := range []struct{ core, col, row, local int }{
		{0, 0, 0, 0}, {3, 0, 0, 3}, {4, 1, 0, 0}, {31, 7, 0, 3}, {32, 0, 1, 0}, {127, 7, 3, 3},
	} {
		col, row := tg.TileOf(c.core)
		if col != c.col || row != c.row || tg.LocalIndex(c.core) != c.local {
			t.Errorf("core %d: tile (%d, %d) local %d, want (%d, %d) local %d", c.core, col, row, tg.LocalIndex(c.core), c.col, c.row, c.local)
		}
		if got := tg.CoreAt(c.col, c.row, c.local); got != c.core {
			t.Errorf("CoreAt(%d, %d, %d) = %d, want %d", c.col, c.row, c.local, got, c.core)
		}
	}
	if x, y := tg.HopsXY(5, 127); x != 6 || y != 3 || tg.Hops(5, 127) != 9 {
		t.Errorf("HopsXY(5, 127) = (%d, %d), Hops = %d", x, y, tg.Hops(5, 127))
	}
	if !tg.SameTile(4, 7) || tg.SameTile(3, 4) {
		t.Error("SameTile wrong")
	}
	if tg.HostHops(127) != 10 || tg.MeshDiameter() != 10 {
		t.Errorf("HostHops(127) = %d, MeshDiameter = %d", tg.HostHops(127), tg.MeshDiameter())
	}
	if got := tg.BarrierCycles(); got != 226+70*10 {
		t.Errorf("BarrierCycles = %d", got)
	}
	if tg.EntryBits() != 24 || tg.SynapsesPerWord() != 2 || tg.SynapsesPerCore() != 32768 {
		t.Errorf("EntryBits = %d, SynapsesPerWord = %d, SynapsesPerCore = %d", tg.EntryBits(), tg.SynapsesPerWord(), tg.SynapsesPerCore())
	}
	if tg.WordsFor(0) != 0 || tg.WordsFor(1) != 1 || tg.WordsFor(2) != 1 || tg.WordsFor(3) != 2 {
		t.Error("WordsFor wrong")
	}
	if tg.CoreIndexBits() != 7 || tg.AxonIndexBits() != 12 || tg.NeuronIndexBits() != 10 {
		t.Errorf("index bits %d %d %d", tg.CoreIndexBits(), tg.AxonIndexBits(), tg.NeuronIndexBits())
	}
	if lo, hi := tg.WeightMantissaRange(); lo != -128 || hi != 127 {
		t.Errorf("WeightMantissaRange = %d..%d", lo, hi)
	}
	if tg.MaxThreshold() != (1<<17-1)<<6 {
		t.Errorf("MaxThreshold = %d", tg.MaxThreshold())
	}
	if tg.DelaySlots() != 64 || tg.NeuronSlots(true) != 2 {
		t.Errorf("DelaySlots = %d, NeuronSlots(ALIF) = %d", tg.DelaySlots(), tg.NeuronSlots(true))
	}
	defer func() {
		if recover() == nil {
			t.Error("TileOf(128) did not panic")
		}
	}()
	tg.TileOf(128)
}

// flatFile returns the resolved spec of tg as a self-contained target file.
func flatFile(t *testing.T, tg *targets.Target) []byte {
	t.Helper()
	b, err := json.Marshal(tg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "name")
	b, err = json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHashIgnoresHowTheSpecIsWritten(t *testing.T) {
	mesh, err := targets.Lookup("loihi-mesh")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "loihi-mesh.json")
	if err := os.WriteFile(p, flatFile(t, mesh), 0o644); err != nil {
		t.Fatal(err)
	}
	flat, err := targets.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if flat.Hash() != mesh.Hash() {
		t.Error("a flat copy of loihi-mesh has a different hash")
	}
	if flat.Origin() != p || !slices.Equal(flat.Chain(), []string{p}) {
		t.Errorf("Origin = %q, Chain = %v", flat.Origin(), flat.Chain())
	}
	loihi, _ := targets.Lookup("loihi")
	if loihi.Hash() == mesh.Hash() {
		t.Error("loihi and loihi-mesh have the same hash")
	}
}

func TestInherits(t *testing.T) {
	fsys := fstest.MapFS{
		// A sibling file inheriting a preset; null deletes a key (RFC 7386), so the
		// child can switch the decay representation.
		"boards/base.json": {Data: []byte(`{
			"version": 1,
			"inherits": "artix7-35t",
			"description": "base board",
			"formats": {"decay": {"representation": "shift", "fraction_bits": null, "max_shift": 12, "min_decrement": 1}}
		}`)},
		"boards/mine.json": {Data: []byte(`{
			"version": 1,
			"inherits": "base.json",
			"core": {"synapse_memory": {"words": 1024}},
			"mesh": {"cols": 3}
		}`)},
	}
	tg, err := targets.LoadFS(fsys, "boards/mine.json")
	if err != nil {
		t.Fatal(err)
	}
	artix, _ := targets.Lookup("artix7-35t")
	if tg.Name != "mine" || tg.Description != "base board" {
		t.Errorf("Name = %q, Description = %q", tg.Name, tg.Description)
	}
	if tg.Core.SynapseMemory.Words != 1024 || tg.Core.SynapseMemory.WordBits != artix.Core.SynapseMemory.WordBits {
		t.Errorf("synapse memory not merged: %+v", tg.Core.SynapseMemory)
	}
	if tg.Mesh.Cols != 3 || tg.Mesh.Rows != artix.Mesh.Rows || tg.Mesh.HostPort != artix.Mesh.HostPort {
		t.Errorf("mesh not merged: %+v", tg.Mesh)
	}
	if d := tg.Formats.Decay; d.Representation != targets.DecayShift || d.FractionBits != 0 || d.MaxShift != 12 {
		t.Errorf("decay = %+v", d)
	}
	if want := []string{"preset artix7-35t", "boards/base.json", "boards/mine.json"}; !slices.Equal(tg.Chain(), want) {
		t.Errorf("Chain = %v, want %v", tg.Chain(), want)
	}
	targettest.Run(t, tg)

	// The same through the operating system's files.
	dir := t.TempDir()
	for name, f := range fsys {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	osTarget, err := targets.Load(filepath.Join(dir, "boards", "mine.json"))
	if err != nil {
		t.Fatal(err)
	}
	if osTarget.Hash() != tg.Hash() {
		t.Error("Load and LoadFS of the same files differ")
	}
}

// minimal is a valid user file: it inherits ice40-up5k and changes nothing but the
// description.
const minimal = `{"version": 1, "inherits": "ice40-up5k", "description": "d"}`

func TestErrors(t *testing.T) {
	// patch returns a file that inherits artix7-35t and merges extra into it.
	patch := func(extra string) string {
		return `{"version": 1, "inherits": "artix7-35t", ` + extra + `}`
	}
	cases := []struct {
		name  string
		files map[string]string // path -> contents; the first load is "x.json" unless load is set
		load  string
		want  []string // substrings of the error
	}{
		{"cycle", map[string]string{
			"x.json": `{"version": 1, "inherits": "y.json"}`,
			"y.json": `{"version": 1, "inherits": "x.json"}`,
		}, "", []string{"targets: y.json: inherits = \"x.json\": cycle: x.json -> y.json -> x.json"}},
		{"self cycle", map[string]string{"x.json": `{"version": 1, "inherits": "x.json"}`}, "",
			[]string{"targets: x.json: inherits = \"x.json\": cycle: x.json -> x.json"}},
		{"missing parent preset", map[string]string{"x.json": `{"version": 1, "inherits": "loihy"}`}, "",
			[]string{`targets: x.json: inherits = "loihy": no such preset`, "loihi"}},
		{"missing parent file", map[string]string{"x.json": `{"version": 1, "inherits": "base.json"}`}, "",
			[]string{`targets: x.json: inherits = "base.json": base.json:`}},
		{"unknown field", map[string]string{"x.json": patch(`"core": {"neuronz": 5}`)}, "",
			[]string{`targets: x.json: core.neuronz: unknown field (did you mean "neurons"?)`}},
		{"unknown field in parent", map[string]string{
			"x.json":    `{"version": 1, "inherits": "base.json"}`,
			"base.json": patch(`"clock": 5`),
		}, "", []string{`targets: base.json: clock: unknown field`}},
		{"zero neurons", map[string]string{"x.json": patch(`"core": {"neurons": 0}`)}, "",
			[]string{"targets: x.json: core.neurons = 0: must be positive"}},
		{"zero words", map[string]string{"x.json": patch(`"core": {"synapse_memory": {"words": 0}}`)}, "",
			[]string{"targets: x.json: core.synapse_memory.words = 0: must be positive"}},
		{"weight wider than the word", map[string]string{"x.json": patch(`"core": {"synapse_memory": {"word_bits": 16, "synapses_per_word": 1}}, "formats": {"weight": {"mantissa_bits": 24}}`)}, "",
			[]string{"core.synapse_memory: 1 entries of 36 bits (weight 24 + delay 4 + target 8) need 36 bits, but word_bits = 16"}},
		{"entries overflow the word", map[string]string{"x.json": patch(`"core": {"synapse_memory": {"synapses_per_word": 4}}`)}, "",
			[]string{"4 entries of 20 bits", "need 80 bits, but word_bits = 72"}},
		{"delay bits too few", map[string]string{"x.json": patch(`"core": {"synapse_memory": {"delay_bits": 3}}`)}, "",
			[]string{"formats.max_delay_steps = 15: core.synapse_memory.delay_bits = 3 hold delays up to 7"}},
		{"target bits too few", map[string]string{"x.json": patch(`"core": {"synapse_memory": {"target_bits": 7}}`)}, "",
			[]string{"core.synapse_memory.target_bits = 7: cannot index 256 neuron slots"}},
		{"threshold too wide", map[string]string{"x.json": patch(`"formats": {"threshold_shift": 8}`)}, "",
			[]string{"threshold_bits + threshold_shift = 16 + 8 exceeds the 23 magnitude bits"}},
		{"host port off the edge", map[string]string{"x.json": patch(`"mesh": {"host_port": {"col": 1}}`)}, "",
			[]string{"mesh.host_port: tile (1, 0) is not on the west edge of a 2 x 2 mesh"}},
		{"multicast without tables", map[string]string{"x.json": patch(`"router": {"table_entries": 0}`)}, "",
			[]string{"router.table_entries = 0: must be positive"}},
		{"bad kind", map[string]string{"x.json": patch(`"energy": {"synaptic_op": {"kind": "guessed"}}`)}, "",
			[]string{`energy.synaptic_op.kind = "guessed": must be one of "pre-silicon simulation", "measured", "estimated", "derived"`}},
		{"empty source", map[string]string{"x.json": patch(`"timing": {"hop_east_west": {"source": " "}}`)}, "",
			[]string{"timing.hop_east_west.source: must not be empty"}},
		{"negative energy", map[string]string{"x.json": patch(`"energy": {"barrier": {"pj": -1}}`)}, "",
			[]string{"energy.barrier.pj = -1: must not be negative"}},
		{"hop faster than the pipeline", map[string]string{"x.json": patch(`"timing": {"hop_north_south": {"cycles": 2}}`)}, "",
			[]string{"timing.hop_north_south.cycles = 2: a hop takes the router pipeline (2 cycles) plus at least one cycle"}},
		{"fraction bits with a shift decay", map[string]string{"x.json": patch(`"formats": {"decay": {"representation": "shift", "max_shift": 9}}`)}, "",
			[]string{"formats.decay.fraction_bits = 16: only for representation \"multiplier\""}},
		{"dedicated readouts on a mesh", map[string]string{"x.json": patch(`"readout": {"neuron_slots": 0}`)}, "",
			[]string{"readout.neuron_slots = 0 (dedicated readout units) is for one-core targets; this mesh has 4 cores"}},
		{"bad rounding", map[string]string{"x.json": patch(`"formats": {"rounding": "nearest"}`)}, "",
			[]string{`formats.rounding = "nearest": must be one of "half-away-from-zero", "half-to-even", "toward-zero", "floor"`}},
		{"granularity without groups", map[string]string{"x.json": patch(`"formats": {"weight": {"exponent_granularity": "synapse_group"}}`)}, "",
			[]string{"formats.weight.exponent_groups_per_core = 0: must be positive"}},
		{"missing field", map[string]string{"x.json": patch(`"formats": {"membrane_bits": null}`)}, "",
			[]string{"targets: x.json: formats.membrane_bits: missing"}},
		{"root file incomplete", map[string]string{"x.json": `{"version": 1, "description": "d"}`}, "",
			[]string{"targets: x.json: clock_hz: missing", "targets: x.json: energy: missing"}},
		{"version missing", map[string]string{"x.json": `{"inherits": "loihi"}`}, "",
			[]string{`targets: x.json: version: missing`}},
		{"version 2", map[string]string{"x.json": `{"version": 2, "inherits": "loihi"}`}, "",
			[]string{`targets: x.json: version = 2: this reader knows version 1 only`}},
		{"name given", map[string]string{"x.json": `{"version": 1, "inherits": "loihi", "name": "y"}`}, "",
			[]string{`targets: x.json: name: not allowed in a target file`}},
		{"wrong type", map[string]string{"x.json": patch(`"mesh": {"cols": "2"}`)}, "",
			[]string{`targets: x.json: mesh.cols: must be an integer, not a string`}},
		{"fraction where an integer goes", map[string]string{"x.json": patch(`"mesh": {"cols": 2.5}`)}, "",
			[]string{`targets: x.json: mesh.cols = 2.5: must be an integer`}},
		{"huge integer", map[string]string{"x.json": patch(`"core": {"neurons": 1e400}`)}, "",
			[]string{`targets: x.json: core.neurons = 1e400: out of range`}},
		{"object expected", map[string]string{"x.json": patch(`"core": 5`)}, "",
			[]string{`targets: x.json: core: must be an object, not a number`}},
		{"inherits not a string", map[string]string{"x.json": `{"version": 1, "inherits": ["loihi"]}`}, "",
			[]string{`targets: x.json: inherits: must be a string naming a preset or a .json file, not an array`}},
		{"syntax error", map[string]string{"x.json": "{\n  \"version\": 1,\n  \"core\": {,}\n}"}, "",
			[]string{"targets: x.json: line 3, column 12: invalid character ','"}},
		{"truncated", map[string]string{"x.json": `{"version": 1,`}, "",
			[]string{"targets: x.json: unexpected end of file"}},
		{"not an object", map[string]string{"x.json": `[1, 2]`}, "",
			[]string{"targets: x.json: must hold one JSON object, not an array"}},
		{"trailing data", map[string]string{"x.json": minimal + ` {}`}, "",
			[]string{"targets: x.json: line 1, column 62: data after the top-level object"}},
		{"bad file name", map[string]string{"my target.json": minimal}, "my target.json",
			[]string{`targets: my target.json: the file's base name "my target" names the target`}},
		{"no file", map[string]string{}, "",
			[]string{"targets: x.json: file does not exist"}},
		{"too large", map[string]string{"x.json": minimal + strings.Repeat(" ", 1<<20)}, "",
			[]string{"targets: x.json: file is 1048636 bytes, more than the 1048576 a target file may have"}},
		{"several problems at once", map[string]string{"x.json": patch(`"core": {"neurons": 0, "input_axons": -1}, "clock_hz": 0`)}, "",
			[]string{"clock_hz = 0: must be positive\ntargets: x.json: ", "core.neurons = 0: must be positive", "core.input_axons = -1: must be positive"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for p, data := range c.files {
				fsys[p] = &fstest.MapFile{Data: []byte(data)}
			}
			load := c.load
			if load == "" {
				load = "x.json"
			}
			tg, err := targets.LoadFS(fsys, load)
			if err == nil {
				t.Fatalf("no error; loaded %s", tg.Name)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "targets: ") {
				t.Errorf("error does not start with \"targets: \": %s", msg)
			}
			var te *targets.Error
			if !errors.As(err, &te) {
				t.Errorf("error is %T, not *targets.Error", err)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\ndoes not contain\n%s", msg, w)
				}
			}
		})
	}
}

func TestParse(t *testing.T) {
	tg, err := targets.Parse("dir/mine.json", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if tg.Name != "mine" || tg.Origin() != "dir/mine.json" {
		t.Errorf("Name = %q, Origin = %q", tg.Name, tg.Origin())
	}
	_, err = targets.Parse("x.json", []byte(`{"version": 1, "inherits": "base.json"}`))
	if err == nil || !strings.Contains(err.Error(), `inherits = "base.json" names a file, but this spec was not read from a file system`) {
		t.Errorf("err = %v", err)
	}
}

func TestLookupErrors(t *testing.T) {
	for _, name := range []string{"nope", "", "../data/loihi", "loihi.json"} {
		if _, err := targets.Lookup(name); err == nil || !strings.HasPrefix(err.Error(), "targets: no preset") {
			t.Errorf("Lookup(%q): err = %v", name, err)
		}
	}
	if _, err := targets.Load("nope"); err == nil || !strings.Contains(err.Error(), "presets: artix7-35t") {
		t.Errorf("Load(nope): err = %v", err)
	}
	if _, err := targets.Load(filepath.Join(t.TempDir(), "absent.json")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Load(absent.json): err = %v", err)
	}
	if _, err := targets.Load(t.TempDir() + "/"); err == nil {
		t.Error("Load of a directory: no error")
	}
}
