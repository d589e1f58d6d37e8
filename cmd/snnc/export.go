package main

import (
	"fmt"

	"github.com/snnc/snnc/lsnn"
)

type exportCmd struct {
	Model  string `arg:"" help:"Model file (model.bin or .npz)." type:"existingfile"`
	Output string `short:"o" required:"" help:"Where to write the .npz." placeholder:"FILE"`
}

func (c *exportCmd) Run(e *env) error {
	net, err := lsnn.LoadFile(c.Model)
	if err != nil {
		return err
	}
	if err := lsnn.WriteNPZFile(c.Output, net); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "exported %s -> %s\n", c.Model, c.Output)
	return nil
}
