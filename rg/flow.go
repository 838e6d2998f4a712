package rg

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// RuleFunc chooses the rule of one RG step from the data it will act on:
// level is the level of fine (0 for the input), lat its lattice. It may
// learn a filter on fine (for example with rsmi.Train) and return it as a
// FilterRule together with its mutual information in bits, or return a
// fixed rule and NaN. It must use ctx for anything long.
type RuleFunc func(ctx context.Context, level int, fine *sample.Dataset, lat *lattice.Lattice) (rule Rule, miBits float64, err error)

// Fixed returns a RuleFunc that uses rule at every level.
func Fixed(rule Rule) RuleFunc {
	return func(context.Context, int, *sample.Dataset, *lattice.Lattice) (Rule, float64, error) {
		return rule, math.NaN(), nil
	}
}

// FlowOptions configures Flow.
type FlowOptions struct {
	// B is the block side (default 2).
	B int
	// Levels is the number of RG steps (≥ 1, required).
	Levels int
	// Rule chooses the rule of each step (default Fixed(Majority{})). The
	// rule must have one output per block.
	Rule RuleFunc
	// Operators, if non-empty, are fitted by FitCouplings at every level
	// (including level 0); they must be valid on every lattice of the flow.
	Operators []lattice.Operator
	// Fit configures the fits (nil: defaults).
	Fit *FitOptions
	// Src supplies the randomness of the coarse-graining; required.
	Src rand.Source
	// Progress, if non-nil, is called after each completed level with the
	// level and opts.Levels.
	Progress func(level, levels int)
}

// FlowLevel is one level of an RG flow.
type FlowLevel struct {
	// Level is n; level 0 is the input.
	Level int
	// Lattice and Data are the level-n lattice and configurations.
	Lattice *lattice.Lattice
	Data    *sample.Dataset
	// Rule produced this level from level n−1 (nil at level 0), and MI is
	// the mutual information in bits its RuleFunc reported (NaN if none).
	Rule Rule
	MI   float64
	// Couplings are the effective couplings fitted on the level-n data
	// (nil without operators).
	Couplings *Couplings
}

// Flow iterates RG steps on ds (configurations on lat): at each level n it
// asks opts.Rule for a rule given the level-n data (learning a filter, or
// reusing one), coarse-grains with blocks of side opts.B, and fits effective
// couplings on opts.Operators. It returns levels 0 … opts.Levels.
func Flow(ctx context.Context, ds *sample.Dataset, lat *lattice.Lattice, opts FlowOptions) ([]FlowLevel, error) {
	if ds == nil || lat == nil {
		return nil, errors.New("rg: Flow needs a dataset and a lattice")
	}
	if opts.B == 0 {
		opts.B = 2
	}
	if opts.Levels < 1 {
		return nil, fmt.Errorf("rg: Flow levels = %d, want ≥ 1", opts.Levels)
	}
	if opts.Rule == nil {
		opts.Rule = Fixed(Majority{})
	}
	if opts.Src == nil {
		return nil, errors.New("rg: Flow needs a random source")
	}
	if !ds.Geom.Equal(lat.Geometry()) {
		return nil, fmt.Errorf("rg: dataset geometry (extents %v) is not the lattice's (extents %v)", ds.Geom.Extents(), lat.Extents())
	}
	fit := func(lv *FlowLevel) error {
		if len(opts.Operators) == 0 {
			return nil
		}
		c, err := FitCouplings(ctx, lv.Data, lv.Lattice, opts.Operators, opts.Fit)
		if err != nil {
			return fmt.Errorf("rg: level %d: %w", lv.Level, err)
		}
		lv.Couplings = c
		return nil
	}
	levels := []FlowLevel{{Level: 0, Lattice: lat, Data: ds, MI: math.NaN()}}
	if err := fit(&levels[0]); err != nil {
		return nil, err
	}
	for n := 1; n <= opts.Levels; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		prev := levels[n-1]
		rule, mi, err := opts.Rule(ctx, n-1, prev.Data, prev.Lattice)
		if err != nil {
			return nil, fmt.Errorf("rg: rule for level %d: %w", n, err)
		}
		if rule == nil {
			return nil, fmt.Errorf("rg: rule for level %d is nil", n)
		}
		if k := rule.Outputs(); k != 1 {
			return nil, fmt.Errorf("rg: Flow needs one output per block, the rule for level %d has %d", n, k)
		}
		bl, err := NewBlocking(prev.Lattice, opts.B, rule)
		if err != nil {
			return nil, fmt.Errorf("rg: level %d: %w", n, err)
		}
		coarse, err := bl.Dataset(prev.Data, opts.Src)
		if err != nil {
			return nil, err
		}
		lv := FlowLevel{Level: n, Lattice: bl.Coarse(), Data: coarse, Rule: rule, MI: mi}
		if err := fit(&lv); err != nil {
			return nil, err
		}
		levels = append(levels, lv)
		if opts.Progress != nil {
			opts.Progress(n, opts.Levels)
		}
	}
	return levels, nil
}
