package main

import (
	"fmt"
	"time"

	"github.com/snnc/snnc/internal/npyarray"
	"github.com/snnc/snnc/lsnn"
)

type simulateCmd struct {
	Model   string `arg:"" help:"Model file (model.bin or .npz)." type:"existingfile"`
	Input   string `required:"" help:"Input spikes X.npy: [T, n_in] or [B, T, n_in] of 0/1 (uint8, bool, int or float)." type:"existingfile" placeholder:"X.npy"`
	Spikes  string `help:"Write recurrent spikes Z.npy, uint8 [T, N] or [B, T, N]." placeholder:"Z.npy"`
	Readout string `help:"Write readouts Y.npy, float64 [T, n_out] or [B, T, n_out]." placeholder:"Y.npy"`
	JSON    bool   `help:"Print the run's summary as JSON."`
}

type simulateReport struct {
	Model          string  `json:"model"`
	Samples        int     `json:"samples"`
	Steps          int     `json:"steps"`
	Spikes         int     `json:"spikes"`
	RatePerStep    float64 `json:"spikes_per_neuron_per_step"`
	SynapticEvents int64   `json:"synaptic_events"`
	Seconds        float64 `json:"seconds"`
}

func (c *simulateCmd) Run(e *env) error {
	net, err := lsnn.LoadFile(c.Model)
	if err != nil {
		return err
	}
	x, batched, err := npyarray.ReadRasters(c.Input, net.NIn())
	if err != nil {
		return err
	}
	sim, err := lsnn.NewSimulator(net)
	if err != nil {
		return err
	}
	start := time.Now()
	traces, err := sim.Run(x, lsnn.Options{})
	if err != nil {
		return err
	}
	r := simulateReport{Model: c.Model, Samples: len(x), Seconds: time.Since(start).Seconds()}
	var spikes []lsnn.Raster
	var ys [][]float64
	for b, tr := range traces {
		r.Steps += x[b].T
		r.Spikes += tr.Spikes.Count()
		r.SynapticEvents += synapticEvents(net, x[b], tr.Spikes)
		spikes = append(spikes, tr.Spikes)
		ys = append(ys, tr.Readout)
	}
	if r.Steps > 0 {
		r.RatePerStep = float64(r.Spikes) / float64(r.Steps) / float64(net.N())
	}
	if c.Spikes != "" {
		if err := npyarray.WriteSpikes(c.Spikes, spikes, batched); err != nil {
			return err
		}
	}
	if c.Readout != "" {
		T := 0
		if len(x) > 0 {
			T = x[0].T
		}
		if err := npyarray.WriteReadout(c.Readout, ys, T, net.NOut(), batched); err != nil {
			return err
		}
	}
	if c.JSON {
		return printJSON(e.stdout, r)
	}
	fmt.Fprintf(e.stdout, "%d sample(s), %d steps, %d spikes (%.4f per neuron per step), %d synaptic events, %.3f s\n",
		r.Samples, r.Steps, r.Spikes, r.RatePerStep, r.SynapticEvents, r.Seconds)
	return nil
}

// synapticEvents counts the synaptic operations a run caused: every input or
// recurrent spike times the synapses of its row.
func synapticEvents(net *lsnn.Network, x, s lsnn.Raster) int64 {
	var n int64
	for t := 0; t < x.T; t++ {
		for i, b := range x.Row(t) {
			if b != 0 {
				n += int64(net.In.RowStart[i+1] - net.In.RowStart[i])
			}
		}
		for j, b := range s.Row(t) {
			if b != 0 {
				n += int64(net.Rec.RowStart[j+1] - net.Rec.RowStart[j])
			}
		}
	}
	return n
}
