package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/snnc/snnc/internal/npyarray"
	"github.com/snnc/snnc/lsnn"
)

// snnc runs the command line in-process and returns its exit status and outputs.
func snnc(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &env{stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

const models = "../../testdata/models"

func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.bin")
	os.WriteFile(junk, []byte("SNNCMODL but not really a model"), 0o644)
	cases := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"version"}, 0, ""},
		{[]string{"--help"}, 0, ""},
		{[]string{"inspect", "--help"}, 0, ""},
		{[]string{"frobnicate"}, 2, "unexpected argument"},
		{[]string{"inspect"}, 2, "expected"},
		{[]string{"inspect", filepath.Join(dir, "missing.bin")}, 2, "missing.bin"},
		{[]string{"inspect", junk}, 1, "junk.bin"},
		{[]string{"train", "--task", "chess", "-o", "x.bin"}, 2, "chess"},
	}
	for _, c := range cases {
		code, _, stderr := snnc(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.err) {
			t.Errorf("snnc %v: status %d, stderr %q; want status %d and %q", c.args, code, stderr, c.code, c.err)
		}
	}
}

func TestInspectJSON(t *testing.T) {
	code, out, stderr := snnc(t, "inspect", "--json", filepath.Join(models, "medium.bin"))
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	var r inspectReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, out)
	}
	net, _ := lsnn.ReadModelFile(filepath.Join(models, "medium.bin"))
	if r.Neurons != 300 || r.LIF+r.ALIF != 300 || r.Synapses != net.In.NNZ()+net.Rec.NNZ()+net.Out.NNZ() {
		t.Fatalf("report %+v does not describe the model", r)
	}
	delays := 0
	for _, d := range r.Matrices[1].Delays {
		delays += d.Count
		if d.Delay < 1 {
			t.Errorf("recurrent delay %d reported", d.Delay)
		}
	}
	if delays != net.Rec.NNZ() {
		t.Errorf("delay histogram counts %d recurrent synapses, model has %d", delays, net.Rec.NNZ())
	}
}

func TestImportExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	npz, bin := filepath.Join(dir, "m.npz"), filepath.Join(dir, "m.bin")
	src := filepath.Join(models, "medium.bin")
	if code, _, e := snnc(t, "export", src, "-o", npz); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := snnc(t, "import", npz, "-o", bin); code != 0 {
		t.Fatal(e)
	}
	a, _ := lsnn.ReadModelFile(src)
	b, err := lsnn.ReadModelFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	b.Meta = a.Meta
	if d := cmp.Diff(a, b); d != "" {
		t.Fatalf("export then import changed the model:\n%s", d)
	}
}

// TestSimulateArrays runs simulate on a batch and on a single sample and checks the
// arrays it writes against the simulator called directly.
func TestSimulateArrays(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(models, "delays.bin")
	x := lsnn.NewRaster(30, 1)
	x.Set(0, 0)
	in := filepath.Join(dir, "x.npy")
	if err := npyarray.WriteRasters(in, []lsnn.Raster{x, x}, true); err != nil {
		t.Fatal(err)
	}
	z, y := filepath.Join(dir, "z.npy"), filepath.Join(dir, "y.npy")
	code, out, e := snnc(t, "simulate", model, "--input", in, "--spikes", z, "--readout", y, "--json")
	if code != 0 {
		t.Fatal(e)
	}
	var r simulateReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	// Each sample: neuron 0 fires at 4, neuron 1 at 10 (see lsnn's hand-worked tests).
	if r.Samples != 2 || r.Spikes != 4 || r.SynapticEvents != 2*(1+1) {
		t.Fatalf("report %+v, want 2 samples, 4 spikes, 4 synaptic events", r)
	}
	spikes, batched, err := npyarray.ReadRasters(z, 2)
	if err != nil || !batched || len(spikes) != 2 {
		t.Fatalf("spikes file: %v batched=%v n=%d", err, batched, len(spikes))
	}
	if !spikes[1].At(4, 0) || !spikes[1].At(10, 1) || spikes[1].Count() != 2 {
		t.Fatalf("spike array wrong: %v", spikes[1].Bits)
	}
	if _, err := os.Stat(y); err != nil {
		t.Fatal(err)
	}
	// A wrong channel count is an error that names the file.
	bad := filepath.Join(dir, "bad.npy")
	npyarray.WriteRasters(bad, []lsnn.Raster{lsnn.NewRaster(5, 3)}, false)
	code, _, e = snnc(t, "simulate", model, "--input", bad)
	if code != 1 || !strings.Contains(e, "bad.npy") {
		t.Fatalf("status %d, stderr %q", code, e)
	}
}
