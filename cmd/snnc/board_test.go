package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that a running command and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// boardSim starts `snnc board-sim` in-process and returns the path of its device;
// the test's cleanup stops it and checks it ended well.
func boardSim(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skipf("no pseudo-terminals on this system: %v", err)
	}
	var out, errb syncBuffer
	e := &env{stdout: &out, stderr: &errb, stop: make(chan struct{})}
	done := make(chan int, 1)
	go func() { done <- run(append([]string{"board-sim"}, args...), e) }()
	t.Cleanup(func() {
		close(e.stop)
		if code := <-done; code != 0 {
			t.Errorf("board-sim: status %d: %s", code, errb.String())
		}
		t.Logf("board-sim: %s", errb.String())
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if path, ok := strings.CutSuffix(out.String(), "\n"); ok {
			return path
		}
		select {
		case code := <-done:
			t.Fatalf("board-sim ended with status %d: %s", code, errb.String())
		default:
		}
	}
	t.Fatal("board-sim printed no device path")
	return ""
}

// The checks of issue 7 through the command line: flash the sMNIST image to a
// simulated iCEBreaker and run inputs on it: the spikes and readouts are the files
// snnc emulate writes, byte for byte, and the task score is the same. Wrong-target
// and damaged images are refused and the board keeps its image.
func TestFlashAndRunCommands(t *testing.T) {
	dir := t.TempDir()
	img, _ := compileImage(t, dir, "smnist.bin", "ice40-up5k")
	other, _ := compileImage(t, dir, "smnist.bin", "artix7-35t")
	port := boardSim(t, "--board", "icebreaker", "--baud", "3000000")
	board := []string{"--board", "icebreaker", "--port", port, "--baud", "3000000"}

	if code, _, stderr := snnc(t, append([]string{"run", "--input", poisson}, board...)...); code != 1 || !strings.Contains(stderr, "holds no image") {
		t.Errorf("run before any flash: status %d, %q", code, stderr)
	}
	if code, _, stderr := snnc(t, "flash", other, "--board", "arty-a7-35t", "--port", port, "--baud", "3000000"); code != 1 || !strings.Contains(stderr, "the board there is icebreaker, not arty-a7-35t") {
		t.Errorf("flash naming another board: status %d, %q", code, stderr)
	}
	code, out, stderr := snnc(t, append([]string{"flash", img, "--json"}, board...)...)
	if code != 0 {
		t.Fatalf("flash: status %d: %s", code, stderr)
	}
	var fr struct {
		Bytes int    `json:"image_bytes"`
		CRC   string `json:"image_crc32c"`
	}
	if err := json.Unmarshal([]byte(out), &fr); err != nil || fr.Bytes == 0 {
		t.Fatalf("flash --json: %v\n%s", err, out)
	}

	z1, y1 := filepath.Join(dir, "z-board.npy"), filepath.Join(dir, "y-board.npy")
	z2, y2 := filepath.Join(dir, "z-emu.npy"), filepath.Join(dir, "y-emu.npy")
	if code, _, stderr := snnc(t, append([]string{"run", "--input", poisson, "--spikes", z1, "--readout", y1}, board...)...); code != 0 {
		t.Fatalf("run: status %d: %s", code, stderr)
	}
	if code, _, stderr := snnc(t, "emulate", img, "--mode", "fast", "--input", poisson, "--spikes", z2, "--readout", y2); code != 0 {
		t.Fatalf("emulate: status %d: %s", code, stderr)
	}
	for _, pair := range [][2]string{{z1, z2}, {y1, y2}} {
		a, _ := os.ReadFile(pair[0])
		b, _ := os.ReadFile(pair[1])
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s (%d bytes) differs from %s (%d bytes)", pair[0], len(a), pair[1], len(b))
		}
	}

	code, out, stderr = snnc(t, append([]string{"run", "--task", "smnist", "--limit", "2", "--json"}, board...)...)
	if code != 0 {
		t.Fatalf("run --task: status %d: %s", code, stderr)
	}
	var rr runReport
	if err := json.Unmarshal([]byte(out), &rr); err != nil || rr.Task == nil {
		t.Fatalf("run --json: %v\n%s", err, out)
	}
	code, out, stderr = snnc(t, "emulate", img, "--mode", "fast", "--task", "smnist", "--limit", "2", "--json")
	if code != 0 {
		t.Fatalf("emulate --task: status %d: %s", code, stderr)
	}
	var er emulateReport
	if err := json.Unmarshal([]byte(out), &er); err != nil || er.Task == nil {
		t.Fatalf("emulate --json: %v\n%s", err, out)
	}
	if *rr.Task != *er.Task || rr.Counters.SynapticOps != er.Totals.SynapticOps {
		t.Errorf("board: %+v, %d synaptic ops; emulator: %+v, %d", *rr.Task, rr.Counters.SynapticOps, *er.Task, er.Totals.SynapticOps)
	}

	damaged := filepath.Join(dir, "damaged.img")
	b, _ := os.ReadFile(img)
	b[len(b)/2] ^= 1
	os.WriteFile(damaged, b, 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"flash", other}, `compiled for target "artix7-35t"`},
		{[]string{"flash", other, "--force"}, "image built for another target"},
		{[]string{"flash", damaged}, "not sending a damaged image"},
		{[]string{"flash", damaged, "--force"}, "invalid image"},
	} {
		code, _, stderr := snnc(t, append(c.args, board...)...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("snnc %v: status %d, %q; want status 1 and %q", c.args, code, stderr, c.want)
		}
	}
	code, out, _ = snnc(t, append([]string{"run", "--input", poisson, "--readout", y1}, board...)...)
	a, _ := os.ReadFile(y1)
	want, _ := os.ReadFile(y2)
	if code != 0 || !bytes.Equal(a, want) {
		t.Errorf("after the refusals the board does not run the image it had: status %d\n%s", code, out)
	}
}

// With 1% of bytes damaged on the line, flash still completes, and says how many
// retries it took.
func TestFlashCommandThroughFaults(t *testing.T) {
	dir := t.TempDir()
	img, _ := compileImage(t, dir, "smnist.bin", "ice40-up5k")
	port := boardSim(t, "--board", "icebreaker", "--baud", "3000000", "--faults", "0.01", "--fault-delay", "5ms", "--seed", "3")
	code, out, stderr := snnc(t, "flash", img, "--board", "icebreaker", "--port", port, "--baud", "3000000")
	if code != 0 {
		t.Fatalf("flash: status %d: %s", code, stderr)
	}
	if !strings.Contains(out, "verified and committed") || strings.Contains(out, " 0 retries") {
		t.Errorf("flash through faults: %s", out)
	}
	t.Log(out)
}

func TestBoardCommandErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"flash", poisson, "--board", "nosuch", "--port", "/dev/null"}, 2, "nosuch"},
		{[]string{"flash", poisson, "--board", "icebreaker", "--port", "/dev/null", "--baud", "12000000"}, 2, "at up to 3000000 baud"},
		{[]string{"run", "--board", "icebreaker", "--port", "/dev/null"}, 2, "--input"},
		{[]string{"board-sim", "--board", "icebreaker", "--faults", "2"}, 2, "probability"},
		{[]string{"board-sim", "--board", "icebreaker", "--fault-kinds", "melt"}, 2, "melt"},
		{[]string{"flash", poisson, "--board", "icebreaker", "--port", filepath.Join(t.TempDir(), "ttyNONE")}, 1, "ttyNONE"},
	} {
		code, _, stderr := snnc(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("snnc %v: status %d, %q; want status %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
