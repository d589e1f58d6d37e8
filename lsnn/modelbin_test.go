package lsnn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ---- networks -------------------------------------------------------------------

func codecMatrix(tb testing.TB, rows, cols int, syn []Synapse, withDelay bool) Matrix {
	tb.Helper()
	m, err := NewMatrix(rows, cols, syn, withDelay)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func codecValid(tb testing.TB, n *Network) *Network {
	tb.Helper()
	if err := n.Validate(); err != nil {
		tb.Fatalf("test network is invalid: %v", err)
	}
	return n
}

// tinyCodecNetwork has 2 inputs, 3 neurons (one ALIF) and 2 readouts, no signs and no Meta.
func tinyCodecNetwork(tb testing.TB) *Network {
	tb.Helper()
	return codecValid(tb, &Network{
		Dt: 1, TauOut: 20,
		Neurons: []Neuron{
			{TauM: 20, B0: 0.5, NRef: 2},
			{TauM: 25, TauA: 200, Beta: 1.8, B0: 0.6},
			{TauM: 10, TauA: 3, B0: 1, NRef: 5},
		},
		In:   codecMatrix(tb, 2, 3, []Synapse{{0, 0, 0.5, 0}, {0, 2, 0.25, 3}, {1, 1, -1.5, 1}}, true),
		Rec:  codecMatrix(tb, 3, 3, []Synapse{{0, 1, 0.3, 1}, {1, 0, -0.2, 2}, {2, 0, 0.1, 5}, {2, 1, 0.7, 1}}, true),
		Out:  codecMatrix(tb, 3, 2, []Synapse{{0, 0, 1, 0}, {1, 1, -0.5, 0}, {2, 0, 0.25, 0}}, false),
		BOut: []float64{0.1, -0.2},
	})
}

// fullCodecNetwork is tinyCodecNetwork with both sign vectors and Meta: every section.
func fullCodecNetwork(tb testing.TB) *Network {
	tb.Helper()
	n := tinyCodecNetwork(tb)
	n.SignIn = []int8{1, -1}
	n.SignRec = []int8{1, -1, 1}
	n.Meta = map[string]string{
		"task":         "store-recall",
		"seed":         "42",
		"":             "empty key",
		"empty value":  "",
		"zz\x00bin":    "\xff\xfe\x00",
		"unicode ключ": "значение",
	}
	return codecValid(tb, n)
}

// randomNetworkForCodec builds a valid random network from a fixed seed: half the
// neurons ALIF, Dale's-law signs (80% excitatory), delays, and Meta.
func randomNetworkForCodec(tb testing.TB, seed uint64, nIn, n, nOut int, density float64) *Network {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sign := func() int8 {
		if r.Float64() < 0.8 {
			return 1
		}
		return -1
	}
	weight := func(s int8) float64 { return float64(s) * (0.001 + r.Float64()) }
	net := &Network{Dt: 1, TauOut: 5 + 30*r.Float64(), Neurons: make([]Neuron, n),
		SignIn: make([]int8, nIn), SignRec: make([]int8, n), BOut: make([]float64, nOut),
		Meta: map[string]string{"task": "codec", "seed": strconv.FormatUint(seed, 10), "accuracy": "0.9375"}}
	for j := range net.Neurons {
		nr := Neuron{TauM: 5 + 40*r.Float64(), B0: 0.01 + r.Float64(), NRef: r.IntN(6)}
		if j%2 == 1 {
			nr.Beta, nr.TauA = 0.1+2*r.Float64(), 100+1500*r.Float64()
		}
		net.Neurons[j] = nr
	}
	for i := range net.SignIn {
		net.SignIn[i] = sign()
	}
	for i := range net.SignRec {
		net.SignRec[i] = sign()
	}
	var in, rec, out []Synapse
	for i := 0; i < nIn; i++ {
		for j := 0; j < n; j++ {
			if r.Float64() < density {
				in = append(in, Synapse{Pre: i, Post: j, Weight: weight(net.SignIn[i]), Delay: r.IntN(MaxDelay + 1)})
			}
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i != j && r.Float64() < density {
				rec = append(rec, Synapse{Pre: i, Post: j, Weight: weight(net.SignRec[i]), Delay: 1 + r.IntN(MaxDelay)})
			}
		}
		for j := 0; j < nOut; j++ {
			if r.Float64() < 0.5 {
				out = append(out, Synapse{Pre: i, Post: j, Weight: weight(net.SignRec[i])})
			}
		}
	}
	for k := range net.BOut {
		net.BOut[k] = r.NormFloat64()
	}
	// Synapses given in a shuffled order: NewMatrix must sort them.
	r.Shuffle(len(rec), func(a, b int) { rec[a], rec[b] = rec[b], rec[a] })
	net.In = codecMatrix(tb, nIn, n, in, true)
	net.Rec = codecMatrix(tb, n, n, rec, true)
	net.Out = codecMatrix(tb, n, nOut, out, false)
	return codecValid(tb, net)
}

// codecNetworks lists the networks the round-trip tests use, covering nil vs empty
// for every slice and map that may be either.
func codecNetworks(tb testing.TB) []struct {
	name string
	net  *Network
} {
	tb.Helper()
	type named = struct {
		name string
		net  *Network
	}
	var list []named
	add := func(name string, n *Network) { list = append(list, named{name, codecValid(tb, n)}) }

	add("tiny", tinyCodecNetwork(tb))
	add("full", fullCodecNetwork(tb))

	n := tinyCodecNetwork(tb)
	n.Meta = map[string]string{}
	add("empty Meta", n)

	n = tinyCodecNetwork(tb)
	n.SignRec = []int8{1, -1, 1}
	add("sign_rec only", n)

	// No inputs and no readouts: zero-row W_in, zero-column W_out; nil b_out and
	// nil arrays in the empty matrices.
	add("bare", &Network{Dt: 0.5, TauOut: 1,
		Neurons: []Neuron{{TauM: 1, B0: 1}},
		In:      Matrix{Rows: 0, Cols: 1, RowStart: []int{0}},
		Rec:     Matrix{Rows: 1, Cols: 1, RowStart: []int{0, 0}},
		Out:     Matrix{Rows: 1, Cols: 0, RowStart: []int{0, 0}},
	})
	// The same with empty, non-nil slices everywhere they may be empty.
	add("bare, empty slices", &Network{Dt: 0.5, TauOut: 1,
		Neurons: []Neuron{{TauM: 1, B0: 1}},
		In:      Matrix{Rows: 0, Cols: 1, RowStart: []int{0}, Col: []int32{}, Weight: []float64{}, Delay: []uint16{}},
		Rec:     Matrix{Rows: 1, Cols: 1, RowStart: []int{0, 0}, Col: []int32{}, Weight: []float64{}, Delay: []uint16{}},
		Out:     Matrix{Rows: 1, Cols: 0, RowStart: []int{0, 0}, Col: []int32{}, Weight: []float64{}},
		BOut:    []float64{}, SignIn: []int8{}, SignRec: []int8{1}, Meta: map[string]string{},
	})
	// Mixed: columns present, weights nil, on an empty matrix.
	add("bare, mixed", &Network{Dt: 0.5, TauOut: 1,
		Neurons: []Neuron{{TauM: 1, B0: 1}},
		In:      Matrix{Rows: 0, Cols: 1, RowStart: []int{0}, Col: []int32{}},
		Rec:     Matrix{Rows: 1, Cols: 1, RowStart: []int{0, 0}, Weight: []float64{}},
		Out:     Matrix{Rows: 1, Cols: 0, RowStart: []int{0, 0}},
		BOut:    []float64{},
	})

	// Extreme values: -0 weights, subnormals, the largest delays and refractory period.
	n = &Network{Dt: math.SmallestNonzeroFloat64, TauOut: math.MaxFloat64,
		Neurons: []Neuron{
			{TauM: math.MaxFloat64, TauA: math.MaxFloat64, Beta: math.MaxFloat64, B0: math.SmallestNonzeroFloat64, NRef: MaxRefractory},
			{TauM: 1e-300, TauA: 0, Beta: 0, B0: 1e300, NRef: 0},
		},
		In:   codecMatrix(tb, 1, 2, []Synapse{{0, 0, math.Copysign(0, -1), MaxDelay}, {0, 1, -math.MaxFloat64, 0}}, true),
		Rec:  codecMatrix(tb, 2, 2, []Synapse{{0, 1, math.SmallestNonzeroFloat64, MaxDelay}, {1, 0, -5e-324, 1}}, true),
		Out:  codecMatrix(tb, 2, 1, []Synapse{{1, 0, math.Copysign(0, -1), 0}}, false),
		BOut: []float64{math.Copysign(0, -1)},
	}
	add("extremes", n)

	add("random 80x300x10", randomNetworkForCodec(tb, 1, 80, 300, 10, 0.1))
	return list
}

// ---- round trip and determinism ----------------------------------------------------

func TestModelRoundTrip(t *testing.T) {
	for _, tc := range codecNetworks(t) {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.net.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			got, err := UnmarshalModel(b)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.net, got); d != "" {
				t.Fatalf("round trip changed the network (-want +got):\n%s", d)
			}
			// Negative zeros must keep their sign bit (cmp compares floats with ==).
			for k, w := range tc.net.In.Weight {
				if math.Float64bits(w) != math.Float64bits(got.In.Weight[k]) {
					t.Fatalf("w_in weight %d: bits %x, want %x", k, math.Float64bits(got.In.Weight[k]), math.Float64bits(w))
				}
			}
			b2, err := got.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, b2) {
				t.Fatal("re-encoding the decoded network gave different bytes")
			}
		})
	}
}

func TestModelDeterministic(t *testing.T) {
	net := randomNetworkForCodec(t, 7, 20, 50, 4, 0.2)
	for i := 0; i < 40; i++ {
		net.Meta["key"+strconv.Itoa(i)] = strconv.Itoa(i * i)
	}
	want, err := net.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		// A fresh map each time: Go randomizes map iteration, and the bytes must not care.
		c := net.Clone()
		c.Meta = make(map[string]string)
		for k, v := range net.Meta {
			c.Meta[k] = v
		}
		got, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("encoding %d differs from the first", i)
		}
	}
	// The same seed builds the same network and so the same bytes.
	again := randomNetworkForCodec(t, 7, 20, 50, 4, 0.2)
	for i := 0; i < 40; i++ {
		again.Meta["key"+strconv.Itoa(i)] = strconv.Itoa(i * i)
	}
	if got, _ := again.MarshalBinary(); !bytes.Equal(got, want) {
		t.Fatal("same seed, different bytes")
	}
}

// TestModelLayout decodes a file by hand, following docs/model-format.md with literal
// offsets, so that the spec and the code cannot drift apart silently.
func TestModelLayout(t *testing.T) {
	net := fullCodecNetwork(t)
	net.Meta = map[string]string{"b": "2", "a": "xy"}
	b, err := net.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// The worked example of the spec: the tiny network without signs or Meta.
	if tiny, _ := tinyCodecNetwork(t).MarshalBinary(); len(tiny) != 538 || binary.LittleEndian.Uint32(tiny[12:]) != 6 {
		t.Fatalf("tiny network: %d bytes, want 538 as in docs/model-format.md", len(tiny))
	}
	L := binary.LittleEndian
	if string(b[:8]) != "SNNCMODL" {
		t.Fatalf("magic %q", b[:8])
	}
	if v := L.Uint32(b[8:]); v != 1 {
		t.Fatalf("version %d", v)
	}
	if c := L.Uint32(b[12:]); c != 9 {
		t.Fatalf("section count %d, want 9", c)
	}
	if fl := L.Uint64(b[16:]); fl != uint64(len(b)) {
		t.Fatalf("file length field %d, file %d", fl, len(b))
	}
	if crc := L.Uint32(b[len(b)-4:]); crc != crc32.ChecksumIEEE(b[:len(b)-4]) {
		t.Fatal("file checksum wrong")
	}
	// Expected payload lengths: HEAD 32; NEUR 36 per neuron; a matrix 4+8+8(rows+1)+nnz(4+8[+2]).
	want := []struct {
		tag string
		len int
	}{
		{"HEAD", 32},
		{"NEUR", 3 * 36},
		{"WIN ", 12 + 8*3 + 3*14},
		{"WREC", 12 + 8*4 + 4*14},
		{"WOUT", 12 + 8*4 + 3*12},
		{"BOUT", 2 * 8},
		{"SGNI", 2},
		{"SGNR", 3},
		{"META", 4 + (4 + 1 + 4 + 2) + (4 + 1 + 4 + 1)},
	}
	off := 24
	payloads := map[string][]byte{}
	for _, w := range want {
		tag, n, crc := string(b[off:off+4]), L.Uint64(b[off+4:]), L.Uint32(b[off+12:])
		if tag != w.tag || n != uint64(w.len) {
			t.Fatalf("offset %d: section %q of %d bytes, want %q of %d", off, tag, n, w.tag, w.len)
		}
		p := b[off+16 : off+16+int(n)]
		if crc32.ChecksumIEEE(p) != crc {
			t.Fatalf("section %q: payload checksum wrong", tag)
		}
		payloads[tag] = p
		off += 16 + int(n)
	}
	if off != len(b)-4 {
		t.Fatalf("sections end at %d, file checksum at %d", off, len(b)-4)
	}
	h := payloads["HEAD"]
	if math.Float64frombits(L.Uint64(h[0:])) != 1 || math.Float64frombits(L.Uint64(h[8:])) != 20 ||
		L.Uint32(h[16:]) != 2 || L.Uint32(h[20:]) != 3 || L.Uint32(h[24:]) != 2 || L.Uint32(h[28:]) != 0xf {
		t.Fatalf("HEAD payload %x", h)
	}
	nr := payloads["NEUR"][36:72] // neuron 1: tau_m 25, tau_a 200, beta 1.8, b0 0.6, n_ref 0
	if math.Float64frombits(L.Uint64(nr[0:])) != 25 || math.Float64frombits(L.Uint64(nr[8:])) != 200 ||
		math.Float64frombits(L.Uint64(nr[16:])) != 1.8 || math.Float64frombits(L.Uint64(nr[24:])) != 0.6 || L.Uint32(nr[32:]) != 0 {
		t.Fatalf("NEUR record 1: %x", nr)
	}
	// W_in: flags 7 (col, weight, delay), nnz 3, row starts 0 2 3, cols 0 2 1, then weights, then delays 0 3 1.
	w := payloads["WIN "]
	if L.Uint32(w) != 7 || L.Uint64(w[4:]) != 3 || L.Uint64(w[12:]) != 0 || L.Uint64(w[20:]) != 2 || L.Uint64(w[28:]) != 3 ||
		L.Uint32(w[36:]) != 0 || L.Uint32(w[40:]) != 2 || L.Uint32(w[44:]) != 1 ||
		math.Float64frombits(L.Uint64(w[48:])) != 0.5 || math.Float64frombits(L.Uint64(w[64:])) != -1.5 ||
		L.Uint16(w[72:]) != 0 || L.Uint16(w[74:]) != 3 || L.Uint16(w[76:]) != 1 {
		t.Fatalf("WIN payload %x", w)
	}
	if f := L.Uint32(payloads["WOUT"]); f != 3 {
		t.Fatalf("WOUT flags %d, want 3 (no delays)", f)
	}
	if s := payloads["SGNI"]; !bytes.Equal(s, []byte{1, 0xff}) {
		t.Fatalf("SGNI payload %x", s)
	}
	wantMeta := []byte{2, 0, 0, 0, 1, 0, 0, 0, 'a', 2, 0, 0, 0, 'x', 'y', 1, 0, 0, 0, 'b', 1, 0, 0, 0, '2'}
	if m := payloads["META"]; !bytes.Equal(m, wantMeta) {
		t.Fatalf("META payload %x, want %x (sorted keys)", m, wantMeta)
	}
}

func TestMarshalRefusesInvalid(t *testing.T) {
	n := tinyCodecNetwork(t)
	n.Dt = -1
	n.Rec.Delay[0] = 0
	_, err := n.MarshalBinary()
	var verr *ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) != 2 {
		t.Fatalf("err = %v, want a ValidationError with 2 problems", err)
	}
	if !strings.HasPrefix(err.Error(), "lsnn: model.bin: refusing to encode: invalid network (2 problems)") {
		t.Fatalf("err = %q", err)
	}
	var nilNet *Network
	if _, err := nilNet.MarshalBinary(); err == nil || !strings.HasPrefix(err.Error(), "lsnn: ") {
		t.Fatalf("nil network: err = %v", err)
	}
}

// ---- helpers that frame files independently of the decoder ----------------------------

type modelTestSection struct {
	tag     string
	payload []byte
}

// splitModel cuts a well-formed file into its sections.
func splitModel(tb testing.TB, b []byte) []modelTestSection {
	tb.Helper()
	var secs []modelTestSection
	L := binary.LittleEndian
	off := 24
	for i := 0; i < int(L.Uint32(b[12:])); i++ {
		n := int(L.Uint64(b[off+4:]))
		secs = append(secs, modelTestSection{string(b[off : off+4]), append([]byte(nil), b[off+16:off+16+n]...)})
		off += 16 + n
	}
	if off != len(b)-4 {
		tb.Fatalf("splitModel: sections end at %d in a %d-byte file", off, len(b))
	}
	return secs
}

// joinModel frames sections into a file with correct lengths and checksums.
func joinModel(secs []modelTestSection) []byte {
	L := binary.LittleEndian
	b := append([]byte("SNNCMODL"), make([]byte, 16)...)
	L.PutUint32(b[8:], 1)
	L.PutUint32(b[12:], uint32(len(secs)))
	for _, s := range secs {
		b = append(b, s.tag...)
		b = L.AppendUint64(b, uint64(len(s.payload)))
		b = L.AppendUint32(b, crc32.ChecksumIEEE(s.payload))
		b = append(b, s.payload...)
	}
	L.PutUint64(b[16:], uint64(len(b)+4))
	return L.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// resealModel returns a copy of data with its file length, its section checksums (as far
// as the framing can be followed) and its file checksum made right, so that a
// mutation reaches the decoding of the payloads. It returns nil for data too short.
func resealModel(data []byte) []byte {
	if len(data) < 28 {
		return nil
	}
	L := binary.LittleEndian
	b := append([]byte(nil), data...)
	L.PutUint64(b[16:], uint64(len(b)))
	end := len(b) - 4
	off := 24
	for i := 0; i < 16 && end-off >= 16; i++ {
		n := L.Uint64(b[off+4:])
		if n > uint64(end-off-16) {
			break
		}
		L.PutUint32(b[off+12:], crc32.ChecksumIEEE(b[off+16:off+16+int(n)]))
		off += 16 + int(n)
	}
	L.PutUint32(b[end:], crc32.ChecksumIEEE(b[:end]))
	return b
}

// modelSectionAt is the file offset of the nth (0-based) section with this tag, or -1.
func modelSectionAt(b []byte, tag string, nth int) int {
	L := binary.LittleEndian
	for off := 24; off+16 <= len(b)-4; {
		if string(b[off:off+4]) == tag {
			if nth == 0 {
				return off
			}
			nth--
		}
		n := L.Uint64(b[off+4:])
		if n > uint64(len(b)) {
			break
		}
		off += 16 + int(n)
	}
	return -1
}

// ---- hostile files ----------------------------------------------------------------

func TestModelCorruption(t *testing.T) {
	base, err := fullCodecNetwork(t).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	L := binary.LittleEndian
	cp := func(b []byte) []byte { return append([]byte(nil), b...) }
	// edit rebuilds the file after fn changes its sections.
	edit := func(fn func(s []modelTestSection) []modelTestSection) func([]byte) []byte {
		return func(b []byte) []byte { return joinModel(fn(splitModel(t, b))) }
	}
	// payload rebuilds the file after fn changes the payload of the section tag.
	payload := func(tag string, fn func(p []byte) []byte) func([]byte) []byte {
		return edit(func(s []modelTestSection) []modelTestSection {
			for i := range s {
				if s[i].tag == tag {
					s[i].payload = fn(s[i].payload)
				}
			}
			return s
		})
	}
	put32 := func(at int, v uint32) func([]byte) []byte {
		return func(p []byte) []byte { L.PutUint32(p[at:], v); return p }
	}
	put64 := func(at int, v uint64) func([]byte) []byte {
		return func(p []byte) []byte { L.PutUint64(p[at:], v); return p }
	}
	// raw changes bytes in place without fixing any checksum.
	raw := func(fn func(b []byte)) func([]byte) []byte {
		return func(b []byte) []byte { b = cp(b); fn(b); return b }
	}
	metaPayload := func(count uint32, kv ...string) []byte {
		p := L.AppendUint32(nil, count)
		for _, s := range kv {
			p = L.AppendUint32(p, uint32(len(s)))
			p = append(p, s...)
		}
		return p
	}
	sec := func(b []byte, tag string) string {
		return `section "` + tag + `" at offset ` + strconv.Itoa(modelSectionAt(b, tag, 0)) + ": "
	}
	// field is the file offset of byte rel of section tag's payload.
	field := func(b []byte, tag string, rel int) string {
		return "(at offset " + strconv.Itoa(modelSectionAt(b, tag, 0)+16+rel) + ")"
	}
	wrecOff := modelSectionAt(base, "WREC", 0)

	cases := []struct {
		name string
		make func([]byte) []byte
		want func(b []byte) []string // substrings of the error, computed on the corrupted file
	}{
		{"empty file", func([]byte) []byte { return nil },
			func([]byte) []string { return []string{"offset 0: file has 0 bytes"} }},
		{"header only", func(b []byte) []byte { return cp(b[:24]) },
			func([]byte) []string { return []string{"offset 0: file has 24 bytes, fewer than the 28"} }},
		{"wrong magic", raw(func(b []byte) { copy(b, "PK\x03\x04xxxx") }),
			func([]byte) []string { return []string{"offset 0: magic", "not a model.bin file"} }},
		{"version 2", raw(func(b []byte) { L.PutUint32(b[8:], 2) }),
			func([]byte) []string { return []string{"offset 8: unknown format version 2"} }},
		{"version 0", raw(func(b []byte) { L.PutUint32(b[8:], 0) }),
			func([]byte) []string { return []string{"offset 8: unknown format version 0"} }},
		{"truncated", func(b []byte) []byte { return cp(b[:len(b)-10]) },
			func(b []byte) []string {
				return []string{"offset 16: header gives a file length of " + modelCommas(uint64(len(b)+10)) + " bytes, but the file has " + modelCommas(uint64(len(b)))}
			}},
		{"padded", func(b []byte) []byte { return append(cp(b), 0, 0) },
			func([]byte) []string { return []string{"offset 16:", "truncated or padded"} }},
		{"huge section count", raw(func(b []byte) { L.PutUint32(b[12:], math.MaxUint32) }),
			func([]byte) []string { return []string{"offset 12: section count 4294967295 exceeds the 9"} }},
		{"section count one short", func(b []byte) []byte {
			b = cp(b)
			L.PutUint32(b[12:], 8)
			return resealModel(b)
		}, func(b []byte) []string {
			return []string{"offset " + strconv.Itoa(modelSectionAt(b, "META", 0)) + ": ", "unexpected bytes after the last of 8 sections"}
		}},
		{"section header cut", func(b []byte) []byte {
			// The last section loses all but 6 bytes of its header.
			m := modelSectionAt(b, "META", 0)
			return resealModel(append(cp(b[:m+6]), 0, 0, 0, 0))
		}, func([]byte) []string {
			return []string{"offset " + strconv.Itoa(modelSectionAt(base, "META", 0)) + ": section 9 of 9: its header needs 16 bytes, but 6 are left before the file checksum"}
		}},
		{"section payload cut", func(b []byte) []byte {
			m := modelSectionAt(b, "META", 0)
			return resealModel(append(cp(b[:m+20]), 0, 0, 0, 0))
		}, func(b []byte) []string { return []string{sec(b, "META") + "length ", "exceeds the 4 bytes left"} }},
		{"unknown tag", edit(func(s []modelTestSection) []modelTestSection { s[7].tag = "SGNX"; return s }),
			func(b []byte) []string { return []string{sec(b, "SGNX") + "unknown section tag"} }},
		{"binary tag", edit(func(s []modelTestSection) []modelTestSection { s[2].tag = "\x00\xff\n "; return s }),
			func(b []byte) []string {
				return []string{`section "\x00\xff\n " at offset ` + strconv.Itoa(modelSectionAt(b, "\x00\xff\n ", 0)) + ": unknown section tag"}
			}},
		{"duplicate", edit(func(s []modelTestSection) []modelTestSection {
			return append(s[:6], append([]modelTestSection{s[5]}, s[6:8]...)...) // BOUT twice, META dropped to keep 9
		}), func(b []byte) []string {
			return []string{`section "BOUT" at offset ` + strconv.Itoa(modelSectionAt(b, "BOUT", 1)) + ": duplicate section (first at offset " + strconv.Itoa(modelSectionAt(b, "BOUT", 0)) + ")"}
		}},
		{"out of order", edit(func(s []modelTestSection) []modelTestSection { s[2], s[3] = s[3], s[2]; return s }),
			func(b []byte) []string { return []string{sec(b, "WIN ") + `out of order (it must come before "WREC")`} }},
		{"missing HEAD", edit(func(s []modelTestSection) []modelTestSection { return s[1:] }),
			func([]byte) []string { return []string{`lsnn: model.bin: missing section "HEAD"`} }},
		{"missing WOUT", edit(func(s []modelTestSection) []modelTestSection { return append(s[:4], s[5:]...) }),
			func([]byte) []string { return []string{`lsnn: model.bin: missing section "WOUT"`} }},
		{"missing announced SGNR", edit(func(s []modelTestSection) []modelTestSection { return append(s[:7], s[8:]...) }),
			func([]byte) []string { return []string{`missing section "SGNR" (the header flags 0xf announce it)`} }},
		{"unannounced META", payload("HEAD", put32(28, 0x7)),
			func(b []byte) []string {
				return []string{sec(b, "META") + "present, but the header flags 0x7 do not announce it"}
			}},
		{"readouts without BOUT", edit(func(s []modelTestSection) []modelTestSection {
			L.PutUint32(s[0].payload[28:], 0xe)
			return append(s[:5], s[6:]...)
		}), func(b []byte) []string {
			return []string{sec(b, "HEAD") + "flags 0xe announce no b_out, but there are 2 readouts " + field(b, "HEAD", 28)}
		}},
		{"unknown header flag", payload("HEAD", put32(28, 0x8000000f)),
			func(b []byte) []string { return []string{sec(b, "HEAD") + "unknown flag bits 0x80000000"} }},
		{"payload bit flip", raw(func(b []byte) { b[modelSectionAt(b, "NEUR", 0)+16+40] ^= 0x10 }),
			func(b []byte) []string { return []string{sec(b, "NEUR") + "payload checksum mismatch"} }},
		{"stored checksum flip", raw(func(b []byte) { b[wrecOff+12] ^= 1 }),
			func(b []byte) []string { return []string{sec(b, "WREC") + "payload checksum mismatch"} }},
		{"file checksum", raw(func(b []byte) { b[len(b)-1] ^= 0x80 }),
			func(b []byte) []string {
				return []string{"offset " + strconv.Itoa(len(b)-4) + ": file checksum mismatch"}
			}},
		{"damaged section header", raw(func(b []byte) { b[wrecOff+10] ^= 1 }), // a high length byte
			func(b []byte) []string { return []string{sec(b, "WREC") + "length 28147497671"} }},
		{"length 2^32-1", raw(func(b []byte) { L.PutUint64(b[wrecOff+4:], math.MaxUint32) }),
			func(b []byte) []string {
				left := len(b) - 4 - wrecOff - 16
				return []string{"lsnn: model.bin: " + sec(b, "WREC") + "length 4294967295 exceeds the " + modelCommas(uint64(left)) + " bytes left"}
			}},
		{"length 2^64-1", raw(func(b []byte) { L.PutUint64(b[wrecOff+4:], math.MaxUint64) }),
			func(b []byte) []string { return []string{sec(b, "WREC") + "length 18446744073709551615 exceeds"} }},
		{"HEAD too long", payload("HEAD", func(p []byte) []byte { return append(p, 0, 0, 0, 0) }),
			func(b []byte) []string { return []string{sec(b, "HEAD") + "length 36, want 32"} }},
		{"huge n_in", payload("HEAD", put32(16, math.MaxUint32)),
			func(b []byte) []string {
				return []string{sec(b, "HEAD") + "n_in = 4294967295 exceeds the limit of 16,777,216 " + field(b, "HEAD", 16)}
			}},
		{"huge n_out", payload("HEAD", put32(24, MaxNeurons+1)),
			func(b []byte) []string { return []string{sec(b, "HEAD") + "n_out = 16777217 exceeds"} }},
		{"n at the limit", payload("HEAD", put32(20, MaxNeurons)),
			func(b []byte) []string {
				return []string{sec(b, "NEUR") + "length 108, want 603979776 (16777216 neurons of 36 bytes)"}
			}},
		{"n_in at the limit", payload("HEAD", put32(16, MaxNeurons)),
			func(b []byte) []string {
				return []string{sec(b, "WIN ") + "16777217 row starts need 134,217,736 bytes, but 66 are left " + field(b, "WIN ", 12)}
			}},
		{"matrix too short", payload("WOUT", func(p []byte) []byte { return p[:5] }),
			func(b []byte) []string { return []string{sec(b, "WOUT") + "length 5 is less than the 12 bytes"} }},
		{"matrix unknown flag", payload("WREC", put32(0, 0x17)),
			func(b []byte) []string { return []string{sec(b, "WREC") + "unknown flag bits 0x10"} }},
		{"matrix without columns", payload("WREC", put32(0, 0x6)),
			func(b []byte) []string {
				return []string{sec(b, "WREC") + "flags 0x6 leave out the column or weight array of 4 synapses"}
			}},
		{"huge nnz", payload("WREC", put64(4, 1<<62)),
			func(b []byte) []string {
				return []string{sec(b, "WREC") + "4611686018427387904 synapses need 14 bytes each, but 56 bytes are left " + field(b, "WREC", 4)}
			}},
		{"nnz off by one", payload("WREC", put64(4, 3)),
			func(b []byte) []string { return []string{sec(b, "WREC") + "14 bytes left over after 3 synapses"} }},
		{"matrix trailing bytes", payload("WIN ", func(p []byte) []byte { return append(p, 1, 2, 3) }),
			func(b []byte) []string { return []string{sec(b, "WIN ") + "3 bytes left over after 3 synapses"} }},
		{"first row start", payload("WREC", put64(12, 1)),
			func(b []byte) []string {
				return []string{sec(b, "WREC") + "first row start is 1, want 0 " + field(b, "WREC", 12)}
			}},
		{"row starts decrease", payload("WREC", put64(12+8*2, 0)),
			func(b []byte) []string {
				return []string{sec(b, "WREC") + "row start 2 is 0, less than the previous 1 " + field(b, "WREC", 28)}
			}},
		{"row start beyond nnz", payload("WREC", put64(12+8*2, 99)),
			func(b []byte) []string { return []string{sec(b, "WREC") + "row start 2 is 99, beyond the 4 synapses"} }},
		{"last row start short", payload("WREC", put64(12+8*3, 3)),
			func(b []byte) []string {
				return []string{sec(b, "WREC") + "last row start is 3, want the synapse count 4"}
			}},
		{"BOUT length", payload("BOUT", func(p []byte) []byte { return p[:15] }),
			func(b []byte) []string {
				return []string{sec(b, "BOUT") + "length 15, want 16 (2 readouts of 8 bytes)"}
			}},
		{"SGNI length", payload("SGNI", func(p []byte) []byte { return append(p, 1) }),
			func(b []byte) []string {
				return []string{sec(b, "SGNI") + "length 3, want 2 (one byte for each of 2 input channels)"}
			}},
		{"SGNR length", payload("SGNR", func(p []byte) []byte { return p[:0] }),
			func(b []byte) []string { return []string{sec(b, "SGNR") + "length 0, want 3"} }},
		{"META too short", payload("META", func([]byte) []byte { return []byte{1, 0} }),
			func(b []byte) []string { return []string{sec(b, "META") + "length 2 is less than the 4 bytes"} }},
		{"META huge count", payload("META", func([]byte) []byte { return metaPayload(math.MaxUint32, "a", "b") }),
			func(b []byte) []string {
				return []string{sec(b, "META") + "4294967295 entries need at least 8 bytes each, but 10 bytes are left"}
			}},
		{"META huge key length", payload("META", func([]byte) []byte {
			p := metaPayload(1, "a", "b")
			L.PutUint32(p[4:], 0xfffffff0)
			return p
		}), func(b []byte) []string {
			return []string{sec(b, "META") + "entry 0: key length 4294967280 exceeds the 6 bytes left " + field(b, "META", 4)}
		}},
		{"META huge value length", payload("META", func([]byte) []byte {
			p := metaPayload(1, "a", "b")
			L.PutUint32(p[9:], 7)
			return p
		}), func(b []byte) []string {
			return []string{sec(b, "META") + "entry 0: value length 7 exceeds the 1 bytes left"}
		}},
		{"META cut inside an entry", payload("META", func([]byte) []byte { return metaPayload(2, "a", "b", "c", "d")[:22] }),
			func(b []byte) []string {
				return []string{sec(b, "META") + "entry 1: value length needs 4 bytes, but 3 are left " + field(b, "META", 19)}
			}},
		{"META unsorted", payload("META", func([]byte) []byte { return metaPayload(2, "b", "1", "a", "2") }),
			func(b []byte) []string {
				return []string{sec(b, "META") + `entry 1: key "a" does not follow "b": keys must be unique and in increasing byte order`}
			}},
		{"META duplicate key", payload("META", func([]byte) []byte { return metaPayload(2, "a", "1", "a", "2") }),
			func(b []byte) []string { return []string{sec(b, "META") + `entry 1: key "a" does not follow "a"`} }},
		{"META trailing bytes", payload("META", func([]byte) []byte { return append(metaPayload(1, "a", "b"), 0) }),
			func(b []byte) []string { return []string{sec(b, "META") + "1 bytes left over after 1 entries"} }},
		// Well-formed files that hold an invalid network fail validation.
		{"invalid dt", payload("HEAD", put64(0, math.Float64bits(-1))),
			func([]byte) []string { return []string{"lsnn: invalid network (1 problem)", "dt = -1 ms"} }},
		{"column out of range", payload("WREC", put32(12+8*4, 7)),
			func([]byte) []string {
				return []string{"lsnn: invalid network", "w_rec: neuron 0: target 7 out of range 0..2"}
			}},
		{"no neurons", func(b []byte) []byte {
			return payload("HEAD", put32(20, 0))(payload("NEUR", func([]byte) []byte { return nil })(b))
		}, func(b []byte) []string {
			return []string{"lsnn: model.bin: " + sec(b, "WREC") + "24 bytes left over after 4 synapses"}
		}},
		{"bad sign", payload("SGNR", func(p []byte) []byte { p[2] = 3; return p }),
			func([]byte) []string { return []string{"lsnn: invalid network", "sign_rec: neuron 2 has sign 3"} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.make(base)
			n, err := UnmarshalModel(b)
			if err == nil {
				t.Fatalf("decoded a corrupted file without error: %+v", n)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "lsnn: ") {
				t.Errorf("error %q does not start with \"lsnn: \"", msg)
			}
			for _, w := range tc.want(b) {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n\t%s\ndoes not contain\n\t%s", msg, w)
				}
			}
		})
	}
}

// modelErrorPlaced reports whether an error message names a section or an offset.
func modelErrorPlaced(msg string) bool {
	return strings.Contains(msg, `section "`) || strings.Contains(msg, "offset ")
}

func TestModelBitFlips(t *testing.T) {
	base, err := fullCodecNetwork(t).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, len(base))
	for i := range base {
		for bit := 0; bit < 8; bit++ {
			copy(b, base)
			b[i] ^= 1 << bit
			_, err := UnmarshalModel(b)
			if err == nil {
				t.Fatalf("flip of bit %d of byte %d went unnoticed", bit, i)
			}
			if !strings.HasPrefix(err.Error(), "lsnn: ") || !modelErrorPlaced(err.Error()) {
				t.Fatalf("flip of bit %d of byte %d: error %q names no section or offset", bit, i, err)
			}
		}
	}
}

func TestModelTruncation(t *testing.T) {
	base, err := fullCodecNetwork(t).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(base); n++ {
		// A plain prefix, and a prefix dressed up as a whole file (right file length
		// and checksum) so that the section framing itself runs off the end.
		for _, b := range [][]byte{base[:n:n], resealModel(append(base[:n:n], 0, 0, 0, 0))} {
			if b == nil || len(b) == len(base) { // n = len-4 dressed up is the whole file again
				continue
			}
			_, err := UnmarshalModel(b)
			if err == nil {
				t.Fatalf("prefix of %d bytes decoded without error", n)
			}
			if !strings.HasPrefix(err.Error(), "lsnn: ") || !modelErrorPlaced(err.Error()) {
				t.Fatalf("prefix of %d bytes: error %q names no section or offset", n, err)
			}
		}
	}
}

// TestModelHostileCountsAllocateLittle checks that counts claiming far more than the
// file holds are refused before anything is allocated for them.
func TestModelHostileCountsAllocateLittle(t *testing.T) {
	base, err := fullCodecNetwork(t).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	L := binary.LittleEndian
	setPayload := func(tag string, rel int, put func(p []byte)) []byte {
		b := append([]byte(nil), base...)
		put(b[modelSectionAt(b, tag, 0)+16+rel:])
		return resealModel(b)
	}
	files := map[string][]byte{
		"n_in":        setPayload("HEAD", 16, func(p []byte) { L.PutUint32(p, MaxNeurons) }),
		"n":           setPayload("HEAD", 20, func(p []byte) { L.PutUint32(p, MaxNeurons) }),
		"nnz":         setPayload("WREC", 4, func(p []byte) { L.PutUint64(p, 1<<40) }),
		"meta count":  setPayload("META", 0, func(p []byte) { L.PutUint32(p, 1<<30) }),
		"meta keylen": setPayload("META", 4, func(p []byte) { L.PutUint32(p, 1<<30) }),
	}
	for name, b := range files {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := UnmarshalModel(b)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatalf("%s: hostile file decoded", name)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Errorf("%s: decoding a %d-byte file allocated %d bytes (%v)", name, len(b), got, err)
		}
	}
}

// ---- files ------------------------------------------------------------------------

func TestModelFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.bin")
	a, b := tinyCodecNetwork(t), fullCodecNetwork(t)
	onlyModel := func() {
		t.Helper()
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 1 || ents[0].Name() != "model.bin" {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Fatalf("directory holds %v, want only model.bin", names)
		}
	}
	if err := WriteModelFile(path, a); err != nil {
		t.Fatal(err)
	}
	onlyModel()
	got, err := ReadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}

	// Replacing: the new content, and still no temporary file.
	if err := WriteModelFile(path, b); err != nil {
		t.Fatal(err)
	}
	onlyModel()
	if got, err = ReadModelFile(path); err != nil {
		t.Fatal(err)
	} else if d := cmp.Diff(b, got); d != "" {
		t.Fatalf("after replace (-want +got):\n%s", d)
	}
	wantBytes, _ := b.MarshalBinary()

	// A refused write leaves the old file as it was.
	bad := tinyCodecNetwork(t)
	bad.TauOut = 0
	if err := WriteModelFile(path, bad); err == nil || !strings.Contains(err.Error(), "tau_out") {
		t.Fatalf("writing an invalid network: err = %v", err)
	}
	if err := WriteModelFile(path, nil); err == nil {
		t.Fatal("writing a nil network succeeded")
	}
	onlyModel()
	if onDisk, _ := os.ReadFile(path); !bytes.Equal(onDisk, wantBytes) {
		t.Fatal("a refused write changed the file")
	}

	// Errors name the file.
	if err := WriteModelFile(filepath.Join(dir, "no", "such", "dir", "m.bin"), a); err == nil ||
		!strings.HasPrefix(err.Error(), "lsnn: write ") || !strings.Contains(err.Error(), "m.bin") {
		t.Fatalf("write into a missing directory: err = %v", err)
	}
	if _, err := ReadModelFile(filepath.Join(dir, "missing.bin")); err == nil ||
		!strings.HasPrefix(err.Error(), "lsnn: ") || !strings.Contains(err.Error(), "missing.bin") {
		t.Fatalf("reading a missing file: err = %v", err)
	}
	corrupt := filepath.Join(dir, "corrupt.bin")
	os.WriteFile(corrupt, wantBytes[:100], 0o644)
	if _, err := ReadModelFile(corrupt); err == nil || !strings.HasPrefix(err.Error(), "lsnn: "+corrupt+": offset 16: ") {
		t.Fatalf("reading a truncated file: err = %v", err)
	}
	invalid := append([]byte(nil), wantBytes...)
	binary.LittleEndian.PutUint64(invalid[24+16:], math.Float64bits(math.Inf(1))) // dt
	os.WriteFile(filepath.Join(dir, "invalid.bin"), resealModel(invalid), 0o644)
	_, err = ReadModelFile(filepath.Join(dir, "invalid.bin"))
	var verr *ValidationError
	if !errors.As(err, &verr) || !strings.HasPrefix(err.Error(), "lsnn: "+filepath.Join(dir, "invalid.bin")+": invalid network (1 problem)") {
		t.Fatalf("reading an invalid network: err = %v", err)
	}
}

// ---- benchmarks ---------------------------------------------------------------------

func BenchmarkModelMarshal(b *testing.B) {
	net := randomNetworkForCodec(b, 1, 80, 300, 10, 0.1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := net.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkModelUnmarshal(b *testing.B) {
	data, err := randomNetworkForCodec(b, 1, 80, 300, 10, 0.1).MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnmarshalModel(data); err != nil {
			b.Fatal(err)
		}
	}
}
