package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
)

// smoothLoss is the training loss of one sample under the smooth spike function, and
// its gradient by the backward pass.
func smoothLoss(net *lsnn.Network, x lsnn.Raster, wins []tasks.Window, rateReg, target float64, want bool) (float64, *grads) {
	c := newConsts(net, 0.3)
	var tp tape
	tp.recordSmooth(net, x, c, 4)
	N := net.N()
	rbar := make([]float64, N)
	for t := 0; t < tp.T; t++ {
		for n, j := range tp.spikes(t) {
			rbar[j] += tp.sval1(t, n)
		}
	}
	reg := make([]float64, N)
	var loss float64
	for j := range rbar {
		rbar[j] /= float64(tp.T)
		d := rbar[j] - target
		loss += rateReg * d * d
		reg[j] = 2 * rateReg * d / float64(tp.T)
	}
	gy := make([]float64, tp.T*net.NOut())
	ce, _ := windowLoss(tp.y, net.NOut(), wins, 1/float64(len(wins)), gy)
	loss += ce / float64(len(wins))
	if !want {
		return loss, nil
	}
	g := newGrads(net)
	backward(net, c, &tp, gy, reg, g, &backScratch{})
	return loss, g
}

// TestGradientCheck compares the backward pass with central finite differences on a
// tiny network whose spike step is a logistic function: the same structure (delays,
// ALIF adaptation, subtractive reset, leaky readout, rate regulariser), but smooth.
func TestGradientCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const nIn, N, nOut, T = 3, 5, 2, 60
	var in, rec, out []lsnn.Synapse
	for i := 0; i < nIn; i++ {
		for j := 0; j < N; j++ {
			if rng.Float64() < 0.7 {
				in = append(in, lsnn.Synapse{Pre: i, Post: j, Weight: rng.NormFloat64(), Delay: rng.IntN(3)})
			}
		}
	}
	for i := 0; i < N; i++ {
		for j := 0; j < N; j++ {
			if i != j && rng.Float64() < 0.6 {
				rec = append(rec, lsnn.Synapse{Pre: i, Post: j, Weight: rng.NormFloat64() * 0.5, Delay: 1 + rng.IntN(3)})
			}
		}
		for k := 0; k < nOut; k++ {
			out = append(out, lsnn.Synapse{Pre: i, Post: k, Weight: rng.NormFloat64()})
		}
	}
	net := &lsnn.Network{Dt: 1, TauOut: 5, BOut: []float64{0.1, -0.2}}
	var err error
	if net.In, err = lsnn.NewMatrix(nIn, N, in, true); err != nil {
		t.Fatal(err)
	}
	net.Rec, _ = lsnn.NewMatrix(N, N, rec, true)
	net.Out, _ = lsnn.NewMatrix(N, nOut, out, false)
	for j := 0; j < N; j++ {
		nr := lsnn.Neuron{TauM: 10, B0: 0.5}
		if j%2 == 1 {
			nr.TauA, nr.Beta = 30, 1.5
		}
		net.Neurons = append(net.Neurons, nr)
	}
	x := lsnn.NewRaster(T, nIn)
	for k := range x.Bits {
		if rng.Float64() < 0.3 {
			x.Bits[k] = 1
		}
	}
	wins := []tasks.Window{{Start: 20, End: 35, Label: 1}, {Start: 45, End: 60, Label: 0}}
	_, g := smoothLoss(net, x, wins, 0.5, 0.05, true)

	check := func(name string, w []float64, grad []float64) {
		for k := range w {
			const h = 1e-6
			orig := w[k]
			w[k] = orig + h
			lp, _ := smoothLoss(net, x, wins, 0.5, 0.05, false)
			w[k] = orig - h
			lm, _ := smoothLoss(net, x, wins, 0.5, 0.05, false)
			w[k] = orig
			num := (lp - lm) / (2 * h)
			if d := math.Abs(num - grad[k]); d > 1e-6+1e-4*math.Abs(num) {
				t.Errorf("%s[%d]: backward %.9g, finite difference %.9g", name, k, grad[k], num)
			}
		}
	}
	check("w_in", net.In.Weight, g.in)
	check("w_rec", net.Rec.Weight, g.rec)
	check("w_out", net.Out.Weight, g.out)
	check("b_out", net.BOut, g.bout)
}
