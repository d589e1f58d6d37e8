package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/snnc/snnc/boards"
	"github.com/snnc/snnc/internal/atomicfile"
)

type boardSimCmd struct {
	Board      string        `required:"" help:"The board to behave as: arty-a7-35t, basys3 or icebreaker."`
	Baud       int           `help:"Line rate the simulator models (default: the board's)." placeholder:"N"`
	Faults     float64       `default:"0" help:"Probability that a byte, in either direction, is damaged: dropped, duplicated, bit-flipped or delayed." placeholder:"P"`
	FaultKinds []string      `name:"fault-kinds" default:"drop,dup,flip,delay" help:"The kinds of damage --faults draws from." placeholder:"KIND"`
	FaultDelay time.Duration `name:"fault-delay" default:"20ms" help:"How long a delay fault holds the line." placeholder:"D"`
	Seed       uint64        `default:"1" help:"Seed of the fault sequence."`
	PathFile   string        `name:"path-file" help:"Also write the device's path to this file (for scripts)." placeholder:"FILE"`
	Verbose    bool          `help:"Log commits, refusals and damaged frames on standard error."`
}

func (c *boardSimCmd) Run(e *env) error {
	b, err := boards.Lookup(c.Board)
	if err != nil {
		return usageError{err}
	}
	baud := c.Baud
	if baud == 0 {
		baud = b.DefaultBaud
	}
	if baud < 0 || baud > b.MaxBaud {
		return usageError{fmt.Errorf("--baud %d: board %s runs its UART at up to %d baud", baud, b.Name, b.MaxBaud)}
	}
	f := boards.Faults{Rate: c.Faults, Delay: c.FaultDelay, Seed: c.Seed}
	for _, k := range c.FaultKinds {
		f.Kinds = append(f.Kinds, boards.FaultKind(strings.TrimSpace(k)))
	}
	if err := f.Check(); err != nil {
		return usageError{err}
	}
	sim, err := boards.NewSim(b, baud, f)
	if err != nil {
		return err
	}
	defer sim.Close()
	sim.Log = func(format string, a ...any) { fmt.Fprintf(e.stderr, "board-sim: "+format+"\n", a...) }
	if !c.Verbose {
		sim.Log = nil
	}
	if c.PathFile != "" {
		if err := atomicfile.WriteFile(c.PathFile, []byte(sim.Path+"\n"), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stdout, sim.Path)
	fmt.Fprintf(e.stderr, "board-sim: %s (target %s) on %s, %d baud line", b.Name, b.Target, sim.Path, baud)
	if f.Rate > 0 {
		fmt.Fprintf(e.stderr, ", %g of bytes damaged (%s)", f.Rate, strings.Join(c.FaultKinds, ", "))
	}
	fmt.Fprintf(e.stderr, "; Ctrl-C stops it\n")

	done := make(chan error, 1)
	go func() { done <- sim.Serve() }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case err = <-done:
	case <-sig:
	case <-e.stop:
	}
	sim.Close()
	st := sim.Stats()
	fmt.Fprintf(e.stderr, "board-sim: stopped after %d bytes in, %d out; faults injected: %v\n", st.BytesIn, st.BytesOut, st.Faults)
	return err
}
