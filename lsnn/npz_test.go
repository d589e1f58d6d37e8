package lsnn

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// randomNetworkForNPZ builds a valid network with fixed-seed random parameters: about
// a third of the possible synapses, delays up to 4 steps, half the neurons ALIF, and
// Dale's-law signs when dale is set. Weights are multiples of 1/64 so that they
// survive float32.
func randomNetworkForNPZ(seed uint64, N, nIn, nOut int, dale bool) *Network {
	rng := rand.New(rand.NewPCG(seed, 0x6e707a))
	sign := func() int8 {
		if rng.IntN(2) == 0 {
			return -1
		}
		return 1
	}
	weight := func(s int8) float64 {
		w := float64(1+rng.IntN(128)) / 64
		if s < 0 || s == 0 && rng.IntN(2) == 0 {
			w = -w
		}
		return w
	}
	net := &Network{Dt: 1, TauOut: 20, Neurons: make([]Neuron, N), BOut: make([]float64, nOut),
		Meta: map[string]string{"seed": strconv.FormatUint(seed, 10)}}
	for j := range net.Neurons {
		nr := Neuron{TauM: float64(10 + rng.IntN(20)), B0: float64(32+rng.IntN(64)) / 64, NRef: rng.IntN(6)}
		if rng.IntN(2) == 0 {
			nr.Beta = float64(1+rng.IntN(16)) / 8
			nr.TauA = float64(100 + rng.IntN(900))
		}
		net.Neurons[j] = nr
	}
	if dale {
		net.SignIn = make([]int8, nIn)
		net.SignRec = make([]int8, N)
		for i := range net.SignIn {
			net.SignIn[i] = sign()
		}
		for i := range net.SignRec {
			net.SignRec[i] = sign()
		}
	}
	signOf := func(s []int8, i int) int8 {
		if s == nil {
			return 0
		}
		return s[i]
	}
	var in, rec, out []Synapse
	for i := 0; i < nIn; i++ {
		for j := 0; j < N; j++ {
			if rng.IntN(3) == 0 {
				in = append(in, Synapse{Pre: i, Post: j, Weight: weight(signOf(net.SignIn, i)), Delay: rng.IntN(5)})
			}
		}
	}
	for i := 0; i < N; i++ {
		for j := 0; j < N; j++ {
			if i != j && rng.IntN(3) == 0 {
				rec = append(rec, Synapse{Pre: i, Post: j, Weight: weight(signOf(net.SignRec, i)), Delay: 1 + rng.IntN(4)})
			}
		}
		for k := 0; k < nOut; k++ {
			if rng.IntN(4) != 0 {
				out = append(out, Synapse{Pre: i, Post: k, Weight: weight(signOf(net.SignRec, i))})
			}
		}
	}
	for k := range net.BOut {
		net.BOut[k] = float64(rng.IntN(64)-32) / 64
	}
	var err error
	if net.In, err = NewMatrix(nIn, N, in, true); err != nil {
		panic(err)
	}
	if net.Rec, err = NewMatrix(N, N, rec, true); err != nil {
		panic(err)
	}
	if net.Out, err = NewMatrix(N, nOut, out, false); err != nil {
		panic(err)
	}
	if err := net.Validate(); err != nil {
		panic(err)
	}
	return net
}

// npzEqual compares networks as the .npz format carries them: Meta is not carried,
// and an empty slice is as good as a nil one.
var npzEqual = []cmp.Option{cmpopts.IgnoreFields(Network{}, "Meta"), cmpopts.EquateEmpty()}

func encodeNPZ(t testing.TB, n *Network) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteNPZ(&b, n); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func decodeNPZ(b []byte) (*Network, error) { return ReadNPZ(bytes.NewReader(b), int64(len(b))) }

func TestNPZRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name         string
		N, nIn, nOut int
		dale         bool
		seed         uint64
	}{
		{name: "small", N: 5, nIn: 3, nOut: 2, seed: 1},
		{name: "dale", N: 12, nIn: 4, nOut: 3, dale: true, seed: 2},
		{name: "one neuron", N: 1, nIn: 1, nOut: 1, seed: 3},
		{name: "no inputs", N: 4, nIn: 0, nOut: 2, dale: true, seed: 4},
		{name: "no readouts", N: 4, nIn: 2, nOut: 0, seed: 5},
		{name: "larger", N: 60, nIn: 20, nOut: 10, dale: true, seed: 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := randomNetworkForNPZ(tc.seed, tc.N, tc.nIn, tc.nOut, tc.dale)
			b := encodeNPZ(t, want)
			got, err := decodeNPZ(b)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got, npzEqual...); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
			if got.Meta != nil {
				t.Errorf("Meta = %v, want nil: the format does not carry it", got.Meta)
			}
			if tc.dale != (got.SignIn != nil && got.SignRec != nil) || !tc.dale && (got.SignIn != nil || got.SignRec != nil) {
				t.Errorf("signs: got %v and %v, dale = %v", got.SignIn, got.SignRec, tc.dale)
			}
		})
	}
}

func TestNPZFile(t *testing.T) {
	want := randomNetworkForNPZ(7, 8, 3, 2, true)
	p := filepath.Join(t.TempDir(), "model.npz")
	if err := WriteNPZFile(p, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNPZFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, npzEqual...); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	// An invalid network is refused before anything is written.
	bad := want.Clone()
	bad.Dt = -1
	p2 := filepath.Join(t.TempDir(), "bad.npz")
	var ve *ValidationError
	if err := WriteNPZFile(p2, bad); !errors.As(err, &ve) {
		t.Fatalf("WriteNPZFile(invalid) = %v, want a *ValidationError", err)
	}
	if _, err := ReadNPZFile(p2); err == nil || !strings.HasPrefix(err.Error(), "lsnn: npz: ") {
		t.Fatalf("ReadNPZFile(missing file) = %v", err)
	}
}

func TestNPZDeterministic(t *testing.T) {
	n := randomNetworkForNPZ(8, 30, 6, 4, true)
	a := encodeNPZ(t, n)
	b := encodeNPZ(t, n.Clone())
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same network differ")
	}
	back, err := decodeNPZ(a)
	if err != nil {
		t.Fatal(err)
	}
	if c := encodeNPZ(t, back); !bytes.Equal(a, c) {
		t.Fatal("write(read(write(n))) differs from write(n)")
	}
	// Fixed member order and time stamps.
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if !f.Modified.Equal(npzTime) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, npzTime)
		}
	}
	want := "dt.npy tau_out.npy tau_m.npy tau_a.npy beta.npy b0.npy n_ref.npy w_in.npy d_in.npy w_rec.npy d_rec.npy w_out.npy b_out.npy sign_in.npy sign_rec.npy"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("members:\n got %s\nwant %s", got, want)
	}
}

// TestNPZReadableByNpyio checks what the exporter writes with npyio's own npz reader:
// dtypes, shapes, numpy's 64-byte header alignment, and the values.
func TestNPZReadableByNpyio(t *testing.T) {
	n := randomNetworkForNPZ(9, 6, 3, 2, false)
	b := encodeNPZ(t, n)
	zr, err := npz.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(zr.Keys(), " "); strings.Contains(got, "sign") {
		t.Errorf("signs written for a network without them: %s", got)
	}
	for _, c := range []struct {
		name, descr string
		shape       []int
	}{
		{"dt.npy", "'<f8'", nil},
		{"tau_m.npy", "'<f8'", []int{6}},
		{"n_ref.npy", "'<i8'", []int{6}},
		{"w_in.npy", "'<f8'", []int{3, 6}},
		{"d_rec.npy", "'<i8'", []int{6, 6}},
		{"w_out.npy", "'<f8'", []int{6, 2}},
		{"b_out.npy", "'<f8'", []int{2}},
	} {
		h := zr.Header(c.name)
		if h == nil {
			t.Fatalf("%s: no header", c.name)
		}
		if h.Descr.Type != c.descr || h.Descr.Fortran || !cmp.Equal(h.Descr.Shape, c.shape, cmpopts.EquateEmpty()) {
			t.Errorf("%s: header %v, want %s %v", c.name, h, c.descr, c.shape)
		}
		rc, err := zr.Open(c.name)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(rc)
		rc.Close()
		hdrLen := int(binary.LittleEndian.Uint16(raw[8:10]))
		if raw[6] != 1 || (10+hdrLen)%64 != 0 || raw[10+hdrLen-1] != '\n' {
			t.Errorf("%s: npy version %d, header ends at %d: want 1.0, a multiple of 64, ending in a newline", c.name, raw[6], 10+hdrLen)
		}
	}
	var wRec []float64
	if err := zr.Read("w_rec.npy", &wRec); err != nil {
		t.Fatal(err)
	}
	dense, _ := n.Rec.Dense()
	if !cmp.Equal(wRec, dense) {
		t.Errorf("w_rec read by npyio:\n got %v\nwant %v", wRec, dense)
	}
	var dt float64
	if err := zr.Read("dt.npy", &dt); err != nil || dt != n.Dt {
		t.Errorf("dt read by npyio = %v, %v; want %v", dt, err, n.Dt)
	}
}

// npzMembersOf returns the arrays of n as a user's script would save them, keyed by name
// without ".npy": float32 real arrays and int32 integer arrays when narrow is set,
// float64 and int64 otherwise. Delays of absent synapses are zero. nIn and nOut must
// be positive (npy.Write cannot give an axis of length zero).
func npzMembersOf(n *Network, narrow bool) map[string]any {
	N := n.N()
	m := map[string]any{}
	real1 := func(v []float64) any {
		if !narrow {
			return append([]float64(nil), v...)
		}
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	}
	real2 := func(v []float64, cols int) any {
		if !narrow {
			var out [][]float64
			for i := 0; i < len(v); i += cols {
				out = append(out, append([]float64(nil), v[i:i+cols]...))
			}
			return out
		}
		var out [][]float32
		for i := 0; i < len(v); i += cols {
			row := make([]float32, cols)
			for j := range row {
				row[j] = float32(v[i+j])
			}
			out = append(out, row)
		}
		return out
	}
	int1 := func(v []int) any {
		if !narrow {
			out := make([]int64, len(v))
			for i, x := range v {
				out[i] = int64(x)
			}
			return out
		}
		out := make([]int32, len(v))
		for i, x := range v {
			out[i] = int32(x)
		}
		return out
	}
	int2 := func(v []int, cols int) any {
		if !narrow {
			var out [][]int64
			for i := 0; i < len(v); i += cols {
				out = append(out, int1(v[i:i+cols]).([]int64))
			}
			return out
		}
		var out [][]int32
		for i := 0; i < len(v); i += cols {
			out = append(out, int1(v[i:i+cols]).([]int32))
		}
		return out
	}
	var tauM, tauA, beta, b0 []float64
	var nRef []int
	for _, nr := range n.Neurons {
		tauM, tauA, beta, b0 = append(tauM, nr.TauM), append(tauA, nr.TauA), append(beta, nr.Beta), append(b0, nr.B0)
		nRef = append(nRef, nr.NRef)
	}
	m["dt"], m["tau_out"] = n.Dt, n.TauOut
	if narrow {
		m["dt"], m["tau_out"] = float32(n.Dt), float32(n.TauOut)
	}
	m["tau_m"], m["tau_a"], m["beta"], m["b0"] = real1(tauM), real1(tauA), real1(beta), real1(b0)
	m["n_ref"] = int1(nRef)
	wIn, dIn := n.In.Dense()
	wRec, dRec := n.Rec.Dense()
	wOut, _ := n.Out.Dense()
	m["w_in"], m["d_in"] = real2(wIn, N), int2(dIn, N)
	m["w_rec"], m["d_rec"] = real2(wRec, N), int2(dRec, N)
	m["w_out"], m["b_out"] = real2(wOut, n.NOut()), real1(n.BOut)
	if n.SignIn != nil {
		m["sign_in"] = append([]int8(nil), n.SignIn...)
		m["sign_rec"] = append([]int8(nil), n.SignRec...)
	}
	return m
}

// buildNPZ writes the members with npyio's npz writer, in name order, each named
// name+".npy" unless it already ends so.
func buildNPZ(t testing.TB, m map[string]any) []byte {
	t.Helper()
	var b bytes.Buffer
	w := npz.NewWriter(&b)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		name := k
		if !strings.HasSuffix(name, ".npy") {
			name += ".npy"
		}
		if err := w.Write(name, m[k]); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// npyHeader returns the bytes of an npy 1.0 header.
func npyHeader(descr string, fortran bool, shape string) []byte {
	order := "False"
	if fortran {
		order = "True"
	}
	return npyHeaderDict("{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }")
}

// npyHeaderDict returns the bytes of an npy 1.0 header holding dict.
func npyHeaderDict(dict string) []byte {
	for (10+len(dict)+1)%64 != 0 {
		dict += " "
	}
	dict += "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(dict)), byte(len(dict)>>8))
	return append(b, dict...)
}

func npzF64Bytes(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// buildRawZip writes an archive of stored members with the exact bytes given, in
// name order.
func buildRawZip(t testing.TB, m map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: k, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m[k])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rawMembers returns the members of an archive, by name, uncompressed.
func rawMembers(t testing.TB, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		m[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestNPZNarrowTypes(t *testing.T) {
	for _, dale := range []bool{false, true} {
		want := randomNetworkForNPZ(10, 7, 3, 2, dale)
		for _, narrow := range []bool{false, true} {
			got, err := decodeNPZ(buildNPZ(t, npzMembersOf(want, narrow)))
			if err != nil {
				t.Fatalf("narrow=%v dale=%v: %v", narrow, dale, err)
			}
			if d := cmp.Diff(want, got, npzEqual...); d != "" {
				t.Errorf("narrow=%v dale=%v (-want +got):\n%s", narrow, dale, d)
			}
		}
	}
}

func TestNPZOtherAcceptedForms(t *testing.T) {
	base := randomNetworkForNPZ(11, 5, 2, 2, true)
	f64 := func(v []int) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	t.Run("scalar n_ref", func(t *testing.T) {
		m := npzMembersOf(base, true)
		m["n_ref"] = int32(3)
		got, err := decodeNPZ(buildNPZ(t, m))
		if err != nil {
			t.Fatal(err)
		}
		for j, nr := range got.Neurons {
			if nr.NRef != 3 {
				t.Errorf("neuron %d: n_ref %d, want 3", j, nr.NRef)
			}
		}
	})
	t.Run("float delays and signs", func(t *testing.T) {
		m := npzMembersOf(base, false)
		_, dIn := base.In.Dense()
		_, dRec := base.Rec.Dense()
		var rows [][]float64
		for i := 0; i < base.N(); i++ {
			rows = append(rows, f64(dRec[i*base.N():(i+1)*base.N()]))
		}
		m["d_rec"] = rows
		m["d_in"] = [][]float32{
			{float32(dIn[0]), float32(dIn[1]), float32(dIn[2]), float32(dIn[3]), float32(dIn[4])},
			{float32(dIn[5]), float32(dIn[6]), float32(dIn[7]), float32(dIn[8]), float32(dIn[9])}}
		m["sign_in"] = []float64{float64(base.SignIn[0]), float64(base.SignIn[1])}
		m["sign_rec"] = []int64{int64(base.SignRec[0]), int64(base.SignRec[1]), int64(base.SignRec[2]), int64(base.SignRec[3]), int64(base.SignRec[4])}
		m["n_ref"] = f64([]int{base.Neurons[0].NRef, base.Neurons[1].NRef, base.Neurons[2].NRef, base.Neurons[3].NRef, base.Neurons[4].NRef})
		got, err := decodeNPZ(buildNPZ(t, m))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(base, got, npzEqual...); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("default delays", func(t *testing.T) {
		m := npzMembersOf(base, true)
		delete(m, "d_in")
		delete(m, "d_rec")
		got, err := decodeNPZ(buildNPZ(t, m))
		if err != nil {
			t.Fatal(err)
		}
		want := base.Clone()
		for k := range want.In.Delay {
			want.In.Delay[k] = 0
		}
		for k := range want.Rec.Delay {
			want.Rec.Delay[k] = 1
		}
		if d := cmp.Diff(want, got, npzEqual...); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("no signs", func(t *testing.T) {
		m := npzMembersOf(base, true)
		delete(m, "sign_in")
		delete(m, "sign_rec")
		got, err := decodeNPZ(buildNPZ(t, m))
		if err != nil {
			t.Fatal(err)
		}
		want := base.Clone()
		want.SignIn, want.SignRec = nil, nil
		if d := cmp.Diff(want, got, npzEqual...); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("names without .npy", func(t *testing.T) {
		// numpy reads members named without the suffix too.
		raw := rawMembers(t, encodeNPZ(t, base))
		m := map[string][]byte{}
		for k, v := range raw {
			m[strings.TrimSuffix(k, ".npy")] = v
		}
		got, err := decodeNPZ(buildRawZip(t, m))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(base, got, npzEqual...); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("integer scalars and time constants", func(t *testing.T) {
		// np.savez(dt=1, tau_out=20, tau_m=np.full(N, 20)) stores int64 arrays.
		net := base.Clone()
		for j := range net.Neurons {
			net.Neurons[j].TauM = 20
		}
		net.Dt, net.TauOut = 1, 20
		m := npzMembersOf(net, false)
		m["dt"], m["tau_out"] = int64(1), int64(20)
		tau := make([]int64, net.N())
		for j := range tau {
			tau[j] = 20
		}
		m["tau_m"] = tau
		got, err := decodeNPZ(buildNPZ(t, m))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(net, got, npzEqual...); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("stored, not deflated", func(t *testing.T) {
		// numpy.savez stores its members; savez_compressed deflates them.
		got, err := decodeNPZ(buildRawZip(t, rawMembers(t, encodeNPZ(t, base))))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(base, got, npzEqual...); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("fortran order and big endian", func(t *testing.T) {
		// numpy saves a transposed array (w.T of a PyTorch weight, say) in column-major
		// order with fortran_order True. Big-endian data is rare but legal.
		raw := rawMembers(t, encodeNPZ(t, base))
		N := base.N()
		w, _ := base.Rec.Dense()
		colMajor := make([]float64, N*N)
		for i := 0; i < N; i++ {
			for j := 0; j < N; j++ {
				colMajor[j*N+i] = w[i*N+j]
			}
		}
		raw["w_rec.npy"] = append(npyHeader("<f8", true, "("+strconv.Itoa(N)+", "+strconv.Itoa(N)+")"), npzF64Bytes(colMajor...)...)
		var be []byte
		for _, nr := range base.Neurons {
			be = binary.BigEndian.AppendUint64(be, math.Float64bits(nr.TauM))
		}
		raw["tau_m.npy"] = append(npyHeader(">f8", false, "("+strconv.Itoa(N)+",)"), be...)
		got, err := decodeNPZ(buildRawZip(t, raw))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(base, got, npzEqual...); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
}

func TestNPZErrors(t *testing.T) {
	base := randomNetworkForNPZ(12, 4, 3, 2, true)
	// Synapses of base used below: the first recurrent one and the first input one.
	rs := base.Rec.Synapses()[0]
	is := base.In.Synapses()[0]
	type edit func(m map[string]any)
	set := func(name string, v any) edit { return func(m map[string]any) { m[name] = v } }
	for _, tc := range []struct {
		name string
		edit edit
		want string
	}{
		{"missing w_rec", func(m map[string]any) { delete(m, "w_rec") }, "lsnn: npz: missing array w_rec"},
		{"missing tau_m", func(m map[string]any) { delete(m, "tau_m") }, "lsnn: npz: missing array tau_m"},
		{"missing dt", func(m map[string]any) { delete(m, "dt") }, "lsnn: npz: missing array dt"},
		{"w_rec shape", set("w_rec", [][]float32{{0, 1, 1}, {1, 0, 1}, {1, 1, 0}, {1, 1, 1}}),
			"lsnn: npz: w_rec has shape [4 3], want [4 4] (N = 4 from tau_m)"},
		{"w_in shape", set("w_in", []float32{1, 2, 3, 4}), "lsnn: npz: w_in has shape [4], want [n_in 4] (N = 4 from tau_m)"},
		{"w_out shape", set("w_out", [][]float32{{1, 2}, {3, 4}}), "lsnn: npz: w_out has shape [2 2], want [4 n_out] (N = 4 from tau_m)"},
		{"b_out shape", set("b_out", []float32{1, 2, 3}), "lsnn: npz: b_out has shape [3], want [2] (n_out = 2 from w_out)"},
		{"tau_m shape", set("tau_m", [][]float32{{1, 2}, {3, 4}}), "lsnn: npz: tau_m has shape [2 2], want [N] (one entry per neuron)"},
		{"beta shape", set("beta", []float32{1, 2, 3}), "lsnn: npz: beta has shape [3], want [4] (N = 4 from tau_m)"},
		{"dt shape", set("dt", []float32{1}), "lsnn: npz: dt has shape [1], want [] (a scalar, in ms)"},
		{"n_ref shape", set("n_ref", []int32{1, 2}), "lsnn: npz: n_ref has shape [2], want [] or [4] (N = 4 from tau_m)"},
		{"d_in shape", set("d_in", [][]int32{{1, 2, 3, 4}}), "lsnn: npz: d_in has shape [1 4], want [3 4] (n_in = 3 from w_in, N = 4 from tau_m)"},
		{"sign_in shape", set("sign_in", []int8{1, 1}), "lsnn: npz: sign_in has shape [2], want [3] (n_in = 3 from w_in)"},
		{"w_in dtype", set("w_in", [][]bool{{true, false, true, false}, {true, false, true, false}, {true, false, true, false}}), "lsnn: npz: w_in has dtype '|b1', want a float or integer type"},
		{"tau_out dtype", set("tau_out", complex(1, 0)), "lsnn: npz: tau_out has dtype '<c16', want a float or integer type"},
		{"d_rec dtype", set("d_rec", [][]bool{{true, true, true, true}, {true, true, true, true}, {true, true, true, true}, {true, true, true, true}}),
			"lsnn: npz: d_rec has dtype '|b1', want int32, int64 or a float holding integers"},
		{"n_ref dtype", set("n_ref", []complex64{1, 2, 3, 4}), "lsnn: npz: n_ref has dtype '<c8', want int32, int64 or a float holding integers"},
		{"non-integer delay", func(m map[string]any) {
			d := m["d_rec"].([][]int32)
			f := make([][]float64, len(d))
			for i := range d {
				for _, x := range d[i] {
					f[i] = append(f[i], float64(x))
				}
			}
			f[rs.Pre][rs.Post] = 1.5
			m["d_rec"] = f
		}, "lsnn: npz: d_rec[" + strconv.Itoa(rs.Pre) + "," + strconv.Itoa(rs.Post) + "] = 1.5 is not an integer"},
		{"NaN delay", func(m map[string]any) {
			d := m["d_in"].([][]int32)
			f := make([][]float32, len(d))
			for i := range d {
				for _, x := range d[i] {
					f[i] = append(f[i], float32(x))
				}
			}
			f[is.Pre][is.Post] = float32(math.NaN())
			m["d_in"] = f
		}, "lsnn: npz: d_in[" + strconv.Itoa(is.Pre) + "," + strconv.Itoa(is.Post) + "] = NaN is not an integer"},
		{"non-integer n_ref", set("n_ref", []float32{1, 2, 2.5, 0}), "lsnn: npz: n_ref[2] = 2.5 is not an integer"},
		{"delay out of range", func(m map[string]any) { m["d_rec"].([][]int32)[rs.Pre][rs.Post] = 5000 },
			"lsnn: npz: d_rec[" + strconv.Itoa(rs.Pre) + "," + strconv.Itoa(rs.Post) + "] = 5000 out of range 0..1023"},
		{"negative n_ref", set("n_ref", int64(-1)), "lsnn: npz: n_ref = -1 out of range 0..1023"},
		{"NaN tau_m", func(m map[string]any) { m["tau_m"].([]float32)[2] = float32(math.NaN()) }, "lsnn: npz: tau_m[2] is NaN, want a finite value"},
		{"NaN weight", func(m map[string]any) { m["w_rec"].([][]float32)[1][2] = float32(math.NaN()) }, "lsnn: npz: w_rec[1,2] is NaN, want a finite value"},
		{"Inf dt", set("dt", math.Inf(1)), "lsnn: npz: dt is +Inf, want a finite value"},
		{"bad sign", func(m map[string]any) { m["sign_rec"].([]int8)[1] = 0 }, "lsnn: npz: sign_rec[1] = 0, want +1 or -1"},
		{"unknown array", set("w_hid", []float32{1}), `lsnn: npz: unknown array "w_hid.npy" (the schema has dt, tau_out,`},
		{"twice", set("w_in.npy", npzMembersOf(base, true)["w_in"]), "lsnn: npz: array w_in appears twice"},
		{"self-connection", func(m map[string]any) { m["w_rec"].([][]float32)[2][2] = 0.5 * float32(base.SignRec[2]) },
			"w_rec[2,2]: self-connection"},
		{"zero recurrent delay", func(m map[string]any) { m["d_rec"].([][]int32)[rs.Pre][rs.Post] = 0 },
			"w_rec[" + strconv.Itoa(rs.Pre) + "," + strconv.Itoa(rs.Post) + "]: delay 0 steps out of range 1..1023"},
		{"dale", func(m map[string]any) { m["w_rec"].([][]float32)[rs.Pre][rs.Post] *= -1 }, "sign against Dale's law"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := npzMembersOf(base, true)
			tc.edit(m)
			_, err := decodeNPZ(buildNPZ(t, m))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n  %v\nwant it to contain\n  %s", err, tc.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) && !strings.HasPrefix(err.Error(), "lsnn: npz: ") {
				t.Errorf("error %q lacks the lsnn: npz: prefix", err)
			}
		})
	}
}

// TestNPZHostile feeds archives whose claims do not hold.
func TestNPZHostile(t *testing.T) {
	base := randomNetworkForNPZ(13, 4, 2, 2, false)
	good := rawMembers(t, encodeNPZ(t, base))
	with := func(name string, b []byte) []byte {
		m := map[string][]byte{}
		for k, v := range good {
			m[k] = v
		}
		m[name] = b
		return buildRawZip(t, m)
	}
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"not a zip", []byte("hello, world"), "lsnn: npz: not a zip archive"},
		{"empty", nil, "lsnn: npz: not a zip archive"},
		{"empty zip", buildRawZip(t, nil), "lsnn: npz: missing array tau_m"},
		{"not npy", with("b0.npy", []byte("just some text, nothing more")), `lsnn: npz: b0: not an npy array (bad magic "just s")`},
		{"short", with("b0.npy", []byte("\x93NUM")), "lsnn: npz: b0: 4 bytes, too short for an npy array"},
		{"npy 3.0", with("b0.npy", append([]byte("\x93NUMPY\x03\x00\x10\x00\x00\x00"), make([]byte, 16)...)),
			"lsnn: npz: b0: npy format version 3.0 is not supported (want 1.0 or 2.0)"},
		{"huge header", with("b0.npy", append([]byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f"), make([]byte, 16)...)),
			"lsnn: npz: b0: npy header of 2147483647 bytes, at most 65536 allowed"},
		{"header overruns", with("b0.npy", append([]byte("\x93NUMPY\x01\x00\x00\x01"), make([]byte, 16)...)),
			"lsnn: npz: b0: npy header of 256 bytes overruns the 26-byte member"},
		{"shape claims more than data", with("w_rec.npy", append(npyHeader("<f8", false, "(100000, 100000)"), npzF64Bytes(1, 2, 3)...)),
			"lsnn: npz: w_rec: npy header says shape [100000 100000] of '<f8', which takes 10000000000 elements of 8 bytes, but the member holds 24 data bytes"},
		{"shape overflows", with("w_rec.npy", append(npyHeader("<f8", false, "(4294967296, 4294967296, 4294967296)"), npzF64Bytes(1)...)),
			"lsnn: npz: w_rec: npy header shape [4294967296 4294967296 4294967296] is too large"},
		{"negative dimension", with("w_rec.npy", append(npyHeader("<f8", false, "(-1, 4)"), npzF64Bytes(1)...)),
			"lsnn: npz: w_rec: npy header has a negative dimension in shape [-1 4]"},
		{"trailing data", with("b0.npy", append(npyHeader("<f8", false, "(3,)"), npzF64Bytes(1, 2, 3, 4)...)),
			"lsnn: npz: b0: npy header says shape [3] of '<f8', which takes 3 elements of 8 bytes, but the member holds 32 data bytes"},
		{"float16", with("b0.npy", append(npyHeader("<f2", false, "(4,)"), make([]byte, 8)...)),
			"lsnn: npz: b0 has dtype '<f2', want a float or integer type"},
		{"structured", with("b0.npy", append(npyHeader("<f8', 'x", false, "(4,)"), make([]byte, 32)...)),
			"lsnn: npz: b0 has dtype"},
		{"header without newline", with("b0.npy", append(bytes.ReplaceAll(npyHeader("<f8", false, "(4,)"), []byte("\n"), []byte(" ")), npzF64Bytes(1, 1, 1, 1)...)),
			"lsnn: npz: b0: bad npy header: npyio panicked: runtime error: slice bounds out of range"},
		{"header keys reordered", with("b0.npy", append(npyHeaderDict("{'shape': (4,), 'fortran_order': False, 'descr': '<f8', }"), npzF64Bytes(1, 1, 1, 1)...)),
			"lsnn: npz: b0: bad npy header: npyio panicked: runtime error: slice bounds out of range"},
		{"claims a huge member", npzHugeMember(t, good), "lsnn: npz: tau_m: zip member claims 1099511627776 bytes, more than its 10 compressed bytes can hold"},
		{"bad checksum", npzBadCRC(t, good), "lsnn: npz: tau_m: zip: checksum error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeNPZ(tc.file)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n  %v\nwant it to contain\n  %s", err, tc.want)
			}
		})
	}
}

// npzHugeMember returns an archive whose tau_m member claims a terabyte of data.
func npzHugeMember(t *testing.T, good map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "tau_m.npy", Method: zip.Store, CompressedSize64: 10, UncompressedSize64: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(good["tau_m.npy"][:10])
	zw.Close()
	return b.Bytes()
}

// npzBadCRC returns an archive whose tau_m member has a wrong checksum.
func npzBadCRC(t *testing.T, good map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	data := good["tau_m.npy"]
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "tau_m.npy", Method: zip.Store, CRC32: crc32.ChecksumIEEE(data) ^ 1,
		CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	zw.Close()
	return b.Bytes()
}

func TestSparseFromDenseMatchesMatrixFromDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 0))
	for _, sh := range [][2]int{{0, 0}, {0, 3}, {3, 0}, {1, 1}, {5, 7}, {20, 20}} {
		rows, cols := sh[0], sh[1]
		w := make([]float64, rows*cols)
		d := make([]int, rows*cols)
		d16 := make([]uint16, rows*cols)
		for k := range w {
			if rng.IntN(3) == 0 {
				w[k] = rng.NormFloat64()
				d[k] = rng.IntN(8)
				d16[k] = uint16(d[k])
			}
		}
		want, err := MatrixFromDense(rows, cols, w, d)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, sparseFromDense(rows, cols, w, d16), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%dx%d with delays (-MatrixFromDense +sparseFromDense):\n%s", rows, cols, diff)
		}
		want, _ = MatrixFromDense(rows, cols, w, nil)
		if diff := cmp.Diff(want, sparseFromDense(rows, cols, w, nil), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%dx%d without delays (-MatrixFromDense +sparseFromDense):\n%s", rows, cols, diff)
		}
	}
}

func BenchmarkWriteNPZ(b *testing.B) {
	n := randomNetworkForNPZ(15, 500, 100, 10, true)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteNPZ(io.Discard, n); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadNPZ(b *testing.B) {
	data := encodeNPZ(b, randomNetworkForNPZ(15, 500, 100, 10, true))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeNPZ(data); err != nil {
			b.Fatal(err)
		}
	}
}
