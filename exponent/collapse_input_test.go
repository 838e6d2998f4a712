package exponent

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// Non-finite options and temperatures are refused by name, not by a later,
// misleading "curves do not overlap".
func TestCollapseNamesNonFiniteInput(t *testing.T) {
	good := []Curve{
		{Level: 1, T: []float64{1, 2, 3}, Q: []float64{0, 1, 2}, Err: []float64{0.1, 0.1, 0.1}},
		{Level: 2, T: []float64{1, 2, 3}, Q: []float64{0, 1, 2}, Err: []float64{0.1, 0.1, 0.1}},
	}
	base := CollapseOptions{B: 2, Tc: 2, Nu: 1, Resamples: 10}
	for _, tc := range []struct {
		name string
		edit func(*CollapseOptions, []Curve) []Curve
		want string
	}{
		{"Inf B", func(o *CollapseOptions, c []Curve) []Curve { o.B = math.Inf(1); return c }, "scale factor"},
		{"NaN Tc", func(o *CollapseOptions, c []Curve) []Curve { o.Tc = math.NaN(); return c }, "T_c"},
		{"Inf T", func(o *CollapseOptions, c []Curve) []Curve {
			bad := c[1]
			bad.T = []float64{1, 2, math.Inf(1)}
			return []Curve{c[0], bad}
		}, "temperature"},
	} {
		o := base
		curves := tc.edit(&o, good)
		_, err := Collapse(curves, rand.NewPCG(1, 1), &o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.want)
		}
	}
}
