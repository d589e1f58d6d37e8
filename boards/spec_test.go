package boards

import (
	"encoding/json"
	"flag"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/snnc/snnc/internal/fuzzcorpus"
	"github.com/snnc/snnc/targets"
)

// update rewrites golden files and seed corpora; the package's other tests share it.
var update = flag.Bool("update", false, "rewrite golden files and seed corpora")

// TestEmbeddedBoards checks that every file under data/ is a valid spec whose target
// loads, so that Boards never silently drops one.
func TestEmbeddedBoards(t *testing.T) {
	s := embedded()
	for name, err := range s.errs {
		t.Errorf("%s: %v", name, err)
	}
	list := Boards()
	if len(list) != len(s.names) || len(list) < 3 {
		t.Fatalf("Boards() lists %d boards, data/ holds %d files", len(list), len(s.names))
	}
	for i, b := range list {
		if i > 0 && list[i-1].Name >= b.Name {
			t.Errorf("Boards() not sorted: %s before %s", list[i-1].Name, b.Name)
		}
		tg, err := targets.Lookup(b.Target)
		if err != nil {
			t.Errorf("%s: target: %v", b.Name, err)
			continue
		}
		if tg.ClockHz != b.ClockHz {
			t.Errorf("%s: board clock %d Hz, its target %s runs at %d Hz", b.Name, b.ClockHz, b.Target, tg.ClockHz)
		}
		if got, err := Lookup(b.Name); err != nil || !reflect.DeepEqual(got, b) {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v", b.Name, got, err, b)
		}
	}
}

// TestKnownBoards pins what hardware.md says of the three boards snnc ships for.
func TestKnownBoards(t *testing.T) {
	cases := []struct {
		name, target string
		clockHz      int64
		usb          USB
	}{
		{"arty-a7-35t", "artix7-35t", 100_000_000, USB{0x0403, 0x6010, 1, "FT2232H"}},
		{"basys3", "artix7-35t", 100_000_000, USB{0x0403, 0x6010, 1, "FT2232H"}},
		{"icebreaker", "ice40-up5k", 12_000_000, USB{0x0403, 0x6010, 1, "FT2232H"}},
	}
	for _, c := range cases {
		b, err := Lookup(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if b.Target != c.target || b.ClockHz != c.clockHz || b.USB != c.usb {
			t.Errorf("%s: target %s, clock %d, usb %+v; want %s, %d, %+v", c.name, b.Target, b.ClockHz, b.USB, c.target, c.clockHz, c.usb)
		}
		if b.DefaultBaud != 115200 || b.MaxBaud != 3_000_000 {
			t.Errorf("%s: baud %d, max %d; want 115200, max 3000000", c.name, b.DefaultBaud, b.MaxBaud)
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	b, err := Lookup("arty")
	if err == nil {
		t.Fatalf("Lookup(arty) = %+v", b)
	}
	for _, want := range []string{"boards: ", `"arty"`, "arty-a7-35t", "basys3", "icebreaker"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestLookupCopies checks that a caller's change to a board stays its own.
func TestLookupCopies(t *testing.T) {
	b, _ := Lookup("basys3")
	b.MaxBaud = 1
	Boards()[0].MaxBaud = 1
	if again, _ := Lookup("basys3"); again.MaxBaud == 1 {
		t.Fatal("Lookup returned the shared spec")
	}
	if Boards()[0].MaxBaud == 1 {
		t.Fatal("Boards returned the shared specs")
	}
}

const goodSpec = `{
  "version": 1,
  "description": "a board",
  "fpga": "XC7A35T",
  "clock_hz": 100000000,
  "target": "artix7-35t",
  "usb": {"vid": "0403", "pid": "6010", "interface": 1, "bridge": "FT2232H"},
  "default_baud": 115200,
  "max_baud": 3000000,
  "image_bytes": 262144,
  "max_frame": 4096
}`

// edit returns goodSpec with old replaced by new, which must occur in it.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(goodSpec, old) {
		t.Fatalf("goodSpec has no %q", old)
	}
	return strings.Replace(goodSpec, old, new, 1)
}

func TestParseSpecRejects(t *testing.T) {
	if _, err := parseSpec("good", []byte(goodSpec)); err != nil {
		t.Fatalf("goodSpec: %v", err)
	}
	cases := []struct {
		name, old, new string
		want           []string // each must appear in the error
	}{
		{"version missing", `"version": 1,`, ``, []string{"version: missing"}},
		{"version 2", `"version": 1`, `"version": 2`, []string{"version = 2"}},
		{"unknown field", `"fpga"`, `"colour": "red", "fpga"`, []string{`unknown field "colour"`}},
		{"unknown usb field", `"bridge"`, `"speed": "high", "bridge"`, []string{`unknown field "speed"`}},
		{"wrong type", `"clock_hz": 100000000`, `"clock_hz": "fast"`, []string{"clock_hz", "number"}},
		{"wrong nested type", `"interface": 1`, `"interface": "B"`, []string{"usb.interface", "number"}},
		{"empty description", `"a board"`, `" "`, []string{"description: must not be empty"}},
		{"no fpga", `"fpga": "XC7A35T",`, ``, []string{"fpga: must not be empty"}},
		{"zero clock", `100000000,`, `0,`, []string{"clock_hz = 0"}},
		{"no target", `"target": "artix7-35t",`, ``, []string{"target: must not be empty", "ice40-up5k"}},
		{"unknown target", `"artix7-35t"`, `"artix7-100t"`, []string{`target = "artix7-100t"`, "ice40-up5k"}},
		{"no usb", `"usb": {"vid": "0403", "pid": "6010", "interface": 1, "bridge": "FT2232H"},`, ``, []string{"usb: missing"}},
		{"short vid", `"0403"`, `"403"`, []string{`usb.vid = "403"`}},
		{"bad pid", `"6010"`, `"60g0"`, []string{`usb.pid = "60g0"`}},
		{"numeric vid", `"0403"`, `1027`, []string{"usb.vid", "string"}},
		{"zero vid", `"0403"`, `"0000"`, []string{"usb.vid", "zero"}},
		{"no interface", `"interface": 1, `, ``, []string{"usb.interface: missing"}},
		{"interface -2", `"interface": 1`, `"interface": -2`, []string{"usb.interface = -2"}},
		{"interface 256", `"interface": 1`, `"interface": 256`, []string{"usb.interface = 256"}},
		{"no bridge", `"FT2232H"`, `""`, []string{"usb.bridge: must not be empty"}},
		{"zero baud", `"default_baud": 115200`, `"default_baud": 0`, []string{"default_baud = 0"}},
		{"default above max", `"default_baud": 115200`, `"default_baud": 4000000`, []string{"default_baud = 4000000", "max_baud"}},
		{"no max baud", `"max_baud": 3000000,`, ``, []string{"max_baud = 0"}},
		{"image too small", `"image_bytes": 262144`, `"image_bytes": 100`, []string{"image_bytes = 100"}},
		{"frame too small", `"max_frame": 4096`, `"max_frame": 63`, []string{"max_frame = 63"}},
		{"frame too large", `"max_frame": 4096`, `"max_frame": 65536`, []string{"max_frame = 65536"}},
		{"negative frame", `"max_frame": 4096`, `"max_frame": -1`, []string{"max_frame = -1"}},
		{"huge number", `"max_frame": 4096`, `"max_frame": 1e99`, []string{"max_frame"}},
		{"syntax", `"version": 1,`, `"version": 1,,`, []string{"offset"}},
		{"truncated", `"max_frame": 4096
}`, `"max_frame": 4096`, []string{"not complete"}},
		{"trailing data", `"max_frame": 4096
}`, `"max_frame": 4096
} {}`, []string{"data after the JSON object"}},
		{"two problems", `"fpga": "XC7A35T"`, `"fpga": "", "notes": "x"`, []string{"fpga: must not be empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := parseSpec("my-board", []byte(edit(t, c.old, c.new)))
			if err == nil {
				t.Fatalf("accepted: %+v", b)
			}
			msg := err.Error()
			for _, line := range strings.Split(msg, "\n") {
				if !strings.HasPrefix(line, "boards: my-board: ") {
					t.Errorf("line %q does not start with the package and board", line)
				}
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
}

// TestParseSpecListsEveryProblem checks that a spec with several mistakes gets one
// line for each, as go/types reports every error it finds.
func TestParseSpecListsEveryProblem(t *testing.T) {
	_, err := parseSpec("x", []byte(`{"version": 1, "usb": {"vid": "zz", "pid": "6010", "interface": 0, "bridge": "b"}}`))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, field := range []string{"description", "fpga", "clock_hz", "target", "usb.vid", "default_baud", "max_baud", "max_frame", "image_bytes"} {
		if !strings.Contains(err.Error(), "x: "+field) {
			t.Errorf("no problem named %s in:\n%v", field, err)
		}
	}
}

func TestParseSpecName(t *testing.T) {
	for _, name := range []string{"", ".hidden", "Arty", "a/b", "a b", strings.Repeat("a", 65)} {
		if _, err := parseSpec(name, []byte(goodSpec)); err == nil || !strings.Contains(err.Error(), "base name") {
			t.Errorf("name %q: %v", name, err)
		}
	}
}

// encodeSpec writes b as a spec file: the inverse of parseSpec, for round trips.
func encodeSpec(b *Board) []byte {
	version, iface := specVersion, b.USB.Interface
	f := boardFile{
		Version: &version, Description: b.Description, FPGA: b.FPGA, ClockHz: b.ClockHz, Target: b.Target,
		USB:         &usbFile{VID: fmt.Sprintf("%04x", b.USB.VID), PID: fmt.Sprintf("%04x", b.USB.PID), Interface: &iface, Bridge: b.USB.Bridge},
		DefaultBaud: b.DefaultBaud, MaxBaud: b.MaxBaud, MaxFrame: b.MaxFrame, ImageBytes: b.ImageBytes, Notes: b.Notes,
	}
	data, err := json.Marshal(f)
	if err != nil {
		panic(err) // a struct of strings and numbers always marshals
	}
	return data
}

const specCorpusDir = "testdata/fuzz/FuzzBoardJSON"

// TestSpecSeedCorpus keeps the committed seed corpus equal to the embedded specs;
// run with -update after changing one.
func TestSpecSeedCorpus(t *testing.T) {
	seeds := map[string][]byte{}
	for _, name := range embedded().names {
		data, err := specFS.ReadFile("data/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		seeds["board-"+name] = data
	}
	fuzzcorpus.Check(t, specCorpusDir, seeds, *update, "go test ./boards -run TestSpecSeedCorpus -update")
}

// FuzzBoardJSON feeds arbitrary bytes to the spec decoder. It must never panic; every
// error must name the package and the board; what it accepts must survive a round
// trip through encodeSpec unchanged.
func FuzzBoardJSON(f *testing.F) {
	f.Add([]byte(goodSpec))
	for _, s := range []string{
		`{"version": 1}`,
		`{"version": 1, "usb": {"vid": "10c4", "pid": "ea60", "interface": -1, "bridge": "CP2102"}}`,
		`{"version": 1, "clock_hz": 1e30, "max_frame": -9223372036854775808}`,
		`{"version": 1, "usb": null, "target": "loihi"}`,
		`[1, 2, 3]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parseSpec("fuzz", data)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "boards: fuzz: ") {
					t.Fatalf("error line without the package and board: %q", line)
				}
			}
			return
		}
		back, err := parseSpec("fuzz", encodeSpec(b))
		if err != nil {
			t.Fatalf("the re-encoded spec does not parse: %v", err)
		}
		if *back != *b {
			t.Fatalf("round trip changed the board:\n%+v\n%+v", b, back)
		}
	})
}
