package plots

import (
	"math"
	"strings"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// scripts is a text handler for plain text with sub- and superscripts:
// "K_nn" is not written with a raw underscore but as K with the subscript
// "nn". The markup is TeX's, without math mode: `_x` or `_{xy}` makes a
// subscript, `^x` or `^{xy}` a superscript (a single character without
// braces: "T_c", "L/2^n"; a run of letters after `_` is one subscript,
// "K_nn"), and `\_`, `\^` are a literal underscore and caret. Any Unicode
// the font has is drawn as it is (unlike gonum's LaTeX handler, which
// panics on "×" or "‖").
type scripts struct{ text.Plain }

// segment is a run of text drawn at one size and baseline shift.
type segment struct {
	s     string
	shift int // −1 subscript, 0 normal, +1 superscript
}

const scriptScale = 0.7

// parseScripts splits one line into segments.
func parseScripts(line string) []segment {
	var out []segment
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, segment{s: cur.String()})
			cur.Reset()
		}
	}
	r := []rune(line)
	for i := 0; i < len(r); i++ {
		c := r[i]
		if c == '\\' && i+1 < len(r) && (r[i+1] == '_' || r[i+1] == '^') {
			cur.WriteRune(r[i+1])
			i++
			continue
		}
		if (c != '_' && c != '^') || i+1 >= len(r) {
			cur.WriteRune(c)
			continue
		}
		shift := -1
		if c == '^' {
			shift = 1
		}
		j := i + 1
		var arg string
		switch {
		case r[j] == '{':
			k := j + 1
			for k < len(r) && r[k] != '}' {
				k++
			}
			arg, i = string(r[j+1:min(k, len(r))]), k
		case isLetter(r[j]) && c == '_':
			k := j
			for k < len(r) && isLetter(r[k]) {
				k++
			}
			arg, i = string(r[j:k]), k-1
		default:
			arg, i = string(r[j]), j
		}
		flush()
		out = append(out, segment{s: arg, shift: shift})
	}
	flush()
	return out
}

func isLetter(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// face returns the font face of a segment.
func (h scripts) face(fnt font.Font, seg segment) font.Face {
	size := fnt.Size
	if seg.shift != 0 {
		size = vg.Length(float64(size) * scriptScale)
	}
	return h.Fonts.Lookup(fnt, size)
}

// rise returns the baseline shift of a segment.
func rise(fnt font.Font, seg segment) vg.Length {
	switch seg.shift {
	case -1:
		return -0.22 * fnt.Size
	case 1:
		return 0.38 * fnt.Size
	}
	return 0
}

// Box implements text.Handler.
func (h scripts) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	f0 := h.Fonts.Lookup(fnt, fnt.Size)
	ext := f0.Extents()
	height, depth = ext.Ascent, ext.Descent
	for _, seg := range parseScripts(txt) {
		face := h.face(fnt, seg)
		width += face.Width(seg.s)
		e := face.Extents()
		height = vg.Length(math.Max(float64(height), float64(e.Ascent+rise(fnt, seg))))
		depth = vg.Length(math.Max(float64(depth), float64(e.Descent-rise(fnt, seg))))
	}
	return width, height, depth
}

// Draw implements text.Handler, placing lines as text.Plain does.
func (h scripts) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	txt = strings.TrimRight(txt, "\n")
	if len(txt) == 0 {
		return
	}
	c.SetColor(sty.Color)
	if sty.Rotation != 0 {
		c.Push()
		c.Rotate(sty.Rotation)
	}
	sin64, cos64 := math.Sincos(sty.Rotation)
	cos, sin := vg.Length(cos64), vg.Length(sin64)
	pt.X, pt.Y = pt.Y*sin+pt.X*cos, pt.Y*cos-pt.X*sin
	lines := h.Lines(txt)
	f0 := h.Fonts.Lookup(sty.Font, sty.Font.Size)
	pt.Y += sty.Height(txt)*vg.Length(sty.YAlign) - f0.Extents().Ascent
	for i, line := range lines {
		w, _, _ := h.Box(line, sty.Font)
		p := pt.Add(vg.Point{X: vg.Length(sty.XAlign) * w, Y: vg.Length(len(lines)-i) * sty.Font.Size})
		for _, seg := range parseScripts(line) {
			face := h.face(sty.Font, seg)
			c.FillString(face, p.Add(vg.Point{Y: rise(sty.Font, seg)}), seg.s)
			p.X += face.Width(seg.s)
		}
	}
	if sty.Rotation != 0 {
		c.Pop()
	}
}
