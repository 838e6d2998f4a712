package rg

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/run"
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
	// Checkpoint, if not nil, saves the flow after every Checkpoint.Every
	// levels to Checkpoint.Dir (file "rg-flow.ckpt" unless Checkpoint.Name
	// is set): the coarse datasets, rules, MIs, couplings and the state of
	// Src, which must then implement encoding.BinaryMarshaler and
	// encoding.BinaryUnmarshaler (rand.PCG and rand.ChaCha8 do). With
	// Checkpoint.Resume, Flow restores the saved levels and Src's state and
	// continues with the next level; the input data, B, operators, fit
	// options and Src's initial state must be those of the interrupted run.
	// The rules must be Majority, Decimation or FilterRule values. The result
	// is identical to an uninterrupted run's if Rule is a deterministic
	// function of its arguments (for example a RuleFunc that seeds its own
	// random source from the level, and checkpoints a long rsmi.Train with a
	// per-level Checkpoint.Name).
	Checkpoint *run.Checkpoint
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
	var ckPath string
	var fp flowFingerprint
	var rs randState
	resumed := false
	if ck := opts.Checkpoint; ck != nil {
		var ok bool
		if rs, ok = opts.Src.(randState); !ok {
			return nil, fmt.Errorf("rg: checkpointing needs a Src whose state can be saved (encoding.BinaryMarshaler and BinaryUnmarshaler, as *rand.PCG and *rand.ChaCha8), got %T", opts.Src)
		}
		var err error
		if ckPath, err = ck.Path("rg-flow.ckpt"); err != nil {
			return nil, fmt.Errorf("rg: %w", err)
		}
		seed, err := rs.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("rg: saving the state of Src: %w", err)
		}
		fp = flowFingerprint{b: opts.B, extents: lat.Extents(), rows: ds.N, dataCRC: ckpt.CRCInt8(ds.Data),
			ops: opsID(opts.Operators, opts.Fit), seed: seed}
		if ck.Resume && ckpt.Exists(ckPath) {
			p, err := ckpt.Read(ckPath, flowKind, flowVersion)
			if err != nil {
				return nil, fmt.Errorf("rg: cannot resume: %w", err)
			}
			st, err := decodeFlowState(p)
			if err != nil {
				return nil, fmt.Errorf("rg: cannot resume from %s: %w", ckPath, err)
			}
			if m := st.fp.mismatch(&fp); m != "" {
				return nil, fmt.Errorf("rg: cannot resume from %s: it was written for %s", ckPath, m)
			}
			if levels, err = st.rebuild(levels, opts.B); err != nil {
				return nil, fmt.Errorf("rg: cannot resume from %s: %w", ckPath, err)
			}
			if err := rs.UnmarshalBinary(st.src); err != nil {
				return nil, fmt.Errorf("rg: cannot resume from %s: restoring Src: %w", ckPath, err)
			}
			levels[0].Couplings = st.fit0
			resumed = true
		}
	}
	if !resumed {
		if err := fit(&levels[0]); err != nil {
			return nil, err
		}
	}
	if len(levels) > opts.Levels+1 {
		levels = levels[:opts.Levels+1]
	}
	save := func(n int) error {
		if ckPath == "" || !opts.Checkpoint.Due(n, opts.Levels) {
			return nil
		}
		src, err := rs.MarshalBinary()
		if err != nil {
			return fmt.Errorf("rg: saving the state of Src: %w", err)
		}
		st := flowState{fp: fp, src: src, fit0: levels[0].Couplings}
		for _, lv := range levels[1:] {
			st.levels = append(st.levels, flowLevelState{rule: lv.Rule, mi: lv.MI, data: lv.Data.Data, couplings: lv.Couplings})
		}
		b, err := st.encode()
		if err != nil {
			return err
		}
		if err := ckpt.Write(ckPath, flowKind, flowVersion, b); err != nil {
			return fmt.Errorf("rg: writing checkpoint after level %d: %w", n, err)
		}
		return nil
	}
	for n := len(levels); n <= opts.Levels; n++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("rg: flow interrupted before level %d: %w", n, err)
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
		if err := save(n); err != nil {
			return nil, err
		}
		if opts.Progress != nil {
			opts.Progress(n, opts.Levels)
		}
	}
	return levels, nil
}
