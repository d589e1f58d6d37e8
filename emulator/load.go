package emulator

import (
	"fmt"
	"slices"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/targets"
)

// The loader: the only part of the engine that reads chipimage's types.

// Load reads an image file and prepares it for emulation; see New.
func Load(path string, tg *targets.Target) (*Emulator, error) {
	img, err := chipimage.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return New(img, tg)
}

// New validates an image and prepares it for emulation. The image carries its
// arithmetic and limits but not the target's timing and energy tables: those come
// from tg, which must be the target the image was compiled for (its name, spec hash
// and limits are checked against the header). When tg is nil, New loads the preset
// the header names and checks it the same way, so that an image compiled for a
// preset needs nothing else; an image compiled for a target file needs that file.
func New(img *chipimage.Image, tg *targets.Target) (*Emulator, error) {
	if err := img.Validate(); err != nil {
		return nil, err
	}
	if tg == nil {
		t, err := targets.Load(img.Header.Target)
		if err != nil {
			return nil, fmt.Errorf("emulator: the image names target %q, which is not a preset: pass the target file it was compiled for (%v)", img.Header.Target, err)
		}
		tg = t
	}
	if err := img.CheckTarget(tg); err != nil {
		return nil, fmt.Errorf("emulator: refusing the image: %w", err)
	}
	p, err := build(img, tg)
	if err != nil {
		return nil, err
	}
	return &Emulator{p: p, tg: tg}, nil
}

// build turns a valid image into a program.
func build(img *chipimage.Image, tg *targets.Target) (*program, error) {
	h, l, ia := &img.Header, &img.Header.Limits, &img.Arith
	rc, err := roundCode(ia.Rounding)
	if err != nil {
		return nil, err
	}
	p := &program{target: h.Target, nIn: h.NIn, n: h.N, nOut: h.NOut, readoutExp: img.Net.ReadoutExp, dt: img.Net.Dt}
	p.ar = arith{round: rc, wrap: ia.Saturation == targets.Wrap, shiftDecay: ia.Decay.Representation == targets.DecayShift,
		fracBits: uint(ia.Decay.FractionBits), minDec: int64(ia.Decay.MinDecrement),
		accBits: uint(ia.AccumulatorBits), memBits: uint(ia.MembraneBits), adaptBits: uint(ia.AdaptationBits),
		readoutBits: uint(ia.ReadoutBits), thrShift: uint(ia.ThresholdShift), adaptShift: img.Net.AdaptShift}

	m := &p.mesh
	m.cols, m.rows, m.perTile = l.Cols, l.Rows, l.CoresPerTile
	m.hostTile = l.HostRow*l.Cols + l.HostCol
	m.hostPort = map[targets.Side]int{targets.North: portN, targets.East: portE, targets.South: portS, targets.West: portW}[l.HostSide]
	m.multicast = l.Multicast()
	m.flits, m.buffer = tg.Packets.FlitsPerPacket, tg.Router.BufferFlits
	m.coreOf = make(map[int]int32, len(img.Cores))
	for i := range img.Cores {
		m.coreOf[img.Cores[i].Index] = int32(i)
	}

	// Units: neurons by core, then slot; readout units by index.
	p.neurons = make([]neuron, 0, h.N)
	p.readouts = make([]readout, h.NOut)
	p.cores = make([]core, len(img.Cores))
	rslots := int32(max(1, l.ReadoutNeuronSlots))
	unitAt := make([]int32, l.Neurons+h.NOut) // base slot -> unit, for the core at hand
	lay := img.Layout()
	maxOff := int32(1)
	// The synapses of every axon, per core; laid out in p.syn by source below.
	axonSyn := make([][][]synapse, len(img.Cores))
	for ci := range img.Cores {
		ic := &img.Cores[ci]
		co := &p.cores[ci]
		co.index = ic.Index
		co.tile, co.local = int32(ic.Index/l.CoresPerTile), int32(ic.Index%l.CoresPerTile)
		co.lo = int32(len(p.neurons))
		var pos int32
		for _, in := range ic.Neurons {
			slots := int32(1)
			if in.ALIF {
				slots = int32(l.ALIFNeuronSlots)
			}
			unitAt[in.Slot] = int32(len(p.neurons))
			p.neurons = append(p.neurons, neuron{id: int32(in.ID), core: int32(ci), slots: slots, pos: pos, alif: in.ALIF,
				thr: in.Threshold << uint(ia.ThresholdShift), memDecay: in.MemDecay, adaptDecay: in.AdaptDecay,
				adaptInc: in.AdaptInc, refractory: in.Refractory, v0: in.V, b0: in.B, refr0: in.RefrLeft, spike0: in.Spiked})
			pos += slots
			co.nSlots += int64(slots)
		}
		co.hi = int32(len(p.neurons))
		for _, r := range ic.Readouts {
			unitAt[r.Slot] = int32(h.N + r.Index)
			p.readouts[r.Index] = readout{core: int32(ci), slots: rslots, decay: r.Decay, bias: r.Bias, y0: r.Y}
			co.readouts = append(co.readouts, int32(r.Index))
			co.rSlots += int64(rslots)
		}
		// Axons: one per chain of axon-table entries, its synapses flattened. The
		// stored delay counts from the step the packet is delivered in: a neuron's
		// spike of step t arrives in step t + 1, an input spike in its own step.
		source := make(map[int]uint64, len(ic.AxonMap))
		for _, am := range ic.AxonMap {
			source[am.Axon] = am.Source
		}
		co.axonByHead = make(map[int32]int32)
		ic.Chains(func(first int, entries []chipimage.Axon) bool {
			input, _, _, _, _ := l.Source(source[first])
			extra := int32(1)
			if input {
				extra = 0
			}
			var list []synapse
			for _, e := range entries {
				exp := ic.Exponents[e.Group]
				for k := 0; k < int(e.Count); k++ {
					s := lay.Get(ic.Synapses, int(e.FirstWord), k)
					off := int32(s.Delay) + extra
					list = append(list, synapse{unit: unitAt[s.Target], off: off, w: p.ar.weight(s.Mantissa, exp)})
					maxOff = max(maxOff, off)
				}
			}
			co.axonByHead[int32(first)] = int32(len(co.axons))
			co.axons = append(co.axons, axon{})
			axonSyn[ci] = append(axonSyn[ci], list)
			return true
		})
		for _, am := range ic.AxonMap {
			co.keys = append(co.keys, am.Source)
			co.keyAxon = append(co.keyAxon, co.axonByHead[int32(am.Axon)])
		}
	}
	if len(p.neurons) != h.N {
		return nil, fmt.Errorf("emulator: the cores hold %d neurons, the header says %d", len(p.neurons), h.N)
	}
	p.ring = int(maxOff) + 1

	// Sources and routes.
	if m.multicast {
		m.tables = make([]map[uint64]route, l.Tiles())
		for _, r := range img.Routers {
			m.tables[r.Tile] = map[uint64]route{}
		}
	}
	p.srcNeuron = make([]source, h.N)
	u := 0
	for ci := range img.Cores {
		ic := &img.Cores[ci]
		for i := range ic.Neurons {
			src := &p.srcNeuron[u]
			src.origin = int32(ci)
			if err := p.resolve(img, src, ic.Fanout[ic.FanoutStart[i]:ic.FanoutStart[i+1]], int(p.cores[ci].tile)); err != nil {
				return nil, fmt.Errorf("emulator: neuron %d: %w", ic.Neurons[i].ID, err)
			}
			u++
		}
	}
	p.srcInput = make([]source, h.NIn)
	for ch := range p.srcInput {
		src := &p.srcInput[ch]
		src.origin = -1
		in := &img.Inputs
		if err := p.resolve(img, src, in.Dest[in.Start[ch]:in.Start[ch+1]], m.hostTile); err != nil {
			return nil, fmt.Errorf("emulator: input channel %d: %w", ch, err)
		}
	}
	// Lay the synapses out by source: each source's deliveries in a row.
	laid := 0
	for _, srcs := range [][]source{p.srcNeuron, p.srcInput} {
		for i := range srcs {
			src := &srcs[i]
			src.lo = int32(len(p.syn))
			for k := range src.deliver {
				d := &src.deliver[k]
				list := axonSyn[d.core][d.axon]
				if list == nil && p.cores[d.core].axons[d.axon] != (axon{}) {
					return nil, fmt.Errorf("emulator: core %d: axon %d is reached twice", p.cores[d.core].index, d.axon)
				}
				lo := int32(len(p.syn))
				p.syn = append(p.syn, list...)
				p.cores[d.core].axons[d.axon] = axon{lo: lo, hi: int32(len(p.syn))}
				d.n = int32(len(list))
				axonSyn[d.core][d.axon] = nil
				laid++
			}
			src.hi = int32(len(p.syn))
		}
	}
	total := 0
	for _, a := range axonSyn {
		total += len(a)
	}
	if laid != total {
		return nil, fmt.Errorf("emulator: %d of %d axons receive from no sender", total-laid, total)
	}
	p.cost = costsOf(tg)
	return p, nil
}

// resolve fills src's packets, deliveries and traffic from its fan-out (or input
// map) entries, sent from tile.
func (p *program) resolve(img *chipimage.Image, src *source, dests []chipimage.Dest, tile int) error {
	m := &p.mesh
	F := int64(m.flits)
	col, row := tile%m.cols, tile/m.cols
	for _, d := range dests {
		src.traffic.packets++
		if !m.multicast {
			c, ok := m.coreOf[d.Core()]
			if !ok {
				return fmt.Errorf("sends to core %d, which the image does not use", d.Core())
			}
			a, ok := p.cores[c].axonByHead[int32(d.Axon())]
			if !ok {
				return fmt.Errorf("sends to axon %d of core %d, which starts no axon", d.Axon(), d.Core())
			}
			src.packets = append(src.packets, packet{dest: int32(d.Core()), axon: int32(d.Axon())})
			src.deliver = append(src.deliver, delivery{core: c, axon: a})
			dt := int(p.cores[c].tile)
			dx, dy := abs(dt%m.cols-col), abs(dt/m.cols-row)
			src.traffic.deliveries++
			src.traffic.hopsEW += F * int64(dx)
			src.traffic.hopsNS += F * int64(dy)
			if dt == tile {
				src.traffic.inTile++
			}
			continue
		}
		key := d.Key()
		src.packets = append(src.packets, packet{key: key})
		// Follow the key's tree through the routing tables (Validate has checked
		// that it reaches exactly the cores that expect it, without loops).
		queue := []int{tile}
		for len(queue) > 0 {
			t := queue[0]
			queue = queue[1:]
			r, ok := lookup(img, t, key)
			if !ok {
				return fmt.Errorf("key %d finds no routing entry at tile %d", key, t)
			}
			m.tables[t][key] = r
			tc, tr := t%m.cols, t/m.cols
			for o, step := range [4][2]int{portN: {0, -1}, portE: {1, 0}, portS: {0, 1}, portW: {-1, 0}} {
				if r.links&(1<<o) == 0 {
					continue
				}
				nc, nr := tc+step[0], tr+step[1]
				if nc < 0 || nr < 0 || nc >= m.cols || nr >= m.rows {
					return fmt.Errorf("key %d leaves the mesh at tile %d", key, t)
				}
				if o == portE || o == portW {
					src.traffic.hopsEW += F
				} else {
					src.traffic.hopsNS += F
				}
				queue = append(queue, nr*m.cols+nc)
			}
			for lc := 0; lc < m.perTile; lc++ {
				if r.cores>>uint(lc)&1 == 0 {
					continue
				}
				c, ok := m.coreOf[t*m.perTile+lc]
				if !ok {
					return fmt.Errorf("key %d is delivered to core %d, which the image does not use", key, t*m.perTile+lc)
				}
				co := &p.cores[c]
				i, ok := slices.BinarySearch(co.keys, key)
				if !ok {
					return fmt.Errorf("key %d is delivered to core %d, which has no axon for it", key, co.index)
				}
				src.deliver = append(src.deliver, delivery{core: c, axon: co.keyAxon[i]})
				src.traffic.deliveries++
				if t == tile {
					src.traffic.inTile++
				}
			}
		}
	}
	return nil
}

// lookup finds a key's route at a tile's router: the first entry that matches.
func lookup(img *chipimage.Image, tile int, key uint64) (route, bool) {
	i, ok := slices.BinarySearchFunc(img.Routers, tile, func(r chipimage.Router, t int) int { return r.Tile - t })
	if !ok {
		return route{}, false
	}
	for _, e := range img.Routers[i].Entries {
		if key&e.Mask == e.Key {
			var links uint8
			for _, b := range [4]struct {
				bit  uint8
				port int
			}{{chipimage.LinkNorth, portN}, {chipimage.LinkEast, portE}, {chipimage.LinkSouth, portS}, {chipimage.LinkWest, portW}} {
				if e.Links&b.bit != 0 {
					links |= 1 << b.port
				}
			}
			return route{links: links, cores: e.Cores}, true
		}
	}
	return route{}, false
}

// costsOf copies the target's timing and energy figures.
func costsOf(tg *targets.Target) costs {
	tm, e := tg.Timing, tg.Energy
	return costs{clockHz: tg.ClockHz,
		synOp: int64(tm.SynapticOp.Cycles), updActive: int64(tm.NeuronUpdateActive.Cycles), updInactive: int64(tm.NeuronUpdateInactive.Cycles),
		inTile: int64(tm.SpikeInTile.Cycles), hopEW: int64(tm.HopEastWest.Cycles), hopNS: int64(tm.HopNorthSouth.Cycles),
		pipeline: int64(tm.RouterPipeline.Cycles), barrier: int64(tg.BarrierCycles()),
		eSyn: e.SynapticOp.PJ, eActive: e.NeuronUpdateActive.PJ, eInactive: e.NeuronUpdateInactive.PJ,
		eInTile: e.SpikeInTile.PJ, eHopEW: e.HopEastWest.PJ, eHopNS: e.HopNorthSouth.PJ, eBarrier: e.Barrier.PJ,
		staticMW: e.StaticPower.MW, tiles: int64(tg.Mesh.Cols * tg.Mesh.Rows)}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
