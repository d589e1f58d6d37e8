package targets

import (
	"fmt"
	"math"
	"strings"
)

// Bounds on what a target may claim. They are far above any real chip and keep a
// hostile file from making the helpers, a compiler or an emulator overflow or
// allocate without bound.
const (
	MaxClockHz        = 100_000_000_000 // 100 GHz
	MaxMeshSide       = 4096            // tiles per mesh row or column
	MaxCoresPerTile   = 64
	MaxCores          = 1 << 20 // cores on the whole mesh
	MaxNeuronsPerCore = 1 << 16
	MaxAxonsPerCore   = 1 << 20
	MaxFanoutEntries  = 1 << 24
	MaxWords          = 1 << 26 // synapse-memory words per core
	MaxWordBits       = 1024
	MaxStateBits      = 62 // any state or accumulator width
	MaxDelaySteps     = 1<<16 - 1
	MaxRefractory     = 1 << 16
	MaxChannels       = 1 << 24 // host input channels, readout units
	MaxCycles         = 1 << 30 // any timing figure
	MaxPicojoules     = 1e9
	MaxMilliwatts     = 1e9
)

// Validate checks every field and the relations between them and returns nil or an
// *Error listing every problem found.
func (t *Target) Validate() error {
	if p := t.check(); len(p) > 0 {
		file := t.origin
		if file == "" {
			file = t.Name
		}
		return &Error{File: file, Problems: p}
	}
	return nil
}

type checker struct{ problems }

// rng checks lo <= v <= hi.
func (c *checker) rng(path string, v, lo, hi int64) bool {
	switch {
	case v >= lo && v <= hi:
		return true
	case v < lo && lo == 1:
		c.add("%s = %d: must be positive", path, v)
	case v < lo && lo == 0:
		c.add("%s = %d: must not be negative", path, v)
	case v < lo:
		c.add("%s = %d: must be at least %d", path, v, lo)
	default:
		c.add("%s = %d: must be at most %d", path, v, hi)
	}
	return false
}

func (c *checker) nonEmpty(path, s string) {
	if strings.TrimSpace(s) == "" {
		c.add("%s: must not be empty", path)
	}
}

func (c *checker) oneOf(path, v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	c.add("%s = %q: must be one of %s", path, v, quoteAll(allowed))
	return false
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

func (c *checker) kind(path string, k Kind, source string) {
	ks := make([]string, 0, 4)
	for _, x := range Kinds() {
		ks = append(ks, string(x))
	}
	c.oneOf(path+".kind", string(k), ks...)
	c.nonEmpty(path+".source", source)
}

func (c *checker) cycles(path string, f Cycles, lo int64) bool {
	c.kind(path, f.Kind, f.Source)
	return c.rng(path+".cycles", int64(f.Cycles), lo, MaxCycles)
}

func (c *checker) pj(path string, f Picojoules, positive bool) {
	c.kind(path, f.Kind, f.Source)
	switch {
	case math.IsNaN(f.PJ) || math.IsInf(f.PJ, 0):
		c.add("%s.pj = %v: must be a finite number", path, f.PJ)
	case positive && f.PJ <= 0:
		c.add("%s.pj = %v: must be positive", path, f.PJ)
	case f.PJ < 0:
		c.add("%s.pj = %v: must not be negative", path, f.PJ)
	case f.PJ > MaxPicojoules:
		c.add("%s.pj = %v: must be at most %g", path, f.PJ, float64(MaxPicojoules))
	}
}

// check returns every problem of t.
func (t *Target) check() []string {
	var c checker
	if t.Version != SchemaVersion {
		c.add("version = %d: this reader knows version %d only", t.Version, SchemaVersion)
	}
	if !validName(t.Name) {
		c.add("name = %q: use 1 to 64 characters from A-Z a-z 0-9 . _ + - (not starting with a dot)", t.Name)
	}
	c.nonEmpty("description", t.Description)
	c.rng("clock_hz", t.ClockHz, 1, MaxClockHz)

	// Mesh.
	m := t.Mesh
	meshOK := c.rng("mesh.cols", int64(m.Cols), 1, MaxMeshSide)
	meshOK = c.rng("mesh.rows", int64(m.Rows), 1, MaxMeshSide) && meshOK
	meshOK = c.rng("mesh.cores_per_tile", int64(m.CoresPerTile), 1, MaxCoresPerTile) && meshOK
	cores := int64(0)
	if meshOK {
		cores = int64(m.Cols) * int64(m.Rows) * int64(m.CoresPerTile)
		if cores > MaxCores {
			c.add("mesh: %d x %d tiles of %d cores = %d cores: at most %d", m.Cols, m.Rows, m.CoresPerTile, cores, MaxCores)
			meshOK = false
		}
	}
	h := m.HostPort
	if meshOK {
		colOK := c.rng("mesh.host_port.col", int64(h.Col), 0, int64(m.Cols-1))
		rowOK := c.rng("mesh.host_port.row", int64(h.Row), 0, int64(m.Rows-1))
		if c.oneOf("mesh.host_port.side", string(h.Side), string(West), string(East), string(North), string(South)) && colOK && rowOK {
			onEdge := map[Side]bool{West: h.Col == 0, East: h.Col == m.Cols-1, North: h.Row == 0, South: h.Row == m.Rows-1}[h.Side]
			if !onEdge {
				c.add("mesh.host_port: tile (%d, %d) is not on the %s edge of a %d x %d mesh", h.Col, h.Row, h.Side, m.Cols, m.Rows)
			}
		}
	}
	c.rng("mesh.host_port.input_channels", int64(h.InputChannels), 1, MaxChannels)

	// Core.
	k := t.Core
	neuronsOK := c.rng("core.neurons", int64(k.Neurons), 1, MaxNeuronsPerCore)
	slotsMax := int64(MaxNeuronsPerCore)
	if neuronsOK {
		slotsMax = int64(k.Neurons)
	}
	c.rng("core.alif_neuron_slots", int64(k.ALIFNeuronSlots), 1, slotsMax)
	c.rng("core.input_axons", int64(k.InputAxons), 1, MaxAxonsPerCore)
	c.rng("core.fanout_entries", int64(k.FanoutEntries), 1, MaxFanoutEntries)
	c.rng("core.max_synapses_per_axon", int64(k.MaxSynapsesPerAxon), 1, MaxWords*MaxWordBits)
	s := k.SynapseMemory
	c.rng("core.synapse_memory.words", int64(s.Words), 1, MaxWords)
	wordOK := c.rng("core.synapse_memory.word_bits", int64(s.WordBits), 1, MaxWordBits)
	perOK := c.rng("core.synapse_memory.synapses_per_word", int64(s.SynapsesPerWord), 1, MaxWordBits)
	delayOK := c.rng("core.synapse_memory.delay_bits", int64(s.DelayBits), 0, 16)
	targetOK := c.rng("core.synapse_memory.target_bits", int64(s.TargetBits), 0, 32)
	if targetOK && neuronsOK && int64(1)<<s.TargetBits < int64(k.Neurons) {
		c.add("core.synapse_memory.target_bits = %d: cannot index %d neuron slots (needs %d bits)", s.TargetBits, k.Neurons, bitsFor(int64(k.Neurons)))
	}

	// Formats.
	f := t.Formats
	w := f.Weight
	mantOK := c.rng("formats.weight.mantissa_bits", int64(w.MantissaBits), 1, 32)
	if mantOK && wordOK && perOK && delayOK && targetOK {
		entry := w.MantissaBits + s.DelayBits + s.TargetBits
		if need := entry * s.SynapsesPerWord; need > s.WordBits {
			c.add("core.synapse_memory: %d entries of %d bits (weight %d + delay %d + target %d) need %d bits, but word_bits = %d",
				s.SynapsesPerWord, entry, w.MantissaBits, s.DelayBits, s.TargetBits, need, s.WordBits)
		}
	}
	expOK := c.rng("formats.weight.exponent_min", int64(w.ExponentMin), -64, 64)
	expOK = c.rng("formats.weight.exponent_max", int64(w.ExponentMax), -64, 64) && expOK
	if expOK && w.ExponentMin > w.ExponentMax {
		c.add("formats.weight: exponent_min = %d is above exponent_max = %d", w.ExponentMin, w.ExponentMax)
	}
	if c.oneOf("formats.weight.exponent_granularity", string(w.Granularity), string(PerMatrix), string(PerCore), string(PerSynapseGroup)) {
		if w.Granularity == PerSynapseGroup {
			c.rng("formats.weight.exponent_groups_per_core", int64(w.ExponentGroupsPerCore), 1, MaxAxonsPerCore)
		} else if w.ExponentGroupsPerCore != 0 {
			c.add("formats.weight.exponent_groups_per_core = %d: only for exponent_granularity %q (remove it, or set it to null in a file that inherits)", w.ExponentGroupsPerCore, PerSynapseGroup)
		}
	}
	if c.rng("formats.accumulator_bits", int64(f.AccumulatorBits), 2, MaxStateBits) && mantOK && expOK {
		if need := w.MantissaBits + max(w.ExponentMax, 0); need > f.AccumulatorBits {
			c.add("formats.accumulator_bits = %d: the largest weight (a %d-bit mantissa shifted left by exponent_max = %d) needs %d bits",
				f.AccumulatorBits, w.MantissaBits, w.ExponentMax, need)
		}
	}
	memOK := c.rng("formats.membrane_bits", int64(f.MembraneBits), 2, MaxStateBits)
	adaOK := c.rng("formats.adaptation_bits", int64(f.AdaptationBits), 2, MaxStateBits)
	thrOK := c.rng("formats.threshold_bits", int64(f.ThresholdBits), 1, MaxStateBits)
	thrOK = c.rng("formats.threshold_shift", int64(f.ThresholdShift), 0, MaxStateBits) && thrOK
	if thrOK && memOK && f.ThresholdBits+f.ThresholdShift > f.MembraneBits-1 {
		c.add("formats: threshold_bits + threshold_shift = %d + %d exceeds the %d magnitude bits of a %d-bit membrane",
			f.ThresholdBits, f.ThresholdShift, f.MembraneBits-1, f.MembraneBits)
	}
	d := f.Decay
	if c.oneOf("formats.decay.representation", string(d.Representation), string(DecayMultiplier), string(DecayShift)) {
		switch d.Representation {
		case DecayMultiplier:
			if c.rng("formats.decay.fraction_bits", int64(d.FractionBits), 1, 31) {
				for _, st := range []struct {
					name string
					bits int
					ok   bool
				}{{"membrane_bits", f.MembraneBits, memOK}, {"adaptation_bits", f.AdaptationBits, adaOK}, {"readout.accumulator_bits", t.Readout.AccumulatorBits, t.Readout.AccumulatorBits >= 2 && t.Readout.AccumulatorBits <= MaxStateBits}} {
					if st.ok && st.bits+d.FractionBits > MaxStateBits {
						c.add("formats.decay.fraction_bits = %d: with %s = %d the decay product needs %d bits, more than %d",
							d.FractionBits, st.name, st.bits, st.bits+d.FractionBits, MaxStateBits)
					}
				}
			}
			if d.MaxShift != 0 {
				c.add("formats.decay.max_shift = %d: only for representation %q (remove it, or set it to null in a file that inherits)", d.MaxShift, DecayShift)
			}
		case DecayShift:
			c.rng("formats.decay.max_shift", int64(d.MaxShift), 1, MaxStateBits)
			if d.FractionBits != 0 {
				c.add("formats.decay.fraction_bits = %d: only for representation %q (remove it, or set it to null in a file that inherits)", d.FractionBits, DecayMultiplier)
			}
		}
	}
	c.rng("formats.decay.min_decrement", int64(d.MinDecrement), 0, 1<<16)
	if c.rng("formats.max_delay_steps", int64(f.MaxDelaySteps), 0, MaxDelaySteps) && delayOK {
		if maxD := int64(1)<<s.DelayBits - 1; int64(f.MaxDelaySteps) > maxD {
			c.add("formats.max_delay_steps = %d: core.synapse_memory.delay_bits = %d hold delays up to %d", f.MaxDelaySteps, s.DelayBits, maxD)
		}
	}
	c.rng("formats.max_refractory_steps", int64(f.MaxRefractorySteps), 0, MaxRefractory)
	c.oneOf("formats.rounding", string(f.Rounding), string(HalfAwayFromZero), string(HalfToEven), string(TowardZero), string(Floor))
	c.oneOf("formats.saturation", string(f.Saturation), string(Saturate), string(Wrap))

	// Readout.
	r := t.Readout
	c.rng("readout.units", int64(r.Units), 1, MaxChannels)
	if c.rng("readout.accumulator_bits", int64(r.AccumulatorBits), 2, MaxStateBits) && mantOK && expOK {
		if need := w.MantissaBits + max(w.ExponentMax, 0); need > r.AccumulatorBits {
			c.add("readout.accumulator_bits = %d: the largest weight (a %d-bit mantissa shifted left by exponent_max = %d) needs %d bits",
				r.AccumulatorBits, w.MantissaBits, w.ExponentMax, need)
		}
	}
	if neuronsOK && c.rng("readout.neuron_slots", int64(r.NeuronSlots), 0, int64(k.Neurons)) {
		if r.NeuronSlots == 0 && meshOK && cores != 1 {
			c.add("readout.neuron_slots = 0 (dedicated readout units) is for one-core targets; this mesh has %d cores", cores)
		}
		if r.NeuronSlots == 0 && targetOK && r.Units >= 1 && r.Units <= MaxChannels &&
			int64(1)<<s.TargetBits < int64(k.Neurons)+int64(r.Units) {
			c.add("core.synapse_memory.target_bits = %d: cannot index %d neuron slots and %d dedicated readout units (needs %d bits)",
				s.TargetBits, k.Neurons, r.Units, bitsFor(int64(k.Neurons)+int64(r.Units)))
		}
	}

	// Packets and routers.
	pk := t.Packets
	addrOK := c.oneOf("packets.addressing", string(pk.Addressing), string(Unicast), string(Multicast))
	flitsOK := c.rng("packets.flits_per_packet", int64(pk.FlitsPerPacket), 1, 64)
	flitsOK = c.rng("packets.flit_bits", int64(pk.FlitBits), 1, MaxWordBits) && flitsOK
	if addrOK && flitsOK && meshOK && neuronsOK && k.InputAxons >= 1 && k.InputAxons <= MaxAxonsPerCore &&
		h.InputChannels >= 1 && h.InputChannels <= MaxChannels {
		var need int
		var what string
		if pk.Addressing == Unicast {
			need = t.CoreIndexBits() + t.AxonIndexBits()
			what = fmt.Sprintf("a (core, axon) address needs %d + %d bits", t.CoreIndexBits(), t.AxonIndexBits())
		} else {
			need = t.KeyBits()
			what = fmt.Sprintf("a key naming any of %d neuron slots and %d input channels needs %d bits", cores*int64(k.Neurons), h.InputChannels, need)
		}
		if have := pk.FlitsPerPacket * pk.FlitBits; need > have {
			c.add("packets: %s, but a packet of %d flits of %d bits has %d", what, pk.FlitsPerPacket, pk.FlitBits, have)
		}
	}
	if addrOK {
		lo := int64(0)
		if pk.Addressing == Multicast {
			lo = 1
		}
		c.rng("router.table_entries", int64(t.Router.TableEntries), lo, 1<<20)
	}
	if c.rng("router.buffer_flits", int64(t.Router.BufferFlits), 1, 1<<16) && flitsOK && t.Router.BufferFlits < pk.FlitsPerPacket {
		c.add("router.buffer_flits = %d: a buffer must hold one packet of %d flits", t.Router.BufferFlits, pk.FlitsPerPacket)
	}

	// Timing.
	tm := t.Timing
	c.cycles("timing.synaptic_op", tm.SynapticOp, 1)
	c.cycles("timing.neuron_update_active", tm.NeuronUpdateActive, 1)
	c.cycles("timing.neuron_update_inactive", tm.NeuronUpdateInactive, 0)
	c.cycles("timing.spike_in_tile", tm.SpikeInTile, 1)
	pipeOK := c.cycles("timing.router_pipeline", tm.RouterPipeline, 1)
	for _, hop := range []struct {
		path string
		f    Cycles
	}{{"timing.hop_east_west", tm.HopEastWest}, {"timing.hop_north_south", tm.HopNorthSouth}} {
		if c.cycles(hop.path, hop.f, 1) && pipeOK && hop.f.Cycles <= tm.RouterPipeline.Cycles {
			c.add("%s.cycles = %d: a hop takes the router pipeline (%d cycles) plus at least one cycle on the link",
				hop.path, hop.f.Cycles, tm.RouterPipeline.Cycles)
		}
	}
	c.cycles("timing.barrier_base", tm.BarrierBase, 0)
	c.cycles("timing.barrier_per_hop", tm.BarrierPerHop, 0)

	// Energy.
	e := t.Energy
	c.pj("energy.synaptic_op", e.SynapticOp, true)
	c.pj("energy.neuron_update_active", e.NeuronUpdateActive, true)
	c.pj("energy.neuron_update_inactive", e.NeuronUpdateInactive, false)
	c.pj("energy.spike_in_tile", e.SpikeInTile, false)
	c.pj("energy.hop_east_west", e.HopEastWest, false)
	c.pj("energy.hop_north_south", e.HopNorthSouth, false)
	c.pj("energy.barrier", e.Barrier, false)
	c.kind("energy.static_power", e.StaticPower.Kind, e.StaticPower.Source)
	if x := e.StaticPower.MW; math.IsNaN(x) || math.IsInf(x, 0) || x < 0 || x > MaxMilliwatts {
		c.add("energy.static_power.mw = %v: must be a finite number in 0..%g", x, float64(MaxMilliwatts))
	}
	return c.problems
}
