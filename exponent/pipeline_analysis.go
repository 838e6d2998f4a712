package exponent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rg"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// analyse estimates y_t and y_h for every rule and chooses the learned
// estimates (the learned rule with the smallest total error per sector).
func (p *pipeline) analyse(context.Context) error {
	for i := range p.res.Rules {
		rr := &p.res.Rules[i]
		var errT, errH error
		rr.Yt, errT = EstimateY(rr.MCRG, rr.Match, Thermal, p.o.Ops, p.o.MinSide)
		rr.Yh, errH = EstimateY(rr.MCRG, rr.Match, Magnetic, p.o.Ops, p.o.MinSide)
		rr.Err = errors.Join(errT, errH)
		rr.Nu, rr.Eta = rr.Yt.Nu(), rr.Yh.Eta(p.dim)
	}
	best := func(pick func(*RuleResult) Estimate) (int, error) {
		k := -1
		for i := range p.res.Baseline {
			rr := &p.res.Rules[i]
			if rr.Err == nil && !math.IsNaN(pick(rr).Total()) && (k < 0 || pick(rr).Total() < pick(&p.res.Rules[k]).Total()) {
				k = i
			}
		}
		if k < 0 {
			return 0, fmt.Errorf("exponent: no learned rule gave an estimate: %w", p.res.Rules[0].Err)
		}
		return k, nil
	}
	var err error
	if p.res.YtRule, err = best(func(r *RuleResult) Estimate { return r.Yt }); err != nil {
		return err
	}
	if p.res.YhRule, err = best(func(r *RuleResult) Estimate { return r.Yh }); err != nil {
		return err
	}
	p.res.Yt, p.res.Yh = p.res.Rules[p.res.YtRule].Yt, p.res.Rules[p.res.YhRule].Yh
	p.res.Nu, p.res.Eta = p.res.Yt.Nu(), p.res.Yh.Eta(p.dim)
	return nil
}

// relearnLevels is the number of levels of the learning sample's flow on
// which the filter is learned again.
const relearnLevels = 2

// relearn learns the filter again on the learning sample coarse-grained by
// the chosen thermal rule (rg.Flow, whose rule function learns on every
// level it is given and returns the chosen rule), on up to relearnLevels
// levels beyond level 0 while the lattice holds the regions.
func (p *pipeline) relearn(ctx context.Context) error {
	if p.states != nil { // the q-state filter is learned on level 0 only
		f := p.res.Softmax
		p.res.Filters = []FilterLevel{{Level: 0, Side: p.L, Weights: append([]float64(nil), f.W...), MI: p.res.FilterMI, VisibleMI: p.res.VisibleMI}}
		return nil
	}
	f := p.res.Filter
	p.res.Filters = []FilterLevel{{Level: 0, Side: p.L, Weights: append([]float64(nil), f.W...), MI: p.res.FilterMI, VisibleMI: p.res.VisibleMI}}
	rule := p.rules[p.res.YtRule]
	learnable := 0 // levels n ≥ 1 whose lattice holds the regions
	for s := p.L; learnable < relearnLevels && s%p.o.B == 0 && s/p.o.B >= p.o.B+2*(p.o.Buffer+p.o.Env); s /= p.o.B {
		learnable++
	}
	if learnable == 0 {
		return nil
	}
	learnAt := func(ctx context.Context, n int, fine *sample.Dataset, lat *lattice.Lattice) (rsmi.Rule, float64, error) {
		if n == 0 || n > relearnLevels {
			return rule, math.NaN(), nil
		}
		s := p.seeds[seedRelearn] + uint64(n)
		f, mi, vmi, _, err := p.learnFilter(ctx, fine, lat, s, s+1, s+2, fmt.Sprintf("level%d", n))
		if err != nil {
			return nil, 0, err
		}
		p.res.Filters = append(p.res.Filters, FilterLevel{Level: n, Side: lat.Extents()[0], Weights: f.W, MI: mi, VisibleMI: vmi})
		return rule, mi, nil
	}
	// The rule function sees level n's data when it makes level n+1: one
	// step beyond the last learnable level.
	_, err := rg.Flow(ctx, p.learnDS, p.lat, rand.NewPCG(p.seeds[seedRelearn], 5), &rg.FlowOptions{B: p.o.B, Levels: learnable + 1, Rule: learnAt})
	return err
}

// flows runs the RG flow of the effective couplings at every FlowT with the
// chosen thermal rule.
func (p *pipeline) flows(ctx context.Context) error {
	if len(p.o.FlowT) == 0 {
		return nil
	}
	ops, err := operatorSet(lattice.EvenOperators, p.dim, p.o.FlowOps)
	if err != nil {
		return err
	}
	rule := p.rules[p.res.YtRule]
	for i, T := range p.o.FlowT {
		lat, factory, err := p.sys(p.L, T)
		if err != nil {
			return fmt.Errorf("exponent: building the system at T = %v: %w", T, err)
		}
		seed := p.seeds[seedFlow] + uint64(i)
		stage := fmt.Sprintf("flow T=%.4g", T)
		p.progress(stage, 0, p.o.FlowSamples, math.NaN())
		every, err := p.every(ctx, factory, seed)
		if err != nil {
			return err
		}
		shards := min(p.o.Workers, p.o.FlowSamples)
		pf := newPrefetch(ctx, shards, shards, func(ctx context.Context, k int) ([]int8, error) {
			lo, hi := sample.BlockBounds(p.o.FlowSamples, shards, k)
			return p.sampleShard(ctx, factory, seed, k, hi-lo, every)
		})
		var rows []int8
		for k := range shards {
			r, err := pf.get(k)
			if err != nil {
				pf.close()
				return err
			}
			rows = append(rows, r...)
		}
		pf.close()
		ds, err := sample.NewDataset(lat.Geometry(), rows)
		if err != nil {
			return err
		}
		fl, err := rg.Flow(ctx, ds, lat, rand.NewPCG(seed, 6), &rg.FlowOptions{B: p.o.B, MinSide: 4, Rule: rg.Fixed(rule),
			Operators: ops, StopOnFitError: true, Checkpoint: p.ckpt(fmt.Sprintf("flow%d", i)), Progress: p.relay(stage)})
		if err != nil {
			return fmt.Errorf("exponent: pipeline flow at T = %v: %w", T, err)
		}
		line := FlowLine{T: T, Stopped: fl.Stopped}
		for _, op := range ops {
			line.Names = append(line.Names, op.Name)
		}
		for _, lv := range fl.Levels {
			if lv.Couplings == nil {
				break
			}
			line.K = append(line.K, lv.Couplings.K)
			line.KErr = append(line.KErr, lv.Couplings.StdErr)
		}
		p.res.Flow = append(p.res.Flow, line)
	}
	return nil
}
