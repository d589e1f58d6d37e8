package boards

import (
	"errors"
	"fmt"

	"github.com/snnc/snnc/emulator"
)

// RunResult is what the board produced for one sample, in the layout of
// emulator.Result so that the two can be compared directly.
type RunResult struct {
	T, N, NOut int
	// Spikes is T x N: 1 where neuron j spiked in step t.
	Spikes []uint8
	// Readout is T x NOut: the integer readout outputs of each input step.
	Readout []int64
	// ReadoutExp: the float logit of a readout output v is v / 2^ReadoutExp.
	ReadoutExp int
	Counters   CounterInfo
}

// Run streams one sample through the committed image: START, one STEP per input
// step and a flush STEP, then COUNTERS. Each step's answer carries the step's spikes
// and the readout outputs of the step before it.
func (c *Client) Run(id *IdentifyInfo, x emulator.Input) (*RunResult, error) {
	cm := id.Committed
	if cm.Size == 0 {
		return nil, fmt.Errorf("boards: %s: board %s has no image: flash one first", c.name, id.Board)
	}
	if x.NIn != cm.NIn || len(x.Bits) != x.T*x.NIn {
		return nil, fmt.Errorf("boards: %s: the input has %d channels, the board's image takes %d", c.name, x.NIn, cm.NIn)
	}
	res := &RunResult{T: x.T, N: cm.N, NOut: cm.NOut, ReadoutExp: cm.ReadoutExp,
		Spikes: make([]uint8, x.T*cm.N), Readout: make([]int64, x.T*cm.NOut)}
	if _, err := c.call(CmdStart, nil, 0); err != nil {
		return nil, err
	}
	for t := 0; t <= x.T; t++ {
		var ch []int32
		flags := byte(StepFlush)
		if t < x.T {
			flags = 0
			for k, b := range x.Bits[t*x.NIn : (t+1)*x.NIn] {
				if b != 0 {
					ch = append(ch, int32(k))
				}
			}
		}
		st, err := c.step(flags, ch)
		if err != nil {
			return nil, fmt.Errorf("%w (step %d)", err, t)
		}
		if st.Step != t {
			return nil, fmt.Errorf("boards: %s: the board ran step %d, the host sent step %d", c.name, st.Step, t)
		}
		if t < x.T {
			for _, j := range st.Spikes {
				if int(j) >= cm.N {
					return nil, fmt.Errorf("boards: %s: step %d: spike of neuron %d, the image has %d", c.name, t, j, cm.N)
				}
				res.Spikes[t*cm.N+int(j)] = 1
			}
		}
		if t >= 1 {
			if len(st.Readout) != cm.NOut {
				return nil, fmt.Errorf("boards: %s: step %d: %d readout values, the image has %d readouts", c.name, t, len(st.Readout), cm.NOut)
			}
			copy(res.Readout[(t-1)*cm.NOut:], st.Readout)
		}
	}
	p, err := c.call(CmdCounters, nil, 0)
	if err != nil {
		return nil, err
	}
	ci, err := decodeCounters(p)
	if err != nil {
		return nil, err
	}
	res.Counters = *ci
	return res, nil
}

// minIDs is the fewest ids an INPUT or SPIKES frame carries on a noisy line.
const minIDs = 8

// step sends one step's input channels and reads all of the step's spikes. On a
// clean line that is one STEP whose answer carries the spikes. Once the line has
// proved noisy, the channels go ahead in INPUT frames and the spikes come back in
// SPIKES answers, c.ids at a time: short frames, each of which may be resent or, being
// idempotent, resent with fewer ids. The STEP itself is never split or changed, since
// a STEP sent anew (not resent) would run another step.
func (c *Client) step(flags byte, ch []int32) (*StepInfo, error) {
	full := (c.maxPayload - 1) / 4
	if c.ids == 0 || c.ids > full {
		c.ids = full
	}
	noisy := c.ids < full
	per := full
	if noisy {
		per = 0
		flags |= StepNoIDs
	}
	for len(ch) > per {
		sent := 0
		if err := c.adapt(func(tries int) error {
			sent = min(len(ch), c.ids)
			_, err := c.send(CmdInput, appendIDs(nil, ch[:sent]), 0, tries)
			return err
		}); err != nil {
			return nil, err
		}
		ch = ch[sent:]
	}
	retries := c.Stats.Retries
	p, err := c.call(CmdStep, appendIDs([]byte{flags}, ch), 0)
	if err != nil {
		return nil, err
	}
	if c.Stats.Retries-retries > 1 && !noisy {
		c.ids = max(minIDs, full/2) // the line is noisy: short frames from the next step on
	}
	st, err := decodeStep(p)
	if err != nil {
		return nil, err
	}
	for len(st.Spikes) < st.NSpikes {
		var more []int32
		if err := c.adapt(func(tries int) error {
			q := append(u32s(uint32(len(st.Spikes))), byte(c.ids), byte(c.ids>>8))
			p, err := c.send(CmdSpikes, q, 0, tries)
			if err == nil {
				more, err = decodeIDs(p, "SPIKES answer")
			}
			return err
		}); err != nil {
			return nil, err
		}
		if len(more) == 0 {
			return nil, fmt.Errorf("boards: %s: the board reported %d spikes and sent %d", c.name, st.NSpikes, len(st.Spikes))
		}
		st.Spikes = append(st.Spikes, more...)
	}
	if len(st.Spikes) > st.NSpikes {
		return nil, fmt.Errorf("boards: %s: the board reported %d spikes and sent %d", c.name, st.NSpikes, len(st.Spikes))
	}
	return st, nil
}

// adapt runs an idempotent exchange whose frames carry c.ids ids: with two tries
// while c.ids can shrink, halving it after each failure, then with every try left;
// sixty-four clean exchanges in a row double it back.
func (c *Client) adapt(exchange func(tries int) error) error {
	for {
		if c.ids <= minIDs {
			return exchange(noiseTries * c.Tries)
		}
		err := exchange(2)
		if errors.Is(err, ErrTimeout) {
			c.ids, c.cleanIDs = max(minIDs, c.ids/2), 0
			continue
		}
		if err == nil {
			if c.cleanIDs++; c.cleanIDs == 64 {
				c.ids, c.cleanIDs = 2*c.ids, 0
			}
		}
		return err
	}
}
