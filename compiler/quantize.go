package compiler

import (
	"fmt"
	"math"

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
	// measure sums synapse counts per core in 32 bits.
	if nnz := int64(net.In.NNZ()) + int64(net.Rec.NNZ()) + int64(net.Readout.W.NNZ()); nnz > math.MaxInt32 {
		return fmt.Errorf("compiler: %s synapses: at most %s are supported", commas(int(nnz)), commas(math.MaxInt32))
	}
	st.g = newGraph(net, st.t, rate, st.opt.Workers)
	st.rep.Neurons, st.rep.Inputs, st.rep.Readouts = net.N(), net.NIn, net.NOut()
	st.rep.Synapses, st.rep.ZeroSynapses = st.g.nnz, st.g.zero
	return nil
}
