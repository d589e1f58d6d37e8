package boards

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/snnc/snnc/emulator"
)

// ProtocolVersion is the version of docs/serial-protocol.md this package speaks.
const ProtocolVersion = 1

// Frame types: commands from the host, and the board's two answers. The board
// answers every command frame with ACK or NAK carrying the command's sequence
// number.
const (
	CmdIdentify byte = 0x01 // -> IdentifyInfo
	CmdBegin    byte = 0x02 // size u32, crc u32 -> staged u32 (resume point)
	CmdWrite    byte = 0x03 // offset u32, bytes -> staged u32
	CmdVerify   byte = 0x04 // offset u32, length u32 -> crc u32 of the staged bytes
	CmdCommit   byte = 0x05 // size u32, crc u32 -> (nothing)
	CmdStart    byte = 0x06 // -> (nothing): a new sample from the initial state
	CmdStop     byte = 0x07 // -> (nothing): the sample ends
	CmdInput    byte = 0x08 // channels []u32: spikes added to the next step's input
	CmdStep     byte = 0x09 // flags u8, channels []u32 -> StepInfo
	CmdSpikes   byte = 0x0A // index u32 [, count u16] -> spike ids []u32 of the last step from index
	CmdCounters byte = 0x0B // -> CounterInfo

	Ack byte = 0x80
	Nak byte = 0x81
)

// Flags of a STEP command. StepFlush runs the readout-only step that ends a sample;
// StepNoIDs asks for an answer without spike ids (SPIKES reads them in pieces), which
// keeps answers short on a noisy line.
const (
	StepFlush = 1 << 0
	StepNoIDs = 1 << 1
)

func typeName(t byte) string {
	switch t {
	case CmdIdentify:
		return "IDENTIFY"
	case CmdBegin:
		return "BEGIN"
	case CmdWrite:
		return "WRITE"
	case CmdVerify:
		return "VERIFY"
	case CmdCommit:
		return "COMMIT"
	case CmdStart:
		return "START"
	case CmdStop:
		return "STOP"
	case CmdInput:
		return "INPUT"
	case CmdStep:
		return "STEP"
	case CmdSpikes:
		return "SPIKES"
	case CmdCounters:
		return "COUNTERS"
	case Ack:
		return "ACK"
	case Nak:
		return "NAK"
	}
	return fmt.Sprintf("type 0x%02x", t)
}

// Code is a NAK's error code.
type Code byte

const (
	CodeFrame      Code = 1  // the frame was damaged: resend it
	CodeCommand    Code = 2  // unknown command
	CodePayload    Code = 3  // the payload does not fit the command
	CodeNoUpload   Code = 4  // WRITE, VERIFY or COMMIT without BEGIN
	CodeOffset     Code = 5  // WRITE beyond the staged bytes; detail: staged u32
	CodeTooLarge   Code = 6  // the image exceeds the board's image memory
	CodeIncomplete Code = 7  // COMMIT before every byte is staged
	CodeCRC        Code = 8  // the staged bytes do not have the announced CRC
	CodeImage      Code = 9  // the image does not decode or validate
	CodeTarget     Code = 10 // the image was built for another target
	CodeNoImage    Code = 11 // START or STEP with no committed image
	CodeIdle       Code = 12 // STEP or STOP outside a sample
	CodeRange      Code = 13 // an input channel or spike index out of range
)

var codeNames = map[Code]string{
	CodeFrame: "damaged frame", CodeCommand: "unknown command", CodePayload: "bad payload",
	CodeNoUpload: "no upload in progress", CodeOffset: "write beyond the staged bytes",
	CodeTooLarge: "image too large", CodeIncomplete: "upload incomplete", CodeCRC: "image CRC mismatch",
	CodeImage: "invalid image", CodeTarget: "image built for another target", CodeNoImage: "no image committed",
	CodeIdle: "no sample running", CodeRange: "index out of range",
}

func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("code %d", byte(c))
}

// NakError is a board's refusal: the NAK's code and the board's message.
type NakError struct {
	Cmd     byte
	Code    Code
	Message string
}

func (e *NakError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("boards: board refused %s: %s", typeName(e.Cmd), e.Code)
	}
	return fmt.Sprintf("boards: board refused %s: %s: %s", typeName(e.Cmd), e.Code, e.Message)
}

// nakPayload is code u8 followed by a UTF-8 message.
func nakPayload(c Code, msg string) []byte {
	return append([]byte{byte(c)}, msg...)
}

// IdentifyInfo is the board's answer to IDENTIFY.
type IdentifyInfo struct {
	Protocol   int
	Board      string
	Target     string
	TargetHash [32]byte
	Capacity   int // bytes of image memory: the largest image the board takes
	MaxPayload int // largest command payload the board's receive buffer takes
	// Committed describes the running image; Size 0 when there is none.
	Committed struct {
		Size int
		CRC  uint32
		N    int
		NIn  int
		NOut int
		// ReadoutExp: a readout output v is the float logit v / 2^ReadoutExp.
		ReadoutExp int
	}
	// Staged is the upload in progress: its announced size and CRC and the bytes
	// received so far; Size 0 when there is none.
	Staged struct {
		Size, Done int
		CRC        uint32
	}
}

func (in *IdentifyInfo) encode() []byte {
	var w wbuf
	w.u8(byte(in.Protocol))
	w.str(in.Board)
	w.str(in.Target)
	w.b = append(w.b, in.TargetHash[:]...)
	w.u32(uint32(in.Capacity))
	w.u32(uint32(in.MaxPayload))
	c := in.Committed
	w.u32(uint32(c.Size))
	w.u32(c.CRC)
	w.u32(uint32(c.N))
	w.u32(uint32(c.NIn))
	w.u32(uint32(c.NOut))
	w.u8(byte(int8(c.ReadoutExp)))
	w.u32(uint32(in.Staged.Size))
	w.u32(uint32(in.Staged.Done))
	w.u32(in.Staged.CRC)
	return w.b
}

func decodeIdentify(p []byte) (*IdentifyInfo, error) {
	r := rbuf{b: p}
	in := &IdentifyInfo{Protocol: int(r.u8()), Board: r.str(), Target: r.str()}
	copy(in.TargetHash[:], r.bytes(32))
	in.Capacity = int(r.u32())
	in.MaxPayload = int(r.u32())
	in.Committed.Size = int(r.u32())
	in.Committed.CRC = r.u32()
	in.Committed.N = int(r.u32())
	in.Committed.NIn = int(r.u32())
	in.Committed.NOut = int(r.u32())
	in.Committed.ReadoutExp = int(int8(r.u8()))
	in.Staged.Size = int(r.u32())
	in.Staged.Done = int(r.u32())
	in.Staged.CRC = r.u32()
	return in, r.end("IDENTIFY answer")
}

// StepInfo is the board's answer to STEP: the hardware step run, how many neurons
// spiked in it (the ids of the first of them; SPIKES reads the rest), and the readout
// outputs of its readout update, which belong to the previous step (none for step 0).
// Readouts travel as zigzag varints (encoding/binary's): they are small numbers of up
// to 64 bits, and a step's answer is what limits the rate of a run on a slow line.
type StepInfo struct {
	Step    int
	NSpikes int
	Spikes  []int32
	Readout []int64
}

func (s *StepInfo) encode() []byte {
	var w wbuf
	w.u32(uint32(s.Step))
	w.u32(uint32(s.NSpikes))
	w.u16(uint16(len(s.Readout)))
	for _, v := range s.Readout {
		w.b = binary.AppendVarint(w.b, v)
	}
	for _, id := range s.Spikes {
		w.u32(uint32(id))
	}
	return w.b
}

func decodeStep(p []byte) (*StepInfo, error) {
	r := rbuf{b: p}
	s := &StepInfo{Step: int(r.u32()), NSpikes: int(r.u32())}
	n := int(r.u16())
	if r.err != nil || len(r.b) < n {
		return nil, errShort("STEP answer")
	}
	s.Readout = make([]int64, n)
	for k := range s.Readout {
		v, m := binary.Varint(r.b)
		if m <= 0 {
			return nil, fmt.Errorf("boards: STEP answer: readout %d: bad varint", k)
		}
		s.Readout[k], r.b = v, r.b[m:]
	}
	ids, err := decodeIDs(r.b, "STEP answer")
	if err != nil {
		return nil, err
	}
	s.Spikes = ids
	if r.err != nil {
		return nil, errShort("STEP answer")
	}
	if len(ids) > s.NSpikes {
		return nil, fmt.Errorf("boards: STEP answer: %d spike ids for %d spikes", len(ids), s.NSpikes)
	}
	return s, nil
}

// CounterInfo is the board's answer to COUNTERS: what the chip counted in the
// current or last sample (the emulator's functional counters; the cycle-mode fields
// stay zero) and what the board's link counted since power-up.
type CounterInfo struct {
	Steps int64 `json:"steps"`
	emulator.Counters
	FramesIn   int64 `json:"link_frames_received"`
	FramesBad  int64 `json:"link_frames_damaged"`
	Duplicates int64 `json:"link_duplicates"`
}

// fields are the counters in their order on the wire.
func (c *CounterInfo) fields() []*int64 {
	k := &c.Counters
	return []*int64{&c.Steps, &k.NeuronUpdatesActive, &k.NeuronUpdatesInactive, &k.Spikes, &k.SynapticOps,
		&k.Packets, &k.Deliveries, &k.SpikesInTile, &k.FlitHopsEW, &k.FlitHopsNS, &c.FramesIn, &c.FramesBad, &c.Duplicates}
}

func (c *CounterInfo) encode() []byte {
	var w wbuf
	for _, f := range c.fields() {
		w.b = binary.LittleEndian.AppendUint64(w.b, uint64(*f))
	}
	return w.b
}

func decodeCounters(p []byte) (*CounterInfo, error) {
	c := &CounterInfo{}
	r := rbuf{b: p}
	for _, f := range c.fields() {
		*f = int64(binary.LittleEndian.Uint64(r.bytes(8)))
	}
	return c, r.end("COUNTERS answer")
}

// decodeIDs reads a list of u32 channel or neuron ids filling p.
func decodeIDs(p []byte, what string) ([]int32, error) {
	if len(p)%4 != 0 {
		return nil, fmt.Errorf("boards: %s: %d bytes of ids, not a multiple of 4", what, len(p))
	}
	ids := make([]int32, len(p)/4)
	for i := range ids {
		v := binary.LittleEndian.Uint32(p[4*i:])
		if v > 1<<31-1 {
			return nil, fmt.Errorf("boards: %s: id %d out of range", what, v)
		}
		ids[i] = int32(v)
	}
	return ids, nil
}

func appendIDs(b []byte, ids []int32) []byte {
	for _, id := range ids {
		b = binary.LittleEndian.AppendUint32(b, uint32(id))
	}
	return b
}

// wbuf and rbuf write and read payload fields; rbuf records the first shortage
// instead of panicking, and reads zeros after it.
type wbuf struct{ b []byte }

func (w *wbuf) u8(v byte)    { w.b = append(w.b, v) }
func (w *wbuf) u16(v uint16) { w.b = binary.LittleEndian.AppendUint16(w.b, v) }
func (w *wbuf) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *wbuf) str(s string) {
	if len(s) > 255 {
		s = s[:255]
	}
	w.u8(byte(len(s)))
	w.b = append(w.b, s...)
}

type rbuf struct {
	b   []byte
	err error
}

var errTruncated = errors.New("truncated")

func errShort(what string) error { return fmt.Errorf("boards: %s: %w", what, errTruncated) }

func (r *rbuf) bytes(n int) []byte {
	if r.err != nil || len(r.b) < n {
		r.err = errTruncated
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *rbuf) u8() byte    { return r.bytes(1)[0] }
func (r *rbuf) u16() uint16 { return binary.LittleEndian.Uint16(r.bytes(2)) }
func (r *rbuf) u32() uint32 { return binary.LittleEndian.Uint32(r.bytes(4)) }
func (r *rbuf) str() string { return string(r.bytes(int(r.u8()))) }

// end reports a shortage or bytes left over.
func (r *rbuf) end(what string) error {
	if r.err != nil {
		return errShort(what)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("boards: %s: %d unexpected bytes at the end", what, len(r.b))
	}
	return nil
}

// castagnoli is the CRC of image bytes (BEGIN, VERIFY, COMMIT, IDENTIFY): CRC-32C,
// not the frames' IEEE CRC, because an image ends with its own IEEE CRC32 and the
// IEEE CRC of any such file is the same constant (0x2144df1c), which could not tell
// one image from another.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// imageCRC is the CRC-32C of image bytes.
func imageCRC(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
