package quant

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/snnc/snnc/targets"
)

// Report says how well a quantized network represents its float model: per parameter
// group the float range, the scale or exponents chosen and the rounding errors, and
// the effective time constants against the requested ones.
type Report struct {
	Target      string              `json:"target"`
	Granularity targets.Granularity `json:"exponent_granularity"`
	// StateScale is membrane units per 1.0 of v (2^StateExp); NoSaturationExp is the
	// largest exponent at which no input can saturate the membrane or accumulator, and
	// ScaleLimit says what capped the scale from above.
	StateScale      float64 `json:"state_scale"`
	StateExp        int     `json:"state_exp"`
	NoSaturationExp int     `json:"no_saturation_exp"`
	ScaleLimit      string  `json:"scale_limit"`
	// ThresholdStep is one step of the threshold mantissa in units of v.
	ThresholdStep float64 `json:"threshold_step"`
	// AdaptScale is adaptation units per 1.0 of beta * b (2^AdaptExp).
	AdaptScale float64 `json:"adaptation_scale"`
	AdaptExp   int     `json:"adaptation_exp"`
	// ReadoutScale is readout units per 1.0 of a logit (2^ReadoutExp).
	ReadoutScale  float64        `json:"readout_scale"`
	ReadoutExp    int            `json:"readout_exp"`
	Groups        []Group        `json:"groups"`
	Params        []ParamStats   `json:"params"`
	TimeConstants []TimeConstant `json:"time_constants"`
	Warnings      []string       `json:"warnings,omitempty"`
}

// ParamStats describes one parameter group: w_in, w_rec, w_out, b0, adapt_inc
// (beta * (1 - rho) with the effective rho), b_out, alpha, rho, kappa. Errors compare
// the float value with the integer one mapped back to float with the scales; they
// are rounding errors only (a decay's change shows in TimeConstants). Relative errors
// are over the nonzero float values.
type ParamStats struct {
	Name         string  `json:"name"`
	Count        int     `json:"count"`
	Min          float64 `json:"min"`
	Max          float64 `json:"max"`
	Scale        string  `json:"scale"`
	Exponents    []int   `json:"exponents,omitempty"`
	MaxAbsError  float64 `json:"max_abs_error"`
	MeanAbsError float64 `json:"mean_abs_error"`
	MaxRelError  float64 `json:"max_rel_error"`
	MeanRelError float64 `json:"mean_rel_error"`
	Zeroed       int     `json:"zeroed,omitempty"` // nonzero values that became 0
	Worst        string  `json:"worst,omitempty"`  // where the largest absolute error is
}

// TimeConstant is one requested time constant (all the neurons that share it) and
// the one its decay code realizes.
type TimeConstant struct {
	Name      string  `json:"name"` // tau_m, tau_a or tau_out
	Neurons   string  `json:"neurons,omitempty"`
	Count     int     `json:"count"`
	Requested float64 `json:"requested_ms"`
	Effective float64 `json:"effective_ms"`
	Code      string  `json:"code"`
	RelError  float64 `json:"rel_error"`
}

type statAcc struct {
	ps             ParamStats
	sumAbs, sumRel float64
	nRel           int
}

func newStat(name, scale string) *statAcc {
	return &statAcc{ps: ParamStats{Name: name, Scale: scale, Min: math.Inf(1), Max: math.Inf(-1)}}
}

func (s *statAcc) add(orig, back float64, where func() string) {
	p := &s.ps
	p.Count++
	p.Min, p.Max = min(p.Min, orig), max(p.Max, orig)
	e := math.Abs(back - orig)
	s.sumAbs += e
	if e > p.MaxAbsError || p.Worst == "" && e == p.MaxAbsError {
		p.MaxAbsError = e
		p.Worst = where()
	}
	if orig != 0 {
		r := e / math.Abs(orig)
		s.sumRel += r
		s.nRel++
		p.MaxRelError = max(p.MaxRelError, r)
		if back == 0 {
			p.Zeroed++
		}
	}
}

func (s *statAcc) done() ParamStats {
	p := s.ps
	if p.Count == 0 {
		p.Min, p.Max = 0, 0
		return p
	}
	p.MeanAbsError = s.sumAbs / float64(p.Count)
	if s.nRel > 0 {
		p.MeanRelError = s.sumRel / float64(s.nRel)
	}
	if p.MaxAbsError == 0 {
		p.Worst = ""
	}
	return p
}

func (q *quantizer) report() *Report {
	net, qn, a := q.net, q.out, q.a
	p, k := q.stateExp, q.adaptShift
	r := &Report{Target: q.t.Name, Granularity: a.Granularity, StateScale: qn.StateScale, StateExp: p,
		NoSaturationExp: q.noSatExp, ScaleLimit: q.scaleCap, ThresholdStep: math.Ldexp(1, a.ThresholdShift-p),
		AdaptScale: qn.AdaptScale(), AdaptExp: p + k, ReadoutScale: qn.Readout.Scale, ReadoutExp: qn.Readout.Exp,
		Groups: append([]Group(nil), qn.Groups...), Warnings: append([]string(nil), q.warnings...)}
	gk := 1 - q.kappa.factor
	mats := []struct {
		name, pre string
		m         *Matrix
		src       []float64
		back      func(w int64, post int) float64
	}{
		{"w_in", "x", &qn.In, net.In.Weight, func(w int64, j int) float64 { return float64(w) / (q.gain(j) * qn.StateScale) }},
		{"w_rec", "s", &qn.Rec, net.Rec.Weight, func(w int64, j int) float64 { return float64(w) / (q.gain(j) * qn.StateScale) }},
		{"w_out", "s", &qn.Readout.W, net.Out.Weight, func(w int64, _ int) float64 { return float64(w) / (gk * qn.Readout.Scale) }},
	}
	for _, m := range mats {
		var exps []int
		seen := map[int]bool{}
		scale := fmt.Sprintf("2^%d x (1 - alpha)", p)
		if m.name == "w_out" {
			scale = fmt.Sprintf("2^%d x (1 - kappa)", qn.Readout.Exp)
		}
		for i := 0; i < m.m.Rows; i++ {
			if m.m.RowStart[i] == m.m.RowStart[i+1] {
				continue
			}
			e := qn.Groups[m.m.RowGroup[i]].Exponent
			if !seen[e] {
				seen[e] = true
				exps = append(exps, e)
			}
		}
		sort.Ints(exps)
		st := newStat(m.name, scale+", "+describeExps(exps, a.MantissaBits))
		for i := 0; i < m.m.Rows; i++ {
			for kk := m.m.RowStart[i]; kk < m.m.RowStart[i+1]; kk++ {
				j := int(m.m.Col[kk])
				w := qn.Weight(m.m, i, kk)
				st.add(m.src[kk], m.back(w, j), func() string { return fmt.Sprintf("%s[%d,%d]", m.name, i, j) })
			}
		}
		ps := st.done()
		ps.Exponents = exps
		r.Params = append(r.Params, ps)
		if ps.Zeroed > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %d of %d nonzero weights round to 0 (below half a mantissa step at their exponent)", m.name, ps.Zeroed, ps.Count))
		}
	}
	sh := a.ThresholdShift
	st := newStat("b0", fmt.Sprintf("%d-bit mantissa << %d at 2^%d units per 1.0: step %.3g", a.ThresholdBits, sh, p, r.ThresholdStep))
	for j, nr := range net.Neurons {
		st.add(nr.B0, math.Ldexp(float64(qn.Neurons[j].Threshold), sh-p), func() string { return fmt.Sprintf("neuron %d", j) })
	}
	b0 := st.done()
	r.Params = append(r.Params, b0)
	if b0.MaxRelError > coarseTau {
		r.Warnings = append(r.Warnings, fmt.Sprintf("b0: thresholds are off by up to %.1f%% (%s): the threshold step is %.3g", 100*b0.MaxRelError, b0.Worst, r.ThresholdStep))
	}
	st = newStat("adapt_inc", fmt.Sprintf("2^%d units per 1.0 (%d-bit state, %d fraction bits beyond the membrane's)", p+k, a.AdaptationBits, k))
	for j, nr := range net.Neurons {
		if q.alif[j] {
			st.add(nr.Beta*(1-q.rho[j].factor), math.Ldexp(float64(qn.Neurons[j].AdaptInc), -(p+k)), func() string { return fmt.Sprintf("neuron %d", j) })
		}
	}
	if ps := st.done(); ps.Count > 0 {
		r.Params = append(r.Params, ps)
	}
	st = newStat("b_out", fmt.Sprintf("2^%d units per 1.0", qn.Readout.Exp))
	for kk, b := range net.BOut {
		st.add(b, float64(qn.Readout.Bias[kk])/qn.Readout.Scale, func() string { return fmt.Sprintf("readout %d", kk) })
	}
	r.Params = append(r.Params, st.done())
	dec := describeDecay(a.Decay)
	sa, sr := newStat("alpha", dec), newStat("rho", dec)
	for j, nr := range net.Neurons {
		sa.add(math.Exp(-net.Dt/nr.TauM), q.alpha[j].factor, func() string { return fmt.Sprintf("neuron %d", j) })
		if q.alif[j] {
			sr.add(math.Exp(-net.Dt/nr.TauA), q.rho[j].factor, func() string { return fmt.Sprintf("neuron %d", j) })
		}
	}
	sk := newStat("kappa", dec)
	sk.add(math.Exp(-net.Dt/net.TauOut), q.kappa.factor, func() string { return "readout" })
	r.Params = append(r.Params, sa.done())
	if ps := sr.done(); ps.Count > 0 {
		r.Params = append(r.Params, ps)
	}
	r.Params = append(r.Params, sk.done())
	r.TimeConstants = q.timeConstants()
	r.Warnings = append(r.Warnings, coarseWarnings(r.TimeConstants, dec)...)
	return r
}

// timeConstants groups the neurons by requested time constant, in the order tau_m,
// tau_a, tau_out and ascending requested value.
func (q *quantizer) timeConstants() []TimeConstant {
	net, d := q.net, q.a.Decay
	var out []TimeConstant
	collect := func(name string, tau func(j int) (float64, bool), ch func(j int) decayChoice) {
		// The neurons that have the time constant, sorted by it (stably: each
		// group's ids stay ascending); a model may give every neuron its own, so
		// this sorts one slice rather than filling a map of groups.
		var ids []int
		taus := make([]float64, len(net.Neurons))
		for j := range net.Neurons {
			v, ok := tau(j)
			taus[j] = v
			if ok {
				ids = append(ids, j)
			}
		}
		slices.SortStableFunc(ids, func(a, b int) int { return cmp.Compare(taus[a], taus[b]) })
		for lo := 0; lo < len(ids); {
			v := taus[ids[lo]]
			hi := lo + 1
			for hi < len(ids) && taus[ids[hi]] == v {
				hi++
			}
			group := ids[lo:hi]
			c := ch(group[0])
			out = append(out, TimeConstant{Name: name, Neurons: runs(group), Count: len(group), Requested: v, Effective: c.tau,
				Code: describeCode(c.code, d), RelError: c.tau/v - 1})
			lo = hi
		}
	}
	collect("tau_m", func(j int) (float64, bool) { return net.Neurons[j].TauM, true }, func(j int) decayChoice { return q.alpha[j] })
	collect("tau_a", func(j int) (float64, bool) { return net.Neurons[j].TauA, q.alif[j] }, func(j int) decayChoice { return q.rho[j] })
	out = append(out, TimeConstant{Name: "tau_out", Count: 1, Requested: net.TauOut, Effective: q.kappa.tau,
		Code: describeCode(q.kappa.code, d), RelError: q.kappa.tau/net.TauOut - 1})
	return out
}

// coarseWarnings warns about time constants more than coarseTau off, one line per
// parameter.
func coarseWarnings(tcs []TimeConstant, dec string) []string {
	var out []string
	for _, name := range []string{"tau_m", "tau_a", "tau_out"} {
		n, groups := 0, 0
		var worst TimeConstant
		for _, tc := range tcs {
			if tc.Name != name || math.Abs(tc.RelError) <= coarseTau {
				continue
			}
			n += tc.Count
			groups++
			if math.Abs(tc.RelError) > math.Abs(worst.RelError) {
				worst = tc
			}
		}
		if groups == 0 {
			continue
		}
		who := "neurons " + worst.Neurons
		if worst.Count == 1 {
			who = "neuron " + worst.Neurons
		}
		if name == "tau_out" {
			who = "the readout"
		}
		if groups == 1 {
			out = append(out, fmt.Sprintf("%s: %.4g ms -> %.4g ms (%+.1f%%) for %s: the nearest the %s decay reaches", name, worst.Requested, worst.Effective, 100*worst.RelError, who, dec))
			continue
		}
		out = append(out, fmt.Sprintf("%s: %d neurons have time constants more than %.0f%% off; worst %.4g ms -> %.4g ms (%+.1f%%) for %s (%s decay)",
			name, n, 100*coarseTau, worst.Requested, worst.Effective, 100*worst.RelError, who, dec))
	}
	return out
}

func describeExps(exps []int, bits int) string {
	switch len(exps) {
	case 0:
		return "no synapses"
	case 1:
		return fmt.Sprintf("%d-bit mantissa x 2^%d", bits, exps[0])
	}
	s := make([]string, len(exps))
	for i, e := range exps {
		s[i] = fmt.Sprint(e)
	}
	return fmt.Sprintf("%d-bit mantissa x 2^e, e in {%s}", bits, strings.Join(s, ","))
}
