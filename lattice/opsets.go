package lattice

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Operator sets for renormalization-group analyses.
//
// The even operators (invariant under a global spin flip) span the thermal
// sector of an Ising-like fixed point; the odd operators span the magnetic
// sector. Monte Carlo renormalization group (package exponent) linearizes the
// flow in the space of the first n operators of each set, and effective
// Hamiltonians (package rg) are fitted on them. Every operator is built with
// Symmetrized, so it is invariant under the point group of the hypercubic
// lattice.

// maxPairComponent bounds the displacement components of the pair operators
// that EvenOperators generates.
const maxPairComponent = 8

// Pair returns the symmetrized two-spin operator Σ_x Σ_images s_x s_{x+d}
// for the displacement d and all its images under the hypercubic point group,
// named after the canonical displacement, e.g. "pair(2,1)".
func Pair(d ...int) (Operator, error) {
	if len(d) == 0 {
		return Operator{}, errors.New("lattice: pair operator needs a displacement")
	}
	zero := true
	for _, x := range d {
		if x != 0 {
			zero = false
		}
	}
	if zero {
		return Operator{}, fmt.Errorf("lattice: pair displacement %v is zero", d)
	}
	return Symmetrized(pairName(canonicalDisplacement(d)), make([]int, len(d)), append([]int(nil), d...))
}

// canonicalDisplacement returns |d| sorted in decreasing order: the
// representative of d's orbit under axis permutations and reflections.
func canonicalDisplacement(d []int) []int {
	c := make([]int, len(d))
	for i, x := range d {
		c[i] = max(x, -x)
	}
	slices.Sort(c)
	slices.Reverse(c)
	return c
}

func pairName(c []int) string {
	var b strings.Builder
	b.WriteString("pair(")
	for i, x := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, x)
	}
	b.WriteByte(')')
	return b.String()
}

// EvenOperators returns the first n operators of the even set in dim
// dimensions (1 ≤ dim ≤ 3), in this order:
//
//	"nn"         nearest-neighbour pairs, displacement (1,0,…)
//	"nnn"        next-nearest pairs: diagonal (1,1,…) for dim ≥ 2, (2) in one dimension
//	"plaquette"  four spins around an elementary square (dim ≥ 2 only)
//
// followed by the remaining pair operators Pair(d) in order of increasing
// |d|² (ties broken by the canonical displacement, largest component first):
// in two dimensions (2,0), (2,1), (2,2), (3,0), (3,1), (3,2), (4,0), …; in
// one dimension (3), (4), …. In three dimensions the multi-spin operators of
// the elementary cube come after the two shortest remaining pairs:
//
//	"pair(1,1,1)"  body diagonal
//	"pair(2,0,0)"
//	"tetra"        four spins on alternate corners of a cube, a regular
//	               tetrahedron (2 orientations)
//	"cube"         the eight corners of a cube
//
// then the pairs (2,1,0), (2,1,1), (2,2,0), (2,2,1), (3,0,0), ….
// Displacement components go up to 8. It returns an error for a dimension
// outside 1..3 or if n is negative or larger than the set. Whether an
// operator is valid on a given (small) lattice is checked where it is used
// (Operator.Validate).
func EvenOperators(dim, n int) ([]Operator, error) {
	if dim < 1 || dim > 3 {
		return nil, fmt.Errorf("lattice: dimension %d not in 1..3", dim)
	}
	if n < 0 {
		return nil, fmt.Errorf("lattice: negative operator count %d", n)
	}
	ops := []Operator{NearestNeighbor(dim), NextNearest(dim)}
	if dim >= 2 {
		ops = append(ops, Plaquette(dim))
	}
	ops, err := appendPairs(ops, dim, n, func(name string) []Operator {
		if dim == 3 && name == "pair(2,0,0)" {
			return []Operator{
				mustSym("tetra", []int{0, 0, 0}, []int{1, 1, 0}, []int{1, 0, 1}, []int{0, 1, 1}),
				mustSym("cube", []int{0, 0, 0}, []int{1, 0, 0}, []int{0, 1, 0}, []int{1, 1, 0},
					[]int{0, 0, 1}, []int{1, 0, 1}, []int{0, 1, 1}, []int{1, 1, 1})}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n > len(ops) {
		return nil, fmt.Errorf("lattice: %d even operators requested in %d dimensions, the set has %d", n, dim, len(ops))
	}
	return ops[:n:n], nil
}

// appendPairs appends to ops, until it holds n operators, the pair
// operators in the order of canonicalPairs except the nearest and the next
// nearest (already in the even sets), each followed by the operators
// after(its name) returns.
func appendPairs(ops []Operator, dim, n int, after func(name string) []Operator) ([]Operator, error) {
	taken := map[string]bool{pairName(canonicalDisplacement(unit(dim, 0, 1))): true}
	if dim == 1 {
		taken[pairName([]int{2})] = true
	} else {
		d := unit(dim, 0, 1)
		d[1] = 1
		taken[pairName(d)] = true
	}
	for _, c := range canonicalPairs(dim) {
		if len(ops) >= n {
			break
		}
		name := pairName(c)
		if taken[name] {
			continue
		}
		op, err := Pair(c...)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
		ops = append(ops, after(name)...)
	}
	return ops, nil
}

// canonicalPairs lists canonical displacements (decreasing non-negative
// components, not all zero, components ≤ maxPairComponent) ordered by |d|²,
// then lexicographically.
func canonicalPairs(dim int) [][]int {
	var out [][]int
	c := make([]int, dim)
	var rec func(a, hi int)
	rec = func(a, hi int) {
		if a == dim {
			if c[0] > 0 {
				out = append(out, append([]int(nil), c...))
			}
			return
		}
		for x := 0; x <= hi; x++ {
			c[a] = x
			rec(a+1, x)
		}
	}
	rec(0, maxPairComponent)
	norm := func(v []int) int {
		s := 0
		for _, x := range v {
			s += x * x
		}
		return s
	}
	slices.SortFunc(out, func(u, v []int) int {
		if nu, nv := norm(u), norm(v); nu != nv {
			return nu - nv
		}
		return slices.Compare(u, v)
	})
	return out
}

// OddOperators returns the first n operators of the odd set in dim
// dimensions (1 ≤ dim ≤ 3). In two dimensions the set is
//
//	"field"   magnetization Σ s
//	"L3"      three spins of an elementary square (an L shape; 4 orientations per plane)
//	"line3"   three spins in a straight row along an axis
//	"cross5"  a spin and its four nearest neighbours in a plane
//	"diag3"   three spins in a straight row along a diagonal
//	"line5"   five spins in a straight row along an axis
//
// In three dimensions it is
//
//	"field", "L3" (in every plane), "line3"
//	"star7"   a spin and its six nearest neighbours
//	"tri3"    three corners of a cube at mutual distance √2 (the neighbours
//	          of a fourth corner; 8 orientations)
//	"diag3"   (along face diagonals), "cross5" (in every plane), "line5"
//
// and in one dimension "field", "line3", "gap3" (spins at 0, 1, 3 and the
// mirror image), "line5". It returns an error for a dimension outside 1..3 or
// if n is negative or larger than the set.
func OddOperators(dim, n int) ([]Operator, error) {
	if dim < 1 || dim > 3 {
		return nil, fmt.Errorf("lattice: dimension %d not in 1..3", dim)
	}
	if n < 0 {
		return nil, fmt.Errorf("lattice: negative operator count %d", n)
	}
	o := make([]int, dim)
	x := func(k int) []int { return unit(dim, 0, k) }
	line := func(name string, k int) Operator {
		p := make([][]int, k)
		for i := range p {
			p[i] = x(i)
		}
		return mustSym(name, p...)
	}
	ops := []Operator{Field(dim)}
	if dim == 1 {
		ops = append(ops, line("line3", 3), mustSym("gap3", []int{0}, []int{1}, []int{3}), line("line5", 5))
	} else {
		y := func(k int) []int { return unit(dim, 1, k) }
		diag := func(k int) []int {
			v := unit(dim, 0, k)
			v[1] = k
			return v
		}
		cross5 := mustSym("cross5", o, x(1), x(-1), y(1), y(-1))
		diag3 := mustSym("diag3", o, diag(1), diag(2))
		ops = append(ops, mustSym("L3", o, x(1), y(1)), line("line3", 3))
		if dim == 2 {
			ops = append(ops, cross5, diag3)
		} else {
			ops = append(ops,
				mustSym("star7", o, x(1), x(-1), y(1), y(-1), []int{0, 0, 1}, []int{0, 0, -1}),
				mustSym("tri3", o, []int{1, 1, 0}, []int{1, 0, 1}),
				diag3, cross5)
		}
		ops = append(ops, line("line5", 5))
	}
	if n > len(ops) {
		return nil, fmt.Errorf("lattice: %d odd operators requested in %d dimensions, the set has %d", n, dim, len(ops))
	}
	return ops[:n:n], nil
}

// Evaluator computes a list of operators on configurations of one lattice
// from precomputed site tables: the fast path for Monte Carlo
// renormalization group and pseudo-likelihood fits, which evaluate the same
// operators on many configurations. Values takes the bit-plane path of
// PackedEvaluator when the configuration holds only ±1 spins and the site
// tables otherwise. Operator.Value is the simple, validating path. An
// Evaluator is immutable; its methods are safe for concurrent use.
type Evaluator struct {
	lat    *Lattice
	ops    []Operator
	packed *PackedEvaluator
	work   sync.Pool // *PackedWork
	// instances: per operator, flat groups of sites with their sizes.
	sites [][]int32
	sizes [][]int32
	// local fields: for site i, entries eStart[i]..eStart[i+1]; entry e
	// belongs to operator eOp[e] and multiplies the spins
	// others[oStart[e]:oStart[e+1]].
	eStart []int32
	eOp    []int32
	oStart []int32
	others []int32
}

// NewEvaluator returns an evaluator of ops on l. Every operator must be valid
// on l (Operator.Validate); at least one is required.
func NewEvaluator(l *Lattice, ops ...Operator) (*Evaluator, error) {
	if l == nil {
		return nil, errors.New("lattice: evaluator needs a lattice")
	}
	if len(ops) == 0 {
		return nil, errors.New("lattice: evaluator needs at least one operator")
	}
	e := &Evaluator{lat: l, ops: append([]Operator(nil), ops...)}
	perSite := make([][][]int32, l.N()) // per site: per entry [op, others...]
	for k, op := range ops {
		if err := op.Validate(l); err != nil {
			return nil, err
		}
		sites, sizes := op.instances(l)
		e.sites = append(e.sites, sites)
		e.sizes = append(e.sizes, sizes)
		off := 0
		for _, m := range sizes {
			g := sites[off : off+int(m)]
			for p, i := range g {
				ent := make([]int32, 0, m)
				ent = append(ent, int32(k))
				ent = append(ent, g[:p]...)
				ent = append(ent, g[p+1:]...)
				perSite[i] = append(perSite[i], ent)
			}
			off += int(m)
		}
	}
	e.eStart = make([]int32, l.N()+1)
	for i, es := range perSite {
		for _, ent := range es {
			e.eOp = append(e.eOp, ent[0])
			e.oStart = append(e.oStart, int32(len(e.others)))
			e.others = append(e.others, ent[1:]...)
		}
		e.eStart[i+1] = int32(len(e.eOp))
	}
	e.oStart = append(e.oStart, int32(len(e.others)))
	var err error
	if e.packed, err = NewPackedEvaluator(l, ops...); err != nil {
		return nil, err
	}
	return e, nil
}

// Lattice returns the lattice the evaluator was built for.
func (e *Evaluator) Lattice() *Lattice { return e.lat }

// Operators returns a copy of the operator list.
func (e *Evaluator) Operators() []Operator { return append([]Operator(nil), e.ops...) }

// Len returns the number of operators.
func (e *Evaluator) Len() int { return len(e.ops) }

func (e *Evaluator) check(s []int8) {
	if len(s) != e.lat.n {
		panic(fmt.Sprintf("lattice: configuration of length %d on %d sites", len(s), e.lat.n))
	}
}

// Values writes O_k(s) for every operator k into dst (reallocated if too
// short) and returns it.
func (e *Evaluator) Values(dst []float64, s []int8) []float64 {
	e.check(s)
	if cap(dst) < len(e.ops) {
		dst = make([]float64, len(e.ops))
	}
	dst = dst[:len(e.ops)]
	w, _ := e.work.Get().(*PackedWork)
	if w == nil {
		w = e.packed.NewWork()
	}
	defer e.work.Put(w)
	if e.packed.Pack(w, s) {
		w.vals = e.packed.Eval(w.vals, w)
		for k, v := range w.vals {
			dst[k] = float64(v)
		}
		return dst
	}
	for k := range e.ops {
		sites, sizes := e.sites[k], e.sizes[k]
		sum, off := 0, 0
		for _, m := range sizes {
			p := int8(1)
			for _, i := range sites[off : off+int(m)] {
				p *= s[i]
			}
			sum += int(p)
			off += int(m)
		}
		dst[k] = float64(sum)
	}
	return dst
}

// LocalFields writes f_k = ∂O_k/∂s_i for every operator k into dst
// (reallocated if too short) and returns it: the sum, over the products of
// O_k that contain site i, of the product of the other spins. Flipping s_i
// changes O_k by −2·s_i·f_k; in a Hamiltonian H = −Σ_k K_k O_k the
// conditional probability of s_i given the rest is
// exp(s_i h)/(2 cosh h) with h = Σ_k K_k f_k.
func (e *Evaluator) LocalFields(dst []float64, s []int8, i int) []float64 {
	e.check(s)
	if cap(dst) < len(e.ops) {
		dst = make([]float64, len(e.ops))
	}
	dst = dst[:len(e.ops)]
	clear(dst)
	for en := e.eStart[i]; en < e.eStart[i+1]; en++ {
		p := int8(1)
		for _, j := range e.others[e.oStart[en]:e.oStart[en+1]] {
			p *= s[j]
		}
		dst[e.eOp[en]] += float64(p)
	}
	return dst
}
