package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/compiler"
)

func TestCompileCommand(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(models, "smnist.bin")
	img, report := filepath.Join(dir, "a.img"), filepath.Join(dir, "a.json")
	code, out, stderr := snnc(t, "compile", model, "--target", "artix7-35t", "-o", img, "--report", report)
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	for _, w := range []string{"for artix7-35t: 220 neurons, 80 inputs, 10 readouts", "cores used: ", " of 4", "neuron slots", "synapse words",
		"axons", "fan-out", "entries per router before -> after compression (limit 64)", "router (0, 0):", "row-major (naive)",
		"packet-hops", "rates: assumed: 0.05", "time:", "quantize", "emit"} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	im, err := chipimage.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(model)
	if h := im.Header.ModelHash; !bytes.Equal(h[:], sha(raw)) {
		t.Error("the image does not record the model file's hash")
	}
	var rep compiler.Report
	rb, _ := os.ReadFile(report)
	if err := json.Unmarshal(rb, &rep); err != nil || rep.ImageBytes != int64(len(b)) || rep.Cores.Used < 2 || !strings.HasSuffix(rep.Model, "smnist.bin") {
		t.Fatalf("report file: %v %+v", err, rep.Cores)
	}
	// --json prints the same report; a second compile gives the same bytes.
	img2 := filepath.Join(dir, "b.img")
	code, out, _ = snnc(t, "compile", model, "--target", "artix7-35t", "-o", img2, "--json")
	var rep2 compiler.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep2) != nil || rep2.Routing.TotalAfter != rep.Routing.TotalAfter {
		t.Fatalf("--json: status %d\n%s", code, out)
	}
	b2, _ := os.ReadFile(img2)
	if !bytes.Equal(b, b2) {
		t.Error("two compilations differ")
	}
	// --dump-after prints the state to standard error.
	code, _, stderr = snnc(t, "compile", model, "--target", "loihi", "-o", img2, "--dump-after", "partition")
	if code != 0 || !strings.Contains(stderr, "state after pass partition") || !strings.Contains(stderr, "neurons 0-219") {
		t.Errorf("--dump-after: status %d\n%s", code, stderr)
	}
}

func TestCompileErrors(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(models, "smnist.bin")
	out := filepath.Join(dir, "x.img")
	cases := []struct {
		args []string
		code int
		err  []string
	}{
		{[]string{"compile", model, "--target", "xylo", "-o", out}, 1, []string{
			"input channels: needs 80, has 16 (mesh.host_port.input_channels)", "readout units: needs 10, has 8 (readout.units)", "xylo-wide"}},
		{[]string{"compile", model, "--target", "nosuch", "-o", out}, 2, []string{`unknown target "nosuch"`}},
		{[]string{"compile", model, "--target", "loihi", "-o", out, "--dump-after", "link"}, 2, []string{`--dump-after "link"`}},
		{[]string{"compile", model, "--target", "loihi", "-o", out, "--skip", "emit"}, 2, []string{`--skip "emit"`}},
		{[]string{"compile", model, "--target", "loihi", "-o", out, "--calibrate", "store-recall"}, 1, []string{"the model has 80 inputs"}},
		{[]string{"compile", model, "--target", "loihi"}, 2, []string{"-o"}},
		{[]string{"compile", model, "--target", "loihi", "-o", filepath.Join(dir, "no", "x.img")}, 1, []string{"no directory " + filepath.Join(dir, "no")}},
	}
	for _, c := range cases {
		code, _, stderr := snnc(t, c.args...)
		if code != c.code {
			t.Errorf("%v: status %d, want %d: %s", c.args, code, c.code, stderr)
		}
		for _, w := range c.err {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, stderr)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v: a failed compile left %s", c.args, out)
		}
	}
	// An absurd target file: one neuron slot per core.
	absurd := filepath.Join(dir, "absurd.json")
	os.WriteFile(absurd, []byte(`{"version": 1, "inherits": "loihi", "description": "one slot", "core": {"neurons": 1, "alif_neuron_slots": 1}}`), 0o644)
	code, _, stderr := snnc(t, "compile", model, "--target", absurd, "-o", out)
	if code != 1 || !strings.Contains(stderr, "cores: the partition needs 230, the target has 128") || !strings.Contains(stderr, "what would fit") {
		t.Errorf("absurd target: status %d\n%s", code, stderr)
	}
	// Nothing was left behind, not even a temporary file.
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left in %s: %v", dir, entries)
	}
}

func TestCompileCalibrated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the float model on MNIST digits")
	}
	dir := t.TempDir()
	code, out, stderr := snnc(t, "compile", filepath.Join(models, "smnist.bin"), "--target", "artix7-35t", "-o", filepath.Join(dir, "c.img"),
		"--calibrate", "smnist", "--calibrate-samples", "4", "--json")
	var rep compiler.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("status %d: %s", code, stderr)
	}
	if !strings.Contains(rep.Traffic.RateSource, "4 smnist test samples") || rep.Traffic.Placed.Packets <= 0 {
		t.Errorf("calibrated traffic: %+v", rep.Traffic)
	}
}

func TestGenCommand(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "g.bin")
	code, out, stderr := snnc(t, "gen", "--neurons", "2000", "--fanin", "20", "--seed", "3", "-o", m)
	if code != 0 || !strings.Contains(out, "2000 neurons") {
		t.Fatalf("status %d: %s%s", code, out, stderr)
	}
	b1, _ := os.ReadFile(m)
	snnc(t, "gen", "--neurons", "2000", "--fanin", "20", "--seed", "3", "-o", m)
	b2, _ := os.ReadFile(m)
	if !bytes.Equal(b1, b2) {
		t.Error("gen is not deterministic")
	}
	code, out, stderr = snnc(t, "compile", m, "--target", "loihi", "-o", filepath.Join(dir, "g.img"))
	if code != 0 || !strings.Contains(out, "2000 neurons") {
		t.Fatalf("compiling the generated model: status %d: %s", code, stderr)
	}
	if code, _, stderr := snnc(t, "gen", "--neurons", "10", "--fanin", "10", "-o", m); code != 2 || !strings.Contains(stderr, "fan-in = 10") {
		t.Errorf("bad fan-in: status %d: %s", code, stderr)
	}
}

func sha(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}
