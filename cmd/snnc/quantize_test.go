package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/targets"
)

func TestTargetsList(t *testing.T) {
	code, out, stderr := snnc(t, "targets")
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	for _, name := range targets.Names() {
		if !strings.Contains(out, "\n"+name+" ") {
			t.Errorf("list lacks %s:\n%s", name, out)
		}
	}
	if !strings.Contains(out, "loihi       128    1024          2 GHz    Loihi-like") {
		t.Errorf("loihi row is not name, cores, neurons per core, clock, description:\n%s", out)
	}
	code, out, _ = snnc(t, "targets", "--json")
	var list []targetSummary
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != len(targets.Names()) {
		t.Fatalf("targets --json: status %d, %d entries:\n%s", code, len(list), out)
	}
	for _, s := range list {
		if s.Name == "artix7-35t" && (s.Cores != 4 || s.NeuronsPerCore != 256 || s.ClockHz != 100_000_000) {
			t.Errorf("artix7-35t: %+v", s)
		}
	}
}

func TestTargetsShow(t *testing.T) {
	code, out, stderr := snnc(t, "targets", "show", "loihi", "--json")
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	var tg targets.Target
	if err := json.Unmarshal([]byte(out), &tg); err != nil {
		t.Fatalf("not a target: %v\n%s", err, out)
	}
	want, _ := targets.Lookup("loihi")
	if tg.Name != "loihi" || tg.Formats != want.Formats || tg.Core != want.Core {
		t.Errorf("show --json differs from the preset: %+v", tg)
	}
	code, out, _ = snnc(t, "targets", "show", "xylo-wide")
	for _, w := range []string{"xylo-wide: xylo widened", "from preset xylo -> preset xylo-wide", "bit shift 1..15", "80 input channels", "energy.synaptic_op"} {
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("show xylo-wide lacks %q (status %d):\n%s", w, code, out)
		}
	}
	// A file by path, inheriting a preset.
	dir := t.TempDir()
	path := filepath.Join(dir, "arty-100t.json")
	os.WriteFile(path, []byte(`{"version": 1, "inherits": "artix7-35t", "description": "Arty A7-100T", "core": {"synapse_memory": {"words": 4096}}}`), 0o644)
	code, out, stderr = snnc(t, "targets", "show", path, "--json")
	if code != 0 || json.Unmarshal([]byte(out), &tg) != nil || tg.Name != "arty-100t" || tg.Core.SynapseMemory.Words != 4096 {
		t.Errorf("show %s: status %d, %s", path, code, stderr)
	}
	// Errors: an unknown preset is a usage error; a bad file names file and field.
	code, _, stderr = snnc(t, "targets", "show", "loihi2")
	if code != 2 || !strings.Contains(stderr, `unknown target "loihi2"`) {
		t.Errorf("unknown preset: status %d, %s", code, stderr)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"version": 1, "inherits": "xylo", "formats": {"max_delay_stepz": 3}}`), 0o644)
	code, _, stderr = snnc(t, "targets", "show", bad)
	if code != 1 || !strings.Contains(stderr, "formats.max_delay_stepz: unknown field") {
		t.Errorf("bad file: status %d, %s", code, stderr)
	}
}

// storeRecallModel writes a random model with store-recall's shape (100 inputs, 2
// readouts).
func storeRecallModel(t *testing.T) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(21, 22))
	const nIn, N, nOut = 100, 20, 2
	net := &lsnn.Network{Dt: 1, TauOut: 20, BOut: []float64{0.1, -0.1}}
	for j := 0; j < N; j++ {
		nr := lsnn.Neuron{TauM: 20, B0: 0.3, NRef: 3}
		if j >= 10 {
			nr.TauA, nr.Beta = 1200, 1.7
		}
		net.Neurons = append(net.Neurons, nr)
	}
	var in, rec, out []lsnn.Synapse
	for i := 0; i < nIn; i++ {
		for j := 0; j < N; j++ {
			if rng.Float64() < 0.2 {
				in = append(in, lsnn.Synapse{Pre: i, Post: j, Weight: rng.NormFloat64(), Delay: rng.IntN(5)})
			}
		}
	}
	for i := 0; i < N; i++ {
		for j := 0; j < N; j++ {
			if i != j && rng.Float64() < 0.3 {
				rec = append(rec, lsnn.Synapse{Pre: i, Post: j, Weight: 0.5 * rng.NormFloat64(), Delay: 1 + rng.IntN(5)})
			}
		}
		for k := 0; k < nOut; k++ {
			out = append(out, lsnn.Synapse{Pre: i, Post: k, Weight: rng.NormFloat64()})
		}
	}
	var err error
	if net.In, err = lsnn.NewMatrix(nIn, N, in, true); err != nil {
		t.Fatal(err)
	}
	if net.Rec, err = lsnn.NewMatrix(N, N, rec, true); err != nil {
		t.Fatal(err)
	}
	if net.Out, err = lsnn.NewMatrix(N, nOut, out, false); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sr.bin")
	if err := lsnn.WriteModelFile(path, net); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestQuantizeJSON(t *testing.T) {
	model := storeRecallModel(t)
	code, out, stderr := snnc(t, "quantize", model, "--target", "loihi", "--task", "store-recall", "--limit", "6", "--json")
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"float_accuracy", "fixed_accuracy", "spike_agreement", "identical_samples", "quantization", "agreement"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	var r quantizeReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.FloatAccuracy == nil || r.FixedAccuracy == nil || r.SpikeAgreement == nil || r.Samples != 6 {
		t.Fatalf("task figures missing: %s", out)
	}
	for _, v := range []float64{*r.FloatAccuracy, *r.FixedAccuracy, *r.SpikeAgreement, *r.IdenticalSamples} {
		if v < 0 || v > 1 {
			t.Errorf("fraction %v out of [0, 1]", v)
		}
	}
	if *r.SpikeAgreement < 0.9 || r.Agreement.Entries != int64(6*2400*20) {
		t.Errorf("spike agreement %v over %d entries", *r.SpikeAgreement, r.Agreement.Entries)
	}
	names := map[string]bool{}
	for _, p := range r.Quantization.Params {
		names[p.Name] = true
	}
	for _, n := range []string{"w_in", "w_rec", "w_out", "b0", "adapt_inc", "alpha", "rho", "kappa"} {
		if !names[n] {
			t.Errorf("no %s row in the report", n)
		}
	}
	// Without --task the task keys are present and null.
	code, out, _ = snnc(t, "quantize", model, "--target", "xylo", "--json")
	if code != 0 || !strings.Contains(out, `"fixed_accuracy": null`) {
		t.Errorf("status %d, no null fixed_accuracy:\n%s", code, out)
	}
}

func TestQuantizeText(t *testing.T) {
	code, out, stderr := snnc(t, "quantize", filepath.Join(models, "alif.bin"), "--target", "xylo")
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	for _, w := range []string{"alif.bin -> xylo", "w_in ", "b0 ", "adapt_inc ", "tau_a          200 ms     255.5 ms   +27.75%  shift 8", "warnings:"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestQuantizeErrors(t *testing.T) {
	dir := t.TempDir()
	noALIF := filepath.Join(dir, "no-alif.json")
	os.WriteFile(noALIF, []byte(`{"version": 1, "inherits": "ice40-up5k", "description": "no adaptation", "formats": {"alif": false}}`), 0o644)
	cases := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"quantize", filepath.Join(models, "alif.bin"), "--target", noALIF}, 1,
			"neuron 0: ALIF (beta = 1.5), but target no-alif has no threshold adaptation (formats.alif = false)"},
		{[]string{"quantize", filepath.Join(models, "alif.bin"), "--target", "nope"}, 2, `unknown target "nope"`},
		{[]string{"quantize", filepath.Join(models, "alif.bin")}, 2, "--target"},
		{[]string{"quantize", filepath.Join(models, "alif.bin"), "--target", "loihi", "--limit", "3"}, 2, "--limit needs --task"},
		{[]string{"quantize", filepath.Join(models, "alif.bin"), "--target", "loihi", "--task", "store-recall"}, 1, "model has 1 inputs and 1 readouts"},
	}
	for _, c := range cases {
		code, _, stderr := snnc(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.err) {
			t.Errorf("snnc %v: status %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.err)
		}
	}
}
