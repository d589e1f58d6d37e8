package tasks

import (
	"fmt"

	"github.com/snnc/snnc/lsnn"
)

// Result is a model's score on the first Samples samples of a task's test set.
type Result struct {
	Samples  int     `json:"samples"`
	Windows  int     `json:"windows"`
	Correct  int     `json:"correct"`
	Accuracy float64 `json:"accuracy"`
	Spikes   int64   `json:"spikes"`
	Steps    int64   `json:"steps"`
	// Rate is the mean number of spikes per neuron per step.
	Rate float64 `json:"spikes_per_neuron_per_step"`
}

// Output is what a simulator gives back for one sample: its readouts (T x NOut, row
// by row) and how many spikes its recurrent neurons fired.
type Output struct {
	Readout []float64
	Spikes  int
}

// RunFunc runs a chunk of inputs through some simulator: the float reference, the
// integer golden model, the emulator or a board.
type RunFunc func(x []lsnn.Raster) ([]Output, error)

// Evaluate scores the first n test samples (all when n <= 0 or n is larger than the
// test set) in chunks of chunk samples, calling progress after each chunk with the
// number done. neurons is the network's recurrent neuron count, for the rate.
func Evaluate(task Task, n, chunk, neurons int, run RunFunc, progress func(done int)) (Result, error) {
	if n <= 0 || n > task.TestLen() {
		n = task.TestLen()
	}
	chunk = max(1, chunk)
	var r Result
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		samples := make([]Sample, 0, hi-lo)
		xs := make([]lsnn.Raster, 0, hi-lo)
		for i := lo; i < hi; i++ {
			s := task.TestSample(i)
			samples = append(samples, s)
			xs = append(xs, s.Input)
		}
		outs, err := run(xs)
		if err != nil {
			return r, err
		}
		if len(outs) != len(xs) {
			return r, fmt.Errorf("tasks: evaluate: %d outputs for %d inputs", len(outs), len(xs))
		}
		for k, s := range samples {
			if len(outs[k].Readout) != s.Input.T*task.NOut() {
				return r, fmt.Errorf("tasks: evaluate: sample %d: %d readout values, want %d", lo+k, len(outs[k].Readout), s.Input.T*task.NOut())
			}
			for _, w := range s.Windows {
				r.Windows++
				if w.Predict(outs[k].Readout, task.NOut()) == w.Label {
					r.Correct++
				}
			}
			r.Spikes += int64(outs[k].Spikes)
			r.Steps += int64(s.Input.T)
		}
		r.Samples = hi
		if progress != nil {
			progress(hi)
		}
	}
	if r.Windows > 0 {
		r.Accuracy = float64(r.Correct) / float64(r.Windows)
	}
	if r.Steps > 0 && neurons > 0 {
		r.Rate = float64(r.Spikes) / float64(r.Steps) / float64(neurons)
	}
	return r, nil
}

// FloatRunner runs chunks through the float reference simulator.
func FloatRunner(sim *lsnn.Simulator) RunFunc {
	return func(x []lsnn.Raster) ([]Output, error) {
		trs, err := sim.Run(x, lsnn.Options{})
		if err != nil {
			return nil, err
		}
		out := make([]Output, len(trs))
		for k, tr := range trs {
			out[k] = Output{Readout: tr.Readout, Spikes: tr.Spikes.Count()}
		}
		return out, nil
	}
}
