package npyarray

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"

	"github.com/snnc/snnc/internal/atomicfile"
	"github.com/snnc/snnc/lsnn"
)

// maxHeader bounds the header of an .npy file. numpy itself refuses headers longer
// than 10,000 bytes unless told otherwise.
const maxHeader = 1 << 16

// ReadRasters reads X.npy of shape [T, nIn] or [B, T, nIn] with 0/1 values (uint8,
// bool, int types or float types; any value other than 0 or 1 is an error naming the
// index) into rasters; batched reports whether the file had the B axis.
func ReadRasters(path string, nIn int) (x []lsnn.Raster, batched bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("npyarray: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("npyarray: %w", err)
	}
	fail := func(format string, args ...any) ([]lsnn.Raster, bool, error) {
		return nil, false, fmt.Errorf("npyarray: "+strings.ReplaceAll(path, "%", "%%")+": "+format, args...)
	}
	size := st.Size()
	r := bufio.NewReader(f)
	h, headLen, err := readHeader(r, size)
	if err != nil {
		return fail("%v", err)
	}
	dt, ok := parseDtype(h.Type)
	if !ok {
		return fail("dtype %s, want bool, an integer or a float type", h.Type)
	}
	shape := h.Shape
	switch {
	case len(shape) == 2 && shape[1] == nIn:
	case len(shape) == 3 && shape[2] == nIn:
		batched = true
	case len(shape) == 2 || len(shape) == 3:
		return fail("%d channels (shape %v), want %d", shape[len(shape)-1], shape, nIn)
	default:
		return fail("shape %v, want [T %d] or [B T %d]", shape, nIn, nIn)
	}
	n := uint64(1)
	for _, d := range shape {
		// No axis may be longer than the file has bytes: this bounds what a shape
		// with a zero-length axis (hence no data) can make us allocate.
		if d < 0 || int64(d) > size {
			return fail("shape %v does not fit a %d-byte file", shape, size)
		}
		if d != 0 && n > uint64(size)/uint64(d) {
			return fail("shape %v has more elements than a %d-byte file holds", shape, size)
		}
		n *= uint64(d)
	}
	if data := uint64(size - headLen); n*uint64(dt.size) != data {
		return fail("shape %v of %s takes %d data bytes, the file has %d", shape, h.Type, n*uint64(dt.size), data)
	}

	// Decode in file order, into C order.
	B, T := 1, shape[0]
	if batched {
		B, T = shape[0], shape[1]
	}
	x = make([]lsnn.Raster, B)
	for b := range x {
		x[b] = lsnn.NewRaster(T, nIn)
	}
	idx := make([]int, len(shape)) // the index of the element being read, in file order
	buf := make([]byte, dt.size)
	for k := uint64(0); k < n; k++ {
		if _, err := io.ReadFull(r, buf); err != nil {
			return fail("reading the data: %v", err)
		}
		bit, ok := dt.bit(buf)
		if !ok {
			return fail("value %s at %v is not 0 or 1", dt.format(buf), idx)
		}
		if batched {
			x[idx[0]].Bits[idx[1]*nIn+idx[2]] = bit
		} else {
			x[0].Bits[idx[0]*nIn+idx[1]] = bit
		}
		next(idx, shape, h.Fortran)
	}
	return x, batched, nil
}

// next advances idx to the next element of an array of the given shape stored in C
// order (last axis fastest) or Fortran order (first axis fastest).
func next(idx, shape []int, fortran bool) {
	for a := range idx {
		if !fortran {
			a = len(idx) - 1 - a
		}
		idx[a]++
		if idx[a] < shape[a] {
			return
		}
		idx[a] = 0
	}
}

// header is what ReadRasters needs of an .npy header.
type header struct {
	Type    string // dtype without quotes: "<f8", "|u1", ...
	Fortran bool
	Shape   []int
}

// readHeader reads the header of an .npy file of size bytes and returns it with its
// length in bytes. The fixed prefix is read here, not by npyio, so that the header
// length is checked before a buffer is made for it; npyio then parses the header.
func readHeader(r io.Reader, size int64) (header, int64, error) {
	var pre [12]byte
	if size < 10 {
		return header{}, 0, fmt.Errorf("%d bytes, too short for an npy file", size)
	}
	if _, err := io.ReadFull(r, pre[:10]); err != nil {
		return header{}, 0, fmt.Errorf("reading the npy header: %v", err)
	}
	if !bytes.Equal(pre[:6], npy.Magic[:]) {
		return header{}, 0, fmt.Errorf("not an npy file (bad magic %q)", pre[:6])
	}
	var prefix, hdrLen int64
	switch pre[6] {
	case 1:
		prefix, hdrLen = 10, int64(binary.LittleEndian.Uint16(pre[8:10]))
	case 2:
		if size < 12 {
			return header{}, 0, fmt.Errorf("%d bytes, too short for an npy 2.0 file", size)
		}
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return header{}, 0, fmt.Errorf("reading the npy header: %v", err)
		}
		prefix, hdrLen = 12, int64(binary.LittleEndian.Uint32(pre[8:12]))
	default:
		return header{}, 0, fmt.Errorf("npy format version %d.%d is not supported (want 1.0 or 2.0)", pre[6], pre[7])
	}
	if hdrLen > maxHeader {
		return header{}, 0, fmt.Errorf("npy header of %d bytes, at most %d allowed", hdrLen, maxHeader)
	}
	if prefix+hdrLen > size {
		return header{}, 0, fmt.Errorf("npy header of %d bytes overruns the %d-byte file", hdrLen, size)
	}
	head := make([]byte, prefix+hdrLen)
	copy(head, pre[:prefix])
	if _, err := io.ReadFull(r, head[prefix:]); err != nil {
		return header{}, 0, fmt.Errorf("reading the npy header: %v", err)
	}
	var rr *npy.Reader
	err := func() (err error) {
		// npyio trusts the header it parses: on some malformed ones (no closing
		// newline, keys out of their usual order) it slices out of range and panics.
		// Its state is confined to this one reader; recover here, around that call
		// only, and report the file as malformed.
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("npyio panicked: %v", p)
			}
		}()
		rr, err = npy.NewReader(bytes.NewReader(head))
		return err
	}()
	if err != nil {
		return header{}, 0, fmt.Errorf("bad npy header: %v", err)
	}
	d := rr.Header.Descr
	return header{Type: strings.Trim(d.Type, "'"), Fortran: d.Fortran, Shape: d.Shape}, prefix + hdrLen, nil
}

// dtype is a plain numpy number type.
type dtype struct {
	kind  byte // 'b', 'i', 'u' or 'f'
	size  int
	order binary.ByteOrder
}

// parseDtype reads "<f8", "|b1", ">i2" and the like.
func parseDtype(s string) (dtype, bool) {
	if len(s) != 3 {
		return dtype{}, false
	}
	dt := dtype{kind: s[1], size: int(s[2] - '0'), order: binary.LittleEndian}
	switch {
	case dt.kind == 'b' && dt.size == 1:
	case (dt.kind == 'i' || dt.kind == 'u') && (dt.size == 1 || dt.size == 2 || dt.size == 4 || dt.size == 8):
	case dt.kind == 'f' && (dt.size == 2 || dt.size == 4 || dt.size == 8):
	default:
		return dtype{}, false
	}
	switch s[0] {
	case '<':
	case '>':
		dt.order = binary.BigEndian
	case '|':
		if dt.size != 1 {
			return dtype{}, false
		}
	default:
		return dtype{}, false
	}
	return dt, true
}

// bits returns the raw bits of an element, in the host's view.
func (dt dtype) bits(b []byte) uint64 {
	switch dt.size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(dt.order.Uint16(b))
	case 4:
		return uint64(dt.order.Uint32(b))
	default:
		return dt.order.Uint64(b)
	}
}

// bit returns the element as 0 or 1, and false when it is neither.
func (dt dtype) bit(b []byte) (uint8, bool) {
	v := dt.bits(b)
	if dt.kind != 'f' {
		// Booleans and integers of every width and signedness: only 0 and 1.
		switch v {
		case 0:
			return 0, true
		case 1:
			return 1, true
		}
		return 0, false
	}
	sign := uint64(1) << (8*dt.size - 1)
	var one uint64
	switch dt.size {
	case 2:
		one = 0x3c00
	case 4:
		one = uint64(math.Float32bits(1))
	default:
		one = math.Float64bits(1)
	}
	switch v {
	case 0, sign: // +0.0 and -0.0
		return 0, true
	case one:
		return 1, true
	}
	return 0, false
}

// format writes an element for an error message.
func (dt dtype) format(b []byte) string {
	v := dt.bits(b)
	switch dt.kind {
	case 'i':
		shift := 64 - 8*dt.size
		return strconv.FormatInt(int64(v<<shift)>>shift, 10)
	case 'f':
		switch dt.size {
		case 2:
			return fmt.Sprintf("float16 0x%04x", v)
		case 4:
			return strconv.FormatFloat(float64(math.Float32frombits(uint32(v))), 'g', -1, 32)
		default:
			return strconv.FormatFloat(math.Float64frombits(v), 'g', -1, 64)
		}
	}
	return strconv.FormatUint(v, 10)
}

// WriteSpikes writes uint8 [T, N] (batched=false, exactly one raster) or [B, T, N].
// All rasters of a batch must have the same shape; an empty batch is written as
// [0, 0, 0].
func WriteSpikes(path string, s []lsnn.Raster, batched bool) error {
	if !batched && len(s) != 1 {
		return fmt.Errorf("npyarray: %s: an unbatched file holds exactly one raster, got %d", path, len(s))
	}
	var T, W int
	for b, r := range s {
		if b == 0 {
			T, W = r.T, r.W
		}
		if r.T < 0 || r.W < 0 || len(r.Bits) != r.T*r.W {
			return fmt.Errorf("npyarray: %s: sample %d is malformed: %d steps x %d channels in %d values", path, b, r.T, r.W, len(r.Bits))
		}
		if r.T != T || r.W != W {
			return fmt.Errorf("npyarray: %s: sample %d is %d steps x %d channels, sample 0 is %d x %d: a batch needs one shape", path, b, r.T, r.W, T, W)
		}
	}
	shape := []int{T, W}
	if batched {
		shape = []int{len(s), T, W}
	}
	return write(path, "|u1", shape, func(w *bufio.Writer) error {
		for _, r := range s {
			for _, v := range r.Bits {
				if v != 0 {
					v = 1
				}
				if err := w.WriteByte(v); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// WriteRasters writes input rasters in the form ReadRasters reads: it is WriteSpikes.
func WriteRasters(path string, x []lsnn.Raster, batched bool) error {
	return WriteSpikes(path, x, batched)
}

// WriteReadout writes float64 [T, nOut] (batched=false, exactly one sample) or
// [B, T, nOut] from per-sample row-major slices of T*nOut values.
func WriteReadout(path string, y [][]float64, T, nOut int, batched bool) error {
	if !batched && len(y) != 1 {
		return fmt.Errorf("npyarray: %s: an unbatched file holds exactly one sample, got %d", path, len(y))
	}
	if T < 0 || nOut < 0 {
		return fmt.Errorf("npyarray: %s: negative shape %d steps x %d readouts", path, T, nOut)
	}
	for b, v := range y {
		if len(v) != T*nOut {
			return fmt.Errorf("npyarray: %s: sample %d has %d values, want %d steps x %d readouts = %d", path, b, len(v), T, nOut, T*nOut)
		}
	}
	shape := []int{T, nOut}
	if batched {
		shape = []int{len(y), T, nOut}
	}
	return write(path, "<f8", shape, func(w *bufio.Writer) error {
		var b [8]byte
		for _, v := range y {
			for _, x := range v {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
				if _, err := w.Write(b[:]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// write writes an .npy file atomically: a format 1.0 header as numpy writes it
// (padded with spaces and ended by a newline so that the data starts at a multiple of
// 64 bytes), then the data that fill writes.
func write(path, descr string, shape []int, fill func(*bufio.Writer) error) error {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	dict := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple + ", }"
	hdrLen := len(dict) + 1
	hdrLen += (64 - (10+hdrLen)%64) % 64
	err := atomicfile.Write(path, 0o644, func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 64<<10)
		w.Write(npy.Magic[:])
		w.Write([]byte{1, 0, byte(hdrLen), byte(hdrLen >> 8)})
		w.WriteString(dict)
		w.WriteString(strings.Repeat(" ", hdrLen-len(dict)-1))
		w.WriteByte('\n')
		if err := fill(w); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		return fmt.Errorf("npyarray: %s: %w", path, err)
	}
	return nil
}
