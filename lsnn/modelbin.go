package lsnn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/snnc/snnc/internal/atomicfile"
)

// model.bin is snnc's native model file. docs/model-format.md is its specification;
// the constants below mirror it.
//
// A file is a fixed header, a sequence of sections in a fixed order, and a CRC32 of
// everything before it:
//
//	header   magic "SNNCMODL", version u32, section count u32, file length u64
//	section  tag [4]byte, payload length u64, CRC32 of the payload u32, payload
//	trailer  CRC32 (IEEE) of all preceding bytes, u32
//
// All integers and floats are little-endian; floats are IEEE 754 binary64 bit patterns.
const (
	modelMagic             = "SNNCMODL"
	modelVersion           = 1
	modelHeaderSize        = 24 // magic, version, section count, file length
	modelSectionHeaderSize = 16 // tag, payload length, payload CRC
	modelTrailerSize       = 4  // CRC32 of the whole file before it
	modelHeadSize          = 32 // dt, tau_out, n_in, n, n_out, flags
	modelNeuronSize        = 36 // tau_m, tau_a, beta, b0 (float64), n_ref (uint32)
	modelMatrixFixedSize   = 12 // flags u32, nnz u64
)

// Section tags, in the only order a file may hold them.
const (
	tagHead    = "HEAD"
	tagNeurons = "NEUR"
	tagWIn     = "WIN "
	tagWRec    = "WREC"
	tagWOut    = "WOUT"
	tagBOut    = "BOUT"
	tagSignIn  = "SGNI"
	tagSignRec = "SGNR"
	tagMeta    = "META"
)

var modelSectionOrder = [...]string{tagHead, tagNeurons, tagWIn, tagWRec, tagWOut, tagBOut, tagSignIn, tagSignRec, tagMeta}

// Header flags: which optional sections the file holds.
const (
	hflagBOut    = 1 << 0 // BOUT present (b_out is not nil); required when n_out > 0
	hflagSignIn  = 1 << 1 // SGNI present (sign_in is not nil)
	hflagSignRec = 1 << 2 // SGNR present (sign_rec is not nil)
	hflagMeta    = 1 << 3 // META present (Meta is not nil)
	hflagsKnown  = hflagBOut | hflagSignIn | hflagSignRec | hflagMeta
)

// Matrix flags: which arrays a matrix holds. The delay bit decides whether delays are
// stored; the column and weight bits only matter for an empty matrix (nnz = 0), where
// they tell a nil array from an empty one.
const (
	mflagCol    = 1 << 0 // column array present (must be set when nnz > 0)
	mflagWeight = 1 << 1 // weight array present (must be set when nnz > 0)
	mflagDelay  = 1 << 2 // delay array present
	mflagsKnown = mflagCol | mflagWeight | mflagDelay
)

// modelOptionalFlag maps an optional section to its header flag.
var modelOptionalFlag = map[string]uint32{tagBOut: hflagBOut, tagSignIn: hflagSignIn, tagSignRec: hflagSignRec, tagMeta: hflagMeta}

var modelLE = binary.LittleEndian

// MarshalBinary encodes the network as a model.bin file. It validates the network
// first and refuses an invalid one. The encoding is deterministic: the same network
// always gives the same bytes (Meta is written in sorted key order).
func (n *Network) MarshalBinary() ([]byte, error) {
	if n == nil {
		return nil, errors.New("lsnn: model.bin: cannot encode a nil network")
	}
	if err := n.Validate(); err != nil {
		return nil, &modelError{ctx: "model.bin: refusing to encode", err: err}
	}
	keys := make([]string, 0, len(n.Meta))
	metaSize := 4
	for k, v := range n.Meta {
		if uint64(len(k)) > math.MaxUint32 || uint64(len(v)) > math.MaxUint32 {
			return nil, fmt.Errorf("lsnn: model.bin: meta entry %.40q is too long to encode", k)
		}
		keys = append(keys, k)
		metaSize += 8 + len(k) + len(v)
	}
	sort.Strings(keys)

	var flags uint32
	if n.BOut != nil {
		flags |= hflagBOut
	}
	if n.SignIn != nil {
		flags |= hflagSignIn
	}
	if n.SignRec != nil {
		flags |= hflagSignRec
	}
	if n.Meta != nil {
		flags |= hflagMeta
	}

	size := modelHeaderSize + modelTrailerSize + 9*modelSectionHeaderSize + modelHeadSize +
		modelNeuronSize*len(n.Neurons) + n.In.encodedSize() + n.Rec.encodedSize() +
		n.Out.encodedSize() + 8*len(n.BOut) + len(n.SignIn) + len(n.SignRec) + metaSize
	e := &modelEncoder{b: make([]byte, modelHeaderSize, size)}
	copy(e.b, modelMagic)

	s := e.begin(tagHead)
	e.f64(n.Dt)
	e.f64(n.TauOut)
	e.u32(uint32(n.NIn()))
	e.u32(uint32(n.N()))
	e.u32(uint32(n.NOut()))
	e.u32(flags)
	e.end(s)

	s = e.begin(tagNeurons)
	for _, nr := range n.Neurons {
		e.f64(nr.TauM)
		e.f64(nr.TauA)
		e.f64(nr.Beta)
		e.f64(nr.B0)
		e.u32(uint32(nr.NRef))
	}
	e.end(s)

	e.matrix(tagWIn, &n.In)
	e.matrix(tagWRec, &n.Rec)
	e.matrix(tagWOut, &n.Out)

	if n.BOut != nil {
		s = e.begin(tagBOut)
		for _, v := range n.BOut {
			e.f64(v)
		}
		e.end(s)
	}
	for _, sg := range []struct {
		tag   string
		signs []int8
	}{{tagSignIn, n.SignIn}, {tagSignRec, n.SignRec}} {
		if sg.signs == nil {
			continue
		}
		s = e.begin(sg.tag)
		for _, v := range sg.signs {
			e.b = append(e.b, byte(v))
		}
		e.end(s)
	}
	if n.Meta != nil {
		s = e.begin(tagMeta)
		e.u32(uint32(len(keys)))
		for _, k := range keys {
			v := n.Meta[k]
			e.u32(uint32(len(k)))
			e.b = append(e.b, k...)
			e.u32(uint32(len(v)))
			e.b = append(e.b, v...)
		}
		e.end(s)
	}

	modelLE.PutUint32(e.b[8:], modelVersion)
	modelLE.PutUint32(e.b[12:], uint32(e.sections))
	modelLE.PutUint64(e.b[16:], uint64(len(e.b)+modelTrailerSize))
	e.u32(crc32.ChecksumIEEE(e.b))
	return e.b, nil
}

func (m *Matrix) encodedSize() int {
	return modelMatrixFixedSize + 8*len(m.RowStart) + 12*len(m.Col) + 2*len(m.Delay)
}

type modelEncoder struct {
	b        []byte
	sections int
}

func (e *modelEncoder) u32(v uint32)  { e.b = modelLE.AppendUint32(e.b, v) }
func (e *modelEncoder) u64(v uint64)  { e.b = modelLE.AppendUint64(e.b, v) }
func (e *modelEncoder) f64(v float64) { e.u64(math.Float64bits(v)) }

// begin starts a section and returns its offset; end fills in its length and CRC.
func (e *modelEncoder) begin(tag string) int {
	start := len(e.b)
	e.b = append(e.b, tag...)
	e.b = append(e.b, make([]byte, modelSectionHeaderSize-len(tag))...)
	return start
}

func (e *modelEncoder) end(start int) {
	payload := e.b[start+modelSectionHeaderSize:]
	modelLE.PutUint64(e.b[start+4:], uint64(len(payload)))
	modelLE.PutUint32(e.b[start+12:], crc32.ChecksumIEEE(payload))
	e.sections++
}

func (e *modelEncoder) matrix(tag string, m *Matrix) {
	s := e.begin(tag)
	var flags uint32
	if m.Col != nil {
		flags |= mflagCol
	}
	if m.Weight != nil {
		flags |= mflagWeight
	}
	if m.Delay != nil {
		flags |= mflagDelay
	}
	e.u32(flags)
	e.u64(uint64(len(m.Col)))
	for _, r := range m.RowStart {
		e.u64(uint64(r))
	}
	for _, c := range m.Col {
		e.u32(uint32(c))
	}
	for _, w := range m.Weight {
		e.f64(w)
	}
	for _, d := range m.Delay {
		e.b = modelLE.AppendUint16(e.b, d)
	}
	e.end(s)
}

// UnmarshalModel decodes a model.bin file. It treats data as untrusted: a truncated,
// corrupted or hostile file gives an error naming the section or byte offset at
// fault, and no slice is made larger than the bytes that back it. A decoded network
// is validated; when it is invalid, the *ValidationError is returned.
func UnmarshalModel(data []byte) (*Network, error) {
	return decodeModel(data, "model.bin")
}

// ReadModelFile reads and decodes a model.bin file.
func ReadModelFile(path string) (*Network, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lsnn: %w", err)
	}
	n, err := decodeModel(data, path)
	var verr *ValidationError
	if errors.As(err, &verr) {
		return nil, &modelError{ctx: path, err: err}
	}
	return n, err
}

// WriteModelFile encodes the network and writes it to path atomically: a reader, or
// an interrupted run, sees either the old file or the complete new one.
func WriteModelFile(path string, n *Network) error {
	data, err := n.MarshalBinary()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("lsnn: write %s: %w", path, err)
	}
	return nil
}

// modelError puts context in front of an lsnn error without repeating "lsnn: ".
type modelError struct {
	ctx string
	err error
}

func (e *modelError) Error() string {
	return "lsnn: " + e.ctx + ": " + strings.TrimPrefix(e.err.Error(), "lsnn: ")
}

func (e *modelError) Unwrap() error { return e.err }

// modelSection is one framed section of a file.
type modelSection struct {
	tag     string
	off     int    // offset of the section header in the file
	payload []byte // verified against its CRC
}

// modelDecoder holds the state of one decode; its errors name the file.
type modelDecoder struct {
	name string
	sec  *modelSection // section being decoded, for error messages
}

func (d *modelDecoder) errAt(off int, format string, args ...any) error {
	return fmt.Errorf("lsnn: %s: offset %d: %s", d.name, off, fmt.Sprintf(format, args...))
}

// errSec reports a problem in the current section; rel, when >= 0, is the offset of
// the offending field within the payload and is reported as a file offset.
func (d *modelDecoder) errSec(rel int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if rel >= 0 {
		msg = fmt.Sprintf("%s (at offset %d)", msg, d.sec.off+modelSectionHeaderSize+rel)
	}
	return fmt.Errorf("lsnn: %s: section %q at offset %d: %s", d.name, d.sec.tag, d.sec.off, msg)
}

func decodeModel(data []byte, name string) (*Network, error) {
	d := &modelDecoder{name: name}
	secs, err := d.frame(data)
	if err != nil {
		return nil, err
	}
	net, err := d.decode(secs)
	if err != nil {
		return nil, err
	}
	if err := net.Validate(); err != nil {
		return nil, err
	}
	return net, nil
}

// frame checks the header, the section framing and every checksum, and returns the
// sections indexed by their position in modelSectionOrder (nil when absent).
func (d *modelDecoder) frame(data []byte) ([len(modelSectionOrder)]*modelSection, error) {
	var secs [len(modelSectionOrder)]*modelSection
	if len(data) < modelHeaderSize+modelTrailerSize {
		return secs, d.errAt(0, "file has %s bytes, fewer than the %d of a header and checksum", modelCommas(uint64(len(data))), modelHeaderSize+modelTrailerSize)
	}
	if string(data[:8]) != modelMagic {
		return secs, d.errAt(0, "magic %q is not %q: not a model.bin file", data[:8], modelMagic)
	}
	if v := modelLE.Uint32(data[8:]); v != modelVersion {
		return secs, d.errAt(8, "unknown format version %d (this reader knows version %d)", v, modelVersion)
	}
	count := modelLE.Uint32(data[12:])
	if fl := modelLE.Uint64(data[16:]); fl != uint64(len(data)) {
		return secs, d.errAt(16, "header gives a file length of %s bytes, but the file has %s (truncated or padded)", modelCommas(fl), modelCommas(uint64(len(data))))
	}
	if count > uint32(len(modelSectionOrder)) {
		return secs, d.errAt(12, "section count %d exceeds the %d section kinds of version %d", count, len(modelSectionOrder), modelVersion)
	}
	end := len(data) - modelTrailerSize
	off := modelHeaderSize
	last := -1
	for i := 0; i < int(count); i++ {
		if left := end - off; left < modelSectionHeaderSize {
			return secs, d.errAt(off, "section %d of %d: its header needs %d bytes, but %s are left before the file checksum", i+1, count, modelSectionHeaderSize, modelCommas(uint64(left)))
		}
		tag := string(data[off : off+4])
		idx := -1
		for k, t := range modelSectionOrder {
			if t == tag {
				idx = k
			}
		}
		where := fmt.Sprintf("lsnn: %s: section %q at offset %d", d.name, tag, off)
		if idx < 0 {
			return secs, fmt.Errorf("%s: unknown section tag", where)
		}
		if prev := secs[idx]; prev != nil {
			return secs, fmt.Errorf("%s: duplicate section (first at offset %d)", where, prev.off)
		}
		if idx < last {
			return secs, fmt.Errorf("%s: out of order (it must come before %q)", where, modelSectionOrder[last])
		}
		length := modelLE.Uint64(data[off+4:])
		stored := modelLE.Uint32(data[off+12:])
		left := end - off - modelSectionHeaderSize
		if length > uint64(left) {
			return secs, fmt.Errorf("%s: length %d exceeds the %s bytes left", where, length, modelCommas(uint64(left)))
		}
		start := off + modelSectionHeaderSize
		payload := data[start : start+int(length)]
		if got := crc32.ChecksumIEEE(payload); got != stored {
			return secs, fmt.Errorf("%s: payload checksum mismatch (stored 0x%08x, computed 0x%08x)", where, stored, got)
		}
		secs[idx] = &modelSection{tag: tag, off: off, payload: payload}
		last = idx
		off = start + int(length)
	}
	if off != end {
		return secs, d.errAt(off, "%s unexpected bytes after the last of %d sections", modelCommas(uint64(end-off)), count)
	}
	if stored, got := modelLE.Uint32(data[end:]), crc32.ChecksumIEEE(data[:end]); stored != got {
		return secs, d.errAt(end, "file checksum mismatch (stored 0x%08x, computed 0x%08x)", stored, got)
	}
	return secs, nil
}

// decode turns verified sections into a network. It checks structure (sizes, counts,
// row extents); Validate checks meaning.
func (d *modelDecoder) decode(secs [len(modelSectionOrder)]*modelSection) (*Network, error) {
	for i := 0; i < 5; i++ { // the mandatory sections; the optional ones follow the flags
		if secs[i] == nil {
			return nil, fmt.Errorf("lsnn: %s: missing section %q", d.name, modelSectionOrder[i])
		}
	}

	// HEAD
	d.sec = secs[0]
	p := d.sec.payload
	if len(p) != modelHeadSize {
		return nil, d.errSec(-1, "length %d, want %d", len(p), modelHeadSize)
	}
	net := &Network{Dt: modelF64(p, 0), TauOut: modelF64(p, 8)}
	var counts [3]int
	for k, what := range []string{"n_in", "n", "n_out"} {
		v := modelLE.Uint32(p[16+4*k:])
		if v > MaxNeurons {
			return nil, d.errSec(16+4*k, "%s = %d exceeds the limit of %s", what, v, modelCommas(MaxNeurons))
		}
		counts[k] = int(v)
	}
	nIn, N, nOut := counts[0], counts[1], counts[2]
	flags := modelLE.Uint32(p[28:])
	if flags&^hflagsKnown != 0 {
		return nil, d.errSec(28, "unknown flag bits 0x%x in flags 0x%x", flags&^hflagsKnown, flags)
	}
	if nOut > 0 && flags&hflagBOut == 0 {
		return nil, d.errSec(28, "flags 0x%x announce no b_out, but there are %d readouts", flags, nOut)
	}
	for idx := 5; idx < len(modelSectionOrder); idx++ {
		tag := modelSectionOrder[idx]
		announced := flags&modelOptionalFlag[tag] != 0
		switch s := secs[idx]; {
		case announced && s == nil:
			return nil, fmt.Errorf("lsnn: %s: missing section %q (the header flags 0x%x announce it)", d.name, tag, flags)
		case !announced && s != nil:
			return nil, fmt.Errorf("lsnn: %s: section %q at offset %d: present, but the header flags 0x%x do not announce it", d.name, tag, s.off, flags)
		}
	}

	// NEUR
	d.sec = secs[1]
	p = d.sec.payload
	if want := uint64(N) * modelNeuronSize; uint64(len(p)) != want {
		return nil, d.errSec(-1, "length %d, want %d (%d neurons of %d bytes)", len(p), want, N, modelNeuronSize)
	}
	net.Neurons = make([]Neuron, N)
	for j := range net.Neurons {
		r := p[j*modelNeuronSize:]
		net.Neurons[j] = Neuron{TauM: modelF64(r, 0), TauA: modelF64(r, 8), Beta: modelF64(r, 16), B0: modelF64(r, 24), NRef: int(modelLE.Uint32(r[32:]))}
	}

	var err error
	d.sec = secs[2]
	if net.In, err = d.matrix(nIn, N); err != nil {
		return nil, err
	}
	d.sec = secs[3]
	if net.Rec, err = d.matrix(N, N); err != nil {
		return nil, err
	}
	d.sec = secs[4]
	if net.Out, err = d.matrix(N, nOut); err != nil {
		return nil, err
	}

	if d.sec = secs[5]; d.sec != nil {
		p = d.sec.payload
		if want := uint64(nOut) * 8; uint64(len(p)) != want {
			return nil, d.errSec(-1, "length %d, want %d (%d readouts of 8 bytes)", len(p), want, nOut)
		}
		net.BOut = make([]float64, nOut)
		for k := range net.BOut {
			net.BOut[k] = modelF64(p, 8*k)
		}
	}
	if d.sec = secs[6]; d.sec != nil {
		if net.SignIn, err = d.signs(nIn, "input channels"); err != nil {
			return nil, err
		}
	}
	if d.sec = secs[7]; d.sec != nil {
		if net.SignRec, err = d.signs(N, "neurons"); err != nil {
			return nil, err
		}
	}
	if d.sec = secs[8]; d.sec != nil {
		if net.Meta, err = d.meta(); err != nil {
			return nil, err
		}
	}
	return net, nil
}

func modelF64(p []byte, off int) float64 { return math.Float64frombits(modelLE.Uint64(p[off:])) }

// matrix decodes a rows x cols CSR matrix section.
func (d *modelDecoder) matrix(rows, cols int) (Matrix, error) {
	p := d.sec.payload
	if len(p) < modelMatrixFixedSize {
		return Matrix{}, d.errSec(-1, "length %d is less than the %d bytes of flags and synapse count", len(p), modelMatrixFixedSize)
	}
	flags := modelLE.Uint32(p)
	if flags&^mflagsKnown != 0 {
		return Matrix{}, d.errSec(0, "unknown flag bits 0x%x in flags 0x%x", flags&^mflagsKnown, flags)
	}
	nnz64 := modelLE.Uint64(p[4:])
	if nnz64 > 0 && flags&(mflagCol|mflagWeight) != mflagCol|mflagWeight {
		return Matrix{}, d.errSec(0, "flags 0x%x leave out the column or weight array of %d synapses", flags, nnz64)
	}
	rest := len(p) - modelMatrixFixedSize
	rowBytes := 8 * (rows + 1)
	if rowBytes > rest {
		return Matrix{}, d.errSec(modelMatrixFixedSize, "%d row starts need %s bytes, but %s are left", rows+1, modelCommas(uint64(rowBytes)), modelCommas(uint64(rest)))
	}
	rest -= rowBytes
	per := 12
	if flags&mflagDelay != 0 {
		per = 14
	}
	if nnz64 > uint64(rest/per) {
		return Matrix{}, d.errSec(4, "%d synapses need %d bytes each, but %s bytes are left", nnz64, per, modelCommas(uint64(rest)))
	}
	nnz := int(nnz64)
	if extra := rest - nnz*per; extra != 0 {
		return Matrix{}, d.errSec(-1, "%s bytes left over after %d synapses", modelCommas(uint64(extra)), nnz)
	}
	m := Matrix{Rows: rows, Cols: cols, RowStart: make([]int, rows+1)}
	pos := modelMatrixFixedSize
	var prev uint64
	for i := range m.RowStart {
		v := modelLE.Uint64(p[pos:])
		switch {
		case i == 0 && v != 0:
			return Matrix{}, d.errSec(pos, "first row start is %d, want 0", v)
		case v < prev:
			return Matrix{}, d.errSec(pos, "row start %d is %d, less than the previous %d", i, v, prev)
		case v > nnz64:
			return Matrix{}, d.errSec(pos, "row start %d is %d, beyond the %d synapses", i, v, nnz64)
		case i == rows && v != nnz64:
			return Matrix{}, d.errSec(pos, "last row start is %d, want the synapse count %d", v, nnz64)
		}
		m.RowStart[i] = int(v)
		prev = v
		pos += 8
	}
	if flags&mflagCol != 0 {
		m.Col = make([]int32, nnz)
		for k := range m.Col {
			m.Col[k] = int32(modelLE.Uint32(p[pos:]))
			pos += 4
		}
	}
	if flags&mflagWeight != 0 {
		m.Weight = make([]float64, nnz)
		for k := range m.Weight {
			m.Weight[k] = modelF64(p, pos)
			pos += 8
		}
	}
	if flags&mflagDelay != 0 {
		m.Delay = make([]uint16, nnz)
		for k := range m.Delay {
			m.Delay[k] = modelLE.Uint16(p[pos:])
			pos += 2
		}
	}
	return m, nil
}

func (d *modelDecoder) signs(count int, what string) ([]int8, error) {
	p := d.sec.payload
	if len(p) != count {
		return nil, d.errSec(-1, "length %d, want %d (one byte for each of %d %s)", len(p), count, count, what)
	}
	s := make([]int8, count)
	for i, b := range p {
		s[i] = int8(b)
	}
	return s, nil
}

func (d *modelDecoder) meta() (map[string]string, error) {
	p := d.sec.payload
	if len(p) < 4 {
		return nil, d.errSec(-1, "length %d is less than the 4 bytes of the entry count", len(p))
	}
	count := modelLE.Uint32(p)
	pos := 4
	if uint64(count) > uint64((len(p)-pos)/8) {
		return nil, d.errSec(0, "%d entries need at least 8 bytes each, but %s bytes are left", count, modelCommas(uint64(len(p)-pos)))
	}
	m := make(map[string]string, count)
	str := func(what string, i uint32) (string, error) {
		if len(p)-pos < 4 {
			return "", d.errSec(pos, "entry %d: %s length needs 4 bytes, but %d are left", i, what, len(p)-pos)
		}
		n := modelLE.Uint32(p[pos:])
		if uint64(n) > uint64(len(p)-pos-4) {
			return "", d.errSec(pos, "entry %d: %s length %d exceeds the %s bytes left", i, what, n, modelCommas(uint64(len(p)-pos-4)))
		}
		s := string(p[pos+4 : pos+4+int(n)])
		pos += 4 + int(n)
		return s, nil
	}
	var prev string
	for i := uint32(0); i < count; i++ {
		at := pos
		k, err := str("key", i)
		if err != nil {
			return nil, err
		}
		if i > 0 && k <= prev {
			return nil, d.errSec(at, "entry %d: key %.40q does not follow %.40q: keys must be unique and in increasing byte order", i, k, prev)
		}
		v, err := str("value", i)
		if err != nil {
			return nil, err
		}
		m[k] = v
		prev = k
	}
	if pos != len(p) {
		return nil, d.errSec(pos, "%s bytes left over after %d entries", modelCommas(uint64(len(p)-pos)), count)
	}
	return m, nil
}

// modelCommas formats v with thousands separators: 1022 -> "1,022".
func modelCommas(v uint64) string {
	s := strconv.FormatUint(v, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
