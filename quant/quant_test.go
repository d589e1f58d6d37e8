package quant

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/targets"
)

var testModels = []string{"lif", "alif", "refractory", "delays", "medium"}

func TestQuantizeIsDeterministic(t *testing.T) {
	net := loadModel(t, "medium")
	for _, name := range targets.Names() {
		tg := lookup(t, name)
		q1, r1, err1 := Quantize(net, tg)
		q2, r2, err2 := Quantize(net.Clone(), tg)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v / %v", name, err1, err2)
		}
		if d := cmp.Diff(q1, q2); d != "" {
			t.Errorf("%s: two quantizations differ:\n%s", name, d)
		}
		if d := cmp.Diff(r1, r2); d != "" {
			t.Errorf("%s: two reports differ:\n%s", name, d)
		}
		if d := cmp.Diff(q1, q1.Clone()); d != "" {
			t.Errorf("%s: Clone differs:\n%s", name, d)
		}
		q3, err := QuantizeNetwork(net, tg)
		if err != nil {
			t.Fatalf("%s: QuantizeNetwork: %v", name, err)
		}
		if d := cmp.Diff(q1, q3); d != "" {
			t.Errorf("%s: QuantizeNetwork differs from Quantize:\n%s", name, d)
		}
	}
}

// TestPresetsQuantizeTestModels quantizes every model of testdata/models for every
// preset: all of them fit (their delays are at most 10, refractory periods at most 5,
// every preset has adaptation), so each must give a valid network with the model's
// synapses and the target's exponent grouping.
func TestPresetsQuantizeTestModels(t *testing.T) {
	for _, m := range testModels {
		net := loadModel(t, m)
		for _, name := range targets.Names() {
			tg := lookup(t, name)
			qn, rep, err := Quantize(net, tg)
			if err != nil {
				t.Errorf("%s on %s: %v", m, name, err)
				continue
			}
			if err := qn.Validate(); err != nil {
				t.Errorf("%s on %s: %v", m, name, err)
			}
			if qn.N() != net.N() || qn.In.NNZ() != net.In.NNZ() || qn.Rec.NNZ() != net.Rec.NNZ() || qn.Readout.W.NNZ() != net.Out.NNZ() {
				t.Errorf("%s on %s: shape or synapses changed", m, name)
			}
			if qn.TargetHash != tg.HashHex() || rep.Target != name {
				t.Errorf("%s on %s: provenance %q %q", m, name, qn.Target, qn.TargetHash)
			}
			w := tg.Formats.Weight
			switch w.Granularity {
			case targets.PerMatrix:
				if len(qn.Groups) != 3 {
					t.Errorf("%s on %s: %d groups for per-matrix exponents", m, name, len(qn.Groups))
				}
			case targets.PerSynapseGroup:
				if len(qn.Groups) > w.ExponentGroupsPerCore {
					t.Errorf("%s on %s: %d groups, a core holds %d", m, name, len(qn.Groups), w.ExponentGroupsPerCore)
				}
			}
			for _, g := range qn.Groups {
				if g.Exponent < w.ExponentMin || g.Exponent > w.ExponentMax {
					t.Errorf("%s on %s: exponent %d out of the target's range", m, name, g.Exponent)
				}
			}
		}
	}
}

// writeTarget writes a target file into dir and loads it by path, as --target does.
func writeTarget(t *testing.T, dir, name, body string) *targets.Target {
	t.Helper()
	path := filepath.Join(dir, name+".json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	tg, err := targets.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// unfit is a 220-neuron model (100 ALIF neurons 120-219, as in sMNIST) that breaks
// several limits of the target file below.
func unfit(t *testing.T) *lsnn.Network {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	net := randomNet(rng, 4, 220, 2, 0.02, 5)
	for j := range net.Neurons {
		nr := lsnn.Neuron{TauM: 20, B0: 0.5, NRef: 2}
		if j >= 120 {
			nr.TauA, nr.Beta = 700, 1.8
		}
		if j < 10 {
			nr.NRef = 20
		}
		if j >= 40 && j < 45 {
			nr.TauM = 1e6
		}
		net.Neurons[j] = nr
	}
	var syn []lsnn.Synapse
	for j := 30; j < 40; j++ {
		syn = append(syn, lsnn.Synapse{Pre: 2, Post: j, Weight: 1, Delay: 20})
	}
	syn = append(syn, lsnn.Synapse{Pre: 1, Post: 50, Weight: 1, Delay: 3})
	m, err := lsnn.NewMatrix(4, 220, syn, true)
	if err != nil {
		t.Fatal(err)
	}
	net.In = m
	if err := net.Validate(); err != nil {
		t.Fatal(err)
	}
	return net
}

func TestErrorNamesNeuronsAndLimits(t *testing.T) {
	tg := writeTarget(t, t.TempDir(), "tiny-chip", `{"version": 1, "inherits": "xylo",
		"description": "xylo without adaptation",
		"formats": {"alif": false, "max_refractory_steps": 7}}`)
	_, _, err := Quantize(unfit(t), tg)
	var qe *Error
	if !errors.As(err, &qe) {
		t.Fatalf("error %v (%T), want a *quant.Error", err, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "quant: the model does not fit target tiny-chip (4 problems)") {
		t.Errorf("error starts %q", strings.SplitN(msg, "\n", 2)[0])
	}
	for _, want := range []string{
		"neurons 0-9: n_ref = 20 steps, above the target's limit of 7 steps (formats.max_refractory_steps); nearest representable: n_ref = 7",
		"neurons 120-219: ALIF (beta = 1.8), but target tiny-chip has no threshold adaptation (formats.alif = false); nearest representable: beta = 0 (LIF)",
		"w_in: 10 synapses with delays of 20 steps, above the target's limit of 15 steps (formats.max_delay_steps): from input channel 2 to neurons 30-39; nearest representable: delay 15",
		"neurons 40-44: tau_m = 1e+06 ms at dt = 1 ms is slower than the slowest decay of target tiny-chip (bit shift 1..15; its slowest code, shift 15, gives tau_m = 3.277e+04 ms); nearest representable: tau_m = 3.277e+04 ms",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

// TestWeirdTargetFiles loads target files with odd but valid limits by path and checks
// that what the model cannot use is named.
func TestWeirdTargetFiles(t *testing.T) {
	dir := t.TempDir()
	net := loadModel(t, "medium")
	cases := []struct {
		name, body string
		want       []string
	}{{
		name: "one-bit-weights",
		body: `{"version": 1, "inherits": "xylo", "description": "1-bit mantissas", "formats": {"weight": {"mantissa_bits": 1}}}`,
		want: []string{"w_in: ", "positive weights, but a 1-bit two's complement mantissa holds no positive value (formats.weight.mantissa_bits); nearest representable: 0"},
	}, {
		name: "two-bit-decay",
		body: `{"version": 1, "inherits": "artix7-35t", "description": "2-bit decay codes", "formats": {"decay": {"fraction_bits": 2}}}`,
		want: []string{"is slower than the slowest decay of target two-bit-decay (2-bit multiplier; its slowest code, d = 1/4, gives tau_m = 3.476 ms)"},
	}, {
		name: "short-delays",
		body: `{"version": 1, "inherits": "ice40-up5k", "description": "delays up to 2", "formats": {"max_delay_steps": 2, "max_refractory_steps": 1}}`,
		want: []string{"above the target's limit of 2 steps (formats.max_delay_steps)", "above the target's limit of 1 steps (formats.max_refractory_steps)"},
	}}
	for _, c := range cases {
		tg := writeTarget(t, dir, c.name, c.body)
		_, _, err := Quantize(net, tg)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error lacks %q:\n%v", c.name, w, err)
			}
		}
	}
}

// TestThresholdDoesNotFit gives neurons baseline thresholds 10^6 apart, more than a
// 10-bit threshold mantissa spans.
func TestThresholdDoesNotFit(t *testing.T) {
	tg := lookup(t, "xylo").Clone()
	tg.Name = "narrow-threshold"
	tg.Formats.ThresholdBits = 10
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	net := loadModel(t, "delays").Clone() // two LIF neurons, b0 = 0.5
	net.Neurons[1].B0 = 5e-7
	_, _, err := Quantize(net, tg)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"neuron 1: b0 = 5e-07 is below the smallest threshold", "10-bit threshold mantissa", "nearest representable: b0 = "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestEffectiveTimeConstants checks the report's time constants against values worked
// out by hand: tau_a = 700 ms on loihi's 12-bit decay is d = round(4096 (1 -
// exp(-1/700))) = round(5.847) = 6, tau = -1 / ln(1 - 6/4096) = 682.2 ms; on xylo's
// shift decay the ideal shift is log2(1 / (1 - exp(-1/700))) = 9.45, and shift 9
// (511.5 ms) is nearer in ratio than shift 10 (1023.5 ms).
func TestEffectiveTimeConstants(t *testing.T) {
	net := loadModel(t, "alif").Clone()
	net.Neurons[0].TauA, net.Neurons[0].TauM = 700, 20
	for _, c := range []struct {
		target, code string
		tauA, tauM   float64
	}{{"loihi", "d = 6/4096", 682.2, 19.98}, {"xylo", "shift 9", 511.5, 15.49}} {
		_, rep, err := Quantize(net, lookup(t, c.target))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range rep.TimeConstants {
			want := map[string]float64{"tau_a": c.tauA, "tau_m": c.tauM}[tc.Name]
			if tc.Name == "tau_out" {
				continue
			}
			if math.Abs(tc.Effective-want) > 0.05 {
				t.Errorf("%s: %s %g ms -> %g ms, want %g", c.target, tc.Name, tc.Requested, tc.Effective, want)
			}
			if tc.Name == "tau_a" && (tc.Code != c.code || tc.Neurons != "0") {
				t.Errorf("%s: tau_a code %q neurons %q, want %q, \"0\"", c.target, tc.Code, tc.Neurons, c.code)
			}
		}
	}
}

// TestGoldenMatchesFloat runs the medium model and random networks on a target with
// generous bits, where the integer model must follow the float one closely.
func TestGoldenMatchesFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	tg := generousTarget(t)
	nets := []*lsnn.Network{loadModel(t, "medium")}
	for i := 0; i < 3; i++ {
		nets = append(nets, randomNet(rng, 10, 60, 4, 0.15, 8))
	}
	for i, net := range nets {
		qn, _, err := Quantize(net, tg)
		if err != nil {
			t.Fatal(err)
		}
		var xs []lsnn.Raster
		for b := 0; b < 6; b++ {
			xs = append(xs, randomInput(rng, 200, net.NIn(), 0.05))
		}
		ft, err := lsnn.Simulate(net, xs, lsnn.Options{})
		if err != nil {
			t.Fatal(err)
		}
		it, err := Simulate(qn, xs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var ag Agreement
		maxErr := 0.0
		for b := range xs {
			ag.Add(ft[b].Spikes, it[b].Spikes)
			// Readouts agree closely up to the first step whose spikes differ.
			for s := 0; s < xs[b].T; s++ {
				if string(ft[b].Spikes.Row(s)) != string(it[b].Spikes.Row(s)) {
					break
				}
				for k := 0; k < net.NOut(); k++ {
					maxErr = max(maxErr, math.Abs(ft[b].Readout[s*net.NOut()+k]-it[b].ReadoutFloat[s*net.NOut()+k]))
				}
			}
		}
		if ag.EntryFraction() < 0.99 || ag.IdenticalFraction() < 0.5 || ag.Jaccard() < 0.95 {
			t.Errorf("network %d: entries %.4f, identical samples %.2f, Jaccard %.4f", i, ag.EntryFraction(), ag.IdenticalFraction(), ag.Jaccard())
		}
		if maxErr > 1e-4 {
			t.Errorf("network %d: readout differs by %g before the spikes diverge", i, maxErr)
		}
	}
}

// TestMediumOnLoihi checks the medium model on loihi's 8-bit weights. The model is
// chaotic (a 1e-5 relative change of its recurrent weights moves spikes within ~35
// steps), so only the early steps and the statistics can agree.
func TestMediumOnLoihi(t *testing.T) {
	net := loadModel(t, "medium")
	qn, _, err := Quantize(net, lookup(t, "loihi"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(13, 14))
	var xs []lsnn.Raster
	for b := 0; b < 8; b++ {
		xs = append(xs, randomInput(rng, 200, net.NIn(), 0.05))
	}
	ft, _ := lsnn.Simulate(net, xs, lsnn.Options{})
	it, err := Simulate(qn, xs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var early, all Agreement
	for b := range xs {
		all.Add(ft[b].Spikes, it[b].Spikes)
		cut := func(r lsnn.Raster) lsnn.Raster { return lsnn.Raster{T: 20, W: r.W, Bits: r.Bits[:20*r.W]} }
		early.Add(cut(ft[b].Spikes), cut(it[b].Spikes))
		if it[b].Saturations.Total() != 0 {
			t.Errorf("sample %d: %+v saturations below the no-saturation scale", b, it[b].Saturations)
		}
	}
	if early.EntryFraction() < 0.995 {
		t.Errorf("first 20 steps: %.4f of entries agree", early.EntryFraction())
	}
	if r := float64(all.SpikesB) / float64(all.SpikesA); r < 0.95 || r > 1.05 {
		t.Errorf("integer model fires %d spikes, float %d", all.SpikesB, all.SpikesA)
	}
	if all.EntryFraction() < 0.8 {
		t.Errorf("%.4f of entries agree", all.EntryFraction())
	}
}

func TestLimitExponents(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := 0; trial < 300; trial++ {
		m := 1 + rng.IntN(8)
		var vals, counts []int
		v := rng.IntN(5) - 2
		for i := 0; i < m; i++ {
			v += 1 + rng.IntN(3)
			vals, counts = append(vals, v), append(counts, rng.IntN(50))
		}
		G := 1 + rng.IntN(4)
		got := limitExponents(vals, counts, G)
		cost := func(chosen []int) int {
			c := 0
			for i, v := range vals {
				for _, e := range chosen {
					if e >= v {
						c += counts[i] * (e - v)
						break
					}
				}
			}
			return c
		}
		if len(got) > G || got[len(got)-1] != vals[m-1] {
			t.Fatalf("vals %v G %d: chose %v", vals, G, got)
		}
		best := math.MaxInt
		for mask := 0; mask < 1<<(m-1); mask++ { // subsets that include the largest
			var ch []int
			for i := 0; i < m-1; i++ {
				if mask&(1<<i) != 0 {
					ch = append(ch, vals[i])
				}
			}
			ch = append(ch, vals[m-1])
			if len(ch) <= G {
				best = min(best, cost(ch))
			}
		}
		if c := cost(got); c != best {
			t.Fatalf("vals %v counts %v G %d: chose %v at cost %d, best is %d", vals, counts, G, got, c, best)
		}
	}
}

func TestRuns(t *testing.T) {
	cases := []struct {
		in   []int
		want string
	}{
		{[]int{5}, "5"},
		{[]int{120, 121, 122, 219, 200, 201}, "120-122, 200-201, 219"},
		{[]int{3, 3, 4}, "3-4"},
		{[]int{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 27}, "0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22 and 3 more"},
	}
	for _, c := range cases {
		if got := runs(c.in); got != c.want {
			t.Errorf("runs(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestValidateRejectsBadNetworks(t *testing.T) {
	good, _, err := Quantize(loadModel(t, "delays"), lookup(t, "xylo"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		break_ func(n *Network)
		want   string
	}{
		{"mantissa", func(n *Network) { n.Rec.Mantissa[0] = 300 }, "w_rec[0,1]: mantissa 300 out of -128..127"},
		{"delay", func(n *Network) { n.In.Delay[0] = 16 }, "w_in[0,0]: delay 16 out of 0..15"},
		{"recurrent delay 0", func(n *Network) { n.Rec.Delay[0] = 0 }, "w_rec[0,1]: delay 0 out of 1..15"},
		{"group", func(n *Network) { n.In.RowGroup[0] = 7 }, "w_in: row 0: group 7 out of range"},
		{"threshold", func(n *Network) { n.Neurons[1].Threshold = 1 << 15 }, "neuron 1: threshold mantissa 32768 out of 0..32767"},
		{"decay", func(n *Network) { n.Neurons[0].MemDecay = 0 }, "neuron 0: membrane decay code 0 out of range"},
		{"lif with adaptation", func(n *Network) { n.Neurons[0].AdaptInc = 3 }, "neuron 0: a LIF neuron has adaptation parameters"},
		{"bias", func(n *Network) { n.Readout.Bias[0] = 1 << 20 }, "readout 0: bias 1048576 does not fit 16 bits"},
		{"exponent", func(n *Network) { n.Groups[0].Exponent = 9 }, "group 0: exponent 9 out of 0..7"},
	}
	for _, c := range cases {
		n := good.Clone()
		c.break_(n)
		err := n.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "quant: ") {
			t.Errorf("%s: Validate = %v, want %q", c.name, err, c.want)
		}
		if _, err := NewSimulator(n); err == nil {
			t.Errorf("%s: NewSimulator accepted the network", c.name)
		}
	}
}

func TestAgreement(t *testing.T) {
	a, b := lsnn.NewRaster(4, 3), lsnn.NewRaster(4, 3)
	a.Set(1, 0)
	b.Set(1, 0)
	a.Set(2, 2) // only a
	var ag Agreement
	ag.Add(a, b)
	ag.Add(a, a)
	if ag.Entries != 24 || ag.Equal != 23 || ag.Identical != 1 || ag.Coincident != 3 || ag.SpikesA != 4 || ag.SpikesB != 3 {
		t.Fatalf("%+v", ag)
	}
	if ag.MeanDivergence() != 2 || math.Abs(ag.Jaccard()-0.75) > 1e-12 || ag.IdenticalFraction() != 0.5 {
		t.Errorf("divergence %v Jaccard %v identical %v", ag.MeanDivergence(), ag.Jaccard(), ag.IdenticalFraction())
	}
	if err := ag.Add(a, lsnn.NewRaster(5, 3)); err == nil {
		t.Error("rasters of different shapes compared")
	}
}

// TestExtremeModels quantizes valid float models with extreme values (time constants,
// thresholds and weights from 1e-300 to 1e300) for every preset: Quantize must not
// panic, and must return either a *quant.Error or a network that Validate accepts.
func TestExtremeModels(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	extremes := []float64{1e-300, 1e-12, 1e-3, 1, 1e3, 1e12, 1e300}
	pick := func() float64 { return extremes[rng.IntN(len(extremes))] }
	for trial := 0; trial < 40; trial++ {
		net := randomNet(rng, 3, 6, 2, 0.5, 3)
		for j := range net.Neurons {
			nr := &net.Neurons[j]
			nr.TauM, nr.B0 = pick(), pick()
			if nr.IsALIF() {
				nr.TauA, nr.Beta = pick(), pick()
			}
		}
		for _, m := range []*lsnn.Matrix{&net.In, &net.Rec, &net.Out} {
			for k := range m.Weight {
				m.Weight[k] *= pick()
			}
		}
		net.TauOut = pick()
		net.BOut[0] = pick()
		if err := net.Validate(); err != nil {
			t.Fatal(err)
		}
		for _, name := range targets.Names() {
			qn, _, err := Quantize(net, lookup(t, name))
			var qe *Error
			switch {
			case errors.As(err, &qe):
			case err != nil:
				t.Errorf("trial %d, %s: unexpected error %v", trial, name, err)
			default:
				if err := qn.Validate(); err != nil {
					t.Errorf("trial %d, %s: %v", trial, name, err)
				}
			}
		}
	}
}

// TestValidateOrderIndependentOfWorkers breaks synapses in rows of several blocks
// and one row's extent, and wants the same problems, in row order, on one core and
// on four.
func TestValidateOrderIndependentOfWorkers(t *testing.T) {
	good, _, err := Quantize(randomNet(rand.New(rand.NewPCG(5, 6)), 4, 9000, 2, 0.001, 5), lookup(t, "loihi"))
	if err != nil {
		t.Fatal(err)
	}
	n := good.Clone()
	var rows []int
	for i := 0; i < n.Rec.Rows; i += 1500 {
		if k := n.Rec.RowStart[i]; k < n.Rec.RowStart[i+1] {
			n.Rec.Mantissa[k] = 1 << 20
			rows = append(rows, i)
		}
	}
	if len(rows) < 3 {
		t.Fatalf("only %d rows with synapses to break", len(rows))
	}
	n.Rec.RowStart[8501] = n.Rec.RowStart[8500] - 1 // row 8500 ends before it starts
	problems := func(procs int) []string {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var ve *ValidationError
		if err := n.Validate(); !errors.As(err, &ve) {
			t.Fatalf("GOMAXPROCS %d: Validate = %v, want a *ValidationError", procs, err)
		}
		return ve.Problems
	}
	one, four := problems(1), problems(4)
	if diff := cmp.Diff(one, four); diff != "" {
		t.Fatalf("problems differ between 1 and 4 cores (-1 +4):\n%s", diff)
	}
	var got []string
	for _, p := range one {
		if strings.HasPrefix(p, "w_rec") {
			got = append(got, p)
		}
	}
	if len(got) != len(rows)+1 || !strings.Contains(got[len(got)-1], "row 8500 has a malformed extent") {
		t.Fatalf("w_rec problems %q: want one per broken row, then row 8500's extent", got)
	}
	for i, r := range rows {
		if !strings.HasPrefix(got[i], fmt.Sprintf("w_rec[%d,", r)) {
			t.Errorf("problem %d is %q, want row %d's", i, got[i], r)
		}
	}
}

// TestValidateSlotSums makes the weights into some neurons sum past 2^62, which the
// exact per-neuron sums must catch; with ordinary exponents Validate skips those sums
// (no sum can reach the bound) and the network stays valid.
func TestValidateSlotSums(t *testing.T) {
	good, _, err := Quantize(randomNet(rand.New(rand.NewPCG(7, 8)), 4, 300, 2, 0.05, 5), lookup(t, "loihi"))
	if err != nil {
		t.Fatal(err)
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	n := good.Clone()
	_, mhi := targets.SignedRange(n.Arith.MantissaBits)
	for g := range n.Groups {
		n.Groups[g].Exponent = 63 - n.Arith.MantissaBits // one synapse nearly 2^62
	}
	for k := range n.Rec.Mantissa {
		n.Rec.Mantissa[k] = int32(mhi)
	}
	var ve *ValidationError
	if err := n.Validate(); !errors.As(err, &ve) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	found := false
	for _, p := range ve.Problems {
		found = found || strings.Contains(p, "the sum of |weights| into it reaches 2^62")
	}
	if !found {
		t.Errorf("no neuron's sum reported among %d problems: %q", len(ve.Problems), ve.Problems[:min(5, len(ve.Problems))])
	}
}
