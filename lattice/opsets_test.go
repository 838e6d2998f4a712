package lattice

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// box is an independent periodic indexer for brute-force sums (x fastest).
type box []int

func (b box) n() int {
	n := 1
	for _, e := range b {
		n *= e
	}
	return n
}

func (b box) coords(i int) []int {
	c := make([]int, len(b))
	for a, e := range b {
		c[a] = i % e
		i /= e
	}
	return c
}

// at returns the spin at c + d with periodic wrap.
func (b box) at(s []int8, c []int, d ...int) int {
	i, str := 0, 1
	for a, e := range b {
		x := ((c[a]+d[a])%e + e) % e
		i += x * str
		str *= e
	}
	return int(s[i])
}

func randomConfig(n int, r *rand.Rand) []int8 {
	s := make([]int8, n)
	for i := range s {
		s[i] = int8(2*r.IntN(2) - 1)
	}
	return s
}

// brute2D returns the value of the named 2D operator by an explicit loop
// over sites, written out by hand for every orientation.
func brute2D(name string, b box, s []int8) (float64, bool) {
	sum := 0
	for i := 0; i < b.n(); i++ {
		c := b.coords(i)
		at := func(dx, dy int) int { return b.at(s, c, dx, dy) }
		s0 := at(0, 0)
		switch name {
		case "nn":
			sum += s0 * (at(1, 0) + at(0, 1))
		case "nnn":
			sum += s0 * (at(1, 1) + at(1, -1))
		case "plaquette":
			sum += s0 * at(1, 0) * at(0, 1) * at(1, 1)
		case "pair(2,0)":
			sum += s0 * (at(2, 0) + at(0, 2))
		case "pair(2,1)":
			sum += s0 * (at(2, 1) + at(2, -1) + at(1, 2) + at(-1, 2))
		case "pair(2,2)":
			sum += s0 * (at(2, 2) + at(2, -2))
		case "pair(3,0)":
			sum += s0 * (at(3, 0) + at(0, 3))
		case "field":
			sum += s0
		case "L3":
			sum += s0 * (at(1, 0)*at(0, 1) + at(-1, 0)*at(0, 1) + at(1, 0)*at(0, -1) + at(-1, 0)*at(0, -1))
		case "line3":
			sum += s0 * (at(-1, 0)*at(1, 0) + at(0, -1)*at(0, 1))
		case "cross5":
			sum += s0 * at(1, 0) * at(-1, 0) * at(0, 1) * at(0, -1)
		case "diag3":
			sum += s0 * (at(-1, -1)*at(1, 1) + at(-1, 1)*at(1, -1))
		case "line5":
			sum += s0 * (at(1, 0)*at(2, 0)*at(3, 0)*at(4, 0) + at(0, 1)*at(0, 2)*at(0, 3)*at(0, 4))
		default:
			return 0, false
		}
	}
	return float64(sum), true
}

// checkSetNames checks the names of an operator set and that every operator
// is even (or odd) under the global spin flip.
func checkSetNames(t *testing.T, ops []Operator, want []string, even bool) {
	t.Helper()
	for k, op := range ops {
		if op.Name != want[k] || op.Even() != even {
			t.Errorf("operator %d = %q (even %v), want %q (even %v)", k, op.Name, op.Even(), want[k], even)
		}
	}
}

func TestOperatorSets2DBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	even, err := EvenOperators(2, 7)
	if err != nil {
		t.Fatal(err)
	}
	odd, err := OddOperators(2, 6)
	if err != nil {
		t.Fatal(err)
	}
	wantEven := []string{"nn", "nnn", "plaquette", "pair(2,0)", "pair(2,1)", "pair(2,2)", "pair(3,0)"}
	wantOdd := []string{"field", "L3", "line3", "cross5", "diag3", "line5"}
	// number of distinct patterns (orientations) of each operator
	wantPats := map[string]int{"nn": 2, "nnn": 2, "plaquette": 1, "pair(2,0)": 2, "pair(2,1)": 4, "pair(2,2)": 2,
		"pair(3,0)": 2, "field": 1, "L3": 4, "line3": 2, "cross5": 1, "diag3": 2, "line5": 2}
	checkSetNames(t, even, wantEven, true)
	checkSetNames(t, odd, wantOdd, false)
	all := append(append([]Operator(nil), even...), odd...)
	// line5 spans 4 sites: extents of at least 8 (Operator.Validate)
	for _, ext := range [][]int{{8, 8}, {9, 11}} {
		l, err := NewLattice(ext...)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := NewEvaluator(l, all...)
		if err != nil {
			t.Fatal(err)
		}
		for trial := 0; trial < 5; trial++ {
			s := randomConfig(l.N(), r)
			vals := ev.Values(nil, s)
			for k, op := range all {
				if got := len(op.Patterns); got != wantPats[op.Name] {
					t.Errorf("%s has %d patterns, want %d", op.Name, got, wantPats[op.Name])
				}
				want, ok := brute2D(op.Name, box(ext), s)
				if !ok {
					t.Fatalf("no brute force for %q", op.Name)
				}
				if got := op.Value(l, s); got != want {
					t.Errorf("%v %s: Value = %v, brute force %v", ext, op.Name, got, want)
				}
				if vals[k] != want {
					t.Errorf("%v %s: Evaluator = %v, brute force %v", ext, op.Name, vals[k], want)
				}
			}
		}
	}
}

// brutePair sums s_x s_{x+v} over sites x and over one representative v of
// every pair {v, −v} of displacement vectors whose sorted absolute
// components equal canon: an independent enumeration of a pair operator.
func brutePair(b box, s []int8, canon []int) float64 {
	dim := len(b)
	var vs [][]int
	v := make([]int, dim)
	var rec func(a int)
	rec = func(a int) {
		if a == dim {
			if slices.Equal(canonicalDisplacement(v), canon) {
				// keep v if −v is not already there
				neg := make([]int, dim)
				for i := range v {
					neg[i] = -v[i]
				}
				for _, w := range vs {
					if slices.Equal(w, neg) {
						return
					}
				}
				vs = append(vs, append([]int(nil), v...))
			}
			return
		}
		for x := -maxPairComponent; x <= maxPairComponent; x++ {
			v[a] = x
			rec(a + 1)
		}
	}
	rec(0)
	sum := 0
	for i := 0; i < b.n(); i++ {
		c := b.coords(i)
		for _, w := range vs {
			sum += b.at(s, c, make([]int, dim)...) * b.at(s, c, w...)
		}
	}
	return float64(sum)
}

func TestPairOperatorsBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, ext := range [][]int{{19}, {9, 10}, {5, 6, 7}} {
		dim := len(ext)
		l, err := NewLattice(ext...)
		if err != nil {
			t.Fatal(err)
		}
		n := 10
		if dim == 1 {
			n = 8 // pairs (1) … (8)
		}
		ops, err := EvenOperators(dim, n)
		if err != nil {
			t.Fatal(err)
		}
		prevNorm := 0
		s := randomConfig(l.N(), r)
		for _, op := range ops {
			switch op.Name {
			case "plaquette", "tetra", "cube": // TestOperatorSets3DBruteForce
				continue
			}
			if op.Order() != 2 {
				t.Fatalf("%s has order %d", op.Name, op.Order())
			}
			d := op.Patterns[0][1]
			canon := canonicalDisplacement(d)
			norm := 0
			for _, x := range canon {
				norm += x * x
			}
			if norm < prevNorm {
				t.Errorf("%dD: %s out of distance order", dim, op.Name)
			}
			prevNorm = norm
			if op.Validate(l) != nil {
				continue
			}
			if got, want := op.Value(l, s), brutePair(box(ext), s, canon); got != want {
				t.Errorf("%dD %s: %v, brute force %v", dim, op.Name, got, want)
			}
		}
	}
	even3, _ := EvenOperators(3, 8)
	var names []string
	for _, op := range even3 {
		names = append(names, op.Name)
	}
	if want := []string{"nn", "nnn", "plaquette", "pair(1,1,1)", "pair(2,0,0)", "tetra", "cube", "pair(2,1,0)"}; !slices.Equal(names, want) {
		t.Errorf("3D even set %v, want %v", names, want)
	}
	even1, _ := EvenOperators(1, 4)
	names = names[:0]
	for _, op := range even1 {
		names = append(names, op.Name)
	}
	if want := []string{"nn", "nnn", "pair(3)", "pair(4)"}; !slices.Equal(names, want) {
		t.Errorf("1D even set %v, want %v", names, want)
	}
}

func TestOperatorSets3DAnd1DBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	// 3D: plaquette in three planes, L3 and cross5 in three planes.
	ext := box{4, 5, 6}
	l, _ := NewLattice(ext...)
	s := randomConfig(l.N(), r)
	odd, err := OddOperators(3, 6)
	if err != nil {
		t.Fatal(err)
	}
	var plaq, l3, cross, line3 int
	// planes (a, b) with a < b
	planes := [][2]int{{0, 1}, {0, 2}, {1, 2}}
	for i := 0; i < ext.n(); i++ {
		c := ext.coords(i)
		at := func(d ...int) int { return ext.at(s, c, d...) }
		e := func(a, k int) []int { v := make([]int, 3); v[a] = k; return v }
		add := func(u, v []int) []int { return []int{u[0] + v[0], u[1] + v[1], u[2] + v[2]} }
		s0 := at(0, 0, 0)
		for _, p := range planes {
			a, b := p[0], p[1]
			plaq += s0 * at(e(a, 1)...) * at(e(b, 1)...) * at(add(e(a, 1), e(b, 1))...)
			for _, sa := range []int{1, -1} {
				for _, sb := range []int{1, -1} {
					l3 += s0 * at(e(a, sa)...) * at(e(b, sb)...)
				}
			}
			cross += s0 * at(e(a, 1)...) * at(e(a, -1)...) * at(e(b, 1)...) * at(e(b, -1)...)
		}
		for a := 0; a < 3; a++ {
			line3 += s0 * at(e(a, 1)...) * at(e(a, -1)...)
		}
	}
	if got := Plaquette(3).Value(l, s); got != float64(plaq) {
		t.Errorf("3D plaquette %v, brute force %d", got, plaq)
	}
	want := map[string]int{"L3": l3, "cross5": cross, "line3": line3}
	for _, op := range odd {
		if w, ok := want[op.Name]; ok {
			if got := op.Value(l, s); got != float64(w) {
				t.Errorf("3D %s = %v, brute force %d", op.Name, got, w)
			}
		}
	}

	// 1D odd set.
	ext1 := box{13}
	l1, _ := NewLattice(13)
	s1 := randomConfig(13, r)
	odd1, err := OddOperators(1, 4)
	if err != nil {
		t.Fatal(err)
	}
	var f, ln3, gap3, ln5 int
	for i := 0; i < 13; i++ {
		c := []int{i}
		at := func(d int) int { return ext1.at(s1, c, d) }
		f += at(0)
		ln3 += at(0) * at(1) * at(2)
		gap3 += at(0)*at(1)*at(3) + at(0)*at(2)*at(3)
		ln5 += at(0) * at(1) * at(2) * at(3) * at(4)
	}
	want1 := []int{f, ln3, gap3, ln5}
	for k, op := range odd1 {
		if got := op.Value(l1, s1); got != float64(want1[k]) {
			t.Errorf("1D %s = %v, brute force %d", op.Name, got, want1[k])
		}
	}
}

func TestEvaluatorLocalFields(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	l, _ := NewLattice(8, 9) // line5 spans 4 sites
	even, _ := EvenOperators(2, 6)
	odd, _ := OddOperators(2, 6)
	ev, err := NewEvaluator(l, append(even, odd...)...)
	if err != nil {
		t.Fatal(err)
	}
	s := randomConfig(l.N(), r)
	for i := 0; i < l.N(); i++ {
		before := ev.Values(nil, s)
		f := ev.LocalFields(nil, s, i)
		s[i] = -s[i]
		after := ev.Values(nil, s)
		s[i] = -s[i]
		for k := range before {
			if d := after[k] - before[k]; d != -2*float64(s[i])*f[k] {
				t.Fatalf("site %d operator %d: flip changes O by %v, local field %v", i, k, d, f[k])
			}
		}
	}
}

func TestOperatorSetErrors(t *testing.T) {
	for _, c := range []struct{ dim, n int }{{0, 1}, {4, 1}, {2, -1}, {2, 1000}} {
		if _, err := EvenOperators(c.dim, c.n); err == nil {
			t.Errorf("EvenOperators(%d, %d): no error", c.dim, c.n)
		}
		if _, err := OddOperators(c.dim, c.n); err == nil {
			t.Errorf("OddOperators(%d, %d): no error", c.dim, c.n)
		}
	}
	if _, err := Pair(0, 0); err == nil {
		t.Error("Pair(0,0): no error")
	}
	l, _ := NewLattice(4, 4)
	op, _ := Pair(4, 0)
	if _, err := NewEvaluator(l, op); err == nil {
		t.Error("evaluator accepted a pair that wraps onto itself")
	}
	if _, err := NewEvaluator(l); err == nil {
		t.Error("evaluator accepted no operators")
	}
}

func BenchmarkEvaluatorValues(b *testing.B) {
	l, _ := NewSquare(32)
	even, _ := EvenOperators(2, 6)
	odd, _ := OddOperators(2, 4)
	ev, _ := NewEvaluator(l, append(even, odd...)...)
	s := randomConfig(l.N(), rand.New(rand.NewPCG(1, 2)))
	dst := make([]float64, ev.Len())
	b.ReportAllocs()
	for b.Loop() {
		dst = ev.Values(dst, s)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(l.N()), "ns/site")
}
