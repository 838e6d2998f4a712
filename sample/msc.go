package sample

import (
	"fmt"
	"math/rand/v2"
	"runtime"

	"github.com/rsmi-go/rsmi/lattice"
)

// MSC is single-lattice multi-spin-coded Metropolis (Jacobs and Rebbi) for
// one chain of the ±1 nearest-neighbour Ising ferromagnet
// H = −J Σ_<ij> s_i s_j (J > 0) on 2D square and 3D simple cubic periodic
// lattices with even extents.
//
// Coding. The lattice is cut into up to 64 congruent blocks with even
// extents, B_x × B_y (× B_z) of them, and bit b of a 64-bit word holds one
// site of block b = b_x + B_x·(b_y + B_y·b_z): word (x, y, z) of the packed
// grid holds the sites at the same position (x, y, z) inside every block.
// Block extents are even, so the 64 sites of a word lie on one checkerboard
// sublattice, and their neighbours are the words next to it in the packed
// grid; across a face of the grid the neighbour word belongs to the next
// block, which is the same word with its bits permuted (a few shifts and
// masks, applied once per half-sweep to a layer of ghost words). The number
// of blocks is the largest ∏B_a ≤ 64 with even block extents (64 from
// L = 4·… in 2D: e.g. 2×32 blocks of 32×2 sites at L = 64, 1×64 blocks of
// 256×4 sites at L = 256); small lattices use fewer bits (4×4: four blocks
// of 2×2).
//
// Dynamics. One Step is one checkerboard sweep: all sites of even x+y(+z),
// then all odd ones, 64 at a time. Each site is updated exactly as one
// Metropolis move: with m of its z = 2d neighbours anti-aligned, ΔE =
// 4J(d − m); it flips with probability exp(−ΔE/T) for ΔE > 0, always for
// ΔE < 0 and with probability 15/16 for ΔE = 0 (which keeps detailed
// balance and frees the checkerboard sweep from the stripe cycle, see
// zeroFlip). Every flip probability is exact to 2⁻⁶⁴: each site compares its
// own 64-bit uniform number with the 64-bit threshold of its class,
// bit-serially, 64 sites per random word (see msEngine). The sites of one
// sublattice do not interact, so updating them 64 at a time is the same
// Markov chain as updating them one by one in any order.
//
// Random numbers come from xoshiro256** generators seeded from four draws of
// src (xrand.New): the hot start and, per worker, eight streams. With one
// worker (the default) the same seeded src gives the same chain bit for bit.
// SetWorkers splits every half-sweep among several goroutines by rows of the
// packed grid, each with its own streams: the chain then depends on the
// number of workers (which changes the streams), but for a fixed number of
// workers it is the same on any machine and any GOMAXPROCS. It can pay only
// when cores are free and a half-sweep takes much longer than waking a
// goroutine and waiting for it (tens of µs when its processor sleeps):
// L ≳ 4096 in 2D. Measured with BenchmarkMSCWorkers on 2 nearly idle cores
// (load < 1), 2 workers against 1: L = 1024 (33 µs per half-sweep) 1.00×,
// L = 4096 1.47× (1.35–1.72) in wall time; with no core free, nothing.
//
// The initial configuration is a random hot start; use SetConfig for another.
// Config unpacks the configuration (x fastest) by 64×64 bit transposes,
// which costs about as much as a few sweeps (about 0.3 ns per site at
// L = 256); Step does not allocate.
//
// References: L. Jacobs and C. Rebbi, J. Comput. Phys. 41, 203 (1981)
// (multi-spin coding of one lattice); R. Zorn, H. J. Herrmann and C. Rebbi,
// Comput. Phys. Commun. 23, 337 (1981).
type MSC struct {
	model *lattice.Ising
	geom  *lattice.Geometry
	temp  float64
	blk   [3]int
	eng   *msEngine
	cfg   []int8
	fresh bool // cfg holds the current configuration
}

var _ Sampler = (*MSC)(nil)

// NewMSC returns an MSC sampler of m at temperature T, driven by src. It
// returns an error unless m is a pure nearest-neighbour ferromagnet (exactly
// one term, lattice.NearestNeighbor(dim) or an operator with the same bonds,
// with finite J > 0) on a 2- or 3-dimensional lattice with even extents, and
// T is finite and positive.
func NewMSC(m *lattice.Ising, T float64, src rand.Source) (*MSC, error) {
	J, err := checkPackedIsing(m, T, src, "MSC")
	if err != nil {
		return nil, err
	}
	l := m.Lattice()
	ext := l.Extents()
	blk := mscBlocks(ext)
	var n [3]int
	for a, e := range ext {
		n[a] = e / blk[a]
	}
	pl, err := newPackedLattice(l.Dim(), n, blk, blk[0]*blk[1]*blk[2])
	if err != nil {
		return nil, err
	}
	s := &MSC{model: m, geom: m.Geometry(), temp: T, blk: blk, cfg: make([]int8, l.N())}
	s.eng = newMSEngine(pl, J, T, src)
	var w uint64
	for i := range s.cfg {
		if i&63 == 0 {
			w = s.eng.gen.Uint64()
		}
		s.cfg[i] = int8(w>>(i&63)&1)*2 - 1
	}
	pl.pack(s.cfg, blk, 0)
	s.fresh = true
	// the worker goroutines hold the engine, not the sampler: stop them
	// when the sampler is dropped
	runtime.AddCleanup(s, (*msEngine).stop, s.eng)
	return s, nil
}

// mscBlocks returns the number of blocks along each axis (1 beyond the
// lattice's dimension): the largest number of blocks ∏B_a ≤ 64 with even
// block extents ext[a]/B_a, then the longest packed rows (largest block
// extent along x), then along y.
func mscBlocks(ext []int) [3]int {
	best := [3]int{1, 1, 1}
	score := func(b [3]int) [3]int { return [3]int{b[0] * b[1] * b[2], -b[0], -b[1]} }
	var try func(a int, b [3]int)
	try = func(a int, b [3]int) {
		if a == len(ext) {
			s, t := score(b), score(best)
			if s[0] <= 64 && (s[0] > t[0] || s[0] == t[0] && (s[1] > t[1] || s[1] == t[1] && s[2] > t[2])) {
				best = b
			}
			return
		}
		for k := 1; k <= ext[a]/2 && k <= 64; k++ {
			if ext[a]%(2*k) == 0 {
				b[a] = k
				try(a+1, b)
			}
		}
	}
	try(0, best)
	return best
}

// Step implements Sampler: one checkerboard sweep.
func (s *MSC) Step() {
	s.eng.sweep()
	s.fresh = false
}

// Config implements Sampler: the current configuration (x fastest). The
// slice is valid until the next Step or SetConfig and must not be modified.
func (s *MSC) Config() []int8 {
	if !s.fresh {
		s.eng.pl.unpackBlocks(s.cfg, s.blk)
		s.fresh = true
	}
	return s.cfg
}

// SetConfig replaces the current configuration by a copy of x (values ±1).
func (s *MSC) SetConfig(x []int8) error {
	if err := setSpins(s.cfg, x); err != nil {
		return err
	}
	s.eng.pl.pack(s.cfg, s.blk, 0)
	s.fresh = true
	return nil
}

// SetWorkers makes every half-sweep run on n goroutines, each updating a
// contiguous share of the packed grid's rows with its own random streams,
// derived from the sampler's generator when SetWorkers is called. n = 1 is
// the default; n must lie in [1, MaxWorkers()].
func (s *MSC) SetWorkers(n int) error {
	if n < 1 || n > s.MaxWorkers() {
		return fmt.Errorf("sample: MSC workers n = %d, want 1 ≤ n ≤ %d (rows of the packed grid)", n, s.MaxWorkers())
	}
	s.eng.setWorkers(n)
	return nil
}

// Workers returns the number of goroutines that share a sweep.
func (s *MSC) Workers() int { return len(s.eng.streams) }

// MaxWorkers returns the largest allowed number of workers: the number of
// rows of the packed grid (L/B_y in 2D).
func (s *MSC) MaxWorkers() int { return s.eng.pl.rows }

// Geometry implements Sampler.
func (s *MSC) Geometry() *lattice.Geometry { return s.geom }

// Model returns the model.
func (s *MSC) Model() *lattice.Ising { return s.model }

// Temperature returns T.
func (s *MSC) Temperature() float64 { return s.temp }
