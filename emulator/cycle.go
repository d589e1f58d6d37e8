package emulator

import (
	"fmt"
	"slices"
)

// runCycle runs one sample in cycle mode. Hardware step t is one window of the
// machine: every core updates its units (neurons read slot t; readout units read
// slot t, the readout events of step t-1), spiking neurons send their packets as
// their updates complete, the host injects the input spikes of step t+1, and cores
// apply arriving packets once their updates are done. When every core is idle and
// the network is drained, a barrier ends the step. A prologue window delivers step
// 0's input; a final window updates the readout units only.
func (n *noc) runCycle(x Input, res *Result) error {
	T := x.T
	res.Cycles = &Cycles{Steps: make([]int64, T)}
	bar := n.p.cost.barrier
	for t := -1; t <= T; t++ {
		c, err := n.window(t, x, res)
		if err != nil {
			return err
		}
		switch {
		case t < 0:
			res.Cycles.Prologue = c + bar
		case t < T:
			res.Cycles.Steps[t] = c + bar
		default:
			res.Cycles.Flush = c
		}
	}
	res.Barriers = int64(T + 1)
	for c := range n.cs {
		cs := &n.cs[c]
		n.s.cc[c].InjectionStalls += cs.stall
		n.s.cc[c].QueuePeak = max(n.s.cc[c].QueuePeak, cs.peak)
		cs.stall, cs.peak = 0, 0
	}
	n.s.host.InjectionStalls += n.host.stall
	n.host.stall = 0
	res.Routers = append([]RouterCounters(nil), n.rc...)
	clear(n.rc)
	return nil
}

// window runs hardware step t (-1: the prologue, x.T: the readout flush) and returns
// its cycles before the barrier.
func (n *noc) window(t int, x Input, res *Result) (int64, error) {
	p, s := n.p, n.s
	T := x.T
	n.now, n.fl, n.err = 0, n.fl[:0], nil
	for i := range n.rt {
		r := &n.rt[i]
		r.wake = -1
		clear(r.free)
	}
	for c := range n.cs {
		cs := &n.cs[c]
		cs.busy, cs.work, cs.wake, cs.injFree = 0, 0, -1, 0
	}
	n.host.wake, n.host.injFree = -1, 0

	// The cores' updates, computed at once; their timing follows the slot order.
	if t >= 0 && t < T {
		s.updateNeurons(t)
		s.recordNeurons(t, res)
		n.schedule(t)
	}
	if t >= 0 {
		s.updateReadouts(t)
		if t >= 1 {
			s.recordReadouts(t, res)
		}
		for c := range p.cores {
			co := &p.cores[c]
			cost := co.rSlots*p.cost.updInactive + (p.cost.updActive-p.cost.updInactive)*s.activeR[c]
			n.cs[c].busy += cost
			n.cs[c].work += cost
		}
	}
	if t >= 0 {
		s.clearSlot(t)
	}
	for c := range n.cs {
		if n.cs[c].busy > 0 {
			n.wakeC(int32(c), n.cs[c].busy)
		}
	}
	// The host sends the input spikes of the next step.
	if t+1 < T {
		m := &p.mesh
		row := x.Bits[(t+1)*x.NIn : (t+2)*x.NIn]
		for ch, b := range row {
			if b == 0 {
				continue
			}
			for _, pk := range p.srcInput[ch].packets {
				n.fl = append(n.fl, flight{step: int32(t + 1), dest: pk.dest, axon: pk.axon, key: pk.key, origin: int32(m.hostTile), sender: -1})
				n.host.out.push(entry{pk: int32(len(n.fl) - 1)}, m.flits)
			}
		}
		if n.host.out.n > 0 {
			n.markC(-1)
		}
	}
	if err := n.loop(); err != nil {
		return 0, fmt.Errorf("%w (step %d)", err, t)
	}
	for c := range n.cs {
		w := n.cs[c].work
		s.cc[c].BusyCycles += w
		s.cc[c].BusyPeak = max(s.cc[c].BusyPeak, w)
	}
	return n.now, nil
}

// schedule queues the packets of the neurons that spiked in step t, each released
// when its neuron's update completes: a core updates its neurons in slot order, an
// active slot costing neuron_update_active cycles and an inactive one
// neuron_update_inactive.
func (n *noc) schedule(t int) {
	p, s := n.p, n.s
	ca, ci := p.cost.updActive, p.cost.updInactive
	upd, fired := s.set, s.fired // both ascending
	// Active slots before each fired neuron of the same core.
	k := 0
	activeBefore := int64(0)
	cur := int32(-1)
	for _, u := range fired {
		nr := &p.neurons[u]
		if nr.core != cur {
			cur, activeBefore = nr.core, 0
			for k < len(upd) && p.neurons[upd[k]].core < cur {
				k++
			}
		}
		for k < len(upd) && upd[k] < u {
			activeBefore += int64(p.neurons[upd[k]].slots)
			k++
		}
		rel := int64(nr.pos)*ci + (ca-ci)*activeBefore + int64(nr.slots)*ca
		src := &p.srcNeuron[u]
		cs := &n.cs[nr.core]
		for _, pk := range src.packets {
			n.fl = append(n.fl, flight{step: int32(t), dest: pk.dest, axon: pk.axon, key: pk.key,
				origin: p.cores[nr.core].tile, sender: nr.core})
			cs.out.push(entry{pk: int32(len(n.fl) - 1), ready: rel}, p.mesh.flits)
		}
		if len(src.packets) > 0 {
			n.wakeC(nr.core, rel)
		}
	}
	for c := range p.cores {
		co := &p.cores[c]
		cost := co.nSlots*ci + (ca-ci)*s.activeN[c]
		n.cs[c].busy += cost
		n.cs[c].work += cost
	}
}

// loop runs the events of the window until the network is drained.
func (n *noc) loop() error {
	F := n.p.mesh.flits
	for {
		for len(n.ev) > 0 && n.ev[0].at == n.now {
			e := n.ev.pop()
			switch e.kind {
			case evArrive:
				n.enter(e.a, int(e.b), e.pk)
			case evEject:
				cs := &n.cs[e.a]
				cs.in.push(entry{pk: e.pk}, F)
				cs.peak = max(cs.peak, cs.in.flits)
				n.s.cc[e.a].Deliveries++
				n.markC(e.a)
			case evCredit:
				n.rt[e.a].credit[e.b] += F
				n.markR(e.a)
			case evCreditC:
				n.cs[e.a].credit += F
				n.markC(e.a)
			case evCreditH:
				n.host.credit += F
				n.markC(-1)
			case evWakeR:
				n.markR(e.a)
			case evWakeC:
				n.markC(e.a)
			}
		}
		slices.Sort(n.dirtyC)
		for i := 0; i < len(n.dirtyC); i++ {
			c := n.dirtyC[i]
			n.core(c).dirty = false
			n.coreAct(c)
		}
		n.dirtyC = n.dirtyC[:0]
		slices.Sort(n.dirtyR)
		for _, t := range n.dirtyR {
			n.rt[t].dirty = false
			n.routerAct(t)
		}
		n.dirtyR = n.dirtyR[:0]
		if n.err != nil {
			return n.err
		}
		if len(n.ev) == 0 {
			break
		}
		n.now = n.ev[0].at
	}
	stuck := n.host.out.n
	for c := range n.cs {
		stuck += n.cs[c].in.n + n.cs[c].out.n
	}
	for t := range n.rt {
		for p := range n.rt[t].in {
			stuck += n.rt[t].in[p].n
		}
	}
	if stuck > 0 {
		return fmt.Errorf("network deadlock at cycle %d: %d packets cannot move", n.now, stuck)
	}
	return nil
}
