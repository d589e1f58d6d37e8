package lsnn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/lsnntest"
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
			net := lsnntest.RandomNetwork(rng, c.nIn, c.N, c.nOut, c.density, c.maxDelay)
			if err := net.Validate(); err != nil {
				t.Fatal(err)
			}
			xs := []Raster{lsnntest.RandomInput(rng, c.T, c.nIn, 0.2), lsnntest.RandomInput(rng, c.T, c.nIn, 0.05)}
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
