// Package plots draws the example programs' PNG figures with gonum/plot:
// filter heatmaps with a colour bar and line plots.
package plots

import (
	"fmt"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Panel is one heatmap: Grid[y][x] values, drawn with y up.
type Panel struct {
	Title string
	Grid  [][]float64
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
}

// Lines writes a line plot of the series into a PNG at path.
func Lines(path, title, xlabel, ylabel string, series []Series) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.Top = false
	for k, s := range series {
		xy := make(plotter.XYs, len(s.X))
		for i := range s.X {
			xy[i] = plotter.XY{X: s.X[i], Y: s.Y[i]}
		}
		col := plotutil.Color(k)
		if s.Points {
			sc, err := plotter.NewScatter(xy)
			if err != nil {
				return err
			}
			sc.Color = col
			sc.Shape = plotutil.Shape(k)
			p.Add(sc)
			p.Legend.Add(s.Name, sc)
		} else {
			ln, err := plotter.NewLine(xy)
			if err != nil {
				return err
			}
			ln.Color = col
			ln.Width = vg.Points(1.5)
			p.Add(ln)
			p.Legend.Add(s.Name, ln)
		}
		if s.Err != nil {
			ye := make(plotter.YErrors, len(s.Err))
			for i, e := range s.Err {
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
		}
	}
	p.Add(plotter.NewGrid())
	img := vgimg.New(6*vg.Inch, 4*vg.Inch)
	p.Draw(draw.New(img))
	return savePNG(img, path)
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
