package main

import (
	"fmt"

	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
)

type evalCmd struct {
	Model string `arg:"" help:"Model file (model.bin or .npz)." type:"existingfile"`
	taskFlags
	Limit int  `help:"Evaluate only the first N test samples (default: the whole test set)." placeholder:"N"`
	JSON  bool `help:"Print the report as JSON."`
}

type evalReport struct {
	Model        string  `json:"model"`
	Task         string  `json:"task"`
	Connectivity float64 `json:"connectivity"`
	Synapses     int     `json:"synapses"`
	tasks.Result
}

func (c *evalCmd) Run(e *env) error {
	net, err := lsnn.LoadFile(c.Model)
	if err != nil {
		return err
	}
	task, err := c.make()
	if err != nil {
		return err
	}
	if net.NIn() != task.NIn() || net.NOut() != task.NOut() {
		return fmt.Errorf("eval: model has %d inputs and %d readouts, task %s needs %d and %d",
			net.NIn(), net.NOut(), task.Name(), task.NIn(), task.NOut())
	}
	sim, err := lsnn.NewSimulator(net)
	if err != nil {
		return err
	}
	n := c.Limit
	if n <= 0 || n > task.TestLen() {
		n = task.TestLen()
	}
	bar := newBar(e, int64(n), "eval "+task.Name())
	res, err := tasks.Evaluate(task, n, 128, net.N(), tasks.FloatRunner(sim), func(done int) { bar.Set(done) })
	bar.Finish()
	if err != nil {
		return err
	}
	d := describe(c.Model, net)
	r := evalReport{Model: c.Model, Task: task.Name(), Connectivity: d.Connectivity, Synapses: d.Synapses, Result: res}
	if c.JSON {
		return printJSON(e.stdout, r)
	}
	fmt.Fprintf(e.stdout, "%s on %s: accuracy %.2f%% (%d of %d), %.4f spikes per neuron per step (%.1f Hz at dt %g ms), connectivity %.2f%% (%d synapses)\n",
		c.Model, task.Name(), 100*res.Accuracy, res.Correct, res.Windows, res.Rate, 1000*res.Rate/net.Dt, net.Dt, 100*r.Connectivity, r.Synapses)
	return nil
}
