package sample

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/run"
)

// Plan fixes in advance how Collect runs its chains.
//
// Each of the Chains independent chains first takes BurnIn steps whose
// configurations are discarded (equilibration), then stores PerChain
// configurations, one after every Every further steps. A chain thus takes
// BurnIn + PerChain·Every steps, and its first stored configuration is the
// one after BurnIn + Every steps. A step is the sampler's own unit (see
// Sampler): a sweep, a Wolff cluster, a loop; PilotEvery chooses Every for
// samplers whose step is not a sweep.
//
// The schedule is fixed in advance on purpose. Thinning by anything measured
// on the chain — e.g. "store after every N flipped spins" — correlates the
// stored configurations with the thinning decision and biases the sample:
// Wolff clusters are large in ordered configurations, so counting flipped
// spins stores ordered configurations less often than they occur.
//
// A Plan is required by Collect and has no defaults: every count is
// explicit.
type Plan struct {
	// Chains is the number of independent chains (≥ 1).
	Chains int
	// BurnIn is the number of steps discarded at the start of every chain (≥ 0).
	BurnIn int
	// Every is the number of steps between stored configurations (≥ 1).
	Every int
	// PerChain is the number of configurations stored per chain (≥ 1).
	PerChain int
	// Replicas, if true, requires every chain to be a ReplicaSampler (such
	// as Multispin) and stores all of its replicas at each stored step: a
	// chain then contributes PerChain·Replicas() rows, ordered by stored
	// step, then replica. The replicas are independent chains, so
	// harvesting them at the same step is unbiased. Default false: one row
	// per stored step.
	Replicas bool
	// Progress, if not nil, receives Stage "sample.Collect", Done = the
	// steps taken so far and Total = Chains·(BurnIn + PerChain·Every)
	// (Value NaN) about ten times a second while chains run, and finally
	// with Done = Total when collection completes. It is called only from
	// the goroutine that called Collect and must return quickly. Default
	// nil.
	Progress run.ProgressFunc
}

// validate checks the plan and returns the total number of steps.
func (p *Plan) validate() (total int, err error) {
	switch {
	case p.Chains < 1:
		return 0, fmt.Errorf("sample: Plan.Chains = %d, want ≥ 1", p.Chains)
	case p.BurnIn < 0:
		return 0, fmt.Errorf("sample: Plan.BurnIn = %d, want ≥ 0", p.BurnIn)
	case p.Every < 1:
		return 0, fmt.Errorf("sample: Plan.Every = %d, want ≥ 1", p.Every)
	case p.PerChain < 1:
		return 0, fmt.Errorf("sample: Plan.PerChain = %d, want ≥ 1", p.PerChain)
	}
	steps, err := size.Mul(p.PerChain, p.Every)
	if err == nil {
		steps, err = size.Add(steps, p.BurnIn)
	}
	if err == nil {
		total, err = size.Mul(steps, p.Chains)
	}
	if err != nil {
		return 0, fmt.Errorf("sample: Plan of %d chains × (%d + %d·%d) steps: %w", p.Chains, p.BurnIn, p.PerChain, p.Every, err)
	}
	return total, nil
}

// progressBatch is how many steps a chain takes between updates of the
// shared progress counter.
const progressBatch = 64

// Collect runs plan.Chains independent chains built by newChain and returns
// their stored configurations as one Dataset of Chains·PerChain samples, in
// chain order: rows [c·PerChain, (c+1)·PerChain) are chain c's configurations
// in the order they were stored (useful for jackknife over chains).
//
// Collect draws two Uint64 values per chain from src, in chain order and
// before any chain runs, and seeds chain c with rand.NewPCG(u[2c], u[2c+1]);
// src is used only during that derivation. Any source with a Uint64 method
// fits, e.g. a math/rand/v2 *PCG or *ChaCha8, a golang.org/x/exp/rand
// Source, or ShardSource for sharded runs. newChain is called once per
// chain, sequentially in chain order on the calling goroutine before any
// chain runs, with the chain's derived source. Every chain must report the
// same Geometry (lattice.Geometry.Equal), which becomes the dataset's, and,
// if its sampler has a method States() []int8 (as Metropolis and HeatBath
// of any lattice.Model do), the same values, which become the dataset's
// States (nil for ±1 spins; a sampler without the method produces ±1
// spins).
//
// Chains then run on at most runtime.GOMAXPROCS(0) goroutines at once (fewer
// if there are fewer chains), each chain on one goroutine, writing into its
// own rows. Because each chain's stream is fixed before any goroutine starts
// and results are placed by chain index, the same seed gives the same bytes
// whatever GOMAXPROCS is and however the goroutines are scheduled.
//
// A plan whose dataset would exceed the memory budget of internal/size
// (8 GiB unless RSMI_MAX_BYTES says otherwise) is an error naming the size,
// before anything is allocated. Cancelling ctx stops every chain within one
// step; Collect then returns a nil Dataset and an error wrapping ctx.Err().
// An error from newChain is returned wrapped, with the chain index.
func Collect(ctx context.Context, newChain Factory, plan Plan, src rand.Source) (*Dataset, error) {
	total, err := plan.validate()
	if err != nil {
		return nil, err
	}
	if newChain == nil {
		return nil, errors.New("sample: Collect needs a chain factory")
	}
	if src == nil {
		return nil, errors.New("sample: Collect needs a random source")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sample: collect cancelled: %w", err)
	}
	chains, err := newChains(newChain, plan.Chains, src)
	if err != nil {
		return nil, err
	}
	c, err := newCollection(chains, &plan)
	if err != nil {
		return nil, err
	}
	c.run(ctx, total)
	if c.err != nil {
		return nil, c.err
	}
	if c.stopped.Load() {
		// Only cancellation stops a chain without setting err.
		return nil, fmt.Errorf("sample: collect cancelled: %w", ctx.Err())
	}
	if plan.Progress != nil {
		plan.Progress(run.Progress{Stage: "sample.Collect", Done: total, Total: total, Value: math.NaN()})
	}
	return &Dataset{N: plan.Chains * plan.PerChain * c.reps, D: c.d, Data: c.data, Geom: chains[0].Geometry(), States: c.states}, nil
}

// newChains derives every chain's source from src and builds the chains.
func newChains(newChain Factory, n int, src rand.Source) ([]Sampler, error) {
	seeds := make([]uint64, 2*n)
	for i := range seeds {
		seeds[i] = src.Uint64()
	}
	chains := make([]Sampler, n)
	for c := range chains {
		s, err := newChain(rand.NewPCG(seeds[2*c], seeds[2*c+1]))
		if err != nil {
			return nil, fmt.Errorf("sample: chain %d: %w", c, err)
		}
		if s == nil {
			return nil, fmt.Errorf("sample: chain %d: factory returned a nil sampler", c)
		}
		chains[c] = s
	}
	return chains, nil
}

// collection is the state of one Collect call while its chains run.
type collection struct {
	chains   []Sampler
	plan     *Plan
	d, reps  int
	perChain int // values per chain
	states   []int8
	data     []int8

	done    atomic.Int64 // steps taken, updated in batches
	stopped atomic.Bool
	mu      sync.Mutex
	err     error
}

// newCollection checks that the chains agree (geometry, values, replicas)
// and allocates the dataset within the size budget.
func newCollection(chains []Sampler, plan *Plan) (*collection, error) {
	g := chains[0].Geometry()
	if g == nil {
		return nil, errors.New("sample: chain 0 has a nil geometry")
	}
	for c, s := range chains[1:] {
		if !g.Equal(s.Geometry()) {
			return nil, fmt.Errorf("sample: chain %d has a different geometry from chain 0", c+1)
		}
	}
	states, err := chainStates(chains)
	if err != nil {
		return nil, err
	}
	reps, err := chainReplicas(chains, plan.Replicas)
	if err != nil {
		return nil, err
	}
	d := g.NumDOF()
	n, err := size.Elements(fmt.Sprintf("dataset of %d chains × %d samples × %d replicas × %d dofs", plan.Chains, plan.PerChain, reps, d),
		1, plan.Chains, plan.PerChain, reps, d)
	if err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	return &collection{chains: chains, plan: plan, d: d, reps: reps, perChain: n / plan.Chains, states: states,
		data: make([]int8, n)}, nil
}

// chainStates returns the values the chains' configurations take (nil for
// ±1 spins), from their States methods, which must agree.
func chainStates(chains []Sampler) ([]int8, error) {
	var states []int8
	for c, s := range chains {
		var st []int8
		if v, ok := s.(interface{ States() []int8 }); ok {
			st = slices.Clone(v.States())
			slices.Sort(st)
			if len(st) < 2 || len(slices.Compact(slices.Clone(st))) != len(st) {
				return nil, fmt.Errorf("sample: chain %d's values %v are not at least two distinct values", c, v.States())
			}
			st = spinsNil(st)
		}
		if c == 0 {
			states = st
		} else if !slices.Equal(st, states) {
			return nil, fmt.Errorf("sample: chain %d's values %v differ from chain 0's %v (nil: ±1)", c, st, states)
		}
	}
	return states, nil
}

// chainReplicas returns the number of rows a chain stores per stored step:
// 1, or its replicas with Plan.Replicas.
func chainReplicas(chains []Sampler, replicas bool) (int, error) {
	if !replicas {
		return 1, nil
	}
	reps := 0
	for c, s := range chains {
		rs, ok := s.(ReplicaSampler)
		if !ok {
			return 0, fmt.Errorf("sample: Plan.Replicas is set but chain %d (%T) is not a ReplicaSampler", c, s)
		}
		if c == 0 {
			reps = rs.Replicas()
		} else if rs.Replicas() != reps {
			return 0, fmt.Errorf("sample: chain %d has %d replicas, chain 0 has %d", c, rs.Replicas(), reps)
		}
	}
	if reps < 1 {
		return 0, fmt.Errorf("sample: chain 0 has %d replicas", reps)
	}
	return reps, nil
}

// fail records the first error of a chain and stops the others.
func (c *collection) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
	c.stopped.Store(true)
}

// run runs the chains on up to GOMAXPROCS goroutines and reports progress
// until all have finished or stopped.
func (c *collection) run(ctx context.Context, total int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := min(len(c.chains), runtime.GOMAXPROCS(0))
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= len(c.chains) || c.stopped.Load() {
					return
				}
				c.chain(ctx, k)
			}
		}()
	}
	if c.plan.Progress == nil {
		wg.Wait()
		return
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := -1
	for {
		select {
		case <-finished:
			return
		case <-tick.C:
			if n := int(c.done.Load()); n != last {
				last = n
				c.plan.Progress(run.Progress{Stage: "sample.Collect", Done: n, Total: total, Value: math.NaN()})
			}
		}
	}
}

// chain runs chain k until it completes or the collection stops.
func (c *collection) chain(ctx context.Context, k int) {
	s, plan, d := c.chains[k], c.plan, c.d
	rows := c.data[k*c.perChain : (k+1)*c.perChain]
	cancelled := ctx.Done()
	pending := 0
	defer func() { c.done.Add(int64(pending)) }()
	step := func() bool {
		select {
		case <-cancelled:
			c.stopped.Store(true)
			return false
		default:
		}
		if c.stopped.Load() {
			return false
		}
		s.Step()
		if pending++; pending == progressBatch {
			c.done.Add(int64(pending))
			pending = 0
		}
		return true
	}
	for range plan.BurnIn {
		if !step() {
			return
		}
	}
	for i := range plan.PerChain {
		for range plan.Every {
			if !step() {
				return
			}
		}
		if plan.Replicas {
			rs := s.(ReplicaSampler)
			for r := range c.reps {
				off := (i*c.reps + r) * d
				rs.Replica(r, rows[off:off+d])
			}
			continue
		}
		cfg := s.Config()
		if len(cfg) != d {
			c.fail(fmt.Errorf("sample: chain %d returned a configuration of %d values, want %d", k, len(cfg), d))
			return
		}
		copy(rows[i*d:(i+1)*d], cfg)
	}
}
