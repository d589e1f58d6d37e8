package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/snnc/snnc/internal/atomicfile"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
	"github.com/snnc/snnc/lsnn/train"
)

type trainCmd struct {
	taskFlags
	LIF          int     `default:"-1" help:"LIF neurons (default: 120 for smnist, 10 for store-recall)." placeholder:"N"`
	ALIF         int     `default:"-1" help:"ALIF neurons (default: 100 for smnist, 10 for store-recall); 0 trains a LIF-only network." placeholder:"N"`
	Connectivity float64 `default:"0.12" help:"Fraction of possible connections kept active by DEEP R."`
	Batch        int     `default:"0" help:"Samples per iteration (default 64; with --resume, the checkpoint's unless given)."`
	Iters        int     `default:"1000" help:"Train until this many iterations are done (a resumed run continues to it)." placeholder:"N"`
	LR           float64 `default:"0" help:"Adam learning rate, decayed x0.8 every --lr-decay-every iterations (default 0.01; with --resume, the checkpoint's unless given)."`
	DecayEvery   int     `name:"lr-decay-every" default:"0" help:"Iterations between learning-rate decays (default 2,500; with --resume, the checkpoint's unless given)." placeholder:"N"`
	Seed         uint64  `default:"1" help:"Seed of the initial network, the data order and the rewiring."`
	Output       string  `short:"o" required:"" help:"Where to write the trained model.bin." placeholder:"FILE"`
	Resume       string  `help:"Continue the run saved in this checkpoint; network and training settings come from it." placeholder:"CKPT" type:"existingfile"`
	Checkpoint   string  `help:"Checkpoint file (default: the output with .ckpt appended)." placeholder:"FILE"`
	Every        int     `name:"checkpoint-every" default:"50" help:"Save a checkpoint every N iterations (and on Ctrl-C)." placeholder:"N"`
	EvalEvery    int     `default:"0" help:"Every N iterations, measure test accuracy on --eval-limit samples and append it to the learning-curve log." placeholder:"N"`
	EvalLimit    int     `default:"1000" help:"Test samples per periodic evaluation." placeholder:"N"`
	Curve        string  `help:"Learning-curve log, TSV: iteration, wall seconds, batch loss, batch accuracy, test accuracy (default: the output with .curve.tsv appended)." placeholder:"FILE"`
	Workers      int     `default:"0" help:"Goroutines over a batch (default: all cores)."`
	JSON         bool    `help:"Print the final report as JSON."`
}

type trainReport struct {
	Model        string  `json:"model"`
	Task         string  `json:"task"`
	Iterations   int     `json:"iterations"`
	Loss         float64 `json:"loss"`
	Accuracy     float64 `json:"batch_accuracy"`
	Rate         float64 `json:"spikes_per_neuron_per_step"`
	Connectivity float64 `json:"connectivity"`
	Seconds      float64 `json:"train_seconds"`
}

func (c *trainCmd) config(task tasks.Task) train.Config {
	cfg := train.Config{Task: task.Name(), Connectivity: c.Connectivity, Batch: max(c.Batch, 0), LR: c.LR,
		DecayEvery: c.DecayEvery, Seed: c.Seed, ExcitatoryFraction: 0.75}
	if cfg.Batch == 0 {
		cfg.Batch = 64
	}
	switch c.Task {
	case "store-recall": // lsnn.md: 10 LIF + 10 ALIF, tau_a 1,200 ms, beta 1.7, n_ref 3
		cfg.NLIF, cfg.NALIF, cfg.TauA, cfg.Beta, cfg.NRef = 10, 10, 1200, 1.7, 3
	default: // sMNIST: 120 LIF + 100 ALIF, tau_a 700 ms, beta 1.8, b0 0.01, n_ref 5
		cfg.NLIF, cfg.NALIF, cfg.TauA, cfg.Beta, cfg.NRef = 120, 100, 700, 1.8, 5
	}
	cfg.B0 = 0.01
	if c.LIF >= 0 {
		cfg.NLIF = c.LIF
	}
	if c.ALIF >= 0 {
		cfg.NALIF = c.ALIF
	}
	return cfg
}

func (c *trainCmd) Run(e *env) error {
	if c.Iters <= 0 || c.Every <= 0 || c.Batch < 0 || c.LR < 0 || c.DecayEvery < 0 {
		return usageError{fmt.Errorf("train: --iters and --checkpoint-every must be positive, --batch, --lr and --lr-decay-every not negative")}
	}
	task, err := c.make()
	if err != nil {
		return err
	}
	ckpt := c.Checkpoint
	if ckpt == "" {
		ckpt = c.Output + ".ckpt"
	}
	curve := c.Curve
	if curve == "" {
		curve = c.Output + ".curve.tsv"
	}
	var tr *train.Trainer
	if c.Resume != "" {
		if tr, err = train.LoadCheckpoint(c.Resume); err != nil {
			return err
		}
		if err := tr.SetTask(task); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "resuming %s at iteration %d\n", c.Resume, tr.Iter)
		// An explicit --lr, --lr-decay-every or --batch changes the rest of the run, on
		// purpose: the checkpoint records the new values, and the run is then
		// reproducible from it.
		if c.LR > 0 && c.LR != tr.Cfg.LR {
			fmt.Fprintf(e.stderr, "learning rate %g -> %g from iteration %d on\n", tr.Cfg.LR, c.LR, tr.Iter)
			tr.Cfg.LR = c.LR
		}
		if c.DecayEvery > 0 && c.DecayEvery != tr.Cfg.DecayEvery {
			fmt.Fprintf(e.stderr, "learning-rate decay every %d -> %d iterations from iteration %d on\n", tr.Cfg.DecayEvery, c.DecayEvery, tr.Iter)
			tr.Cfg.DecayEvery = c.DecayEvery
		}
		if c.Batch > 0 && c.Batch != tr.Cfg.Batch {
			fmt.Fprintf(e.stderr, "batch %d -> %d from iteration %d on\n", tr.Cfg.Batch, c.Batch, tr.Iter)
			tr.Cfg.Batch = c.Batch
		}
	} else if tr, err = train.New(c.config(task), task); err != nil {
		return err
	}
	tr.Workers = c.Workers

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stop)

	bar := newBar(e, int64(c.Iters), "train "+task.Name())
	bar.Set(tr.Iter)
	tty := isTerminal(e.stderr)
	var last train.Stats
	started, startIter := time.Now(), tr.Iter
	for tr.Iter < c.Iters {
		select {
		case <-stop:
			bar.Finish()
			if err := c.save(tr, ckpt); err != nil {
				return err
			}
			return fmt.Errorf("train: interrupted at iteration %d; checkpoint %s and model %s saved; continue with --resume %s",
				tr.Iter, ckpt, c.Output, ckpt)
		default:
		}
		st, err := tr.Step()
		if err != nil {
			return err
		}
		last = st
		msg := fmt.Sprintf("it %d loss %.4f acc %.1f%% rate %.4f", st.Iter, st.Loss, 100*st.Accuracy, st.Rate)
		bar.Describe(msg)
		bar.Set(st.Iter)
		if !tty && (st.Iter%10 == 0 || st.Iter == c.Iters) {
			rate := float64(st.Iter-startIter) / time.Since(started).Seconds()
			fmt.Fprintf(e.stderr, "%s  %.2f it/s, ETA %s\n", msg, rate, (time.Duration(float64(c.Iters-st.Iter)/rate) * time.Second).Round(time.Second))
		}
		if st.Iter%c.Every == 0 || st.Iter == c.Iters {
			if err := c.save(tr, ckpt); err != nil {
				return err
			}
		}
		if c.EvalEvery > 0 && (st.Iter%c.EvalEvery == 0 || st.Iter == c.Iters) {
			if err := c.logCurve(curve, tr, task, st); err != nil {
				return err
			}
		}
	}
	bar.Finish()
	if err := c.save(tr, ckpt); err != nil {
		return err
	}
	net := tr.Network()
	r := trainReport{Model: c.Output, Task: task.Name(), Iterations: tr.Iter, Loss: last.Loss,
		Accuracy: last.Accuracy, Rate: last.Rate, Connectivity: describe(c.Output, net).Connectivity, Seconds: tr.Elapsed}
	if c.JSON {
		return printJSON(e.stdout, r)
	}
	fmt.Fprintf(e.stdout, "trained %s for %d iterations (%.0f s): batch loss %.4f, batch accuracy %.1f%%, %.4f spikes per neuron per step, connectivity %.2f%% -> %s\n",
		task.Name(), r.Iterations, r.Seconds, r.Loss, 100*r.Accuracy, r.Rate, 100*r.Connectivity, c.Output)
	return nil
}

// save writes the checkpoint and the model, each atomically.
func (c *trainCmd) save(tr *train.Trainer, ckpt string) error {
	if err := tr.SaveCheckpoint(ckpt); err != nil {
		return err
	}
	return lsnn.WriteModelFile(c.Output, tr.Network())
}

// logCurve appends one learning-curve row; the file is rewritten atomically.
func (c *trainCmd) logCurve(path string, tr *train.Trainer, task tasks.Task, st train.Stats) error {
	net := tr.Network()
	sim, err := lsnn.NewSimulator(net)
	if err != nil {
		return err
	}
	res, err := tasks.Evaluate(task, c.EvalLimit, 128, net.N(), tasks.FloatRunner(sim), nil)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("train: %w", err)
	}
	if len(old) == 0 {
		old = []byte("iteration\twall_s\tbatch_loss\tbatch_accuracy\ttest_accuracy\ttest_samples\n")
	}
	row := fmt.Sprintf("%d\t%.1f\t%.4f\t%.4f\t%.4f\t%d\n", st.Iter, tr.Elapsed, st.Loss, st.Accuracy, res.Accuracy, res.Samples)
	return atomicfile.WriteFile(path, append(old, row...), 0o644)
}
