package exponent

import (
	"fmt"
	"slices"

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// checkInputs refuses, before any work, the pipeline options that would
// exhaust memory or fail only late in the run: the configurations held at
// once (the learning sample, one shard of each production run, a flow
// sample) against the memory budget of internal/size, the history of the
// filter's training, the baseline rule on the blocks, and the operators on
// the smallest lattice of the MCRG levels. The datasets (Data, MatchData) are checked by system.
func (p *pipeline) checkInputs() error {
	o := &p.o
	n := p.lat.N()
	perShard := func(samples int) int { return samples/o.Shards + 1 }
	for _, c := range []struct {
		what              string
		elem, rows, width int
	}{
		{"learning sample (LearnSamples)", 1, o.LearnSamples, n},
		{"production shard (Samples/Shards)", 1, perShard(o.Samples), n},
		{"matching shard (MatchSamples/Shards)", 1, perShard(max(o.MatchSamples, 0)), n / p.nv},
		{"flow sample (FlowSamples)", 1, o.FlowSamples * min(len(o.FlowT), 1), n},
		{"filter training history (Steps)", 8, o.Steps, 1},
	} {
		if _, err := size.Elements("pipeline "+c.what, c.elem, c.rows, c.width); err != nil {
			return fmt.Errorf("exponent: %w", err)
		}
	}
	if err := rsmi.CheckRule(o.Baseline, p.nv, p.states); err != nil {
		return fmt.Errorf("exponent: pipeline baseline rule: %w", err)
	}
	if out := o.Baseline.States(); o.Baseline.Outputs() != 1 || (p.states == nil && len(out) != 2) || (p.states != nil && !slices.Equal(out, p.states)) {
		return fmt.Errorf("exponent: pipeline baseline rule %T has %d outputs of values %v, want one coarse variable of the fine values (nil: ±1) %v", o.Baseline, o.Baseline.Outputs(), out, p.states)
	}
	return p.checkOperators()
}

// checkOperators validates the even and odd operators on the smallest
// lattice MCRG measures them on (side L/B^n* at the deepest level n*), where
// a long operator may alias.
func (p *pipeline) checkOperators() error {
	side := p.L
	for range p.levels[0] {
		side /= p.o.B
	}
	lat, err := hypercubic(p.dim, side)
	if err != nil {
		return fmt.Errorf("exponent: the deepest MCRG level: %w", err)
	}
	for _, op := range append(p.o.Even[:len(p.o.Even):len(p.o.Even)], p.o.Odd...) {
		if err := op.Validate(lat); err != nil {
			return fmt.Errorf("exponent: pipeline operator at the deepest MCRG level (side %d): %w", side, err)
		}
	}
	return nil
}

// checkData validates a dataset passed as PipelineOptions.Data or
// MatchData (named what) before its geometry is read.
func checkData(ds *sample.Dataset, what string) error {
	if err := ds.Validate(); err != nil {
		return fmt.Errorf("exponent: pipeline %s: %w", what, err)
	}
	return nil
}
