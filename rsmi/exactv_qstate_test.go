package rsmi

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// pottsChainPairs returns n independent exact samples of segments
// e b v v b e of the 1D q-state Potts chain with the weight e^{K δ(s,s')}
// per bond (a Markov chain started in equilibrium): V the two middle dofs,
// E the two ends.
func pottsChainPairs(q int, K float64, n int, src rand.Source) *Pairs {
	rng := rand.New(src)
	stay := math.Exp(K) / (math.Exp(K) + float64(q-1))
	v, e := make([]int8, 0, 2*n), make([]int8, 0, 2*n)
	x := make([]int8, 6)
	for k := 0; k < n; k++ {
		x[0] = int8(rng.IntN(q))
		for i := 1; i < 6; i++ {
			x[i] = x[i-1]
			if rng.Float64() >= stay {
				x[i] = int8((int(x[i-1]) + 1 + rng.IntN(q-1)) % q)
			}
		}
		v = append(v, x[2], x[3])
		e = append(e, x[0], x[5])
	}
	return &Pairs{V: v, E: e, N: n, NV: 2, NE: 2, States: pottsStates(q)}
}

// pottsChainExact returns the exact P(v|e) ∝ T²(e₀,v₁) T(v₁,v₂) T²(v₂,e₅)
// (T the bond weight) of the chain of pottsChainPairs on the distinct
// environments of p, weighted by their counts as ExactV weights them.
func pottsChainExact(t *testing.T, q int, K float64, p *Pairs) *Exact {
	t.Helper()
	T := func(a, b int) float64 {
		if a == b {
			return math.Exp(K)
		}
		return 1
	}
	T2 := func(a, b int) float64 {
		var s float64
		for c := 0; c < q; c++ {
			s += T(a, c) * T(c, b)
		}
		return s
	}
	envs := distinctEnvs(p)
	pve := make([]float64, 0, len(envs.first)*q*q)
	for _, k := range envs.first {
		e0, e5 := int(p.E[2*k]), int(p.E[2*k+1])
		for s := 0; s < q*q; s++ {
			v1, v2 := s%q, s/q // blockIndex: v₁ the low digit
			pve = append(pve, T2(e0, v1)*T(v1, v2)*T2(v2, e5))
		}
	}
	ex, err := NewExact(2, p.States, pve, envs.count)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// TestExactVPottsChain compares ExactV with its categorical Θ-RBM, trained
// on exact samples of the 3-state Potts chain, with the exact P(v|e) on the
// same environments: I(V:E) and the MI of plurality rule, decimation, soft
// plurality and a random 3-state filter agree within 0.005 bit (the same
// tolerance as the ±1 chain's, TestExactVChain1D). The MI gradient of a
// softmax filter matches finite differences.
func TestExactVPottsChain(t *testing.T) {
	const q, K = 3, 2.0
	pr := pottsChainPairs(q, K, 100000, rand.NewPCG(1, 9))
	exact := pottsChainExact(t, q, K, pr)
	ev, err := NewExactV(context.Background(), pr, rand.NewPCG(2, 3), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Categorical == nil || ev.Theta != nil {
		t.Fatalf("q-state pairs: Categorical %v, Theta %v; want the categorical Θ-RBM only", ev.Categorical != nil, ev.Theta != nil)
	}
	st := pottsStates(q)
	random, _ := NewSoftmaxFilter(1, 2, st, st, rand.NewPCG(4, 4))
	for i := range random.W {
		random.W[i] *= 3
	}
	rules := []struct {
		name string
		r    Rule
	}{{"plurality", Plurality{Values: st}}, {"decimation", Decimation{Values: st}}, {"soft plurality", softPlurality(2, q, 1.5)}, {"random filter", random}}
	check := func(name string, a, b float64) {
		t.Logf("%s: exact %.4f, ExactV %.4f (%+.4f)", name, a, b, b-a)
		if math.Abs(a-b) > 0.005 {
			t.Errorf("%s: ExactV %.4f bit, exact %.4f", name, b, a)
		}
	}
	check("I(V:E)", exact.VisibleMI(), ev.VisibleMI())
	for _, c := range rules {
		a, _ := exact.RuleMI(c.r)
		b, _ := ev.RuleMI(c.r)
		check(c.name, a, b)
	}
	checkGrad(t, ev, random)
}

// TestExactVCategoricalTable checks ExactV's table for q-state pairs
// against the categorical Θ-RBM itself: row e is exp(−F(v,e)) normalized
// over the block states v, F the RBM's free energy.
func TestExactVCategoricalTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	st := []int8{-1, 0, 2} // any sorted alphabet
	const n, nv, ne = 400, 2, 3
	v, e := make([]int8, n*nv), make([]int8, n*ne)
	for i := range v {
		v[i] = st[rng.IntN(3)]
	}
	for i := range e {
		e[i] = st[(int(v[i%(n*nv)]+1)+rng.IntN(2))%3]
	}
	pr, err := NewPairs(v, nv, e, ne, st)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := NewExactV(context.Background(), pr, rand.NewPCG(6, 6), &ExactVOptions{Hidden: 5, FineTune: 40})
	if err != nil {
		t.Fatal(err)
	}
	envs := distinctEnvs(pr)
	const S = 9
	row := make([]int8, nv+ne)
	for k, first := range envs.first {
		copy(row[nv:], pr.E[first*ne:(first+1)*ne])
		var z float64
		w := make([]float64, S)
		for s := range w {
			row[0], row[1] = st[s%3], st[s/3]
			w[s] = math.Exp(-ev.Categorical.FreeEnergy(row))
			z += w[s]
		}
		for s := range w {
			if got, want := ev.pve[k*S+s], w[s]/z; math.Abs(got-want) > 1e-12*want {
				t.Fatalf("environment %v, block state %d: table %.17g, Θ-RBM %.17g", row[nv:], s, got, want)
			}
		}
	}
}

// TestExactVQStateBadInput: a value outside the pairs' declared states is
// named, and so are block sizes whose q^|V| states cannot be enumerated;
// rbm.Spin units are refused for q-state pairs.
func TestExactVQStateBadInput(t *testing.T) {
	ctx := context.Background()
	src := rand.NewPCG(1, 1)
	bad := &Pairs{V: []int8{0, 1, 3, 2}, E: []int8{0, 1, 2, 0}, N: 2, NV: 2, NE: 2, States: []int8{0, 1, 2}}
	if _, err := NewExactV(ctx, bad, src, nil); err == nil || !strings.Contains(err.Error(), "value 3") {
		t.Errorf("value 3 outside the states [0 1 2]: error %v", err)
	}
	big := &Pairs{V: make([]int8, 2*13), E: make([]int8, 2), N: 2, NV: 13, NE: 1, States: []int8{0, 1, 2}}
	if _, err := NewExactV(ctx, big, src, nil); err == nil || !strings.Contains(err.Error(), "3^13") || !strings.Contains(err.Error(), "smaller block") {
		t.Errorf("|V| = 13 of 3 states: error %v", err)
	}
	ok := pottsChainPairs(3, 1, 50, rand.NewPCG(2, 2))
	if _, err := NewExactV(ctx, ok, src, &ExactVOptions{Units: 1}); err == nil || !strings.Contains(err.Error(), "Units") {
		t.Errorf("rbm.Spin units on Potts pairs: error %v", err)
	}
}

// TestLongExactVPotts2D compares ExactV (categorical Θ-RBM, 64 hidden
// units) with the exact oracle on the critical 3-state Potts data (2×2
// block, L_B = 1, L_E = 1, 25,600 pairs), with and without the block's
// point group × S_3 as data augmentation, for I(V:E), plurality rule, soft
// plurality and a softmax filter trained on ExactV. Measured (seeds 1–3 of
// the estimator, plurality / I(V:E) differences in bit): without
// augmentation +0.013/+0.019, +0.048/+0.053, +0.045/+0.047; with it
// −0.013/+0.002, −0.002/+0.013, +0.017/+0.029. The test asks for 0.03 bit
// with augmentation: the 0.01 bit is not reached reliably. A few
// minutes (250 s on a busy 2-core machine):
//
//	RSMI_LONG=1 go test ./rsmi/ -run LongExactVPotts2D -v
func TestLongExactVPotts2D(t *testing.T) {
	if os.Getenv("RSMI_LONG") == "" {
		t.Skip("set RSMI_LONG=1 to run the 2D Potts ExactV validation")
	}
	_, ds, r, pos, tb := criticalPotts(t)
	pr, err := r.PairsAt(ds, pos)
	if err != nil {
		t.Fatal(err)
	}
	syms := pottsSymmetries(t, r)
	st := pottsStates(3)
	for _, aug := range []bool{false, true} {
		o := &ExactVOptions{Hidden: 64}
		if aug {
			o.Symmetries = syms
		}
		ev, err := NewExactV(context.Background(), pr, rand.NewPCG(1, 2), o)
		if err != nil {
			t.Fatal(err)
		}
		learned, _ := NewSoftmaxFilter(1, 4, st, st, rand.NewPCG(1, 3))
		if _, err := Train(context.Background(), ev, learned, &TrainOptions{Steps: 200, LearningRate: 0.2}); err != nil {
			t.Fatal(err)
		}
		for name, rule := range map[string]Rule{"I(V:E)": nil, "plurality": Plurality{Values: st}, "soft plurality": softPlurality(4, 3, 1.5), "learned": learned} {
			a, b := tb.VisibleMI(), ev.VisibleMI()
			if rule != nil {
				a, _ = tb.RuleMI(rule)
				b, _ = ev.RuleMI(rule)
			}
			t.Logf("augmented %v, %s: exact %.4f, ExactV %.4f (%+.4f)", aug, name, a, b, b-a)
			if aug && math.Abs(a-b) > 0.03 {
				t.Errorf("%s: ExactV %.4f bit, exact oracle %.4f", name, b, a)
			}
		}
	}
}
