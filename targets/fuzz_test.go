package targets_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/snnc/snnc/internal/fuzzcorpus"
	"github.com/snnc/snnc/targets"
)

var update = flag.Bool("update", false, "rewrite the FuzzLoad seed corpus from the presets")

const corpusDir = "testdata/fuzz/FuzzLoad"

// TestSeedCorpus keeps the committed seed corpus equal to the presets' files; run
// with -update after changing a preset.
func TestSeedCorpus(t *testing.T) {
	seeds := map[string][]byte{}
	for _, name := range targets.Names() {
		data, err := targets.PresetJSON(name)
		if err != nil {
			t.Fatal(err)
		}
		seeds["preset-"+name] = data
	}
	fuzzcorpus.Check(t, corpusDir, seeds, *update, "go test ./targets -run TestSeedCorpus -update")
}

// FuzzLoad feeds arbitrary bytes to the target loader, as a user's --target file.
// The loader must never panic; what it accepts must be valid, hash the same way twice
// and survive a round trip through its canonical encoding; every error must start
// with "targets: ".
func FuzzLoad(f *testing.F) {
	for _, name := range targets.Names() {
		data, err := targets.PresetJSON(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Small seeds too: the fuzzer minimizes each new input, which is slow on the
	// presets' 4-7 KB files.
	for _, s := range []string{
		`{"version": 1, "inherits": "ice40-up5k"}`,
		`{"version": 1, "inherits": "xylo", "description": "d", "formats": {"decay": {"representation": "multiplier", "max_shift": null, "fraction_bits": 8}}}`,
		`{"version": 1, "inherits": "loihi-mesh", "mesh": {"cols": 4096, "rows": 4096}}`,
		`{"version": 1, "inherits": "artix7-35t", "core": {"synapse_memory": {"word_bits": 20}}, "packets": {"addressing": "unicast"}}`,
		`{"version": 1, "inherits": "loihi", "readout": {"neuron_slots": 0}, "mesh": {"cols": 1, "rows": 1, "cores_per_tile": 1}}`,
		`{"version": 1, "inherits": "xylo-wide", "energy": {"static_power": {"mw": 1e308}}, "timing": {"router_pipeline": {"cycles": 2}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tg, err := targets.Parse("fuzz.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "targets: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		if err := tg.Validate(); err != nil {
			t.Fatalf("Parse accepted a target that Validate rejects: %v", err)
		}
		h := tg.Hash()
		if tg.Clone().Hash() != h {
			t.Fatal("hash of a clone differs")
		}
		// The resolved spec, written as a flat file, loads to the same target.
		b, err := json.Marshal(tg)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "name")
		flat, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := targets.Parse("fuzz.json", flat)
		if err != nil {
			t.Fatalf("the resolved spec does not load: %v\n%s", err, flat)
		}
		if back.Hash() != h {
			t.Fatalf("round trip changes the hash:\n%s", flat)
		}
		// The helpers stay in range on whatever the loader accepts.
		last := tg.TotalCores() - 1
		if tg.Hops(0, last) != tg.MeshDiameter() || tg.HostHops(last) < 0 {
			t.Fatal("hops wrong")
		}
		col, row := tg.TileOf(last)
		if tg.CoreAt(col, row, tg.LocalIndex(last)) != last {
			t.Fatal("CoreAt(TileOf) wrong")
		}
		_ = fmt.Sprint(tg.KeyBits(), tg.EntryBits(), tg.SynapsesPerCore(), tg.BarrierCycles(), tg.MaxThreshold(), tg.Figures())
	})
}

func BenchmarkParse(b *testing.B) {
	data, err := targets.PresetJSON("loihi")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := targets.Parse("loihi.json", data); err != nil {
			b.Fatal(err)
		}
	}
}
