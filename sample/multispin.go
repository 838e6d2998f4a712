package sample

import (
	"fmt"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
)

var _ ReplicaSampler = (*Multispin)(nil)

// MultispinReplicas is the number of replicas a Multispin runs: one per bit
// of a uint64.
const MultispinReplicas = 64

// Multispin is a multi-spin-coded Metropolis sampler for the ±1
// nearest-neighbour Ising ferromagnet H = −J Σ_<ij> s_i s_j (J > 0) on 2D
// square and 3D simple cubic periodic lattices. It runs 64 independent
// replicas of the chain, one per bit of a uint64 word: bit r of the word of
// site i is spin i of replica r (1 = +1, 0 = −1). One Step is one
// checkerboard sweep of every replica: all sites of even x+y(+z), then all
// odd ones, each site updated in all 64 replicas by a few word-wide logic
// operations. The extents must be even so that the checkerboard closes over
// the periodic boundary; an extent of 2 is allowed (the ±x neighbours then
// coincide and the bond counts twice, as in lattice.Ising).
//
// Acceptance. A spin with m anti-aligned neighbours (among z = 2d) has
// ΔE = 4J(d − m). For ΔE > 0 it flips with the Metropolis probability
// exp(−ΔE/T); for ΔE < 0 it always flips; for ΔE = 0 it flips with
// probability 15/16, not 1. Detailed balance holds for any flip probability
// in (0, 1] at ΔE = 0, and one below 1 is needed: with 1 a checkerboard
// sweep is deterministic on the stripe states s = (−1)^x of an even square
// torus (every spin has m = 2, the two sublattice half-sweeps map column
// stripes to row stripes and back), so a chain that reaches them stays there
// forever. On a 4×4 torus hot-started replicas do fall into this cycle and
// bias every average; 15/16 frees a chain from it within a sweep or two
// while keeping the dynamics close to Metropolis.
//
// Each lane draws its own exact 64-bit uniform number, compared bit-serially
// with the 64-bit threshold of its class, so the flip probabilities are
// exact to 2⁻⁶⁴ and one comparison per site serves all classes; about 9.2
// random words decide the 64 replicas of a site (the scheme is described at
// msEngine). Unlike the C reference of the benchmarks, which draws
// Bernoulli(p) and, for m = 0, a second independent Bernoulli(p), each
// lane's threshold is chosen per lane.
//
// Random numbers come from xoshiro256** generators seeded from four draws of
// src (xrand.New) and, through it, eight streams (the sites of a row take
// turns); the replicas start from independent uniformly random configurations
// (hot start). The replicas share the generators but use disjoint bits of
// them, so they are independent chains as far as the generator's bits are
// independent. Step does not allocate.
//
// References: R. Zorn, H. J. Herrmann and C. Rebbi, Comput. Phys. Commun.
// 23, 337 (1981) (multi-spin coding); D. Blackman and S. Vigna, ACM Trans.
// Math. Softw. 47, 36 (2021) (xoshiro256**).
type Multispin struct {
	model *lattice.Ising
	geom  *lattice.Geometry
	n     int
	j     float64
	temp  float64
	eng   *msEngine
	buf   []uint64 // scratch: the anti-aligned bond words of one row
	cfg   []int8
}

// NewMultispin returns a Multispin sampler of m at temperature T, driven by
// src. It returns an error unless m is a pure nearest-neighbour ferromagnet
// (exactly one term, lattice.NearestNeighbor(dim) or an operator with the
// same bonds, with finite J > 0) on a 2- or 3-dimensional lattice with even
// extents, and T is finite and positive.
func NewMultispin(m *lattice.Ising, T float64, src rand.Source) (*Multispin, error) {
	J, err := checkPackedIsing(m, T, src, "Multispin")
	if err != nil {
		return nil, err
	}
	l := m.Lattice()
	var n [3]int
	copy(n[:], l.Extents())
	pl, err := newPackedLattice(l.Dim(), n, [3]int{1, 1, 1}, MultispinReplicas)
	if err != nil {
		return nil, err
	}
	s := &Multispin{model: m, geom: m.Geometry(), n: l.N(), j: J, temp: T}
	s.eng = newMSEngine(pl, J, T, src)
	for p := range 2 {
		pl.words(p, func(row []uint64) {
			for j := range row {
				row[j] = s.eng.gen.Uint64()
			}
		})
	}
	pl.refreshAll()
	s.cfg = make([]int8, s.n)
	s.buf = make([]uint64, 0, 2*l.Dim()*pl.h)
	return s, nil
}

// Temperature returns T.
func (s *Multispin) Temperature() float64 { return s.temp }

// Model returns the model.
func (s *Multispin) Model() *lattice.Ising { return s.model }

// Geometry implements Sampler.
func (s *Multispin) Geometry() *lattice.Geometry { return s.geom }

// Replicas implements ReplicaSampler: 64.
func (s *Multispin) Replicas() int { return MultispinReplicas }

// Step implements Sampler: one checkerboard sweep of all 64 replicas.
func (s *Multispin) Step() { s.eng.sweep() }

// Config implements Sampler: the current configuration of replica 0. The
// slice is valid until the next call of Step or Config and must not be
// modified.
func (s *Multispin) Config() []int8 {
	s.cfg = s.Replica(0, s.cfg)
	return s.cfg
}

// Replica implements ReplicaSampler: it writes replica r's configuration into
// dst (reallocated if its capacity is short of the number of sites) and
// returns it.
func (s *Multispin) Replica(r int, dst []int8) []int8 {
	if r < 0 || r >= MultispinReplicas {
		panic(fmt.Sprintf("sample: Multispin replica %d outside [0,%d)", r, MultispinReplicas))
	}
	if cap(dst) < s.n {
		dst = make([]int8, s.n)
	}
	dst = dst[:s.n]
	s.eng.pl.unpack(dst, [3]int{1, 1, 1}, r)
	return dst
}

// SetReplica sets replica r to the configuration x (±1 values, one per site).
// It panics if r is out of range, len(x) is not the number of sites or a value
// is not ±1.
func (s *Multispin) SetReplica(r int, x []int8) {
	if r < 0 || r >= MultispinReplicas {
		panic(fmt.Sprintf("sample: Multispin replica %d outside [0,%d)", r, MultispinReplicas))
	}
	if len(x) != s.n {
		panic(fmt.Sprintf("sample: Multispin configuration of length %d, want %d", len(x), s.n))
	}
	for i, v := range x {
		if v != 1 && v != -1 {
			panic(fmt.Sprintf("sample: Multispin spin value %d at site %d", v, i))
		}
	}
	s.eng.pl.pack(x, [3]int{1, 1, 1}, r)
}

// Energies writes the energy H = −J Σ_<ij> s_i s_j of every replica into
// dst, which must have length Replicas() (it panics otherwise). The energies
// equal lattice.Ising.Energy of the unpacked replicas; they are computed for
// all replicas at once by bit-sliced counting of anti-aligned bonds, at a
// cost of a few word operations per bond.
func (s *Multispin) Energies(dst []float64) {
	if len(dst) != MultispinReplicas {
		panic(fmt.Sprintf("sample: Multispin.Energies dst of length %d, want %d", len(dst), MultispinReplicas))
	}
	var c msCounter
	s.eng.pl.antiBonds(0, &c, s.buf)
	bonds := s.n * s.eng.pl.dim
	k := countBits(bonds)
	for r := range dst {
		dst[r] = -s.j * float64(bonds-2*c.lane(r, k))
	}
}

// Magnetizations writes the magnetization M = Σ_i s_i of every replica into
// dst, which must have length Replicas() (it panics otherwise).
func (s *Multispin) Magnetizations(dst []float64) {
	if len(dst) != MultispinReplicas {
		panic(fmt.Sprintf("sample: Multispin.Magnetizations dst of length %d, want %d", len(dst), MultispinReplicas))
	}
	var c msCounter
	s.eng.pl.ones(&c)
	k := countBits(s.n)
	for r := range dst {
		dst[r] = float64(2*c.lane(r, k) - s.n)
	}
}
