package main

import (
	"fmt"

	"github.com/snnc/snnc/lsnn"
)

type importCmd struct {
	Model  string `arg:"" help:"Model in .npz (see docs/npz-schema.md)." type:"existingfile"`
	Output string `short:"o" required:"" help:"Where to write the model.bin." placeholder:"FILE"`
}

func (c *importCmd) Run(e *env) error {
	net, err := lsnn.ReadNPZFile(c.Model)
	if err != nil {
		return err
	}
	if err := lsnn.WriteModelFile(c.Output, net); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "imported %s: %d inputs, %d neurons, %d readouts, %d synapses -> %s\n",
		c.Model, net.NIn(), net.N(), net.NOut(), net.In.NNZ()+net.Rec.NNZ()+net.Out.NNZ(), c.Output)
	return nil
}
