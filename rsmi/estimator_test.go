package rsmi

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/run"
)

// chainPairs draws n exact samples of an open Ising chain segment of
// 2le+2lb+lv spins (the infinite chain's marginal in zero field) by its
// Markov property, and returns its (V,E) pairs in Regions order.
func chainPairs(K float64, lv, lb, le, n int, src rand.Source) *Pairs {
	v, e := chainValues(K, lv, lb, le, n, src)
	return pairsOf(v, lv, e, 2*le)
}

// chainValues is chainPairs' values.
func chainValues(K float64, lv, lb, le, n int, src rand.Source) (v, e []int8) {
	t := math.Tanh(K)
	rng := rand.New(src)
	L := 2*le + 2*lb + lv
	x := make([]int8, L)
	v = make([]int8, 0, n*lv)
	e = make([]int8, 0, n*2*le)
	for k := 0; k < n; k++ {
		x[0] = 1
		if rng.IntN(2) == 0 {
			x[0] = -1
		}
		for i := 1; i < L; i++ {
			x[i] = x[i-1]
			if rng.Float64() >= (1+t)/2 {
				x[i] = -x[i]
			}
		}
		v = append(v, x[le+lb:le+lb+lv]...)
		e = append(e, x[:le]...)
		e = append(e, x[L-le:]...)
	}
	return v, e
}

func TestFilterProbSampleMostProbable(t *testing.T) {
	f, err := NewFilter(3, 4, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	f.Bias = []float64{0.3, -0.2, 0}
	v := []int8{1, -1, -1, 1}
	h := make([]int8, 3)
	var sum float64
	probs := make([]float64, 8)
	for s := 0; s < 8; s++ {
		decodeSpins(s, h)
		probs[s] = f.Prob(v, h)
		sum += probs[s]
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Fatalf("Σ_h P(h|v) = %v", sum)
	}
	// sampling frequencies within 4 standard errors of Prob
	const n = 200000
	src := rand.NewPCG(3, 4)
	counts := make([]float64, 8)
	for range n {
		f.Sample(v, h, src)
		s := 0
		for j, x := range h {
			if x > 0 {
				s |= 1 << j
			}
		}
		counts[s]++
	}
	for s, c := range counts {
		p := probs[s]
		if se := math.Sqrt(p * (1 - p) / n); math.Abs(c/n-p) > 4*se {
			t.Errorf("h state %d: frequency %v, P = %v ± %v", s, c/n, p, se)
		}
	}
	// most probable: the sign of the field
	f.MostProbable(v, h, src)
	for j := range h {
		if x := f.Field(v, j); (x > 0) != (h[j] > 0) {
			t.Errorf("unit %d: field %v, most probable %d", j, x, h[j])
		}
	}
	// ties are broken by a fair coin
	eq := &Filter{NH: 1, NV: 2, W: []float64{0.7, 0.7}}
	var up int
	hh := make([]int8, 1)
	for range 4000 {
		eq.MostProbable([]int8{1, -1}, hh, src)
		if hh[0] > 0 {
			up++
		}
	}
	if math.Abs(float64(up)/4000-0.5) > 4*math.Sqrt(0.25/4000) {
		t.Errorf("tie broken upward %d times of 4000", up)
	}
	if _, err := NewFilter(0, 4, src); err == nil || !strings.Contains(err.Error(), "nh = 0") {
		t.Errorf("nh = 0: err = %v", err)
	}
}

// TestExactChainFigures checks the exact 1D figures: decimation and majority
// rule (equal weights, coin-flip ties) for L_V=2, L_B=1, L_E=2.
func TestExactChainFigures(t *testing.T) {
	// closed forms: decimation keeps s_1; the nearest environment spins are at
	// distances 2 (left) and 3 (right) from it, so
	// I = 1 − H₂((1+t²)/2 ...) — computed here directly from the joint law of
	// (s_1, e_L, e_R): P = ¼(1 + t² s e_L)(1 + t³ s e_R)/... over the
	// Markov chain e_L – s_1 – e_R.
	for _, tc := range []struct{ K, dec, maj float64 }{
		{0.5, 0.0399, 0.0350},
		{1, 0.3564, 0.3471},
	} {
		tb, err := NewExactChain(tc.K, 2, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		th := math.Tanh(tc.K)
		a, b := th*th, th*th*th
		// I(s:e_L,e_R) for the chain e_L –a– s –b– e_R (bond correlations a, b)
		var closed float64
		for _, s := range []float64{-1, 1} {
			for _, l := range []float64{-1, 1} {
				for _, r := range []float64{-1, 1} {
					p := (1 + a*s*l) * (1 + b*s*r) / 8
					ps := (1 + a*b*l*r) / 4 // P(l, r)
					closed += p * math.Log2(p/(ps/2))
				}
			}
		}
		for k := 0; k < 2; k++ {
			d, err := tb.RuleMI(Decimation{Site: k})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(d-tc.dec) > 5e-5 {
				t.Errorf("K=%v: decimation of spin %d: %.5f bit, want %.4f", tc.K, k, d, tc.dec)
			}
		}
		d, _ := tb.RuleMI(Decimation{Site: 0})
		if math.Abs(d-closed) > 1e-12 {
			t.Errorf("K=%v: decimation %.15f, closed form %.15f", tc.K, d, closed)
		}
		m, _ := tb.RuleMI(Majority{})
		if math.Abs(m-tc.maj) > 5e-5 {
			t.Errorf("K=%v: majority %.5f bit, want %.4f", tc.K, m, tc.maj)
		}
		// a saturated filter on one spin is decimation
		mi, err := tb.MI(&Filter{NH: 1, NV: 2, W: []float64{0, 40}})
		if err != nil || math.Abs(mi-d) > 1e-9 {
			t.Errorf("K=%v: saturated filter MI %v (err %v), decimation %v", tc.K, mi, err, d)
		}
		if vm := tb.VisibleMI(); !(vm > d) {
			t.Errorf("K=%v: I(V:E) = %v not above decimation's %v", tc.K, vm, d)
		}
	}
}

// checkGrad compares MIGrad against central finite differences.
func checkGrad(t *testing.T, est Estimator, f Learnable) {
	t.Helper()
	grad := make([]float64, f.NumParams())
	mi, err := est.MIGrad(f, grad)
	if err != nil {
		t.Fatal(err)
	}
	mi2, _ := est.MI(f)
	if math.Abs(mi-mi2) > 1e-14 {
		t.Fatalf("MIGrad's MI %v differs from MI's %v", mi, mi2)
	}
	const h = 1e-5
	for i := range grad {
		fd := finiteDifference(f, i, h, func() float64 { x, _ := est.MI(f); return x })
		if math.Abs(fd-grad[i]) > 1e-7+1e-5*math.Abs(fd) {
			t.Errorf("parameter %d: analytic %.10g, finite difference %.10g", i, grad[i], fd)
		}
	}
}

// finiteDifference returns the central difference of eval in parameter i
// of f with step h, restoring the parameter.
func finiteDifference(f Learnable, i int, h float64, eval func() float64) float64 {
	theta := make([]float64, f.NumParams())
	f.Params(theta)
	old := theta[i]
	theta[i] = old + h
	f.SetParams(theta)
	up := eval()
	theta[i] = old - h
	f.SetParams(theta)
	dn := eval()
	theta[i] = old
	f.SetParams(theta)
	return (up - dn) / (2 * h)
}

func paramPtr(f *Filter, i int) *float64 {
	if i < len(f.W) {
		return &f.W[i]
	}
	return &f.Bias[i-len(f.W)]
}

func TestExactGradient(t *testing.T) {
	tb, err := NewExactChain(0.8, 3, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	src := rand.NewPCG(5, 6)
	f, _ := NewFilter(2, 3, src)
	checkGrad(t, tb, f)
	f.Bias = []float64{0.2, -0.4}
	checkGrad(t, tb, f)
	// a random table (no symmetry)
	rng := rand.New(src)
	pve := make([]float64, 7*16)
	w := make([]float64, 7)
	for i := range pve {
		pve[i] = rng.Float64()
	}
	for i := range w {
		w[i] = rng.Float64()
	}
	rt, err := NewExact(4, nil, pve, w)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := NewFilter(3, 4, src)
	g.Bias = []float64{0.1, 0, -0.3}
	checkGrad(t, rt, g)
}

func TestTrainLearnsDecimation1D(t *testing.T) {
	for _, K := range []float64{0.5, 1} {
		tb, err := NewExactChain(K, 2, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		dec, _ := tb.RuleMI(Decimation{Site: 0})
		for seed := uint64(1); seed <= 3; seed++ {
			f, _ := NewFilter(1, 2, rand.NewPCG(seed, 7))
			res, err := Train(context.Background(), tb, f, &TrainOptions{Steps: 10000, LearningRate: 0.01})
			if err != nil {
				t.Fatal(err)
			}
			w0, w1 := math.Abs(f.W[0]), math.Abs(f.W[1])
			big := 0
			if w1 > w0 {
				big = 1
			}
			ratio := max(w0, w1) / min(w0, w1)
			if ratio < 3 {
				t.Errorf("K=%v seed %d: weights %v, ratio %.2f < 3", K, seed, f.W, ratio)
			}
			// most probable coarse spin equals one fixed block spin (up to the
			// filter's overall sign) for all four block states
			sign := int8(1)
			if f.W[big] < 0 {
				sign = -1
			}
			v, h := make([]int8, 2), make([]int8, 1)
			for s := 0; s < 4; s++ {
				decodeSpins(s, v)
				f.MostProbable(v, h, rand.NewPCG(0, 0))
				if h[0] != sign*v[big] {
					t.Errorf("K=%v seed %d: v = %v gives h = %d, not decimation of spin %d", K, seed, v, h[0], big)
				}
			}
			if math.Abs(res.MI-dec) > 0.002 {
				t.Errorf("K=%v seed %d: learned MI %.4f, decimation %.4f", K, seed, res.MI, dec)
			}
			t.Logf("K=%v seed %d: weights %.3f, ratio %.1f, MI %.5f (decimation %.5f)", K, seed, f.W, ratio, res.MI, dec)
		}
	}
}

func TestTrainNormAndErrors(t *testing.T) {
	tb, _ := NewExactChain(1, 2, 1, 2)
	f, _ := NewFilter(2, 2, rand.NewPCG(1, 1))
	var calls int
	_, err := Train(context.Background(), tb, f, &TrainOptions{Steps: 200, Norm: 1.5, Progress: func(p run.Progress) {
		if p.Stage != "rsmi.Train" || p.Total != 200 || p.Done != calls+1 {
			t.Errorf("progress %+v after %d calls", p, calls)
		}
		calls++
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 200 {
		t.Errorf("progress called %d times, want 200", calls)
	}
	for j, n := range f.Norms() {
		if math.Abs(n-1.5) > 1e-12 {
			t.Errorf("unit %d: norm %v, want 1.5", j, n)
		}
	}
	if _, err := Train(context.Background(), tb, f, &TrainOptions{Norm: 1, L2: 1}); err == nil {
		t.Error("Norm and L2 together accepted")
	}
	wrong, _ := NewFilter(1, 3, rand.NewPCG(1, 1))
	if _, err := Train(context.Background(), tb, wrong, nil); err == nil || !strings.Contains(err.Error(), "visible") {
		t.Errorf("filter of the wrong size: err = %v", err)
	}
	bad := &Filter{NH: 1, NV: 2, W: []float64{math.NaN(), 1}}
	if _, err := Train(context.Background(), tb, bad, nil); err == nil {
		t.Error("NaN weight accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, tb, f, nil); err == nil {
		t.Error("cancelled context ignored")
	}
	// L2 keeps the weights bounded where the unconstrained optimum runs away
	g, _ := NewFilter(1, 2, rand.NewPCG(2, 2))
	if _, err := Train(context.Background(), tb, g, &TrainOptions{Steps: 5000, L2: 0.01}); err != nil {
		t.Fatal(err)
	}
	if n := g.Norms()[0]; n > 5 {
		t.Errorf("L2 = 0.01: norm %v after 5000 steps", n)
	}
}
