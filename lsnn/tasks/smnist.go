package tasks

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/snnc/snnc/lsnn"
)

// Input channels of sequential MNIST (80 in all). Threshold k (k = 0..38) is k/39:
// channel 2k spikes on an upward crossing of it, channel 2k+1 on a downward one.
const (
	SMNISTThresholds = 39                   // thresholds k/39, k = 0..38
	SMNISTEqualChan  = 2 * SMNISTThresholds // 78: spikes while the pixel is 255 (1.0)
	SMNISTCueChan    = SMNISTEqualChan + 1  // 79: spikes on every step of the cue
	SMNISTChannels   = SMNISTCueChan + 1    // 80
	smnistCueRows    = 2                    // the cue lasts as long as two image rows
	smnistReadout    = MNISTCols            // class readout: mean over the last 28 steps
	smnistMaxMs      = 64                   // largest msPerPixel accepted
	smnistName       = "smnist"             // Name at 1 ms per pixel
)

// SMNISTOnset is the channel of the upward crossings of threshold k/39.
func SMNISTOnset(k int) int { return 2 * k }

// SMNISTOffset is the channel of the downward crossings of threshold k/39.
func SMNISTOffset(k int) int { return 2*k + 1 }

// SMNISTConfig sets up sequential MNIST. Zero fields take the defaults of the
// authors' code: 1 ms per pixel, a cue of 56 steps per ms per pixel (two image rows at
// the presentation speed: 56 or 112), a readout averaged over the last 28 steps.
type SMNISTConfig struct {
	MsPerPixel   int // steps each pixel is shown (dt = 1 ms)
	CueSteps     int // steps of the cue after the image
	ReadoutSteps int // steps at the end of the trial over which the readout is averaged
}

// SMNIST is sequential MNIST, pixel by pixel. It is safe for concurrent use.
type SMNIST struct {
	data *MNIST
	cfg  SMNISTConfig
	t    int // steps of a trial: 784 * MsPerPixel + CueSteps

	mu        sync.Mutex // guards the cached epoch order
	permSeed  uint64
	permEpoch uint64
	perm      []int32
}

// NewSMNIST is sequential MNIST with each pixel shown for msPerPixel steps of 1 ms
// and the rest of the set-up as in the authors' code (see SMNISTConfig).
func NewSMNIST(data *MNIST, msPerPixel int) (*SMNIST, error) {
	return NewSMNISTConfig(data, SMNISTConfig{MsPerPixel: msPerPixel})
}

// NewSMNISTConfig is NewSMNIST with every setting given; zero fields take defaults.
func NewSMNISTConfig(data *MNIST, cfg SMNISTConfig) (*SMNIST, error) {
	if data == nil || data.Train.Len() == 0 || data.Test.Len() == 0 {
		return nil, fmt.Errorf("tasks: %s: no MNIST data", smnistName)
	}
	if data.Train.Len() > 1<<31-1 {
		return nil, fmt.Errorf("tasks: %s: %d training digits, too many", smnistName, data.Train.Len())
	}
	for _, d := range []Digits{data.Train, data.Test} {
		if len(d.Images) != d.Len()*MNISTPixels {
			return nil, fmt.Errorf("tasks: %s: %d labels but %d pixels", smnistName, d.Len(), len(d.Images))
		}
	}
	orDefault(&cfg.MsPerPixel, 1)
	if cfg.MsPerPixel < 1 || cfg.MsPerPixel > smnistMaxMs {
		return nil, fmt.Errorf("tasks: %s: %d ms per pixel, want 1..%d", smnistName, cfg.MsPerPixel, smnistMaxMs)
	}
	orDefault(&cfg.CueSteps, smnistCueRows*MNISTCols*cfg.MsPerPixel)
	if cfg.CueSteps < 1 || cfg.CueSteps > MNISTPixels*cfg.MsPerPixel {
		return nil, fmt.Errorf("tasks: %s: cue of %d steps, want 1..%d", smnistName, cfg.CueSteps, MNISTPixels*cfg.MsPerPixel)
	}
	T := MNISTPixels*cfg.MsPerPixel + cfg.CueSteps
	orDefault(&cfg.ReadoutSteps, smnistReadout)
	if cfg.ReadoutSteps < 1 || cfg.ReadoutSteps > T {
		return nil, fmt.Errorf("tasks: %s: readout over %d steps, want 1..%d", smnistName, cfg.ReadoutSteps, T)
	}
	return &SMNIST{data: data, cfg: cfg, t: T}, nil
}

// Config returns the configuration with defaults filled in.
func (m *SMNIST) Config() SMNISTConfig { return m.cfg }

// Name is "smnist" at 1 ms per pixel and "smnist-<n>ms" at n ms per pixel.
func (m *SMNIST) Name() string {
	if m.cfg.MsPerPixel == 1 {
		return smnistName
	}
	return fmt.Sprintf("%s-%dms", smnistName, m.cfg.MsPerPixel)
}

// T is the number of steps of a trial: 784 * MsPerPixel + CueSteps.
func (m *SMNIST) T() int { return m.t }

// NIn is 80.
func (m *SMNIST) NIn() int { return SMNISTChannels }

// NOut is 10.
func (m *SMNIST) NOut() int { return 10 }

// TrainBatch returns size training digits. The global position g = iter*size + k of
// sample k falls in epoch g / 60,000; each epoch visits every training digit once, in
// an order drawn from PCG(seed, epoch).
func (m *SMNIST) TrainBatch(seed uint64, iter, size int) []Sample {
	if size <= 0 {
		return nil
	}
	if iter < 0 {
		panic(fmt.Sprintf("tasks: negative training iteration %d", iter))
	}
	n := uint64(m.data.Train.Len())
	out := make([]Sample, size)
	rs := rasters(size, m.t, SMNISTChannels)
	g := uint64(iter) * uint64(size)
	for k := range out {
		idx := m.trainIndex(seed, (g+uint64(k))/n, int((g+uint64(k))%n))
		out[k] = m.encodeInto(rs[k], m.data.Train.Image(idx), int(m.data.Train.Labels[idx]))
	}
	return out
}

// trainIndex returns the training digit at position pos of an epoch.
func (m *SMNIST) trainIndex(seed, epoch uint64, pos int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.perm == nil || m.permSeed != seed || m.permEpoch != epoch {
		n := m.data.Train.Len()
		if m.perm == nil {
			m.perm = make([]int32, n)
		}
		for i := range m.perm {
			m.perm[i] = int32(i)
		}
		rng := rand.New(rand.NewPCG(seed, epoch))
		rng.Shuffle(n, func(i, j int) { m.perm[i], m.perm[j] = m.perm[j], m.perm[i] })
		m.permSeed, m.permEpoch = seed, epoch
	}
	return int(m.perm[pos])
}

// TestLen is the number of test digits (10,000).
func (m *SMNIST) TestLen() int { return m.data.Test.Len() }

// TestSample returns test digit i. It panics when i is out of range.
func (m *SMNIST) TestSample(i int) Sample {
	if i < 0 || i >= m.data.Test.Len() {
		panic(fmt.Sprintf("tasks: %s: test sample %d out of range [0, %d)", m.Name(), i, m.data.Test.Len()))
	}
	return m.Encode(m.data.Test.Image(i), int(m.data.Test.Labels[i]))
}

// Encode turns the 784 pixels of a digit (0..255, row by row) and its label into a
// sample; it panics when pixels is not 784 long.
func (m *SMNIST) Encode(pixels []uint8, label int) Sample {
	if len(pixels) != MNISTPixels {
		panic(fmt.Sprintf("tasks: %s: image of %d pixels, want %d", m.Name(), len(pixels), MNISTPixels))
	}
	return m.encodeInto(lsnn.NewRaster(m.t, SMNISTChannels), pixels, label)
}

func (m *SMNIST) encodeInto(r lsnn.Raster, pixels []uint8, label int) Sample {
	encodePixels(r, pixels, m.cfg.MsPerPixel, m.cfg.CueSteps)
	return Sample{Input: r, Windows: []Window{{Start: m.t - m.cfg.ReadoutSteps, End: m.t, Label: label}}}
}

// level is the number of thresholds k/39 (k = 1..39) at or below pixel value p/255,
// that is floor(39p/255) in exact integer arithmetic: p/255 >= k/39 exactly when
// k <= level(p). The float32 arithmetic of the authors' code agrees on all 256 x 40
// pairs, including the exact ties 85/255 = 13/39 and 170/255 = 26/39.
func level(p uint8) int { return 39 * int(p) / 255 }

// encodePixels writes the spikes of a pixel sequence into the zeroed raster r of
// len(pixels)*ms + cue steps and SMNISTChannels channels. The sequence is first
// stretched by repeating each pixel value ms times (x[j*ms .. j*ms+ms-1] = pixel j);
// then, for consecutive values x[i] and x[i+1] and every threshold k/39 with k < 39,
// onset channel 2k spikes at step i when x[i] < k/39 <= x[i+1] and offset channel
// 2k+1 spikes at step i when x[i+1] < k/39 <= x[i]; channel 78 spikes at each step i
// with x[i] = 1.0; channel 79 spikes on the cue steps after the sequence. Nothing
// precedes the first value and nothing follows the last: no crossing is taken from or
// into the cue. Threshold 0 is never crossed, since no value is below 0.
func encodePixels(r lsnn.Raster, pixels []uint8, ms, cue int) {
	W := r.W
	n := len(pixels)
	for j, p := range pixels {
		if p == 255 {
			for t := j * ms; t < (j+1)*ms; t++ {
				r.Bits[t*W+SMNISTEqualChan] = 1
			}
		}
		if j+1 == n {
			break
		}
		// Values change only between the last copy of pixel j and the first of j+1.
		row := r.Bits[(j*ms+ms-1)*W:]
		a, b := level(p), level(pixels[j+1])
		if b > a { // onsets of thresholds a+1 .. b
			for k := a + 1; k <= min(b, SMNISTThresholds-1); k++ {
				row[2*k] = 1
			}
		} else { // offsets of thresholds b+1 .. a
			for k := b + 1; k <= min(a, SMNISTThresholds-1); k++ {
				row[2*k+1] = 1
			}
		}
	}
	for t := n * ms; t < n*ms+cue; t++ {
		r.Bits[t*W+SMNISTCueChan] = 1
	}
}
