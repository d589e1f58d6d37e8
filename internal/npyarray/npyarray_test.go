package npyarray

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npy"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/snnc/snnc/lsnn"
)

// pattern is the 0/1 value of sample b, step t, channel i used throughout.
func pattern(b, t, i int) uint8 { return uint8((b*7 + t*3 + i*5) % 3 % 2) }

func rastersOf(B, T, W int) []lsnn.Raster {
	x := make([]lsnn.Raster, B)
	for b := range x {
		x[b] = lsnn.NewRaster(T, W)
		for t := 0; t < T; t++ {
			for i := 0; i < W; i++ {
				x[b].Bits[t*W+i] = pattern(b, t, i)
			}
		}
	}
	return x
}

// arrays returns the pattern as nested slices of type E: [T][W]E, and [B][T][W]E.
func arrays[E any](conv func(uint8) E, B, T, W int) (two [][]E, three [][][]E) {
	for b := 0; b < B; b++ {
		var sample [][]E
		for t := 0; t < T; t++ {
			row := make([]E, W)
			for i := range row {
				row[i] = conv(pattern(b, t, i))
			}
			sample = append(sample, row)
		}
		three = append(three, sample)
	}
	return three[0], three
}

func writeNPY(t *testing.T, v any) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "X.npy")
	var b bytes.Buffer
	if err := npy.Write(&b, v); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeRaw(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "X.npy")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// npyHeader returns an npy 1.0 header holding dict.
func npyHeader(dict string) []byte {
	for (10+len(dict)+1)%64 != 0 {
		dict += " "
	}
	dict += "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(dict)), byte(len(dict)>>8))
	return append(b, dict...)
}

func TestReadRastersDtypes(t *testing.T) {
	const B, T, W = 3, 5, 4
	type files struct{ two, three any }
	mk := func(two, three any) files { return files{two, three} }
	for _, tc := range []struct {
		name string
		f    files
	}{
		{"bool", mk(arrays(func(v uint8) bool { return v == 1 }, B, T, W))},
		{"uint8", mk(arrays(func(v uint8) uint8 { return v }, B, T, W))},
		{"uint16", mk(arrays(func(v uint8) uint16 { return uint16(v) }, B, T, W))},
		{"uint32", mk(arrays(func(v uint8) uint32 { return uint32(v) }, B, T, W))},
		{"uint64", mk(arrays(func(v uint8) uint64 { return uint64(v) }, B, T, W))},
		{"int8", mk(arrays(func(v uint8) int8 { return int8(v) }, B, T, W))},
		{"int16", mk(arrays(func(v uint8) int16 { return int16(v) }, B, T, W))},
		{"int32", mk(arrays(func(v uint8) int32 { return int32(v) }, B, T, W))},
		{"int64", mk(arrays(func(v uint8) int64 { return int64(v) }, B, T, W))},
		{"float32", mk(arrays(func(v uint8) float32 { return float32(v) }, B, T, W))},
		{"float64", mk(arrays(func(v uint8) float64 { return float64(v) }, B, T, W))},
		{"float64 with -0", mk(arrays(func(v uint8) float64 {
			if v == 0 {
				return math.Copysign(0, -1)
			}
			return 1
		}, B, T, W))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, batched, err := ReadRasters(writeNPY(t, tc.f.two), W)
			if err != nil {
				t.Fatal(err)
			}
			if batched {
				t.Error("[T, nIn] read as batched")
			}
			if d := cmp.Diff(rastersOf(1, T, W), x); d != "" {
				t.Errorf("[T, nIn] (-want +got):\n%s", d)
			}
			x, batched, err = ReadRasters(writeNPY(t, tc.f.three), W)
			if err != nil {
				t.Fatal(err)
			}
			if !batched {
				t.Error("[B, T, nIn] read as unbatched")
			}
			if d := cmp.Diff(rastersOf(B, T, W), x); d != "" {
				t.Errorf("[B, T, nIn] (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadRastersRawForms(t *testing.T) {
	const T, W = 3, 2
	want := rastersOf(1, T, W)
	t.Run("float16", func(t *testing.T) {
		b := npyHeader("{'descr': '<f2', 'fortran_order': False, 'shape': (3, 2), }")
		for _, v := range want[0].Bits {
			b = binary.LittleEndian.AppendUint16(b, uint16(v)*0x3c00)
		}
		x, _, err := ReadRasters(writeRaw(t, b), W)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, x); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("big-endian int32", func(t *testing.T) {
		b := npyHeader("{'descr': '>i4', 'fortran_order': False, 'shape': (3, 2), }")
		for _, v := range want[0].Bits {
			b = binary.BigEndian.AppendUint32(b, uint32(v))
		}
		x, _, err := ReadRasters(writeRaw(t, b), W)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, x); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("fortran order", func(t *testing.T) {
		const B = 2
		want := rastersOf(B, T, W)
		b := npyHeader("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3, 2), }")
		for i := 0; i < W; i++ {
			for t := 0; t < T; t++ {
				for s := 0; s < B; s++ {
					b = append(b, pattern(s, t, i))
				}
			}
		}
		x, batched, err := ReadRasters(writeRaw(t, b), W)
		if err != nil || !batched {
			t.Fatal(err, batched)
		}
		if d := cmp.Diff(want, x); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("no channels", func(t *testing.T) {
		x, batched, err := ReadRasters(writeRaw(t, npyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 7, 0), }")), 0)
		if err != nil || !batched || len(x) != 2 || x[1].T != 7 || x[1].W != 0 {
			t.Fatalf("got %v, %v, %v; want 2 empty rasters of 7 steps", x, batched, err)
		}
	})
}

func TestReadRastersErrors(t *testing.T) {
	two, three := arrays(func(v uint8) int32 { return int32(v) }, 2, 3, 4)
	bad2 := [][]int32{{0, 1, 0, 1}, {0, 1, 2, 1}}
	three[1][2][3] = -1
	f64 := [][]float64{{0, 1, 0.5, 1}}
	for _, tc := range []struct {
		name string
		path string
		nIn  int
		want string
	}{
		{"channels 2-D", writeNPY(t, two), 5, "X.npy: 4 channels (shape [3 4]), want 5"},
		{"channels 3-D", writeNPY(t, three), 3, "X.npy: 4 channels (shape [2 3 4]), want 3"},
		{"1-D", writeNPY(t, []uint8{0, 1}), 2, "X.npy: shape [2], want [T 2] or [B T 2]"},
		{"4-D", writeNPY(t, [][][][]uint8{{{{0, 1}}}}), 2, "X.npy: shape [1 1 1 2], want [T 2] or [B T 2]"},
		{"value 2", writeNPY(t, bad2), 4, "X.npy: value 2 at [1 2] is not 0 or 1"},
		{"value -1", writeNPY(t, three), 4, "X.npy: value -1 at [1 2 3] is not 0 or 1"},
		{"value 0.5", writeNPY(t, f64), 4, "X.npy: value 0.5 at [0 2] is not 0 or 1"},
		{"complex", writeNPY(t, [][]complex128{{0, 1}}), 2, "X.npy: dtype <c16, want bool, an integer or a float type"},
		{"missing", filepath.Join(t.TempDir(), "none.npy"), 2, "npyarray: open "},
		{"not npy", writeRaw(t, []byte("not an array at all")), 2, `X.npy: not an npy file (bad magic "not an")`},
		{"short", writeRaw(t, []byte("\x93NUMPY")), 2, "X.npy: 6 bytes, too short for an npy file"},
		{"version 3", writeRaw(t, append([]byte("\x93NUMPY\x03\x00\x10\x00\x00\x00"), make([]byte, 16)...)), 2,
			"X.npy: npy format version 3.0 is not supported"},
		{"huge header", writeRaw(t, append([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"), make([]byte, 16)...)), 2,
			"X.npy: npy header of 4294967295 bytes, at most 65536 allowed"},
		{"header overruns", writeRaw(t, append([]byte("\x93NUMPY\x01\x00\x00\x10"), make([]byte, 16)...)), 2,
			"X.npy: npy header of 4096 bytes overruns the 26-byte file"},
		{"header without newline", writeRaw(t, bytes.ReplaceAll(npyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2), }"), []byte("\n"), []byte(" "))), 2,
			"X.npy: bad npy header: npyio panicked: runtime error"},
		{"shape beyond data", writeRaw(t, append(npyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (100, 2), }"), 0, 1)), 2,
			"X.npy: shape [100 2] has more elements than a 130-byte file holds"},
		{"data short", writeRaw(t, append(npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }"), make([]byte, 24)...)), 2,
			"X.npy: shape [2 2] of <f8 takes 32 data bytes, the file has 24"},
		{"empty axis, absurd batch", writeRaw(t, npyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (1000000000000, 5, 0), }")), 0,
			"X.npy: shape [1000000000000 5 0] does not fit a 128-byte file"},
		{"negative axis", writeRaw(t, npyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (-1, 2), }")), 2,
			"X.npy: shape [-1 2] does not fit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadRasters(tc.path, tc.nIn)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			t.Log(err)
			if !strings.HasPrefix(err.Error(), "npyarray: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n  %v\nwant it to start with npyarray: and contain\n  %s", err, tc.want)
			}
		})
	}
}

func TestWriteSpikes(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		x       []lsnn.Raster
		batched bool
		shape   []int
	}{
		{"unbatched", rastersOf(1, 6, 5), false, []int{6, 5}},
		{"batched", rastersOf(3, 6, 5), true, []int{3, 6, 5}},
		{"batch of one", rastersOf(1, 2, 3), true, []int{1, 2, 3}},
		{"no steps", rastersOf(2, 0, 3), true, []int{2, 0, 3}},
		{"empty batch", nil, true, []int{0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".npy")
			if err := WriteSpikes(p, tc.x, tc.batched); err != nil {
				t.Fatal(err)
			}
			// npyio reads it: dtype, shape and values.
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := npy.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			if r.Header.Descr.Type != "'|u1'" || !cmp.Equal(r.Header.Descr.Shape, tc.shape) {
				t.Errorf("header %v, want |u1 %v", r.Header, tc.shape)
			}
			var flat []uint8
			if err := r.Read(&flat); err != nil {
				t.Fatal(err)
			}
			var want []uint8
			for _, x := range tc.x {
				want = append(want, x.Bits...)
			}
			if !cmp.Equal(flat, want, cmpopts.EquateEmpty()) {
				t.Errorf("data %v, want %v", flat, want)
			}
			// And ReadRasters reads it back as it was.
			if len(tc.x) == 0 {
				return
			}
			back, batched, err := ReadRasters(p, tc.x[0].W)
			if err != nil {
				t.Fatal(err)
			}
			if batched != tc.batched {
				t.Errorf("batched = %v, want %v", batched, tc.batched)
			}
			if d := cmp.Diff(tc.x, back, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	// WriteRasters is the same writer.
	p := filepath.Join(dir, "X.npy")
	in := rastersOf(2, 4, 3)
	if err := WriteRasters(p, in, true); err != nil {
		t.Fatal(err)
	}
	if back, _, err := ReadRasters(p, 3); err != nil || !cmp.Equal(in, back) {
		t.Errorf("WriteRasters then ReadRasters: %v, %v", back, err)
	}
}

func TestWriteReadout(t *testing.T) {
	dir := t.TempDir()
	y := [][]float64{{1, 2, 3, 4, 5, 6}, {-1, 0.5, math.Pi, 0, 1e-300, 7}}
	for _, tc := range []struct {
		name    string
		y       [][]float64
		batched bool
		shape   []int
	}{
		{"unbatched", y[:1], false, []int{3, 2}},
		{"batched", y, true, []int{2, 3, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".npy")
			if err := WriteReadout(p, tc.y, 3, 2, tc.batched); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if hl := int(binary.LittleEndian.Uint16(b[8:10])); (10+hl)%64 != 0 || b[9+hl] != '\n' {
				t.Errorf("header of %d bytes: want the data 64-byte aligned after a newline", hl)
			}
			r, err := npy.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if r.Header.Descr.Type != "'<f8'" || !cmp.Equal(r.Header.Descr.Shape, tc.shape) {
				t.Errorf("header %v, want <f8 %v", r.Header, tc.shape)
			}
			var flat []float64
			if err := r.Read(&flat); err != nil {
				t.Fatal(err)
			}
			var want []float64
			for _, v := range tc.y {
				want = append(want, v...)
			}
			if !cmp.Equal(flat, want) {
				t.Errorf("data %v, want %v", flat, want)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.npy")
	ragged := rastersOf(2, 4, 3)
	ragged[1] = lsnn.NewRaster(5, 3)
	broken := rastersOf(1, 4, 3)
	broken[0].Bits = broken[0].Bits[:5]
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"spikes unbatched two", WriteSpikes(p, rastersOf(2, 3, 3), false), "out.npy: an unbatched file holds exactly one raster, got 2"},
		{"spikes ragged", WriteSpikes(p, ragged, true), "out.npy: sample 1 is 5 steps x 3 channels, sample 0 is 4 x 3: a batch needs one shape"},
		{"spikes malformed", WriteSpikes(p, broken, false), "out.npy: sample 0 is malformed: 4 steps x 3 channels in 5 values"},
		{"readout unbatched two", WriteReadout(p, [][]float64{{1}, {2}}, 1, 1, false), "out.npy: an unbatched file holds exactly one sample, got 2"},
		{"readout length", WriteReadout(p, [][]float64{{1, 2}, {1, 2, 3}}, 1, 2, true), "out.npy: sample 1 has 3 values, want 1 steps x 2 readouts = 2"},
		{"no directory", WriteSpikes(filepath.Join(dir, "none", "s.npy"), rastersOf(1, 1, 1), false), "none/s.npy: atomicfile:"},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error, want %q", tc.name, tc.want)
			continue
		}
		if !strings.HasPrefix(tc.err.Error(), "npyarray: ") || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error\n  %v\nwant it to start with npyarray: and contain\n  %s", tc.name, tc.err, tc.want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed writes left files behind: %v", ents)
	}
}

// FuzzReadRasters checks that ReadRasters never panics on a hostile file and that
// its errors carry the package prefix.
func FuzzReadRasters(f *testing.F) {
	f.Add(npyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }") /* no data */, 3)
	f.Add(append(npyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }"), 0, 1, 0, 1, 1, 0), 3)
	f.Add(append(npyHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1, 2), }"), 0, 0, 0x80, 0x3f, 0, 0, 0, 0), 2)
	f.Add(append(npyHeader("{'descr': '>i2', 'fortran_order': False, 'shape': (1, 2), }"), 0, 1, 0, 0), 2)
	f.Fuzz(func(t *testing.T, b []byte, nIn int) {
		p := filepath.Join(t.TempDir(), "X.npy")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		x, _, err := ReadRasters(p, nIn)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "npyarray: ") {
				t.Fatalf("error without the npyarray: prefix: %v", err)
			}
			return
		}
		for _, r := range x {
			if r.W != nIn || len(r.Bits) != r.T*r.W {
				t.Fatalf("malformed raster: %d x %d in %d values, nIn = %d", r.T, r.W, len(r.Bits), nIn)
			}
			for _, v := range r.Bits {
				if v > 1 {
					t.Fatalf("value %d in a raster", v)
				}
			}
		}
	})
}
