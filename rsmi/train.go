package rsmi

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/run"
)

// TrainOptions configures Train. The zero value (or nil) means the defaults.
type TrainOptions struct {
	// Steps is the number of Adam steps (default 1000). The enumerating
	// estimators use all their data in every step, so a step is an epoch.
	Steps int
	// LearningRate is Adam's step size α (default 0.01).
	LearningRate float64
	// Beta1, Beta2 and Epsilon are Adam's moment decay rates and
	// regularizer (defaults 0.9, 0.999, 1e-8).
	Beta1, Beta2, Epsilon float64
	// Norm, if positive, fixes ‖λ_j‖ = Norm for every hidden unit: the
	// weights are projected onto that sphere before the first step and after
	// every step, and the gradient's radial component (along λ_j) is removed
	// before Adam sees it (projected gradient ascent on the sphere). Biases
	// are not constrained.
	Norm float64
	// L2, if positive, maximizes I − L2·Σλ² instead of I (weights only). It
	// cannot be combined with Norm.
	L2 float64
	// Progress, if not nil, is called after every step with the step number
	// (1-based) and the MI in bits before that step's update.
	Progress func(step int, mi float64)
	// Checkpoint, if not nil, saves the filter, Adam's moments, the step and
	// the history every Checkpoint.Every steps to Checkpoint.Dir (file
	// "rsmi-train.ckpt" unless Checkpoint.Name is set) and, with
	// Checkpoint.Resume, continues from that file: the filter passed must
	// then be initialized as for the interrupted run (same seed), and the
	// estimator and options be the same; the result is then identical, bit
	// for bit, to an uninterrupted run's. Estimators must be deterministic
	// functions of the filter (Table, ExactV, the oracles, RBMProxy are) or
	// implement encoding.BinaryMarshaler and encoding.BinaryUnmarshaler for
	// their state (InfoNCE does, when its Src is a *rand.PCG or *rand.ChaCha8).
	Checkpoint *run.Checkpoint
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

// Train maximizes the estimator's I_Λ(H:E) over the filter's parameters by
// gradient ascent with Adam (Kingma & Ba 2015), updating f in place. It
// returns an error, with the filter left at the last finite parameters, if
// the estimator fails, if the MI or gradient is not finite (naming the step),
// or if ctx is cancelled.
func Train(ctx context.Context, est Estimator, f *Filter, opts *TrainOptions) (*TrainResult, error) {
	if est == nil {
		return nil, errors.New("rsmi: Train needs an estimator")
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if f.NV != est.NV() {
		return nil, fmt.Errorf("rsmi: filter has %d visible dofs, estimator has |V| = %d", f.NV, est.NV())
	}
	o := TrainOptions{Steps: 1000, LearningRate: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}
	if opts != nil {
		if opts.Steps < 0 {
			return nil, fmt.Errorf("rsmi: Steps = %d is negative", opts.Steps)
		}
		if opts.Steps > 0 {
			o.Steps = opts.Steps
		}
		if opts.LearningRate < 0 || math.IsNaN(opts.LearningRate) || math.IsInf(opts.LearningRate, 0) {
			return nil, fmt.Errorf("rsmi: LearningRate = %v", opts.LearningRate)
		}
		if opts.LearningRate > 0 {
			o.LearningRate = opts.LearningRate
		}
		if opts.Beta1 != 0 {
			o.Beta1 = opts.Beta1
		}
		if opts.Beta2 != 0 {
			o.Beta2 = opts.Beta2
		}
		if opts.Epsilon != 0 {
			o.Epsilon = opts.Epsilon
		}
		if !(o.Beta1 >= 0 && o.Beta1 < 1) || !(o.Beta2 >= 0 && o.Beta2 < 1) || !(o.Epsilon > 0) {
			return nil, fmt.Errorf("rsmi: Adam parameters Beta1 = %v, Beta2 = %v, Epsilon = %v out of range", o.Beta1, o.Beta2, o.Epsilon)
		}
		if opts.Norm < 0 || math.IsNaN(opts.Norm) || math.IsInf(opts.Norm, 0) {
			return nil, fmt.Errorf("rsmi: TrainOptions.Norm = %v, want a finite value ≥ 0 (0: no norm constraint)", opts.Norm)
		}
		if opts.L2 < 0 || math.IsNaN(opts.L2) || math.IsInf(opts.L2, 0) {
			return nil, fmt.Errorf("rsmi: TrainOptions.L2 = %v, want a finite value ≥ 0 (0: no penalty)", opts.L2)
		}
		if opts.Norm > 0 && opts.L2 > 0 {
			return nil, errors.New("rsmi: set Norm or L2, not both")
		}
		o.Norm, o.L2, o.Progress, o.Checkpoint = opts.Norm, opts.L2, opts.Progress, opts.Checkpoint
	}
	var ckPath string
	var fp trainFingerprint
	if o.Checkpoint != nil {
		var err error
		if ckPath, err = o.Checkpoint.Path("rsmi-train.ckpt"); err != nil {
			return nil, fmt.Errorf("rsmi: %w", err)
		}
		id, err := estimatorID(est)
		if err != nil {
			return nil, err
		}
		fp = trainFingerprint{nh: f.NH, nv: f.NV, bias: f.Bias != nil, lr: o.LearningRate, b1: o.Beta1, b2: o.Beta2,
			eps: o.Epsilon, nrm: o.Norm, l2: o.L2, filterCRC: filterCRC(f), estimator: id}
	}
	if o.Norm > 0 {
		if err := project(f, o.Norm); err != nil {
			return nil, err
		}
	}
	np := f.NumParams()
	nw := f.NH * f.NV
	grad := make([]float64, np)
	m1 := make([]float64, np)
	m2 := make([]float64, np)
	prev := f.Clone()
	res := &TrainResult{History: make([]float64, 0, o.Steps)}
	b1t, b2t := 1.0, 1.0
	first := 1
	if ckPath != "" && o.Checkpoint.Resume && ckpt.Exists(ckPath) {
		st, err := loadTrainState(ckPath)
		if err != nil {
			return nil, err
		}
		if m := st.fp.mismatch(&fp); m != "" {
			return nil, fmt.Errorf("rsmi: cannot resume from %s: it was written for %s", ckPath, m)
		}
		if err := restoreEstimator(est, st.est); err != nil {
			return nil, fmt.Errorf("rsmi: cannot resume from %s: %w", ckPath, err)
		}
		copy(f.W, st.w)
		copy(f.Bias, st.bias)
		copy(m1, st.m1)
		copy(m2, st.m2)
		b1t, b2t = st.b1t, st.b2t
		res.History = append(res.History, st.history...)
		res.ResumedFrom = st.step
		restore(prev, f)
		first = st.step + 1
	}
	for step := first; step <= o.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("rsmi: training interrupted before step %d: %w", step, err)
		}
		mi, err := est.MIGrad(f, grad)
		if err != nil {
			restore(f, prev)
			return res, fmt.Errorf("rsmi: step %d: %w", step, err)
		}
		if math.IsNaN(mi) || math.IsInf(mi, 0) {
			restore(f, prev)
			return res, fmt.Errorf("rsmi: step %d: mutual information is %v", step, mi)
		}
		res.History = append(res.History, mi)
		if o.L2 > 0 {
			for i := 0; i < nw; i++ {
				grad[i] -= 2 * o.L2 * f.W[i]
			}
		}
		if o.Norm > 0 {
			tangent(f, grad)
		}
		for i, g := range grad {
			if math.IsNaN(g) || math.IsInf(g, 0) {
				return res, fmt.Errorf("rsmi: step %d: gradient component %d is %v", step, i, g)
			}
		}
		restore(prev, f)
		b1t *= o.Beta1
		b2t *= o.Beta2
		for i, g := range grad {
			m1[i] = o.Beta1*m1[i] + (1-o.Beta1)*g
			m2[i] = o.Beta2*m2[i] + (1-o.Beta2)*g*g
			d := o.LearningRate * (m1[i] / (1 - b1t)) / (math.Sqrt(m2[i]/(1-b2t)) + o.Epsilon)
			if i < nw {
				f.W[i] += d
			} else {
				f.Bias[i-nw] += d
			}
		}
		if o.Norm > 0 {
			if err := project(f, o.Norm); err != nil {
				restore(f, prev)
				return res, fmt.Errorf("rsmi: step %d: %w", step, err)
			}
		}
		if !finite(f.W) || !finite(f.Bias) {
			restore(f, prev)
			return res, fmt.Errorf("rsmi: step %d: the update made filter parameters NaN or Inf (lower the learning rate)", step)
		}
		if ckPath != "" && o.Checkpoint.Due(step, o.Steps) {
			es, err := estimatorState(est)
			if err != nil {
				return res, err
			}
			st := trainState{fp: fp, step: step, w: f.W, bias: f.Bias, m1: m1, m2: m2, b1t: b1t, b2t: b2t, history: res.History, est: es}
			if err := ckpt.Write(ckPath, trainKind, trainVersion, st.encode()); err != nil {
				return res, fmt.Errorf("rsmi: writing checkpoint after step %d: %w", step, err)
			}
		}
		if o.Progress != nil {
			o.Progress(step, mi)
		}
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

// tangent removes from grad the component of each hidden unit's weight
// gradient along its weight vector (the direction the norm constraint
// forbids), so that Adam's moment estimates see only the tangential part.
func tangent(f *Filter, grad []float64) {
	for j := 0; j < f.NH; j++ {
		w := f.W[j*f.NV : (j+1)*f.NV]
		g := grad[j*f.NV : (j+1)*f.NV]
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

// project rescales every hidden unit's weights to Euclidean norm r.
func project(f *Filter, r float64) error {
	for j, n := range f.Norms() {
		if !(n > 0) || math.IsInf(n, 0) {
			return fmt.Errorf("rsmi: hidden unit %d has weight norm %v, cannot fix it to %v", j, n, r)
		}
		w := f.W[j*f.NV : (j+1)*f.NV]
		for i := range w {
			w[i] *= r / n
		}
	}
	return nil
}

// restore copies src's parameters into dst (same shape).
func restore(dst, src *Filter) {
	copy(dst.W, src.W)
	copy(dst.Bias, src.Bias)
}
