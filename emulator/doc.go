// Package emulator runs chip images: it loads an image (package chipimage), checks it
// against the target it was compiled for, and runs time steps on input spike trains,
// reporting spikes, readouts, operation counts, cycles and energy. It reads only the
// image and the target: never the float model, the quantizer or the compiler, so that
// it tests what ships, bytes a board could load.
//
// # Model
//
// The image's network runs in hardware steps. In step t every core updates its
// units in the image's integer arithmetic (docs/arithmetic.md): its neurons read
// accumulator slot t, and its readout units read slot t too, which holds the readout
// synapses of the spikes of step t-1. Spiking neurons send one packet per fan-out
// entry: unicast packets to (core, axon) by dimension-order (XY) routing, or one
// multicast packet by key, copied by the routers' tables. A packet that reaches a
// core looks up its axon and performs one synaptic operation per synapse, adding the
// weight into the target unit's slot (delivery step + stored delay). The host injects
// the input spikes of each step through the host port. So readout outputs computed
// in step t+1 are the golden simulator's outputs for step t: a run of T input steps
// takes T+1 hardware steps, as docs/image-format.md ("One time step") prescribes.
// The emulator's last step updates the readout units only: the neurons' updates in
// it could not be observed (neurons update in steps 0..T-1, readout units in 0..T).
//
// Two modes share one arithmetic (state.go) and differ in when synaptic events are
// applied:
//
//   - Fast applies every spike's synapses as soon as it is emitted, through the
//     routes the image defines (resolved once at load), without timing. Both machine
//     cores run samples of a batch.
//   - Cycle runs a cycle-level network on chip (noc.go, cycle.go): routers with input
//     buffers of the target's depth, one flit per link per cycle, XY routing,
//     round-robin arbitration per output, back-pressure by credits, multicast copies
//     sent as their outputs free up; cores that update their units in slot order
//     (active slots cost neuron_update_active cycles, inactive ones
//     neuron_update_inactive), release each spiking neuron's packets when its update
//     completes, and apply arriving packets (synaptic_op cycles per synapse) once
//     their updates are done. The host injects step t+1's input during step t. A step
//     ends when every core is idle and the network drained, plus the target's
//     barrier; its cycle count is what happened, not a formula. The simulation jumps
//     from event to event, so idle routers and cores cost nothing.
//
// Both modes are event-driven: a step updates only the units that are active (their
// slot received an event, or their state is not at rest), which is exact because a
// neuron at rest with an empty slot keeps its state and cannot spike; the inactive
// slots are counted, not computed.
//
// # Invariants
//
//   - Bit-exactness: in both modes the spikes and readout outputs equal those of
//     quant's golden simulator on the quantized network the image was compiled from.
//     Accumulator slots hold exact sums and are fitted once when read, so the order in
//     which packets arrive does not matter. The differential suite in
//     emulator/emutest holds the emulator, the compiler and the golden simulator
//     together.
//   - The functional counts (neuron updates, spikes, synaptic operations, packets,
//     deliveries, in-tile spikes, flit-hops) are the same in both modes; cycle mode
//     adds cycles, stalls and buffer peaks.
//   - Energy adds up: each category is its count times the target's figure, and the
//     categories sum to the total (static power needs cycle mode's time).
//   - Determinism: the same image and inputs give the same results and reports,
//     whatever the number of workers.
//
// The image carries no timing or energy tables, only the target's name, spec hash
// and limits: New takes the target (or loads the preset the image names) and refuses
// one whose hash or limits differ. Errors start with "emulator: ".
package emulator
