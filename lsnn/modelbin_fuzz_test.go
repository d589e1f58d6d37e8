package lsnn

import (
	"bytes"
	"flag"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/snnc/snnc/internal/fuzzcorpus"
)

var updateModelCorpus = flag.Bool("update-model-corpus", false, "rewrite the seed files of FuzzUnmarshalModel under testdata/fuzz")

const modelCorpusDir = "testdata/fuzz/FuzzUnmarshalModel"

// modelCorpusSeeds are the valid files committed as the seed corpus of
// FuzzUnmarshalModel, by file name.
func modelCorpusSeeds(tb testing.TB) map[string]*Network {
	tb.Helper()
	seeds := map[string]*Network{
		"seed-tiny":   tinyCodecNetwork(tb),
		"seed-full":   fullCodecNetwork(tb),
		"seed-random": randomNetworkForCodec(tb, 3, 3, 4, 2, 0.4),
	}
	for _, tc := range codecNetworks(tb) {
		if tc.name == "bare, empty slices" {
			seeds["seed-bare"] = tc.net
		}
	}
	return seeds
}

// TestModelFuzzCorpus keeps the committed seed files in step with the encoder.
// Run with -update-model-corpus to rewrite them after a format change.
func TestModelFuzzCorpus(t *testing.T) {
	seeds := map[string][]byte{}
	for name, net := range modelCorpusSeeds(t) {
		data, err := net.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		seeds[name] = data
	}
	fuzzcorpus.Check(t, modelCorpusDir, seeds, *updateModelCorpus, "go test -run TestModelFuzzCorpus -update-model-corpus ./lsnn/")
}

// FuzzUnmarshalModel feeds arbitrary bytes to the decoder. Its seeds are the files
// under testdata/fuzz/FuzzUnmarshalModel (kept current by TestModelFuzzCorpus), with
// any input a fuzzing run found kept there as a regression case.
func FuzzUnmarshalModel(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		checkModelDecode(t, data)
		// Most mutations break a checksum; resealed, they reach the payload decoders.
		if fixed := resealModel(data); fixed != nil {
			checkModelDecode(t, fixed)
		}
	})
}

// checkModelDecode decodes data and, when that succeeds, checks that the file was the
// canonical encoding of the network and that it decodes to the same network again.
func checkModelDecode(t *testing.T, data []byte) {
	net, err := UnmarshalModel(data)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "lsnn: ") {
			t.Fatalf("error %q does not start with \"lsnn: \"", err)
		}
		return
	}
	again, err := net.MarshalBinary()
	if err != nil {
		t.Fatalf("decoded network does not encode: %v", err)
	}
	if !bytes.Equal(again, data) {
		t.Fatalf("re-encoding gave other bytes:\n in  %x\n out %x", data, again)
	}
	net2, err := UnmarshalModel(again)
	if err != nil {
		t.Fatalf("re-encoded file does not decode: %v", err)
	}
	if d := cmp.Diff(net, net2); d != "" {
		t.Fatalf("second round trip changed the network (-first +second):\n%s", d)
	}
}
