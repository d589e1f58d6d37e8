package compiler

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/snnc/snnc/lsnn/lsnntest"
	"github.com/snnc/snnc/targets"
)

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
		encode := func() []byte {
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
		narrow := encode()
		defer func(m int) { narrowCoresMax = m }(narrowCoresMax)
		narrowCoresMax = 0
		wide := encode()
		narrowCoresMax = 1 << 16
		if !bytes.Equal(narrow, wide) {
			t.Errorf("seed %d: images differ between the 16-bit and the 32-bit unit-to-core map", seed)
		}
	}
}
