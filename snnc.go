// Package snnc holds what the toolchain ships besides its code: the embedded
// default model, an LSNN of 120 LIF and 100 ALIF neurons at 12% connectivity trained
// on sequential MNIST with `snnc train` (testdata/models/smnist.bin; its training is
// recorded in docs/training.md).
package snnc

import (
	_ "embed"

	"github.com/snnc/snnc/lsnn"
)

//go:embed testdata/models/smnist.bin
var defaultModel []byte

// DefaultModelName is how reports name the embedded model.
const DefaultModelName = "smnist (embedded)"

// DefaultModel decodes the embedded sMNIST model; each call returns a new copy.
func DefaultModel() (*lsnn.Network, error) {
	return lsnn.UnmarshalModel(defaultModel)
}
