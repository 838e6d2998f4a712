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

// Validate checks that o is well formed on lattice l, so that its value is
// the periodic image of the same operator on the infinite lattice and not of
// a shorter one: at least one pattern, every pattern non-empty, displacements
// of l's dimension, no two displacements of a pattern landing on the same
// site after periodic wrap, and every pattern spanning at most half the
// extent along every axis (max_δ δ_a − min_δ δ_a ≤ L_a/2).
//
// The span rule is the minimum-image convention. A pattern longer than half
// the extent aliases: Pair(20, 0) on a lattice of extent 16 couples s_x to
// s_{x+20} = s_{x+4}, the operator of Pair(4, 0), and its range would be
// misreported. A span of exactly L_a/2 is allowed: the displacement and its
// mirror image reach the same site, so every such bond is counted twice, as
// the two nearest-neighbour bonds of a torus of width 2 — the periodic
// Hamiltonian of the infinite-lattice operator, scaled by 2 on that class of
// bonds.
//
// NewIsing, NewEvaluator (and so the fits of package rg and Monte Carlo RG)
// call Validate on every operator and return its error.
func (o Operator) Validate(l *Lattice) error {
	if l == nil {
		return fmt.Errorf("lattice: operator %q validated against a nil lattice", o.Name)
	}
	if len(o.Patterns) == 0 {
		return fmt.Errorf("lattice: operator %q has no patterns (NearestNeighbor, NextNearest, Plaquette and Field return none for a dimension outside their domain)", o.Name)
	}
	for pi, p := range o.Patterns {
		if err := o.validatePattern(l, pi, p); err != nil {
			return err
		}
	}
	return nil
}

// validatePattern checks pattern pi of o on l (see Validate).
func (o Operator) validatePattern(l *Lattice, pi int, p [][]int) error {
	if len(p) == 0 {
		return fmt.Errorf("lattice: operator %q pattern %d is empty", o.Name, pi)
	}
	for _, d := range p {
		if len(d) != l.Dim() {
			return fmt.Errorf("lattice: operator %q displacement %v has dimension %d, lattice has %d", o.Name, d, len(d), l.Dim())
		}
	}
	seen := make(map[int]bool, len(p))
	for _, d := range p {
		j := l.Shift(0, d)
		if seen[j] {
			return fmt.Errorf("lattice: operator %q pattern %v wraps onto itself on a lattice of extents %v", o.Name, p, l.ext)
		}
		seen[j] = true
	}
	for a, e := range l.ext {
		lo, hi := p[0][a], p[0][a]
		for _, d := range p[1:] {
			lo, hi = min(lo, d[a]), max(hi, d[a])
		}
		// hi − lo in unsigned arithmetic is exact for any ints
		if span := uint64(hi) - uint64(lo); span > uint64(e/2) {
			return fmt.Errorf("lattice: operator %q pattern %v spans %d sites along axis %d, more than half the extent %d of the lattice %v: its periodic image aliases onto a shorter-range operator", o.Name, p, span, a, e, l.ext)
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

// The named operators below are built directly, O(dim²) patterns in a fixed
// order (the order Symmetrized gives them), so that no dimension can make
// them enumerate the point group. For a dimension outside their domain they
// return an operator with the right name and no patterns, which
// Operator.Validate — and so NewIsing, NewEvaluator and every fit — rejects
// with an error; ParseOperator is the path that fails at once.

// opDim reports whether dim is in [lo, maxDim].
func opDim(dim, lo int) bool { return dim >= lo && dim <= maxDim }

// Field returns the magnetization operator Σ_i s_i in dim dimensions
// (1 ≤ dim ≤ 30; otherwise an operator with no patterns).
func Field(dim int) Operator {
	if !opDim(dim, 1) {
		return Operator{Name: "field"}
	}
	return Operator{Name: "field", Patterns: [][][]int{{make([]int, dim)}}}
}

// NearestNeighbor returns Σ_<ij> s_i s_j over nearest-neighbour bonds in dim
// dimensions: one pattern {0, e_a} per axis a (1 ≤ dim ≤ 30; otherwise an
// operator with no patterns).
func NearestNeighbor(dim int) Operator {
	o := Operator{Name: "nn"}
	if !opDim(dim, 1) {
		return o
	}
	for a := range dim {
		o.Patterns = append(o.Patterns, [][]int{make([]int, dim), unit(dim, a, 1)})
	}
	return o
}

// NextNearest returns the sum over diagonal (next-nearest) pairs: (1,1) and
// its images in dim ≥ 2 dimensions — patterns {0, e_a+e_b} and {0, e_a−e_b}
// for every pair of axes a < b — and (2) in one dimension (dim ≤ 30;
// otherwise an operator with no patterns).
func NextNearest(dim int) Operator {
	o := Operator{Name: "nnn"}
	switch {
	case !opDim(dim, 1):
		return o
	case dim == 1:
		o.Patterns = [][][]int{{{0}, {2}}}
		return o
	}
	for a := range dim {
		for b := a + 1; b < dim; b++ {
			for _, sb := range []int{1, -1} {
				d := unit(dim, a, 1)
				d[b] = sb
				o.Patterns = append(o.Patterns, [][]int{make([]int, dim), d})
			}
		}
	}
	return o
}

// Plaquette returns the sum of the four-spin products around every elementary
// square, one pattern {0, e_b, e_a, e_a+e_b} per plane a < b (2 ≤ dim ≤ 30;
// otherwise an operator with no patterns).
func Plaquette(dim int) Operator {
	o := Operator{Name: "plaquette"}
	if !opDim(dim, 2) {
		return o
	}
	for a := range dim {
		for b := a + 1; b < dim; b++ {
			c := unit(dim, a, 1)
			c[b] = 1
			o.Patterns = append(o.Patterns, [][]int{make([]int, dim), unit(dim, b, 1), unit(dim, a, 1), c})
		}
	}
	return o
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
