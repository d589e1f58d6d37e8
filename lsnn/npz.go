package lsnn

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"codeberg.org/sbinet/npyio/npy"

	"github.com/snnc/snnc/internal/atomicfile"
)

// The .npz codec: a zip archive of .npy arrays, one per parameter, as numpy.savez and
// numpy.savez_compressed write it. docs/npz-schema.md is its specification.

// npzMembers lists the arrays of the schema, in the order WriteNPZ writes them.
var npzMembers = []string{
	"dt", "tau_out",
	"tau_m", "tau_a", "beta", "b0", "n_ref",
	"w_in", "d_in", "w_rec", "d_rec", "w_out", "b_out",
	"sign_in", "sign_rec",
}

const (
	// npyMaxHeader bounds the header of one .npy member. numpy itself refuses headers
	// longer than 10,000 bytes unless told otherwise.
	npyMaxHeader = 1 << 16
	// maxDeflateRatio bounds how many bytes deflate can produce per compressed byte
	// (a run of 258 repeated bytes costs at least 2 bits, hence about 1032:1).
	maxDeflateRatio = 1032
)

// npzTime is the modification time stamped on every member WriteNPZ writes, so that
// the same network always gives the same bytes. It is the MS-DOS epoch, the earliest
// time a zip header can hold.
var npzTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// arrayClass says which dtypes an array of the schema accepts and how its values are
// checked.
type arrayClass int

const (
	realArray    arrayClass = iota // a float or integer type (np.savez(dt=1) gives int64), finite
	integerArray                   // an integer type, or a float holding integers
)

// npzArray is one array of the archive, its values converted to float64 in C order.
type npzArray struct {
	name  string
	dtype string // as the header gives it, without quotes: "<f8", "|i1", ...
	shape []int
	v     []float64
}

// ReadNPZ reads a network from the .npz archive in r, which holds size bytes, and
// validates it. The arrays and their dtypes are specified in docs/npz-schema.md.
// Every error starts with "lsnn: npz: " and names the array concerned, except the
// *ValidationError of a network that reads well but breaks an invariant. Meta is not
// carried by the format and is left nil.
//
// The archive is treated as untrusted: no claim it makes (a member's size, an array's
// shape) is believed before it is checked against size, and malformed input gives an
// error, never a panic.
func ReadNPZ(r io.ReaderAt, size int64) (*Network, error) {
	if size < 0 {
		return nil, fmt.Errorf("lsnn: npz: negative archive size %d", size)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("lsnn: npz: not a zip archive: %v", err)
	}
	d := &npzDecoder{size: size, members: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		key := strings.TrimSuffix(f.Name, ".npy")
		if !isNPZMember(key) {
			return nil, fmt.Errorf("lsnn: npz: unknown array %q (the schema has %s)", f.Name, strings.Join(npzMembers, ", "))
		}
		if _, dup := d.members[key]; dup {
			return nil, fmt.Errorf("lsnn: npz: array %s appears twice", key)
		}
		d.members[key] = f
	}
	return d.network()
}

// ReadNPZFile reads and validates a network from the .npz file at path (see ReadNPZ).
func ReadNPZFile(path string) (*Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lsnn: npz: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("lsnn: npz: %w", err)
	}
	return ReadNPZ(f, st.Size())
}

func isNPZMember(name string) bool {
	for _, m := range npzMembers {
		if m == name {
			return true
		}
	}
	return false
}

type npzDecoder struct {
	size    int64
	members map[string]*zip.File
}

// network reads every array, checks shapes against one another, and builds and
// validates the network.
func (d *npzDecoder) network() (*Network, error) {
	tauM, err := d.require("tau_m", realArray)
	if err != nil {
		return nil, err
	}
	if len(tauM.shape) != 1 {
		return nil, fmt.Errorf("lsnn: npz: tau_m has shape %v, want [N] (one entry per neuron)", tauM.shape)
	}
	N := tauM.shape[0]
	if N > MaxNeurons {
		return nil, fmt.Errorf("lsnn: npz: tau_m has %d entries, at most %d neurons are allowed", N, MaxNeurons)
	}
	fromN := fmt.Sprintf("N = %d from tau_m", N)

	dt, err := d.scalar("dt")
	if err != nil {
		return nil, err
	}
	tauOut, err := d.scalar("tau_out")
	if err != nil {
		return nil, err
	}
	var per [3]*npzArray
	for k, name := range []string{"tau_a", "beta", "b0"} {
		a, err := d.require(name, realArray)
		if err != nil {
			return nil, err
		}
		if err := a.wantShape(fromN, N); err != nil {
			return nil, err
		}
		per[k] = a
	}
	tauA, beta, b0 := per[0], per[1], per[2]

	nRef, err := d.require("n_ref", integerArray)
	if err != nil {
		return nil, err
	}
	if len(nRef.shape) != 0 && !npzShapeIs(nRef.shape, N) {
		return nil, fmt.Errorf("lsnn: npz: n_ref has shape %v, want [] or [%d] (%s)", nRef.shape, N, fromN)
	}
	for k, v := range nRef.v {
		if err := nRef.checkInt(k, v, 0, MaxRefractory); err != nil {
			return nil, err
		}
	}

	wIn, err := d.require("w_in", realArray)
	if err != nil {
		return nil, err
	}
	if len(wIn.shape) != 2 || wIn.shape[1] != N {
		return nil, fmt.Errorf("lsnn: npz: w_in has shape %v, want [n_in %d] (%s)", wIn.shape, N, fromN)
	}
	nIn := wIn.shape[0]
	if nIn > MaxNeurons {
		return nil, fmt.Errorf("lsnn: npz: w_in has %d rows, at most %d input channels are allowed", nIn, MaxNeurons)
	}
	fromIn := fmt.Sprintf("n_in = %d from w_in", nIn)

	wRec, err := d.require("w_rec", realArray)
	if err != nil {
		return nil, err
	}
	if err := wRec.wantShape(fromN, N, N); err != nil {
		return nil, err
	}

	wOut, err := d.require("w_out", realArray)
	if err != nil {
		return nil, err
	}
	if len(wOut.shape) != 2 || wOut.shape[0] != N {
		return nil, fmt.Errorf("lsnn: npz: w_out has shape %v, want [%d n_out] (%s)", wOut.shape, N, fromN)
	}
	nOut := wOut.shape[1]
	if nOut > MaxNeurons {
		return nil, fmt.Errorf("lsnn: npz: w_out has %d columns, at most %d readouts are allowed", nOut, MaxNeurons)
	}
	bOut, err := d.require("b_out", realArray)
	if err != nil {
		return nil, err
	}
	if err := bOut.wantShape(fmt.Sprintf("n_out = %d from w_out", nOut), nOut); err != nil {
		return nil, err
	}

	dIn, err := d.delays("d_in", wIn, 0, fromIn+", "+fromN)
	if err != nil {
		return nil, err
	}
	dRec, err := d.delays("d_rec", wRec, 1, fromN)
	if err != nil {
		return nil, err
	}
	signIn, err := d.signs("sign_in", nIn, fromIn)
	if err != nil {
		return nil, err
	}
	signRec, err := d.signs("sign_rec", N, fromN)
	if err != nil {
		return nil, err
	}

	net := &Network{Dt: dt, TauOut: tauOut, Neurons: make([]Neuron, N), BOut: bOut.v, SignIn: signIn, SignRec: signRec}
	for j := range net.Neurons {
		r := nRef.v[0]
		if len(nRef.shape) == 1 {
			r = nRef.v[j]
		}
		net.Neurons[j] = Neuron{TauM: tauM.v[j], TauA: tauA.v[j], Beta: beta.v[j], B0: b0.v[j], NRef: int(r)}
	}
	net.In = sparseFromDense(nIn, N, wIn.v, dIn)
	net.Rec = sparseFromDense(N, N, wRec.v, dRec)
	net.Out = sparseFromDense(N, nOut, wOut.v, nil)
	if err := net.Validate(); err != nil {
		return nil, err
	}
	return net, nil
}

// require reads an array the schema needs.
func (d *npzDecoder) require(name string, class arrayClass) (*npzArray, error) {
	a, err := d.load(name, class)
	if err == nil && a == nil {
		err = fmt.Errorf("lsnn: npz: missing array %s", name)
	}
	return a, err
}

// scalar reads a required 0-d real array.
func (d *npzDecoder) scalar(name string) (float64, error) {
	a, err := d.require(name, realArray)
	if err != nil {
		return 0, err
	}
	if len(a.shape) != 0 {
		return 0, fmt.Errorf("lsnn: npz: %s has shape %v, want [] (a scalar, in ms)", name, a.shape)
	}
	return a.v[0], nil
}

// sparseFromDense builds the matrix of the nonzero weights of the dense row-major
// rows x cols array w, with the delays at the same places in d when d is not nil. It
// does what MatrixFromDense does, without the intermediate list of synapses, which
// would cost several times the memory of the weights for a large dense matrix.
func sparseFromDense(rows, cols int, w []float64, d []uint16) Matrix {
	nnz := 0
	for _, v := range w {
		if v != 0 {
			nnz++
		}
	}
	m := Matrix{Rows: rows, Cols: cols, RowStart: make([]int, rows+1),
		Col: make([]int32, 0, nnz), Weight: make([]float64, 0, nnz)}
	if d != nil {
		m.Delay = make([]uint16, 0, nnz)
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			k := i*cols + j
			if w[k] == 0 {
				continue
			}
			m.Col = append(m.Col, int32(j))
			m.Weight = append(m.Weight, w[k])
			if d != nil {
				m.Delay = append(m.Delay, d[k])
			}
		}
		m.RowStart[i+1] = len(m.Col)
	}
	return m
}

// delays reads the optional delay array that goes with the weights w. Only the delays
// of synapses (nonzero weights) are checked and kept; when the array is absent every
// synapse gets delay def.
func (d *npzDecoder) delays(name string, w *npzArray, def uint16, why string) ([]uint16, error) {
	a, err := d.load(name, integerArray)
	if err != nil {
		return nil, err
	}
	if a != nil {
		if err := a.wantShape(why, w.shape...); err != nil {
			return nil, err
		}
	}
	out := make([]uint16, len(w.v))
	for k, wv := range w.v {
		if wv == 0 {
			continue
		}
		if a == nil {
			out[k] = def
			continue
		}
		if err := a.checkInt(k, a.v[k], 0, MaxDelay); err != nil {
			return nil, err
		}
		out[k] = uint16(a.v[k])
	}
	return out, nil
}

// signs reads an optional sign array of n entries, each +1 or -1; nil when absent.
func (d *npzDecoder) signs(name string, n int, why string) ([]int8, error) {
	a, err := d.load(name, integerArray)
	if err != nil || a == nil {
		return nil, err
	}
	if err := a.wantShape(why, n); err != nil {
		return nil, err
	}
	out := make([]int8, n)
	for k, v := range a.v {
		if v != 1 && v != -1 {
			return nil, fmt.Errorf("lsnn: npz: %s = %v, want +1 or -1", a.at(k), v)
		}
		out[k] = int8(v)
	}
	return out, nil
}

func npzShapeIs(got []int, want ...int) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// wantShape checks the array's shape; why says where the expected sizes come from.
func (a *npzArray) wantShape(why string, want ...int) error {
	if npzShapeIs(a.shape, want...) {
		return nil
	}
	return fmt.Errorf("lsnn: npz: %s has shape %v, want %v (%s)", a.name, a.shape, want, why)
}

// at names element k (a C-order flat index) of the array: "w_rec[3,4]", "tau_m[2]",
// or just "dt" for a scalar.
func (a *npzArray) at(k int) string {
	if len(a.shape) == 0 {
		return a.name
	}
	idx := make([]string, len(a.shape))
	for i := len(a.shape) - 1; i >= 0; i-- {
		idx[i] = strconv.Itoa(k % a.shape[i])
		k /= a.shape[i]
	}
	return a.name + "[" + strings.Join(idx, ",") + "]"
}

// checkInt checks that element k, of value v, is an integer in lo..hi.
func (a *npzArray) checkInt(k int, v float64, lo, hi int) error {
	if v != math.Trunc(v) || math.IsInf(v, 0) {
		return fmt.Errorf("lsnn: npz: %s = %v is not an integer", a.at(k), v)
	}
	if v < float64(lo) || v > float64(hi) {
		return fmt.Errorf("lsnn: npz: %s = %v out of range %d..%d", a.at(k), v, lo, hi)
	}
	return nil
}

// load reads the named array, or returns nil, nil when the archive does not hold it.
func (d *npzDecoder) load(name string, class arrayClass) (*npzArray, error) {
	f, ok := d.members[name]
	if !ok {
		return nil, nil
	}
	// A zip member can claim any size: bound the claim by what the archive's bytes can
	// hold before anything is allocated from it.
	if f.CompressedSize64 > uint64(d.size) {
		return nil, fmt.Errorf("lsnn: npz: %s: zip member claims %d compressed bytes in a %d-byte archive", name, f.CompressedSize64, d.size)
	}
	limit := f.CompressedSize64
	switch f.Method {
	case zip.Store:
	case zip.Deflate:
		if limit > (math.MaxUint64-64)/maxDeflateRatio {
			limit = math.MaxUint64
		} else {
			limit = limit*maxDeflateRatio + 64
		}
	default:
		return nil, fmt.Errorf("lsnn: npz: %s: unsupported zip compression method %d (want stored or deflated)", name, f.Method)
	}
	if f.UncompressedSize64 > limit {
		return nil, fmt.Errorf("lsnn: npz: %s: zip member claims %d bytes, more than its %d compressed bytes can hold", name, f.UncompressedSize64, f.CompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("lsnn: npz: %s: %v", name, err)
	}
	defer rc.Close()
	r := bufio.NewReader(rc)
	a, err := readNPY(name, r, f.UncompressedSize64, class)
	if err != nil {
		return nil, err
	}
	// Read to the end of the member: archive/zip checks the CRC only there.
	if n, err := io.Copy(io.Discard, r); err != nil || n != 0 {
		if err == nil {
			err = fmt.Errorf("%d bytes after the array data", n)
		}
		return nil, fmt.Errorf("lsnn: npz: %s: %v", name, err)
	}
	return a, nil
}

// readNPY decodes one .npy member of total bytes from r.
func readNPY(name string, r io.Reader, total uint64, class arrayClass) (*npzArray, error) {
	fail := func(format string, args ...any) (*npzArray, error) {
		return nil, fmt.Errorf("lsnn: npz: "+name+": "+format, args...)
	}
	// The fixed prefix: magic, version, header length. It is read here, and not left to
	// npyio, so that the header length is checked before a buffer is made for it.
	var pre [12]byte
	if total < 10 {
		return fail("%d bytes, too short for an npy array", total)
	}
	if _, err := io.ReadFull(r, pre[:10]); err != nil {
		return fail("reading the npy header: %v", err)
	}
	if !bytes.Equal(pre[:6], npy.Magic[:]) {
		return fail("not an npy array (bad magic %q)", pre[:6])
	}
	var prefix int
	var hdrLen uint64
	switch pre[6] {
	case 1:
		prefix, hdrLen = 10, uint64(binary.LittleEndian.Uint16(pre[8:10]))
	case 2:
		if total < 12 {
			return fail("%d bytes, too short for an npy 2.0 array", total)
		}
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return fail("reading the npy header: %v", err)
		}
		prefix, hdrLen = 12, uint64(binary.LittleEndian.Uint32(pre[8:12]))
	default:
		return fail("npy format version %d.%d is not supported (want 1.0 or 2.0)", pre[6], pre[7])
	}
	if hdrLen > npyMaxHeader {
		return fail("npy header of %d bytes, at most %d allowed", hdrLen, npyMaxHeader)
	}
	if uint64(prefix)+hdrLen > total {
		return fail("npy header of %d bytes overruns the %d-byte member", hdrLen, total)
	}
	head := make([]byte, prefix+int(hdrLen))
	copy(head, pre[:prefix])
	if _, err := io.ReadFull(r, head[prefix:]); err != nil {
		return fail("reading the npy header: %v", err)
	}
	dataBytes := total - uint64(len(head))

	var rr *npy.Reader
	err := npyioGuard(func() (err error) {
		rr, err = npy.NewReader(io.MultiReader(bytes.NewReader(head), r))
		return err
	})
	if err != nil {
		return fail("bad npy header: %v", err)
	}
	h := rr.Header.Descr
	a := &npzArray{name: name, dtype: strings.Trim(h.Type, "'"), shape: h.Shape}
	if a.shape == nil {
		a.shape = []int{}
	}
	kind, size, ok := parseDtype(a.dtype)
	if !ok || kind == 'b' {
		want := "a float or integer type"
		if class == integerArray {
			want = "int32, int64 or a float holding integers"
		}
		return nil, fmt.Errorf("lsnn: npz: %s has dtype %s, want %s", name, h.Type, want)
	}
	n := uint64(1)
	for _, dim := range a.shape {
		if dim < 0 {
			return fail("npy header has a negative dimension in shape %v", a.shape)
		}
		if dim != 0 && n > math.MaxUint64/uint64(dim) {
			return fail("npy header shape %v is too large", a.shape)
		}
		n *= uint64(dim)
	}
	if n > math.MaxUint64/uint64(size) || n*uint64(size) != dataBytes {
		return fail("npy header says shape %v of %s, which takes %d elements of %d bytes, but the member holds %d data bytes", a.shape, h.Type, n, size, dataBytes)
	}

	if err := npyioGuard(func() (err error) { a.v, err = readNPYValues(rr, kind, size); return err }); err != nil {
		return fail("reading the data: %v", err)
	}
	if h.Fortran && len(a.shape) == 2 {
		// Column-major data, as numpy writes a transposed array: bring it to C order.
		rows, cols := a.shape[0], a.shape[1]
		c := make([]float64, len(a.v))
		for j := 0; j < cols; j++ {
			for i := 0; i < rows; i++ {
				c[i*cols+j] = a.v[j*rows+i]
			}
		}
		a.v = c
	}
	if class == realArray {
		for k, v := range a.v {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("lsnn: npz: %s is %v, want a finite value", a.at(k), v)
			}
		}
	}
	return a, nil
}

// npyioGuard calls f, which calls npyio, and turns a panic in it into an error.
//
// npyio trusts the header it parses: on some malformed ones (a header that does not
// end in a newline, dictionary keys out of their usual order) it slices out of range
// and panics instead of returning an error. Its state is confined to the reader of
// the one member being decoded, so nothing is left inconsistent, and the recover is
// kept this narrow: around the npyio calls only, never around snnc's own code. The
// inputs that showed it are kept in testdata/fuzz/FuzzReadNPZ/npyio-*.
func npyioGuard(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("npyio panicked: %v", p)
		}
	}()
	return f()
}

// parseDtype reads a numpy dtype string of a plain number type, "<f8", "|i1", ">u2",
// and returns its kind ('b', 'i', 'u' or 'f') and size in bytes.
func parseDtype(s string) (kind byte, size int, ok bool) {
	if len(s) != 3 {
		return 0, 0, false
	}
	order, kind := s[0], s[1]
	size = int(s[2] - '0')
	switch {
	case kind == 'b' && size == 1, kind == 'i' || kind == 'u':
		if size != 1 && size != 2 && size != 4 && size != 8 {
			return 0, 0, false
		}
	case kind == 'f':
		if size != 4 && size != 8 {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	switch order {
	case '<', '>':
	case '|':
		if size != 1 {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	return kind, size, true
}

// readNPYValues reads the array data with npyio and converts it to float64. The dtype
// has been checked by parseDtype and the length against the member size.
func readNPYValues(rr *npy.Reader, kind byte, size int) ([]float64, error) {
	switch kind {
	case 'f':
		if size == 4 {
			var s []float32
			return npzFloat64s(s, rr.Read(&s))
		}
		var s []float64
		return npzFloat64s(s, rr.Read(&s))
	case 'i':
		switch size {
		case 1:
			var s []int8
			return npzFloat64s(s, rr.Read(&s))
		case 2:
			var s []int16
			return npzFloat64s(s, rr.Read(&s))
		case 4:
			var s []int32
			return npzFloat64s(s, rr.Read(&s))
		default:
			var s []int64
			return npzFloat64s(s, rr.Read(&s))
		}
	case 'u':
		switch size {
		case 1:
			var s []uint8
			return npzFloat64s(s, rr.Read(&s))
		case 2:
			var s []uint16
			return npzFloat64s(s, rr.Read(&s))
		case 4:
			var s []uint32
			return npzFloat64s(s, rr.Read(&s))
		default:
			var s []uint64
			return npzFloat64s(s, rr.Read(&s))
		}
	}
	return nil, fmt.Errorf("unsupported dtype kind %q", kind)
}

type npzNumber interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

func npzFloat64s[T npzNumber](s []T, err error) ([]float64, error) {
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out, nil
}

// WriteNPZ validates the network and writes it to w as an .npz archive (see
// docs/npz-schema.md): float64 parameters and weights, int64 delays and refractory
// periods, int8 signs when the network has them. Meta is not written. The same network
// always gives the same bytes: members come in a fixed order, each deflated and
// stamped with a fixed time.
func WriteNPZ(w io.Writer, n *Network) error {
	if err := n.Validate(); err != nil {
		return err
	}
	N, nIn, nOut := n.N(), n.NIn(), n.NOut()
	col := func(get func(Neuron) float64) []float64 {
		out := make([]float64, N)
		for j, nr := range n.Neurons {
			out[j] = get(nr)
		}
		return out
	}
	nRef := make([]int64, N)
	for j, nr := range n.Neurons {
		nRef[j] = int64(nr.NRef)
	}
	wIn, dIn := n.In.Dense()
	wRec, dRec := n.Rec.Dense()
	wOut, _ := n.Out.Dense()

	zw := zip.NewWriter(w)
	for _, name := range npzMembers {
		var a npyOut
		switch name {
		case "dt":
			a = npyOut{descr: "<f8", f64: []float64{n.Dt}}
		case "tau_out":
			a = npyOut{descr: "<f8", f64: []float64{n.TauOut}}
		case "tau_m":
			a = npyOut{descr: "<f8", shape: []int{N}, f64: col(func(nr Neuron) float64 { return nr.TauM })}
		case "tau_a":
			a = npyOut{descr: "<f8", shape: []int{N}, f64: col(func(nr Neuron) float64 { return nr.TauA })}
		case "beta":
			a = npyOut{descr: "<f8", shape: []int{N}, f64: col(func(nr Neuron) float64 { return nr.Beta })}
		case "b0":
			a = npyOut{descr: "<f8", shape: []int{N}, f64: col(func(nr Neuron) float64 { return nr.B0 })}
		case "n_ref":
			a = npyOut{descr: "<i8", shape: []int{N}, i64: nRef}
		case "w_in":
			a = npyOut{descr: "<f8", shape: []int{nIn, N}, f64: wIn}
		case "d_in":
			a = npyOut{descr: "<i8", shape: []int{nIn, N}, i64: npzInt64s(dIn)}
		case "w_rec":
			a = npyOut{descr: "<f8", shape: []int{N, N}, f64: wRec}
		case "d_rec":
			a = npyOut{descr: "<i8", shape: []int{N, N}, i64: npzInt64s(dRec)}
		case "w_out":
			a = npyOut{descr: "<f8", shape: []int{N, nOut}, f64: wOut}
		case "b_out":
			a = npyOut{descr: "<f8", shape: []int{nOut}, f64: n.BOut}
		case "sign_in", "sign_rec":
			s := n.SignIn
			if name == "sign_rec" {
				s = n.SignRec
			}
			if s == nil {
				continue
			}
			a = npyOut{descr: "|i1", shape: []int{len(s)}, i8: s}
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Deflate, Modified: npzTime})
		if err != nil {
			return fmt.Errorf("lsnn: npz: %s: %w", name, err)
		}
		if err := a.write(fw); err != nil {
			return fmt.Errorf("lsnn: npz: %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("lsnn: npz: %w", err)
	}
	return nil
}

// WriteNPZFile writes the network to path as an .npz archive (see WriteNPZ),
// atomically: on any error an existing file at path is left as it was.
func WriteNPZFile(path string, n *Network) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return WriteNPZ(w, n) })
}

func npzInt64s(d []int) []int64 {
	out := make([]int64, len(d))
	for i, v := range d {
		out[i] = int64(v)
	}
	return out
}

// npyOut is one array to write: a dtype, a C-order shape, and the values in exactly
// one of f64, i64 and i8.
type npyOut struct {
	descr string
	shape []int
	f64   []float64
	i64   []int64
	i8    []int8
}

// write writes the array in .npy format 1.0, as numpy writes it: the header is padded
// with spaces and ended by a newline so that the data starts at a multiple of 64
// bytes. (npy.Write is not used: it drops axes of length zero, so an empty b_out
// would come out as a scalar without data, and it is slow on large arrays.)
func (a *npyOut) write(w io.Writer) error {
	dims := make([]string, len(a.shape))
	for i, d := range a.shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := "(" + strings.Join(dims, ", ") + ")"
	if len(a.shape) == 1 {
		shape = "(" + dims[0] + ",)"
	}
	dict := "{'descr': '" + a.descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
	hdrLen := len(dict) + 1
	hdrLen += (64 - (10+hdrLen)%64) % 64
	if hdrLen > math.MaxUint16 {
		return fmt.Errorf("npy header of %d bytes is too long", hdrLen)
	}
	buf := make([]byte, 0, 64<<10)
	buf = append(buf, npy.Magic[:]...)
	buf = append(buf, 1, 0)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(hdrLen))
	buf = append(buf, dict...)
	for len(buf) < 10+hdrLen-1 {
		buf = append(buf, ' ')
	}
	buf = append(buf, '\n')
	flush := func(force bool) error {
		if len(buf) < cap(buf)-8 && !force {
			return nil
		}
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	for _, v := range a.f64 {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		if err := flush(false); err != nil {
			return err
		}
	}
	for _, v := range a.i64 {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
		if err := flush(false); err != nil {
			return err
		}
	}
	for _, v := range a.i8 {
		buf = append(buf, byte(v))
		if err := flush(false); err != nil {
			return err
		}
	}
	return flush(true)
}
