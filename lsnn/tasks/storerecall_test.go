package tasks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/snnc/snnc/lsnn"
)

func newStoreRecall(t testing.TB, cfg StoreRecallConfig) *StoreRecall {
	t.Helper()
	sr, err := NewStoreRecall(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sr
}

func TestStoreRecallDefaults(t *testing.T) {
	sr := newStoreRecall(t, StoreRecallConfig{})
	if got, want := sr.Config(), DefaultStoreRecallConfig(); got != want {
		t.Errorf("Config = %+v, want %+v", got, want)
	}
	if sr.NIn() != 100 || sr.NOut() != 2 || sr.T() != 2400 || sr.SymbolSteps() != 200 || sr.TestLen() != 1000 {
		t.Errorf("NIn %d NOut %d T %d SymbolSteps %d TestLen %d, want 100 2 2400 200 1000",
			sr.NIn(), sr.NOut(), sr.T(), sr.SymbolSteps(), sr.TestLen())
	}
	if sr.Name() != "store-recall" {
		t.Errorf("Name = %q", sr.Name())
	}
	// A half-millisecond step doubles the steps per symbol.
	sr = newStoreRecall(t, StoreRecallConfig{Dt: 0.5, Symbols: 4})
	if sr.SymbolSteps() != 400 || sr.T() != 1600 {
		t.Errorf("dt 0.5: SymbolSteps %d T %d, want 400 1600", sr.SymbolSteps(), sr.T())
	}
}

func TestStoreRecallConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  StoreRecallConfig
		want string
	}{
		{StoreRecallConfig{Symbols: 2}, "2 symbols"},
		{StoreRecallConfig{Symbols: -1}, "-1 symbols"},
		{StoreRecallConfig{Dt: -1}, "step -1 ms"},
		{StoreRecallConfig{Dt: math.NaN()}, "step NaN ms"},
		{StoreRecallConfig{SymbolMs: -5}, "symbol of -5 ms"},
		{StoreRecallConfig{SymbolMs: 10, Dt: 3}, "not a whole number"},
		{StoreRecallConfig{RateHz: -1}, "rate -1 Hz"},
		{StoreRecallConfig{RateHz: 2000}, "rate 2000 Hz"},
		{StoreRecallConfig{ChannelsPerGroup: -3}, "-3 channels per group"},
		{StoreRecallConfig{PStore: 1}, "probabilities 1 and"},
		{StoreRecallConfig{PRecall: -0.5}, "and -0.5"},
		{StoreRecallConfig{TestTrials: -1}, "-1 test trials"},
		{StoreRecallConfig{Symbols: 1 << 10, SymbolMs: 1 << 20, Dt: 1}, "too large"},
	}
	for _, tc := range tests {
		_, err := NewStoreRecall(tc.cfg)
		if err == nil {
			t.Errorf("%+v: accepted", tc.cfg)
			continue
		}
		if !strings.HasPrefix(err.Error(), "tasks: store-recall: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %q, want it to contain %q", tc.cfg, err, tc.want)
		}
	}
}

func TestStoreRecallTask(t *testing.T) {
	checkTask(t, newStoreRecall(t, StoreRecallConfig{Symbols: 5, SymbolMs: 20, TestTrials: 20}), 6)
	checkTask(t, newStoreRecall(t, StoreRecallConfig{}), 2)
}

// TestStoreRecallPrefix checks that trial k of a batch does not depend on the size of
// the batch, and that the test set does not reuse a training stream.
func TestStoreRecallPrefix(t *testing.T) {
	sr := newStoreRecall(t, StoreRecallConfig{Symbols: 6, SymbolMs: 20, TestTrials: 8})
	long, short := sr.TrainBatch(11, 5, 8), sr.TrainBatch(11, 5, 3)
	if !sameBatch(long[:3], short) {
		t.Error("the first 3 trials of a batch of 8 differ from a batch of 3")
	}
	for i := 0; i < 8; i++ {
		test := sr.TestSample(i)
		if sameSample(test, sr.TrainBatch(sr.Config().TestSeed, i, 1)[0]) {
			t.Errorf("test sample %d equals training batch %d of a run seeded with the test seed", i, i)
		}
	}
}

// decodeTrial reads the symbols of a trial back from its raster: which groups spike
// during each symbol. It fails the test when a symbol is not one of the three kinds
// (a digit: one bit group; a STORE: one bit group and STORE; a RECALL: RECALL alone).
func decodeTrial(t *testing.T, sr *StoreRecall, r lsnn.Raster) trial {
	t.Helper()
	G, L, n := sr.Config().ChannelsPerGroup, sr.SymbolSteps(), sr.Config().Symbols
	tr := trial{kinds: make([]symbolKind, n), bits: make([]uint8, n)}
	for s := 0; s < n; s++ {
		var on [numGroups]bool
		for step := s * L; step < (s+1)*L; step++ {
			for c := 0; c < numGroups*G; c++ {
				if r.At(step, c) {
					on[c/G] = true
				}
			}
		}
		switch on {
		case [numGroups]bool{GroupBit0: true}, [numGroups]bool{GroupBit1: true}:
			tr.kinds[s] = symDigit
		case [numGroups]bool{GroupBit0: true, GroupStore: true}, [numGroups]bool{GroupBit1: true, GroupStore: true}:
			tr.kinds[s] = symStore
		case [numGroups]bool{GroupRecall: true}:
			tr.kinds[s] = symRecall
		default:
			t.Fatalf("symbol %d shows groups %v", s, on)
		}
		if on[GroupBit1] {
			tr.bits[s] = 1
		}
	}
	return tr
}

// TestStoreRecallLabelsFromRaster recomputes every window and label from the spikes
// alone, for the paper's set-up: with 25 channels at 50 Hz for 200 ms a group that is
// on shows about 250 spikes, so it cannot pass for silent.
func TestStoreRecallLabelsFromRaster(t *testing.T) {
	sr := newStoreRecall(t, StoreRecallConfig{})
	samples := sr.TrainBatch(2024, 17, 40)
	for i := 0; i < 40; i++ {
		samples = append(samples, sr.TestSample(i))
	}
	L := sr.SymbolSteps()
	recalls := 0
	for k, s := range samples {
		tr := decodeTrial(t, sr, s.Input)
		var want []Window
		pending, gap, stored := false, 0, -1
		for sym, kind := range tr.kinds {
			switch kind {
			case symStore:
				if pending {
					t.Fatalf("sample %d: STORE at symbol %d while another waits for its RECALL", k, sym)
				}
				pending, gap, stored = true, 0, int(tr.bits[sym])
			case symRecall:
				if !pending || gap == 0 {
					t.Fatalf("sample %d: RECALL at symbol %d without a STORE and a digit before it", k, sym)
				}
				pending = false
				want = append(want, Window{Start: sym * L, End: (sym + 1) * L, Label: stored})
			default:
				gap++
			}
		}
		if pending || len(want) == 0 {
			t.Fatalf("sample %d: symbols %v: a STORE unanswered or no RECALL", k, tr.kinds)
		}
		if fmt.Sprint(want) != fmt.Sprint(s.Windows) {
			t.Fatalf("sample %d: windows %v, want %v from the raster", k, s.Windows, want)
		}
		recalls += len(want)
	}
	t.Logf("%d trials, %d recalls", len(samples), recalls)
}

// authorsKindProb is the probability with which the authors' generator (before its
// validity test) makes the kinds of a sequence: the first symbol waits for a STORE;
// while waiting for a STORE each symbol is one with chance ps, while waiting for a
// RECALL each symbol is one with chance pr; everything else is a digit.
func authorsKindProb(kinds []symbolKind, ps, pr float64) float64 {
	prob, waitStore := 1.0, true
	for _, k := range kinds {
		switch {
		case waitStore && k == symStore:
			prob *= ps
			waitStore = false
		case !waitStore && k == symRecall:
			prob *= pr
			waitStore = true
		case k == symDigit && waitStore:
			prob *= 1 - ps
		case k == symDigit:
			prob *= 1 - pr
		default:
			return 0
		}
	}
	return prob
}

// authorsValid restates the validity test of the authors' generator rule by rule.
func authorsValid(kinds []symbolKind) bool {
	var stores, recalls []int
	digits := 0
	for i, k := range kinds {
		switch k {
		case symStore:
			stores = append(stores, i)
		case symRecall:
			recalls = append(recalls, i)
		default:
			digits++
		}
	}
	if len(stores) == 0 || len(recalls) == 0 || digits == 0 {
		return false
	}
	if recalls[0] < stores[0] || recalls[len(recalls)-1] < stores[len(stores)-1] {
		return false
	}
	for _, s := range stores {
		if s == len(kinds)-1 || kinds[s+1] != symDigit {
			return false
		}
	}
	between := func(a, b int, xs []int) bool {
		for _, x := range xs {
			if a < x && x < b {
				return true
			}
		}
		return false
	}
	for i := 0; i+1 < len(recalls); i++ {
		if !between(recalls[i], recalls[i+1], stores) {
			return false
		}
	}
	for i := 0; i+1 < len(stores); i++ {
		if !between(stores[i], stores[i+1], recalls) {
			return false
		}
	}
	return true
}

// TestStoreRecallSequenceDistribution compares the frequencies of the symbol kinds of
// many trials with the exact distribution of the authors' rejection sampler, found by
// enumerating all 3^n kind sequences.
func TestStoreRecallSequenceDistribution(t *testing.T) {
	tests := []struct {
		n      int
		ps, pr float64
	}{
		{5, 0.3, 0.4},
		{6, 1.0 / 7, 1.0 / 7},
		{3, 0.9, 0.9},
	}
	const draws = 20000
	for _, tc := range tests {
		sr := newStoreRecall(t, StoreRecallConfig{Symbols: tc.n, SymbolMs: 1, PStore: tc.ps, PRecall: tc.pr})
		want := map[string]float64{}
		total := 0.0
		kinds := make([]symbolKind, tc.n)
		for code := 0; code < int(math.Pow(3, float64(tc.n))); code++ {
			c := code
			for i := range kinds {
				kinds[i] = symbolKind(c % 3)
				c /= 3
			}
			if p := authorsKindProb(kinds, tc.ps, tc.pr); p > 0 && authorsValid(kinds) {
				want[fmt.Sprint(kinds)] = p
				total += p
			}
		}
		got := map[string]int{}
		ones, shown := 0, 0
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < draws; i++ {
			tr := sr.sequence(rng)
			key := fmt.Sprint(tr.kinds)
			if _, ok := want[key]; !ok {
				t.Fatalf("n=%d: drew %s, which the authors' generator never accepts", tc.n, key)
			}
			got[key]++
			for s, k := range tr.kinds {
				if k != symRecall {
					ones += int(tr.bits[s])
					shown++
				}
			}
		}
		for key, p := range want {
			exp := draws * p / total
			sd := math.Sqrt(exp * (1 - p/total))
			if d := math.Abs(float64(got[key]) - exp); d > 5*sd+1 {
				t.Errorf("n=%d ps=%g pr=%g: %s drawn %d times, want %.1f +- %.1f", tc.n, tc.ps, tc.pr, key, got[key], exp, sd)
			}
		}
		if f, sd := float64(ones)/float64(shown), 0.5/math.Sqrt(float64(shown)); math.Abs(f-0.5) > 5*sd {
			t.Errorf("n=%d: fraction of bits 1 is %.4f, want 0.5 +- %.4f", tc.n, f, sd)
		}
		t.Logf("n=%d ps=%g pr=%g: %d valid kind sequences", tc.n, tc.ps, tc.pr, len(want))
	}
}

// TestStoreRecallPoisson checks the spike statistics of active channels: the rate per
// step is RateHz*Dt/1000, neighbouring steps are independent, and silent groups do
// not spike at all.
func TestStoreRecallPoisson(t *testing.T) {
	tests := []struct {
		name string
		cfg  StoreRecallConfig
		p    float64
	}{
		{"paper", StoreRecallConfig{}, 0.05},
		{"200 Hz", StoreRecallConfig{RateHz: 200, SymbolMs: 50}, 0.2},
		{"dt 0.5 ms", StoreRecallConfig{Dt: 0.5, SymbolMs: 50}, 0.025},
		{"every step", StoreRecallConfig{RateHz: 1000, SymbolMs: 10}, 1},
	}
	for _, tc := range tests {
		sr := newStoreRecall(t, tc.cfg)
		G, L := sr.Config().ChannelsPerGroup, sr.SymbolSteps()
		var steps, spikes, pairs, both, silentSpikes int
		for _, s := range sr.TrainBatch(99, 0, 60) {
			tr := decodeTrial(t, sr, s.Input)
			for sym, kind := range tr.kinds {
				var active [numGroups]bool
				switch kind {
				case symRecall:
					active[GroupRecall] = true
				case symStore:
					active[GroupStore] = true
					active[GroupBit0+int(tr.bits[sym])] = true
				default:
					active[GroupBit0+int(tr.bits[sym])] = true
				}
				for c := 0; c < numGroups*G; c++ {
					for step := sym * L; step < (sym+1)*L; step++ {
						on := s.Input.At(step, c)
						if !active[c/G] {
							if on {
								silentSpikes++
							}
							continue
						}
						steps++
						if on {
							spikes++
						}
						if step+1 < (sym+1)*L {
							pairs++
							if on && s.Input.At(step+1, c) {
								both++
							}
						}
					}
				}
			}
		}
		if silentSpikes != 0 {
			t.Errorf("%s: %d spikes in silent groups", tc.name, silentSpikes)
		}
		rate := float64(spikes) / float64(steps)
		sd := math.Sqrt(tc.p*(1-tc.p)/float64(steps)) + 1e-12
		if math.Abs(rate-tc.p) > 5*sd {
			t.Errorf("%s: %d spikes in %d active steps: rate %.5f, want %.5f +- %.5f", tc.name, spikes, steps, rate, tc.p, sd)
		}
		p2 := tc.p * tc.p
		pairRate := float64(both) / float64(pairs)
		sd2 := math.Sqrt(p2*(1-p2)/float64(pairs)) + 1e-12
		if math.Abs(pairRate-p2) > 6*sd2 {
			t.Errorf("%s: spikes on two neighbouring steps %.6f, want %.6f +- %.6f", tc.name, pairRate, p2, sd2)
		}
	}
}

func BenchmarkStoreRecallTrainBatch(b *testing.B) {
	sr := newStoreRecall(b, StoreRecallConfig{})
	for i := 0; b.Loop(); i++ {
		sr.TrainBatch(1, i, 128)
	}
}
