package main

import (
	"fmt"

	"github.com/rsmi-go/rsmi/lattice"
)

// Antiferromagnet is the user-defined Hamiltonian of this example: the
// nearest-neighbour Ising antiferromagnet on an L×L torus,
//
//	H = J Σ_⟨ij⟩ s_i s_j,   J > 0,
//
// written only against the public interfaces lattice.Model and
// lattice.Ranged — nothing here comes from lattice.Ising. Sites sit at
// (x, y), dof index x + L·y (x fastest), the same geometry as
// lattice.NewSquare(L), so data written by the other examples and by NumPy
// in (n, L, L) order fit it.
//
// On a bipartite lattice (L even) the gauge transformation
// s_i → (−1)^(x+y) s_i maps the antiferromagnet onto the ferromagnet with
// the same |J|: the critical temperature is Onsager's
// T_c = 2J/ln(1+√2) ≈ 2.269185 J, and the order parameter is the staggered
// magnetization m_s = (1/N) Σ_i (−1)^(x+y) s_i. RSMI knows none of this.
type Antiferromagnet struct {
	L    int
	J    float64
	geom *lattice.Geometry
	nbr  []int32 // 4 neighbours per site: +x, −x, +y, −y
}

// NewAntiferromagnet returns the model on an L×L torus; L must be even
// (otherwise the periodic boundary frustrates the Néel state) and at least 4.
func NewAntiferromagnet(L int, J float64) (*Antiferromagnet, error) {
	if L < 4 || L%2 != 0 {
		return nil, fmt.Errorf("custommodel: L = %d, want an even size ≥ 4", L)
	}
	if !(J > 0) {
		return nil, fmt.Errorf("custommodel: J = %v, want J > 0 (antiferromagnetic)", J)
	}
	coords := make([][]int, L*L)
	for i := range coords {
		coords[i] = []int{i % L, i / L}
	}
	g, err := lattice.NewGeometry([]int{L, L}, coords)
	if err != nil {
		return nil, err
	}
	m := &Antiferromagnet{L: L, J: J, geom: g, nbr: make([]int32, 4*L*L)}
	for i := range coords {
		x, y := i%L, i/L
		m.nbr[4*i+0] = int32(g.At(x+1, y))
		m.nbr[4*i+1] = int32(g.At(x-1, y))
		m.nbr[4*i+2] = int32(g.At(x, y+1))
		m.nbr[4*i+3] = int32(g.At(x, y-1))
	}
	return m, nil
}

// Geometry implements lattice.Model.
func (m *Antiferromagnet) Geometry() *lattice.Geometry { return m.geom }

// States implements lattice.Model: Ising spins.
func (m *Antiferromagnet) States() []int8 { return []int8{-1, 1} }

// Energy implements lattice.Model: J Σ over the 2N bonds (+x and +y of every site).
func (m *Antiferromagnet) Energy(x []int8) float64 {
	m.check(x)
	var sum int
	for i, s := range x {
		sum += int(s) * int(x[m.nbr[4*i]]+x[m.nbr[4*i+2]])
	}
	return m.J * float64(sum)
}

// DeltaE implements lattice.Model: setting s_i to v changes the energy by
// J (v − s_i) Σ_j s_j over the four neighbours j of i.
func (m *Antiferromagnet) DeltaE(x []int8, i int, v int8) float64 {
	m.check(x)
	nb := m.nbr[4*i : 4*i+4 : 4*i+4]
	h := int(x[nb[0]]) + int(x[nb[1]]) + int(x[nb[2]]) + int(x[nb[3]])
	return m.J * float64(int(v-x[i])*h)
}

// Range implements lattice.Ranged: only nearest neighbours interact, so an
// environment shell of width 1 screens a block (the exact oracle checks it).
func (m *Antiferromagnet) Range() int { return 1 }

func (m *Antiferromagnet) check(x []int8) {
	if len(x) != len(m.nbr)/4 {
		panic(fmt.Sprintf("custommodel: configuration of length %d, want %d", len(x), len(m.nbr)/4))
	}
}

var (
	_ lattice.Model  = (*Antiferromagnet)(nil)
	_ lattice.Ranged = (*Antiferromagnet)(nil)
)
