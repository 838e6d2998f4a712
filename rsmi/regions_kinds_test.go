package rsmi

import (
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

// With noise spins every point of the doubled grid holds a dof, so only the
// dofs' kinds keep block positions at even origins, where right links stay
// right links.
func TestRegionsDimerNoiseKinds(t *testing.T) {
	for _, noise := range []bool{false, true} {
		m, err := lattice.NewDimer(8, lattice.DimerOptions{NoiseSpins: noise})
		if err != nil {
			t.Fatal(err)
		}
		g := m.Geometry()
		r, err := NewRegions(g, []int{4, 4}, &RegionOptions{Buffer: 2, Env: 2})
		if err != nil {
			t.Fatal(err)
		}
		if r.NumPositions() != 64 {
			t.Errorf("noise=%v: %d positions, want 64 (one per site)", noise, r.NumPositions())
		}
		for p := 0; p < r.NumPositions(); p++ {
			o := r.Origin(p)
			if o[0]%2 != 0 || o[1]%2 != 0 {
				t.Fatalf("noise=%v: position at odd origin %v", noise, o)
			}
			for k, i := range r.V(p) {
				if g.Kind(int(i)) != g.Kind(int(r.V(0)[k])) {
					t.Fatalf("noise=%v: V entry %d has kind %d at position %d, %d at 0", noise, k, g.Kind(int(i)), p, g.Kind(int(r.V(0)[k])))
				}
			}
		}
		// Forcing stride 1 must still refuse odd origins: their kinds differ.
		r1, err := NewRegions(g, []int{4, 4}, &RegionOptions{Buffer: 2, Env: 2, Stride: []int{1, 1}})
		if err != nil {
			t.Fatal(err)
		}
		if r1.NumPositions() != 64 {
			t.Errorf("noise=%v, stride 1: %d positions, want 64", noise, r1.NumPositions())
		}
	}
}
