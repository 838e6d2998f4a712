package sample

import (
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/internal/xrand"
	"github.com/rsmi-go/rsmi/lattice"
)

// SwendsenWang is the multi-cluster algorithm of Swendsen and Wang (Phys.
// Rev. Lett. 58, 86 (1987)) for Ising models with ferromagnetic pair
// couplings H = −Σ_b K_b s_i s_j, K_b ≥ 0 (any pairs, see
// lattice.Ising.PairCouplings).
//
// One Step is one full sweep: every bond b = (i, j) between aligned spins is
// activated with probability p_b = 1 − exp(−2K_b/T); the connected clusters of
// active bonds are found by union-find (path halving, the smaller index
// becomes the root); each cluster is flipped with probability 1/2.
// Activation is decided for all bonds first without branches (one 64-bit
// random number per bond, aligned or not, into a bit set), then the set bits
// are merged.
//
// Random numbers come from a local xoshiro256** generator seeded with four
// draws from src (the same seeded src gives the same chain); one 64-bit
// number per bond and one bit per site (the flip bit read at each cluster's
// root). The initial configuration is a random hot start; use SetConfig for
// another. Step does not allocate.
type SwendsenWang struct {
	model *lattice.Ising
	geom  *lattice.Geometry
	temp  float64
	x     []int8
	rng   xrand.Xoshiro

	bi, bj []int32  // bonds with K > 0
	pb     []uint64 // 64-bit activation thresholds
	parent []int32
	flip   []uint64 // one random bit per site
	active []uint64 // one activity bit per bond
}

// NewSwendsenWang returns a Swendsen–Wang sampler for m at temperature T > 0.
// It returns an error if m has a term that is not a two-spin product or a
// pair with K < 0.
func NewSwendsenWang(m *lattice.Ising, T float64, src rand.Source) (*SwendsenWang, error) {
	g, err := newPairGraph(m, T, src, "SwendsenWang")
	if err != nil {
		return nil, err
	}
	n := m.Geometry().NumDOF()
	s := &SwendsenWang{model: m, geom: m.Geometry(), temp: T, rng: xrand.New(src), x: make([]int8, n)}
	s.bi = make([]int32, len(g.bonds))
	s.bj = make([]int32, len(g.bonds))
	s.pb = make([]uint64, len(g.bonds))
	for k, b := range g.bonds {
		s.bi[k], s.bj[k] = b.I, b.J
		s.pb[k] = xrand.Threshold64(-math.Expm1(-2 * b.K / T))
	}
	s.parent = make([]int32, n)
	s.flip = make([]uint64, (n+63)/64)
	s.active = make([]uint64, (len(g.bonds)+63)/64)
	for i := range s.x {
		s.x[i] = int8(2*(s.rng.Uint64()>>63)) - 1
	}
	return s, nil
}

// find returns the root of i, halving the path on the way.
func find(parent []int32, i int32) int32 {
	for {
		p := parent[i]
		if p == i {
			return i
		}
		gp := parent[p]
		parent[i] = gp
		i = gp
	}
}

// Step performs one Swendsen–Wang sweep.
func (s *SwendsenWang) Step() {
	r := s.rng
	x, parent := s.x, s.parent
	for i := range parent {
		parent[i] = int32(i)
	}
	// Pass 1, branch-free: one random number per bond, one activity bit per
	// bond (aligned and below the threshold).
	bi, bj, pb := s.bi, s.bj[:len(s.bi)], s.pb[:len(s.bi)]
	active := s.active
	for w := range active {
		lo := w * 64
		hi := min(lo+64, len(bi))
		var word uint64
		for k := lo; k < hi; k++ {
			a := b2u(x[bi[k]] == x[bj[k]]) & b2u(r.Uint64() < pb[k])
			word |= uint64(a) << uint(k-lo)
		}
		active[w] = word
	}
	// Pass 2: union the active bonds, visiting set bits only.
	for w, word := range active {
		for word != 0 {
			k := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			ri, rj := find(parent, bi[k]), find(parent, bj[k])
			if ri < rj {
				parent[rj] = ri
			} else {
				parent[ri] = rj
			}
		}
	}
	for k := range s.flip {
		s.flip[k] = r.Uint64()
	}
	// Roots are the smallest index of their cluster, so in increasing order
	// parent[p] is already the root of p for every p < i.
	flip := s.flip
	for i := range x {
		root := parent[i]
		if root != int32(i) {
			root = parent[root]
			parent[i] = root
		}
		f := int8(flip[root>>6] >> (root & 63) & 1)
		x[i] *= 1 - 2*f
	}
	s.rng = r
}

// Config returns the current configuration (aliasing the sampler's state).
func (s *SwendsenWang) Config() []int8 { return s.x }

// Geometry returns the model's geometry.
func (s *SwendsenWang) Geometry() *lattice.Geometry { return s.geom }

// Temperature returns T.
func (s *SwendsenWang) Temperature() float64 { return s.temp }

// SetConfig replaces the current configuration by a copy of x (values ±1).
func (s *SwendsenWang) SetConfig(x []int8) error { return setSpins(s.x, x) }
