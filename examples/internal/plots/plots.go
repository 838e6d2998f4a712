// Package plots draws the example programs' PNG figures with gonum/plot:
// filter heatmaps with a colour bar and line plots.
package plots

import (
	"fmt"
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Panel is one heatmap: Grid[y][x] values, drawn with y up.
type Panel struct {
	Title string
	Grid  [][]float64
}

func init() {
	// Labels use sub- and superscripts; see scripts.
	plot.DefaultTextHandler = scripts{text.Plain{Fonts: font.DefaultCache}}
}

type grid struct{ g [][]float64 }

func (g grid) Dims() (c, r int)   { return len(g.g[0]), len(g.g) }
func (g grid) Z(c, r int) float64 { return g.g[r][c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// Heatmaps writes the panels side by side into a PNG at path, all on one
// diverging colour scale symmetric about zero (blue negative, red positive),
// with a colour bar labelled cbar on the right.
func Heatmaps(path, title, cbar string, panels []Panel) error {
	if len(panels) == 0 {
		return fmt.Errorf("plots: no panels")
	}
	zmax := 0.0
	for _, p := range panels {
		for _, row := range p.Grid {
			for _, v := range row {
				zmax = math.Max(zmax, math.Abs(v))
			}
		}
	}
	if zmax == 0 {
		zmax = 1
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(-zmax)
	cm.SetMax(zmax)
	pal := cm.Palette(255)

	const panelW, h, barW = 3 * vg.Inch, 3.2 * vg.Inch, 1.1 * vg.Inch
	W := vg.Length(len(panels))*panelW + barW
	img := vgimg.New(W, h+0.4*vg.Inch)
	dc := draw.New(img)
	body := draw.Crop(dc, 0, 0, 0, -0.4*vg.Inch)
	drawTitle(dc, W, h, title)
	for k, p := range panels {
		pl := plot.New()
		pl.Title.Text = p.Title
		pl.X.Label.Text = "x"
		pl.Y.Label.Text = "y"
		hm := plotter.NewHeatMap(grid{p.Grid}, pal)
		hm.Min, hm.Max = -zmax, zmax
		pl.Add(hm)
		pl.X.Tick.Marker = intTicks{}
		pl.Y.Tick.Marker = intTicks{}
		c := draw.Crop(body, vg.Length(k)*panelW, vg.Length(k+1)*panelW-W, 0, 0)
		pl.Draw(c)
	}
	bar := plot.New()
	cb := &plotter.ColorBar{ColorMap: cm, Vertical: true}
	bar.Add(cb)
	bar.HideX()
	bar.Y.Padding = 0
	bar.Title.Text = cbar
	bar.Draw(draw.Crop(body, W-barW+0.15*vg.Inch, -0.45*vg.Inch, 0.3*vg.Inch, -0.3*vg.Inch))
	return savePNG(img, path)
}

type intTicks struct{}

func (intTicks) Ticks(min, max float64) []plot.Tick {
	var t []plot.Tick
	for v := math.Ceil(min); v <= max; v++ {
		t = append(t, plot.Tick{Value: v, Label: fmt.Sprint(int(v))})
	}
	return t
}

// Series is one curve of a line plot.
type Series struct {
	Name string
	X, Y []float64
	// Err, if set, draws error bars of ±Err[i].
	Err []float64
	// Points draws markers instead of a line.
	Points bool
	// Ref draws a thin dashed grey line: an exact or reference value.
	Ref bool
}

// Ref returns a horizontal reference line at y across [x0, x1].
func Ref(name string, y, x0, x1 float64) Series {
	return Series{Name: name, X: []float64{x0, x1}, Y: []float64{y, y}, Ref: true}
}

// Lines writes a line plot of the series into a PNG at path. Labels may use
// sub- and superscripts ("K_nn", "T_c", "L/2^n"; see scripts). The legend
// sits in a column to the right of the axes, so it never covers a curve, and
// the axes leave a margin around the data, so no point sits on the frame.
func Lines(path, title, xlabel, ylabel string, series []Series) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	k := 0
	for _, s := range series {
		if len(s.X) != len(s.Y) || (s.Err != nil && len(s.Err) != len(s.X)) {
			return fmt.Errorf("plots: series %q has %d x, %d y and %d error values", s.Name, len(s.X), len(s.Y), len(s.Err))
		}
		xy := make(plotter.XYs, len(s.X))
		for i := range s.X {
			xy[i] = plotter.XY{X: s.X[i], Y: s.Y[i]}
		}
		col := plotutil.Color(k)
		switch {
		case s.Ref:
			ln, err := plotter.NewLine(xy)
			if err != nil {
				return err
			}
			ln.Color = color.Gray{Y: 90}
			ln.Width = vg.Points(1)
			ln.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			p.Add(ln)
			leg.Add(s.Name, ln)
			continue
		case s.Points:
			sc, err := plotter.NewScatter(xy)
			if err != nil {
				return err
			}
			sc.Color = col
			sc.Shape = plotutil.Shape(k)
			p.Add(sc)
			leg.Add(s.Name, sc)
		default:
			ln, err := plotter.NewLine(xy)
			if err != nil {
				return err
			}
			ln.Color = col
			ln.Width = vg.Points(1.5)
			p.Add(ln)
			leg.Add(s.Name, ln)
		}
		k++
		if s.Err != nil {
			if err := addErrorBars(p, xy, s.Err, col); err != nil {
				return err
			}
		}
	}
	p.Add(plotter.NewGrid())
	p.X.Tick.Marker, p.Y.Tick.Marker = preciseTicks{}, preciseTicks{}
	if integerX(series) {
		p.X.Tick.Marker = intTicks{}
	}
	pad(&p.X, 0.04)
	pad(&p.Y, 0.08)
	legW := legendWidth(&leg, series)
	const W, H = 7.5 * vg.Inch, 4.2 * vg.Inch
	img := vgimg.New(W, H)
	dc := draw.New(img)
	p.Draw(draw.Crop(dc, 0, -legW-0.15*vg.Inch, 0, -0.08*vg.Inch))
	leg.Draw(draw.Crop(dc, W-legW-0.1*vg.Inch, -0.05*vg.Inch, 0.6*vg.Inch, -0.45*vg.Inch))
	return savePNG(img, path)
}

// integerX reports whether every non-reference x value is an integer and
// they span at most 20 (RG levels, say): the axis then gets a tick at every
// integer.
func integerX(series []Series) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		if s.Ref {
			continue
		}
		for _, x := range s.X {
			if x != math.Trunc(x) {
				return false
			}
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	return hi >= lo && hi-lo <= 20
}

// addErrorBars draws ±err bars on xy.
func addErrorBars(p *plot.Plot, xy plotter.XYs, errs []float64, col color.Color) error {
	ye := make(plotter.YErrors, len(errs))
	for i, e := range errs {
		ye[i] = struct{ Low, High float64 }{e, e}
	}
	eb, err := plotter.NewYErrorBars(struct {
		plotter.XYs
		plotter.YErrors
	}{xy, ye})
	if err != nil {
		return err
	}
	eb.Color = col
	p.Add(eb)
	return nil
}

// pad widens an axis range by frac of its span on both sides.
func pad(a *plot.Axis, frac float64) {
	span := a.Max - a.Min
	if span == 0 {
		span = math.Max(math.Abs(a.Max), 1)
	}
	a.Min -= frac * span
	a.Max += frac * span
}

// legendWidth returns the width of the legend's column.
func legendWidth(l *plot.Legend, series []Series) vg.Length {
	var w vg.Length
	for _, s := range series {
		w = max(w, l.TextStyle.Width(s.Name))
	}
	return w + l.ThumbnailWidth + l.Padding + 0.1*vg.Inch
}

// drawTitle writes title centred in the band above the panels, using a
// throw-away plot's title style.
func drawTitle(dc draw.Canvas, W, h vg.Length, title string) {
	p := plot.New()
	p.Title.Text = title
	p.HideAxes()
	p.Draw(draw.Crop(dc, 0, 0, h-0.1*vg.Inch, 0))
}

func savePNG(img *vgimg.Canvas, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
