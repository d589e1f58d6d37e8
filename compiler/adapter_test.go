package compiler_test

// Two test-only adapters hold the image to the integer golden simulator:
//
//   - networkFromImage rebuilds a quant.Network from an image, so that
//     quant.Simulator can run what the image holds;
//   - interpret runs the image itself, step by step, the way docs/image-format.md
//     says a consumer does: packets of step u-1's spikes and of step u's inputs are
//     delivered through the fan-out tables, input map, routing tables and axon maps,
//     into ring slots u + stored delay; readouts lag one step.
//
// Neither belongs to the emulator: they exist to test the compiler and the format.

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/quant"
	"github.com/snnc/snnc/targets"
)

type coo struct {
	pre, post int
	mant      int32
	delay     int
	exp       int
}

// networkFromImage rebuilds the integer network an image holds.
func networkFromImage(img *chipimage.Image) (*quant.Network, error) {
	h, l := &img.Header, &img.Header.Limits
	net := &quant.Network{Target: h.Target, Dt: img.Net.Dt, Arith: quant.Arithmetic(img.Arith),
		StateExp: img.Net.StateExp, StateScale: math.Ldexp(1, img.Net.StateExp), AdaptShift: img.Net.AdaptShift,
		NIn: h.NIn, Neurons: make([]quant.Neuron, h.N)}
	net.Readout.Exp, net.Readout.Scale = img.Net.ReadoutExp, math.Ldexp(1, img.Net.ReadoutExp)
	net.Readout.Bias = make([]int64, h.NOut)
	var in, rec, out []coo
	lay := img.Layout()
	for p := range img.Cores {
		c := &img.Cores[p]
		unit := map[int]int{} // slot -> neuron id, or -(k+1) for readout k
		for _, n := range c.Neurons {
			net.Neurons[n.ID] = quant.Neuron{Threshold: n.Threshold, MemDecay: n.MemDecay, ALIF: n.ALIF,
				AdaptDecay: n.AdaptDecay, AdaptInc: n.AdaptInc, Refractory: n.Refractory}
			unit[n.Slot] = n.ID
		}
		for _, r := range c.Readouts {
			net.Readout.Decay = r.Decay
			net.Readout.Bias[r.Index] = r.Bias
			unit[r.Slot] = -(r.Index + 1)
		}
		for _, m := range c.AxonMap {
			input, sc, ss, ch, _ := l.Source(m.Source)
			pre := ch
			if !input {
				q := img.FindCore(sc)
				i := sort.Search(len(img.Cores[q].Neurons), func(i int) bool { return img.Cores[q].Neurons[i].Slot >= ss })
				pre = img.Cores[q].Neurons[i].ID
			}
			for e := m.Axon; ; e++ {
				a := c.Axons[e]
				for k := 0; k < int(a.Count); k++ {
					s := lay.Get(c.Synapses, int(a.FirstWord), k)
					u := unit[s.Target]
					x := coo{pre: pre, mant: s.Mantissa, exp: c.Exponents[a.Group]}
					switch {
					case u < 0:
						x.post = -u - 1
						out = append(out, x)
					case input:
						x.post, x.delay = u, s.Delay
						in = append(in, x)
					default:
						x.post, x.delay = u, s.Delay+1
						rec = append(rec, x)
					}
				}
				if !a.More {
					break
				}
			}
		}
	}
	// Groups as quant requires them for the granularity.
	var err error
	switch img.Arith.Granularity {
	case targets.PerMatrix:
		net.Groups = []quant.Group{{Name: "w_in"}, {Name: "w_rec"}, {Name: "w_out"}}
		for g, m := range [][]coo{in, rec, out} {
			net.Groups[g].Exponent = img.Arith.ExponentMin
			if len(m) > 0 {
				net.Groups[g].Exponent = m[0].exp
			}
		}
	default:
		exps := map[int]bool{}
		for _, m := range [][]coo{in, rec, out} {
			for _, x := range m {
				exps[x.exp] = true
			}
		}
		keys := []int{img.Arith.ExponentMin}
		if len(exps) > 0 {
			keys = keys[:0]
			for e := range exps {
				keys = append(keys, e)
			}
		}
		slices.Sort(keys)
		for _, e := range keys {
			net.Groups = append(net.Groups, quant.Group{Exponent: e, Name: fmt.Sprintf("exp %d", e)})
		}
	}
	groupOf := func(mi int, e int) int32 {
		if img.Arith.Granularity == targets.PerMatrix {
			return int32(mi)
		}
		for g, gr := range net.Groups {
			if gr.Exponent == e {
				return int32(g)
			}
		}
		return -1
	}
	mk := func(mi, rows, cols int, syn []coo, delays bool) (quant.Matrix, error) {
		slices.SortFunc(syn, func(a, b coo) int {
			if a.pre != b.pre {
				return a.pre - b.pre
			}
			return a.post - b.post
		})
		m := quant.Matrix{Rows: rows, Cols: cols, RowStart: make([]int, rows+1), RowGroup: make([]int32, rows)}
		rowExp := map[int]int{}
		for _, x := range syn {
			if e, ok := rowExp[x.pre]; ok && e != x.exp {
				return m, fmt.Errorf("row %d of matrix %d has exponents %d and %d", x.pre, mi, e, x.exp)
			}
			rowExp[x.pre] = x.exp
			m.RowStart[x.pre+1]++
			m.Col = append(m.Col, int32(x.post))
			m.Mantissa = append(m.Mantissa, x.mant)
			if delays {
				m.Delay = append(m.Delay, uint16(x.delay))
			}
		}
		if delays && m.Delay == nil {
			m.Delay = []uint16{}
		}
		for i := 0; i < rows; i++ {
			m.RowStart[i+1] += m.RowStart[i]
			if e, ok := rowExp[i]; ok {
				m.RowGroup[i] = groupOf(mi, e)
			} else if img.Arith.Granularity == targets.PerMatrix {
				m.RowGroup[i] = int32(mi) // an empty row: any group of its matrix
			}
		}
		return m, nil
	}
	if net.In, err = mk(0, h.NIn, h.N, in, true); err != nil {
		return nil, err
	}
	if net.Rec, err = mk(1, h.N, h.N, rec, true); err != nil {
		return nil, err
	}
	if net.Readout.W, err = mk(2, h.N, h.NOut, out, false); err != nil {
		return nil, err
	}
	return net, net.Validate()
}

// interpret runs an image on one input raster and returns the spikes of every step
// and the readout outputs of every step (taken one hardware step later).
func interpret(img *chipimage.Image, x lsnn.Raster) (lsnn.Raster, []int64) {
	h, l, a := &img.Header, &img.Header.Limits, &img.Arith
	ring := a.MaxDelay + 1
	lay := img.Layout()
	type neuron struct {
		p      *chipimage.Neuron
		core   int
		v, b   int64
		r      int32
		spiked bool
		acc    []int64
	}
	type ro struct {
		p    *chipimage.ReadoutUnit
		y, z int64
	}
	neurons := make([]*neuron, h.N)
	readouts := make([]*ro, h.NOut)
	// slot lookup per core position.
	units := make([]map[int]any, len(img.Cores))
	for p := range img.Cores {
		c := &img.Cores[p]
		units[p] = map[int]any{}
		for i := range c.Neurons {
			n := &c.Neurons[i]
			s := &neuron{p: n, core: p, v: n.V, b: n.B, r: n.RefrLeft, spiked: n.Spiked, acc: make([]int64, ring)}
			neurons[n.ID] = s
			units[p][n.Slot] = s
		}
		for i := range c.Readouts {
			r := &c.Readouts[i]
			s := &ro{p: r, y: r.Y}
			readouts[r.Index] = s
			units[p][r.Slot] = s
		}
	}
	// deliver applies one packet to core position p's axon for source id src.
	deliver := func(u int, p int, axon int, input bool) {
		c := &img.Cores[p]
		for e := axon; ; e++ {
			ax := c.Axons[e]
			exp := c.Exponents[ax.Group]
			for k := 0; k < int(ax.Count); k++ {
				s := lay.Get(c.Synapses, int(ax.FirstWord), k)
				w := quant.EffectiveWeight(int64(s.Mantissa), exp, a.Rounding)
				switch t := units[p][s.Target].(type) {
				case *neuron:
					t.acc[(u+s.Delay)%ring] += w
				case *ro:
					t.z += w
				}
			}
			if !ax.More {
				return
			}
		}
	}
	axonFor := func(p int, src uint64) int {
		m := img.Cores[p].AxonMap
		i := sort.Search(len(m), func(i int) bool { return m[i].Source >= src })
		if i == len(m) || m[i].Source != src {
			panic(fmt.Sprintf("core %d has no axon for source %d", img.Cores[p].Index, src))
		}
		return m[i].Axon
	}
	// send delivers the packets of one sender in step u.
	send := func(u int, dests []chipimage.Dest, tileCol, tileRow int, input bool) {
		if !l.Multicast() {
			for _, d := range dests {
				deliver(u, img.FindCore(d.Core()), d.Axon(), input)
			}
			return
		}
		for _, d := range dests {
			key := d.Key()
			queue := []int{tileRow*l.Cols + tileCol}
			for len(queue) > 0 {
				tile := queue[0]
				queue = queue[1:]
				ri := slices.IndexFunc(img.Routers, func(r chipimage.Router) bool { return r.Tile == tile })
				var e *chipimage.RouteEntry
				for i := range img.Routers[ri].Entries {
					if x := &img.Routers[ri].Entries[i]; key&x.Mask == x.Key {
						e = x
						break
					}
				}
				col, row := tile%l.Cols, tile/l.Cols
				if e.Links&chipimage.LinkNorth != 0 {
					queue = append(queue, tile-l.Cols)
				}
				if e.Links&chipimage.LinkSouth != 0 {
					queue = append(queue, tile+l.Cols)
				}
				if e.Links&chipimage.LinkEast != 0 {
					queue = append(queue, tile+1)
				}
				if e.Links&chipimage.LinkWest != 0 {
					queue = append(queue, tile-1)
				}
				_, _ = col, row
				for lc := 0; lc < l.CoresPerTile; lc++ {
					if e.Cores>>lc&1 != 0 {
						p := img.FindCore(tile*l.CoresPerTile + lc)
						deliver(u, p, axonFor(p, key), input)
					}
				}
			}
		}
	}
	T := x.T
	spikes := lsnn.NewRaster(T, h.N)
	outs := make([]int64, T*h.NOut)
	var fired []*neuron
	for u := 0; u <= T; u++ {
		// Deliver the spikes of step u-1, then the inputs of step u.
		for _, n := range fired {
			c := &img.Cores[n.core]
			i := slices.IndexFunc(c.Neurons, func(x chipimage.Neuron) bool { return x.ID == n.p.ID })
			col, row := l.TileOf(c.Index)
			send(u, c.Fanout[c.FanoutStart[i]:c.FanoutStart[i+1]], col, row, false)
		}
		if u < T {
			for ch, b := range x.Row(u) {
				if b != 0 {
					send(u, img.Inputs.Dest[img.Inputs.Start[ch]:img.Inputs.Start[ch+1]], l.HostCol, l.HostRow, true)
				}
			}
		}
		// Update.
		fired = fired[:0]
		for j, n := range neurons {
			p := n.p
			xv, _ := quant.Fit(n.acc[u%ring], a.AccumulatorBits, a.Saturation)
			n.acc[u%ring] = 0
			A := p.Threshold << a.ThresholdShift
			if p.ALIF {
				b := quant.DecayStep(n.b, p.AdaptDecay, a.Decay, a.Rounding)
				if n.spiked {
					b += p.AdaptInc
				}
				n.b, _ = quant.Fit(b, a.AdaptationBits, a.Saturation)
				ab := n.b
				if k := img.Net.AdaptShift; k >= 0 {
					ab = quant.RoundShift(ab, k, a.Rounding)
				} else {
					ab <<= -k
				}
				A, _ = quant.Fit(A+ab, a.MembraneBits, a.Saturation)
			}
			fire := false
			if n.r > 0 {
				n.r--
			} else if n.v > A {
				fire, n.r = true, p.Refractory
			}
			v := quant.DecayStep(n.v, p.MemDecay, a.Decay, a.Rounding) + xv
			if n.spiked {
				v -= A
			}
			n.v, _ = quant.Fit(v, a.MembraneBits, a.Saturation)
			n.spiked = fire
			if fire {
				fired = append(fired, n)
				if u < T {
					spikes.Set(u, j)
				}
			}
		}
		for k, r := range readouts {
			r.y, _ = quant.Fit(quant.DecayStep(r.y, r.p.Decay, a.Decay, a.Rounding)+r.z, a.ReadoutBits, a.Saturation)
			r.z = 0
			o, _ := quant.Fit(r.y+r.p.Bias, a.ReadoutBits, a.Saturation)
			if u >= 1 {
				outs[(u-1)*h.NOut+k] = o
			}
		}
	}
	return spikes, outs
}
