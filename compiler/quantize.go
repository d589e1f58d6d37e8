package compiler

import (
	"fmt"

	"github.com/snnc/snnc/quant"
)

// quantizePass maps the float network onto the target's integer arithmetic and
// builds the graph the later passes walk. The float network is dropped afterwards.
func quantizePass(st *state) error {
	net, err := quant.QuantizeNetwork(st.src, st.t)
	if err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	st.net = net
	rate := make([]float64, net.N()+net.NIn)
	if r := st.opt.Rates; r != nil {
		copy(rate, r.Neuron)
		copy(rate[net.N():], r.Input)
		st.rep.Traffic.RateSource = r.Source
	} else {
		for i := range rate {
			rate[i] = st.opt.AssumedRate
		}
		st.rep.Traffic.RateSource = fmt.Sprintf("assumed: %g spikes per neuron and per input channel per step (no calibration run)", st.opt.AssumedRate)
	}
	st.src = nil
	st.g = newGraph(net, st.t, rate, st.opt.Workers)
	st.rep.Neurons, st.rep.Inputs, st.rep.Readouts = net.N(), net.NIn, net.NOut()
	st.rep.Synapses, st.rep.ZeroSynapses = st.g.nnz, st.g.zero
	return nil
}
