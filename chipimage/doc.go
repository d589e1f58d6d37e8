// Package chipimage owns the chip image: the bytes a compiled LSNN becomes for one
// target, which the emulator runs and a board loads. docs/image-format.md specifies
// the format; this package is its reference reader and writer. It imports only
// package targets.
//
// # Model
//
// An Image holds what the target's cores and routers hold, and nothing the hardware
// does not need besides names for reports:
//   - a header: the target's name, the SHA-256 of its resolved spec
//     (targets.Target.Hash), the SHA-256 of the source model, the network's sizes and
//     a copy of the target's limits, so that the image can be checked alone;
//   - the integer arithmetic (a copy of quant.Arithmetic) and the network-wide
//     scalars (adaptation shift, scales), so that the image is self-contained: the
//     arithmetic of docs/arithmetic.md runs from the image alone;
//   - per used core: its neurons and readout units with their parameters and initial
//     state, the exponent table, the axon table (synapse lists in synapse memory,
//     packed as the target says), the axon map (which source feeds which axon) and
//     the fan-out table (where each neuron's spikes go);
//   - per router of a multicast target: the routing table, (key, mask) -> ports,
//     first match wins;
//   - the input map (channel -> (core, axon) pairs, or its key) and the output map
//     (readout unit -> core and slot).
//
// One step on the chip: packets delivered in step u add their synapses' weights into
// accumulator slot u + stored delay. A spike of step t is delivered in step t + 1, so
// a recurrent synapse of delay d is stored with delay d - 1 and an input synapse
// (delivered in its own step) with delay d. Readout synapses are stored with delay 0
// and a readout unit that updates in hardware step t + 1 holds the value the golden
// simulator reports for step t (docs/arithmetic.md, "Readouts on a chip").
//
// # Invariants
//
// Validate, which Decode and WriteTo apply, checks every value against its format,
// every count against the recorded limits and every index against what it names, and
// that senders and axons name each other exactly: on a unicast target every fan-out or
// input-map entry (core, axon) is the axon the core's axon map gives for the sender,
// and every axon-map entry is reached once; on a multicast target every key, routed
// from its source's tile (or the host's) through the tables, reaches exactly the cores
// whose axon maps hold it, with no loop and no unmatched lookup. WriteUnvalidatedTo
// skips it, for a caller that validates the image itself.
//
// The encoding is canonical: tables are in a prescribed order, unused bits are zero,
// so an image has one encoding and the same image always gives the same bytes. The
// reader treats a file as hostile: it checks every length against the bytes present
// before allocating, verifies a CRC32 per section and over the whole file, and never
// panics. Errors are *Error values naming the section and byte offset
// ("chipimage: out.img: section CORE at offset 4096 (core 3): offset 4200: axon entry
// 2: ...").
package chipimage
