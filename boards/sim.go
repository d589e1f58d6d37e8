package boards

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"
)

// Faults say how the simulated line damages bytes. Each byte, in either direction,
// suffers a fault with probability Rate; the fault is one of Kinds, chosen at
// random: the byte is dropped, sent twice, has one bit flipped, or is held back for
// Delay.
type Faults struct {
	Rate  float64
	Kinds []FaultKind
	Delay time.Duration
	Seed  uint64
}

// FaultKind is one way a line damages a byte.
type FaultKind string

const (
	FaultDrop  FaultKind = "drop"
	FaultDup   FaultKind = "dup"
	FaultFlip  FaultKind = "flip"
	FaultDelay FaultKind = "delay"
)

// AllFaults are the kinds of fault the simulated line knows.
var AllFaults = []FaultKind{FaultDrop, FaultDup, FaultFlip, FaultDelay}

// Check reports a rate outside [0, 1] or an unknown kind.
func (f Faults) Check() error {
	if f.Rate < 0 || f.Rate > 1 || f.Rate != f.Rate {
		return fmt.Errorf("boards: fault rate %v: want a probability in [0, 1]", f.Rate)
	}
	for _, k := range f.Kinds {
		switch k {
		case FaultDrop, FaultDup, FaultFlip, FaultDelay:
		default:
			return fmt.Errorf("boards: fault kind %q: want drop, dup, flip or delay", k)
		}
	}
	if f.Delay < 0 {
		return fmt.Errorf("boards: fault delay %v is negative", f.Delay)
	}
	return nil
}

// SimStats count what the simulated line did.
type SimStats struct {
	BytesIn, BytesOut int64
	Faults            map[FaultKind]int64
}

// Sim is a board on a pseudo-terminal: it speaks the protocol on the terminal's
// device, as a board's UART does, and runs committed images in the emulator. Its
// line carries 10 bits a byte at the chosen baud, so that an upload takes the time
// it would take on the board, and damages bytes as Faults say.
type Sim struct {
	Board *Board
	Path  string // the device the host opens
	Log   func(format string, a ...any)

	baud   int
	faults Faults
	rng    *rand.Rand

	master, tty *os.File

	mu     sync.Mutex
	closed bool
	dev    *Device
	silent bool
	stats  SimStats
	due    time.Time // when the line has carried every byte so far
}

// NewSim opens a pseudo-terminal and puts a board with no image behind it. The
// simulator keeps the terminal's device open itself, so that hosts may open and
// close it as they please, and sets it raw, as a serial port is.
func NewSim(b *Board, baud int, f Faults) (*Sim, error) {
	if baud <= 0 {
		return nil, fmt.Errorf("boards: baud %d: want a positive rate", baud)
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	if len(f.Kinds) == 0 {
		f.Kinds = AllFaults
	}
	if f.Delay == 0 {
		f.Delay = 20 * time.Millisecond
	}
	dev, err := NewDevice(b)
	if err != nil {
		return nil, err
	}
	master, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("boards: opening a pseudo-terminal: %w", err)
	}
	if _, err := term.MakeRaw(int(tty.Fd())); err != nil {
		master.Close()
		tty.Close()
		return nil, fmt.Errorf("boards: %s: setting raw mode: %w", tty.Name(), err)
	}
	return &Sim{Board: b, Path: tty.Name(), baud: baud, faults: f, rng: rand.New(rand.NewPCG(f.Seed, 0x5eed)),
		master: master, tty: tty, dev: dev, stats: SimStats{Faults: map[FaultKind]int64{}}}, nil
}

// Serve answers frames until Close. It returns nil after Close.
func (s *Sim) Serve() error {
	r := NewReader(s.Board.MaxFrame)
	buf := make([]byte, 4096)
	var out []byte
	for {
		n, err := s.master.Read(buf)
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed || errors.Is(err, os.ErrClosed) || errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("boards: simulator: reading %s: %w", s.Path, err)
		}
		s.mu.Lock()
		in := s.damage(buf[:n])
		s.stats.BytesIn += int64(n)
		s.pace(len(in))
		out = out[:0]
		r.Feed(in, func(f Frame, err error) {
			if s.silent {
				return
			}
			var ans Frame
			if err != nil {
				ans = s.dev.Damaged(err)
				s.logf("damaged frame: %v", err)
			} else {
				ans = s.dev.Handle(f)
				s.logAnswer(f, ans)
			}
			out, _ = AppendFrame(out, ans)
		})
		var wire []byte
		if len(out) > 0 {
			wire = s.damage(out)
			s.stats.BytesOut += int64(len(wire))
			s.pace(len(wire))
		}
		s.mu.Unlock()
		if len(wire) > 0 {
			if _, err := s.master.Write(wire); err != nil {
				if errors.Is(err, os.ErrClosed) {
					return nil
				}
				return fmt.Errorf("boards: simulator: writing %s: %w", s.Path, err)
			}
		}
	}
}

// pace holds the simulator until the line has carried n more bytes.
func (s *Sim) pace(n int) {
	now := time.Now()
	if s.due.Before(now) {
		s.due = now
	}
	s.due = s.due.Add(time.Duration(int64(n) * 10 * int64(time.Second) / int64(s.baud)))
	time.Sleep(time.Until(s.due))
}

// damage applies the line's faults to p.
func (s *Sim) damage(p []byte) []byte {
	if s.faults.Rate == 0 {
		return p
	}
	out := make([]byte, 0, len(p)+8)
	for _, b := range p {
		if s.rng.Float64() >= s.faults.Rate {
			out = append(out, b)
			continue
		}
		k := s.faults.Kinds[s.rng.IntN(len(s.faults.Kinds))]
		s.stats.Faults[k]++
		switch k {
		case FaultDrop:
		case FaultDup:
			out = append(out, b, b)
		case FaultFlip:
			out = append(out, b^1<<s.rng.IntN(8))
		case FaultDelay:
			s.due = s.due.Add(s.faults.Delay)
			out = append(out, b)
		}
	}
	return out
}

// logAnswer logs what a user watching a board wants to see: commits and refusals.
func (s *Sim) logAnswer(f, ans Frame) {
	switch {
	case ans.Type == Nak && len(ans.Payload) > 0:
		s.logf("refused %s: %s: %s", typeName(f.Type), Code(ans.Payload[0]), ans.Payload[1:])
	case f.Type == CmdCommit:
		s.logf("committed an image of %d bytes", len(s.dev.Image()))
	}
}

func (s *Sim) logf(format string, a ...any) {
	if s.Log != nil {
		s.Log(format, a...)
	}
}

// SetSilent makes the board stop answering (true) or answer again, as a board that
// hangs does.
func (s *Sim) SetSilent(v bool) {
	s.mu.Lock()
	s.silent = v
	s.mu.Unlock()
}

// Image returns a copy of the committed image's bytes.
func (s *Sim) Image() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.dev.Image()...)
}

// Stats returns what the line has done so far.
func (s *Sim) Stats() SimStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Faults = make(map[FaultKind]int64, len(s.stats.Faults))
	for k, v := range s.stats.Faults {
		st.Faults[k] = v
	}
	return st
}

// Close stops Serve and releases the pseudo-terminal.
func (s *Sim) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	err := s.master.Close()
	if e := s.tty.Close(); err == nil {
		err = e
	}
	return err
}
