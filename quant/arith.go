package quant

import (
	"github.com/snnc/snnc/targets"
)

// The primitives of the integer arithmetic, as docs/arithmetic.md defines them. Every
// operand they are given by the golden simulator is below 2^62 in magnitude (Validate
// and the formats guarantee it), so no intermediate overflows an int64.

// RoundShift returns x / 2^s rounded by rule r, for s >= 0. For s >= 63 the exact
// quotient is below 1/2 in magnitude (|x| < 2^62), so it is 0, or -1 under Floor for
// a negative x.
func RoundShift(x int64, s int, r targets.Rounding) int64 {
	if s <= 0 {
		return x
	}
	if s >= 63 {
		if r == targets.Floor && x < 0 {
			return -1
		}
		return 0
	}
	switch r {
	case targets.Floor:
		return x >> s
	case targets.TowardZero:
		if x < 0 {
			return -(-x >> s)
		}
		return x >> s
	case targets.HalfAwayFromZero:
		half := int64(1) << (s - 1)
		if x < 0 {
			return -((-x + half) >> s)
		}
		return (x + half) >> s
	case targets.HalfToEven:
		q := x >> s // floor
		rem := x - q<<s
		half := int64(1) << (s - 1)
		if rem > half || rem == half && q&1 != 0 {
			q++
		}
		return q
	}
	panic("quant: unknown rounding rule " + string(r))
}

// Fit brings x into the range of a two's complement integer of the given width by
// rule sat: clamp (Saturate) or keep the low bits (Wrap). It reports whether x
// changed.
func Fit(x int64, bits int, sat targets.Saturation) (int64, bool) {
	lo, hi := targets.SignedRange(bits)
	if x >= lo && x <= hi {
		return x, false
	}
	if sat == targets.Wrap {
		sh := 64 - bits
		return x << sh >> sh, true
	}
	if x < lo {
		return lo, true
	}
	return hi, true
}

// DecayStep returns x after one step of decay with the given code: x - dec, where dec
// is x*code/2^F (multiplier) or x/2^code (shift) rounded by rule r; then, when x is
// not zero and |dec| < MinDecrement, dec becomes MinDecrement toward zero, but never
// past zero. The result has the sign of x or is zero.
func DecayStep(x int64, code int32, d targets.Decay, r targets.Rounding) int64 {
	if x == 0 {
		return 0
	}
	var dec int64
	if d.Representation == targets.DecayShift {
		dec = RoundShift(x, int(code), r)
	} else {
		dec = RoundShift(x*int64(code), d.FractionBits, r)
	}
	if m := int64(d.MinDecrement); m > 0 {
		ax, ad := abs64(x), abs64(dec)
		if ad < m {
			ad = min(m, ax)
		}
		if x < 0 {
			dec = -ad
		} else {
			dec = ad
		}
	}
	return x - dec
}

// EffectiveWeight is the value a synapse of mantissa m and exponent e adds to an
// accumulator slot: m << e for e >= 0, and m / 2^-e rounded by rule r for e < 0.
func EffectiveWeight(m int64, e int, r targets.Rounding) int64 {
	if e >= 0 {
		return m << e
	}
	return RoundShift(m, -e, r)
}

// adaptToMembrane converts an adaptation state to membrane units: shifted right by
// shift (rounded by r) or left by -shift.
func adaptToMembrane(b int64, shift int, r targets.Rounding) int64 {
	if shift >= 0 {
		return RoundShift(b, shift, r)
	}
	return b << -shift
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
