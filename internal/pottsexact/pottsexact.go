// Package pottsexact computes exact thermodynamics of small q-state Potts
// models by enumerating all q^N configurations, the reference the Potts
// sampler tests compare against.
//
// Enumerate records the joint density of states g(B, n) — the number of
// configurations with B equal nearest-neighbour bonds and occupation numbers
// n = (n_0, …, n_{q−1}) — from which At evaluates, for any J, h and T,
//
//	Z = Σ g(B, n) exp((J·B + h·n_0)/T)
//
// and the energy, specific heat and moments of the order parameter
// m = (1/N) Σ_i e^{2πiσ_i/q}, |m|² = Σ_{a,b} n_a n_b cos(2π(a−b)/q)/N².
//
// Only configurations with σ_0 = 0 are visited: the cyclic relabelling
// σ → σ + c (mod q) maps them one to one onto those with σ_0 = c, keeping B
// and rotating n, so g is their sum over the q rotations. The 4×4 torus at
// q = 3 takes 3^15 ≈ 1.4·10^7 steps of an odometer that updates B and n
// incrementally (about 0.1 s).
package pottsexact

import (
	"fmt"
	"math"
)

// MaxStates bounds q^(N−1), the number of configurations Enumerate visits.
const MaxStates = 1 << 26

// DOS is the joint density of states of a Potts model on a fixed graph.
type DOS struct {
	Q, N     int
	MaxBonds int       // number of bonds (B ranges over 0…MaxBonds)
	stride   []int     // occupation key = Σ_{a<q−1} n_a·stride[a], radix N+1
	size     int       // number of occupation keys
	count    []float64 // [B*size + key]: number of configurations
}

// Enumerate returns the density of states of the q-state Potts model on the
// graph with n sites whose neighbour table nbr lists z = len(nbr)/n
// neighbours per site (every bond seen from both ends, as
// lattice.Lattice.NeighborTable; a neighbour listed twice is a double
// bond). It refuses q^(n−1) > MaxStates.
func Enumerate(q, n int, nbr []int32) (*DOS, error) {
	if q < 2 || n < 1 || len(nbr)%n != 0 {
		return nil, fmt.Errorf("pottsexact: bad graph: q = %d, n = %d, %d neighbour entries", q, n, len(nbr))
	}
	total := 1
	for range n - 1 {
		if total > MaxStates/q {
			return nil, fmt.Errorf("pottsexact: %d^%d configurations exceed %d", q, n-1, MaxStates)
		}
		total *= q
	}
	z := len(nbr) / n
	for i, j := range nbr {
		if j < 0 || int(j) >= n || int(j) == i/z {
			return nil, fmt.Errorf("pottsexact: neighbour %d of site %d outside [0, %d) or the site itself", j, i/z, n)
		}
	}
	d := &DOS{Q: q, N: n, MaxBonds: len(nbr) / 2, stride: make([]int, q-1), size: 1}
	for a := range d.stride {
		d.stride[a] = d.size
		d.size *= n + 1
		if d.size > MaxStates {
			return nil, fmt.Errorf("pottsexact: too many occupation classes at q = %d, n = %d", q, n)
		}
	}
	raw := d.enumerate(z, nbr)
	// add the q rotations σ → σ + r of the σ_0 = 0 histogram: n'_a = n_{a−r}
	d.count = make([]float64, len(raw))
	occ := make([]int, q)
	for key := 0; key < d.size; key++ {
		if !d.occupation(key, occ) {
			continue
		}
		for r := range q {
			rk := 0
			for a := range d.stride {
				rk += occ[(a-r+q)%q] * d.stride[a]
			}
			for b := 0; b <= d.MaxBonds; b++ {
				d.count[b*d.size+rk] += float64(raw[b*d.size+key])
			}
		}
	}
	return d, nil
}

// occupation decodes key into occ (n_0…n_{q−1}); false if it is not a
// valid occupation (the counts exceed N).
func (d *DOS) occupation(key int, occ []int) bool {
	rest := d.N
	for a, s := range d.stride {
		occ[a] = key / s % (d.N + 1)
		rest -= occ[a]
	}
	occ[d.Q-1] = rest
	return rest >= 0
}

// enumerate runs the odometer over σ_1…σ_{n−1} (σ_0 = 0) and returns the
// histogram over (equal bonds, occupation key).
func (d *DOS) enumerate(z int, nbr []int32) []uint64 {
	q, n, stride, size := d.Q, d.N, d.stride, d.size
	hist := make([]uint64, (d.MaxBonds+1)*size)
	x := make([]int8, n)
	// all sites in state 0: every bond equal, occupation n_0 = n
	b, key := d.MaxBonds, n*stride[0]
	// change sets site i from x[i] to v, updating b and key.
	change := func(i int, v int8) {
		s := x[i]
		delta := 0
		for _, j := range nbr[i*z : i*z+z] {
			if x[j] == v {
				delta++
			}
			if x[j] == s {
				delta--
			}
		}
		b += delta
		if int(s) < q-1 {
			key -= stride[s]
		}
		if int(v) < q-1 {
			key += stride[v]
		}
		x[i] = v
	}
	for {
		hist[b*size+key]++
		k := 1
		for ; k < n && int(x[k]) == q-1; k++ {
			change(k, 0)
		}
		if k == n {
			break
		}
		change(k, x[k]+1)
	}
	return hist
}

// Values are exact per-site observables at one temperature.
type Values struct {
	LnZ float64 // ln Z
	E   float64 // ⟨H⟩/N
	C   float64 // (⟨H²⟩ − ⟨H⟩²)/(N T²)
	M2  float64 // ⟨|m|²⟩, m = (1/N) Σ_i e^{2πiσ_i/q}
	M4  float64 // ⟨|m|⁴⟩
	N0  float64 // ⟨n_0⟩/N, the density of state 0
}

// At returns the observables of H = −J·B − h·n_0 at temperature T > 0.
func (d *DOS) At(J, h, T float64) Values {
	q, N := d.Q, float64(d.N)
	cs := make([]float64, q)
	for a := range cs {
		cs[a] = math.Cos(2 * math.Pi * float64(a) / float64(q))
	}
	occ := make([]int, q)
	m2 := make([]float64, d.size) // |m|² of each occupation key
	n0 := make([]float64, d.size)
	for key := range m2 {
		if !d.occupation(key, occ) {
			continue
		}
		var s float64
		for a, na := range occ {
			for b, nb := range occ {
				s += float64(na*nb) * cs[(a-b+q)%q]
			}
		}
		m2[key], n0[key] = s/(N*N), float64(occ[0])
	}
	energy := func(i int) float64 { return -J*float64(i/d.size) - h*n0[i%d.size] }
	e0 := math.Inf(1)
	for i, c := range d.count {
		if c > 0 {
			e0 = math.Min(e0, energy(i))
		}
	}
	var z, se, se2, sm2, sm4, sn0 float64
	for i, c := range d.count {
		if c == 0 {
			continue
		}
		e, key := energy(i), i%d.size
		w := c * math.Exp(-(e-e0)/T)
		z += w
		se += w * e
		se2 += w * e * e
		sm2 += w * m2[key]
		sm4 += w * m2[key] * m2[key]
		sn0 += w * n0[key]
	}
	v := Values{LnZ: math.Log(z) - e0/T}
	v.E = se / z / N
	v.C = (se2/z - (se/z)*(se/z)) / (N * T * T)
	v.M2, v.M4 = sm2/z, sm4/z
	v.N0 = sn0 / z / N
	return v
}

// Total returns the number of configurations counted (q^N for a complete
// enumeration).
func (d *DOS) Total() float64 {
	var t float64
	for _, c := range d.count {
		t += c
	}
	return t
}
