package train

import (
	"math"

	"github.com/snnc/snnc/lsnn"
)

// consts are the per-neuron factors the backward pass needs.
type consts struct {
	alpha, rho, decay []float64 // exp(-dt/tau_m), exp(-dt/tau_a), 1-alpha
	beta, nref        []float64
	kappa, gamma      float64
}

func newConsts(net *lsnn.Network, gamma float64) *consts {
	N := net.N()
	c := &consts{alpha: make([]float64, N), rho: make([]float64, N), decay: make([]float64, N),
		beta: make([]float64, N), nref: make([]float64, N), gamma: gamma}
	for j, nr := range net.Neurons {
		c.alpha[j] = math.Exp(-net.Dt / nr.TauM)
		c.decay[j] = 1 - c.alpha[j]
		if nr.TauA > 0 {
			c.rho[j] = math.Exp(-net.Dt / nr.TauA)
		}
		c.beta[j] = nr.Beta
		c.nref[j] = float64(nr.NRef)
	}
	c.kappa = math.Exp(-net.Dt / net.TauOut)
	return c
}

// tape is what the backward pass reads of one sample's forward pass.
//
// Gradient reaches a neuron's voltage and threshold through its spike only where the
// pseudo-derivative psi[t] is not zero: near threshold and not refractory, about 4% of
// (step, neuron) pairs in a trained sMNIST network. The tape keeps v and A for those
// pairs alone, which makes it a few hundred kilobytes per sample instead of megabytes,
// so that the backward pass reads it from cache rather than from memory.
type tape struct {
	T, N, nOut int
	y          []float64 // T x nOut readouts

	// near lists, step by step, the neurons with psi[t] != 0, in increasing order:
	// step t at near[nearStart[t]:nearStart[t+1]]. psi, vprev, a and anext are
	// parallel to near: psi[t], v[t-1] (0 at t = 0), A[t], and A[t+1] (0 at the
	// last step).
	near, nearStart      []int32
	psi, vprev, a, anext []float64

	spk, spkStart []int32   // neurons with s[t] != 0, step t at spk[spkStart[t]:spkStart[t+1]]
	sval          []float64 // their values, parallel to spk; nil when all are 1
	in, inStart   []int32   // active input channels, likewise

	v []float64 // scratch: v[t-1] of every neuron while recording
}

func (tp *tape) reset(T, N, nOut int) {
	tp.T, tp.N, tp.nOut = T, N, nOut
	if cap(tp.y) < T*nOut {
		tp.y = make([]float64, T*nOut)
	}
	tp.y = tp.y[:T*nOut]
	if cap(tp.v) < N {
		tp.v = make([]float64, N)
	}
	tp.v = tp.v[:N]
	clear(tp.v)
	tp.near, tp.psi, tp.vprev, tp.a, tp.anext = tp.near[:0], tp.psi[:0], tp.vprev[:0], tp.a[:0], tp.anext[:0]
	tp.spk, tp.in, tp.sval = tp.spk[:0], tp.in[:0], nil
	tp.nearStart = append(tp.nearStart[:0], 0)
	tp.spkStart = append(tp.spkStart[:0], 0)
	tp.inStart = append(tp.inStart[:0], 0)
}

func (tp *tape) spikes(t int) []int32 { return tp.spk[tp.spkStart[t]:tp.spkStart[t+1]] }
func (tp *tape) inputs(t int) []int32 { return tp.in[tp.inStart[t]:tp.inStart[t+1]] }

// addNear records that neuron j has pseudo-derivative psi at the step being recorded,
// with v[t-1] = vp and threshold A[t] = a.
func (tp *tape) addNear(j int, psi, vp, a float64) {
	tp.near = append(tp.near, int32(j))
	tp.psi = append(tp.psi, psi)
	tp.vprev = append(tp.vprev, vp)
	tp.a = append(tp.a, a)
	tp.anext = append(tp.anext, 0)
}

// endStep closes step t's list of near neurons; A holds A[t] of every neuron, which
// is A[t+1] for the neurons of step t-1.
func (tp *tape) endStep(t int, A []float64) {
	if t > 0 {
		for n := tp.nearStart[t-1]; n < tp.nearStart[t]; n++ {
			tp.anext[n] = A[tp.near[n]]
		}
	}
	tp.nearStart = append(tp.nearStart, int32(len(tp.near)))
}

// recordSpiking runs x through the reference simulator's step and records the tape.
// last is scratch of length N.
func (tp *tape) recordSpiking(st *lsnn.State, x lsnn.Raster, c *consts, last []int) {
	N, nOut := len(st.V), len(st.Y)
	tp.reset(x.T, N, nOut)
	st.Reset()
	for j := range last {
		last[j] = math.MinInt32
	}
	// Cut to N so that the loop over neurons has no bounds checks; Step writes
	// st.A in place.
	vprev, thr, nref, last := tp.v[:N], st.A[:N], c.nref[:N], last[:N]
	for t := 0; t < x.T; t++ {
		tp.in = x.Active(t, tp.in)
		tp.inStart = append(tp.inStart, int32(len(tp.in)))
		st.Step(tp.inputs(t))
		copy(tp.y[t*nOut:], st.Y)
		for j, vp := range vprev {
			if d := t - last[j]; d >= 1 && float64(d) <= nref[j] {
				continue
			}
			// gamma * max(0, 1 - |v - A| / A), with A > 0; most neurons are far from
			// threshold, so the division is skipped for them.
			A := thr[j]
			d := vp - A
			if d < 0 {
				d = -d
			}
			if d >= A {
				continue
			}
			if psi := c.gamma * (1 - d/A); psi != 0 { // zero only when gamma is
				tp.addNear(j, psi, vp, A)
			}
		}
		tp.endStep(t, st.A)
		copy(tp.v, st.V)
		for _, j := range st.Fired {
			last[j] = t
		}
		tp.spk = append(tp.spk, st.Fired...)
		tp.spkStart = append(tp.spkStart, int32(len(tp.spk)))
	}
}

// recordSmooth runs x through the same dynamics with the spike step replaced by the
// logistic function of steep*(v-A)/A and no refractoriness. Only the gradient check
// uses it: the backward pass is then exact, so finite differences can check it.
func (tp *tape) recordSmooth(net *lsnn.Network, x lsnn.Raster, c *consts, steep float64) {
	N, nOut := net.N(), net.NOut()
	tp.reset(x.T, N, nOut)
	tp.sval = tp.sval[:0]
	R := max(net.In.MaxDelayUsed(), net.Rec.MaxDelayUsed()) + 1
	acc := make([]float64, R*N)
	v, b, s, sPrev := make([]float64, N), make([]float64, N), make([]float64, N), make([]float64, N)
	zhat, thr := make([]float64, N), make([]float64, N)
	for t := 0; t < x.T; t++ {
		for i, bit := range x.Row(t) {
			if bit == 0 {
				continue
			}
			tp.in = append(tp.in, int32(i))
			cols, ws, ds := net.In.Row(i)
			for k, j := range cols {
				acc[((t+int(ds[k]))%R)*N+int(j)] += ws[k]
			}
		}
		tp.inStart = append(tp.inStart, int32(len(tp.in)))
		slot := acc[(t%R)*N : (t%R+1)*N]
		for j := 0; j < N; j++ {
			b[j] = c.rho[j]*b[j] + (1-c.rho[j])*sPrev[j]
			A := net.Neurons[j].B0 + c.beta[j]*b[j]
			u := steep * (v[j] - A) / A
			sig := 1 / (1 + math.Exp(-u))
			s[j] = sig
			if psi := steep * sig * (1 - sig); psi != 0 {
				tp.addNear(j, psi, v[j], A)
			}
			thr[j] = A
			v[j] = c.alpha[j]*v[j] + c.decay[j]*slot[j] - A*sPrev[j]
			slot[j] = 0
			tp.spk = append(tp.spk, int32(j))
			tp.sval = append(tp.sval, s[j])
		}
		tp.endStep(t, thr)
		tp.spkStart = append(tp.spkStart, int32(len(tp.spk)))
		for i := 0; i < N; i++ {
			cols, ws, ds := net.Rec.Row(i)
			for k, j := range cols {
				acc[((t+int(ds[k]))%R)*N+int(j)] += ws[k] * s[i]
			}
			zhat[i] = c.kappa*zhat[i] + (1-c.kappa)*s[i]
		}
		for k := 0; k < nOut; k++ {
			tp.y[t*nOut+k] = net.BOut[k]
		}
		for i := 0; i < N; i++ {
			cols, ws, _ := net.Out.Row(i)
			for k, o := range cols {
				tp.y[t*nOut+int(o)] += ws[k] * zhat[i]
			}
		}
		copy(sPrev, s)
	}
}
