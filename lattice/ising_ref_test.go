package lattice

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refIsing is the table-per-site Ising model the package used before the
// index-arithmetic one: every instance of every pattern listed explicitly,
// local fields as per-site entries appended in translation order, pair
// couplings merged through a map. It is the reference the compact model must
// reproduce bit for bit.
type refIsing struct {
	n      int
	terms  []Term
	inst   [][]int32
	isz    [][]int32
	eStart []int32
	eJ     []float64
	oStart []int32
	others []int32
}

func newRefIsing(l *Lattice, terms ...Term) *refIsing {
	m := &refIsing{n: l.N(), terms: terms}
	type ent struct {
		j      float64
		others []int32
	}
	perSite := make([][]ent, l.N())
	for _, term := range terms {
		sites, sizes := term.Op.instances(l)
		m.inst = append(m.inst, sites)
		m.isz = append(m.isz, sizes)
		off := 0
		for _, k := range sizes {
			g := sites[off : off+int(k)]
			for p, i := range g {
				o := append(append([]int32(nil), g[:p]...), g[p+1:]...)
				perSite[i] = append(perSite[i], ent{term.J, o})
			}
			off += int(k)
		}
	}
	m.eStart = make([]int32, l.N()+1)
	for i, es := range perSite {
		for _, e := range es {
			m.eJ = append(m.eJ, e.j)
			m.oStart = append(m.oStart, int32(len(m.others)))
			m.others = append(m.others, e.others...)
		}
		m.eStart[i+1] = int32(len(m.eJ))
	}
	m.oStart = append(m.oStart, int32(len(m.others)))
	return m
}

func (m *refIsing) energy(x []int8) float64 {
	var e float64
	for t, term := range m.terms {
		sites, sizes := m.inst[t], m.isz[t]
		sum, off := 0, 0
		for _, k := range sizes {
			p := int8(1)
			for _, i := range sites[off : off+int(k)] {
				p *= x[i]
			}
			sum += int(p)
			off += int(k)
		}
		e -= term.J * float64(sum)
	}
	return e
}

func (m *refIsing) localField(x []int8, i int) float64 {
	var f float64
	for e := m.eStart[i]; e < m.eStart[i+1]; e++ {
		p := int8(1)
		for _, j := range m.others[m.oStart[e]:m.oStart[e+1]] {
			p *= x[j]
		}
		f += m.eJ[e] * float64(p)
	}
	return f
}

func (m *refIsing) pairCouplings() (bonds []Bond, ok bool) {
	acc := map[[2]int32]float64{}
	var order [][2]int32
	for t, term := range m.terms {
		sites, sizes := m.inst[t], m.isz[t]
		off := 0
		for _, k := range sizes {
			if k != 2 {
				return nil, false
			}
			a, b := sites[off], sites[off+1]
			if a > b {
				a, b = b, a
			}
			key := [2]int32{a, b}
			if _, seen := acc[key]; !seen {
				order = append(order, key)
			}
			acc[key] += term.J
			off += 2
		}
	}
	for _, k := range order {
		bonds = append(bonds, Bond{I: k[0], J: k[1], K: acc[k]})
	}
	return bonds, true
}

// randomPattern returns a pattern of n distinct displacements on l whose span
// along every axis is at most half the extent, shifted by a random offset
// (possibly far outside the box).
func randomPattern(l *Lattice, n int, r *rand.Rand) [][]int {
	ext := l.Extents()
	for {
		p := make([][]int, n)
		shift := make([]int, len(ext))
		for a, e := range ext {
			shift[a] = r.IntN(6*e) - 3*e
		}
		for k := range p {
			p[k] = make([]int, len(ext))
			for a, e := range ext {
				p[k][a] = shift[a] + r.IntN(e/2+1)
			}
		}
		if (Operator{Name: "random", Patterns: [][][]int{p}}).Validate(l) == nil {
			return p
		}
	}
}

// randomTerms returns 1–4 terms of random operators (1–3 patterns of 1–4
// spins, or pairs only) with couplings that do not add up exactly in
// floating point.
func randomTerms(l *Lattice, pairsOnly bool, r *rand.Rand) []Term {
	js := []float64{0.1, -0.37, 0.2, 1.3, -0.7, 0.45}
	terms := make([]Term, 1+r.IntN(4))
	for t := range terms {
		op := Operator{Name: "random"}
		for range 1 + r.IntN(3) {
			n := 2
			if !pairsOnly {
				n = 1 + r.IntN(4)
			}
			room := 1 // displacements available within half the extents
			for _, e := range l.Extents() {
				room *= e/2 + 1
			}
			n = min(n, room)
			op.Patterns = append(op.Patterns, randomPattern(l, n, r))
		}
		terms[t] = Term{Op: op, J: js[r.IntN(len(js))]}
	}
	return terms
}

// bruteRange is the largest periodic distance along one axis between two
// spins of a pattern.
func bruteRange(l *Lattice, terms []Term) int {
	rng := 0
	for _, t := range terms {
		for _, p := range t.Op.Patterns {
			for _, u := range p {
				for _, v := range p {
					for a, e := range l.Extents() {
						d := mod(u[a]-v[a], e)
						rng = max(rng, min(d, e-d))
					}
				}
			}
		}
	}
	return rng
}

// TestIsingMatchesReference checks the compact model against the per-site
// tables bit for bit: local fields (summation order included), energies,
// pair couplings (order and merged couplings) and the range, on random
// operators and lattices with extents 2 to 9 in one to three dimensions.
func TestIsingMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	shapes := [][]int{{2}, {5}, {8}, {2, 2}, {2, 5}, {4, 4}, {5, 7}, {8, 3}, {2, 3, 4}, {4, 4, 4}, {9, 2, 3}}
	for trial := range 120 {
		ext := shapes[trial%len(shapes)]
		l, err := NewLattice(ext...)
		if err != nil {
			t.Fatal(err)
		}
		terms := randomTerms(l, trial%3 == 0, r)
		m, err := NewIsing(l, terms...)
		if err != nil {
			t.Fatalf("%v: %v", ext, err)
		}
		ref := newRefIsing(l, terms...)
		if got, want := m.Range(), bruteRange(l, terms); got != want {
			t.Errorf("%v %v: Range %d, want %d", ext, terms, got, want)
		}
		for range 3 {
			x := randomConfig(l.N(), r)
			if got, want := m.Energy(x), ref.energy(x); got != want {
				t.Fatalf("%v %v: Energy %v, reference %v", ext, terms, got, want)
			}
			for i := range x {
				got, want := m.LocalField(x, i), ref.localField(x, i)
				if math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("%v %v site %d: LocalField %v, reference %v", ext, terms, i, got, want)
				}
			}
		}
		got, okGot := m.PairCouplings()
		want, okWant := ref.pairCouplings()
		if okGot != okWant || len(got) != len(want) {
			t.Fatalf("%v %v: PairCouplings %d bonds ok=%v, reference %d ok=%v", ext, terms, len(got), okGot, len(want), okWant)
		}
		for k := range got {
			if got[k].I != want[k].I || got[k].J != want[k].J || math.Float64bits(got[k].K) != math.Float64bits(want[k].K) {
				t.Fatalf("%v %v: bond %d = %+v, reference %+v", ext, terms, k, got[k], want[k])
			}
		}
	}
}

// TestStandardModelsMatchReference runs the same comparison on the standard
// operators at sizes where most sites are interior.
func TestStandardModelsMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, ext := range [][]int{{16}, {130}, {12, 10}, {70, 5}, {6, 6, 6}} {
		l, _ := NewLattice(ext...)
		d := len(ext)
		terms := []Term{{NearestNeighbor(d), 0.1}, {NextNearest(d), -0.37}, {Field(d), 0.2}}
		if d > 1 {
			terms = append(terms, Term{Plaquette(d), 0.45})
		}
		m, err := NewIsing(l, terms...)
		if err != nil {
			t.Fatal(err)
		}
		ref := newRefIsing(l, terms...)
		x := randomConfig(l.N(), r)
		for i := range x {
			if got, want := m.LocalField(x, i), ref.localField(x, i); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("%v site %d: LocalField %v, reference %v", ext, i, got, want)
			}
		}
		pm, _ := NewIsing(l, terms[:2]...)
		got, _ := pm.PairCouplings()
		want, _ := newRefIsing(l, terms[:2]...).pairCouplings()
		if len(got) != len(want) {
			t.Fatalf("%v: %d bonds, reference %d", ext, len(got), len(want))
		}
		for k := range got {
			if got[k] != want[k] {
				t.Fatalf("%v: bond %d = %+v, reference %+v", ext, k, got[k], want[k])
			}
		}
	}
}
