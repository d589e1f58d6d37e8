package tasks

import (
	"fmt"
	"math/rand/v2"

	"github.com/snnc/snnc/lsnn"
)

// Window is a span of steps [Start, End) over which the readout y is averaged; the
// argmax of that mean over the readouts is the network's answer, Label the right one.
type Window struct{ Start, End, Label int }

// Sample is one trial.
type Sample struct {
	Input   lsnn.Raster
	Windows []Window
}

// Task is what training and evaluation need of a task.
type Task interface {
	Name() string
	NIn() int  // input channels
	NOut() int // readouts (classes)
	// TrainBatch returns training batch number iter of a run with this seed: a pure
	// function of (seed, iter, size), so that a resumed run sees the same data as an
	// uninterrupted one (derive a math/rand/v2 PCG from seed and iter).
	TrainBatch(seed uint64, iter, size int) []Sample
	TestLen() int            // size of the fixed test set
	TestSample(i int) Sample // deterministic
}

// Predict returns the readout with the largest mean of y over the window, the
// network's answer for it; ties go to the lower index. y holds T x nOut values row by
// row, as lsnn.Trace.Readout does.
func (w Window) Predict(y []float64, nOut int) int {
	best, bestSum := 0, 0.0
	for k := 0; k < nOut; k++ {
		s := 0.0
		for t := w.Start; t < w.End; t++ {
			s += y[t*nOut+k]
		}
		// The window length is the same for every k, so sums order like means.
		if k == 0 || s > bestSum {
			best, bestSum = k, s
		}
	}
	return best
}

// ValidateSample checks a sample against its task: the raster is T x NIn with T > 0
// and holds only 0 and 1, there is at least one window, and every window is a
// non-empty span inside [0, T) whose label is a readout of the task.
func ValidateSample(task Task, s Sample) error {
	in := s.Input
	if in.T <= 0 || in.W != task.NIn() || len(in.Bits) != in.T*in.W {
		return fmt.Errorf("tasks: %s: input is %d steps x %d channels (%d values), want %d channels", task.Name(), in.T, in.W, len(in.Bits), task.NIn())
	}
	for i, b := range in.Bits {
		if b > 1 {
			return fmt.Errorf("tasks: %s: input step %d channel %d holds %d, want 0 or 1", task.Name(), i/in.W, i%in.W, b)
		}
	}
	if len(s.Windows) == 0 {
		return fmt.Errorf("tasks: %s: sample has no window", task.Name())
	}
	for i, w := range s.Windows {
		if w.Start < 0 || w.End > in.T || w.Start >= w.End {
			return fmt.Errorf("tasks: %s: window %d [%d, %d) is not a non-empty span of [0, %d)", task.Name(), i, w.Start, w.End, in.T)
		}
		if w.Label < 0 || w.Label >= task.NOut() {
			return fmt.Errorf("tasks: %s: window %d has label %d, want 0..%d", task.Name(), i, w.Label, task.NOut()-1)
		}
	}
	return nil
}

// testStream is set in the stream word of every generator that makes test data, and
// never in one that makes training data (iter >= 0 fits in 63 bits): no training run,
// whatever its seed, draws the test set's random numbers.
const testStream = 1 << 63

// trainRNG is the generator of training batch iter of a run with this seed.
func trainRNG(seed uint64, iter int) *rand.Rand {
	if iter < 0 {
		panic(fmt.Sprintf("tasks: negative training iteration %d", iter))
	}
	return rand.New(rand.NewPCG(seed, uint64(iter)))
}

// testRNG is the generator of test sample i of a test set with this seed.
func testRNG(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, testStream|uint64(i)))
}

// rasters returns n zeroed T x W rasters cut from one allocation.
func rasters(n, T, W int) []lsnn.Raster {
	size := T * W
	block := make([]uint8, n*size)
	out := make([]lsnn.Raster, n)
	for k := range out {
		out[k] = lsnn.Raster{T: T, W: W, Bits: block[k*size : (k+1)*size : (k+1)*size]}
	}
	return out
}
