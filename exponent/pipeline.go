package exponent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// System is the model a Pipeline studies: for a linear size L and a
// temperature T it returns the lattice (side L along every axis) and a
// factory of independent Markov chains sampling the model on it at T. The
// chains' configurations are ±1 spins, or q-state variables 0 … q−1 if the
// chains declare them (a method States() []int8, as sample's Potts and
// generic samplers have); chains that expose their model (ModelChain) let
// Pipeline check the learned filter against the exact oracle. IsingSystem
// is the nearest-neighbour Ising model with Wolff clusters, PottsSystem the
// q-state Potts model with Swendsen–Wang clusters; users wrap their own
// Hamiltonians the same way.
type System func(L int, T float64) (*lattice.Lattice, sample.Factory, error)

// IsingSystem returns the ferromagnetic nearest-neighbour Ising model
// (J = 1) on the hypercubic lattice of side L in dim dimensions, sampled by
// Wolff clusters.
func IsingSystem(dim int) System {
	return func(L int, T float64) (*lattice.Lattice, sample.Factory, error) {
		lat, err := hypercubic(dim, L)
		if err != nil {
			return nil, nil, err
		}
		m, err := lattice.NewNearestNeighborIsing(lat, 1)
		if err != nil {
			return nil, nil, err
		}
		return lat, func(src rand.Source) (sample.Sampler, error) { return sample.NewWolff(m, T, src) }, nil
	}
}

// hypercubic returns the hypercubic lattice of side L in dim dimensions.
func hypercubic(dim, L int) (*lattice.Lattice, error) {
	if dim < 1 {
		return nil, fmt.Errorf("exponent: system dimension %d, want ≥ 1", dim)
	}
	ext := make([]int, dim)
	for a := range ext {
		ext[a] = L
	}
	return lattice.NewLattice(ext...)
}

// PipelineOptions configures Pipeline. nil, and every zero field, asks for
// the defaults.
type PipelineOptions struct {
	// B is the block side of the RG step (default 2).
	B int

	// LearnSamples is the number of configurations of the learning sample
	// at the critical temperature (default 400).
	LearnSamples int
	// Buffer and Env are the widths of the buffer and the environment shell
	// of the (V, E) pairs the filter learns from (defaults 1 and 1).
	Buffer, Env int
	// Pairs is the number of (V, E) pairs (default 30000).
	Pairs int
	// Steps is the number of Adam steps of the filter's training at fixed
	// norm ‖λ‖ = 1 (default 300; the fixed-norm optimum is reached in about
	// a hundred).
	Steps int
	// ExactV configures the estimator (default nil: rsmi's defaults; for
	// q-state variables Hidden defaults to 64 and Symmetries, the data
	// augmentation, to the block's point group × S_q,
	// Regions.Symmetries(rsmi.StatePermutations(q)) — a non-nil empty
	// Symmetries asks for none). Its Checkpoint and Progress are replaced.
	ExactV *rsmi.ExactVOptions

	// Weights are the strengths w of the learned rules: the learned
	// direction λ̂ scaled to the norm ‖λ‖ = w·√|V| (so that w is the weight
	// per spin of a uniform filter), applied stochastically and
	// symmetrized over the block's point group; +Inf is the sharp rule
	// (the most probable coarse spin, symmetrized). Default
	// {0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, +Inf}. For q-state variables
	// ‖λ‖ = w·√(|V|(q−1)), the norm of the centred soft plurality rule
	// P(h = a|v) ∝ exp(w·n_a(v)), and the average runs over the
	// permutations of the states too; default {0.8, 1, 1.2, 1.4, 1.6, 2,
	// 2.5, 3, +Inf}.
	Weights []float64
	// Unsymmetrized applies the learned rules as they are, without the
	// average over the block's point group (default false: symmetrized; an
	// unsymmetrized sharp filter breaks ties by its weights, prefers some
	// spins of the block and generates anisotropic couplings outside the
	// span of the symmetric operators).
	Unsymmetrized bool
	// Baseline is the fixed rule the learned rules are compared with
	// (default rsmi.Majority{}; rsmi.Plurality for q-state variables).
	Baseline rsmi.Rule

	// Samples is the number of configurations of the production run at L
	// (default 20000), sampled in Shards independent shards (default 40),
	// which are also the jackknife blocks. A shard is one chain: BurnIn
	// sweeps (default 100) of equilibration from a random start, then a
	// configuration after every Sweeps sweeps (default 1), a Wolff sweep
	// being the number of clusters that flips about N spins
	// (sample.PilotEvery).
	Samples, Shards int
	BurnIn, Sweeps  float64
	// MatchSamples is the number of configurations of the matching run at
	// L/B (default Samples; negative: no matching run, and the drift is
	// measured without matching; see EstimateY).
	MatchSamples int
	// Data, if not nil, replaces sampling at L: its configurations (on the
	// hypercubic lattice of side L, in the order they were sampled) are the
	// production run, split into Shards contiguous jackknife blocks, and
	// the learning sample is LearnSamples of them, evenly spaced. MatchData
	// likewise replaces the matching run at L/B (nil: no matching run).
	// Their values are ±1 spins, or q-state variables 0 … q−1 declared by
	// the datasets' States; with a system they must be the system's, and
	// every value must lie in the declared alphabet. Samples and
	// MatchSamples are then the datasets' sizes; the system may be nil
	// unless FlowT is set (without it the learned filter is not checked
	// against the exact oracle). Default nil: sample with the system.
	Data, MatchData *sample.Dataset

	// Even and Odd span the thermal and the magnetic sector (defaults
	// lattice.EvenOperators(d, 8) and OddOperators(d, 6), for q-state
	// variables lattice.PottsEvenOperators(d, 8) and PottsOddOperators(d,
	// 6); fewer where the set is smaller). Ops is the truncation k* of the estimates (default
	// 4), MinSide the smallest final lattice side of the estimates (default
	// 8; see EstimateY).
	Even, Odd []lattice.Operator
	Ops       int
	MinSide   int

	// FlowT are temperatures at which a separate sample of FlowSamples
	// configurations (default 1000) is coarse-grained by the chosen
	// learned rule down to a lattice of side 4, with the first FlowOps
	// even operators (default 1) fitted by pseudo-likelihood at every
	// level (default none: no flow). The learned filters per level are
	// always measured on the learning sample (PipelineResult.Filters).
	// Flows are not available for q-state variables (an error).
	FlowT       []float64
	FlowSamples int
	FlowOps     int

	// Workers is the number of shards sampled at once (default
	// GOMAXPROCS); the result does not depend on it.
	Workers int
	// Progress, if not nil, receives the stages "pipeline: learning
	// sample", "pipeline: learning", "pipeline: checking (oracle)" (with a
	// ModelChain), "pipeline: pilot run L=…" (the
	// thinning of the chains), "pipeline: sampling L=…" (Done and Total
	// counting configurations), "pipeline: filters" and
	// "pipeline: flow T=…". Default nil.
	Progress run.ProgressFunc
	// Checkpoint, if not nil, makes every stage resumable: the learning
	// sample, the Θ-RBM and the filter's training, every finished shard of
	// both production runs (the MCRG accumulators; no configuration is
	// kept), the filters per level and every flow are saved in
	// Checkpoint.Dir under names starting with Checkpoint.Name (default
	// "pipeline"). With Checkpoint.Resume a run with the same system
	// arguments, options and source continues after its last finished
	// step and returns the result of an uninterrupted run. Default nil.
	Checkpoint *run.Checkpoint
}

// defaultWeights are PipelineOptions.Weights' default.
var defaultWeights = []float64{0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, math.Inf(1)}

func (o *PipelineOptions) setDefaults(dim int) error {
	def := func(x *int, v int) {
		if *x == 0 {
			*x = v
		}
	}
	def(&o.B, 2)
	def(&o.LearnSamples, 400)
	def(&o.Env, 1)
	def(&o.Pairs, 30000)
	def(&o.Steps, 300)
	def(&o.Samples, 20000)
	def(&o.Shards, 40)
	def(&o.MatchSamples, o.Samples)
	def(&o.Ops, 4)
	def(&o.MinSide, 8)
	def(&o.FlowSamples, 500)
	def(&o.FlowOps, 1)
	def(&o.Workers, runtime.GOMAXPROCS(0))
	if o.Buffer == 0 {
		o.Buffer = 1
	}
	if o.BurnIn == 0 {
		o.BurnIn = 100
	}
	if o.Sweeps == 0 {
		o.Sweeps = 1
	}
	if o.Weights == nil {
		o.Weights = defaultWeights
	}
	if o.Baseline == nil {
		o.Baseline = rsmi.Majority{}
	}
	if err := o.defaultOperators(lattice.EvenOperators, lattice.OddOperators, dim); err != nil {
		return err
	}
	return o.validate()
}

// defaultOperators fills Even and Odd, where nil, with the first 8 and 6
// operators of the sets even and odd.
func (o *PipelineOptions) defaultOperators(even, odd func(dim, n int) ([]lattice.Operator, error), dim int) error {
	var err error
	if o.Even == nil {
		if o.Even, err = operatorSet(even, dim, 8); err != nil {
			return err
		}
	}
	if o.Odd == nil {
		if o.Odd, err = operatorSet(odd, dim, 6); err != nil {
			return err
		}
	}
	return nil
}

// operatorSet returns the first n operators of a set, or all of a smaller set.
func operatorSet(set func(dim, n int) ([]lattice.Operator, error), dim, n int) ([]lattice.Operator, error) {
	for ; n > 0; n-- {
		if ops, err := set(dim, n); err == nil {
			return ops, nil
		}
	}
	return nil, fmt.Errorf("exponent: no operators in %d dimensions", dim)
}

func (o *PipelineOptions) validate() error {
	for _, c := range []struct {
		name string
		v    int
		min  int
	}{{"B", o.B, 2}, {"LearnSamples", o.LearnSamples, 2}, {"Buffer", o.Buffer, 0}, {"Env", o.Env, 1}, {"Pairs", o.Pairs, 1},
		{"Steps", o.Steps, 1}, {"Samples", o.Samples, 4}, {"Shards", o.Shards, 2}, {"Ops", o.Ops, 1},
		{"MinSide", o.MinSide, 2}, {"FlowSamples", o.FlowSamples, 2}, {"FlowOps", o.FlowOps, 1}, {"Workers", o.Workers, 1}} {
		if c.v < c.min {
			return fmt.Errorf("exponent: pipeline option %s = %d, want ≥ %d", c.name, c.v, c.min)
		}
	}
	if o.Data != nil && o.Data.N < o.LearnSamples {
		return fmt.Errorf("exponent: the data hold %d configurations, fewer than LearnSamples = %d", o.Data.N, o.LearnSamples)
	}
	if o.Samples/2 < o.Shards || (o.MatchSamples > 0 && o.MatchSamples/2 < o.Shards) { // Samples < 2·Shards without overflow
		return fmt.Errorf("exponent: pipeline needs at least 2 configurations per shard: Samples %d, MatchSamples %d, Shards %d", o.Samples, o.MatchSamples, o.Shards)
	}
	for _, x := range []struct {
		name string
		v    float64
	}{{"BurnIn", o.BurnIn}, {"Sweeps", o.Sweeps}} {
		if !(x.v > 0) || math.IsInf(x.v, 0) {
			return fmt.Errorf("exponent: pipeline option %s = %v, want finite and > 0", x.name, x.v)
		}
	}
	if len(o.Weights) == 0 {
		return errors.New("exponent: pipeline needs at least one learned rule weight")
	}
	for _, w := range o.Weights {
		if !(w > 0) {
			return fmt.Errorf("exponent: learned rule weight %v, want > 0 (or +Inf for the sharp rule)", w)
		}
	}
	for _, T := range o.FlowT {
		if !(T > 0) || math.IsInf(T, 0) {
			return fmt.Errorf("exponent: flow temperature %v, want finite and > 0", T)
		}
	}
	if len(o.Even) == 0 || len(o.Odd) == 0 {
		return errors.New("exponent: the pipeline needs even and odd operators")
	}
	return nil
}

// RuleResult is the Monte Carlo RG of one rule in a pipeline.
type RuleResult struct {
	// Name describes the rule ("learned w=0.5", "learned sharp",
	// "majority").
	Name string
	// Weight is the learned rule's weight w (+Inf for the sharp rule), NaN
	// for the baseline.
	Weight float64
	// Rule is the rule itself.
	Rule rsmi.Rule
	// MI is I(H:E) of the rule in bits under the learning estimator.
	MI float64
	// MCRG and Match are the MCRG results at L and at L/B (nil without a
	// matching run).
	MCRG, Match *MCRGResult
	// Yt and Yh are the estimates of EstimateY; Nu and Eta follow from
	// them. Err holds the reason if a sector could not be estimated.
	Yt, Yh, Nu, Eta Estimate
	Err             error
}

// FilterLevel is the filter RSMI learns at one level of the learning
// sample's RG flow (coarse-grained by the sharp learned rule).
type FilterLevel struct {
	// Level is n (0: the learning sample itself), Side the lattice side.
	Level, Side int
	// Weights are the filter's λ (‖λ‖ = 1, x fastest, Σλ > 0).
	Weights []float64
	// MI is I_Λ(H:E) in bits, VisibleMI the bound I(V:E), under the
	// level's ExactV estimator.
	MI, VisibleMI float64
}

// FlowLine is the RG flow of the effective couplings at one temperature.
type FlowLine struct {
	T float64
	// Names are the fitted operators; K[n] and KErr[n] the couplings and
	// their jackknife errors at level n.
	Names   []string
	K, KErr [][]float64
	// Stopped, if not nil, says why the flow ended before side 4.
	Stopped error
}

// PipelineResult is the outcome of Pipeline.
type PipelineResult struct {
	// Dim, L and T describe the system; B is the block side.
	Dim, L, B int
	T         float64
	// N and NMatch are the numbers of configurations at L and L/B.
	N, NMatch int
	// States are the values of the dofs: nil for ±1 spins, 0 … q−1 for
	// q-state variables.
	States []int8
	// Filter is the learned filter (‖λ‖ = 1, Σλ > 0), with its I_Λ(H:E)
	// and the bound I(V:E) in bits. For q-state variables Filter is nil
	// and Softmax is the learned filter: q hidden states, weights centred
	// over the hidden states, ‖λ‖ = 1, states aligned (AlignStates).
	Filter              *rsmi.Filter
	Softmax             *rsmi.SoftmaxFilter
	FilterMI, VisibleMI float64
	// FilterExactMI and VisibleExactMI check FilterMI and VisibleMI, which
	// are ExactV's: the same quantities under the exact oracle of the
	// model (rsmi.NewExactOracle) at the same (V, E) pairs, if the chains
	// expose their model (ModelChain, as PottsSystem's do); NaN otherwise.
	// The oracle is a check only: nothing is learned or chosen with it.
	FilterExactMI, VisibleExactMI float64
	// Filters are the filters learned at every level of the learning
	// sample's flow.
	Filters []FilterLevel
	// Rules are the learned rules in the order of Weights, then the
	// baseline.
	Rules []RuleResult
	// Yt and Yh are the learned estimates: per sector, the learned rule
	// whose estimate has the smallest total error √(Stat² + Sys²);
	// YtRule and YhRule are its index in Rules. Nu and Eta follow.
	Yt, Yh, Nu, Eta Estimate
	YtRule, YhRule  int
	// Baseline is the index of the baseline in Rules.
	Baseline int
	// Flow holds the flows at PipelineOptions.FlowT.
	Flow []FlowLine
}

// Pipeline measures the critical exponents of sys at its critical
// temperature Tc with a coarse-graining rule learned by RSMI, from samples
// alone, in one call:
//
//  1. Learning. A learning sample at side L gives (V, E) pairs of b^d
//     blocks; the ExactV estimator models P(V, E), and a one-unit filter is
//     trained at fixed norm ‖λ‖ = 1 (the paper's constraint), which fixes
//     the direction λ̂ of the coarse-graining; its sign is fixed by Σλ > 0.
//     The filter is relearned on the flow of the learning sample
//     (PipelineResult.Filters). For q-state variables the filter is a
//     SoftmaxFilter with q hidden states trained the same way on ExactV's
//     categorical Θ-RBM (see the package documentation), centred,
//     normalized and aligned (rsmi.SoftmaxFilter.AlignStates); it is
//     learned at level 0 only. If the chains expose their model
//     (ModelChain), the filter's MI is also computed under the exact
//     oracle at the same pairs (PipelineResult.FilterExactMI), a check of
//     the estimator that nothing downstream uses.
//  2. Rules. The learned rules apply λ̂ at the strengths w of Weights,
//     P(h|v) ∝ exp(w√|V| h λ̂·v), symmetrized over the block's point group
//     (rsmi.Symmetrize with lattice.BlockSymmetries); +Inf is the sharp
//     (most probable) rule. RSMI fixes the direction, not the strength: the
//     mutual information grows with w (RuleResult.MI), so the strength is
//     chosen below from the RG itself. The baseline rule sits beside them.
//  3. Production. Samples configurations at L and MatchSamples at L/b, in
//     independent shards (one chain each), are streamed through Monte
//     Carlo RG (MCRGStream) with every rule at once; no configuration is
//     kept, so memory does not grow with the sample.
//  4. Estimates. For every rule and sector, EstimateY gives y at the
//     deepest level whose lattice has side ≥ MinSide with k* = Ops
//     operators, its jackknife error over shards (Stat) and the systematic
//     error from the matched level drift, the finite-size change and the
//     truncation (Sys). The learned estimate of each sector is the learned
//     rule with the smallest total error √(Stat² + Sys²): the strength is
//     chosen by how well the RG converges across levels, system sizes and
//     operator counts — never by comparing with a known exponent.
//  5. Flow. Optionally, samples at the temperatures FlowT are
//     coarse-grained by the chosen learned rule and their effective
//     couplings fitted at every level (rg.Flow).
//
// src seeds every stage; the same source gives the same result, whatever
// the number of workers, also after an interruption and resume
// (PipelineOptions.Checkpoint). Pipeline returns an error for invalid
// arguments, a system that cannot be built, or if ctx is cancelled (the
// error wraps ctx.Err()).
func Pipeline(ctx context.Context, sys System, L int, Tc float64, src rand.Source, opts *PipelineOptions) (*PipelineResult, error) {
	p, err := newPipeline(sys, L, Tc, src, opts)
	if err != nil {
		return nil, err
	}
	for _, stage := range []func(context.Context) error{p.learn, p.produce, p.analyse, p.relearn, p.flows} {
		if err := stage(ctx); err != nil {
			return nil, err
		}
	}
	return p.res, nil
}
