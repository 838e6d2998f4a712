package rsmi

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/run"
)

// TrainOptions configures Train. Nil, and every zero field, means the
// default in the field's comment.
type TrainOptions struct {
	// Steps is the number of Adam steps (default 1000). The enumerating
	// estimators use all their data in every step, so a step is an epoch.
	Steps int
	// LearningRate is Adam's step size α (default 0.01).
	LearningRate float64
	// Beta1, Beta2 and Epsilon are Adam's moment decay rates and
	// regularizer (defaults 0.9, 0.999, 1e-8).
	Beta1, Beta2, Epsilon float64
	// Norm, if positive, fixes ‖λ_j‖ = Norm for every hidden unit (every
	// weight row of Learnable.WeightRows: for a SoftmaxFilter all QH·NV·QV
	// weights of a unit): the weights are projected onto that sphere before
	// the first step and after every step, and the gradient's radial
	// component (along λ_j) is removed before Adam sees it (projected
	// gradient ascent on the sphere). Biases are not constrained. (Default
	// 0: no constraint.)
	Norm float64
	// L2, if positive, maximizes I − L2·Σλ² instead of I (weight rows
	// only). It cannot be combined with Norm. (Default 0: no penalty.)
	L2 float64
	// Progress, if not nil, is called after every step with Stage
	// "rsmi.Train", Done the step (1-based), Total = Steps and Value the MI
	// in bits before that step's update. (Default nil.)
	Progress run.ProgressFunc
	// Checkpoint, if not nil, saves the filter, Adam's moments, the step and
	// the history every Checkpoint.Every steps to Checkpoint.Dir (file
	// "rsmi-train.ckpt" unless Checkpoint.Name is set) and, with
	// Checkpoint.Resume, continues from that file: the filter passed must
	// then be initialized as for the interrupted run (same seed), and the
	// estimator and options, Steps included, be the same; the result is
	// then identical, bit for bit, to an uninterrupted run's. Estimators
	// must be deterministic functions of the filter (Exact, ExactV, the
	// oracles, RBMProxy are) or implement encoding.BinaryMarshaler and
	// encoding.BinaryUnmarshaler for their state (InfoNCE does, when its
	// random source is a *rand.PCG or *rand.ChaCha8). (Default nil: no
	// checkpoints.)
	Checkpoint *run.Checkpoint
}

// trainDefaults are the defaults of TrainOptions.
var trainDefaults = TrainOptions{Steps: 1000, LearningRate: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}

// resolve returns the options with defaults filled in, or an error naming
// an invalid field.
func (opts *TrainOptions) resolve() (TrainOptions, error) {
	o := trainDefaults
	if opts == nil {
		return o, nil
	}
	bad := func(x float64) bool { return x < 0 || math.IsNaN(x) || math.IsInf(x, 0) }
	switch {
	case opts.Steps < 0:
		return o, fmt.Errorf("rsmi: TrainOptions.Steps = %d is negative", opts.Steps)
	case bad(opts.LearningRate):
		return o, fmt.Errorf("rsmi: TrainOptions.LearningRate = %v, want a finite value ≥ 0 (0: the default)", opts.LearningRate)
	case bad(opts.Norm):
		return o, fmt.Errorf("rsmi: TrainOptions.Norm = %v, want a finite value ≥ 0 (0: no norm constraint)", opts.Norm)
	case bad(opts.L2):
		return o, fmt.Errorf("rsmi: TrainOptions.L2 = %v, want a finite value ≥ 0 (0: no penalty)", opts.L2)
	case opts.Norm > 0 && opts.L2 > 0:
		return o, errors.New("rsmi: set TrainOptions.Norm or L2, not both")
	}
	setInt(&o.Steps, opts.Steps)
	setFloat(&o.LearningRate, opts.LearningRate)
	setFloat(&o.Beta1, opts.Beta1)
	setFloat(&o.Beta2, opts.Beta2)
	setFloat(&o.Epsilon, opts.Epsilon)
	if !(o.Beta1 >= 0 && o.Beta1 < 1) || !(o.Beta2 >= 0 && o.Beta2 < 1) || !(o.Epsilon > 0) || math.IsInf(o.Epsilon, 0) {
		return o, fmt.Errorf("rsmi: Adam parameters Beta1 = %v, Beta2 = %v, Epsilon = %v out of range", o.Beta1, o.Beta2, o.Epsilon)
	}
	if _, err := size.Elements(fmt.Sprintf("rsmi: TrainOptions.Steps = %d: the MI history", o.Steps), 8, o.Steps); err != nil {
		return o, err
	}
	o.Norm, o.L2, o.Progress, o.Checkpoint = opts.Norm, opts.L2, opts.Progress, opts.Checkpoint
	return o, nil
}

// setInt and setFloat replace *dst by x unless x is zero (the option's
// default).
func setInt(dst *int, x int) {
	if x != 0 {
		*dst = x
	}
}

func setFloat(dst *float64, x float64) {
	if x != 0 {
		*dst = x
	}
}

// TrainResult reports a training run.
type TrainResult struct {
	// History holds the MI in bits before each step's update.
	History []float64
	// MI is the MI in bits of the final filter.
	MI float64
	// ResumedFrom is the step of the checkpoint the run resumed from (0 if
	// it started from the beginning).
	ResumedFrom int
}

// Train maximizes the estimator's I_Λ(H:E) over the parameters of the
// learnable rule f (a *Filter, a *SoftmaxFilter or a user's Learnable) by
// gradient ascent with Adam (Kingma & Ba 2015), updating f in place. It
// returns an error, with the filter left at the last finite parameters, if
// the estimator fails, if the MI or gradient is not finite (naming the step),
// if a checkpoint cannot be resumed, or if ctx is cancelled; after steps
// were made the result is returned with the error and holds their history.
func Train(ctx context.Context, est Estimator, f Learnable, opts *TrainOptions) (*TrainResult, error) {
	if est == nil {
		return nil, errors.New("rsmi: Train needs an estimator")
	}
	if isNil(f) {
		return nil, errors.New("rsmi: Train needs a filter (build one with NewFilter or NewSoftmaxFilter)")
	}
	nv, states := f.Visible()
	if nv != est.NV() {
		return nil, fmt.Errorf("rsmi: filter has %d visible dofs, estimator has |V| = %d", nv, est.NV())
	}
	if err := f.Check(nv, states); err != nil {
		return nil, err
	}
	o, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	t := newTrainer(est, f, &o)
	if o.Norm > 0 {
		if err := t.project(t.theta); err != nil {
			return nil, err
		}
		f.SetParams(t.theta)
		copy(t.prev, t.theta)
	}
	loop, err := t.loop()
	if err != nil {
		return nil, err
	}
	first, err := loop.Run(ctx, t.step)
	if err != nil && len(t.history) == 0 {
		return nil, fmt.Errorf("rsmi: Train: %w", err)
	}
	res := &TrainResult{History: t.history}
	if first > 1 {
		res.ResumedFrom = first - 1
	}
	if err != nil {
		return res, fmt.Errorf("rsmi: Train: %w", err)
	}
	mi, err := est.MI(f)
	if err != nil {
		return res, err
	}
	if math.IsNaN(mi) || math.IsInf(mi, 0) {
		return res, fmt.Errorf("rsmi: final mutual information is %v", mi)
	}
	res.MI = mi
	return res, nil
}

// trainer is the state of a Train run: the parameters θ (those of the
// filter, which holds θ at every step), the last finite ones, and Adam's
// moments.
type trainer struct {
	est         Estimator
	f           Learnable
	theta, prev []float64
	rows, cols  int // the weight rows of θ
	o           *TrainOptions
	grad        []float64
	m1, m2      []float64
	b1t, b2t    float64
	history     []float64
}

func newTrainer(est Estimator, f Learnable, o *TrainOptions) *trainer {
	np := f.NumParams()
	t := &trainer{est: est, f: f, o: o, b1t: 1, b2t: 1,
		theta: make([]float64, np), prev: make([]float64, np),
		grad: make([]float64, np), m1: make([]float64, np), m2: make([]float64, np),
		history: make([]float64, 0, min(o.Steps, 1<<12))}
	t.rows, t.cols = f.WeightRows()
	f.Params(t.theta)
	copy(t.prev, t.theta)
	return t
}

// step is one Adam step: the MI and gradient of the current filter, the
// regularization or constraint, the update and its checks.
func (t *trainer) step(i int) error {
	o := t.o
	mi, err := t.est.MIGrad(t.f, t.grad)
	if err == nil && (math.IsNaN(mi) || math.IsInf(mi, 0)) {
		err = fmt.Errorf("mutual information is %v", mi)
	}
	if err != nil {
		t.f.SetParams(t.prev)
		return fmt.Errorf("step %d: %w", i, err)
	}
	t.history = append(t.history, mi)
	if o.L2 > 0 {
		for k, w := range t.theta[:t.rows*t.cols] {
			t.grad[k] -= 2 * o.L2 * w
		}
	}
	if o.Norm > 0 {
		t.tangent()
	}
	if k := nonFinite(t.grad); k >= 0 {
		return fmt.Errorf("step %d: gradient component %d is %v", i, k, t.grad[k])
	}
	copy(t.prev, t.theta)
	t.adam()
	if o.Norm > 0 {
		if err := t.project(t.theta); err != nil {
			t.rollback()
			return fmt.Errorf("step %d: %w", i, err)
		}
	}
	if !finite(t.theta) {
		t.rollback()
		return fmt.Errorf("step %d: the update made filter parameters NaN or Inf (lower the learning rate)", i)
	}
	t.f.SetParams(t.theta)
	if o.Progress != nil {
		o.Progress(run.Progress{Stage: "rsmi.Train", Done: i, Total: o.Steps, Value: mi})
	}
	return nil
}

// rollback returns θ and the filter to the last finite parameters.
func (t *trainer) rollback() {
	copy(t.theta, t.prev)
	t.f.SetParams(t.prev)
}

// adam applies one Adam update with the gradient in t.grad (ascent) to θ.
func (t *trainer) adam() {
	o := t.o
	t.b1t *= o.Beta1
	t.b2t *= o.Beta2
	for i, g := range t.grad {
		t.m1[i] = o.Beta1*t.m1[i] + (1-o.Beta1)*g
		t.m2[i] = o.Beta2*t.m2[i] + (1-o.Beta2)*g*g
		t.theta[i] += o.LearningRate * (t.m1[i] / (1 - t.b1t)) / (math.Sqrt(t.m2[i]/(1-t.b2t)) + o.Epsilon)
	}
}

// tangent removes from the gradient the component of each weight row's
// gradient along the row (the direction the norm constraint forbids), so
// that Adam's moment estimates see only the tangential part.
func (t *trainer) tangent() {
	for j := 0; j < t.rows; j++ {
		w := t.theta[j*t.cols : (j+1)*t.cols]
		g := t.grad[j*t.cols : (j+1)*t.cols]
		var gw, ww float64
		for i := range w {
			gw += g[i] * w[i]
			ww += w[i] * w[i]
		}
		if ww > 0 {
			for i := range g {
				g[i] -= gw / ww * w[i]
			}
		}
	}
}

// project rescales every weight row of theta to Euclidean norm Norm.
func (t *trainer) project(theta []float64) error {
	r := t.o.Norm
	for j, n := range rowNorms(theta, t.rows, t.cols) {
		if !(n > 0) || math.IsInf(n, 0) {
			return fmt.Errorf("rsmi: hidden unit %d has weight norm %v, cannot fix it to %v", j, n, r)
		}
		w := theta[j*t.cols : (j+1)*t.cols]
		for i := range w {
			w[i] *= r / n
		}
	}
	return nil
}
