package tasks

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/snnc/snnc/lsnn"
)

// StoreRecallConfig sets up the store-recall task. A zero field takes its default
// (DefaultStoreRecallConfig), so StoreRecallConfig{Symbols: 4, SymbolMs: 20} is a
// short trial for fast tests with everything else as in the paper.
type StoreRecallConfig struct {
	Symbols          int     // symbols per trial (12)
	SymbolMs         float64 // duration of a symbol in ms (200)
	Dt               float64 // step in ms (1); SymbolMs/Dt must be a whole number
	RateHz           float64 // Poisson rate of an active channel in Hz (50)
	ChannelsPerGroup int     // channels of each of the 4 groups (25)
	PStore           float64 // chance per symbol of a STORE while none is pending (1/7)
	PRecall          float64 // chance per symbol of a RECALL while a STORE is pending (1/7)
	TestTrials       int     // size of the test set (1,000)
	TestSeed         uint64  // seed of the test set (0 means DefaultStoreRecallTestSeed)
}

// DefaultStoreRecallTestSeed seeds the store-recall test set. The test set draws from
// random streams no training batch uses, whatever the training seed (see doc.go).
const DefaultStoreRecallTestSeed = 0x5107e_4eca11

// DefaultStoreRecallConfig is the set-up of Bellec et al. 2018 and of the authors'
// tutorial_storerecall_with_LSNN.py (seq_len 12, tau_char 200, f0 50 Hz, n_in 100,
// seq_delay 6, so p = 1/(1+6) for STORE and RECALL).
func DefaultStoreRecallConfig() StoreRecallConfig {
	return StoreRecallConfig{
		Symbols:          12,
		SymbolMs:         200,
		Dt:               1,
		RateHz:           50,
		ChannelsPerGroup: 25,
		PStore:           1.0 / 7,
		PRecall:          1.0 / 7,
		TestTrials:       1000,
		TestSeed:         DefaultStoreRecallTestSeed,
	}
}

// Input channel groups of store-recall, in channel order: group g holds channels
// g*ChannelsPerGroup .. (g+1)*ChannelsPerGroup-1.
const (
	GroupBit0 = iota
	GroupBit1
	GroupStore
	GroupRecall
	numGroups
)

// symbolKind is what a symbol of a store-recall trial is.
type symbolKind uint8

const (
	symDigit  symbolKind = iota // shows a bit (a distractor)
	symStore                    // shows a bit and STORE: the bit to remember
	symRecall                   // shows RECALL alone: answer the stored bit
)

// trial is the symbol record of one store-recall trial. bits[s] is the bit shown by a
// digit or store symbol, and the expected answer of a recall symbol.
type trial struct {
	kinds []symbolKind
	bits  []uint8
}

// Sequence states of the symbol generator (see StoreRecall.sequence).
const (
	stFresh   = iota // no STORE yet
	stDone           // every STORE so far has had its RECALL
	stStored         // the previous symbol was a STORE
	stPending        // a STORE waits for its RECALL, with a digit in between
	numStates
)

// StoreRecall is the store-recall (working memory) task. It is safe for concurrent use.
type StoreRecall struct {
	cfg   StoreRecallConfig
	steps int     // steps per symbol
	p     float64 // spike probability per step of an active channel
	logq  float64 // log(1-p), for geometric gaps between spikes
	// ok[t][s] is proportional to the chance that the generator, in state s before
	// symbol t, completes a valid sequence; ok[Symbols] marks the accepting state.
	ok [][numStates]float64
}

// NewStoreRecall checks the configuration (zero fields take their defaults) and
// prepares the task.
func NewStoreRecall(cfg StoreRecallConfig) (*StoreRecall, error) {
	def := DefaultStoreRecallConfig()
	orDefault(&cfg.Symbols, def.Symbols)
	orDefault(&cfg.SymbolMs, def.SymbolMs)
	orDefault(&cfg.Dt, def.Dt)
	orDefault(&cfg.RateHz, def.RateHz)
	orDefault(&cfg.ChannelsPerGroup, def.ChannelsPerGroup)
	orDefault(&cfg.PStore, def.PStore)
	orDefault(&cfg.PRecall, def.PRecall)
	orDefault(&cfg.TestTrials, def.TestTrials)
	orDefault(&cfg.TestSeed, def.TestSeed)
	switch {
	case cfg.Symbols < 3 || cfg.Symbols > 1<<20:
		return nil, fmt.Errorf("tasks: store-recall: %d symbols, want 3 or more (a STORE, a digit, a RECALL)", cfg.Symbols)
	case !(cfg.Dt > 0) || math.IsInf(cfg.Dt, 0):
		return nil, fmt.Errorf("tasks: store-recall: step %g ms, want > 0", cfg.Dt)
	case !(cfg.SymbolMs > 0) || math.IsInf(cfg.SymbolMs, 0):
		return nil, fmt.Errorf("tasks: store-recall: symbol of %g ms, want > 0", cfg.SymbolMs)
	case !(cfg.RateHz > 0) || cfg.RateHz*cfg.Dt/1000 > 1:
		return nil, fmt.Errorf("tasks: store-recall: rate %g Hz, want > 0 and at most one spike per step of %g ms", cfg.RateHz, cfg.Dt)
	case cfg.ChannelsPerGroup < 1 || cfg.ChannelsPerGroup > 1<<16:
		return nil, fmt.Errorf("tasks: store-recall: %d channels per group, want 1..65536", cfg.ChannelsPerGroup)
	case !(cfg.PStore > 0 && cfg.PStore < 1) || !(cfg.PRecall > 0 && cfg.PRecall < 1):
		return nil, fmt.Errorf("tasks: store-recall: STORE and RECALL probabilities %g and %g, want each in (0, 1)", cfg.PStore, cfg.PRecall)
	case cfg.TestTrials < 1:
		return nil, fmt.Errorf("tasks: store-recall: %d test trials, want 1 or more", cfg.TestTrials)
	}
	stepsF := cfg.SymbolMs / cfg.Dt
	steps := int(math.Round(stepsF))
	if steps < 1 || math.Abs(stepsF-float64(steps)) > 1e-9*stepsF || steps > 1<<20 {
		return nil, fmt.Errorf("tasks: store-recall: a symbol of %g ms is not a whole number (1..2^20) of %g ms steps", cfg.SymbolMs, cfg.Dt)
	}
	if int64(cfg.Symbols)*int64(steps)*numGroups*int64(cfg.ChannelsPerGroup) > 1<<28 {
		return nil, fmt.Errorf("tasks: store-recall: a trial of %d x %d steps and %d channels is too large", cfg.Symbols, steps, numGroups*cfg.ChannelsPerGroup)
	}
	p := cfg.RateHz * cfg.Dt / 1000
	sr := &StoreRecall{cfg: cfg, steps: steps, p: p, logq: math.Log1p(-p)}
	sr.ok = sr.completions()
	if sr.ok[0][stFresh] == 0 {
		return nil, fmt.Errorf("tasks: store-recall: no valid trial of %d symbols", cfg.Symbols)
	}
	return sr, nil
}

// Config returns the configuration with defaults filled in.
func (sr *StoreRecall) Config() StoreRecallConfig { return sr.cfg }

// Name is "store-recall".
func (sr *StoreRecall) Name() string { return "store-recall" }

// NIn is 4 groups of ChannelsPerGroup channels.
func (sr *StoreRecall) NIn() int { return numGroups * sr.cfg.ChannelsPerGroup }

// NOut is 2: one readout per bit value.
func (sr *StoreRecall) NOut() int { return 2 }

// T is the number of steps of a trial.
func (sr *StoreRecall) T() int { return sr.cfg.Symbols * sr.steps }

// SymbolSteps is the number of steps of a symbol.
func (sr *StoreRecall) SymbolSteps() int { return sr.steps }

// TrainBatch returns size trials drawn from the generator PCG(seed, iter); trial k
// of a batch does not depend on size.
func (sr *StoreRecall) TrainBatch(seed uint64, iter, size int) []Sample {
	if size <= 0 {
		return nil
	}
	rng := trainRNG(seed, iter)
	out := make([]Sample, size)
	rs := rasters(size, sr.T(), sr.NIn())
	for k := range out {
		out[k] = sr.encode(sr.sequence(rng), rng, rs[k])
	}
	return out
}

// TestLen is the number of test trials.
func (sr *StoreRecall) TestLen() int { return sr.cfg.TestTrials }

// TestSample returns test trial i, drawn from its own generator PCG(TestSeed,
// 2^63 | i). It panics when i is out of range.
func (sr *StoreRecall) TestSample(i int) Sample {
	if i < 0 || i >= sr.cfg.TestTrials {
		panic(fmt.Sprintf("tasks: store-recall: test sample %d out of range [0, %d)", i, sr.cfg.TestTrials))
	}
	rng := testRNG(sr.cfg.TestSeed, i)
	return sr.encode(sr.sequence(rng), rng, lsnn.NewRaster(sr.T(), sr.NIn()))
}

// A move of the symbol generator: from a state, a symbol kind with its probability,
// and the next state (-1: the sequence is rejected).
type move struct {
	kind symbolKind
	next int
}

// moves returns the two moves out of a state with their generator probabilities.
// Following the authors' generator, the first symbol waits for a STORE; while none
// is pending each symbol is a STORE with probability PStore, else a digit; while one
// is pending each symbol is a RECALL with probability PRecall, else a digit. A RECALL
// right after its STORE gets the sequence rejected.
func (sr *StoreRecall) moves(state int) (m [2]move, p [2]float64) {
	switch state {
	case stFresh, stDone:
		return [2]move{{symStore, stStored}, {symDigit, state}}, [2]float64{sr.cfg.PStore, 1 - sr.cfg.PStore}
	case stStored:
		return [2]move{{symRecall, -1}, {symDigit, stPending}}, [2]float64{sr.cfg.PRecall, 1 - sr.cfg.PRecall}
	default: // stPending
		return [2]move{{symRecall, stDone}, {symDigit, stPending}}, [2]float64{sr.cfg.PRecall, 1 - sr.cfg.PRecall}
	}
}

// completions fills the backward table ok: ok[n][s] = 1 for the accepting state
// stDone (at least one STORE, and every STORE answered) and 0 else; ok[t][s] sums
// p(move) * ok[t+1][next] over the moves out of s. Each row is scaled so that its
// largest entry is 1, which keeps long sequences away from underflow and does not
// change the ratios sequence uses.
func (sr *StoreRecall) completions() [][numStates]float64 {
	n := sr.cfg.Symbols
	ok := make([][numStates]float64, n+1)
	ok[n][stDone] = 1
	for t := n - 1; t >= 0; t-- {
		top := 0.0
		for s := 0; s < numStates; s++ {
			m, p := sr.moves(s)
			v := 0.0
			for j := range m {
				if m[j].next >= 0 {
					v += p[j] * ok[t+1][m[j].next]
				}
			}
			ok[t][s] = v
			top = max(top, v)
		}
		if top > 0 {
			for s := range ok[t] {
				ok[t][s] /= top
			}
		}
	}
	return ok
}

// sequence draws the symbols of a trial. The kinds have exactly the distribution of
// the authors' generator (generate_input_with_prob with validity_test, in
// bin/tutorial_storerecall_utils.py of IGITUGraz/LSNN-official), which draws
// sequences from the chain of moves and rejects them until one is valid: at least
// one STORE; STOREs and RECALLs alternate, starting with a STORE; a digit follows
// every STORE; the trial does not end with a STORE unanswered. Here the chain is
// conditioned on validity directly, with the backward table, so a trial costs one
// pass instead of a random number of rejected ones. Every symbol but a RECALL then
// shows a fair random bit; a RECALL's answer is the bit of the last STORE.
func (sr *StoreRecall) sequence(rng *rand.Rand) trial {
	n := sr.cfg.Symbols
	tr := trial{kinds: make([]symbolKind, n), bits: make([]uint8, n)}
	state := stFresh
	var stored uint8
	for t := 0; t < n; t++ {
		m, p := sr.moves(state)
		var w [2]float64
		for j := range m {
			if m[j].next >= 0 {
				w[j] = p[j] * sr.ok[t+1][m[j].next]
			}
		}
		j := 1
		if w[1] == 0 || rng.Float64()*(w[0]+w[1]) < w[0] {
			j = 0
		}
		tr.kinds[t], state = m[j].kind, m[j].next
		switch tr.kinds[t] {
		case symRecall:
			tr.bits[t] = stored
		case symStore:
			stored = uint8(rng.IntN(2))
			tr.bits[t] = stored
		default:
			tr.bits[t] = uint8(rng.IntN(2))
		}
	}
	return tr
}

// encode draws the Poisson spikes of a trial into the zeroed raster r and returns
// the sample with one window per RECALL symbol.
func (sr *StoreRecall) encode(tr trial, rng *rand.Rand, r lsnn.Raster) Sample {
	G, L := sr.cfg.ChannelsPerGroup, sr.steps
	var wins []Window
	for s, kind := range tr.kinds {
		t0, t1 := s*L, (s+1)*L
		active := [2]int{-1, -1}
		switch kind {
		case symDigit:
			active[0] = GroupBit0 + int(tr.bits[s])
		case symStore:
			active[0], active[1] = GroupBit0+int(tr.bits[s]), GroupStore
		case symRecall:
			active[0] = GroupRecall
			wins = append(wins, Window{Start: t0, End: t1, Label: int(tr.bits[s])})
		}
		for _, g := range active {
			if g < 0 {
				continue
			}
			for c := g * G; c < (g+1)*G; c++ {
				sr.poisson(r, c, t0, t1, rng)
			}
		}
	}
	return Sample{Input: r, Windows: wins}
}

// poisson sets the spikes of channel c over steps [t0, t1): each step spikes with
// probability p, independently. It jumps from spike to spike by geometric gaps (the
// number of silent steps before the next spike), which draws one number per spike
// instead of one per step and has the same distribution.
func (sr *StoreRecall) poisson(r lsnn.Raster, c, t0, t1 int, rng *rand.Rand) {
	if sr.p >= 1 {
		for t := t0; t < t1; t++ {
			r.Bits[t*r.W+c] = 1
		}
		return
	}
	span := float64(t1 - t0)
	t := t0
	for {
		// 1-U is in (0, 1], so the log is finite and <= 0.
		gap := math.Floor(math.Log(1-rng.Float64()) / sr.logq)
		if gap >= span {
			return
		}
		t += int(gap)
		if t >= t1 {
			return
		}
		r.Bits[t*r.W+c] = 1
		t++
	}
}

// orDefault sets *p to def when *p is the zero value: the zero fields of a config take
// the defaults.
func orDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}
