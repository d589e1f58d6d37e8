// Command snnc trains, quantizes, compiles, emulates and flashes long short-term
// memory spiking networks (LSNNs). Run `snnc --help` for the commands.
//
// Conventions shared by every command: -o FILE names the output; --json prints the
// command's report as JSON on standard output; progress and logs go to standard
// error; the exit status is 0 on success, 1 on an error and 2 on a usage error.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/alecthomas/kong"
)

// cli lists the commands; each lives in a file of its own.
type cli struct {
	Version  versionCmd  `cmd:"" help:"Print snnc's version."`
	Inspect  inspectCmd  `cmd:"" help:"Describe a model: neurons, synapses, delays, time constants."`
	Import   importCmd   `cmd:"" help:"Convert a model from .npz to snnc's model.bin."`
	Export   exportCmd   `cmd:"" help:"Convert a model.bin to .npz."`
	Simulate simulateCmd `cmd:"" help:"Run a model in the float reference simulator on input spike trains."`
	Train    trainCmd    `cmd:"" help:"Train an LSNN with BPTT and DEEP R on a task."`
	Eval     evalCmd     `cmd:"" help:"Measure a model's accuracy on a task's test set."`
	Targets  targetsCmd  `cmd:"" help:"List the targets, or show one's resolved spec."`
	Quantize quantizeCmd `cmd:"" help:"Quantize a model to a target's integer arithmetic and report what it costs."`
	Compile  compileCmd  `cmd:"" help:"Compile a model into a chip image for a target: partition, place, route, compress, emit."`
	Gen      genCmd      `cmd:"" help:"Generate a random sparse LSNN of any size (for benchmarks)."`
	Emulate  emulateCmd  `cmd:"" help:"Run a chip image in the cycle-level emulator: spikes, cycles and energy."`
	Demo     demoCmd     `cmd:"" help:"Compile the embedded sMNIST model for loihi and emulate test digits: accuracy, energy, time."`
	Boards   boardsCmd   `cmd:"" help:"List the dev boards snnc can flash: FPGA, clock, target, USB bridge, baud rates."`
	Ports    portsCmd    `cmd:"" help:"List the serial ports and the boards whose USB bridge each matches."`
	Flash    flashCmd    `cmd:"" help:"Upload a chip image to a dev board over its serial line: verify, then commit."`
	Run      runCmd      `cmd:"" help:"Stream input spikes to the image on a board and collect its spikes, readouts and counters."`
	BoardSim boardSimCmd `cmd:"" name:"board-sim" help:"Behave as a dev board on a pseudo-terminal, running uploaded images in the emulator."`

	CPUProfile string `name:"cpuprofile" placeholder:"FILE" help:"Write a CPU profile of the command to FILE (go tool pprof)."`
}

// env is what commands print to; tests swap it.
type env struct {
	stdout, stderr io.Writer
	// stop, when closed, ends commands that run until interrupted (board-sim).
	stop chan struct{}
}

// usageError marks an error in how the command was called (exit status 2).
type usageError struct{ error }

func main() {
	os.Exit(run(os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr}))
}

// run parses args, runs the command and returns the exit status.
func run(args []string, e *env) (status int) {
	var c cli
	exited := false
	parser, err := kong.New(&c,
		kong.Name("snnc"),
		kong.Description("snnc takes LSNNs from training to neuromorphic silicon."),
		kong.UsageOnError(),
		kong.Writers(e.stdout, e.stderr),
		kong.Exit(func(code int) { exited = true; status = code }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Bind(e),
	)
	if err != nil {
		fmt.Fprintf(e.stderr, "snnc: %v\n", err)
		return 1
	}
	ctx, err := parser.Parse(args)
	if exited {
		return status
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "snnc: %v\n", err)
		return 2
	}
	if c.CPUProfile != "" {
		stop, err := startCPUProfile(c.CPUProfile)
		if err != nil {
			fmt.Fprintf(e.stderr, "snnc: %v\n", err)
			return 1
		}
		defer stop()
	}
	if err := ctx.Run(); err != nil {
		fmt.Fprintf(e.stderr, "snnc: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// startCPUProfile profiles the process into path until the returned function runs.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
