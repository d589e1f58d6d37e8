package quant

import (
	"fmt"

	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
)

// Runner returns a tasks.RunFunc that runs chunks of inputs through the golden
// simulator and hands back its float readouts, for tasks.Evaluate.
func Runner(sim *Simulator) tasks.RunFunc {
	return func(x []lsnn.Raster) ([]tasks.Output, error) {
		trs, err := sim.Run(x, Options{})
		if err != nil {
			return nil, err
		}
		out := make([]tasks.Output, len(trs))
		for k, tr := range trs {
			out[k] = tasks.Output{Readout: tr.ReadoutFloat, Spikes: tr.Spikes.Count()}
		}
		return out, nil
	}
}

// Agreement compares the spike trains of two simulations (float and integer, or two
// integer ones) of the same inputs.
type Agreement struct {
	Samples int `json:"samples"`
	// Entries counts the (sample, step, neuron) entries compared; Equal those where
	// both simulations spiked or both stayed silent.
	Entries int64 `json:"entries"`
	Equal   int64 `json:"equal"`
	// Identical counts the samples whose whole spike rasters are equal.
	Identical int `json:"identical_samples"`
	// SpikesA and SpikesB count each side's spikes; Coincident the entries where both
	// spiked.
	SpikesA    int64 `json:"spikes_a"`
	SpikesB    int64 `json:"spikes_b"`
	Coincident int64 `json:"coincident"`
	// DivergedAt sums, over the samples that differ, the first step that differs.
	DivergedAt int64 `json:"diverged_at_sum"`
}

// Add compares one sample's spike rasters, which must have the same shape.
func (a *Agreement) Add(x, y lsnn.Raster) error {
	if x.T != y.T || x.W != y.W || len(x.Bits) != len(y.Bits) {
		return fmt.Errorf("quant: agreement: rasters of %dx%d and %dx%d", x.T, x.W, y.T, y.W)
	}
	a.Samples++
	first := -1
	for k, b := range x.Bits {
		c := y.Bits[k]
		a.Entries++
		if (b != 0) == (c != 0) {
			a.Equal++
		} else if first < 0 {
			first = k / max(x.W, 1)
		}
		if b != 0 {
			a.SpikesA++
		}
		if c != 0 {
			a.SpikesB++
		}
		if b != 0 && c != 0 {
			a.Coincident++
		}
	}
	if first < 0 {
		a.Identical++
	} else {
		a.DivergedAt += int64(first)
	}
	return nil
}

// EntryFraction is the fraction of (sample, step, neuron) entries that are equal: the
// spike agreement snnc reports. It is dominated by silent entries when rates are low;
// see Jaccard.
func (a *Agreement) EntryFraction() float64 { return ratio(a.Equal, a.Entries) }

// IdenticalFraction is the fraction of samples whose spike rasters are identical.
func (a *Agreement) IdenticalFraction() float64 { return ratio(int64(a.Identical), int64(a.Samples)) }

// Jaccard is coincident spikes over the entries where either side spiked (1 when
// neither spiked at all).
func (a *Agreement) Jaccard() float64 {
	u := a.SpikesA + a.SpikesB - a.Coincident
	if u == 0 {
		return 1
	}
	return ratio(a.Coincident, u)
}

// MeanDivergence is the mean first differing step over the samples that differ (-1
// when none differs).
func (a *Agreement) MeanDivergence() float64 {
	n := a.Samples - a.Identical
	if n == 0 {
		return -1
	}
	return float64(a.DivergedAt) / float64(n)
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
