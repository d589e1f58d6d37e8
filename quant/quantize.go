package quant

import (
	"errors"
	"fmt"
	"math"

	"github.com/snnc/snnc/internal/parallel"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/targets"
)

const (
	// boundMargin is the share of a state's range the no-saturation bounds may use;
	// the rest absorbs rounding.
	boundMargin = 0.97
	// thresholdPrecisionBits is how many significant bits Quantize gives the smallest
	// baseline threshold before it honours the no-saturation bound (see chooseScale).
	thresholdPrecisionBits = 5
	// expClamp bounds every scale exponent, so that 2^exp stays a finite float64.
	expClamp = 1000
	// coarseTau is the relative time-constant error above which Report warns.
	coarseTau = 0.05
)

// Quantize maps a float network onto a target's integer arithmetic. It is
// deterministic: the same network and target give a deeply equal Network and Report.
//
// When the model uses something the target cannot represent (a delay or refractory
// period above the target's maximum, ALIF neurons on a target without adaptation, a
// time constant outside what the decay codes reach, a baseline threshold that rounds
// to zero), it returns one *Error listing every problem, each naming the neurons or
// synapses, the limit and the nearest representable value.
func Quantize(net *lsnn.Network, t *targets.Target) (*Network, *Report, error) {
	q, err := quantize(net, t)
	if err != nil {
		return nil, nil, err
	}
	return q.out, q.report(), nil
}

// QuantizeNetwork is Quantize without the Report, for callers that need only the
// network (the compiler): the report compares every synapse's weight with its float
// value, a pass over all synapses that costs as much as the quantization itself on
// large models. The Network is the one Quantize returns.
func QuantizeNetwork(net *lsnn.Network, t *targets.Target) (*Network, error) {
	q, err := quantize(net, t)
	if err != nil {
		return nil, err
	}
	return q.out, nil
}

// quantize checks the inputs and quantizes the network into the returned
// quantizer's out.
func quantize(net *lsnn.Network, t *targets.Target) (*quantizer, error) {
	q, err := newQuantizer(net, t)
	if err != nil {
		return nil, err
	}
	if err := q.run(); err != nil {
		return nil, err
	}
	return q, nil
}

// newQuantizer checks the inputs of a quantization.
func newQuantizer(net *lsnn.Network, t *targets.Target) (*quantizer, error) {
	if net == nil {
		return nil, errors.New("quant: no network")
	}
	if t == nil {
		return nil, errors.New("quant: no target")
	}
	if err := net.Validate(); err != nil {
		return nil, fmt.Errorf("quant: %w", err)
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("quant: target %s: %w", t.Name, err)
	}
	return &quantizer{net: net, t: t, a: ArithmeticOf(t), N: net.N()}, nil
}

// quantizer holds one Quantize call's intermediate results, which the report reads.
type quantizer struct {
	net *lsnn.Network
	t   *targets.Target
	a   Arithmetic
	N   int
	p   problems

	alpha, rho []decayChoice // per neuron; rho is zero for LIF neurons
	gains      gainTable     // per neuron, 1 - alpha as quantized
	kappa      decayChoice
	alif       []bool // neurons quantized as ALIF

	stateExp, noSatExp, adaptShift, readoutExp int
	scaleCap                                   string // what capped the state scale

	out      *Network
	warnings []string
}

// run quantizes the network into q.out.
func (q *quantizer) run() error {
	// Every stage goes on with the nearest representable value after a problem, so
	// that one error lists every problem.
	q.checkStructure()
	q.chooseDecays()
	q.out = &Network{Target: q.t.Name, TargetHash: q.t.HashHex(), Dt: q.net.Dt, Arith: q.a, NIn: q.net.NIn()}
	q.chooseScale()
	q.neurons()
	q.readoutScale()
	q.weights()
	if len(q.p) > 0 {
		return &Error{Target: q.t.Name, Problems: q.p}
	}
	if err := q.out.Validate(); err != nil {
		return fmt.Errorf("quant: internal error: the quantized network is invalid: %w", err)
	}
	return nil
}

// checkStructure reports refractory periods, ALIF neurons and delays the target
// cannot hold, and weights of a sign the mantissa cannot hold.
func (q *quantizer) checkStructure() {
	a, net := q.a, q.net
	var ids, vals []int
	for j, nr := range net.Neurons {
		if nr.NRef > a.MaxRefractory {
			ids, vals = append(ids, j), append(vals, nr.NRef)
		}
	}
	if len(ids) > 0 {
		q.p.add("%s: n_ref = %s steps, above the target's limit of %d steps (formats.max_refractory_steps); nearest representable: n_ref = %d",
			plural("neuron", ids), rangeOf(vals), a.MaxRefractory, a.MaxRefractory)
	}
	q.alif = make([]bool, q.N)
	ids = ids[:0]
	var betas []float64
	for j, nr := range net.Neurons {
		if nr.IsALIF() {
			if a.ALIF {
				q.alif[j] = true
			} else {
				ids, betas = append(ids, j), append(betas, nr.Beta)
			}
		}
	}
	if len(ids) > 0 {
		q.p.add("%s: ALIF (beta = %s), but target %s has no threshold adaptation (formats.alif = false); nearest representable: beta = 0 (LIF)",
			plural("neuron", ids), rangeOf(betas), q.t.Name)
	}
	for _, m := range []struct {
		name, pre string
		m         *lsnn.Matrix
	}{{"w_in", "input channel", &net.In}, {"w_rec", "neuron", &net.Rec}} {
		var pre, post, ds []int
		for i := 0; i < m.m.Rows; i++ {
			cols, _, delays := m.m.Row(i)
			for k, d := range delays {
				if int(d) > a.MaxDelay {
					pre, post, ds = append(pre, i), append(post, int(cols[k])), append(ds, int(d))
				}
			}
		}
		if len(ds) > 0 {
			q.p.add("%s: %d synapse%s with delays of %s steps, above the target's limit of %d steps (formats.max_delay_steps): from %s to %s; nearest representable: delay %d",
				m.name, len(ds), sIf(len(ds)), rangeOf(ds), a.MaxDelay, plural(m.pre, unique(pre)), plural("neuron", unique(post)), a.MaxDelay)
		}
	}
	if _, hi := targets.SignedRange(a.MantissaBits); hi == 0 {
		for _, m := range []struct {
			name string
			m    *lsnn.Matrix
		}{{"w_in", &net.In}, {"w_rec", &net.Rec}, {"w_out", &net.Out}} {
			n := 0
			for _, w := range m.m.Weight {
				if w > 0 {
					n++
				}
			}
			if n > 0 {
				q.p.add("%s: %d positive weights, but a %d-bit two's complement mantissa holds no positive value (formats.weight.mantissa_bits); nearest representable: 0",
					m.name, n, a.MantissaBits)
			}
		}
	}
}

func sIf(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// chooseDecays picks the decay codes of alpha, rho and kappa and reports the time
// constants the codes cannot reach.
func (q *quantizer) chooseDecays() {
	net, d := q.net, q.a.Decay
	q.alpha = make([]decayChoice, q.N)
	q.rho = make([]decayChoice, q.N)
	type miss struct {
		ids  []int
		taus []float64
		near float64
		code int32
	}
	misses := map[string]*miss{}
	var order []string
	note := func(key string, j int, tau float64, ch decayChoice) {
		m := misses[key]
		if m == nil {
			m = &miss{near: ch.tau, code: ch.code}
			misses[key] = m
			order = append(order, key)
		}
		m.ids, m.taus = append(m.ids, j), append(m.taus, tau)
	}
	gains := make([]float64, q.N)
	for j, nr := range net.Neurons {
		ch := chooseDecay(nr.TauM, net.Dt, d)
		q.alpha[j] = ch
		gains[j] = 1 - ch.factor
		if !ch.ok {
			note(missKey("tau_m", ch.slow), j, nr.TauM, ch)
		}
		if q.alif[j] {
			ch := chooseDecay(nr.TauA, net.Dt, d)
			q.rho[j] = ch
			if !ch.ok {
				note(missKey("tau_a", ch.slow), j, nr.TauA, ch)
			}
		}
	}
	q.gains = newGainTable(gains)
	q.kappa = chooseDecay(net.TauOut, net.Dt, d)
	if !q.kappa.ok {
		note(missKey("tau_out", q.kappa.slow), -1, net.TauOut, q.kappa)
	}
	for _, key := range order {
		m := misses[key]
		name, slow := key[:len(key)-2], key[len(key)-1] == 's'
		dir, end := "faster than the fastest", "fastest"
		if slow {
			dir, end = "slower than the slowest", "slowest"
		}
		who := plural("neuron", m.ids)
		if name == "tau_out" {
			who = "readout"
		}
		q.p.add("%s: %s = %s ms at dt = %g ms is %s decay of target %s (%s; its %s code, %s, gives %s = %.4g ms); nearest representable: %s = %.4g ms",
			who, name, rangeOf(m.taus), net.Dt, dir, q.t.Name, describeDecay(d), end, describeCode(m.code, d), name, m.near, name, m.near)
	}
}

func missKey(name string, slow bool) string {
	if slow {
		return name + "/s"
	}
	return name + "/f"
}

// floorLog2 is floor(log2(x)), clamped to +-expClamp (so +Inf gives expClamp and
// zero gives -expClamp).
func floorLog2(x float64) int {
	switch {
	case math.IsNaN(x) || x <= 0:
		return -expClamp
	case math.IsInf(x, 1):
		return expClamp
	}
	_, e := math.Frexp(x) // x = f 2^e, f in [0.5, 1)
	return clampExp(e - 1)
}

func clampExp(e int) int { return min(max(e, -expClamp), expClamp) }

// roundAway rounds half away from zero: the quantizer's own rounding of parameters
// (the target's rounding rule governs the hardware's operations only).
func roundAway(x float64) int64 { return int64(math.Round(x)) }

// weightRange is the largest weight magnitude a mantissa and exponent can hold.
func (q *quantizer) weightRange() float64 {
	_, hi := targets.SignedRange(q.a.MantissaBits)
	return math.Ldexp(float64(max(hi, 1)), q.a.ExponentMax)
}

// gain is 1 - alpha of neuron j as quantized: the factor folded into its weights.
func (q *quantizer) gain(j int) float64 { return q.gains.at(j) }

// gainTable holds 1 - alpha per neuron. The synapse loops read it once per synapse
// at the synapse's target, which under random connectivity is a random neuron: at
// 10^6 neurons a float64 per neuron (8 MB) misses the caches on nearly every read,
// while a 16-bit class per neuron (2 MB) and a table of the few distinct values
// mostly hit. Decay codes are narrow, so there are few distinct values; past 2^16
// of them the table keeps the dense floats.
type gainTable struct {
	class []uint16
	value []float64 // by class; nil when dense
	dense []float64
}

func newGainTable(g []float64) gainTable {
	index := map[float64]uint16{}
	class := make([]uint16, len(g))
	var value []float64
	for j, x := range g {
		c, ok := index[x]
		if !ok {
			if len(value) == 1<<16 {
				return gainTable{dense: g}
			}
			c = uint16(len(value))
			index[x] = c
			value = append(value, x)
		}
		class[j] = c
	}
	return gainTable{class: class, value: value}
}

func (t *gainTable) at(j int) float64 {
	if t.value == nil {
		return t.dense[j]
	}
	return t.value[t.class[j]]
}

// adaptSup bounds b = beta-free threshold adaptation of an ALIF neuron: with spikes
// at most every n_ref + 1 steps, b <= (1 - rho) / (1 - rho^(n_ref + 1)).
func adaptSup(gainR float64, nref int) float64 {
	return gainR / -math.Expm1(float64(nref+1)*math.Log1p(-gainR))
}

// chooseScale picks the state scale 2^p (membrane units per 1.0 of v).
//
// Hard limits: the largest folded weight |w| (1 - alpha) 2^p must fit a mantissa at
// the largest exponent, and the largest b0 must fit the threshold mantissa. Soft
// limit (no saturation): 2^p times the largest membrane excursion the weights allow
// (max(sum of positive weights into a neuron, sum of |negative| ones + its largest
// threshold)) must fit the membrane, and the largest per-step input must fit the
// accumulator. The scale is the largest meeting all limits, unless the soft limit
// leaves the smallest b0 fewer than thresholdPrecisionBits significant bits: then
// the scale rises to give it those bits (or as far as the hard limits allow) and the
// report warns that states may saturate.
func (q *quantizer) chooseScale() {
	net, a := q.net, q.a
	N := q.N
	ipos, ineg := make([]float64, N), make([]float64, N)
	// In place, in row order (the order of m.Col): no coordinate copy of a matrix
	// that may hold 10^8 synapses. Each worker owns a range of columns and scans
	// every synapse: a column's sum is taken in row order whatever the workers.
	W := parallel.Workers(0)
	wms := make([]float64, W)
	parallel.For(W, W, func(_, r int) {
		lo, hi := int32(r*N/W), int32((r+1)*N/W)
		wm := 0.0
		for _, m := range []*lsnn.Matrix{&net.In, &net.Rec} {
			for k, c := range m.Col {
				if c < lo || c >= hi {
					continue
				}
				w := m.Weight[k]
				if w > 0 {
					ipos[c] += w
				} else {
					ineg[c] -= w
				}
				wm = max(wm, math.Abs(w)*q.gain(int(c)))
			}
		}
		wms[r] = wm
	})
	wm := 0.0
	for _, x := range wms {
		wm = max(wm, x)
	}
	vb, xb := 0.0, 0.0
	b0min, b0max := math.Inf(1), 0.0
	for j, nr := range net.Neurons {
		asup := nr.B0
		if q.alif[j] {
			asup += nr.Beta * adaptSup(1-q.rho[j].factor, nr.NRef)
		}
		vb = max(vb, ipos[j], ineg[j]+asup)
		xb = max(xb, q.gain(j)*max(ipos[j], ineg[j]))
		b0min, b0max = min(b0min, nr.B0), max(b0max, nr.B0)
	}
	_, memMax := targets.SignedRange(a.MembraneBits)
	_, accMax := targets.SignedRange(a.AccumulatorBits)
	pMem, pAcc := floorLog2(float64(memMax)*boundMargin/vb), floorLog2(float64(accMax)*boundMargin/xb)
	pSoft := min(pMem, pAcc)
	pW := floorLog2(q.weightRange() / wm)
	thrMax := int64(1)<<a.ThresholdBits - 1
	sh := a.ThresholdShift
	thr := func(b0 float64, p int) int64 { return roundAway(math.Ldexp(b0, p-sh)) }
	pT := floorLog2(math.Ldexp(float64(thrMax)+0.5, sh) / b0max)
	for pT > -expClamp && thr(b0max, pT) > thrMax {
		pT--
	}
	for pT < expClamp && thr(b0max, pT+1) <= thrMax {
		pT++
	}
	pMin := floorLog2(math.Ldexp(0.5, sh)/b0min) + 1
	for pMin > -expClamp && thr(b0min, pMin-1) >= 1 {
		pMin--
	}
	for pMin < expClamp && thr(b0min, pMin) < 1 {
		pMin++
	}
	pHard := min(pW, pT)
	hardCap := fmt.Sprintf("the largest b0 (%.4g) must fit the %d-bit threshold mantissa", b0max, a.ThresholdBits)
	if pW < pT {
		_, hi := targets.SignedRange(a.MantissaBits)
		hardCap = fmt.Sprintf("the largest weight times (1 - alpha) (%.4g) must fit a %d-bit mantissa at exponent %d (%d x 2^%d)", wm, a.MantissaBits, a.ExponentMax, hi, a.ExponentMax)
	}
	q.noSatExp = pSoft
	if pHard < pMin {
		var ids []int
		var b0s []float64
		for j, nr := range net.Neurons {
			if thr(nr.B0, pHard) < 1 {
				ids, b0s = append(ids, j), append(b0s, nr.B0)
			}
		}
		step := math.Ldexp(1, sh-pHard)
		q.p.add("%s: b0 = %s is below the smallest threshold target %s can hold beside the model's other values: the state scale is at most 2^%d because %s, and there one threshold step (2^%d membrane units) is b0 = %.4g; nearest representable: b0 = %.4g",
			plural("neuron", ids), rangeOf(b0s), q.t.Name, pHard, hardCap, sh, step, step)
		q.stateExp = pHard
		q.out.StateExp, q.out.StateScale = pHard, math.Ldexp(1, pHard)
		return
	}
	lower := min(pMin+thresholdPrecisionBits, pHard)
	p := min(max(pSoft, lower), pHard)
	switch {
	case p == pHard:
		q.scaleCap = hardCap
	case p == pMem:
		q.scaleCap = fmt.Sprintf("no input may saturate the %d-bit membrane (largest excursion %.4g)", a.MembraneBits, vb)
	case p == pAcc:
		q.scaleCap = fmt.Sprintf("no step's input may saturate the %d-bit accumulator (largest %.4g)", a.AccumulatorBits, xb)
	default:
		q.scaleCap = fmt.Sprintf("the smallest b0 (%.4g) gets %d significant bits", b0min, thresholdPrecisionBits)
	}
	if p > pSoft {
		q.warnings = append(q.warnings, fmt.Sprintf(
			"state scale 2^%d is %d bit(s) above the bound at which no input can saturate the membrane or accumulator (2^%d): the smallest b0 (%.4g) needs it; strong input may saturate (the golden simulator counts saturations)",
			p, p-pSoft, pSoft, b0min))
	}
	q.stateExp = p
	q.out.StateExp, q.out.StateScale = p, math.Ldexp(1, p)
}

// neurons sets thresholds, decay codes, adaptation shift and increments, and
// refractory periods.
func (q *quantizer) neurons() {
	net, a, p := q.net, q.a, q.stateExp
	sh := a.ThresholdShift
	q.out.Neurons = make([]Neuron, q.N)
	thrMax := int64(1)<<a.ThresholdBits - 1
	for j, nr := range net.Neurons {
		th := roundAway(math.Ldexp(nr.B0, p-sh))
		q.out.Neurons[j] = Neuron{Threshold: min(max(th, 0), thrMax), MemDecay: q.alpha[j].code, Refractory: int32(min(nr.NRef, a.MaxRefractory))}
	}
	// Adaptation: B holds beta * b in units of 2^-(p + k); k is as large as keeps the
	// largest B (beta times adaptSup) within the adaptation state.
	bmax := 0.0
	for j, nr := range net.Neurons {
		if q.alif[j] {
			bmax = max(bmax, nr.Beta*adaptSup(1-q.rho[j].factor, nr.NRef))
		}
	}
	if bmax == 0 {
		return
	}
	_, adMax := targets.SignedRange(a.AdaptationBits)
	k := floorLog2(float64(adMax)*boundMargin/bmax) - p
	k = min(max(k, -62, a.AdaptationBits-63), 62)
	q.adaptShift = k
	q.out.AdaptShift = k
	var ids []int
	var vals []float64
	for j, nr := range net.Neurons {
		if !q.alif[j] {
			continue
		}
		gr := 1 - q.rho[j].factor
		inc := roundAway(math.Ldexp(nr.Beta*gr, p+k))
		if inc < 1 {
			ids, vals = append(ids, j), append(vals, nr.Beta*gr)
		}
		n := &q.out.Neurons[j]
		n.ALIF, n.AdaptDecay, n.AdaptInc = true, q.rho[j].code, min(max(inc, 0), adMax)
	}
	if len(ids) > 0 {
		unit := math.Ldexp(1, -(p + k))
		q.warnings = append(q.warnings, fmt.Sprintf(
			"%s: the adaptation increment beta * (1 - rho) = %s rounds to 0 in the %d-bit adaptation state (one unit is %.4g at the scale the largest adaptation allows): they behave as LIF neurons",
			plural("neuron", ids), rangeOf(vals), a.AdaptationBits, unit))
	}
}

// readoutScale picks the readout scale 2^q: the largest at which the folded readout
// weights fit a mantissa and no readout output can leave the readout width.
func (q *quantizer) readoutScale() {
	net, a := q.net, q.a
	gk := 1 - q.kappa.factor
	nOut := net.NOut()
	pos, neg := make([]float64, nOut), make([]float64, nOut)
	wm := 0.0
	for i := 0; i < net.Out.Rows; i++ {
		z := adaptSup(gk, net.Neurons[i].NRef) // zhat <= this
		cols, ws, _ := net.Out.Row(i)
		for k, c := range cols {
			if w := ws[k]; w > 0 {
				pos[c] += w * z
			} else {
				neg[c] -= w * z
			}
			wm = max(wm, math.Abs(ws[k])*gk)
		}
	}
	yb := 0.0
	for k := range nOut {
		yb = max(yb, max(pos[k], neg[k])+math.Abs(net.BOut[k]))
	}
	_, roMax := targets.SignedRange(a.ReadoutBits)
	ex := min(floorLog2(float64(roMax)*boundMargin/yb), floorLog2(q.weightRange()/wm))
	if ex >= expClamp {
		ex = 0 // nothing to scale: no readout weights and zero biases
	}
	q.readoutExp = ex
	r := &q.out.Readout
	r.Decay, r.Exp, r.Scale = q.kappa.code, ex, math.Ldexp(1, ex)
	r.Bias = make([]int64, nOut)
	rlo, rhi := targets.SignedRange(a.ReadoutBits)
	for k, b := range net.BOut {
		r.Bias[k] = min(max(roundAway(math.Ldexp(b, ex)), rlo), rhi)
	}
}

// folded is one matrix on its way to integers.
type folded struct {
	name string
	src  *lsnn.Matrix
	pos  []float64 // per row: the largest positive folded weight
	neg  []float64 // per row: the largest |negative| folded weight
	cnt  []int     // per row: synapses
}

// weights folds (1 - alpha) and the scales into the weights, groups the rows by the
// target's granularity, picks each group's exponent and rounds the mantissas.
func (q *quantizer) weights() {
	net, a := q.net, q.a
	sIn, sOut := q.out.StateScale, q.out.Readout.Scale
	gk := 1 - q.kappa.factor
	mats := []*folded{
		{name: "w_in", src: &net.In},
		{name: "w_rec", src: &net.Rec},
		{name: "w_out", src: &net.Out},
	}
	// fold is synapse k of matrix mi in accumulator units. It is computed twice
	// (for the row statistics, then for the mantissa) rather than stored: a float
	// per synapse is 800 MB at 10^8 synapses.
	fold := func(mi, k int) float64 {
		m := mats[mi].src
		if mi == 2 {
			return m.Weight[k] * gk * sOut
		}
		return m.Weight[k] * q.gain(int(m.Col[k])) * sIn
	}
	for mi, f := range mats {
		m := f.src
		f.pos, f.neg, f.cnt = make([]float64, m.Rows), make([]float64, m.Rows), make([]int, m.Rows)
		forRows(m.Rows, func(i int) {
			for k := m.RowStart[i]; k < m.RowStart[i+1]; k++ {
				w := fold(mi, k)
				if w > 0 {
					f.pos[i] = max(f.pos[i], w)
				} else {
					f.neg[i] = max(f.neg[i], -w)
				}
				f.cnt[i]++
			}
		})
	}
	mlo, mhi := targets.SignedRange(a.MantissaBits)
	eLo := min(max(0, a.ExponentMin), a.ExponentMax)
	fits := func(pos, neg float64, e int) bool {
		return roundAway(math.Ldexp(pos, -e)) <= mhi && -roundAway(math.Ldexp(neg, -e)) >= mlo
	}
	best := func(pos, neg float64) int {
		for e := eLo; e <= a.ExponentMax; e++ {
			if fits(pos, neg, e) {
				return e
			}
		}
		return a.ExponentMax
	}
	rowGroup := make([][]int32, 3)
	for mi, f := range mats {
		rowGroup[mi] = make([]int32, f.src.Rows)
	}
	switch a.Granularity {
	case targets.PerMatrix:
		for mi, f := range mats {
			P, Q := maxOf(f.pos), maxOf(f.neg)
			q.out.Groups = append(q.out.Groups, Group{Exponent: best(P, Q), Name: f.name})
			for i := range rowGroup[mi] {
				rowGroup[mi][i] = int32(mi)
			}
		}
	case targets.PerCore:
		P, Q := 0.0, 0.0
		for _, f := range mats {
			P, Q = max(P, maxOf(f.pos)), max(Q, maxOf(f.neg))
		}
		q.out.Groups = []Group{{Exponent: best(P, Q), Name: "all"}}
	case targets.PerSynapseGroup:
		// Each row's best exponent; then at most ExponentGroupsPerCore distinct values.
		counts := map[int]int{}
		ideal := make([][]int, 3)
		for mi, f := range mats {
			ideal[mi] = make([]int, f.src.Rows)
			for i := range ideal[mi] {
				e := best(f.pos[i], f.neg[i])
				ideal[mi][i] = e
				if f.cnt[i] > 0 {
					counts[e] += f.cnt[i]
				}
			}
		}
		var vals []int
		for e := range counts {
			vals = append(vals, e)
		}
		sortInts(vals)
		if len(vals) == 0 {
			vals = []int{eLo}
			counts[eLo] = 0
		}
		cs := make([]int, len(vals))
		for i, v := range vals {
			cs[i] = counts[v]
		}
		chosen := limitExponents(vals, cs, a.ExponentGroupsPerCore)
		for _, e := range chosen {
			q.out.Groups = append(q.out.Groups, Group{Exponent: e, Name: fmt.Sprintf("exp %d", e)})
		}
		for mi, f := range mats {
			for i := range rowGroup[mi] {
				if f.cnt[i] == 0 {
					continue // group 0
				}
				for g, e := range chosen {
					if e >= ideal[mi][i] {
						rowGroup[mi][i] = int32(g)
						break
					}
				}
			}
		}
	}
	out := []*Matrix{&q.out.In, &q.out.Rec, &q.out.Readout.W}
	for mi, f := range mats {
		m := f.src
		qm := Matrix{Rows: m.Rows, Cols: m.Cols, RowStart: append([]int(nil), m.RowStart...), Col: append([]int32(nil), m.Col...),
			Mantissa: make([]int32, m.NNZ()), RowGroup: rowGroup[mi]}
		if m.Delay != nil {
			qm.Delay = make([]uint16, m.NNZ())
		}
		forRows(m.Rows, func(i int) {
			e := q.out.Groups[qm.RowGroup[i]].Exponent
			for k := m.RowStart[i]; k < m.RowStart[i+1]; k++ {
				qm.Mantissa[k] = int32(min(max(roundAway(math.Ldexp(fold(mi, k), -e)), mlo), mhi))
				if qm.Delay != nil {
					qm.Delay[k] = uint16(min(int(m.Delay[k]), a.MaxDelay))
				}
			}
		})
		*out[mi] = qm
	}
}

// forRows calls f for every row in [0, rows), on all cores in blocks of rows. f
// must write only its row's results.
func forRows(rows int, f func(i int)) {
	const block = 4096
	parallel.For((rows+block-1)/block, 0, func(_, b int) {
		for i := b * block; i < min(rows, (b+1)*block); i++ {
			f(i)
		}
	})
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// limitExponents chooses at most G of the distinct exponents vals (ascending, with
// counts synapses each), always keeping the largest, so that mapping every value to
// the smallest chosen value >= it loses the fewest bits summed over synapses. It is
// a dynamic program over the sorted values; ties go to the earlier split.
func limitExponents(vals, counts []int, G int) []int {
	m := len(vals)
	if m <= G {
		return append([]int(nil), vals...)
	}
	cost := func(i, j int) int { // vals[i..j-1] mapped up to vals[j]
		c := 0
		for l := i; l < j; l++ {
			c += counts[l] * (vals[j] - vals[l])
		}
		return c
	}
	const inf = math.MaxInt / 2
	f := make([][]int, m)
	from := make([][]int, m)
	for j := range f {
		f[j] = make([]int, G+1)
		from[j] = make([]int, G+1)
		for g := range f[j] {
			f[j][g] = inf
		}
		f[j][1] = cost(0, j)
		from[j][1] = -1
	}
	for g := 2; g <= G; g++ {
		for j := g - 1; j < m; j++ {
			for i := g - 2; i < j; i++ {
				if f[i][g-1] == inf {
					continue
				}
				if c := f[i][g-1] + cost(i+1, j); c < f[j][g] {
					f[j][g], from[j][g] = c, i
				}
			}
		}
	}
	var chosen []int
	for j, g := m-1, G; j >= 0 && g >= 1; j, g = from[j][g], g-1 {
		chosen = append(chosen, vals[j])
	}
	for i, k := 0, len(chosen)-1; i < k; i, k = i+1, k-1 {
		chosen[i], chosen[k] = chosen[k], chosen[i]
	}
	return chosen
}
