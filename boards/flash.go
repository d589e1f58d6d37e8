package boards

import (
	"errors"
	"fmt"
	"time"

	"github.com/snnc/snnc/chipimage"
)

// FlashReport is what an upload did.
type FlashReport struct {
	Board    string  `json:"board"`
	Bytes    int     `json:"image_bytes"`
	CRC      string  `json:"image_crc32c"`
	Resumed  int     `json:"resumed_at_byte"` // bytes the board already held from an interrupted upload
	Rewrites int     `json:"regions_rewritten"`
	Seconds  float64 `json:"seconds"`
	// Efficiency is the image bytes this upload sent (all but the resumed ones) over
	// the wire bytes the host sent (frames, stuffing, offsets, verification, resends).
	Efficiency float64   `json:"payload_efficiency"`
	Link       LinkStats `json:"link"`
}

// FlashOptions tune an upload.
type FlashOptions struct {
	// Force sends an image the host's own checks reject (it does not decode, or names
	// another target), to let the board judge it.
	Force bool
	// Progress hears of every acknowledged chunk: bytes staged of total.
	Progress func(done, total int)
	// StopAfter, when positive, abandons the upload after that many bytes, as a
	// pulled cable would (for tests of resumption).
	StopAfter int
	// Stop, when closed, abandons the upload at the next chunk (Ctrl-C). The board
	// keeps what it acknowledged, and the next Flash of the image resumes there.
	Stop <-chan struct{}
}

// verifyRegion is the span one VERIFY covers: a mismatch costs a rewrite of this
// much, and a whole image costs a few commands.
const verifyRegion = 16 << 10

// ErrStopped is wrapped by the error of an upload that FlashOptions.Stop or
// StopAfter ended.
var ErrStopped = errors.New("upload stopped")

// StoppedError says how far a stopped upload got.
type StoppedError struct{ Done, Total int }

func (e *StoppedError) Error() string {
	return fmt.Sprintf("boards: %v after %d of %d bytes; the board keeps them, and flashing the same image again resumes there", ErrStopped, e.Done, e.Total)
}

func (e *StoppedError) Unwrap() error { return ErrStopped }

// Flash uploads an image, verifies every region by CRC, rewrites the regions that
// differ and commits. An upload the board holds from an interrupted run with the
// same size and CRC resumes where it stopped.
func (c *Client) Flash(img []byte, opt FlashOptions) (*FlashReport, error) {
	start := time.Now()
	id, err := c.Identify()
	if err != nil {
		return nil, err
	}
	if err := checkImage(id, img, opt.Force); err != nil {
		return nil, err
	}
	sum := imageCRC(img)
	rep := &FlashReport{Board: id.Board, Bytes: len(img), CRC: fmt.Sprintf("%08x", sum)}
	p, err := c.call(CmdBegin, u32s(uint32(len(img)), sum), 0)
	if err != nil {
		return nil, err
	}
	done, err := decodeU32(p, "BEGIN")
	if err != nil {
		return nil, err
	}
	if done > len(img) {
		return nil, fmt.Errorf("boards: %s: the board claims %d of %d bytes staged", c.name, done, len(img))
	}
	rep.Resumed = done
	if err := c.upload(img, done, opt); err != nil {
		return nil, err
	}
	for pass := 0; ; pass++ {
		bad, err := c.verify(img)
		if err != nil {
			return nil, err
		}
		if len(bad) == 0 {
			break
		}
		if pass == c.Tries {
			return nil, fmt.Errorf("boards: %s: regions at bytes %v still differ after %d rewrites", c.name, bad, pass)
		}
		for _, off := range bad {
			rep.Rewrites++
			if err := c.writeRange(img, off, min(off+verifyRegion, len(img)), opt); err != nil {
				return nil, err
			}
		}
	}
	// Decoding and checking an image takes the board time in proportion to its size.
	if _, err := c.call(CmdCommit, u32s(uint32(len(img)), sum), time.Second+c.lineTime(len(img))/10); err != nil {
		return nil, err
	}
	id, err = c.Identify()
	if err != nil {
		return nil, err
	}
	if id.Committed.Size != len(img) || id.Committed.CRC != sum {
		return nil, fmt.Errorf("boards: %s: after COMMIT the board runs an image of %d bytes with CRC %08x, not the %d bytes with CRC %08x sent",
			c.name, id.Committed.Size, id.Committed.CRC, len(img), sum)
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.Link = c.Stats
	if c.Stats.WireBytes > 0 {
		rep.Efficiency = float64(len(img)-rep.Resumed) / float64(c.Stats.WireBytes)
	}
	return rep, nil
}

// checkImage refuses, before sending a byte, what the board would refuse.
func checkImage(id *IdentifyInfo, img []byte, force bool) error {
	if len(img) > id.Capacity {
		return fmt.Errorf("boards: the image has %d bytes, board %s holds at most %d", len(img), id.Board, id.Capacity)
	}
	if force {
		return nil
	}
	im, err := chipimage.Decode(img)
	if err != nil {
		return fmt.Errorf("boards: not sending a damaged image: %w", err)
	}
	if im.Header.Target != id.Target || im.Header.TargetHash != id.TargetHash {
		return fmt.Errorf("boards: the image was compiled for target %q, board %s runs %q: compile with --target %s",
			im.Header.Target, id.Board, id.Target, id.Target)
	}
	return nil
}

// upload writes img from byte from to the end, in chunks of the board's frame size.
func (c *Client) upload(img []byte, from int, opt FlashOptions) error {
	if opt.Progress != nil {
		opt.Progress(from, len(img))
	}
	return c.writeRange(img, from, len(img), opt)
}

// minChunk is the smallest WRITE chunk: with 1% of bytes damaged, about half of
// such frames arrive whole.
const minChunk = 32

// writeRange writes img[lo:hi]. The chunk adapts to the line: a chunk not
// acknowledged in two tries is halved (a long frame on a noisy line rarely arrives
// whole), and sixteen clean chunks in a row double it back toward the board's frame
// size. A board that says it holds fewer bytes than the chunk's offset (it lost the
// upload, or was reset) is followed back to its point.
func (c *Client) writeRange(img []byte, lo, hi int, opt FlashOptions) error {
	full := c.maxPayload - 4
	if c.chunk == 0 || c.chunk > full {
		c.chunk = full
	}
	clean := 0
	for off := lo; off < hi; {
		if opt.StopAfter > 0 && off >= opt.StopAfter {
			return &StoppedError{Done: off, Total: len(img)}
		}
		select {
		case <-opt.Stop:
			return &StoppedError{Done: off, Total: len(img)}
		default:
		}
		end := min(off+c.chunk, hi)
		tries := 2
		if c.chunk <= minChunk {
			tries = noiseTries * c.Tries
		}
		p, err := c.send(CmdWrite, append(u32s(uint32(off)), img[off:end]...), 0, tries)
		if errors.Is(err, ErrTimeout) && c.chunk > minChunk {
			c.chunk = max(minChunk, c.chunk/2)
			clean = 0
			continue
		}
		var ne *NakError
		if errors.As(err, &ne) && ne.Code == CodeOffset {
			id, err := c.Identify()
			if err != nil {
				return err
			}
			if id.Staged.Size != len(img) || id.Staged.Done >= off {
				return fmt.Errorf("boards: %s: the board lost the upload (%v)", c.name, ne)
			}
			off = id.Staged.Done
			continue
		}
		if err != nil {
			return err
		}
		if _, err := decodeU32(p, "WRITE"); err != nil {
			return err
		}
		off = end
		if clean++; clean == 16 && c.chunk < full {
			c.chunk, clean = min(full, 2*c.chunk), 0
		}
		if opt.Progress != nil && hi == len(img) {
			opt.Progress(off, len(img))
		}
	}
	return nil
}

// verify compares every region's CRC on the board with the image's and returns the
// offsets of the regions that differ.
func (c *Client) verify(img []byte) ([]int, error) {
	var bad []int
	for off := 0; off < len(img); off += verifyRegion {
		end := min(off+verifyRegion, len(img))
		p, err := c.call(CmdVerify, u32s(uint32(off), uint32(end-off)), c.lineTime(end-off)/100)
		if err != nil {
			return nil, err
		}
		got, err := decodeU32(p, "VERIFY")
		if err != nil {
			return nil, err
		}
		if uint32(got) != imageCRC(img[off:end]) {
			bad = append(bad, off)
		}
	}
	return bad, nil
}
