package sample

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

// TestMetropolisLeavesStripes: with acceptance 1 at ΔE = 0 a checkerboard
// sweep maps the column-stripe state to rows and back forever, so the chain
// is not ergodic. The fast path must leave the stripe states.
func TestMetropolisLeavesStripes(t *testing.T) {
	l, _ := lattice.NewSquare(4)
	m, _ := lattice.NewNearestNeighborIsing(l, 1)
	s, err := NewMetropolis(m, 2, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	cols := make([]int8, 16)
	rows := make([]int8, 16)
	for i := range cols {
		x, y := i%4, i/4
		cols[i] = int8(1 - 2*(x%2))
		rows[i] = int8(1 - 2*(y%2))
	}
	if err := s.SetConfig(cols); err != nil {
		t.Fatal(err)
	}
	stripes := 0
	for k := 0; k < 200; k++ {
		s.Step()
		c := s.Config()
		neg := make([]int8, 16)
		for i := range c {
			neg[i] = -c[i]
		}
		for _, st := range [][]int8{cols, rows} {
			if slices.Equal(c, st) || slices.Equal(neg, st) {
				stripes++
			}
		}
	}
	if stripes > 20 {
		t.Fatalf("chain stayed in stripe states for %d of 200 sweeps", stripes)
	}
}
