package lsnn_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	. "github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/lsnntest"
)

// BenchmarkSimulate measures the reference simulator over a batch of 16 Poisson
// inputs and reports synaptic events (spike deliveries to a synapse) and neuron
// updates per second of wall time, both cores busy.
func BenchmarkSimulate(b *testing.B) {
	for _, c := range []struct {
		N, nIn  int
		density float64
		rate    float64
		wscale  float64 // recurrent weight scale, to keep activity near 1-3% per step
	}{
		{300, 80, 0.1, 0.03, 0.3},      // the medium test model's size
		{10000, 200, 0.01, 0.02, 0.15}, // 100 synapses per neuron
	} {
		b.Run(fmt.Sprintf("N=%d", c.N), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(c.N)))
			net := lsnntest.RandomNetwork(rng, c.nIn, c.N, 10, c.density, 10)
			for k := range net.Rec.Weight {
				net.Rec.Weight[k] *= c.wscale
			}
			sim, err := NewSimulator(net)
			if err != nil {
				b.Fatal(err)
			}
			const T, B = 300, 16
			xs := make([]Raster, B)
			for k := range xs {
				xs[k] = lsnntest.RandomInput(rng, T, c.nIn, c.rate)
			}
			var events, spikes int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				trs, err := sim.Run(xs, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					for k, tr := range trs {
						for t := 0; t < T; t++ {
							for ch, bit := range xs[k].Row(t) {
								if bit != 0 {
									events += int64(net.In.RowStart[ch+1] - net.In.RowStart[ch])
								}
							}
							for j, bit := range tr.Spikes.Row(t) {
								if bit != 0 {
									spikes++
									events += int64(net.Rec.RowStart[j+1] - net.Rec.RowStart[j])
								}
							}
						}
					}
				}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(events)/sec, "syn-events/s")
			b.ReportMetric(float64(T*B*c.N)/sec, "neuron-updates/s")
			b.ReportMetric(float64(spikes)/float64(T*B*c.N), "spikes/neuron-step")
		})
	}
}
