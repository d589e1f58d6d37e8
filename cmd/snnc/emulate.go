package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/internal/atomicfile"
	"github.com/snnc/snnc/internal/npyarray"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
	"github.com/snnc/snnc/targets"
)

type emulateCmd struct {
	Image      string `arg:"" help:"Chip image (snnc compile -o out.img)." type:"existingfile"`
	Input      string `help:"Input spikes X.npy: [T, n_in] or [B, T, n_in] of 0/1 (uint8, bool, int or float)." type:"existingfile" placeholder:"X.npy"`
	Spikes     string `help:"Write recurrent spikes Z.npy, uint8 [T, N] or [B, T, N]." placeholder:"Z.npy"`
	Readout    string `help:"Write readouts Y.npy, float64 [T, n_out] or [B, T, n_out]." placeholder:"Y.npy"`
	Task       string `enum:",smnist,store-recall" default:"" help:"Instead of --input, run this task's test set and print its accuracy: smnist or store-recall."`
	MsPerPixel int    `name:"ms-per-pixel" default:"1" enum:"1,2" help:"sMNIST: milliseconds per pixel (1 or 2)."`
	Data       string `help:"sMNIST: directory holding the four MNIST .gz files (default: the GoMNIST module in the Go module cache)." placeholder:"DIR"`
	Limit      int    `help:"With --task: only the first N test samples (default: the whole test set)." placeholder:"N"`
	Mode       string `enum:"cycle,fast" default:"cycle" help:"cycle: the network on chip cycle by cycle, with timing; fast: the same arithmetic and counts without timing."`
	Target     string `help:"The target file the image was compiled for, when it is not a preset (default: the preset the image names)." placeholder:"FILE.json"`
	JSON       bool   `help:"Print the report as JSON."`
	Report     string `help:"Also write the report as JSON to this file." placeholder:"FILE.json"`
	Raster     string `help:"Plot the spike raster of the recurrent neurons and a per-core activity heatmap of one sample (--sample) to this PNG." placeholder:"FILE.png"`
	VCD        string `name:"vcd" help:"Write spikes, readouts and the membrane and threshold of --vcd-neurons of one sample (--sample) as a VCD for GTKWave." placeholder:"FILE.vcd"`
	VCDNeurons []int  `name:"vcd-neurons" default:"0,1,2,3" help:"Neurons whose membrane and threshold the VCD holds (those in range)." placeholder:"I"`
	Sample     int    `default:"0" help:"The sample of a batch (or task) that --raster and --vcd show." placeholder:"B"`
	Workers    int    `help:"Goroutines over the batch (default: all CPUs)." placeholder:"N"`
}

// emulateReport is the --json report: the emulator's report, and the task's score
// with --task.
type emulateReport struct {
	Image    string        `json:"image"`
	TaskName string        `json:"task_name,omitempty"`
	Task     *tasks.Result `json:"task,omitempty"`
	*emulator.Report
}

func (c *emulateCmd) Run(e *env) error {
	if (c.Input == "") == (c.Task == "") {
		return usageError{fmt.Errorf("emulate: give either --input X.npy or --task")}
	}
	if c.Task == "" && c.Limit != 0 {
		return usageError{fmt.Errorf("emulate: --limit needs --task")}
	}
	mode, err := emulator.ParseMode(c.Mode)
	if err != nil {
		return usageError{err}
	}
	var tg *targets.Target
	if c.Target != "" {
		if tg, err = loadTarget(c.Target); err != nil {
			return err
		}
	}
	em, err := emulator.Load(c.Image, tg)
	if err != nil {
		return err
	}
	opt := emulator.Options{Mode: mode, Workers: c.Workers, Record: c.VCD != ""}
	r := emulateReport{Image: c.Image}
	var shown *emulator.Result // the sample --raster and --vcd show
	var results []emulator.Result
	if c.Task != "" {
		r.TaskName = c.Task
		results, shown, r.Task, err = c.runTask(e, em, opt)
	} else {
		results, shown, err = c.runInput(em, opt)
	}
	if err != nil {
		return err
	}
	r.Report = em.Report(results, mode)
	if c.Raster != "" {
		if shown == nil {
			return fmt.Errorf("emulate: --sample %d: the run has %d samples", c.Sample, len(results))
		}
		if err := writeRaster(c.Raster, em, shown); err != nil {
			return err
		}
	}
	if c.VCD != "" {
		neurons := c.VCDNeurons[:0:0]
		for _, j := range c.VCDNeurons {
			if j < em.N() {
				neurons = append(neurons, j)
			}
		}
		c.VCDNeurons = neurons
		if shown == nil {
			return fmt.Errorf("emulate: --sample %d: the run has %d samples", c.Sample, len(results))
		}
		if err := atomicfile.Write(c.VCD, 0o644, func(w io.Writer) error {
			return em.WriteVCD(w, shown, emulator.VCDOptions{Neurons: c.VCDNeurons})
		}); err != nil {
			return err
		}
	}
	if c.Report != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return fmt.Errorf("emulate: %w", err)
		}
		if err := atomicfile.WriteFile(c.Report, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if c.JSON {
		return printJSON(e.stdout, r)
	}
	printEmulation(e.stdout, c.Image, &r)
	return nil
}

// runInput emulates the samples of --input and writes --spikes and --readout.
func (c *emulateCmd) runInput(em *emulator.Emulator, opt emulator.Options) ([]emulator.Result, *emulator.Result, error) {
	x, batched, err := npyarray.ReadRasters(c.Input, em.NIn())
	if err != nil {
		return nil, nil, err
	}
	res, err := em.Run(emulatorInputs(x), opt)
	if err != nil {
		return nil, nil, err
	}
	if c.Spikes != "" {
		z := make([]lsnn.Raster, len(res))
		for b := range res {
			z[b] = lsnn.Raster{T: res[b].T, W: res[b].N, Bits: res[b].Spikes}
		}
		if err := npyarray.WriteSpikes(c.Spikes, z, batched); err != nil {
			return nil, nil, err
		}
	}
	if c.Readout != "" {
		ys := make([][]float64, len(res))
		for b := range res {
			ys[b] = readoutFloat(em, res[b].Readout)
		}
		T := 0
		if len(x) > 0 {
			T = x[0].T
		}
		if err := npyarray.WriteReadout(c.Readout, ys, T, em.NOut(), batched); err != nil {
			return nil, nil, err
		}
	}
	var shown *emulator.Result
	if c.Sample >= 0 && c.Sample < len(res) {
		shown = &res[c.Sample]
	}
	return res, shown, nil
}

// runTask scores the image on a task's test samples. Results keep their counters
// and cycles; their spike and readout arrays are dropped once scored, except the
// shown sample's.
func (c *emulateCmd) runTask(e *env, em *emulator.Emulator, opt emulator.Options) ([]emulator.Result, *emulator.Result, *tasks.Result, error) {
	task, err := taskFlags{Task: c.Task, MsPerPixel: c.MsPerPixel, Data: c.Data}.make()
	if err != nil {
		return nil, nil, nil, err
	}
	if em.NIn() != task.NIn() || em.NOut() != task.NOut() {
		return nil, nil, nil, fmt.Errorf("emulate: the image has %d inputs and %d readouts, task %s needs %d and %d",
			em.NIn(), em.NOut(), task.Name(), task.NIn(), task.NOut())
	}
	n := c.Limit
	if n <= 0 || n > task.TestLen() {
		n = task.TestLen()
	}
	var all []emulator.Result
	var shown *emulator.Result
	bar := newBar(e, int64(n), fmt.Sprintf("emulate %s (%s)", task.Name(), opt.Mode))
	run := func(x []lsnn.Raster) ([]tasks.Output, error) {
		res, err := em.Run(emulatorInputs(x), opt)
		if err != nil {
			return nil, err
		}
		out := make([]tasks.Output, len(res))
		for k := range res {
			r := &res[k]
			out[k] = tasks.Output{Readout: readoutFloat(em, r.Readout), Spikes: int(r.Total().Spikes)}
			if len(all)+k == c.Sample {
				keep := *r
				shown = &keep
			}
			r.Spikes, r.Readout, r.Voltage, r.Threshold = nil, nil, nil, nil
		}
		all = append(all, res...)
		return out, nil
	}
	score, err := tasks.Evaluate(task, n, 32, em.N(), run, func(done int) { bar.Set(done) })
	bar.Finish()
	if err != nil {
		return nil, nil, nil, err
	}
	return all, shown, &score, nil
}

func emulatorInputs(x []lsnn.Raster) []emulator.Input {
	in := make([]emulator.Input, len(x))
	for b, r := range x {
		in[b] = emulator.Input{T: r.T, NIn: r.W, Bits: r.Bits}
	}
	return in
}

func readoutFloat(em *emulator.Emulator, v []int64) []float64 {
	y := make([]float64, len(v))
	for i, x := range v {
		y[i] = em.ReadoutFloat(x)
	}
	return y
}

// printEmulation prints the report as tables: totals and per inference, timing,
// energy by category, then per core and the busiest routers.
func printEmulation(w io.Writer, image string, r *emulateReport) {
	rep := r.Report
	fmt.Fprintf(w, "%s on %s, %s mode: %d sample(s), %d steps\n", image, rep.Target, rep.Mode, rep.Samples, rep.Steps)
	if r.Task != nil {
		fmt.Fprintf(w, "%s: accuracy %.2f%% (%d of %d), %.4f spikes per neuron per step\n", r.TaskName, 100*r.Task.Accuracy, r.Task.Correct, r.Task.Windows, r.Task.Rate)
	}
	pi := rep.PerInference
	fmt.Fprintf(w, "per inference: %s spikes, %s synaptic ops, %s packets, energy %s", count(pi.Spikes), count(pi.SynapticOps), count(pi.Packets), energy(pi.EnergyPJ))
	if rep.Cycles != nil {
		fmt.Fprintf(w, ", %s cycles = %s on the chip", count(pi.Cycles), duration(pi.Seconds))
	}
	fmt.Fprintln(w)
	if cy := rep.Cycles; cy != nil {
		fmt.Fprintf(w, "cycles per step: min %.0f, mean %.1f, max %.0f (barrier %d); time per step %s / %s / %s at %g MHz\n",
			cy.PerStep.Min, cy.PerStep.Mean, cy.PerStep.Max, cy.BarrierCycles,
			duration(cy.SecondsPerStep.Min), duration(cy.SecondsPerStep.Mean), duration(cy.SecondsPerStep.Max), float64(rep.ClockHz)/1e6)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "energy\tcount\tunit\tpJ each\ttotal\tshare\t")
	for _, it := range rep.Energy.Categories {
		share := 0.0
		if rep.Energy.TotalPJ > 0 {
			share = it.PJ / rep.Energy.TotalPJ
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4g\t%s\t%.1f%%\t\n", it.Name, count(it.Count), it.Unit, it.UnitPJ, energy(it.PJ), 100*share)
	}
	fmt.Fprintf(tw, "total\t\t\t\t%s\t\t\n", energy(rep.Energy.TotalPJ))
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "core\ttile\tslots\tupdates act/inact\tspikes\tsyn ops\tpackets\tin tile\thops E-W\thops N-S\tbusy/step\tpeak busy\tinj stalls\tqueue peak\t")
	row := func(name, tile, slots string, c emulator.Counters, busy string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t\n", name, tile, slots,
			c.NeuronUpdatesActive, c.NeuronUpdatesInactive, c.Spikes, c.SynapticOps, c.Packets, c.SpikesInTile,
			c.FlitHopsEW, c.FlitHopsNS, busy, c.BusyPeak, c.InjectionStalls, c.QueuePeak)
	}
	for _, c := range rep.Cores {
		row(fmt.Sprint(c.Index), fmt.Sprintf("(%d,%d)", c.Col, c.Row), fmt.Sprint(c.Slots), c.Counters, fmt.Sprintf("%.1f", c.BusyPerStep))
	}
	row("host", "", "", rep.Host, "")
	row("total", "", "", rep.Totals, "")
	tw.Flush()
	if len(rep.Routers) > 0 {
		routers := slices.Clone(rep.Routers)
		slices.SortStableFunc(routers, func(a, b emulator.RouterReport) int {
			return int(b.Flits - a.Flits)
		})
		const most = 8
		fmt.Fprintf(w, "\nrouters (busiest %d of %d that moved flits):\n", min(most, len(routers)), len(routers))
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "tile\tflits\tstalls\tpeak buffer\t")
		for _, rt := range routers[:min(most, len(routers))] {
			fmt.Fprintf(tw, "(%d,%d)\t%d\t%d\t%d\t\n", rt.Col, rt.Row, rt.Flits, rt.Stalls, rt.PeakBuffer)
		}
		tw.Flush()
	}
}

// count prints a count compactly: 1234567 as 1.23M.
func count(x float64) string {
	if x < 1e4 {
		if x >= 100 || x == float64(int64(x)) {
			return fmt.Sprintf("%.0f", x)
		}
		return fmt.Sprintf("%.3g", x)
	}
	return scaled(x, []string{"", "k", "M", "G"})
}

// energy prints picojoules in the nearest unit.
func energy(pj float64) string { return scaled(pj, []string{" pJ", " nJ", " uJ", " mJ", " J"}) }

// duration prints seconds in the nearest unit.
func duration(s float64) string { return scaled(s*1e9, []string{" ns", " us", " ms", " s"}) }

// scaled prints x (in units[0]) with three significant digits in the largest unit
// of units, each 1000 times the previous, that keeps it at least 1.
func scaled(x float64, units []string) string {
	i := 0
	for i < len(units)-1 && x >= 1000 {
		x /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", x, units[i])
}
