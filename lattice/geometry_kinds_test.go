package lattice

import "testing"

func TestGeometryKinds(t *testing.T) {
	g, err := NewGeometry([]int{4}, [][]int{{0}, {1}, {2}, {3}})
	if err != nil {
		t.Fatal(err)
	}
	if g.Kinds() != nil || g.Kind(2) != 0 {
		t.Fatal("a new geometry has kinds")
	}
	h, err := g.WithKinds([]int{0, 1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if h.Kind(1) != 1 || g.Kind(1) != 0 {
		t.Fatal("WithKinds did not set kinds on a copy")
	}
	if g.Equal(h) || h.Equal(g) {
		t.Error("geometries with different kinds compare equal")
	}
	if h2, _ := g.WithKinds([]int{0, 1, 0, 1}); !h.Equal(h2) {
		t.Error("equal kinds compare unequal")
	}
	if _, err := g.WithKinds([]int{0, 1}); err == nil {
		t.Error("wrong number of kinds accepted")
	}
	if _, err := g.WithKinds([]int{0, -1, 0, 0}); err == nil {
		t.Error("negative kind accepted")
	}
	d, _ := NewDimer(4, DimerOptions{NoiseSpins: true})
	for i, want := range map[int]int{0: 0, 1: 1, 2*16 + 3: 2, 3*16 + 5: 3} {
		if got := d.Geometry().Kind(i); got != want {
			t.Errorf("dimer dof %d has kind %d, want %d", i, got, want)
		}
	}
}
