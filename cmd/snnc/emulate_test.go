package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/internal/atomicfile"
	"github.com/snnc/snnc/internal/npyarray"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/quant"
	"github.com/snnc/snnc/targets"
)

// compileImage compiles a test model for a preset into dir and returns the image's
// path and the quantized network.
func compileImage(t *testing.T, dir, model, target string) (string, *quant.Network) {
	t.Helper()
	net, err := lsnn.LoadFile(filepath.Join(models, model))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := targets.Load(target)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := compiler.Compile(net, tg, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := img.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, model+"."+target+".img")
	if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	qn, _, err := quant.Quantize(net, tg)
	if err != nil {
		t.Fatal(err)
	}
	return path, qn
}

const poisson = "../../testdata/inputs/poisson-4x250x80.npy"

// TestEmulateOutputs runs snnc emulate with every output on the medium test model
// and checks each: the spikes and readouts are the golden simulator's, the JSON on
// standard output is the report file, the PNG decodes, the VCD parses and carries the
// same spikes.
func TestEmulateOutputs(t *testing.T) {
	dir := t.TempDir()
	img, qn := compileImage(t, dir, "medium.bin", "artix7-35t")
	z, y, rep := filepath.Join(dir, "z.npy"), filepath.Join(dir, "y.npy"), filepath.Join(dir, "r.json")
	png1, vcd := filepath.Join(dir, "r.png"), filepath.Join(dir, "r.vcd")
	code, out, stderr := snnc(t, "emulate", img, "--input", poisson, "--spikes", z, "--readout", y, "--json",
		"--report", rep, "--raster", png1, "--vcd", vcd, "--vcd-neurons", "0,5", "--sample", "1")
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	var r emulateReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("stdout is not the JSON report: %v", err)
	}
	if r.Report == nil || r.Samples != 4 || r.Mode != "cycle" || r.Cycles == nil || r.Totals.Spikes == 0 {
		t.Fatalf("report: %+v", r.Report)
	}
	file, err := os.ReadFile(rep)
	if err != nil || !bytes.Equal(file, []byte(out)) {
		t.Fatalf("--report file differs from --json output (%v)", err)
	}
	// Spikes and readouts against the golden simulator.
	x, _, err := npyarray.ReadRasters(poisson, 80)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := quant.Simulate(qn, x, quant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	zs, _, err := npyarray.ReadRasters(z, qn.N())
	if err != nil {
		t.Fatal(err)
	}
	for b := range golden {
		if !bytes.Equal(zs[b].Bits, golden[b].Spikes.Bits) {
			t.Fatalf("sample %d: --spikes differ from the golden simulator's", b)
		}
	}
	if st, err := os.Stat(y); err != nil || st.Size() < int64(8*4*250*qn.NOut()) {
		t.Fatalf("--readout: %v", err)
	}
	// The PNG is a real plot.
	f, err := os.Open(png1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatalf("--raster: %v", err)
	}
	if b := im.Bounds(); b.Dx() < 500 || b.Dy() < 400 {
		t.Fatalf("--raster: %v image", b)
	}
	// The VCD parses and its spike wires are sample 1's spikes.
	v, err := parseVCD(vcd)
	if err != nil {
		t.Fatalf("--vcd: %v", err)
	}
	N := qn.N()
	for j := 0; j < N; j++ {
		w := v.waves["chip.spikes.n"+strconv.Itoa(j)]
		for tt := 0; tt < 250; tt++ {
			if got, want := w.at(int64(tt)*1000), int64(golden[1].Spikes.Bits[tt*N+j]); got != want {
				t.Fatalf("--vcd: neuron %d, step %d: %d, want %d", j, tt, got, want)
			}
		}
	}
	for _, name := range []string{"chip.membrane.v0", "chip.membrane.v5", "chip.threshold.a5", "chip.readout.out0"} {
		if _, ok := v.waves[name]; !ok {
			t.Fatalf("--vcd: no signal %s (have %d)", name, len(v.waves))
		}
	}
	// The same run again gives the same report, byte for byte.
	_, out2, _ := snnc(t, "emulate", img, "--input", poisson, "--json")
	if out2 != out {
		t.Fatal("two runs gave different reports")
	}
}

// wave is one VCD signal: its width and its value changes.
type wave struct {
	width int
	times []int64
	vals  []int64
}

func (w wave) at(t int64) int64 {
	v := int64(-1)
	for i, tt := range w.times {
		if tt > t {
			break
		}
		v = w.vals[i]
	}
	return v
}

type vcdFile struct {
	waves map[string]wave // by scope path and name
}

// parseVCD reads a VCD strictly: declarations, then timestamps in increasing order,
// each followed by changes of declared signals whose values fit their widths.
func parseVCD(path string) (*vcdFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	sc.Split(bufio.ScanWords)
	var words []string
	for sc.Scan() {
		words = append(words, sc.Text())
	}
	byID := map[string]string{}
	f := &vcdFile{waves: map[string]wave{}}
	var scope []string
	i := 0
	next := func() (string, error) {
		if i >= len(words) {
			return "", fmt.Errorf("unexpected end")
		}
		i++
		return words[i-1], nil
	}
	skipToEnd := func() error {
		for {
			w, err := next()
			if err != nil {
				return err
			}
			if w == "$end" {
				return nil
			}
		}
	}
	defs := true
	for defs {
		w, err := next()
		if err != nil {
			return nil, err
		}
		switch w {
		case "$version", "$timescale", "$date", "$comment":
			if err := skipToEnd(); err != nil {
				return nil, err
			}
		case "$scope":
			if _, err := next(); err != nil {
				return nil, err
			}
			name, _ := next()
			scope = append(scope, name)
			if e, _ := next(); e != "$end" {
				return nil, fmt.Errorf("$scope %s: no $end", name)
			}
		case "$upscope":
			if len(scope) == 0 {
				return nil, fmt.Errorf("$upscope outside a scope")
			}
			scope = scope[:len(scope)-1]
			if e, _ := next(); e != "$end" {
				return nil, fmt.Errorf("$upscope: no $end")
			}
		case "$var":
			kind, _ := next()
			ws, _ := next()
			id, _ := next()
			name, _ := next()
			if e, _ := next(); e != "$end" || (kind != "wire" && kind != "reg") {
				return nil, fmt.Errorf("$var %s %s %s %s: malformed", kind, ws, id, name)
			}
			width, err := strconv.Atoi(ws)
			if err != nil || width < 1 || width > 64 {
				return nil, fmt.Errorf("$var %s: width %q", name, ws)
			}
			full := strings.Join(append(append([]string(nil), scope...), name), ".")
			if _, dup := byID[id]; dup {
				return nil, fmt.Errorf("identifier %q declared twice", id)
			}
			byID[id] = full
			f.waves[full] = wave{width: width}
		case "$enddefinitions":
			if e, _ := next(); e != "$end" || len(scope) != 0 {
				return nil, fmt.Errorf("$enddefinitions: unbalanced scopes or no $end")
			}
			defs = false
		default:
			return nil, fmt.Errorf("unexpected %q in the declarations", w)
		}
	}
	now := int64(-1)
	set := func(id string, v uint64, bits int) error {
		name, ok := byID[id]
		if !ok {
			return fmt.Errorf("change of undeclared signal %q", id)
		}
		if now < 0 {
			return fmt.Errorf("value change before the first timestamp")
		}
		w := f.waves[name]
		if bits > w.width {
			return fmt.Errorf("%s: %d bits in a %d-bit signal", name, bits, w.width)
		}
		sv := int64(v)
		if w.width > 1 && bits == w.width && w.width < 64 && v>>(w.width-1)&1 == 1 {
			sv = int64(v) - int64(1)<<w.width
		}
		w.times, w.vals = append(w.times, now), append(w.vals, sv)
		f.waves[name] = w
		return nil
	}
	for i < len(words) {
		w, _ := next()
		switch {
		case w == "$dumpvars" || w == "$end":
		case w[0] == '#':
			t, err := strconv.ParseInt(w[1:], 10, 64)
			if err != nil || t <= now {
				return nil, fmt.Errorf("timestamp %s after %d", w, now)
			}
			now = t
		case w[0] == 'b':
			id, err := next()
			if err != nil {
				return nil, err
			}
			v, err := strconv.ParseUint(w[1:], 2, 64)
			if err != nil {
				return nil, fmt.Errorf("vector %q: %v", w, err)
			}
			if err := set(id, v, len(w)-1); err != nil {
				return nil, err
			}
		case w[0] == '0' || w[0] == '1':
			if err := set(w[1:], uint64(w[0]-'0'), 1); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unexpected %q", w)
		}
	}
	return f, nil
}

func TestEmulateUsage(t *testing.T) {
	dir := t.TempDir()
	img, _ := compileImage(t, dir, "lif.bin", "loihi")
	for _, c := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"emulate", img}, 2, "--input"},
		{[]string{"emulate", img, "--input", poisson, "--limit", "3"}, 2, "--limit"},
		{[]string{"emulate", img, "--input", poisson, "--mode", "slow"}, 2, "mode"},
		{[]string{"emulate", poisson, "--input", poisson}, 1, "chipimage"},
		{[]string{"emulate", img, "--input", poisson, "--target", "artix7-35t"}, 1, "emulator"},
	} {
		code, _, stderr := snnc(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.err) {
			t.Errorf("snnc %v: status %d, stderr %q; want %d and %q", c.args[1:], code, stderr, c.code, c.err)
		}
	}
}

func TestDemo(t *testing.T) {
	if _, err := os.Stat(filepath.Join(models, "smnist.bin")); err != nil {
		t.Skip(err)
	}
	code, out, stderr := snnc(t, "demo", "--samples", "20", "--cycle-samples", "2")
	if code != 0 {
		if strings.Contains(stderr, "MNIST") {
			t.Skip(stderr)
		}
		t.Fatalf("status %d: %s", code, stderr)
	}
	for _, want := range []string{"accuracy", "bit-exact             20 of 20 digits", "energy / inference", "time / inference"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}
