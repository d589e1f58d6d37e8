package compiler_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/internal/npyarray"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/gen"
	"github.com/snnc/snnc/lsnn/lsnntest"
	"github.com/snnc/snnc/quant"
	"github.com/snnc/snnc/targets"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const models = "../testdata/models"

func loadModel(t testing.TB, name string) *lsnn.Network {
	t.Helper()
	net, err := lsnn.ReadModelFile(filepath.Join(models, name))
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// Small targets on which small networks span several cores.
var tinyTargets = map[string]string{
	"tiny-unicast": `{"version": 1, "inherits": "loihi", "description": "test: 3 x 2 tiles of 2 small unicast cores",
		"mesh": {"cols": 3, "rows": 2, "cores_per_tile": 2}, "core": {"neurons": 24}}`,
	"tiny-multicast": `{"version": 1, "inherits": "artix7-35t", "description": "test: 3 x 2 tiles of 2 small multicast cores",
		"mesh": {"cols": 3, "rows": 2, "cores_per_tile": 2}, "core": {"neurons": 24}, "router": {"table_entries": 256}}`,
	"tiny-shared-exponent": `{"version": 1, "inherits": "loihi", "description": "test: 4 x 1 tiles, one exponent per core, short axon lists",
		"mesh": {"cols": 4, "rows": 1, "cores_per_tile": 1}, "core": {"neurons": 40, "max_synapses_per_axon": 3},
		"formats": {"weight": {"exponent_granularity": "core", "exponent_groups_per_core": null}}}`,
	"tiny-wrap": `{"version": 1, "inherits": "artix7-35t", "description": "test: wrap-around saturation, floor rounding, shift decay",
		"mesh": {"cols": 4, "rows": 2}, "core": {"neurons": 32},
		"formats": {"saturation": "wrap", "rounding": "floor", "accumulator_bits": 14, "membrane_bits": 14, "adaptation_bits": 14,
		"threshold_bits": 8, "threshold_shift": 4, "weight": {"exponent_max": 5}, "decay": {"representation": "shift", "fraction_bits": null, "max_shift": 12}}}`,
	// One neuron slot per core: an absurd target.
	"one-slot": `{"version": 1, "inherits": "loihi", "description": "test: one neuron slot per core",
		"core": {"neurons": 1, "alif_neuron_slots": 1}, "readout": {"neuron_slots": 1}}`,
}

func target(t testing.TB, name string) *targets.Target {
	t.Helper()
	var tg *targets.Target
	var err error
	if js, ok := tinyTargets[name]; ok {
		tg, err = targets.Parse(name+".json", []byte(js))
	} else {
		tg, err = targets.Lookup(name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func compile(t testing.TB, net *lsnn.Network, tg *targets.Target, opt compiler.Options) (*chipimage.Image, *compiler.Report, []byte) {
	t.Helper()
	img, rep, err := compiler.Compile(net, tg, opt)
	if err != nil {
		t.Fatalf("%s: %v", tg.Name, err)
	}
	b, err := img.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return img, rep, b
}

// equivalent checks that the image computes what the golden simulator computes on
// the quantized network, through both adapters.
func equivalent(t *testing.T, net *lsnn.Network, tg *targets.Target, img *chipimage.Image, inputs []lsnn.Raster) {
	t.Helper()
	qn, _, err := quant.Quantize(net, tg)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := quant.Simulate(qn, inputs, quant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rebuilt, err := networkFromImage(img)
	if err != nil {
		t.Fatalf("rebuilding the network from the image: %v", err)
	}
	back, err := quant.Simulate(rebuilt, inputs, quant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	spikes := 0
	for b := range inputs {
		g := golden[b]
		spikes += g.Spikes.Count()
		if !slices.Equal(g.Spikes.Bits, back[b].Spikes.Bits) || !slices.Equal(g.Readout, back[b].Readout) {
			t.Fatalf("sample %d: the network rebuilt from the image computes differently", b)
		}
		s, out := interpret(img, inputs[b])
		if !slices.Equal(g.Spikes.Bits, s.Bits) {
			t.Fatalf("sample %d: the image run step by step spikes differently: %d spikes, golden %d (first difference at entry %d)",
				b, s.Count(), g.Spikes.Count(), firstDiff(g.Spikes.Bits, s.Bits))
		}
		if !slices.Equal(g.Readout, out) {
			t.Fatalf("sample %d: the image run step by step reads out differently", b)
		}
	}
	if spikes == 0 {
		t.Fatalf("%s: no spikes at all: the comparison proves little", tg.Name)
	}
}

func firstDiff[T comparable](a, b []T) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func poissonInputs(t testing.TB, nIn int) []lsnn.Raster {
	x, _, err := npyarray.ReadRasters("../testdata/inputs/poisson-4x250x80.npy", nIn)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestSMNIST compiles the trained sMNIST model for the targets it fits, checks that
// compiling twice gives the same bytes, that the image reads back, and that it
// computes exactly what the golden simulator computes.
func TestSMNIST(t *testing.T) {
	net := loadModel(t, "smnist.bin")
	inputs := poissonInputs(t, net.NIn())
	for _, name := range []string{"loihi", "artix7-35t", "xylo-wide", "ice40-up5k", "loihi-mesh"} {
		t.Run(name, func(t *testing.T) {
			tg := target(t, name)
			img, rep, b1 := compile(t, net, tg, compiler.Options{})
			_, _, b2 := compile(t, net.Clone(), tg, compiler.Options{})
			if !bytes.Equal(b1, b2) {
				t.Fatal("compiling twice gives different bytes")
			}
			back, err := chipimage.Decode(b1)
			if err != nil {
				t.Fatal(err)
			}
			if err := back.CheckTarget(tg); err != nil {
				t.Fatal(err)
			}
			if rep.Cores.Used < 1 || rep.Cores.Used > tg.TotalCores() || rep.Synapses == 0 {
				t.Fatalf("report: %+v", rep.Cores)
			}
			equivalent(t, net, tg, back, inputs)
			_ = img
		})
	}
}

// TestGolden holds the compiled images of a stable model (testdata/models/medium.bin:
// the sMNIST model file changes while it trains) to golden summaries: the image's
// hash and shape and the report's deterministic part.
func TestGolden(t *testing.T) {
	net := loadModel(t, "medium.bin")
	for _, name := range []string{"loihi", "artix7-35t", "xylo-wide"} {
		t.Run(name, func(t *testing.T) {
			tg := target(t, name)
			img, rep, b := compile(t, net, tg, compiler.Options{})
			golden(t, "medium-"+name, summary(img, rep, b))
		})
	}
	// The model does not fit ice40-up5k: the whole capacity error is golden.
	_, _, err := compiler.Compile(net, target(t, "ice40-up5k"), compiler.Options{ModelName: "medium.bin"})
	if err == nil {
		t.Fatal("medium.bin fits ice40-up5k")
	}
	golden(t, "medium-ice40-up5k-error", err.Error()+"\n")
}

// summary is what the golden files hold: the image's hash and shape and the
// deterministic part of the report.
func summary(img *chipimage.Image, rep *compiler.Report, b []byte) string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s\nsha256 %x, %d bytes\n", img, sha256.Sum256(b), len(b))
	fmt.Fprintf(&s, "cores %d of %d\nper core: slots %+v\nwords %+v\naxons %+v\nfan-out %+v\n",
		rep.Cores.Used, rep.Cores.Available, rep.PerCore.NeuronSlots, rep.PerCore.SynapseWords, rep.PerCore.Axons, rep.PerCore.Fanout)
	fmt.Fprintf(&s, "partition: %+v\nrouting: %+v\n", rep.Partition, rep.Routing)
	fmt.Fprintf(&s, "traffic: %s; placed %+v, row-major %+v\n", rep.Traffic.Placement, rep.Traffic.Placed, rep.Traffic.RowMajor)
	for _, c := range img.Cores {
		fmt.Fprintf(&s, "core %d: %d neurons, %d readouts, exponents %v, %d axon entries, %d axons, %d words, %d fan-out entries\n",
			c.Index, len(c.Neurons), len(c.Readouts), c.Exponents, len(c.Axons), len(c.AxonMap), c.Words, len(c.Fanout))
	}
	return s.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./compiler -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run go test ./compiler -update if the change is intended):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestRandomNetworks compiles random multi-core networks for every target that fits
// them and holds each image to the golden simulator.
func TestRandomNetworks(t *testing.T) {
	cases := []struct {
		target        string
		nIn, n, nOut  int
		density       float64
		minCores      int
		seeds         int
		maxDelay      int
		wantRoutables bool
	}{
		{"tiny-unicast", 8, 90, 4, 0.12, 4, 3, 6, false},
		{"tiny-multicast", 8, 90, 4, 0.12, 4, 3, 6, true},
		{"tiny-shared-exponent", 6, 50, 3, 0.2, 2, 2, 6, false},
		{"tiny-wrap", 6, 80, 3, 0.15, 3, 2, 6, true},
		{"loihi", 10, 300, 5, 0.1, 1, 1, 6, false},
		{"artix7-35t", 10, 300, 5, 0.05, 2, 1, 6, true},
		{"xylo-wide", 10, 120, 6, 0.1, 1, 1, 6, false},
		{"xylo", 10, 120, 6, 0.1, 1, 1, 6, false},
		{"loihi-mesh", 10, 300, 5, 0.1, 1, 1, 6, false},
		{"ice40-up5k", 10, 100, 4, 0.1, 1, 1, 6, false},
	}
	for _, c := range cases {
		for seed := uint64(1); seed <= uint64(c.seeds); seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", c.target, seed), func(t *testing.T) {
				tg := target(t, c.target)
				rng := rand.New(rand.NewPCG(seed, 99))
				net := lsnntest.RandomNetwork(rng, c.nIn, c.n, c.nOut, c.density, c.maxDelay)
				img, _, _ := compile(t, net, tg, compiler.Options{Seed: seed})
				if len(img.Cores) < c.minCores {
					t.Fatalf("%d cores, want at least %d", len(img.Cores), c.minCores)
				}
				if (len(img.Routers) > 0) != c.wantRoutables {
					t.Fatalf("%d routing tables", len(img.Routers))
				}
				var inputs []lsnn.Raster
				for range 3 {
					inputs = append(inputs, lsnntest.RandomInput(rng, 120, c.nIn, 0.2))
				}
				equivalent(t, net, tg, img, inputs)
			})
		}
	}
}

// TestPlacementBeatsRowMajor compiles models spanning many cores and checks that
// the placement needs fewer packet-hops than row-major order, and that the report
// shows both.
func TestPlacementBeatsRowMajor(t *testing.T) {
	for _, c := range []struct {
		target string
		n      int
	}{{"loihi", 3000}, {"tiny-multicast", 150}, {"tiny-unicast", 150}} {
		t.Run(c.target, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 5))
			net := lsnntest.RandomNetwork(rng, 16, c.n, 4, 0.04, 4)
			tg := target(t, c.target)
			_, rep, _ := compile(t, net, tg, compiler.Options{})
			tr := rep.Traffic
			if rep.Cores.Used < 4 {
				t.Fatalf("%d cores: want a model spanning several", rep.Cores.Used)
			}
			if !(tr.Placed.PacketHops < tr.RowMajor.PacketHops) {
				t.Fatalf("placed %v packet-hops, row-major %v (%s)", tr.Placed.PacketHops, tr.RowMajor.PacketHops, tr.Placement)
			}
			t.Logf("%s: %d cores, %s: %.1f packet-hops per step, row-major %.1f (%.1f%% fewer)", c.target, rep.Cores.Used, tr.Placement,
				tr.Placed.PacketHops, tr.RowMajor.PacketHops, tr.HopsSaved)
			// Skipping the pass leaves row-major order.
			_, rep2, _ := compile(t, net, tg, compiler.Options{Skip: []string{"place"}})
			if rep2.Traffic.Placed != tr.RowMajor {
				t.Fatalf("skipped placement: %+v, row-major %+v", rep2.Traffic.Placed, tr.RowMajor)
			}
		})
	}
}

// TestCalibratedRates: rates change the traffic the report expects, and the image
// stays deterministic and correct.
func TestCalibratedRates(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	net := lsnntest.RandomNetwork(rng, 8, 90, 4, 0.12, 5)
	tg := target(t, "tiny-multicast")
	rates := &compiler.Rates{Neuron: make([]float64, 90), Input: make([]float64, 8), Source: "test"}
	for i := range rates.Neuron {
		rates.Neuron[i] = float64(i%7) / 50
	}
	for i := range rates.Input {
		rates.Input[i] = 0.3
	}
	img, rep, b := compile(t, net, tg, compiler.Options{Rates: rates})
	_, _, b2 := compile(t, net, tg, compiler.Options{Rates: rates})
	if !bytes.Equal(b, b2) || rep.Traffic.RateSource != "test" {
		t.Fatal("not deterministic, or the rate source is not reported")
	}
	equivalent(t, net, tg, img, []lsnn.Raster{lsnntest.RandomInput(rng, 100, 8, 0.2)})
	if _, _, err := compiler.Compile(net, tg, compiler.Options{Rates: &compiler.Rates{Neuron: []float64{1}}}); err == nil {
		t.Fatal("accepted rates of the wrong size")
	}
}

// TestCapacityErrors: models that do not fit get one error listing every violated
// limit with numbers, and what would fit; nothing else is produced.
func TestCapacityErrors(t *testing.T) {
	smnist := loadModel(t, "smnist.bin")
	big := lsnntest.RandomNetwork(rand.New(rand.NewPCG(3, 3)), 8, 200, 4, 0.05, 4)
	wide := lsnntest.RandomNetwork(rand.New(rand.NewPCG(4, 4)), 4, 40, 2, 0.9, 3)
	cases := []struct {
		name   string
		net    *lsnn.Network
		target string
		want   []string
	}{
		{"xylo inputs and readouts", smnist, "xylo", []string{
			"does not fit target xylo (2 limits violated)",
			"input channels: needs 80, has 16 (mesh.host_port.input_channels)",
			"readout units: needs 10, has 8 (readout.units)",
			"use at most 16 input channels", "xylo-wide"}},
		{"absurd target", smnist, "one-slot", []string{
			"cores: the partition needs", "the target has 128", "neuron slots alone: 230",
			"about", "neurons at this connectivity"}},
		{"too many cores", big, "tiny-unicast", []string{"cores: the partition needs", "the target has 12", "or a larger target"}},
		{"one core over every limit", smnist, "ice40-up5k", nil},
	}
	// The ice40 fits sMNIST; a smaller ice40 does not, limit by limit.
	tinyIce := `{"version": 1, "inherits": "ice40-up5k", "description": "test", "core": {"neurons": 100, "input_axons": 200, "synapse_memory": {"words": 1000}, "fanout_entries": 100}}`
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := target(t, c.target)
			want := c.want
			if c.name == "one core over every limit" {
				var err error
				if tg, err = targets.Parse("tiny-ice.json", []byte(tinyIce)); err != nil {
					t.Fatal(err)
				}
				// (The sMNIST model is still training: its synapse counts change.)
				want = []string{"core 0: neuron slots: needs 230 slots, has 100 (core.neurons)",
					"core 0: axon table: needs", "has 200 (core.input_axons)",
					"core 0: synapse memory: needs", "has 1,000 (core.synapse_memory.words)",
					"core 0: fan-out table: needs", "entries, has 100 (core.fanout_entries)", "neurons at this connectivity (the model has 220)"}
			}
			img, _, err := compiler.Compile(c.net, tg, compiler.Options{})
			var ce *compiler.CapacityError
			if !errors.As(err, &ce) || img != nil {
				t.Fatalf("got %v (image %v), want a capacity error", err, img != nil)
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
			if !strings.HasPrefix(err.Error(), "compile: ") {
				t.Errorf("error without the prefix: %s", err)
			}
		})
	}
	// A neuron whose fan-in needs more axons than a core has.
	tg, err := targets.Parse("few-axons.json", []byte(`{"version": 1, "inherits": "loihi", "description": "test", "core": {"input_axons": 20}}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = compiler.Compile(wide, tg, compiler.Options{})
	if err == nil || !strings.Contains(err.Error(), "axon-table entries (one per presynaptic source) alone, a core has 20 (core.input_axons)") ||
		!strings.Contains(err.Error(), "limit every neuron's fan-in to 20") {
		t.Fatalf("fan-in over the axon table: %v", err)
	}
	// xylo-wide, the widened preset, compiles the same model.
	compile(t, smnist, target(t, "xylo-wide"), compiler.Options{})
}

func TestOptionsErrors(t *testing.T) {
	net := loadModel(t, "lif.bin")
	tg := target(t, "loihi")
	for _, c := range []struct {
		opt  compiler.Options
		want string
	}{
		{compiler.Options{Skip: []string{"emit"}}, `pass "emit" is required`},
		{compiler.Options{Skip: []string{"optimize"}}, `no pass "optimize"`},
		{compiler.Options{DumpAfter: "link"}, `--dump-after "link": no such pass`},
	} {
		if _, _, err := compiler.Compile(net, tg, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.opt, err, c.want)
		}
	}
}

// TestDumpAfter prints the state after every pass.
func TestDumpAfter(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	net := lsnntest.RandomNetwork(rng, 6, 60, 3, 0.12, 4)
	want := map[string][]string{
		"quantize":  {"state after pass quantize", "60 neurons, 6 input channels, 3 readout units", "exponent granularity"},
		"partition": {"cores; cut", "members", "neurons "},
		"place":     {"method", "-> physical core"},
		"route":     {"router (", "key "},
		"compress":  {"router (", "mask"},
		"emit":      {"image for tiny-multicast", "axon entries"},
	}
	for _, p := range compiler.Passes() {
		var b bytes.Buffer
		compile(t, net, target(t, "tiny-multicast"), compiler.Options{DumpAfter: p.Name, Dump: &b})
		for _, w := range want[p.Name] {
			if !strings.Contains(b.String(), w) {
				t.Errorf("dump after %s lacks %q:\n%s", p.Name, w, b.String())
			}
		}
	}
	var b bytes.Buffer
	compile(t, net, target(t, "loihi"), compiler.Options{DumpAfter: "route", Dump: &b})
	if !strings.Contains(b.String(), "unicast") {
		t.Errorf("unicast route dump: %s", b.String())
	}
}

// TestSkipCompress keeps one routing entry per key, which the check still verifies.
func TestSkipCompress(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	net := lsnntest.RandomNetwork(rng, 6, 60, 3, 0.12, 4)
	tg := target(t, "tiny-multicast")
	img, rep, _ := compile(t, net, tg, compiler.Options{Skip: []string{"compress"}})
	_, rep2, _ := compile(t, net, tg, compiler.Options{})
	if rep.Routing.TotalAfter != rep.Routing.TotalBefore || rep2.Routing.TotalAfter >= rep2.Routing.TotalBefore {
		t.Fatalf("uncompressed %+v, compressed %+v", rep.Routing, rep2.Routing)
	}
	equivalent(t, net, tg, img, []lsnn.Raster{lsnntest.RandomInput(rng, 100, 6, 0.2)})
	// A table too small even after compression is an error naming the router.
	small := `{"version": 1, "inherits": "artix7-35t", "description": "test", "mesh": {"cols": 3, "rows": 2, "cores_per_tile": 2},
		"core": {"neurons": 24}, "router": {"table_entries": 2}}`
	tg2, err := targets.Parse("small-tables.json", []byte(small))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = compiler.Compile(net, tg2, compiler.Options{})
	if err == nil || !strings.Contains(err.Error(), "router (") || !strings.Contains(err.Error(), "has 2 (router.table_entries)") {
		t.Fatalf("small tables: %v", err)
	}
}

// TestReportDeterministic compiles a generated model spanning many blocks of sources
// with one worker and with several, twice each, and requires the same report (but
// for the pass times) and image every time: sums of floats such as the partition's
// cut must not depend on which worker took which block.
func TestReportDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a 40,000-neuron model four times")
	}
	cfg := gen.Default(40_000, 20, 3)
	net, err := gen.Sparse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tg := target(t, "loihi-mesh")
	var first, firstImg []byte
	for run, workers := range []int{1, 4, 4, 3} {
		_, rep, img := compile(t, net, tg, compiler.Options{Workers: workers})
		for i := range rep.Passes {
			rep.Passes[i].Seconds, rep.Passes[i].CheckSeconds = 0, 0
		}
		js, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if run == 0 {
			first, firstImg = js, img
			continue
		}
		if !bytes.Equal(img, firstImg) {
			t.Fatalf("run %d (%d workers): the image differs from the first run's", run, workers)
		}
		if !bytes.Equal(js, first) {
			t.Fatalf("run %d (%d workers): the report differs from the first run's:\n%s\nfirst:\n%s", run, workers, js, first)
		}
	}
}

// TestOutputAndProgress checks that the image Compile writes while it checks it is
// WriteTo's encoding of the image it returns, that the report counts its bytes, that
// a writer that cannot be opened fails the compilation, and that progress names
// every pass and check in order.
func TestOutputAndProgress(t *testing.T) {
	net := loadModel(t, "smnist.bin")
	tg := target(t, "tiny-unicast")
	var got bytes.Buffer
	var steps, passes []string
	img, rep, err := compiler.Compile(net, target(t, "loihi"), compiler.Options{
		Output:   func() (io.Writer, error) { return &got, nil },
		Progress: func(what string) { steps = append(steps, what) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range compiler.Passes() {
		passes = append(passes, p.Name, p.Name+": check")
	}
	if !slices.Equal(steps, passes) {
		t.Errorf("progress %q, want %q", steps, passes)
	}
	var want bytes.Buffer
	if _, err := img.WriteTo(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) || rep.ImageBytes != int64(want.Len()) {
		t.Fatalf("wrote %d bytes, report says %d; WriteTo writes %d, equal: %v",
			got.Len(), rep.ImageBytes, want.Len(), bytes.Equal(got.Bytes(), want.Bytes()))
	}
	boom := errors.New("no room")
	rng := rand.New(rand.NewPCG(1, 2))
	_, _, err = compiler.Compile(lsnntest.RandomNetwork(rng, 5, 40, 3, 0.3, 4), tg, compiler.Options{
		Output: func() (io.Writer, error) { return nil, boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the Output error", err)
	}
}

// TestFanoutRepair compiles a model whose first fill leaves fan-out tables
// overflowing (10,000 uniform neurons x 100 synapses on loihi-mesh: 16 of 197 cores)
// and checks that the repair makes every table fit with one more fill. Charging each
// neuron its measured fan-out a few percent below the limit suffices here; the repair
// used to need two more.
func TestFanoutRepair(t *testing.T) {
	net, err := gen.Sparse(gen.Default(10000, 100, 1))
	if err != nil {
		t.Fatal(err)
	}
	_, rep, err := compiler.Compile(net, target(t, "loihi-mesh"), compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f := rep.PerCore.Fanout; f.Max > f.Limit || f.Max < f.Limit*9/10 {
		t.Errorf("fan-out per core: max %d, limit %d: want the limit binding and kept", f.Max, f.Limit)
	}
	if rep.Partition.Fills != 2 {
		t.Errorf("%d fills, want 2", rep.Partition.Fills)
	}
}
