// Package quant maps a float LSNN onto a target's integer arithmetic and defines that
// arithmetic.
//
// Quantize turns an lsnn.Network into a Network for a targets.Target, with a Report of
// what it cost; Simulator, the integer golden simulator, runs a Network step by step.
// The simulator is the executable specification of the arithmetic: the compiler, the
// emulator in every mode and the boards must reproduce its spikes and readouts bit for
// bit. docs/arithmetic.md describes every operation of a step and every rule of the
// quantizer.
//
// # Model
//
// A Network holds, per recurrent neuron, a baseline-threshold mantissa, decay codes for
// the membrane and (ALIF neurons) the threshold adaptation, the adaptation increment
// beta * (1 - rho) in adaptation units and the refractory period; per synapse a weight
// mantissa and a delay, with one exponent per row (presynaptic source) through the
// row's Group; and readout units: non-spiking leaky integrators with their own decay
// code, weights, biases and scale. A copy of the target's Arithmetic (widths, decay
// representation, rounding, saturation, limits) makes it self-contained: neither the
// float network nor the target is needed to compile, emulate or simulate it.
//
// One step t of neuron j, in the order the hardware computes it:
//
//	X    = Fit(slot_j[t])                      exact sum of the step's events, fitted once
//	B    = Fit(decay(B) + J * s[t-1])          ALIF only
//	A    = (Th << shift) + B >> AdaptShift     fitted to the membrane
//	s[t] = V > A and not refractory            V from step t-1: one-step lag
//	V    = Fit(decay(V) + X - A * s[t-1])      subtractive reset one step later
//
// then spikes of step t go to their targets' slots t + d (d >= 1) and to the readouts:
// Y = Fit(decay(Y) + sum of w_out over s[t]), output Y + bias.
//
// # Invariants
//
// A Network from Quantize passes Validate, and NewSimulator accepts only networks that
// do: every mantissa, code, threshold, increment, delay, refractory period and bias fits
// its format; recurrent delays are at least 1 and there are no self-connections; rows
// are grouped as the target's exponent granularity requires (three groups for
// "matrix", one for "core", at most ExponentGroupsPerCore for "synapse_group"), so any
// partition into cores respects the target; and the sum of |weight| into any neuron or
// readout is below 2^62, so exact slot sums fit an int64.
//
// Saturation does not depend on the order in which synaptic events arrive: slots hold
// exact sums and the target's rule (clamp or wrap) is applied when a slot is read.
//
// Quantize is deterministic: the same float network and target give deeply equal
// Networks and Reports. It folds the effective 1 - alpha (the gain of the decay code)
// into the weights, so that the integer neuron is the float neuron with its time
// constants replaced by the effective ones, up to rounding. When the model uses
// something the target cannot represent it returns one *Error listing every problem,
// each naming the neurons or synapses, the limit and the nearest representable value.
// Errors start with "quant: ".
package quant
