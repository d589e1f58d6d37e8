package lsnn

import (
	"fmt"
	"math"
	"sort"
)

// Limits that bound what a model may ask of a simulator or a chip. They keep a hostile
// file from making a reader or the simulator allocate without bound.
const (
	MaxDelay      = 1023    // largest synaptic delay, in steps
	MaxRefractory = 1023    // largest refractory period, in steps
	MaxNeurons    = 1 << 24 // recurrent neurons, input channels or readouts
)

// Neuron holds the parameters of one recurrent neuron. Beta = 0 makes it a plain LIF
// neuron; Beta > 0 gives it an adaptive threshold with time constant TauA.
type Neuron struct {
	TauM float64 // membrane time constant, ms
	TauA float64 // threshold-adaptation time constant, ms (unused when Beta = 0)
	Beta float64 // adaptation strength
	B0   float64 // baseline threshold
	NRef int     // refractory period, steps
}

// IsALIF reports whether the neuron has an adaptive threshold.
func (n Neuron) IsALIF() bool { return n.Beta != 0 }

// Matrix is a sparse weight matrix in compressed sparse row form. Rows are presynaptic
// (input channels or neurons), columns postsynaptic, so that a spike reads one
// contiguous row. Within a row, columns are strictly increasing.
type Matrix struct {
	Rows, Cols int
	RowStart   []int     // len Rows+1; row i is [RowStart[i], RowStart[i+1])
	Col        []int32   // postsynaptic index of each synapse
	Weight     []float64 // weight of each synapse
	Delay      []uint16  // delay of each synapse in steps; nil for the readout
}

// Network is a float LSNN: NIn input channels, N recurrent neurons and NOut leaky
// readouts. The zero value is not valid; build one and call Validate.
type Network struct {
	Dt      float64  // time step, ms
	TauOut  float64  // readout time constant, ms
	Neurons []Neuron // the N recurrent neurons
	In      Matrix   // NIn x N input weights, with delays >= 0
	Rec     Matrix   // N x N recurrent weights, zero diagonal, delays >= 1
	Out     Matrix   // N x NOut readout weights, no delays
	BOut    []float64
	SignIn  []int8 // nil, or +1/-1 per input channel (Dale's law)
	SignRec []int8 // nil, or +1/-1 per recurrent neuron (Dale's law)

	// Meta is free-form provenance (task, seed, iterations, accuracy) that model.bin
	// keeps; it does not affect simulation.
	Meta map[string]string
}

// NIn is the number of input channels.
func (n *Network) NIn() int { return n.In.Rows }

// N is the number of recurrent neurons.
func (n *Network) N() int { return len(n.Neurons) }

// NOut is the number of readouts.
func (n *Network) NOut() int { return n.Out.Cols }

// Synapse is one entry of a matrix in coordinate form.
type Synapse struct {
	Pre, Post int
	Weight    float64
	Delay     int
}

// NNZ is the number of synapses held.
func (m *Matrix) NNZ() int { return len(m.Col) }

// Row returns the postsynaptic indices, weights and delays of row i. The delays slice
// is nil when the matrix has none. The slices alias the matrix.
func (m *Matrix) Row(i int) (cols []int32, w []float64, d []uint16) {
	a, b := m.RowStart[i], m.RowStart[i+1]
	if m.Delay != nil {
		d = m.Delay[a:b]
	}
	return m.Col[a:b], m.Weight[a:b], d
}

// At returns the weight and delay of synapse (i, j), and whether it exists.
func (m *Matrix) At(i, j int) (w float64, d int, ok bool) {
	cols, ws, ds := m.Row(i)
	k := sort.Search(len(cols), func(k int) bool { return int(cols[k]) >= j })
	if k == len(cols) || int(cols[k]) != j {
		return 0, 0, false
	}
	if ds != nil {
		d = int(ds[k])
	}
	return ws[k], d, true
}

// Synapses lists the matrix in coordinate form, row by row.
func (m *Matrix) Synapses() []Synapse {
	out := make([]Synapse, 0, m.NNZ())
	for i := 0; i < m.Rows; i++ {
		for k := m.RowStart[i]; k < m.RowStart[i+1]; k++ {
			s := Synapse{Pre: i, Post: int(m.Col[k]), Weight: m.Weight[k]}
			if m.Delay != nil {
				s.Delay = int(m.Delay[k])
			}
			out = append(out, s)
		}
	}
	return out
}

// NewMatrix builds a rows x cols matrix from synapses in any order. withDelay says
// whether the matrix keeps delays. It fails on an index out of range, a delay that
// does not fit, or a synapse given twice.
func NewMatrix(rows, cols int, syn []Synapse, withDelay bool) (Matrix, error) {
	if rows < 0 || cols < 0 || rows > MaxNeurons || cols > MaxNeurons {
		return Matrix{}, fmt.Errorf("lsnn: matrix shape %dx%d out of range", rows, cols)
	}
	s := make([]Synapse, len(syn))
	copy(s, syn)
	sort.SliceStable(s, func(a, b int) bool {
		if s[a].Pre != s[b].Pre {
			return s[a].Pre < s[b].Pre
		}
		return s[a].Post < s[b].Post
	})
	m := Matrix{Rows: rows, Cols: cols, RowStart: make([]int, rows+1),
		Col: make([]int32, len(s)), Weight: make([]float64, len(s))}
	if withDelay {
		m.Delay = make([]uint16, len(s))
	}
	for k, e := range s {
		if e.Pre < 0 || e.Pre >= rows || e.Post < 0 || e.Post >= cols {
			return Matrix{}, fmt.Errorf("lsnn: synapse (%d,%d) outside a %dx%d matrix", e.Pre, e.Post, rows, cols)
		}
		if k > 0 && s[k-1].Pre == e.Pre && s[k-1].Post == e.Post {
			return Matrix{}, fmt.Errorf("lsnn: synapse (%d,%d) given twice", e.Pre, e.Post)
		}
		if withDelay {
			if e.Delay < 0 || e.Delay > math.MaxUint16 {
				return Matrix{}, fmt.Errorf("lsnn: synapse (%d,%d): delay %d out of range", e.Pre, e.Post, e.Delay)
			}
			m.Delay[k] = uint16(e.Delay)
		}
		m.RowStart[e.Pre+1]++
		m.Col[k] = int32(e.Post)
		m.Weight[k] = e.Weight
	}
	for i := 0; i < rows; i++ {
		m.RowStart[i+1] += m.RowStart[i]
	}
	return m, nil
}

// MatrixFromDense builds a matrix from a dense rows x cols weight array w (row-major),
// keeping every nonzero weight. d, when not nil, holds the delays in the same layout.
func MatrixFromDense(rows, cols int, w []float64, d []int) (Matrix, error) {
	if len(w) != rows*cols || (d != nil && len(d) != rows*cols) {
		return Matrix{}, fmt.Errorf("lsnn: dense %dx%d matrix needs %d values", rows, cols, rows*cols)
	}
	var syn []Synapse
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			if v := w[i*cols+j]; v != 0 {
				s := Synapse{Pre: i, Post: j, Weight: v}
				if d != nil {
					s.Delay = d[i*cols+j]
				}
				syn = append(syn, s)
			}
		}
	}
	return NewMatrix(rows, cols, syn, d != nil)
}

// Dense returns the weights as a dense row-major rows x cols array, and the delays
// likewise (nil when the matrix has none).
func (m *Matrix) Dense() (w []float64, d []int) {
	w = make([]float64, m.Rows*m.Cols)
	if m.Delay != nil {
		d = make([]int, m.Rows*m.Cols)
	}
	for i := 0; i < m.Rows; i++ {
		for k := m.RowStart[i]; k < m.RowStart[i+1]; k++ {
			w[i*m.Cols+int(m.Col[k])] = m.Weight[k]
			if d != nil {
				d[i*m.Cols+int(m.Col[k])] = int(m.Delay[k])
			}
		}
	}
	return w, d
}

// Density is the fraction of the rows x cols possible synapses that are present.
func (m *Matrix) Density() float64 {
	if m.Rows == 0 || m.Cols == 0 {
		return 0
	}
	return float64(m.NNZ()) / (float64(m.Rows) * float64(m.Cols))
}

// MaxDelayUsed is the largest delay in the matrix (0 when it has none).
func (m *Matrix) MaxDelayUsed() int {
	mx := 0
	for _, d := range m.Delay {
		if int(d) > mx {
			mx = int(d)
		}
	}
	return mx
}

// Clone returns a deep copy of the network.
func (n *Network) Clone() *Network {
	c := *n
	c.Neurons = append([]Neuron(nil), n.Neurons...)
	c.In, c.Rec, c.Out = n.In.clone(), n.Rec.clone(), n.Out.clone()
	c.BOut = append([]float64(nil), n.BOut...)
	if n.SignIn != nil {
		c.SignIn = append([]int8(nil), n.SignIn...)
	}
	if n.SignRec != nil {
		c.SignRec = append([]int8(nil), n.SignRec...)
	}
	if n.Meta != nil {
		c.Meta = make(map[string]string, len(n.Meta))
		for k, v := range n.Meta {
			c.Meta[k] = v
		}
	}
	return &c
}

func (m Matrix) clone() Matrix {
	m.RowStart = append([]int(nil), m.RowStart...)
	m.Col = append([]int32(nil), m.Col...)
	m.Weight = append([]float64(nil), m.Weight...)
	if m.Delay != nil {
		m.Delay = append([]uint16(nil), m.Delay...)
	}
	return m
}
