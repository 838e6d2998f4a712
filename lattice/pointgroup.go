package lattice

import (
	"fmt"

	"github.com/rsmi-go/rsmi/internal/size"
)

// Symmetry is an element of the point group of the hypercubic lattice: a
// signed permutation of the axes, mapping a displacement d to d' with
//
//	d'_a = ±d_{Perm[a]},  the sign negative where Flip[a].
//
// The group has 2^dim·dim! elements: 2 in one dimension, 8 in two (the
// square's rotations and reflections), 48 in three (the cube's).
type Symmetry struct {
	Perm []int
	Flip []bool
}

// PointGroup returns the point group of the hypercubic lattice in dim
// dimensions (1 ≤ dim ≤ 6; 2^dim·dim! elements). The order is fixed: axis permutations in
// lexicographic order, and for each the 2^dim sign patterns with bit a of
// the pattern index flipping axis a; element 0 is the identity.
func PointGroup(dim int) ([]Symmetry, error) {
	if dim < 1 || dim > 6 {
		return nil, fmt.Errorf("lattice: point group in dimension %d, want 1..6", dim)
	}
	perm := make([]int, dim)
	for a := range perm {
		perm[a] = a
	}
	var g []Symmetry
	for {
		for mask := 0; mask < 1<<dim; mask++ {
			s := Symmetry{Perm: append([]int(nil), perm...), Flip: make([]bool, dim)}
			for a := range s.Flip {
				s.Flip[a] = mask>>a&1 == 1
			}
			g = append(g, s)
		}
		if !nextPerm(perm) {
			return g, nil
		}
	}
}

// Apply writes the image of the displacement d into dst (reallocated if too
// short) and returns it. It panics if len(d) differs from the dimension.
func (s Symmetry) Apply(dst, d []int) []int {
	if len(d) != len(s.Perm) {
		panic(fmt.Sprintf("lattice: symmetry of dimension %d applied to a displacement of length %d", len(s.Perm), len(d)))
	}
	if cap(dst) < len(d) {
		dst = make([]int, len(d))
	}
	dst = dst[:len(d)]
	for a, p := range s.Perm {
		x := d[p]
		if s.Flip[a] {
			x = -x
		}
		dst[a] = x
	}
	return dst
}

// BlockSymmetries returns the point group acting on the b^dim sites of a
// hypercubic block of side b (1 ≤ dim ≤ 6), as permutations of the block's offsets
// numbered x fastest (the order of a block's dofs in package rsmi and rg).
// Element g maps offset δ to the offset g[i] of δ' with
// δ'_a = δ_Perm[a], or b − 1 − δ_Perm[a] where axis a is flipped — the
// group element of PointGroup(dim) with the same index, acting about the
// block's centre. Element 0 is the identity. It returns an error if b < 1,
// dim is outside 1..6, or the permutations would exceed the memory budget
// of internal/size.
func BlockSymmetries(b, dim int) ([][]int, error) {
	if b < 1 {
		return nil, fmt.Errorf("lattice: block symmetries of a block of side b = %d, want ≥ 1", b)
	}
	group, err := PointGroup(dim)
	if err != nil {
		return nil, err
	}
	dims := make([]int, dim+1)
	for a := range dims {
		dims[a] = b
	}
	dims[dim] = len(group) // the permutations: |G| × b^dim ints
	if _, err := size.Elements(fmt.Sprintf("lattice: symmetries of a block of side %d in %d dimensions", b, dim), 8, dims...); err != nil {
		return nil, err
	}
	nv := 1
	for a := 0; a < dim; a++ {
		nv *= b
	}
	delta := make([]int, dim)
	out := make([][]int, len(group))
	for k, s := range group {
		g := make([]int, nv)
		for i := range g {
			for a, r := 0, i; a < dim; a++ {
				delta[a] = r % b
				r /= b
			}
			j, stride := 0, 1
			for a := 0; a < dim; a++ {
				c := delta[s.Perm[a]]
				if s.Flip[a] {
					c = b - 1 - c
				}
				j += c * stride
				stride *= b
			}
			g[i] = j
		}
		out[k] = g
	}
	return out, nil
}
