package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/snnc/snnc/lsnn"
)

type inspectCmd struct {
	Model string `arg:"" help:"Model file (model.bin or .npz)." type:"existingfile"`
	JSON  bool   `help:"Print the report as JSON."`
}

type matrixReport struct {
	Name       string       `json:"name"`
	Rows       int          `json:"rows"`
	Cols       int          `json:"cols"`
	Synapses   int          `json:"synapses"`
	Density    float64      `json:"density"`
	Delays     []delayCount `json:"delays,omitempty"`
	Weight     summary      `json:"weight"`
	Excitatory int          `json:"excitatory_synapses"`
	Inhibitory int          `json:"inhibitory_synapses"`
}

type delayCount struct {
	Delay int `json:"delay"`
	Count int `json:"count"`
}

type summary struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
}

type inspectReport struct {
	Model        string            `json:"model"`
	DtMs         float64           `json:"dt_ms"`
	TauOutMs     float64           `json:"tau_out_ms"`
	Inputs       int               `json:"inputs"`
	Neurons      int               `json:"neurons"`
	Readouts     int               `json:"readouts"`
	LIF          int               `json:"lif"`
	ALIF         int               `json:"alif"`
	Excitatory   int               `json:"excitatory_neurons"`
	Inhibitory   int               `json:"inhibitory_neurons"`
	InputsE      int               `json:"excitatory_inputs"`
	InputsI      int               `json:"inhibitory_inputs"`
	Synapses     int               `json:"synapses"`
	Connectivity float64           `json:"connectivity"`
	Matrices     []matrixReport    `json:"matrices"`
	TauM         summary           `json:"tau_m_ms"`
	TauA         *summary          `json:"tau_a_ms,omitempty"`
	Beta         *summary          `json:"beta,omitempty"`
	B0           summary           `json:"b0"`
	NRef         summary           `json:"n_ref_steps"`
	Meta         map[string]string `json:"meta,omitempty"`
}

func (c *inspectCmd) Run(e *env) error {
	net, err := lsnn.LoadFile(c.Model)
	if err != nil {
		return err
	}
	r := describe(c.Model, net)
	if c.JSON {
		return printJSON(e.stdout, r)
	}
	r.print(e.stdout)
	return nil
}

func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	s := summary{Min: xs[0], Max: xs[0]}
	for _, x := range xs {
		s.Min, s.Max = min(s.Min, x), max(s.Max, x)
		s.Mean += x
	}
	s.Mean /= float64(len(xs))
	return s
}

func describe(path string, net *lsnn.Network) inspectReport {
	r := inspectReport{Model: path, DtMs: net.Dt, TauOutMs: net.TauOut, Inputs: net.NIn(),
		Neurons: net.N(), Readouts: net.NOut(), Meta: net.Meta}
	var tauM, tauA, beta, b0, nref []float64
	for _, n := range net.Neurons {
		if n.IsALIF() {
			r.ALIF++
			tauA = append(tauA, n.TauA)
			beta = append(beta, n.Beta)
		} else {
			r.LIF++
		}
		tauM = append(tauM, n.TauM)
		b0 = append(b0, n.B0)
		nref = append(nref, float64(n.NRef))
	}
	r.TauM, r.B0, r.NRef = summarize(tauM), summarize(b0), summarize(nref)
	if len(tauA) > 0 {
		a, b := summarize(tauA), summarize(beta)
		r.TauA, r.Beta = &a, &b
	}
	for _, s := range net.SignRec {
		if s > 0 {
			r.Excitatory++
		} else {
			r.Inhibitory++
		}
	}
	for _, s := range net.SignIn {
		if s > 0 {
			r.InputsE++
		} else {
			r.InputsI++
		}
	}
	potential := 0
	for _, m := range []struct {
		name string
		m    *lsnn.Matrix
		diag bool
	}{{"w_in", &net.In, false}, {"w_rec", &net.Rec, true}, {"w_out", &net.Out, false}} {
		mr := matrixReport{Name: m.name, Rows: m.m.Rows, Cols: m.m.Cols, Synapses: m.m.NNZ(), Weight: summarize(m.m.Weight)}
		cells := m.m.Rows * m.m.Cols
		if m.diag {
			cells -= m.m.Rows
		}
		if cells > 0 {
			mr.Density = float64(mr.Synapses) / float64(cells)
		}
		potential += cells
		for _, w := range m.m.Weight {
			if w > 0 {
				mr.Excitatory++
			} else if w < 0 {
				mr.Inhibitory++
			}
		}
		if m.m.Delay != nil {
			hist := map[int]int{}
			for _, d := range m.m.Delay {
				hist[int(d)]++
			}
			for _, d := range slices.Sorted(maps.Keys(hist)) {
				mr.Delays = append(mr.Delays, delayCount{d, hist[d]})
			}
		}
		r.Synapses += mr.Synapses
		r.Matrices = append(r.Matrices, mr)
	}
	if potential > 0 {
		r.Connectivity = float64(r.Synapses) / float64(potential)
	}
	return r
}

func (r inspectReport) print(w io.Writer) {
	fmt.Fprintf(w, "model %s\n", r.Model)
	fmt.Fprintf(w, "  %d inputs, %d recurrent neurons (%d LIF, %d ALIF), %d readouts; dt %.4g ms, tau_out %.4g ms\n",
		r.Inputs, r.Neurons, r.LIF, r.ALIF, r.Readouts, r.DtMs, r.TauOutMs)
	if r.Excitatory+r.Inhibitory > 0 {
		fmt.Fprintf(w, "  Dale's law: %d excitatory + %d inhibitory neurons, %d + %d input channels\n",
			r.Excitatory, r.Inhibitory, r.InputsE, r.InputsI)
	} else {
		fmt.Fprintf(w, "  no E/I signs\n")
	}
	fmt.Fprintf(w, "  %d synapses, %.2f%% of all possible connections\n\n", r.Synapses, 100*r.Connectivity)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "matrix\tshape\tsynapses\tdensity\t+\t-\tweight min\tmean\tmax\t\n")
	for _, m := range r.Matrices {
		fmt.Fprintf(tw, "%s\t%dx%d\t%d\t%.2f%%\t%d\t%d\t%.4g\t%.4g\t%.4g\t\n", m.Name, m.Rows, m.Cols, m.Synapses,
			100*m.Density, m.Excitatory, m.Inhibitory, m.Weight.Min, m.Weight.Mean, m.Weight.Max)
	}
	tw.Flush()
	for _, m := range r.Matrices {
		if len(m.Delays) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s delays (steps: synapses):", m.Name)
		for _, d := range m.Delays {
			fmt.Fprintf(w, " %d:%d", d.Delay, d.Count)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	line := func(name string, s summary, unit string) {
		if s.Min == s.Max {
			fmt.Fprintf(w, "  %-8s %.4g%s\n", name, s.Min, unit)
		} else {
			fmt.Fprintf(w, "  %-8s %.4g .. %.4g%s (mean %.4g)\n", name, s.Min, s.Max, unit, s.Mean)
		}
	}
	line("tau_m", r.TauM, " ms")
	if r.TauA != nil {
		line("tau_a", *r.TauA, " ms (ALIF)")
		line("beta", *r.Beta, " (ALIF)")
	}
	line("b0", r.B0, "")
	line("n_ref", r.NRef, " steps")
	if len(r.Meta) > 0 {
		fmt.Fprintln(w)
		for _, k := range slices.Sorted(maps.Keys(r.Meta)) {
			fmt.Fprintf(w, "  %s: %s\n", k, r.Meta[k])
		}
	}
}
