package emulator

// Counters are what the engine counts for one core, the host port or the whole
// chip. Neuron updates are in neuron slots (an ALIF neuron may take several). A
// packet is counted by its sender; Deliveries, the copies that reached a core, and
// SynapticOps by the receiver. SpikesInTile counts deliveries whose packet crossed no
// link between tiles (docs/targets.md charges them spike_in_tile); FlitHops count
// flits times links crossed. The fields below BusyCycles are measured in cycle mode
// only and are zero in fast mode.
type Counters struct {
	NeuronUpdatesActive   int64 `json:"neuron_updates_active"`
	NeuronUpdatesInactive int64 `json:"neuron_updates_inactive"`
	Spikes                int64 `json:"spikes"`
	SynapticOps           int64 `json:"synaptic_ops"`
	Packets               int64 `json:"packets"`
	Deliveries            int64 `json:"deliveries"`
	SpikesInTile          int64 `json:"spikes_in_tile"`
	FlitHopsEW            int64 `json:"flit_hops_east_west"`
	FlitHopsNS            int64 `json:"flit_hops_north_south"`

	// BusyCycles are the cycles a core spent updating neurons and applying synapses;
	// BusyPeak the most in one step.
	BusyCycles int64 `json:"busy_cycles"`
	BusyPeak   int64 `json:"busy_cycles_peak_step"`
	// InjectionStalls are cycles packets waited in a core's (or the host's) output
	// queue for room in the router's input buffer after they were ready.
	InjectionStalls int64 `json:"injection_stalls"`
	// QueuePeak is the most flits a core's input queue held.
	QueuePeak int `json:"input_queue_peak_flits"`
}

// Add adds o's counts to c; peaks take the maximum.
func (c *Counters) Add(o Counters) {
	c.NeuronUpdatesActive += o.NeuronUpdatesActive
	c.NeuronUpdatesInactive += o.NeuronUpdatesInactive
	c.Spikes += o.Spikes
	c.SynapticOps += o.SynapticOps
	c.Packets += o.Packets
	c.Deliveries += o.Deliveries
	c.SpikesInTile += o.SpikesInTile
	c.FlitHopsEW += o.FlitHopsEW
	c.FlitHopsNS += o.FlitHopsNS
	c.BusyCycles += o.BusyCycles
	c.BusyPeak = max(c.BusyPeak, o.BusyPeak)
	c.InjectionStalls += o.InjectionStalls
	c.QueuePeak = max(c.QueuePeak, o.QueuePeak)
}

// Functional returns the counts that do not depend on timing, the ones fast and
// cycle mode must agree on: c without the cycle-mode fields.
func (c Counters) Functional() Counters {
	c.BusyCycles, c.BusyPeak, c.InjectionStalls, c.QueuePeak = 0, 0, 0, 0
	return c
}

// RouterCounters are one router's counts in cycle mode.
type RouterCounters struct {
	// Flits counts flits that left the router (to a link or a local core).
	Flits int64 `json:"flits"`
	// Stalls counts cycles a packet at the head of an input buffer was ready to
	// leave but could not: it lost arbitration, the link was busy, or the buffer
	// downstream was full (back-pressure).
	Stalls int64 `json:"stalls"`
	// PeakBuffer is the most flits one input buffer held.
	PeakBuffer int `json:"peak_buffer_flits"`
}

// Add adds o to r; the peak takes the maximum.
func (r *RouterCounters) Add(o RouterCounters) {
	r.Flits += o.Flits
	r.Stalls += o.Stalls
	r.PeakBuffer = max(r.PeakBuffer, o.PeakBuffer)
}
