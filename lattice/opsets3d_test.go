package lattice

import (
	"math/rand/v2"
	"testing"
)

// brute3D returns the value of the named 3D operator by an explicit loop
// over sites, every orientation written out by hand.
func brute3D(name string, b box, s []int8) (float64, bool) {
	type v3 = [3]int
	e := func(a, k int) v3 { var d v3; d[a] = k; return d }
	add := func(u, w v3) v3 { return v3{u[0] + w[0], u[1] + w[1], u[2] + w[2]} }
	neg := func(u v3) v3 { return v3{-u[0], -u[1], -u[2]} }
	planes := [][2]int{{0, 1}, {0, 2}, {1, 2}}
	faceDiags := []v3{{1, 1, 0}, {1, -1, 0}, {1, 0, 1}, {1, 0, -1}, {0, 1, 1}, {0, 1, -1}}
	sum := 0
	for i := 0; i < b.n(); i++ {
		c := b.coords(i)
		at := func(d v3) int { return b.at(s, c, d[0], d[1], d[2]) }
		prod := func(ds ...v3) int {
			p := 1
			for _, d := range ds {
				p *= at(d)
			}
			return p
		}
		o := v3{}
		s0 := at(o)
		switch name {
		case "nn":
			sum += s0 * (at(e(0, 1)) + at(e(1, 1)) + at(e(2, 1)))
		case "nnn":
			for _, d := range faceDiags {
				sum += s0 * at(d)
			}
		case "plaquette":
			for _, p := range planes {
				sum += prod(o, e(p[0], 1), e(p[1], 1), add(e(p[0], 1), e(p[1], 1)))
			}
		case "pair(1,1,1)":
			sum += s0 * (at(v3{1, 1, 1}) + at(v3{1, 1, -1}) + at(v3{1, -1, 1}) + at(v3{1, -1, -1}))
		case "pair(2,0,0)":
			sum += s0 * (at(e(0, 2)) + at(e(1, 2)) + at(e(2, 2)))
		case "tetra":
			sum += prod(o, v3{1, 1, 0}, v3{1, 0, 1}, v3{0, 1, 1}) + prod(v3{1, 0, 0}, v3{0, 1, 0}, v3{0, 0, 1}, v3{1, 1, 1})
		case "cube":
			sum += prod(o, v3{1, 0, 0}, v3{0, 1, 0}, v3{1, 1, 0}, v3{0, 0, 1}, v3{1, 0, 1}, v3{0, 1, 1}, v3{1, 1, 1})
		case "field":
			sum += s0
		case "L3":
			for _, p := range planes {
				for _, sa := range []int{1, -1} {
					for _, sb := range []int{1, -1} {
						sum += prod(o, e(p[0], sa), e(p[1], sb))
					}
				}
			}
		case "line3":
			for a := 0; a < 3; a++ {
				sum += prod(e(a, -1), o, e(a, 1))
			}
		case "star7":
			sum += prod(o, e(0, 1), e(0, -1), e(1, 1), e(1, -1), e(2, 1), e(2, -1))
		case "tri3": // the three neighbours of each corner of the cube at c
			for k := 0; k < 8; k++ {
				corner := v3{k & 1, k >> 1 & 1, k >> 2 & 1}
				p := 1
				for a := 0; a < 3; a++ {
					d := corner
					d[a] ^= 1
					p *= at(d)
				}
				sum += p
			}
		case "diag3":
			for _, d := range faceDiags {
				sum += prod(neg(d), o, d)
			}
		case "cross5":
			for _, p := range planes {
				sum += prod(o, e(p[0], 1), e(p[0], -1), e(p[1], 1), e(p[1], -1))
			}
		case "line5":
			for a := 0; a < 3; a++ {
				sum += prod(o, e(a, 1), e(a, 2), e(a, 3), e(a, 4))
			}
		default:
			return 0, false
		}
	}
	return float64(sum), true
}

// TestOperatorSets3DBruteForce checks the names, orientation counts and
// values of the 3D operator sets against explicit loops over sites
// (brutePair for the longer pairs), on random configurations of two boxes.
func TestOperatorSets3DBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	even, err := EvenOperators(3, 10)
	if err != nil {
		t.Fatal(err)
	}
	odd, err := OddOperators(3, 8)
	if err != nil {
		t.Fatal(err)
	}
	wantEven := []string{"nn", "nnn", "plaquette", "pair(1,1,1)", "pair(2,0,0)", "tetra", "cube", "pair(2,1,0)", "pair(2,1,1)", "pair(2,2,0)"}
	wantOdd := []string{"field", "L3", "line3", "star7", "tri3", "diag3", "cross5", "line5"}
	wantPats := map[string]int{"nn": 3, "nnn": 6, "plaquette": 3, "pair(1,1,1)": 4, "pair(2,0,0)": 3, "tetra": 2, "cube": 1,
		"pair(2,1,0)": 12, "pair(2,1,1)": 12, "pair(2,2,0)": 6,
		"field": 1, "L3": 12, "line3": 3, "star7": 1, "tri3": 8, "diag3": 6, "cross5": 3, "line5": 3}
	checkSetNames(t, even, wantEven, true)
	checkSetNames(t, odd, wantOdd, false)
	for _, ext := range []box{{9, 10, 11}, {11, 9, 10}} {
		l, _ := NewLattice(ext...)
		for trial := 0; trial < 3; trial++ {
			s := randomConfig(l.N(), r)
			for _, op := range append(append([]Operator(nil), even...), odd...) {
				if got := len(op.Patterns); got != wantPats[op.Name] {
					t.Errorf("%s has %d patterns, want %d", op.Name, got, wantPats[op.Name])
				}
				want, ok := brute3D(op.Name, ext, s)
				if !ok {
					want = brutePair(ext, s, canonicalDisplacement(op.Patterns[0][1]))
				}
				if got := op.Value(l, s); got != want {
					t.Errorf("%v %s = %v, brute force %v", ext, op.Name, got, want)
				}
			}
		}
	}
}

// TestOperatorSets3DCubeSymmetry checks that every operator of the 3D sets
// valid on a 6×6×6 torus is invariant under the 48 rotations and
// reflections of the cube: O(s∘g) = O(s) for s random.
func TestOperatorSets3DCubeSymmetry(t *testing.T) {
	const L = 6
	l, _ := NewCubic(L)
	var ops []Operator
	for _, op := range fullSets(t, 3) {
		if op.Validate(l) == nil {
			ops = append(ops, op)
		}
	}
	// A control that must fail: one orientation of an L in the xy plane,
	// invariant under the identity only.
	oneL := Operator{Name: "oneL", Patterns: [][][]int{{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}}}
	ops = append(ops, oneL)
	broken := 0
	pe, err := NewPackedEvaluator(l, ops...)
	if err != nil {
		t.Fatal(err)
	}
	w := pe.NewWork()
	r := rand.New(rand.NewPCG(17, 18))
	s := randomConfig(l.N(), r)
	want, _ := pe.Values(nil, s, w)
	want = append([]int64(nil), want...)
	g := make([]int8, l.N())
	perms := [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	elements := 0
	for _, p := range perms {
		for signs := 0; signs < 8; signs++ {
			for i := range g {
				c := l.Coords(i, nil)
				var img [3]int
				for a := 0; a < 3; a++ {
					img[a] = c[p[a]]
					if signs>>a&1 == 1 {
						img[a] = -img[a]
					}
				}
				g[i] = s[l.Index(img[:]...)]
			}
			got, _ := pe.Values(nil, g, w)
			for k, op := range ops {
				if op.Name == "oneL" {
					if got[k] != want[k] {
						broken++
					}
					continue
				}
				if got[k] != want[k] {
					t.Errorf("%s not invariant under permutation %v, signs %03b: %d vs %d", op.Name, p, signs, got[k], want[k])
				}
			}
			elements++
		}
	}
	if elements != 48 || broken < 30 {
		t.Fatalf("%d group elements; the one-orientation control changed under %d", elements, broken)
	}
	t.Logf("%d operators invariant under the 48 elements; the one-orientation control changed under %d", len(ops)-1, broken)
}
