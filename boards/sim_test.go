package boards

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/emulator"
)

// simBoard starts a simulated board and returns it with a client on its
// pseudo-terminal, opened as a serial port.
func simBoard(t *testing.T, name string, baud int, f Faults) (*Sim, *Client) {
	t.Helper()
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skipf("no pseudo-terminals on this system: %v", err)
	}
	b := board(t, name)
	sim, err := NewSim(b, baud, f)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sim.Serve() }()
	t.Cleanup(func() {
		sim.Close()
		if err := <-done; err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
	return sim, dial(t, sim, b, baud)
}

func dial(t *testing.T, sim *Sim, b *Board, baud int) *Client {
	t.Helper()
	port, err := OpenSerial(sim.Path, baud)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { port.Close() })
	c := NewClient(port, sim.Path, b, baud)
	c.Log = t.Logf
	return c
}

// Flashing the sMNIST image and running digits on the simulated board gives what
// the emulator gives, spike for spike and readout for readout.
func TestFlashAndRunMatchEmulator(t *testing.T) {
	img := smnistImage(t, "ice40-up5k")
	xs := digits(t, 2)
	sim, c := simBoard(t, "icebreaker", 3_000_000, Faults{})
	rep, err := c.Flash(img, FlashOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sim.Image(), img) {
		t.Fatal("the board's image differs from the file")
	}
	if rep.Resumed != 0 || rep.Link.Retries != 0 || rep.Efficiency < 0.9 {
		t.Errorf("clean line: resumed %d, %d retries, efficiency %.3f", rep.Resumed, rep.Link.Retries, rep.Efficiency)
	}
	want := emulate(t, img, xs)
	id, err := c.Identify()
	if err != nil {
		t.Fatal(err)
	}
	for b, x := range xs {
		got, err := c.Run(id, x)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameRun(got, &want[b]); err != nil {
			t.Errorf("digit %d: %v", b, err)
		}
	}
}

func emulate(t *testing.T, img []byte, xs []emulator.Input) []emulator.Result {
	t.Helper()
	im, err := chipimage.Decode(img)
	if err != nil {
		t.Fatal(err)
	}
	em, err := emulator.New(im, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := em.Run(xs, emulator.Options{Mode: emulator.Fast})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sameRun compares a board's run with the emulator's.
func sameRun(got *RunResult, want *emulator.Result) error {
	if !bytes.Equal(got.Spikes, want.Spikes) {
		return errors.New("spikes differ")
	}
	if fmt.Sprint(got.Readout) != fmt.Sprint(want.Readout) {
		return errors.New("readouts differ")
	}
	tot := want.Total()
	if got.Counters.Spikes != tot.Spikes || got.Counters.SynapticOps != tot.SynapticOps || got.Counters.Packets != tot.Packets {
		return fmt.Errorf("counters: board %+v, emulator %+v", got.Counters, tot)
	}
	if got.Counters.Spikes == 0 {
		return errors.New("no spikes: the comparison shows nothing")
	}
	return nil
}

// With 1% of the bytes in each direction dropped, duplicated, flipped or delayed,
// an upload completes and verifies, retransmitting, and the board holds the image
// byte for byte; the run that follows still equals the emulator's.
func TestFlashThroughFaults(t *testing.T) {
	img := smnistImage(t, "ice40-up5k")
	sim, c := simBoard(t, "icebreaker", 3_000_000, Faults{Rate: 0.01, Seed: 7, Delay: 5 * time.Millisecond})
	c.Log = nil
	rep, err := c.Flash(img, FlashOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sim.Image(), img) {
		t.Fatal("the board's image differs from the file")
	}
	st := sim.Stats()
	t.Logf("faults %v; %d commands, %d retries (%d damaged answers, %d damaged commands, %d timeouts), efficiency %.3f",
		st.Faults, rep.Link.Commands, rep.Link.Retries, rep.Link.Damaged, rep.Link.BoardNaks, rep.Link.Timeouts, rep.Efficiency)
	for _, k := range AllFaults {
		if st.Faults[k] == 0 {
			t.Errorf("no %s fault injected", k)
		}
	}
	if rep.Link.Retries == 0 {
		t.Error("no retransmissions on a faulty line")
	}
	// A run through the same line: resends of STEP are answered, not run again, and
	// the inputs and spikes move in short frames once the line proves noisy.
	x := digits(t, 1)[0]
	x.T = 300
	x.Bits = x.Bits[:x.T*x.NIn]
	id, err := c.Identify()
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Run(id, x)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameRun(got, &emulate(t, img, []emulator.Input{x})[0]); err != nil {
		t.Errorf("run through faults: %v", err)
	}
	if got.Counters.Duplicates == 0 {
		t.Error("the board never saw a resent command: the replay went untested")
	}
}

// An upload cut short resumes from the bytes the board acknowledged.
func TestInterruptedUploadResumes(t *testing.T) {
	img := smnistImage(t, "ice40-up5k")
	sim, c := simBoard(t, "icebreaker", 3_000_000, Faults{})
	if _, err := c.Flash(img, FlashOptions{StopAfter: 20000}); !errors.Is(err, ErrStopped) {
		t.Fatalf("stopped upload: %v", err)
	}
	if sim.Image() != nil {
		t.Fatal("an incomplete upload was committed")
	}
	c2 := dial(t, sim, sim.Board, 3_000_000)
	rep, err := c2.Flash(img, FlashOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Resumed < 20000 || rep.Resumed >= len(img) {
		t.Errorf("resumed at byte %d, want the 20000 already sent", rep.Resumed)
	}
	if !bytes.Equal(sim.Image(), img) {
		t.Fatal("the resumed upload differs from the file")
	}
}

// The board refuses an image for another target and a corrupted one with clear
// errors, and keeps running the image it had.
func TestBoardRefusesAndKeepsImage(t *testing.T) {
	good := smnistImage(t, "ice40-up5k")
	xs := digits(t, 1)
	sim, c := simBoard(t, "icebreaker", 3_000_000, Faults{})
	if _, err := c.Flash(good, FlashOptions{}); err != nil {
		t.Fatal(err)
	}
	other := smnistImage(t, "artix7-35t")
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)/3] ^= 0x40
	for _, c1 := range []struct {
		name  string
		img   []byte
		force bool
		want  string
		code  Code
	}{
		{"wrong target, host check", other, false, `compiled for target "artix7-35t", board icebreaker runs "ice40-up5k"`, 0},
		{"wrong target, board check", other, true, "image built for another target", CodeTarget},
		{"corrupt, host check", corrupt, false, "not sending a damaged image", 0},
		{"corrupt, board check", corrupt, true, "invalid image", CodeImage},
	} {
		_, err := c.Flash(c1.img, FlashOptions{Force: c1.force})
		var ne *NakError
		switch {
		case err == nil:
			t.Errorf("%s: accepted", c1.name)
		case !bytes.Contains([]byte(err.Error()), []byte(c1.want)):
			t.Errorf("%s: error %q does not say %q", c1.name, err, c1.want)
		case c1.code != 0 && (!errors.As(err, &ne) || ne.Code != c1.code):
			t.Errorf("%s: error %v, want a NAK with %q", c1.name, err, c1.code)
		}
		if !bytes.Equal(sim.Image(), good) {
			t.Fatalf("%s: the board's image changed", c1.name)
		}
	}
	id, err := c.Identify()
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Run(id, xs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := sameRun(got, &emulate(t, good, xs)[0]); err != nil {
		t.Errorf("after the refusals: %v", err)
	}
}

// A board that stops answering gives a timeout error naming the port, not a hang.
func TestSilentBoardTimesOut(t *testing.T) {
	sim, c := simBoard(t, "icebreaker", 3_000_000, Faults{})
	sim.SetSilent(true)
	c.Tries, c.BaseTimeout = 3, 50*time.Millisecond
	start := time.Now()
	_, err := c.Identify()
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("silent board: %v, want a timeout", err)
	}
	if !bytes.Contains([]byte(err.Error()), []byte(sim.Path)) || !bytes.Contains([]byte(err.Error()), []byte("3 tries")) {
		t.Errorf("the timeout error does not name the port and the tries: %v", err)
	}
	t.Logf("%v after %v", err, time.Since(start).Round(time.Millisecond))
}
