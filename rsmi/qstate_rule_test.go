package rsmi

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

// pottsStates returns the alphabet 0, …, q−1.
func pottsStates(q int) []int8 {
	s := make([]int8, q)
	for i := range s {
		s[i] = int8(i)
	}
	return s
}

// condTable returns P(h|v) of r for every block state of nv dofs with the
// given values, checking normalization.
func condTable(t *testing.T, r Rule, nv int, states []int8) [][]float64 {
	t.Helper()
	if err := r.Check(nv, states); err != nil {
		t.Fatal(err)
	}
	if states == nil {
		states = spinStates
	}
	nb, _ := numOutcomes(len(states), nv, MaxBlockStates)
	nh, _ := numOutcomes(len(r.States()), r.Outputs(), maxRuleOutcomes)
	out := make([][]float64, nb)
	v := make([]int8, nv)
	for s := range out {
		decodeOutcome(v, s, states)
		out[s] = make([]float64, nh)
		r.Cond(v, out[s])
		var sum float64
		for _, p := range out[s] {
			sum += p
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Fatalf("%T: P(h|v) sums to %v for block state %d", r, sum, s)
		}
	}
	return out
}

// checkApplyMatchesCond draws Apply many times for every block state of nv
// dofs with values states (nil: ±1) and compares the frequencies with Cond
// (a χ² test per state, generous bound: beyond the 99.999% point of χ² for
// up to 16 degrees of freedom).
func checkApplyMatchesCond(t *testing.T, name string, r Rule, nv int, states []int8, draws int) {
	t.Helper()
	cond := condTable(t, r, nv, states)
	if states == nil {
		states = spinStates
	}
	src := rand.NewPCG(7, 8)
	v := make([]int8, nv)
	h := make([]int8, r.Outputs())
	for s, p := range cond {
		decodeOutcome(v, s, states)
		count := make([]float64, len(p))
		for k := 0; k < draws; k++ {
			r.Apply(h, v, src)
			count[blockIndex(h, r.States())]++
		}
		var chi2 float64
		dof := 0
		for i, c := range count {
			e := p[i] * float64(draws)
			if e == 0 {
				if c != 0 {
					t.Fatalf("%s: block state %d: outcome %d drawn %v times, P = 0", name, s, i, c)
				}
				continue
			}
			chi2 += (c - e) * (c - e) / e
			dof++
		}
		if dof > 1 && chi2 > 60 {
			t.Errorf("%s: block state %d: χ² = %.1f (%d outcomes) for frequencies %v vs %v", name, s, chi2, dof, count, p)
		}
	}
}

// TestPlurality checks plurality rule on every state of a 2×2 block of
// 3-state variables against counting by hand, Apply against Cond, and for
// ±1 spins its identity with Majority: the same conditional and, from the
// same source, the same draws.
func TestPlurality(t *testing.T) {
	st := pottsStates(3)
	r := Plurality{Values: st}
	for s, p := range condTable(t, r, 4, st) {
		v := make([]int8, 4)
		decodeOutcome(v, s, st)
		var c [3]int
		for _, x := range v {
			c[x]++
		}
		best := slices.Max(c[:])
		ties := 0
		for _, n := range c {
			if n == best {
				ties++
			}
		}
		for a, n := range c {
			want := 0.0
			if n == best {
				want = 1 / float64(ties)
			}
			if p[a] != want {
				t.Errorf("block %v: P(%d) = %v, want %v", v, a, p[a], want)
			}
		}
	}
	checkApplyMatchesCond(t, "plurality q=3", r, 4, st, 3000)
	checkApplyMatchesCond(t, "plurality q=4, 3 dofs", Plurality{Values: pottsStates(4)}, 3, pottsStates(4), 3000)
	// ±1: Majority, draw for draw
	maj := condTable(t, Majority{}, 4, nil)
	for s, p := range condTable(t, Plurality{}, 4, nil) {
		if !slices.Equal(p, maj[s]) {
			t.Errorf("±1 block state %d: plurality %v, majority %v", s, p, maj[s])
		}
	}
	a, b := rand.NewPCG(3, 4), rand.NewPCG(3, 4)
	v := make([]int8, 4)
	h1, h2 := make([]int8, 1), make([]int8, 1)
	for k := 0; k < 1000; k++ {
		decodeSpins(k%16, v)
		Plurality{}.Apply(h1, v, a)
		Majority{}.Apply(h2, v, b)
		if h1[0] != h2[0] {
			t.Fatalf("draw %d, block %v: plurality %d, majority %d", k, v, h1[0], h2[0])
		}
	}
	if err := r.Check(4, nil); err == nil || !strings.Contains(err.Error(), "[0 1 2]") {
		t.Errorf("plurality on ±1 blocks: error %v, want one naming the values", err)
	}
}

// TestSoftmaxFilterRule checks the softmax filter's Cond against the
// formula, Apply and MostProbable against Cond, and that FromFilter gives
// the ±1 filter's conditional.
func TestSoftmaxFilterRule(t *testing.T) {
	st := []int8{-1, 0, 1}
	f, err := NewSoftmaxFilter(2, 3, st, st, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	f.Bias = []float64{0.2, -0.1, 0.3, 0, 0.5, -0.4}
	v := []int8{1, -1, 0}
	x := make([]float64, 3)
	p := make([]float64, 9)
	f.Cond(v, p)
	for j := 0; j < 2; j++ {
		for a := 0; a < 3; a++ {
			x[a] = f.Bias[j*3+a]
			for i, s := range v {
				x[a] += f.W[((j*3+a)*3+i)*3+int(s+1)]
			}
		}
		var z float64
		for _, y := range x {
			z += math.Exp(y)
		}
		for a := 0; a < 3; a++ {
			var marg float64
			for h := range p {
				if (h/[]int{1, 3}[j])%3 == a {
					marg += p[h]
				}
			}
			if want := math.Exp(x[a]) / z; math.Abs(marg-want) > 1e-14 {
				t.Errorf("unit %d state %d: P = %v, want %v", j, a, marg, want)
			}
		}
	}
	checkApplyMatchesCond(t, "softmax filter", f, 3, st, 2000)
	checkApplyMatchesCond(t, "most probable softmax filter", MostProbable(f), 3, st, 200)
	ising, _ := NewFilter(2, 4, rand.NewPCG(3, 4))
	ising.Bias = []float64{0.3, -0.7}
	g, err := FromFilter(ising)
	if err != nil {
		t.Fatal(err)
	}
	a, b := condTable(t, ising, 4, nil), condTable(t, g, 4, nil)
	for s := range a {
		for h := range a[s] {
			if math.Abs(a[s][h]-b[s][h]) > 1e-14 {
				t.Fatalf("block state %d, h %d: ±1 filter %v, softmax form %v", s, h, a[s][h], b[s][h])
			}
		}
	}
}

// TestSoftmaxFilterIsingEquivalence is the q = 2 case of the softmax
// filter: under λ_{j,a,i,c} = s_a s_c λ_ij, b_{j,a} = s_a a_j it has the
// ±1 filter's MI on ±1 data, and its gradient maps back to the ±1 filter's:
// ∂I/∂λ_ij = Σ_{a,c} s_a s_c ∂I/∂λ_{j,a,i,c}, ∂I/∂a_j = Σ_a s_a ∂I/∂b_{j,a}.
func TestSoftmaxFilterIsingEquivalence(t *testing.T) {
	tb, err := NewExactChain(0.8, 3, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := NewFilter(2, 3, rand.NewPCG(5, 6))
	f.Bias = []float64{0.25, -0.5}
	g, _ := FromFilter(f)
	gf := make([]float64, f.NumParams())
	gg := make([]float64, g.NumParams())
	mf, err := tb.MIGrad(f, gf)
	if err != nil {
		t.Fatal(err)
	}
	mg, err := tb.MIGrad(g, gg)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(mf-mg) > 1e-13 {
		t.Errorf("MI: ±1 filter %.15f, softmax form %.15f", mf, mg)
	}
	s := [2]float64{-1, 1}
	for j := 0; j < 2; j++ {
		for i := 0; i < 3; i++ {
			var back float64
			for a := 0; a < 2; a++ {
				for c := 0; c < 2; c++ {
					back += s[a] * s[c] * gg[((j*2+a)*3+i)*2+c]
				}
			}
			if d := gf[j*3+i]; math.Abs(back-d) > 1e-12 {
				t.Errorf("∂I/∂λ_%d%d: ±1 filter %.12g, from the softmax gradient %.12g", j, i, d, back)
			}
		}
		back := s[0]*gg[len(g.W)+2*j] + s[1]*gg[len(g.W)+2*j+1]
		if d := gf[6+j]; math.Abs(back-d) > 1e-12 {
			t.Errorf("∂I/∂a_%d: ±1 filter %.12g, from the softmax gradient %.12g", j, d, back)
		}
	}
	t.Logf("MI %.6f bit; gradients agree under the mapping", mf)
}

// TestSymmetrizeStates checks that the average over S_3 (and its product
// with the point group of the 2×2 block) is invariant under every
// permutation of the states (and of the block), that Apply has the
// distribution of Cond, and that a rule that is already invariant
// (plurality) is unchanged.
func TestSymmetrizeStates(t *testing.T) {
	st := pottsStates(3)
	f, _ := NewSoftmaxFilter(1, 4, st, st, rand.NewPCG(9, 10))
	s3, err := StatePermutations(3)
	if err != nil {
		t.Fatal(err)
	}
	if len(s3) != 6 || !slices.Equal(s3[0], []int{0, 1, 2}) {
		t.Fatalf("S_3: %v", s3)
	}
	pg, _ := lattice.BlockSymmetries(2, 2)
	sym, err := SymmetrizeStates(f, st, s3)
	if err != nil {
		t.Fatal(err)
	}
	both, err := Symmetrize(sym, pg)
	if err != nil {
		t.Fatal(err)
	}
	tab := condTable(t, both, 4, st)
	ptab := condTable(t, sym, 4, st)
	v, w := make([]int8, 4), make([]int8, 4)
	for s := range tab {
		decodeOutcome(v, s, st)
		for _, g := range s3 {
			permuteValues(w, v, g, st)
			sw := blockIndex(w, st)
			for h := 0; h < 3; h++ {
				if d := math.Abs(ptab[sw][g[h]] - ptab[s][h]); d > 1e-14 {
					t.Fatalf("S_3 average not invariant: block %v, π %v, h %d: %v vs %v", v, g, h, ptab[sw][g[h]], ptab[s][h])
				}
				if d := math.Abs(tab[sw][g[h]] - tab[s][h]); d > 1e-14 {
					t.Fatalf("S_3 × point group average not invariant under π %v", g)
				}
			}
		}
		for _, g := range pg {
			permute(w, v, g)
			if sw := blockIndex(w, st); !slices.EqualFunc(tab[sw], tab[s], func(a, b float64) bool { return math.Abs(a-b) < 1e-14 }) {
				t.Fatalf("S_3 × point group average not invariant under the block symmetry %v", g)
			}
		}
	}
	checkApplyMatchesCond(t, "S_3 × point group", both, 4, st, 2000)
	plur := Plurality{Values: st}
	ps, _ := SymmetrizeStates(plur, st, s3)
	a, b := condTable(t, plur, 4, st), condTable(t, ps, 4, st)
	for s := range a {
		if !slices.EqualFunc(a[s], b[s], func(x, y float64) bool { return math.Abs(x-y) < 1e-15 }) {
			t.Fatalf("plurality changed by S_3 averaging at block state %d: %v vs %v", s, a[s], b[s])
		}
	}
	// spin 1: the flip s → −s alone
	bc := []int8{-1, 0, 1}
	g, _ := NewSoftmaxFilter(1, 2, bc, []int8{-1, 1}, rand.NewPCG(1, 1))
	if _, err := SymmetrizeStates(g, bc, [][]int{{0, 1, 2}, {2, 1, 0}}); err == nil || !strings.Contains(err.Error(), "[-1 1]") {
		t.Errorf("3 block states, 2 coarse: error %v", err)
	}
	g, _ = NewSoftmaxFilter(1, 2, bc, bc, rand.NewPCG(1, 1))
	flip, err := SymmetrizeStates(g, bc, [][]int{{0, 1, 2}, {2, 1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	ft := condTable(t, flip, 2, bc)
	for s := range ft {
		decodeOutcome(v[:2], s, bc)
		w[0], w[1] = -v[0], -v[1]
		sw := blockIndex(w[:2], bc)
		if math.Abs(ft[sw][2]-ft[s][0]) > 1e-15 || math.Abs(ft[sw][1]-ft[s][1]) > 1e-15 {
			t.Fatalf("flip average not flip invariant at %v", v[:2])
		}
	}
	for _, bad := range [][][]int{nil, {{0, 1}}, {{0, 1, 1}}, {{0, 1, 3}}} {
		if _, err := SymmetrizeStates(f, st, bad); err == nil {
			t.Errorf("permutations %v accepted", bad)
		}
	}
	if _, err := StatePermutations(7); err == nil {
		t.Error("S_7 accepted")
	}
}

// TestQStateRuleEncodingAndTables round-trips the q-state rules through
// MarshalRule and TabulateRule: the same conditional on every block state.
func TestQStateRuleEncodingAndTables(t *testing.T) {
	st := pottsStates(3)
	f, _ := NewSoftmaxFilter(2, 4, st, st, rand.NewPCG(2, 3))
	f.Bias = make([]float64, 6)
	f.Bias[1] = 0.4
	s3, _ := StatePermutations(3)
	pg, _ := lattice.BlockSymmetries(2, 2)
	sym, _ := SymmetrizeStates(f, st, s3)
	both, _ := Symmetrize(sym, pg)
	bcf, _ := NewSoftmaxFilter(1, 4, []int8{-1, 0, 1}, []int8{-1, 1}, rand.NewPCG(4, 5))
	for _, tc := range []struct {
		name   string
		r      Rule
		states []int8
	}{
		{"plurality", Plurality{Values: st}, st},
		{"plurality ±1", Plurality{}, nil},
		{"softmax filter", f, st},
		{"softmax filter spin 1 → ±1", bcf, []int8{-1, 0, 1}},
		{"most probable", MostProbable(f), st},
		{"S_3 × point group", both, st},
		{"decimation q=3", Decimation{Site: 2, Values: st}, st},
	} {
		b, err := MarshalRule(tc.r)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		r2, err := UnmarshalRule(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		b2, _ := MarshalRule(r2)
		if !bytes.Equal(b, b2) {
			t.Errorf("%s: re-encoding differs", tc.name)
		}
		tab, err := TabulateRule(tc.r, 4, tc.states)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := condTable(t, tc.r, 4, tc.states)
		for i, got := range [][][]float64{condTable(t, r2, 4, tc.states), condTable(t, tab, 4, tc.states)} {
			for s := range want {
				if !slices.EqualFunc(got[s], want[s], func(x, y float64) bool { return math.Abs(x-y) < 1e-15 }) {
					t.Fatalf("%s (%s): block state %d: %v, want %v", tc.name, []string{"decoded", "tabulated"}[i], s, got[s], want[s])
				}
			}
		}
	}
	if _, err := TabulateRule(Plurality{Values: st}, 4, []int8{0, 1, 2, 3}); err == nil || !strings.Contains(err.Error(), "[0 1 2 3]") {
		t.Errorf("plurality of 3 states on 4-state blocks: error %v", err)
	}
	if _, err := TabulateRule(Plurality{Values: st}, 11, st); err == nil || !strings.Contains(err.Error(), "11 dofs") {
		t.Errorf("3^11 block states tabulated: error %v", err)
	}
}
