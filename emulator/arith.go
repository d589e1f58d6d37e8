package emulator

import (
	"fmt"

	"github.com/snnc/snnc/targets"
)

// arith is the integer arithmetic of one image, with its enumerations turned into
// small integers so that the hot loops switch on constants. It is the emulator's own
// implementation of docs/arithmetic.md, section 2; the differential suite holds it to
// quant's golden simulator.
type arith struct {
	round      int // roundFloor, roundTowardZero, roundHalfAway, roundHalfEven
	wrap       bool
	shiftDecay bool  // decays are shifts, else multipliers with fracBits
	fracBits   uint  // F of a multiplier decay
	minDec     int64 // least decrement of a non-zero value, 0 for none

	accBits, memBits, adaptBits, readoutBits uint
	thrShift                                 uint
	adaptShift                               int // B to membrane units: right by it, left when negative
}

const (
	roundFloor = iota
	roundTowardZero
	roundHalfAway
	roundHalfEven
)

func roundCode(r targets.Rounding) (int, error) {
	switch r {
	case targets.Floor:
		return roundFloor, nil
	case targets.TowardZero:
		return roundTowardZero, nil
	case targets.HalfAwayFromZero:
		return roundHalfAway, nil
	case targets.HalfToEven:
		return roundHalfEven, nil
	}
	return 0, fmt.Errorf("emulator: unknown rounding rule %q", r)
}

// shr divides x by 2^s and rounds the quotient by the image's rule (s >= 0).
func (a *arith) shr(x int64, s uint) int64 {
	if s == 0 {
		return x
	}
	if s > 62 {
		// |x| < 2^62: the exact quotient is below 1/2 in magnitude.
		if a.round == roundFloor && x < 0 {
			return -1
		}
		return 0
	}
	switch a.round {
	case roundFloor:
		return x >> s
	case roundTowardZero:
		if x >= 0 {
			return x >> s
		}
		return -((-x) >> s)
	case roundHalfAway:
		h := int64(1) << (s - 1)
		if x >= 0 {
			return (x + h) >> s
		}
		return -((h - x) >> s)
	default: // half to even
		q := x >> s
		r := x & (int64(1)<<s - 1) // x - q*2^s, in [0, 2^s)
		h := int64(1) << (s - 1)
		if r > h || (r == h && q&1 == 1) {
			q++
		}
		return q
	}
}

// fit brings x into the signed range of the given width by saturation or wrapping.
func (a *arith) fit(x int64, bits uint) int64 {
	hi := int64(1)<<(bits-1) - 1
	if x <= hi && x >= -hi-1 {
		return x
	}
	if a.wrap {
		return x << (64 - bits) >> (64 - bits)
	}
	if x > hi {
		return hi
	}
	return -hi - 1
}

// decay is one step of decay of x with the given code.
func (a *arith) decay(x int64, code int32) int64 {
	if x == 0 {
		return 0
	}
	var d int64
	if a.shiftDecay {
		d = a.shr(x, uint(code))
	} else {
		d = a.shr(x*int64(code), a.fracBits)
	}
	if a.minDec > 0 {
		mag := d
		if mag < 0 {
			mag = -mag
		}
		if mag < a.minDec {
			ax := x
			if ax < 0 {
				ax = -ax
			}
			mag = min(a.minDec, ax)
			if x < 0 {
				d = -mag
			} else {
				d = mag
			}
		}
	}
	return x - d
}

// weight is the value a synapse of mantissa m adds under exponent e.
func (a *arith) weight(m int32, e int) int64 {
	if e >= 0 {
		return int64(m) << uint(e)
	}
	return a.shr(int64(m), uint(-e))
}

// toMembrane converts an adaptation state to membrane units.
func (a *arith) toMembrane(b int64) int64 {
	if a.adaptShift >= 0 {
		return a.shr(b, uint(a.adaptShift))
	}
	return b << uint(-a.adaptShift)
}
