package learn

import (
	"reflect"
	"testing"

	"github.com/rsmi-go/rsmi/rsmi"
)

// TestIsMajority checks the rule test on 2×2 filters: equal weights of
// either sign and weights with a small spread are majority rule; a dominant
// weight (decimation-like), a weight of the other sign or a zero weight are
// not.
func TestIsMajority(t *testing.T) {
	for _, tc := range []struct {
		w    []float64
		want bool
	}{
		{[]float64{1, 1, 1, 1}, true},
		{[]float64{-2, -2, -2, -2}, true},
		{[]float64{2.5, 2.8, 0.9, 2.6}, true},
		{[]float64{5, 1, 1, 1}, false},
		{[]float64{1, 1, 1, -1}, false},
		{[]float64{1, 1, 1, 0}, false},
	} {
		f := &rsmi.Filter{NH: 1, NV: 4, W: tc.w}
		if got := IsMajority(f); got != tc.want {
			t.Errorf("IsMajority(%v) = %v, want %v", tc.w, got, tc.want)
		}
	}
}

// TestRowsGrid checks that Rows and BlockGrid copy unit j's weights in
// x-fastest order.
func TestRowsGrid(t *testing.T) {
	f := &rsmi.Filter{NH: 2, NV: 4, W: []float64{1, 2, 3, 4, 5, 6, 7, 8}}
	rows := Rows(f)
	if !reflect.DeepEqual(rows, [][]float64{{1, 2, 3, 4}, {5, 6, 7, 8}}) {
		t.Errorf("Rows = %v", rows)
	}
	g := BlockGrid(f, 1, 2)
	if !reflect.DeepEqual(g, [][]float64{{5, 6}, {7, 8}}) {
		t.Errorf("BlockGrid(unit 1) = %v", g)
	}
	rows[0][0], g[0][0] = -1, -1
	if f.W[0] != 1 || f.W[4] != 5 {
		t.Errorf("Rows or BlockGrid share storage with the filter: W = %v", f.W)
	}
	if s := FmtRows(rows); s != "[-1.000 2.000 3.000 4.000][5.000 6.000 7.000 8.000]" {
		t.Errorf("FmtRows = %q", s)
	}
}
