package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/snnc/snnc/boards"
)

// boardFlags pick a board and the serial line to it; flash and run share them.
type boardFlags struct {
	Board   string        `required:"" help:"The board: arty-a7-35t, basys3 or icebreaker (snnc boards lists them)."`
	Port    string        `help:"Serial port of the board (default: the one port whose USB bridge matches the board; snnc ports lists them)." placeholder:"PORT"`
	Baud    int           `help:"Line rate in baud (default: the board's; at most its maximum)." placeholder:"N"`
	Tries   int           `default:"8" help:"Sends of a command before the board is declared unresponsive." placeholder:"N"`
	Timeout time.Duration `default:"250ms" help:"Wait for an answer, beyond the time its bytes take on the line." placeholder:"D"`
	Verbose bool          `help:"Log every retransmission and its cause on standard error."`
}

// connection is an open line to a board.
type connection struct {
	board  *boards.Board
	port   string
	baud   int
	client *boards.Client
	close  func() error
}

// open finds the board's port (unless given), opens it and prepares a client.
func (f boardFlags) open(e *env) (*connection, error) {
	b, err := boards.Lookup(f.Board)
	if err != nil {
		return nil, usageError{err}
	}
	baud := f.Baud
	if baud == 0 {
		baud = b.DefaultBaud
	}
	if baud < 0 || baud > b.MaxBaud {
		return nil, usageError{fmt.Errorf("--baud %d: board %s runs its UART at up to %d baud", baud, b.Name, b.MaxBaud)}
	}
	if f.Tries < 1 || f.Timeout <= 0 {
		return nil, usageError{fmt.Errorf("--tries and --timeout must be positive")}
	}
	name := f.Port
	if name == "" {
		ports, err := boards.ListPorts()
		if err != nil {
			return nil, err
		}
		if name, err = boards.FindPort(b, ports); err != nil {
			return nil, err
		}
	}
	port, err := boards.OpenSerial(name, baud)
	if err != nil {
		return nil, err
	}
	c := boards.NewClient(port, name, b, baud)
	c.Tries, c.BaseTimeout = f.Tries, f.Timeout
	if f.Verbose {
		c.Log = func(format string, a ...any) { fmt.Fprintf(e.stderr, format+"\n", a...) }
	}
	return &connection{board: b, port: name, baud: baud, client: c, close: port.Close}, nil
}

type flashCmd struct {
	Image string `arg:"" help:"Chip image (snnc compile -o out.img --target T, T the board's target)." type:"existingfile"`
	boardFlags
	Force bool `help:"Send an image the host's checks reject (damaged, or for another target) and let the board judge it."`
	JSON  bool `help:"Print the report as JSON."`
}

// flashReport is the --json report.
type flashReport struct {
	Image string `json:"image"`
	Port  string `json:"port"`
	Baud  int    `json:"baud"`
	*boards.FlashReport
}

func (c *flashCmd) Run(e *env) error {
	conn, err := c.open(e)
	if err != nil {
		return err
	}
	defer conn.close()
	st, err := os.Stat(c.Image)
	if err != nil {
		return fmt.Errorf("flash: %w", err)
	}
	if st.Size() > int64(conn.board.ImageBytes) {
		return fmt.Errorf("flash: %s has %d bytes, board %s holds images of at most %d", c.Image, st.Size(), conn.board.Name, conn.board.ImageBytes)
	}
	img, err := os.ReadFile(c.Image)
	if err != nil {
		return fmt.Errorf("flash: %w", err)
	}
	// Ctrl-C stops between chunks, so that the board keeps every byte it acknowledged.
	stop := make(chan struct{})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-sig:
			close(stop)
		case <-finished:
		}
	}()
	bar := newByteBar(e, int64(len(img)), fmt.Sprintf("flash %s", conn.board.Name))
	rep, err := conn.client.Flash(img, boards.FlashOptions{Force: c.Force, Stop: stop, Progress: func(done, _ int) { bar.Set(done) }})
	bar.Finish()
	if err != nil {
		return fmt.Errorf("flash: %s on %s: %w", conn.board.Name, conn.port, err)
	}
	r := flashReport{Image: c.Image, Port: conn.port, Baud: conn.baud, FlashReport: rep}
	if c.JSON {
		return printJSON(e.stdout, r)
	}
	l := rep.Link
	fmt.Fprintf(e.stdout, "flashed %s to %s on %s: %d bytes, CRC-32C %s, verified and committed\n", c.Image, rep.Board, conn.port, rep.Bytes, rep.CRC)
	if rep.Resumed > 0 {
		fmt.Fprintf(e.stdout, "  resumed an interrupted upload at byte %d\n", rep.Resumed)
	}
	fmt.Fprintf(e.stdout, "  %.2f s at %d baud (%.1f kB of image a second); payload efficiency %.3f (%d wire bytes sent)\n",
		rep.Seconds, conn.baud, float64(rep.Bytes-rep.Resumed)/rep.Seconds/1000, rep.Efficiency, l.WireBytes)
	fmt.Fprintf(e.stdout, "  %d commands, %d retries (%d damaged answers, %d damaged commands, %d timeouts), %d regions rewritten\n",
		l.Commands, l.Retries, l.Damaged, l.BoardNaks, l.Timeouts, rep.Rewrites)
	return nil
}
