package chipimage_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/lsnn/lsnntest"
	"github.com/snnc/snnc/targets"
)

// Small targets that make small networks span several cores: a unicast mesh of 3 x 2
// tiles of 2 cores, and a multicast one, with 24 neuron slots per core.
const (
	tinyUnicast = `{"version": 1, "inherits": "loihi", "description": "test: 3 x 2 tiles of 2 small unicast cores",
		"mesh": {"cols": 3, "rows": 2, "cores_per_tile": 2}, "core": {"neurons": 24}}`
	tinyMulticast = `{"version": 1, "inherits": "artix7-35t", "description": "test: 3 x 2 tiles of 2 small multicast cores",
		"mesh": {"cols": 3, "rows": 2, "cores_per_tile": 2}, "core": {"neurons": 24}, "router": {"table_entries": 256}}`
)

func target(t testing.TB, name string) *targets.Target {
	t.Helper()
	var tg *targets.Target
	var err error
	switch name {
	case "tiny-unicast":
		tg, err = targets.Parse(name+".json", []byte(tinyUnicast))
	case "tiny-multicast":
		tg, err = targets.Parse(name+".json", []byte(tinyMulticast))
	default:
		tg, err = targets.Lookup(name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// compileRandom compiles a random network for a target.
func compileRandom(t testing.TB, tg *targets.Target, seed uint64, nIn, n, nOut int) *chipimage.Image {
	t.Helper()
	net := lsnntest.RandomNetwork(rand.New(rand.NewPCG(seed, 1)), nIn, n, nOut, 0.15, 6)
	img, _, err := compiler.Compile(net, tg, compiler.Options{ModelHash: [32]byte{byte(seed)}})
	if err != nil {
		t.Fatalf("%s: %v", tg.Name, err)
	}
	return img
}

var cases = []struct {
	target        string
	nIn, n, nOut  int
	minCores      int
	multicastKeys bool
}{
	{"tiny-unicast", 6, 60, 3, 3, false},
	{"tiny-multicast", 6, 60, 3, 3, true},
	{"xylo-wide", 5, 30, 4, 1, false},
	{"ice40-up5k", 4, 20, 2, 1, false},
	{"artix7-35t", 8, 40, 2, 1, true},
}

func TestRoundTrip(t *testing.T) {
	for _, c := range cases {
		t.Run(c.target, func(t *testing.T) {
			tg := target(t, c.target)
			img := compileRandom(t, tg, 7, c.nIn, c.n, c.nOut)
			if len(img.Cores) < c.minCores {
				t.Fatalf("%d cores, want at least %d", len(img.Cores), c.minCores)
			}
			if c.multicastKeys != (len(img.Routers) > 0) {
				t.Fatalf("%d routing tables on a %s target", len(img.Routers), tg.Packets.Addressing)
			}
			b, err := img.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, err := chipimage.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if err := back.CheckTarget(tg); err != nil {
				t.Fatal(err)
			}
			b2, err := back.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, b2) {
				t.Fatal("decode + encode changes the bytes")
			}
			if back.String() != img.String() {
				t.Fatalf("%s != %s", back, img)
			}
			other := target(t, "loihi")
			if c.target != "loihi" && back.CheckTarget(other) == nil {
				t.Fatal("CheckTarget accepts another target")
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	img := compileRandom(t, target(t, "tiny-multicast"), 3, 4, 40, 2)
	dir := t.TempDir()
	path := filepath.Join(dir, "x.img")
	b, _ := img.MarshalBinary()
	os.WriteFile(path, b, 0o644)
	if _, err := chipimage.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, b[:len(b)-1], 0o644)
	_, err := chipimage.ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), "x.img") || !strings.Contains(err.Error(), "file length") {
		t.Fatalf("truncated file: %v", err)
	}
	if _, err := chipimage.ReadFile(dir); err == nil {
		t.Fatal("read a directory")
	}
}

// patch overwrites bytes of an encoded image and fixes the CRCs of the section
// holding them and of the file, so that only the content is wrong.
func patch(t *testing.T, b []byte, off int, val []byte) []byte {
	t.Helper()
	b = bytes.Clone(b)
	copy(b[off:], val)
	pos := 24
	for pos < len(b)-4 {
		n := int(binary.LittleEndian.Uint64(b[pos+4:]))
		if off >= pos+16 && off < pos+16+n {
			binary.LittleEndian.PutUint32(b[pos+12:], crc32.ChecksumIEEE(b[pos+16:pos+16+n]))
		}
		pos += 16 + n
	}
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
	return b
}

// section returns the offset of the i-th section with the tag.
func section(b []byte, tag string, i int) int {
	pos := 24
	for pos < len(b)-4 {
		n := int(binary.LittleEndian.Uint64(b[pos+4:]))
		if string(b[pos:pos+4]) == tag {
			if i == 0 {
				return pos
			}
			i--
		}
		pos += 16 + n
	}
	return -1
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func TestCorruptFiles(t *testing.T) {
	img := compileRandom(t, target(t, "tiny-multicast"), 5, 6, 60, 3)
	good, _ := img.MarshalBinary()
	core := section(good, "CORE", 1) // a CORE section header
	rout := section(good, "ROUT", 0)
	payload := core + 16
	nNeurons := int(binary.LittleEndian.Uint32(good[payload+4:]))
	nGroups := int(binary.LittleEndian.Uint32(good[payload+12:]))
	neuron0 := payload + 32 + nGroups
	readouts := int(binary.LittleEndian.Uint32(good[payload+8:]))
	axon0 := neuron0 + 60*nNeurons + 28*readouts
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{"empty", nil, []string{"too short"}},
		{"magic", append([]byte("SNNCMODL"), good[8:]...), []string{"offset 0", "not an snnc image"}},
		{"version", patch(t, good, 8, u32(2)), []string{"offset 8", "version 2"}},
		{"truncated", good[:len(good)-10], []string{"file length field"}},
		{"padded", append(bytes.Clone(good), 0), []string{"file length field"}},
		{"flipped bit", func() []byte { b := bytes.Clone(good); b[payload+40] ^= 1; return b }(), []string{"CRC32", "CORE"}},
		{"file crc", func() []byte { b := bytes.Clone(good); b[len(b)-1] ^= 1; return b }(), []string{"file CRC32"}},
		{"huge section", patch(t, good, core+4, u64(1<<62)), []string{"length", "exceeds"}},
		{"section count", patch(t, good, 12, u32(1<<30)), []string{"offset 12", "section count"}},
		{"wrong tag", patch(t, good, section(good, "ARIT", 0), []byte("XXXX")), []string{"tag \"XXXX\"", "want \"ARIT\""}},
		{"core count", patch(t, good, payload+4, u32(1<<31)), []string{"section CORE at offset", "neurons, the target's limit"}},
		{"core length", patch(t, good, payload+24, u32(1)), []string{"section CORE at offset", "counts"}},
		{"neuron id", patch(t, good, neuron0, u32(100000)), []string{"section CORE at offset", "neuron entry 0", "out of range"}},
		{"threshold", patch(t, good, neuron0+24, u64(1<<40)), []string{"threshold mantissa"}},
		{"first word", patch(t, good, axon0+10, u32(99)), []string{"axon entry 1", "first word 99"}},
		{"axon flags", patch(t, good, axon0+9, []byte{0x80}), []string{"unknown flag bits"}},
		{"route key", patch(t, good, rout+16+8, u64(1<<40)), []string{"ROUT", "key"}},
		{"route nowhere", patch(t, good, rout+16+8+16, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0}), []string{"sends nowhere"}},
		{"target name", patch(t, good, section(good, "HEAD", 0)+16, []byte("bad name!")), []string{"target name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := chipimage.Decode(c.data)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "chipimage: ") {
				t.Errorf("error without the package prefix: %s", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

// TestSemanticFaults changes an image in memory and checks that Validate names the
// fault, and that the reader rejects the same fault in a file with correct CRCs.
func TestSemanticFaults(t *testing.T) {
	for _, tname := range []string{"tiny-unicast", "tiny-multicast"} {
		tg := target(t, tname)
		faults := []struct {
			name   string
			change func(img *chipimage.Image)
			want   string
		}{
			{"neuron twice", func(img *chipimage.Image) { img.Cores[1].Neurons[0].ID = img.Cores[0].Neurons[0].ID }, "placed twice"},
			{"neuron missing", func(img *chipimage.Image) { img.Header.N++ }, "the cores hold 60"},
			{"overlapping slots", func(img *chipimage.Image) { img.Cores[0].Neurons[1].Slot = img.Cores[0].Neurons[0].Slot }, "slot"},
			{"decay code", func(img *chipimage.Image) { img.Cores[0].Neurons[0].MemDecay = -1 }, "decay code"},
			{"initial membrane", func(img *chipimage.Image) { img.Cores[0].Neurons[0].V = 1 << 40 }, "initial membrane"},
			{"refractory counter", func(img *chipimage.Image) {
				n := &img.Cores[0].Neurons[0]
				n.RefrLeft = n.Refractory + 1
			}, "refractory counter"},
			{"exponent order", func(img *chipimage.Image) {
				c := &img.Cores[0]
				c.Exponents = append(c.Exponents, c.Exponents[len(c.Exponents)-1])
			}, "exponent"},
			{"map source order", func(img *chipimage.Image) {
				m := img.Cores[0].AxonMap
				m[0], m[1] = m[1], m[0]
			}, "ascending sources"},
			{"map wrong sender", func(img *chipimage.Image) {
				m := img.Cores[0].AxonMap
				m[len(m)-1].Source++
			}, ""},
			{"fan-out to nowhere", func(img *chipimage.Image) {
				c := &img.Cores[0]
				for i := range c.Fanout {
					if tg.Packets.Addressing == targets.Unicast {
						c.Fanout[i] = chipimage.UnicastDest(c.Fanout[i].Core(), c.Fanout[i].Axon()+1)
					} else {
						c.Fanout[i]++
					}
				}
			}, ""},
			{"fan-out entry dropped", func(img *chipimage.Image) {
				// An axon its sender no longer reaches: delivery's walk in ranges
				// of senders starts the next range past it, so it must notice the
				// skipped map entry at the range's end.
				c := &img.Cores[0]
				c.Fanout = c.Fanout[:len(c.Fanout)-1]
				c.FanoutStart[len(c.FanoutStart)-1]--
			}, ""},
			{"synapse target", func(img *chipimage.Image) {
				c := &img.Cores[0]
				lay := img.Layout()
				base := map[int]bool{}
				for _, n := range c.Neurons {
					base[n.Slot] = true
				}
				for _, r := range c.Readouts {
					base[r.Slot] = true
				}
				s := lay.Get(c.Synapses, 0, 0)
				for s.Target = 0; base[s.Target]; s.Target++ {
				}
				clear(c.Synapses[:lay.WordBytes])
				lay.Put(c.Synapses, 0, 0, s)
			}, "target slot"},
			{"output map", func(img *chipimage.Image) { img.Outputs[0].Slot++ }, "readout unit 0"},
			{"input map", func(img *chipimage.Image) { img.Inputs.Start[1]++ }, ""},
		}
		for _, f := range faults {
			t.Run(tname+"/"+f.name, func(t *testing.T) {
				img := compileRandom(t, tg, 11, 6, 60, 3)
				f.change(img)
				err := img.Validate()
				if err == nil {
					t.Fatal("Validate accepted")
				}
				if !strings.HasPrefix(err.Error(), "chipimage: ") || !strings.Contains(err.Error(), f.want) {
					t.Fatalf("error %q lacks %q", err, f.want)
				}
				if _, err := img.MarshalBinary(); err == nil {
					t.Fatal("MarshalBinary encoded an invalid image")
				}
				_, err = chipimage.Decode(chipimage.EncodeUnchecked(img))
				if err == nil || !strings.Contains(err.Error(), "offset") {
					t.Fatalf("decoding the faulty file: %v", err)
				}
			})
		}
	}
}

// TestRoutingFaults breaks multicast tables: a loop, a missing entry, an extra
// delivery.
func TestRoutingFaults(t *testing.T) {
	tg := target(t, "tiny-multicast")
	img := compileRandom(t, tg, 13, 6, 60, 3)
	if len(img.Routers) < 2 {
		t.Skip("one routing table")
	}
	cases := []struct {
		name   string
		change func(r []chipimage.Router)
		want   string
	}{
		{"no entry", func(r []chipimage.Router) {
			full := ^uint64(0) >> (64 - tg.KeyBits())
			for i := range r[0].Entries {
				r[0].Entries[i].Key, r[0].Entries[i].Mask = full, full
			}
		}, "no entry"},
		{"extra core", func(r []chipimage.Router) {
			for i := range r[0].Entries {
				r[0].Entries[i].Cores |= 3
			}
		}, "has no axon"},
		{"loop", func(r []chipimage.Router) {
			for _, x := range r {
				col := x.Tile % tg.Mesh.Cols
				for i := range x.Entries {
					if col == 0 {
						x.Entries[i].Links |= chipimage.LinkEast
					} else if col == 1 {
						x.Entries[i].Links |= chipimage.LinkWest
					}
				}
			}
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := compileRandom(t, tg, 13, 6, 60, 3)
			c.change(img.Routers)
			err := img.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
		})
	}
}

// TestAllocationBound hands the reader counts far above what the file holds: it
// must fail without allocating them.
func TestAllocationBound(t *testing.T) {
	img := compileRandom(t, target(t, "tiny-unicast"), 5, 6, 60, 3)
	good, _ := img.MarshalBinary()
	payload := section(good, "CORE", 0) + 16
	bad := patch(t, good, payload+28, u32(1<<24)) // fan-out entries: 16M
	allocs := testing.AllocsPerRun(5, func() { chipimage.Decode(bad) })
	if allocs > 100 {
		t.Errorf("%v allocations to reject a core claiming 16M fan-out entries", allocs)
	}
	in := section(good, "INPT", 0)
	bad = patch(t, good, section(good, "HEAD", 0)+16+132, u32(1<<24)) // n_in
	if _, err := chipimage.Decode(bad); err == nil {
		t.Fatal("accepted n_in = 2^24")
	}
	_ = in
}

func TestLayout(t *testing.T) {
	// 72-bit words of three 20-bit entries (artix7-35t): entries straddle bytes.
	y := chipimage.Layout{TargetBits: 8, DelayBits: 4, MantissaBits: 8, PerWord: 3, WordBytes: 9}
	mem := make([]byte, 2*9)
	want := []chipimage.Synapse{{255, 15, -128}, {0, 0, 127}, {17, 3, -1}, {200, 9, 5}}
	for k, s := range want {
		y.Put(mem, 0, k, s)
	}
	for k, s := range want {
		if got := y.Get(mem, 0, k); got != s {
			t.Errorf("entry %d: got %+v, want %+v", k, got, s)
		}
	}
	if mem[7]>>4 != 0 || mem[8] != 0 || mem[11]>>4 != 0 || !bytes.Equal(mem[12:], make([]byte, 6)) {
		t.Errorf("bits outside the entries are set: % x", mem)
	}
}

// TestListReader: reading a list in order gives what Get gives entry by entry, on
// layouts whose entries straddle bytes and words' ends, fill whole words, or are too
// wide for one 64-bit load, up to the last byte of memory.
func TestListReader(t *testing.T) {
	for _, y := range []chipimage.Layout{
		{TargetBits: 8, DelayBits: 4, MantissaBits: 8, PerWord: 3, WordBytes: 9},
		{TargetBits: 12, DelayBits: 4, MantissaBits: 16, PerWord: 2, WordBytes: 8},
		{TargetBits: 24, DelayBits: 8, MantissaBits: 30, PerWord: 1, WordBytes: 8},
		{TargetBits: 7, DelayBits: 3, MantissaBits: 6, PerWord: 5, WordBytes: 11},
	} {
		rng := rand.New(rand.NewPCG(uint64(y.EntryBits()), 1))
		mem := make([]byte, 7*y.WordBytes)
		for i := range mem {
			mem[i] = byte(rng.Uint32())
		}
		for first := 0; first < 3; first++ {
			n := (7 - first) * y.PerWord
			r := y.Reader(mem, first)
			for k := 0; k < n; k++ {
				if got, want := r.Next(), y.Get(mem, first, k); got != want {
					t.Fatalf("%+v: list at word %d, entry %d: Next gives %+v, Get %+v", y, first, k, got, want)
				}
			}
		}
	}
}

// TestTinyFileHugeClaims: a small file whose header claims the largest mesh and
// network is rejected without allocating what the claims would need.
func TestTinyFileHugeClaims(t *testing.T) {
	img := compileRandom(t, target(t, "tiny-unicast"), 5, 6, 60, 3)
	good, _ := img.MarshalBinary()
	head := section(good, "HEAD", 0) + 16
	bad := patch(t, good, head+148, u32(4096)) // cols
	bad = patch(t, bad, head+152, u32(256))    // rows: 2^20 cores of 1 per tile
	bad = patch(t, bad, head+156, u32(1))      // cores per tile
	bad = patch(t, bad, head+128, u32(1<<24))  // neurons
	allocs := testing.AllocsPerRun(3, func() { chipimage.Decode(bad) })
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := chipimage.Decode(bad)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("accepted")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8*uint64(len(bad))+1<<20 {
		t.Errorf("rejecting a %d-byte file allocated %d bytes (%v allocations): %v", len(bad), grew, allocs, err)
	}
}

// TestWriteUnvalidatedTo checks that writing an image without validating it gives
// WriteTo's bytes, that a broken image, which WriteTo refuses, comes out as a file
// Decode rejects, and that one whose tables disagree with their counts gets an error
// rather than a panic.
func TestWriteUnvalidatedTo(t *testing.T) {
	img := compileRandom(t, target(t, "tiny-unicast"), 5, 6, 60, 3)
	var a, b bytes.Buffer
	if _, err := img.WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	if _, err := img.WriteUnvalidatedTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("WriteUnvalidatedTo and WriteTo write different bytes")
	}
	img.Cores[1].Neurons[0].ID = img.Cores[0].Neurons[0].ID
	if _, err := img.WriteTo(io.Discard); err == nil {
		t.Fatal("WriteTo encodes an image with a neuron placed twice")
	}
	b.Reset()
	if _, err := img.WriteUnvalidatedTo(&b); err != nil {
		t.Fatal(err)
	}
	if _, err := chipimage.Decode(b.Bytes()); err == nil || !strings.Contains(err.Error(), "placed twice") {
		t.Fatalf("Decode of the broken image: %v, want an error naming the neuron placed twice", err)
	}
	img.Cores[1].Synapses = img.Cores[1].Synapses[:len(img.Cores[1].Synapses)-1]
	if _, err := img.WriteUnvalidatedTo(io.Discard); err == nil || !strings.Contains(err.Error(), "not valid") {
		t.Fatalf("writing a core whose synapse memory is a byte short: %v, want an error", err)
	}
}
