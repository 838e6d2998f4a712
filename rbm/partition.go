package rbm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync"

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
	// Enumerated layer S (size m) couples to the other layer O (size no)
	// through rows M[s] (length no).
	var rowsM [][]float64
	var biasS, biasO []float64
	if nh <= nv {
		// enumerate h: M[j][i] = W[i][j]
		rowsM = make([][]float64, nh)
		for j := range nh {
			rowsM[j] = make([]float64, nv)
			for i := range nv {
				rowsM[j][i] = w[i*st+j]
			}
		}
		biasS, biasO = r.HidBias, r.VisBias
	} else {
		rowsM = make([][]float64, nv)
		for i := range nv {
			rowsM[i] = w[i*st : i*st+nh]
		}
		biasS, biasO = r.VisBias, r.HidBias
	}
	return enumLogZ(r.units, rowsM, biasS, biasO), nil
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

func enumLogZ(u Units, rowsM [][]float64, biasS, biasO []float64) float64 {
	m, no := len(biasS), len(biasO)
	low := min(m, 14)
	nChunks := 1 << (m - low)
	parts := make([]lse, nChunks)
	workers := min(runtime.GOMAXPROCS(0), nChunks)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	lo := float64(u.low())
	// factors e^{±(1−lo)·M_ko} for switching unit k of the Gray-code block on
	eon := make([][]float64, low)
	eoff := make([][]float64, low)
	for k := range low {
		eon[k] = make([]float64, no)
		eoff[k] = make([]float64, no)
		for o, x := range rowsM[k] {
			eon[k][o] = math.Exp((1 - lo) * x)
			eoff[k][o] = math.Exp(-(1 - lo) * x)
		}
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := make([]float64, m)
			act := make([]float64, no)
			ex := make([]float64, no)
			ey := make([]float64, no)
			for {
				mu.Lock()
				c := next
				next++
				mu.Unlock()
				if c >= nChunks {
					return
				}
				// state: low bits 0, high bits from c
				copy(act, biasO)
				e0 := 0.0
				for k := range m {
					s[k] = lo
					if k >= low && (c>>(k-low))&1 == 1 {
						s[k] = 1
					}
					if s[k] != 0 {
						e0 += s[k] * biasS[k]
						for o, x := range rowsM[k] {
							act[o] += s[k] * x
						}
					}
				}
				var acc lse
				if b := bound(act, rowsM[:low], 1-lo); b <= fastBound {
					acc = enumFast(u, rowsM[:low], eon, eoff, biasS[:low], s, act, e0, ex, ey)
				} else {
					acc = enumSlow(u, rowsM[:low], biasS[:low], s, act, e0)
				}
				parts[c] = acc
			}
		}()
	}
	wg.Wait()
	var tot lse
	for _, p := range parts {
		tot.merge(p)
	}
	return tot.value()
}

// fastBound is the largest |pre-activation| for which enumFast multiplies
// Boltzmann factors instead of summing their logarithms.
const fastBound = 40

// bound returns max_o (|act[o]| + d·Σ_k |rows[k][o]|), a bound on the
// pre-activations reachable by flipping the units of rows.
func bound(act []float64, rows [][]float64, d float64) float64 {
	b := 0.0
	for o, a := range act {
		s := math.Abs(a)
		for _, r := range rows {
			s += d * math.Abs(r[o])
		}
		b = max(b, s)
	}
	return b
}

// enumSlow sums exp(e0 + Σ_o logSum(act_o)) over the 2^len(rows) states of
// the units of rows in Gray-code order, from the state s (all off).
func enumSlow(u Units, rows [][]float64, biasS, s, act []float64, e0 float64) lse {
	lo := float64(u.low())
	low := len(rows)
	var acc lse
	for g := 0; ; g++ {
		x := e0
		for _, a := range act {
			x += u.logSum(a)
		}
		acc.add(x)
		if g == 1<<low-1 {
			return acc
		}
		k := bits.TrailingZeros(uint(g + 1)) // unit flipped between Gray codes g and g+1
		d := 1 - lo                          // change when switching on
		if s[k] == 1 {
			d = lo - 1
		}
		s[k] += d
		e0 += d * biasS[k]
		for o, x := range rows[k] {
			act[o] += d * x
		}
	}
}

// enumFast is enumSlow with the Boltzmann factors e^{±act_o} updated by
// multiplication (|act| ≤ fastBound throughout), one logarithm per
// group of factors.
func enumFast(u Units, rows, eon, eoff [][]float64, biasS, s, act []float64, e0 float64, ex, ey []float64) lse {
	lo := float64(u.low())
	low := len(rows)
	spin := u == Spin
	const group = 700 / (fastBound + 1) // factors per product without overflow
	for o, a := range act {
		ex[o] = math.Exp(a)
		ey[o] = math.Exp(-a)
	}
	var acc lse
	for g := 0; ; g++ {
		l, p, n := e0, 1.0, 0
		if spin {
			for o, x := range ex {
				p *= x + ey[o]
				if n++; n == group {
					l += math.Log(p)
					p, n = 1, 0
				}
			}
		} else {
			for _, x := range ex {
				p *= 1 + x
				if n++; n == group {
					l += math.Log(p)
					p, n = 1, 0
				}
			}
		}
		acc.add(l + math.Log(p))
		if g == 1<<low-1 {
			return acc
		}
		k := bits.TrailingZeros(uint(g + 1))
		d := 1 - lo
		if s[k] == 1 {
			d = lo - 1
		}
		s[k] += d
		e0 += d * biasS[k]
		fx, fy := eon[k], eoff[k]
		if d < 0 {
			fx, fy = fy, fx
		}
		fx, fy = fx[:len(ex)], fy[:len(ex)]
		for o := range ex {
			ex[o] *= fx[o]
			ey[o] *= fy[o]
		}
	}
}

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
	if opts == nil || opts.Src == nil {
		return 0, 0, errors.New("rbm: AISOptions.Src is required")
	}
	runs, steps := opts.Runs, opts.Steps
	if runs < 0 || steps < 0 {
		return 0, 0, fmt.Errorf("rbm: negative AIS runs %d or steps %d", runs, steps)
	}
	if runs == 0 {
		runs = 100
	}
	if steps == 0 {
		steps = 10000
	}
	betas := opts.Betas
	if betas == nil {
		betas = defaultBetas(steps)
	} else {
		if len(betas) < 2 || betas[0] != 0 || betas[len(betas)-1] != 1 {
			return 0, 0, errors.New("rbm: AIS schedule must run from 0 to 1")
		}
		for k := 1; k < len(betas); k++ {
			if !(betas[k] > betas[k-1]) {
				return 0, 0, fmt.Errorf("rbm: AIS schedule not increasing at %d: %v after %v", k, betas[k], betas[k-1])
			}
		}
	}
	nv, nh := r.NumVisible(), r.NumHidden()
	bA := opts.BaseVisBias
	if bA == nil {
		bA = r.VisBias
	} else if len(bA) != nv {
		return 0, 0, fmt.Errorf("rbm: %d base visible biases for %d visible units", len(bA), nv)
	}
	for _, x := range bA {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, 0, fmt.Errorf("rbm: base visible bias %v is not finite", x)
		}
	}
	// log Z_A = nh·log 2 + Σ_i log Σ_{v_i} exp(b_A,i v_i)
	logZA := float64(nh) * math.Ln2
	for _, x := range bA {
		logZA += r.units.logSum(x)
	}
	rngs := make([]xrand.Xoshiro, runs)
	for k := range rngs {
		rngs[k] = xrand.New(opts.Src)
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
			v := make([]int8, nv)
			h := make([]int8, nh)
			a := make([]float64, nh)
			pv := make([]float64, nv)
			for {
				mu.Lock()
				k := next
				next++
				mu.Unlock()
				if k >= runs {
					return
				}
				lw, err := r.aisRun(ctx, betas, bA, &rngs[k], v, h, a, pv)
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
	if runs > 1 {
		vr := (s2 - float64(runs)*mean*mean) / float64(runs-1)
		stderr = math.Sqrt(max(vr, 0)/float64(runs)) / mean
	} else {
		stderr = math.Inf(1)
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
