// Package lsnntest makes random valid LSNNs and inputs for the tests and benchmarks
// of every package that runs networks: the float simulator, the quantizer's golden
// simulator, the compiler and the emulator. Everything is drawn from the generator
// the caller passes, so a seed fixes the network.
package lsnntest

import (
	"math"
	"math/rand/v2"

	"github.com/snnc/snnc/lsnn"
)

// RandomNetwork draws a valid network: E/I signs, LIF and ALIF neurons with varied
// time constants and refractory periods, input delays 0..maxDelay, recurrent delays
// 1..maxDelay, and the given density.
func RandomNetwork(rng *rand.Rand, nIn, N, nOut int, density float64, maxDelay int) *lsnn.Network {
	net := &lsnn.Network{Dt: 1, TauOut: 5 + 30*rng.Float64(), BOut: make([]float64, nOut),
		SignIn: make([]int8, nIn), SignRec: make([]int8, N)}
	for i := range net.SignIn {
		net.SignIn[i] = 1
		if rng.Float64() < 0.25 {
			net.SignIn[i] = -1
		}
	}
	for i := range net.SignRec {
		net.SignRec[i] = 1
		if rng.Float64() < 0.25 {
			net.SignRec[i] = -1
		}
	}
	for j := 0; j < N; j++ {
		nr := lsnn.Neuron{TauM: 5 + 40*rng.Float64(), B0: 0.05 + 0.5*rng.Float64(), NRef: rng.IntN(6)}
		if rng.IntN(2) == 0 {
			nr.TauA, nr.Beta = 50+1000*rng.Float64(), 3*rng.Float64()
		}
		net.Neurons = append(net.Neurons, nr)
	}
	for k := range net.BOut {
		net.BOut[k] = rng.NormFloat64() * 0.1
	}
	draw := func(rows, cols int, signs []int8, minD, maxD int, diag bool) lsnn.Matrix {
		var syn []lsnn.Synapse
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				if (!diag && i == j) || rng.Float64() >= density {
					continue
				}
				w := math.Abs(rng.NormFloat64()) * 4 / math.Sqrt(density*float64(rows)+1)
				if signs != nil && signs[i] < 0 {
					w = -w
				}
				d := 0
				if maxD > 0 {
					d = minD + rng.IntN(maxD-minD+1)
				}
				syn = append(syn, lsnn.Synapse{Pre: i, Post: j, Weight: w, Delay: d})
			}
		}
		m, err := lsnn.NewMatrix(rows, cols, syn, maxD > 0)
		if err != nil {
			panic(err)
		}
		return m
	}
	net.In = draw(nIn, N, net.SignIn, 0, maxDelay, true)
	net.Rec = draw(N, N, net.SignRec, 1, maxDelay, false)
	net.Out = draw(N, nOut, net.SignRec, 0, 0, true)
	return net
}

// RandomInput is a T x nIn raster in which every entry spikes with probability p.
func RandomInput(rng *rand.Rand, T, nIn int, p float64) lsnn.Raster {
	x := lsnn.NewRaster(T, nIn)
	for k := range x.Bits {
		if rng.Float64() < p {
			x.Bits[k] = 1
		}
	}
	return x
}
