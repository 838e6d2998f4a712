package sample

import (
	"fmt"
	"math"
	"math/bits"
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
// replicas of the chain, one per bit of a uint64 word: bit r of word i is
// spin i of replica r (1 = +1, 0 = −1). One Step is one checkerboard sweep of
// every replica: all sites of even x+y(+z), then all odd ones, each site
// updated in all 64 replicas by a few word-wide logic operations. The
// extents must be even so that the checkerboard closes over the periodic
// boundary; an extent of 2 is allowed (the ±x neighbours then coincide and
// the bond counts twice, as in lattice.Ising).
//
// Acceptance. A spin with m anti-aligned neighbours (among z = 2d) has
// ΔE = 4J(d − m). For ΔE > 0 it flips with the Metropolis probability
// q_j = p^j, j = d − m, p = exp(−4J/T); for ΔE < 0 it always flips; for
// ΔE = 0 it flips with probability 15/16, not 1. Detailed balance holds for
// any flip probability a(0) in (0, 1] at ΔE = 0, and a(0) < 1 is needed: with
// a(0) = 1 a checkerboard sweep is deterministic on the stripe states
// s = (−1)^x of an even square torus (every spin has m = 2, the two sublattice
// half-sweeps map column stripes to row stripes and back), so a chain that
// reaches them stays there forever. On a 4×4 torus hot-started replicas do
// fall into this cycle and bias every average; 15/16 frees a chain from it
// within a sweep or two while keeping the dynamics close to Metropolis.
//
// Every q is rounded once to a 64-bit fixed-point threshold Q, and every lane
// that needs a random decision compares its own 64-bit uniform number u with
// the Q of its class, bit-serially from the most significant bit, so that
// lane r flips iff u_r < Q_{j(r)}: the flip probability is Q/2⁶⁴ exactly
// (within 2⁻⁶⁴ of q, limited in practice by the 53-bit precision of q). Bit k
// of the uniforms of all lanes is one 64-bit word of the generator; a lane is
// decided at the first bit where u and Q differ, with probability 1/2 per
// bit, so all 64 replicas of a site are decided after about
// log₂(64) + 1.3 ≈ 7 words. (The sweep draws 9 words unconditionally, which
// is cheaper than mispredicting the loop exit, and continues while lanes are
// undecided: about 9.2 words per site.) Unlike the C reference of the
// benchmarks, which draws Bernoulli(p) and, for m = 0, a second independent
// Bernoulli(p), each lane's threshold is chosen per lane, so one bit-serial
// draw per site serves all classes.
//
// Random numbers come from a local xoshiro256** generator seeded with four
// draws from src. The replicas start from independent uniformly random
// configurations (hot start; bits of the generator). The replicas share one
// generator but use disjoint bits of it, so they are independent chains as
// far as the generator's bits are independent. Step does not allocate.
//
// References: R. Zorn, H. J. Herrmann and C. Rebbi, Comput. Phys. Commun.
// 23, 337 (1981) (multi-spin coding); D. Blackman and S. Vigna, ACM Trans.
// Math. Softw. 47, 36 (2021) (xoshiro256**).
type Multispin struct {
	model *lattice.Ising
	geom  *lattice.Geometry
	dim   int
	nx    int
	ny    int
	nz    int
	n     int
	j     float64
	temp  float64
	w     []uint64
	buf   []uint64 // scratch: the anti-aligned bond words of one row
	rng   msRNG
	cfg   []int8

	// tab[k] holds bit 63−k of the thresholds, read by iteration k of the
	// bit-serial comparison (see msBits).
	tab [64]msBits
}

// msBits is one bit of the four class thresholds Q_0…Q_3 (each bit widened
// to 0 or all ones), stored so that for the lane masks c0, c1 of the class
// index bits the lane-wise threshold bit is
//
//	th = a ^ (c0 & b) ^ (c1 & c) ^ (c0 & c1 & d),
//
// a = Q_0, b = Q_0^Q_1, c = Q_0^Q_2, d = Q_0^Q_1^Q_2^Q_3.
type msBits struct{ a, b, c, d uint64 }

// NewMultispin returns a Multispin sampler of m at temperature T, driven by
// src. It returns an error unless m is a pure nearest-neighbour ferromagnet
// (exactly one term, lattice.NearestNeighbor(dim) or an operator with the
// same bonds, with finite J > 0) on a 2- or 3-dimensional lattice with even
// extents, and T is finite and positive.
func NewMultispin(m *lattice.Ising, T float64, src rand.Source) (*Multispin, error) {
	if m == nil {
		return nil, fmt.Errorf("sample: Multispin needs an Ising model, got nil")
	}
	if src == nil {
		return nil, fmt.Errorf("sample: Multispin needs a rand.Source, got nil")
	}
	if !(T > 0) || math.IsInf(T, 1) {
		return nil, fmt.Errorf("sample: Multispin temperature T = %v, want finite T > 0", T)
	}
	l := m.Lattice()
	dim := l.Dim()
	if dim != 2 && dim != 3 {
		return nil, fmt.Errorf("sample: Multispin needs a 2D or 3D lattice, got dimension %d", dim)
	}
	ext := l.Extents()
	for a, e := range ext {
		if e%2 != 0 {
			return nil, fmt.Errorf("sample: Multispin needs even extents for the checkerboard, extent %d along axis %d is odd", e, a)
		}
	}
	terms := m.Terms()
	if len(terms) != 1 {
		return nil, fmt.Errorf("sample: Multispin needs a single nearest-neighbour coupling, model has %d terms", len(terms))
	}
	if !msIsNearestNeighbor(terms[0].Op, dim) {
		return nil, fmt.Errorf("sample: Multispin needs a nearest-neighbour coupling, got operator %q", terms[0].Op.Name)
	}
	J := terms[0].J
	if !(J > 0) || math.IsInf(J, 1) {
		return nil, fmt.Errorf("sample: Multispin needs a finite ferromagnetic coupling J > 0, got J = %v", J)
	}
	s := &Multispin{
		model: m, geom: m.Geometry(), dim: dim,
		nx: ext[0], ny: ext[1], nz: 1, n: l.N(),
		j: J, temp: T,
	}
	if dim == 3 {
		s.nz = ext[2]
	}
	// The class of a lane is its number c of anti-aligned neighbours while
	// c ≤ d, with ΔE = 4J(d − c); c = d is ΔE = 0. In 2D class 3 flips
	// without a draw and its threshold is immaterial; it is chosen to make
	// msBits.d = 0.
	var q [4]uint64
	for c := 0; c <= dim; c++ {
		if c == dim {
			q[c] = msZeroThreshold
		} else {
			q[c] = msThreshold(math.Exp(-4 * J * float64(dim-c) / T))
		}
	}
	if dim == 2 {
		q[3] = q[0] ^ q[1] ^ q[2]
	}
	for k := range s.tab {
		var t [4]uint64
		for c := range t {
			t[c] = -(q[c] >> (63 - k) & 1)
		}
		s.tab[k] = msBits{a: t[0], b: t[0] ^ t[1], c: t[0] ^ t[2], d: t[0] ^ t[1] ^ t[2] ^ t[3]}
	}
	s.rng = newMSRNG(src)
	s.w = make([]uint64, s.n)
	for i := range s.w {
		s.w[i] = s.rng.next()
	}
	s.cfg = make([]int8, s.n)
	s.buf = make([]uint64, 0, dim*s.nx)
	return s, nil
}

// msIsNearestNeighbor reports whether op is a pair operator whose patterns
// are exactly the dim unit bonds, one per axis.
func msIsNearestNeighbor(op lattice.Operator, dim int) bool {
	if len(op.Patterns) != dim {
		return false
	}
	seen := make([]bool, dim)
	for _, p := range op.Patterns {
		if len(p) != 2 || len(p[0]) != dim || len(p[1]) != dim {
			return false
		}
		axis := -1
		for a := 0; a < dim; a++ {
			switch d := p[1][a] - p[0][a]; d {
			case 0:
			case 1, -1:
				if axis >= 0 {
					return false
				}
				axis = a
			default:
				return false
			}
		}
		if axis < 0 || seen[axis] {
			return false
		}
		seen[axis] = true
	}
	return true
}

// msZeroThreshold is the 64-bit threshold of the flip probability 15/16 at
// ΔE = 0 (see Multispin).
const msZeroThreshold = 0xF000_0000_0000_0000

// msThreshold returns the 64-bit fixed-point threshold Q with a uniform
// 64-bit u satisfying u < Q with probability Q/2⁶⁴ ≈ q (q in [0, 1]).
func msThreshold(q float64) uint64 {
	switch {
	case !(q > 0):
		return 0
	case q*0x1p64 >= 0x1p64:
		return ^uint64(0)
	}
	return uint64(q * 0x1p64)
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
func (s *Multispin) Step() {
	if s.dim == 2 {
		s.sweep2D()
	} else {
		s.sweep3D()
	}
}

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
	for i, w := range s.w {
		dst[i] = int8(w>>uint(r)&1)*2 - 1
	}
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
	bit := uint64(1) << uint(r)
	for i, v := range x {
		switch v {
		case 1:
			s.w[i] |= bit
		case -1:
			s.w[i] &^= bit
		default:
			panic(fmt.Sprintf("sample: Multispin spin value %d at site %d", v, i))
		}
	}
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
	nx, ny, nz, w := s.nx, s.ny, s.nz, s.w
	for z := 0; z < nz; z++ {
		zp := (z + 1) % nz
		for y := 0; y < ny; y++ {
			yp := (y + 1) % ny
			row := w[(z*ny+y)*nx : (z*ny+y+1)*nx]
			up := w[(z*ny+yp)*nx : (z*ny+yp+1)*nx]
			var zr []uint64
			if s.dim == 3 {
				zr = w[(zp*ny+y)*nx : (zp*ny+y+1)*nx]
			}
			buf := s.buf[:0]
			for x, v := range row {
				xp := x + 1
				if xp == nx {
					xp = 0
				}
				buf = append(buf, v^row[xp], v^up[x])
				if zr != nil {
					buf = append(buf, v^zr[x])
				}
			}
			c.addWords(buf)
		}
	}
	bonds := s.n * s.dim
	k := bits.Len(uint(bonds))
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
	c.addWords(s.w)
	k := bits.Len(uint(s.n))
	for r := range dst {
		dst[r] = float64(2*c.lane(r, k) - s.n)
	}
}

// msCounter counts set bits per lane over many words: a bit-sliced
// (vertical) binary counter, slice k of big holding bit k of the 64 lane
// counts. Words are reduced 16 at a time with a Harley–Seal carry-save adder
// tree into the weight-1, 2, 4, 8 accumulators, so that only one word in 16
// (of weight 16) is rippled into big.
type msCounter struct {
	big                       [40]uint64
	ones, twos, fours, eights uint64
}

// addWords adds the bits of every word of xs.
func (c *msCounter) addWords(xs []uint64) {
	for len(xs) >= 16 {
		c.add16((*[16]uint64)(xs))
		xs = xs[16:]
	}
	for _, x := range xs {
		c.addAt(0, x)
	}
}

// msCSA is a bit-parallel full adder.
func msCSA(a, b, x uint64) (carry, sum uint64) {
	u := a ^ b
	return a&b | u&x, u ^ x
}

func (c *msCounter) add16(x *[16]uint64) {
	twosA, ones := msCSA(c.ones, x[0], x[1])
	twosB, ones := msCSA(ones, x[2], x[3])
	foursA, twos := msCSA(c.twos, twosA, twosB)
	twosA, ones = msCSA(ones, x[4], x[5])
	twosB, ones = msCSA(ones, x[6], x[7])
	foursB, twos := msCSA(twos, twosA, twosB)
	eightsA, fours := msCSA(c.fours, foursA, foursB)
	twosA, ones = msCSA(ones, x[8], x[9])
	twosB, ones = msCSA(ones, x[10], x[11])
	foursA, twos = msCSA(twos, twosA, twosB)
	twosA, ones = msCSA(ones, x[12], x[13])
	twosB, ones = msCSA(ones, x[14], x[15])
	foursB, twos = msCSA(twos, twosA, twosB)
	eightsB, fours := msCSA(fours, foursA, foursB)
	sixteens, eights := msCSA(c.eights, eightsA, eightsB)
	c.ones, c.twos, c.fours, c.eights = ones, twos, fours, eights
	c.addAt(4, sixteens)
}

// addAt adds x at weight 2^k into big.
func (c *msCounter) addAt(k int, x uint64) {
	for ; x != 0 && k < len(c.big); k++ {
		c.big[k], x = c.big[k]^x, c.big[k]&x
	}
}

// lane returns the count of lane r, reading the low k slices of big (enough
// for counts below 2^k), after folding the buffered words and the
// accumulators into big.
func (c *msCounter) lane(r, k int) int {
	if c.ones|c.twos|c.fours|c.eights != 0 {
		c.addAt(0, c.ones)
		c.addAt(1, c.twos)
		c.addAt(2, c.fours)
		c.addAt(3, c.eights)
		c.ones, c.twos, c.fours, c.eights = 0, 0, 0, 0
	}
	var n int
	for i, v := range c.big[:k] {
		n += int(v>>uint(r)&1) << uint(i)
	}
	return n
}

// msUnroll is the number of bit-serial iterations done unconditionally (in
// straight-line code, see msIter2) for every site before a loop starts
// testing whether lanes are left undecided: the exit of a data-dependent loop
// costs a branch misprediction at nearly every site. After 9 iterations some
// of the ≈57 lanes that draw at T_c in 2D are still undecided about one time
// in ten. (Measured at L = 64, T_c: 7, 8, 9, 10, 12 unconditional iterations
// give 3.05, 3.35, 3.42, 3.31, 2.98 replica-flips per CPU ns.) The sweeps
// spell out exactly msUnroll calls.
const msUnroll = 9

// msIter2 is one step of the bit-serial comparison: it draws the next word
// u of the xoshiro256** generator of state s0…s3 (one bit of every lane's
// uniform number), compares it with the thresholds' bit q for lanes of class
// (c1 c0), and returns the advanced state, the lanes decided below the
// threshold added to yes, and the lanes still undecided (u bit = threshold
// bit) left in need. It is small enough to be inlined: the sweeps call it in
// straight-line code, which the register allocator handles far better than a
// loop nested in the sweep's loops.
func msIter2(q *msBits, c0, c1, s0, s1, s2, s3, yes, need uint64) (r0, r1, r2, r3, y, n uint64) {
	u := bits.RotateLeft64(s1*5, 7) * 9
	t := s1 << 17
	s2 ^= s0
	s3 ^= s1
	s1 ^= s2
	s0 ^= s3
	s2 ^= t
	s3 = bits.RotateLeft64(s3, 45)
	th := q.a ^ c0&q.b ^ c1&q.c
	return s0, s1, s2, s3, yes | need&th&^u, need &^ (th ^ u)
}

// msIter3 is msIter2 for four classes (3D), c01 = c0 & c1.
func msIter3(q *msBits, c0, c1, c01, s0, s1, s2, s3, yes, need uint64) (r0, r1, r2, r3, y, n uint64) {
	u := bits.RotateLeft64(s1*5, 7) * 9
	t := s1 << 17
	s2 ^= s0
	s3 ^= s1
	s1 ^= s2
	s0 ^= s3
	s2 ^= t
	s3 = bits.RotateLeft64(s3, 45)
	th := q.a ^ c0&q.b ^ c1&q.c ^ c01&q.d
	return s0, s1, s2, s3, yes | need&th&^u, need &^ (th ^ u)
}

// sweep2D is one checkerboard sweep on the square lattice.
func (s *Multispin) sweep2D() {
	nx, ny, w := s.nx, s.ny, s.w
	tab := &s.tab
	s0, s1, s2, s3 := s.rng.s0, s.rng.s1, s.rng.s2, s.rng.s3
	for par := 0; par < 2; par++ {
		for y := 0; y < ny; y++ {
			ym, yp := y-1, y+1
			if ym < 0 {
				ym = ny - 1
			}
			if yp == ny {
				yp = 0
			}
			row := w[y*nx : y*nx+nx]
			up := w[ym*nx : ym*nx+nx]
			dn := w[yp*nx : yp*nx+nx]
			for x := (y + par) & 1; x < nx; x += 2 {
				xl, xr := x-1, x+1
				if x == 0 {
					xl = nx - 1
				}
				if xr == nx {
					xr = 0
				}
				v := row[x]
				a1, a2, a3, a4 := v^up[x], v^dn[x], v^row[xl], v^row[xr]
				// bit-sliced m = a1+a2+a3+a4 = c0 + 2 c1 + 4 (ca&cb); the class
				// of a lane with m ≤ 2 is (c1 c0) = m
				sa, ca := a1^a2, a1&a2
				sb, cb := a3^a4, a3&a4
				c0 := sa ^ sb
				c1 := ca ^ cb ^ sa&sb
				forced := ca&cb | c0&c1 // m ≥ 3: ΔE < 0
				need := ^forced
				var yes uint64
				s0, s1, s2, s3, yes, need = msIter2(&tab[0], c0, c1, s0, s1, s2, s3, yes, need)
				s0, s1, s2, s3, yes, need = msIter2(&tab[1], c0, c1, s0, s1, s2, s3, yes, need)
				s0, s1, s2, s3, yes, need = msIter2(&tab[2], c0, c1, s0, s1, s2, s3, yes, need)
				s0, s1, s2, s3, yes, need = msIter2(&tab[3], c0, c1, s0, s1, s2, s3, yes, need)
				s0, s1, s2, s3, yes, need = msIter2(&tab[4], c0, c1, s0, s1, s2, s3, yes, need)
				s0, s1, s2, s3, yes, need = msIter2(&tab[5], c0, c1, s0, s1, s2, s3, yes, need)
				s0, s1, s2, s3, yes, need = msIter2(&tab[6], c0, c1, s0, s1, s2, s3, yes, need)
				s0, s1, s2, s3, yes, need = msIter2(&tab[7], c0, c1, s0, s1, s2, s3, yes, need)
				s0, s1, s2, s3, yes, need = msIter2(&tab[8], c0, c1, s0, s1, s2, s3, yes, need)
				for k := msUnroll; need != 0 && k < 64; k++ {
					s0, s1, s2, s3, yes, need = msIter2(&tab[k], c0, c1, s0, s1, s2, s3, yes, need)
				}
				row[x] = v ^ (forced | yes)
			}
		}
	}
	s.rng.s0, s.rng.s1, s.rng.s2, s.rng.s3 = s0, s1, s2, s3
}

// sweep3D is one checkerboard sweep on the cubic lattice.
func (s *Multispin) sweep3D() {
	nx, ny, nz, w := s.nx, s.ny, s.nz, s.w
	tab := &s.tab
	s0, s1, s2, s3 := s.rng.s0, s.rng.s1, s.rng.s2, s.rng.s3
	row := func(y, z int) []uint64 {
		b := (z*ny + y) * nx
		return w[b : b+nx]
	}
	for par := 0; par < 2; par++ {
		for z := 0; z < nz; z++ {
			zm, zp := z-1, z+1
			if zm < 0 {
				zm = nz - 1
			}
			if zp == nz {
				zp = 0
			}
			for y := 0; y < ny; y++ {
				ym, yp := y-1, y+1
				if ym < 0 {
					ym = ny - 1
				}
				if yp == ny {
					yp = 0
				}
				r0 := row(y, z)
				ru, rd := row(ym, z), row(yp, z)
				rb, rf := row(y, zm), row(y, zp)
				for x := (y + z + par) & 1; x < nx; x += 2 {
					xl, xr := x-1, x+1
					if x == 0 {
						xl = nx - 1
					}
					if xr == nx {
						xr = 0
					}
					v := r0[x]
					a1, a2, a3 := v^r0[xl], v^r0[xr], v^ru[x]
					a4, a5, a6 := v^rd[x], v^rb[x], v^rf[x]
					// bit-sliced m = a1+…+a6 = c0 + 2 c1 + 4 forced; the
					// class of a lane with m ≤ 3 is (c1 c0) = m
					sa, ca := a1^a2^a3, a1&a2|a3&(a1^a2)
					sb, cb := a4^a5^a6, a4&a5|a6&(a4^a5)
					c0, cc := sa^sb, sa&sb
					c1 := ca ^ cb ^ cc
					forced := ca&cb | cc&(ca^cb) // m ≥ 4: ΔE < 0
					need := ^forced
					c01 := c0 & c1
					var yes uint64
					s0, s1, s2, s3, yes, need = msIter3(&tab[0], c0, c1, c01, s0, s1, s2, s3, yes, need)
					s0, s1, s2, s3, yes, need = msIter3(&tab[1], c0, c1, c01, s0, s1, s2, s3, yes, need)
					s0, s1, s2, s3, yes, need = msIter3(&tab[2], c0, c1, c01, s0, s1, s2, s3, yes, need)
					s0, s1, s2, s3, yes, need = msIter3(&tab[3], c0, c1, c01, s0, s1, s2, s3, yes, need)
					s0, s1, s2, s3, yes, need = msIter3(&tab[4], c0, c1, c01, s0, s1, s2, s3, yes, need)
					s0, s1, s2, s3, yes, need = msIter3(&tab[5], c0, c1, c01, s0, s1, s2, s3, yes, need)
					s0, s1, s2, s3, yes, need = msIter3(&tab[6], c0, c1, c01, s0, s1, s2, s3, yes, need)
					s0, s1, s2, s3, yes, need = msIter3(&tab[7], c0, c1, c01, s0, s1, s2, s3, yes, need)
					s0, s1, s2, s3, yes, need = msIter3(&tab[8], c0, c1, c01, s0, s1, s2, s3, yes, need)
					for k := msUnroll; need != 0 && k < 64; k++ {
						s0, s1, s2, s3, yes, need = msIter3(&tab[k], c0, c1, c01, s0, s1, s2, s3, yes, need)
					}
					r0[x] = v ^ (forced | yes)
				}
			}
		}
	}
	s.rng.s0, s.rng.s1, s.rng.s2, s.rng.s3 = s0, s1, s2, s3
}

// msRNG is the Multispin's local xoshiro256** generator (Blackman and Vigna),
// seeded from four draws of the user's source through the splitmix64
// finalizer.
type msRNG struct{ s0, s1, s2, s3 uint64 }

func newMSRNG(src rand.Source) msRNG {
	mix := func(z uint64) uint64 {
		z += 0x9E3779B97F4A7C15
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		return z ^ (z >> 31)
	}
	r := msRNG{mix(src.Uint64()), mix(src.Uint64()), mix(src.Uint64()), mix(src.Uint64())}
	if r.s0|r.s1|r.s2|r.s3 == 0 {
		r.s0 = 0x9E3779B97F4A7C15
	}
	return r
}

func (r *msRNG) next() uint64 {
	out := bits.RotateLeft64(r.s1*5, 7) * 9
	t := r.s1 << 17
	r.s2 ^= r.s0
	r.s3 ^= r.s1
	r.s1 ^= r.s2
	r.s0 ^= r.s3
	r.s2 ^= t
	r.s3 = bits.RotateLeft64(r.s3, 45)
	return out
}
