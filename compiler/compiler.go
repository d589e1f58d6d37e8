package compiler

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/snnc/snnc/chipimage"
	"github.com/snnc/snnc/lsnn"
	"github.com/snnc/snnc/quant"
	"github.com/snnc/snnc/targets"
)

// DefaultRate is the firing rate, in spikes per neuron and per input channel per
// step, that traffic is weighted by when no calibration run is given.
const DefaultRate = 0.05

// Options tune a compilation. The zero value compiles with the defaults.
type Options struct {
	// ModelName names the model in messages and the report ("smnist.bin").
	ModelName string
	// ModelHash is the SHA-256 of the source model file, recorded in the image
	// header. When zero, Compile hashes the model's model.bin encoding (which is
	// what a model.bin file holds: the encoding is canonical).
	ModelHash [32]byte
	// Rates, when not nil, are measured firing rates that weight traffic: partition
	// and placement minimise it and the report states it. Otherwise every neuron and
	// input channel is assumed to fire at AssumedRate.
	Rates *Rates
	// AssumedRate is the rate assumed without Rates; 0 means DefaultRate.
	AssumedRate float64
	// Seed seeds the placement optimiser; the same seed gives the same image.
	Seed uint64
	// Skip names optional passes not to run (see Passes): "place" leaves cores in
	// row-major order, "compress" keeps one routing entry per key.
	Skip []string
	// DumpAfter names a pass after which the compiler state is written to Dump.
	DumpAfter string
	Dump      io.Writer
	// Workers bounds the goroutines of the parallel parts; 0 means GOMAXPROCS.
	Workers int
	// Output, when not nil, is called once the image is built, and Compile writes
	// the image's encoding to the writer it returns while it runs the check after
	// emit, then sets Report.ImageBytes. At 10^8 synapses the check takes as long as
	// writing gigabytes to disk, so this hides most of the write. The bytes are good
	// only when Compile returns no error; on an error the caller discards them.
	Output func() (io.Writer, error)
	// Progress, when not nil, is called with the name of each pass that runs as
	// it starts, and with "PASS: check" as the check after it starts, for a
	// progress display.
	Progress func(pass string)
}

// Rates are measured firing rates: spikes per step of every neuron and input channel.
type Rates struct {
	Neuron []float64
	Input  []float64
	// Source says where they come from, for the report ("smnist, 32 test samples").
	Source string
}

// pass is one step of the compiler: a name, what it does, and whether it may be
// skipped.
type pass struct {
	name     string
	fn       func(*state) error
	required bool
	about    string
}

// passes is the compiler, in order. After each pass that runs, check verifies every
// invariant the state holds so far.
var passes = [...]pass{
	{"quantize", quantizePass, true, "map the float network onto the target's integer arithmetic (quant.Quantize)"},
	{"partition", partitionPass, true, "assign neurons and readout units to cores within every per-core limit, minimising traffic between cores"},
	{"place", placePass, false, "put cores on mesh tiles, minimising traffic times hops (skipped: row-major order)"},
	{"route", routePass, true, "dimension-order routes; per-router multicast tables, one entry per key"},
	{"compress", compressPass, false, "merge routing entries with equal routes into (key, mask) entries (skipped: one entry per key)"},
	{"emit", emitPass, true, "build the image: per-core tables, synapse memory, routing tables, input and output maps"},
}

// PassInfo describes a pass.
type PassInfo struct {
	Name     string
	Required bool
	About    string
}

// Passes lists the passes in order.
func Passes() []PassInfo {
	out := make([]PassInfo, len(passes))
	for i, p := range passes {
		out[i] = PassInfo{Name: p.name, Required: p.required, About: p.about}
	}
	return out
}

func passNames() string {
	var names []string
	for _, p := range passes {
		names = append(names, p.name)
	}
	return strings.Join(names, ", ")
}

// state is what the passes build, pass by pass.
type state struct {
	opt Options
	t   *targets.Target
	src *lsnn.Network // dropped after quantize

	net *quant.Network // quantize
	g   *graph

	part     *partition // partition
	slot     []int32    // per unit: base slot in its core
	dstStart []int64    // place: per source, its destination cores (logical) in dst
	dst      []int32
	pos      []int32 // place: logical core -> physical core
	plc      *placement

	tables  [][]routeKey       // route: per tile, one entry per key, by key
	routers []chipimage.Router // compress
	img     *chipimage.Image   // emit
	rep     *Report
	ran     map[string]bool
}

// Compile compiles a float network for a target: it runs the passes in order,
// checking the invariants after each, and returns the image and a report. The image
// has passed chipimage's Validate (the check after emit). A model that does not fit
// gets one *CapacityError listing every violated limit. The same network, target and
// options give byte-identical images.
func Compile(net *lsnn.Network, t *targets.Target, opt Options) (*chipimage.Image, *Report, error) {
	if net == nil || t == nil {
		return nil, nil, errors.New("compile: no network or no target")
	}
	if err := t.Validate(); err != nil {
		return nil, nil, fmt.Errorf("compile: target %s: %w", t.Name, err)
	}
	for _, s := range opt.Skip {
		i := slices.IndexFunc(passes[:], func(p pass) bool { return p.name == s })
		switch {
		case i < 0:
			return nil, nil, fmt.Errorf("compile: no pass %q to skip (passes: %s)", s, passNames())
		case passes[i].required:
			return nil, nil, fmt.Errorf("compile: pass %q is required and cannot be skipped", s)
		}
	}
	if opt.DumpAfter != "" && !slices.ContainsFunc(passes[:], func(p pass) bool { return p.name == opt.DumpAfter }) {
		return nil, nil, fmt.Errorf("compile: --dump-after %q: no such pass (passes: %s)", opt.DumpAfter, passNames())
	}
	if opt.AssumedRate <= 0 {
		opt.AssumedRate = DefaultRate
	}
	if opt.Rates != nil && (len(opt.Rates.Neuron) != net.N() || len(opt.Rates.Input) != net.NIn()) {
		return nil, nil, fmt.Errorf("compile: calibration rates for %d neurons and %d inputs, the model has %d and %d",
			len(opt.Rates.Neuron), len(opt.Rates.Input), net.N(), net.NIn())
	}
	if opt.ModelHash == ([32]byte{}) {
		b, err := net.MarshalBinary()
		if err != nil {
			return nil, nil, fmt.Errorf("compile: %w", err)
		}
		opt.ModelHash = sha256.Sum256(b)
	}
	st := &state{opt: opt, t: t, src: net, ran: map[string]bool{},
		rep: &Report{Model: opt.ModelName, Target: t.Name, TargetHash: t.HashHex(), ModelHash: fmt.Sprintf("%x", opt.ModelHash)}}
	for _, p := range passes {
		if slices.Contains(opt.Skip, p.name) {
			st.rep.Passes = append(st.rep.Passes, PassTime{Name: p.name, Skipped: true})
			if err := st.skip(p.name); err != nil {
				return nil, nil, err
			}
		} else {
			start := time.Now()
			var err error
			var checkStart time.Time
			st.progress(p.name)
			// Labelled so that a CPU profile (snnc --cpuprofile) splits by pass;
			// the goroutines a pass starts inherit the label.
			pprof.Do(context.Background(), pprof.Labels("pass", p.name), func(context.Context) {
				if err = p.fn(st); err != nil {
					return
				}
				st.ran[p.name] = true
				checkStart = time.Now()
				st.progress(p.name + ": check")
				var wrote <-chan error
				if p.name == "emit" && opt.Output != nil {
					if wrote, err = st.startWrite(); err != nil {
						return
					}
				}
				if err = st.check(p.name); err != nil {
					err = fmt.Errorf("compile: internal error: after pass %s: %w", p.name, err)
				}
				if wrote != nil {
					if werr := <-wrote; err == nil {
						err = werr
					}
				}
			})
			if err != nil {
				return nil, nil, err
			}
			st.rep.Passes = append(st.rep.Passes, PassTime{Name: p.name, Seconds: time.Since(start).Seconds(),
				CheckSeconds: time.Since(checkStart).Seconds()})
		}
		if opt.DumpAfter == p.name && opt.Dump != nil {
			st.dump(opt.Dump, p.name)
		}
	}
	return st.img, st.rep, nil
}

func (st *state) progress(what string) {
	if st.opt.Progress != nil {
		st.opt.Progress(what)
	}
}

// startWrite writes the image to opt.Output from another goroutine; the channel
// gives the outcome. The image must not change until then.
func (st *state) startWrite() (<-chan error, error) {
	w, err := st.opt.Output()
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	done := make(chan error, 1)
	go func() {
		n, err := st.img.WriteUnvalidatedTo(w) // the check runs meanwhile
		st.rep.ImageBytes = n
		if err != nil {
			err = fmt.Errorf("compile: writing the image: %w", err)
		}
		done <- err
	}()
	return done, nil
}

// skip does what a skipped optional pass leaves behind.
func (st *state) skip(name string) error {
	switch name {
	case "place":
		st.pos = rowMajor(st.part.cores)
		st.plc = &placement{method: "row-major (place skipped)"}
		return st.traffic()
	case "compress":
		st.routers = uncompressed(st)
		if st.tables == nil {
			st.rep.routing(st)
			return nil
		}
		return st.checkTables(false)
	}
	return nil
}
