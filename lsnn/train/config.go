package train

import (
	"fmt"
	"math"
)

// Config describes a network to train and how to train it. The zero values of the
// optional fields take the defaults of lsnn.md (see Defaults).
type Config struct {
	Task string // recorded in the model's provenance

	NIn, NOut   int // input channels and readouts (from the task)
	NLIF, NALIF int // recurrent neurons of each kind

	Dt, TauM, TauA, TauOut float64 // ms
	Beta, B0               float64
	NRef                   int

	// Connectivity is the fraction of all potential connections of W_in, W_rec (off
	// the diagonal) and W_out that are active: one global DEEP R budget.
	Connectivity float64
	// Input delays are drawn uniformly from DelayIn[0]..DelayIn[1], recurrent ones from
	// DelayRec[0]..DelayRec[1] (>= 1), once per potential connection; never trained.
	DelayIn, DelayRec [2]int
	// ExcitatoryFraction of neurons and input channels are excitatory (Dale's law);
	// 0 disables Dale's law and gives every potential connection a random fixed sign.
	ExcitatoryFraction float64

	Batch      int
	Iters      int
	LR         float64 // Adam learning rate
	LRDecay    float64 // multiplied into LR every LRDecayEvery iterations
	DecayEvery int
	RateTarget float64 // spikes per step
	RateReg    float64 // weight of the firing-rate regulariser
	L1         float64 // DEEP R l1 shrinkage of active parameters, per unit of LR
	Gamma      float64 // pseudo-derivative amplitude

	Seed uint64
}

// Defaults fills the zero fields of c with lsnn.md's values for the LSNN sMNIST
// set-up, except the sizes.
func (c Config) Defaults() Config {
	def := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Dt, 1)
	def(&c.TauM, 20)
	def(&c.TauA, 700)
	def(&c.TauOut, 20)
	def(&c.Beta, 1.8)
	def(&c.B0, 0.01)
	def(&c.Connectivity, 0.12)
	def(&c.LR, 0.01)
	def(&c.LRDecay, 0.8)
	def(&c.RateTarget, 0.01)
	def(&c.RateReg, 0.1)
	def(&c.L1, 0.01)
	def(&c.Gamma, 0.3)
	if c.DecayEvery == 0 {
		c.DecayEvery = 2500
	}
	if c.DelayIn == [2]int{} {
		c.DelayIn = [2]int{0, 9}
	}
	if c.DelayRec == [2]int{} {
		c.DelayRec = [2]int{1, 10}
	}
	if c.Batch == 0 {
		c.Batch = 256
	}
	return c
}

// N is the number of recurrent neurons.
func (c Config) N() int { return c.NLIF + c.NALIF }

// Check reports the first problem of a configuration, naming the field.
func (c Config) Check() error {
	pos := func(name string, v float64) error {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("train: %s = %v: must be positive", name, v)
		}
		return nil
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"dt", c.Dt}, {"tau_m", c.TauM}, {"tau_a", c.TauA}, {"tau_out", c.TauOut},
		{"b0", c.B0}, {"lr", c.LR}, {"lr decay", c.LRDecay}, {"gamma", c.Gamma}} {
		if err := pos(f.name, f.v); err != nil {
			return err
		}
	}
	switch {
	case c.NIn <= 0 || c.NOut <= 0:
		return fmt.Errorf("train: task has %d inputs and %d outputs", c.NIn, c.NOut)
	case c.NLIF < 0 || c.NALIF < 0 || c.N() < 2:
		return fmt.Errorf("train: %d LIF + %d ALIF neurons: need at least 2", c.NLIF, c.NALIF)
	case !(c.Connectivity > 0 && c.Connectivity <= 1):
		return fmt.Errorf("train: connectivity %v: must be in (0, 1]", c.Connectivity)
	case c.DelayIn[0] < 0 || c.DelayIn[1] < c.DelayIn[0]:
		return fmt.Errorf("train: input delays %d..%d: need 0 <= min <= max", c.DelayIn[0], c.DelayIn[1])
	case c.DelayRec[0] < 1 || c.DelayRec[1] < c.DelayRec[0]:
		return fmt.Errorf("train: recurrent delays %d..%d: need 1 <= min <= max", c.DelayRec[0], c.DelayRec[1])
	case c.DelayIn[1] > 1023 || c.DelayRec[1] > 1023:
		return fmt.Errorf("train: delays above 1023 steps")
	case c.NRef < 0 || c.NRef > 1023:
		return fmt.Errorf("train: n_ref = %d: must be in 0..1023", c.NRef)
	case c.ExcitatoryFraction < 0 || c.ExcitatoryFraction > 1:
		return fmt.Errorf("train: excitatory fraction %v: must be in [0, 1]", c.ExcitatoryFraction)
	case c.Batch <= 0:
		return fmt.Errorf("train: batch %d: must be positive", c.Batch)
	case c.DecayEvery <= 0:
		return fmt.Errorf("train: learning-rate decay interval %d: must be positive", c.DecayEvery)
	case c.Beta < 0 || c.RateReg < 0 || c.L1 < 0 || c.RateTarget < 0:
		return fmt.Errorf("train: beta, rate regularisation, l1 and rate target must be >= 0")
	}
	return nil
}

// LearningRate is the Adam step size at iteration iter.
func (c Config) LearningRate(iter int) float64 {
	return c.LR * math.Pow(c.LRDecay, float64(iter/c.DecayEvery))
}
