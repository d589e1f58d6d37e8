package main

import (
	"fmt"
	"time"

	embedded "github.com/snnc/snnc"
	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
	"github.com/snnc/snnc/quant"
	"github.com/snnc/snnc/targets"
)

type demoCmd struct {
	Samples      int    `default:"200" help:"Test digits to emulate (fast mode) for accuracy, spikes and energy." placeholder:"N"`
	CycleSamples int    `name:"cycle-samples" default:"20" help:"Of those, how many also run cycle by cycle for the time on the chip." placeholder:"N"`
	Target       string `default:"loihi" help:"Target to compile for: a preset or a target file." placeholder:"NAME|FILE.json"`
	Data         string `help:"Directory holding the four MNIST .gz files (default: the GoMNIST module in the Go module cache)." placeholder:"DIR"`
	JSON         bool   `help:"Print the report as JSON."`
}

// demoReport is what snnc demo measured.
type demoReport struct {
	Model    string `json:"model"`
	Target   string `json:"target"`
	Neurons  int    `json:"neurons"`
	Synapses int64  `json:"synapses"`
	Cores    int    `json:"cores_used"`
	// Samples test digits ran in fast mode; Identical of them gave the same spikes
	// and readouts as the integer golden simulator.
	Samples   int     `json:"samples"`
	Identical int     `json:"identical_to_golden"`
	Accuracy  float64 `json:"accuracy"`
	Correct   int     `json:"correct"`
	// Per inference, from fast mode: spikes, synaptic operations and the energy
	// without static power; from cycle mode: the time on the chip and the energy
	// with it.
	SpikesPerInference      float64          `json:"spikes_per_inference"`
	SynapticOpsPerInference float64          `json:"synaptic_ops_per_inference"`
	EnergyPerInferencePJ    float64          `json:"energy_per_inference_pj"`
	CycleSamples            int              `json:"cycle_samples"`
	SecondsPerInference     float64          `json:"seconds_per_inference"`
	CyclesPerStep           emulator.Stats   `json:"cycles_per_step"`
	CycleEnergyPJ           float64          `json:"cycle_mode_energy_per_inference_pj"`
	WallSeconds             float64          `json:"wall_seconds"`
	Fast                    *emulator.Report `json:"fast"`
	Cycle                   *emulator.Report `json:"cycle"`
}

func (c *demoCmd) Run(e *env) error {
	start := time.Now()
	if c.Samples < 1 || c.CycleSamples < 0 {
		return usageError{fmt.Errorf("demo: --samples must be at least 1 and --cycle-samples at least 0")}
	}
	net, err := embedded.DefaultModel()
	if err != nil {
		return err
	}
	tg, err := loadTarget(c.Target)
	if err != nil {
		return err
	}
	task, err := taskFlags{Task: "smnist", MsPerPixel: 1, Data: c.Data}.make()
	if err != nil {
		return err
	}
	img, crep, err := compiler.Compile(net, tg, compiler.Options{})
	if err != nil {
		return err
	}
	em, err := emulator.New(img, tg)
	if err != nil {
		return err
	}
	qn, _, err := quant.Quantize(net, tg)
	if err != nil {
		return err
	}
	golden, err := quant.NewSimulator(qn)
	if err != nil {
		return err
	}
	n := min(c.Samples, task.TestLen())
	r := demoReport{Model: embedded.DefaultModelName, Target: tg.Name, Neurons: net.N(), Synapses: crep.Synapses, Cores: len(em.Cores())}

	// Fast mode over every digit, checked against the golden simulator.
	var fast, cycle []emulator.Result
	var firstInputs []lsnn.Raster
	bar := newBar(e, int64(n), "demo: emulating sMNIST digits")
	run := func(x []lsnn.Raster) ([]tasks.Output, error) {
		res, err := em.Run(emulatorInputs(x), emulator.Options{Mode: emulator.Fast})
		if err != nil {
			return nil, err
		}
		gold, err := golden.Run(x, quant.Options{})
		if err != nil {
			return nil, err
		}
		out := make([]tasks.Output, len(res))
		for k := range res {
			if sameAsGolden(&res[k], &gold[k]) {
				r.Identical++
			}
			out[k] = tasks.Output{Readout: readoutFloat(em, res[k].Readout), Spikes: int(res[k].Total().Spikes)}
			res[k].Spikes, res[k].Readout = nil, nil
		}
		if len(firstInputs) < c.CycleSamples {
			firstInputs = append(firstInputs, x[:min(len(x), c.CycleSamples-len(firstInputs))]...)
		}
		fast = append(fast, res...)
		return out, nil
	}
	score, err := tasks.Evaluate(task, n, 50, net.N(), run, func(done int) { bar.Set(done) })
	bar.Finish()
	if err != nil {
		return err
	}
	r.Samples, r.Accuracy, r.Correct = score.Samples, score.Accuracy, score.Correct
	r.Fast = em.Report(fast, emulator.Fast)
	r.SpikesPerInference = r.Fast.PerInference.Spikes
	r.SynapticOpsPerInference = r.Fast.PerInference.SynapticOps
	r.EnergyPerInferencePJ = r.Fast.PerInference.EnergyPJ

	// Cycle mode on the first few, for the time on the chip.
	if len(firstInputs) > 0 {
		cycle, err = em.Run(emulatorInputs(firstInputs), emulator.Options{Mode: emulator.Cycle})
		if err != nil {
			return err
		}
		r.Cycle = em.Report(cycle, emulator.Cycle)
		r.CycleSamples = len(cycle)
		r.SecondsPerInference = r.Cycle.PerInference.Seconds
		r.CyclesPerStep = r.Cycle.Cycles.PerStep
		r.CycleEnergyPJ = r.Cycle.PerInference.EnergyPJ
	}
	r.WallSeconds = time.Since(start).Seconds()
	if c.JSON {
		return printJSON(e.stdout, r)
	}
	r.print(e, tg)
	return nil
}

// sameAsGolden reports whether an emulation gave the golden trace's spikes and
// readouts.
func sameAsGolden(r *emulator.Result, g *quant.Trace) bool {
	if len(r.Spikes) != len(g.Spikes.Bits) || len(r.Readout) != len(g.Readout) {
		return false
	}
	for i, s := range r.Spikes {
		if (s != 0) != (g.Spikes.Bits[i] != 0) {
			return false
		}
	}
	for i, y := range r.Readout {
		if y != g.Readout[i] {
			return false
		}
	}
	return true
}

func (r *demoReport) print(e *env, tg *targets.Target) {
	w := e.stdout
	fmt.Fprintf(w, "snnc demo: the embedded sMNIST LSNN (%d neurons, %d synapses) compiled for %s: %d of %d cores\n",
		r.Neurons, r.Synapses, r.Target, r.Cores, tg.TotalCores())
	fmt.Fprintf(w, "emulated %d test digits in fast mode (%d also cycle by cycle):\n\n", r.Samples, r.CycleSamples)
	fmt.Fprintf(w, "  accuracy              %.1f%% (%d of %d)\n", 100*r.Accuracy, r.Correct, r.Samples)
	fmt.Fprintf(w, "  bit-exact             %d of %d digits: spikes and readouts identical to the integer golden model\n", r.Identical, r.Samples)
	fmt.Fprintf(w, "  spikes / inference    %s (%s synaptic operations)\n", count(r.SpikesPerInference), count(r.SynapticOpsPerInference))
	fmt.Fprintf(w, "  energy / inference    %s", energy(r.EnergyPerInferencePJ))
	if f := r.Fast; f != nil && f.Energy.TotalPJ > 0 {
		sep := " ("
		for _, it := range f.Energy.Categories {
			if share := it.PJ / f.Energy.TotalPJ; share >= 0.01 {
				fmt.Fprintf(w, "%s%s %.0f%%", sep, it.Name, 100*share)
				sep = ", "
			}
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
	if r.Cycle != nil {
		steps := float64(r.Cycle.Steps) / float64(max(r.CycleSamples, 1))
		fmt.Fprintf(w, "  time / inference      %s on the chip (%.0f steps; %.0f cycles per step on average, %.0f..%.0f, at %g MHz)\n",
			duration(r.SecondsPerInference), steps, r.CyclesPerStep.Mean, r.CyclesPerStep.Min, r.CyclesPerStep.Max, float64(tg.ClockHz)/1e6)
	}
	fmt.Fprintf(w, "\nfigures: %s, energies and times from its timing and energy tables (snnc targets show %s); %.1f s of wall time\n",
		firstLine(tg.Description, 90), r.Target, r.WallSeconds)
}
