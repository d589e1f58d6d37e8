package emulator

import "math"

// Report sums the results of a batch: counters per core, per router and in total,
// cycles and time per step, and energy per category from the target's table.
type Report struct {
	Target     string `json:"target"`
	TargetHash string `json:"target_hash"`
	Mode       string `json:"mode"`
	ClockHz    int64  `json:"clock_hz"`
	Samples    int    `json:"samples"`
	// Steps sums the samples' time steps.
	Steps int64 `json:"steps"`

	Totals Counters `json:"totals"`
	// Host counts the input packets the host port injected.
	Host    Counters       `json:"host"`
	Cores   []CoreReport   `json:"cores"`
	Routers []RouterReport `json:"routers,omitempty"`

	PerInference PerInference `json:"per_inference"`
	Cycles       *CycleReport `json:"cycles,omitempty"`
	Energy       EnergyReport `json:"energy"`
}

// CoreReport is one core's share.
type CoreReport struct {
	CoreInfo
	Counters
	// BusyPerStep is the mean of the core's busy cycles per step (cycle mode).
	BusyPerStep float64 `json:"busy_cycles_per_step"`
}

// RouterReport is one router's counters, for the routers that moved a flit.
type RouterReport struct {
	Tile int `json:"tile"`
	Col  int `json:"col"`
	Row  int `json:"row"`
	RouterCounters
}

// PerInference divides the totals by the number of samples.
type PerInference struct {
	Spikes      float64 `json:"spikes"`
	SynapticOps float64 `json:"synaptic_ops"`
	Packets     float64 `json:"packets"`
	EnergyPJ    float64 `json:"energy_pj"`
	// Cycles and Seconds are the time on the chip (cycle mode).
	Cycles  float64 `json:"cycles,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
}

// Stats are the minimum, mean and maximum of a quantity.
type Stats struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
}

// CycleReport is the timing of the batch in cycle mode.
type CycleReport struct {
	// PerStep: cycles per time step (updates, traffic, barrier), over every step of
	// every sample; SecondsPerStep the same at the target's clock.
	PerStep        Stats `json:"per_step"`
	SecondsPerStep Stats `json:"seconds_per_step"`
	// BarrierCycles is the barrier each step ends with.
	BarrierCycles int64 `json:"barrier_cycles"`
	// Prologue (step 0's input delivery) and Flush (the last readout update), mean
	// per sample.
	Prologue float64 `json:"prologue"`
	Flush    float64 `json:"flush"`
	// Total is every cycle of every sample.
	Total int64 `json:"total"`
}

// EnergyReport is energy per category: Count times UnitPJ is PJ, and the categories'
// PJ sum to TotalPJ.
type EnergyReport struct {
	Categories     []EnergyItem `json:"categories"`
	TotalPJ        float64      `json:"total_pj"`
	PerInferencePJ float64      `json:"per_inference_pj"`
}

// EnergyItem is one category: a count of operations (or seconds, for static power)
// times the target's figure.
type EnergyItem struct {
	Name   string  `json:"name"`
	Count  float64 `json:"count"`
	Unit   string  `json:"unit"`
	UnitPJ float64 `json:"unit_pj"`
	PJ     float64 `json:"pj"`
	Kind   string  `json:"kind"`
	Source string  `json:"source"`
}

// Report sums the results of one Run (in the mode it ran in) into a report.
func (e *Emulator) Report(results []Result, mode Mode) *Report {
	p := e.p
	r := &Report{Target: e.tg.Name, TargetHash: e.tg.HashHex(), Mode: mode.String(), ClockHz: e.tg.ClockHz, Samples: len(results)}
	info := e.Cores()
	r.Cores = make([]CoreReport, len(info))
	for c := range info {
		r.Cores[c].CoreInfo = info[c]
	}
	var routers []RouterCounters
	var barriers int64
	var cyc *CycleReport
	var steps int64 // steps with a cycle count
	var sum float64
	for i := range results {
		res := &results[i]
		r.Steps += int64(res.T)
		barriers += res.Barriers
		for c := range res.Cores {
			r.Cores[c].Counters.Add(res.Cores[c])
		}
		r.Host.Add(res.Host)
		if routers == nil && res.Routers != nil {
			routers = make([]RouterCounters, len(res.Routers))
		}
		for t := range res.Routers {
			routers[t].Add(res.Routers[t])
		}
		if res.Cycles != nil {
			if cyc == nil {
				cyc = &CycleReport{PerStep: Stats{Min: math.Inf(1), Max: math.Inf(-1)}, BarrierCycles: p.cost.barrier}
			}
			for _, s := range res.Cycles.Steps {
				f := float64(s)
				cyc.PerStep.Min = math.Min(cyc.PerStep.Min, f)
				cyc.PerStep.Max = math.Max(cyc.PerStep.Max, f)
				sum += f
				steps++
			}
			cyc.Prologue += float64(res.Cycles.Prologue)
			cyc.Flush += float64(res.Cycles.Flush)
			cyc.Total += res.Cycles.Total()
		}
	}
	for c := range r.Cores {
		r.Totals.Add(r.Cores[c].Counters)
	}
	r.Totals.Add(r.Host)
	for t, rc := range routers {
		if rc.Flits > 0 {
			r.Routers = append(r.Routers, RouterReport{Tile: t, Col: t % p.mesh.cols, Row: t / p.mesh.cols, RouterCounters: rc})
		}
	}
	n := float64(max(len(results), 1))
	sec := 1 / float64(p.cost.clockHz)
	var seconds float64
	if cyc != nil {
		if steps > 0 {
			cyc.PerStep.Mean = sum / float64(steps)
		} else {
			cyc.PerStep = Stats{}
		}
		cyc.SecondsPerStep = Stats{Min: cyc.PerStep.Min * sec, Mean: cyc.PerStep.Mean * sec, Max: cyc.PerStep.Max * sec}
		cyc.Prologue /= n
		cyc.Flush /= n
		seconds = float64(cyc.Total) * sec
		r.Cycles = cyc
		r.PerInference.Cycles = float64(cyc.Total) / n
		r.PerInference.Seconds = seconds / n
		for c := range r.Cores {
			if r.Steps > 0 {
				r.Cores[c].BusyPerStep = float64(r.Cores[c].BusyCycles) / float64(r.Steps)
			}
		}
	}
	r.Energy = e.energy(r.Totals, barriers, seconds, cyc != nil)
	r.Energy.PerInferencePJ = r.Energy.TotalPJ / n
	r.PerInference.EnergyPJ = r.Energy.PerInferencePJ
	r.PerInference.Spikes = float64(r.Totals.Spikes) / n
	r.PerInference.SynapticOps = float64(r.Totals.SynapticOps) / n
	r.PerInference.Packets = float64(r.Totals.Packets) / n
	return r
}

// energy charges the counts at the target's figures. Static power needs the time on
// the chip, which only cycle mode knows; in fast mode its count is zero.
func (e *Emulator) energy(c Counters, barriers int64, seconds float64, timed bool) EnergyReport {
	en := e.tg.Energy
	item := func(name string, count float64, unit string, f float64, kind, src string) EnergyItem {
		return EnergyItem{Name: name, Count: count, Unit: unit, UnitPJ: f, PJ: count * f, Kind: kind, Source: src}
	}
	static := item("static", seconds, "s", en.StaticPower.MW*1e9, string(en.StaticPower.Kind), en.StaticPower.Source)
	if !timed {
		static.Source = "needs the time on the chip: run in cycle mode"
	}
	r := EnergyReport{Categories: []EnergyItem{
		item("synaptic_op", float64(c.SynapticOps), "op", en.SynapticOp.PJ, string(en.SynapticOp.Kind), en.SynapticOp.Source),
		item("neuron_update_active", float64(c.NeuronUpdatesActive), "slot", en.NeuronUpdateActive.PJ, string(en.NeuronUpdateActive.Kind), en.NeuronUpdateActive.Source),
		item("neuron_update_inactive", float64(c.NeuronUpdatesInactive), "slot", en.NeuronUpdateInactive.PJ, string(en.NeuronUpdateInactive.Kind), en.NeuronUpdateInactive.Source),
		item("spike_in_tile", float64(c.SpikesInTile), "packet", en.SpikeInTile.PJ, string(en.SpikeInTile.Kind), en.SpikeInTile.Source),
		item("hop_east_west", float64(c.FlitHopsEW), "flit-hop", en.HopEastWest.PJ, string(en.HopEastWest.Kind), en.HopEastWest.Source),
		item("hop_north_south", float64(c.FlitHopsNS), "flit-hop", en.HopNorthSouth.PJ, string(en.HopNorthSouth.Kind), en.HopNorthSouth.Source),
		item("barrier", float64(barriers*e.p.cost.tiles), "tile-barrier", en.Barrier.PJ, string(en.Barrier.Kind), en.Barrier.Source),
		static,
	}}
	for _, it := range r.Categories {
		r.TotalPJ += it.PJ
	}
	return r
}
