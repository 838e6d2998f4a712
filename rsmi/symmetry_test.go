package rsmi

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

// TestRegionsSymmetriesChain checks the symmetries of the regions e b v v b e
// of a 3-state Potts chain (the reflection times S_3) against the exact
// P(v|e) ∝ Π_{nn in V} T · Π_{e–v at distance 2} T², read off the dofs'
// coordinates: P(g·v | g·e) = P(v|e) for every symmetry g and every v, e.
func TestRegionsSymmetriesChain(t *testing.T) {
	const q, K, L = 3, 1.3, 12
	l, _ := lattice.NewChain(L)
	g := l.Geometry()
	r, err := NewRegions(g, []int{2}, &RegionOptions{Buffer: 1, Env: 1})
	if err != nil {
		t.Fatal(err)
	}
	s3, _ := StatePermutations(q)
	syms, err := r.Symmetries(s3)
	if err != nil {
		t.Fatal(err)
	}
	if id := fmt.Sprint(full(syms[0].V, 2), full(syms[0].E, 2), full(syms[0].States, q)); len(syms) != 2*6 || id != "[0 1] [0 1] [0 1 2]" {
		t.Fatalf("%d symmetries, first %v: want 12, the identity first", len(syms), syms[0])
	}
	vd, ed := r.V(0), r.E(0)
	x := func(d int32) int { return g.Coord(int(d), nil)[0] }
	dist := func(a, b int32) int { d := (x(a) - x(b) + L) % L; return min(d, L-d) }
	T := func(a, b int8, n int) float64 { // n bonds between a and b
		same := math.Exp(K)
		tn := [2]float64{1, same} // n = 1
		if n == 2 {
			tn = [2]float64{2*same + float64(q-2), same*same + float64(q-1)}
		}
		if a == b {
			return tn[1]
		}
		return tn[0]
	}
	weight := func(v, e []int8) float64 {
		w := 1.0
		if dist(vd[0], vd[1]) == 1 {
			w *= T(v[0], v[1], 1)
		}
		for k := range ed {
			for i := range vd {
				if dist(ed[k], vd[i]) == 2 {
					w *= T(e[k], v[i], 2)
				}
			}
		}
		return w
	}
	cond := func(v, e []int8) float64 {
		var z float64
		for s := 0; s < q*q; s++ {
			z += weight([]int8{int8(s % q), int8(s / q)}, e)
		}
		return weight(v, e) / z
	}
	image := func(sym PairSymmetry, v, e []int8) ([]int8, []int8) {
		gv, ge := make([]int8, len(v)), make([]int8, len(e))
		for i, a := range v {
			gv[permAt(sym.V, i)] = int8(permAt(sym.States, int(a)))
		}
		for i, a := range e {
			ge[permAt(sym.E, i)] = int8(permAt(sym.States, int(a)))
		}
		return gv, ge
	}
	for k, sym := range syms {
		for s := 0; s < q*q*q*q; s++ {
			v, e := []int8{int8(s % q), int8(s / q % q)}, []int8{int8(s / 9 % q), int8(s / 27)}
			gv, ge := image(sym, v, e)
			if a, b := cond(v, e), cond(gv, ge); math.Abs(a-b) > 1e-14 {
				t.Fatalf("symmetry %d %v: P(v=%v|e=%v) = %v, P(%v|%v) = %v", k, sym, v, e, a, gv, ge, b)
			}
		}
	}
}

// TestRegionsSymmetriesSquare: the 2×2 block's symmetries with S_3 form a
// group of 8·6 distinct elements, identity first.
func TestRegionsSymmetriesSquare(t *testing.T) {
	l, _ := lattice.NewSquare(8)
	r, _, err := evenBlocks(l.Geometry())
	if err != nil {
		t.Fatal(err)
	}
	syms := pottsSymmetries(t, r)
	key := func(s PairSymmetry) string {
		return fmt.Sprint(full(s.V, 4), full(s.E, r.NE()), full(s.States, 3))
	}
	set := map[string]bool{}
	for _, s := range syms {
		set[key(s)] = true
	}
	if len(syms) != 48 || len(set) != 48 || key(syms[0]) != key(PairSymmetry{}) {
		t.Fatalf("%d symmetries, %d distinct; first %v", len(syms), len(set), syms[0])
	}
	compose := func(a, b []int, n int) []int { // first b, then a
		c := make([]int, n)
		for i := range c {
			c[i] = permAt(a, permAt(b, i))
		}
		return c
	}
	for _, a := range syms {
		for _, b := range syms {
			ab := PairSymmetry{V: compose(a.V, b.V, 4), E: compose(a.E, b.E, r.NE()), States: compose(a.States, b.States, 3)}
			if !set[key(ab)] {
				t.Fatalf("%v ∘ %v is not in the group", a, b)
			}
		}
	}
	if _, err := r.Symmetries([][]int{{0, 0, 1}}); err == nil || !strings.Contains(err.Error(), "state permutation 0") {
		t.Errorf("a state map that is not a permutation: error %v", err)
	}
}

// full returns g written out over n elements (nil: the identity).
func full(g []int, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = permAt(g, i)
	}
	return out
}

// TestExactVSymmetriesChain: ExactV trained with the chain's symmetries as
// data augmentation still agrees with the exact chain within 0.005 bit, and
// symmetries that do not fit the pairs are refused.
func TestExactVSymmetriesChain(t *testing.T) {
	const q, K = 3, 2.0
	pr := pottsChainPairs(q, K, 100000, rand.NewPCG(1, 9))
	exact := pottsChainExact(t, q, K, pr)
	s3, _ := StatePermutations(q)
	var syms []PairSymmetry
	for _, v := range [][]int{nil, {1, 0}} { // V = (x₂, x₃), E = (x₀, x₅): reflection swaps both
		for _, s := range s3 {
			syms = append(syms, PairSymmetry{V: v, E: v, States: s})
		}
	}
	ev, err := NewExactV(context.Background(), pr, rand.NewPCG(2, 3), &ExactVOptions{Symmetries: syms})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]Rule{"I(V:E)": nil, "plurality": Plurality{Values: pottsStates(q)}, "soft plurality": softPlurality(2, q, 1.5)} {
		a, b := exact.VisibleMI(), ev.VisibleMI()
		if r != nil {
			a, _ = exact.RuleMI(r)
			b, _ = ev.RuleMI(r)
		}
		t.Logf("%s: exact %.4f, ExactV with symmetries %.4f (%+.4f)", name, a, b, b-a)
		if math.Abs(a-b) > 0.005 {
			t.Errorf("%s: ExactV with symmetries %.4f bit, exact %.4f", name, b, a)
		}
	}
	_, err = NewExactV(context.Background(), pr, rand.NewPCG(2, 3), &ExactVOptions{Symmetries: []PairSymmetry{{V: []int{0, 1, 2}}}})
	if err == nil || !strings.Contains(err.Error(), "symmetry 0: block permutation") {
		t.Errorf("a permutation of 3 block dofs for |V| = 2: error %v", err)
	}
}

// pottsSymmetries returns r's symmetries of the 3-state Potts model: the
// block's point group times S_3.
func pottsSymmetries(t testing.TB, r *Regions) []PairSymmetry {
	t.Helper()
	s3, _ := StatePermutations(3)
	syms, err := r.Symmetries(s3)
	if err != nil {
		t.Fatal(err)
	}
	return syms
}
