package main

import (
	"fmt"

	"github.com/snnc/snnc/lsnn/tasks"
)

// taskFlags are the flags that pick a task, shared by train, eval and later commands.
type taskFlags struct {
	Task       string `enum:"smnist,store-recall" required:"" help:"Task: smnist or store-recall."`
	MsPerPixel int    `name:"ms-per-pixel" default:"1" enum:"1,2" help:"sMNIST: milliseconds per pixel (1 or 2)."`
	Data       string `help:"sMNIST: directory holding the four MNIST .gz files (default: the GoMNIST module in the Go module cache)." placeholder:"DIR"`
}

func (f taskFlags) make() (tasks.Task, error) {
	switch f.Task {
	case "smnist":
		data, err := tasks.LoadMNIST(f.Data)
		if err != nil {
			return nil, err
		}
		return tasks.NewSMNIST(data, f.MsPerPixel)
	case "store-recall":
		return tasks.NewStoreRecall(tasks.DefaultStoreRecallConfig())
	}
	return nil, usageError{fmt.Errorf("unknown task %q", f.Task)}
}
