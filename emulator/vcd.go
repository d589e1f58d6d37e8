package emulator

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
)

// VCDOptions select what WriteVCD dumps besides every neuron's spikes and every
// readout output.
type VCDOptions struct {
	// Neurons whose membrane potential and threshold are dumped; they need a Result
	// run with Options.Record.
	Neurons []int
}

// WriteVCD writes one sample's result as a Value Change Dump (IEEE 1364), which
// GTKWave and other waveform viewers open: module spikes holds a 1-bit wire per
// neuron (high during the steps it spikes in), module readout the readout outputs,
// and modules membrane and threshold the states of the selected neurons, as
// two's-complement vectors of the image's widths. The time unit is 1 us; a step
// lasts the image's dt. The output depends only on the result: no date is written.
func (e *Emulator) WriteVCD(w io.Writer, res *Result, opt VCDOptions) error {
	p := e.p
	for _, j := range opt.Neurons {
		if j < 0 || j >= res.N {
			return fmt.Errorf("emulator: vcd: neuron %d out of range 0..%d", j, res.N-1)
		}
		if res.Voltage == nil {
			return fmt.Errorf("emulator: vcd: membrane and threshold need a run with Options.Record")
		}
	}
	us := int64(math.Round(p.dt * 1000))
	if us < 1 {
		us = 1
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "$version snnc emulator, target %s $end\n$timescale 1 us $end\n$scope module chip $end\n", p.target)
	id := 0
	next := func() string { s := vcdID(id); id++; return s }
	type sig struct {
		id    string
		width uint
		value func(t int) int64
	}
	var sigs []sig
	scope := func(name string, n int, label func(i int) string, width uint, value func(i, t int) int64) {
		fmt.Fprintf(bw, "$scope module %s $end\n", name)
		for i := 0; i < n; i++ {
			s := sig{id: next(), width: width}
			i := i
			s.value = func(t int) int64 { return value(i, t) }
			kind := "reg"
			if width == 1 {
				kind = "wire"
			}
			fmt.Fprintf(bw, "$var %s %d %s %s $end\n", kind, width, s.id, label(i))
			sigs = append(sigs, s)
		}
		fmt.Fprintf(bw, "$upscope $end\n")
	}
	scope("spikes", res.N, func(i int) string { return "n" + strconv.Itoa(i) }, 1,
		func(i, t int) int64 { return int64(res.Spikes[t*res.N+i]) })
	scope("readout", res.NOut, func(k int) string { return "out" + strconv.Itoa(k) }, p.ar.readoutBits,
		func(k, t int) int64 { return res.Readout[t*res.NOut+k] })
	if len(opt.Neurons) > 0 {
		scope("membrane", len(opt.Neurons), func(i int) string { return "v" + strconv.Itoa(opt.Neurons[i]) }, p.ar.memBits,
			func(i, t int) int64 { return res.Voltage[t*res.N+opt.Neurons[i]] })
		scope("threshold", len(opt.Neurons), func(i int) string { return "a" + strconv.Itoa(opt.Neurons[i]) }, p.ar.memBits,
			func(i, t int) int64 { return res.Threshold[t*res.N+opt.Neurons[i]] })
	}
	fmt.Fprintf(bw, "$upscope $end\n$enddefinitions $end\n")
	last := make([]int64, len(sigs))
	for t := 0; t <= res.T; t++ {
		fmt.Fprintf(bw, "#%d\n", int64(t)*us)
		if t == 0 {
			fmt.Fprintf(bw, "$dumpvars\n")
		}
		for k, s := range sigs {
			v := int64(0) // after the last step every signal returns to zero
			if t < res.T {
				v = s.value(t)
			}
			if t > 0 && v == last[k] {
				continue
			}
			last[k] = v
			if s.width == 1 {
				fmt.Fprintf(bw, "%d%s\n", v&1, s.id)
			} else {
				fmt.Fprintf(bw, "b%s %s\n", vcdBits(v, s.width), s.id)
			}
		}
		if t == 0 {
			fmt.Fprintf(bw, "$end\n")
		}
	}
	return bw.Flush()
}

// vcdID is the n-th identifier code: base 94 over the printable characters ! to ~.
func vcdID(n int) string {
	var b []byte
	for {
		b = append(b, byte('!'+n%94))
		n /= 94
		if n == 0 {
			return string(b)
		}
		n--
	}
}

// vcdBits is v as a two's-complement binary string of the given width, without
// leading zeros (VCD extends a shorter vector with zeros).
func vcdBits(v int64, width uint) string {
	u := uint64(v)
	if width < 64 {
		u &= uint64(1)<<width - 1
	}
	return strconv.FormatUint(u, 2)
}
