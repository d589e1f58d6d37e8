package boards

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// A frame on the wire is COBS(body) between two zero bytes, where body is
//
//	type u8 | seq u16 | length u16 | payload [length]u8 | crc32 u32
//
// integers little-endian, the CRC (IEEE) over type through payload. COBS removes
// every zero from the body, so a zero always delimits a frame, and a receiver that
// lost bytes finds the next frame at its leading zero (docs/serial-protocol.md).
const (
	headerLen = 5 // type, seq, length
	crcLen    = 4
	// MaxPayload is the largest payload the length field can describe.
	MaxPayload = 1<<16 - 1
)

// Frame is one decoded frame.
type Frame struct {
	Type    byte
	Seq     uint16
	Payload []byte
}

func (f Frame) String() string {
	return fmt.Sprintf("%s seq %d (%d bytes)", typeName(f.Type), f.Seq, len(f.Payload))
}

// AppendFrame appends f's wire encoding, delimiter included, to dst.
func AppendFrame(dst []byte, f Frame) ([]byte, error) {
	if len(f.Payload) > MaxPayload {
		return dst, fmt.Errorf("boards: %s: payload of %d bytes, at most %d fit a frame", typeName(f.Type), len(f.Payload), MaxPayload)
	}
	body := make([]byte, 0, headerLen+len(f.Payload)+crcLen)
	body = append(body, f.Type)
	body = binary.LittleEndian.AppendUint16(body, f.Seq)
	body = binary.LittleEndian.AppendUint16(body, uint16(len(f.Payload)))
	body = append(body, f.Payload...)
	body = binary.LittleEndian.AppendUint32(body, crc32.ChecksumIEEE(body))
	dst = append(dst, 0)
	dst = appendCOBS(dst, body)
	return append(dst, 0), nil
}

// WireSize is the most bytes a frame with n payload bytes takes on the wire: the
// body, COBS's overhead (one byte per 254 and one more) and the two delimiters.
func WireSize(n int) int {
	body := headerLen + n + crcLen
	return body + body/254 + 1 + 2
}

// appendCOBS appends the consistent-overhead byte stuffing of src: each run of up to
// 254 non-zero bytes is preceded by a code byte, its length plus one; a code below
// 0xFF stands for the run followed by a zero, except at the end.
func appendCOBS(dst, src []byte) []byte {
	code := len(dst)
	dst = append(dst, 0)
	n := byte(1)
	for _, b := range src {
		if b == 0 {
			dst[code] = n
			code = len(dst)
			dst = append(dst, 0)
			n = 1
			continue
		}
		dst = append(dst, b)
		n++
		if n == 0xFF {
			dst[code] = n
			code = len(dst)
			dst = append(dst, 0)
			n = 1
		}
	}
	dst[code] = n
	return dst
}

var errCOBS = errors.New("bad byte stuffing")

// decodeCOBS reverses appendCOBS on one frame's bytes (delimiter excluded).
func decodeCOBS(src []byte) ([]byte, error) {
	out := make([]byte, 0, len(src))
	for i := 0; i < len(src); {
		code := int(src[i])
		if code == 0 {
			return nil, errCOBS
		}
		i++
		if i+code-1 > len(src) {
			return nil, errCOBS
		}
		out = append(out, src[i:i+code-1]...)
		i += code - 1
		if code < 0xFF && i < len(src) {
			out = append(out, 0)
		}
	}
	return out, nil
}

// FrameError says why received bytes are not a frame.
type FrameError struct {
	Reason string
	Len    int // bytes between the delimiters
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("boards: bad frame (%d bytes on the wire): %s", e.Len, e.Reason)
}

// DecodeFrame decodes the bytes of one frame, without its delimiter. It checks the
// stuffing, the length field against the bytes present and the CRC, and never
// panics on any input.
func DecodeFrame(wire []byte) (Frame, error) {
	bad := func(format string, a ...any) (Frame, error) {
		return Frame{}, &FrameError{Reason: fmt.Sprintf(format, a...), Len: len(wire)}
	}
	body, err := decodeCOBS(wire)
	if err != nil {
		return bad("%v", err)
	}
	if len(body) < headerLen+crcLen {
		return bad("%d bytes, shorter than a header and CRC (%d)", len(body), headerLen+crcLen)
	}
	n := int(binary.LittleEndian.Uint16(body[3:5]))
	if len(body) != headerLen+n+crcLen {
		return bad("length field says %d payload bytes, %d are present", n, len(body)-headerLen-crcLen)
	}
	sum := binary.LittleEndian.Uint32(body[len(body)-crcLen:])
	if got := crc32.ChecksumIEEE(body[:len(body)-crcLen]); got != sum {
		return bad("CRC %08x, the frame says %08x", got, sum)
	}
	return Frame{Type: body[0], Seq: binary.LittleEndian.Uint16(body[1:3]), Payload: body[headerLen : headerLen+n]}, nil
}

// Reader splits a byte stream into frames. Bytes beyond limit without a delimiter
// are dropped until the next delimiter, so a lost delimiter costs two frames at most
// and never unbounded memory.
type Reader struct {
	buf      []byte
	limit    int
	overflow bool
}

// NewReader returns a Reader for frames of at most maxPayload payload bytes.
func NewReader(maxPayload int) *Reader {
	return &Reader{limit: WireSize(maxPayload)}
}

// Feed consumes p and calls emit for every complete frame or frame error, in order.
// An empty frame (two delimiters in a row) is ignored: senders use a lone delimiter
// to resynchronize.
func (r *Reader) Feed(p []byte, emit func(Frame, error)) {
	for _, b := range p {
		if b != 0 {
			if len(r.buf) < r.limit {
				r.buf = append(r.buf, b)
			} else {
				r.overflow = true
			}
			continue
		}
		switch {
		case r.overflow:
			emit(Frame{}, &FrameError{Reason: fmt.Sprintf("longer than the %d bytes a frame may take", r.limit), Len: len(r.buf)})
		case len(r.buf) > 0:
			emit(DecodeFrame(r.buf))
		}
		r.buf, r.overflow = r.buf[:0], false
	}
}
