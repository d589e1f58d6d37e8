package emulator

import (
	"testing"

	"github.com/snnc/snnc/targets"
)

// The worked values of docs/arithmetic.md, section 3.
func TestDecayWorkedValues(t *testing.T) {
	mult := func(F int, r int, minDec int64) arith {
		return arith{round: r, fracBits: uint(F), minDec: minDec}
	}
	shift := func(r int, minDec int64) arith { return arith{round: r, shiftDecay: true, minDec: minDec} }
	for _, c := range []struct {
		a      arith
		x      int64
		code   int32
		result int64
	}{
		{mult(12, roundTowardZero, 0), 1000, 200, 952},
		{mult(12, roundTowardZero, 0), -1000, 200, -952},
		{mult(12, roundTowardZero, 0), 20, 200, 20},
		{mult(12, roundTowardZero, 0), -20, 200, -20},
		{shift(roundFloor, 1), 1000, 4, 938},
		{shift(roundFloor, 1), -1000, 4, -937},
		{shift(roundFloor, 1), 5, 4, 4},
		{shift(roundFloor, 1), -5, 4, -4},
		{shift(roundFloor, 1), 1, 4, 0},
		{shift(roundFloor, 1), -1, 4, 0},
		{mult(16, roundHalfAway, 0), 3, 32768, 1},
		{mult(16, roundHalfAway, 0), -3, 32768, -1},
		{mult(16, roundHalfEven, 0), 5, 32768, 3},
		{mult(16, roundHalfEven, 0), -5, 32768, -3},
		{mult(16, roundFloor, 0), -5, 32768, -2},
	} {
		if got := c.a.decay(c.x, c.code); got != c.result {
			t.Errorf("decay(%d, %d) with %+v = %d, want %d", c.x, c.code, c.a, got, c.result)
		}
	}
}

func TestFitAndWeight(t *testing.T) {
	sat, wrap := arith{}, arith{wrap: true}
	for _, c := range []struct {
		a         arith
		x         int64
		bits      uint
		want      int64
		rule      string
		roundRule int
	}{
		{sat, 200, 8, 127, "saturate", 0}, {sat, -200, 8, -128, "saturate", 0}, {sat, 5, 8, 5, "saturate", 0},
		{wrap, 200, 8, -56, "wrap", 0}, {wrap, -129, 8, 127, "wrap", 0}, {wrap, 16256 * 3, 16, 16256*3 - 65536, "wrap", 0},
	} {
		if got := c.a.fit(c.x, c.bits); got != c.want {
			t.Errorf("%s fit(%d, %d) = %d, want %d", c.rule, c.x, c.bits, got, c.want)
		}
	}
	// Negative exponents round the mantissa by the rule: 5 / 2 and -5 / 2.
	for r, want := range map[int][2]int64{roundFloor: {2, -3}, roundTowardZero: {2, -2}, roundHalfAway: {3, -3}, roundHalfEven: {2, -2}} {
		a := arith{round: r}
		if p, n := a.weight(5, -1), a.weight(-5, -1); p != want[0] || n != want[1] {
			t.Errorf("rounding %d: 5/2 = %d, -5/2 = %d; want %v", r, p, n, want)
		}
	}
	if w := (&arith{}).weight(-3, 4); w != -48 {
		t.Errorf("-3 << 4 = %d", w)
	}
	for _, r := range []targets.Rounding{targets.Floor, targets.TowardZero, targets.HalfAwayFromZero, targets.HalfToEven} {
		if _, err := roundCode(r); err != nil {
			t.Error(err)
		}
	}
	if _, err := roundCode("stochastic"); err == nil {
		t.Error("an unknown rounding rule was accepted")
	}
}

// lineProgram is a hand-built machine: three tiles in a row, one core each, the host
// on the west of tile 0; input channel 0 sends one packet to the one neuron of core 2,
// two tiles east.
func lineProgram() *program {
	p := &program{target: "line", nIn: 1, n: 1, ring: 2, dt: 1,
		ar: arith{round: roundTowardZero, accBits: 20, memBits: 20, adaptBits: 20, readoutBits: 20}}
	p.neurons = []neuron{{id: 0, core: 0, slots: 1, thr: 1 << 30, memDecay: 100}}
	p.cores = []core{{index: 2, tile: 2, lo: 0, hi: 1, nSlots: 1, axons: []axon{{0, 1}}, axonByHead: map[int32]int32{0: 0}}}
	p.syn = []synapse{{unit: 0, off: 0, w: 5}}
	p.srcNeuron = []source{{origin: 0}}
	p.srcInput = []source{{origin: -1, packets: []packet{{dest: 2, axon: 0}}, deliver: []delivery{{0, 0, 1}}, lo: 0, hi: 1,
		traffic: traffic{packets: 1, deliveries: 1, hopsEW: 2}}}
	p.mesh = mesh{cols: 3, rows: 1, perTile: 1, hostTile: 0, hostPort: portW, flits: 1, buffer: 4, coreOf: map[int]int32{2: 0}}
	p.cost = costs{clockHz: 1e9, synOp: 7, updActive: 17, updInactive: 11, inTile: 4, hopEW: 8, hopNS: 13, pipeline: 4, barrier: 100}
	return p
}

// An uncontended packet takes the hop latencies of the target: the prologue carries
// the input of step 0 from the host two tiles east, then the core applies it.
func TestUncontendedLatency(t *testing.T) {
	p := lineProgram()
	e := &Emulator{p: p}
	x := Input{T: 2, NIn: 1, Bits: []uint8{1, 0}}
	res, err := e.Run([]Input{x}, Options{Mode: Cycle})
	if err != nil {
		t.Fatal(err)
	}
	c := res[0].Cycles
	// Two east-west hops, then into the core (max(spike_in_tile, pipeline)), then one
	// synaptic operation; then the barrier.
	if want := int64(2*8 + 4 + 7 + 100); c.Prologue != want {
		t.Errorf("prologue: %d cycles, want %d", c.Prologue, want)
	}
	// Step 0: the core updates its one (active) slot: 17 cycles, then the barrier.
	if want := int64(17 + 100); c.Steps[0] != want {
		t.Errorf("step 0: %d cycles, want %d", c.Steps[0], want)
	}
	tot := res[0].Total()
	if tot.FlitHopsEW != 2 || tot.Deliveries != 1 || tot.SynapticOps != 1 || tot.SpikesInTile != 0 || res[0].Host.Packets != 1 {
		t.Errorf("counts: %+v, host %+v", tot, res[0].Host)
	}
	fast, err := e.Run([]Input{x}, Options{Mode: Fast})
	if err != nil {
		t.Fatal(err)
	}
	if f, y := fast[0].Total().Functional(), tot.Functional(); f != y {
		t.Errorf("fast mode counts %+v, cycle mode %+v", f, y)
	}
}

// A burst of packets into one core backs up: the core applies one packet at a time,
// its input queue and the routers' buffers fill, and the routers stall.
func TestBackPressure(t *testing.T) {
	p := lineProgram()
	// 12 input channels, each with one packet to core 2.
	p.nIn = 12
	for ch := 1; ch < 12; ch++ {
		p.srcInput = append(p.srcInput, p.srcInput[0])
	}
	e := &Emulator{p: p}
	bits := make([]uint8, 2*12)
	for ch := 0; ch < 12; ch++ {
		bits[ch] = 1
	}
	res, err := e.Run([]Input{{T: 2, NIn: 12, Bits: bits}}, Options{Mode: Cycle})
	if err != nil {
		t.Fatal(err)
	}
	var stalls int64
	peak := 0
	for _, r := range res[0].Routers {
		stalls += r.Stalls
		peak = max(peak, r.PeakBuffer)
	}
	// The core needs 12 x 7 cycles for the synaptic operations alone.
	if c := res[0].Cycles.Prologue; c < 12*7+100 || stalls == 0 || peak != 4 {
		t.Errorf("prologue %d cycles, %d stalls, peak buffer %d: want > %d, stalls, a full buffer of 4", c, stalls, peak, 12*7+100)
	}
	if q := res[0].Cores[0].QueuePeak; q != 4 {
		t.Errorf("core input queue peak %d, want 4", q)
	}
}

func TestVCDIdentifiers(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 20000; i++ {
		id := vcdID(i)
		if seen[id] {
			t.Fatalf("identifier %q repeats at %d", id, i)
		}
		seen[id] = true
		for _, c := range id {
			if c < '!' || c > '~' {
				t.Fatalf("identifier %q has a character outside ! .. ~", id)
			}
		}
	}
	if b := vcdBits(-1, 4); b != "1111" {
		t.Errorf("-1 in 4 bits: %s", b)
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{Fast, Cycle} {
		if got, err := ParseMode(m.String()); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m, got, err)
		}
	}
	if _, err := ParseMode("turbo"); err == nil {
		t.Error("ParseMode accepted turbo")
	}
}
