package rsmi

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestExactVChain1D compares ExactV, trained on exact samples of the chain,
// with the exact chain oracle. The tolerance 0.005 bit covers the sampling
// of 50,000 pairs (the MI of the empirical distribution itself differs from
// the exact one by up to about 0.002 bit) and the RBM's modelling error.
func TestExactVChain1D(t *testing.T) {
	t.Parallel() // several seconds of work: overlap it with the other long tests
	for _, K := range []float64{0.5, 1} {
		exact, err := NewExactChain(K, 2, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		pr := chainPairs(K, 2, 1, 2, 50000, rand.NewPCG(1, uint64(10*K)))
		ev, err := NewExactV(context.Background(), pr, rand.NewPCG(2, 3), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range [][]float64{{40, 0}, {1, 1}, {0.6, -0.3}, {3, 0.7}} {
			f := &Filter{NH: 1, NV: 2, W: w}
			a, _ := exact.MI(f)
			b, _ := ev.MI(f)
			t.Logf("K=%v λ=%v: exact %.4f, ExactV %.4f (%+.4f)", K, w, a, b, b-a)
			if math.Abs(a-b) > 0.005 {
				t.Errorf("K=%v λ=%v: ExactV %.4f, exact %.4f", K, w, b, a)
			}
		}
	}
}

func TestExactVGradient(t *testing.T) {
	pr := chainPairs(0.7, 3, 1, 2, 3000, rand.NewPCG(4, 4))
	ev, err := NewExactV(context.Background(), pr, rand.NewPCG(5, 5), &ExactVOptions{Hidden: 8, FineTune: 20})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := NewFilter(2, 3, rand.NewPCG(6, 6))
	f.Bias = []float64{0.1, -0.2}
	checkGrad(t, ev, f)
}

// TestExactV2D checks ExactV on the 2D Ising model at T_c against the exact
// oracle on the same data: the fixed-norm optimum is the block spin within
// 10% and the MI bias of the RBM stays small.
func TestExactV2D(t *testing.T) {
	t.Parallel() // several seconds of work: overlap it with the other long tests
	_, ds, r, pos := critical2D(t)
	pr, err := r.PairsAt(ds, pos)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := NewExactV(context.Background(), pr, rand.NewPCG(1, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	oracle := critical2DOracle(t)
	f, _ := NewFilter(1, 4, rand.NewPCG(2, 2))
	res, err := Train(context.Background(), ev, f, &TrainOptions{Steps: 1000, Norm: 1})
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, w := range f.W {
		lo, hi = min(lo, math.Abs(w)), max(hi, math.Abs(w))
	}
	exact, _ := oracle.MI(f)
	t.Logf("ExactV, ‖λ‖ = 1: weights %.4f, MI %.4f (exact oracle %.4f)", f.W, res.MI, exact)
	if hi/lo > 1.1 || f.W[0]*f.W[1] < 0 || f.W[0]*f.W[2] < 0 || f.W[0]*f.W[3] < 0 {
		t.Errorf("ExactV fixed-norm optimum %v not uniform within 10%%", f.W)
	}
	for name, rule := range map[string]Rule{"decimation": Decimation{}, "majority": Majority{}} {
		a, _ := oracle.RuleMI(rule)
		b, _ := ev.RuleMI(rule)
		t.Logf("%s: exact %.4f, ExactV %.4f (%+.4f)", name, a, b, b-a)
		if math.Abs(a-b) > 0.03 {
			t.Errorf("%s: ExactV %.4f, exact oracle %.4f", name, b, a)
		}
	}
	if math.Abs(res.MI-exact) > 0.03 {
		t.Errorf("learned filter: ExactV %.4f, exact oracle %.4f", res.MI, exact)
	}
}

// TestExactVErrors checks the messages of ExactV's limits (the bad-input
// sweep covers the rest).
func TestExactVErrors(t *testing.T) {
	src := rand.NewPCG(1, 1)
	v := make([]int8, 21*10)
	e := make([]int8, 4*10)
	for i := range v {
		v[i] = 1
	}
	for i := range e {
		e[i] = -1
	}
	_, err := NewExactV(context.Background(), pairsOf(v, 21, e, 4), src, nil)
	if err == nil || !strings.Contains(err.Error(), "limit of 20") || !strings.Contains(err.Error(), "smaller block") {
		t.Errorf("|V| = 21: err = %v", err)
	}
	f, _ := NewFilter(MaxHidden+1, 2, src)
	tb, _ := NewExactChain(1, 2, 1, 1)
	if _, err := tb.MI(f); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("nh = %d: err = %v", MaxHidden+1, err)
	}
}

// BenchmarkTrainExactV measures one full ExactV training on the 2D Ising
// model at T_c (2×2 block, L_B = 1, L_E = 1): 20,000 (V,E) pairs, Θ-RBM with
// CD and fine-tuning, then 1000 Adam steps of the filter at ‖λ‖ = 1.
func BenchmarkTrainExactV(b *testing.B) {
	_, ds, r, pos := critical2D(b)
	pr, err := r.spread(ds, pos, 20000)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var mi float64
	for b.Loop() {
		ev, err := NewExactV(context.Background(), pr, rand.NewPCG(1, 1), nil)
		if err != nil {
			b.Fatal(err)
		}
		f, _ := NewFilter(1, 4, rand.NewPCG(2, 2))
		res, err := Train(context.Background(), ev, f, &TrainOptions{Steps: 1000, Norm: 1})
		if err != nil {
			b.Fatal(err)
		}
		mi = res.MI
	}
	b.ReportMetric(mi, "bits")
}

// TestExactVWorkers: the estimator does not depend on the number of
// goroutines (the fine-tuning sums its mini-batch in fixed lanes; before,
// the partial sums followed the workers and the last digits followed
// GOMAXPROCS).
func TestExactVWorkers(t *testing.T) {
	pr := chainPairs(0.7, 3, 1, 4, 3000, rand.NewPCG(4, 4)) // 256 environments
	f := &Filter{NH: 1, NV: 3, W: []float64{0.9, 0.4, -0.2}}
	var mis []float64
	for _, w := range []int{1, 3, 16} {
		ev, err := NewExactV(context.Background(), pr, rand.NewPCG(5, 5), &ExactVOptions{Hidden: 8, FineTune: 30, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		mi, _ := ev.MI(f)
		mis = append(mis, mi)
	}
	if mis[0] != mis[1] || mis[0] != mis[2] {
		t.Errorf("MI with 1, 3 and 16 workers: %.17g, %.17g, %.17g", mis[0], mis[1], mis[2])
	}
}
