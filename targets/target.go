package targets

// SchemaVersion is the version of the target file format this package reads. Every
// target file states it in its "version" field; other values are rejected.
const SchemaVersion = 1

// Target is a resolved target spec: every field present, inherits applied, validated.
// The JSON names of the fields are the names in target files; units are in the names
// (_hz, _bits, _steps, cycles, pj, mw) or in the field's doc comment.
//
// A *Target returned by this package is valid; treat it as read-only (Clone gives a
// copy to modify, after which Validate must be called again).
type Target struct {
	// Name is the preset's name or the file's base name without ".json". It is set by
	// the loader; a target file may not contain it.
	Name string `json:"name" targets:"computed"`
	// Version is SchemaVersion.
	Version int `json:"version"`
	// Description says what the target models, in one or two sentences. A preset that
	// borrows a real chip's figures says "-like" ("loihi-like"): snnc never claims to
	// run on that chip.
	Description string `json:"description"`
	// ClockHz is the clock of the cores and routers, in hertz. Timing figures are in
	// cycles of this clock. For an asynchronous chip it is a nominal modelling clock.
	ClockHz int64 `json:"clock_hz"`

	Mesh    Mesh    `json:"mesh"`
	Core    Core    `json:"core"`
	Router  Router  `json:"router"`
	Formats Formats `json:"formats"`
	Readout Readout `json:"readout"`
	Packets Packets `json:"packets"`
	Timing  Timing  `json:"timing"`
	Energy  Energy  `json:"energy"`

	origin string                  // what Load was given: a preset name or a path
	chain  []string                // files of the inherits chain, root first, the loaded file last
	reload func() (*Target, error) // reads the target again from where it came from
}

// Mesh is the grid of tiles. Tile (col, row) has col 0 at the west edge and row 0 at
// the north edge; each tile holds CoresPerTile cores and one router.
type Mesh struct {
	Cols         int      `json:"cols"`           // tiles from west to east, >= 1
	Rows         int      `json:"rows"`           // tiles from north to south, >= 1
	CoresPerTile int      `json:"cores_per_tile"` // cores sharing one router, >= 1
	HostPort     HostPort `json:"host_port"`
}

// HostPort is the link to the host: one edge router has it. Input spikes enter and
// readout values and output spikes leave through it.
type HostPort struct {
	Col  int  `json:"col"`  // column of the tile whose router has the port
	Row  int  `json:"row"`  // row of that tile
	Side Side `json:"side"` // the mesh edge the port faces; the tile must be on that edge
	// InputChannels is how many distinct input channels the host can inject.
	InputChannels int `json:"input_channels"`
}

// Side is an edge of the mesh.
type Side string

// The edges of the mesh.
const (
	West  Side = "west"
	East  Side = "east"
	North Side = "north"
	South Side = "south"
)

// Core holds the per-core limits. A neuron slot holds one LIF neuron; an ALIF neuron
// takes ALIFNeuronSlots slots; a readout unit takes Readout.NeuronSlots slots.
type Core struct {
	Neurons         int `json:"neurons"`           // neuron slots per core
	ALIFNeuronSlots int `json:"alif_neuron_slots"` // slots one ALIF neuron uses, 1..Neurons
	InputAxons      int `json:"input_axons"`       // axon-table entries: presynaptic sources with synapses here
	// FanoutEntries is the size of the fan-out table: (core, axon) destinations for
	// unicast, or keys for multicast, summed over the core's neurons.
	FanoutEntries int `json:"fanout_entries"`
	// MaxSynapsesPerAxon bounds the length of one axon's synapse list.
	MaxSynapsesPerAxon int           `json:"max_synapses_per_axon"`
	SynapseMemory      SynapseMemory `json:"synapse_memory"`
}

// SynapseMemory describes a core's synapse memory and how a synapse entry is packed.
//
// An entry is EntryBits() = Formats.Weight.MantissaBits + DelayBits + TargetBits
// wide. Entry i of a word occupies bits [i*EntryBits, (i+1)*EntryBits); within an
// entry, from the least significant bit: target index (TargetBits), delay (DelayBits),
// weight mantissa (two's complement). Unused high bits of a word are zero. An axon's
// synapse list starts at the first entry of a word.
type SynapseMemory struct {
	Words           int `json:"words"`             // words per core
	WordBits        int `json:"word_bits"`         // bits per word
	SynapsesPerWord int `json:"synapses_per_word"` // entries packed in one word, >= 1
	DelayBits       int `json:"delay_bits"`        // bits of an entry's delay field
	TargetBits      int `json:"target_bits"`       // bits of an entry's target neuron-slot index
}

// Router holds the per-router limits.
type Router struct {
	// TableEntries is the size of the multicast routing table, (key, mask) -> ports;
	// 0 on a unicast target, which routes by dimension order (XY) without tables.
	TableEntries int `json:"table_entries"`
	// BufferFlits is the depth of each input port's buffer, in flits.
	BufferFlits int `json:"buffer_flits"`
}

// Formats are the target's number formats. All state is two's complement of the
// given width; see docs/targets.md for what each value may hold.
type Formats struct {
	Weight WeightFormat `json:"weight"`
	// AccumulatorBits is the width of a dendritic accumulator slot.
	AccumulatorBits int `json:"accumulator_bits"`
	MembraneBits    int `json:"membrane_bits"`   // membrane potential v
	AdaptationBits  int `json:"adaptation_bits"` // threshold adaptation b
	// ThresholdBits is the width of the unsigned threshold mantissa; the threshold in
	// membrane units is mantissa << ThresholdShift.
	ThresholdBits  int   `json:"threshold_bits"`
	ThresholdShift int   `json:"threshold_shift"`
	Decay          Decay `json:"decay"`
	// MaxDelaySteps is the largest synaptic delay; the accumulator ring of a neuron has
	// MaxDelaySteps+1 slots.
	MaxDelaySteps int `json:"max_delay_steps"`
	// MaxRefractorySteps is the largest refractory period.
	MaxRefractorySteps int `json:"max_refractory_steps"`
	// ALIF reports whether the target has threshold adaptation.
	ALIF       bool       `json:"alif"`
	Rounding   Rounding   `json:"rounding"`
	Saturation Saturation `json:"saturation"`
}

// WeightFormat: a weight is mantissa * 2^exponent, in accumulator units.
type WeightFormat struct {
	// MantissaBits is the width of the signed (two's complement) mantissa stored in
	// each synapse entry, sign included.
	MantissaBits int `json:"mantissa_bits"`
	ExponentMin  int `json:"exponent_min"`
	ExponentMax  int `json:"exponent_max"`
	// Granularity says which synapses share one exponent.
	Granularity Granularity `json:"exponent_granularity"`
	// ExponentGroupsPerCore is how many distinct exponents (synapse groups) a core
	// holds; present and >= 1 only when Granularity is PerSynapseGroup.
	ExponentGroupsPerCore int `json:"exponent_groups_per_core,omitempty" targets:"optional"`
}

// Granularity of the weight exponent.
type Granularity string

// Exponent granularities.
const (
	// PerMatrix: one exponent per weight matrix (input, recurrent, readout) and core.
	PerMatrix Granularity = "matrix"
	// PerCore: one exponent for all synapses of a core.
	PerCore Granularity = "core"
	// PerSynapseGroup: one exponent per synapse group; each axon's synapse list in a
	// core belongs to one group, and a core has ExponentGroupsPerCore groups.
	PerSynapseGroup Granularity = "synapse_group"
)

// Decay says how the target represents a decay factor (alpha, rho, kappa).
//
// Multiplier: a factor (2^F - d) / 2^F with an F-bit code d in 0 .. 2^F-1, F =
// FractionBits; x decays to x - x*d/2^F, the product rounded by Formats.Rounding.
//
// Shift (as Xylo does): a factor 1 - 2^-s with s in 1 .. MaxShift; x decays to
// x - (x >> s), the shift rounded by Formats.Rounding.
//
// In both, a non-zero x moves at least MinDecrement toward zero per step (Xylo: 1;
// 0 means no such rule).
type Decay struct {
	Representation DecayRepresentation `json:"representation"`
	FractionBits   int                 `json:"fraction_bits,omitempty" targets:"optional"` // multiplier only
	MaxShift       int                 `json:"max_shift,omitempty" targets:"optional"`     // shift only
	MinDecrement   int                 `json:"min_decrement"`
}

// DecayRepresentation names how a decay factor is held.
type DecayRepresentation string

// Decay representations.
const (
	DecayMultiplier DecayRepresentation = "multiplier"
	DecayShift      DecayRepresentation = "shift"
)

// Rounding is how the hardware rounds when it drops fraction bits.
type Rounding string

// Rounding rules.
const (
	HalfAwayFromZero Rounding = "half-away-from-zero" // nearest; ties away from zero
	HalfToEven       Rounding = "half-to-even"        // nearest; ties to the even value
	TowardZero       Rounding = "toward-zero"         // truncate the magnitude
	Floor            Rounding = "floor"               // toward minus infinity (arithmetic shift)
)

// Saturation is what happens when a result leaves a field's range.
type Saturation string

// Saturation rules.
const (
	Saturate Saturation = "saturate" // clamp to the range
	Wrap     Saturation = "wrap"     // two's complement wrap-around
)

// Readout describes the readout units: non-spiking leaky integrators whose values the
// host reads through the host port.
type Readout struct {
	Units           int `json:"units"`            // readout units on the whole target
	AccumulatorBits int `json:"accumulator_bits"` // width of a readout's state
	// NeuronSlots is how many neuron slots a readout unit takes in the core that holds
	// it; 0 means dedicated readout hardware beside the neurons, which only a
	// one-core target may have.
	NeuronSlots int `json:"neuron_slots"`
}

// Packets describes a spike packet.
type Packets struct {
	Addressing     Addressing `json:"addressing"`
	FlitsPerPacket int        `json:"flits_per_packet"`
	FlitBits       int        `json:"flit_bits"`
}

// Addressing is how a packet names where it goes.
type Addressing string

// Packet addressing modes.
const (
	// Unicast packets carry (destination core, axon) and travel by XY routing; a neuron
	// with destinations in n cores sends n packets.
	Unicast Addressing = "unicast"
	// Multicast packets carry a key naming the source; routers look it up in their
	// routing tables and copy the packet where the tree branches.
	Multicast Addressing = "multicast"
)

// Timing holds cycle costs, in cycles of ClockHz. A hop's uncontended latency is its
// HopEastWest or HopNorthSouth figure, RouterPipeline cycles of it inside the router
// and the rest on the link. A barrier costs BarrierBase + BarrierPerHop * (Cols-1 +
// Rows-1) cycles (see BarrierCycles).
type Timing struct {
	SynapticOp           Cycles `json:"synaptic_op"`            // one synapse applied
	NeuronUpdateActive   Cycles `json:"neuron_update_active"`   // one active neuron slot updated
	NeuronUpdateInactive Cycles `json:"neuron_update_inactive"` // one inactive neuron slot updated
	SpikeInTile          Cycles `json:"spike_in_tile"`          // a packet between cores of one tile
	HopEastWest          Cycles `json:"hop_east_west"`          // a flit to the east or west neighbour
	HopNorthSouth        Cycles `json:"hop_north_south"`        // a flit to the north or south neighbour
	RouterPipeline       Cycles `json:"router_pipeline"`        // stages a flit spends in a router
	BarrierBase          Cycles `json:"barrier_base"`           // barrier on a one-tile mesh
	BarrierPerHop        Cycles `json:"barrier_per_hop"`        // added per hop of mesh diameter
}

// Energy holds energy per operation, in picojoules, and static power.
//
// A neuron slot is active in a step when it received a synaptic event for the step,
// its membrane or adaptation state is non-zero, or it is refractory; otherwise it is
// inactive. A readout unit counts as one neuron slot.
type Energy struct {
	SynapticOp           Picojoules `json:"synaptic_op"`
	NeuronUpdateActive   Picojoules `json:"neuron_update_active"`
	NeuronUpdateInactive Picojoules `json:"neuron_update_inactive"`
	SpikeInTile          Picojoules `json:"spike_in_tile"`   // per packet between cores of one tile
	HopEastWest          Picojoules `json:"hop_east_west"`   // per flit per link
	HopNorthSouth        Picojoules `json:"hop_north_south"` // per flit per link
	Barrier              Picojoules `json:"barrier"`         // per tile per barrier
	StaticPower          Milliwatts `json:"static_power"`    // whole target, while running
}

// Kind says where a figure comes from.
type Kind string

// Figure kinds.
const (
	PreSilicon Kind = "pre-silicon simulation"
	Measured   Kind = "measured"
	Estimated  Kind = "estimated"
	Derived    Kind = "derived" // computed from figures of the other kinds
)

// Kinds lists the valid figure kinds.
func Kinds() []Kind { return []Kind{PreSilicon, Measured, Estimated, Derived} }

// Cycles is a timing figure with its provenance.
type Cycles struct {
	Cycles int    `json:"cycles"`
	Kind   Kind   `json:"kind"`
	Source string `json:"source"`
}

// Picojoules is an energy figure with its provenance.
type Picojoules struct {
	PJ     float64 `json:"pj"`
	Kind   Kind    `json:"kind"`
	Source string  `json:"source"`
}

// Milliwatts is a power figure with its provenance.
type Milliwatts struct {
	MW     float64 `json:"mw"`
	Kind   Kind    `json:"kind"`
	Source string  `json:"source"`
}
