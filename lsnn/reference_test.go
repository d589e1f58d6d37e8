package lsnn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// referenceRun is a second, deliberately plain implementation of lsnn.md's equations,
// used to check the simulator: dense weight arrays, the whole spike history kept, and
// every input current summed afresh from the history at every step. It shares no code
// with Simulator.
func referenceRun(net *Network, x Raster) (spikes []uint8, y []float64) {
	N, nIn, nOut := net.N(), net.NIn(), net.NOut()
	win, din := net.In.Dense()
	wrec, drec := net.Rec.Dense()
	wout, _ := net.Out.Dense()
	T := x.T
	s := make([][]float64, T)
	v, b := make([]float64, N), make([]float64, N)
	zhat := make([]float64, N)
	lastSpike := make([]int, N)
	for j := range lastSpike {
		lastSpike[j] = -1 << 30
	}
	spikes = make([]uint8, T*N)
	y = make([]float64, T*nOut)
	for t := 0; t < T; t++ {
		s[t] = make([]float64, N)
		for j := 0; j < N; j++ {
			nr := net.Neurons[j]
			alpha := math.Exp(-net.Dt / nr.TauM)
			rho := 0.0
			if nr.TauA > 0 {
				rho = math.Exp(-net.Dt / nr.TauA)
			}
			var I float64
			for i := 0; i < nIn; i++ {
				if w := win[i*N+j]; w != 0 {
					if tt := t - din[i*N+j]; tt >= 0 && x.At(tt, i) {
						I += w
					}
				}
			}
			for i := 0; i < N; i++ {
				if w := wrec[i*N+j]; w != 0 {
					if tt := t - drec[i*N+j]; tt >= 0 {
						I += w * s[tt][i]
					}
				}
			}
			sPrev := 0.0
			if t > 0 {
				sPrev = s[t-1][j]
			}
			b[j] = rho*b[j] + (1-rho)*sPrev
			A := nr.B0 + nr.Beta*b[j]
			refractory := t-lastSpike[j] <= nr.NRef
			if v[j] > A && !refractory {
				s[t][j] = 1
				lastSpike[j] = t
				spikes[t*N+j] = 1
			}
			v[j] = alpha*v[j] + (1-alpha)*I - A*sPrev
		}
		kappa := math.Exp(-net.Dt / net.TauOut)
		for j := 0; j < N; j++ {
			zhat[j] = kappa*zhat[j] + (1-kappa)*s[t][j]
		}
		for k := 0; k < nOut; k++ {
			y[t*nOut+k] = net.BOut[k]
			for j := 0; j < N; j++ {
				y[t*nOut+k] += wout[j*nOut+k] * zhat[j]
			}
		}
	}
	return spikes, y
}

// randomNetwork draws a valid network: E/I signs, LIF and ALIF neurons with varied
// time constants and refractory periods, input delays 0..maxDelay, recurrent delays
// 1..maxDelay, and the given density.
func randomNetwork(rng *rand.Rand, nIn, N, nOut int, density float64, maxDelay int) *Network {
	net := &Network{Dt: 1, TauOut: 5 + 30*rng.Float64(), BOut: make([]float64, nOut),
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
		nr := Neuron{TauM: 5 + 40*rng.Float64(), B0: 0.05 + 0.5*rng.Float64(), NRef: rng.IntN(6)}
		if rng.IntN(2) == 0 {
			nr.TauA, nr.Beta = 50+1000*rng.Float64(), 3*rng.Float64()
		}
		net.Neurons = append(net.Neurons, nr)
	}
	for k := range net.BOut {
		net.BOut[k] = rng.NormFloat64() * 0.1
	}
	draw := func(rows, cols int, signs []int8, minD, maxD int, diag bool) Matrix {
		var syn []Synapse
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
				syn = append(syn, Synapse{Pre: i, Post: j, Weight: w, Delay: d})
			}
		}
		m, err := NewMatrix(rows, cols, syn, maxD > 0)
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

func randomInput(rng *rand.Rand, T, nIn int, p float64) Raster {
	x := NewRaster(T, nIn)
	for k := range x.Bits {
		if rng.Float64() < p {
			x.Bits[k] = 1
		}
	}
	return x
}

// TestSimulatorMatchesReference runs random networks of up to a few hundred neurons
// with delays, ALIF and refractory periods through both implementations.
func TestSimulatorMatchesReference(t *testing.T) {
	cases := []struct {
		nIn, N, nOut, T int
		density         float64
		maxDelay        int
	}{
		{3, 5, 2, 200, 0.5, 3},
		{10, 40, 3, 300, 0.2, 10},
		{20, 120, 5, 300, 0.1, 10},
		{40, 300, 10, 200, 0.05, 12},
	}
	for ci, c := range cases {
		for seed := uint64(0); seed < 3; seed++ {
			rng := rand.New(rand.NewPCG(seed, uint64(ci)))
			net := randomNetwork(rng, c.nIn, c.N, c.nOut, c.density, c.maxDelay)
			if err := net.Validate(); err != nil {
				t.Fatal(err)
			}
			xs := []Raster{randomInput(rng, c.T, c.nIn, 0.2), randomInput(rng, c.T, c.nIn, 0.05)}
			got, err := Simulate(net, xs, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if n := got[0].Spikes.Count() + got[1].Spikes.Count(); n < 5 {
				t.Fatalf("case %d seed %d: %d spikes: a nearly silent network checks little", ci, seed, n)
			}
			for b, x := range xs {
				ws, wy := referenceRun(net, x)
				for k := range ws {
					if ws[k] != got[b].Spikes.Bits[k] {
						t.Fatalf("case %d seed %d sample %d: first spike mismatch at step %d neuron %d", ci, seed, b, k/c.N, k%c.N)
					}
				}
				for k := range wy {
					if math.Abs(wy[k]-got[b].Readout[k]) > 1e-9 {
						t.Fatalf("case %d seed %d: readout %d: %g vs reference %g", ci, seed, k, got[b].Readout[k], wy[k])
					}
				}
			}
		}
	}
}
