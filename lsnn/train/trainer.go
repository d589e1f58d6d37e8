package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/snnc/snnc/internal/parallel"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
)

// Adam's constants, as in the paper's TensorFlow set-up.
const (
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
	// reactivated connections start just above zero, as in DEEP R.
	rebornTheta = 1e-12
	rewireSalt  = 0x5eed_deeb_0000_0001
)

// Trainer holds a run: the parameters, Adam's moments and the iteration count. Its
// exported state is all that a checkpoint keeps.
type Trainer struct {
	Cfg  Config
	P    *Params
	Iter int // iterations completed
	// Elapsed is the wall time spent in Step so far, in seconds; it does not affect
	// the result.
	Elapsed float64

	m, v   []float64 // Adam moments per potential connection
	mb, vb []float64 // and for the readout bias

	task    tasks.Task
	Workers int     // goroutines over a batch; 0 means GOMAXPROCS
	tapes   []*tape // one per sample of a batch, reused between iterations
}

// Stats describe one iteration.
type Stats struct {
	Iter     int     // the iteration just completed, counted from 1
	Loss     float64 // cross-entropy per window plus the rate regulariser
	RateLoss float64
	Accuracy float64 // windows answered right in the batch
	Rate     float64 // mean spikes per neuron per step
	Rewired  int     // connections reactivated by DEEP R
	LR       float64

	Forward, Backward, Update time.Duration
}

// New starts a run of cfg on task. cfg's sizes of input and output are taken from the
// task.
func New(cfg Config, task tasks.Task) (*Trainer, error) {
	cfg.NIn, cfg.NOut = task.NIn(), task.NOut()
	if cfg.Task == "" {
		cfg.Task = task.Name()
	}
	p, err := Init(cfg)
	if err != nil {
		return nil, err
	}
	n := p.size()
	return &Trainer{Cfg: p.cfg, P: p, m: make([]float64, n), v: make([]float64, n),
		mb: make([]float64, cfg.NOut), vb: make([]float64, cfg.NOut), task: task}, nil
}

// SetTask attaches the task to a trainer restored from a checkpoint.
func (tr *Trainer) SetTask(task tasks.Task) error {
	if task.NIn() != tr.Cfg.NIn || task.NOut() != tr.Cfg.NOut {
		return fmt.Errorf("train: task %s has %d inputs and %d outputs, the checkpoint %d and %d",
			task.Name(), task.NIn(), task.NOut(), tr.Cfg.NIn, tr.Cfg.NOut)
	}
	tr.task = task
	return nil
}

// Network is the network the parameters stand for now, with the run's provenance.
func (tr *Trainer) Network() *lsnn.Network {
	net := tr.P.Network()
	net.Meta["iterations"] = strconv.Itoa(tr.Iter)
	net.Meta["batch"] = strconv.Itoa(tr.Cfg.Batch)
	return net
}

// Step trains one iteration on the task's batch of this iteration.
func (tr *Trainer) Step() (Stats, error) {
	if tr.task == nil {
		return Stats{}, fmt.Errorf("train: no task attached")
	}
	batch := tr.task.TrainBatch(tr.Cfg.Seed, tr.Iter, tr.Cfg.Batch)
	return tr.StepOn(batch)
}

// StepOn trains one iteration on the given batch.
func (tr *Trainer) StepOn(batch []tasks.Sample) (Stats, error) {
	cfg := tr.Cfg
	st := Stats{Iter: tr.Iter + 1, LR: cfg.LearningRate(tr.Iter)}
	net, lay := tr.P.build()
	sim, err := lsnn.NewSimulator(net)
	if err != nil {
		return st, fmt.Errorf("train: iteration %d: %w", tr.Iter, err)
	}
	c := newConsts(net, cfg.Gamma)
	N, B := net.N(), len(batch)
	W := min(parallel.Workers(tr.Workers), B)
	sumT, windows := 0, 0
	for _, s := range batch {
		if s.Input.W != cfg.NIn {
			return st, fmt.Errorf("train: sample has %d channels, network %d", s.Input.W, cfg.NIn)
		}
		sumT += s.Input.T
		windows += len(s.Windows)
	}
	if sumT == 0 || windows == 0 {
		return st, fmt.Errorf("train: batch has no steps or no scored windows")
	}

	// Phase 1: the forward pass of every sample, kept on tapes; the regulariser's
	// gradient needs the firing rates of the whole batch before any backward pass.
	t0 := time.Now()
	for len(tr.tapes) < B {
		tr.tapes = append(tr.tapes, &tape{})
	}
	type scratch struct {
		st   *lsnn.State
		bs   backScratch
		last []int
		gy   []float64
	}
	scr := make([]*scratch, W)
	for w := range scr {
		scr[w] = &scratch{st: sim.NewState(), last: make([]int, N)}
	}
	parallel.For(B, W, func(w, b int) {
		tr.tapes[b].recordSpiking(scr[w].st, batch[b].Input, c, scr[w].last)
	})
	reg := make([]float64, N)
	counts := make([]int64, N)
	var spikes int64
	for b := 0; b < B; b++ {
		for _, j := range tr.tapes[b].spk {
			counts[j]++
		}
	}
	for j, n := range counts {
		spikes += n
		rbar := float64(n) / float64(sumT)
		d := rbar - cfg.RateTarget
		st.RateLoss += cfg.RateReg * d * d
		reg[j] = 2 * cfg.RateReg * d / float64(sumT)
	}
	st.Rate = float64(spikes) / float64(sumT) / float64(N)
	st.Forward = time.Since(t0)

	// Phase 2: the backward pass of every sample.
	t0 = time.Now()
	per := make([]*grads, B)
	losses := make([]float64, B)
	corrects := make([]int, B)
	parallel.For(B, W, func(w, b int) {
		s, tp := scr[w], tr.tapes[b]
		n := tp.T * net.NOut()
		if cap(s.gy) < n {
			s.gy = make([]float64, n)
		}
		gy := s.gy[:n]
		clear(gy)
		losses[b], corrects[b] = windowLoss(tp.y, net.NOut(), batch[b].Windows, 1/float64(windows), gy)
		g := newGrads(net)
		backward(net, c, tp, gy, reg, g, &s.bs)
		per[b] = g
	})
	total := newGrads(net)
	correct := 0
	for b := 0; b < B; b++ {
		total.add(per[b])
		st.Loss += losses[b]
		correct += corrects[b]
	}
	st.Loss = st.Loss/float64(windows) + st.RateLoss
	st.Accuracy = float64(correct) / float64(windows)
	st.Backward = time.Since(t0)

	t0 = time.Now()
	st.Rewired = tr.update(total, lay)
	st.Update = time.Since(t0)
	tr.Iter++
	tr.Elapsed += (st.Forward + st.Backward + st.Update).Seconds()
	return st, nil
}

// update applies Adam to the active parameters and the readout bias, then DEEP R:
// l1 shrinkage, dormancy of parameters that crossed zero, random reactivation back to
// the budget. It returns the number of connections reactivated.
func (tr *Trainer) update(g *grads, lay layout) int {
	cfg, p := tr.Cfg, tr.P
	lr := cfg.LearningRate(tr.Iter)
	step := float64(tr.Iter + 1)
	lrT := lr * math.Sqrt(1-math.Pow(adamBeta2, step)) / (1 - math.Pow(adamBeta1, step))
	adam := func(theta, m, v *float64, grad float64) {
		*m = adamBeta1**m + (1-adamBeta1)*grad
		*v = adamBeta2**v + (1-adamBeta2)*grad*grad
		*theta -= lrT * *m / (math.Sqrt(*v) + adamEps)
	}
	for _, part := range []struct {
		idx []int
		g   []float64
	}{{lay.in, g.in}, {lay.rec, g.rec}, {lay.out, g.out}} {
		for n, k := range part.idx {
			adam(&p.Theta[k], &tr.m[k], &tr.v[k], float64(p.Sign[k])*part.g[n])
			p.Theta[k] -= lr * cfg.L1
		}
	}
	for k := range p.BOut {
		adam(&p.BOut[k], &tr.mb[k], &tr.vb[k], g.bout[k])
	}
	// Connections whose parameter crossed zero go dormant and lose their state.
	active := 0
	var dormant [3]int
	for k, t := range p.Theta {
		if t > 0 {
			active++
			continue
		}
		tr.m[k], tr.v[k] = 0, 0
		if p.potential(k) {
			dormant[p.matrixOf(k)]++
		}
	}
	need := p.K - active
	if need <= 0 {
		return 0
	}
	rng := rand.New(rand.NewPCG(cfg.Seed^rewireSalt, uint64(tr.Iter)))
	bounds := [4]int{0, p.offRec(), p.offOut(), p.size()}
	for r := 0; r < need; r++ {
		// Pick a matrix in proportion to its size, among those with a dormant slot.
		var weights [3]float64
		var sum float64
		for m := 0; m < 3; m++ {
			if dormant[m] > 0 {
				weights[m] = float64(bounds[m+1] - bounds[m])
				sum += weights[m]
			}
		}
		u := rng.Float64() * sum
		m := 0
		for m < 2 && (weights[m] == 0 || u >= weights[m]) {
			u -= weights[m]
			m++
		}
		for weights[m] == 0 { // u rounded onto an empty last matrix
			m--
		}
		for {
			k := bounds[m] + rng.IntN(bounds[m+1]-bounds[m])
			if p.Theta[k] <= 0 && p.potential(k) {
				p.Theta[k] = rebornTheta
				dormant[m]--
				break
			}
		}
	}
	return need
}
