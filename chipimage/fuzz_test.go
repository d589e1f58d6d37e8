package chipimage_test

import (
	"bytes"
	"encoding/binary"
	"flag"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/internal/fuzzcorpus"
)

var update = flag.Bool("update", false, "rewrite the FuzzDecode seed corpus")

const corpusDir = "testdata/fuzz/FuzzDecode"

// seeds are small images of every kind: unicast and multicast, one and several
// cores, dedicated readouts.
func seeds(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for _, c := range []struct {
		name, target string
		nIn, n, nOut int
	}{
		{"unicast-multicore", "tiny-unicast", 3, 30, 2},
		{"multicast-multicore", "tiny-multicast", 3, 30, 2},
		{"dedicated-readouts", "xylo-wide", 2, 8, 2},
		{"one-core", "ice40-up5k", 2, 6, 1},
	} {
		img := compileRandom(t, target(t, c.target), 1, c.nIn, c.n, c.nOut)
		b, err := img.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out[c.name] = b
	}
	return out
}

// TestSeedCorpus keeps the committed seed corpus equal to freshly compiled images;
// run with -update after a format or compiler change.
func TestSeedCorpus(t *testing.T) {
	files := map[string][]byte{}
	for name, data := range seeds(t) {
		files["seed-"+name] = data
	}
	fuzzcorpus.Check(t, corpusDir, files, *update, "go test ./chipimage -run TestSeedCorpus -update")
}

// FuzzDecode feeds arbitrary bytes to the reader, as they are and with their section
// and file checksums repaired (so that mutations reach the checks behind the CRCs).
// The reader must never panic; every error starts with "chipimage: "; what it accepts
// is valid and encodes back to the same bytes (the encoding is canonical).
func FuzzDecode(f *testing.F) {
	// The committed corpus in testdata/fuzz/FuzzDecode holds the seeds; a few tiny
	// inputs reach the framing checks quickly.
	f.Add([]byte("SNNCIMAG"))
	f.Add([]byte("SNNCIMAG\x01\x00\x00\x00\x05\x00\x00\x00\x1c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeOne(t, data)
		if fixed := fixCRCs(data); !bytes.Equal(fixed, data) {
			decodeOne(t, fixed)
		}
	})
}

func decodeOne(t *testing.T, data []byte) {
	img, err := chipimage.Decode(data)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "chipimage: ") {
			t.Fatalf("error without the package prefix: %v", err)
		}
		return
	}
	if err := img.Validate(); err != nil {
		t.Fatalf("Decode accepted an image that Validate rejects: %v", err)
	}
	b, err := img.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, data) {
		t.Fatal("an accepted file does not encode back to itself")
	}
	_ = img.String()
}

// fixCRCs returns a copy of data with the file length, every section CRC it can
// frame and the file CRC recomputed.
func fixCRCs(data []byte) []byte {
	if len(data) < 28 {
		return data
	}
	b := bytes.Clone(data)
	binary.LittleEndian.PutUint64(b[16:], uint64(len(b)))
	end := len(b) - 4
	for pos := 24; pos+16 <= end; {
		n := binary.LittleEndian.Uint64(b[pos+4:])
		if n > uint64(end-pos-16) {
			break
		}
		binary.LittleEndian.PutUint32(b[pos+12:], crc32.ChecksumIEEE(b[pos+16:pos+16+int(n)]))
		pos += 16 + int(n)
	}
	binary.LittleEndian.PutUint32(b[end:], crc32.ChecksumIEEE(b[:end]))
	return b
}
