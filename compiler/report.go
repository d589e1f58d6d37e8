package compiler

import (
	"math"
)

// Report is what a compilation produced and what it cost: cores and per-core usage
// against the target's limits, routing-table sizes, expected traffic for the chosen
// placement and for a naive row-major one, and time per pass.
type Report struct {
	Model        string `json:"model,omitempty"`
	Target       string `json:"target"`
	TargetHash   string `json:"target_hash"`
	ModelHash    string `json:"model_hash"`
	Neurons      int    `json:"neurons"`
	Inputs       int    `json:"inputs"`
	Readouts     int    `json:"readouts"`
	Synapses     int64  `json:"synapses"`
	ZeroSynapses int64  `json:"zero_mantissa_synapses_dropped"`

	Cores     CoreCount  `json:"cores"`
	PerCore   PerCore    `json:"per_core"`
	Partition Partition  `json:"partition"`
	Routing   Routing    `json:"routing"`
	Traffic   Traffic    `json:"traffic"`
	Passes    []PassTime `json:"passes"`
	// ImageBytes is the size of the encoded image (set by whoever writes it).
	ImageBytes int64 `json:"image_bytes,omitempty"`
}

// CoreCount is cores used of cores available.
type CoreCount struct {
	Used      int `json:"used"`
	Available int `json:"available"`
}

// Stat summarizes a per-core quantity against its limit.
type Stat struct {
	Min     int     `json:"min"`
	Mean    float64 `json:"mean"`
	Max     int     `json:"max"`
	Limit   int     `json:"limit"`
	MinPct  float64 `json:"min_pct"`
	MeanPct float64 `json:"mean_pct"`
	MaxPct  float64 `json:"max_pct"`
}

// PerCore is the usage of the cores used.
type PerCore struct {
	NeuronSlots  Stat `json:"neuron_slots"`
	SynapseWords Stat `json:"synapse_words"`
	Axons        Stat `json:"axons"`
	Fanout       Stat `json:"fanout"`
}

// Partition says how well the partition did.
type Partition struct {
	Refinement string `json:"refinement"`
	// CutBefore and CutAfter are the packets per step that leave their core, after
	// the fill and after the refinement.
	CutBefore float64 `json:"cut_before_refinement"`
	CutAfter  float64 `json:"cut"`
	// Fills counts the index-order fills: 1, or more when the first left fan-out
	// tables overflowing and the partition was filled again with fan-out costs.
	Fills int `json:"fills"`
}

// Routing is the routing-table sizes per router, before (one entry per key) and after
// compression.
type Routing struct {
	Addressing  string        `json:"addressing"`
	Limit       int           `json:"table_entries"`
	Routers     []RouterTable `json:"routers,omitempty"`
	TotalBefore int           `json:"total_before"`
	TotalAfter  int           `json:"total_after"`
	MaxBefore   int           `json:"max_before"`
	MaxAfter    int           `json:"max_after"`
}

// RouterTable is one router's table size.
type RouterTable struct {
	Col    int `json:"col"`
	Row    int `json:"row"`
	Before int `json:"before"`
	After  int `json:"after"`
}

// Traffic is the expected network traffic per step.
type Traffic struct {
	RateSource string  `json:"rates"`
	Placement  string  `json:"placement"`
	Placed     Flow    `json:"placed"`
	RowMajor   Flow    `json:"row_major"`
	HopsSaved  float64 `json:"hops_saved_pct"` // 100 (1 - placed / row-major packet-hops)
	Moves      int     `json:"annealing_moves,omitempty"`
}

// Flow is expected traffic per time step: packets injected (by cores and by the
// host) and link traversals. A multicast packet counts once however far its copies
// go; each copy on each link is a packet-hop.
type Flow struct {
	Packets     float64 `json:"packets_per_step"`
	HostPackets float64 `json:"host_packets_per_step"`
	PacketHops  float64 `json:"packet_hops_per_step"`
}

// PassTime is the time a pass took, its invariant check included.
type PassTime struct {
	Name         string  `json:"name"`
	Seconds      float64 `json:"seconds"`
	CheckSeconds float64 `json:"check_seconds"`
	Skipped      bool    `json:"skipped,omitempty"`
}

func stat(vals []int, limit int) Stat {
	s := Stat{Limit: limit}
	if len(vals) == 0 {
		return s
	}
	s.Min, s.Max = math.MaxInt, 0
	sum := 0
	for _, v := range vals {
		s.Min, s.Max = min(s.Min, v), max(s.Max, v)
		sum += v
	}
	s.Mean = float64(sum) / float64(len(vals))
	pct := func(x float64) float64 { return math.Round(1000*x/float64(max(limit, 1))) / 10 }
	s.MinPct, s.MeanPct, s.MaxPct = pct(float64(s.Min)), pct(s.Mean), pct(float64(s.Max))
	return s
}

func (r *Report) partitionStats(st *state) {
	p, t := st.part, st.t
	r.Cores = CoreCount{Used: p.cores, Available: t.TotalCores()}
	var slots, words, axons, fan []int
	for _, u := range p.use {
		slots, words, axons, fan = append(slots, u.slots), append(words, u.words), append(axons, u.entries), append(fan, u.fanout)
	}
	lim := limitsOf(t)
	r.PerCore = PerCore{NeuronSlots: stat(slots, lim.slots), SynapseWords: stat(words, lim.words), Axons: stat(axons, lim.entries), Fanout: stat(fan, lim.fanout)}
	r.Partition = Partition{Refinement: p.refine, CutBefore: p.cut0, CutAfter: p.cut, Fills: p.fills}
}

func (r *Report) routing(st *state) {
	t := st.t
	r.Routing = Routing{Addressing: string(t.Packets.Addressing), Limit: t.Router.TableEntries}
	for _, rt := range st.routers {
		b := len(st.tables[rt.Tile])
		rt := RouterTable{Col: rt.Tile % t.Mesh.Cols, Row: rt.Tile / t.Mesh.Cols, Before: b, After: len(rt.Entries)}
		r.Routing.Routers = append(r.Routing.Routers, rt)
		r.Routing.TotalBefore += rt.Before
		r.Routing.TotalAfter += rt.After
		r.Routing.MaxBefore = max(r.Routing.MaxBefore, rt.Before)
		r.Routing.MaxAfter = max(r.Routing.MaxAfter, rt.After)
	}
}

// traffic fills the report's traffic for the chosen placement and for row-major.
func (st *state) traffic() error {
	geo := newGeometry(st.t)
	tb := newTreeBuilder(geo)
	placed := st.flow(geo, tb, st.pos)
	naive := st.flow(geo, tb, rowMajor(st.part.cores))
	tr := &st.rep.Traffic
	tr.Placement, tr.Placed, tr.RowMajor, tr.Moves = st.plc.method, placed, naive, st.plc.moves
	if naive.PacketHops > 0 {
		tr.HopsSaved = math.Round(1000*(1-placed.PacketHops/naive.PacketHops)) / 10
	}
	return nil
}

// flow is the expected traffic per step of a placement.
func (st *state) flow(geo *geometry, tb *treeBuilder, pos []int32) Flow {
	g := st.g
	var f Flow
	phys := make([]int32, 0, 64)
	for s := 0; s < g.S; s++ {
		d := st.destsOf(s)
		if len(d) == 0 {
			continue
		}
		r := g.rate[s]
		h := st.home(s)
		var packets, hops float64
		if g.multicast {
			phys = phys[:0]
			for _, b := range d {
				phys = append(phys, pos[b])
			}
			sc, sr := geo.hostCol, geo.hostRow
			if h >= 0 {
				sc, sr = int(geo.col[pos[h]]), int(geo.row[pos[h]])
			}
			packets, hops = 1, float64(tb.build(sc, sr, phys, func(int, uint8, uint64) {}))
		} else {
			packets = float64(len(d))
			n := 0
			for _, b := range d {
				if h >= 0 {
					n += geo.hops(pos[h], pos[b])
				} else {
					n += geo.hostHops(pos[b])
				}
			}
			hops = float64(n)
		}
		f.Packets += r * packets
		f.PacketHops += r * hops
		if h < 0 {
			f.HostPackets += r * packets
		}
	}
	return f
}
