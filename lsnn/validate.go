package lsnn

import (
	"fmt"
	"math"
	"strings"
)

// ValidationError lists every problem Validate found, each naming the neuron,
// channel or synapse concerned.
type ValidationError struct {
	Problems []string
}

// maxListed bounds how many problems Error spells out; Problems keeps them all.
const maxListed = 40

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lsnn: invalid network (%d problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString(")")
	for i, p := range e.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Problems)-maxListed)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	return b.String()
}

type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate checks the network and reports every problem at once as a
// *ValidationError, or returns nil.
func (n *Network) Validate() error {
	var p problems
	if !(n.Dt > 0) || !finite(n.Dt) {
		p.add("dt = %v ms: must be positive and finite", n.Dt)
	}
	if !(n.TauOut > 0) || !finite(n.TauOut) {
		p.add("tau_out = %v ms: must be positive and finite", n.TauOut)
	}
	N := len(n.Neurons)
	if N == 0 {
		p.add("network has no recurrent neurons")
	}
	if N > MaxNeurons {
		p.add("%d recurrent neurons: at most %d", N, MaxNeurons)
	}
	for j, nr := range n.Neurons {
		if !(nr.TauM > 0) || !finite(nr.TauM) {
			p.add("neuron %d: tau_m = %v ms: must be positive and finite", j, nr.TauM)
		}
		if !(nr.Beta >= 0) || !finite(nr.Beta) {
			p.add("neuron %d: beta = %v: must be >= 0 and finite", j, nr.Beta)
		}
		if nr.Beta != 0 && (!(nr.TauA > 0) || !finite(nr.TauA)) {
			p.add("neuron %d: tau_a = %v ms: an ALIF neuron needs a positive, finite adaptation time constant", j, nr.TauA)
		}
		if nr.Beta == 0 && (!(nr.TauA >= 0) || !finite(nr.TauA)) {
			p.add("neuron %d: tau_a = %v ms: must be >= 0 and finite", j, nr.TauA)
		}
		if !(nr.B0 > 0) || !finite(nr.B0) {
			p.add("neuron %d: b0 = %v: the baseline threshold must be positive and finite", j, nr.B0)
		}
		if nr.NRef < 0 || nr.NRef > MaxRefractory {
			p.add("neuron %d: n_ref = %d steps: must be in 0..%d", j, nr.NRef, MaxRefractory)
		}
	}
	nIn := n.In.Rows
	if nIn > MaxNeurons {
		p.add("%d input channels: at most %d", nIn, MaxNeurons)
	}
	if n.Out.Cols > MaxNeurons {
		p.add("%d readouts: at most %d", n.Out.Cols, MaxNeurons)
	}
	if n.SignIn != nil && len(n.SignIn) != nIn {
		p.add("sign_in has %d entries, want one per input channel (%d)", len(n.SignIn), nIn)
	}
	if n.SignRec != nil && len(n.SignRec) != N {
		p.add("sign_rec has %d entries, want one per neuron (%d)", len(n.SignRec), N)
	}
	checkSigns(&p, "sign_in", "input channel", n.SignIn)
	checkSigns(&p, "sign_rec", "neuron", n.SignRec)
	n.In.check(&p, matrixRule{name: "w_in", pre: "input channel", rows: nIn, cols: N, delays: true, minDelay: 0, sign: n.SignIn})
	n.Rec.check(&p, matrixRule{name: "w_rec", pre: "neuron", rows: N, cols: N, delays: true, minDelay: 1, noDiag: true, sign: n.SignRec})
	n.Out.check(&p, matrixRule{name: "w_out", pre: "neuron", rows: N, cols: n.Out.Cols, sign: n.SignRec})
	if len(n.BOut) != n.Out.Cols {
		p.add("b_out has %d entries, want one per readout (%d)", len(n.BOut), n.Out.Cols)
	}
	for k, b := range n.BOut {
		if !finite(b) {
			p.add("b_out[%d] = %v: must be finite", k, b)
		}
	}
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

func checkSigns(p *problems, name, what string, s []int8) {
	for i, v := range s {
		if v != 1 && v != -1 {
			p.add("%s: %s %d has sign %d, want +1 or -1", name, what, i, v)
		}
	}
}

type matrixRule struct {
	name, pre  string
	rows, cols int
	delays     bool
	minDelay   int
	noDiag     bool
	sign       []int8
}

func (m *Matrix) check(p *problems, r matrixRule) {
	if m.Rows != r.rows || m.Cols != r.cols {
		p.add("%s: shape %dx%d, want %dx%d", r.name, m.Rows, m.Cols, r.rows, r.cols)
		return
	}
	nnz := len(m.Col)
	if len(m.RowStart) != m.Rows+1 || m.RowStart[0] != 0 || m.RowStart[m.Rows] != nnz {
		p.add("%s: row index is malformed (%d row starts for %d rows and %d synapses)", r.name, len(m.RowStart), m.Rows, nnz)
		return
	}
	if len(m.Weight) != nnz {
		p.add("%s: %d weights for %d synapses", r.name, len(m.Weight), nnz)
		return
	}
	if r.delays && len(m.Delay) != nnz {
		p.add("%s: %d delays for %d synapses", r.name, len(m.Delay), nnz)
		return
	}
	if !r.delays && m.Delay != nil {
		p.add("%s: has delays, but this matrix takes none", r.name)
		return
	}
	signOK := r.sign != nil && len(r.sign) == m.Rows
	for i := 0; i < m.Rows; i++ {
		a, b := m.RowStart[i], m.RowStart[i+1]
		if a > b || b > nnz {
			p.add("%s: row %d has a malformed extent [%d,%d)", r.name, i, a, b)
			return
		}
		for k := a; k < b; k++ {
			j := int(m.Col[k])
			if j < 0 || j >= m.Cols {
				p.add("%s: %s %d: target %d out of range 0..%d", r.name, r.pre, i, j, m.Cols-1)
				continue
			}
			if k > a && m.Col[k] <= m.Col[k-1] {
				p.add("%s: %s %d: targets not strictly increasing at %d", r.name, r.pre, i, j)
			}
			w := m.Weight[k]
			if !finite(w) {
				p.add("%s[%d,%d] = %v: weight must be finite", r.name, i, j, w)
			}
			if r.noDiag && i == j {
				p.add("%s[%d,%d]: self-connection", r.name, i, j)
			}
			if signOK && (r.sign[i] == 1 && w < 0 || r.sign[i] == -1 && w > 0) {
				p.add("%s[%d,%d] = %g: sign against Dale's law (%s %d is %s)", r.name, i, j, w, r.pre, i, signWord(r.sign[i]))
			}
			if r.delays {
				if d := int(m.Delay[k]); d < r.minDelay || d > MaxDelay {
					p.add("%s[%d,%d]: delay %d steps out of range %d..%d", r.name, i, j, d, r.minDelay, MaxDelay)
				}
			}
		}
	}
}

func signWord(s int8) string {
	if s > 0 {
		return "excitatory"
	}
	return "inhibitory"
}
