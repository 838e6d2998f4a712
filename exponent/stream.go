package exponent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rg"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// MCRGStream accumulates Swendsen's MCRG moments over configurations that
// arrive one at a time or in batches, in a fixed global order: per rule,
// level n and jackknife block, Σ S^(n), Σ S^(n) S^(n)ᵀ and Σ S^(n) S^(n−1)ᵀ
// of the operator vectors S (within the even and within the odd sector).
// No configuration is kept: memory is O(rules · levels · operators² ·
// blocks).
//
// Several rules coarse-grain the same configurations in one pass (level 0
// is evaluated once), each with its own random streams: NewMCRGStream draws
// two Uint64 values per chunk of 64 configurations and rule (rule after
// rule, chunk after chunk) from src before any work and seeds chunk c of
// rule r with rand.NewPCG, as MCRG always has. The moments are exact
// integer sums (operators on ±1 spins, and the Potts operators of q-state
// variables, are integers), so the result depends
// only on the data and src, never on the batches, GOMAXPROCS or scheduling.
//
// Operators are evaluated on bit planes (lattice.PackedEvaluator). Blocks
// are gathered with rg.NewBlocking's tables and passed to Rule.Apply; a
// rule with a method Cond(v []int8, p []float64) giving p[0] = P(h = −1|v)
// and p[1] = P(h = +1|v) (rsmi's conditional rules) is instead tabulated
// over the 2^(b^d) block states (b^d ≤ 16; q^(b^d) ≤ 2^16 states of
// q-state variables, see MCRGOptions.States), and h = −1 iff a Uint64 of the
// chunk's stream is below P(−1)·2^64, drawn only where 0 < P < 1 (for
// majority rule the same bits as Apply).
//
// MarshalBinary and UnmarshalBinary save and restore the state, so that an
// interrupted stream resumes bit for bit. An MCRGStream is not safe for
// concurrent use; Add parallelizes internally.
type MCRGStream struct {
	lat     *lattice.Lattice
	n       int
	o       MCRGOptions
	rules   []rsmi.Rule
	lats    []*lattice.Lattice         // per level 0…Levels
	sites   [][]int32                  // per level n ≥ 1 (index n−1): fine sites of every block, block-major
	nv      int                        // sites per block
	tables  []stateRule                // per rule: its tabulation, or nil (see blockMapper)
	evals   []*lattice.PackedEvaluator // per level; nil below FirstLevel−1
	q       int                        // 0 for ±1 spins, else the number of states (0 … q−1)
	pevals  []*lattice.PottsEvaluator  // per level for q-state variables, as evals
	lay     layout
	nChunks int
	seeds   [][2]uint64 // rule-major: rule r, chunk c at r·nChunks + c
	done    int
	cur     []*rand.PCG  // per rule: stream of the chunk in progress; nil at a chunk boundary
	mom     [][][]int128 // per rule, per evaluated level (index ℓ − FirstLevel + 1): blocks × stride
	segMax  int          // configurations summed in int64 before a flush
	broken  error        // set when a rule produced a value other than ±1
	mu      sync.Mutex   // guards mom during Add
	workers []*streamWorker
}

// layout places the moments of one level and one jackknife block in a flat
// array: Σ S_i (p values), then per sector the upper triangle of Σ S_i S_j
// (i ≤ j, row-major), then per sector Σ S_i S'_j with S' of the level below
// (full, row-major).
type layout struct {
	p       int
	sectors [][2]int // offset and length of the even and the odd sector (possibly 0)
	tri, sq int      // offsets of the triangles and the squares
	stride  int
}

func newLayout(nEven, nOdd int) layout {
	l := layout{p: nEven + nOdd, sectors: [][2]int{{0, nEven}, {nEven, nOdd}}}
	l.tri = l.p
	l.sq = l.tri
	for _, s := range l.sectors {
		l.sq += s[1] * (s[1] + 1) / 2
	}
	l.stride = l.sq
	for _, s := range l.sectors {
		l.stride += s[1] * s[1]
	}
	return l
}

// accumulate adds the moments of x (and, if y is non-nil, its cross moments
// with y, the level below) to part.
func (l *layout) accumulate(part, x, y []int64) {
	for i, v := range x[:l.p] {
		part[i] += v
	}
	t := l.tri
	for _, s := range l.sectors {
		xs := x[s[0] : s[0]+s[1]]
		for i, xi := range xs {
			row := part[t : t+len(xs)-i]
			for j, xj := range xs[i:] {
				row[j] += xi * xj
			}
			t += len(xs) - i
		}
	}
	if y == nil {
		return
	}
	q := l.sq
	for _, s := range l.sectors {
		xs, ys := x[s[0]:s[0]+s[1]], y[s[0]:s[0]+s[1]]
		for _, xi := range xs {
			row := part[q : q+len(ys)]
			for j, yj := range ys {
				row[j] += xi * yj
			}
			q += len(ys)
		}
	}
}

// chunkRows is the number of configurations that share one random stream
// per rule.
const chunkRows = 64

// maxStreamBytes bounds the memory of the per-chunk seeds and the moments.
const maxStreamBytes = 1 << 30

// NewMCRGStream returns a stream for n configurations on lat coarse-grained
// by every rule of rules (each with one output per block). opts configures
// the block side, the levels (FirstLevel included), the operators and the
// jackknife as for MCRG; its Rule and Progress fields are not used.
// Jackknife block k holds the configurations sample.BlockBounds(n, Blocks, k).
// It returns an error for invalid options or rules, fewer than two
// configurations per jackknife block, or sizes whose seeds and moments would
// exceed 1 GiB.
func NewMCRGStream(lat *lattice.Lattice, n int, rules []rsmi.Rule, src rand.Source, opts *MCRGOptions) (*MCRGStream, error) {
	if lat == nil {
		return nil, errors.New("exponent: MCRG stream needs a lattice")
	}
	if len(rules) == 0 {
		return nil, errors.New("exponent: MCRG stream needs at least one rule")
	}
	if src == nil {
		return nil, errors.New("exponent: MCRG stream needs a random source")
	}
	var o MCRGOptions
	if opts != nil {
		o = *opts
	}
	o.Rule, o.Progress = rules[0], nil
	if err := o.setDefaults(lat); err != nil {
		return nil, err
	}
	if n < 2*o.Blocks {
		return nil, fmt.Errorf("exponent: %d configurations for %d jackknife blocks, want at least 2 per block", n, o.Blocks)
	}
	st := &MCRGStream{lat: lat, n: n, o: o, rules: append([]rsmi.Rule(nil), rules...),
		lay: newLayout(len(o.Even), len(o.Odd)), nChunks: (n + chunkRows - 1) / chunkRows}
	st.q, _ = statesQ(o.States) // checked by setDefaults
	nLev := o.Levels - o.FirstLevel + 2
	bytes := float64(len(rules)) * (16*float64(st.nChunks) + 16*float64(nLev*o.Blocks*st.lay.stride))
	if bytes > maxStreamBytes {
		return nil, fmt.Errorf("exponent: MCRG stream of %d configurations, %d rules, %d blocks and %d operators needs %.3g bytes of seeds and moments, more than %d",
			n, len(rules), o.Blocks, st.lay.p, bytes, maxStreamBytes)
	}
	if err := st.build(); err != nil {
		return nil, err
	}
	st.seeds = make([][2]uint64, len(rules)*st.nChunks)
	for i := range st.seeds {
		st.seeds[i] = [2]uint64{src.Uint64(), src.Uint64()}
	}
	st.cur = make([]*rand.PCG, len(rules))
	st.mom = make([][][]int128, len(rules))
	for r := range st.mom {
		st.mom[r] = make([][]int128, nLev)
		for l := range st.mom[r] {
			st.mom[r][l] = make([]int128, o.Blocks*st.lay.stride)
		}
	}
	return st, nil
}

// build checks the rules and prepares the block tables, the lattices of
// every level, the evaluators and the flush interval.
func (st *MCRGStream) build() error {
	o := &st.o
	st.lats = []*lattice.Lattice{st.lat}
	for n := 1; n <= o.Levels; n++ {
		var first *rg.Blocking
		for r, rule := range st.rules {
			if rule == nil {
				return fmt.Errorf("exponent: rule %d is nil", r)
			}
			if k := rule.Outputs(); k != 1 {
				return fmt.Errorf("exponent: MCRG needs rules with one output per block, rule %d (%T) has %d", r, rule, k)
			}
			bl, err := rg.NewBlockingStates(st.lats[n-1], o.B, rule, o.States)
			if err != nil {
				return fmt.Errorf("exponent: level %d, rule %d: %w", n, r, err)
			}
			if st.q > 0 && !slices.Equal(rule.States(), o.States) {
				return fmt.Errorf("exponent: rule %d (%T) maps blocks of the states %v to the values %v: MCRG iterates rules whose coarse variables take the fine states", r, rule, o.States, rule.States())
			}
			if first == nil {
				first = bl
			}
		}
		st.nv = len(first.BlockSites(0))
		nb := first.Coarse().N()
		tab := make([]int32, 0, nb*st.nv)
		for B := 0; B < nb; B++ {
			tab = append(tab, first.BlockSites(B)...)
		}
		st.sites = append(st.sites, tab)
		st.lats = append(st.lats, first.Coarse())
	}
	for _, rule := range st.rules {
		t, err := newBlockTable(rule, st.nv)
		if st.q > 0 {
			t, err = newStatesTable(rule, st.nv, st.q)
		}
		if err != nil {
			return err
		}
		st.tables = append(st.tables, t)
	}
	vmax, err := st.evaluators()
	if err != nil {
		return err
	}
	// |S| ≤ vmax, so segMax·vmax² ≤ 2^62 keeps the int64 partial sums exact.
	if vmax > 1<<31 {
		return fmt.Errorf("exponent: operator values up to %d (sites × patterns) are too large for exact moments (limit 2^31)", vmax)
	}
	st.segMax = int(min(chunkRows, (int64(1)<<62)/(vmax*vmax)))
	return nil
}

// evaluators builds the operator evaluators of the levels FirstLevel−1 …
// Levels and returns the largest |operator value| they can give.
func (st *MCRGStream) evaluators() (int64, error) {
	o := &st.o
	ops := append(append([]lattice.Operator(nil), o.Even...), o.Odd...)
	st.evals = make([]*lattice.PackedEvaluator, o.Levels+1)
	st.pevals = make([]*lattice.PottsEvaluator, o.Levels+1)
	var vmax int64
	for n := o.FirstLevel - 1; n <= o.Levels; n++ {
		var err error
		if st.q > 0 {
			st.pevals[n], err = lattice.NewPottsEvaluator(st.lats[n], st.q, o.Even, o.Odd)
		} else {
			st.evals[n], err = lattice.NewPackedEvaluator(st.lats[n], ops...)
		}
		if err != nil {
			return 0, fmt.Errorf("exponent: operators on the level-%d lattice %v: %w", n, st.lats[n].Extents(), err)
		}
		for _, op := range ops {
			vmax = max(vmax, int64(len(op.Patterns))*int64(st.lats[n].N())*int64(max(1, st.q-1)))
		}
	}
	return vmax, nil
}

// Lattices returns the lattice of every level 0 … Levels.
func (st *MCRGStream) Lattices() []*lattice.Lattice {
	return append([]*lattice.Lattice(nil), st.lats...)
}

// N returns the number of configurations the stream expects.
func (st *MCRGStream) N() int { return st.n }

// Done returns the number of configurations accumulated so far: the global
// index of the next configuration Add expects.
func (st *MCRGStream) Done() int { return st.done }

// piece is a run of configurations inside one chunk.
type piece struct {
	lo, hi int // global indices
	srcs   []*rand.PCG
}

// Add accumulates the configurations in rows (±1 spins, or the states
// 0 … q−1 of MCRGOptions.States) (whole configurations of
// the lattice, one after another, as in sample.Dataset.Data) whose global
// indices start at first, which must equal Done(). It works on up to
// GOMAXPROCS goroutines. If ctx is cancelled it stops after the chunks under
// way, leaves the stream consistent at Done() (a later Add continues from
// there) and returns an error wrapping ctx.Err(). Configurations beyond N, a
// wrong first index or values other than ±1 are errors and leave the stream
// unchanged.
func (st *MCRGStream) Add(ctx context.Context, first int, rows []int8) error {
	if st.broken != nil {
		return st.broken
	}
	sites := st.lat.N()
	if len(rows)%sites != 0 {
		return fmt.Errorf("exponent: %d values are not whole configurations of %d sites", len(rows), sites)
	}
	k := len(rows) / sites
	if first != st.done {
		return fmt.Errorf("exponent: configurations from index %d added, the stream is at %d", first, st.done)
	}
	if k > st.n-first {
		return fmt.Errorf("exponent: %d configurations from index %d exceed the stream's %d", k, first, st.n)
	}
	if err := st.checkValues(first, rows); err != nil {
		return err
	}
	pieces := st.pieces(first, first+k)
	workers := min(runtime.GOMAXPROCS(0), len(pieces))
	for len(st.workers) < workers {
		st.workers = append(st.workers, st.newWorker())
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(wk *streamWorker) {
			defer wg.Done()
			for i := range next {
				wk.run(st, &pieces[i], rows[(pieces[i].lo-first)*sites:(pieces[i].hi-first)*sites])
			}
		}(st.workers[w])
	}
	handed := 0
feed:
	for ; handed < len(pieces) && ctx.Err() == nil; handed++ {
		select {
		case next <- handed:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	for _, wk := range st.workers[:workers] {
		if wk.err != nil && st.broken == nil {
			st.broken = wk.err
		}
		wk.err = nil
	}
	if handed > 0 {
		last := pieces[handed-1]
		st.done = last.hi
		for r := range st.cur {
			st.cur[r] = nil
			if last.hi%chunkRows != 0 {
				st.cur[r] = last.srcs[r]
			}
		}
	}
	if st.broken != nil {
		return st.broken
	}
	if handed < len(pieces) {
		return fmt.Errorf("exponent: MCRG stream stopped at configuration %d: %w", st.done, ctx.Err())
	}
	return nil
}

// checkValues returns an error naming the first value of rows that is not
// one of the stream's states.
func (st *MCRGStream) checkValues(first int, rows []int8) error {
	sites := st.lat.N()
	if st.q == 0 {
		if i := lattice.NonSpin(rows); i >= 0 {
			return fmt.Errorf("exponent: configuration %d holds the value %d at site %d, want ±1", first+i/sites, rows[i], i%sites)
		}
		return nil
	}
	for i, v := range rows {
		if uint8(v) >= uint8(st.q) {
			return fmt.Errorf("exponent: configuration %d holds the value %d at site %d, want a state 0 … %d", first+i/sites, v, i%sites, st.q-1)
		}
	}
	return nil
}

// pieces splits [lo, hi) at chunk boundaries and gives every piece its
// random streams: the stream of a chunk in progress, or fresh ones.
func (st *MCRGStream) pieces(lo, hi int) []piece {
	var out []piece
	for a := lo; a < hi; {
		c := a / chunkRows
		b := min(hi, (c+1)*chunkRows)
		p := piece{lo: a, hi: b, srcs: make([]*rand.PCG, len(st.rules))}
		for r := range p.srcs {
			if a%chunkRows != 0 { // the chunk's stream continues
				p.srcs[r] = st.cur[r]
			} else {
				s := st.seeds[r*st.nChunks+c]
				p.srcs[r] = rand.NewPCG(s[0], s[1])
			}
		}
		out = append(out, p)
		a = b
	}
	return out
}

// streamWorker is the scratch of one goroutine of Add.
type streamWorker struct {
	cfg    [][]int8              // per level ≥ 1
	maps   [][]blockMapper       // per rule, per level ≥ 1 (index n−1)
	work   []*lattice.PackedWork // per evaluated level
	pwork  []*lattice.PottsWork  // per evaluated level, q-state variables
	vals   [][]int64             // per level
	part   [][][]int64           // per rule, per evaluated level: partial moments
	seg    int                   // configurations in part
	block0 int                   // jackknife block of part
	err    error
}

func (st *MCRGStream) newWorker() *streamWorker {
	L := st.o.Levels
	w := &streamWorker{cfg: make([][]int8, L+1), maps: make([][]blockMapper, len(st.rules)),
		work: make([]*lattice.PackedWork, L+1), pwork: make([]*lattice.PottsWork, L+1), vals: make([][]int64, L+1)}
	for n := 1; n <= L; n++ {
		w.cfg[n] = make([]int8, st.lats[n].N())
	}
	for r, rule := range st.rules {
		for n := 1; n <= L; n++ {
			m := newBlockMapper(rule, st.tables[r], st.sites[n-1], st.nv)
			if st.q > 0 {
				m = newStatesMapper(rule, st.tables[r], st.sites[n-1], st.nv, st.q)
			}
			w.maps[r] = append(w.maps[r], m)
		}
	}
	for n, ev := range st.evals {
		if ev != nil {
			w.work[n] = ev.NewWork()
			w.vals[n] = make([]int64, st.lay.p)
		}
		if pe := st.pevals[n]; pe != nil {
			w.pwork[n] = pe.NewWork()
			w.vals[n] = make([]int64, st.lay.p)
		}
	}
	w.part = make([][][]int64, len(st.rules))
	for r := range w.part {
		w.part[r] = make([][]int64, len(st.mom[r]))
		for l := range w.part[r] {
			w.part[r][l] = make([]int64, st.lay.stride)
		}
	}
	return w
}

// run accumulates the configurations of one piece.
func (w *streamWorker) run(st *MCRGStream, p *piece, rows []int8) {
	sites := st.lat.N()
	lo0 := st.o.FirstLevel - 1
	blk, _, bhi := blockOf(st.n, st.o.Blocks, p.lo)
	w.block0, w.seg = blk, 0
	for i := p.lo; i < p.hi; i++ {
		if i >= bhi || w.seg == st.segMax {
			w.flush(st)
			if i >= bhi {
				blk, _, bhi = blockOf(st.n, st.o.Blocks, i)
				w.block0 = blk
			}
		}
		fine := rows[(i-p.lo)*sites : (i-p.lo+1)*sites]
		if lo0 == 0 && !w.eval(st, 0, fine) {
			return
		}
		for r, maps := range w.maps {
			c := fine
			for n := 1; n <= st.o.Levels; n++ {
				maps[n-1].mapBlocks(w.cfg[n], c, p.srcs[r])
				c = w.cfg[n]
				if n >= lo0 && !w.eval(st, n, c) {
					w.err = fmt.Errorf("exponent: rule %d (%T) produced a value outside the states at level %d", r, st.rules[r], n)
					return
				}
			}
			for n := lo0; n <= st.o.Levels; n++ {
				var below []int64
				if n > lo0 {
					below = w.vals[n-1]
				}
				st.lay.accumulate(w.part[r][n-lo0], w.vals[n], below)
			}
		}
		w.seg++
	}
	w.flush(st)
}

// eval evaluates the operators on the level-n configuration s into w.vals[n].
func (w *streamWorker) eval(st *MCRGStream, n int, s []int8) bool {
	var ok bool
	if st.q > 0 {
		w.vals[n], ok = st.pevals[n].Values(w.vals[n], s, w.pwork[n])
		return ok
	}
	w.vals[n], ok = st.evals[n].Values(w.vals[n], s, w.work[n])
	return ok
}

// flush adds the partial moments to the stream's totals of w.block0.
func (w *streamWorker) flush(st *MCRGStream) {
	if w.seg == 0 {
		return
	}
	st.mu.Lock()
	for r, parts := range w.part {
		for l, part := range parts {
			tot := st.mom[r][l][w.block0*st.lay.stride : (w.block0+1)*st.lay.stride]
			for i, v := range part {
				tot[i].addInt64(v)
			}
			clear(part)
		}
	}
	st.mu.Unlock()
	w.seg = 0
}

// blockOf returns the jackknife block of configuration i and its bounds.
func blockOf(n, blocks, i int) (b, lo, hi int) {
	q, r := n/blocks, n%blocks
	if i < r*(q+1) {
		b = i / (q + 1)
	} else {
		b = r + (i-r*(q+1))/q
	}
	lo, hi = sample.BlockBounds(n, blocks, b)
	return b, lo, hi
}
