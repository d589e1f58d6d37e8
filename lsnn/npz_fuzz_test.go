package lsnn

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateNPZSeeds = flag.Bool("update-npz-seeds", false, "rewrite the seed corpus of FuzzReadNPZ under testdata/fuzz")

// npzFuzzSeeds returns small valid archives in the forms the reader meets: deflated
// as WriteNPZ and numpy.savez_compressed write them, stored as numpy.savez writes
// them (so that the fuzzer can reach the npy headers without breaking a deflate
// stream), and float32/int32 with a scalar n_ref and default delays, as a training
// script might save them.
func npzFuzzSeeds(t testing.TB) map[string][]byte {
	tiny := randomNetworkForNPZ(21, 2, 1, 1, false)
	dale := randomNetworkForNPZ(22, 3, 2, 1, true)
	narrow := npzMembersOf(randomNetworkForNPZ(23, 3, 1, 1, false), true)
	narrow["n_ref"] = int32(2)
	delete(narrow, "d_in")
	delete(narrow, "d_rec")
	return map[string][]byte{
		"deflated-tiny":   encodeNPZ(t, tiny),
		"stored-tiny":     buildRawZip(t, rawMembers(t, encodeNPZ(t, tiny))),
		"stored-dale":     buildRawZip(t, rawMembers(t, encodeNPZ(t, dale))),
		"npyio-float32":   buildNPZ(t, narrow),
		"stored-float32":  buildRawZip(t, rawMembers(t, buildNPZ(t, narrow))),
		"deflated-signed": encodeNPZ(t, dale),
	}
}

// TestUpdateNPZSeeds rewrites the committed seed corpus when run with
// -update-npz-seeds; otherwise it checks that the seeds still read.
func TestUpdateNPZSeeds(t *testing.T) {
	for name, b := range npzFuzzSeeds(t) {
		if _, err := decodeNPZ(b); err != nil {
			t.Errorf("seed %s: %v", name, err)
		}
		if *updateNPZSeeds {
			dir := filepath.Join("testdata", "fuzz", "FuzzReadNPZ")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// FuzzReadNPZ checks that ReadNPZ never panics, that its errors carry the package
// prefix, and that whatever it accepts is valid and survives a write and a read.
func FuzzReadNPZ(f *testing.F) {
	for _, b := range npzFuzzSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		net, err := decodeNPZ(b)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) && !strings.HasPrefix(err.Error(), "lsnn: npz: ") {
				t.Fatalf("error without the lsnn: npz: prefix: %v", err)
			}
			return
		}
		if err := net.Validate(); err != nil {
			t.Fatalf("accepted an invalid network: %v", err)
		}
		var buf bytes.Buffer
		if err := WriteNPZ(&buf, net); err != nil {
			t.Fatalf("cannot write back what was read: %v", err)
		}
		back, err := decodeNPZ(buf.Bytes())
		if err != nil {
			t.Fatalf("cannot read back what was written: %v", err)
		}
		if d := cmp.Diff(net, back, npzEqual...); d != "" {
			t.Fatalf("write and read changed the network (-read +reread):\n%s", d)
		}
	})
}
