// Package gen makes random sparse LSNNs of any size, for the compiler's and the
// emulator's scale benchmarks and for `snnc gen`. Unlike lsnntest.RandomNetwork,
// which draws every possible synapse (quadratic in the neurons), it draws each
// neuron's presynaptic partners directly, so that a million neurons with a hundred
// synapses each take seconds.
//
// # Model
//
// Every neuron receives exactly FanIn recurrent synapses from distinct other
// neurons: with probability Locality from the ring neighbourhood within Band of it
// (indices modulo N), otherwise uniformly from all neurons. Each input channel feeds
// InputFanout distinct neurons and each readout unit reads ReadoutFanIn distinct
// neurons. Signs follow Dale's law (80% excitatory); a synapse's weight and delay are
// a hash of (seed, pre, post), so the network depends on nothing but the Config, not
// on how many goroutines drew it.
package gen
