package rsmi

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

// decodeSpins writes the ±1 block configuration with index s into v.
func decodeSpins(s int, v []int8) { decodeOutcome(v, s, spinStates) }

func TestMajorityAndDecimation(t *testing.T) {
	for s, p := range condTable(t, Majority{}, 4, nil) {
		v := make([]int8, 4)
		decodeSpins(s, v)
		want := 0.5
		if m := blockSum(v); m > 0 {
			want = 1
		} else if m < 0 {
			want = 0
		}
		if p[1] != want {
			t.Errorf("majority P(+1|%v) = %v, want %v", v, p[1], want)
		}
	}
	checkApplyMatchesCond(t, "majority", Majority{}, 4, nil, 2000)
	for s, p := range condTable(t, Decimation{Site: 2}, 3, nil) {
		if want := float64(s >> 2 & 1); p[1] != want {
			t.Errorf("decimation P(+1|state %d) = %v, want %v", s, p[1], want)
		}
	}
	if err := (Majority{}).Check(4, []int8{0, 1, 2}); err == nil {
		t.Error("majority rule accepted 3-state values")
	}
	if err := (Decimation{Site: 4}).Check(4, nil); err == nil {
		t.Error("decimation of site 4 in a 4-dof block accepted")
	}
	if err := (Decimation{Values: []int8{0, 1, 2}}).Check(4, []int8{0, 1, 2}); err != nil {
		t.Errorf("3-state decimation rejected: %v", err)
	}
}

func TestFilterRules(t *testing.T) {
	f := &Filter{NH: 2, NV: 4, W: []float64{0.9, -0.4, 0.3, 0.7, -0.2, 1.1, 0.5, 0.05}}
	cond := condTable(t, f, 4, nil)
	v, h := make([]int8, 4), make([]int8, 2)
	for s := range cond {
		decodeSpins(s, v)
		for k := range cond[s] {
			decodeOutcome(h, k, spinStates)
			if got, want := cond[s][k], f.Prob(v, h); math.Abs(got-want) > 1e-15 {
				t.Fatalf("Filter.Cond = %v, Prob = %v", got, want)
			}
		}
	}
	checkApplyMatchesCond(t, "filter", f, 4, nil, 4000)
	checkApplyMatchesCond(t, "most probable filter", MostProbable(f), 4, nil, 400)
	// A generic most-probable rule (through Cond) agrees with the filter's
	// fast path wherever there is no tie.
	for s, p := range condTable(t, MostProbable(f), 4, nil) {
		q := slices.Clone(cond[s])
		argmaxInPlace(q)
		if !slices.Equal(p, q) {
			t.Errorf("block state %d: most probable %v, argmax of Cond %v", s, p, q)
		}
	}
	if m := MostProbable(f); MostProbable(m) != m {
		t.Error("MostProbable of a most-probable rule wraps it again")
	}
}

// The point-group average of a sharp filter with nearly equal weights on a
// 2×2 block is exactly majority rule with fair-coin ties.
func TestSymmetrizeSharpFilterIsMajority(t *testing.T) {
	f := &Filter{NH: 1, NV: 4, W: []float64{1.28, 2.26, 1.72, 2.01}}
	group, err := lattice.BlockSymmetries(2, 2)
	if err != nil {
		t.Fatal(err)
	}
	sym, err := Symmetrize(MostProbable(f), group)
	if err != nil {
		t.Fatal(err)
	}
	raw, got, want := condTable(t, MostProbable(f), 4, nil), condTable(t, sym, 4, nil), condTable(t, Majority{}, 4, nil)
	for s := range got {
		if math.Abs(got[s][1]-want[s][1]) > 1e-15 {
			t.Errorf("block state %d: symmetrized P(+1) = %v, majority %v", s, got[s][1], want[s][1])
		}
	}
	if slices.EqualFunc(raw, want, slices.Equal) {
		t.Error("the raw filter is already majority with fair ties: the test shows nothing")
	}
	checkApplyMatchesCond(t, "symmetrized", sym, 4, nil, 2000)
	// Invariance under the group, for a stochastic filter too.
	stoch, _ := Symmetrize(f, group)
	c := condTable(t, stoch, 4, nil)
	v, w := make([]int8, 4), make([]int8, 4)
	p := make([]float64, 2)
	for s := range c {
		decodeSpins(s, v)
		for _, g := range group {
			permute(w, v, g)
			stoch.Cond(w, p)
			if math.Abs(p[1]-c[s][1]) > 1e-12 {
				t.Fatalf("symmetrized rule not invariant: %v vs %v", p[1], c[s][1])
			}
		}
	}
	if _, err := Symmetrize(f, [][]int{{0, 1, 2, 3}, {0, 0, 1, 2}}); err == nil {
		t.Error("a non-permutation accepted")
	}
	if err := sym.Check(9, nil); err == nil {
		t.Error("symmetrized 2×2 rule accepted a 9-dof block")
	}
}

func TestRuleTable(t *testing.T) {
	f := &Filter{NH: 2, NV: 4, W: []float64{0.9, -0.4, 0.3, 0.7, -0.2, 1.1, 0.5, 0.05}}
	group, _ := lattice.BlockSymmetries(2, 2)
	sym, _ := Symmetrize(f, group)
	for name, r := range map[string]Rule{"majority": Majority{}, "filter": f, "symmetrized filter": sym, "decimation": Decimation{Site: 3}} {
		tab, err := TabulateRule(r, 4, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, b := condTable(t, r, 4, nil), condTable(t, tab, 4, nil)
		for s := range a {
			for k := range a[s] {
				if math.Abs(a[s][k]-b[s][k]) > 1e-15 {
					t.Fatalf("%s: table P = %v, rule P = %v", name, b[s][k], a[s][k])
				}
			}
		}
		checkApplyMatchesCond(t, name+" table", tab, 4, nil, 2000)
	}
	// Majority's table draws exactly the coins Majority draws.
	tab, _ := TabulateRule(Majority{}, 4, nil)
	s1, s2 := rand.NewPCG(3, 3), rand.NewPCG(3, 3)
	v := make([]int8, 4)
	h1, h2 := make([]int8, 1), make([]int8, 1)
	for k := 0; k < 1000; k++ {
		decodeSpins(k%16, v)
		Majority{}.Apply(h1, v, s1)
		tab.Apply(h2, v, s2)
		if h1[0] != h2[0] {
			t.Fatalf("draw %d: majority %d, table %d", k, h1[0], h2[0])
		}
	}
	if _, err := TabulateRule(Majority{}, 17, nil); err == nil {
		t.Error("2^17 block states tabulated")
	}
}

func TestRuleEncoding(t *testing.T) {
	f := &Filter{NH: 1, NV: 4, W: []float64{1.28, 2.26, 1.72, 2.01}, Bias: []float64{0.1}}
	group, _ := lattice.BlockSymmetries(2, 2)
	sym, _ := Symmetrize(MostProbable(f), group)
	tab, _ := TabulateRule(sym, 4, nil)
	for name, r := range map[string]Rule{"majority": Majority{}, "decimation": Decimation{Site: 1, Values: []int8{-1, 1}},
		"filter": f, "most probable": MostProbable(f), "symmetrized": sym, "table": tab} {
		b, err := MarshalRule(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := UnmarshalRule(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if x, y := condTable(t, r, 4, nil), condTable(t, back, 4, nil); !slices.EqualFunc(x, y, slices.Equal) {
			t.Errorf("%s: decoded rule differs", name)
		}
		// Truncations and bit flips are errors, never panics.
		for i := 0; i < len(b); i++ {
			if _, err := UnmarshalRule(b[:i]); err == nil {
				t.Fatalf("%s: truncation to %d bytes accepted", name, i)
			}
			c := slices.Clone(b)
			c[i] ^= 0x5a
			UnmarshalRule(c)
		}
	}
	if _, err := MarshalRule(userRule{}); err == nil {
		t.Error("an unregistered rule type was encoded")
	}
}

// userRule is a rule type that nobody registered.
type userRule struct{ Majority }

func FuzzUnmarshalRule(f *testing.F) {
	group, _ := lattice.BlockSymmetries(2, 2)
	filter := &Filter{NH: 1, NV: 4, W: []float64{1, 2, 3, 4}}
	sym, _ := Symmetrize(MostProbable(filter), group)
	for _, r := range []Rule{Majority{}, Decimation{Site: 1}, filter, sym} {
		b, _ := MarshalRule(r)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := UnmarshalRule(b)
		if err != nil {
			return
		}
		if _, err := MarshalRule(r); err != nil {
			t.Fatalf("decoded rule %T cannot be encoded: %v", r, err)
		}
	})
}
