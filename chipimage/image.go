package chipimage

import (
	"fmt"
	"math/bits"

	"github.com/snnc/snnc/targets"
)

// Version is the version of the image format this package writes and reads.
const Version = 1

// Image is a compiled network for one target: everything a chip, the emulator or a
// board loader needs, and nothing else. docs/image-format.md specifies its bytes.
//
// An Image built in memory is checked by Validate; Decode and ReadFile return only
// images that pass it. Cores and Routers are sorted by index; every table is in the
// canonical order the format prescribes, so an image has exactly one encoding.
type Image struct {
	Header  Header
	Arith   Arithmetic
	Net     Network
	Inputs  Inputs
	Outputs []Output // per readout unit k: where it sits
	Cores   []Core   // the cores that hold anything, by ascending Index
	Routers []Router // multicast routing tables, by ascending Tile; none on unicast targets

	off sectionOffsets // where each section's payload was in the decoded file
}

// Header names the target and the model and records the target's limits, so that an
// image can be checked without the target at hand.
type Header struct {
	Target     string   // the target's name
	TargetHash [32]byte // targets.Target.Hash of the resolved spec compiled for
	ModelHash  [32]byte // SHA-256 of the source model file
	N          int      // recurrent neurons
	NIn        int      // input channels
	NOut       int      // readout units
	Limits     Limits
}

// Limits are the target's sizes an image is checked against: the mesh, the per-core
// and per-router limits, the synapse-entry packing, readouts and packet addressing.
// Field meanings are those of targets.Target (docs/targets.md).
type Limits struct {
	Cols, Rows, CoresPerTile int
	HostCol, HostRow         int
	HostSide                 targets.Side
	InputChannels            int

	Neurons            int // neuron slots per core
	ALIFNeuronSlots    int
	InputAxons         int // axon-table entries per core
	FanoutEntries      int
	MaxSynapsesPerAxon int // longest synapse list of one axon-table entry
	Words              int // synapse-memory words per core
	WordBits           int
	SynapsesPerWord    int
	DelayBits          int
	TargetBits         int

	TableEntries       int // multicast routing-table entries per router
	ReadoutUnits       int
	ReadoutNeuronSlots int // 0: dedicated readout units (one-core targets)
	Addressing         targets.Addressing
}

// LimitsOf copies a target's limits.
func LimitsOf(t *targets.Target) Limits {
	m, k, s := t.Mesh, t.Core, t.Core.SynapseMemory
	return Limits{
		Cols: m.Cols, Rows: m.Rows, CoresPerTile: m.CoresPerTile,
		HostCol: m.HostPort.Col, HostRow: m.HostPort.Row, HostSide: m.HostPort.Side, InputChannels: m.HostPort.InputChannels,
		Neurons: k.Neurons, ALIFNeuronSlots: k.ALIFNeuronSlots, InputAxons: k.InputAxons, FanoutEntries: k.FanoutEntries,
		MaxSynapsesPerAxon: k.MaxSynapsesPerAxon,
		Words:              s.Words, WordBits: s.WordBits, SynapsesPerWord: s.SynapsesPerWord, DelayBits: s.DelayBits, TargetBits: s.TargetBits,
		TableEntries: t.Router.TableEntries, ReadoutUnits: t.Readout.Units, ReadoutNeuronSlots: t.Readout.NeuronSlots,
		Addressing: t.Packets.Addressing,
	}
}

// TotalCores is Cols * Rows * CoresPerTile.
func (l *Limits) TotalCores() int { return l.Cols * l.Rows * l.CoresPerTile }

// Tiles is Cols * Rows.
func (l *Limits) Tiles() int { return l.Cols * l.Rows }

// Multicast reports whether packets carry keys routed by tables.
func (l *Limits) Multicast() bool { return l.Addressing == targets.Multicast }

// TileOf returns the tile coordinates of a core (docs/targets.md: tile = core /
// CoresPerTile, numbered row by row).
func (l *Limits) TileOf(core int) (col, row int) {
	tile := core / l.CoresPerTile
	return tile % l.Cols, tile / l.Cols
}

// NeuronSource is the source id of the neuron whose base slot is slot in core: core *
// Neurons + slot. On a multicast target it is the key of the neuron's packets.
func (l *Limits) NeuronSource(core, slot int) uint64 {
	return uint64(core)*uint64(l.Neurons) + uint64(slot)
}

// InputSource is the source id of input channel ch: TotalCores * Neurons + ch.
func (l *Limits) InputSource(ch int) uint64 {
	return uint64(l.TotalCores())*uint64(l.Neurons) + uint64(ch)
}

// Source decodes a source id: an input channel (input true) or the neuron with base
// slot slot in core. ok is false when the id names neither.
func (l *Limits) Source(id uint64) (input bool, core, slot, channel int, ok bool) {
	slots := uint64(l.TotalCores()) * uint64(l.Neurons)
	if id < slots {
		return false, int(id / uint64(l.Neurons)), int(id % uint64(l.Neurons)), 0, true
	}
	if id-slots < uint64(l.InputChannels) {
		return true, 0, 0, int(id - slots), true
	}
	return false, 0, 0, 0, false
}

// KeyBits is the width of a source id: enough to name every neuron slot and input
// channel of the target (targets.Target.KeyBits).
func (l *Limits) KeyBits() int {
	n := uint64(l.TotalCores())*uint64(l.Neurons) + uint64(l.InputChannels)
	if n <= 1 {
		return 0
	}
	return bits.Len64(n - 1)
}

// EntryBits is the width of a synapse entry: mantissa + delay + target index.
func (img *Image) EntryBits() int {
	return img.Arith.MantissaBits + img.Header.Limits.DelayBits + img.Header.Limits.TargetBits
}

// WordBytes is the number of bytes one synapse-memory word takes in the file and in
// Core.Synapses: ceil(WordBits / 8).
func (l *Limits) WordBytes() int { return (l.WordBits + 7) / 8 }

// Arithmetic is the target's integer arithmetic, a copy of quant.Arithmetic: the
// widths every value is held in, the decay representation, rounding and saturation.
// docs/arithmetic.md defines how a step uses each field.
type Arithmetic struct {
	MantissaBits          int                 `json:"mantissa_bits"`
	ExponentMin           int                 `json:"exponent_min"`
	ExponentMax           int                 `json:"exponent_max"`
	Granularity           targets.Granularity `json:"exponent_granularity"`
	ExponentGroupsPerCore int                 `json:"exponent_groups_per_core,omitempty"`
	AccumulatorBits       int                 `json:"accumulator_bits"`
	MembraneBits          int                 `json:"membrane_bits"`
	AdaptationBits        int                 `json:"adaptation_bits"`
	ThresholdBits         int                 `json:"threshold_bits"`
	ThresholdShift        int                 `json:"threshold_shift"`
	ReadoutBits           int                 `json:"readout_bits"`
	Decay                 targets.Decay       `json:"decay"`
	Rounding              targets.Rounding    `json:"rounding"`
	Saturation            targets.Saturation  `json:"saturation"`
	MaxDelay              int                 `json:"max_delay_steps"`
	MaxRefractory         int                 `json:"max_refractory_steps"`
	ALIF                  bool                `json:"alif"`
}

// Network holds the network-wide scalars of the integer network.
type Network struct {
	Dt float64 // the step in ms (provenance: the arithmetic has no time)
	// StateExp: the membrane holds 2^StateExp units per 1.0 of the float potential.
	StateExp int
	// AdaptShift: the adaptation state B is in units of 2^-AdaptShift membrane units;
	// the threshold adds B shifted right by AdaptShift (left when negative).
	AdaptShift int
	// ReadoutExp: a readout output Out is the float logit Out / 2^ReadoutExp.
	ReadoutExp int
}

// Dest is one fan-out or input-map entry. On a unicast target it is a destination
// (core, axon): Core() << 32 | Axon(); on a multicast target it is a key, the source
// id of the sender (Limits.NeuronSource or InputSource).
type Dest uint64

// UnicastDest is the destination (core, axon).
func UnicastDest(core, axon int) Dest { return Dest(uint64(core)<<32 | uint64(uint32(axon))) }

// Core is the destination core of a unicast entry.
func (d Dest) Core() int { return int(d >> 32) }

// Axon is the destination axon of a unicast entry.
func (d Dest) Axon() int { return int(uint32(d)) }

// Key is the key of a multicast entry.
func (d Dest) Key() uint64 { return uint64(d) }

// Inputs is the input map, in compressed rows: channel ch sends to
// Dest[Start[ch]:Start[ch+1]]: one packet per (core, axon) on a unicast target, at
// most one key on a multicast target. len(Start) = NIn + 1.
type Inputs struct {
	Start []uint32
	Dest  []Dest
}

// Output says where readout unit k sits: core and base slot.
type Output struct {
	Core int
	Slot int
}

// Core is the content of one core: what it computes (neurons, readout units, their
// parameters and initial state) and what it receives and sends (axons, synapses,
// fan-out).
type Core struct {
	Index int // physical core, 0 .. TotalCores-1

	// Exponents is the exponent table: an axon entry's Group selects one. Strictly
	// increasing.
	Exponents []int
	Neurons   []Neuron      // by ascending Slot
	Readouts  []ReadoutUnit // by ascending Slot
	// Axons is the axon table. An axon is a chain of consecutive entries: each entry
	// except the last of its chain has More set. A packet names an axon by the index
	// of its first entry.
	Axons []Axon
	// AxonMap lists, by ascending Source, the first entry of every chain and the
	// source that sends to it.
	AxonMap []AxonSource
	// FanoutStart and Fanout: neuron i (of Neurons) sends to
	// Fanout[FanoutStart[i]:FanoutStart[i+1]]. len(FanoutStart) = len(Neurons) + 1.
	FanoutStart []uint32
	Fanout      []Dest
	// Words is the number of synapse-memory words used; Synapses holds them, each
	// WordBytes bytes, little-endian (see Layout).
	Words    int
	Synapses []byte
}

// Neuron is one recurrent neuron: its id in the network, base slot, parameters in the
// target's formats and initial state. It occupies ALIFNeuronSlots slots from Slot when
// ALIF, else one.
type Neuron struct {
	ID   int
	Slot int
	ALIF bool
	// Parameters (docs/arithmetic.md, section 4).
	Threshold  int64 // baseline threshold mantissa Th, 0 .. 2^ThresholdBits-1
	MemDecay   int32 // dV
	AdaptDecay int32 // dB (0 for LIF)
	AdaptInc   int64 // J (0 for LIF)
	Refractory int32 // n_ref
	// Initial state, before step 0 (zero as compiled).
	V        int64 // membrane potential
	B        int64 // adaptation state (0 for LIF)
	RefrLeft int32 // refractory steps left, 0 .. Refractory
	Spiked   bool  // s[-1]
}

// ReadoutUnit is one readout unit: its index k, base slot, parameters and initial
// state. With dedicated readouts (Limits.ReadoutNeuronSlots = 0) its slot is
// Neurons + k.
type ReadoutUnit struct {
	Index int
	Slot  int
	Decay int32 // dY
	Bias  int64
	Y     int64 // initial state
}

// Axon is one axon-table entry: a synapse list of Count entries starting at word
// FirstWord of the synapse memory, with the exponent Exponents[Group].
type Axon struct {
	FirstWord uint32
	Count     uint32
	Group     uint8
	More      bool // the next entry belongs to the same axon
}

// AxonSource maps a source id to the axon (first entry of a chain) it sends to.
type AxonSource struct {
	Source uint64
	Axon   int
}

// Router is the multicast routing table of one tile's router.
type Router struct {
	Tile    int // col + row * Cols
	Entries []RouteEntry
}

// Link bits of RouteEntry.Links.
const (
	LinkNorth = 1 << 0
	LinkEast  = 1 << 1
	LinkSouth = 1 << 2
	LinkWest  = 1 << 3
	linksAll  = LinkNorth | LinkEast | LinkSouth | LinkWest
)

// RouteEntry matches a key K when K & Mask == Key; the first matching entry of a table
// copies the packet to every link in Links and every local core l with bit l of Cores
// set.
type RouteEntry struct {
	Key, Mask uint64
	Links     uint8
	Cores     uint64
}

// Synapse is one synapse entry: target slot, stored delay and weight mantissa.
type Synapse struct {
	Target   int
	Delay    int
	Mantissa int32
}

// Layout packs synapse entries into words: entry i of a word occupies bits
// [i*EntryBits, (i+1)*EntryBits), and within it, from the least significant bit, the
// target (TargetBits), the delay (DelayBits) and the mantissa (MantissaBits, two's
// complement). Words are WordBytes little-endian bytes.
type Layout struct {
	TargetBits, DelayBits, MantissaBits int
	PerWord, WordBytes                  int
}

// Layout returns the image's synapse-entry layout.
func (img *Image) Layout() Layout {
	l := &img.Header.Limits
	return Layout{TargetBits: l.TargetBits, DelayBits: l.DelayBits, MantissaBits: img.Arith.MantissaBits,
		PerWord: l.SynapsesPerWord, WordBytes: l.WordBytes()}
}

// EntryBits is TargetBits + DelayBits + MantissaBits.
func (y Layout) EntryBits() int { return y.TargetBits + y.DelayBits + y.MantissaBits }

// WordsFor is the number of words a list of n entries takes: ceil(n / PerWord).
func (y Layout) WordsFor(n int) int { return (n + y.PerWord - 1) / y.PerWord }

// bitOffset is where entry k of the list that starts at word first begins.
func (y Layout) bitOffset(first, k int) uint64 {
	if k < y.PerWord {
		return uint64(first)*uint64(y.WordBytes)*8 + uint64(k)*uint64(y.EntryBits())
	}
	w := uint64(first) + uint64(k/y.PerWord)
	return w*uint64(y.WordBytes)*8 + uint64(k%y.PerWord)*uint64(y.EntryBits())
}

// Get returns entry k of the list that starts at word first of mem.
func (y Layout) Get(mem []byte, first, k int) Synapse {
	off := y.bitOffset(first, k)
	if e := y.EntryBits(); e <= 56 && off/8+8 <= uint64(len(mem)) {
		v := le.Uint64(mem[off/8:]) >> (off % 8)
		return Synapse{Target: int(v & lowMask(y.TargetBits)), Delay: int(v >> y.TargetBits & lowMask(y.DelayBits)),
			Mantissa: int32(signExtend(v>>(y.TargetBits+y.DelayBits)&lowMask(y.MantissaBits), y.MantissaBits))}
	}
	t := getBits(mem, off, y.TargetBits)
	d := getBits(mem, off+uint64(y.TargetBits), y.DelayBits)
	m := getBits(mem, off+uint64(y.TargetBits+y.DelayBits), y.MantissaBits)
	return Synapse{Target: int(t), Delay: int(d), Mantissa: int32(signExtend(m, y.MantissaBits))}
}

// A ListReader reads the entries of one list in order: its Next returns what Get
// returns for k = 0, 1, 2, ... Checks that read every synapse of a large image (the
// validator, the compiler's read-back) spend most of their time there, so it steps
// from entry to entry and word to word instead of dividing by PerWord, and computes
// the fields' masks once.
type ListReader struct {
	mem                 []byte
	word, off           uint64 // bit offsets of the current word and of the next entry
	inWord, perWord     int
	wordBits, entryBits uint64
	tb, db, mb          int
	tMask, dMask, mMask uint64
	fast                bool // an entry fits one unaligned 64-bit load
}

// Reader returns a ListReader at entry 0 of the list that starts at word first of mem.
func (y Layout) Reader(mem []byte, first int) ListReader {
	wb := uint64(y.WordBytes) * 8
	return ListReader{mem: mem, word: uint64(first) * wb, off: uint64(first) * wb, perWord: y.PerWord,
		wordBits: wb, entryBits: uint64(y.EntryBits()), tb: y.TargetBits, db: y.DelayBits, mb: y.MantissaBits,
		tMask: lowMask(y.TargetBits), dMask: lowMask(y.DelayBits), mMask: lowMask(y.MantissaBits), fast: y.EntryBits() <= 56}
}

// Next returns the next entry and moves past it.
func (r *ListReader) Next() Synapse {
	off := r.off
	var s Synapse
	if r.fast && off/8+8 <= uint64(len(r.mem)) {
		v := le.Uint64(r.mem[off/8:]) >> (off % 8)
		s = Synapse{Target: int(v & r.tMask), Delay: int(v >> r.tb & r.dMask),
			Mantissa: int32(signExtend(v>>(r.tb+r.db)&r.mMask, r.mb))}
	} else {
		t := getBits(r.mem, off, r.tb)
		d := getBits(r.mem, off+uint64(r.tb), r.db)
		m := getBits(r.mem, off+uint64(r.tb+r.db), r.mb)
		s = Synapse{Target: int(t), Delay: int(d), Mantissa: int32(signExtend(m, r.mb))}
	}
	r.inWord++
	if r.inWord == r.perWord {
		r.inWord = 0
		r.word += r.wordBits
		r.off = r.word
	} else {
		r.off += r.entryBits
	}
	return s
}

// Put writes entry k of the list that starts at word first of mem, whose bits there
// must be zero. The fields must fit their widths.
func (y Layout) Put(mem []byte, first, k int, s Synapse) { y.PutAt(mem, y.bitOffset(first, k), s) }

// Offset is the bit offset of entry k of the list that starts at word first: entry
// k%PerWord of word first + k/PerWord.
func (y Layout) Offset(first, k int) uint64 { return y.bitOffset(first, k) }

// PutAt writes an entry at bit offset off (see Offset), whose bits must be zero.
func (y Layout) PutAt(mem []byte, off uint64, s Synapse) {
	if e := y.EntryBits(); e <= 56 && off/8+8 <= uint64(len(mem)) {
		v := uint64(s.Target) | uint64(s.Delay)<<y.TargetBits | uint64(int64(s.Mantissa))&lowMask(y.MantissaBits)<<(y.TargetBits+y.DelayBits)
		le.PutUint64(mem[off/8:], le.Uint64(mem[off/8:])|v<<(off%8))
		return
	}
	putBits(mem, off, y.TargetBits, uint64(s.Target))
	putBits(mem, off+uint64(y.TargetBits), y.DelayBits, uint64(s.Delay))
	putBits(mem, off+uint64(y.TargetBits+y.DelayBits), y.MantissaBits, uint64(int64(s.Mantissa))&lowMask(y.MantissaBits))
}

func lowMask(n int) uint64 {
	if n >= 64 {
		return ^uint64(0)
	}
	return uint64(1)<<n - 1
}

func signExtend(v uint64, n int) int64 {
	if n <= 0 {
		return 0
	}
	sh := 64 - n
	return int64(v<<sh) >> sh
}

// getBits reads n <= 56 bits at bit offset off (bit k of the memory is bit k%8 of
// byte k/8).
func getBits(mem []byte, off uint64, n int) uint64 {
	if n == 0 {
		return 0
	}
	b, s := off/8, off%8
	var v uint64
	if b+8 <= uint64(len(mem)) {
		v = le.Uint64(mem[b:])
	} else {
		for i := uint64(0); b+i < uint64(len(mem)) && i < 8; i++ {
			v |= uint64(mem[b+i]) << (8 * i)
		}
	}
	return v >> s & lowMask(n)
}

func putBits(mem []byte, off uint64, n int, v uint64) {
	for n > 0 {
		b, s := off/8, int(off%8)
		take := min(8-s, n)
		mem[b] |= byte((v & lowMask(take)) << s)
		v >>= take
		off += uint64(take)
		n -= take
	}
}

// Chains calls f for every axon of c: the index of its first entry and the entries
// of its chain. It stops early when f returns false.
func (c *Core) Chains(f func(first int, entries []Axon) bool) {
	for a := 0; a < len(c.Axons); {
		end := a
		for end < len(c.Axons)-1 && c.Axons[end].More {
			end++
		}
		if !f(a, c.Axons[a:end+1]) {
			return
		}
		a = end + 1
	}
}

// FindCore returns the position in img.Cores of the core with that index, or -1.
func (img *Image) FindCore(index int) int {
	lo, hi := 0, len(img.Cores)
	for lo < hi {
		m := (lo + hi) / 2
		if img.Cores[m].Index < index {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(img.Cores) && img.Cores[lo].Index == index {
		return lo
	}
	return -1
}

// String summarizes the image in one line.
func (img *Image) String() string {
	syn := 0
	for i := range img.Cores {
		for _, a := range img.Cores[i].Axons {
			syn += int(a.Count)
		}
	}
	return fmt.Sprintf("image for %s: %d neurons, %d inputs, %d readouts in %d cores; %d synapses; %d routing tables",
		img.Header.Target, img.Header.N, img.Header.NIn, img.Header.NOut, len(img.Cores), syn, len(img.Routers))
}
