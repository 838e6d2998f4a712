package lattice

import (
	"errors"
	"fmt"
	"slices"
)

// Term is one coupling of an Ising Hamiltonian: J times an operator.
type Term struct {
	Op Operator
	J  float64
}

// Ising is a classical ±1 spin model on a periodic hypercubic lattice with any
// set of translation-invariant spin-product couplings,
//
//	H(s) = −Σ_α J_α O_α(s),
//
// for example H = −J Σ_<ij> s_i s_j − h Σ_i s_i. J_α > 0 favours aligned
// products. It implements Model and Ranged. An Ising is immutable; its
// methods are safe for concurrent use.
//
// Memory: a model holds one bit per site and tables that do not grow with
// the lattice. LocalField and DeltaE read the spins coupled to a site at
// fixed index offsets, tabulated once per class of sites: the interior, where
// no coupling wraps around the torus, and each position near the boundary
// from which some coupling does — at most Π_a (2r_a + 1) classes for
// couplings spanning r_a sites along axis a, capped by the extent L_a, so
// only couplings as long as the lattice (r_a ≈ L_a/2) make the tables as
// large as per-site ones. Energy walks the translations row by row, and
// PairCouplings builds its bond list on each call.
type Ising struct {
	lat   *Lattice
	terms []Term
	rng   int
	pats  []ipat // every pattern of every term, in term order

	field fieldTable // local-field entries of every class of sites
}

// ipat is one pattern of one term in the model's internal form.
type ipat struct {
	term int
	j    float64
	n    int   // spins in the pattern
	d    []int // n × dim displacements, the pattern translated by a multiple of the extents so that d[0] lies in (−L, L)
}

// NewIsing returns the Ising model on l with the given couplings. Every
// operator must be valid on l (see Operator.Validate: in particular no
// pattern may span more than half an extent) and every J finite; at least
// one term is required. For a lattice of N sites it costs N/8 bytes plus
// tables independent of N for couplings short compared with the extents (see
// Ising), and O(N/64 + N/L_x) time.
func NewIsing(l *Lattice, terms ...Term) (*Ising, error) {
	if l == nil {
		return nil, errors.New("lattice: Ising needs a lattice")
	}
	if len(terms) == 0 {
		return nil, errors.New("lattice: Ising needs at least one coupling")
	}
	m := &Ising{lat: l, terms: make([]Term, len(terms))}
	for t, term := range terms {
		if err := term.Op.Validate(l); err != nil {
			return nil, err
		}
		if !finite(term.J) {
			return nil, fmt.Errorf("lattice: coupling %q has non-finite J = %v", term.Op.Name, term.J)
		}
		m.terms[t] = term
		for _, p := range term.Op.Patterns {
			m.pats = append(m.pats, newIpat(l, t, term.J, p))
		}
	}
	for _, p := range m.pats {
		m.rng = max(m.rng, p.span(l.Dim()))
	}
	m.field = newFieldTable(l, m.pats)
	return m, nil
}

// newIpat stores pattern p of term t, translated by a multiple of the
// extents so that its first displacement lies in (−L, L) along every axis.
// The translation changes neither the sites nor the order of the
// translations; after Validate, every displacement then lies in (−3L/2, 3L/2).
func newIpat(l *Lattice, t int, j float64, p [][]int) ipat {
	dim := l.Dim()
	q := ipat{term: t, j: j, n: len(p), d: make([]int, len(p)*dim)}
	for a, e := range l.ext {
		r := p[0][a] % e
		for k, d := range p {
			// |d[a] − p[0][a]| ≤ e/2 after Validate: no overflow
			q.d[k*dim+a] = r + (d[a] - p[0][a])
		}
	}
	return q
}

// disp returns displacement k of p.
func (p *ipat) disp(k, dim int) []int { return p.d[k*dim : (k+1)*dim : (k+1)*dim] }

// span returns the largest extent of p along one axis.
func (p *ipat) span(dim int) int {
	s := 0
	for a := range dim {
		lo, hi := p.d[a], p.d[a]
		for k := 1; k < p.n; k++ {
			lo, hi = min(lo, p.d[k*dim+a]), max(hi, p.d[k*dim+a])
		}
		s = max(s, hi-lo)
	}
	return s
}

// nextRow advances the coordinates c[1:] to the next row in index order.
func nextRow(c, ext []int) {
	for a := 1; a < len(c); a++ {
		if c[a]++; c[a] < ext[a] {
			return
		}
		c[a] = 0
	}
}

// NewNearestNeighborIsing returns H = −J Σ_<ij> s_i s_j on l.
func NewNearestNeighborIsing(l *Lattice, J float64) (*Ising, error) {
	if l == nil {
		return nil, errors.New("lattice: Ising needs a lattice")
	}
	return NewIsing(l, Term{Op: NearestNeighbor(l.Dim()), J: J})
}

// Lattice returns the underlying lattice.
func (m *Ising) Lattice() *Lattice { return m.lat }

// Terms returns a copy of the couplings.
func (m *Ising) Terms() []Term { return append([]Term(nil), m.terms...) }

// Geometry implements Model.
func (m *Ising) Geometry() *Geometry { return m.lat.geom }

// States implements Model: {−1, +1}.
func (m *Ising) States() []int8 { return []int8{-1, 1} }

// Range implements Ranged: the largest periodic distance along one axis
// between two spins of any coupling (the largest span of a pattern, which
// Validate bounds by half the extent).
func (m *Ising) Range() int { return m.rng }

func (m *Ising) check(x []int8) {
	if len(x) != m.lat.n {
		panic(fmt.Sprintf("lattice: Ising configuration of length %d, want %d", len(x), m.lat.n))
	}
}

// Energy implements Model. It walks every translation of every pattern:
// O(N · number of displacements) time, no allocation for patterns of up to
// eight spins.
func (m *Ising) Energy(x []int8) float64 {
	m.check(x)
	var e float64
	pi := 0
	for t, term := range m.terms {
		sum := 0
		for ; pi < len(m.pats) && m.pats[pi].term == t; pi++ {
			var buf walkerBuf
			w := newWalker(m.lat, &m.pats[pi], &buf)
			for w.nextRow() {
				for x0 := 0; x0 < w.e0; x0++ {
					p := int8(1)
					for k := range w.row {
						p *= x[w.site(k, x0)]
					}
					sum += int(p)
				}
			}
		}
		e -= term.J * float64(sum)
	}
	return e
}

// walker visits the translations of a pattern in index order, row by row
// (a row is a line of sites along axis 0): for the current row it holds the
// row offset of every displacement, so that only the x coordinate wraps
// inside a row.
type walker struct {
	l    *Lattice
	p    *ipat
	e0   int
	d0   []int // x component of each displacement, reduced into [0, e0)
	row  []int // row offset of each displacement for the current row
	c    []int // coordinates of the current row (c[0] unused)
	base int   // index of the first site of the current row; −1 before the first
}

// walkerSpins is the pattern size up to which a walker allocates nothing.
const walkerSpins = 8

// walkerBuf is the storage of a walker on its caller's stack.
type walkerBuf struct {
	c  [maxDim]int
	kb [2 * walkerSpins]int
}

// newWalker starts a walk of the translations of p, keeping its state in buf.
func newWalker(l *Lattice, p *ipat, buf *walkerBuf) walker {
	dim := l.Dim()
	w := walker{l: l, p: p, e0: l.ext[0], c: buf.c[:dim], base: -1}
	if p.n <= walkerSpins {
		w.d0, w.row = buf.kb[:p.n], buf.kb[walkerSpins:walkerSpins+p.n]
	} else {
		w.d0, w.row = make([]int, p.n), make([]int, p.n)
	}
	for k := range p.n {
		w.d0[k] = mod(p.d[k*dim], w.e0)
	}
	return w
}

// nextRow moves to the next row and reports whether there is one.
func (w *walker) nextRow() bool {
	if w.base < 0 {
		w.base = 0
	} else {
		w.base += w.e0
		nextRow(w.c, w.l.ext)
	}
	if w.base >= w.l.n {
		return false
	}
	dim := len(w.c)
	for k := range w.row {
		off := 0
		for a := 1; a < dim; a++ {
			off += mod(w.c[a]+w.p.d[k*dim+a], w.l.ext[a]) * w.l.str[a]
		}
		w.row[k] = off
	}
	return true
}

// site returns the site of displacement k at the translation x0 of the
// current row.
func (w *walker) site(k, x0 int) int {
	j := x0 + w.d0[k]
	if j >= w.e0 {
		j -= w.e0
	}
	return w.row[k] + j
}

// mod returns v mod e in [0, e).
func mod(v, e int) int {
	v %= e
	if v < 0 {
		v += e
	}
	return v
}

// LocalField returns Σ_α J_α ∂O_α/∂s_i, the field conjugate to s_i, so that
// flipping s_i changes the energy by 2 s_i LocalField(x, i). The terms are
// summed in the order of the couplings, their patterns and the translations
// that produce them. It does not allocate.
func (m *Ising) LocalField(x []int8, i int) float64 {
	t := &m.field
	c := t.interior
	if t.inner == nil || t.inner[i>>6]>>(i&63)&1 == 0 {
		c = t.classOf(i)
	}
	var f float64
	for _, e := range t.ents[c*t.nent : (c+1)*t.nent] {
		p := int8(1)
		for _, o := range t.offs[e.lo:e.hi] {
			p *= x[i+int(o)]
		}
		f += e.j * float64(p)
	}
	return f
}

// DeltaE implements Model.
func (m *Ising) DeltaE(x []int8, i int, v int8) float64 {
	m.check(x)
	if v != 1 && v != -1 {
		panic(fmt.Sprintf("lattice: Ising spin value %d", v))
	}
	if x[i] == v {
		return 0
	}
	return 2 * float64(x[i]) * m.LocalField(x, i)
}

// Bond is a pair coupling −K s_I s_J.
type Bond struct {
	I, J int32
	K    float64
}

// PairCouplings returns the couplings as explicit bonds (i, j, J) with i < j
// if every term is a two-spin product; bonds between the same pair from
// different patterns or terms are merged (their couplings added in term and
// pattern order). It reports ok = false if any term has another order
// (field, plaquette, …). The list is built on each call: 16 bytes per bond,
// O(bonds) time.
//
// Order: bonds appear in the order in which the translations of the
// patterns first produce them — pattern by pattern (in term order), for
// every pattern that couples a new class of pairs, by increasing
// translation x.
func (m *Ising) PairCouplings() (bonds []Bond, ok bool) {
	for _, p := range m.pats {
		if p.n != 2 {
			return nil, false
		}
	}
	classes := m.pairClasses()
	total := 0
	for _, c := range classes {
		if c.self >= 0 {
			total += m.lat.n / 2
		} else {
			total += m.lat.n
		}
	}
	bonds = make([]Bond, 0, total)
	for _, c := range classes {
		var buf walkerBuf
		w := newWalker(m.lat, &m.pats[c.first], &buf)
		for w.nextRow() {
			for x0 := 0; x0 < w.e0; x0++ {
				// a bond of a self-conjugate class (2r ≡ 0) is also produced
				// by the translation x + r; keep the smaller of the two, the
				// one with the smaller coordinate on the highest axis where
				// r ≠ 0
				if a := c.self; a >= 0 {
					x := x0
					if a > 0 {
						x = w.c[a]
					}
					if x >= m.lat.ext[a]/2 {
						continue
					}
				}
				u, v := int32(w.site(0, x0)), int32(w.site(1, x0))
				bonds = append(bonds, Bond{I: min(u, v), J: max(u, v), K: c.k})
			}
		}
	}
	return bonds, true
}

// pairClass is a set of pair patterns that produce the same bonds: their
// displacements r = d_1 − d_0 agree up to sign modulo the extents.
type pairClass struct {
	key   []int   // r reduced modulo the extents, the smaller of ±r
	first int     // first pattern of the class
	self  int     // highest axis with r ≠ 0 if r ≡ −r (every bond produced twice), else −1
	k     float64 // coupling of every bond of the class
}

// pairClasses groups the pair patterns of m into classes in order of first
// appearance, adding up each class's coupling as the bonds see it: J of
// every pattern in the class, twice for a self-conjugate class, in pattern
// order.
func (m *Ising) pairClasses() []pairClass {
	dim := m.lat.Dim()
	var classes []pairClass
	r, neg := make([]int, dim), make([]int, dim)
	for pi := range m.pats {
		p := &m.pats[pi]
		self := -1
		for a, e := range m.lat.ext {
			r[a] = mod(p.d[dim+a]-p.d[a], e)
			neg[a] = mod(-r[a], e)
			if r[a] != 0 {
				self = a
			}
		}
		if !slices.Equal(r, neg) {
			self = -1
		}
		key := r
		if slices.Compare(neg, r) < 0 {
			key = neg
		}
		ci := slices.IndexFunc(classes, func(c pairClass) bool { return slices.Equal(c.key, key) })
		if ci < 0 {
			classes = append(classes, pairClass{key: slices.Clone(key), first: pi, self: self})
			ci = len(classes) - 1
		}
		classes[ci].k += p.j
		if self >= 0 {
			classes[ci].k += p.j
		}
	}
	return classes
}

// fieldTable holds the local-field entries of every class of sites. Two
// sites share a class if the couplings reach the same relative positions
// from both after periodic wrap: along every axis a site is either interior
// (no coupling reaches across the boundary from it) or at one of the few
// coordinates near an edge from which some coupling does. Within a class the
// spins coupled to site i sit at i plus fixed offsets, and the translations
// that produce them come in a fixed order, so one list of entries serves the
// whole class. For couplings spanning r_a sites there are at most
// Π_a (2r_a + 1) classes, independent of the lattice size; an axis whose
// margins cover it makes every coordinate along it its own class (long
// couplings on small lattices), which bounds the tables by what per-site
// tables would cost.
type fieldTable struct {
	inner    []uint64 // bit i: site i is interior along every axis; nil if no site is
	interior int      // class of the interior sites
	ext      []int
	nlo, nhi []int  // per axis: edge coordinates at the low and high end from which couplings wrap
	full     []bool // per axis: every coordinate is its own class
	cstr     []int  // class strides
	nent     int    // entries per class
	ents     []ient // nent per class
	offs     []int32
}

// ient is one local-field entry: a coupling times the product of the spins
// at i + offs[lo:hi].
type ient struct {
	j      float64
	lo, hi int32
}

// newFieldTable tabulates the local-field entries of every class of sites of
// the patterns pats on l.
func newFieldTable(l *Lattice, pats []ipat) fieldTable {
	dim := l.Dim()
	t := fieldTable{ext: l.ext, nlo: make([]int, dim), nhi: make([]int, dim), full: make([]bool, dim), cstr: make([]int, dim)}
	// the offsets a site sees: −d_k to the translation, d_m − d_k to the spins
	for pi := range pats {
		p := &pats[pi]
		t.nent += p.n
		for k := range p.n {
			dk := p.disp(k, dim)
			for a := range dim {
				t.nlo[a], t.nhi[a] = max(t.nlo[a], dk[a]), max(t.nhi[a], -dk[a])
				for mm := range p.n {
					v := p.d[mm*dim+a] - dk[a]
					t.nlo[a], t.nhi[a] = max(t.nlo[a], -v), max(t.nhi[a], v)
				}
			}
		}
	}
	classes, anyFull := 1, false
	for a, e := range l.ext {
		n := t.nlo[a] + t.nhi[a] + 1
		if n >= e {
			t.full[a], n, anyFull = true, e, true
		}
		t.cstr[a] = classes
		classes *= n
	}
	var cb [maxDim]int
	c := cb[:dim]
	for k := range classes {
		t.representative(k, c)
		t.appendEntries(l, pats, c)
	}
	if !anyFull {
		for a := range dim {
			t.interior += t.nlo[a] * t.cstr[a]
		}
		t.inner = t.interiorMask(l)
	}
	return t
}

// classes returns the number of classes along axis a.
func (t *fieldTable) classes(a int) int {
	if t.full[a] {
		return t.ext[a]
	}
	return t.nlo[a] + t.nhi[a] + 1
}

// representative writes the coordinates of one site of class k into c.
func (t *fieldTable) representative(k int, c []int) {
	for a, e := range t.ext {
		ka := k / t.cstr[a] % t.classes(a)
		switch {
		case t.full[a] || ka <= t.nlo[a]:
			c[a] = ka
		default:
			c[a] = e - t.nhi[a] + (ka - t.nlo[a] - 1)
		}
	}
}

// classOf returns the class of site i.
func (t *fieldTable) classOf(i int) int {
	k := 0
	for a, e := range t.ext {
		c := i % e
		i /= e
		switch {
		case t.full[a] || c < t.nlo[a]:
		case c > e-1-t.nhi[a]:
			c = t.nlo[a] + 1 + c - (e - t.nhi[a])
		default:
			c = t.nlo[a]
		}
		k += c * t.cstr[a]
	}
	return k
}

// appendEntries appends the entries of the site at coordinates c: for every
// pattern, the translations x_k = c − d_k that put displacement k on the
// site, in ascending order of x_k, each with the offsets of the other spins
// of its instance.
func (t *fieldTable) appendEntries(l *Lattice, pats []ipat, c []int) {
	dim := l.Dim()
	i := l.wrapSite(c, nil, nil)
	for pi := range pats {
		p := &pats[pi]
		xs := make([]int, p.n)
		order := make([]int, p.n)
		for k := range p.n {
			xs[k], order[k] = l.wrapSite(c, p.disp(k, dim), nil), k
		}
		slices.SortFunc(order, func(u, v int) int { return xs[u] - xs[v] })
		for _, k := range order {
			e := ient{j: p.j, lo: int32(len(t.offs))}
			for mm := range p.n {
				if mm != k {
					t.offs = append(t.offs, int32(l.wrapSite(c, p.disp(k, dim), p.disp(mm, dim))-i))
				}
			}
			e.hi = int32(len(t.offs))
			t.ents = append(t.ents, e)
		}
	}
}

// interiorMask returns one bit per site, set for the sites of the interior
// class: nlo[a] ≤ x_a ≤ L_a−1−nhi[a] along every axis.
func (t *fieldTable) interiorMask(l *Lattice) []uint64 {
	mask := make([]uint64, (l.n+63)/64)
	e0 := l.ext[0]
	var cb [maxDim]int
	c := cb[:l.Dim()]
	for base := 0; base < l.n; base += e0 {
		in := true
		for a := 1; a < len(c); a++ {
			in = in && c[a] >= t.nlo[a] && c[a] <= l.ext[a]-1-t.nhi[a]
		}
		if in {
			setBits(mask, base+t.nlo[0], base+e0-t.nhi[0])
		}
		nextRow(c, l.ext)
	}
	return mask
}

// setBits sets bits [from, to) of mask.
func setBits(mask []uint64, from, to int) {
	for from < to {
		w, b := from>>6, from&63
		n := min(64-b, to-from)
		mask[w] |= (^uint64(0) >> (64 - n)) << b
		from += n
	}
}

// wrapSite returns the site at coordinates c − sub + add (sub and add may be
// nil), wrapped periodically.
func (l *Lattice) wrapSite(c, sub, add []int) int {
	j := 0
	for a, e := range l.ext {
		v := c[a]
		if sub != nil {
			v -= sub[a]
		}
		if add != nil {
			v += add[a]
		}
		j += mod(v, e) * l.str[a]
	}
	return j
}

// NearestNeighborJ reports whether the couplings of m are exactly the
// nearest-neighbour bonds of its lattice with one coupling J (any sign) and
// nothing else, whatever operators express them, and returns J. Across an
// extent of 2 each neighbouring pair is bonded twice (K = 2J in
// PairCouplings). It costs O(number of patterns): samplers use it to choose
// their nearest-neighbour fast paths without listing bonds.
func (m *Ising) NearestNeighborJ() (J float64, ok bool) {
	for _, p := range m.pats {
		if p.n != 2 {
			return 0, false
		}
	}
	classes := m.pairClasses()
	if len(classes) != m.lat.Dim() {
		return 0, false
	}
	seen := make([]bool, m.lat.Dim())
	for k, c := range classes {
		axis := -1
		for a, x := range c.key {
			switch {
			case x == 0:
			case x == 1 && axis < 0:
				axis = a
			default:
				return 0, false
			}
		}
		if axis < 0 || seen[axis] {
			return 0, false
		}
		seen[axis] = true
		mult := 1.0
		if c.self >= 0 {
			mult = 2
		}
		if k == 0 {
			J = c.k / mult
		}
		if c.k != J*mult {
			return 0, false
		}
	}
	return J, true
}
