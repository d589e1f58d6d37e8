package quant

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/targets"
)

// decayChoice is the code Quantize picks for one time constant.
type decayChoice struct {
	code   int32
	factor float64 // the factor the code realizes (alpha, rho or kappa)
	tau    float64 // its time constant, -dt / ln(factor), ms
	// ok is false when the requested time constant is outside what the codes reach:
	// the ideal code (a real number) rounds outside the code range. code is then the
	// nearest representable code and tau its time constant.
	ok   bool
	slow bool // when !ok: too slow (else too fast)
}

// decayGain is 1 - factor for a code: code / 2^F, or 2^-code.
func decayGain(code int32, d targets.Decay) float64 {
	if d.Representation == targets.DecayShift {
		return math.Ldexp(1, -int(code))
	}
	return math.Ldexp(float64(code), -d.FractionBits)
}

// codeRange is the range of decay codes that decay: 1 .. 2^F - 1, or 1 .. MaxShift.
func codeRange(d targets.Decay) (lo, hi int32) {
	if d.Representation == targets.DecayShift {
		return 1, int32(d.MaxShift)
	}
	return 1, int32(int64(1)<<d.FractionBits - 1)
}

// tauOf is the time constant, in ms, of a decay whose gain 1 - factor is g.
func tauOf(g, dt float64) float64 {
	if g <= 0 {
		return math.Inf(1)
	}
	if g >= 1 {
		return 0
	}
	return -dt / math.Log1p(-g)
}

// chooseDecay picks the code whose time constant is nearest the requested one in
// ratio (|ln(tau_q / tau)| smallest; ties to the smaller code).
func chooseDecay(tau, dt float64, d targets.Decay) decayChoice {
	g := -math.Expm1(-dt / tau) // 1 - exp(-dt/tau), the requested gain
	lo, hi := codeRange(d)
	var ideal float64
	if d.Representation == targets.DecayShift {
		ideal = -math.Log2(g) // larger shift = slower decay
	} else {
		ideal = math.Ldexp(g, d.FractionBits)
	}
	mk := func(c int32, ok, slow bool) decayChoice {
		gq := decayGain(c, d)
		return decayChoice{code: c, factor: 1 - gq, tau: tauOf(gq, dt), ok: ok, slow: slow}
	}
	slowSide := func(x float64) bool { // is the ideal code beyond the slow end?
		if d.Representation == targets.DecayShift {
			return x > float64(hi)+0.5
		}
		return x < float64(lo)-0.5
	}
	fastSide := func(x float64) bool {
		if d.Representation == targets.DecayShift {
			return x < float64(lo)-0.5
		}
		return x > float64(hi)+0.5
	}
	switch {
	case math.IsNaN(ideal):
		return mk(lo, false, true)
	case slowSide(ideal):
		if d.Representation == targets.DecayShift {
			return mk(hi, false, true)
		}
		return mk(lo, false, true)
	case fastSide(ideal):
		if d.Representation == targets.DecayShift {
			return mk(lo, false, false)
		}
		return mk(hi, false, false)
	}
	c0 := int32(math.Floor(ideal))
	best := decayChoice{}
	bestErr := math.Inf(1)
	for _, c := range []int32{c0, c0 + 1} {
		c = min(max(c, lo), hi)
		ch := mk(c, true, false)
		e := math.Abs(math.Log(ch.tau / tau))
		if e < bestErr {
			best, bestErr = ch, e
		}
	}
	return best
}

// describeCode says what a decay code means: "d = 6/4096" or "shift 9".
func describeCode(c int32, d targets.Decay) string {
	if d.Representation == targets.DecayShift {
		return fmt.Sprintf("shift %d", c)
	}
	return fmt.Sprintf("d = %d/%d", c, int64(1)<<d.FractionBits)
}

// describeDecay names the representation: "12-bit multiplier" or "shift 1..15".
func describeDecay(d targets.Decay) string {
	if d.Representation == targets.DecayShift {
		return fmt.Sprintf("bit shift 1..%d", d.MaxShift)
	}
	return fmt.Sprintf("%d-bit multiplier", d.FractionBits)
}
