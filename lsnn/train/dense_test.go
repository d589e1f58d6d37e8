package train

// A dense-tensor implementation of the LSNN and its training loss, written as a user
// of a typical deep-learning framework would write it: every state is a [B, N]
// matrix over the whole batch, every synaptic delay d has its own dense weight matrix
// W^(d) (zero where no synapse of that delay exists), the input current of each step
// is sum_d X[t-d] W_in^(d) + S[t-d] W_rec^(d) by dense matrix products, and the
// backward pass is plain reverse-mode BPTT through the unrolled graph, with dense
// matrix products too. It shares no code with the event-driven trainer (tape.go,
// backward.go, loss.go), so it serves both as a differential check of that trainer
// (TestDenseMatchesSparse) and as a speed baseline (BenchmarkDenseIteration).
//
// Matrix products go through gonum's blas64, that is gonum's pure-Go BLAS. Two
// properties of that library matter for the timings:
//   - Its Dgemm splits a product into 64x64 blocks of the output and runs them on up
//     to GOMAXPROCS goroutines once there are at least 4 blocks, which holds here
//     ([B, 220] outputs). It is not a tuned BLAS (no packing, no register blocking).
//   - When the left operand is not transposed (or for A^T B), its kernels skip a
//     whole row update when the left element is exactly 0. Spikes and input spikes
//     are mostly 0, so S W_rec^(d), X W_in^(d), S^T dI and X^T dI profit from the
//     sparsity of the spikes inside the library; an OpenBLAS/MKL/cuBLAS GEMM would
//     not. The recurrent product of the backward pass, dI W_rec^(d)^T, has a dense
//     left operand and gets no such help.
//
// To be fair to the event-driven trainer, which spreads the batch over GOMAXPROCS
// goroutines, the batch is also split into GOMAXPROCS contiguous chunks run
// concurrently (data parallelism; the rate regulariser needs the firing rates of the
// whole batch, so all forward passes finish before any backward pass starts).

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
)

// denseModel is a network as a framework holds it: one dense matrix per delay.
type denseModel struct {
	N, nIn, nOut int
	win          []blas64.General // win[d], d = 0..max input delay: nIn x N
	wrec         []blas64.General // wrec[d], d = 1..max recurrent delay: N x N (wrec[0] is zero)
	wout         blas64.General   // N x nOut
	bout         []float64

	alpha, rho, beta, b0 []float64
	nref                 []int
	kappa, gamma         float64
}

func denseGeneral(r, c int) blas64.General {
	return blas64.General{Rows: r, Cols: c, Stride: c, Data: make([]float64, r*c)}
}

// denseView is the rows x cols matrix held row-major in d.
func denseView(rows, cols int, d []float64) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: d[:rows*cols]}
}

func newDenseModel(net *lsnn.Network, gamma float64) *denseModel {
	N, nIn, nOut := net.N(), net.NIn(), net.NOut()
	m := &denseModel{N: N, nIn: nIn, nOut: nOut, wout: denseGeneral(N, nOut),
		bout: append([]float64(nil), net.BOut...), gamma: gamma,
		alpha: make([]float64, N), rho: make([]float64, N), beta: make([]float64, N),
		b0: make([]float64, N), nref: make([]int, N)}
	m.win = make([]blas64.General, net.In.MaxDelayUsed()+1)
	for d := range m.win {
		m.win[d] = denseGeneral(nIn, N)
	}
	m.wrec = make([]blas64.General, max(net.Rec.MaxDelayUsed(), 1)+1)
	for d := range m.wrec {
		m.wrec[d] = denseGeneral(N, N)
	}
	for _, s := range net.In.Synapses() {
		m.win[s.Delay].Data[s.Pre*N+s.Post] = s.Weight
	}
	for _, s := range net.Rec.Synapses() {
		m.wrec[s.Delay].Data[s.Pre*N+s.Post] = s.Weight
	}
	for _, s := range net.Out.Synapses() {
		m.wout.Data[s.Pre*nOut+s.Post] = s.Weight
	}
	for j, nr := range net.Neurons {
		m.alpha[j] = math.Exp(-net.Dt / nr.TauM)
		if nr.TauA > 0 {
			m.rho[j] = math.Exp(-net.Dt / nr.TauA)
		}
		m.beta[j], m.b0[j], m.nref[j] = nr.Beta, nr.B0, nr.NRef
	}
	m.kappa = math.Exp(-net.Dt / net.TauOut)
	return m
}

// denseGrads are dL/dW^(d) for every delay's matrix, dL/dW_out and dL/db_out: what a
// framework's autodiff returns for the parameters of denseModel.
type denseGrads struct {
	in, rec []blas64.General
	out     blas64.General
	bout    []float64
}

func newDenseGrads(m *denseModel) *denseGrads {
	g := &denseGrads{in: make([]blas64.General, len(m.win)), rec: make([]blas64.General, len(m.wrec)),
		out: denseGeneral(m.N, m.nOut), bout: make([]float64, m.nOut)}
	for d := range g.in {
		g.in[d] = denseGeneral(m.nIn, m.N)
	}
	for d := range g.rec {
		g.rec[d] = denseGeneral(m.N, m.N)
	}
	return g
}

func (g *denseGrads) add(h *denseGrads) {
	sum := func(a, b []float64) {
		for k, v := range b {
			a[k] += v
		}
	}
	for d := range g.in {
		sum(g.in[d].Data, h.in[d].Data)
	}
	for d := range g.rec {
		sum(g.rec[d].Data, h.rec[d].Data)
	}
	sum(g.out.Data, h.out.Data)
	sum(g.bout, h.bout)
}

// flatten returns dL/dW_in (NIn x N) and dL/dW_rec (N x N) as dense row-major arrays,
// entry (i, j) read from the matrix of the delay that connection (i, j) has in
// delayIn or delayRec (same layouts; Params.Delay holds them for every potential
// connection). Entries whose delay has no matrix (beyond the network's largest delay,
// or recurrent delay 0) are 0.
func (g *denseGrads) flatten(delayIn, delayRec []uint16) (gin, grec []float64) {
	pick := func(ms []blas64.General, delay []uint16, rows, cols int, skip0 bool) []float64 {
		out := make([]float64, rows*cols)
		for k, d := range delay[:rows*cols] {
			if int(d) < len(ms) && !(skip0 && d == 0) {
				out[k] = ms[d].Data[k]
			}
		}
		return out
	}
	N := g.out.Rows
	return pick(g.in, delayIn, g.in[0].Rows, N, false), pick(g.rec, delayRec, N, N, true)
}

// denseChunk is the forward record and the gradients of a contiguous part of the
// batch, samples lo..hi-1; [t] arrays hold one [nb, width] matrix per step.
type denseChunk struct {
	lo, hi, T int
	lens      []int     // steps of each sample; steps beyond are padding
	x         []float64 // T x [nb, nIn] input spikes
	s, v, a   []float64 // T x [nb, N] spikes, membrane potentials, thresholds
	psi, zhat []float64 // T x [nb, N] pseudo-derivatives, filtered spikes
	y, gy     []float64 // T x [nb, nOut] readouts and dL/dy

	cur, badapt []float64 // [nb, N] scratch: I[t]; b[t]
	refr        []int

	gI                         []float64 // R x [nb, N] ring of dL/dI[t]
	gv, gvNext, gbNext, gz, gs []float64

	counts  []float64 // spikes per neuron, padding excluded
	loss    float64   // summed cross-entropy of the chunk's windows
	correct int
	g       *denseGrads
}

// denseGrow returns s resized to n and zeroed.
func denseGrow[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// denseWork keeps the chunks between calls, as a framework keeps its allocator warm.
type denseWork struct {
	chunks []*denseChunk
}

// denseResult is what one dense forward and backward pass over a batch gives.
type denseResult struct {
	Loss     float64 // mean cross-entropy per window plus the rate regulariser
	RateLoss float64
	Correct  int
	Rate     float64 // mean spikes per neuron per step
	G        *denseGrads

	Forward, Backward time.Duration
	model             *denseModel
	chunks            []*denseChunk
}

// spikes returns sample b's spike raster.
func (r *denseResult) spikes(b int) lsnn.Raster {
	N := r.model.N
	for _, c := range r.chunks {
		if b < c.lo || b >= c.hi {
			continue
		}
		nb := c.hi - c.lo
		out := lsnn.NewRaster(c.lens[b-c.lo], N)
		for t := 0; t < out.T; t++ {
			row := c.s[(t*nb+b-c.lo)*N:]
			for j := 0; j < N; j++ {
				if row[j] != 0 {
					out.Set(t, j)
				}
			}
		}
		return out
	}
	panic(fmt.Sprintf("dense: no sample %d", b))
}

// denseLossGrad computes, with dense batched tensors, the loss of StepOn for net on
// batch (cross-entropy of the windows' mean readouts, averaged over the batch's
// windows, plus rateReg * sum_j (rbar_j - rateTarget)^2 with rbar_j the spikes of
// neuron j per step over the whole batch) and its gradient by BPTT with the
// pseudo-derivative gamma * max(0, 1 - |v[t-1] - A[t]| / A[t]), zero while
// refractory. workers <= 0 means GOMAXPROCS chunks.
func denseLossGrad(net *lsnn.Network, batch []tasks.Sample, rateReg, rateTarget, gamma float64, workers int) (*denseResult, error) {
	return (&denseWork{}).lossGrad(net, batch, rateReg, rateTarget, gamma, workers)
}

func (w *denseWork) lossGrad(net *lsnn.Network, batch []tasks.Sample, rateReg, rateTarget, gamma float64, workers int) (*denseResult, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	m := newDenseModel(net, gamma)
	B := len(batch)
	sumT, windows := 0, 0
	for b, s := range batch {
		if s.Input.W != m.nIn || len(s.Input.Bits) != s.Input.T*s.Input.W {
			return nil, fmt.Errorf("dense: sample %d has %d channels, network %d", b, s.Input.W, m.nIn)
		}
		for _, win := range s.Windows {
			if win.Start < 0 || win.End > s.Input.T || win.Start >= win.End || win.Label < 0 || win.Label >= m.nOut {
				return nil, fmt.Errorf("dense: sample %d: bad window %+v", b, win)
			}
		}
		sumT += s.Input.T
		windows += len(s.Windows)
	}
	if sumT == 0 || windows == 0 {
		return nil, fmt.Errorf("dense: batch has no steps or no scored windows")
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, B))
	for len(w.chunks) < workers {
		w.chunks = append(w.chunks, &denseChunk{})
	}
	chunks := w.chunks[:workers]
	for k, c := range chunks {
		c.lo, c.hi = k*B/workers, (k+1)*B/workers
	}
	res := &denseResult{model: m, chunks: chunks, G: newDenseGrads(m)}
	each := func(f func(c *denseChunk)) {
		var wg sync.WaitGroup
		for _, c := range chunks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f(c)
			}()
		}
		wg.Wait()
	}

	t0 := time.Now()
	each(func(c *denseChunk) { m.forward(c, batch) })
	// The regulariser's gradient: dL/ds_j[t] is the same for every sample and step.
	reg := make([]float64, m.N)
	var spikes float64
	for j := range reg {
		n := 0.0
		for _, c := range chunks {
			n += c.counts[j]
		}
		spikes += n
		d := n/float64(sumT) - rateTarget
		res.RateLoss += rateReg * d * d
		reg[j] = 2 * rateReg * d / float64(sumT)
	}
	res.Rate = spikes / float64(sumT) / float64(m.N)
	res.Forward = time.Since(t0)

	t0 = time.Now()
	each(func(c *denseChunk) {
		m.loss(c, batch, 1/float64(windows))
		m.backward(c, reg)
	})
	for _, c := range chunks {
		res.G.add(c.g)
		res.Loss += c.loss
		res.Correct += c.correct
	}
	res.Loss = res.Loss/float64(windows) + res.RateLoss
	res.Backward = time.Since(t0)
	return res, nil
}

const (
	denseNoT = blas.NoTrans
	denseT   = blas.Trans
)

// forward runs the chunk's samples through the network and records what BPTT needs.
func (m *denseModel) forward(c *denseChunk, batch []tasks.Sample) {
	N, nIn, nOut := m.N, m.nIn, m.nOut
	nb := c.hi - c.lo
	c.lens = denseGrow(c.lens, nb)
	T := 0
	for b := range c.lens {
		c.lens[b] = batch[c.lo+b].Input.T
		T = max(T, c.lens[b])
	}
	c.T = T
	c.x = denseGrow(c.x, T*nb*nIn)
	for b := 0; b < nb; b++ {
		r := batch[c.lo+b].Input
		for t := 0; t < r.T; t++ {
			dst := c.x[(t*nb+b)*nIn : (t*nb+b+1)*nIn]
			for i, bit := range r.Row(t) {
				if bit != 0 {
					dst[i] = 1
				}
			}
		}
	}
	sz := nb * N
	c.s, c.v, c.a = denseGrow(c.s, T*sz), denseGrow(c.v, T*sz), denseGrow(c.a, T*sz)
	c.psi, c.zhat = denseGrow(c.psi, T*sz), denseGrow(c.zhat, T*sz)
	c.y = denseGrow(c.y, T*nb*nOut)
	c.cur, c.badapt, c.refr = denseGrow(c.cur, sz), denseGrow(c.badapt, sz), denseGrow(c.refr, sz)
	c.counts = denseGrow(c.counts, N)
	cur, badapt, refr := c.cur, c.badapt, c.refr
	X := func(t int) blas64.General { return denseView(nb, nIn, c.x[t*nb*nIn:]) }
	S := func(t int) blas64.General { return denseView(nb, N, c.s[t*sz:]) }
	I := denseView(nb, N, cur)
	zeroState := make([]float64, sz)

	for t := 0; t < T; t++ {
		// I[t] = sum_d X[t-d] W_in^(d) + sum_d S[t-d] W_rec^(d)
		clear(cur)
		for d := range m.win {
			if t-d >= 0 {
				blas64.Gemm(denseNoT, denseNoT, 1, X(t-d), m.win[d], 1, I)
			}
		}
		for d := 1; d < len(m.wrec); d++ {
			if t-d >= 0 {
				blas64.Gemm(denseNoT, denseNoT, 1, S(t-d), m.wrec[d], 1, I)
			}
		}
		sPrev, vPrev, zPrev := zeroState, zeroState, zeroState
		if t > 0 {
			sPrev, vPrev, zPrev = c.s[(t-1)*sz:t*sz], c.v[(t-1)*sz:t*sz], c.zhat[(t-1)*sz:t*sz]
		}
		st, vt, at := c.s[t*sz:(t+1)*sz], c.v[t*sz:(t+1)*sz], c.a[t*sz:(t+1)*sz]
		pt, zt := c.psi[t*sz:(t+1)*sz], c.zhat[t*sz:(t+1)*sz]
		for b := 0; b < nb; b++ {
			live := t < c.lens[b]
			for j := 0; j < N; j++ {
				k := b*N + j
				sp, vp := sPrev[k], vPrev[k]
				bj := m.rho[j]*badapt[k] + (1-m.rho[j])*sp
				A := m.b0[j] + m.beta[j]*bj
				spike, psi := 0.0, 0.0
				if refr[k] > 0 {
					refr[k]--
				} else {
					if vp > A {
						spike = 1
						refr[k] = m.nref[j]
					}
					psi = m.gamma * math.Max(0, 1-math.Abs(vp-A)/A)
				}
				badapt[k], at[k], st[k], pt[k] = bj, A, spike, psi
				vt[k] = m.alpha[j]*vp + (1-m.alpha[j])*cur[k] - A*sp
				zt[k] = m.kappa*zPrev[k] + (1-m.kappa)*spike
				if live {
					c.counts[j] += spike
				}
			}
		}
		// y[t] = zhat[t] W_out + b_out
		yt := c.y[t*nb*nOut : (t+1)*nb*nOut]
		for b := 0; b < nb; b++ {
			copy(yt[b*nOut:], m.bout)
		}
		blas64.Gemm(denseNoT, denseNoT, 1, denseView(nb, N, zt), m.wout, 1, denseView(nb, nOut, yt))
	}
}

// loss is the softmax cross-entropy of each window's mean readout; it sets c.gy to
// scale x its gradient.
func (m *denseModel) loss(c *denseChunk, batch []tasks.Sample, scale float64) {
	nb, nOut := c.hi-c.lo, m.nOut
	c.gy = denseGrow(c.gy, c.T*nb*nOut)
	c.loss, c.correct = 0, 0
	mean := make([]float64, nOut)
	for b := 0; b < nb; b++ {
		for _, w := range batch[c.lo+b].Windows {
			clear(mean)
			for t := w.Start; t < w.End; t++ {
				yt := c.y[(t*nb+b)*nOut : (t*nb+b+1)*nOut]
				for k, y := range yt {
					mean[k] += y
				}
			}
			n := float64(w.End - w.Start)
			hi, arg := math.Inf(-1), 0
			for k := range mean {
				mean[k] /= n
				if mean[k] > hi {
					hi, arg = mean[k], k
				}
			}
			if arg == w.Label {
				c.correct++
			}
			z := 0.0
			for _, l := range mean {
				z += math.Exp(l - hi)
			}
			lse := hi + math.Log(z)
			c.loss += lse - mean[w.Label]
			for k := range mean {
				p := math.Exp(mean[k] - lse)
				if k == w.Label {
					p--
				}
				p *= scale / n
				for t := w.Start; t < w.End; t++ {
					c.gy[(t*nb+b)*nOut+k] += p
				}
			}
		}
	}
}

// backward is reverse-mode BPTT over the chunk's unrolled graph. Going back from
// t = T-1, with gv = dL/dv[t], gvNext = dL/dv[t+1], gbNext = dL/db[t+1]:
//
//	gz[t]   = gy[t] W_out^T + kappa gz[t+1]               (gz = dL/dzhat)
//	gI[t]   = (1-alpha) gv[t]
//	gs[t]   = reg + (1-kappa) gz[t] + sum_d gI[t+d] W_rec^(d)^T
//	          + (1-rho) gbNext - A[t+1] gvNext
//	gu      = gs[t] psi[t]                                  (u = (v[t-1]-A[t])/A[t])
//	gA[t]   = -gu v[t-1]/A[t]^2 - gv[t] s[t-1]
//	gb[t]   = rho gbNext + beta gA[t]
//	gv[t-1] = alpha gv[t] + gu / A[t]
//
// and dL/dW_in^(d) += X[t-d]^T gI[t], dL/dW_rec^(d) += S[t-d]^T gI[t],
// dL/dW_out += zhat[t]^T gy[t], dL/db_out += sum_b gy[t].
func (m *denseModel) backward(c *denseChunk, reg []float64) {
	N, nIn, nOut := m.N, m.nIn, m.nOut
	nb, T := c.hi-c.lo, c.T
	sz := nb * N
	R := len(m.wrec) // dL/dI is needed up to the largest recurrent delay ahead
	c.gI = denseGrow(c.gI, R*sz)
	c.gv, c.gvNext, c.gbNext = denseGrow(c.gv, sz), denseGrow(c.gvNext, sz), denseGrow(c.gbNext, sz)
	c.gz, c.gs = denseGrow(c.gz, sz), denseGrow(c.gs, sz)
	if c.g == nil || len(c.g.in) != len(m.win) || len(c.g.rec) != len(m.wrec) ||
		c.g.out.Rows != N || c.g.out.Cols != nOut || c.g.in[0].Rows != nIn {
		c.g = newDenseGrads(m)
	} else {
		for _, g := range append(append([]blas64.General{c.g.out}, c.g.in...), c.g.rec...) {
			clear(g.Data)
		}
		clear(c.g.bout)
	}
	g := c.g
	gv, gvNext, gbNext, gs := c.gv, c.gvNext, c.gbNext, c.gs
	X := func(t int) blas64.General { return denseView(nb, nIn, c.x[t*nb*nIn:]) }
	S := func(t int) blas64.General { return denseView(nb, N, c.s[t*sz:]) }
	GI := func(t int) blas64.General { return denseView(nb, N, c.gI[(t%R)*sz:]) }
	gz := denseView(nb, N, c.gz)

	for t := T - 1; t >= 0; t-- {
		gyt := denseView(nb, nOut, c.gy[t*nb*nOut:])
		blas64.Gemm(denseNoT, denseT, 1, gyt, m.wout, m.kappa, gz)
		blas64.Gemm(denseT, denseNoT, 1, denseView(nb, N, c.zhat[t*sz:]), gyt, 1, g.out)
		for b := 0; b < nb; b++ {
			for k, v := range gyt.Data[b*nOut : (b+1)*nOut] {
				g.bout[k] += v
			}
		}
		gIt := c.gI[(t%R)*sz : (t%R+1)*sz]
		for b := 0; b < nb; b++ {
			for j := 0; j < N; j++ {
				gIt[b*N+j] = (1 - m.alpha[j]) * gv[b*N+j]
			}
		}
		// gs = reg + (1-kappa) gz + sum_d gI[t+d] W_rec^(d)^T + ...
		for b := 0; b < nb; b++ {
			live := t < c.lens[b]
			for j := 0; j < N; j++ {
				k := b*N + j
				gs[k] = (1 - m.kappa) * c.gz[k]
				if live {
					gs[k] += reg[j]
				}
			}
		}
		G := denseView(nb, N, gs)
		for d := 1; d < R; d++ {
			if t+d < T {
				blas64.Gemm(denseNoT, denseT, 1, GI(t+d), m.wrec[d], 1, G)
			}
		}
		var Anext, sPrev, vPrev []float64
		if t+1 < T {
			Anext = c.a[(t+1)*sz : (t+2)*sz]
		}
		if t > 0 {
			sPrev, vPrev = c.s[(t-1)*sz:t*sz], c.v[(t-1)*sz:t*sz]
		}
		At, pt := c.a[t*sz:(t+1)*sz], c.psi[t*sz:(t+1)*sz]
		for b := 0; b < nb; b++ {
			for j := 0; j < N; j++ {
				k := b*N + j
				gsk := gs[k] + (1-m.rho[j])*gbNext[k]
				if Anext != nil {
					gsk -= Anext[k] * gvNext[k]
				}
				gu := gsk * pt[k]
				A := At[k]
				var sp, vp float64
				if t > 0 {
					sp, vp = sPrev[k], vPrev[k]
				}
				gA := -gu*vp/(A*A) - gv[k]*sp
				gbNext[k] = m.rho[j]*gbNext[k] + m.beta[j]*gA
				gvNext[k] = gv[k]
				gv[k] = m.alpha[j]*gv[k] + gu/A
			}
		}
		for d := range m.win {
			if t-d >= 0 {
				blas64.Gemm(denseT, denseNoT, 1, X(t-d), GI(t), 1, g.in[d])
			}
		}
		for d := 1; d < R; d++ {
			if t-d >= 0 {
				blas64.Gemm(denseT, denseNoT, 1, S(t-d), GI(t), 1, g.rec[d])
			}
		}
	}
}

// denseSparseReference is the event-driven trainer's loss and gradient for net on batch,
// computed exactly as StepOn does (tapes by recordSpiking, the batch's firing rates,
// windowLoss, backward), serially.
func denseSparseReference(net *lsnn.Network, batch []tasks.Sample, cfg Config) (float64, *grads, []*tape, error) {
	sim, err := lsnn.NewSimulator(net)
	if err != nil {
		return 0, nil, nil, err
	}
	c := newConsts(net, cfg.Gamma)
	N := net.N()
	st := sim.NewState()
	last := make([]int, N)
	tapes := make([]*tape, len(batch))
	sumT, windows := 0, 0
	counts := make([]int64, N)
	for b, s := range batch {
		tapes[b] = &tape{}
		tapes[b].recordSpiking(st, s.Input, c, last)
		for _, j := range tapes[b].spk {
			counts[j]++
		}
		sumT += s.Input.T
		windows += len(s.Windows)
	}
	reg := make([]float64, N)
	var rateLoss, loss float64
	for j, n := range counts {
		d := float64(n)/float64(sumT) - cfg.RateTarget
		rateLoss += cfg.RateReg * d * d
		reg[j] = 2 * cfg.RateReg * d / float64(sumT)
	}
	total := newGrads(net)
	var bs backScratch
	for b, tp := range tapes {
		gy := make([]float64, tp.T*net.NOut())
		l, _ := windowLoss(tp.y, net.NOut(), batch[b].Windows, 1/float64(windows), gy)
		loss += l
		g := newGrads(net)
		backward(net, c, tp, gy, reg, g, &bs)
		total.add(g)
	}
	return loss/float64(windows) + rateLoss, total, tapes, nil
}

// denseTruncate cuts a sample to its first T steps, keeping the windows that still fit.
func denseTruncate(s tasks.Sample, T int) tasks.Sample {
	x := lsnn.Raster{T: T, W: s.Input.W, Bits: append([]uint8(nil), s.Input.Bits[:T*s.Input.W]...)}
	out := tasks.Sample{Input: x}
	for _, w := range s.Windows {
		if w.End <= T {
			out.Windows = append(out.Windows, w)
		}
	}
	return out
}

// TestDenseMatchesSparse holds the event-driven trainer and the dense implementation
// together: same spikes, same loss, same gradient at every synapse of the network.
func TestDenseMatchesSparse(t *testing.T) {
	task := shortStoreRecall(t)
	noDale := smallConfig()
	noDale.ExcitatoryFraction, noDale.NRef, noDale.Connectivity, noDale.Seed = 0, 0, 0.5, 11
	cases := []struct {
		name     string
		cfg      Config
		unequalT bool // samples of different lengths in one batch
	}{
		{"small", smallConfig(), false},
		{"no-dale-nref0-ragged", noDale, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			trn, err := New(tc.cfg, task)
			if err != nil {
				t.Fatal(err)
			}
			trn.Cfg.RateReg = 1      // a regulariser large enough to matter in the gradient
			for i := 0; i < 3; i++ { // move away from the initial weights
				if _, err := trn.Step(); err != nil {
					t.Fatal(err)
				}
			}
			cfg := trn.Cfg
			batch := task.TrainBatch(cfg.Seed, 1000, cfg.Batch)
			if tc.unequalT {
				for b := range batch {
					if b%3 == 1 {
						batch[b] = denseTruncate(batch[b], batch[b].Input.T-37*b)
					}
				}
			}
			net, lay := trn.P.build()
			want, sg, tapes, err := denseSparseReference(net, batch, cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := denseLossGrad(net, batch, cfg.RateReg, cfg.RateTarget, cfg.Gamma, 2)
			if err != nil {
				t.Fatal(err)
			}

			// Spikes.
			nspk := 0
			for b, tp := range tapes {
				ref := lsnn.NewRaster(tp.T, net.N())
				for s := 0; s < tp.T; s++ {
					for _, j := range tp.spikes(s) {
						ref.Set(s, int(j))
					}
				}
				nspk += ref.Count()
				r := got.spikes(b)
				if r.T != ref.T || string(r.Bits) != string(ref.Bits) {
					t.Fatalf("sample %d: dense and sparse spikes differ", b)
				}
			}
			if nspk == 0 {
				t.Fatal("no spikes: the comparison would be empty")
			}

			// Loss, against the helper and against StepOn itself.
			if d := math.Abs(got.Loss - want); d > 1e-12*math.Abs(want) {
				t.Errorf("loss: dense %.15g, sparse %.15g", got.Loss, want)
			}
			st, err := trn.StepOn(batch)
			if err != nil {
				t.Fatal(err)
			}
			if d := math.Abs(got.Loss - st.Loss); d > 1e-12*math.Abs(st.Loss) {
				t.Errorf("loss: dense %.15g, StepOn %.15g", got.Loss, st.Loss)
			}

			// Gradients at every synapse of the network. Params lay W_in and W_rec out
			// row-major, so the parameter index of a synapse is its dense position.
			gin, grec := got.G.flatten(trn.P.Delay[:trn.P.offRec()], trn.P.Delay[trn.P.offRec():trn.P.offOut()])
			worst := 0.0
			cmp := func(name string, idx []int, off int, dense, sparse []float64) {
				scale := 0.0
				for _, v := range sparse {
					scale = math.Max(scale, math.Abs(v))
				}
				if scale == 0 {
					t.Errorf("%s: every gradient is zero: the comparison is empty", name)
				}
				for n, k := range idx {
					a, b := dense[k-off], sparse[n]
					// relative to the entry, with a floor at 1e-6 of the largest entry
					// for entries that cancel almost to zero
					rel := math.Abs(a-b) / math.Max(math.Abs(b), 1e-6*scale)
					worst = math.Max(worst, rel)
					if rel > 1e-9 {
						t.Errorf("%s synapse %d (parameter %d): dense %.15g, sparse %.15g", name, n, k, a, b)
					}
				}
			}
			cmp("w_in", lay.in, 0, gin, sg.in)
			cmp("w_rec", lay.rec, trn.P.offRec(), grec, sg.rec)
			cmp("w_out", lay.out, trn.P.offOut(), got.G.out.Data, sg.out)
			bidx := make([]int, net.NOut())
			for k := range bidx {
				bidx[k] = k
			}
			cmp("b_out", bidx, 0, got.G.bout, sg.bout)
			t.Logf("%d spikes, rate %.4f, loss %.6f; largest relative gradient difference %.3g",
				nspk, got.Rate, got.Loss, worst)
		})
	}
}

// BenchmarkDenseIteration times the dense implementation on the sMNIST set-up of
// BenchmarkSMNISTIteration, on the same batches: forward, loss and backward to the
// gradient of every W^(d), W_out and b_out. It excludes the optimizer step (Adam and
// DEEP R take under 1% of an iteration of the event-driven trainer). Between
// iterations, outside the timed region, the event-driven trainer steps on the same
// batch, so both benchmarks train the same weights on the same batches and see the
// same spikes. The batch is split over GOMAXPROCS goroutines, and gonum's Dgemm also
// runs blocks of each product on up to GOMAXPROCS goroutines.
func BenchmarkDenseIteration(b *testing.B) {
	task := smnistTask(b)
	for _, batch := range []int{64, 256} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			trn, err := New(smnistConfig(batch), task)
			if err != nil {
				b.Fatal(err)
			}
			cfg := trn.Cfg
			var work denseWork
			var fwd, bwd, rate float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				samples := task.TrainBatch(cfg.Seed, i, cfg.Batch)
				net, _ := trn.P.build()
				res, err := work.lossGrad(net, samples, cfg.RateReg, cfg.RateTarget, cfg.Gamma, 0)
				if err != nil {
					b.Fatal(err)
				}
				fwd += res.Forward.Seconds()
				bwd += res.Backward.Seconds()
				rate = res.Rate
				// Untimed: the event-driven trainer's step on the same batch, which
				// checks the loss at full scale and moves the weights as
				// BenchmarkSMNISTIteration's do, so that iteration i of both
				// benchmarks sees the same network, batch and spikes.
				b.StopTimer()
				st, err := trn.StepOn(samples)
				if err != nil {
					b.Fatal(err)
				}
				if d := math.Abs(res.Loss - st.Loss); d > 1e-9*math.Abs(st.Loss) {
					b.Errorf("iteration %d: loss: dense %.15g, sparse %.15g", i, res.Loss, st.Loss)
				}
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(1000*fwd/n, "ms-forward/op")
			b.ReportMetric(1000*bwd/n, "ms-backward/op")
			b.ReportMetric(rate, "spikes/neuron/step")
		})
	}
}
