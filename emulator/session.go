package emulator

import (
	"fmt"
	"slices"
)

// Session runs one sample step by step in fast mode, as a board does: the host hands
// over a step's input spikes and reads what that hardware step produced. A run of T
// input steps is T calls to Step and one to Flush; what they return equals Run's
// Result for the same input.
type Session struct {
	e       *Emulator
	s       *state
	t       int
	flushed bool
}

// Step is what one hardware step produced.
type Step struct {
	// T is the hardware step.
	T int
	// Spikes are the ids of the neurons that spiked in step T, ascending; empty for
	// the flush.
	Spikes []int32
	// Readout holds the readout outputs of hardware step T, which are the golden
	// simulator's outputs for step T-1; nil for step 0.
	Readout []int64
}

// NewSession starts a sample at the image's initial state.
func (e *Emulator) NewSession() *Session {
	return &Session{e: e, s: newState(e.p)}
}

// Steps is the number of hardware steps run so far.
func (ss *Session) Steps() int { return ss.t }

// Flushed reports whether the sample has ended.
func (ss *Session) Flushed() bool { return ss.flushed }

// Step runs the next hardware step with in, one value per input channel (non-zero
// is a spike).
func (ss *Session) Step(in []uint8) (Step, error) {
	if len(in) != ss.e.p.nIn {
		return Step{}, fmt.Errorf("emulator: step %d: %d input channels, want %d", ss.t, len(in), ss.e.p.nIn)
	}
	return ss.step(in, false)
}

// Flush runs the last hardware step, which only updates the readout units so that
// the outputs of the last input step can be read. The session then accepts no more
// steps until Reset.
func (ss *Session) Flush() (Step, error) {
	return ss.step(nil, true)
}

func (ss *Session) step(in []uint8, last bool) (Step, error) {
	if ss.flushed {
		return Step{}, fmt.Errorf("emulator: step %d: the sample was flushed; reset to start another", ss.t)
	}
	s, p := ss.s, ss.e.p
	s.stepFast(ss.t, in, last)
	st := Step{T: ss.t}
	if !last {
		st.Spikes = make([]int32, len(s.fired))
		for i, u := range s.fired {
			st.Spikes[i] = p.neurons[u].id
		}
		slices.Sort(st.Spikes)
	}
	if ss.t >= 1 {
		st.Readout = append([]int64(nil), s.out...)
	}
	ss.t++
	ss.flushed = last
	return st, nil
}

// Counters are the whole chip's counters (cores and host port) since the sample
// started.
func (ss *Session) Counters() Counters {
	var c Counters
	for _, x := range ss.s.cc {
		c.Add(x)
	}
	c.Add(ss.s.host)
	return c
}

// Reset returns to the image's initial state, before step 0.
func (ss *Session) Reset() {
	ss.s.reset()
	ss.t = 0
	ss.flushed = false
}
