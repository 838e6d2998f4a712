package sample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/internal/xrand"
	"github.com/rsmi-go/rsmi/lattice"
)

// Metropolis is single-dof Metropolis Monte Carlo for any lattice.Model at
// temperature T (Boltzmann weight exp(−E/T)).
//
// Move: dof i proposes a value drawn uniformly from the model's other States
// (for Ising spins: the flip); the move is accepted with probability
// min(1, exp(−ΔE/T)), ΔE = DeltaE(x, i, v). A proposal to a forbidden state
// (ΔE = +Inf) is always rejected. The proposal is symmetric, so every update
// satisfies detailed balance with respect to exp(−E/T).
//
// Step is one sweep: NumDOF attempted updates. Site order:
//   - nearest-neighbour Ising (the fast path, see below) on a lattice of
//     dimension ≥ 2 with even extents: checkerboard order, all sites of one
//     sublattice (sum of coordinates even), then the other, as in the C
//     anchor codes (in 2D with Lx ≥ 4 row by row with computed neighbours,
//     otherwise from the neighbour table);
//   - every other case: random order, each of the NumDOF updates picks a
//     uniformly random dof.
//
// Random rather than sequential (typewriter) order is deliberate: Metropolis
// always accepts a move with ΔE ≤ 0, and in sequential order such forced
// moves can make the chain non-ergodic (on the Ising chain a domain wall is
// dragged along the sweep until it annihilates, and ⟨s_i s_{i+1}⟩ comes out
// wrong). Each single update satisfies detailed balance, so both orders leave
// the Boltzmann distribution invariant; at any finite T random order is also
// irreducible and aperiodic (any single-dof move has positive probability).
//
// Fast paths. When the model is a *lattice.Ising whose couplings are exactly
// the nearest-neighbour bonds of its lattice with one uniform J (any sign) and
// nothing else — detected by comparing PairCouplings with the lattice's
// neighbour table, not by names — a sweep reads an int32 neighbour table (or,
// in 2D, computes wrapped neighbours row by row), looks up a precomputed table
// of 32-bit acceptance thresholds indexed by s_i·Σ_j s_j, accepts without a
// branch, draws from an inlined xoshiro256** generator and makes no interface
// call and no allocation. In this path a move with ΔE = 0 is accepted with
// probability 15/16 instead of 1, which keeps detailed balance and prevents
// a deterministic cycle of the checkerboard sweep on stripe states (see zeroFlip). Any other *lattice.Ising uses (*Ising).LocalField
// (ΔE = 2 s_i h_i). Everything else goes through the Model interface.
//
// Random numbers: the constructor draws four values from src to seed a local
// xoshiro256** generator that produces every later random number (including
// the initial configuration), so src is not used after construction and the
// same seeded src gives the same chain bit for bit.
//
// Initial state: a random configuration ("hot start"), every dof drawn
// uniformly from States. Use SetConfig for any other start; a model with
// forbidden configurations (Energy = +Inf) must be started from an allowed
// one, since ΔE out of a forbidden state is undefined (a NaN ΔE panics).
type Metropolis struct {
	siteChain
}

// siteChain is the state shared by Metropolis and HeatBath.
type siteChain struct {
	model  lattice.Model
	geom   *lattice.Geometry
	temp   float64
	x      []int8
	states []int8
	index  [256]int16 // state value + 128 → position in states, −1 if not allowed
	rng    xrand.Xoshiro

	ising *lattice.Ising // non-nil: Ising paths
	nn    *nnKernel      // non-nil: nearest-neighbour fast path
}

// NewMetropolis returns a Metropolis sampler for m at temperature T > 0.
func NewMetropolis(m lattice.Model, T float64, src rand.Source) (*Metropolis, error) {
	if err := checkArgs(m, T, src); err != nil {
		return nil, err
	}
	s := &Metropolis{siteChain{model: m, temp: T}}
	if err := s.initCommon(m, src); err != nil {
		return nil, err
	}
	if is, ok := m.(*lattice.Ising); ok {
		s.ising = is
		if J, ok := nearestNeighborJ(is); ok {
			s.nn = newNNKernel(is.Lattice(), metropolisFlip(J, T))
			s.nn.random = true
		}
	}
	return s, nil
}

// checkArgs validates the arguments shared by all constructors.
func checkArgs(m lattice.Model, T float64, src rand.Source) error {
	if m == nil {
		return errors.New("sample: the model is nil (pass a lattice.Model)")
	}
	if src == nil {
		return errors.New("sample: nil random source")
	}
	if math.IsNaN(T) || math.IsInf(T, 0) || T <= 0 {
		return fmt.Errorf("sample: temperature T = %v is not finite and positive", T)
	}
	return nil
}

// initCommon sets up states, geometry, generator and the hot start.
func (s *siteChain) initCommon(m lattice.Model, src rand.Source) error {
	g := m.Geometry()
	if g == nil {
		return errors.New("sample: model has no geometry")
	}
	st, idx, err := stateIndex(m.States())
	if err != nil {
		return err
	}
	s.geom, s.states, s.index = g, st, idx
	s.rng = xrand.New(src)
	s.x = make([]int8, g.NumDOF())
	for i := range s.x {
		s.x[i] = st[s.rng.Intn(len(st))]
	}
	return nil
}

// stateIndex copies the model's states and builds the value → position table.
func stateIndex(states []int8) ([]int8, [256]int16, error) {
	var idx [256]int16
	for i := range idx {
		idx[i] = -1
	}
	if len(states) < 2 {
		return nil, idx, fmt.Errorf("sample: model has %d local states, need at least 2", len(states))
	}
	st := append([]int8(nil), states...)
	for k, v := range st {
		if idx[int(v)+128] >= 0 {
			return nil, idx, fmt.Errorf("sample: model lists local state %d twice", v)
		}
		idx[int(v)+128] = int16(k)
	}
	return st, idx, nil
}

// setConfig validates and copies x into dst.
func setConfig(dst, x []int8, idx *[256]int16) error {
	if len(x) != len(dst) {
		return fmt.Errorf("sample: configuration of length %d, want %d", len(x), len(dst))
	}
	for i, v := range x {
		if idx[int(v)+128] < 0 {
			return fmt.Errorf("sample: dof %d has value %d, not an allowed local state", i, v)
		}
	}
	copy(dst, x)
	return nil
}

// Step performs one sweep (NumDOF attempted updates).
func (s *Metropolis) Step() {
	switch {
	case s.nn != nil:
		s.nn.sweep(s.x, &s.rng)
	case s.ising != nil:
		s.sweepIsing()
	default:
		s.sweepModel()
	}
}

func (s *Metropolis) sweepIsing() {
	x, is, beta := s.x, s.ising, 1/s.temp
	for range x {
		i := s.rng.Intn(len(x))
		dE := 2 * float64(x[i]) * is.LocalField(x, i)
		if dE <= 0 || s.rng.Float64() < math.Exp(-dE*beta) {
			x[i] = -x[i]
		}
	}
}

func (s *Metropolis) sweepModel() {
	x, m, st, beta := s.x, s.model, s.states, 1/s.temp
	q := len(st)
	for range x {
		i := s.rng.Intn(len(x))
		cur := int(s.index[int(x[i])+128])
		k := s.rng.Intn(q - 1)
		if k >= cur {
			k++
		}
		v := st[k]
		dE := m.DeltaE(x, i, v)
		if math.IsNaN(dE) {
			panic(fmt.Sprintf("sample: model DeltaE(x, %d, %d) is NaN", i, v))
		}
		if dE <= 0 || s.rng.Float64() < math.Exp(-dE*beta) {
			x[i] = v
		}
	}
}

// Config returns the current configuration (aliasing the sampler's state).
func (s *Metropolis) Config() []int8 { return s.x }

// Geometry returns the model's geometry.
func (s *Metropolis) Geometry() *lattice.Geometry { return s.geom }

// Temperature returns T.
func (s *Metropolis) Temperature() float64 { return s.temp }

// SetConfig replaces the current configuration by a copy of x. It returns an
// error if x has the wrong length or a value outside the model's States.
func (s *Metropolis) SetConfig(x []int8) error { return setConfig(s.x, x, &s.index) }

// nearestNeighborJ reports whether the couplings of m are exactly the
// nearest-neighbour bonds of its lattice with one coupling J: every coupled
// pair (i, j) is a nearest-neighbour pair, with K = c·J where c is the number
// of times j appears among i's neighbours (c = 2 across an extent of 2), and
// the multiplicities add up to all N·z/2 nearest-neighbour bonds, so no pair
// is missing (PairCouplings lists each pair once).
func nearestNeighborJ(m *lattice.Ising) (J float64, ok bool) {
	bonds, ok := m.PairCouplings()
	if !ok || len(bonds) == 0 {
		return 0, false
	}
	l := m.Lattice()
	total := 0
	for k, b := range bonds {
		c := 0
		for _, j := range l.Neighbors(int(b.I)) {
			if j == b.J {
				c++
			}
		}
		if c == 0 {
			return 0, false
		}
		if k == 0 {
			J = b.K / float64(c)
		}
		if b.K != J*float64(c) {
			return 0, false
		}
		total += c
	}
	return J, total == l.N()*l.Dim()
}

// metropolisFlip returns the flip probability as a function of σ = s_i·h_i,
// h_i = Σ_j s_j over the neighbours: ΔE = 2Jσ.
func metropolisFlip(J, T float64) func(sigma int) float64 {
	return func(sigma int) float64 {
		if sigma == 0 {
			return zeroFlip
		}
		return math.Min(1, math.Exp(-2*J*float64(sigma)/T))
	}
}

// zeroFlip is the acceptance of a ΔE = 0 move in the nearest-neighbour fast
// path. With acceptance 1 a checkerboard sweep is deterministic on the stripe
// states s = (−1)^x (every spin has ΔE = 0 and flips; columns become rows and
// back), a closed set the chain never leaves — seen on the 4×4 torus. Any
// acceptance in (0, 1] for ΔE = 0 keeps detailed balance, since the reverse
// move has ΔE = 0 too; 15/16 (as in Multispin) breaks the cycle and keeps the
// dynamics close to Metropolis. Only ΔE = 0 forced moves can form such a
// cycle: a cycle cannot contain energy-lowering moves alone.
const zeroFlip = 15.0 / 16

// nnKernel is the nearest-neighbour Ising sweep shared by Metropolis and
// HeatBath: both flip s_i with a probability that depends only on
// σ = s_i Σ_j s_j, through a table of 32-bit thresholds.
type nnKernel struct {
	n, z   int
	nbr    []int32  // n × z neighbour table (general path)
	lx, ly int      // > 0: 2D checkerboard path
	order  []int32  // else, all extents even and dim ≥ 2: checkerboard order
	random bool     // otherwise: random (true) or typewriter site order
	thr    []uint64 // (σ+z)/2 → threshold in [0, 2^32]
	thr8   [8]uint64
}

func newNNKernel(l *lattice.Lattice, flip func(sigma int) float64) *nnKernel {
	z := 2 * l.Dim()
	k := &nnKernel{n: l.N(), z: z, nbr: l.NeighborTable(), thr: make([]uint64, z+1)}
	for a := 0; a <= z; a++ {
		k.thr[a] = xrand.Threshold32(flip(2*a - z))
	}
	if ext := l.Extents(); len(ext) == 2 && ext[0] >= 4 && ext[0]%2 == 0 && ext[1]%2 == 0 {
		k.lx, k.ly = ext[0], ext[1]
		copy(k.thr8[:], k.thr)
	} else if len(ext) >= 2 {
		even := true
		for _, e := range ext {
			even = even && e%2 == 0
		}
		if even {
			k.order = make([]int32, 0, l.N())
			c := make([]int, len(ext))
			for par := 0; par < 2; par++ {
				for i := 0; i < l.N(); i++ {
					sum := 0
					for _, v := range l.Coords(i, c) {
						sum += v
					}
					if sum%2 == par {
						k.order = append(k.order, int32(i))
					}
				}
			}
		}
	}
	return k
}

func (k *nnKernel) sweep(x []int8, r *xrand.Xoshiro) {
	if len(x) != k.n {
		panic(fmt.Sprintf("sample: configuration of length %d, want %d", len(x), k.n))
	}
	if k.lx > 0 {
		k.sweep2D(x, r)
		return
	}
	z, nbr, thr := k.z, k.nbr, k.thr
	if k.order != nil {
		g := *r
		var u uint64
		for m, i := range k.order {
			if m&1 == 0 {
				u = g.Uint64()
			} else {
				u >>= 32
			}
			s := x[i]
			var h int8
			for _, j := range nbr[int(i)*z : int(i)*z+z] {
				h += x[j]
			}
			f := int8(b2u(u&0xFFFFFFFF < thr[(int(s*h)+z)>>1]))
			x[i] = s - 2*f*s
		}
		*r = g
		return
	}
	if k.random {
		for range x {
			i := r.Intn(len(x))
			u := r.Uint64()
			s := x[i]
			var h int8
			for _, j := range nbr[i*z : i*z+z] {
				h += x[j]
			}
			f := int8(b2u(u&0xFFFFFFFF < thr[(int(s*h)+z)>>1]))
			x[i] = s - 2*f*s
		}
		return
	}
	var u uint64
	for i := range x {
		if i&1 == 0 {
			u = r.Uint64()
		} else {
			u >>= 32
		}
		s := x[i]
		var h int8
		for _, j := range nbr[i*z : i*z+z] {
			h += x[j]
		}
		f := int8(b2u(u&0xFFFFFFFF < thr[(int(s*h)+z)>>1]))
		x[i] = s - 2*f*s
	}
}

// flip returns s_i after one update with σ = s·h: flipped when the 32-bit
// uniform u is below the threshold, without a branch.
func flip(s, h int8, u uint64, thr *[8]uint64) int8 {
	f := int8(b2u(u&0xFFFFFFFF < thr[(int(s*h)+4)>>1&7]))
	return s ^ (-f & -2) // ±1 ↔ ∓1: 0x01 ↔ 0xFF
}

// sweep2D is the checkerboard sweep on an even Lx × Ly torus (Lx ≥ 4) with
// neighbours computed by wrapping: per row, the edge site (x = 0 or Lx−1)
// first, then the interior sites of the row's parity through shifted slices
// (no bounds checks), two sites per 64-bit random number.
func (k *nnKernel) sweep2D(x []int8, r *xrand.Xoshiro) {
	lx, ly := k.lx, k.ly
	thr := k.thr8
	g := *r
	n := lx - 2
	for par := 0; par < 2; par++ {
		for y := 0; y < ly; y++ {
			yu, yd := y-1, y+1
			if y == 0 {
				yu = ly - 1
			}
			if yd == ly {
				yd = 0
			}
			row := x[y*lx : y*lx+lx : y*lx+lx]
			up := x[yu*lx : yu*lx+lx : yu*lx+lx]
			dn := x[yd*lx : yd*lx+lx : yd*lx+lx]
			u := g.Uint64()
			k := (y + par) & 1 // first interior index (site k+1) of this parity
			if k == 1 {        // site 0, left neighbour wraps
				row[0] = flip(row[0], row[lx-1]+row[1]+up[0]+dn[0], u, &thr)
			} else { // site lx−1, right neighbour wraps
				j := lx - 1
				row[j] = flip(row[j], row[j-1]+row[0]+up[j]+dn[j], u, &thr)
			}
			left, mid, right := row[0:n], row[1:n+1], row[2:n+2]
			upm, dnm := up[1:n+1], dn[1:n+1]
			for ; k+2 < len(mid); k += 4 {
				v := g.Uint64()
				mid[k] = flip(mid[k], left[k]+right[k]+upm[k]+dnm[k], v, &thr)
				k2 := k + 2
				mid[k2] = flip(mid[k2], left[k2]+right[k2]+upm[k2]+dnm[k2], v>>32, &thr)
			}
			if k < len(mid) {
				mid[k] = flip(mid[k], left[k]+right[k]+upm[k]+dnm[k], u>>32, &thr)
			}
		}
	}
	*r = g
}

var (
	_ Sampler = (*Metropolis)(nil)
	_ Sampler = (*HeatBath)(nil)
	_ Sampler = (*Wolff)(nil)
	_ Sampler = (*SwendsenWang)(nil)
)
