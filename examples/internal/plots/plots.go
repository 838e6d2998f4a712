// Package plots draws the example programs' PNG figures with gonum/plot:
// filter heatmaps with a colour bar and line plots.
package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"os"
	"strings"

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
	// XLabel and YLabel name the axes (default "x" and "y").
	XLabel, YLabel string
	// Marks draws glyphs on cells, to say what kind of degree of freedom a
	// cell holds; the figure's legend names them (from the first panel).
	Marks []Marks
}

// Marks is a set of cells of a heatmap marked with one glyph.
type Marks struct {
	// Name is the legend's text.
	Name string
	// Glyph is the mark's shape.
	Glyph Glyph
	// Cells lists the marked cells as {x, y}.
	Cells [][2]int
}

// Glyph is the shape of a Marks.
type Glyph int

// The glyphs of Marks.
const (
	Dot    Glyph = iota // a small filled disc
	Square              // a small open square
	HBar                // a horizontal bar
	VBar                // a vertical bar
)

// DrawGlyph implements draw.GlyphDrawer.
func (g Glyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	line := draw.LineStyle{Color: sty.Color, Width: r / 2}
	switch g {
	case Dot:
		draw.CircleGlyph{}.DrawGlyph(c, sty, pt)
	case Square:
		var p vg.Path
		p.Move(vg.Point{X: pt.X - r, Y: pt.Y - r})
		p.Line(vg.Point{X: pt.X + r, Y: pt.Y - r})
		p.Line(vg.Point{X: pt.X + r, Y: pt.Y + r})
		p.Line(vg.Point{X: pt.X - r, Y: pt.Y + r})
		p.Close()
		c.SetColor(color.White)
		c.Fill(p)
		c.SetLineStyle(line)
		c.Stroke(p)
	case HBar:
		c.StrokeLine2(line, pt.X-2.5*r, pt.Y, pt.X+2.5*r, pt.Y)
	case VBar:
		c.StrokeLine2(line, pt.X, pt.Y-2.5*r, pt.X, pt.Y+2.5*r)
	}
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
// with a colour bar labelled cbar on the right and, if the first panel has
// Marks, a legend of the marks below the panels.
func Heatmaps(path, title, cbar string, panels []Panel) error {
	zmax, err := heatRange(panels)
	if err != nil {
		return err
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(-zmax)
	cm.SetMax(zmax)
	pal := cm.Palette(255)

	const panelW, h, barW = 3.2 * vg.Inch, 3.4 * vg.Inch, 1.3 * vg.Inch
	top := 0.2*vg.Inch + 0.2*vg.Inch*vg.Length(1+strings.Count(title, "\n"))
	var bottom vg.Length
	if len(panels[0].Marks) > 0 {
		bottom = 0.4 * vg.Inch
	}
	W := vg.Length(len(panels))*panelW + barW
	img := vgimg.New(W, h+top+bottom)
	dc := draw.New(img)
	body := draw.Crop(dc, 0, 0, bottom, -top)
	drawTitle(dc, W, h+bottom, title)
	for k, p := range panels {
		pl := plot.New()
		pl.Title.Text = p.Title
		pl.X.Label.Text = cmp.Or(p.XLabel, "x")
		pl.Y.Label.Text = cmp.Or(p.YLabel, "y")
		hm := plotter.NewHeatMap(grid{p.Grid}, pal)
		hm.Min, hm.Max = -zmax, zmax
		pl.Add(hm)
		for _, m := range p.Marks {
			if err := addMarks(pl, m); err != nil {
				return err
			}
		}
		pl.X.Tick.Marker = intTicks{}
		pl.Y.Tick.Marker = intTicks{}
		pl.Draw(draw.Crop(body, vg.Length(k)*panelW, vg.Length(k+1)*panelW-W, 0, 0))
	}
	bar := plot.New()
	bar.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	bar.HideX()
	bar.Y.Padding = 0
	bar.Y.Label.Text = cbar
	bar.Draw(draw.Crop(body, W-barW+0.1*vg.Inch, -0.35*vg.Inch, 0.45*vg.Inch, -0.3*vg.Inch))
	if bottom > 0 {
		drawMarksLegend(draw.Crop(dc, 0, 0, 0, -(h+top)), panels[0].Marks)
	}
	return savePNG(img, path)
}

// heatRange returns the largest |value| of the panels (1 if all are zero).
func heatRange(panels []Panel) (float64, error) {
	if len(panels) == 0 {
		return 0, fmt.Errorf("plots: no panels")
	}
	zmax := 0.0
	for _, p := range panels {
		if len(p.Grid) == 0 || len(p.Grid[0]) == 0 {
			return 0, fmt.Errorf("plots: panel %q is empty", p.Title)
		}
		for _, row := range p.Grid {
			for _, v := range row {
				zmax = math.Max(zmax, math.Abs(v))
			}
		}
	}
	if zmax == 0 {
		zmax = 1
	}
	return zmax, nil
}

// markStyle is the glyph style of Marks.
var markStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(2.5)}

// addMarks draws m's glyphs on the cells of a heatmap.
func addMarks(pl *plot.Plot, m Marks) error {
	xy := make(plotter.XYs, len(m.Cells))
	for i, c := range m.Cells {
		xy[i] = plotter.XY{X: float64(c[0]), Y: float64(c[1])}
	}
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return err
	}
	sc.GlyphStyle = markStyle
	sc.GlyphStyle.Shape = m.Glyph
	pl.Add(sc)
	return nil
}

// drawMarksLegend writes the marks' glyphs and names in one centred row.
func drawMarksLegend(c draw.Canvas, marks []Marks) {
	sty := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, 11), Handler: plot.DefaultTextHandler, YAlign: draw.YCenter}
	const gap, glyphW = 0.25 * vg.Inch, 0.25 * vg.Inch
	var total vg.Length
	for _, m := range marks {
		total += glyphW + sty.Width(m.Name) + gap
	}
	x := c.Center().X - (total-gap)/2
	y := c.Center().Y
	for _, m := range marks {
		gs := markStyle
		gs.Shape = m.Glyph
		c.DrawGlyph(gs, vg.Point{X: x + glyphW/2 - 0.03*vg.Inch, Y: y})
		x += glyphW
		c.FillText(sty, vg.Point{X: x, Y: y}, m.Name)
		x += sty.Width(m.Name) + gap
	}
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
	// Ref draws a thin dashed line: an exact or reference value. Successive
	// references get different dash patterns.
	Ref bool
	// Color, if not nil, is the series' colour (default: the next of the
	// palette for a curve, grey for a reference). Give a reference the
	// colour of the curve it belongs to with Palette.
	Color color.Color
}

// Palette returns the colour of the k-th curve (counting from 0, references
// not counted) of a line plot whose Series give no Color.
func Palette(k int) color.Color { return plotutil.Color(k) }

// dashes are the dash patterns of successive reference lines.
var dashes = [][]vg.Length{
	{vg.Points(5), vg.Points(3)},
	{vg.Points(1.5), vg.Points(2)},
	{vg.Points(8), vg.Points(3), vg.Points(1.5), vg.Points(3)},
	{vg.Points(10), vg.Points(5)},
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
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	k, refs := 0, 0
	for _, s := range series {
		if len(s.X) != len(s.Y) || (s.Err != nil && len(s.Err) != len(s.X)) {
			return fmt.Errorf("plots: series %q has %d x, %d y and %d error values", s.Name, len(s.X), len(s.Y), len(s.Err))
		}
		xy := make(plotter.XYs, len(s.X))
		for i := range s.X {
			xy[i] = plotter.XY{X: s.X[i], Y: s.Y[i]}
		}
		col := s.Color
		if col == nil {
			col = plotutil.Color(k)
		}
		switch {
		case s.Ref:
			ln, err := plotter.NewLine(xy)
			if err != nil {
				return err
			}
			ln.Color = cmp.Or[color.Color](s.Color, color.Gray{Y: 90})
			ln.Width = vg.Points(1.2)
			ln.Dashes = dashes[refs%len(dashes)]
			refs++
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
	// the title is centred over the whole figure, legend included, so a
	// long one is not cut at the left edge
	titleH := 0.12*vg.Inch + 0.22*vg.Inch*vg.Length(1+strings.Count(title, "\n"))
	// (0.1 inch more: the top tick label sticks out above the axis)
	p.Draw(draw.Crop(dc, 0, -legW-0.15*vg.Inch, 0, -titleH-0.1*vg.Inch))
	drawTitle(dc, W, H-titleH, title)
	leg.Draw(draw.Crop(dc, W-legW-0.1*vg.Inch, -0.05*vg.Inch, 0.6*vg.Inch, -titleH-0.1*vg.Inch))
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
