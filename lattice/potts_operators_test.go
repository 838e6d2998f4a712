package lattice

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// brutePotts2D returns the value of the named 2D Potts operator by an
// explicit loop over sites, every orientation written out by hand; φ(σ) is
// 2cos(2πσ/3) for q = 3 and q·δ(σ, 0) − 1 otherwise.
func brutePotts2D(name string, q int, b box, s []int8) (int64, bool) {
	phi := func(a int) int64 {
		if q == 3 {
			return int64(math.Round(2 * math.Cos(2*math.Pi*float64(a)/3)))
		}
		if a == 0 {
			return int64(q - 1)
		}
		return -1
	}
	odd := strings.HasPrefix(name, "φ")
	cluster := name
	switch {
	case name == "φ":
		cluster = "one"
	case odd:
		cluster = strings.TrimPrefix(name, "φ")
	}
	shapes := map[string][][][2]int{
		"one":        {{{0, 0}}},
		"δnn":        {{{0, 0}, {1, 0}}, {{0, 0}, {0, 1}}},
		"δnnn":       {{{0, 0}, {1, 1}}, {{0, 0}, {1, -1}}},
		"δplaquette": {{{0, 0}, {1, 0}, {0, 1}, {1, 1}}},
		"δpair(2,0)": {{{0, 0}, {2, 0}}, {{0, 0}, {0, 2}}},
		"δL3":        {{{1, 0}, {0, 1}, {1, 1}}, {{0, 0}, {0, 1}, {1, 1}}, {{0, 0}, {1, 0}, {1, 1}}, {{0, 0}, {1, 0}, {0, 1}}},
		"δpair(2,1)": {{{0, 0}, {2, 1}}, {{0, 0}, {2, -1}}, {{0, 0}, {1, 2}}, {{0, 0}, {1, -2}}},
		"δpair(2,2)": {{{0, 0}, {2, 2}}, {{0, 0}, {2, -2}}},
		"δpair(3,0)": {{{0, 0}, {3, 0}}, {{0, 0}, {0, 3}}},
	}
	pats, ok := shapes[cluster]
	if !ok {
		return 0, false
	}
	var sum int64
	for i := 0; i < b.n(); i++ {
		c := b.coords(i)
		for _, p := range pats {
			a := b.at(s, c, p[0][0], p[0][1])
			eq := true
			for _, d := range p[1:] {
				eq = eq && b.at(s, c, d[0], d[1]) == a
			}
			if eq {
				if odd {
					sum += phi(a)
				} else {
					sum++
				}
			}
		}
	}
	return sum, true
}

// TestPottsOperatorsBruteForce checks every 2D Potts operator, through
// PottsValue and PottsEvaluator, against the hand-written sums on random
// configurations of several lattices (one and two words per row), and the
// 1D and 3D sets' evaluator against PottsValue.
func TestPottsOperatorsBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	even, _ := PottsEvenOperators(2, 8)
	odd, _ := PottsOddOperators(2, 6)
	for _, ext := range [][]int{{6, 6}, {8, 7}, {70, 6}, {128, 8}} {
		l, err := NewLattice(ext...)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []int{2, 3, 4} {
			ev, err := NewPottsEvaluator(l, q, even, odd)
			if err != nil {
				t.Fatal(err)
			}
			w := ev.NewWork()
			for trial := 0; trial < 3; trial++ {
				s := randomPotts(r, l.N(), q)
				if trial == 2 { // mostly one state: large clusters
					for i := range s {
						if r.IntN(5) > 0 {
							s[i] = 1
						}
					}
				}
				vals, ok := ev.Values(nil, s, w)
				if !ok {
					t.Fatal("Values refused a valid configuration")
				}
				for k, op := range append(append([]Operator(nil), even...), odd...) {
					want, known := brutePotts2D(op.Name, q, box(ext), s)
					if !known {
						t.Fatalf("no brute force for %q", op.Name)
					}
					got, err := op.PottsValue(l, q, k >= len(even), s)
					if err != nil || got != want || vals[k] != want {
						t.Errorf("%v q=%d %s: PottsValue %d (%v), evaluator %d, brute force %d", ext, q, op.Name, got, err, vals[k], want)
					}
				}
			}
		}
	}
	for _, dim := range []int{1, 3} {
		ext := []int{16, 16, 16}[:dim]
		if dim == 3 {
			ext = []int{6, 4, 4}
		}
		l, _ := NewLattice(ext...)
		ne, _ := PottsEvenOperators(dim, 6)
		no, _ := PottsOddOperators(dim, 4)
		ev, err := NewPottsEvaluator(l, 3, ne, no)
		if err != nil {
			t.Fatal(err)
		}
		s := randomPotts(r, l.N(), 3)
		vals, _ := ev.Values(nil, s, ev.NewWork())
		for k, op := range append(ne, no...) {
			if want, _ := op.PottsValue(l, 3, k >= len(ne), s); vals[k] != want {
				t.Errorf("%dD %s: evaluator %d, PottsValue %d", dim, op.Name, vals[k], want)
			}
		}
	}
}

// TestPottsOperatorSymmetry checks the sectors: even operators are
// invariant under a permutation of the states; the odd ones, summed over
// the q cyclic relabellings, vanish (φ has no invariant part); for q = 2
// "φ" is the Ising magnetization of s = 1 − 2σ and δnn = (bonds + Σ s s')/2.
func TestPottsOperatorSymmetry(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	l, _ := NewSquare(8)
	even, _ := PottsEvenOperators(2, 8)
	odd, _ := PottsOddOperators(2, 6)
	for _, q := range []int{2, 3, 4} {
		ev, _ := NewPottsEvaluator(l, q, even, odd)
		w := ev.NewWork()
		s := randomPotts(r, l.N(), q)
		base, _ := ev.Values(nil, s, w)
		base = append([]int64(nil), base...)
		perm := r.Perm(q)
		ps := make([]int8, len(s))
		sum := make([]int64, len(odd))
		for c := 0; c < q; c++ {
			for i, v := range s {
				ps[i] = int8(perm[(int(v)+c)%q])
			}
			vals, _ := ev.Values(nil, ps, w)
			for k := range even {
				if vals[k] != base[k] {
					t.Errorf("q=%d %s changes under a permutation of the states: %d → %d", q, even[k].Name, base[k], vals[k])
				}
			}
			for k := range odd {
				sum[k] += vals[len(even)+k]
			}
		}
		for k, v := range sum {
			if v != 0 {
				t.Errorf("q=%d %s summed over the cyclic relabellings = %d, want 0", q, odd[k].Name, v)
			}
		}
		if q == 2 {
			spins := make([]int8, len(s))
			for i, v := range s {
				spins[i] = 1 - 2*v
			}
			m := Field(2).Value(l, spins)
			nn := NearestNeighbor(2).Value(l, spins)
			if float64(base[len(even)]) != m || float64(base[0]) != (float64(2*l.N())+nn)/2 {
				t.Errorf("q=2: φ = %d, δnn = %d; Ising m = %v, nn = %v", base[len(even)], base[0], m, nn)
			}
		}
	}
}

// TestPottsOperatorsBadInput checks the errors of the Potts operator
// paths.
func TestPottsOperatorsBadInput(t *testing.T) {
	l, _ := NewSquare(4)
	op := NearestNeighbor(2)
	for _, c := range []struct {
		q int
		s []int8
	}{{1, make([]int8, 16)}, {3, make([]int8, 15)}, {3, append(make([]int8, 15), 3)}, {3, append(make([]int8, 15), -1)}} {
		if _, err := op.PottsValue(l, c.q, false, c.s); err == nil {
			t.Errorf("PottsValue q=%d on %d values %v: no error", c.q, len(c.s), c.s[len(c.s)-1:])
		}
	}
	if _, err := NewPottsEvaluator(l, 200, []Operator{op}, nil); err == nil {
		t.Error("NewPottsEvaluator q=200: no error")
	}
	if _, err := NewPottsEvaluator(l, 3, nil, nil); err == nil {
		t.Error("NewPottsEvaluator without operators: no error")
	}
	if _, err := PottsEvenOperators(4, 1); err == nil {
		t.Error("PottsEvenOperators(4, 1): no error")
	}
	if _, err := PottsOddOperators(2, 7); err == nil {
		t.Error("PottsOddOperators(2, 7): no error")
	}
	ev, _ := NewPottsEvaluator(l, 3, []Operator{op}, nil)
	if _, ok := ev.Values(nil, append(make([]int8, 15), 5), ev.NewWork()); ok {
		t.Error("Values accepted the value 5 for q = 3")
	}
}
