package train

import "github.com/snnc/snnc/lsnn"

// grads holds dL/dw for the synapses of a built network, in CSR order, and dL/db_out.
type grads struct {
	in, rec, out, bout []float64
}

func newGrads(net *lsnn.Network) *grads {
	return &grads{in: make([]float64, net.In.NNZ()), rec: make([]float64, net.Rec.NNZ()),
		out: make([]float64, net.Out.NNZ()), bout: make([]float64, net.NOut())}
}

func (g *grads) zero() {
	clear(g.in)
	clear(g.rec)
	clear(g.out)
	clear(g.bout)
}

func (g *grads) add(h *grads) {
	for _, p := range [][2][]float64{{g.in, h.in}, {g.rec, h.rec}, {g.out, h.out}, {g.bout, h.bout}} {
		for k, v := range p[1] {
			p[0][k] += v
		}
	}
}

// backScratch is reused between samples by one worker.
type backScratch struct {
	gI                 []float64 // (T+ring) x N: dL/dI[t] at gI[t*N+j]
	rel                []int32   // per W_rec synapse: d*N + target, its offset from gI[t*N]
	gv, gvNext, gbNext []float64 // dL/dv[t], dL/dv[t+1], dL/db[t+1]
	sPrev, eta         []float64
}

// backward accumulates into g the gradient of the loss with respect to the weights,
// given the tape of the forward pass, dL/dy[t] (gy, T x NOut) and the per-neuron
// constant dL/ds_j[t] of the rate regulariser (reg).
//
// Going back from t = T-1 it carries, per neuron, gv = dL/dv[t], gvNext = dL/dv[t+1]
// and gbNext = dL/db[t+1], and per readout eta[t] = gy[t] + kappa eta[t+1]. With
// psi[t] the pseudo-derivative of step t:
//
//	dL/dI[t]   = (1-alpha) gv[t]
//	dL/ds[t]   = reg + (1-kappa) W_out eta[t] + sum_k W_rec[j,k] dL/dI_k[t+d]
//	             + (1-rho) gb[t+1] - A[t+1] gv[t+1]          (only where psi[t] != 0)
//	dL/dA[t]   = -dL/ds[t] psi[t] v[t-1]/A[t]^2 - gv[t] s[t-1]
//	gb[t]      = rho gb[t+1] + beta dL/dA[t]
//	gv[t-1]    = alpha gv[t] + dL/ds[t] psi[t]/A[t]
//
// and weight gradients are read at the events: dL/dW_in[i,j] += dL/dI_j[t+d] for
// each input spike of i at t, dL/dW_rec[i,j] += s_i[t] dL/dI_j[t+d] for each spike,
// dL/dW_out[i,k] += (1-kappa) s_i[t] eta_k[t].
func backward(net *lsnn.Network, c *consts, tp *tape, gy, reg []float64, g *grads, sc *backScratch) {
	N, nOut, T := tp.N, tp.nOut, tp.T
	R := max(net.In.MaxDelayUsed(), net.Rec.MaxDelayUsed()) + 1
	grow := func(s []float64, n int) []float64 {
		if cap(s) < n {
			return make([]float64, n)
		}
		s = s[:n]
		clear(s)
		return s
	}
	sc.gI = grow(sc.gI, (T+R)*N)
	if cap(sc.rel) < net.Rec.NNZ() {
		sc.rel = make([]int32, net.Rec.NNZ())
	}
	rel := sc.rel[:net.Rec.NNZ()]
	for k, col := range net.Rec.Col {
		rel[k] = int32(int(net.Rec.Delay[k])*N) + col
	}
	sc.gv, sc.gvNext, sc.gbNext = grow(sc.gv, N), grow(sc.gvNext, N), grow(sc.gbNext, N)
	sc.sPrev, sc.eta = grow(sc.sPrev, N), grow(sc.eta, nOut)
	gI, eta := sc.gI, sc.eta
	// Per-neuron slices cut to N, so that the compiler drops their bounds checks in
	// the loops over neurons.
	gv, gvNext, gbNext, sPrev, reg := sc.gv[:N], sc.gvNext[:N], sc.gbNext[:N], sc.sPrev[:N], reg[:N]
	alpha, rho, beta, decay := c.alpha[:N], c.rho[:N], c.beta[:N], c.decay[:N]
	ok := 1 - c.kappa
	inRS, recRS, outRS := net.In.RowStart, net.Rec.RowStart, net.Out.RowStart
	recW := net.Rec.Weight
	outCol, outW := net.Out.Col, net.Out.Weight

	for t := T - 1; t >= 0; t-- {
		gIt := gI[t*N:]
		gInow := gIt[:N]
		etaLive := false
		for k := 0; k < nOut; k++ {
			gyk := gy[t*nOut+k]
			eta[k] = gyk + c.kappa*eta[k]
			g.bout[k] += gyk
			if eta[k] != 0 {
				etaLive = true
			}
		}
		for j, gvj := range gv {
			gInow[j] = decay[j] * gvj
		}
		for _, i := range tp.inputs(t) {
			for k := inRS[i]; k < inRS[i+1]; k++ {
				g.in[k] += gIt[int(net.In.Delay[k])*N+int(net.In.Col[k])]
			}
		}
		// s[t-1], needed for the reset path of A[t].
		clear(sPrev)
		if t > 0 {
			for n, j := range tp.spikes(t - 1) {
				sPrev[j] = tp.sval1(t-1, n)
			}
		}
		// Neurons near threshold (psi[t] != 0) come in increasing order; n walks them.
		n, nEnd := int(tp.nearStart[t]), int(tp.nearStart[t+1])
		for j, gvj := range gv {
			gA := -gvj * sPrev[j]
			gvPrev := alpha[j] * gvj
			if n < nEnd && int(tp.near[n]) == j {
				gs := reg[j]
				if etaLive {
					for k := outRS[j]; k < outRS[j+1]; k++ {
						gs += ok * outW[k] * eta[outCol[k]]
					}
				}
				for k := recRS[j]; k < recRS[j+1]; k++ {
					gs += recW[k] * gIt[rel[k]]
				}
				gs += (1 - rho[j]) * gbNext[j]
				if t+1 < T {
					gs -= tp.anext[n] * gvNext[j]
				}
				if gs != 0 {
					p, aj := tp.psi[n], tp.a[n]
					gA -= gs * p * tp.vprev[n] / (aj * aj)
					gvPrev += gs * p / aj
				}
				n++
			}
			gbNext[j] = rho[j]*gbNext[j] + beta[j]*gA
			gvNext[j] = gvj
			gv[j] = gvPrev
		}
		for n, i := range tp.spikes(t) {
			s := tp.sval1(t, n)
			for k := recRS[i]; k < recRS[i+1]; k++ {
				g.rec[k] += s * gIt[rel[k]]
			}
			if etaLive {
				for k := outRS[i]; k < outRS[i+1]; k++ {
					g.out[k] += ok * s * eta[outCol[k]]
				}
			}
		}
	}
}

// sval1 is the value of the n-th listed spike of step t: 1 in spiking mode.
func (tp *tape) sval1(t, n int) float64 {
	if tp.sval == nil {
		return 1
	}
	return tp.sval[int(tp.spkStart[t])+n]
}
