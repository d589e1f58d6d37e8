package boards

import (
	"sync"
	"testing"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
	"github.com/snnc/snnc/targets"
)

var (
	imagesMu sync.Mutex
	images   = map[string][]byte{}
)

// smnistImage is the shipped sMNIST model compiled for a target.
func smnistImage(tb testing.TB, target string) []byte {
	tb.Helper()
	imagesMu.Lock()
	defer imagesMu.Unlock()
	if b, ok := images[target]; ok {
		return b
	}
	net, err := lsnn.LoadFile("../testdata/models/smnist.bin")
	if err != nil {
		tb.Fatal(err)
	}
	tg, err := targets.Load(target)
	if err != nil {
		tb.Fatal(err)
	}
	img, _, err := compiler.Compile(net, tg, compiler.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := img.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	images[target] = b
	return b
}

// digits are the first n sMNIST test digits as emulator inputs.
func digits(tb testing.TB, n int) []emulator.Input {
	tb.Helper()
	data, err := tasks.LoadMNIST("")
	if err != nil {
		tb.Skipf("no MNIST data: %v", err)
	}
	task, err := tasks.NewSMNIST(data, 1)
	if err != nil {
		tb.Fatal(err)
	}
	var xs []emulator.Input
	for i := range n {
		x := task.TestSample(i).Input
		xs = append(xs, emulator.Input{T: x.T, NIn: x.W, Bits: x.Bits})
	}
	return xs
}

func board(tb testing.TB, name string) *Board {
	tb.Helper()
	b, err := Lookup(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// deviceHost drives a Device directly, frame by frame, as the host would.
type deviceHost struct {
	tb  testing.TB
	d   *Device
	seq uint16
}

func (h *deviceHost) do(cmd byte, payload []byte) (Frame, *NakError) {
	h.seq++
	a := h.d.Handle(Frame{Type: cmd, Seq: h.seq, Payload: payload})
	if a.Seq != h.seq {
		h.tb.Fatalf("%s answered with seq %d, want %d", typeName(cmd), a.Seq, h.seq)
	}
	if a.Type == Nak {
		return a, &NakError{Cmd: cmd, Code: Code(a.Payload[0]), Message: string(a.Payload[1:])}
	}
	return a, nil
}

// stage uploads img (without committing) and returns the COMMIT answer for crc.
func (h *deviceHost) upload(img []byte, crc uint32) *NakError {
	if _, e := h.do(CmdBegin, u32s(uint32(len(img)), crc)); e != nil {
		return e
	}
	for off := 0; off < len(img); off += 256 {
		if _, e := h.do(CmdWrite, append(u32s(uint32(off)), img[off:min(off+256, len(img))]...)); e != nil {
			return e
		}
	}
	_, e := h.do(CmdCommit, u32s(uint32(len(img)), crc))
	return e
}

func (h *deviceHost) identify() *IdentifyInfo {
	a, e := h.do(CmdIdentify, nil)
	if e != nil {
		h.tb.Fatal(e)
	}
	in, err := decodeIdentify(a.Payload)
	if err != nil {
		h.tb.Fatal(err)
	}
	return in
}

// Only a complete image, with the announced CRC, that decodes and is built for the
// board's target is committed; every refusal names its cause and leaves the
// running image in place.
func TestDeviceRefusesBadImages(t *testing.T) {
	good := smnistImage(t, "ice40-up5k")
	d, err := NewDevice(board(t, "icebreaker"))
	if err != nil {
		t.Fatal(err)
	}
	h := &deviceHost{tb: t, d: d}
	if e := h.upload(good, imageCRC(good)); e != nil {
		t.Fatal(e)
	}
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)/2] ^= 0x10
	other := smnistImage(t, "artix7-35t")
	for _, c := range []struct {
		name string
		run  func() *NakError
		want Code
	}{
		{"wrong target", func() *NakError { return h.upload(other, imageCRC(other)) }, CodeTarget},
		{"corrupt bytes, announced CRC", func() *NakError { return h.upload(corrupt, imageCRC(good)) }, CodeCRC},
		{"corrupt image, its own CRC", func() *NakError { return h.upload(corrupt, imageCRC(corrupt)) }, CodeImage},
		{"incomplete", func() *NakError {
			h.do(CmdBegin, u32s(uint32(len(good)), 1))
			h.do(CmdWrite, append(u32s(0), good[:100]...))
			_, e := h.do(CmdCommit, u32s(uint32(len(good)), 1))
			return e
		}, CodeIncomplete},
		{"too large", func() *NakError {
			_, e := h.do(CmdBegin, u32s(uint32(h.d.board.ImageBytes+1), 1))
			return e
		}, CodeTooLarge},
		{"hole", func() *NakError {
			h.do(CmdBegin, u32s(uint32(len(good)), 2))
			_, e := h.do(CmdWrite, append(u32s(10), 1, 2, 3))
			return e
		}, CodeOffset},
	} {
		e := c.run()
		if e == nil || e.Code != c.want {
			t.Errorf("%s: answer %v, want a NAK with %q", c.name, e, c.want)
		} else if e.Message == "" {
			t.Errorf("%s: NAK without a message", c.name)
		}
		if in := h.identify(); in.Committed.CRC != imageCRC(good) || in.Committed.Size != len(good) {
			t.Errorf("%s: the running image changed to %d bytes with CRC %08x", c.name, in.Committed.Size, in.Committed.CRC)
		}
		if string(d.Image()) != string(good) {
			t.Errorf("%s: the committed bytes changed", c.name)
		}
	}
}

// A command sent again with the same sequence number (its answer was lost) gets
// the same answer and does not run twice.
func TestDeviceReplaysResentCommands(t *testing.T) {
	good := smnistImage(t, "ice40-up5k")
	d, _ := NewDevice(board(t, "icebreaker"))
	h := &deviceHost{tb: t, d: d}
	if e := h.upload(good, imageCRC(good)); e != nil {
		t.Fatal(e)
	}
	h.do(CmdStart, nil)
	in := make([]byte, 1)
	step := Frame{Type: CmdStep, Seq: 1000, Payload: appendIDs(in, []int32{3, 5})}
	first := d.Handle(step)
	again := d.Handle(step)
	if first.Type != Ack || string(first.Payload) != string(again.Payload) {
		t.Fatalf("resent STEP answered %v then %v", first, again)
	}
	s, _ := decodeStep(first.Payload)
	next := d.Handle(Frame{Type: CmdStep, Seq: 1001, Payload: []byte{0}})
	s2, _ := decodeStep(next.Payload)
	if s.Step != 0 || s2.Step != 1 {
		t.Errorf("steps %d then %d after a resend, want 0 then 1", s.Step, s2.Step)
	}
	if d.dups != 1 {
		t.Errorf("%d duplicates counted, want 1", d.dups)
	}
}

// FuzzDeviceHandler feeds the board arbitrary command sequences, after a valid
// image is committed: the board never panics, answers every command with ACK or
// NAK and its sequence number, and runs only images it accepted.
func FuzzDeviceHandler(f *testing.F) {
	good := smnistImage(f, "ice40-up5k")
	crc := imageCRC(good)
	f.Add([]byte{CmdStart, 0, CmdStep, 9, 0, 3, 0, 0, 0, CmdCounters, 0})
	f.Add(append([]byte{CmdBegin, 8}, u32s(uint32(len(good)), crc)...))
	f.Add([]byte{CmdWrite, 6, 0, 0, 0, 0, 1, 2, CmdVerify, 8, 0, 0, 0, 0, 2, 0, 0, 0, CmdCommit, 0})
	f.Add([]byte{CmdSpikes, 4, 0, 0, 0, 0, CmdStop, 0, 0x7f, 1, 1})
	tmpl, err := NewDevice(board(f, "icebreaker"))
	if err != nil {
		f.Fatal(err)
	}
	if e := (&deviceHost{tb: f, d: tmpl}).upload(good, crc); e != nil {
		f.Fatal(e)
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		d := new(Device)
		*d = *tmpl // the committed image and its emulator are shared, read-only
		h := &deviceHost{tb: t, d: d, seq: 1000}
		// script: type, length, payload...; the same sequence number now and then.
		for len(script) >= 2 {
			typ, n := script[0], int(script[1])
			script = script[2:]
			n = min(n, len(script))
			p := script[:n]
			script = script[n:]
			if typ&1 == 0 {
				h.seq++
			}
			a := d.Handle(Frame{Type: typ, Seq: h.seq, Payload: p})
			if a.Type != Ack && a.Type != Nak || a.Seq != h.seq || a.Type == Nak && len(a.Payload) == 0 {
				t.Fatalf("command %s answered with %v", typeName(typ), a)
			}
			if _, err := AppendFrame(nil, a); err != nil {
				t.Fatal(err)
			}
		}
		if img := d.Image(); string(img) != string(good) {
			// Only an accepted upload replaces the image, and it decodes.
			if _, err := chipimage.Decode(img); err != nil || d.em == nil {
				t.Fatalf("the board runs an image it should have refused: %v", err)
			}
		}
	})
}

// BEGIN resumes only the same image: same size and CRC-32C. Two images that differ
// but have the same size start over (their IEEE CRCs would be equal: every image
// ends with its own IEEE CRC32).
func TestDeviceResumesOnlyTheSameImage(t *testing.T) {
	a := smnistImage(t, "ice40-up5k")
	b := append([]byte(nil), a...)
	b[100] ^= 1
	d, _ := NewDevice(board(t, "icebreaker"))
	h := &deviceHost{tb: t, d: d}
	begin := func(img []byte) int {
		ans, e := h.do(CmdBegin, u32s(uint32(len(img)), imageCRC(img)))
		if e != nil {
			t.Fatal(e)
		}
		n, _ := decodeU32(ans.Payload, "BEGIN")
		return n
	}
	begin(a)
	h.do(CmdWrite, append(u32s(0), a[:300]...))
	if n := begin(a); n != 300 {
		t.Errorf("BEGIN of the same image resumes at %d, want 300", n)
	}
	if n := begin(b); n != 0 {
		t.Errorf("BEGIN of another image of the same size resumes at %d, want 0", n)
	}
}
