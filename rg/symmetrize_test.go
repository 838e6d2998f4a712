package rg

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
)

// TestPointGroup checks the order of the hypercubic point group (2^d·d!),
// that every element is a permutation of the block's offsets preserving
// distances between offsets, that the elements are distinct and that they
// form a group (closed under composition, identity first).
func TestPointGroup(t *testing.T) {
	for _, tc := range []struct{ b, dim, order int }{
		{2, 1, 2}, {3, 1, 2}, {2, 2, 8}, {3, 2, 8}, {4, 2, 8}, {2, 3, 48}, {3, 3, 48},
	} {
		G, err := PointGroup(tc.b, tc.dim)
		if err != nil {
			t.Fatal(err)
		}
		if len(G) != tc.order {
			t.Errorf("b=%d dim=%d: %d elements, want %d", tc.b, tc.dim, len(G), tc.order)
			continue
		}
		nv := len(G[0])
		coords := func(i int) []int {
			c := make([]int, tc.dim)
			blockCoords(i, nil, c, tc.b)
			return c
		}
		dist := func(i, j int) int {
			ci, cj := coords(i), coords(j)
			s := 0
			for a := range ci {
				s += (ci[a] - cj[a]) * (ci[a] - cj[a])
			}
			return s
		}
		seen := map[string]bool{}
		key := func(g []int) string { return string(intsAsRunes(g)) }
		for k, g := range G {
			if k == 0 {
				for i, gi := range g {
					if gi != i {
						t.Fatalf("b=%d dim=%d: element 0 is not the identity: %v", tc.b, tc.dim, g)
					}
				}
			}
			s := slices.Clone(g)
			slices.Sort(s)
			for i := range s {
				if s[i] != i {
					t.Fatalf("b=%d dim=%d: element %d = %v is not a permutation", tc.b, tc.dim, k, g)
				}
			}
			for i := 0; i < nv; i++ {
				for j := 0; j < nv; j++ {
					if dist(g[i], g[j]) != dist(i, j) {
						t.Fatalf("b=%d dim=%d: element %d does not preserve the distance of offsets %d, %d", tc.b, tc.dim, k, i, j)
					}
				}
			}
			seen[key(g)] = true
		}
		if len(seen) != len(G) {
			t.Errorf("b=%d dim=%d: %d distinct elements of %d", tc.b, tc.dim, len(seen), len(G))
		}
		comp := make([]int, nv)
		for _, g := range G {
			for _, h := range G {
				for i := range comp {
					comp[i] = g[h[i]]
				}
				if !seen[key(comp)] {
					t.Fatalf("b=%d dim=%d: composition %v is not in the group", tc.b, tc.dim, comp)
				}
			}
		}
	}
	if _, err := PointGroup(0, 2); err == nil {
		t.Error("b = 0 accepted")
	}
	if _, err := PointGroup(2, 4); err == nil {
		t.Error("dim = 4 accepted")
	}
}

func intsAsRunes(g []int) []rune {
	r := make([]rune, len(g))
	for i, x := range g {
		r[i] = rune(x + 1)
	}
	return r
}

// blockState returns the block state numbered s (bit i = dof i up).
func blockState(s, nv int) []int8 {
	v := make([]int8, nv)
	for i := range v {
		v[i] = int8(2*(s>>i&1) - 1)
	}
	return v
}

// TestSymmetrizedFilterRuleInvariant checks exactly, by enumerating every
// block state, that the group-averaged conditional is normalized and
// invariant under the point group, P_sym(h|V∘g) = P_sym(h|V), for generic
// (asymmetric) filters whose own conditional is not invariant.
func TestSymmetrizedFilterRuleInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []struct{ b, dim, nh int }{{2, 2, 1}, {2, 2, 2}, {3, 2, 1}, {2, 3, 1}, {3, 1, 2}} {
		G, _ := PointGroup(tc.b, tc.dim)
		nv := len(G[0])
		f, err := rsmi.NewFilter(tc.nh, nv, rand.NewPCG(uint64(nv), uint64(tc.nh)))
		if err != nil {
			t.Fatal(err)
		}
		f.Bias = make([]float64, tc.nh)
		for j := range f.Bias {
			f.Bias[j] = 0.3 * (r.Float64() - 0.5)
		}
		for _, stochastic := range []bool{false, true} {
			rule, err := NewSymmetrizedFilterRule(f, tc.b, tc.dim, stochastic)
			if err != nil {
				t.Fatal(err)
			}
			if rule.Images() != len(G) || rule.Outputs() != tc.nh || rule.Check(nv) != nil || rule.Check(nv+1) == nil {
				t.Fatalf("b=%d dim=%d: images %d, outputs %d", tc.b, tc.dim, rule.Images(), rule.Outputs())
			}
			moved, broken := make([]int8, nv), false
			for s := 0; s < 1<<nv; s++ {
				v := blockState(s, nv)
				var total float64
				for hs := 0; hs < 1<<tc.nh; hs++ {
					h := blockState(hs, tc.nh)
					p := rule.Prob(v, h)
					total += p
					for _, g := range G {
						for i := range moved {
							moved[i] = v[g[i]]
						}
						if q := rule.Prob(moved, h); math.Abs(q-p) > 1e-12 {
							t.Fatalf("b=%d dim=%d stochastic=%v: P(h=%v|V=%v) = %v but %v for the image %v", tc.b, tc.dim, stochastic, h, v, p, q, moved)
						}
						if stochastic && math.Abs(f.Prob(moved, h)-f.Prob(v, h)) > 1e-6 {
							broken = true
						}
					}
				}
				if math.Abs(total-1) > 1e-12 {
					t.Fatalf("b=%d dim=%d: Σ_h P(h|V=%v) = %v", tc.b, tc.dim, v, total)
				}
			}
			if stochastic && !broken {
				t.Errorf("b=%d dim=%d: the raw filter is already invariant; the test cannot discriminate", tc.b, tc.dim)
			}
		}
	}
}

// TestSymmetrizedSharpFilterIsMajority checks the exact statement of the
// godoc: a sharp 2×2 filter with unequal positive weights is majority rule
// with a fixed tie-break, and its point-group average is majority rule with
// a fair coin (P = 1/2 on every tied block, 0 or 1 elsewhere).
func TestSymmetrizedSharpFilterIsMajority(t *testing.T) {
	f := &rsmi.Filter{NH: 1, NV: 4, W: []float64{6.5, 5, 4.5, 3.5}}
	rule, err := NewSymmetrizedFilterRule(f, 2, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	h := []int8{1}
	fixed := 0
	for s := 0; s < 16; s++ {
		v := blockState(s, 4)
		sum := 0
		for _, x := range v {
			sum += int(x)
		}
		want := 0.5
		if sum > 0 {
			want = 1
		} else if sum < 0 {
			want = 0
		} else if f.Field(v, 0) != 0 {
			fixed++
		}
		if got := rule.Prob(v, h); got != want {
			t.Errorf("V = %v (sum %d): P_sym(h=+1) = %v, want %v", v, sum, got, want)
		}
	}
	if fixed != 6 {
		t.Errorf("raw filter breaks %d of the 6 ties by its weights, want all 6", fixed)
	}
}

// TestSymmetrizedFilterRuleApply checks that Coarsen with the rule draws h
// with the probabilities Prob: for every block state the frequency of
// h = +1 over many random blocks is within 4 binomial standard errors of
// P_sym(h=+1|V).
func TestSymmetrizedFilterRuleApply(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	lat, _ := lattice.NewSquare(8)
	ds := randomDataset(t, lat, 3000, r)
	f := &rsmi.Filter{NH: 1, NV: 4, W: []float64{1.0, 0.2, -0.4, 0.1}}
	for _, stochastic := range []bool{false, true} {
		rule, err := NewSymmetrizedFilterRule(f, 2, 2, stochastic)
		if err != nil {
			t.Fatal(err)
		}
		bl, err := NewBlocking(lat, 2, rule)
		if err != nil {
			t.Fatal(err)
		}
		c, err := bl.Dataset(ds, rand.NewPCG(5, 6))
		if err != nil {
			t.Fatal(err)
		}
		var up, n [16]float64
		nb := lat.N() / 4
		for i := 0; i < ds.N; i++ {
			for B := 0; B < nb; B++ {
				s := 0
				for o, site := range bl.BlockSites(B) {
					if ds.Row(i)[site] > 0 {
						s |= 1 << o
					}
				}
				n[s]++
				if c.Row(i)[B] > 0 {
					up[s]++
				}
			}
		}
		nontrivial := 0
		for s := 0; s < 16; s++ {
			p := rule.Prob(blockState(s, 4), []int8{1})
			if p > 0 && p < 1 {
				nontrivial++
			}
			se := math.Sqrt(p * (1 - p) / n[s])
			if got := up[s] / n[s]; math.Abs(got-p) > 4*se {
				t.Errorf("stochastic=%v V=%v: frequency of h=+1 %.4f over %v blocks, want %.4f ± %.4f", stochastic, blockState(s, 4), got, n[s], p, se)
			}
		}
		if nontrivial < 8 {
			t.Errorf("stochastic=%v: only %d block states with 0 < P < 1", stochastic, nontrivial)
		}
	}
}

func TestSymmetrizedFilterRuleErrors(t *testing.T) {
	f := &rsmi.Filter{NH: 1, NV: 4, W: []float64{1, 1, 1, 1}}
	if _, err := NewSymmetrizedFilterRule(nil, 2, 2, false); err == nil {
		t.Error("nil filter accepted")
	}
	if _, err := NewSymmetrizedFilterRule(f, 3, 2, false); err == nil {
		t.Error("NV = 4 on 3×3 blocks accepted")
	}
	if _, err := NewSymmetrizedFilterRule(f, 2, 0, false); err == nil {
		t.Error("dim = 0 accepted")
	}
	bad := &rsmi.Filter{NH: 1, NV: 4, W: []float64{1, math.NaN(), 1, 1}}
	if _, err := NewSymmetrizedFilterRule(bad, 2, 2, false); err == nil {
		t.Error("NaN weight accepted")
	}
	lat, _ := lattice.NewSquare(6)
	rule, _ := NewSymmetrizedFilterRule(f, 2, 2, false)
	if _, err := NewBlocking(lat, 3, rule); err == nil {
		t.Error("blocking of side 3 accepted for a 2×2 filter")
	}
}

func BenchmarkCoarsenSymmetrizedFilter(b *testing.B) {
	lat, _ := lattice.NewSquare(64)
	ds := randomDataset(b, lat, 256, rand.New(rand.NewPCG(1, 2)))
	f := &rsmi.Filter{NH: 1, NV: 4, W: []float64{1.2, 1.9, 1.8, 2.3}}
	rule, err := NewSymmetrizedFilterRule(f, 2, 2, false)
	if err != nil {
		b.Fatal(err)
	}
	src := rand.NewPCG(1, 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Coarsen(ds, lat, 2, rule, src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(ds.N*lat.N()), "ns/spin")
}
