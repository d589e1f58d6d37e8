package targets

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
)

// Origin is what the target was loaded from: a preset name, or the path given to Load,
// LoadFS or Parse.
func (t *Target) Origin() string { return t.origin }

// Chain lists the files of the inherits chain, root first and the loaded file last:
// ["preset loihi", "preset loihi-mesh"] for loihi-mesh.
func (t *Target) Chain() []string { return append([]string(nil), t.chain...) }

// Reload reads the target again from where it came from (the preset, the file system
// of LoadFS, or the bytes given to Parse) and returns the result, which may differ if
// the files changed.
func (t *Target) Reload() (*Target, error) {
	if t.reload == nil {
		return nil, fmt.Errorf("targets: %s was not loaded by the targets package and cannot be reloaded", t.Name)
	}
	return t.reload()
}

// Clone returns a deep copy that may be modified (call Validate afterwards).
func (t *Target) Clone() *Target {
	c := *t
	c.chain = t.Chain()
	return &c
}

// Hash is the SHA-256 of the canonical encoding of the resolved target: encoding/json's
// Marshal of the Target struct (fields in schema order, no white space; this is also
// what `json.Marshal(t)` returns). It covers every field, the name and description
// included, but not how the spec was written: a flat file and an inheriting file that
// resolve to the same target have the same hash. The image header records it.
//
// Hash is defined for valid targets; it panics if t holds a NaN or an infinity, which
// Validate rejects.
func (t *Target) Hash() [32]byte {
	b, err := json.Marshal(t)
	if err != nil {
		panic(fmt.Sprintf("targets: Hash of an invalid target: %v", err))
	}
	return sha256.Sum256(b)
}

// HashHex is Hash in lower-case hexadecimal.
func (t *Target) HashHex() string {
	h := t.Hash()
	return hex.EncodeToString(h[:])
}

// Tiles is the number of tiles, Cols * Rows.
func (t *Target) Tiles() int { return t.Mesh.Cols * t.Mesh.Rows }

// TotalCores is the number of cores on the mesh, Tiles * CoresPerTile. Cores are
// numbered 0 .. TotalCores-1: core c sits on tile c / CoresPerTile, as local core
// c % CoresPerTile, and tiles are numbered row by row from the north-west corner
// (tile = row*Cols + col).
func (t *Target) TotalCores() int { return t.Tiles() * t.Mesh.CoresPerTile }

// TotalNeuronSlots is the number of neuron slots on the whole target.
func (t *Target) TotalNeuronSlots() int { return t.TotalCores() * t.Core.Neurons }

func (t *Target) checkCore(core int) {
	if core < 0 || core >= t.TotalCores() {
		panic(fmt.Sprintf("targets: core %d out of range [0, %d) of target %s", core, t.TotalCores(), t.Name))
	}
}

// TileOf returns the tile coordinates of a core. It panics if core is not in
// [0, TotalCores).
func (t *Target) TileOf(core int) (col, row int) {
	t.checkCore(core)
	tile := core / t.Mesh.CoresPerTile
	return tile % t.Mesh.Cols, tile / t.Mesh.Cols
}

// LocalIndex is the index of a core among the cores of its tile.
func (t *Target) LocalIndex(core int) int {
	t.checkCore(core)
	return core % t.Mesh.CoresPerTile
}

// CoreAt is the number of local core `local` of tile (col, row); the inverse of
// TileOf and LocalIndex. It panics if an argument is out of range.
func (t *Target) CoreAt(col, row, local int) int {
	m := t.Mesh
	if col < 0 || col >= m.Cols || row < 0 || row >= m.Rows || local < 0 || local >= m.CoresPerTile {
		panic(fmt.Sprintf("targets: tile (%d, %d) core %d out of range of a %d x %d mesh of %d cores per tile",
			col, row, local, m.Cols, m.Rows, m.CoresPerTile))
	}
	return (row*m.Cols+col)*m.CoresPerTile + local
}

// SameTile reports whether two cores share a tile (and so a router): a packet
// between them costs SpikeInTile and no hop.
func (t *Target) SameTile(a, b int) bool {
	t.checkCore(a)
	t.checkCore(b)
	return a/t.Mesh.CoresPerTile == b/t.Mesh.CoresPerTile
}

// HopsXY returns how many links a packet from core a to core b crosses in each
// direction under dimension-order routing: eastWest = |col(a) - col(b)|,
// northSouth = |row(a) - row(b)|.
func (t *Target) HopsXY(a, b int) (eastWest, northSouth int) {
	ca, ra := t.TileOf(a)
	cb, rb := t.TileOf(b)
	return abs(ca - cb), abs(ra - rb)
}

// Hops is the Manhattan distance on the mesh between the tiles of two cores: the
// links an XY-routed packet crosses. Cores of one tile are 0 hops apart.
func (t *Target) Hops(a, b int) int {
	x, y := t.HopsXY(a, b)
	return x + y
}

// HostHops is the Manhattan distance from the host port's tile to a core's tile.
func (t *Target) HostHops(core int) int {
	c, r := t.TileOf(core)
	return abs(c-t.Mesh.HostPort.Col) + abs(r-t.Mesh.HostPort.Row)
}

// MeshDiameter is the largest hop distance on the mesh, (Cols-1) + (Rows-1).
func (t *Target) MeshDiameter() int { return t.Mesh.Cols - 1 + t.Mesh.Rows - 1 }

// BarrierCycles is the cost of one barrier on this mesh:
// BarrierBase + BarrierPerHop * MeshDiameter cycles.
func (t *Target) BarrierCycles() int {
	return t.Timing.BarrierBase.Cycles + t.Timing.BarrierPerHop.Cycles*t.MeshDiameter()
}

// SecondsPerCycle is 1 / ClockHz.
func (t *Target) SecondsPerCycle() float64 { return 1 / float64(t.ClockHz) }

// EntryBits is the width of one synapse entry: weight mantissa + delay + target index.
func (t *Target) EntryBits() int {
	s := t.Core.SynapseMemory
	return t.Formats.Weight.MantissaBits + s.DelayBits + s.TargetBits
}

// SynapsesPerWord is how many synapse entries one synapse-memory word holds.
func (t *Target) SynapsesPerWord() int { return t.Core.SynapseMemory.SynapsesPerWord }

// SynapsesPerCore is the synapse capacity of a core when every word is full:
// Words * SynapsesPerWord.
func (t *Target) SynapsesPerCore() int {
	return t.Core.SynapseMemory.Words * t.Core.SynapseMemory.SynapsesPerWord
}

// WordsFor is the number of synapse-memory words an axon's list of n synapses uses:
// a list starts on a word boundary, so ceil(n / SynapsesPerWord).
func (t *Target) WordsFor(n int) int {
	if n <= 0 {
		return 0
	}
	per := t.Core.SynapseMemory.SynapsesPerWord
	return (n + per - 1) / per
}

// NeuronSlots is the number of neuron slots one recurrent neuron takes.
func (t *Target) NeuronSlots(alif bool) int {
	if alif {
		return t.Core.ALIFNeuronSlots
	}
	return 1
}

// DelaySlots is the length of a neuron's dendritic accumulator ring, MaxDelaySteps+1.
func (t *Target) DelaySlots() int { return t.Formats.MaxDelaySteps + 1 }

// CoreIndexBits is the number of bits that name any core, ceil(log2(TotalCores)).
func (t *Target) CoreIndexBits() int { return bitsFor(int64(t.TotalCores())) }

// AxonIndexBits is the number of bits that name any axon of a core.
func (t *Target) AxonIndexBits() int { return bitsFor(int64(t.Core.InputAxons)) }

// NeuronIndexBits is the number of bits that name any neuron slot of a core.
func (t *Target) NeuronIndexBits() int { return bitsFor(int64(t.Core.Neurons)) }

// KeyBits is the number of bits a multicast key needs to name any source: every
// neuron slot of the target and every host input channel.
func (t *Target) KeyBits() int {
	return bitsFor(int64(t.TotalCores())*int64(t.Core.Neurons) + int64(t.Mesh.HostPort.InputChannels))
}

// PacketBits is the payload of one packet, FlitsPerPacket * FlitBits.
func (t *Target) PacketBits() int { return t.Packets.FlitsPerPacket * t.Packets.FlitBits }

// SignedRange is the range of a two's complement integer of the given width: 0..0
// for width < 1, the whole int64 range for width >= 64.
func SignedRange(width int) (lo, hi int64) {
	switch {
	case width < 1:
		return 0, 0
	case width >= 64:
		return math.MinInt64, math.MaxInt64
	}
	return -(int64(1) << (width - 1)), int64(1)<<(width-1) - 1
}

// WeightMantissaRange is the range of a weight mantissa.
func (t *Target) WeightMantissaRange() (lo, hi int64) {
	return SignedRange(t.Formats.Weight.MantissaBits)
}

// MaxThreshold is the largest threshold in membrane units,
// (2^ThresholdBits - 1) << ThresholdShift.
func (t *Target) MaxThreshold() int64 {
	f := t.Formats
	return (int64(1)<<f.ThresholdBits - 1) << f.ThresholdShift
}

// Figure is one timing or energy figure, for reports and checks.
type Figure struct {
	Path   string  // the field path, "timing.synaptic_op"
	Value  float64 // in Unit
	Unit   string  // "cycles", "pJ" or "mW"
	Kind   Kind
	Source string
}

// Figures lists every timing and energy figure of the target, timing first, in
// schema order.
func (t *Target) Figures() []Figure {
	tm, e := t.Timing, t.Energy
	cyc := func(path string, f Cycles) Figure {
		return Figure{Path: "timing." + path, Value: float64(f.Cycles), Unit: "cycles", Kind: f.Kind, Source: f.Source}
	}
	pj := func(path string, f Picojoules) Figure {
		return Figure{Path: "energy." + path, Value: f.PJ, Unit: "pJ", Kind: f.Kind, Source: f.Source}
	}
	return []Figure{
		cyc("synaptic_op", tm.SynapticOp),
		cyc("neuron_update_active", tm.NeuronUpdateActive),
		cyc("neuron_update_inactive", tm.NeuronUpdateInactive),
		cyc("spike_in_tile", tm.SpikeInTile),
		cyc("hop_east_west", tm.HopEastWest),
		cyc("hop_north_south", tm.HopNorthSouth),
		cyc("router_pipeline", tm.RouterPipeline),
		cyc("barrier_base", tm.BarrierBase),
		cyc("barrier_per_hop", tm.BarrierPerHop),
		pj("synaptic_op", e.SynapticOp),
		pj("neuron_update_active", e.NeuronUpdateActive),
		pj("neuron_update_inactive", e.NeuronUpdateInactive),
		pj("spike_in_tile", e.SpikeInTile),
		pj("hop_east_west", e.HopEastWest),
		pj("hop_north_south", e.HopNorthSouth),
		pj("barrier", e.Barrier),
		{Path: "energy.static_power", Value: e.StaticPower.MW, Unit: "mW", Kind: e.StaticPower.Kind, Source: e.StaticPower.Source},
	}
}

// bitsFor is the number of bits that name n distinct values, ceil(log2(n)); 0 for
// n <= 1.
func bitsFor(n int64) int {
	if n <= 1 {
		return 0
	}
	return bits.Len64(uint64(n - 1))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
