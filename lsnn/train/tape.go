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
type tape struct {
	T, N, nOut int
	v, a, psi  []float64 // T x N: v[t], A[t], and the pseudo-derivative dz[t]/dv_scaled
	y          []float64 // T x nOut readouts

	spk, spkStart []int32   // neurons with s[t] != 0, step t at spk[spkStart[t]:spkStart[t+1]]
	sval          []float64 // their values, parallel to spk; nil when all are 1
	in, inStart   []int32   // active input channels, likewise
}

func (tp *tape) reset(T, N, nOut int) {
	tp.T, tp.N, tp.nOut = T, N, nOut
	grow := func(s []float64, n int) []float64 {
		if cap(s) < n {
			return make([]float64, n)
		}
		return s[:n]
	}
	tp.v, tp.a, tp.psi = grow(tp.v, T*N), grow(tp.a, T*N), grow(tp.psi, T*N)
	tp.y = grow(tp.y, T*nOut)
	tp.spk, tp.in, tp.sval = tp.spk[:0], tp.in[:0], nil
	tp.spkStart = append(tp.spkStart[:0], 0)
	tp.inStart = append(tp.inStart[:0], 0)
}

func (tp *tape) spikes(t int) []int32 { return tp.spk[tp.spkStart[t]:tp.spkStart[t+1]] }
func (tp *tape) inputs(t int) []int32 { return tp.in[tp.inStart[t]:tp.inStart[t+1]] }

// recordSpiking runs x through the reference simulator's step and records the tape.
// last is scratch of length N.
func (tp *tape) recordSpiking(st *lsnn.State, x lsnn.Raster, c *consts, last []int) {
	N, nOut := len(st.V), len(st.Y)
	tp.reset(x.T, N, nOut)
	st.Reset()
	for j := range last {
		last[j] = math.MinInt32
	}
	for t := 0; t < x.T; t++ {
		tp.in = x.Active(t, tp.in)
		tp.inStart = append(tp.inStart, int32(len(tp.in)))
		var vprev []float64
		if t > 0 {
			vprev = tp.v[(t-1)*N : t*N]
		}
		st.Step(tp.inputs(t))
		copy(tp.v[t*N:], st.V)
		copy(tp.a[t*N:], st.A)
		copy(tp.y[t*nOut:], st.Y)
		psi := tp.psi[t*N : (t+1)*N]
		for j := range psi {
			vp := 0.0
			if vprev != nil {
				vp = vprev[j]
			}
			if d := t - last[j]; d >= 1 && float64(d) <= c.nref[j] {
				psi[j] = 0
				continue
			}
			// gamma * max(0, 1 - |v - A| / A), with A > 0; most neurons are far from
			// threshold, so the division is skipped for them.
			A := st.A[j]
			d := vp - A
			if d < 0 {
				d = -d
			}
			if d < A {
				psi[j] = c.gamma * (1 - d/A)
			} else {
				psi[j] = 0
			}
		}
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
	zhat := make([]float64, N)
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
			tp.psi[t*N+j] = steep * sig * (1 - sig)
			v[j] = c.alpha[j]*v[j] + c.decay[j]*slot[j] - A*sPrev[j]
			slot[j] = 0
			tp.v[t*N+j], tp.a[t*N+j] = v[j], A
			tp.spk = append(tp.spk, int32(j))
			tp.sval = append(tp.sval, s[j])
		}
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
