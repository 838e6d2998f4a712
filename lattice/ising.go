package lattice

import (
	"errors"
	"fmt"
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
// products. It implements Model and Ranged.
type Ising struct {
	lat   *Lattice
	terms []Term
	rng   int

	// per-term instance tables for Energy
	inst [][]int32 // per term: flat site groups
	isz  [][]int32 // per term: group sizes
	// per-site local field entries for DeltaE: for site i, entries
	// eStart[i]..eStart[i+1]; entry e has coupling eJ[e] and other sites
	// others[oStart[e]:oStart[e+1]].
	eStart []int32
	eJ     []float64
	oStart []int32
	others []int32
}

// NewIsing returns the Ising model on l with the given couplings. Every
// operator must be valid on l (see Operator.Validate) and every J finite;
// at least one term is required.
func NewIsing(l *Lattice, terms ...Term) (*Ising, error) {
	if l == nil {
		return nil, errors.New("lattice: Ising needs a lattice")
	}
	if len(terms) == 0 {
		return nil, errors.New("lattice: Ising needs at least one coupling")
	}
	m := &Ising{lat: l, terms: make([]Term, len(terms))}
	type ent struct {
		j      float64
		others []int32
	}
	perSite := make([][]ent, l.N())
	for t, term := range terms {
		if err := term.Op.Validate(l); err != nil {
			return nil, err
		}
		if !finite(term.J) {
			return nil, fmt.Errorf("lattice: coupling %q has non-finite J = %v", term.Op.Name, term.J)
		}
		m.terms[t] = term
		for _, p := range term.Op.Patterns {
			for _, d := range p {
				for a, x := range d {
					if x < 0 {
						x = -x
					}
					// periodic distance
					if e := l.ext[a]; x > e/2 {
						x = e - x%e
					}
					m.rng = max(m.rng, x)
				}
			}
		}
		sites, sizes := term.Op.instances(l)
		m.inst = append(m.inst, sites)
		m.isz = append(m.isz, sizes)
		off := 0
		for _, k := range sizes {
			g := sites[off : off+int(k)]
			for p, i := range g {
				o := make([]int32, 0, k-1)
				o = append(o, g[:p]...)
				o = append(o, g[p+1:]...)
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
	return m, nil
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
// between two spins of any coupling.
func (m *Ising) Range() int { return m.rng }

func (m *Ising) check(x []int8) {
	if len(x) != m.lat.n {
		panic(fmt.Sprintf("lattice: Ising configuration of length %d, want %d", len(x), m.lat.n))
	}
}

// Energy implements Model.
func (m *Ising) Energy(x []int8) float64 {
	m.check(x)
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

// LocalField returns Σ_α J_α ∂O_α/∂s_i, the field conjugate to s_i, so that
// flipping s_i changes the energy by 2 s_i LocalField(x, i).
func (m *Ising) LocalField(x []int8, i int) float64 {
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

// PairCouplings returns the couplings as explicit bonds (i, j, J) if every
// term is a two-spin product; bonds between the same pair from different
// patterns or terms are merged. It reports ok = false if any term has another
// order (field, plaquette, …).
func (m *Ising) PairCouplings() (bonds []Bond, ok bool) {
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

// Bond is a pair coupling −K s_I s_J.
type Bond struct {
	I, J int32
	K    float64
}
