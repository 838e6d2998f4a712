package lattice

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Operator is a translation-invariant spin-product operator on a hypercubic
// lattice,
//
//	O(s) = Σ_p Σ_x Π_{δ ∈ pattern p} s_{x+δ},
//
// a sum over all lattice translations x of products of spins at fixed
// displacements δ, summed over one or more patterns (typically the images of
// one pattern under the lattice's point group, so that O is symmetric).
// Examples: the nearest-neighbour energy Σ_<ij> s_i s_j, the magnetization
// Σ_i s_i, the plaquette product. Ising uses operators for its couplings; the
// same type spans effective Hamiltonians after an RG step.
type Operator struct {
	// Name identifies the operator in tables and errors.
	Name string
	// Patterns lists displacement sets; each pattern is a list of distinct
	// displacement vectors of the lattice's dimension.
	Patterns [][][]int
}

// Dim returns the dimension of the displacements, or 0 for an empty operator.
func (o Operator) Dim() int {
	for _, p := range o.Patterns {
		for _, d := range p {
			return len(d)
		}
	}
	return 0
}

// Order returns the number of spins in the first pattern (1 for a field, 2 for
// a pair coupling, …).
func (o Operator) Order() int {
	if len(o.Patterns) == 0 {
		return 0
	}
	return len(o.Patterns[0])
}

// Even reports whether every pattern multiplies an even number of spins (the
// operator is invariant under global spin flip).
func (o Operator) Even() bool {
	for _, p := range o.Patterns {
		if len(p)%2 != 0 {
			return false
		}
	}
	return true
}

// Validate checks that o is well formed on lattice l: at least one pattern,
// every pattern non-empty, displacements of l's dimension, and no two
// displacements of a pattern landing on the same site after periodic wrap.
func (o Operator) Validate(l *Lattice) error {
	if len(o.Patterns) == 0 {
		return fmt.Errorf("lattice: operator %q has no patterns", o.Name)
	}
	for pi, p := range o.Patterns {
		if len(p) == 0 {
			return fmt.Errorf("lattice: operator %q pattern %d is empty", o.Name, pi)
		}
		seen := make(map[int]bool, len(p))
		for _, d := range p {
			if len(d) != l.Dim() {
				return fmt.Errorf("lattice: operator %q displacement %v has dimension %d, lattice has %d", o.Name, d, len(d), l.Dim())
			}
			j := l.Shift(0, d)
			if seen[j] {
				return fmt.Errorf("lattice: operator %q pattern %v wraps onto itself on a lattice of extents %v", o.Name, p, l.ext)
			}
			seen[j] = true
		}
	}
	return nil
}

// Instances returns, for every pattern and every translation, the sites of
// the product: a flat slice of groups of Order() sites (patterns of different
// sizes are laid out one after another; sizes gives each group's length).
func (o Operator) instances(l *Lattice) (sites []int32, sizes []int32) {
	for _, p := range o.Patterns {
		for x := 0; x < l.N(); x++ {
			for _, d := range p {
				sites = append(sites, int32(l.Shift(x, d)))
			}
			sizes = append(sizes, int32(len(p)))
		}
	}
	return sites, sizes
}

// Value returns O(s) for the configuration s on lattice l.
// It panics if o is not valid on l or len(s) != l.N().
func (o Operator) Value(l *Lattice, s []int8) float64 {
	if len(s) != l.N() {
		panic(fmt.Sprintf("lattice: configuration of length %d on %d sites", len(s), l.N()))
	}
	if err := o.Validate(l); err != nil {
		panic(err.Error())
	}
	var sum int
	for _, p := range o.Patterns {
		for x := 0; x < l.N(); x++ {
			prod := int8(1)
			for _, d := range p {
				prod *= s[l.Shift(x, d)]
			}
			sum += int(prod)
		}
	}
	return float64(sum)
}

// Symmetrized returns the operator whose patterns are the orbit of the given
// displacements under the point group of the hypercubic lattice (all axis
// permutations and reflections), with translated duplicates removed. The
// displacements must all have the same dimension.
func Symmetrized(name string, offsets ...[]int) (Operator, error) {
	if len(offsets) == 0 {
		return Operator{}, fmt.Errorf("lattice: operator %q has no displacements", name)
	}
	dim := len(offsets[0])
	if dim == 0 {
		return Operator{}, fmt.Errorf("lattice: operator %q has zero-dimensional displacements", name)
	}
	for _, d := range offsets {
		if len(d) != dim {
			return Operator{}, fmt.Errorf("lattice: operator %q mixes dimensions %d and %d", name, dim, len(d))
		}
	}
	if k := canonKey(normalize(offsets)); strings.Count(k, ";") != len(offsets) {
		return Operator{}, fmt.Errorf("lattice: operator %q repeats a displacement", name)
	}
	group, err := PointGroup(dim)
	if err != nil {
		return Operator{}, fmt.Errorf("lattice: operator %q: %w", name, err)
	}
	seen := map[string]bool{}
	var pats [][][]int
	for _, g := range group {
		img := make([][]int, len(offsets))
		for k, d := range offsets {
			img[k] = g.Apply(nil, d)
		}
		img = normalize(img)
		if key := canonKey(img); !seen[key] {
			seen[key] = true
			pats = append(pats, img)
		}
	}
	return Operator{Name: name, Patterns: pats}, nil
}

// mustSym is Symmetrized for the package's fixed, known-good operators.
func mustSym(name string, offsets ...[]int) Operator {
	o, err := Symmetrized(name, offsets...)
	if err != nil {
		panic(err)
	}
	return o
}

// normalize sorts displacements and translates them so the first is the origin.
func normalize(p [][]int) [][]int {
	q := make([][]int, len(p))
	for i, d := range p {
		q[i] = append([]int(nil), d...)
	}
	sort.Slice(q, func(i, j int) bool {
		for a := range q[i] {
			if q[i][a] != q[j][a] {
				return q[i][a] < q[j][a]
			}
		}
		return false
	})
	o := append([]int(nil), q[0]...)
	for _, d := range q {
		for a := range d {
			d[a] -= o[a]
		}
	}
	// remove exact duplicates so canonKey can detect them by count
	out := q[:1]
	for _, d := range q[1:] {
		if !equalInts(d, out[len(out)-1]) {
			out = append(out, d)
		}
	}
	return out
}

func equalInts(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func canonKey(p [][]int) string {
	var b strings.Builder
	for _, d := range p {
		fmt.Fprint(&b, d, ";")
	}
	return b.String()
}

func nextPerm(p []int) bool {
	i := len(p) - 2
	for i >= 0 && p[i] >= p[i+1] {
		i--
	}
	if i < 0 {
		return false
	}
	j := len(p) - 1
	for p[j] <= p[i] {
		j--
	}
	p[i], p[j] = p[j], p[i]
	for a, b := i+1, len(p)-1; a < b; a, b = a+1, b-1 {
		p[a], p[b] = p[b], p[a]
	}
	return true
}

func unit(dim, axis, step int) []int {
	v := make([]int, dim)
	v[axis] = step
	return v
}

// Field returns the magnetization operator Σ_i s_i in dim dimensions.
func Field(dim int) Operator { return Operator{Name: "field", Patterns: [][][]int{{make([]int, dim)}}} }

// NearestNeighbor returns Σ_<ij> s_i s_j over nearest-neighbour bonds in dim dimensions.
func NearestNeighbor(dim int) Operator {
	return mustSym("nn", make([]int, dim), unit(dim, 0, 1))
}

// NextNearest returns the sum over diagonal (next-nearest) pairs: (1,1) and
// its images in dim ≥ 2 dimensions, (2) in one dimension.
func NextNearest(dim int) Operator {
	if dim == 1 {
		return mustSym("nnn", []int{0}, []int{2})
	}
	d := unit(dim, 0, 1)
	d[1] = 1
	return mustSym("nnn", make([]int, dim), d)
}

// Plaquette returns the sum of the four-spin products around every elementary
// square (in every plane for dim ≥ 3). dim must be at least 2.
func Plaquette(dim int) Operator {
	if dim < 2 {
		panic("lattice: Plaquette needs dim ≥ 2")
	}
	c := unit(dim, 0, 1)
	c[1] = 1
	return mustSym("plaquette", make([]int, dim), unit(dim, 0, 1), unit(dim, 1, 1), c)
}

// ParseOperator returns a named standard operator in dim dimensions:
// "field", "nn", "nnn" (diagonal pairs), "plaquette".
func ParseOperator(name string, dim int) (Operator, error) {
	if dim < 1 || dim > 3 {
		return Operator{}, fmt.Errorf("lattice: dimension %d not in 1..3", dim)
	}
	switch name {
	case "field":
		return Field(dim), nil
	case "nn":
		return NearestNeighbor(dim), nil
	case "nnn":
		return NextNearest(dim), nil
	case "plaquette":
		if dim < 2 {
			return Operator{}, errors.New("lattice: plaquette operator needs dimension ≥ 2")
		}
		return Plaquette(dim), nil
	}
	return Operator{}, fmt.Errorf("lattice: unknown operator %q (want field, nn, nnn or plaquette)", name)
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
