package main

import (
	"fmt"
	"math"
	"text/tabwriter"

	"github.com/snnc/snnc/boards"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/internal/npyarray"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
)

type runCmd struct {
	boardFlags
	Input      string `help:"Input spikes X.npy: [T, n_in] or [B, T, n_in] of 0/1 (uint8, bool, int or float)." type:"existingfile" placeholder:"X.npy"`
	Spikes     string `help:"Write recurrent spikes Z.npy, uint8 [T, N] or [B, T, N]." placeholder:"Z.npy"`
	Readout    string `help:"Write readouts Y.npy, float64 [T, n_out] or [B, T, n_out]." placeholder:"Y.npy"`
	Task       string `enum:",smnist,store-recall" default:"" help:"Instead of --input, run this task's test samples and print the accuracy: smnist or store-recall."`
	MsPerPixel int    `name:"ms-per-pixel" default:"1" enum:"1,2" help:"sMNIST: milliseconds per pixel (1 or 2)."`
	Data       string `help:"sMNIST: directory holding the four MNIST .gz files (default: the GoMNIST module in the Go module cache)." placeholder:"DIR"`
	Limit      int    `help:"With --task: only the first N test samples (default: the whole test set)." placeholder:"N"`
	JSON       bool   `help:"Print the report as JSON."`
}

// runReport is the report of `snnc run`: what the board counted over the samples,
// the link's statistics, and the task's score with --task.
type runReport struct {
	Board    string             `json:"board"`
	Port     string             `json:"port"`
	Samples  int                `json:"samples"`
	Steps    int64              `json:"steps"`
	Counters boards.CounterInfo `json:"counters"`
	Link     boards.LinkStats   `json:"link"`
	TaskName string             `json:"task_name,omitempty"`
	Task     *tasks.Result      `json:"task,omitempty"`
}

func (c *runCmd) Run(e *env) error {
	if (c.Input == "") == (c.Task == "") {
		return usageError{fmt.Errorf("run: give either --input X.npy or --task")}
	}
	if c.Task == "" && c.Limit != 0 {
		return usageError{fmt.Errorf("run: --limit needs --task")}
	}
	conn, err := c.open(e)
	if err != nil {
		return err
	}
	defer conn.close()
	id, err := conn.client.Identify()
	if err != nil {
		return fmt.Errorf("run: %s on %s: %w", conn.board.Name, conn.port, err)
	}
	if id.Committed.Size == 0 {
		return fmt.Errorf("run: board %s on %s holds no image: snnc flash one first", id.Board, conn.port)
	}
	r := runReport{Board: id.Board, Port: conn.port}
	sample := func(x lsnn.Raster) (*boards.RunResult, error) {
		res, err := conn.client.Run(id, emulator.Input{T: x.T, NIn: x.W, Bits: x.Bits})
		if err != nil {
			return nil, fmt.Errorf("run: %s on %s: sample %d: %w", conn.board.Name, conn.port, r.Samples, err)
		}
		r.Samples++
		r.Steps += res.Counters.Steps
		addCounters(&r.Counters, &res.Counters)
		return res, nil
	}
	if c.Task != "" {
		err = c.runTask(e, id, sample, &r)
	} else {
		err = c.runInput(id, sample)
	}
	if err != nil {
		return err
	}
	r.Link = conn.client.Stats
	if c.JSON {
		return printJSON(e.stdout, r)
	}
	printRun(e, &r)
	return nil
}

// runInput streams the samples of --input and writes --spikes and --readout.
func (c *runCmd) runInput(id *boards.IdentifyInfo, sample func(lsnn.Raster) (*boards.RunResult, error)) error {
	x, batched, err := npyarray.ReadRasters(c.Input, id.Committed.NIn)
	if err != nil {
		return err
	}
	z := make([]lsnn.Raster, len(x))
	ys := make([][]float64, len(x))
	for b := range x {
		res, err := sample(x[b])
		if err != nil {
			return err
		}
		z[b] = lsnn.Raster{T: res.T, W: res.N, Bits: res.Spikes}
		ys[b] = boardReadout(res)
	}
	if c.Spikes != "" {
		if err := npyarray.WriteSpikes(c.Spikes, z, batched); err != nil {
			return err
		}
	}
	if c.Readout != "" {
		T := 0
		if len(x) > 0 {
			T = x[0].T
		}
		if err := npyarray.WriteReadout(c.Readout, ys, T, id.Committed.NOut, batched); err != nil {
			return err
		}
	}
	return nil
}

// runTask scores the board on a task's first test samples.
func (c *runCmd) runTask(e *env, id *boards.IdentifyInfo, sample func(lsnn.Raster) (*boards.RunResult, error), r *runReport) error {
	task, err := taskFlags{Task: c.Task, MsPerPixel: c.MsPerPixel, Data: c.Data}.make()
	if err != nil {
		return err
	}
	if id.Committed.NIn != task.NIn() || id.Committed.NOut != task.NOut() {
		return fmt.Errorf("run: the board's image has %d inputs and %d readouts, task %s needs %d and %d",
			id.Committed.NIn, id.Committed.NOut, task.Name(), task.NIn(), task.NOut())
	}
	n := c.Limit
	if n <= 0 || n > task.TestLen() {
		n = task.TestLen()
	}
	bar := newBar(e, int64(n), fmt.Sprintf("run %s on %s", task.Name(), id.Board))
	run := func(xs []lsnn.Raster) ([]tasks.Output, error) {
		out := make([]tasks.Output, len(xs))
		for k, x := range xs {
			res, err := sample(x)
			if err != nil {
				return nil, err
			}
			out[k] = tasks.Output{Readout: boardReadout(res), Spikes: int(res.Counters.Spikes)}
		}
		return out, nil
	}
	score, err := tasks.Evaluate(task, n, 8, id.Committed.N, run, func(done int) { bar.Set(done) })
	bar.Finish()
	if err != nil {
		return err
	}
	r.TaskName, r.Task = task.Name(), &score
	return nil
}

// boardReadout maps a run's integer readout outputs to float logits, as the
// emulator's ReadoutFloat does (a power of two: exact).
func boardReadout(res *boards.RunResult) []float64 {
	y := make([]float64, len(res.Readout))
	for i, v := range res.Readout {
		y[i] = math.Ldexp(float64(v), -res.ReadoutExp)
	}
	return y
}

func addCounters(sum, c *boards.CounterInfo) {
	sum.Steps += c.Steps
	sum.Counters.Add(c.Counters)
	sum.FramesIn, sum.FramesBad, sum.Duplicates = c.FramesIn, c.FramesBad, c.Duplicates
}

func printRun(e *env, r *runReport) {
	w := e.stdout
	fmt.Fprintf(w, "ran %d sample(s), %d hardware steps, on %s (%s)\n", r.Samples, r.Steps, r.Board, r.Port)
	if r.Task != nil {
		fmt.Fprintf(w, "%s: accuracy %.2f%% on %d test samples\n", r.TaskName, 100*r.Task.Accuracy, r.Task.Samples)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	c := r.Counters
	for _, row := range []struct {
		name string
		v    int64
	}{
		{"spikes", c.Spikes}, {"synaptic ops", c.SynapticOps}, {"packets", c.Packets}, {"deliveries", c.Deliveries},
		{"neuron updates (active)", c.NeuronUpdatesActive}, {"flit-hops", c.FlitHopsEW + c.FlitHopsNS},
	} {
		fmt.Fprintf(tw, "%s\t%d\t\n", row.name, row.v)
	}
	tw.Flush()
	l := r.Link
	fmt.Fprintf(w, "link: %d commands, %d retries (%d damaged answers, %d damaged commands, %d timeouts); board saw %d frames, %d damaged\n",
		l.Commands, l.Retries, l.Damaged, l.BoardNaks, l.Timeouts, c.FramesIn, c.FramesBad)
}
