package rg

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// Blocking is one real-space RG step on a lattice: it tiles the lattice with
// hypercubic blocks of side b and applies a Rule to every block. Block B with
// coarse coordinates X covers the fine sites b·X + δ, δ ∈ [0,b)^d.
//
// With a one-output rule the coarse variables live on the lattice of extents
// L_a/b (Coarse), coarse site X holding block X. A rule with k > 1 outputs
// per block places output h of block X at (k·X_0 + h, X_1, …): a Geometry
// of extents (k·L_0/b, L_1/b, …) with no Lattice of its own.
//
// A Blocking is immutable and safe for concurrent use.
type Blocking struct {
	fine   *lattice.Lattice
	coarse *lattice.Lattice
	geom   *lattice.Geometry
	b, k   int
	nv     int
	rule   Rule
	blocks []int32 // nBlocks × nv fine sites, block-major, block order = coarse order
}

// NewBlocking returns the blocking of lat by blocks of side b under rule. It
// returns an error if b < 1, if b does not divide every extent, if the rule
// rejects blocks of b^d dofs, or (for a one-output rule) if a coarse extent
// would be smaller than 2.
func NewBlocking(lat *lattice.Lattice, b int, rule Rule) (*Blocking, error) {
	if lat == nil {
		return nil, errors.New("rg: blocking needs a lattice")
	}
	if rule == nil {
		return nil, errNilRule
	}
	if b < 1 {
		return nil, fmt.Errorf("rg: block side b = %d, want ≥ 1", b)
	}
	ext := lat.Extents()
	d := len(ext)
	nv := 1
	cext := make([]int, d)
	for a, e := range ext {
		if e%b != 0 {
			return nil, fmt.Errorf("rg: block side b = %d does not tile extent %d along axis %d", b, e, a)
		}
		cext[a] = e / b
		nv *= b
	}
	if err := rule.Check(nv); err != nil {
		if strings.HasPrefix(err.Error(), "rg:") {
			return nil, err
		}
		return nil, fmt.Errorf("rg: the rule cannot act on blocks of %d dofs: %w", nv, err)
	}
	k := rule.Outputs()
	if k < 1 {
		return nil, fmt.Errorf("rg: rule has %d outputs per block", k)
	}
	bl := &Blocking{fine: lat, b: b, k: k, nv: nv, rule: rule}
	nb := 1
	for _, e := range cext {
		nb *= e
	}
	// Coarse geometry.
	if k == 1 {
		for a, e := range cext {
			if e < 2 {
				return nil, fmt.Errorf("rg: coarse extent %d along axis %d (fine %d, b = %d) is smaller than 2", e, a, ext[a], b)
			}
		}
		c, err := lattice.NewLattice(cext...)
		if err != nil {
			return nil, err
		}
		bl.coarse, bl.geom = c, c.Geometry()
	} else {
		gext := append([]int(nil), cext...)
		gext[0] *= k
		coords := make([][]int, 0, nb*k)
		X := make([]int, d)
		for B := 0; B < nb; B++ {
			blockCoords(B, cext, X)
			for h := 0; h < k; h++ {
				c := append([]int(nil), X...)
				c[0] = k*X[0] + h
				coords = append(coords, c)
			}
		}
		g, err := lattice.NewGeometry(gext, coords)
		if err != nil {
			return nil, err
		}
		bl.geom = g
	}
	// Block tables.
	bl.blocks = make([]int32, 0, nb*nv)
	X := make([]int, d)
	delta := make([]int, d)
	c := make([]int, d)
	for B := 0; B < nb; B++ {
		blockCoords(B, cext, X)
		for o := 0; o < nv; o++ {
			blockCoords(o, nil, delta, b)
			for a := range c {
				c[a] = b*X[a] + delta[a]
			}
			bl.blocks = append(bl.blocks, int32(lat.Index(c...)))
		}
	}
	return bl, nil
}

// blockCoords writes the coordinates of flat index i (x fastest) into dst,
// in a box of extents ext, or of side side[0] along every axis if ext is nil.
func blockCoords(i int, ext []int, dst []int, side ...int) {
	for a := range dst {
		e := 0
		if ext != nil {
			e = ext[a]
		} else {
			e = side[0]
		}
		dst[a] = i % e
		i /= e
	}
}

// Fine returns the fine lattice.
func (bl *Blocking) Fine() *lattice.Lattice { return bl.fine }

// Coarse returns the coarse lattice, or nil for a rule with several outputs
// per block.
func (bl *Blocking) Coarse() *lattice.Lattice { return bl.coarse }

// Geometry returns the geometry of the coarse variables.
func (bl *Blocking) Geometry() *lattice.Geometry { return bl.geom }

// B returns the block side.
func (bl *Blocking) B() int { return bl.b }

// Rule returns the rule.
func (bl *Blocking) Rule() Rule { return bl.rule }

// BlockSites returns the fine sites of block B in the order the rule sees
// them. The slice aliases internal storage: do not modify it.
func (bl *Blocking) BlockSites(B int) []int32 {
	return bl.blocks[B*bl.nv : (B+1)*bl.nv : (B+1)*bl.nv]
}

// Apply coarse-grains one fine configuration into dst (reallocated if too
// short; length Geometry().NumDOF()) and returns it. It panics if len(fine)
// is not the number of fine sites.
func (bl *Blocking) Apply(dst, fine []int8, src rand.Source) []int8 {
	if len(fine) != bl.fine.N() {
		panic(fmt.Sprintf("rg: configuration of length %d on %d fine sites", len(fine), bl.fine.N()))
	}
	n := bl.geom.NumDOF()
	if cap(dst) < n {
		dst = make([]int8, n)
	}
	dst = dst[:n]
	bl.apply(dst, fine, make([]int8, bl.nv), src)
	return dst
}

// apply is Apply with a caller-supplied block buffer of length nv.
func (bl *Blocking) apply(dst, fine, block []int8, src rand.Source) {
	nb := len(bl.blocks) / bl.nv
	for B := 0; B < nb; B++ {
		for o, i := range bl.blocks[B*bl.nv : (B+1)*bl.nv] {
			block[o] = fine[i]
		}
		bl.rule.Apply(dst[B*bl.k:(B+1)*bl.k], block, src)
	}
}

// chunkRows is the number of configurations that share one derived random
// stream in Coarsen: the result depends on the master source only, never on
// scheduling.
const chunkRows = 64

// chunkSources draws two Uint64 values per chunk of chunkRows rows from src,
// in order, and returns one PCG source per chunk.
func chunkSources(src rand.Source, rows int) []rand.Source {
	n := (rows + chunkRows - 1) / chunkRows
	out := make([]rand.Source, n)
	for c := range out {
		out[c] = rand.NewPCG(src.Uint64(), src.Uint64())
	}
	return out
}

// Coarsen applies one RG step to every configuration of ds, which must live
// on lat: it tiles lat with blocks of side b (b must divide every extent; any
// dimension) and applies rule to each block. It returns the coarse dataset,
// whose Geometry is that of NewBlocking(lat, b, rule); for a one-output rule
// that is the lattice b times smaller, from lattice.NewLattice(L/b, …).
//
// Randomness (tie-breaks, stochastic rules) comes from src: Coarsen draws two
// Uint64 values per chunk of 64 configurations before any work and seeds
// chunk c with rand.NewPCG; chunks run in parallel, so the result depends
// only on src.
func Coarsen(ds *sample.Dataset, lat *lattice.Lattice, b int, rule Rule, src rand.Source) (*sample.Dataset, error) {
	bl, err := NewBlocking(lat, b, rule)
	if err != nil {
		return nil, err
	}
	return bl.Dataset(ds, src)
}

// Dataset coarse-grains every configuration of ds (see Coarsen).
func (bl *Blocking) Dataset(ds *sample.Dataset, src rand.Source) (*sample.Dataset, error) {
	if ds == nil {
		return nil, errors.New("rg: nil dataset")
	}
	if src == nil {
		return nil, errors.New("rg: Coarsen needs a random source")
	}
	if !ds.Geom.Equal(bl.fine.Geometry()) {
		return nil, fmt.Errorf("rg: dataset geometry (extents %v, %d dofs) is not the lattice's (extents %v)",
			ds.Geom.Extents(), ds.D, bl.fine.Extents())
	}
	nc := bl.geom.NumDOF()
	out := make([]int8, ds.N*nc)
	srcs := chunkSources(src, ds.N)
	parallelChunks(len(srcs), func(c int) {
		lo, hi := c*chunkRows, min((c+1)*chunkRows, ds.N)
		block := make([]int8, bl.nv)
		for i := lo; i < hi; i++ {
			bl.apply(out[i*nc:(i+1)*nc], ds.Row(i), block, srcs[c])
		}
	})
	return sample.NewDataset(bl.geom, out)
}

// parallelChunks calls f(c) for c in [0, n) on up to GOMAXPROCS goroutines
// and waits for all of them.
func parallelChunks(n int, f func(c int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for c := 0; c < n; c++ {
			f(c)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				f(c)
			}
		}()
	}
	for c := 0; c < n; c++ {
		next <- c
	}
	close(next)
	wg.Wait()
}
