package boards

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/targets"
)

// Device is a board's firmware as a state machine: Handle takes one command frame
// and returns the answer, so that the board simulator and the fuzz tests drive the
// same code. It keeps two image memories: the committed image, which runs, and the
// staging area an upload writes. Only a COMMIT whose staged bytes are complete, have
// the announced CRC, decode, validate and name the board's target replaces the
// committed image; every other outcome leaves it running.
type Device struct {
	board *Board
	tg    *targets.Target

	// the upload in progress
	staged     []byte
	stagedDone int
	stagedCRC  uint32

	// the committed image
	image    []byte
	imageCRC uint32
	em       *emulator.Emulator

	// the sample
	sess     *emulator.Session
	pending  []uint8 // input spikes of the next step
	last     emulator.Step
	counters emulator.Counters // of the current or last sample
	steps    int64

	// the link: the last command and its answer, replayed when the host resends it
	// because the answer was lost
	lastCmd    Frame
	lastCmdCRC uint32
	lastAnswer Frame
	haveLast   bool
	framesIn   int64
	framesBad  int64
	dups       int64
}

// NewDevice returns a board with no image. The board's target must load.
func NewDevice(b *Board) (*Device, error) {
	tg, err := targets.Load(b.Target)
	if err != nil {
		return nil, fmt.Errorf("boards: %s: %w", b.Name, err)
	}
	return &Device{board: b, tg: tg}, nil
}

// Image returns the committed image's bytes (nil when there is none).
func (d *Device) Image() []byte { return d.image }

// Damaged is the answer to bytes that were not a valid frame: NAK with
// CodeFrame, which tells the host to resend. Its sequence number is unknown.
func (d *Device) Damaged(err error) Frame {
	d.framesBad++
	return Frame{Type: Nak, Seq: 0, Payload: nakPayload(CodeFrame, err.Error())}
}

// Handle runs one command and returns its answer. A command equal to the last one
// (same type, sequence number and payload) is the host resending after a lost
// answer: the answer is replayed, and the command is not run twice.
func (d *Device) Handle(f Frame) Frame {
	d.framesIn++
	sum := crc32.ChecksumIEEE(f.Payload)
	if d.haveLast && f.Type == d.lastCmd.Type && f.Seq == d.lastCmd.Seq && sum == d.lastCmdCRC && len(f.Payload) == len(d.lastCmd.Payload) {
		d.dups++
		return d.lastAnswer
	}
	payload, err := d.run(f)
	ans := Frame{Type: Ack, Seq: f.Seq, Payload: payload}
	if err != nil {
		ans = Frame{Type: Nak, Seq: f.Seq, Payload: nakPayload(err.code, err.msg)}
	}
	d.lastCmd = f
	d.lastCmdCRC, d.lastAnswer, d.haveLast = sum, ans, true
	return ans
}

type nak struct {
	code Code
	msg  string
}

func refuse(c Code, format string, a ...any) *nak { return &nak{c, fmt.Sprintf(format, a...)} }

func (d *Device) run(f Frame) ([]byte, *nak) {
	if len(f.Payload) > d.board.MaxFrame {
		return nil, refuse(CodePayload, "%d payload bytes, the board takes at most %d", len(f.Payload), d.board.MaxFrame)
	}
	switch f.Type {
	case CmdIdentify:
		return d.identify(), nil
	case CmdBegin:
		return d.begin(f.Payload)
	case CmdWrite:
		return d.write(f.Payload)
	case CmdVerify:
		return d.verify(f.Payload)
	case CmdCommit:
		return d.commit(f.Payload)
	case CmdStart:
		return d.start(f.Payload)
	case CmdStop:
		if len(f.Payload) != 0 {
			return nil, refuse(CodePayload, "STOP takes no payload")
		}
		if d.sess == nil {
			return nil, refuse(CodeIdle, "no sample is running")
		}
		d.endSample()
		return nil, nil
	case CmdInput:
		return nil, d.addInput(f.Payload)
	case CmdStep:
		return d.step(f.Payload)
	case CmdSpikes:
		return d.spikes(f.Payload)
	case CmdCounters:
		if len(f.Payload) != 0 {
			return nil, refuse(CodePayload, "COUNTERS takes no payload")
		}
		return d.counterInfo().encode(), nil
	}
	return nil, refuse(CodeCommand, "unknown command 0x%02x", f.Type)
}

func (d *Device) identify() []byte {
	in := IdentifyInfo{Protocol: ProtocolVersion, Board: d.board.Name, Target: d.tg.Name, TargetHash: d.tg.Hash(),
		Capacity: d.board.ImageBytes, MaxPayload: d.board.MaxFrame}
	if d.em != nil {
		in.Committed.Size, in.Committed.CRC = len(d.image), d.imageCRC
		in.Committed.N, in.Committed.NIn, in.Committed.NOut = d.em.N(), d.em.NIn(), d.em.NOut()
		in.Committed.ReadoutExp = d.em.ReadoutExp()
	}
	if d.staged != nil {
		in.Staged.Size, in.Staged.Done, in.Staged.CRC = len(d.staged), d.stagedDone, d.stagedCRC
	}
	return in.encode()
}

// begin starts an upload, or resumes the one in progress when size and CRC match.
func (d *Device) begin(p []byte) ([]byte, *nak) {
	if len(p) != 8 {
		return nil, refuse(CodePayload, "BEGIN takes size and CRC (8 bytes), got %d", len(p))
	}
	size, sum := int(binary.LittleEndian.Uint32(p)), binary.LittleEndian.Uint32(p[4:])
	if size == 0 {
		return nil, refuse(CodePayload, "an empty image")
	}
	if size > d.board.ImageBytes {
		return nil, refuse(CodeTooLarge, "%d bytes, the image memory holds %d", size, d.board.ImageBytes)
	}
	if d.staged == nil || len(d.staged) != size || d.stagedCRC != sum {
		d.staged, d.stagedDone, d.stagedCRC = make([]byte, size), 0, sum
	}
	return binary.LittleEndian.AppendUint32(nil, uint32(d.stagedDone)), nil
}

// write stores a chunk. Chunks arrive in order; one that starts before the end of
// the staged bytes is a resend and overwrites them, one that starts beyond it would
// leave a hole and is refused with the resume point.
func (d *Device) write(p []byte) ([]byte, *nak) {
	if d.staged == nil {
		return nil, refuse(CodeNoUpload, "WRITE before BEGIN")
	}
	if len(p) < 4 {
		return nil, refuse(CodePayload, "WRITE without an offset")
	}
	off, data := int(binary.LittleEndian.Uint32(p)), p[4:]
	if off > d.stagedDone {
		return binary.LittleEndian.AppendUint32(nil, uint32(d.stagedDone)),
			refuse(CodeOffset, "offset %d, %d bytes are staged", off, d.stagedDone)
	}
	if off+len(data) > len(d.staged) {
		return nil, refuse(CodeRange, "bytes %d..%d, the image has %d", off, off+len(data), len(d.staged))
	}
	copy(d.staged[off:], data)
	d.stagedDone = max(d.stagedDone, off+len(data))
	return binary.LittleEndian.AppendUint32(nil, uint32(d.stagedDone)), nil
}

func (d *Device) verify(p []byte) ([]byte, *nak) {
	if d.staged == nil {
		return nil, refuse(CodeNoUpload, "VERIFY before BEGIN")
	}
	if len(p) != 8 {
		return nil, refuse(CodePayload, "VERIFY takes offset and length (8 bytes), got %d", len(p))
	}
	off, n := int(binary.LittleEndian.Uint32(p)), int(binary.LittleEndian.Uint32(p[4:]))
	if off > d.stagedDone || n > d.stagedDone-off {
		return nil, refuse(CodeRange, "bytes %d..%d, %d are staged", off, off+n, d.stagedDone)
	}
	return binary.LittleEndian.AppendUint32(nil, imageCRC(d.staged[off:off+n])), nil
}

// commit replaces the running image by the staged one, after every check.
func (d *Device) commit(p []byte) ([]byte, *nak) {
	if d.staged == nil {
		return nil, refuse(CodeNoUpload, "COMMIT before BEGIN")
	}
	if len(p) != 8 {
		return nil, refuse(CodePayload, "COMMIT takes size and CRC (8 bytes), got %d", len(p))
	}
	size, sum := int(binary.LittleEndian.Uint32(p)), binary.LittleEndian.Uint32(p[4:])
	if size != len(d.staged) || sum != d.stagedCRC {
		return nil, refuse(CodePayload, "COMMIT of %d bytes with CRC %08x, the upload announced %d bytes with CRC %08x", size, sum, len(d.staged), d.stagedCRC)
	}
	if d.stagedDone != size {
		return nil, refuse(CodeIncomplete, "%d of %d bytes staged", d.stagedDone, size)
	}
	if got := imageCRC(d.staged); got != sum {
		return nil, refuse(CodeCRC, "the staged bytes have CRC %08x, the upload announced %08x", got, sum)
	}
	img, err := chipimage.Decode(d.staged)
	if err != nil {
		return nil, refuse(CodeImage, "%v", err)
	}
	if img.Header.Target != d.tg.Name || img.Header.TargetHash != d.tg.Hash() {
		return nil, refuse(CodeTarget, "the image is for target %q, this %s runs %q", img.Header.Target, d.board.Name, d.tg.Name)
	}
	em, err := emulator.New(img, d.tg)
	if err != nil {
		return nil, refuse(CodeImage, "%v", err)
	}
	d.endSample()
	d.image, d.imageCRC, d.em = d.staged, sum, em
	d.staged, d.stagedDone, d.stagedCRC = nil, 0, 0
	d.last, d.counters, d.steps = emulator.Step{}, emulator.Counters{}, 0
	return nil, nil
}

func (d *Device) start(p []byte) ([]byte, *nak) {
	if len(p) != 0 {
		return nil, refuse(CodePayload, "START takes no payload")
	}
	if d.em == nil {
		return nil, refuse(CodeNoImage, "no image is committed")
	}
	d.sess = d.em.NewSession()
	d.pending = make([]uint8, d.em.NIn())
	d.last, d.counters, d.steps = emulator.Step{}, emulator.Counters{}, 0
	return nil, nil
}

func (d *Device) endSample() {
	if d.sess != nil {
		d.counters = d.sess.Counters()
	}
	d.sess, d.pending = nil, nil
}

// addInput marks the channels of p in the pending input, all or none.
func (d *Device) addInput(p []byte) *nak {
	if d.sess == nil {
		return refuse(CodeIdle, "no sample is running: START one")
	}
	ids, err := decodeIDs(p, "input channels")
	if err != nil {
		return refuse(CodePayload, "%v", err)
	}
	for _, ch := range ids {
		if int(ch) >= len(d.pending) {
			return refuse(CodeRange, "input channel %d, the network has %d", ch, len(d.pending))
		}
	}
	for _, ch := range ids {
		d.pending[ch] = 1
	}
	return nil
}

// step runs one hardware step with the pending input and the step's own channels.
func (d *Device) step(p []byte) ([]byte, *nak) {
	if len(p) < 1 {
		return nil, refuse(CodePayload, "STEP without flags")
	}
	if d.sess != nil && d.sess.Flushed() {
		return nil, refuse(CodeIdle, "the sample was flushed: START another")
	}
	if p[0]&StepFlush != 0 && len(p) > 1 {
		return nil, refuse(CodePayload, "a flush takes no input spikes")
	}
	if e := d.addInput(p[1:]); e != nil {
		return nil, e
	}
	var st emulator.Step
	var err error
	if p[0]&StepFlush != 0 {
		st, err = d.sess.Flush()
	} else {
		st, err = d.sess.Step(d.pending)
	}
	clear(d.pending)
	if err != nil {
		return nil, refuse(CodePayload, "%v", err)
	}
	d.last = st
	d.steps++
	d.counters = d.sess.Counters()
	info := StepInfo{Step: st.T, NSpikes: len(st.Spikes), Readout: st.Readout}
	room := (d.board.MaxFrame - 10 - binary.MaxVarintLen64*len(st.Readout)) / 4
	if p[0]&StepNoIDs != 0 {
		room = 0
	}
	info.Spikes = st.Spikes[:max(0, min(room, len(st.Spikes)))]
	return info.encode(), nil
}

// spikes returns the last step's spike ids from an index: at most the count the
// host asks for (a short answer survives a noisy line), and as many as a frame holds.
func (d *Device) spikes(p []byte) ([]byte, *nak) {
	if len(p) != 4 && len(p) != 6 {
		return nil, refuse(CodePayload, "SPIKES takes an index (4 bytes) and optionally a count (2), got %d bytes", len(p))
	}
	from := int(binary.LittleEndian.Uint32(p))
	limit := d.board.MaxFrame / 4
	if len(p) == 6 {
		limit = min(limit, int(binary.LittleEndian.Uint16(p[4:])))
	}
	if from > len(d.last.Spikes) {
		return nil, refuse(CodeRange, "spike index %d, the last step has %d spikes", from, len(d.last.Spikes))
	}
	ids := d.last.Spikes[from:]
	ids = ids[:min(len(ids), limit)]
	return appendIDs(nil, ids), nil
}

func (d *Device) counterInfo() *CounterInfo {
	c := d.counters
	if d.sess != nil {
		c = d.sess.Counters()
	}
	return &CounterInfo{Steps: d.steps, Counters: c.Functional(), FramesIn: d.framesIn, FramesBad: d.framesBad, Duplicates: d.dups}
}
