package compiler

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/lsnn/lsnntest"
	"github.com/snnc/snnc/quant"
	"github.com/snnc/snnc/targets"
)

// TestTranspose checks the graph's in-edges against a direct transpose, with
// blocks of many sizes, on one worker and on several.
func TestTranspose(t *testing.T) {
	tg, err := targets.Lookup("loihi")
	if err != nil {
		t.Fatal(err)
	}
	net, _, err := quant.Quantize(lsnntest.RandomNetwork(rand.New(rand.NewPCG(3, 4)), 30, 700, 7, 0.05, 6), tg)
	if err != nil {
		t.Fatal(err)
	}
	defer func(e int64) { transposeEdges = e }(transposeEdges)
	for _, edges := range []int64{1, 7, 64, 1000, 1 << 17} {
		for _, workers := range []int{1, 3} {
			transposeEdges = edges
			g := newGraph(net, tg, make([]float64, net.N()+net.NIn), workers)
			want := make([][]int32, g.U)
			for s := 0; s < g.S; s++ {
				g.targets(s, func(u int, _ bool) { want[u] = append(want[u], int32(s)) })
			}
			for u := range want {
				if got := g.inSrc[g.inStart[u]:g.inStart[u+1]]; !slices.Equal(got, want[u]) {
					t.Fatalf("blocks of %d edges, %d workers: unit %d has in-edges %v, want %v", edges, workers, u, got, want[u])
				}
			}
		}
	}
}

// TestNarrowCoresSameImage compiles networks spanning several cores with the
// unit-to-core map narrowed to 16 bits (as every target of up to 2^16 cores is) and
// with the 32-bit map larger targets use, and wants the same bytes.
func TestNarrowCoresSameImage(t *testing.T) {
	tg, err := targets.Lookup("loihi")
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed <= 2; seed++ {
		net := lsnntest.RandomNetwork(rand.New(rand.NewPCG(seed, 5)), 20, 3000, 5, 0.05, 6)
		narrow := compileSeveral(t, net, tg, seed)
		defer func(m int) { narrowCoresMax = m }(narrowCoresMax)
		narrowCoresMax = 0
		wide := compileSeveral(t, net, tg, seed)
		narrowCoresMax = 1 << 16
		if !bytes.Equal(narrow, wide) {
			t.Errorf("seed %d: images differ between the 16-bit and the 32-bit unit-to-core map", seed)
		}
	}
}

// TestTransposeFanoutsBudgets compiles networks spanning several cores with the
// fan-out transpose's blocks and rounds at their defaults and down to one source and
// one entry, and wants the same bytes.
func TestTransposeFanoutsBudgets(t *testing.T) {
	tg, err := targets.Lookup("loihi")
	if err != nil {
		t.Fatal(err)
	}
	defer func(e int64, g int, r int64) {
		fanoutBlockEntries, fanoutBlockGroups, fanoutRoundEntries = e, g, r
	}(fanoutBlockEntries, fanoutBlockGroups, fanoutRoundEntries)
	for seed := uint64(1); seed <= 2; seed++ {
		net := lsnntest.RandomNetwork(rand.New(rand.NewPCG(seed, 6)), 20, 3000, 5, 0.05, 6)
		var want []byte
		for _, b := range []struct {
			entries int64
			groups  int
			round   int64
		}{{1 << 17, 64, 1 << 24}, {1, 1, 1}, {500, 2, 3000}, {1 << 17, 1, 40}} {
			fanoutBlockEntries, fanoutBlockGroups, fanoutRoundEntries = b.entries, b.groups, b.round
			got := compileSeveral(t, net, tg, seed)
			if want == nil {
				want = got
			} else if !bytes.Equal(got, want) {
				t.Errorf("seed %d, budgets %+v: the image differs from the default budgets'", seed, b)
			}
		}
	}
}

// compileSeveral compiles a network that must span several cores and returns the
// image's bytes.
func compileSeveral(t *testing.T, net *lsnn.Network, tg *targets.Target, seed uint64) []byte {
	t.Helper()
	img, _, err := Compile(net, tg, Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if len(img.Cores) < 3 {
		t.Fatalf("%d cores: the test needs several", len(img.Cores))
	}
	b, err := img.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
