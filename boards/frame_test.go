package boards

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Frames of every awkward size survive encoding, contain no zero but their
// delimiters, stay within WireSize, and come out of a Reader whole.
func TestFrameRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var want []Frame
	var stream []byte
	for _, n := range []int{0, 1, 2, 244, 245, 246, 253, 254, 255, 508, 509, 1000, 4096, MaxPayload} {
		for _, fill := range []string{"zeros", "ones", "random"} {
			p := make([]byte, n)
			for i := range p {
				switch fill {
				case "ones":
					p[i] = 0xFF
				case "random":
					p[i] = byte(rng.IntN(256))
				}
			}
			f := Frame{Type: CmdWrite, Seq: uint16(rng.IntN(1 << 16)), Payload: p}
			wire, err := AppendFrame(nil, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(wire) > WireSize(n) {
				t.Errorf("%d %s bytes: %d on the wire, WireSize says at most %d", n, fill, len(wire), WireSize(n))
			}
			if wire[0] != 0 || wire[len(wire)-1] != 0 || bytes.IndexByte(wire[1:len(wire)-1], 0) >= 0 {
				t.Errorf("%d %s bytes: zeros inside the frame", n, fill)
			}
			got, err := DecodeFrame(wire[1 : len(wire)-1])
			if err != nil {
				t.Fatalf("%d %s bytes: %v", n, fill, err)
			}
			if diff := cmp.Diff(f, got); diff != "" {
				t.Errorf("%d %s bytes: (-sent +decoded)\n%s", n, fill, diff)
			}
			want = append(want, f)
			stream = append(stream, wire...)
		}
	}
	var got []Frame
	r := NewReader(MaxPayload)
	for len(stream) > 0 { // in uneven pieces, as a serial port delivers them
		k := min(len(stream), 1+rng.IntN(3000))
		r.Feed(stream[:k], func(f Frame, err error) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, f)
		})
		stream = stream[k:]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("frames through a Reader (-sent +received)\n%s", diff)
	}
	if _, err := AppendFrame(nil, Frame{Payload: make([]byte, MaxPayload+1)}); err == nil {
		t.Error("a payload longer than the length field accepted")
	}
}

// Every single-bit flip, dropped byte and duplicated byte in a frame is caught,
// and the frame after it still arrives.
func TestFrameDamage(t *testing.T) {
	f := Frame{Type: CmdStep, Seq: 7, Payload: []byte{0, 1, 2, 3, 0, 0, 250, 255, 9}}
	wire, _ := AppendFrame(nil, f)
	next, _ := AppendFrame(nil, Frame{Type: CmdIdentify, Seq: 8})
	damaged := func(name string, w []byte) {
		t.Helper()
		var frames, errs int
		r := NewReader(1024)
		r.Feed(append(append([]byte(nil), w...), next...), func(g Frame, err error) {
			switch {
			case err != nil:
				errs++
			case g.Seq == 8:
				frames++
			default:
				t.Errorf("%s: accepted as %v", name, g)
			}
		})
		if frames != 1 {
			t.Errorf("%s: the next frame arrived %d times", name, frames)
		}
		if errs == 0 {
			t.Errorf("%s: no error reported", name)
		}
	}
	for i := 1; i < len(wire)-1; i++ {
		for bit := range 8 {
			w := append([]byte(nil), wire...)
			w[i] ^= 1 << bit
			damaged("flip", w)
		}
		damaged("drop", append(append([]byte(nil), wire[:i]...), wire[i+1:]...))
		damaged("dup", append(append([]byte(nil), wire[:i+1]...), wire[i:]...))
	}
}

// A stream without delimiters costs bounded memory and one error.
func TestReaderOverflow(t *testing.T) {
	r := NewReader(64)
	var errs int
	r.Feed(bytes.Repeat([]byte{7}, 100000), func(Frame, error) { errs++ })
	if len(r.buf) > WireSize(64) {
		t.Errorf("the reader holds %d bytes, more than a frame's %d", len(r.buf), WireSize(64))
	}
	ok, _ := AppendFrame(nil, Frame{Type: CmdIdentify, Seq: 1})
	var frames int
	r.Feed(ok, func(f Frame, err error) {
		if err != nil {
			errs++
		} else {
			frames++
		}
	})
	if errs != 1 || frames != 1 {
		t.Errorf("after an overlong run: %d errors and %d frames, want 1 and 1", errs, frames)
	}
}

// FuzzFrameDecoder: any bytes give a frame or an error, never a panic, and a frame
// that decodes re-encodes to the same bytes.
func FuzzFrameDecoder(f *testing.F) {
	for _, fr := range []Frame{{Type: CmdIdentify}, {Type: CmdWrite, Seq: 3, Payload: []byte{0, 0, 1, 2}}, {Type: Ack, Seq: 65535, Payload: bytes.Repeat([]byte{9}, 300)}} {
		w, _ := AppendFrame(nil, fr)
		f.Add(w[1 : len(w)-1])
	}
	f.Add([]byte{1, 1, 1})
	f.Fuzz(func(t *testing.T, wire []byte) {
		fr, err := DecodeFrame(wire)
		if err != nil {
			return
		}
		again, err := AppendFrame(nil, fr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again[1:len(again)-1], wire) {
			t.Errorf("decoded %v from %x, which re-encodes as %x", fr, wire, again)
		}
	})
}
