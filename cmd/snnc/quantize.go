package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
	"github.com/snnc/snnc/quant"
)

type quantizeCmd struct {
	Model      string `arg:"" help:"Model file (model.bin or .npz)." type:"existingfile"`
	Target     string `required:"" help:"Target: a preset name (see snnc targets) or a target file (.json)." placeholder:"NAME|FILE.json"`
	Task       string `enum:",smnist,store-recall" default:"" help:"Also compare float and integer simulations on this task's test set: smnist or store-recall."`
	MsPerPixel int    `name:"ms-per-pixel" default:"1" enum:"1,2" help:"sMNIST: milliseconds per pixel (1 or 2)."`
	Data       string `help:"sMNIST: directory holding the four MNIST .gz files (default: the GoMNIST module in the Go module cache)." placeholder:"DIR"`
	Limit      int    `help:"With --task: evaluate only the first N test samples (default: the whole test set)." placeholder:"N"`
	JSON       bool   `help:"Print the report as JSON."`
}

// quantizeReport is the --json report. The task keys are null without --task.
type quantizeReport struct {
	Model        string        `json:"model"`
	Target       string        `json:"target"`
	TargetHash   string        `json:"target_hash"`
	Quantization *quant.Report `json:"quantization"`
	Task         string        `json:"task,omitempty"`
	Samples      int           `json:"samples,omitempty"`
	// FloatAccuracy and FixedAccuracy are the accuracies of the float reference and
	// the integer golden simulation on the same samples.
	FloatAccuracy *float64 `json:"float_accuracy"`
	FixedAccuracy *float64 `json:"fixed_accuracy"`
	// SpikeAgreement is the fraction of (sample, step, neuron) entries where the two
	// simulations agree (both spike or both stay silent); IdenticalSamples the
	// fraction of samples whose spike rasters are identical; SpikeJaccard coincident
	// spikes over entries where either spiked.
	SpikeAgreement   *float64           `json:"spike_agreement"`
	IdenticalSamples *float64           `json:"identical_samples"`
	SpikeJaccard     *float64           `json:"spike_jaccard"`
	MeanDivergence   *float64           `json:"mean_first_divergence_step,omitempty"`
	Float            *tasks.Result      `json:"float,omitempty"`
	Fixed            *tasks.Result      `json:"fixed,omitempty"`
	Agreement        *quant.Agreement   `json:"agreement,omitempty"`
	Saturations      *quant.Saturations `json:"saturations,omitempty"`
}

func (c *quantizeCmd) Run(e *env) error {
	net, err := lsnn.LoadFile(c.Model)
	if err != nil {
		return err
	}
	tg, err := loadTarget(c.Target)
	if err != nil {
		return err
	}
	var task tasks.Task
	if c.Task != "" {
		task, err = taskFlags{Task: c.Task, MsPerPixel: c.MsPerPixel, Data: c.Data}.make()
		if err != nil {
			return err
		}
		if net.NIn() != task.NIn() || net.NOut() != task.NOut() {
			return fmt.Errorf("quantize: model has %d inputs and %d readouts, task %s needs %d and %d",
				net.NIn(), net.NOut(), task.Name(), task.NIn(), task.NOut())
		}
	} else if c.Limit != 0 {
		return usageError{fmt.Errorf("--limit needs --task")}
	}
	qn, rep, err := quant.Quantize(net, tg)
	if err != nil {
		return err
	}
	r := quantizeReport{Model: c.Model, Target: tg.Name, TargetHash: tg.HashHex(), Quantization: rep}
	if task != nil {
		if err := c.compare(e, net, qn, task, &r); err != nil {
			return err
		}
	}
	if c.JSON {
		return printJSON(e.stdout, r)
	}
	r.print(e.stdout, net)
	return nil
}

// compare runs the float and the integer simulation on the task's test samples,
// scoring both and comparing their spikes.
func (c *quantizeCmd) compare(e *env, net *lsnn.Network, qn *quant.Network, task tasks.Task, r *quantizeReport) error {
	fsim, err := lsnn.NewSimulator(net)
	if err != nil {
		return err
	}
	qsim, err := quant.NewSimulator(qn)
	if err != nil {
		return err
	}
	n := c.Limit
	if n <= 0 || n > task.TestLen() {
		n = task.TestLen()
	}
	var agree quant.Agreement
	var sat quant.Saturations
	var floatOut [][]tasks.Output // per chunk, replayed to score the float run
	bar := newBar(e, int64(n), "quantize "+task.Name())
	both := func(x []lsnn.Raster) ([]tasks.Output, error) {
		ft, err := fsim.Run(x, lsnn.Options{})
		if err != nil {
			return nil, err
		}
		qt, err := qsim.Run(x, quant.Options{})
		if err != nil {
			return nil, err
		}
		fo, qo := make([]tasks.Output, len(x)), make([]tasks.Output, len(x))
		for k := range x {
			if err := agree.Add(ft[k].Spikes, qt[k].Spikes); err != nil {
				return nil, err
			}
			sat.Add(qt[k].Saturations)
			fo[k] = tasks.Output{Readout: ft[k].Readout, Spikes: ft[k].Spikes.Count()}
			qo[k] = tasks.Output{Readout: qt[k].ReadoutFloat, Spikes: qt[k].Spikes.Count()}
		}
		floatOut = append(floatOut, fo)
		return qo, nil
	}
	const chunk = 64
	fixed, err := tasks.Evaluate(task, n, chunk, net.N(), both, func(done int) { bar.Set(done) })
	bar.Finish()
	if err != nil {
		return err
	}
	next := 0
	replay := func(x []lsnn.Raster) ([]tasks.Output, error) {
		if next >= len(floatOut) || len(floatOut[next]) != len(x) {
			return nil, fmt.Errorf("quantize: internal error: float outputs out of step")
		}
		next++
		return floatOut[next-1], nil
	}
	float, err := tasks.Evaluate(task, n, chunk, net.N(), replay, nil)
	if err != nil {
		return err
	}
	f := func(x float64) *float64 { return &x }
	r.Task, r.Samples = task.Name(), fixed.Samples
	r.FloatAccuracy, r.FixedAccuracy = f(float.Accuracy), f(fixed.Accuracy)
	r.SpikeAgreement, r.IdenticalSamples, r.SpikeJaccard = f(agree.EntryFraction()), f(agree.IdenticalFraction()), f(agree.Jaccard())
	r.MeanDivergence = f(agree.MeanDivergence())
	r.Float, r.Fixed, r.Agreement, r.Saturations = &float, &fixed, &agree, &sat
	return nil
}

func (r *quantizeReport) print(w io.Writer, net *lsnn.Network) {
	q := r.Quantization
	fmt.Fprintf(w, "%s -> %s (%d neurons, %d synapses)\n", r.Model, r.Target, net.N(), net.In.NNZ()+net.Rec.NNZ()+net.Out.NNZ())
	fmt.Fprintf(w, "state scale 2^%d units per 1.0 of v (no-saturation bound 2^%d; set by: %s); threshold step %.3g\n",
		q.StateExp, q.NoSaturationExp, q.ScaleLimit, q.ThresholdStep)
	fmt.Fprintf(w, "adaptation scale 2^%d, readout scale 2^%d; %d exponent group(s), granularity %s\n\n",
		q.AdaptExp, q.ReadoutExp, len(q.Groups), q.Granularity)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "param\tcount\tfloat range\tscale\tmax abs err\tmean abs err\tmax rel err\tmean rel err\tzeroed")
	for _, p := range q.Params {
		fmt.Fprintf(tw, "%s\t%d\t%.4g .. %.4g\t%s\t%.3g\t%.3g\t%.2f%%\t%.2f%%\t%d\n",
			p.Name, p.Count, p.Min, p.Max, p.Scale, p.MaxAbsError, p.MeanAbsError, 100*p.MaxRelError, 100*p.MeanRelError, p.Zeroed)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "time constant\trequested\teffective\tchange\tcode\tneurons")
	shown := map[string]int{}
	const perName = 6
	for _, tc := range worstFirst(q.TimeConstants) {
		if shown[tc.Name]++; shown[tc.Name] > perName {
			continue
		}
		fmt.Fprintf(tw, "%s\t%.4g ms\t%.4g ms\t%+.2f%%\t%s\t%s\n", tc.Name, tc.Requested, tc.Effective, 100*tc.RelError, tc.Code, tc.Neurons)
	}
	tw.Flush()
	for _, name := range []string{"tau_m", "tau_a", "tau_out"} {
		if n := shown[name]; n > perName {
			fmt.Fprintf(w, "(%s: %d more values, smaller changes; --json lists all)\n", name, n-perName)
		}
	}
	if len(q.Warnings) > 0 {
		fmt.Fprintln(w, "\nwarnings:")
		for _, s := range q.Warnings {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	if r.Task != "" {
		fmt.Fprintf(w, "\n%s, %d test samples:\n", r.Task, r.Samples)
		fmt.Fprintf(w, "  accuracy: float %.2f%%, fixed %.2f%% (%+.2f points)\n", 100**r.FloatAccuracy, 100**r.FixedAccuracy, 100*(*r.FixedAccuracy-*r.FloatAccuracy))
		fmt.Fprintf(w, "  spike agreement: %.4f%% of (sample, step, neuron) entries equal; %.1f%% of samples identical; Jaccard %.4f of spikes coincide\n",
			100**r.SpikeAgreement, 100**r.IdenticalSamples, *r.SpikeJaccard)
		if *r.MeanDivergence >= 0 {
			fmt.Fprintf(w, "  samples that differ first differ at step %.1f on average\n", *r.MeanDivergence)
		}
		fmt.Fprintf(w, "  spikes per neuron per step: float %.4f, fixed %.4f; saturations: %s\n", r.Float.Rate, r.Fixed.Rate, satString(*r.Saturations))
	}
}

// worstFirst orders time constants by name (tau_m, tau_a, tau_out) and, within a
// name, by the size of their change, largest first.
func worstFirst(tcs []quant.TimeConstant) []quant.TimeConstant {
	out := append([]quant.TimeConstant(nil), tcs...)
	rank := map[string]int{"tau_m": 0, "tau_a": 1, "tau_out": 2}
	abs := func(x float64) float64 {
		if x < 0 {
			return -x
		}
		return x
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0; j-- {
			a, b := out[j-1], out[j]
			if rank[a.Name] < rank[b.Name] || rank[a.Name] == rank[b.Name] && abs(a.RelError) >= abs(b.RelError) {
				break
			}
			out[j-1], out[j] = b, a
		}
	}
	return out
}

func satString(s quant.Saturations) string {
	if s.Total() == 0 {
		return "none"
	}
	var parts []string
	for _, p := range []struct {
		name string
		n    int64
	}{{"accumulator", s.Accumulator}, {"membrane", s.Membrane}, {"adaptation", s.Adaptation}, {"threshold", s.Threshold}, {"readout", s.Readout}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p.name, p.n))
		}
	}
	return strings.Join(parts, ", ")
}
