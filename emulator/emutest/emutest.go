// Package emutest is the differential suite that holds the emulator, the compiler and
// quant's golden simulator together: a network is quantized and run by the golden
// simulator, compiled into an image and run by the emulator in fast and in cycle
// mode, and the three must give identical spikes and readout outputs. It also checks
// that the two modes count the same operations and that the energy report adds up.
//
// It lives in its own package because the emulator may not import lsnn, quant or the
// compiler; its tests (emutest_test.go) run the suite on random networks for every
// target and on the shipped sMNIST model.
package emutest

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/quant"
	"github.com/snnc/snnc/targets"
)

// Outcome is what one comparison ran, for the tests' logs.
type Outcome struct {
	Cores  int
	Spikes int64
	Fast   []emulator.Result
	Cycle  []emulator.Result
	Em     *emulator.Emulator
}

// Compare compiles net for tg, runs xs through the golden simulator and through the
// emulator in both modes, and returns an error naming the first difference: a spike,
// a readout value, a functional counter of the two modes, or an energy report that
// does not add up.
func Compare(net *lsnn.Network, tg *targets.Target, xs []lsnn.Raster, opt compiler.Options) (*Outcome, error) {
	qn, _, err := quant.Quantize(net, tg)
	if err != nil {
		return nil, err
	}
	golden, err := quant.Simulate(qn, xs, quant.Options{Workers: 1})
	if err != nil {
		return nil, err
	}
	img, _, err := compiler.Compile(net, tg, opt)
	if err != nil {
		return nil, err
	}
	em, err := emulator.New(img, tg)
	if err != nil {
		return nil, err
	}
	in := make([]emulator.Input, len(xs))
	for b, x := range xs {
		in[b] = emulator.Input{T: x.T, NIn: x.W, Bits: x.Bits}
	}
	out := &Outcome{Cores: len(em.Cores()), Em: em}
	for _, mode := range []emulator.Mode{emulator.Fast, emulator.Cycle} {
		res, err := em.Run(in, emulator.Options{Mode: mode, Record: true})
		if err != nil {
			return nil, fmt.Errorf("%s mode: %w", mode, err)
		}
		for b := range res {
			if err := same(&golden[b], &res[b], qn); err != nil {
				return nil, fmt.Errorf("%s mode, sample %d: %w", mode, b, err)
			}
		}
		if err := AddsUp(em.Report(res, mode)); err != nil {
			return nil, fmt.Errorf("%s mode: %w", mode, err)
		}
		if mode == emulator.Fast {
			out.Fast = res
		} else {
			out.Cycle = res
		}
	}
	for b := range out.Fast {
		for c := range out.Fast[b].Cores {
			f, y := out.Fast[b].Cores[c].Functional(), out.Cycle[b].Cores[c].Functional()
			if f != y {
				return nil, fmt.Errorf("sample %d, core position %d: fast mode counts %+v, cycle mode %+v", b, c, f, y)
			}
		}
		if f, y := out.Fast[b].Host.Functional(), out.Cycle[b].Host.Functional(); f != y {
			return nil, fmt.Errorf("sample %d, host: fast mode counts %+v, cycle mode %+v", b, f, y)
		}
		out.Spikes += out.Fast[b].Total().Spikes
		if err := SessionSame(em, in[b], &out.Fast[b]); err != nil {
			return nil, fmt.Errorf("sample %d: %w", b, err)
		}
	}
	return out, nil
}

// SessionSame runs x step by step through an emulator Session, as a board does, and
// checks that every step's spikes, readout outputs and the final counters equal the
// fast-mode result r of the same input.
func SessionSame(em *emulator.Emulator, x emulator.Input, r *emulator.Result) error {
	ss := em.NewSession()
	for t := 0; t <= x.T; t++ {
		var st emulator.Step
		var err error
		if t < x.T {
			st, err = ss.Step(x.Bits[t*x.NIn : (t+1)*x.NIn])
		} else {
			st, err = ss.Flush()
		}
		if err != nil {
			return fmt.Errorf("session: %w", err)
		}
		if t < x.T {
			var want []int32
			for j, b := range r.Spikes[t*r.N : (t+1)*r.N] {
				if b != 0 {
					want = append(want, int32(j))
				}
			}
			if fmt.Sprint(st.Spikes) != fmt.Sprint(want) {
				return fmt.Errorf("session: step %d spikes %v, Run gives %v", t, st.Spikes, want)
			}
		}
		if t >= 1 {
			want := r.Readout[(t-1)*r.NOut : t*r.NOut]
			if fmt.Sprint(st.Readout) != fmt.Sprint(want) {
				return fmt.Errorf("session: step %d readout %v, Run gives %v", t, st.Readout, want)
			}
		}
	}
	if got, want := ss.Counters(), r.Total(); got != want {
		return fmt.Errorf("session: counters %+v, Run counts %+v", got, want)
	}
	if _, err := ss.Step(make([]uint8, x.NIn)); err == nil {
		return fmt.Errorf("session: a step after the flush was accepted")
	}
	return nil
}

// same compares one sample's emulation with the golden trace.
func same(g *quant.Trace, r *emulator.Result, qn *quant.Network) error {
	N, nOut := qn.N(), qn.NOut()
	if r.T != g.Spikes.T || r.N != N || r.NOut != nOut {
		return fmt.Errorf("shape %d x %d neurons, %d readouts; golden %d x %d, %d", r.T, r.N, r.NOut, g.Spikes.T, N, nOut)
	}
	for t := 0; t < r.T; t++ {
		for j := 0; j < N; j++ {
			if (r.Spikes[t*N+j] != 0) != (g.Spikes.Bits[t*N+j] != 0) {
				return fmt.Errorf("step %d, neuron %d: emulator spike %d, golden %d (V %d vs %d, A %d vs %d)", t, j,
					r.Spikes[t*N+j], g.Spikes.Bits[t*N+j], r.Voltage[t*N+j], vAt(g.Voltage, t*N+j), r.Threshold[t*N+j], vAt(g.Threshold, t*N+j))
			}
		}
		for k := 0; k < nOut; k++ {
			if r.Readout[t*nOut+k] != g.Readout[t*nOut+k] {
				return fmt.Errorf("step %d, readout %d: emulator %d, golden %d", t, k, r.Readout[t*nOut+k], g.Readout[t*nOut+k])
			}
		}
	}
	return nil
}

func vAt(v []int64, i int) int64 {
	if v == nil {
		return 0
	}
	return v[i]
}

// AddsUp checks a report's energy: each category is its count times its unit
// energy, the categories sum to the total, and the counts are the report's totals.
func AddsUp(r *emulator.Report) error {
	var sum float64
	want := map[string]float64{
		"synaptic_op":            float64(r.Totals.SynapticOps),
		"neuron_update_active":   float64(r.Totals.NeuronUpdatesActive),
		"neuron_update_inactive": float64(r.Totals.NeuronUpdatesInactive),
		"spike_in_tile":          float64(r.Totals.SpikesInTile),
		"hop_east_west":          float64(r.Totals.FlitHopsEW),
		"hop_north_south":        float64(r.Totals.FlitHopsNS),
	}
	for _, c := range r.Energy.Categories {
		if w, ok := want[c.Name]; ok && c.Count != w {
			return fmt.Errorf("energy: %s counts %g, the totals say %g", c.Name, c.Count, w)
		}
		if !close(c.Count*c.UnitPJ, c.PJ) {
			return fmt.Errorf("energy: %s: %g x %g pJ = %g, reported %g", c.Name, c.Count, c.UnitPJ, c.Count*c.UnitPJ, c.PJ)
		}
		sum += c.PJ
	}
	if !close(sum, r.Energy.TotalPJ) {
		return fmt.Errorf("energy: categories sum to %g pJ, total %g", sum, r.Energy.TotalPJ)
	}
	if r.Samples > 0 && !close(r.Energy.TotalPJ/float64(r.Samples), r.Energy.PerInferencePJ) {
		return fmt.Errorf("energy: %g pJ over %d samples, per inference %g", r.Energy.TotalPJ, r.Samples, r.Energy.PerInferencePJ)
	}
	return nil
}

func close(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}
