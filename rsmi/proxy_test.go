package rsmi

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// smallProxy builds the RBMProxy of a fast configuration for tests.
func smallProxy(t *testing.T, p *Pairs, lme bool, seed uint64) *RBMProxy {
	t.Helper()
	px, err := NewRBMProxy(context.Background(), p, rand.NewPCG(seed, 2), &RBMProxyOptions{Samples: 1000, Pairs: 1000, LogMeanExp: lme})
	if err != nil {
		t.Fatal(err)
	}
	return px
}

// TestRBMProxyGradient checks MIGrad of both variants against central finite
// differences (the estimate is a smooth deterministic function of Λ).
func TestRBMProxyGradient(t *testing.T) {
	pr := chainPairs(1, 2, 1, 2, 4000, rand.NewPCG(1, 2))
	for _, lme := range []bool{false, true} {
		p, err := NewRBMProxy(context.Background(), pr, rand.NewPCG(3, 4), &RBMProxyOptions{Samples: 300, Pairs: 300, LogMeanExp: lme, Theta: nil})
		if err != nil {
			t.Fatal(err)
		}
		for seed := uint64(1); seed <= 2; seed++ {
			f, _ := NewFilter(2, 2, rand.NewPCG(seed, 3))
			if seed == 2 {
				f.Bias = []float64{0.1, -0.2}
			}
			checkGradTol(t, p, f, 1e-7)
		}
	}
}

// checkDecimation checks that a learned nh = 1 filter on a 2-spin block is
// decimation: one weight at least twice the other (at fixed norm the weaker
// weight survives), the most probable coarse spin equal to one fixed block
// spin for all four block states, and the exact MI within 0.005 bit of
// decimation's.
func checkDecimation(t *testing.T, name string, f *Filter, tb *Exact) {
	t.Helper()
	dec, _ := tb.RuleMI(Decimation{Site: 0})
	exact, _ := tb.MI(f)
	w0, w1 := math.Abs(f.W[0]), math.Abs(f.W[1])
	t.Logf("%s: learned %.3f, exact MI %.4f (decimation %.4f)", name, f.W, exact, dec)
	if max(w0, w1)/min(w0, w1) < 2 {
		t.Errorf("%s: learned weights %v are not decimation-like (ratio < 2)", name, f.W)
	}
	big := 0
	if w1 > w0 {
		big = 1
	}
	sign := int8(1)
	if f.W[big] < 0 {
		sign = -1
	}
	bv, bh := make([]int8, 2), make([]int8, 1)
	for s := 0; s < 4; s++ {
		decodeSpins(s, bv)
		f.MostProbable(bv, bh, rand.NewPCG(0, 0))
		if bh[0] != sign*bv[big] {
			t.Errorf("%s: v = %v gives h = %d, not decimation of spin %d", name, bv, bh[0], big)
		}
	}
	if exact < dec-0.005 {
		t.Errorf("%s: learned filter's exact MI %.4f below decimation's %.4f", name, exact, dec)
	}
}

// checkGradTol compares MIGrad against central finite differences of MI.
func checkGradTol(t *testing.T, est Estimator, f *Filter, tol float64) {
	t.Helper()
	grad := make([]float64, f.NumParams())
	mi, err := est.MIGrad(f, grad)
	if err != nil {
		t.Fatal(err)
	}
	if mi2, _ := est.MI(f); mi != mi2 {
		t.Errorf("MIGrad's value %v differs from MI's %v", mi, mi2)
	}
	const h = 1e-5
	for i := range grad {
		p := paramPtr(f, i)
		old := *p
		*p = old + h
		up, _ := est.MI(f)
		*p = old - h
		dn, _ := est.MI(f)
		*p = old
		fd := (up - dn) / (2 * h)
		if math.Abs(fd-grad[i]) > tol+1e-5*math.Abs(fd) {
			t.Errorf("parameter %d: analytic %.10g, finite difference %.10g", i, grad[i], fd)
		}
	}
}

func TestRBMProxyErrors(t *testing.T) {
	pr := chainPairs(1, 2, 1, 2, 200, rand.NewPCG(1, 2))
	ctx := context.Background()
	if _, err := NewRBMProxy(ctx, pr, rand.NewPCG(1, 1), &RBMProxyOptions{Samples: -1}); err == nil || !strings.Contains(err.Error(), "Samples") {
		t.Errorf("negative Samples: err = %v", err)
	}
	p, err := NewRBMProxy(ctx, pr, rand.NewPCG(1, 1), &RBMProxyOptions{Samples: 100, Pairs: 100})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.MI(&Filter{NH: 1, NV: 3, W: []float64{1, 1, 1}}); err == nil || !strings.Contains(err.Error(), "visible") {
		t.Errorf("wrong |V|: err = %v", err)
	}
	if mi, err := p.MI(&Filter{NH: 1, NV: 2, W: []float64{0, 0}}); err != nil || math.Abs(mi) > 1e-12 {
		t.Errorf("uninformative filter: proxy %v (err %v), want 0", mi, err)
	}
}

// TestRBMProxyChain1D: on the Ising chain (K = 1, L_V = 2, L_B = 1, L_E =
// 2) the log-mean-exp variant agrees with the exact MI within 0.03 bit for
// fixed filters (its error is the RBMs' modelling error, dominated by the
// mismatch of the Ψ-RBM's P(v) with the Θ-RBM's marginal: 0.01–0.04 bit
// depending on data and seeds in the prototype runs), and training the
// paper's cumulant proxy at fixed norm learns decimation.
func TestRBMProxyChain1D(t *testing.T) {
	skipShort(t)
	t.Parallel() // several seconds of work: overlap it with the other long tests
	tb, _ := NewExactChain(1, 2, 1, 2)
	pr := chainPairs(1, 2, 1, 2, 20000, rand.NewPCG(11, 12))
	ctx := context.Background()
	lme, cum := smallProxy(t, pr, true, 1), smallProxy(t, pr, false, 1)
	for _, w := range [][]float64{{20, 0}, {0.7, 0.7}, {0.3, 0.1}} {
		f := &Filter{NH: 1, NV: 2, W: w}
		got, _ := lme.MI(f)
		proxy, _ := cum.MI(f)
		want, _ := tb.MI(f)
		t.Logf("w = %v: log-mean-exp %.4f bit, cumulant proxy %.4f, exact %.4f", w, got, proxy, want)
		if math.Abs(got-want) > 0.03 {
			t.Errorf("w = %v: log-mean-exp %.4f bit, exact %.4f", w, got, want)
		}
	}
	for seed := uint64(1); seed <= 2; seed++ {
		f, _ := NewFilter(1, 2, rand.NewPCG(seed, 5))
		// With rbm's xoshiro256** streams, seed 1 first climbs to a flat
		// ridge of this proxy near decimation of the first spin, drifts
		// along it towards w ∝ (1,1) and leaves it for the higher maximum,
		// decimation of the second spin, after steps·α ≈ 35 (≈ 1050 steps
		// at α = 0.03, 1550 at 0.02, 356 at 0.1). Filter seeds 1–12 with
		// proxy seeds 1 and 3 all hold decimation from step 356 on at
		// α = 0.1: 800 steps leave a factor 2 beyond the slowest.
		if _, err := Train(ctx, cum, f, &TrainOptions{Steps: 800, LearningRate: 0.1, Norm: 3}); err != nil {
			t.Fatal(err)
		}
		checkDecimation(t, fmt.Sprintf("RBM proxy seed %d", seed), f, tb)
	}
}

// TestEstimators2D: 2D Ising at T_c, 2×2 block, buffer 1, environment 1.
// Against the exact oracle: both estimators rank the block spin (uniform
// weights) above decimation at equal norm, the log-mean-exp RBM estimate
// agrees within 0.05 bit (RBM modelling error, see TestRBMProxyChain1D), the InfoNCE bound lies below the exact MI by less
// than 0.05 bit (its bias; see the log for the measured gap), and training
// with either estimator learns a block-spin filter (all four weights of one
// sign, none below half the largest).
func TestEstimators2D(t *testing.T) {
	skipShort(t)
	t.Parallel() // several seconds of work: overlap it with the other long tests
	m, ds := isingSamples(t, 16, tc2D, 600, 1)
	r, err := NewRegions(m.Geometry(), []int{2, 2}, &RegionOptions{Buffer: 1, Env: 1})
	if err != nil {
		t.Fatal(err)
	}
	var pos []int
	for p := 0; p < r.NumPositions(); p++ {
		if o := r.Origin(p); o[0]%4 == 0 && o[1]%4 == 0 {
			pos = append(pos, p)
		}
	}
	ctx := context.Background()
	tb, err := NewExactOracle(ctx, m, tc2D, r, ds, &OracleOptions{Positions: pos})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := r.PairsAt(ds, pos)
	if err != nil {
		t.Fatal(err)
	}
	all, err := r.Pairs(ds) // all positions for InfoNCE
	if err != nil {
		t.Fatal(err)
	}
	cum, lme := smallProxy(t, pr, false, 3), smallProxy(t, pr, true, 3)
	uni := &Filter{NH: 1, NV: 4, W: []float64{1, 1, 1, 1}}
	dec := &Filter{NH: 1, NV: 4, W: []float64{2, 0, 0, 0}}
	vals := map[string][2]float64{}
	for _, f := range []*Filter{uni, dec} {
		name := "uniform"
		if f == dec {
			name = "decimation"
		}
		exact, _ := tb.MI(f)
		c, _ := cum.MI(f)
		l, _ := lme.MI(f)
		nce, err := NewInfoNCE(all, rand.NewPCG(1, 2), &InfoNCEOptions{Batch: 128, AnnealSteps: 500, HoldOut: 0.2})
		if err != nil {
			t.Fatal(err)
		}
		if err := nce.TrainCritic(ctx, f, 800); err != nil {
			t.Fatal(err)
		}
		n, _ := nce.MI(f)
		t.Logf("%s: exact %.4f, log-mean-exp %.4f, cumulant proxy %.4f, InfoNCE %.4f (training EMA %.4f)", name, exact, l, c, n, nce.Estimate())
		if math.Abs(l-exact) > 0.05 {
			t.Errorf("%s: log-mean-exp %.4f bit, exact %.4f", name, l, exact)
		}
		if n > exact+0.02 || n < exact-0.05 {
			t.Errorf("%s: InfoNCE %.4f bit, exact %.4f", name, n, exact)
		}
		vals[name] = [2]float64{c, n}
	}
	if u, d := vals["uniform"], vals["decimation"]; !(u[0] > d[0]) || !(u[1] > d[1]) {
		t.Errorf("uniform (proxy %.4f, InfoNCE %.4f) not ranked above decimation (%.4f, %.4f)", u[0], u[1], d[0], d[1])
	}
	blockSpin := func(name string, f *Filter) {
		exact, _ := tb.MI(f)
		lo, hi := math.Inf(1), 0.0
		for _, w := range f.W {
			lo, hi = min(lo, w*math.Copysign(1, f.W[0])), max(hi, math.Abs(w))
		}
		t.Logf("%s learned %.3f, exact MI %.4f", name, f.W, exact)
		if lo < 0.5*hi {
			t.Errorf("%s: learned weights %v are not a block spin", name, f.W)
		}
	}
	f, _ := NewFilter(1, 4, rand.NewPCG(9, 9))
	if _, err := Train(ctx, cum, f, &TrainOptions{Steps: 1000, LearningRate: 0.02, Norm: 2}); err != nil {
		t.Fatal(err)
	}
	blockSpin("RBM proxy", f)
	nce, _ := NewInfoNCE(all, rand.NewPCG(5, 6), &InfoNCEOptions{Batch: 128, AnnealSteps: 500, HoldOut: 0.2})
	g, _ := NewFilter(1, 4, rand.NewPCG(9, 9))
	if _, err := Train(ctx, nce, g, &TrainOptions{Steps: 800, LearningRate: 0.02}); err != nil {
		t.Fatal(err)
	}
	blockSpin("InfoNCE", g)
}

// BenchmarkRBMProxyGrad times one MIGrad of the cumulant proxy with the
// default N = M = 2000 and nh = 2 on |V| = 16.
func BenchmarkRBMProxyGrad(b *testing.B) {
	const nv, ne = 16, 40
	pr := randomPairs(4000, nv, ne, rand.NewPCG(1, 2))
	p, err := NewRBMProxy(context.Background(), pr, rand.NewPCG(3, 4), nil)
	if err != nil {
		b.Fatal(err)
	}
	f, _ := NewFilter(2, nv, rand.NewPCG(5, 6))
	grad := make([]float64, f.NumParams())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.MIGrad(f, grad); err != nil {
			b.Fatal(err)
		}
	}
}
