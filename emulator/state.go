package emulator

import "math/bits"

// state is one sample's state in engine order, and the arithmetic of a step: the part
// of the engine both modes share. Only the moment synaptic events are applied
// differs between them; slots hold exact sums, so the result does not.
type state struct {
	p *program

	v, b  []int64  // membrane and adaptation, per neuron
	refr  []int32  // refractory steps left
	spk   []bool   // s[t-1]
	y     []int64  // readout states
	out   []int64  // readout outputs of the last readout update
	acc   []int64  // ring x units exact slot sums
	hit   []uint64 // ring x words: a bit per unit whose slot received an event
	words int      // words of one slot's bitmap

	// live has a bit per neuron whose state is not at rest; a step updates those and
	// the ones its slot touched, in index order (so memory is read in order).
	live  []uint64
	set   []int32 // the units updated in the current step
	fired []int32

	cc   []Counters // per engine core
	host Counters

	activeN, activeR []int64 // per engine core: active neuron and readout slots in this step
}

func newState(p *program) *state {
	U := p.units()
	s := &state{p: p, live: make([]uint64, (p.n+63)/64),
		v: make([]int64, p.n), b: make([]int64, p.n), refr: make([]int32, p.n), spk: make([]bool, p.n),
		y: make([]int64, p.nOut), out: make([]int64, p.nOut),
		acc: make([]int64, p.ring*U), hit: make([]uint64, p.ring*((U+63)/64)), words: (U + 63) / 64,
		cc:      make([]Counters, len(p.cores)),
		activeN: make([]int64, len(p.cores)), activeR: make([]int64, len(p.cores))}
	s.reset()
	return s
}

// reset puts the state at the image's initial state, before step 0.
func (s *state) reset() {
	p := s.p
	clear(s.live)
	for u := range p.neurons {
		nr := &p.neurons[u]
		s.v[u], s.b[u], s.refr[u], s.spk[u] = nr.v0, nr.b0, nr.refr0, nr.spike0
		if s.v[u] != 0 || s.b[u] != 0 || s.refr[u] != 0 || s.spk[u] {
			s.live[u>>6] |= 1 << (u & 63)
		}
	}
	for k := range p.readouts {
		s.y[k] = p.readouts[k].y0
		s.out[k] = 0
	}
	clear(s.acc)
	clear(s.hit)
	clear(s.cc)
	s.host = Counters{}
}

// apply adds synapses syn[lo:hi], sent in step base, to their slots.
func (s *state) apply(lo, hi int32, base int) {
	p := s.p
	U := p.units()
	ring := p.ring
	b := base % ring
	for _, sy := range p.syn[lo:hi] {
		r := b + int(sy.off) // off < ring
		if r >= ring {
			r -= ring
		}
		s.acc[r*U+int(sy.unit)] += sy.w
		s.hit[r*s.words+int(sy.unit>>6)] |= 1 << (sy.unit & 63)
	}
}

// updateNeurons runs phase 2 for every active neuron in step t: those not at rest
// and those whose slot t received an event. Neurons at rest with an empty slot keep
// their state and do not spike (docs/arithmetic.md), so skipping them is exact. It
// leaves the updated neurons in s.set and the ones that spiked in s.fired, both in
// ascending order.
func (s *state) updateNeurons(t int) {
	p, a := s.p, &s.p.ar
	U := p.units()
	slot := (t % p.ring) * U
	hit := s.hit[(t%p.ring)*s.words:]
	for w := range s.live {
		s.live[w] |= hit[w]
	}
	if r := p.n & 63; r != 0 { // the last word's bits above n are readout units
		s.live[len(s.live)-1] &= 1<<r - 1
	}
	s.set = s.set[:0]
	for w, word := range s.live {
		for word != 0 {
			s.set = append(s.set, int32(w<<6+bits.TrailingZeros64(word)))
			word &= word - 1
		}
	}
	clear(s.live)
	s.fired = s.fired[:0]
	clear(s.activeN)
	for _, u := range s.set {
		nr := &p.neurons[u]
		x := a.fit(s.acc[slot+int(u)], a.accBits)
		s.acc[slot+int(u)] = 0
		prev := s.spk[u]
		A := nr.thr
		if nr.alif {
			bb := a.decay(s.b[u], nr.adaptDecay)
			if prev {
				bb += nr.adaptInc
			}
			bb = a.fit(bb, a.adaptBits)
			s.b[u] = bb
			A = a.fit(A+a.toMembrane(bb), a.memBits)
		}
		fire := false
		if s.refr[u] > 0 {
			s.refr[u]--
		} else if s.v[u] > A {
			fire = true
			s.refr[u] = nr.refractory
		}
		v := a.decay(s.v[u], nr.memDecay) + x
		if prev {
			v -= A
		}
		v = a.fit(v, a.memBits)
		s.v[u] = v
		s.spk[u] = fire
		if fire {
			s.fired = append(s.fired, u)
		}
		if v != 0 || s.b[u] != 0 || s.refr[u] != 0 || fire {
			s.live[u>>6] |= 1 << (u & 63)
		}
		s.activeN[nr.core] += int64(nr.slots)
	}
	for c := range p.cores {
		s.cc[c].NeuronUpdatesActive += s.activeN[c]
		s.cc[c].NeuronUpdatesInactive += p.cores[c].nSlots - s.activeN[c]
	}
	for _, u := range s.fired {
		s.cc[p.neurons[u].core].Spikes++
	}
}

// threshold is A of neuron u as the last update computed it (for recording).
func (s *state) threshold(u int) int64 {
	nr := &s.p.neurons[u]
	if !nr.alif {
		return nr.thr
	}
	return s.p.ar.fit(nr.thr+s.p.ar.toMembrane(s.b[u]), s.p.ar.memBits)
}

// updateReadouts runs the readout update of hardware step t: the events in slot t
// are the readout synapses of the spikes of step t-1, so the outputs are those the
// golden simulator gives for step t-1. It appends the updated units to s.set.
func (s *state) updateReadouts(t int) {
	p, a := s.p, &s.p.ar
	U := p.units()
	slot := (t % p.ring) * U
	hit := s.hit[(t%p.ring)*s.words:]
	clear(s.activeR)
	for k := range p.readouts {
		u := p.n + k
		if s.y[k] == 0 && hit[u>>6]>>(u&63)&1 == 0 {
			continue // at rest: Y stays 0
		}
		ro := &p.readouts[k]
		s.y[k] = a.fit(a.decay(s.y[k], ro.decay)+s.acc[slot+u], a.readoutBits)
		s.acc[slot+u] = 0
		s.set = append(s.set, int32(u))
		s.activeR[ro.core] += int64(ro.slots)
	}
	for c := range p.cores {
		s.cc[c].NeuronUpdatesActive += s.activeR[c]
		s.cc[c].NeuronUpdatesInactive += p.cores[c].rSlots - s.activeR[c]
	}
	for k := range p.readouts {
		s.out[k] = a.fit(s.y[k]+p.readouts[k].bias, a.readoutBits)
	}
}

// clearSlot forgets which units slot t touched, after its update read it. Events no
// update reads (for neurons in the final, readout-only step) are zeroed too.
func (s *state) clearSlot(t int) {
	U := s.p.units()
	r := t % s.p.ring
	hit := s.hit[r*s.words : (r+1)*s.words]
	for w, word := range hit {
		for word != 0 {
			s.acc[r*U+w<<6+bits.TrailingZeros64(word)] = 0
			word &= word - 1
		}
	}
	clear(hit)
}

// emitFast delivers one spike of a source functionally: every copy's synapses, and
// the traffic it causes, charged to the sender.
func (s *state) emitFast(src *source, base int) {
	s.apply(src.lo, src.hi, base)
	for _, d := range src.deliver {
		s.cc[d.core].SynapticOps += int64(d.n)
		s.cc[d.core].Deliveries++
	}
	s.charge(src)
}

// charge counts the traffic of one spike of src against its sender.
func (s *state) charge(src *source) {
	c := &s.host
	if src.origin >= 0 {
		c = &s.cc[src.origin]
	}
	c.Packets += src.traffic.packets
	c.SpikesInTile += src.traffic.inTile
	c.FlitHopsEW += src.traffic.hopsEW
	c.FlitHopsNS += src.traffic.hopsNS
}

// senderCounters returns the counters traffic of sender c is charged to: engine
// core c, or the host port for c = -1.
func (s *state) senderCounters(c int32) *Counters {
	if c < 0 {
		return &s.host
	}
	return &s.cc[c]
}
