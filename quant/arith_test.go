package quant

import (
	"math/rand/v2"
	"testing"

	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/targets"
)

// TestDecayOfNegativeValues checks the worked examples of docs/arithmetic.md ("Decay"):
// the target's rounding rule applies to the signed decrement, so toward-zero decays
// magnitudes symmetrically (Loihi), while floor (an arithmetic shift, Xylo) takes
// negative values toward zero faster; min_decrement moves any non-zero value at least
// that far, never past zero.
func TestDecayOfNegativeValues(t *testing.T) {
	loihi := targets.Decay{Representation: targets.DecayMultiplier, FractionBits: 12}
	xylo := targets.Decay{Representation: targets.DecayShift, MaxShift: 15, MinDecrement: 1}
	f16 := targets.Decay{Representation: targets.DecayMultiplier, FractionBits: 16}
	cases := []struct {
		x    int64
		code int32
		d    targets.Decay
		r    targets.Rounding
		want int64
	}{
		{1000, 200, loihi, targets.TowardZero, 952},   // 1000 - trunc(48.83)
		{-1000, 200, loihi, targets.TowardZero, -952}, // symmetric
		{20, 200, loihi, targets.TowardZero, 20},      // 20*200/4096 < 1: no decay
		{-20, 200, loihi, targets.TowardZero, -20},
		{1000, 4, xylo, targets.Floor, 938},   // 1000 - (1000 >> 4 = 62)
		{-1000, 4, xylo, targets.Floor, -937}, // -1000 - (-1000 >> 4 = -63)
		{5, 4, xylo, targets.Floor, 4},        // 5 >> 4 = 0, min decrement 1
		{-5, 4, xylo, targets.Floor, -4},      // -5 >> 4 = -1
		{1, 4, xylo, targets.Floor, 0},
		{-1, 4, xylo, targets.Floor, 0},
		{3, 32768, f16, targets.HalfAwayFromZero, 1},   // 3 - round(1.5) = 3 - 2
		{-3, 32768, f16, targets.HalfAwayFromZero, -1}, // -3 - round(-1.5) = -3 + 2
		{3, 32768, f16, targets.HalfToEven, 1},         // 1.5 -> 2
		{5, 32768, f16, targets.HalfToEven, 3},         // 2.5 -> 2
		{-5, 32768, f16, targets.HalfToEven, -3},       // -2.5 -> -2
		{-5, 32768, f16, targets.Floor, -2},            // floor(-2.5) = -3
		{-5, 32768, f16, targets.TowardZero, -3},       // trunc(-2.5) = -2
	}
	for _, c := range cases {
		if got := DecayStep(c.x, c.code, c.d, c.r); got != c.want {
			t.Errorf("DecayStep(%d, code %d, %s, %s, min %d) = %d, want %d", c.x, c.code, c.d.Representation, c.r, c.d.MinDecrement, got, c.want)
		}
	}
	// Toward-zero is symmetric for every value; no rule ever crosses zero.
	rng := rand.New(rand.NewPCG(2, 3))
	for i := 0; i < 10000; i++ {
		x := rng.Int64N(1<<30) - 1<<29
		code := int32(rng.IntN(4096))
		if a, b := DecayStep(x, code, loihi, targets.TowardZero), DecayStep(-x, code, loihi, targets.TowardZero); a != -b {
			t.Fatalf("toward-zero: decay(%d) = %d but decay(%d) = %d", x, a, -x, b)
		}
		for _, r := range []targets.Rounding{targets.Floor, targets.HalfAwayFromZero, targets.HalfToEven, targets.TowardZero} {
			y := DecayStep(x, int32(1+rng.IntN(15)), xylo, r)
			if x > 0 && (y < 0 || y >= x) || x < 0 && (y > 0 || y <= x) {
				t.Fatalf("%s: decay(%d) = %d: not strictly toward zero", r, x, y)
			}
		}
	}
}

// satNet is one neuron on xylo's arithmetic (16-bit accumulator, membrane and
// readout; shift decays with min_decrement 1, floor) fed by five input channels with
// weights +16256 (127 << 7) on channels 0-2 and -16256 on channels 3-4, threshold at
// the top of the range so that it never spikes, and one readout of weight 16256.
func satNet(t *testing.T, sat targets.Saturation) *Network {
	t.Helper()
	tg := lookup(t, "xylo").Clone()
	tg.Formats.Saturation = sat
	a := ArithmeticOf(tg)
	n := &Network{Target: "sat", Dt: 1, Arith: a, StateScale: 1, NIn: 5,
		Neurons: []Neuron{{Threshold: 1<<15 - 1, MemDecay: 15}},
		In: Matrix{Rows: 5, Cols: 1, RowStart: []int{0, 1, 2, 3, 4, 5}, Col: []int32{0, 0, 0, 0, 0},
			Mantissa: []int32{127, 127, 127, -127, -127}, Delay: []uint16{0, 0, 0, 0, 0}, RowGroup: []int32{0, 0, 0, 0, 0}},
		Rec:    Matrix{Rows: 1, Cols: 1, RowStart: []int{0, 0}, RowGroup: []int32{1}, Delay: []uint16{}},
		Groups: []Group{{Exponent: 7, Name: "w_in"}, {Exponent: 0, Name: "w_rec"}, {Exponent: 7, Name: "w_out"}},
		Readout: Readout{Decay: 15, Scale: 1, Bias: []int64{0},
			W: Matrix{Rows: 1, Cols: 1, RowStart: []int{0, 1}, Col: []int32{0}, Mantissa: []int32{127}, RowGroup: []int32{2}}},
	}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAccumulatorOrderIndependent delivers the five events of satNet in every order:
// the slot holds the exact sum 16256 and is fitted only when read, so no order
// saturates (a slot clamped per event would see 48768 after the three positive ones).
func TestAccumulatorOrderIndependent(t *testing.T) {
	for _, sat := range []targets.Saturation{targets.Saturate, targets.Wrap} {
		sim, err := NewSimulator(satNet(t, sat))
		if err != nil {
			t.Fatal(err)
		}
		var perm func(p []int32, k int)
		orders := 0
		perm = func(p []int32, k int) {
			if k == len(p) {
				st := sim.NewState()
				st.Step(p)
				orders++
				if st.X[0] != 16256 || st.Saturations.Accumulator != 0 {
					t.Fatalf("%s, order %v: slot read %d (%d saturations), want 16256 and none", sat, p, st.X[0], st.Saturations.Accumulator)
				}
				return
			}
			for i := k; i < len(p); i++ {
				p[k], p[i] = p[i], p[k]
				perm(p, k+1)
				p[k], p[i] = p[i], p[k]
			}
		}
		perm([]int32{0, 1, 2, 3, 4}, 0)
		if orders != 120 {
			t.Fatalf("%d orders tried", orders)
		}
	}
}

// TestSaturation overflows the accumulator, the membrane and the readout of satNet
// and checks the values docs/arithmetic.md gives for each rule.
func TestSaturation(t *testing.T) {
	for _, c := range []struct {
		sat    targets.Saturation
		x      int64   // slot read at every step: exact sum 48768, fitted
		v      []int64 // V[0], V[1], V[2]
		satAcc int64
		satMem int64
	}{
		// Saturate: X = 32767; V[0] = 0 + 32767; V[1] = (32767 - 1) + 32767 = 65533 ->
		// 32767; V[2] the same.
		{targets.Saturate, 32767, []int64{32767, 32767, 32767}, 3, 2},
		// Wrap: X = 48768 - 65536 = -16768; V[0] = -16768; V[1] = (-16768 - floor(-16768
		// / 2^15) = -16767) - 16768 = -33535 -> 32001; V[2] = (32001 - 1) - 16768 = 15232.
		{targets.Wrap, -16768, []int64{-16768, 32001, 15232}, 3, 1},
	} {
		net := satNet(t, c.sat)
		sim, err := NewSimulator(net)
		if err != nil {
			t.Fatal(err)
		}
		st := sim.NewState()
		var vs []int64
		for s := 0; s < 3; s++ {
			st.Step([]int32{0, 1, 2})
			if st.X[0] != c.x {
				t.Errorf("%s: step %d: slot read %d, want %d", c.sat, s, st.X[0], c.x)
			}
			vs = append(vs, st.V[0])
			if len(st.Fired) != 0 {
				t.Errorf("%s: step %d: neuron fired", c.sat, s)
			}
		}
		for s, want := range c.v {
			if vs[s] != want {
				t.Errorf("%s: V[%d] = %d, want %d", c.sat, s, vs[s], want)
			}
		}
		if st.Saturations.Accumulator != c.satAcc || st.Saturations.Membrane != c.satMem {
			t.Errorf("%s: saturations %+v, want accumulator %d, membrane %d", c.sat, st.Saturations, c.satAcc, c.satMem)
		}
	}
	// Readout: a neuron that spikes on every step from step 1 (one input channel, a
	// halving membrane that stays below 32512, threshold 0) drives Y past 16 bits:
	// Y[t] = decay(Y[t-1]) + 16256 with shift 15 (decrement 1 when Y < 2^15): 16256,
	// 32511, then 48766 -> 32767 (saturate) or 48766 - 65536 = -16770 (wrap); then
	// 32766 + 16256 -> 32767, or (-16770 + 1) + 16256 = -513.
	for _, c := range []struct {
		sat  targets.Saturation
		want []int64
	}{{targets.Saturate, []int64{16256, 32511, 32767, 32767}}, {targets.Wrap, []int64{16256, 32511, -16770, -513}}} {
		net := satNet(t, c.sat)
		net.Neurons[0].Threshold = 0 // V > 0 fires; n_ref 0
		net.Neurons[0].MemDecay = 1  // V - (V >> 1)
		sim, err := NewSimulator(net)
		if err != nil {
			t.Fatal(err)
		}
		x := lsnn.NewRaster(5, 5)
		for s := 0; s < 5; s++ {
			x.Set(s, 0)
		}
		tr, err := sim.Run([]lsnn.Raster{x}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		// The neuron fires from step 1 on (V[0] = 16256 > 0), so the readout integrates
		// from step 1.
		got := tr[0].Readout[1:5]
		for k, w := range c.want {
			if got[k] != w {
				t.Errorf("%s: readout at step %d = %d, want %d (all %v)", c.sat, k+1, got[k], w, got)
			}
		}
	}
}
