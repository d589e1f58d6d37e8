package train

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/tasks"
)

// shortStoreRecall is a store-recall task small enough for unit tests.
func shortStoreRecall(t *testing.T) tasks.Task {
	t.Helper()
	cfg := tasks.DefaultStoreRecallConfig()
	cfg.Symbols, cfg.SymbolMs, cfg.TestTrials = 6, 50, 20
	task, err := tasks.NewStoreRecall(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func smallConfig() Config {
	return Config{NLIF: 6, NALIF: 6, TauA: 300, Beta: 1.7, NRef: 3, Connectivity: 0.3,
		ExcitatoryFraction: 0.75, Batch: 8, LR: 0.02, Seed: 3}
}

// TestDeepRInvariants holds DEEP R's invariants on every step: exactly K active,
// signs fixed, no self-connection, dormant connections without optimizer state.
func TestDeepRInvariants(t *testing.T) {
	tr, err := New(smallConfig(), shortStoreRecall(t))
	if err != nil {
		t.Fatal(err)
	}
	tr.Cfg.LR = 0.2 // large steps, so that connections die and are reborn
	signs := append([]int8(nil), tr.P.Sign...)
	rewired := 0
	for i := 0; i < 15; i++ {
		st, err := tr.Step()
		if err != nil {
			t.Fatal(err)
		}
		rewired += st.Rewired
		if err := tr.P.check(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if !bytes.Equal(int8Bytes(signs), int8Bytes(tr.P.Sign)) {
			t.Fatalf("step %d: signs changed", i)
		}
		for k, th := range tr.P.Theta {
			if th <= 0 && (tr.m[k] != 0 || tr.v[k] != 0) {
				t.Fatalf("step %d: dormant connection %d keeps optimizer state", i, k)
			}
		}
		if err := tr.Network().Validate(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if rewired == 0 {
		t.Fatal("no connection was rewired in 15 large steps: the test does not exercise DEEP R")
	}
}

func int8Bytes(s []int8) []byte {
	b := make([]byte, len(s))
	for i, v := range s {
		b[i] = byte(v)
	}
	return b
}

// TestForwardMatchesSimulator checks that the network the trainer builds from its
// parameters, run by the reference simulator, gives the spikes the training tape holds.
func TestForwardMatchesSimulator(t *testing.T) {
	task := shortStoreRecall(t)
	tr, err := New(smallConfig(), task)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
	}
	net, _ := tr.P.build()
	sim, err := lsnn.NewSimulator(net)
	if err != nil {
		t.Fatal(err)
	}
	x := task.TestSample(0).Input
	ref, _ := sim.Run([]lsnn.Raster{x}, lsnn.Options{})
	var tp tape
	tp.recordSpiking(sim.NewState(), x, newConsts(net, 0.3), make([]int, net.N()))
	got := lsnn.NewRaster(x.T, net.N())
	for s := 0; s < x.T; s++ {
		for _, j := range tp.spikes(s) {
			got.Set(s, int(j))
		}
	}
	if got.Count() == 0 {
		t.Fatal("no spikes: the comparison would be empty")
	}
	if !bytes.Equal(got.Bits, ref[0].Spikes.Bits) {
		t.Fatal("training tape and reference simulator disagree on spikes")
	}
}

// TestResumeMatchesUninterrupted trains 6 steps straight, and 3 + save + load + 3;
// the parameters must be identical.
func TestResumeMatchesUninterrupted(t *testing.T) {
	task := shortStoreRecall(t)
	a, _ := New(smallConfig(), task)
	for i := 0; i < 6; i++ {
		if _, err := a.Step(); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := New(smallConfig(), task)
	for i := 0; i < 3; i++ {
		b.Step()
	}
	path := filepath.Join(t.TempDir(), "run.ckpt")
	if err := b.SaveCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	c.SetTask(task)
	c.Workers = 1 // a different worker count must not change the result
	for i := 0; i < 3; i++ {
		if _, err := c.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff(a.P.Theta, c.P.Theta); d != "" {
		t.Fatalf("resumed run differs (-straight +resumed):\n%s", d)
	}
	if d := cmp.Diff(a.P.BOut, c.P.BOut); d != "" {
		t.Fatalf("readout bias differs:\n%s", d)
	}
}

func TestCheckpointCorruption(t *testing.T) {
	tr, _ := New(smallConfig(), shortStoreRecall(t))
	var buf bytes.Buffer
	if err := tr.writeCheckpoint(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	if _, err := readCheckpoint(good); err != nil {
		t.Fatalf("good checkpoint rejected: %v", err)
	}
	for _, n := range []int{0, 5, 20, len(good) / 2, len(good) - 1} {
		if _, err := readCheckpoint(good[:n]); err == nil {
			t.Errorf("checkpoint cut at %d bytes accepted", n)
		}
	}
	for _, off := range []int{3, 10, 40, len(good) / 2, len(good) - 2} {
		bad := append([]byte(nil), good...)
		bad[off] ^= 0x10
		if _, err := readCheckpoint(bad); err == nil {
			t.Errorf("bit flip at %d accepted", off)
		}
	}
}
