package rsmi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/floats"

	"github.com/rsmi-go/rsmi/rbm"
	"github.com/rsmi-go/rsmi/run"
)

// RBMProxyOptions configures NewRBMProxy. Src is required; a zero field takes
// the default in its comment, a negative one is an error.
type RBMProxyOptions struct {
	// ThetaHidden and PsiHidden are the numbers of hidden units of the
	// Θ-RBM for P(V,E) and of the Ψ-RBM for P(V) (defaults 32 and 16).
	ThetaHidden, PsiHidden int
	// Theta and Psi set the RBMs' CD training. If nil: CD-1, 20 epochs,
	// batch 64, learning rate 0.01 with Decay 0.1, momentum 0.9, shuffled
	// batches (as ExactV). Src and Progress are replaced.
	Theta, Psi *rbm.TrainOptions
	// Samples is the number M of block configurations drawn from the Ψ-RBM
	// (default 2000), by Gibbs sampling in Chains chains (default 20)
	// started from data rows, BurnIn steps (default 200) before the first
	// sample and Thin steps (default 5) between samples.
	Samples, Chains, BurnIn, Thin int
	// Pairs is the number N of (V,E) pairs, evenly spaced through the data,
	// over which the outer expectation runs (default 2000, at most all).
	Pairs int
	// LogMeanExp replaces the first-cumulant proxy by the log of the Monte
	// Carlo mean (see RBMProxy): a consistent estimate of the models' MI
	// instead of the paper's proxy.
	LogMeanExp bool
	// Src drives the RBMs' initialization and training and the sampling.
	Src rand.Source
	// Progress, if not nil, is called after every RBM epoch with the RBM's
	// name ("Θ" or "Ψ").
	Progress func(rbm string, epoch, epochs int)
	// Workers is the number of goroutines tabulating ΔE (default
	// GOMAXPROCS); the result does not depend on it.
	Workers int
}

// RBMProxy is the estimator of Koch-Janusz and Ringel (2018): a Θ-RBM models
// P(V,E) ∝ exp(−F_Θ(v,e)) and a Ψ-RBM models P(V) ∝ exp(−F_Ψ(v)), both
// trained by contrastive divergence, and the filter maximizes a proxy of
// I_Λ(H:E) built from them. Every approximation, in order:
//
//  1. Models. P(v,e) and P(v) are the RBMs' (modelling error), and
//     P(e|v) = P_Θ(v,e)/P_Ψ(v) = exp(−ΔE(v,e))·Z_Ψ/Z_Θ with
//     ΔE(v,e) = F_Θ(v,e) − F_Ψ(v) uses Ψ for the marginal of Θ (exact only
//     if the two RBMs agree on P(v)). Then, exactly under these models,
//
//     I_Λ(H:E) = E_{h,e} [ ln⟨e^{−ΔE(v,e)}⟩_{v|h} − ln⟨e^{−ΔE(v,e)}⟩_{v} ],
//
//     the outer average over (h,e) with (v',e) from the data and h from
//     P_Λ(h|v'), ⟨·⟩_{v|h} over P(v|h) ∝ P_Λ(h|v)P_Ψ(v) and ⟨·⟩_v over P_Ψ(v);
//     the partition functions cancel.
//
//  2. First cumulant (the paper's proxy). ln⟨e^{−X}⟩ is replaced by −⟨X⟩:
//
//     Ĩ_Λ = E_{h,e} [ ⟨ΔE(v,e)⟩_v − ⟨ΔE(v,e)⟩_{v|h} ],
//
//     which is 0 for an uninformative filter and rises as knowing h lowers
//     the conditional energy of the environment. It neglects the variance of
//     ΔE and higher cumulants, so it is a proxy whose maximum, not value,
//     is used: its value is not the MI (it can exceed I(V:E)), and it grows
//     without bound with ‖Λ‖ unless the norm is fixed (TrainOptions.Norm).
//     With LogMeanExp the logarithms are kept (no cumulant expansion).
//
//  3. Monte Carlo over V given H. The M samples v_m of the Ψ-RBM (Gibbs
//     chains) represent P_Ψ(v); P(v|h) is represented by the same samples
//     reweighted by P_Λ(h|v_m)/Σ_m P_Λ(h|v_m) (self-normalized importance
//     sampling), so every estimate is a smooth deterministic function of Λ
//     and its gradient is exact for the estimate. Its effective sample size
//     falls like M/2^nh for a sharp filter.
//
//  4. The outer average runs over Pairs fixed data pairs, with h summed
//     exactly over its 2^nh states (no sampling of h).
//
// The gradient has two parts: the score-function term
// Σ_h ∂P_Λ(h|v') [⟨ΔE⟩_v − ⟨ΔE⟩_{v|h}] from the Λ-dependence of the outer
// measure, and the derivative of ⟨ΔE⟩_{v|h}, a covariance under P(v|h) with
// ∂ln P_Λ(h|v). Dropping the score-function term is a known trap: averaged
// over h with P(h) instead of with P(h|v') tied to e, ⟨·⟩_{v|h} averages back
// to ⟨·⟩_v and all Λ-dependence cancels.
//
// ΔE is tabulated once for all N pairs and M samples (N·M·ThetaHidden
// log-cosh evaluations); each MI or gradient then costs a few N×M×2^nh
// matrix products. An RBMProxy is safe for concurrent use.
type RBMProxy struct {
	nv, ne     int
	nPairs, m  int
	vp         []float64 // N × nv data blocks
	vs         []float64 // M × nv Ψ samples
	dE         []float64 // N × M: ΔE (cumulant) or exp(−(ΔE − min_row)) (LogMeanExp)
	gPsi       []float64 // N: G_Ψ(e_n)
	logMeanExp bool
	// Theta and Psi are the trained RBMs (Θ over V then E; Ψ over V).
	Theta, Psi *rbm.RBM

	mu sync.Mutex
}

// NewRBMProxy trains the Θ-RBM on the n pairs (v, e) (as Regions.Pairs
// returns them, ±1 values) and the Ψ-RBM on v, draws the Ψ samples and
// tabulates ΔE.
func NewRBMProxy(ctx context.Context, v []int8, nv int, e []int8, ne int, opts *RBMProxyOptions) (*RBMProxy, error) {
	n, err := checkPairs(v, nv, e, ne)
	if err != nil {
		return nil, err
	}
	if opts == nil || opts.Src == nil {
		return nil, errors.New("rsmi: RBMProxyOptions.Src is required")
	}
	o := *opts
	for _, p := range []struct {
		name string
		val  *int
		def  int
	}{{"ThetaHidden", &o.ThetaHidden, 32}, {"PsiHidden", &o.PsiHidden, 16}, {"Samples", &o.Samples, 2000},
		{"Chains", &o.Chains, 20}, {"BurnIn", &o.BurnIn, 200}, {"Thin", &o.Thin, 5}, {"Pairs", &o.Pairs, 2000}} {
		if *p.val < 0 {
			return nil, fmt.Errorf("rsmi: RBMProxyOptions.%s = %d is negative", p.name, *p.val)
		}
		if *p.val == 0 {
			*p.val = p.def
		}
	}
	o.Pairs = min(o.Pairs, n)
	o.Chains = min(o.Chains, o.Samples)
	train := func(name string, r *rbm.RBM, data []int8, to *rbm.TrainOptions) error {
		t := rbm.TrainOptions{Epochs: 20, BatchSize: 64, LearningRate: 0.01, Decay: 0.1, Momentum: 0.9, K: 1, Shuffle: true}
		if to != nil {
			t = *to
		}
		t.Src = o.Src
		t.Progress = nil
		if o.Progress != nil {
			t.Progress = func(p run.Progress) { o.Progress(name, p.Done, p.Total) }
		}
		if _, err := rbm.Train(ctx, r, data, &t); err != nil {
			return fmt.Errorf("rsmi: training the %s-RBM: %w", name, err)
		}
		return nil
	}
	nx := nv + ne
	joint := make([]int8, n*nx)
	for k := 0; k < n; k++ {
		copy(joint[k*nx:], v[k*nv:(k+1)*nv])
		copy(joint[k*nx+nv:], e[k*ne:(k+1)*ne])
	}
	theta, err := rbm.New(nx, o.ThetaHidden, rbm.Spin, o.Src)
	if err != nil {
		return nil, err
	}
	if err := train("Θ", theta, joint, o.Theta); err != nil {
		return nil, err
	}
	psi, err := rbm.New(nv, o.PsiHidden, rbm.Spin, o.Src)
	if err != nil {
		return nil, err
	}
	if err := train("Ψ", psi, v, o.Psi); err != nil {
		return nil, err
	}
	p := &RBMProxy{nv: nv, ne: ne, nPairs: o.Pairs, m: o.Samples, logMeanExp: o.LogMeanExp, Theta: theta, Psi: psi}
	// Ψ samples: Chains Gibbs chains started from evenly spaced data rows
	samples := make([]int8, o.Samples*nv)
	hbuf := make([]int8, o.PsiHidden)
	cur := make([]int8, nv)
	per := (o.Samples + o.Chains - 1) / o.Chains
	got := 0
	for c := 0; c < o.Chains && got < o.Samples; c++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := (c * n) / o.Chains
		copy(cur, v[start*nv:(start+1)*nv])
		psi.Gibbs(cur, hbuf, o.BurnIn, o.Src)
		for k := 0; k < per && got < o.Samples; k++ {
			psi.Gibbs(cur, hbuf, o.Thin, o.Src)
			copy(samples[got*nv:], cur)
			got++
		}
	}
	p.vs = toFloat(samples)
	idx := make([]int, o.Pairs)
	pv := make([]int8, o.Pairs*nv)
	for k := range idx {
		idx[k] = (k * n) / o.Pairs
		copy(pv[k*nv:], v[idx[k]*nv:(idx[k]+1)*nv])
	}
	p.vp = toFloat(pv)
	if err := p.tabulate(ctx, samples, e, idx, o.Workers); err != nil {
		return nil, err
	}
	return p, nil
}

func toFloat(x []int8) []float64 {
	out := make([]float64, len(x))
	for i, s := range x {
		out[i] = float64(s)
	}
	return out
}

// tabulate fills dE[n,m] = F_Θ(v_m, e_n) − F_Ψ(v_m) (or its shifted
// exponential) and G_Ψ.
func (p *RBMProxy) tabulate(ctx context.Context, samples, e []int8, idx []int, workers int) error {
	nv, ne, N, M := p.nv, p.ne, p.nPairs, p.m
	th := p.Theta
	nt := th.NumHidden()
	w := th.W.RawMatrix()
	// av[m,k] = c_k + Σ_{i∈V} W_ik v_mi; bvm[m] = Σ b_i v_mi − F_Ψ(v_m) … collected in fm
	av := make([]float64, M*nt)
	fm := make([]float64, M) // −b_V·v_m − F_Ψ(v_m)
	for m := 0; m < M; m++ {
		vm := samples[m*nv : (m+1)*nv]
		a := av[m*nt : (m+1)*nt]
		copy(a, th.HidBias)
		var bv float64
		for i, s := range vm {
			x := float64(s)
			bv += x * th.VisBias[i]
			for k, wik := range w.Data[i*w.Stride : i*w.Stride+nt] {
				a[k] += x * wik
			}
		}
		fm[m] = -bv - p.Psi.FreeEnergy(vm)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p.dE = make([]float64, N*M)
	p.gPsi = make([]float64, N)
	var wg sync.WaitGroup
	for wk := 0; wk < workers; wk++ {
		wg.Add(1)
		go func(wk int) {
			defer wg.Done()
			ae := make([]float64, nt)
			for n := wk; n < N; n += workers {
				if n%256 == wk && ctx.Err() != nil {
					return
				}
				er := e[idx[n]*ne : (idx[n]+1)*ne]
				for k := range ae {
					ae[k] = 0
				}
				var be float64
				for i, s := range er {
					x := float64(s)
					be += x * th.VisBias[nv+i]
					row := w.Data[(nv+i)*w.Stride : (nv+i)*w.Stride+nt]
					for k, wik := range row {
						ae[k] += x * wik
					}
				}
				out := p.dE[n*M : (n+1)*M]
				for m := 0; m < M; m++ {
					// Σ_k ln 2cosh(a_k) = Σ_k |a_k| + ln Π_k (1 + e^{−2|a_k|}),
					// one logarithm per entry (each factor lies in (1, 2])
					f := fm[m] - be
					prod := 1.0
					for k, a := range av[m*nt : (m+1)*nt] {
						a = math.Abs(a + ae[k])
						f -= a
						prod *= 1 + math.Exp(-2*a)
						if k&31 == 31 {
							f -= math.Log(prod)
							prod = 1
						}
					}
					out[m] = f - math.Log(prod)
				}
				if p.logMeanExp {
					mn := math.Inf(1)
					for _, x := range out {
						mn = min(mn, x)
					}
					var s float64
					for m, x := range out {
						out[m] = math.Exp(-(x - mn))
						s += out[m]
					}
					p.gPsi[n] = math.Log(s / float64(M))
				} else {
					var s float64
					for _, x := range out {
						s += x
					}
					p.gPsi[n] = -s / float64(M)
				}
			}
		}(wk)
	}
	wg.Wait()
	return ctx.Err()
}

// NV implements Estimator.
func (p *RBMProxy) NV() int { return p.nv }

// MI implements Estimator: the proxy Ĩ_Λ in bits (or, with LogMeanExp, the
// Monte Carlo estimate of I_Λ(H:E) under the models), see RBMProxy.
func (p *RBMProxy) MI(f *Filter) (float64, error) { return p.eval(f, nil) }

// MIGrad implements Estimator.
func (p *RBMProxy) MIGrad(f *Filter, grad []float64) (float64, error) {
	if grad == nil {
		return 0, errors.New("rsmi: MIGrad needs a gradient slice")
	}
	return p.eval(f, grad)
}

// proxyCond fills q[r*hs+h] = P_Λ(h|x_r) and t[r*nh+j] = tanh x_j for the
// rows of x (nrow × nv).
func proxyCond(f *Filter, x []float64, nrow int, q, t []float64) {
	nh, nv := f.NH, f.NV
	hs := 1 << nh
	nceGemm(blas.NoTrans, blas.Trans, nrow, nh, nv, 1, x, nv, f.W, nv, 0, t, nh)
	for r := 0; r < nrow; r++ {
		row := q[r*hs : (r+1)*hs]
		row[0] = 1
		for j := 0; j < nh; j++ {
			a := t[r*nh+j]
			if f.Bias != nil {
				a += f.Bias[j]
			}
			t[r*nh+j] = math.Tanh(a)
			pp, pm := sigmoid(2*a), sigmoid(-2*a)
			n := 1 << j
			for h := 0; h < n; h++ {
				row[h|n] = row[h] * pp
				row[h] *= pm
			}
		}
	}
}

// proxyScoreGrad adds Σ_r Σ_h c[r,h] ∂P… in the form Σ_r Σ_h c[r*hs+h] (h_j −
// t[r,j]) x_r to grad (weights, then biases if f has them).
func proxyScoreGrad(f *Filter, x []float64, nrow int, c, t []float64, grad []float64) {
	nh, nv := f.NH, f.NV
	hs := 1 << nh
	a := make([]float64, nrow*nh)
	for r := 0; r < nrow; r++ {
		cr := c[r*hs : (r+1)*hs]
		var tot float64
		for _, z := range cr {
			tot += z
		}
		for j := 0; j < nh; j++ {
			var plus float64
			for h, z := range cr {
				if h&(1<<j) != 0 {
					plus += z
				}
			}
			a[r*nh+j] = 2*plus - tot - t[r*nh+j]*tot
		}
	}
	nceGemm(blas.Trans, blas.NoTrans, nh, nv, nrow, 1, a, nh, x, nv, 1, grad[:nh*nv], nv)
	if f.Bias != nil {
		for r := 0; r < nrow; r++ {
			for j := 0; j < nh; j++ {
				grad[nh*nv+j] += a[r*nh+j]
			}
		}
	}
}

func (p *RBMProxy) eval(f *Filter, grad []float64) (float64, error) {
	if err := f.Validate(); err != nil {
		return 0, err
	}
	if f.NV != p.nv {
		return 0, fmt.Errorf("rsmi: filter has %d visible dofs, estimator has |V| = %d", f.NV, p.nv)
	}
	if f.NH > MaxHidden {
		return 0, fmt.Errorf("rsmi: filter has nh = %d hidden units, the RBM proxy sums over 2^nh states and allows at most %d", f.NH, MaxHidden)
	}
	if grad != nil && len(grad) != f.NumParams() {
		return 0, fmt.Errorf("rsmi: gradient of length %d, filter has %d parameters", len(grad), f.NumParams())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	N, M, nh := p.nPairs, p.m, f.NH
	hs := 1 << nh
	// data side: P = P_Λ(h|v'_n); sample side: Q = P_Λ(h|v_m), ω = Q/colsum
	P := make([]float64, N*hs)
	tP := make([]float64, N*nh)
	proxyCond(f, p.vp, N, P, tP)
	Q := make([]float64, M*hs)
	tQ := make([]float64, M*nh)
	proxyCond(f, p.vs, M, Q, tQ)
	zh := make([]float64, hs)
	for m := 0; m < M; m++ {
		for h := 0; h < hs; h++ {
			zh[h] += Q[m*hs+h]
		}
	}
	for h, z := range zh {
		if !(z > 0) {
			return 0, fmt.Errorf("rsmi: no Ψ sample carries weight for hidden state %d: the filter is too sharp for %d samples", h, M)
		}
	}
	omT := make([]float64, hs*M) // ω transposed: omT[h*M+m] = ω[m,h]
	for m := 0; m < M; m++ {
		for h := 0; h < hs; h++ {
			omT[h*M+m] = Q[m*hs+h] / zh[h]
		}
	}
	// D = dE · ω (N × hs): ⟨ΔE⟩_{v|h} or ⟨e^{−ΔE}⟩_{v|h}. (Row dots: a
	// general matrix product is slow with only 2^nh columns.)
	D := make([]float64, N*hs)
	for n := 0; n < N; n++ {
		row := p.dE[n*M : (n+1)*M]
		for h := 0; h < hs; h++ {
			D[n*hs+h] = floats.Dot(row, omT[h*M:(h+1)*M])
		}
	}
	gam := make([]float64, N*hs) // Γ = G_h(e) − G_Ψ(e)
	var total float64
	for n := 0; n < N; n++ {
		for h := 0; h < hs; h++ {
			var g float64
			if p.logMeanExp {
				g = math.Log(D[n*hs+h])
			} else {
				g = -D[n*hs+h]
			}
			gam[n*hs+h] = g - p.gPsi[n]
			total += P[n*hs+h] * gam[n*hs+h]
		}
	}
	scale := 1 / (float64(N) * math.Ln2)
	mi := total * scale
	if math.IsNaN(mi) || math.IsInf(mi, 0) {
		return mi, fmt.Errorf("rsmi: RBM proxy is %v", mi)
	}
	if grad == nil {
		return mi, nil
	}
	for i := range grad {
		grad[i] = 0
	}
	// score-function term: Σ_n Σ_h P(h|v'_n)(h_j − tanh x_j(v'_n)) v'_n Γ[n,h]
	c := make([]float64, N*hs)
	for i := range c {
		c[i] = P[i] * gam[i] * scale
	}
	proxyScoreGrad(f, p.vp, N, c, tP, grad)
	// inner term: Σ_m Σ_h C[m,h] (h_j − tanh x_j(v_m)) v_m with
	// cumulant:    C = −(ω/N)[(dEᵀP) − Σ_n P D]
	// LogMeanExp:  C = (ω/N)[(Rᵀ(P ⊘ D)) − Σ_n P]
	B := make([]float64, N*hs)
	colsum := make([]float64, hs)
	for n := 0; n < N; n++ {
		for h := 0; h < hs; h++ {
			k := n*hs + h
			if p.logMeanExp {
				B[k] = P[k] / D[k]
				colsum[h] += P[k]
			} else {
				B[k] = P[k]
				colsum[h] += P[k] * D[k]
			}
		}
	}
	CT := make([]float64, hs*M) // dEᵀB, transposed
	for n := 0; n < N; n++ {
		row := p.dE[n*M : (n+1)*M]
		for h := 0; h < hs; h++ {
			floats.AddScaled(CT[h*M:(h+1)*M], B[n*hs+h], row)
		}
	}
	sign := -1.0
	if p.logMeanExp {
		sign = 1
	}
	C := Q // reuse: C[m,h]
	for m := 0; m < M; m++ {
		for h := 0; h < hs; h++ {
			k := h*M + m
			C[m*hs+h] = sign * omT[k] * (CT[k] - colsum[h]) * scale
		}
	}
	proxyScoreGrad(f, p.vs, M, C, tQ, grad)
	for i, g := range grad {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return mi, fmt.Errorf("rsmi: RBM proxy gradient component %d is %v", i, g)
		}
	}
	return mi, nil
}

var _ Estimator = (*RBMProxy)(nil)
