package main

import (
	"fmt"
	"io"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// writeRaster plots one sample of an emulation as a PNG: above, the spike raster of
// the recurrent neurons (a dot per spike, neurons grouped by core); below, a heatmap
// of spikes per core and time bin.
func writeRaster(path string, em *emulator.Emulator, r *emulator.Result) error {
	cores := em.Cores()
	coreOf := em.NeuronCore()
	// Neurons in core order, so that a core's neurons form a band of the raster.
	order := make([]int, 0, r.N)
	for c := range cores {
		for j := 0; j < r.N; j++ {
			if coreOf[j] == c {
				order = append(order, j)
			}
		}
	}
	row := make([]int, r.N)
	for i, j := range order {
		row[j] = i
	}
	var pts plotter.XYs
	for t := 0; t < r.T; t++ {
		for j := 0; j < r.N; j++ {
			if r.Spikes[t*r.N+j] != 0 {
				pts = append(pts, plotter.XY{X: float64(t), Y: float64(row[j])})
			}
		}
	}
	top := plot.New()
	top.Title.Text = fmt.Sprintf("spike raster: %d neurons, %d spikes in %d steps", r.N, len(pts), r.T)
	top.X.Label.Text = "step"
	top.Y.Label.Text = "neuron (grouped by core)"
	top.X.Min, top.X.Max = 0, float64(max(r.T, 1))
	top.Y.Min, top.Y.Max = -0.5, float64(max(r.N, 1))-0.5
	if len(pts) > 0 {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("raster: %w", err)
		}
		sc.GlyphStyle.Radius = vg.Points(0.8)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		top.Add(sc)
	}
	// Activity per core: spikes per core and bin of steps.
	bins := min(r.T, 100)
	g := &activity{bins: max(bins, 1), cores: len(cores), z: make([]float64, max(bins, 1)*max(len(cores), 1)), T: r.T}
	for t := 0; t < r.T; t++ {
		b := t * g.bins / max(r.T, 1)
		for j := 0; j < r.N; j++ {
			if r.Spikes[t*r.N+j] != 0 {
				g.z[coreOf[j]*g.bins+b]++
			}
		}
	}
	bottom := plot.New()
	bottom.X.Label.Text = "step"
	bottom.Y.Label.Text = "core"
	if len(cores) > 0 && r.T > 0 {
		hm := plotter.NewHeatMap(g, palette.Heat(32, 1))
		bottom.Add(hm)
		var ticks []plot.Tick
		step := max(1, len(cores)/16)
		for c := 0; c < len(cores); c += step {
			ticks = append(ticks, plot.Tick{Value: float64(c), Label: fmt.Sprintf("core %d", cores[c].Index)})
		}
		bottom.Y.Tick.Marker = plot.ConstantTicks(ticks)
		bottom.Title.Text = fmt.Sprintf("activity per core: spikes per bin of %d steps (white: most, %.0f)", max(1, r.T/g.bins), hm.Max)
	}
	const w, h = 10 * vg.Inch, 7 * vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadY: vg.Points(8), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	return atomicfile.Write(path, 0o644, func(out io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(out)
		return err
	})
}

// activity is the heatmap's grid: columns are time bins, rows cores.
type activity struct {
	bins, cores, T int
	z              []float64
}

func (a *activity) Dims() (c, r int)   { return a.bins, a.cores }
func (a *activity) Z(c, r int) float64 { return a.z[r*a.bins+c] }
func (a *activity) X(c int) float64 {
	return (float64(c) + 0.5) * float64(a.T) / float64(a.bins)
}
func (a *activity) Y(r int) float64 { return float64(r) }
