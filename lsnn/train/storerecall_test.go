package train

import (
	"testing"

	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
)

// TestStoreRecallLSNN trains the store-recall LSNN of lsnn.md (10 LIF + 10 ALIF,
// tau_a 1,200 ms, beta 1.7, n_ref 3, 12% connectivity) on full 2.4 s trials and
// requires a recall error under 5% on 500 test trials it never saw. The run is
// deterministic, so the figure does not flake; it takes about a minute on 2 cores.
func TestStoreRecallLSNN(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for about a minute")
	}
	cfg := tasks.DefaultStoreRecallConfig()
	cfg.TestTrials = 500
	task, err := tasks.NewStoreRecall(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(Config{NLIF: 10, NALIF: 10, TauA: 1200, Beta: 1.7, B0: 0.01, NRef: 3,
		Connectivity: 0.12, ExcitatoryFraction: 0.75, Batch: 64, LR: 0.01, Seed: 1}, task)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 250; i++ {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
	}
	net := tr.Network()
	sim, err := lsnn.NewSimulator(net)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tasks.Evaluate(task, 0, 100, net.N(), tasks.FloatRunner(sim), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("store-recall LSNN after 250 iterations: recall error %.2f%% over %d recalls, %.4f spikes/neuron/step",
		100*(1-res.Accuracy), res.Windows, res.Rate)
	if res.Accuracy < 0.95 {
		t.Fatalf("recall error %.2f%%, want < 5%%", 100*(1-res.Accuracy))
	}
}
