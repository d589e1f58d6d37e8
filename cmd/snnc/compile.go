package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"
	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/internal/atomicfile"
	"github.com/snnc/snnc/lsnn"
)

type compileCmd struct {
	Model            string   `arg:"" help:"Model file (model.bin or .npz)." type:"existingfile"`
	Target           string   `required:"" help:"Target: a preset name (see snnc targets) or a target file (.json)." placeholder:"NAME|FILE.json"`
	Output           string   `short:"o" required:"" help:"Where to write the chip image (written atomically: never a partial file)." placeholder:"FILE"`
	Calibrate        string   `enum:",smnist,store-recall" default:"" help:"Weight traffic by firing rates measured by running the float model on this task's test samples (smnist or store-recall); otherwise a rate is assumed."`
	CalibrateSamples int      `name:"calibrate-samples" default:"32" help:"Test samples of the calibration run." placeholder:"N"`
	MsPerPixel       int      `name:"ms-per-pixel" default:"1" enum:"1,2" help:"sMNIST calibration: milliseconds per pixel (1 or 2)."`
	Data             string   `help:"sMNIST calibration: directory holding the four MNIST .gz files (default: the GoMNIST module in the Go module cache)." placeholder:"DIR"`
	Report           string   `help:"Also write the report as JSON to this file." placeholder:"FILE"`
	JSON             bool     `help:"Print the report as JSON."`
	DumpAfter        string   `name:"dump-after" help:"Print the compiler's state after this pass to standard error: quantize, partition, place, route, compress or emit." placeholder:"PASS"`
	Skip             []string `help:"Optional passes to skip: place (row-major order), compress (one routing entry per key)." placeholder:"PASS,..."`
	Seed             uint64   `default:"1" help:"Seed of the placement optimiser."`
	Workers          int      `default:"0" help:"Goroutines (default: all cores)."`
}

func (c *compileCmd) Run(e *env) error {
	names := map[string]compiler.PassInfo{}
	index := map[string]int{} // a pass's place in the order, for the progress bar
	for i, p := range compiler.Passes() {
		names[p.Name], index[p.Name] = p, i
	}
	list := func() string {
		var s []string
		for _, p := range compiler.Passes() {
			s = append(s, p.Name)
		}
		return strings.Join(s, ", ")
	}
	if _, ok := names[c.DumpAfter]; c.DumpAfter != "" && !ok {
		return usageError{fmt.Errorf("compile: --dump-after %q: no such pass (passes: %s)", c.DumpAfter, list())}
	}
	for _, s := range c.Skip {
		if p, ok := names[s]; !ok || p.Required {
			return usageError{fmt.Errorf("compile: --skip %q: not an optional pass (optional: place, compress)", s)}
		}
	}
	if c.CalibrateSamples < 1 {
		return usageError{fmt.Errorf("compile: --calibrate-samples must be positive")}
	}
	tg, err := loadTarget(c.Target)
	if err != nil {
		return err
	}
	// The image is written only after every pass: say now, not minutes later, that
	// it has nowhere to go.
	if dir := filepath.Dir(c.Output); !isDir(dir) {
		return fmt.Errorf("compile: -o %s: no directory %s", c.Output, dir)
	}
	if os.Getenv("GOGC") == "" {
		// A large compilation's heap is a few big arrays without pointers, which
		// the collector need not scan, so collecting at 25% growth instead of 100%
		// costs little time. On 10^6 neurons x 100 synapses (snnc gen --locality
		// 0.9), GOGC=100 against GOGC=25 in one run: peak RSS 5.9 against 4.5 GB,
		// 66 against 61 s of CPU (/usr/bin/time).
		debug.SetGCPercent(25)
	}
	// Hash the file while it is decoded: at 10^8 synapses each is a second or more.
	type hashed struct {
		sum [32]byte
		err error
	}
	hc := make(chan hashed, 1)
	go func() {
		sum, err := fileHash(c.Model)
		hc <- hashed{sum, err}
	}()
	var net *lsnn.Network
	pprof.Do(context.Background(), pprof.Labels("pass", "load"), func(context.Context) {
		net, err = lsnn.LoadFile(c.Model)
	})
	h := <-hc
	if h.err != nil {
		return h.err
	}
	if err != nil {
		return err
	}
	hash := h.sum
	opt := compiler.Options{ModelName: c.Model, ModelHash: hash, Seed: c.Seed, Skip: c.Skip, DumpAfter: c.DumpAfter, Dump: e.stderr, Workers: c.Workers}
	if c.Calibrate != "" {
		if opt.Rates, err = c.calibrate(e, net); err != nil {
			return err
		}
	}
	// The image goes to a temporary file that replaces the output only when the
	// compilation succeeds; Compile writes it while it checks the image.
	var (
		out *atomicfile.File
		mu  sync.Mutex // out and its Commit, against the interrupt handler
	)
	opt.Output = func() (io.Writer, error) {
		f, err := atomicfile.Create(c.Output, 0o644)
		mu.Lock()
		out = f
		mu.Unlock()
		return f, err
	}
	// An interrupt while the image is written removes the temporary file, which
	// holds gigabytes at scale, before exiting.
	sig, done := make(chan os.Signal, 1), make(chan struct{})
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer func() { signal.Stop(sig); close(done) }()
	go func() {
		select {
		case <-sig:
			mu.Lock()
			if out != nil {
				out.Abort()
			}
			fmt.Fprintf(e.stderr, "compile: interrupted; %s not written\n", c.Output)
			os.Exit(1)
		case <-done:
		}
	}()
	// Passes take very different times: show which runs and the time elapsed,
	// not a rate or a time left.
	bar := newBarWith(e, int64(len(names)), "compile", progressbar.OptionSetPredictTime(false))
	opt.Progress = func(what string) { // "PASS" or "PASS: check"
		pass, _, _ := strings.Cut(what, ":")
		bar.Set(index[pass])
		bar.Describe("compile: " + what)
	}
	_, rep, err := compiler.Compile(net, tg, opt)
	bar.Finish()
	if err != nil {
		mu.Lock()
		if out != nil {
			out.Abort()
		}
		mu.Unlock()
		return err
	}
	mu.Lock()
	err = out.Commit()
	mu.Unlock()
	if err != nil {
		return fmt.Errorf("compile: %s: %w", c.Output, err)
	}
	if c.Report != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("compile: %w", err)
		}
		if err := atomicfile.WriteFile(c.Report, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("compile: %s: %w", c.Report, err)
		}
	}
	if c.JSON {
		return printJSON(e.stdout, rep)
	}
	printCompile(e.stdout, rep, c.Output)
	return nil
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// fileHash is the SHA-256 of a file, the model hash an image records.
func fileHash(path string) ([32]byte, error) {
	var sum [32]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, fmt.Errorf("compile: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, fmt.Errorf("compile: %s: %w", path, err)
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// calibrate runs the float model on the first test samples of the task and returns
// every neuron's and input channel's spikes per step.
func (c *compileCmd) calibrate(e *env, net *lsnn.Network) (*compiler.Rates, error) {
	task, err := taskFlags{Task: c.Calibrate, MsPerPixel: c.MsPerPixel, Data: c.Data}.make()
	if err != nil {
		return nil, err
	}
	if net.NIn() != task.NIn() || net.NOut() != task.NOut() {
		return nil, fmt.Errorf("compile: --calibrate %s: the model has %d inputs and %d readouts, the task needs %d and %d",
			task.Name(), net.NIn(), net.NOut(), task.NIn(), task.NOut())
	}
	sim, err := lsnn.NewSimulator(net)
	if err != nil {
		return nil, err
	}
	n := min(c.CalibrateSamples, task.TestLen())
	r := &compiler.Rates{Neuron: make([]float64, net.N()), Input: make([]float64, net.NIn()),
		Source: fmt.Sprintf("calibration: float model on %d %s test samples", n, task.Name())}
	bar := newBar(e, int64(n), "calibrate "+task.Name())
	steps := 0
	const chunk = 16
	for lo := 0; lo < n; lo += chunk {
		var xs []lsnn.Raster
		for i := lo; i < min(n, lo+chunk); i++ {
			xs = append(xs, task.TestSample(i).Input)
		}
		traces, err := sim.Run(xs, lsnn.Options{Workers: c.Workers})
		if err != nil {
			return nil, err
		}
		for k, tr := range traces {
			steps += xs[k].T
			countSpikes(r.Neuron, tr.Spikes)
			countSpikes(r.Input, xs[k])
		}
		bar.Set(min(n, lo+chunk))
	}
	bar.Finish()
	for _, v := range [][]float64{r.Neuron, r.Input} {
		for i := range v {
			v[i] /= float64(max(steps, 1))
		}
	}
	return r, nil
}

func countSpikes(acc []float64, x lsnn.Raster) {
	for t := 0; t < x.T; t++ {
		for i, b := range x.Row(t) {
			if b != 0 {
				acc[i]++
			}
		}
	}
}

// printCompile prints the report as a summary.
func printCompile(w io.Writer, r *compiler.Report, out string) {
	fmt.Fprintf(w, "%s -> %s for %s: %d neurons, %d inputs, %d readouts, %d synapses",
		r.Model, out, r.Target, r.Neurons, r.Inputs, r.Readouts, r.Synapses)
	if r.ZeroSynapses > 0 {
		fmt.Fprintf(w, " (%d with a zero mantissa dropped)", r.ZeroSynapses)
	}
	fmt.Fprintf(w, "\nimage: %d bytes; cores used: %d of %d\n\n", r.ImageBytes, r.Cores.Used, r.Cores.Available)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "per core\tmin\tmean\tmax\tlimit\tmin %\tmean %\tmax %\t")
	for _, s := range []struct {
		name string
		st   compiler.Stat
	}{{"neuron slots", r.PerCore.NeuronSlots}, {"synapse words", r.PerCore.SynapseWords}, {"axons", r.PerCore.Axons}, {"fan-out", r.PerCore.Fanout}} {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%d\t%.1f\t%.1f\t%.1f\t\n", s.name, s.st.Min, s.st.Mean, s.st.Max, s.st.Limit, s.st.MinPct, s.st.MeanPct, s.st.MaxPct)
	}
	tw.Flush()
	fmt.Fprintf(w, "partition: %.4g packets per step leave their core (%.4g before refinement: %s)\n",
		r.Partition.CutAfter, r.Partition.CutBefore, r.Partition.Refinement)
	if r.Partition.Fills > 1 {
		fmt.Fprintf(w, "partition: %d fills: the first left fan-out tables overflowing, so the units were filled again with each neuron's measured fan-out as a cost\n", r.Partition.Fills)
	}
	fmt.Fprintln(w)

	rt := r.Routing
	if len(rt.Routers) == 0 {
		fmt.Fprintf(w, "routing: %s, dimension-order (XY); no routing tables\n", rt.Addressing)
	} else {
		fmt.Fprintf(w, "routing: %s; entries per router before -> after compression (limit %d): total %d -> %d, largest %d -> %d\n",
			rt.Addressing, rt.Limit, rt.TotalBefore, rt.TotalAfter, rt.MaxBefore, rt.MaxAfter)
		routers := slices.Clone(rt.Routers)
		slices.SortStableFunc(routers, func(a, b compiler.RouterTable) int { return b.Before - a.Before })
		const shown = 8
		for i, x := range routers {
			if i == shown {
				fmt.Fprintf(w, "  ... and %d more routers\n", len(routers)-shown)
				break
			}
			fmt.Fprintf(w, "  router (%d, %d): %d -> %d\n", x.Col, x.Row, x.Before, x.After)
		}
	}
	tr := r.Traffic
	fmt.Fprintf(w, "\ntraffic per step (rates: %s):\n", tr.RateSource)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "placement\tpackets\tfrom host\tpacket-hops\t")
	fmt.Fprintf(tw, "placed: %s\t%.4g\t%.4g\t%.4g\t\n", tr.Placement, tr.Placed.Packets, tr.Placed.HostPackets, tr.Placed.PacketHops)
	fmt.Fprintf(tw, "row-major (naive)\t%.4g\t%.4g\t%.4g\t\n", tr.RowMajor.Packets, tr.RowMajor.HostPackets, tr.RowMajor.PacketHops)
	tw.Flush()
	fmt.Fprintf(w, "placement saves %.1f%% of the packet-hops of row-major order\n\n", tr.HopsSaved)
	var parts []string
	total := 0.0
	for _, p := range r.Passes {
		if p.Skipped {
			parts = append(parts, p.Name+" skipped")
			continue
		}
		total += p.Seconds
		parts = append(parts, fmt.Sprintf("%s %s", p.Name, seconds(p.Seconds)))
	}
	fmt.Fprintf(w, "time: %s (%s; each includes its invariant check, emit also writing the image)\n", seconds(total), strings.Join(parts, ", "))
}

func seconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0f ms", 1000*s)
	}
	return fmt.Sprintf("%.2f s", s)
}
