package lattice

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
)

// MaxPottsStates is the largest number of states NewPotts accepts: the states
// 0 … q−1 are int8 values.
const MaxPottsStates = 127

// Potts is the q-state Potts model with nearest-neighbour coupling J and an
// optional field h on state 0, on a periodic Lattice of any dimension:
//
//	H(σ) = −J Σ_<ij> δ(σ_i, σ_j) − h Σ_i δ(σ_i, 0),   σ_i ∈ {0, 1, …, q−1}.
//
// J > 0 is the ferromagnet. The sum over <ij> runs over the lattice's
// nearest-neighbour bonds; across an extent of 2 the two neighbours ±x of a
// site coincide and both bonds are kept (as for Ising on such a torus).
//
// For q = 2, δ(σ, σ') = (1 + s s')/2 with s = 1 − 2σ = ±1, so
// H = −(J/2) Σ_<ij> s_i s_j − (h/2) Σ_i s_i − const: the Ising model with
// coupling J/2 and field h/2. Potts implements Model and Ranged.
type Potts struct {
	lat  *Lattice
	q    int
	j, h float64
	z    int          // neighbour-table entries per site
	root []complex128 // e^{2πik/q}
}

// NewPotts returns the q-state Potts model H = −J Σ_<ij> δ(σ_i, σ_j) on l. It
// returns an error if l is nil, q is outside [2, MaxPottsStates] or J is not
// finite.
func NewPotts(l *Lattice, q int, J float64) (*Potts, error) {
	return NewPottsField(l, q, J, 0)
}

// NewPottsField returns the q-state Potts model with a field h on state 0,
// H = −J Σ_<ij> δ(σ_i, σ_j) − h Σ_i δ(σ_i, 0). It validates like NewPotts and
// also requires a finite h.
func NewPottsField(l *Lattice, q int, J, h float64) (*Potts, error) {
	if l == nil {
		return nil, errors.New("lattice: Potts needs a lattice")
	}
	if q < 2 || q > MaxPottsStates {
		return nil, fmt.Errorf("lattice: Potts q = %d is outside [2, %d]", q, MaxPottsStates)
	}
	if !finite(J) {
		return nil, fmt.Errorf("lattice: Potts coupling J = %v is not finite", J)
	}
	if !finite(h) {
		return nil, fmt.Errorf("lattice: Potts field h = %v is not finite", h)
	}
	m := &Potts{lat: l, q: q, j: J, h: h, z: 2 * l.Dim(), root: make([]complex128, q)}
	for k := range m.root {
		m.root[k] = cmplx.Rect(1, 2*math.Pi*float64(k)/float64(q))
	}
	return m, nil
}

// Lattice returns the underlying lattice.
func (m *Potts) Lattice() *Lattice { return m.lat }

// Q returns the number of states.
func (m *Potts) Q() int { return m.q }

// J returns the nearest-neighbour coupling.
func (m *Potts) J() float64 { return m.j }

// Field returns the field h on state 0.
func (m *Potts) Field() float64 { return m.h }

// Geometry implements Model.
func (m *Potts) Geometry() *Geometry { return m.lat.geom }

// States implements Model: 0, 1, …, q−1 (a fresh slice).
func (m *Potts) States() []int8 {
	s := make([]int8, m.q)
	for k := range s {
		s[k] = int8(k)
	}
	return s
}

// Range implements Ranged: 1 (nearest neighbours).
func (m *Potts) Range() int { return 1 }

func (m *Potts) check(x []int8) {
	if len(x) != m.lat.n {
		panic(fmt.Sprintf("lattice: Potts configuration of length %d, want %d", len(x), m.lat.n))
	}
}

// EqualBonds returns Σ_<ij> δ(σ_i, σ_j), the number of nearest-neighbour
// bonds whose two ends are in the same state (so that the coupling energy is
// −J·EqualBonds).
func (m *Potts) EqualBonds(x []int8) int {
	m.check(x)
	nbr, z := m.lat.table(), m.z
	half := 0 // every bond is seen from both ends
	for i, s := range x {
		for _, j := range nbr[i*z : i*z+z] {
			half += int(b2i(x[j] == s))
		}
	}
	return half / 2
}

// Count0 returns Σ_i δ(σ_i, 0), the number of sites in state 0 (the
// operator conjugate to the field).
func (m *Potts) Count0(x []int8) int {
	m.check(x)
	n := 0
	for _, s := range x {
		n += int(b2i(s == 0))
	}
	return n
}

// Energy implements Model.
func (m *Potts) Energy(x []int8) float64 {
	e := -m.j * float64(m.EqualBonds(x))
	if m.h != 0 {
		e -= m.h * float64(m.Count0(x))
	}
	return e
}

// DeltaE implements Model. It panics if x has the wrong length or v is not a
// state.
func (m *Potts) DeltaE(x []int8, i int, v int8) float64 {
	m.check(x)
	if v < 0 || int(v) >= m.q {
		panic(fmt.Sprintf("lattice: Potts state %d outside [0, %d)", v, m.q))
	}
	s := x[i]
	if s == v {
		return 0
	}
	d := 0 // change of EqualBonds
	for _, j := range m.lat.table()[i*m.z : i*m.z+m.z] {
		d += int(b2i(x[j] == v)) - int(b2i(x[j] == s))
	}
	dE := -m.j * float64(d)
	if m.h != 0 {
		dE -= m.h * float64(int(b2i(v == 0))-int(b2i(s == 0)))
	}
	return dE
}

// Magnetization returns the Potts order parameter per site,
//
//	m = (1/N) Σ_i e^{2πiσ_i/q},
//
// which vanishes in the disordered phase and has |m| → 1 in an ordered one.
// |m|² and |m|⁴ are the moments whose ratio gives the Binder cumulant; for
// q = 2 its real part is the Ising magnetization of s = 1 − 2σ. It does not
// allocate; it panics if x has the wrong length or a value outside the states.
func (m *Potts) Magnetization(x []int8) complex128 {
	m.check(x)
	var cnt [MaxPottsStates]int
	for i, s := range x {
		if s < 0 || int(s) >= m.q {
			panic(fmt.Sprintf("lattice: Potts site %d has state %d outside [0, %d)", i, s, m.q))
		}
		cnt[s]++
	}
	var sum complex128
	for k, c := range cnt[:m.q] {
		sum += complex(float64(c), 0) * m.root[k]
	}
	return sum / complex(float64(len(x)), 0)
}

// b2i returns 1 for true and 0 for false.
func b2i(b bool) uint8 {
	var u uint8
	if b {
		u = 1
	}
	return u
}

// PottsSquareTc returns the exact critical temperature of the q-state
// ferromagnetic Potts model on the square lattice,
//
//	T_c = J / ln(1 + √q)
//
// (self-duality, Potts 1952; Baxter 1973): 1.134593 J for q = 2 (Onsager's
// point 2/ln(1+√2)·K_Ising at K_Ising = J/2), 0.994973 J for q = 3 and
// 0.910239 J for q = 4. The transition is continuous for q ≤ 4 and first order for
// q > 4. It returns NaN for q < 1 or J not finite and positive.
func PottsSquareTc(q int, J float64) float64 {
	if q < 1 || !(J > 0) || math.IsInf(J, 1) {
		return math.NaN()
	}
	return J / math.Log1p(math.Sqrt(float64(q)))
}

// PottsExponents2D returns the exact critical exponents ν (correlation
// length, ν = 1/y_t) and y_h (magnetic scaling dimension,
// y_h = (d + 2 − η)/2 = 2 − η/2) of the two-dimensional q-state Potts model, known
// from the Coulomb gas and conformal field theory (den Nijs 1979; Nienhuis
// 1982; Dotsenko 1984; see Wu 1982, Nienhuis 1987):
//
//	q = 2 (Ising):  ν = 1,    y_h = 15/8   (η = 1/4)
//	q = 3:          ν = 5/6,  y_h = 28/15  (η = 4/15)
//	q = 4:          ν = 2/3,  y_h = 15/8   (η = 1/4, with logarithmic corrections)
//
// ok is false for any other q (q > 4 has a first-order transition).
func PottsExponents2D(q int) (nu, yh float64, ok bool) {
	switch q {
	case 2:
		return 1, 15.0 / 8, true
	case 3:
		return 5.0 / 6, 28.0 / 15, true
	case 4:
		return 2.0 / 3, 15.0 / 8, true
	}
	return math.NaN(), math.NaN(), false
}
