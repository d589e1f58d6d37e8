// Package train trains LSNNs with backpropagation through time (BPTT) and DEEP R
// rewiring, as in Bellec et al. (NeurIPS 2018; and "Deep rewiring", ICLR 2018).
//
// # Model
//
// The forward pass is the lsnn reference simulator itself (lsnn.State), so training
// and simulation agree spike for spike by construction. The spike non-linearity gets
// the pseudo-derivative gamma * max(0, 1 - |(v - A)/A|), zero while a neuron is
// refractory; gradients flow through the membrane potential, through the adaptive
// threshold A (the adaptation path b) and through the reset term -A[t] s[t-1].
//
// # Parameters and DEEP R
//
// Every potential connection k of W_in, W_rec (off the diagonal) and W_out has a
// parameter theta_k, a fixed sign s_k and a fixed delay. The weight is s_k * theta_k
// while theta_k > 0 (active) and 0 otherwise (dormant). Invariants held after every
// step: exactly K connections are active (one global budget over the three matrices);
// signs never change (Dale's law when the network has E/I neurons); a dormant
// connection has no optimizer state; a reactivated one starts at theta = 1e-12.
//
// # Speed
//
// Spikes are sparse and weights are sparse. The forward pass is event-driven. The
// backward pass computes dL/ds only where the pseudo-derivative is nonzero, gathers it
// over the sparse rows of W_rec, and accumulates weight gradients only at spike
// events. The tape of the forward pass keeps v and A only for the (step, neuron)
// pairs whose pseudo-derivative is nonzero, about 4% of them in the trained sMNIST
// network, so the backward pass reads it from cache. A batch is spread over all
// cores; per-sample gradients are summed in sample order so that results do not
// depend on the number of cores.
//
// # Determinism
//
// A run is a pure function of its configuration and seed: the data of iteration i, and
// the random choices of its rewiring step, are drawn from generators seeded by (seed,
// i). A run resumed from a checkpoint is therefore identical to an uninterrupted one.
package train
