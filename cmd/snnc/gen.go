package main

import (
	"fmt"
	"time"

	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/gen"
)

type genCmd struct {
	Neurons      int     `required:"" help:"Recurrent neurons." placeholder:"N"`
	Fanin        int     `required:"" help:"Recurrent synapses into each neuron, from distinct other neurons." placeholder:"K"`
	Seed         uint64  `default:"1" help:"Seed: the same flags give the same model."`
	Output       string  `short:"o" required:"" help:"Where to write the model (model.bin, or .npz by extension)." placeholder:"FILE"`
	Inputs       int     `default:"64" help:"Input channels."`
	InputFanout  int     `name:"input-fanout" default:"-1" help:"Neurons each input channel feeds (default: min(N, 1000))." placeholder:"N"`
	Outputs      int     `default:"10" help:"Readout units."`
	ReadoutFanin int     `name:"readout-fanin" default:"-1" help:"Neurons each readout unit reads (default: min(N, 100))." placeholder:"N"`
	ALIF         float64 `name:"alif" default:"0.4" help:"Fraction of ALIF neurons."`
	MaxDelay     int     `name:"max-delay" default:"8" help:"Synaptic delays are 1..D steps (inputs 0..D)." placeholder:"D"`
	Locality     float64 `default:"0" help:"Fraction of each neuron's sources drawn from its ring neighbourhood (0: uniform)."`
	Band         int     `default:"0" help:"Half-width of the neighbourhood (default: 4 x fan-in)." placeholder:"W"`
	JSON         bool    `help:"Print the summary as JSON."`
}

type genReport struct {
	Model    string  `json:"model"`
	Neurons  int     `json:"neurons"`
	Inputs   int     `json:"inputs"`
	Readouts int     `json:"readouts"`
	Synapses int     `json:"synapses"`
	Seconds  float64 `json:"seconds"`
	Config   string  `json:"config"`
}

func (c *genCmd) Run(e *env) error {
	cfg := gen.Default(c.Neurons, c.Fanin, c.Seed)
	cfg.Inputs, cfg.Outputs, cfg.ALIF, cfg.MaxDelay, cfg.Locality, cfg.Band = c.Inputs, c.Outputs, c.ALIF, c.MaxDelay, c.Locality, c.Band
	if c.InputFanout >= 0 {
		cfg.InputFanout = c.InputFanout
	}
	if c.ReadoutFanin >= 0 {
		cfg.ReadoutFanIn = c.ReadoutFanin
	}
	start := time.Now()
	net, err := gen.Sparse(cfg)
	if err != nil {
		return usageError{err}
	}
	if err := lsnn.SaveFile(c.Output, net); err != nil {
		return err
	}
	r := genReport{Model: c.Output, Neurons: net.N(), Inputs: net.NIn(), Readouts: net.NOut(),
		Synapses: net.In.NNZ() + net.Rec.NNZ() + net.Out.NNZ(), Seconds: time.Since(start).Seconds(), Config: net.Meta["config"]}
	if c.JSON {
		return printJSON(e.stdout, r)
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d neurons, %d inputs, %d readouts, %d synapses (%s) in %s\n",
		r.Model, r.Neurons, r.Inputs, r.Readouts, r.Synapses, r.Config, seconds(r.Seconds))
	return nil
}
