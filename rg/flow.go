package rg

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// RuleFunc chooses the rule of one RG step from the data it will act on:
// level is the level of fine (0 for the input), lat its lattice. It may
// learn a filter on fine (for example with rsmi.Train) and return it — as
// the *rsmi.Filter itself (h drawn from P_Λ(h|V)), as
// rsmi.MostProbable(filter), or symmetrized with rsmi.Symmetrize — together
// with its mutual information in bits, or return a fixed rule and NaN. It
// must use ctx for anything long.
type RuleFunc func(ctx context.Context, level int, fine *sample.Dataset, lat *lattice.Lattice) (rule rsmi.Rule, miBits float64, err error)

// Fixed returns a RuleFunc that uses rule at every level.
func Fixed(rule rsmi.Rule) RuleFunc {
	return func(context.Context, int, *sample.Dataset, *lattice.Lattice) (rsmi.Rule, float64, error) {
		return rule, math.NaN(), nil
	}
}

// ErrStopped is FlowResult.Stopped when FlowOptions.Stop ended a flow.
var ErrStopped = errors.New("rg: flow stopped by FlowOptions.Stop")

// FlowOptions configures Flow. nil, and every zero field, asks for the
// defaults.
type FlowOptions struct {
	// B is the block side (default 2).
	B int
	// Levels is the number of RG steps (default 0: as many as MinSide
	// allows). More levels than the lattice allows is an error.
	Levels int
	// MinSide is the smallest extent a coarse lattice may have (default 2):
	// with Levels = 0 the flow coarse-grains while every extent is a
	// multiple of B and at least B·MinSide.
	MinSide int
	// Rule chooses the rule of each step (default Fixed(rsmi.Majority{})).
	// The rule must have one output per block.
	Rule RuleFunc
	// Operators, if non-empty, are fitted by FitCouplings at every level
	// (including level 0); they must be valid on every lattice of the flow
	// and the data ±1 spins.
	Operators []lattice.Operator
	// Fit configures the fits (default nil: FitCouplings' defaults).
	Fit *FitOptions
	// StopOnFitError ends the flow at the first level whose couplings
	// cannot be fitted (an error wrapping ErrFit, typically a coarse
	// lattice too ordered for a finite pseudo-likelihood maximum below
	// T_c): that level is the last of the result, with nil Couplings, and
	// FlowResult.Stopped holds the error. Default false: such a level is
	// an error of Flow.
	StopOnFitError bool
	// Stop, if not nil, is called with every level but the last (level 0
	// included) once it is complete; returning true ends the flow after
	// that level, with FlowResult.Stopped = ErrStopped. It must be a
	// deterministic function of the level for a resumed flow to end where
	// an uninterrupted one would. Default nil: never stop.
	Stop func(FlowLevel) bool
	// Progress, if not nil, receives Stage "rg.Flow", Done = the level
	// just completed, Total = the number of levels and Value = the MI its
	// RuleFunc reported (NaN if none) after every level ≥ 1. Default nil.
	Progress run.ProgressFunc
	// Checkpoint, if not nil, saves the flow after every Checkpoint.Every
	// levels (file "rg-flow.ckpt" unless Checkpoint.Name is set): the
	// coarse datasets, rules (rsmi.MarshalRule: the rules must be
	// registered, as every built-in rule and Symmetrize and MostProbable of
	// one are), MIs, couplings and the state of src, which must then
	// implement encoding.BinaryMarshaler and encoding.BinaryUnmarshaler
	// (*rand.PCG and *rand.ChaCha8 do). With Checkpoint.Resume, Flow
	// restores the saved levels and src's state and continues with the
	// next level; the input data, the options (B, the number of levels,
	// operators, fit options, StopOnFitError) and src's initial state must
	// be those of the interrupted run, and resuming with another number of
	// levels is an error naming both. The result is identical to an
	// uninterrupted run's if Rule is a deterministic function of its
	// arguments (for example a RuleFunc that seeds its own random source
	// from the level, and checkpoints a long rsmi.Train with a per-level
	// Checkpoint.Name). Default nil: no checkpoints.
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
	Rule rsmi.Rule
	MI   float64
	// Couplings are the effective couplings fitted on the level-n data
	// (nil without operators, and on a level that could not be fitted
	// under StopOnFitError).
	Couplings *Couplings
}

// FlowResult is the outcome of Flow.
type FlowResult struct {
	// Levels are the levels 0, 1, … computed.
	Levels []FlowLevel
	// Stopped is nil if the flow ran all its levels and fitted every one.
	// Otherwise it says why the flow ended where it did: the fit error of
	// its last level (wrapping ErrFit) under StopOnFitError, or ErrStopped.
	Stopped error
	// ResumedFrom is the level of the checkpoint the flow resumed from (0
	// if it started from the beginning).
	ResumedFrom int
}

// Flow iterates RG steps on ds (configurations on lat): at each level n it
// asks opts.Rule for a rule given the level-n data (learning a filter, or
// reusing one), coarse-grains with blocks of side opts.B (Coarsen, drawing
// its randomness from src), and fits effective couplings on
// opts.Operators. It returns levels 0 … opts.Levels, fewer if the flow
// stopped early (FlowOptions.StopOnFitError, FlowOptions.Stop).
//
// Flow returns an error for invalid options, a dataset not on lat, a rule
// that rejects a level's blocks, a fit error (unless StopOnFitError), or if
// ctx is cancelled (the error wraps ctx.Err()).
func Flow(ctx context.Context, ds *sample.Dataset, lat *lattice.Lattice, src rand.Source, opts *FlowOptions) (*FlowResult, error) {
	f, err := newFlow(ctx, ds, lat, src, opts)
	if err != nil {
		return nil, err
	}
	loop, err := f.loop()
	if err != nil {
		return nil, err
	}
	if _, err := loop.Run(ctx, f.step); err != nil && !errors.Is(err, errFlowEnded) {
		return nil, prefixed(err)
	}
	return f.res, nil
}

// errFlowEnded ends the resumable loop of a flow that stopped early.
var errFlowEnded = errors.New("rg: flow ended")

// flow is the state of one Flow call.
type flow struct {
	ctx     context.Context
	o       FlowOptions
	src     rand.Source
	total   int // levels
	res     *FlowResult
	fitted0 bool // level 0 is complete (fitted, Stop consulted)
}

// newFlow validates the inputs and fills in the defaults.
func newFlow(ctx context.Context, ds *sample.Dataset, lat *lattice.Lattice, src rand.Source, opts *FlowOptions) (*flow, error) {
	if ds == nil || lat == nil {
		return nil, errors.New("rg: Flow needs a dataset and a lattice")
	}
	if src == nil {
		return nil, errors.New("rg: Flow needs a random source")
	}
	f := &flow{ctx: ctx, src: src}
	if opts != nil {
		f.o = *opts
	}
	if f.o.B == 0 {
		f.o.B = 2
	}
	if f.o.MinSide == 0 {
		f.o.MinSide = 2
	}
	if f.o.Rule == nil {
		f.o.Rule = Fixed(rsmi.Majority{})
	}
	if !ds.Geom.Equal(lat.Geometry()) {
		return nil, fmt.Errorf("rg: dataset geometry (extents %v) is not the lattice's (extents %v)", ds.Geom.Extents(), lat.Extents())
	}
	if err := checkValues(ds, spinsAsNil(ds.States)); err != nil {
		return nil, err
	}
	total, err := flowLevels(lat.Extents(), f.o.B, f.o.MinSide, f.o.Levels)
	if err != nil {
		return nil, err
	}
	f.total = total
	f.res = &FlowResult{Levels: []FlowLevel{{Level: 0, Lattice: lat, Data: ds, MI: math.NaN()}}}
	return f, nil
}

// flowLevels returns the number of levels of a flow on a lattice of
// extents ext with block side b and smallest coarse side minSide: levels
// if it is positive and possible, the largest possible number if levels is
// 0.
func flowLevels(ext []int, b, minSide, levels int) (int, error) {
	switch {
	case b < 2:
		return 0, fmt.Errorf("rg: Flow block side B = %d, want ≥ 2", b)
	case minSide < 2:
		return 0, fmt.Errorf("rg: Flow MinSide = %d, want ≥ 2", minSide)
	case levels < 0:
		return 0, fmt.Errorf("rg: Flow Levels = %d, want ≥ 0 (0: as many as MinSide allows)", levels)
	}
	possible := 0
	for side := append([]int(nil), ext...); ; possible++ {
		ok := true
		for a, e := range side {
			if e%b != 0 || e/b < minSide {
				ok = false
			}
			side[a] = e / b
		}
		if !ok {
			break
		}
	}
	switch {
	case possible == 0:
		return 0, fmt.Errorf("rg: lattice of extents %v admits no RG step with blocks of side %d leaving extents ≥ MinSide = %d", ext, b, minSide)
	case levels > possible:
		return 0, fmt.Errorf("rg: Flow Levels = %d, but extents %v admit at most %d steps with blocks of side %d leaving extents ≥ MinSide = %d", levels, ext, possible, b, minSide)
	case levels == 0:
		return possible, nil
	}
	return levels, nil
}

// step computes level n (a step of the resumable loop).
func (f *flow) step(n int) error {
	if n == 1 && !f.fitted0 {
		if err := f.finish(&f.res.Levels[0]); err != nil {
			return err
		}
	}
	if f.res.Stopped != nil {
		return errFlowEnded
	}
	prev := f.res.Levels[n-1]
	rule, mi, err := f.o.Rule(f.ctx, n-1, prev.Data, prev.Lattice)
	if err != nil {
		return fmt.Errorf("rg: rule for level %d: %w", n, err)
	}
	if rule == nil {
		return fmt.Errorf("rg: rule for level %d is nil", n)
	}
	if k := rule.Outputs(); k != 1 {
		return fmt.Errorf("rg: Flow needs one output per block, the rule for level %d has %d", n, k)
	}
	bl, err := NewBlockingStates(prev.Lattice, f.o.B, rule, prev.Data.States)
	if err != nil {
		return fmt.Errorf("rg: level %d: %w", n, err)
	}
	coarse, err := bl.Dataset(prev.Data, f.src)
	if err != nil {
		return err
	}
	f.res.Levels = append(f.res.Levels, FlowLevel{Level: n, Lattice: bl.Coarse(), Data: coarse, Rule: rule, MI: mi})
	if err := f.finish(&f.res.Levels[n]); err != nil {
		return err
	}
	if f.o.Progress != nil {
		f.o.Progress(run.Progress{Stage: "rg.Flow", Done: n, Total: f.total, Value: mi})
	}
	return nil
}

// finish fits the couplings of a new level and applies the stop
// conditions.
func (f *flow) finish(lv *FlowLevel) error {
	if lv.Level == 0 {
		f.fitted0 = true
	}
	if len(f.o.Operators) > 0 {
		c, err := FitCouplings(f.ctx, lv.Data, lv.Lattice, f.o.Operators, f.o.Fit)
		switch {
		case err == nil:
			lv.Couplings = c
		case f.o.StopOnFitError && errors.Is(err, ErrFit):
			f.res.Stopped = &stopError{msg: fmt.Sprintf("rg: level %d: %v", lv.Level, err), target: ErrFit}
			return nil
		default:
			return fmt.Errorf("rg: level %d: %w", lv.Level, err)
		}
	}
	if f.o.Stop != nil && lv.Level < f.total && f.o.Stop(*lv) {
		f.res.Stopped = ErrStopped
	}
	return nil
}

// stopError is the reason a flow stopped, as restored from a checkpoint
// too: its message and the sentinel it wraps.
type stopError struct {
	msg    string
	target error
}

func (e *stopError) Error() string { return e.msg }
func (e *stopError) Unwrap() error { return e.target }

// prefixed adds the package prefix to errors of the resumable loop.
func prefixed(err error) error {
	if s := err.Error(); len(s) > 3 && s[:3] == "rg:" {
		return err
	}
	return fmt.Errorf("rg: %w", err)
}
