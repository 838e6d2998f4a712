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

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/rbm"
	"github.com/rsmi-go/rsmi/run"
)

// RBMProxyOptions configures NewRBMProxy. Nil, and every zero field, means
// the default in the field's comment; a negative field is an error.
type RBMProxyOptions struct {
	// ThetaHidden and PsiHidden are the numbers of hidden units of the
	// Θ-RBM for P(V,E) and of the Ψ-RBM for P(V) (defaults 32 and 16).
	ThetaHidden, PsiHidden int
	// Theta and Psi set the RBMs' CD training (default nil: CD-1, 20
	// epochs, batch 64, learning rate 0.01 with Decay 0.1, momentum 0.9,
	// shuffled batches, as ExactV). Their Src (the source passed to
	// NewRBMProxy) and Progress are replaced.
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
	// instead of the paper's proxy (default false).
	LogMeanExp bool
	// Progress, if not nil, is called after every RBM epoch with the stage
	// "rsmi.RBMProxy: Θ-RBM" or "rsmi.RBMProxy: Ψ-RBM" (Value the
	// pseudo-log-likelihood per row). (Default nil.)
	Progress run.ProgressFunc
	// Workers is the number of goroutines tabulating ΔE (default
	// GOMAXPROCS); the result does not depend on it.
	Workers int
}

// resolve returns the options with the defaults filled in.
func (opts *RBMProxyOptions) resolve(n int) (RBMProxyOptions, error) {
	o := RBMProxyOptions{ThetaHidden: 32, PsiHidden: 16, Samples: 2000, Chains: 20, BurnIn: 200, Thin: 5, Pairs: 2000,
		Workers: runtime.GOMAXPROCS(0)}
	if opts == nil {
		opts = &RBMProxyOptions{}
	}
	for _, f := range []struct {
		name string
		dst  *int
		val  int
	}{{"ThetaHidden", &o.ThetaHidden, opts.ThetaHidden}, {"PsiHidden", &o.PsiHidden, opts.PsiHidden},
		{"Samples", &o.Samples, opts.Samples}, {"Chains", &o.Chains, opts.Chains}, {"BurnIn", &o.BurnIn, opts.BurnIn},
		{"Thin", &o.Thin, opts.Thin}, {"Pairs", &o.Pairs, opts.Pairs}, {"Workers", &o.Workers, opts.Workers}} {
		if f.val < 0 {
			return o, fmt.Errorf("rsmi: RBMProxyOptions.%s = %d is negative", f.name, f.val)
		}
		setInt(f.dst, f.val)
	}
	o.Theta, o.Psi, o.LogMeanExp, o.Progress = opts.Theta, opts.Psi, opts.LogMeanExp, opts.Progress
	o.Pairs = min(o.Pairs, n)
	o.Chains = min(o.Chains, o.Samples)
	if _, err := size.Elements(fmt.Sprintf("rsmi: RBMProxy's ΔE table of Pairs = %d × Samples = %d", o.Pairs, o.Samples), 8, o.Pairs, o.Samples); err != nil {
		return o, err
	}
	return o, nil
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

// NewRBMProxy trains the Θ-RBM on the pairs p (±1 spins) and the Ψ-RBM on
// their blocks with the random source src, draws the Ψ samples and
// tabulates ΔE.
func NewRBMProxy(ctx context.Context, p *Pairs, src rand.Source, opts *RBMProxyOptions) (*RBMProxy, error) {
	if err := p.spins("RBMProxy"); err != nil {
		return nil, err
	}
	if src == nil {
		return nil, errors.New("rsmi: NewRBMProxy needs a random source")
	}
	o, err := opts.resolve(p.N)
	if err != nil {
		return nil, err
	}
	nx := p.NV + p.NE
	joint := make([]int8, p.N*nx) // as large as the pairs
	for k := 0; k < p.N; k++ {
		copy(joint[k*nx:], p.V[k*p.NV:(k+1)*p.NV])
		copy(joint[k*nx+p.NV:], p.E[k*p.NE:(k+1)*p.NE])
	}
	theta, err := rbm.New(nx, o.ThetaHidden, rbm.Spin, src)
	if err != nil {
		return nil, fmt.Errorf("rsmi: the Θ-RBM: %w", err)
	}
	if err := trainRBM(ctx, binaryFit(theta), joint, src, o.Theta, nil, "rsmi.RBMProxy", "Θ-RBM", o.Progress); err != nil {
		return nil, err
	}
	psi, err := rbm.New(p.NV, o.PsiHidden, rbm.Spin, src)
	if err != nil {
		return nil, fmt.Errorf("rsmi: the Ψ-RBM: %w", err)
	}
	if err := trainRBM(ctx, binaryFit(psi), p.V, src, o.Psi, nil, "rsmi.RBMProxy", "Ψ-RBM", o.Progress); err != nil {
		return nil, err
	}
	px := &RBMProxy{nv: p.NV, ne: p.NE, nPairs: o.Pairs, m: o.Samples, logMeanExp: o.LogMeanExp, Theta: theta, Psi: psi}
	samples, err := psiSamples(ctx, psi, p, &o, src)
	if err != nil {
		return nil, err
	}
	px.vs = toFloat(samples)
	idx := make([]int, o.Pairs)
	pv := make([]int8, o.Pairs*p.NV)
	for k := range idx {
		idx[k] = spreadIndex(k, p.N, o.Pairs)
		copy(pv[k*p.NV:], p.V[idx[k]*p.NV:(idx[k]+1)*p.NV])
	}
	px.vp = toFloat(pv)
	if err := px.tabulate(ctx, samples, p.E, idx, o.Workers); err != nil {
		return nil, fmt.Errorf("rsmi: tabulating ΔE: %w", err)
	}
	return px, nil
}

// psiSamples draws o.Samples block configurations from the Ψ-RBM in
// o.Chains Gibbs chains started from evenly spaced data rows.
func psiSamples(ctx context.Context, psi *rbm.RBM, p *Pairs, o *RBMProxyOptions, src rand.Source) ([]int8, error) {
	nv := p.NV
	samples := make([]int8, o.Samples*nv)
	hbuf := make([]int8, o.PsiHidden)
	cur := make([]int8, nv)
	per := (o.Samples + o.Chains - 1) / o.Chains
	got := 0
	for c := 0; c < o.Chains && got < o.Samples; c++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("rsmi: sampling the Ψ-RBM interrupted: %w", err)
		}
		start := spreadIndex(c, p.N, o.Chains)
		copy(cur, p.V[start*nv:(start+1)*nv])
		psi.Gibbs(cur, hbuf, o.BurnIn, src)
		for k := 0; k < per && got < o.Samples; k++ {
			psi.Gibbs(cur, hbuf, o.Thin, src)
			copy(samples[got*nv:], cur)
			got++
		}
	}
	return samples, nil
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
// It takes the ±1 *Filter only.
func (p *RBMProxy) MI(f Learnable) (float64, error) {
	ff, err := onlyFilter(f, "RBMProxy")
	if err != nil {
		return 0, err
	}
	return p.eval(ff, nil)
}

// MIGrad implements Estimator for the ±1 *Filter.
func (p *RBMProxy) MIGrad(f Learnable, grad []float64) (float64, error) {
	if grad == nil {
		return 0, errors.New("rsmi: MIGrad needs a gradient slice")
	}
	ff, err := onlyFilter(f, "RBMProxy")
	if err != nil {
		return 0, err
	}
	return p.eval(ff, grad)
}

// onlyFilter returns f as a *Filter, or an error saying that the estimator
// est trains the ±1 filter only.
func onlyFilter(f Learnable, est string) (*Filter, error) {
	ff, ok := f.(*Filter)
	if !ok {
		return nil, fmt.Errorf("rsmi: %s trains the ±1 *Filter only, not %T", est, f)
	}
	return ff, nil
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
	if err := p.check(f, grad); err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	w, err := p.weigh(f)
	if err != nil {
		return 0, err
	}
	mi := p.value(w)
	if math.IsNaN(mi) || math.IsInf(mi, 0) {
		return mi, fmt.Errorf("rsmi: RBM proxy is %v", mi)
	}
	if grad == nil {
		return mi, nil
	}
	p.gradient(f, w, grad)
	if i := nonFinite(grad); i >= 0 {
		return mi, fmt.Errorf("rsmi: RBM proxy gradient component %d is %v", i, grad[i])
	}
	return mi, nil
}

func (p *RBMProxy) check(f *Filter, grad []float64) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.NV != p.nv {
		return fmt.Errorf("rsmi: filter has %d visible dofs, estimator has |V| = %d", f.NV, p.nv)
	}
	if f.NH > MaxHidden {
		return fmt.Errorf("rsmi: filter has nh = %d hidden units, the RBM proxy sums over 2^nh states and allows at most %d", f.NH, MaxHidden)
	}
	if grad != nil && len(grad) != f.NumParams() {
		return fmt.Errorf("rsmi: gradient of length %d, filter has %d parameters", len(grad), f.NumParams())
	}
	return nil
}

// proxyWeights are the quantities of one evaluation for a filter with hs =
// 2^nh hidden states, N pairs and M Ψ samples.
type proxyWeights struct {
	hs      int
	pd, tpd []float64 // N × hs: P_Λ(h|v'_n); N × nh: tanh x_j(v'_n)
	qs, tqs []float64 // M × hs: P_Λ(h|v_m); M × nh: tanh x_j(v_m)
	omT     []float64 // hs × M: ω[m,h] = Q[m,h]/Σ_m Q[m,h], transposed
	d       []float64 // N × hs: ⟨ΔE⟩_{v|h} (or ⟨e^{−ΔE}⟩_{v|h})
	gam     []float64 // N × hs: Γ = G_h(e) − G_Ψ(e)
	scale   float64   // 1/(N ln 2)
}

// weigh computes the filter's conditionals on data and samples, the
// reweighting ω and D = dE·ω.
func (p *RBMProxy) weigh(f *Filter) (*proxyWeights, error) {
	N, M, nh := p.nPairs, p.m, f.NH
	hs := 1 << nh
	w := &proxyWeights{hs: hs, pd: make([]float64, N*hs), tpd: make([]float64, N*nh),
		qs: make([]float64, M*hs), tqs: make([]float64, M*nh), omT: make([]float64, hs*M), d: make([]float64, N*hs)}
	proxyCond(f, p.vp, N, w.pd, w.tpd)
	proxyCond(f, p.vs, M, w.qs, w.tqs)
	zh := make([]float64, hs)
	for m := 0; m < M; m++ {
		for h := 0; h < hs; h++ {
			zh[h] += w.qs[m*hs+h]
		}
	}
	for h, z := range zh {
		if !(z > 0) {
			return nil, fmt.Errorf("rsmi: no Ψ sample carries weight for hidden state %d: the filter is too sharp for %d samples", h, M)
		}
	}
	for m := 0; m < M; m++ {
		for h := 0; h < hs; h++ {
			w.omT[h*M+m] = w.qs[m*hs+h] / zh[h]
		}
	}
	// (Row dots: a general matrix product is slow with only 2^nh columns.)
	for n := 0; n < N; n++ {
		row := p.dE[n*M : (n+1)*M]
		for h := 0; h < hs; h++ {
			w.d[n*hs+h] = floats.Dot(row, w.omT[h*M:(h+1)*M])
		}
	}
	return w, nil
}

// value returns the proxy in bits and fills Γ.
func (p *RBMProxy) value(w *proxyWeights) float64 {
	N, hs := p.nPairs, w.hs
	w.gam = make([]float64, N*hs)
	var total float64
	for n := 0; n < N; n++ {
		for h := 0; h < hs; h++ {
			k := n*hs + h
			g := -w.d[k]
			if p.logMeanExp {
				g = math.Log(w.d[k])
			}
			w.gam[k] = g - p.gPsi[n]
			total += w.pd[k] * w.gam[k]
		}
	}
	w.scale = 1 / (float64(N) * math.Ln2)
	return total * w.scale
}

// gradient writes the proxy's gradient: the score-function term
// Σ_n Σ_h P(h|v'_n)(h_j − tanh x_j(v'_n)) v'_n Γ[n,h] and the inner term
// Σ_m Σ_h C[m,h] (h_j − tanh x_j(v_m)) v_m with
//
//	cumulant:    C = −(ω/N)[(dEᵀP) − Σ_n P D]
//	LogMeanExp:  C = (ω/N)[(Rᵀ(P ⊘ D)) − Σ_n P].
func (p *RBMProxy) gradient(f *Filter, w *proxyWeights, grad []float64) {
	N, M, hs := p.nPairs, p.m, w.hs
	clear(grad)
	c := make([]float64, N*hs)
	for i := range c {
		c[i] = w.pd[i] * w.gam[i] * w.scale
	}
	proxyScoreGrad(f, p.vp, N, c, w.tpd, grad)
	b := make([]float64, N*hs)
	colsum := make([]float64, hs)
	for k := range b {
		if p.logMeanExp {
			b[k] = w.pd[k] / w.d[k]
			colsum[k%hs] += w.pd[k]
		} else {
			b[k] = w.pd[k]
			colsum[k%hs] += w.pd[k] * w.d[k]
		}
	}
	ct := make([]float64, hs*M) // dEᵀB, transposed
	for n := 0; n < N; n++ {
		row := p.dE[n*M : (n+1)*M]
		for h := 0; h < hs; h++ {
			floats.AddScaled(ct[h*M:(h+1)*M], b[n*hs+h], row)
		}
	}
	sign := -1.0
	if p.logMeanExp {
		sign = 1
	}
	cm := w.qs // reuse: C[m,h]
	for m := 0; m < M; m++ {
		for h := 0; h < hs; h++ {
			k := h*M + m
			cm[m*hs+h] = sign * w.omT[k] * (ct[k] - colsum[h]) * w.scale
		}
	}
	proxyScoreGrad(f, p.vs, M, cm, w.tqs, grad)
}

var _ Estimator = (*RBMProxy)(nil)
