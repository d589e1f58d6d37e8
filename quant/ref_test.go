package quant

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/targets"
)

// This file holds a second, deliberately plain implementation of docs/arithmetic.md,
// written from the document and sharing no code with Simulator or the primitives of
// arith.go: rounding on exact rationals (math/big), dense weight arrays, the whole
// spike history kept, every input summed afresh from the history at every step.

// refRound rounds num / den (den > 0) by rule r, exactly.
func refRound(num, den *big.Int, r targets.Rounding) *big.Int {
	q, m := new(big.Int), new(big.Int)
	q.DivMod(num, den, m) // Euclidean: m >= 0, so q = floor(num/den)
	if m.Sign() == 0 {
		return q
	}
	switch r {
	case targets.Floor:
		return q
	case targets.TowardZero:
		if num.Sign() < 0 {
			q.Add(q, big.NewInt(1))
		}
		return q
	}
	twice := new(big.Int).Lsh(m, 1)
	c := twice.Cmp(den) // compare the remainder with half
	switch {
	case c > 0:
		q.Add(q, big.NewInt(1))
	case c == 0:
		switch r {
		case targets.HalfAwayFromZero:
			if num.Sign() > 0 {
				q.Add(q, big.NewInt(1))
			}
		case targets.HalfToEven:
			if q.Bit(0) == 1 {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	return q
}

func pow2(s int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(s)) }

// refFit brings x into a two's complement range of the given width.
func refFit(x *big.Int, bits int, sat targets.Saturation) int64 {
	lo := new(big.Int).Neg(pow2(bits - 1))
	hi := new(big.Int).Sub(pow2(bits-1), big.NewInt(1))
	if x.Cmp(lo) >= 0 && x.Cmp(hi) <= 0 {
		return x.Int64()
	}
	if sat == targets.Saturate {
		if x.Sign() < 0 {
			return lo.Int64()
		}
		return hi.Int64()
	}
	m := new(big.Int).Mod(x, pow2(bits)) // 0 .. 2^bits - 1
	if m.Cmp(hi) > 0 {
		m.Sub(m, pow2(bits))
	}
	return m.Int64()
}

// refDecay is one decay step of x with a code, from the document.
func refDecay(x int64, code int32, a Arithmetic) *big.Int {
	bx := big.NewInt(x)
	var dec *big.Int
	if a.Decay.Representation == targets.DecayShift {
		dec = refRound(bx, pow2(int(code)), a.Rounding)
	} else {
		dec = refRound(new(big.Int).Mul(bx, big.NewInt(int64(code))), pow2(a.Decay.FractionBits), a.Rounding)
	}
	if m := int64(a.Decay.MinDecrement); x != 0 && m > 0 {
		ad := new(big.Int).Abs(dec)
		if ad.Cmp(big.NewInt(m)) < 0 {
			ad = big.NewInt(min(m, max(x, -x)))
		}
		if x < 0 {
			ad.Neg(ad)
		}
		dec = ad
	}
	return new(big.Int).Sub(bx, dec)
}

type refTrace struct {
	spikes    []uint8
	V, A, out []int64
}

func refWeight(m int64, e int, r targets.Rounding) int64 {
	if e >= 0 {
		return m * int64(math.Pow(2, float64(e)))
	}
	return refRound(big.NewInt(m), pow2(-e), r).Int64()
}

func refRun(n *Network, x lsnn.Raster) refTrace {
	a := n.Arith
	N, nIn, nOut, T := n.N(), n.NIn, n.NOut(), x.T
	type syn struct {
		pre, post, d int
		w            int64
	}
	list := func(m *Matrix) []syn {
		var out []syn
		for i := 0; i < m.Rows; i++ {
			for k := m.RowStart[i]; k < m.RowStart[i+1]; k++ {
				s := syn{pre: i, post: int(m.Col[k]), w: refWeight(int64(m.Mantissa[k]), n.Groups[m.RowGroup[i]].Exponent, a.Rounding)}
				if m.Delay != nil {
					s.d = int(m.Delay[k])
				}
				out = append(out, s)
			}
		}
		return out
	}
	win, wrec, wout := list(&n.In), list(&n.Rec), list(&n.Readout.W)
	_ = nIn
	tr := refTrace{spikes: make([]uint8, T*N), V: make([]int64, T*N), A: make([]int64, T*N), out: make([]int64, T*nOut)}
	v, b, y := make([]int64, N), make([]int64, N), make([]int64, nOut)
	last := make([]int, N)
	for j := range last {
		last[j] = -1 << 30
	}
	spiked := func(t, j int) bool { return t >= 0 && tr.spikes[t*N+j] == 1 }
	for t := 0; t < T; t++ {
		for j := 0; j < N; j++ {
			nr := n.Neurons[j]
			sum := new(big.Int)
			for _, s := range win {
				if s.post == j && t-s.d >= 0 && x.At(t-s.d, s.pre) {
					sum.Add(sum, big.NewInt(s.w))
				}
			}
			for _, s := range wrec {
				if s.post == j && spiked(t-s.d, s.pre) {
					sum.Add(sum, big.NewInt(s.w))
				}
			}
			X := refFit(sum, a.AccumulatorBits, a.Saturation)
			prev := spiked(t-1, j)
			A := nr.Threshold * int64(math.Pow(2, float64(a.ThresholdShift)))
			if nr.ALIF {
				nb := refDecay(b[j], nr.AdaptDecay, a)
				if prev {
					nb.Add(nb, big.NewInt(nr.AdaptInc))
				}
				b[j] = refFit(nb, a.AdaptationBits, a.Saturation)
				var add *big.Int
				if n.AdaptShift >= 0 {
					add = refRound(big.NewInt(b[j]), pow2(n.AdaptShift), a.Rounding)
				} else {
					add = new(big.Int).Mul(big.NewInt(b[j]), pow2(-n.AdaptShift))
				}
				A = refFit(add.Add(add, big.NewInt(A)), a.MembraneBits, a.Saturation)
			}
			// Refractory: no spike at steps last+1 .. last+n_ref.
			if t-last[j] > int(nr.Refractory) && v[j] > A {
				tr.spikes[t*N+j] = 1
				last[j] = t
			}
			nv := refDecay(v[j], nr.MemDecay, a)
			nv.Add(nv, big.NewInt(X))
			if prev {
				nv.Sub(nv, big.NewInt(A))
			}
			v[j] = refFit(nv, a.MembraneBits, a.Saturation)
			tr.V[t*N+j], tr.A[t*N+j] = v[j], A
		}
		for k := 0; k < nOut; k++ {
			ny := refDecay(y[k], n.Readout.Decay, a)
			for _, s := range wout {
				if s.post == k && spiked(t, s.pre) {
					ny.Add(ny, big.NewInt(s.w))
				}
			}
			y[k] = refFit(ny, a.ReadoutBits, a.Saturation)
			tr.out[t*nOut+k] = refFit(big.NewInt(y[k]+n.Readout.Bias[k]), a.ReadoutBits, a.Saturation)
		}
	}
	return tr
}

// TestRoundingPrimitives checks RoundShift, DecayStep and Fit against the exact
// rational versions on random operands, for every rule.
func TestRoundingPrimitives(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	rules := []targets.Rounding{targets.HalfAwayFromZero, targets.HalfToEven, targets.TowardZero, targets.Floor}
	for _, r := range rules {
		for i := 0; i < 20000; i++ {
			x := rng.Int64N(1<<40) - 1<<39
			if i%4 == 0 {
				x = rng.Int64N(64) - 32 // small values, where ties and signs matter
			}
			s := rng.IntN(20)
			if got, want := RoundShift(x, s, r), refRound(big.NewInt(x), pow2(s), r).Int64(); got != want {
				t.Fatalf("RoundShift(%d, %d, %s) = %d, want %d", x, s, r, got, want)
			}
			for _, sat := range []targets.Saturation{targets.Saturate, targets.Wrap} {
				bits := 2 + rng.IntN(40)
				got, _ := Fit(x, bits, sat)
				if want := refFit(big.NewInt(x), bits, sat); got != want {
					t.Fatalf("Fit(%d, %d, %s) = %d, want %d", x, bits, sat, got, want)
				}
			}
			a := Arithmetic{Rounding: r, Decay: targets.Decay{Representation: targets.DecayMultiplier, FractionBits: 12, MinDecrement: rng.IntN(3)}}
			code := int32(rng.IntN(4096))
			xs := x >> 20
			if got, want := DecayStep(xs, code, a.Decay, r), refDecay(xs, code, a).Int64(); got != want {
				t.Fatalf("DecayStep(%d, d=%d, %s, min %d) = %d, want %d", xs, code, r, a.Decay.MinDecrement, got, want)
			}
			a.Decay = targets.Decay{Representation: targets.DecayShift, MaxShift: 15, MinDecrement: rng.IntN(3)}
			code = int32(1 + rng.IntN(15))
			if got, want := DecayStep(xs, code, a.Decay, r), refDecay(xs, code, a).Int64(); got != want {
				t.Fatalf("DecayStep(%d, shift %d, %s, min %d) = %d, want %d", xs, code, r, a.Decay.MinDecrement, got, want)
			}
		}
	}
}

// TestSimulatorMatchesReference runs random networks quantized for every preset and
// for variants of each rounding and saturation rule through Simulator and through the
// plain implementation above, and requires identical spikes, membranes, thresholds
// and readouts.
func TestSimulatorMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var tgs []*targets.Target
	for _, name := range targets.Names() {
		tgs = append(tgs, lookup(t, name))
	}
	// Variants: every rounding rule, wrap-around, and a narrow membrane and
	// accumulator that saturate (or wrap) often.
	base := lookup(t, "artix7-35t")
	for i, r := range []targets.Rounding{targets.HalfToEven, targets.TowardZero, targets.Floor} {
		v := base.Clone()
		v.Name = "variant-" + string(r)
		v.Formats.Rounding = r
		if i == 1 {
			v.Formats.Saturation = targets.Wrap
		}
		tgs = append(tgs, v)
	}
	narrow := lookup(t, "xylo").Clone()
	narrow.Name = "narrow"
	narrow.Formats.MembraneBits, narrow.Formats.AccumulatorBits = 12, 10
	narrow.Formats.ThresholdBits = 9
	narrow.Formats.Weight.ExponentMax = 2
	narrow.Readout.AccumulatorBits = 10
	narrow.Formats.Decay.MaxShift = 10
	tgs = append(tgs, narrow)
	wrap := narrow.Clone()
	wrap.Name = "narrow-wrap"
	wrap.Formats.Saturation = targets.Wrap
	tgs = append(tgs, wrap)
	for _, tg := range tgs {
		if err := tg.Validate(); err != nil {
			t.Fatalf("%s: %v", tg.Name, err)
		}
		net := randomNet(rng, 6, 12, 3, 0.35, min(tg.Formats.MaxDelaySteps, 6))
		qn, _, err := Quantize(net, tg)
		if err != nil {
			t.Fatalf("%s: %v", tg.Name, err)
		}
		if tg.Name == "narrow" || tg.Name == "narrow-wrap" {
			// Make the narrow networks overflow: large mantissas.
			for k := range qn.Rec.Mantissa {
				qn.Rec.Mantissa[k] = int32(rng.IntN(256) - 128)
			}
			for k := range qn.In.Mantissa {
				qn.In.Mantissa[k] = int32(rng.IntN(228) - 100)
			}
			for g := range qn.Groups {
				qn.Groups[g].Exponent = 2
			}
		}
		sim, err := NewSimulator(qn)
		if err != nil {
			t.Fatalf("%s: %v", tg.Name, err)
		}
		var sat Saturations
		for sample := 0; sample < 3; sample++ {
			x := randomInput(rng, 60, net.NIn(), 0.3)
			tr, err := sim.Run([]lsnn.Raster{x}, Options{RecordVoltage: true, RecordThreshold: true})
			if err != nil {
				t.Fatal(err)
			}
			ref := refRun(qn, x)
			sat.Add(tr[0].Saturations)
			for k := range ref.spikes {
				if tr[0].Spikes.Bits[k] != ref.spikes[k] || tr[0].Voltage[k] != ref.V[k] || tr[0].Threshold[k] != ref.A[k] {
					t.Fatalf("%s: step %d neuron %d: simulator s %d V %d A %d, reference s %d V %d A %d", tg.Name, k/qn.N(), k%qn.N(),
						tr[0].Spikes.Bits[k], tr[0].Voltage[k], tr[0].Threshold[k], ref.spikes[k], ref.V[k], ref.A[k])
				}
			}
			for k := range ref.out {
				if tr[0].Readout[k] != ref.out[k] {
					t.Fatalf("%s: step %d readout %d: simulator %d, reference %d", tg.Name, k/qn.NOut(), k%qn.NOut(), tr[0].Readout[k], ref.out[k])
				}
			}
		}
		if (tg.Name == "narrow" || tg.Name == "narrow-wrap") && (sat.Membrane == 0 || sat.Accumulator == 0) {
			t.Errorf("%s: the narrow network never overflowed (%+v); the test does not exercise saturation", tg.Name, sat)
		}
	}
}

// randomNet draws a valid float network: E/I signs, LIF and ALIF neurons.
func randomNet(rng *rand.Rand, nIn, N, nOut int, density float64, maxDelay int) *lsnn.Network {
	net := &lsnn.Network{Dt: 1, TauOut: 10 + 30*rng.Float64(), BOut: make([]float64, nOut)}
	for j := 0; j < N; j++ {
		nr := lsnn.Neuron{TauM: 8 + 30*rng.Float64(), B0: 0.1 + 0.5*rng.Float64(), NRef: rng.IntN(4)}
		if j%2 == 1 {
			nr.TauA, nr.Beta = 100+600*rng.Float64(), 0.2+1.5*rng.Float64()
		}
		net.Neurons = append(net.Neurons, nr)
	}
	for k := range net.BOut {
		net.BOut[k] = 0.2 * rng.NormFloat64()
	}
	draw := func(rows, cols, minD int, delays, diag bool, scale float64) lsnn.Matrix {
		var syn []lsnn.Synapse
		for i := 0; i < rows; i++ {
			sign := 1.0
			if rng.IntN(4) == 0 {
				sign = -1
			}
			for j := 0; j < cols; j++ {
				if (!diag && i == j) || rng.Float64() >= density {
					continue
				}
				s := lsnn.Synapse{Pre: i, Post: j, Weight: sign * scale * (0.05 + rng.Float64())}
				if delays {
					s.Delay = minD + rng.IntN(maxDelay-minD+1)
				}
				syn = append(syn, s)
			}
		}
		m, err := lsnn.NewMatrix(rows, cols, syn, delays)
		if err != nil {
			panic(err)
		}
		return m
	}
	net.In = draw(nIn, N, 0, true, true, 3)
	net.Rec = draw(N, N, 1, true, false, 1.5)
	net.Out = draw(N, nOut, 0, false, true, 1)
	if err := net.Validate(); err != nil {
		panic(err)
	}
	return net
}

func randomInput(rng *rand.Rand, T, nIn int, p float64) lsnn.Raster {
	x := lsnn.NewRaster(T, nIn)
	for k := range x.Bits {
		if rng.Float64() < p {
			x.Bits[k] = 1
		}
	}
	return x
}

// TestGainTable checks that the class-coded table returns every neuron's own value,
// both with few distinct values and past the 2^16 classes where it keeps floats.
func TestGainTable(t *testing.T) {
	for _, n := range []int{1000, 1<<16 + 10} {
		g := make([]float64, n)
		for j := range g {
			g[j] = 1 / float64(j%(n-3)+2) // n-3 distinct values
		}
		tab := newGainTable(g)
		if dense := tab.value == nil; dense != (n-3 > 1<<16) {
			t.Errorf("%d values, %d distinct: dense table %v", n, n-3, dense)
		}
		for j, want := range g {
			if got := tab.at(j); got != want {
				t.Fatalf("%d values: gain %d = %v, want %v", n, j, got, want)
			}
		}
	}
}
