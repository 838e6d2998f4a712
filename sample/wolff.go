package sample

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/internal/xrand"
	"github.com/rsmi-go/rsmi/lattice"
)

// Wolff is the single-cluster algorithm of Wolff (Phys. Rev. Lett. 62, 361
// (1989)) for Ising models with ferromagnetic pair couplings,
// H = −Σ_b K_b s_i s_j with every K_b ≥ 0 (nearest-neighbour, next-nearest or
// any other pairs; see lattice.Ising.PairCouplings).
//
// One Step grows one cluster from a uniformly random seed site, adding each
// bond b = (i, j) from a cluster spin to an aligned spin with probability
// p_b = 1 − exp(−2K_b/T), and flips it. Clusters are flipped as they grow, so
// the cost of a step is proportional to the cluster size
// (LastClusterSize). Near T_c the mean cluster size is of order χ, so one
// Step is a fraction of a sweep; compare algorithms per flipped spin.
//
// Random numbers come from a local xoshiro256** generator seeded with four
// draws from src (the same seeded src gives the same chain). A random number
// is drawn for every bond examined, aligned or not, which keeps the growth
// loop free of unpredictable branches. When every bond has the same
// probability (the nearest-neighbour model, any uniform pair model) each
// 64-bit word decides two bonds, one per 32-bit half, against p rounded to a
// multiple of 2⁻³² (as the Metropolis fast path); otherwise each bond draws
// a 64-bit word, exact to 2⁻⁶⁴. Neighbours come from an int32
// adjacency table, except for the nearest-neighbour model on a 2D lattice,
// whose neighbours are computed by wrapping (a smaller working set on large
// lattices). The initial configuration is a random hot start; use SetConfig
// for another. From a hot start the clusters stay tiny (a few spins) for
// about N/16 clusters on the 2D Ising model at T_c before they reach their
// equilibrium size, so a burn-in counted in clusters must include of order
// N/4 clusters on top of the usual few hundred (seen at L = 128: a burn-in
// of 200 equilibrium-sized intervals gave y_t = 1.35 in MCRG instead of 1).
// Step does not allocate.
type Wolff struct {
	model *lattice.Ising
	geom  *lattice.Geometry
	temp  float64
	x     []int8
	rng   xrand.Xoshiro

	start  []int32  // CSR: bonds of site i are adj[start[i]:start[i+1]]
	adj    []int32  // neighbour of each half-bond
	padd   []uint64 // 64-bit threshold of each half-bond
	z      int      // > 0: every site has z half-bonds with the same threshold
	p32    uint64   // then its 32-bit version (uniform and 2D paths)
	lx, ly int32    // > 0: 2D nearest-neighbour lattice, neighbours computed
	stack  []int32  // n+1 entries: the cluster, pushed without a branch
	last   int
}

// pairGraph is the ferromagnetic bond graph shared by Wolff and SwendsenWang.
type pairGraph struct {
	bonds []lattice.Bond // K > 0 only
}

// newPairGraph validates m for cluster algorithms.
func newPairGraph(m *lattice.Ising, T float64, src rand.Source, who string) (*pairGraph, error) {
	if m == nil {
		return nil, fmt.Errorf("sample: %s needs an Ising model, got nil", who)
	}
	if err := checkArgs(m, T, src); err != nil {
		return nil, err
	}
	bonds, ok := m.PairCouplings()
	if !ok {
		for _, t := range m.Terms() {
			if t.Op.Order() != 2 {
				return nil, fmt.Errorf("sample: %s needs pair couplings; term %q is a %d-spin product", who, t.Op.Name, t.Op.Order())
			}
		}
		return nil, fmt.Errorf("sample: %s needs pair couplings only", who)
	}
	g := &pairGraph{}
	for _, b := range bonds {
		if b.K < 0 || math.IsNaN(b.K) {
			return nil, fmt.Errorf("sample: %s needs ferromagnetic couplings; bond (%d, %d) has K = %v", who, b.I, b.J, b.K)
		}
		if b.K > 0 {
			g.bonds = append(g.bonds, b)
		}
	}
	return g, nil
}

// NewWolff returns a Wolff sampler for m at temperature T > 0. It returns an
// error if m has a term that is not a two-spin product or a pair with K < 0.
func NewWolff(m *lattice.Ising, T float64, src rand.Source) (*Wolff, error) {
	g, err := newPairGraph(m, T, src, "Wolff")
	if err != nil {
		return nil, err
	}
	n := m.Geometry().NumDOF()
	w := &Wolff{model: m, geom: m.Geometry(), temp: T, rng: xrand.New(src), x: make([]int8, n)}
	deg := make([]int32, n+1)
	for _, b := range g.bonds {
		deg[b.I]++
		deg[b.J]++
	}
	w.start = make([]int32, n+1)
	for i := 0; i < n; i++ {
		w.start[i+1] = w.start[i] + deg[i]
	}
	w.adj = make([]int32, w.start[n])
	w.padd = make([]uint64, w.start[n])
	fill := append([]int32(nil), w.start[:n]...)
	var prob0 float64 // activation probability of the first bond
	for k, b := range g.bonds {
		prob := -math.Expm1(-2 * b.K / T)
		if k == 0 {
			prob0 = prob
		}
		p := xrand.Threshold64(prob)
		w.adj[fill[b.I]], w.padd[fill[b.I]] = b.J, p
		fill[b.I]++
		w.adj[fill[b.J]], w.padd[fill[b.J]] = b.I, p
		fill[b.J]++
	}
	// uniform degree and threshold: use the fixed-stride loop
	if n > 0 && len(w.adj) > 0 {
		z, p := int(deg[0]), w.padd[0]
		uniform := true
		for i := 0; i < n && uniform; i++ {
			uniform = int(deg[i]) == z
		}
		for _, q := range w.padd {
			uniform = uniform && q == p
		}
		if uniform {
			w.z, w.p32 = z, xrand.Threshold32(prob0)
		}
	}
	if J, ok := nearestNeighborJ(m); ok && J > 0 && m.Lattice().Dim() == 2 {
		ext := m.Lattice().Extents()
		w.lx, w.ly = int32(ext[0]), int32(ext[1])
		w.p32 = xrand.Threshold32(-math.Expm1(-2 * J / T))
	}
	w.stack = make([]int32, n+1)
	for i := range w.x {
		w.x[i] = int8(2*(w.rng.Uint64()>>63)) - 1
	}
	return w, nil
}

// Step grows and flips one cluster.
func (w *Wolff) Step() {
	r := w.rng
	x, stack := w.x, w.stack
	if len(stack) != len(x)+1 {
		panic("sample: Wolff state corrupted")
	}
	i0 := int32(r.Intn(len(x)))
	s0 := x[i0]
	x[i0] = -s0
	stack[0] = i0
	size := 1
	if w.lx > 0 {
		size = w.grow2D(&r, s0, size)
	} else if z := w.z; z > 0 {
		p, adj := w.p32, w.adj
		for top := 0; top < size; top++ {
			k := int(stack[top])
			nb := adj[k*z : k*z+z]
			for e := 0; e+1 < len(nb); e += 2 {
				u := r.Uint64()
				size = wolffBond(x, stack, size, nb[e], s0, u&0xFFFFFFFF < p)
				size = wolffBond(x, stack, size, nb[e+1], s0, u>>32 < p)
			}
			if z&1 != 0 {
				size = wolffBond(x, stack, size, nb[z-1], s0, r.Uint64()&0xFFFFFFFF < p)
			}
		}
	} else {
		start, adj, padd := w.start, w.adj, w.padd
		for top := 0; top < size; top++ {
			k := stack[top]
			lo, hi := start[k], start[k+1]
			nb, pb := adj[lo:hi], padd[lo:hi]
			for e, y := range nb {
				a := b2u(x[y] == s0) & b2u(r.Uint64() < pb[e])
				x[y] *= int8(1 - 2*a)
				stack[size] = y
				size += int(a)
			}
		}
	}
	w.last = size
	w.rng = r
}

// grow2D grows the cluster on an Lx × Ly torus with nearest-neighbour
// bonds, computing the four neighbours by wrapping instead of reading a
// table (which keeps the working set small on large lattices). Each 64-bit
// random word decides two bonds, one per 32-bit half, against the 32-bit
// threshold p32.
func (w *Wolff) grow2D(rp *xrand.Xoshiro, s0 int8, size int) int {
	r := *rp
	x, stack, p := w.x, w.stack, w.p32
	lx, ly := w.lx, w.ly
	n := lx * ly
	ulx := uint32(lx)
	for top := 0; top < size; top++ {
		k := stack[top]
		row := int32(uint32(k) / ulx)
		j := k - row*lx
		up, dn, lf, rt := k-lx, k+lx, k-1, k+1
		if row == 0 {
			up = k + n - lx
		}
		if row == ly-1 {
			dn = j
		}
		if j == 0 {
			lf = k + lx - 1
		}
		if j == lx-1 {
			rt = k - lx + 1
		}
		u := r.Uint64()
		size = wolffBond(x, stack, size, up, s0, u&0xFFFFFFFF < p)
		size = wolffBond(x, stack, size, dn, s0, u>>32 < p)
		u = r.Uint64()
		size = wolffBond(x, stack, size, lf, s0, u&0xFFFFFFFF < p)
		size = wolffBond(x, stack, size, rt, s0, u>>32 < p)
	}
	*rp = r
	return size
}

// wolffBond adds site y to the cluster if it is aligned with the cluster's
// old spin s0 and the bond's random test passed (ok): it flips y and pushes
// it, without a branch, and returns the new cluster size.
func wolffBond(x []int8, stack []int32, size int, y int32, s0 int8, ok bool) int {
	a := b2u(x[y] == s0) & b2u(ok)
	x[y] *= int8(1 - 2*a)
	stack[size] = y
	return size + int(a)
}

// LastClusterSize returns the number of spins flipped by the last Step (0
// before the first).
func (w *Wolff) LastClusterSize() int { return w.last }

// Config returns the current configuration (aliasing the sampler's state).
func (w *Wolff) Config() []int8 { return w.x }

// Geometry returns the model's geometry.
func (w *Wolff) Geometry() *lattice.Geometry { return w.geom }

// Temperature returns T.
func (w *Wolff) Temperature() float64 { return w.temp }

// SetConfig replaces the current configuration by a copy of x (values ±1).
func (w *Wolff) SetConfig(x []int8) error { return setSpins(w.x, x) }

// setSpins validates a ±1 configuration and copies it into dst.
func setSpins(dst, x []int8) error {
	if len(x) != len(dst) {
		return fmt.Errorf("sample: configuration of length %d, want %d", len(x), len(dst))
	}
	for i, v := range x {
		if v != 1 && v != -1 {
			return fmt.Errorf("sample: spin %d has value %d, want ±1", i, v)
		}
	}
	copy(dst, x)
	return nil
}
