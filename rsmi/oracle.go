package rsmi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// MaxOracleDOF bounds the exact oracle's work per environment: it
// enumerates at most 2^MaxOracleDOF configurations of block and buffer, or
// keeps transfer tables over at most 2^MaxOracleDOF frontier states.
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
// and the rest, and enumerates the q^(|block|+|B|) configurations of block
// and buffer (in the order of a q-ary Gray code, one Model.DeltaE per
// configuration), accumulating the Boltzmann weights of each block state.
// Models with single-dof and pair terms only — pair-coupled lattice.Ising,
// lattice.Potts and any PairModel — take a fast path: the buffer is summed
// out dof by dof along the region's raster order (a transfer matrix whose
// state is the frontier of summed dofs still coupled to unsummed ones, plus
// V), or, for Ising models, an independent set of the buffer is summed
// analytically and the rest enumerated — whichever costs less. I_Λ(H:E) is
// then exact up to the sampling of E (typically about ±0.002 bit for a few
// thousand environments). Identical (position, environment) pairs are
// computed once and weighted by their count.
//
// The model must implement lattice.Ranged and have the same geometry as r
// and ds and the same values as ds (States; any alphabet: ±1 spins, Potts
// states, spin 1); E must exclude no dof of the shell, the block may have at
// most MaxBlockStates configurations, and the enumeration or the frontier at
// most 2^MaxOracleDOF states per environment.
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
	or := &oracle{m: m, T: T, r: r, ds: ds, o: &o, states: dataStates(ds)}
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
	return NewExact(r.NV(), ds.States, pve, or.counts)
}

// dataStates returns the alphabet of ds, ±1 for nil.
func dataStates(ds *sample.Dataset) []int8 {
	if ds.States == nil {
		return spinStates
	}
	return ds.States
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
	if st := m.States(); !slices.Equal(st, dataStates(ds)) {
		return fmt.Errorf("rsmi: the model's states %v differ from the dataset's %v", st, dataStates(ds))
	}
	if _, err := blockStates(r.NV(), ds.States); err != nil {
		return err
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
	states []int8            // the dofs' values
	pg     *pairGraph        // models of single-dof and pair terms: the fast paths
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
	r, q := or.r, float64(len(or.states))
	pg, err := pairGraphOf(or.m, or.ds.D)
	if err != nil {
		return err
	}
	or.pg = pg
	if _, user := or.m.(PairModel); user && pg != nil {
		p := positions[0]
		if err := pg.verify(or.m, slices.Clone(or.ds.Row(0)), r.Interior(p)); err != nil {
			return err
		}
	}
	or.plans = make(map[int]*elimPlan)
	for _, p := range positions {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("rsmi: exact oracle interrupted while planning position %d: %w", p, err)
		}
		nu := r.NV() + len(r.Hidden(p)) + len(r.B(p))
		if pg != nil && pg.ising {
			rest, _ := pg.split(r, p)
			nu = len(rest)
		}
		if pg != nil && or.o.path != pathEnumerate {
			plan := pg.plan(r, p)
			if or.o.path == pathEliminate || plan.cost < 8*math.Pow(q, float64(nu)) {
				or.plans[p] = plan
				nu = plan.maxF
			}
		}
		if math.Pow(q, float64(nu)) > 1<<MaxOracleDOF {
			return fmt.Errorf("rsmi: the exact oracle would need %v^%d states of block and buffer per environment, at most 2^%d: use a smaller block or buffer", q, nu, MaxOracleDOF)
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
	S, _ := blockStates(or.r.NV(), or.ds.States) // checked by checkOracleInputs
	pve := make([]float64, len(or.jobs)*S)
	workers := or.o.Workers
	errs := make([]error, workers)
	scratch := make([]oracleScratch, workers)
	for w := range scratch {
		scratch[w].x = make([]int8, or.ds.D)
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
					if err := or.cond(or.jobs[i], &scratch[w], pve[i*S:(i+1)*S]); err != nil && errs[w] == nil {
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

// oracleScratch is one worker's working memory: a configuration and the
// elimination's tables.
type oracleScratch struct {
	x    []int8
	elim elimScratch
}

// cond writes the unnormalized P(v|e) of one job into out.
func (or *oracle) cond(j oracleJob, sc *oracleScratch, out []float64) error {
	row := or.ds.Row(j.sample)
	switch {
	case or.plans[j.pos] != nil:
		or.plans[j.pos].cond(or.pg, or.T, row, &sc.elim, out)
	case or.pg != nil && or.pg.ising:
		or.pg.cond(or.T, or.r, j.pos, row, out)
	default:
		return oracleCond(or.m, or.T, or.r, j.pos, or.states, row, sc.x, out)
	}
	return nil
}

// oracleCond writes the unnormalized P(v|e) (up to a common factor) of the
// environment around position p in row into out: it runs through the q^n
// configurations of the n dofs of block and buffer (V first) along the
// modular q-ary Gray code — step k increments, modulo q, the digit at the
// lowest position where the base-q counter k−1 has a digit below q−1, so that
// each step changes one dof (for q = 2 the reflected binary Gray code).
func oracleCond(m lattice.Model, T float64, r *Regions, p int, states, row, x []int8, out []float64) error {
	copy(x, row)
	v := r.V(p)
	u := make([]int32, 0, len(v)+len(r.Hidden(p))+len(r.B(p)))
	u = append(u, v...)
	u = append(u, r.Hidden(p)...)
	u = append(u, r.B(p)...)
	beta, q, s0 := 1/T, len(states), states[0]
	var energy float64
	for _, d := range u {
		if x[d] != s0 {
			energy += m.DeltaE(x, int(d), s0)
			x[d] = s0
		}
	}
	if math.IsNaN(energy) || math.IsInf(energy, 0) {
		return fmt.Errorf("rsmi: model energy change %v: the exact oracle needs finite energies", energy)
	}
	clear(out)
	shift := -beta * energy
	out[0] = 1
	counter := make([]int, len(u)) // base-q digits of k−1
	gray := make([]int, len(u))
	pow := make([]int, len(v))
	for i := range pow {
		pow[i] = ipow(q, i)
	}
	vidx := 0 // block state of the Gray configuration
	n := ipow(q, len(u))
	for k := 1; k < n; k++ {
		i := 0
		for counter[i] == q-1 {
			counter[i] = 0
			i++
		}
		counter[i]++
		old := gray[i]
		gray[i] = (old + 1) % q
		d, nv := u[i], states[gray[i]]
		energy += m.DeltaE(x, int(d), nv)
		x[d] = nv
		if i < len(v) {
			vidx += (gray[i] - old) * pow[i]
		}
		lw := -beta * energy
		if lw-shift > 30 {
			f := math.Exp(shift - lw)
			for i := range out {
				out[i] *= f
			}
			shift = lw
		}
		out[vidx] += math.Exp(lw - shift)
	}
	if math.IsNaN(energy) || math.IsInf(energy, 0) {
		return fmt.Errorf("rsmi: model energy change %v: the exact oracle needs finite energies", energy)
	}
	return nil
}
