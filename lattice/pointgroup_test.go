package lattice

import (
	"fmt"
	"slices"
	"testing"
)

func TestPointGroupOrderAndClosure(t *testing.T) {
	for dim, want := range map[int]int{1: 2, 2: 8, 3: 48, 4: 384} {
		g, err := PointGroup(dim)
		if err != nil {
			t.Fatal(err)
		}
		if len(g) != want {
			t.Fatalf("dim %d: %d elements, want %d", dim, len(g), want)
		}
		// Distinct actions on a generic vector, identity first.
		v := []int{1, 2, 3, 4}[:dim]
		seen := map[string]bool{}
		for k, s := range g {
			img := fmt.Sprint(s.Apply(nil, v))
			if seen[img] {
				t.Fatalf("dim %d: element %d repeats image %s", dim, k, img)
			}
			seen[img] = true
			if k == 0 && img != fmt.Sprint(v) {
				t.Fatalf("dim %d: element 0 maps %v to %s", dim, v, img)
			}
		}
		// Closure: every composition's image is some element's image.
		for _, a := range g {
			for _, b := range g {
				if c := fmt.Sprint(a.Apply(nil, b.Apply(nil, v))); !seen[c] {
					t.Fatalf("dim %d: composition image %s not in the group", dim, c)
				}
			}
		}
	}
	for _, dim := range []int{0, 7} {
		if _, err := PointGroup(dim); err == nil {
			t.Errorf("PointGroup(%d) accepted", dim)
		}
	}
}

func TestBlockSymmetries(t *testing.T) {
	for _, c := range []struct{ b, dim, n int }{{2, 1, 2}, {3, 1, 2}, {2, 2, 8}, {3, 2, 8}, {2, 3, 48}, {3, 3, 48}} {
		g, err := BlockSymmetries(c.b, c.dim)
		if err != nil {
			t.Fatal(err)
		}
		if len(g) != c.n {
			t.Fatalf("b=%d dim=%d: %d elements, want %d", c.b, c.dim, len(g), c.n)
		}
		seen := map[string]bool{}
		for k, p := range g {
			s := slices.Clone(p)
			slices.Sort(s)
			for i, x := range s {
				if x != i {
					t.Fatalf("b=%d dim=%d element %d is not a permutation: %v", c.b, c.dim, k, p)
				}
			}
			if k == 0 && !slices.Equal(p, s) {
				t.Fatalf("element 0 is not the identity: %v", p)
			}
			seen[fmt.Sprint(p)] = true
		}
		if len(seen) != c.n {
			t.Fatalf("b=%d dim=%d: %d distinct permutations, want %d", c.b, c.dim, len(seen), c.n)
		}
	}
	// The 2×2 block, offsets x fastest: 0=(0,0) 1=(1,0) 2=(0,1) 3=(1,1).
	// Element 1 flips x: (x,y) → (1−x, y).
	g, _ := BlockSymmetries(2, 2)
	if want := []int{1, 0, 3, 2}; !slices.Equal(g[1], want) {
		t.Errorf("x reflection of the 2×2 block = %v, want %v", g[1], want)
	}
	// Element 4 swaps the axes: (x,y) → (y,x).
	if want := []int{0, 2, 1, 3}; !slices.Equal(g[4], want) {
		t.Errorf("axis swap of the 2×2 block = %v, want %v", g[4], want)
	}
	if _, err := BlockSymmetries(0, 2); err == nil {
		t.Error("b = 0 accepted")
	}
}
