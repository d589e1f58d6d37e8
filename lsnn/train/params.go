package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/snnc/snnc/lsnn"
)

// Params are the trainable state of a network under DEEP R: one parameter, sign and
// delay per potential connection, laid out as W_in (NIn x N, row-major), then W_rec
// (N x N; the diagonal is never active), then W_out (N x NOut), and the readout bias.
type Params struct {
	cfg   Config
	Theta []float64 // > 0: active, weight = Sign * Theta
	Sign  []int8
	Delay []uint16 // W_in and W_rec only; 0 for W_out
	BOut  []float64
	K     int // the number of active connections, held by every step

	SignIn, SignRec []int8 // per presynaptic channel or neuron; nil without Dale's law
}

func (p *Params) offRec() int { return p.cfg.NIn * p.cfg.N() }
func (p *Params) offOut() int { return p.offRec() + p.cfg.N()*p.cfg.N() }

// size is the number of potential connections, diagonal included.
func (p *Params) size() int { return p.offOut() + p.cfg.N()*p.cfg.NOut }

// potential reports whether connection k may ever be active (not on W_rec's diagonal).
func (p *Params) potential(k int) bool {
	N := p.cfg.N()
	if k >= p.offRec() && k < p.offOut() {
		r := k - p.offRec()
		return r/N != r%N
	}
	return true
}

// matrixOf returns which matrix (0 in, 1 rec, 2 out) holds connection k.
func (p *Params) matrixOf(k int) int {
	switch {
	case k < p.offRec():
		return 0
	case k < p.offOut():
		return 1
	}
	return 2
}

// Init draws a network as lsnn.md's set-up does: E/I signs for channels and neurons,
// a fixed random delay per potential connection, exactly round(Connectivity x size)
// active connections in each matrix with |N(0,1)|/sqrt(rows) parameters, inhibitory
// parameters scaled so that each matrix's total excitation equals its total inhibition.
func Init(cfg Config) (*Params, error) {
	cfg = cfg.Defaults()
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x1417))
	N := cfg.N()
	p := &Params{cfg: cfg}
	n := p.size()
	p.Theta = make([]float64, n)
	p.Sign = make([]int8, n)
	p.Delay = make([]uint16, n)
	p.BOut = make([]float64, cfg.NOut)
	sign := func() int8 {
		if rng.Float64() < cfg.ExcitatoryFraction {
			return 1
		}
		return -1
	}
	if cfg.ExcitatoryFraction > 0 {
		p.SignIn = make([]int8, cfg.NIn)
		p.SignRec = make([]int8, N)
		for i := range p.SignIn {
			p.SignIn[i] = sign()
		}
		for i := range p.SignRec {
			p.SignRec[i] = sign()
		}
	}
	type block struct {
		off, rows, cols int
		signs           []int8
		delay           [2]int
	}
	blocks := []block{
		{0, cfg.NIn, N, p.SignIn, cfg.DelayIn},
		{p.offRec(), N, N, p.SignRec, cfg.DelayRec},
		{p.offOut(), N, cfg.NOut, p.SignRec, [2]int{0, 0}},
	}
	for _, b := range blocks {
		var cand []int
		for r := 0; r < b.rows; r++ {
			for c := 0; c < b.cols; c++ {
				k := b.off + r*b.cols + c
				if b.signs != nil {
					p.Sign[k] = b.signs[r]
				} else if rng.IntN(2) == 0 {
					p.Sign[k] = 1
				} else {
					p.Sign[k] = -1
				}
				p.Delay[k] = uint16(b.delay[0] + rng.IntN(b.delay[1]-b.delay[0]+1))
				p.Theta[k] = -1
				if p.potential(k) {
					cand = append(cand, k)
				}
			}
		}
		m := int(math.Round(cfg.Connectivity * float64(len(cand))))
		rng.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
		var sumE, sumI float64
		for _, k := range cand[:m] {
			p.Theta[k] = math.Abs(rng.NormFloat64()) / math.Sqrt(float64(b.rows))
			if p.Sign[k] > 0 {
				sumE += p.Theta[k]
			} else {
				sumI += p.Theta[k]
			}
		}
		if b.signs != nil && sumI > 0 && sumE > 0 {
			for _, k := range cand[:m] {
				if p.Sign[k] < 0 {
					p.Theta[k] *= sumE / sumI
				}
			}
		}
		p.K += m
	}
	return p, nil
}

// Active is the number of active connections.
func (p *Params) Active() int {
	n := 0
	for _, t := range p.Theta {
		if t > 0 {
			n++
		}
	}
	return n
}

// layout maps the synapses of a built network back to parameter indices.
type layout struct {
	in, rec, out []int // CSR position -> parameter index
}

// Network builds the float network that the parameters stand for.
func (p *Params) Network() *lsnn.Network {
	net, _ := p.build()
	return net
}

func (p *Params) build() (*lsnn.Network, layout) {
	cfg := p.cfg
	N := cfg.N()
	net := &lsnn.Network{Dt: cfg.Dt, TauOut: cfg.TauOut, Neurons: make([]lsnn.Neuron, N),
		BOut: append([]float64(nil), p.BOut...)}
	for j := range net.Neurons {
		nr := lsnn.Neuron{TauM: cfg.TauM, B0: cfg.B0, NRef: cfg.NRef}
		if j >= cfg.NLIF {
			nr.TauA, nr.Beta = cfg.TauA, cfg.Beta
		}
		net.Neurons[j] = nr
	}
	if p.SignIn != nil {
		net.SignIn = append([]int8(nil), p.SignIn...)
		net.SignRec = append([]int8(nil), p.SignRec...)
	}
	var lay layout
	net.In, lay.in = p.csr(0, cfg.NIn, N, true)
	net.Rec, lay.rec = p.csr(p.offRec(), N, N, true)
	net.Out, lay.out = p.csr(p.offOut(), N, cfg.NOut, false)
	net.Meta = map[string]string{
		"trained_by":   "snnc train",
		"task":         cfg.Task,
		"seed":         strconv.FormatUint(cfg.Seed, 10),
		"connectivity": strconv.FormatFloat(float64(p.K)/float64(p.potentialCount()), 'f', 4, 64),
	}
	return net, lay
}

func (p *Params) potentialCount() int {
	return p.size() - p.cfg.N()
}

func (p *Params) csr(off, rows, cols int, withDelay bool) (lsnn.Matrix, []int) {
	m := lsnn.Matrix{Rows: rows, Cols: cols, RowStart: make([]int, rows+1)}
	var idx []int
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			k := off + r*cols + c
			if p.Theta[k] > 0 {
				m.Col = append(m.Col, int32(c))
				m.Weight = append(m.Weight, float64(p.Sign[k])*p.Theta[k])
				if withDelay {
					m.Delay = append(m.Delay, p.Delay[k])
				}
				idx = append(idx, k)
			}
		}
		m.RowStart[r+1] = len(m.Col)
	}
	if m.Col == nil {
		m.Col, m.Weight = []int32{}, []float64{}
	}
	if withDelay && m.Delay == nil {
		m.Delay = []uint16{}
	}
	return m, idx
}

// check verifies the DEEP R invariants; tests call it after every step.
func (p *Params) check() error {
	if a := p.Active(); a != p.K {
		return fmt.Errorf("train: %d active connections, budget %d", a, p.K)
	}
	for k, t := range p.Theta {
		if t > 0 && !p.potential(k) {
			return fmt.Errorf("train: self-connection %d is active", k)
		}
		if math.IsNaN(t) {
			return fmt.Errorf("train: parameter %d is NaN", k)
		}
	}
	return nil
}
