package boards

import (
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

// step sends one step's input channels (INPUT frames first when they do not fit
// the STEP frame) and reads all of the step's spikes.
func (c *Client) step(flags byte, ch []int32) (*StepInfo, error) {
	per := (c.maxPayload - 1) / 4
	for len(ch) > per {
		if _, err := c.call(CmdInput, appendIDs(nil, ch[:per]), 0); err != nil {
			return nil, err
		}
		ch = ch[per:]
	}
	p, err := c.call(CmdStep, appendIDs([]byte{flags}, ch), 0)
	if err != nil {
		return nil, err
	}
	st, err := decodeStep(p)
	if err != nil {
		return nil, err
	}
	for len(st.Spikes) < st.NSpikes {
		p, err := c.call(CmdSpikes, u32s(uint32(len(st.Spikes))), 0)
		if err != nil {
			return nil, err
		}
		more, err := decodeIDs(p, "SPIKES answer")
		if err != nil {
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
