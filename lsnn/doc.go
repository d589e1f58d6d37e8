// Package lsnn holds the float model of a long short-term memory spiking network
// (LSNN): a recurrent network of leaky integrate-and-fire neurons, some of them with an
// adaptive threshold (ALIF), sparsely connected, with a leaky linear readout.
//
// The model follows Bellec et al., "Long short-term memory and learning-to-learn in
// networks of spiking neurons" (NeurIPS 2018). With alpha = exp(-dt/tau_m),
// rho = exp(-dt/tau_a) and kappa = exp(-dt/tau_out), one step t of neuron j is
//
//	I[t] = sum_i W_in[i,j] x_i[t-d_in[i,j]] + sum_i W_rec[i,j] s_i[t-d_rec[i,j]]
//	b[t] = rho b[t-1] + (1-rho) s[t-1]
//	A[t] = b0 + beta b[t]
//	s[t] = 1 if v[t-1] > A[t] and no spike in steps t-n_ref .. t-1, else 0
//	v[t] = alpha v[t-1] + (1-alpha) I[t] - A[t] s[t-1]
//
// and the readout is zhat[t] = kappa zhat[t-1] + (1-kappa) s[t], y[t] = W_out' zhat[t] + b_out.
// Everything before step 0 is zero. Note the one-step lag: the spike of step t is
// decided from v[t-1], and its reset is subtracted from v one step later.
//
// Invariants of a valid Network (see Validate): weights are held in compressed sparse
// rows indexed by the presynaptic side, so a spike reads one contiguous row; W_rec has
// no self-connections; input delays are >= 0 and recurrent delays >= 1 (a spike can
// only reach another neuron in a later step); when signs are given, every outgoing
// weight of a presynaptic neuron or channel has its sign (Dale's law).
//
// The package also holds the float64 reference simulator (Simulate), the native
// model.bin codec and the .npz codec.
package lsnn
