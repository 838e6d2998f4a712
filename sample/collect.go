package sample

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Plan fixes in advance how Collect runs its chains.
//
// Each of the Chains independent chains first takes BurnIn steps whose
// configurations are discarded (equilibration), then stores PerChain
// configurations, one after every Every further steps. A chain thus takes
// BurnIn + PerChain·Every steps, and its first stored configuration is the
// one after BurnIn + Every steps. A step is the sampler's own unit (see
// Sampler): a sweep, a Wolff cluster, a loop.
//
// The schedule is fixed in advance on purpose. Thinning by anything measured
// on the chain — e.g. "store after every N flipped spins" — correlates the
// stored configurations with the thinning decision and biases the sample:
// Wolff clusters are large in ordered configurations, so counting flipped
// spins stores ordered configurations less often than they occur.
type Plan struct {
	// Chains is the number of independent chains (≥ 1).
	Chains int
	// BurnIn is the number of steps discarded at the start of every chain (≥ 0).
	BurnIn int
	// Every is the number of steps between stored configurations (≥ 1).
	Every int
	// PerChain is the number of configurations stored per chain (≥ 1).
	PerChain int
	// Replicas, if true, requires every chain to be a MultiSampler (such as
	// Multispin) and stores all of its replicas at each stored step: a chain
	// then contributes PerChain·Replicas() rows, ordered by stored step, then
	// replica. The replicas are independent chains, so harvesting them at
	// the same step is unbiased.
	Replicas bool
	// Src is the master source. Collect draws two Uint64 values per chain
	// from it, in chain order and before any chain runs, and seeds chain c
	// with rand.NewPCG(u[2c], u[2c+1]). Any source with a Uint64 method
	// fits, e.g. a math/rand/v2 *PCG or *ChaCha8, or a golang.org/x/exp/rand
	// Source. Src is used only during that derivation.
	Src rand.Source
	// Progress, if non-nil, is called with the number of steps done so far
	// and the total Chains·(BurnIn + PerChain·Every). It is called only from
	// the goroutine that called Collect, never concurrently, about ten times
	// a second while chains run, and finally with done == total when
	// collection completes. It must return quickly.
	Progress func(done, total int)
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
	case p.Src == nil:
		return 0, errors.New("sample: Plan.Src is nil")
	}
	steps, ok := mulInt(p.PerChain, p.Every)
	if ok {
		steps, ok = addInt(steps, p.BurnIn)
	}
	if ok {
		total, ok = mulInt(steps, p.Chains)
	}
	if !ok {
		return 0, fmt.Errorf("sample: Plan of %d chains × (%d + %d·%d) steps overflows", p.Chains, p.BurnIn, p.PerChain, p.Every)
	}
	return total, nil
}

func mulInt(a, b int) (int, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > math.MaxInt/b {
		return 0, false
	}
	return a * b, true
}

func addInt(a, b int) (int, bool) {
	if a > math.MaxInt-b {
		return 0, false
	}
	return a + b, true
}

// progressBatch is how many steps a chain takes between updates of the
// shared progress counter.
const progressBatch = 64

// Collect runs plan.Chains independent chains built by newChain and returns
// their stored configurations as one Dataset of Chains·PerChain samples, in
// chain order: rows [c·PerChain, (c+1)·PerChain) are chain c's configurations
// in the order they were stored (useful for jackknife over chains).
//
// newChain is called once per chain, sequentially in chain order on the
// calling goroutine before any chain runs, with the chain's source derived
// from plan.Src (see Plan.Src). Every chain must report the same Geometry
// (lattice.Geometry.Equal), which becomes the dataset's.
//
// Chains then run on at most runtime.GOMAXPROCS(0) goroutines at once (fewer
// if there are fewer chains), each chain on one goroutine, writing into its
// own rows. Because each chain's stream is fixed before any goroutine starts
// and results are placed by chain index, the same plan.Src seed gives the
// same bytes whatever GOMAXPROCS is and however the goroutines are scheduled.
//
// Cancelling ctx stops every chain within one step; Collect then returns a
// nil Dataset and an error wrapping ctx.Err(). An error from newChain is
// returned wrapped, with the chain index.
func Collect(ctx context.Context, newChain Factory, plan Plan) (*Dataset, error) {
	total, err := plan.validate()
	if err != nil {
		return nil, err
	}
	if newChain == nil {
		return nil, errors.New("sample: Collect needs a chain factory")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sample: collect cancelled: %w", err)
	}

	// Derive every chain's source before anything runs.
	seeds := make([]uint64, 2*plan.Chains)
	for i := range seeds {
		seeds[i] = plan.Src.Uint64()
	}
	chains := make([]Sampler, plan.Chains)
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
	g := chains[0].Geometry()
	if g == nil {
		return nil, errors.New("sample: chain 0 has a nil geometry")
	}
	for c, s := range chains[1:] {
		if !g.Equal(s.Geometry()) {
			return nil, fmt.Errorf("sample: chain %d has a different geometry from chain 0", c+1)
		}
	}
	d := g.NumDOF()
	reps := 1
	if plan.Replicas {
		for c, s := range chains {
			ms, ok := s.(MultiSampler)
			if !ok {
				return nil, fmt.Errorf("sample: Plan.Replicas is set but chain %d (%T) is not a MultiSampler", c, s)
			}
			if c == 0 {
				reps = ms.Replicas()
			} else if ms.Replicas() != reps {
				return nil, fmt.Errorf("sample: chain %d has %d replicas, chain 0 has %d", c, ms.Replicas(), reps)
			}
		}
	}
	perChain, ok := mulInt(plan.PerChain*reps, d)
	var size int
	if ok {
		size, ok = mulInt(perChain, plan.Chains)
	}
	if !ok {
		return nil, fmt.Errorf("sample: %d chains × %d samples × %d dofs overflow", plan.Chains, plan.PerChain, d)
	}
	data := make([]int8, size)

	var (
		done    atomic.Int64
		stopped atomic.Bool
		next    atomic.Int64
		errMu   sync.Mutex
		runErr  error
		wg      sync.WaitGroup
	)
	fail := func(err error) {
		errMu.Lock()
		if runErr == nil {
			runErr = err
		}
		errMu.Unlock()
		stopped.Store(true)
	}
	cancelled := ctx.Done()
	// run executes chain c until it completes or the collection stops.
	run := func(c int) {
		s := chains[c]
		rows := data[c*perChain : (c+1)*perChain]
		pending := 0
		step := func() bool {
			select {
			case <-cancelled:
				stopped.Store(true)
				return false
			default:
			}
			if stopped.Load() {
				return false
			}
			s.Step()
			if pending++; pending == progressBatch {
				done.Add(int64(pending))
				pending = 0
			}
			return true
		}
		defer func() { done.Add(int64(pending)) }()
		for range plan.BurnIn {
			if !step() {
				return
			}
		}
		for k := range plan.PerChain {
			for range plan.Every {
				if !step() {
					return
				}
			}
			if plan.Replicas {
				ms := s.(MultiSampler)
				for r := range reps {
					off := (k*reps + r) * d
					ms.Replica(r, rows[off:off+d])
				}
				continue
			}
			cfg := s.Config()
			if len(cfg) != d {
				fail(fmt.Errorf("sample: chain %d returned a configuration of %d values, want %d", c, len(cfg), d))
				return
			}
			copy(rows[k*d:(k+1)*d], cfg)
		}
	}
	workers := min(plan.Chains, runtime.GOMAXPROCS(0))
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1)) - 1
				if c >= plan.Chains || stopped.Load() {
					return
				}
				run(c)
			}
		}()
	}

	if plan.Progress != nil {
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
		tick := time.NewTicker(100 * time.Millisecond)
		last := -1
	loop:
		for {
			select {
			case <-finished:
				break loop
			case <-tick.C:
				if n := int(done.Load()); n != last {
					last = n
					plan.Progress(n, total)
				}
			}
		}
		tick.Stop()
	} else {
		wg.Wait()
	}

	if runErr != nil {
		return nil, runErr
	}
	if stopped.Load() {
		// Only cancellation stops a chain without setting runErr.
		return nil, fmt.Errorf("sample: collect cancelled: %w", ctx.Err())
	}
	if plan.Progress != nil {
		plan.Progress(total, total)
	}
	return &Dataset{N: plan.Chains * plan.PerChain * reps, D: d, Data: data, Geom: g}, nil
}
