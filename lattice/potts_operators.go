package lattice

import (
	"errors"
	"fmt"
	"math/bits"
)

// Operators of q-state (Potts) variables.
//
// For variables σ ∈ {0, …, q−1} an Operator's pattern is read as a cluster
// of sites whose term is 1 where all of them are in the same state — a
// product of Kronecker deltas — in the even (thermal) sector, and that
// indicator times φ(σ) = q·δ(σ, 0) − 1 of the common state σ in the odd
// (magnetic) sector:
//
//	even:  O(σ) = Σ_p Σ_x Π_{k≥1} δ(σ_{x+δ_0}, σ_{x+δ_k}),
//	odd:   O(σ) = Σ_p Σ_x φ(σ_{x+δ_0}) Π_{k≥1} δ(σ_{x+δ_0}, σ_{x+δ_k}).
//
// A one-site pattern is the identity (even; a constant) or the order
// parameter Σ_x φ(σ_x) (odd). Even operators are invariant under every
// permutation of the states (S_q). φ is the component along state 0 of the
// (q−1)-dimensional standard representation of S_q, (q·δ(σ, a) − 1)_a,
// which is the representation of the order parameter: for q = 3,
// φ(σ) = 2cos(2πσ/3) ∈ {2, −1, −1} is twice the real part of e^{2πiσ/3}
// (the Im part is the other component), and for q = 2 it is the Ising
// spin s = 1 − 2σ. Every value is an integer, so that Monte Carlo RG sums
// them exactly.
//
// Why one component suffices: for an ensemble and a coarse-graining rule
// that are both S_q-symmetric, the correlations of any two odd operators A,
// B built on the components a and b are ⟨A_a B_b⟩_c = c_AB·(q·δ_ab − 1), the
// same tensor for every pair (A, B) (Schur's lemma). Restricting every odd
// operator to the component a = 0 multiplies both MCRG matrices
// ⟨S^(n) S^(n)⟩_c and ⟨S^(n) S^(n−1)⟩_c by the same factor q − 1, and
// T = A⁻¹B is unchanged. The other components carry further samples of the
// same numbers, which the data's own S_q average (and the symmetrized
// rules) supply.

// PottsEvenOperators returns the first n operators of the even set of
// q-state variables in dim dimensions (1 ≤ dim ≤ 3), clusters of equal
// states read as described above, in this order:
//
//	"δnn"         nearest-neighbour pairs
//	"δnnn"        next-nearest pairs (diagonal; (2) in one dimension)
//	"δplaquette"  the four corners of an elementary square (dim ≥ 2)
//	"δpair(2,0)"  pairs at distance 2 along an axis
//	"δL3"         three corners of an elementary square (dim ≥ 2)
//
// followed by the remaining pairs Pair(d) in the order of EvenOperators
// ((2,1), (2,2), (3,0), … in two dimensions), named "δpair(…)". It returns an
// error for a dimension outside 1..3 or if n is negative or larger than the
// set.
func PottsEvenOperators(dim, n int) ([]Operator, error) {
	if err := checkSetArgs(dim, n); err != nil {
		return nil, err
	}
	ops := []Operator{NearestNeighbor(dim), NextNearest(dim)}
	if dim >= 2 {
		ops = append(ops, Plaquette(dim))
	}
	axis2 := pairName(canonicalDisplacement(unit(dim, 0, 2)))
	ops, err := appendPairs(ops, dim, n, func(name string) []Operator {
		if dim >= 2 && name == axis2 {
			return []Operator{l3(dim)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n > len(ops) {
		return nil, fmt.Errorf("lattice: %d Potts even operators requested in %d dimensions, the set has %d", n, dim, len(ops))
	}
	return deltaNames(ops[:n:n], "δ"), nil
}

// PottsOddOperators returns the first n operators of the odd set of
// q-state variables in dim dimensions (1 ≤ dim ≤ 3), each the order
// parameter φ carried by a cluster of equal states:
//
//	"φ"            Σ_x φ(σ_x), the order parameter
//	"φδnn"         on nearest-neighbour pairs
//	"φδnnn"        on next-nearest pairs
//	"φδL3"         on three corners of an elementary square (dim ≥ 2)
//	"φδpair(2,0)"  on pairs at distance 2 along an axis
//	"φδplaquette"  on the four corners of an elementary square (dim ≥ 2)
//
// (in one dimension "φ", "φδnn", "φδnnn" = pairs at distance 2, "φδline3",
// three neighbours in a row). It returns an error for a dimension outside
// 1..3 or if n is negative or larger than the set.
func PottsOddOperators(dim, n int) ([]Operator, error) {
	if err := checkSetArgs(dim, n); err != nil {
		return nil, err
	}
	ops := []Operator{Field(dim), NearestNeighbor(dim), NextNearest(dim)}
	if dim == 1 {
		ops = append(ops, mustSym("line3", []int{0}, []int{1}, []int{2}))
	} else {
		p2, err := Pair(unit(dim, 0, 2)...)
		if err != nil {
			return nil, err
		}
		ops = append(ops, l3(dim), p2, Plaquette(dim))
	}
	if n > len(ops) {
		return nil, fmt.Errorf("lattice: %d Potts odd operators requested in %d dimensions, the set has %d", n, dim, len(ops))
	}
	ops = deltaNames(ops[:n:n], "φδ")
	ops[0].Name = "φ"
	return ops, nil
}

// l3 returns the three corners of an elementary square in every plane.
func l3(dim int) Operator {
	return mustSym("L3", make([]int, dim), unit(dim, 0, 1), unit(dim, 1, 1))
}

func checkSetArgs(dim, n int) error {
	if dim < 1 || dim > 3 {
		return fmt.Errorf("lattice: dimension %d not in 1..3", dim)
	}
	if n < 0 {
		return fmt.Errorf("lattice: negative operator count %d", n)
	}
	return nil
}

// deltaNames prefixes the operators' names.
func deltaNames(ops []Operator, prefix string) []Operator {
	for i := range ops {
		ops[i].Name = prefix + ops[i].Name
	}
	return ops
}

// PottsValue returns the value of o read as an operator of q-state
// variables (see PottsEvenOperators): the sum of the cluster indicators,
// times φ(σ) = q·δ(σ, 0) − 1 of the cluster's state if odd. It is the
// simple, validating path; PottsEvaluator is the fast one. It returns an
// error if o is not valid on l, s has the wrong length or a value outside
// 0 … q−1, or q is outside [2, MaxPottsStates].
func (o Operator) PottsValue(l *Lattice, q int, odd bool, s []int8) (int64, error) {
	if err := checkPottsConfig(l, q, s); err != nil {
		return 0, err
	}
	if err := o.Validate(l); err != nil {
		return 0, err
	}
	var sum int64
	for _, p := range o.Patterns {
		for x := 0; x < l.N(); x++ {
			a := s[l.Shift(x, p[0])]
			eq := true
			for _, d := range p[1:] {
				eq = eq && s[l.Shift(x, d)] == a
			}
			switch {
			case !eq:
			case odd:
				sum += int64(q*int(b2i(a == 0)) - 1)
			default:
				sum++
			}
		}
	}
	return sum, nil
}

func checkPottsConfig(l *Lattice, q int, s []int8) error {
	if l == nil {
		return errors.New("lattice: Potts operators need a lattice")
	}
	if q < 2 || q > MaxPottsStates {
		return fmt.Errorf("lattice: Potts q = %d is outside [2, %d]", q, MaxPottsStates)
	}
	if len(s) != l.N() {
		return fmt.Errorf("lattice: configuration of length %d on %d sites", len(s), l.N())
	}
	if i := outsideStates(s, q); i >= 0 {
		return fmt.Errorf("lattice: site %d holds %d, outside the Potts states 0 … %d", i, s[i], q-1)
	}
	return nil
}

// outsideStates returns the index of the first value of s outside 0 … q−1,
// or −1.
func outsideStates(s []int8, q int) int {
	for i, v := range s {
		if uint8(v) >= uint8(q) {
			return i
		}
	}
	return -1
}

// PottsEvaluator computes operators of q-state variables (the even ones,
// then the odd ones; see PottsEvenOperators) on bit planes: the
// configuration is packed into q one-hot planes (bit set where σ = a), the
// indicator that a cluster is in state a everywhere is the AND of its
// sites' shifted planes, and
//
//	even: O = Σ_a popcount(∧_k shift_{δ_k}(P_a)),   odd: O = q·c_0 − Σ_a c_a,
//
// c_a the popcount of state a, with the packing and shifts of
// PackedEvaluator. It is immutable and safe for concurrent use; each
// goroutine needs its own PottsWork.
type PottsEvaluator struct {
	pe    *PackedEvaluator
	q     int
	nEven int
}

// PottsWork is the scratch space of PottsEvaluator.Values for one
// goroutine.
type PottsWork struct {
	planes []*PackedWork // per state
	word   []uint64      // per state: the word being packed
}

// NewPottsEvaluator returns an evaluator of the even and the odd operators
// of q-state variables on l. Every operator must be valid on l
// (Operator.Validate); at least one is required; q must be in
// [2, MaxPottsStates].
func NewPottsEvaluator(l *Lattice, q int, even, odd []Operator) (*PottsEvaluator, error) {
	if q < 2 || q > MaxPottsStates {
		return nil, fmt.Errorf("lattice: Potts q = %d is outside [2, %d]", q, MaxPottsStates)
	}
	pe, err := NewPackedEvaluator(l, append(append([]Operator(nil), even...), odd...)...)
	if err != nil {
		return nil, err
	}
	return &PottsEvaluator{pe: pe, q: q, nEven: len(even)}, nil
}

// Len returns the number of operators.
func (e *PottsEvaluator) Len() int { return e.pe.nops }

// NewWork returns the scratch space one goroutine needs for Values.
func (e *PottsEvaluator) NewWork() *PottsWork {
	w := &PottsWork{word: make([]uint64, e.q)}
	for range e.q {
		w.planes = append(w.planes, e.pe.NewWork())
	}
	return w
}

// Values writes the value of every operator (even, then odd) on the
// configuration s into dst (reallocated if too short) and returns it with
// ok = true; if s holds a value outside 0 … q−1 it returns ok = false. It
// panics if len(s) is not the number of sites or w was made by another
// evaluator. It does not allocate when dst has room.
func (e *PottsEvaluator) Values(dst []int64, s []int8, w *PottsWork) (vals []int64, ok bool) {
	pe := e.pe
	if len(s) != pe.lat.n {
		panic(fmt.Sprintf("lattice: configuration of length %d on %d sites", len(s), pe.lat.n))
	}
	if len(w.planes) != e.q || len(w.planes[0].acc) != pe.rows*pe.w {
		panic("lattice: PottsWork of another evaluator")
	}
	if !e.pack(w, s) {
		return dst, false
	}
	if cap(dst) < pe.nops {
		dst = make([]int64, pe.nops)
	}
	dst = dst[:pe.nops]
	clear(dst)
	for _, pw := range w.planes {
		pe.rotate(pw)
	}
	for i := range pe.terms {
		t := &pe.terms[i]
		for a, pw := range w.planes {
			c := int64(pe.andSites(t, pw))
			if t.op >= e.nEven {
				c *= int64(e.q*int(b2i(a == 0)) - 1)
			}
			dst[t.op] += c
		}
	}
	return dst, true
}

// pack writes the one-hot planes of s and reports whether every value is a
// state.
func (e *PottsEvaluator) pack(w *PottsWork, s []int8) bool {
	pe := e.pe
	q := uint8(e.q)
	bad := false
	for r := 0; r < pe.rows; r++ {
		row := s[r*pe.lx : (r+1)*pe.lx]
		for j := 0; j < pe.w; j++ {
			clear(w.word)
			for k, v := range row[64*j : min(64*j+64, len(row))] {
				if uint8(v) >= q {
					bad = true
					continue
				}
				w.word[v] |= 1 << k
			}
			for a, pw := range w.planes {
				pw.planes[0][r*pe.w+j] = w.word[a]
			}
		}
	}
	return !bad
}

// andSites returns the number of sites x at which every factor of the term
// has its bit set: the popcount of the AND of its factors' planes.
func (e *PackedEvaluator) andSites(t *packedTerm, w *PackedWork) int {
	fs := t.factors
	plane := func(i int) []uint64 { return w.planes[fs[i].shift] }
	runs := func(i int) []run { return e.rowMaps[fs[i].rowMap] }
	if len(fs) == 1 { // a permutation of the rows keeps the popcount
		n := 0
		for _, v := range plane(0) {
			n += bits.OnesCount64(v)
		}
		return n
	}
	acc := w.acc
	if fs[0].rowMap == 0 && len(fs) == 2 {
		acc = plane(0)
	} else {
		for _, r := range runs(0) {
			copy(acc[r.dst:r.dst+r.n], plane(0)[r.src:r.src+r.n])
		}
	}
	last := len(fs) - 1
	for i := 1; i < last; i++ {
		p := plane(i)
		for _, r := range runs(i) {
			a, x := acc[r.dst:r.dst+r.n], p[r.src:r.src+r.n]
			for j := range a {
				a[j] &= x[j]
			}
		}
	}
	n, p := 0, plane(last)
	for _, r := range runs(last) {
		a, x := acc[r.dst:r.dst+r.n], p[r.src:r.src+r.n]
		for j := range a {
			n += bits.OnesCount64(a[j] & x[j])
		}
	}
	return n
}
