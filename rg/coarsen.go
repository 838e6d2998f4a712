package rg

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

var errNilRule = errors.New("rg: nil rule (want rsmi.Majority{}, rsmi.Decimation{}, a learned *rsmi.Filter or another rsmi.Rule)")

// maxTableEntries bounds the size q^nv · q_h^k of the probability table
// of a tabulated rule (32 MiB of float64): larger rules are applied
// directly.
const maxTableEntries = 1 << 22

// Blocking is one real-space RG step on a lattice: it tiles the lattice with
// hypercubic blocks of side b and applies an rsmi.Rule to every block. Block
// B with coarse coordinates X covers the fine sites b·X + δ, δ ∈ [0,b)^d,
// passed to the rule in the order of their offsets δ, x fastest.
//
// With a one-output rule the coarse variables live on the lattice of extents
// L_a/b (Coarse), coarse site X holding block X. A rule with k > 1 outputs
// per block places output h of block X at (k·X_0 + h, X_1, …): a Geometry
// of extents (k·L_0/b, L_1/b, …) with no Lattice of its own.
//
// For small blocks — q^nv ≤ rsmi.MaxTabulatedStates block states of nv
// dofs with q values — the rule is tabulated once (rsmi.TabulateRule) and
// every block is a table look-up with at most one random draw. The coarse
// variables then have exactly the distribution P(h|v) of the rule, but not
// the random stream its own Apply would draw: a stochastic or symmetrized
// rule gives other (equally distributed) coarse configurations than
// calling rule.Apply block by block. rsmi.Majority and rsmi.Decimation are
// applied directly (they draw the same coins either way).
//
// A Blocking is immutable and safe for concurrent use.
type Blocking struct {
	fine   *lattice.Lattice
	coarse *lattice.Lattice
	geom   *lattice.Geometry
	b, k   int
	nv     int
	rule   rsmi.Rule
	states []int8          // values of the fine dofs; nil: ±1
	out    []int8          // values of the coarse variables; nil: ±1
	table  *rsmi.RuleTable // the tabulated rule, or nil
	blocks []int32         // nBlocks × nv fine sites, block-major, block order = coarse order
}

// NewBlocking returns the blocking of lat by blocks of side b under rule
// for ±1 spins (NewBlockingStates for dofs with other values). It returns
// an error if b < 1, if b does not divide every extent, if the rule rejects
// blocks of b^d spins (rule.Check), if tabulating the rule fails (a
// conditional P(h|v) that is negative or does not sum to 1), or (for a
// one-output rule) if a coarse extent would be smaller than 2.
func NewBlocking(lat *lattice.Lattice, b int, rule rsmi.Rule) (*Blocking, error) {
	return NewBlockingStates(lat, b, rule, nil)
}

// NewBlockingStates is NewBlocking for fine dofs that take the values
// states (sorted and distinct, as sample.Dataset.States; nil means ±1).
func NewBlockingStates(lat *lattice.Lattice, b int, rule rsmi.Rule, states []int8) (*Blocking, error) {
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
	nv := 1
	cext := make([]int, len(ext))
	for a, e := range ext {
		if e%b != 0 {
			return nil, fmt.Errorf("rg: block side b = %d does not tile extent %d along axis %d", b, e, a)
		}
		cext[a] = e / b
		nv *= b
	}
	states = spinsAsNil(states)
	if err := rsmi.CheckRule(rule, nv, states); err != nil {
		return nil, ruleError(nv, err)
	}
	k := rule.Outputs()
	bl := &Blocking{fine: lat, b: b, k: k, nv: nv, rule: rule, states: slices.Clone(states),
		out: slices.Clone(spinsAsNil(rule.States()))}
	if err := bl.tabulate(); err != nil {
		return nil, err
	}
	if err := bl.coarseGeometry(cext); err != nil {
		return nil, err
	}
	bl.blockTables(cext)
	return bl, nil
}

// ruleError wraps an error of rule.Check.
func ruleError(nv int, err error) error {
	if strings.HasPrefix(err.Error(), "rg:") {
		return err
	}
	return fmt.Errorf("rg: the rule cannot act on blocks of %d dofs: %w", nv, err)
}

// spinsAsNil returns nil for the ±1 alphabet (nil or {−1, 1}) and states
// otherwise.
func spinsAsNil(states []int8) []int8 {
	if len(states) == 2 && states[0] == -1 && states[1] == 1 {
		return nil
	}
	return states
}

// tabulate builds the rule's table if the block and the table are small
// enough (see Blocking). Majority rule and decimation are applied directly:
// their Apply is as fast as a look-up and draws the same random numbers.
func (bl *Blocking) tabulate() error {
	switch bl.rule.(type) {
	case rsmi.Majority, rsmi.Decimation:
		return nil
	}
	q := 2
	if bl.states != nil {
		q = len(bl.states)
	}
	qh := len(bl.rule.States())
	entries := 1
	for range bl.nv {
		if entries > rsmi.MaxTabulatedStates/q {
			return nil
		}
		entries *= q
	}
	for range bl.k {
		if qh < 1 || entries > maxTableEntries/qh {
			return nil
		}
		entries *= qh
	}
	t, err := rsmi.TabulateRule(bl.rule, bl.nv, bl.states)
	if err != nil {
		return fmt.Errorf("rg: tabulating the rule on blocks of %d dofs: %w", bl.nv, err)
	}
	bl.table = t
	return nil
}

// coarseGeometry sets the coarse lattice (one output per block) or the
// geometry of several outputs per block.
func (bl *Blocking) coarseGeometry(cext []int) error {
	if bl.k == 1 {
		for a, e := range cext {
			if e < 2 {
				return fmt.Errorf("rg: coarse extent %d along axis %d (fine %d, b = %d) is smaller than 2", e, a, e*bl.b, bl.b)
			}
		}
		c, err := lattice.NewLattice(cext...)
		if err != nil {
			return err
		}
		bl.coarse, bl.geom = c, c.Geometry()
		return nil
	}
	nb := product(cext)
	gext := slices.Clone(cext)
	gext[0] *= bl.k
	coords := make([][]int, 0, nb*bl.k)
	X := make([]int, len(cext))
	for B := 0; B < nb; B++ {
		blockCoords(B, cext, X)
		for h := 0; h < bl.k; h++ {
			c := slices.Clone(X)
			c[0] = bl.k*X[0] + h
			coords = append(coords, c)
		}
	}
	g, err := lattice.NewGeometry(gext, coords)
	if err != nil {
		return err
	}
	bl.geom = g
	return nil
}

// blockTables lists the fine sites of every block.
func (bl *Blocking) blockTables(cext []int) {
	d := len(cext)
	nb := product(cext)
	bl.blocks = make([]int32, 0, nb*bl.nv)
	X := make([]int, d)
	delta := make([]int, d)
	c := make([]int, d)
	side := make([]int, d)
	for a := range side {
		side[a] = bl.b
	}
	for B := 0; B < nb; B++ {
		blockCoords(B, cext, X)
		for o := 0; o < bl.nv; o++ {
			blockCoords(o, side, delta)
			for a := range c {
				c[a] = bl.b*X[a] + delta[a]
			}
			bl.blocks = append(bl.blocks, int32(bl.fine.Index(c...)))
		}
	}
}

func product(x []int) int {
	n := 1
	for _, e := range x {
		n *= e
	}
	return n
}

// blockCoords writes the coordinates of flat index i (x fastest) in a box of
// extents ext into dst.
func blockCoords(i int, ext, dst []int) {
	for a, e := range ext {
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
func (bl *Blocking) Rule() rsmi.Rule { return bl.rule }

// States returns the values of the fine dofs (nil: ±1). The caller must not
// modify the slice.
func (bl *Blocking) States() []int8 { return bl.states }

// BlockSites returns the fine sites of block B in the order the rule sees
// them. The slice aliases internal storage: do not modify it.
func (bl *Blocking) BlockSites(B int) []int32 {
	return bl.blocks[B*bl.nv : (B+1)*bl.nv : (B+1)*bl.nv]
}

// Apply coarse-grains one fine configuration into dst (reallocated if too
// short; length Geometry().NumDOF()) and returns it. It panics if len(fine)
// is not the number of fine sites or (for a tabulated rule) if a value is
// not one of the blocking's States.
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
		if bl.table != nil {
			bl.table.ApplyState(dst[B*bl.k:(B+1)*bl.k], bl.table.Index(block), src)
		} else {
			bl.rule.Apply(dst[B*bl.k:(B+1)*bl.k], block, src)
		}
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
// dimension) and applies rule to each block. rule.Check must accept blocks
// of b^d dofs with the values ds.States. It returns the coarse dataset,
// whose Geometry is that of NewBlockingStates(lat, b, rule, ds.States) —
// for a one-output rule the lattice b times smaller, from
// lattice.NewLattice(L/b, …) — and whose States are the rule's (nil for
// ±1).
//
// Randomness (tie-breaks, stochastic rules) comes from src: Coarsen draws two
// Uint64 values per chunk of 64 configurations before any work and seeds
// chunk c with rand.NewPCG; chunks run in parallel, so the result depends
// only on src. Small blocks use the tabulated rule (see Blocking), whose
// random stream differs from the rule's own Apply; the distribution does
// not.
func Coarsen(ds *sample.Dataset, lat *lattice.Lattice, b int, rule rsmi.Rule, src rand.Source) (*sample.Dataset, error) {
	if ds == nil {
		return nil, errors.New("rg: nil dataset")
	}
	bl, err := NewBlockingStates(lat, b, rule, ds.States)
	if err != nil {
		return nil, err
	}
	return bl.Dataset(ds, src)
}

// Dataset coarse-grains every configuration of ds (see Coarsen). ds must
// live on the fine lattice and hold the blocking's States.
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
	if err := checkValues(ds, bl.states); err != nil {
		return nil, err
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
	coarse, err := sample.NewDataset(bl.geom, out)
	if err != nil {
		return nil, err
	}
	coarse.States = slices.Clone(bl.out)
	return coarse, nil
}

// checkValues returns an error if ds does not declare the values states
// (nil: ±1) or holds a value outside them.
func checkValues(ds *sample.Dataset, states []int8) error {
	if !slices.Equal(spinsAsNil(ds.States), states) {
		return fmt.Errorf("rg: the dataset's values are %v, the blocking's %v (nil: ±1)", ds.States, states)
	}
	if len(ds.Data) != ds.N*ds.D {
		return fmt.Errorf("rg: dataset holds %d values, want %d×%d", len(ds.Data), ds.N, ds.D)
	}
	if i := lattice.Outside(ds.Data, states); i >= 0 {
		return fmt.Errorf("rg: value %d of configuration %d, dof %d, is not one of the dataset's values %v (nil: ±1)", ds.Data[i], i/ds.D, i%ds.D, states)
	}
	return nil
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
