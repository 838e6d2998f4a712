package rbm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/internal/xrand"
)

// MaxExactUnits is the largest size of the smaller layer for which LogZ
// enumerates states (2^24 ≈ 1.7·10⁷ terms).
const MaxExactUnits = 24

// LogZ returns the exact log partition function
//
//	log Z = log Σ_{v,h} exp(−E(v,h)),
//
// summing one layer out analytically and enumerating the states of the
// smaller layer in Gray-code order (one row update per state), in parallel
// over GOMAXPROCS goroutines; the result does not depend on their number.
// It returns an error if the smaller layer has more than MaxExactUnits units:
// use AIS for such models.
func (r *RBM) LogZ() (float64, error) {
	nv, nh := r.NumVisible(), r.NumHidden()
	m := min(nv, nh)
	if m > MaxExactUnits {
		return 0, fmt.Errorf("rbm: exact log Z enumerates 2^%d states of the smaller layer; the limit is %d units (use AIS)", m, MaxExactUnits)
	}
	w, st := r.rawW()
	x := [2]float64{float64(r.units.low()), 1} // the two unit values
	e := &enumSpec{qs: 2, m: m, kind: sumSoftplus, w: 1}
	if r.units == Spin {
		e.kind = sumCosh
	}
	e.rows = make([][]float64, 2*m)
	e.bias = make([]float64, 2*m)
	if nh <= nv { // enumerate h, sum out v
		e.base = r.VisBias
		for j := range nh {
			for a, xa := range x {
				row := make([]float64, nv)
				for i := range nv {
					row[i] = xa * w[i*st+j]
				}
				e.rows[2*j+a], e.bias[2*j+a] = row, xa*r.HidBias[j]
			}
		}
	} else {
		e.base = r.HidBias
		for i := range nv {
			for a, xa := range x {
				row := make([]float64, nh)
				for j := range nh {
					row[j] = xa * w[i*st+j]
				}
				e.rows[2*i+a], e.bias[2*i+a] = row, xa*r.VisBias[i]
			}
		}
	}
	return e.logZ(), nil
}

// lse is an online log-sum-exp accumulator.
type lse struct{ max, sum float64 }

func (l *lse) add(x float64) {
	switch {
	case l.sum == 0:
		l.max, l.sum = x, 1
	case x > l.max:
		l.sum = l.sum*math.Exp(l.max-x) + 1
		l.max = x
	default:
		l.sum += math.Exp(x - l.max)
	}
}

func (l *lse) merge(o lse) {
	if o.sum == 0 {
		return
	}
	if l.sum == 0 {
		*l = o
		return
	}
	if o.max > l.max {
		l.sum = l.sum*math.Exp(l.max-o.max) + o.sum
		l.max = o.max
	} else {
		l.sum += o.sum * math.Exp(o.max-l.max)
	}
}

func (l lse) value() float64 { return l.max + math.Log(l.sum) }

// LogLikelihood returns the average log-likelihood (1/n) Σ log P(v) in nats
// of the n rows of data under r, with the exact log Z.
func (r *RBM) LogLikelihood(data []int8) (float64, error) {
	n, err := r.checkData(data)
	if err != nil {
		return 0, err
	}
	logZ, err := r.LogZ()
	if err != nil {
		return 0, err
	}
	nv := r.NumVisible()
	buf := make([]float64, r.NumHidden())
	s := 0.0
	for k := range n {
		s -= r.freeEnergy(data[k*nv:(k+1)*nv], buf)
	}
	return s/float64(n) - logZ, nil
}

// AISOptions configures annealed importance sampling.
type AISOptions struct {
	// Runs is the number of independent annealing runs (default 100).
	Runs int
	// Steps is the number of intermediate distributions (default 10000),
	// spaced as in Salakhutdinov & Murray (2008): 3.5% of them for
	// β ∈ [0, 0.5], 27.5% for [0.5, 0.9] and the rest for [0.9, 1].
	Steps int
	// Betas, if not nil, is the schedule itself: increasing from 0 to 1
	// (both included); it overrides Steps.
	Betas []float64
	// BaseVisBias are the visible biases of the base-rate model p_A(v) ∝
	// exp(b_A·v) (nil: r's visible biases). A base fitted to the data's
	// marginals lowers the variance.
	BaseVisBias []float64
	// Src drives the sampling. Required.
	Src rand.Source
}

func defaultBetas(steps int) []float64 {
	n1 := max(1, int(0.035*float64(steps)))
	n2 := max(1, int(0.275*float64(steps)))
	n3 := max(1, steps-n1-n2)
	b := make([]float64, 0, n1+n2+n3+1)
	for k := range n1 {
		b = append(b, 0.5*float64(k)/float64(n1))
	}
	for k := range n2 {
		b = append(b, 0.5+0.4*float64(k)/float64(n2))
	}
	for k := range n3 {
		b = append(b, 0.9+0.1*float64(k)/float64(n3))
	}
	return append(b, 1)
}

// AIS estimates log Z by annealed importance sampling (Neal 2001;
// Salakhutdinov & Murray 2008) from the base-rate model p_A(v) ∝ exp(b_A·v)
// (no couplings) to r through the distributions
//
//	p_β(v) ∝ exp((1−β) b_A·v + β b·v) Π_j Σ_{h_j} exp(β h_j (c_j + Σ_i W_ij v_i)),
//
// with one block-Gibbs transition (h, then v) per intermediate β. The runs
// are spread over GOMAXPROCS goroutines with one random stream each, drawn
// in order from opts.Src, so the result is deterministic. stderr is the
// delta-method standard error of log Ẑ: sd(w)/(mean(w)·√runs) for the
// importance weights w. AIS tends to underestimate log Z when the schedule
// is too short.
func (r *RBM) AIS(ctx context.Context, opts *AISOptions) (logZ, stderr float64, err error) {
	runs, betas, bA, err := opts.setup(r.VisBias)
	if err != nil {
		return 0, 0, err
	}
	nv, nh := r.NumVisible(), r.NumHidden()
	// log Z_A = nh·log 2 + Σ_i log Σ_{v_i} exp(b_A,i v_i)
	logZA := float64(nh) * math.Ln2
	for _, x := range bA {
		logZA += r.units.logSum(x)
	}
	return runAIS(ctx, runs, opts.Src, logZA, func() aisFunc {
		v := make([]int8, nv)
		h := make([]int8, nh)
		a := make([]float64, nh)
		pv := make([]float64, nv)
		return func(ctx context.Context, rng *xrand.Xoshiro) (float64, error) {
			return r.aisRun(ctx, betas, bA, rng, v, h, a, pv)
		}
	})
}

// setup validates opts and returns the number of runs, the schedule and
// the base biases (def if opts.BaseVisBias is nil).
func (o *AISOptions) setup(def []float64) (runs int, betas, bA []float64, err error) {
	if o == nil || o.Src == nil {
		return 0, nil, nil, errors.New("rbm: AISOptions.Src is required")
	}
	runs, steps := o.Runs, o.Steps
	if runs < 0 || steps < 0 {
		return 0, nil, nil, fmt.Errorf("rbm: negative AIS runs %d or steps %d", runs, steps)
	}
	if runs == 0 {
		runs = 100
	}
	if steps == 0 {
		steps = 10000
	}
	// the runs' weights and random streams (40 bytes a run), and the
	// schedule of steps+1 values β
	for _, c := range []struct {
		what     string
		n, bytes int
	}{{"AISOptions.Runs", runs, 40}, {"AISOptions.Steps", steps, 8}} {
		if err := size.CheckElements(c.what, c.n, c.bytes); err != nil {
			return 0, nil, nil, fmt.Errorf("rbm: %w", err)
		}
	}
	betas = o.Betas
	if betas == nil {
		betas = defaultBetas(steps)
	} else {
		if len(betas) < 2 || betas[0] != 0 || betas[len(betas)-1] != 1 {
			return 0, nil, nil, errors.New("rbm: AIS schedule must run from 0 to 1")
		}
		for k := 1; k < len(betas); k++ {
			if !(betas[k] > betas[k-1]) {
				return 0, nil, nil, fmt.Errorf("rbm: AIS schedule not increasing at %d: %v after %v", k, betas[k], betas[k-1])
			}
		}
	}
	bA = o.BaseVisBias
	if bA == nil {
		return runs, betas, def, nil
	}
	if len(bA) != len(def) {
		return 0, nil, nil, fmt.Errorf("rbm: %d base visible biases for %d visible biases", len(bA), len(def))
	}
	for k, x := range bA {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, nil, nil, fmt.Errorf("rbm: base visible bias %v at %d is not finite", x, k)
		}
	}
	return runs, betas, bA, nil
}

// aisFunc performs one annealing run with rng and returns its log weight.
type aisFunc func(ctx context.Context, rng *xrand.Xoshiro) (float64, error)

// runAIS performs runs annealing runs over GOMAXPROCS goroutines, each
// worker with its own scratch space (newRun), run k with the k-th
// generator drawn from src, and combines the weights into log Z and its
// delta-method standard error.
func runAIS(ctx context.Context, runs int, src rand.Source, logZA float64, newRun func() aisFunc) (logZ, stderr float64, err error) {
	rngs := make([]xrand.Xoshiro, runs)
	for k := range rngs {
		rngs[k] = xrand.New(src)
	}
	logw := make([]float64, runs)
	workers := min(runtime.GOMAXPROCS(0), runs)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run := newRun()
			for {
				mu.Lock()
				k := next
				next++
				mu.Unlock()
				if k >= runs {
					return
				}
				lw, err := run(ctx, &rngs[k])
				if err != nil {
					errs[wk] = err
					return
				}
				logw[k] = lw
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return 0, 0, fmt.Errorf("rbm: AIS interrupted: %w", e)
		}
	}
	mx := math.Inf(-1)
	for _, x := range logw {
		mx = max(mx, x)
	}
	var s, s2 float64
	for _, x := range logw {
		w := math.Exp(x - mx)
		s += w
		s2 += w * w
	}
	mean := s / float64(runs)
	logZ = logZA + mx + math.Log(mean)
	stderr = math.Inf(1)
	if runs > 1 {
		vr := (s2 - float64(runs)*mean*mean) / float64(runs-1)
		stderr = math.Sqrt(max(vr, 0)/float64(runs)) / mean
	}
	if math.IsNaN(logZ) || math.IsInf(logZ, 0) {
		return 0, 0, errors.New("rbm: AIS produced a non-finite log Z")
	}
	return logZ, stderr, nil
}

// aisRun performs one annealing run and returns its log importance weight.
func (r *RBM) aisRun(ctx context.Context, betas, bA []float64, rng *xrand.Xoshiro, v, h []int8, a, pv []float64) (float64, error) {
	u := r.units
	lo := u.low()
	gain := 1.0
	if u == Spin {
		gain = 2
	}
	draw := func(x float64) int8 { // x: pre-activation
		if rng.Float64() < sigmoid(gain*x) {
			return 1
		}
		return lo
	}
	for i, b := range bA {
		v[i] = draw(b)
	}
	w, st := r.rawW()
	nh := len(h)
	lw := 0.0
	// check ctx about every 2^22 multiply-adds (a few ms)
	every := max(1, min(1024, (1<<22)/(len(v)*nh+1)))
	for k := 1; k < len(betas); k++ {
		if k%every == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		b0, b1 := betas[k-1], betas[k]
		r.HiddenInput(v, a)
		for i, x := range v {
			lw += (b1 - b0) * (r.VisBias[i] - bA[i]) * float64(x)
		}
		for _, aj := range a {
			lw += u.logSum(b1*aj) - u.logSum(b0*aj)
		}
		if k == len(betas)-1 {
			break
		}
		for j, aj := range a {
			h[j] = draw(b1 * aj)
		}
		for i := range v {
			row := w[i*st : i*st+nh]
			s := 0.0
			for j, x := range h {
				s += float64(x) * row[j]
			}
			pv[i] = (1-b1)*bA[i] + b1*(r.VisBias[i]+s)
		}
		for i, x := range pv {
			v[i] = draw(x)
		}
	}
	return lw, nil
}
