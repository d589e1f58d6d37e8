// Package compiler turns a float LSNN into a chip image for a target: what each core
// holds and how spikes find their way between cores.
//
// # Passes
//
// Compile runs a table of passes, as Go's SSA backend does; each has a name, a
// function and a required flag (optional passes may be skipped), and an invariant
// checker runs after every pass. Options.DumpAfter prints the state after a pass.
//
//	quantize   quant.QuantizeNetwork for the target (the network without quant's
//	           report); zero-mantissa synapses are dropped
//	partition  units (neurons, readout units) to cores: filled in index order up to
//	           every per-core limit (neuron slots with ALIF cost, axon-table entries,
//	           synapse-memory words as the target packs them); when fan-out tables
//	           overflow, filled again with each neuron's measured fan-out as a cost and
//	           the remaining overflow moved to spill cores; then, on models small
//	           enough, single-unit moves that lower the rate-weighted traffic between
//	           cores while every core stays within its limits
//	place      logical cores to physical cores: the best of row-major, a Morton curve
//	           from the host's corner and a greedy start, then seeded simulated
//	           annealing on the core graph; never worse than row-major
//	route      dimension-order (XY) routes; on a multicast target one routing entry
//	           per key on every router of the key's XY tree
//	compress   ordered (key, mask) entries per router, found by a dynamic program on
//	           the trie of keys; a router whose table still overflows is an error
//	emit       the image (package chipimage)
//
// # Model
//
// Units are what cores hold: neuron j is unit j, readout unit k is unit N+k. Sources
// are what send: neuron j and input channel i (source N+i). A source's synapses into
// one core are one axon: its main list, and a separate readout list when its readout
// row's exponent differs, each split into axon-table entries of at most
// max_synapses_per_axon synapses. Traffic is the expected packets per step: a source
// of rate r sends r packets per step to each destination core (unicast) or r packets
// copied along its XY tree (multicast). Rates come from a calibration run
// (Options.Rates) or are assumed (Options.AssumedRate).
//
// # Invariants
//
// After partition, every unit is on exactly one core and every core is within every
// limit (recounted from scratch); after place, every logical core has its own
// physical core; after route and compress, every source's key, routed through the
// tables from its tile (or the host's), reaches exactly the cores holding its
// synapses, visiting no router twice; after emit, the image passes
// chipimage.Validate and holds exactly the network's synapses (count and an
// order-independent checksum, read back through the image's own tables).
//
// Everything is deterministic: the same network, target and options give
// byte-identical images. The passes are linear in the synapses except the
// refinement of the partition and the core-graph optimisers of placement, which run
// within fixed budgets. A model that does not fit gets one *CapacityError listing
// every violated limit with its numbers and the changes that would fit. Errors start
// with "compile: ".
package compiler
