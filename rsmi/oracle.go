package rsmi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"sync"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// MaxOracleDOF bounds the exact oracle's work per environment: it enumerates
// at most 2^MaxOracleDOF configurations of block and buffer, or keeps
// transfer tables over at most 2^MaxOracleDOF frontier states.
const MaxOracleDOF = 24

// OracleOptions configures NewExactOracle. Nil, and every zero field,
// means the default in the field's comment.
type OracleOptions struct {
	// Positions restricts the block positions used (default nil: all).
	Positions []int
	// MaxPairs, if positive, uses only MaxPairs of the (sample, position)
	// pairs, spread evenly over all of them in the order of Regions.PairsAt
	// (so over all samples, as Regions.SpreadPairs keeps its pairs).
	// (Default 0: all pairs.)
	MaxPairs int
	// Workers is the number of goroutines (default GOMAXPROCS). The result
	// does not depend on it.
	Workers int
	// Progress, if not nil, is called from the calling goroutine with Stage
	// "rsmi.NewExactOracle" and Done, Total counting the distinct
	// (position, environment) pairs computed, at the start and after every
	// batch of them. (Default nil.)
	Progress run.ProgressFunc

	path int // tests: force pathEnumerate or pathEliminate for pair models
}

const (
	pathAuto = iota
	pathEnumerate
	pathEliminate
)

// NewExactOracle returns the exact estimator of I_Λ(H:E) for a finite-range
// model at temperature T, averaged over the environments found in ds at the
// regions' block positions.
//
// An environment shell at least as wide as the interaction range
// (r.Env() ≥ m.Range()) screens block and buffer from everything farther,
// so the true conditional distribution of the block given its environment is
//
//	P(v|e) ∝ Σ_b exp(−H(v, b, e, rest)/T)
//
// for any fixed rest: the oracle takes each sample, keeps its environment
// and the rest, and enumerates the 2^(|block|+|B|) configurations of block
// and buffer (in Gray-code order, one Model.DeltaE per configuration),
// accumulating the Boltzmann weights of each block state. Pair-coupled
// Ising models (lattice.Ising with PairCouplings) take a fast path: either
// the buffer is summed out dof by dof along the region's raster order (a
// transfer matrix whose state is the frontier of summed dofs still coupled
// to unsummed ones, plus V), or an independent set of the buffer is summed
// analytically and the rest enumerated — whichever costs less. I_Λ(H:E) is then
// exact up to the sampling of E (typically about ±0.002 bit for a few
// thousand environments). Identical (position, environment) pairs are
// computed once and weighted by their count.
//
// The model must implement lattice.Ranged, have the states {−1, +1}, and the
// same geometry as r and ds, whose values must be ±1 as well; E must exclude
// no dof of the shell, and block plus buffer may hold at most MaxOracleDOF
// dofs.
func NewExactOracle(ctx context.Context, m lattice.Model, T float64, r *Regions, ds *sample.Dataset, opts *OracleOptions) (*Exact, error) {
	if err := checkOracleInputs(m, T, r, ds); err != nil {
		return nil, err
	}
	o, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	positions, err := r.checkPositions(o.Positions)
	if err != nil {
		return nil, err
	}
	for _, p := range positions {
		if len(r.ExcludedE(p)) > 0 {
			return nil, fmt.Errorf("rsmi: position %d: the exact oracle needs every dof of the environment shell in E (%d excluded)", p, len(r.ExcludedE(p)))
		}
	}
	or := &oracle{m: m, T: T, r: r, ds: ds, o: &o}
	if err := or.plan(ctx, positions); err != nil {
		return nil, err
	}
	if err := or.collect(ctx, positions); err != nil {
		return nil, err
	}
	pve, err := or.conds(ctx)
	if err != nil {
		return nil, err
	}
	return NewExact(r.NV(), pve, or.counts)
}

// resolve returns the options with the defaults filled in.
func (opts *OracleOptions) resolve() (OracleOptions, error) {
	var o OracleOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxPairs < 0 || o.Workers < 0 {
		return o, fmt.Errorf("rsmi: OracleOptions.MaxPairs = %d, Workers = %d: negative", o.MaxPairs, o.Workers)
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o, nil
}

// checkOracleInputs validates the model, temperature, regions and dataset
// of NewExactOracle.
func checkOracleInputs(m lattice.Model, T float64, r *Regions, ds *sample.Dataset) error {
	if m == nil || r == nil || ds == nil {
		return errors.New("rsmi: NewExactOracle needs a model, regions and a dataset")
	}
	if !(T > 0) || math.IsInf(T, 0) {
		return fmt.Errorf("rsmi: temperature T = %v is not positive and finite", T)
	}
	if !m.Geometry().Equal(r.Geometry()) {
		return errors.New("rsmi: the model's geometry does not match the regions'")
	}
	if err := r.checkDataset(ds); err != nil {
		return err
	}
	rm, ok := m.(lattice.Ranged)
	if !ok {
		return errors.New("rsmi: the exact oracle needs a model with a finite interaction range (lattice.Ranged)")
	}
	if rng := rm.Range(); r.Env() < rng {
		return fmt.Errorf("rsmi: environment width %d is narrower than the model's interaction range %d: the shell does not screen the block", r.Env(), rng)
	}
	if st := m.States(); !isSpins(st) {
		return fmt.Errorf("rsmi: the exact oracle needs ±1 dofs, the model has states %v", st)
	}
	if !isSpins(ds.States) {
		return fmt.Errorf("rsmi: the exact oracle needs ±1 dofs, the dataset has states %v", ds.States)
	}
	if r.NV() > MaxVisible {
		return fmt.Errorf("rsmi: |V| = %d exceeds the exact oracle's limit of %d", r.NV(), MaxVisible)
	}
	return nil
}

// oracle is the state of NewExactOracle.
type oracle struct {
	m      lattice.Model
	T      float64
	r      *Regions
	ds     *sample.Dataset
	o      *OracleOptions
	pg     *pairGraph        // pair-coupled Ising models: the fast paths
	plans  map[int]*elimPlan // per position, if eliminating beats enumerating
	jobs   []oracleJob       // distinct (position, environment) pairs
	counts []float64         // and their numbers of occurrences
}

// oracleJob is a (sample, position) pair whose environment is computed.
type oracleJob struct{ sample, pos int }

// plan chooses, per position, how block and buffer are summed: pair models
// eliminate the buffer dof by dof when that is cheaper than enumerating
// (or as a test forces), and the work per environment is checked against
// MaxOracleDOF.
func (or *oracle) plan(ctx context.Context, positions []int) error {
	r := or.r
	if is, ok := or.m.(*lattice.Ising); ok {
		if bonds, ok := is.PairCouplings(); ok {
			or.pg = newPairGraph(or.ds.D, bonds)
		}
	}
	or.plans = make(map[int]*elimPlan)
	for _, p := range positions {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("rsmi: exact oracle interrupted while planning position %d: %w", p, err)
		}
		nu := r.NV() + len(r.Hidden(p)) + len(r.B(p))
		if or.pg != nil {
			rest, _ := or.pg.split(r, p)
			nu = len(rest)
			if _, done := or.plans[p]; !done && or.o.path != pathEnumerate {
				plan := or.pg.plan(r, p)
				if or.o.path == pathEliminate || plan.cost < 8*math.Ldexp(1, nu) {
					or.plans[p] = plan
					nu = plan.maxF
				}
			}
		}
		if nu > MaxOracleDOF {
			return fmt.Errorf("rsmi: the exact oracle would need 2^%d states of block and buffer per environment, at most 2^%d: use a smaller block or buffer", nu, MaxOracleDOF)
		}
	}
	return nil
}

// collect lists the distinct (position, environment) pairs of the
// (sample, position) pairs used, with their counts.
func (or *oracle) collect(ctx context.Context, positions []int) error {
	total := or.ds.N * len(positions) // checked by checkDataset and checkPositions
	npairs := total
	if or.o.MaxPairs > 0 && or.o.MaxPairs < total {
		npairs = or.o.MaxPairs
	}
	index := make(map[string]int)
	key := make([]byte, 0, 8+or.r.NE())
	for k := 0; k < npairs; k++ {
		if k%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("rsmi: exact oracle interrupted while collecting environments: %w", err)
			}
		}
		j := spreadIndex(k, total, npairs)
		s, p := j/len(positions), positions[j%len(positions)]
		row := or.ds.Row(s)
		key = append(key[:0], byte(p), byte(p>>8), byte(p>>16), byte(p>>24))
		for _, d := range or.r.E(p) {
			key = append(key, byte(row[d]))
		}
		if i, ok := index[string(key)]; ok {
			or.counts[i]++
			continue
		}
		index[string(key)] = len(or.jobs)
		or.jobs = append(or.jobs, oracleJob{s, p})
		or.counts = append(or.counts, 1)
	}
	return nil
}

// conds computes the unnormalized P(v|e) of every job, in batches on
// Workers goroutines.
func (or *oracle) conds(ctx context.Context) ([]float64, error) {
	S := 1 << or.r.NV()
	pve := make([]float64, len(or.jobs)*S)
	workers := or.o.Workers
	errs := make([]error, workers)
	scratch := make([][]int8, workers)
	tables := make([][2][]float64, workers)
	for w := range scratch {
		scratch[w] = make([]int8, or.ds.D)
	}
	if or.o.Progress != nil {
		or.o.Progress(run.Progress{Stage: "rsmi.NewExactOracle", Total: len(or.jobs), Value: math.NaN()})
	}
	const batch = 256
	for lo := 0; lo < len(or.jobs); lo += batch {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("rsmi: exact oracle interrupted after %d of %d environments: %w", lo, len(or.jobs), err)
		}
		hi := min(lo+batch, len(or.jobs))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := lo + w; i < hi && ctx.Err() == nil; i += workers { // ctx is checked again after the batch
					if err := or.cond(or.jobs[i], scratch[w], &tables[w], pve[i*S:(i+1)*S]); err != nil && errs[w] == nil {
						errs[w] = err
					}
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("rsmi: exact oracle interrupted after %d of %d environments: %w", lo, len(or.jobs), err)
		}
		if or.o.Progress != nil {
			or.o.Progress(run.Progress{Stage: "rsmi.NewExactOracle", Done: hi, Total: len(or.jobs), Value: math.NaN()})
		}
	}
	return pve, nil
}

// cond writes the unnormalized P(v|e) of one job into out.
func (or *oracle) cond(j oracleJob, x []int8, tab *[2][]float64, out []float64) error {
	row := or.ds.Row(j.sample)
	switch {
	case or.plans[j.pos] != nil:
		or.plans[j.pos].cond(or.T, row, tab, out)
	case or.pg != nil:
		or.pg.cond(or.T, or.r, j.pos, row, out)
	default:
		return oracleCond(or.m, or.T, or.r, j.pos, row, x, out)
	}
	return nil
}

// oracleCond writes the unnormalized P(v|e) (up to a common factor) of the
// environment around position p in row into out.
func oracleCond(m lattice.Model, T float64, r *Regions, p int, row, x []int8, out []float64) error {
	copy(x, row)
	v := r.V(p)
	u := make([]int32, 0, len(v)+len(r.Hidden(p))+len(r.B(p)))
	u = append(u, v...)
	u = append(u, r.Hidden(p)...)
	u = append(u, r.B(p)...)
	beta := 1 / T
	var energy float64
	for _, d := range u {
		if x[d] != -1 {
			energy += m.DeltaE(x, int(d), -1)
			x[d] = -1
		}
	}
	if math.IsNaN(energy) || math.IsInf(energy, 0) {
		return fmt.Errorf("rsmi: model energy change %v: the exact oracle needs finite energies", energy)
	}
	for i := range out {
		out[i] = 0
	}
	vmask := len(out) - 1
	shift := -beta * energy
	out[0] = 1
	gray := 0
	n := 1 << len(u)
	for k := 1; k < n; k++ {
		b := bits.TrailingZeros(uint(k))
		d := u[b]
		nv := -x[d]
		de := m.DeltaE(x, int(d), nv)
		x[d] = nv
		energy += de
		gray ^= 1 << b
		lw := -beta * energy
		if lw-shift > 30 {
			f := math.Exp(shift - lw)
			for i := range out {
				out[i] *= f
			}
			shift = lw
		}
		out[gray&vmask] += math.Exp(lw - shift)
	}
	if math.IsNaN(energy) || math.IsInf(energy, 0) {
		return fmt.Errorf("rsmi: model energy change %v: the exact oracle needs finite energies", energy)
	}
	return nil
}

// pairGraph is the oracle's fast path for pair-coupled Ising models: local
// fields are updated incrementally along the Gray code, with no interface
// call per configuration.
type pairGraph struct {
	start []int32 // adjacency of each dof: nbr[start[i]:start[i+1]]
	nbr   []int32
	j     []float64
}

func newPairGraph(n int, bonds []lattice.Bond) *pairGraph {
	deg := make([]int32, n+1)
	for _, b := range bonds {
		deg[b.I+1]++
		deg[b.J+1]++
	}
	for i := 1; i <= n; i++ {
		deg[i] += deg[i-1]
	}
	g := &pairGraph{start: deg, nbr: make([]int32, deg[n]), j: make([]float64, deg[n])}
	fill := append([]int32(nil), deg[:n]...)
	for _, b := range bonds {
		g.nbr[fill[b.I]], g.j[fill[b.I]] = b.J, b.K
		fill[b.I]++
		g.nbr[fill[b.J]], g.j[fill[b.J]] = b.I, b.K
		fill[b.J]++
	}
	return g
}

// split returns the dofs the fast path enumerates (V first) and the
// independent set it sums out analytically, chosen greedily among the block
// dofs outside V and the buffer, in region order.
func (g *pairGraph) split(r *Regions, p int) (rest, indep []int32) {
	rest = append(rest, r.V(p)...)
	inI := make(map[int32]bool)
	for _, list := range [][]int32{r.Hidden(p), r.B(p)} {
		for _, d := range list {
			free := true
			for e := g.start[d]; e < g.start[d+1]; e++ {
				if inI[g.nbr[e]] {
					free = false
					break
				}
			}
			if free {
				inI[d] = true
				indep = append(indep, d)
			} else {
				rest = append(rest, d)
			}
		}
	}
	return rest, indep
}

// cond is oracleCond for H = −Σ K_ij s_i s_j. Dofs of the buffer (and of
// the block outside V) that form an independent set I of the coupling graph
// are summed out analytically, each giving 2cosh(β f_i) with f_i its local
// field; the remaining dofs R are enumerated along a Gray code, with local
// fields updated incrementally.
func (g *pairGraph) cond(T float64, r *Regions, p int, row []int8, out []float64) {
	rest, indep := g.split(r, p)
	posR := make(map[int32]int32, len(rest))
	for k, d := range rest {
		posR[d] = int32(k)
	}
	posI := make(map[int32]int32, len(indep))
	for k, d := range indep {
		posI[d] = int32(k)
	}
	beta := 1 / T
	type edge struct {
		k int32
		j float64
	}
	nr := len(rest)
	adjR := make([][]edge, nr) // R–R couplings (β-scaled)
	adjI := make([][]edge, nr) // R–I couplings
	fieldR := make([]float64, nr)
	fieldI := make([]float64, len(indep))
	spin := make([]int8, nr)
	for k := range rest {
		spin[k] = -1
	}
	for k, d := range rest {
		for e := g.start[d]; e < g.start[d+1]; e++ {
			o, J := g.nbr[e], beta*g.j[e]
			if kk, in := posR[o]; in {
				adjR[k] = append(adjR[k], edge{kk, J})
				fieldR[k] -= J
			} else if ki, in := posI[o]; in {
				adjI[k] = append(adjI[k], edge{ki, J})
			} else {
				fieldR[k] += J * float64(row[o])
			}
		}
	}
	for k, d := range indep {
		for e := g.start[d]; e < g.start[d+1]; e++ {
			o, J := g.nbr[e], beta*g.j[e]
			if _, in := posR[o]; in {
				fieldI[k] -= J
			} else {
				fieldI[k] += J * float64(row[o])
			}
		}
	}
	var lw float64 // log weight relative to the energy of R all −1
	for _, f := range fieldI {
		lw += logCosh2(f)
	}
	for i := range out {
		out[i] = 0
	}
	vmask := len(out) - 1
	shift := lw
	out[0] = 1
	gray := 0
	for k := 1; k < 1<<nr; k++ {
		b := bits.TrailingZeros(uint(k))
		s := float64(spin[b])
		lw -= 2 * s * fieldR[b]
		spin[b] = -spin[b]
		for _, e := range adjR[b] {
			fieldR[e.k] -= 2 * s * e.j
		}
		for _, e := range adjI[b] {
			old := fieldI[e.k]
			nf := old - 2*s*e.j
			fieldI[e.k] = nf
			lw += logCosh2(nf) - logCosh2(old)
		}
		gray ^= 1 << b
		if lw-shift > 30 {
			f := math.Exp(shift - lw)
			for i := range out {
				out[i] *= f
			}
			shift = lw
		}
		out[gray&vmask] += math.Exp(lw - shift)
	}
}

// elimPlan sums a pair model's block and buffer out dof by dof, keeping a
// table over the frontier: V (always) and the summed-in dofs still coupled
// to dofs not yet added.
type elimPlan struct {
	nv    int
	dofs  []int32     // U dofs: V first, then the others in raster order
	ext   [][]edgeExt // per U dof: couplings to fixed dofs (unscaled J)
	vv    []edgeVV    // couplings inside V
	steps []elimStep
	maxF  int     // largest frontier
	cost  float64 // Σ table sizes
}

type edgeExt struct {
	dof int32
	j   float64
}

type edgeVV struct {
	a, b int
	j    float64
}

type elimStep struct {
	k      int       // U index of the added dof
	pos    []int     // frontier positions it couples to
	j      []float64 // and the couplings
	remove []int     // frontier positions summed out after adding it, descending
}

func (g *pairGraph) plan(r *Regions, p int) *elimPlan {
	v := r.V(p)
	inV := make(map[int32]int, len(v))
	for i, d := range v {
		inV[d] = i
	}
	dofs := append([]int32(nil), v...)
	for _, d := range r.Interior(p) {
		if _, ok := inV[d]; !ok {
			dofs = append(dofs, d)
		}
	}
	uidx := make(map[int32]int, len(dofs))
	for k, d := range dofs {
		uidx[d] = k
	}
	pl := &elimPlan{nv: len(v), dofs: dofs, ext: make([][]edgeExt, len(dofs))}
	coupling := func(a, b int32) (float64, bool) {
		for e := g.start[a]; e < g.start[a+1]; e++ {
			if g.nbr[e] == b {
				return g.j[e], true
			}
		}
		return 0, false
	}
	for k, d := range dofs {
		for e := g.start[d]; e < g.start[d+1]; e++ {
			o := g.nbr[e]
			if kk, in := uidx[o]; in {
				if k < pl.nv && kk < pl.nv && k < kk {
					pl.vv = append(pl.vv, edgeVV{k, kk, g.j[e]})
				}
				continue
			}
			pl.ext[k] = append(pl.ext[k], edgeExt{o, g.j[e]})
		}
	}
	// remaining U-neighbours not yet added, per U dof
	pending := make([]int, len(dofs))
	for k, d := range dofs {
		for e := g.start[d]; e < g.start[d+1]; e++ {
			if kk, in := uidx[g.nbr[e]]; in && kk >= pl.nv {
				pending[k]++
			}
		}
	}
	frontier := make([]int, pl.nv) // U indices
	for i := range frontier {
		frontier[i] = i
	}
	pl.maxF = pl.nv
	for k := pl.nv; k < len(dofs); k++ {
		st := elimStep{k: k}
		for fp, fk := range frontier {
			if J, ok := coupling(dofs[k], dofs[fk]); ok {
				st.pos = append(st.pos, fp)
				st.j = append(st.j, J)
			}
		}
		frontier = append(frontier, k)
		pl.maxF = max(pl.maxF, len(frontier))
		pl.cost += math.Ldexp(1, len(frontier))
		d := dofs[k]
		for e := g.start[d]; e < g.start[d+1]; e++ {
			if kk, in := uidx[g.nbr[e]]; in {
				pending[kk]--
			}
		}
		for fp := len(frontier) - 1; fp >= pl.nv; fp-- {
			if pending[frontier[fp]] == 0 {
				st.remove = append(st.remove, fp)
				frontier = append(frontier[:fp], frontier[fp+1:]...)
			}
		}
		pl.steps = append(pl.steps, st)
	}
	return pl
}

// cond writes the unnormalized P(v|e) for the environment in row into out,
// using tab as scratch.
func (pl *elimPlan) cond(T float64, row []int8, tab *[2][]float64, out []float64) {
	beta := 1 / T
	size := 1 << pl.maxF
	for i := range tab {
		if len(tab[i]) < size {
			tab[i] = make([]float64, size)
		}
	}
	field := func(k int) float64 {
		var h float64
		for _, e := range pl.ext[k] {
			h += e.j * float64(row[e.dof])
		}
		return beta * h
	}
	cur, nxt := tab[0], tab[1]
	n := 1 << pl.nv
	hv := make([]float64, pl.nv)
	for i := range hv {
		hv[i] = field(i)
	}
	mx := math.Inf(-1)
	for x := 0; x < n; x++ {
		var l float64
		for i, h := range hv {
			l += h * spinOf(x, i)
		}
		for _, e := range pl.vv {
			l += beta * e.j * spinOf(x, e.a) * spinOf(x, e.b)
		}
		cur[x] = l
		mx = max(mx, l)
	}
	for x := 0; x < n; x++ {
		cur[x] = math.Exp(cur[x] - mx)
	}
	for _, st := range pl.steps {
		h := field(st.k)
		bit := n
		for x := 0; x < n; x++ {
			f := h
			for c, p := range st.pos {
				f += beta * st.j[c] * spinOf(x, p)
			}
			ef := math.Exp(f)
			nxt[x] = cur[x] / ef
			nxt[x|bit] = cur[x] * ef
		}
		cur, nxt = nxt, cur
		n <<= 1
		for _, p := range st.remove {
			low := 1<<p - 1
			half := n >> 1
			for y := 0; y < half; y++ {
				x := (y & low) | (y&^low)<<1
				nxt[y] = cur[x] + cur[x|1<<p]
			}
			cur, nxt = nxt, cur
			n = half
		}
		// rescale
		var m float64
		for _, w := range cur[:n] {
			m = max(m, w)
		}
		if m > 1e100 || m < 1e-100 {
			for x := range cur[:n] {
				cur[x] /= m
			}
		}
	}
	copy(out, cur[:n])
	tab[0], tab[1] = cur, nxt
}

// spinOf returns the ±1 value of bit i of x.
func spinOf(x, i int) float64 { return float64(2*((x>>i)&1) - 1) }
