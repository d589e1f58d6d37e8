package emulator

// The engine's own structures. The loader (load.go) builds a program from an image;
// everything else in the package reads only these, so that a change of the image
// format touches the loader alone.

// program is a loaded image in the form the engine runs: units (neurons, then
// readout units) numbered densely, synapses flattened per axon, routes resolved.
type program struct {
	target string // the target's name
	ar     arith
	ring   int // accumulator slots per unit: max(max delay + 1, 2)

	nIn, n, nOut int
	readoutExp   int     // Out / 2^readoutExp is the float logit
	dt           float64 // the step in ms (for the VCD's time axis)

	neurons  []neuron  // engine order: by core, then slot
	readouts []readout // by readout index k; unit n + k

	cores []core // the cores the image uses, by ascending physical index
	syn   []synapse

	// Sources: what one spike of neuron u, or one input spike of channel ch, sends.
	srcNeuron, srcInput []source

	mesh mesh
	cost costs
}

// neuron holds one recurrent neuron's parameters and initial state.
type neuron struct {
	id         int32 // the neuron's index in the network
	core       int32 // engine core
	slots      int32 // neuron slots it takes (timing and energy are per slot)
	pos        int32 // slots of the core's neurons before it (update order)
	alif       bool
	thr        int64 // Th << threshold_shift, membrane units
	memDecay   int32
	adaptDecay int32
	adaptInc   int64
	refractory int32

	v0, b0 int64
	refr0  int32
	spike0 bool
}

// readout holds one readout unit.
type readout struct {
	core  int32
	slots int32
	decay int32
	bias  int64
	y0    int64
}

// synapse is one synaptic entry: the unit it adds to, how many steps after the
// sender's step its value lands, and its effective weight.
type synapse struct {
	unit int32
	off  int32
	w    int64
}

// core is one core the image uses.
type core struct {
	index      int   // physical core
	tile       int32 // tile index, col + row * cols
	local      int32 // local core on its tile
	lo, hi     int32 // its neurons, engine indices [lo, hi)
	readouts   []int32
	nSlots     int64 // neuron slots of its neurons
	rSlots     int64 // neuron slots of its readout units
	axons      []axon
	keys       []uint64 // multicast: the sources with an axon here, ascending
	keyAxon    []int32  // the axon of each key
	axonByHead map[int32]int32
}

// axon is one input axon: its synapses syn[lo:hi].
type axon struct{ lo, hi int32 }

// source is what one spike of a neuron or input channel sends.
type source struct {
	packets []packet   // injected at the sender, in fan-out order
	deliver []delivery // where copies arrive, for fast mode
	// lo, hi: the synapses of all its deliveries, syn[lo:hi] (a source's axons are
	// laid out together, so fast mode reads them in one run).
	lo, hi  int32
	traffic traffic // counts one spike causes in the network
	origin  int32   // engine core of the sender, -1 for the host
}

// packet is one spike packet as injected: unicast to (core, axon) or multicast by key.
type packet struct {
	dest int32  // unicast: physical destination core
	axon int32  // unicast: axon table entry at the destination
	key  uint64 // multicast: the key
}

// delivery is one copy of a packet reaching a core: the core, the axon there and
// its number of synapses.
type delivery struct {
	core int32 // engine core
	axon int32 // index into the core's axons
	n    int32
}

// traffic counts what one spike costs the network: packets injected, copies
// delivered, deliveries that crossed no link (charged spike_in_tile), flit-hops.
type traffic struct {
	packets, deliveries, inTile int64
	hopsEW, hopsNS              int64
}

// mesh is the network on chip.
type mesh struct {
	cols, rows, perTile int
	hostTile            int
	hostPort            int // the input port of the host tile's router the host drives
	multicast           bool
	flits               int // flits per packet
	buffer              int // flits per input buffer
	// tables[tile] maps a key to its route at that router (multicast only).
	tables []map[uint64]route
	// coreOf maps a physical core to its engine core, or -1.
	coreOf map[int]int32
}

// route is where a router sends a packet: links (bits portN..portW) and local cores.
type route struct {
	links uint8
	cores uint64
}

// Router ports: the four links, then one per local core.
const (
	portN = iota
	portE
	portS
	portW
	portLocal
)

// costs are the target's timing (cycles) and energy (pJ) figures the engine charges.
type costs struct {
	clockHz                           int64
	synOp, updActive, updInactive     int64
	inTile, hopEW, hopNS, pipeline    int64
	barrier                           int64 // cycles of one barrier on this mesh
	eSyn, eActive, eInactive          float64
	eInTile, eHopEW, eHopNS, eBarrier float64
	staticMW                          float64
	tiles                             int64
}

// units is the number of accumulator rows: neurons and readout units.
func (p *program) units() int { return p.n + p.nOut }
