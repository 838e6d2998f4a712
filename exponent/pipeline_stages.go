package exponent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// Stream indices of the pipeline's seeds, drawn from the caller's source in
// this order before any work.
const (
	seedLearnSample = iota
	seedPairs
	seedExactV
	seedFilter
	seedProduction
	seedMatch
	seedMCRG
	seedMCRGMatch
	seedRelearn
	seedFlow
	numSeeds
)

// pipeline is the state of one Pipeline call.
type pipeline struct {
	sys     System
	L       int
	T       float64
	o       PipelineOptions
	dim, nv int
	lat     *lattice.Lattice
	factory sample.Factory
	seeds   [numSeeds]uint64
	base    string // checkpoint name prefix
	learnDS *sample.Dataset
	est     interface {
		RuleMI(rsmi.Rule) (float64, error)
	} // the learning estimator
	states   []int8        // q-state alphabet, nil for ±1 spins
	model    lattice.Model // the chains' model (ModelChain), nil if not exposed
	rules    []rsmi.Rule
	levels   [2]int // MCRG levels at L and L/b
	firstLvl int
	res      *PipelineResult
}

func newPipeline(sys System, L int, T float64, src rand.Source, opts *PipelineOptions) (*pipeline, error) {
	p := &pipeline{sys: sys, L: L, T: T, base: "pipeline"}
	if opts != nil {
		p.o = *opts
	}
	if src == nil || (sys == nil && p.o.Data == nil) {
		return nil, errors.New("exponent: Pipeline needs a random source and a system (or data)")
	}
	if !(T > 0) || math.IsInf(T, 0) {
		return nil, fmt.Errorf("exponent: Pipeline temperature %v, want finite and > 0", T)
	}
	if err := p.system(); err != nil {
		return nil, err
	}
	p.dim = p.lat.Dim()
	if p.states != nil {
		if err := p.o.setStateDefaults(p.dim, p.states); err != nil {
			return nil, err
		}
	}
	if err := p.o.setDefaults(p.dim); err != nil {
		return nil, err
	}
	p.nv = 1
	for range p.dim {
		p.nv *= p.o.B
	}
	if err := p.planLevels(); err != nil {
		return nil, err
	}
	if err := p.checkInputs(); err != nil {
		return nil, err
	}
	if ck := p.o.Checkpoint; ck != nil && ck.Name != "" {
		p.base = strings.TrimSuffix(ck.Name, ".ckpt")
	}
	for i := range p.seeds {
		p.seeds[i] = src.Uint64()
	}
	p.res = &PipelineResult{Dim: p.dim, L: L, B: p.o.B, T: T, States: p.states}
	return p, nil
}

// system builds the lattice and chain factory at L (from the system, or the
// lattice of the data) and checks the data.
func (p *pipeline) system() error {
	if p.sys != nil {
		lat, factory, err := p.sys(p.L, p.T)
		if err != nil {
			return fmt.Errorf("exponent: building the system at L = %d: %w", p.L, err)
		}
		if lat == nil || factory == nil {
			return fmt.Errorf("exponent: the system at L = %d returned no lattice or no chain factory", p.L)
		}
		p.lat, p.factory = lat, factory
		if err := p.probeStates(); err != nil {
			return err
		}
	} else {
		if len(p.o.FlowT) > 0 {
			return errors.New("exponent: flows (FlowT) need a system to sample at other temperatures")
		}
		if err := checkData(p.o.Data, "Data"); err != nil {
			return err
		}
		lat, err := latticeOf(p.o.Data.Geom)
		if err != nil {
			return err
		}
		p.lat = lat
	}
	for a, e := range p.lat.Extents() {
		if e != p.L {
			return fmt.Errorf("exponent: the lattice at L = %d has extent %d along axis %d", p.L, e, a)
		}
	}
	if err := p.checkDatasets(); err != nil {
		return err
	}
	if p.o.Data != nil {
		p.o.Samples = p.o.Data.N
		p.o.MatchSamples = -1
		if p.o.MatchData != nil {
			p.o.MatchSamples = p.o.MatchData.N
		}
	}
	return nil
}

// probeStates finds the alphabet of the system's chains and, if they
// expose it (ModelChain), the model the learned filter is checked on.
func (p *pipeline) probeStates() error {
	states, m, err := probeChain(p.factory)
	if err != nil {
		return fmt.Errorf("exponent: building a chain at L = %d: %w", p.L, err)
	}
	q, err := statesQ(states)
	if err != nil {
		return err
	}
	if q > 0 {
		p.states = states
	}
	p.model = m
	return nil
}

// checkDatasets checks the given datasets: well formed with values in the
// alphabet they declare (sample.Dataset.Validate), which is the system's,
// or without a system one that Pipeline takes (±1 or 0 … q−1; it becomes
// the pipeline's), and their lattices.
func (p *pipeline) checkDatasets() error {
	for k, d := range []struct {
		ds   *sample.Dataset
		side int
		what string
	}{{p.o.Data, p.L, "Data"}, {p.o.MatchData, p.L / max(p.o.B, 2), "MatchData"}} {
		if d.ds == nil {
			continue
		}
		if k > 0 || p.sys != nil { // system has validated Data without a system
			if err := checkData(d.ds, d.what); err != nil {
				return err
			}
		}
		q, err := statesQ(d.ds.States)
		if err != nil {
			return fmt.Errorf("exponent: pipeline %s: %w", d.what, err)
		}
		var states []int8 // nil: ±1
		if q > 0 {
			states = d.ds.States
		}
		if k == 0 && p.sys == nil {
			p.states = states
		}
		if !slices.Equal(states, p.states) {
			return fmt.Errorf("exponent: pipeline %s declares the values %v, the system's are %v (nil: ±1)", d.what, d.ds.States, p.states)
		}
		lat, err := latticeOf(d.ds.Geom)
		if err != nil || lat.Extents()[0] != d.side || lat.Dim() != p.lat.Dim() {
			return fmt.Errorf("exponent: pipeline %s on extents %v, want a hypercubic lattice of side %d in %d dimensions", d.what, d.ds.Geom.Extents(), d.side, p.lat.Dim())
		}
	}
	return nil
}

// latticeOf returns the hypercubic lattice whose geometry g is.
func latticeOf(g *lattice.Geometry) (*lattice.Lattice, error) {
	lat, err := lattice.NewLattice(g.Extents()...)
	if err != nil {
		return nil, err
	}
	if !lat.Geometry().Equal(g) {
		return nil, fmt.Errorf("exponent: geometry of extents %v is not a full hypercubic lattice in site order", g.Extents())
	}
	for _, e := range g.Extents()[1:] {
		if e != g.Extents()[0] {
			return nil, fmt.Errorf("exponent: lattice of extents %v is not hypercubic", g.Extents())
		}
	}
	return lat, nil
}

// planLevels fixes the MCRG levels: at L down to n*, the deepest level
// whose lattice has side ≥ MinSide (the estimates' level), at L/b down to
// n*−1, with FirstLevel n*−1 (EstimateY needs nothing else).
func (p *pipeline) planLevels() error {
	b := p.o.B
	nStar := 0
	for s := p.L; s%b == 0 && s/b >= p.o.MinSide; s /= b {
		nStar++
	}
	if nStar < 1 {
		return fmt.Errorf("exponent: L = %d admits no RG step of side %d leaving a lattice of side ≥ MinSide = %d", p.L, b, p.o.MinSide)
	}
	p.levels[0], p.firstLvl = nStar, max(1, nStar-1)
	if p.o.MatchSamples > 0 {
		if nStar < 2 {
			return fmt.Errorf("exponent: the matching run at L/%d = %d would have no level %d; raise L, lower MinSide or set MatchSamples < 0", b, p.L/b, nStar-1)
		}
		p.levels[1] = nStar - 1
	}
	return nil
}

// ckpt returns the checkpoint options of a stage file (nil without
// checkpoints).
func (p *pipeline) ckpt(suffix string) *run.Checkpoint {
	ck := p.o.Checkpoint
	if ck == nil {
		return nil
	}
	c := *ck
	c.Name = p.base + "-" + suffix + ".ckpt"
	c.Every = 1
	return &c
}

func (p *pipeline) progress(stage string, done, total int, value float64) {
	if p.o.Progress != nil {
		p.o.Progress(run.Progress{Stage: "pipeline: " + stage, Done: done, Total: total, Value: value})
	}
}

// fingerprint encodes what every stage's result depends on: the system's
// size and temperature, the options and the seeds.
func (p *pipeline) fingerprint(e *ckpt.Enc) {
	o := &p.o
	for _, x := range []int{p.dim, p.L, o.B, o.LearnSamples, o.Buffer, o.Env, o.Pairs, o.Steps, o.Samples, o.Shards,
		o.MatchSamples, o.Ops, o.MinSide, o.FlowSamples, o.FlowOps} {
		e.Int(x)
	}
	e.F64s([]float64{p.T, o.BurnIn, o.Sweeps})
	e.F64s(o.Weights)
	e.Bool(o.Unsymmetrized)
	e.F64s(o.FlowT)
	if p.states != nil { // ±1 spins keep their earlier fingerprint
		e.I8s(p.states)
	}
	for _, ops := range [][]lattice.Operator{o.Even, o.Odd} {
		for _, op := range ops {
			e.String(op.Name)
		}
	}
	for _, s := range p.seeds {
		e.U64(s)
	}
	for _, ds := range []*sample.Dataset{p.o.Data, p.o.MatchData} {
		e.Bool(ds != nil)
		if ds != nil {
			e.Int(ds.N)
			e.U64(uint64(ckpt.CRCInt8(ds.Data)))
		}
	}
}

// chain builds the chain of one shard and equilibrates it: from its random
// start it takes steps until BurnIn sweeps of work are done (N flipped
// spins per sweep for a cluster sampler, N attempted updates otherwise).
func (p *pipeline) chain(ctx context.Context, factory sample.Factory, src rand.Source) (sample.Sampler, error) {
	s, err := factory(src)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, errors.New("exponent: the chain factory returned a nil sampler")
	}
	n := float64(s.Geometry().NumDOF())
	cluster, isCluster := s.(interface{ LastClusterSize() int })
	for work, i := 0.0, 0; work < p.o.BurnIn*n; i++ {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		s.Step()
		if isCluster {
			work += float64(cluster.LastClusterSize())
		} else {
			work += n
		}
	}
	return s, nil
}

// every returns the number of steps between stored configurations, from a
// pilot chain equilibrated as every shard's is (sample.PilotEvery).
func (p *pipeline) every(ctx context.Context, factory sample.Factory, seed uint64) (int, error) {
	src, err := sample.ShardSource(seed, sample.MaxShards-1)
	if err != nil {
		return 0, err
	}
	warm, err := p.chain(ctx, factory, src)
	if err != nil {
		return 0, err
	}
	return sample.PilotEvery(ctx, func(rand.Source) (sample.Sampler, error) { return warm, nil }, src,
		&sample.PilotOptions{Sweeps: p.o.Sweeps, Warm: 1, Measure: 2000})
}

// sampleShard returns n configurations of shard k of a run: one chain
// seeded by sample.ShardSource(seed, k), equilibrated, then stored every
// `every` steps.
func (p *pipeline) sampleShard(ctx context.Context, factory sample.Factory, seed uint64, k, n, every int) ([]int8, error) {
	src, err := sample.ShardSource(seed, k)
	if err != nil {
		return nil, err
	}
	s, err := p.chain(ctx, factory, src)
	if err != nil {
		return nil, err
	}
	d := s.Geometry().NumDOF()
	rows := make([]int8, n*d)
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for range every {
			s.Step()
		}
		copy(rows[i*d:], s.Config())
	}
	return rows, nil
}

// learn draws the learning sample, trains the filter at fixed norm and
// builds the learned rules and the baseline.
func (p *pipeline) learn(ctx context.Context) error {
	ds, err := p.learningSample(ctx)
	if err != nil {
		return err
	}
	p.learnDS = ds
	if p.states != nil {
		f, mi, vmi, ls, err := p.learnSoftmax(ctx, ds)
		if err != nil {
			return err
		}
		p.est = ls.est
		p.res.Softmax, p.res.FilterMI, p.res.VisibleMI = f, mi, vmi
		if err := p.oracleCheck(ctx, ls, f); err != nil {
			return err
		}
		return p.buildRules(nil)
	}
	f, mi, vmi, ls, err := p.learnFilter(ctx, ds, p.lat, p.seeds[seedPairs], p.seeds[seedExactV], p.seeds[seedFilter], "level0")
	if err != nil {
		return err
	}
	p.est = ls.est
	p.res.Filter, p.res.FilterMI, p.res.VisibleMI = f, mi, vmi
	if err := p.oracleCheck(ctx, ls, f); err != nil {
		return err
	}
	return p.buildRules(f)
}

// learningSample returns the learning sample, drawn in Workers chains (or
// restored from its checkpoint).
func (p *pipeline) learningSample(ctx context.Context) (*sample.Dataset, error) {
	d := p.lat.N()
	var ds *sample.Dataset
	var err error
	if data := p.o.Data; data != nil {
		rows := make([]int8, 0, p.o.LearnSamples*d)
		for i := range p.o.LearnSamples {
			rows = append(rows, data.Row(i*data.N/p.o.LearnSamples)...)
		}
		ds, err = sample.NewDataset(p.lat.Geometry(), rows)
	} else {
		ds, err = p.sampleLearning(ctx, d)
	}
	if err != nil {
		return nil, err
	}
	ds.States = p.states
	return ds, nil
}

// sampleLearning draws the learning sample of d-site configurations (or
// restores it from its checkpoint).
func (p *pipeline) sampleLearning(ctx context.Context, d int) (*sample.Dataset, error) {
	var rows []int8
	var fp ckpt.Enc
	p.fingerprint(&fp)
	loop := &ckpt.Loop{Checkpoint: p.ckpt("learnsample"), Name: p.base + "-learnsample.ckpt", Kind: "exponent.Pipeline sample", Version: 1,
		Fingerprint: fp.B, Total: 1,
		Save: func(e *ckpt.Enc) error { e.I8s(rows); return nil },
		Load: func(dec *ckpt.Dec) error {
			rows = dec.I8s()
			if len(rows) != p.o.LearnSamples*d {
				return fmt.Errorf("%w: learning sample of %d values, want %d", ckpt.ErrCorrupt, len(rows), p.o.LearnSamples*d)
			}
			return nil
		}}
	_, err := loop.Run(ctx, func(int) error {
		p.progress("learning sample", 0, p.o.LearnSamples, math.NaN())
		every, err := p.every(ctx, p.factory, p.seeds[seedLearnSample])
		if err != nil {
			return err
		}
		shards := min(p.o.Workers, p.o.LearnSamples)
		pf := newPrefetch(ctx, shards, shards, func(ctx context.Context, k int) ([]int8, error) {
			lo, hi := sample.BlockBounds(p.o.LearnSamples, shards, k)
			return p.sampleShard(ctx, p.factory, p.seeds[seedLearnSample], k, hi-lo, every)
		})
		defer pf.close()
		rows = make([]int8, 0, p.o.LearnSamples*d)
		for k := range shards {
			r, err := pf.get(k)
			if err != nil {
				return err
			}
			rows = append(rows, r...)
			p.progress("learning sample", len(rows)/d, p.o.LearnSamples, math.NaN())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("exponent: pipeline learning sample: %w", err)
	}
	return sample.NewDataset(p.lat.Geometry(), rows)
}

// learnFilter trains a one-unit filter at fixed norm 1 with ExactV on the
// (V, E) pairs of ds and returns it with Σλ > 0, its MI, I(V:E) and the
// estimator. name distinguishes the checkpoint files of the levels.
func (p *pipeline) learnFilter(ctx context.Context, ds *sample.Dataset, lat *lattice.Lattice, pairSeed, evSeed, fSeed uint64, name string) (*rsmi.Filter, float64, float64, *learnSet, error) {
	ls, err := p.exactV(ctx, ds, lat, pairSeed, evSeed, name)
	if err != nil {
		return nil, 0, 0, nil, err
	}
	f, err := rsmi.NewFilter(1, ls.reg.NV(), rand.NewPCG(fSeed, 3))
	if err != nil {
		return nil, 0, 0, nil, err
	}
	mi, err := p.train(ctx, ls.est, f, name)
	if err != nil {
		return nil, 0, 0, nil, err
	}
	var sum float64
	for _, w := range f.W {
		sum += w
	}
	if sum < 0 { // the sign of h is a convention: I(H:E) does not see it
		for i := range f.W {
			f.W[i] = -f.W[i]
		}
	}
	return f, mi, ls.est.VisibleMI(), ls, nil
}

// learnSet is what a filter is learned on: the regions, the (V, E) pairs
// and their positions (SpreadPairs), and the ExactV estimator of the pairs.
type learnSet struct {
	reg       *rsmi.Regions
	pairs     *rsmi.Pairs
	positions []int
	est       *rsmi.ExactV
}

// exactV cuts Pairs (V, E) pairs of b^d blocks from ds, spread evenly, and
// models them with ExactV (PipelineOptions.ExactV; for q-state variables
// 64 hidden units and the block's point group × S_q as data augmentation
// unless set). name distinguishes the checkpoint files of the levels.
func (p *pipeline) exactV(ctx context.Context, ds *sample.Dataset, lat *lattice.Lattice, pairSeed, evSeed uint64, name string) (*learnSet, error) {
	block := make([]int, lat.Dim())
	for a := range block {
		block[a] = p.o.B
	}
	reg, err := rsmi.NewRegions(ds.Geom, block, &rsmi.RegionOptions{Buffer: p.o.Buffer, Env: p.o.Env})
	if err != nil {
		return nil, fmt.Errorf("exponent: pipeline regions: %w", err)
	}
	pairs, positions, err := reg.SpreadPairs(ds, p.o.Pairs, rand.NewPCG(pairSeed, 1))
	if err != nil {
		return nil, err
	}
	var evo rsmi.ExactVOptions
	if p.o.ExactV != nil {
		evo = *p.o.ExactV
	}
	if p.states != nil {
		if err := p.stateExactV(&evo, reg); err != nil {
			return nil, err
		}
	}
	evo.Checkpoint = p.ckpt(name + "-theta")
	evo.Progress = p.relay("learning " + name)
	est, err := rsmi.NewExactV(ctx, pairs, rand.NewPCG(evSeed, 2), &evo)
	if err != nil {
		return nil, fmt.Errorf("exponent: pipeline estimator (%s): %w", name, err)
	}
	return &learnSet{reg: reg, pairs: pairs, positions: positions, est: est}, nil
}

// train trains f on est at fixed norm ‖λ‖ = 1 for Steps Adam steps and
// returns its MI.
func (p *pipeline) train(ctx context.Context, est rsmi.Estimator, f rsmi.Learnable, name string) (float64, error) {
	tr, err := rsmi.Train(ctx, est, f, &rsmi.TrainOptions{Steps: p.o.Steps, Norm: 1, Checkpoint: p.ckpt(name + "-filter"),
		Progress: p.relay("learning " + name)})
	if err != nil {
		return 0, fmt.Errorf("exponent: pipeline filter training (%s): %w", name, err)
	}
	return tr.MI, nil
}

// relay forwards a sub-stage's progress under the pipeline's stage name.
func (p *pipeline) relay(stage string) run.ProgressFunc {
	if p.o.Progress == nil {
		return nil
	}
	return func(q run.Progress) { p.progress(stage+" ("+q.Stage+")", q.Done, q.Total, q.Value) }
}

// buildRules makes the learned rules of every weight and the baseline, and
// scores each with the learning estimator. f is the ±1 filter, nil for
// q-state variables (whose filter is p.res.Softmax).
func (p *pipeline) buildRules(f *rsmi.Filter) error {
	group, err := lattice.BlockSymmetries(p.o.B, p.dim)
	if err != nil {
		return err
	}
	p.res.Rules = nil
	p.rules = nil
	for _, w := range p.o.Weights {
		var r rsmi.Rule
		if f == nil {
			r, err = p.softmaxRule(p.res.Softmax, w, group)
		} else {
			r, err = p.spinRule(f, w, group)
		}
		if err != nil {
			return err
		}
		name := "learned sharp"
		if !math.IsInf(w, 1) {
			name = fmt.Sprintf("learned w=%g", w)
		}
		p.rules = append(p.rules, r)
		p.res.Rules = append(p.res.Rules, RuleResult{Name: name, Weight: w, Rule: r})
	}
	p.rules = append(p.rules, p.o.Baseline)
	p.res.Baseline = len(p.res.Rules)
	p.res.Rules = append(p.res.Rules, RuleResult{Name: ruleName(p.o.Baseline), Weight: math.NaN(), Rule: p.o.Baseline})
	for i := range p.res.Rules {
		mi, err := p.est.RuleMI(p.rules[i])
		if err != nil {
			return fmt.Errorf("exponent: pipeline rule %q: %w", p.res.Rules[i].Name, err)
		}
		p.res.Rules[i].MI = mi
	}
	return nil
}

// spinRule returns the learned ±1 rule of strength w: the direction λ̂
// (‖λ‖ = 1) scaled to ‖λ‖ = w·√|V| (+Inf: the most probable spin),
// averaged over the block's point group unless unsymmetrized.
func (p *pipeline) spinRule(f *rsmi.Filter, w float64, group [][]int) (rsmi.Rule, error) {
	g := f.Clone()
	var r rsmi.Rule = rsmi.MostProbable(g)
	if !math.IsInf(w, 1) {
		scale := w * math.Sqrt(float64(p.nv))
		for i := range g.W {
			g.W[i] *= scale
		}
		r = g
	}
	if p.o.Unsymmetrized {
		return r, nil
	}
	return rsmi.Symmetrize(r, group)
}

func ruleName(r rsmi.Rule) string {
	switch r.(type) {
	case rsmi.Majority:
		return "majority"
	case rsmi.Decimation:
		return "decimation"
	case rsmi.Plurality:
		return "plurality"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", r), "rsmi.")
}

// prefetch computes the results of work(k), k = 0 … n−1, on up to workers
// goroutines ahead of their use: get(k) starts the work of k … k+workers−1
// (whatever has not started yet) and waits for k's result. Results are
// handed out in the order they are asked for; at most workers of them are
// computed or waiting at once.
type prefetch struct {
	ctx     context.Context
	cancel  context.CancelFunc
	work    func(ctx context.Context, k int) ([]int8, error)
	n       int
	workers int
	next    int
	pending map[int]chan shardResult
	wg      sync.WaitGroup
}

type shardResult struct {
	rows []int8
	err  error
}

func newPrefetch(ctx context.Context, n, workers int, work func(ctx context.Context, k int) ([]int8, error)) *prefetch {
	ctx, cancel := context.WithCancel(ctx)
	return &prefetch{ctx: ctx, cancel: cancel, work: work, n: n, workers: workers, pending: map[int]chan shardResult{}}
}

// get returns the result of work(k).
func (f *prefetch) get(k int) ([]int8, error) {
	f.next = max(f.next, k)
	for ; f.next < min(k+f.workers, f.n); f.next++ {
		c := make(chan shardResult, 1)
		f.pending[f.next] = c
		f.wg.Add(1)
		go func(j int) {
			defer f.wg.Done()
			rows, err := f.work(f.ctx, j)
			c <- shardResult{rows, err}
		}(f.next)
	}
	c, ok := f.pending[k]
	if !ok {
		return nil, fmt.Errorf("exponent: shard %d requested out of order", k)
	}
	delete(f.pending, k)
	r := <-c
	return r.rows, r.err
}

// close stops the work still under way and waits for it.
func (f *prefetch) close() {
	f.cancel()
	f.wg.Wait()
}

// productionRun is one of the production runs: the configurations at L or
// at L/b, with their stream.
type productionRun struct {
	L, n, levels int
	seed, mseed  uint64
	factory      sample.Factory
	stream       *MCRGStream
	every        int
	data         *sample.Dataset // the given configurations, or nil: sample
}

// produce streams both production runs through MCRG, shard by shard.
func (p *pipeline) produce(ctx context.Context) error {
	runs := []*productionRun{{L: p.L, n: p.o.Samples, levels: p.levels[0], seed: p.seeds[seedProduction], mseed: p.seeds[seedMCRG], data: p.o.Data}}
	if p.o.MatchSamples > 0 {
		runs = append(runs, &productionRun{L: p.L / p.o.B, n: p.o.MatchSamples, levels: p.levels[1],
			seed: p.seeds[seedMatch], mseed: p.seeds[seedMCRGMatch], data: p.o.MatchData})
	}
	for _, r := range runs {
		if err := p.prepareRun(ctx, r); err != nil {
			return err
		}
	}
	if err := p.runProduction(ctx, runs); err != nil {
		return err
	}
	for i := range p.res.Rules {
		rr := &p.res.Rules[i]
		for j, r := range runs {
			res, err := r.stream.Result(i)
			if err != nil {
				return fmt.Errorf("exponent: MCRG of %q at L = %d: %w", rr.Name, r.L, err)
			}
			if j == 0 {
				rr.MCRG = res
			} else {
				rr.Match = res
			}
		}
	}
	p.res.N = runs[0].n
	if len(runs) > 1 {
		p.res.NMatch = runs[1].n
	}
	return nil
}

// prepareRun builds a run's system, stream and thinning interval.
func (p *pipeline) prepareRun(ctx context.Context, r *productionRun) error {
	lat, factory := p.lat, p.factory
	switch {
	case r.data != nil:
		var err error
		if lat, err = latticeOf(r.data.Geom); err != nil {
			return err
		}
	case r.L != p.L:
		var err error
		if lat, factory, err = p.sys(r.L, p.T); err != nil {
			return fmt.Errorf("exponent: building the system at L = %d: %w", r.L, err)
		}
		if lat == nil || factory == nil {
			return fmt.Errorf("exponent: the system at L = %d returned no lattice or no chain factory", r.L)
		}
	}
	st, err := NewMCRGStream(lat, r.n, p.rules, rand.NewPCG(r.mseed, 4), &MCRGOptions{B: p.o.B, Levels: r.levels,
		FirstLevel: min(p.firstLvl, r.levels), States: p.states, Even: p.o.Even, Odd: p.o.Odd, Blocks: p.o.Shards})
	if err != nil {
		return fmt.Errorf("exponent: MCRG at L = %d: %w", r.L, err)
	}
	r.factory, r.stream = factory, st
	if r.data != nil {
		return nil
	}
	p.progress(fmt.Sprintf("pilot run L=%d", r.L), 0, 0, math.NaN())
	if r.every, err = p.every(ctx, factory, r.seed); err != nil {
		return fmt.Errorf("exponent: pipeline pilot run at L = %d: %w", r.L, err)
	}
	return nil
}

// runProduction samples every shard of every run (run after run) and adds
// it to its stream, checkpointing the streams after every shard: the
// checkpoint holds the accumulated moments, never a configuration.
func (p *pipeline) runProduction(ctx context.Context, runs []*productionRun) error {
	total := len(runs) * p.o.Shards
	var fp ckpt.Enc
	p.fingerprint(&fp)
	for _, r := range p.rules {
		b, err := rsmi.MarshalRule(r)
		if err != nil {
			return err
		}
		fp.Bytes(b)
	}
	loop := &ckpt.Loop{Checkpoint: p.ckpt("production"), Name: p.base + "-production.ckpt", Kind: "exponent.Pipeline production", Version: 1,
		Fingerprint: fp.B, Total: total,
		Save: func(e *ckpt.Enc) error {
			for _, r := range runs {
				b, err := r.stream.MarshalBinary()
				if err != nil {
					return err
				}
				e.Bytes(b)
			}
			return nil
		},
		Load: func(d *ckpt.Dec) error {
			for _, r := range runs {
				if err := r.stream.UnmarshalBinary(d.Bytes()); err != nil {
					return err
				}
			}
			return nil
		}}
	job := func(i int) (*productionRun, int, int, int) { // run, shard, first row, rows
		r := runs[i/p.o.Shards]
		k := i % p.o.Shards
		lo, hi := sample.BlockBounds(r.n, p.o.Shards, k)
		return r, k, lo, hi - lo
	}
	pf := newPrefetch(ctx, total, p.o.Workers, func(ctx context.Context, i int) ([]int8, error) {
		r, k, lo, n := job(i)
		if r.data != nil {
			return r.data.Data[lo*r.data.D : (lo+n)*r.data.D], nil
		}
		return p.sampleShard(ctx, r.factory, r.seed, k, n, r.every)
	})
	defer pf.close()
	_, err := loop.Run(ctx, func(step int) error {
		r, _, lo, n := job(step - 1)
		if lo == 0 {
			p.progress(fmt.Sprintf("sampling L=%d", r.L), 0, r.n, math.NaN())
		}
		rows, err := pf.get(step - 1)
		if err != nil {
			return err
		}
		if err := r.stream.Add(ctx, lo, rows); err != nil {
			return err
		}
		p.progress(fmt.Sprintf("sampling L=%d", r.L), lo+n, r.n, math.NaN())
		return nil
	})
	if err != nil {
		return fmt.Errorf("exponent: pipeline production: %w", err)
	}
	return nil
}
