package train

import (
	"fmt"
	"testing"

	"github.com/snnc/snnc/lsnn/tasks"
)

// smnistConfig is the paper's sMNIST LSNN: 120 LIF + 100 ALIF, 12% connectivity.
func smnistConfig(batch int) Config {
	return Config{NLIF: 120, NALIF: 100, TauA: 700, Beta: 1.8, B0: 0.01, NRef: 5,
		Connectivity: 0.12, ExcitatoryFraction: 0.75, Batch: batch, Seed: 1}
}

// smnistTask is the 1 ms-per-pixel sMNIST task, or a skip when MNIST is not in the
// module cache.
func smnistTask(b *testing.B) tasks.Task {
	b.Helper()
	data, err := tasks.LoadMNIST("")
	if err != nil {
		b.Skip(err)
	}
	task, err := tasks.NewSMNIST(data, 1)
	if err != nil {
		b.Fatal(err)
	}
	return task
}

// BenchmarkSMNISTIteration times one training iteration of the sMNIST set-up and
// reports how it splits between the two forward passes, the backward pass and the
// update (Adam and DEEP R).
func BenchmarkSMNISTIteration(b *testing.B) {
	task := smnistTask(b)
	for _, batch := range []int{64, 256} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			tr, err := New(smnistConfig(batch), task)
			if err != nil {
				b.Fatal(err)
			}
			var fwd, bwd, upd float64
			var rate float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st, err := tr.Step()
				if err != nil {
					b.Fatal(err)
				}
				fwd += st.Forward.Seconds()
				bwd += st.Backward.Seconds()
				upd += st.Update.Seconds()
				rate = st.Rate
			}
			n := float64(b.N)
			b.ReportMetric(1000*fwd/n, "ms-rates/op")
			b.ReportMetric(1000*bwd/n, "ms-tape+backward/op")
			b.ReportMetric(1000*upd/n, "ms-update/op")
			b.ReportMetric(rate, "spikes/neuron/step")
		})
	}
}
