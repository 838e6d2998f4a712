package sample

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLeavesStripes: with acceptance 1 at ΔE = 0 a checkerboard sweep maps
// the column-stripe state of the 4×4 torus to rows and back forever, so the
// chain is not ergodic (see zeroFlip). The checkerboard samplers must leave
// the stripe states.
func TestLeavesStripes(t *testing.T) {
	m := mustSquareIsing(t, 4)
	met, err := NewMetropolis(m, 2, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	msc, err := NewMSC(m, 2, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []interface {
		Sampler
		SetConfig([]int8) error
	}{met, msc} {
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
			t.Errorf("%T: chain stayed in stripe states for %d of 200 sweeps", s, stripes)
		}
	}
}
