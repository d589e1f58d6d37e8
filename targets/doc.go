// Package targets describes the chips snnc compiles for: instances of snnc's one
// parametric neuromorphic architecture (a mesh of tiles, each with cores and a router;
// see docs/targets.md), given as JSON target specs.
//
// # Model
//
// A Target says, with units in its field names:
//   - the mesh: Cols x Rows tiles of CoresPerTile cores, the host port's tile and edge,
//     and the clock;
//   - per core: neuron slots (an ALIF neuron may take more than one), input axons,
//     fan-out entries, synapse memory (words, word width, entries per word, and how an
//     entry packs weight mantissa, delay and target index), and per router the
//     multicast routing-table entries and buffer depth;
//   - number formats: weight mantissa and exponent range and granularity, accumulator,
//     membrane, adaptation and threshold widths, decay representation (an F-bit
//     multiplier, or a bit shift as Xylo has), maximum delay and refractory period,
//     ALIF support, rounding and saturation rules;
//   - readout units, packet addressing (unicast (core, axon) or multicast key) and size;
//   - timing in cycles and energy in picojoules per operation, every figure with its
//     source and kind (pre-silicon simulation, measured, estimated, derived).
//
// quant maps a float network onto the formats, the compiler fits it into the limits,
// the image records the target's Hash, and the emulator charges the timing and energy
// figures. The package imports nothing of snnc.
//
// # Files and presets
//
// Presets (Names, Lookup) are embedded from data/*.json. A user's file is read by Load
// (a path), LoadFS or Parse. As with TinyGo's targets, a file may name a parent in
// "inherits": a preset, or another file relative to its own directory. The child is
// merged into the parent as a JSON Merge Patch (RFC 7386): objects merge key by key, a
// value replaces, null deletes a key. Every file states "version": 1; the target's
// name is the preset's name or the file's base name, never a field.
//
// # Invariants
//
// A *Target from Lookup, Load, LoadFS or Parse has passed Validate:
//   - every field was given by some file of the chain (optional fields excepted: the
//     decay parameter of the other representation, and exponent_groups_per_core
//     unless the granularity is per synapse group); no unknown field was given;
//   - limits are positive and below the package's Max* bounds, so products of them fit
//     an int64 and a hostile file cannot make a later stage allocate without bound;
//   - formats fit their bits: EntryBits * SynapsesPerWord <= WordBits, MaxDelaySteps
//     fits DelayBits, TargetBits indexes every neuron slot (and dedicated readout),
//     the threshold mantissa << ThresholdShift fits the membrane, the largest weight
//     fits the accumulators, state + decay fraction bits <= 62;
//   - a packet holds its address (KeyBits or CoreIndexBits + AxonIndexBits bits);
//   - a multicast target has routing tables; dedicated readouts only on one core;
//   - the host port's tile is on the edge it faces;
//   - every timing and energy figure has a kind from Kinds and a non-empty source.
//
// Errors start with "targets: ", name the file and the field path, and list every
// problem found ("targets: my.json: core.synapse_memory.words = 0: must be
// positive"). Loading never panics on a hostile file; files above 1 MiB and inherits
// chains deeper than 16 are rejected.
//
// Hash is the SHA-256 of json.Marshal of the resolved Target: it changes with any
// field and not with how the spec was split across files.
//
// Package targettest holds the conformance suite that every target passes.
package targets
