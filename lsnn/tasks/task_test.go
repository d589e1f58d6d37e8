package tasks

import (
	"bytes"
	"strings"
	"testing"

	"github.com/snnc/snnc/lsnn"
)

func TestWindowPredict(t *testing.T) {
	// Three steps of two readouts: y[t] = (a, b).
	y := []float64{
		1, 0,
		0, 3,
		5, 0,
	}
	tests := []struct {
		name string
		w    Window
		want int
	}{
		{"first step", Window{0, 1, 0}, 0},
		{"second step", Window{1, 2, 0}, 1},
		{"first two: 1 vs 3", Window{0, 2, 0}, 1},
		{"all: 6 vs 3", Window{0, 3, 0}, 0},
		{"last two: 5 vs 3", Window{1, 3, 0}, 0},
	}
	for _, tc := range tests {
		if got := tc.w.Predict(y, 2); got != tc.want {
			t.Errorf("%s: Predict = %d, want %d", tc.name, got, tc.want)
		}
	}
	// A tie goes to the lower index.
	if got := (Window{0, 1, 0}).Predict([]float64{2, 2, 2}, 3); got != 0 {
		t.Errorf("tie: Predict = %d, want 0", got)
	}
}

func TestValidateSample(t *testing.T) {
	sr, err := NewStoreRecall(StoreRecallConfig{Symbols: 3, SymbolMs: 10, ChannelsPerGroup: 2})
	if err != nil {
		t.Fatal(err)
	}
	good := func() Sample {
		return Sample{Input: lsnn.NewRaster(30, 8), Windows: []Window{{20, 30, 1}}}
	}
	tests := []struct {
		name   string
		modify func(*Sample)
		want   string // "" means valid
	}{
		{"valid", func(*Sample) {}, ""},
		{"wrong width", func(s *Sample) { s.Input = lsnn.NewRaster(30, 7) }, "want 8 channels"},
		{"no steps", func(s *Sample) { s.Input = lsnn.NewRaster(0, 8) }, "0 steps"},
		{"short bits", func(s *Sample) { s.Input.Bits = s.Input.Bits[:10] }, "10 values"},
		{"not binary", func(s *Sample) { s.Input.Bits[8*3+5] = 2 }, "step 3 channel 5"},
		{"no window", func(s *Sample) { s.Windows = nil }, "no window"},
		{"window past the end", func(s *Sample) { s.Windows[0].End = 31 }, "[20, 31)"},
		{"negative start", func(s *Sample) { s.Windows[0].Start = -1 }, "[-1, 30)"},
		{"empty window", func(s *Sample) { s.Windows[0].Start = 30 }, "[30, 30)"},
		{"label too large", func(s *Sample) { s.Windows[0].Label = 2 }, "label 2"},
		{"negative label", func(s *Sample) { s.Windows[0].Label = -1 }, "label -1"},
	}
	for _, tc := range tests {
		s := good()
		tc.modify(&s)
		err := ValidateSample(sr, s)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && err == nil:
			t.Errorf("%s: accepted", tc.name)
		case tc.want != "" && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: error %q does not contain %q", tc.name, err, tc.want)
		}
	}
}

func sameSample(a, b Sample) bool {
	if a.Input.T != b.Input.T || a.Input.W != b.Input.W || !bytes.Equal(a.Input.Bits, b.Input.Bits) || len(a.Windows) != len(b.Windows) {
		return false
	}
	for i := range a.Windows {
		if a.Windows[i] != b.Windows[i] {
			return false
		}
	}
	return true
}

func sameBatch(a, b []Sample) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameSample(a[i], b[i]) {
			return false
		}
	}
	return true
}

// checkTask holds any Task to the contract of the interface: batches are a pure
// function of (seed, iter, size) and change with seed and iter, every sample is
// valid, test samples are deterministic.
func checkTask(t *testing.T, task Task, size int) {
	t.Helper()
	a := task.TrainBatch(7, 3, size)
	if len(a) != size {
		t.Fatalf("%s: TrainBatch gave %d samples, want %d", task.Name(), len(a), size)
	}
	for k, s := range a {
		if err := ValidateSample(task, s); err != nil {
			t.Fatalf("%s: train sample %d: %v", task.Name(), k, err)
		}
	}
	if !sameBatch(a, task.TrainBatch(7, 3, size)) {
		t.Errorf("%s: TrainBatch(7, 3) differs between two calls", task.Name())
	}
	// Interleaving other calls does not change a batch (no hidden state).
	_ = task.TrainBatch(8, 100, size)
	if !sameBatch(a, task.TrainBatch(7, 3, size)) {
		t.Errorf("%s: TrainBatch(7, 3) changed after another call", task.Name())
	}
	if sameBatch(a, task.TrainBatch(7, 4, size)) {
		t.Errorf("%s: iterations 3 and 4 give the same batch", task.Name())
	}
	if sameBatch(a, task.TrainBatch(8, 3, size)) {
		t.Errorf("%s: seeds 7 and 8 give the same batch", task.Name())
	}
	if b := task.TrainBatch(7, 3, 0); len(b) != 0 {
		t.Errorf("%s: TrainBatch of size 0 gave %d samples", task.Name(), len(b))
	}
	if task.TestLen() < 1 {
		t.Fatalf("%s: TestLen = %d", task.Name(), task.TestLen())
	}
	for _, i := range []int{0, task.TestLen() - 1} {
		s := task.TestSample(i)
		if err := ValidateSample(task, s); err != nil {
			t.Fatalf("%s: test sample %d: %v", task.Name(), i, err)
		}
		if !sameSample(s, task.TestSample(i)) {
			t.Errorf("%s: TestSample(%d) differs between two calls", task.Name(), i)
		}
	}
	for _, i := range []int{-1, task.TestLen()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: TestSample(%d) did not panic", task.Name(), i)
				}
			}()
			task.TestSample(i)
		}()
	}
}
