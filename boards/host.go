package boards

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Port is the byte stream to a board: a serial port (go.bug.st/serial's Port
// satisfies it) or anything that behaves like one. Read returns 0 and no error when
// the read timeout passes without data.
type Port interface {
	io.ReadWriteCloser
	SetReadTimeout(time.Duration) error
}

// Client speaks the protocol to one board: stop-and-wait, one command in flight,
// each sent until answered or out of tries.
type Client struct {
	port  Port
	name  string // for errors: the port's name
	board string // the board the host expects there
	baud  int

	// Tries is how many times a command is sent before the board is declared
	// unresponsive; BaseTimeout is the wait for an answer beyond the time its bytes
	// take on the line at the baud rate.
	Tries       int
	BaseTimeout time.Duration
	// Latency is how long the port may hold received bytes before passing them on
	// (FTDI bridges' latency timer defaults to 16 ms). After a sign of damage the
	// host waits this long, plus the line time of an answer, for the rest of what
	// is in flight before it resends: one damaged frame often brings two signs (its
	// pieces), and resending on each would flood the line with copies.
	Latency time.Duration
	// Log, when set, hears of every retransmission and its cause.
	Log func(format string, a ...any)

	maxPayload int
	chunk      int // WRITE chunk bytes: halved on a noisy line, doubled back on a clean one
	ids        int // ids an INPUT or SPIKES frame carries; below a frame's worth on a noisy line
	cleanIDs   int
	seq        uint16
	reader     *Reader
	inbox      []frameOrError
	buf        []byte
	Stats      LinkStats
}

// LinkStats count what the host sent and received.
type LinkStats struct {
	Commands     int64 `json:"commands"`
	Frames       int64 `json:"frames_sent"`
	Retries      int64 `json:"retries"`
	Timeouts     int64 `json:"timeouts"`
	Damaged      int64 `json:"damaged_answers"`
	BoardNaks    int64 `json:"damaged_commands"` // the board said a frame arrived damaged
	PayloadBytes int64 `json:"payload_bytes_sent"`
	WireBytes    int64 `json:"wire_bytes_sent"`
	BytesIn      int64 `json:"wire_bytes_received"`
}

type frameOrError struct {
	f   Frame
	err error
}

// NewClient talks to the board b on port p (named name in errors) at baud bits per
// second; the baud only scales the timeouts, the port is already set up.
func NewClient(p Port, name string, b *Board, baud int) *Client {
	c := &Client{port: p, name: name, board: b.Name, baud: baud, Tries: 8, BaseTimeout: 250 * time.Millisecond, Latency: 20 * time.Millisecond,
		maxPayload: b.MaxFrame, buf: make([]byte, 4096)}
	c.reader = NewReader(MaxPayload)
	// The board replays its last answer to a command with the same type, sequence
	// number and payload; a host that started at 1 could meet the last command of an
	// earlier host and get its stale answer.
	c.seq = uint16(time.Now().UnixNano() >> 10)
	if strings.HasPrefix(name, "/dev/pts/") {
		c.Latency = time.Millisecond // a pseudo-terminal (the board simulator) holds nothing back
	}
	return c
}

// lineTime is how long n bytes take on the line: 10 bits a byte (8N1).
func (c *Client) lineTime(n int) time.Duration {
	return time.Duration(int64(n) * 10 * int64(time.Second) / int64(max(c.baud, 1)))
}

// ErrTimeout is wrapped by the error of a command the board never answered.
var ErrTimeout = errors.New("no answer")

// call sends one command and returns the ACK's payload. work is how long the board
// may take to carry the command out. A NAK becomes a *NakError.
func (c *Client) call(cmd byte, payload []byte, work time.Duration) ([]byte, error) {
	return c.send(cmd, payload, work, noiseTries*c.Tries)
}

// noiseTries: a command is sent up to this many times Tries while the board shows
// it is alive by answering, if only with damaged frames. Resending is safe for every
// command, since the board replays the answer to a resent one; on a line that
// damages half the frames, Tries alone would fail a long upload now and then.
const noiseTries = 8

// send is call with a limit of sends. Whatever the limit, Tries sends in a row that
// get no answer at all mean the board is not answering.
func (c *Client) send(cmd byte, payload []byte, work time.Duration, tries int) ([]byte, error) {
	c.seq++
	c.Stats.Commands++
	f := Frame{Type: cmd, Seq: c.seq, Payload: payload}
	wire, err := AppendFrame(nil, f)
	if err != nil {
		return nil, err
	}
	// The answer may be as large as the board's frames; both directions share the line.
	wait := c.BaseTimeout + work + 2*c.lineTime(len(wire)+WireSize(c.maxPayload))
	var why string
	silent := 0 // sends in a row without an answer
	try := 1
	for ; try <= tries && silent < c.Tries; try++ {
		if try > 1 {
			c.Stats.Retries++
			if c.Log != nil {
				c.Log("%s: resending %s (try %d of %d): %s", c.name, f, try, tries, why)
			}
		}
		if err := c.write(wire, wait); err != nil {
			return nil, err
		}
		c.Stats.Frames++
		c.Stats.PayloadBytes += int64(len(payload))
		c.Stats.WireBytes += int64(len(wire))
		settle := c.Latency + 2*c.lineTime(len(wire)+WireSize(16))
		ans, reason, err := c.await(f.Seq, wait, settle)
		if err != nil {
			return nil, err
		}
		switch reason {
		case "":
		case timedOut:
			silent++
			why = reason
			continue
		default:
			silent = 0
			why = reason
			continue
		}
		if ans.Type == Nak {
			code, msg := Code(0), ""
			if len(ans.Payload) > 0 {
				code, msg = Code(ans.Payload[0]), string(ans.Payload[1:])
			}
			return nil, &NakError{Cmd: cmd, Code: code, Message: msg}
		}
		return ans.Payload, nil
	}
	if silent == c.Tries {
		return nil, fmt.Errorf("boards: %s: %w to %s after %d tries (%v each): is the board powered, running the snnc bitstream and on this port?",
			c.name, ErrTimeout, f, try-1, wait.Round(time.Millisecond))
	}
	return nil, fmt.Errorf("boards: %s: %w to %s in %d tries (last: %s): the line damages too much; lower the baud rate or check the cable",
		c.name, ErrTimeout, f, try-1, why)
}

const timedOut = "timed out"

// await reads until the answer to seq arrives, the port fails, or the wait ends: at
// the timeout, or settle after the first sign of damage (a damaged answer, or the
// board reporting a damaged frame). It returns the reason to resend.
func (c *Client) await(seq uint16, wait, settle time.Duration) (Frame, string, error) {
	deadline := time.Now().Add(wait)
	var damage string
	for {
		for len(c.inbox) > 0 {
			x := c.inbox[0]
			c.inbox = c.inbox[1:]
			switch {
			case x.err != nil:
				c.Stats.Damaged++
				if damage == "" {
					damage = "a damaged answer"
					deadline = earlier(deadline, time.Now().Add(settle))
				}
				continue
			case x.f.Type == Nak && len(x.f.Payload) > 0 && Code(x.f.Payload[0]) == CodeFrame:
				c.Stats.BoardNaks++
				if damage == "" {
					damage = "the board received a damaged frame"
					deadline = earlier(deadline, time.Now().Add(settle))
				}
				continue
			case x.f.Seq != seq || (x.f.Type != Ack && x.f.Type != Nak):
				continue // the late answer to an earlier try or command
			}
			return x.f, "", nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			if damage != "" {
				return Frame{}, damage, nil
			}
			c.Stats.Timeouts++
			return Frame{}, timedOut, nil
		}
		if err := c.port.SetReadTimeout(left); err != nil {
			return Frame{}, "", fmt.Errorf("boards: %s: %w", c.name, err)
		}
		n, err := c.port.Read(c.buf)
		if err != nil {
			return Frame{}, "", fmt.Errorf("boards: %s: reading: %w", c.name, err)
		}
		c.Stats.BytesIn += int64(n)
		c.reader.Feed(c.buf[:n], func(f Frame, err error) { c.inbox = append(c.inbox, frameOrError{f, err}) })
	}
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// write sends bytes, giving up after wait: a serial port drains at the line rate,
// but a port nobody reads (a hung board behind a pseudo-terminal) blocks forever.
func (c *Client) write(p []byte, wait time.Duration) error {
	done := make(chan error, 1)
	go func() {
		_, err := c.port.Write(p)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("boards: %s: writing: %w", c.name, err)
		}
		return nil
	case <-time.After(wait + c.lineTime(len(p))):
		c.Stats.Timeouts++
		return fmt.Errorf("boards: %s: writing: %w: the port took no bytes for %v; is the board connected?", c.name, ErrTimeout, wait.Round(time.Millisecond))
	}
}

// Identify asks the board what it is and what it holds.
func (c *Client) Identify() (*IdentifyInfo, error) {
	// A lone delimiter ends whatever partial frame the board was receiving.
	if err := c.write([]byte{0}, c.BaseTimeout); err != nil {
		return nil, err
	}
	p, err := c.call(CmdIdentify, nil, 0)
	if err != nil {
		return nil, err
	}
	in, err := decodeIdentify(p)
	if err != nil {
		return nil, err
	}
	if in.Protocol != ProtocolVersion {
		return nil, fmt.Errorf("boards: %s: the board speaks protocol version %d, snnc speaks %d", c.name, in.Protocol, ProtocolVersion)
	}
	if in.Board != c.board {
		return nil, fmt.Errorf("boards: %s: the board there is %s, not %s: name it with --board %s, or choose another port", c.name, in.Board, c.board, in.Board)
	}
	if in.MaxPayload < 64 || in.MaxPayload > MaxPayload {
		return nil, fmt.Errorf("boards: %s: the board claims frames of %d bytes", c.name, in.MaxPayload)
	}
	c.maxPayload = in.MaxPayload
	return in, nil
}

func u32s(v ...uint32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, x)
	}
	return b
}

func decodeU32(p []byte, what string) (int, error) {
	if len(p) != 4 {
		return 0, fmt.Errorf("boards: %s answer of %d bytes, want 4", what, len(p))
	}
	return int(binary.LittleEndian.Uint32(p)), nil
}
