package emulator

import (
	"fmt"
	"slices"
)

// The cycle-level network on chip and the cores' timing (cycle mode).
//
// Time advances in cycles of the target's clock, but only to cycles at which
// something happens: the simulation keeps a queue of events (a flit arriving at a
// buffer, a credit coming back, a core or router becoming able to act) and jumps from
// one to the next, so idle routers and cores cost nothing.
//
// Within one cycle: events due then are applied first (arrivals, credits, wake-ups),
// then every core that has something to do acts (starts the next packet, injects a
// packet), then every router that has something to do allocates its outputs, in
// ascending order. Whatever a router sends arrives in a later cycle, and credits
// return one cycle after the buffer slot is freed, so the order in which routers are
// visited within a cycle does not change the outcome.

// flit-level latencies, from the target's timing table:
//
//	a packet that enters an input buffer at cycle a may leave at a + pipeline - 1;
//	over a link it reaches the next router's buffer hop cycles after it entered this
//	one (hop_east_west or hop_north_south: pipeline plus the link);
//	to a local core it arrives max(spike_in_tile, pipeline) cycles after entering.
//
// A packet of F flits occupies F buffer slots and its output for F cycles, and moves
// only when the downstream buffer has room for all of it (virtual cut-through with
// credits).

type event struct {
	at   int64
	seq  uint64
	kind uint8
	a, b int32
	pk   int32
}

const (
	evArrive  = iota // packet pk enters router a's input port b
	evEject          // packet pk reaches core a's input queue
	evCredit         // router a's output b gets F flits of credit back
	evCreditC        // core a's injector gets credit back
	evCreditH        // the host injector gets credit back
	evWakeR          // router a may act
	evWakeC          // core a may act
)

type eventHeap []event

func (h eventHeap) less(i, j int) bool {
	return h[i].at < h[j].at || h[i].at == h[j].at && h[i].seq < h[j].seq
}

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	q := *h
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *eventHeap) pop() event {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && q.less(l, m) {
			m = l
		}
		if r < len(q) && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// flight is a packet in the network: what it carries and whom its traffic is
// charged to.
type flight struct {
	step   int32 // the step it was sent for: its synapses land in slots step + delay
	dest   int32 // unicast: physical core
	axon   int32 // unicast: axon entry
	key    uint64
	origin int32 // tile it was injected at
	sender int32 // engine core, or -1 for the host
}

// entry is a packet in an input buffer.
type entry struct {
	pk      int32
	arrived int64
	ready   int64 // when it may leave, once at the head
	links   uint8
	cores   uint64
}

// queue is a bounded FIFO of packets.
type queue struct {
	e          []entry
	head, n    int
	flits, cap int
}

func (q *queue) push(x entry, f int) {
	if q.n == len(q.e) {
		// Grow (a core's queue and buffers are sized to their capacity up front,
		// so this happens only for the host's and cores' output lists).
		ne := make([]entry, max(4, 2*len(q.e)))
		for i := 0; i < q.n; i++ {
			ne[i] = q.e[(q.head+i)%len(q.e)]
		}
		q.e, q.head = ne, 0
	}
	q.e[(q.head+q.n)%len(q.e)] = x
	q.n++
	q.flits += f
}

func (q *queue) front() *entry { return &q.e[q.head] }

func (q *queue) pop(f int) entry {
	x := q.e[q.head]
	q.head = (q.head + 1) % len(q.e)
	q.n--
	q.flits -= f
	return x
}

type router struct {
	col, row int
	in       []queue // per input port
	credit   []int   // per output port: flits free downstream
	free     []int64 // per output port: the cycle it may start the next packet
	rr       []int   // per output port: the input granted last
	wake     int64   // a wake-up is scheduled at this cycle (or none when < now)
	dirty    bool
	busy     int // input ports holding packets
}

type coreSim struct {
	in      queue // packets ejected to the core, waiting to be applied
	out     queue // packets the core has to send; entry.ready is when it may
	busy    int64 // the core is busy until this cycle
	credit  int   // flits free in its router's local input buffer
	injFree int64
	wake    int64
	dirty   bool
	work    int64 // busy cycles in this step
	stall   int64 // injection stalls in this sample
	peak    int   // most flits in the input queue
}

// noc is one worker's cycle-level machine.
type noc struct {
	p      *program
	s      *state
	now    int64
	seq    uint64
	ev     eventHeap
	fl     []flight
	rt     []router
	cs     []coreSim // per engine core
	host   coreSim   // the host port's injector (only in and out queues used as out)
	dirtyR []int32
	dirtyC []int32
	hostOn bool
	rc     []RouterCounters
	ports  int
	lat    [4]int64 // link latency per output direction
	ej     int64    // ejection latency
	err    error
}

func newNoC(p *program, s *state) *noc {
	m := &p.mesh
	n := &noc{p: p, s: s, ports: portLocal + m.perTile}
	tiles := m.cols * m.rows
	n.rt = make([]router, tiles)
	n.rc = make([]RouterCounters, tiles)
	for t := range n.rt {
		r := &n.rt[t]
		r.col, r.row = t%m.cols, t/m.cols
		r.in = make([]queue, n.ports)
		for i := range r.in {
			r.in[i] = queue{e: make([]entry, max(1, m.buffer/m.flits)), cap: m.buffer}
		}
		r.credit = make([]int, n.ports)
		r.free = make([]int64, n.ports)
		r.rr = make([]int, n.ports)
		for o := range r.credit {
			r.credit[o] = m.buffer
		}
		r.wake = -1
	}
	n.cs = make([]coreSim, len(p.cores))
	for c := range n.cs {
		n.cs[c] = coreSim{in: queue{e: make([]entry, max(1, m.buffer/m.flits)), cap: m.buffer}, credit: m.buffer, wake: -1}
	}
	n.host = coreSim{credit: m.buffer, wake: -1}
	c := &p.cost
	n.lat[portN], n.lat[portS] = c.hopNS-c.pipeline+1, c.hopNS-c.pipeline+1
	n.lat[portE], n.lat[portW] = c.hopEW-c.pipeline+1, c.hopEW-c.pipeline+1
	n.ej = max(c.inTile-c.pipeline, 0) + 1
	return n
}

func (n *noc) at(at int64, kind uint8, a, b, pk int32) {
	n.seq++
	n.ev.push(event{at: at, seq: n.seq, kind: kind, a: a, b: b, pk: pk})
}

func (n *noc) markR(t int32) {
	r := &n.rt[t]
	if !r.dirty {
		r.dirty = true
		n.dirtyR = append(n.dirtyR, t)
	}
}

func (n *noc) markC(c int32) {
	cs := n.core(c)
	if !cs.dirty {
		cs.dirty = true
		n.dirtyC = append(n.dirtyC, c)
	}
}

// core returns the simulated core c, or the host injector for c = -1.
func (n *noc) core(c int32) *coreSim {
	if c < 0 {
		return &n.host
	}
	return &n.cs[c]
}

// wakeR schedules router t to act at cycle at (> now), unless a wake-up at or
// before it is already pending.
func (n *noc) wakeR(t int32, at int64) {
	r := &n.rt[t]
	if r.wake > n.now && r.wake <= at {
		return
	}
	r.wake = at
	n.at(at, evWakeR, t, 0, 0)
}

func (n *noc) wakeC(c int32, at int64) {
	cs := n.core(c)
	if cs.wake > n.now && cs.wake <= at {
		return
	}
	cs.wake = at
	n.at(at, evWakeC, c, 0, 0)
}

// route computes where router t sends packet pk.
func (n *noc) route(t int32, pk int32) (uint8, uint64, error) {
	m := &n.p.mesh
	f := &n.fl[pk]
	if m.multicast {
		r, ok := m.tables[t][f.key]
		if !ok {
			return 0, 0, fmt.Errorf("router of tile %d: no routing entry for key %d", t, f.key)
		}
		return r.links, r.cores, nil
	}
	dt := int(f.dest) / m.perTile
	dc, dr := dt%m.cols, dt/m.cols
	r := &n.rt[t]
	switch {
	case dc > r.col:
		return 1 << portE, 0, nil
	case dc < r.col:
		return 1 << portW, 0, nil
	case dr > r.row:
		return 1 << portS, 0, nil
	case dr < r.row:
		return 1 << portN, 0, nil
	}
	return 0, 1 << (int(f.dest) % m.perTile), nil
}

// enter puts packet pk into input port p of router t at the current cycle.
func (n *noc) enter(t int32, p int, pk int32) {
	links, cores, err := n.route(t, pk)
	if err != nil && n.err == nil {
		n.err = err
	}
	r := &n.rt[t]
	q := &r.in[p]
	e := entry{pk: pk, arrived: n.now, ready: n.now + n.p.cost.pipeline - 1, links: links, cores: cores}
	if q.n == 0 {
		r.busy++
	}
	q.push(e, n.p.mesh.flits)
	if q.flits > n.rc[t].PeakBuffer {
		n.rc[t].PeakBuffer = q.flits
	}
	n.markR(t)
}

// neighbour returns the tile beyond output link o of tile t.
func (n *noc) neighbour(t int32, o int) int32 {
	cols := int32(n.p.mesh.cols)
	switch o {
	case portN:
		return t - cols
	case portS:
		return t + cols
	case portE:
		return t + 1
	}
	return t - 1
}

func opposite(o int) int { return o ^ 2 } // N<->S, E<->W

// routerAct lets router t allocate its outputs at the current cycle.
func (n *noc) routerAct(t int32) {
	r := &n.rt[t]
	m := &n.p.mesh
	F := m.flits
	now := n.now
	if r.busy == 0 {
		return
	}
	for o := 0; o < n.ports; o++ {
		if r.credit[o] < F || r.free[o] > now {
			continue
		}
		// Round robin over the inputs, starting after the last one granted.
		for k := 1; k <= n.ports; k++ {
			p := (r.rr[o] + k) % n.ports
			q := &r.in[p]
			if q.n == 0 {
				continue
			}
			h := q.front()
			if h.ready > now || !wants(h, o) {
				continue
			}
			n.send(t, o, h)
			r.rr[o] = p
			break
		}
	}
	for p := 0; p < n.ports; p++ {
		q := &r.in[p]
		if q.n == 0 {
			continue
		}
		h := q.front()
		if h.links != 0 || h.cores != 0 {
			continue
		}
		n.rc[t].Stalls += now - h.ready
		q.pop(F)
		n.creditBack(t, p)
		if q.n == 0 {
			r.busy--
			continue
		}
		nh := q.front()
		nh.ready = max(nh.ready, now+1)
	}
	// Wake again when a blocked head could move: when it becomes ready or its
	// output's link frees up. A head waiting for credit is woken by the credit.
	next := int64(-1)
	for p := 0; p < n.ports; p++ {
		q := &r.in[p]
		if q.n == 0 {
			continue
		}
		h := q.front()
		w := int64(-1)
		if h.ready > now {
			w = h.ready
		} else {
			for o := 0; o < n.ports; o++ {
				if wants(h, o) && r.credit[o] >= F && r.free[o] > now {
					if w < 0 || r.free[o] < w {
						w = r.free[o]
					}
				}
			}
		}
		if w >= 0 && (next < 0 || w < next) {
			next = w
		}
	}
	if next >= 0 {
		n.wakeR(t, next)
	}
}

func wants(h *entry, o int) bool {
	if o < portLocal {
		return h.links&(1<<o) != 0
	}
	return h.cores&(1<<(o-portLocal)) != 0
}

// send moves a copy of head h out of port o of router t.
func (n *noc) send(t int32, o int, h *entry) {
	r := &n.rt[t]
	m := &n.p.mesh
	F := int64(m.flits)
	r.credit[o] -= m.flits
	r.free[o] = n.now + F
	n.rc[t].Flits += F
	f := &n.fl[h.pk]
	if o < portLocal {
		h.links &^= 1 << o
		c := n.s.senderCounters(f.sender)
		if o == portE || o == portW {
			c.FlitHopsEW += F
		} else {
			c.FlitHopsNS += F
		}
		n.at(n.now+n.lat[o]+F-1, evArrive, n.neighbour(t, o), int32(opposite(o)), h.pk)
		return
	}
	h.cores &^= 1 << (o - portLocal)
	phys := int(t)*m.perTile + (o - portLocal)
	c, ok := m.coreOf[phys]
	if !ok {
		if n.err == nil {
			n.err = fmt.Errorf("tile %d: a packet was routed to core %d, which the image does not use", t, phys)
		}
		return
	}
	if int32(t) == f.origin {
		n.s.senderCounters(f.sender).SpikesInTile++
	}
	n.at(n.now+n.ej+F-1, evEject, c, 0, h.pk)
}

// creditBack returns the credit of a freed slot of input port p of router t to
// whatever feeds that port, one cycle later.
func (n *noc) creditBack(t int32, p int) {
	m := &n.p.mesh
	switch {
	case p >= portLocal:
		phys := int(t)*m.perTile + (p - portLocal)
		n.at(n.now+1, evCreditC, m.coreOf[phys], 0, 0)
	case int(t) == m.hostTile && p == m.hostPort:
		n.at(n.now+1, evCreditH, 0, 0, 0)
	default:
		n.at(n.now+1, evCredit, n.neighbour(t, p), int32(opposite(p)), 0)
	}
}

// coreAct lets core c (or the host, c = -1) act at the current cycle: start applying
// the next packet when idle, and inject the next packet it has to send.
func (n *noc) coreAct(c int32) {
	cs := n.core(c)
	m := &n.p.mesh
	now := n.now
	if c >= 0 && cs.busy <= now && cs.in.n > 0 {
		e := cs.in.pop(m.flits)
		tile := n.p.cores[c].tile
		n.at(now+1, evCredit, tile, int32(portLocal+int(n.p.cores[c].local)), 0)
		cost := n.deliver(c, e.pk)
		cs.busy = now + cost
		cs.work += cost
	}
	if cs.out.n > 0 {
		h := cs.out.front()
		switch {
		case h.ready > now:
			n.wakeC(c, h.ready)
		case cs.injFree > now:
			n.wakeC(c, cs.injFree)
		case cs.credit >= m.flits:
			cs.credit -= m.flits
			cs.injFree = now + int64(m.flits)
			cs.stall += now - h.ready
			e := cs.out.pop(m.flits)
			f := &n.fl[e.pk]
			n.s.senderCounters(f.sender).Packets++
			port := m.hostPort
			if c >= 0 {
				port = portLocal + int(n.p.cores[c].local)
			}
			n.enter(f.origin, port, e.pk)
			if cs.out.n > 0 {
				n.wakeC(c, max(cs.out.front().ready, cs.injFree))
			}
		}
		// Without credit the injector waits for the credit event.
	}
	// Every act asks again for the wake-ups it needs (a pending earlier wake-up
	// may have replaced one): the end of the core's work is always an event, so a
	// step lasts until the last core is idle.
	if c >= 0 && cs.busy > now {
		n.wakeC(c, cs.busy)
	}
}

// deliver applies the synapses packet pk brings to core c and returns the cycles
// it takes.
func (n *noc) deliver(c int32, pk int32) int64 {
	p := n.p
	f := &n.fl[pk]
	co := &p.cores[c]
	var a int32 = -1
	if p.mesh.multicast {
		if i, ok := slices.BinarySearch(co.keys, f.key); ok {
			a = co.keyAxon[i]
		}
	} else if x, ok := co.axonByHead[f.axon]; ok {
		a = x
	}
	if a < 0 {
		if n.err == nil {
			n.err = fmt.Errorf("core %d received a packet it has no axon for", co.index)
		}
		return 1
	}
	ax := co.axons[a]
	n.s.apply(ax.lo, ax.hi, int(f.step))
	n.s.cc[c].SynapticOps += int64(ax.hi - ax.lo)
	return max(1, int64(ax.hi-ax.lo)*p.cost.synOp)
}
