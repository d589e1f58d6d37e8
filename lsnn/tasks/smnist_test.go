package tasks

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/snnc/snnc/lsnn"
)

type spike struct{ step, ch int }

// onsets and offsets list the spikes of thresholds k = from..to at one step.
func onsets(step, from, to int) []spike {
	var s []spike
	for k := from; k <= to; k++ {
		s = append(s, spike{step, SMNISTOnset(k)})
	}
	return s
}

func offsets(step, from, to int) []spike {
	var s []spike
	for k := from; k <= to; k++ {
		s = append(s, spike{step, SMNISTOffset(k)})
	}
	return s
}

func chanSpikes(ch int, steps ...int) []spike {
	var s []spike
	for _, t := range steps {
		s = append(s, spike{t, ch})
	}
	return s
}

func spikesOf(r lsnn.Raster) []spike {
	var s []spike
	for t := 0; t < r.T; t++ {
		for c := 0; c < r.W; c++ {
			if r.At(t, c) {
				s = append(s, spike{t, c})
			}
		}
	}
	return s
}

func sortSpikes(s []spike) []spike {
	sort.Slice(s, func(i, j int) bool {
		if s[i].step != s[j].step {
			return s[i].step < s[j].step
		}
		return s[i].ch < s[j].ch
	})
	return s
}

func cat(parts ...[]spike) []spike {
	var s []spike
	for _, p := range parts {
		s = append(s, p...)
	}
	return sortSpikes(s)
}

// TestEncodePixels spells out the spikes of hand-made pixel sequences. Thresholds are
// k/39; a pixel p is at or above threshold k when k <= floor(39p/255).
func TestEncodePixels(t *testing.T) {
	tests := []struct {
		name    string
		pixels  []uint8
		ms, cue int
		want    []spike
	}{
		{
			// Levels 0, 7, 15, 23, 31, 39 (51/255 = 0.2 lies between 7/39 and 8/39).
			"ramp by 0.2", []uint8{0, 51, 102, 153, 204, 255}, 1, 2,
			cat(onsets(0, 1, 7), onsets(1, 8, 15), onsets(2, 16, 23), onsets(3, 24, 31), onsets(4, 32, 38),
				chanSpikes(SMNISTEqualChan, 5), chanSpikes(SMNISTCueChan, 6, 7)),
		},
		{
			// The crossing spikes at the step of the pixel before it; 1.0 crosses
			// every threshold but 0, and the equal channel fires while the pixel is 1.0.
			"step to 1.0 and back", []uint8{0, 0, 255, 255, 0}, 1, 1,
			cat(onsets(1, 1, 38), chanSpikes(SMNISTEqualChan, 2, 3), offsets(3, 1, 38), chanSpikes(SMNISTCueChan, 5)),
		},
		{
			// 200/255 = 0.784 (level 30) to 100/255 = 0.392 (level 15).
			"drop", []uint8{200, 100}, 1, 1,
			cat(offsets(0, 16, 30), chanSpikes(SMNISTCueChan, 2)),
		},
		{
			// 85/255 = 13/39 exactly: reaching a threshold counts as crossing it.
			"tie at 1/3", []uint8{84, 85, 86, 85, 84}, 1, 1,
			cat(onsets(0, 13, 13), offsets(3, 13, 13), chanSpikes(SMNISTCueChan, 5)),
		},
		{
			"tie at 2/3", []uint8{169, 170, 169}, 1, 1,
			cat(onsets(0, 26, 26), offsets(1, 26, 26), chanSpikes(SMNISTCueChan, 3)),
		},
		{
			// Nothing is below threshold 0, so channels 0 and 1 never fire; 3/255 is
			// below 1/39 and 7/255 above it.
			"threshold 0 is silent", []uint8{0, 3, 7, 0}, 1, 1,
			cat(onsets(1, 1, 1), offsets(2, 1, 1), chanSpikes(SMNISTCueChan, 4)),
		},
		{
			"constant", []uint8{128, 128, 128}, 1, 2,
			chanSpikes(SMNISTCueChan, 3, 4),
		},
		{
			// The first pixel has no predecessor: starting at 1.0 is no onset.
			"starts at 1.0", []uint8{255, 0}, 1, 1,
			cat(chanSpikes(SMNISTEqualChan, 0), offsets(0, 1, 38), chanSpikes(SMNISTCueChan, 2)),
		},
		{
			// 2 ms per pixel repeats the pixel values: x = 0 0 255 255 0 0. The
			// crossings sit on the last copy of the pixel before them, the equal
			// channel on both copies of 1.0.
			"2 ms per pixel", []uint8{0, 255, 0}, 2, 3,
			cat(onsets(1, 1, 38), chanSpikes(SMNISTEqualChan, 2, 3), offsets(3, 1, 38), chanSpikes(SMNISTCueChan, 6, 7, 8)),
		},
		{
			"3 ms per pixel", []uint8{100, 200}, 3, 1,
			cat(onsets(2, 16, 30), chanSpikes(SMNISTCueChan, 6)),
		},
	}
	for _, tc := range tests {
		r := lsnn.NewRaster(len(tc.pixels)*tc.ms+tc.cue, SMNISTChannels)
		encodePixels(r, tc.pixels, tc.ms, tc.cue)
		got := spikesOf(r)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, tc.want)
		}
		if ref := referenceEncode(tc.pixels, tc.ms, tc.cue); !bytes.Equal(ref.Bits, r.Bits) {
			t.Errorf("%s: differs from the reference encoder", tc.name)
		}
	}
}

// referenceEncode restates the rule of the authors' find_onset_offset as literally as
// possible, in float64 and without shortcuts: stretch the values, then compare every
// neighbouring pair with every threshold of linspace(0, 1, 40).
func referenceEncode(pixels []uint8, ms, cue int) lsnn.Raster {
	var x []float64
	for _, p := range pixels {
		for i := 0; i < ms; i++ {
			x = append(x, float64(p)/255)
		}
	}
	r := lsnn.NewRaster(len(x)+cue, SMNISTChannels)
	for k := 0; k < 40; k++ {
		th := float64(k) / 39
		for i := range x {
			if k == 39 {
				if x[i] == th {
					r.Set(i, SMNISTEqualChan)
				}
				continue
			}
			if i+1 < len(x) && x[i] < th && x[i+1] >= th {
				r.Set(i, 2*k)
			}
			if i+1 < len(x) && x[i] >= th && x[i+1] < th {
				r.Set(i, 2*k+1)
			}
		}
	}
	for t := len(x); t < len(x)+cue; t++ {
		r.Set(t, SMNISTCueChan)
	}
	return r
}

// TestEncodePixelsReference compares the encoder with the reference on random
// sequences, biased towards the values where thresholds sit.
func TestEncodePixelsReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	special := []uint8{0, 1, 6, 7, 84, 85, 86, 169, 170, 171, 248, 249, 254, 255}
	for trial := 0; trial < 300; trial++ {
		n := 1 + rng.IntN(60)
		px := make([]uint8, n)
		for i := range px {
			if rng.IntN(2) == 0 {
				px[i] = special[rng.IntN(len(special))]
			} else {
				px[i] = uint8(rng.IntN(256))
			}
		}
		ms, cue := 1+rng.IntN(3), 1+rng.IntN(5)
		r := lsnn.NewRaster(n*ms+cue, SMNISTChannels)
		encodePixels(r, px, ms, cue)
		if ref := referenceEncode(px, ms, cue); !bytes.Equal(ref.Bits, r.Bits) {
			t.Fatalf("pixels %v, %d ms, cue %d: got %v\nwant %v", px, ms, cue, spikesOf(r), spikesOf(ref))
		}
	}
}

func fakeMNIST(nTrain, nTest int) *MNIST {
	return &MNIST{Train: fakeDigits(nTrain), Test: fakeDigits(nTest)}
}

func TestSMNISTSetup(t *testing.T) {
	data := fakeMNIST(20, 10)
	tests := []struct {
		cfg                  SMNISTConfig
		name                 string
		T, cue, start, steps int
	}{
		{SMNISTConfig{MsPerPixel: 1}, "smnist", 840, 56, 812, 28},
		{SMNISTConfig{MsPerPixel: 2}, "smnist-2ms", 1680, 112, 1652, 28},
		{SMNISTConfig{MsPerPixel: 2, CueSteps: 56}, "smnist-2ms", 1624, 56, 1596, 28},
		{SMNISTConfig{ReadoutSteps: 56}, "smnist", 840, 56, 784, 56},
	}
	for _, tc := range tests {
		m, err := NewSMNISTConfig(data, tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if m.Name() != tc.name || m.T() != tc.T || m.NIn() != 80 || m.NOut() != 10 || m.TestLen() != 10 {
			t.Errorf("%+v: Name %q T %d NIn %d NOut %d TestLen %d", tc.cfg, m.Name(), m.T(), m.NIn(), m.NOut(), m.TestLen())
		}
		for i := 0; i < m.TestLen(); i++ {
			s := m.TestSample(i)
			want := []Window{{tc.start, tc.T, int(data.Test.Labels[i])}}
			if fmt.Sprint(s.Windows) != fmt.Sprint(want) {
				t.Errorf("%+v: sample %d windows %v, want %v", tc.cfg, i, s.Windows, want)
			}
			// The cue channel fires exactly on the last cue steps.
			for step := 0; step < s.Input.T; step++ {
				if s.Input.At(step, SMNISTCueChan) != (step >= tc.T-tc.cue) {
					t.Fatalf("%+v: sample %d: cue channel at step %d is %v", tc.cfg, i, step, s.Input.At(step, SMNISTCueChan))
				}
			}
			ms := m.Config().MsPerPixel
			ref := referenceEncode(data.Test.Image(i), ms, tc.cue)
			if !bytes.Equal(ref.Bits, s.Input.Bits) {
				t.Fatalf("%+v: sample %d differs from the reference encoder", tc.cfg, i)
			}
		}
	}
	if m, _ := NewSMNIST(data, 1); m.Config() != (SMNISTConfig{MsPerPixel: 1, CueSteps: 56, ReadoutSteps: 28}) {
		t.Errorf("default config %+v", m.Config())
	}
}

func TestSMNISTConfigErrors(t *testing.T) {
	good := fakeMNIST(3, 2)
	tests := []struct {
		data *MNIST
		cfg  SMNISTConfig
		want string
	}{
		{nil, SMNISTConfig{}, "no MNIST data"},
		{&MNIST{Train: fakeDigits(2)}, SMNISTConfig{}, "no MNIST data"},
		{&MNIST{Train: Digits{Labels: []uint8{1}}, Test: fakeDigits(1)}, SMNISTConfig{}, "1 labels but 0 pixels"},
		{good, SMNISTConfig{MsPerPixel: -1}, "-1 ms per pixel"},
		{good, SMNISTConfig{MsPerPixel: 1000}, "1000 ms per pixel"},
		{good, SMNISTConfig{CueSteps: -2}, "cue of -2 steps"},
		{good, SMNISTConfig{ReadoutSteps: 841}, "readout over 841 steps"},
	}
	for _, tc := range tests {
		_, err := NewSMNISTConfig(tc.data, tc.cfg)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%+v: error %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestSMNISTTask(t *testing.T) {
	m, err := NewSMNIST(fakeMNIST(50, 7), 1)
	if err != nil {
		t.Fatal(err)
	}
	checkTask(t, m, 8)
}

// TestSMNISTEpochs checks that each epoch visits every training digit once, in an
// order that changes from epoch to epoch and with the seed, and that the batch size
// only regroups the same sequence.
func TestSMNISTEpochs(t *testing.T) {
	const n = 10
	data := fakeMNIST(n, 2) // training digit i has label i
	m, err := NewSMNIST(data, 1)
	if err != nil {
		t.Fatal(err)
	}
	order := func(seed uint64, iters, size int) []int {
		var o []int
		for it := 0; it < iters; it++ {
			for _, s := range m.TrainBatch(seed, it, size) {
				o = append(o, s.Windows[0].Label)
				if !bytes.Equal(s.Input.Bits, m.Encode(data.Train.Image(s.Windows[0].Label), s.Windows[0].Label).Input.Bits) {
					t.Fatalf("batch sample of digit %d is not its encoding", s.Windows[0].Label)
				}
			}
		}
		return o
	}
	o := order(5, 6, 5) // three epochs
	for e := 0; e < 3; e++ {
		seen := map[int]bool{}
		for _, d := range o[e*n : (e+1)*n] {
			seen[d] = true
		}
		if len(seen) != n {
			t.Errorf("epoch %d visits %v", e, o[e*n:(e+1)*n])
		}
	}
	if fmt.Sprint(o[:n]) == fmt.Sprint(o[n:2*n]) {
		t.Errorf("epochs 0 and 1 in the same order %v", o[:n])
	}
	if fmt.Sprint(order(5, 10, 3)) != fmt.Sprint(o) {
		t.Errorf("batches of 3 regroup a different sequence")
	}
	if fmt.Sprint(order(6, 6, 5)) == fmt.Sprint(o) {
		t.Errorf("seeds 5 and 6 give the same order")
	}
	// A batch larger than the training set spans several epochs.
	if got := order(5, 1, 25); fmt.Sprint(got) != fmt.Sprint(o[:25]) {
		t.Errorf("one batch of 25: %v, want %v", got, o[:25])
	}
}

func TestSMNISTModule(t *testing.T) {
	data := loadRealMNIST(t)
	for _, ms := range []int{1, 2} {
		m, err := NewSMNIST(data, ms)
		if err != nil {
			t.Fatal(err)
		}
		if m.TestLen() != 10000 {
			t.Errorf("TestLen %d", m.TestLen())
		}
		s := m.TestSample(0)
		if err := ValidateSample(m, s); err != nil {
			t.Fatal(err)
		}
		if s.Windows[0].Label != 7 || s.Input.T != 784*ms+56*ms {
			t.Errorf("%d ms: test digit 0: label %d, %d steps", ms, s.Windows[0].Label, s.Input.T)
		}
		// A digit is drawn with strokes: some thresholds are crossed both ways, and
		// the channels of threshold 0 stay silent.
		var up, down, eq, zero int
		for _, sp := range spikesOf(s.Input) {
			switch {
			case sp.ch < 2:
				zero++
			case sp.ch < SMNISTEqualChan && sp.ch%2 == 0:
				up++
			case sp.ch < SMNISTEqualChan:
				down++
			case sp.ch == SMNISTEqualChan:
				eq++
			}
		}
		if up == 0 || down == 0 || zero != 0 {
			t.Errorf("%d ms: %d onsets, %d offsets, %d spikes of threshold 0", ms, up, down, zero)
		}
		t.Logf("%d ms: test digit 0: %d onsets, %d offsets, %d steps at 1.0", ms, up, down, eq)
		checkTask(t, m, 4)
	}
}

func BenchmarkSMNISTTrainBatch(b *testing.B) {
	m, err := NewSMNIST(fakeMNIST(1000, 1), 1)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		m.TrainBatch(1, i, 256)
	}
}

// TestSMNISTConcurrent runs batches of different seeds and epochs at once (the epoch
// order is cached) and compares them with batches made one at a time.
func TestSMNISTConcurrent(t *testing.T) {
	m, err := NewSMNIST(fakeMNIST(30, 1), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]Sample, 8)
	for g := range want {
		want[g] = m.TrainBatch(uint64(g%3), g, 7)
	}
	got := make([][]Sample, 8)
	done := make(chan bool)
	for g := range got {
		go func() {
			got[g] = m.TrainBatch(uint64(g%3), g, 7)
			done <- true
		}()
	}
	for range got {
		<-done
	}
	for g := range got {
		if !sameBatch(got[g], want[g]) {
			t.Errorf("batch %d differs when made concurrently", g)
		}
	}
}
