package lattice

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestLatticeNeighbors(t *testing.T) {
	for _, ext := range [][]int{{5}, {4, 3}, {3, 4, 5}, {2, 2}} {
		l, err := NewLattice(ext...)
		if err != nil {
			t.Fatal(err)
		}
		c := make([]int, len(ext))
		for i := 0; i < l.N(); i++ {
			c = l.Coords(i, c)
			if l.Index(c...) != i {
				t.Fatalf("%v: Index(Coords(%d)) = %d", ext, i, l.Index(c...))
			}
			nb := l.Neighbors(i)
			for a := range ext {
				want := make([]int, len(ext))
				copy(want, c)
				want[a] = (c[a] + 1) % ext[a]
				if got := int(nb[2*a]); got != l.Index(want...) {
					t.Fatalf("%v site %d +axis %d: %d, want %d", ext, i, a, got, l.Index(want...))
				}
				want[a] = (c[a] - 1 + ext[a]) % ext[a]
				if got := int(nb[2*a+1]); got != l.Index(want...) {
					t.Fatalf("%v site %d −axis %d: %d, want %d", ext, i, a, got, l.Index(want...))
				}
			}
			d := make([]int, len(ext))
			d[0] = -7
			want := append([]int(nil), c...)
			want[0] = ((c[0]-7)%ext[0] + ext[0]) % ext[0]
			if l.Shift(i, d) != l.Index(want...) {
				t.Fatalf("%v: Shift wrong", ext)
			}
		}
		g := l.Geometry()
		if g.NumDOF() != l.N() || g.Dim() != len(ext) {
			t.Fatalf("%v: geometry %d dofs in %d dims", ext, g.NumDOF(), g.Dim())
		}
		for i := 0; i < l.N(); i++ {
			c = l.Coords(i, c)
			if g.At(c...) != i {
				t.Fatalf("%v: geometry At(%v) = %d, want %d", ext, c, g.At(c...), i)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"no extents", func() error { _, err := NewLattice(); return err }, "no extents"},
		{"extent 1", func() error { _, err := NewSquare(1); return err }, "smaller than 2"},
		{"extent 0", func() error { _, err := NewChain(0); return err }, "smaller than 2"},
		{"negative", func() error { _, err := NewCubic(-3); return err }, "smaller than 2"},
		{"huge", func() error { _, err := NewLattice(1<<16, 1<<16); return err }, "too many"},
		{"geometry overlap", func() error { _, err := NewGeometry([]int{2}, [][]int{{0}, {0}}); return err }, "share"},
		{"geometry outside", func() error { _, err := NewGeometry([]int{2}, [][]int{{2}}); return err }, "outside"},
		{"geometry dims", func() error { _, err := NewGeometry([]int{2, 2}, [][]int{{1}}); return err }, "coordinates"},
		{"geometry empty", func() error { _, err := NewGeometry([]int{2}, nil); return err }, "no degrees"},
		{"nil lattice", func() error { _, err := NewIsing(nil, Term{Op: Field(1), J: 1}); return err }, "needs a lattice"},
		{"no terms", func() error { l, _ := NewChain(4); _, err := NewIsing(l); return err }, "at least one"},
		{"NaN J", func() error { l, _ := NewChain(4); _, err := NewNearestNeighborIsing(l, math.NaN()); return err }, "non-finite"},
		{"Inf J", func() error { l, _ := NewChain(4); _, err := NewNearestNeighborIsing(l, math.Inf(1)); return err }, "non-finite"},
		{"wrong dim", func() error {
			l, _ := NewChain(4)
			_, err := NewIsing(l, Term{Op: NearestNeighbor(2), J: 1})
			return err
		}, "dimension"},
		{"wraps", func() error {
			l, _ := NewSquare(2)
			op, _ := Symmetrized("far", []int{0, 0}, []int{2, 0})
			_, err := NewIsing(l, Term{Op: op, J: 1})
			return err
		}, "wraps onto itself"},
		{"empty op", func() error {
			l, _ := NewChain(4)
			_, err := NewIsing(l, Term{Op: Operator{Name: "x"}, J: 1})
			return err
		}, "no patterns"},
		{"repeat", func() error { _, err := Symmetrized("r", []int{0}, []int{0}); return err }, "repeats"},
		{"unknown op", func() error { _, err := ParseOperator("quartic", 2); return err }, "unknown operator"},
	} {
		err := tc.err()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// bruteEnergy evaluates −Σ J_α Σ_x Π s by explicit loops over coordinates,
// independently of the instance tables.
func bruteEnergy(l *Lattice, terms []Term, s []int8) float64 {
	var e float64
	c := make([]int, l.Dim())
	for _, term := range terms {
		for _, p := range term.Op.Patterns {
			for x := 0; x < l.N(); x++ {
				c = l.Coords(x, c)
				prod := 1.0
				for _, d := range p {
					y := make([]int, len(c))
					for a := range c {
						y[a] = c[a] + d[a]
					}
					prod *= float64(s[l.Index(y...)])
				}
				e -= term.J * prod
			}
		}
	}
	return e
}

func TestSymmetrizedCounts(t *testing.T) {
	for _, tc := range []struct {
		op   Operator
		want int
	}{
		{NearestNeighbor(1), 1}, {NearestNeighbor(2), 2}, {NearestNeighbor(3), 3},
		{NextNearest(2), 2}, {NextNearest(3), 6}, {Plaquette(2), 1}, {Plaquette(3), 3},
		{Field(2), 1},
	} {
		if got := len(tc.op.Patterns); got != tc.want {
			t.Errorf("%s in %d dims: %d patterns, want %d", tc.op.Name, tc.op.Dim(), got, tc.want)
		}
	}
	// an L-shaped triple has 4 orientations on the square lattice
	op, err := Symmetrized("L3", []int{0, 0}, []int{1, 0}, []int{0, 1})
	if err != nil || len(op.Patterns) != 4 || op.Even() {
		t.Errorf("L-triple: %d patterns, even=%v, err=%v", len(op.Patterns), op.Even(), err)
	}
}

func TestIsingEnergyAndDeltaE(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		ext   []int
		terms func(d int) []Term
	}{
		{[]int{6}, func(d int) []Term {
			return []Term{{NearestNeighbor(d), 0.7}, {NextNearest(d), -0.3}, {Field(d), 0.2}}
		}},
		{[]int{4, 4}, func(d int) []Term {
			return []Term{{NearestNeighbor(d), 1}, {NextNearest(d), 0.5}, {Plaquette(d), -0.25}, {Field(d), 0.1}}
		}},
		{[]int{3, 5}, func(d int) []Term { return []Term{{NearestNeighbor(d), 1}} }},
		{[]int{3, 3, 4}, func(d int) []Term { return []Term{{NearestNeighbor(d), 1}, {Plaquette(d), 0.3}} }},
	}
	for _, tc := range cases {
		l, _ := NewLattice(tc.ext...)
		terms := tc.terms(l.Dim())
		m, err := NewIsing(l, terms...)
		if err != nil {
			t.Fatal(err)
		}
		s := make([]int8, l.N())
		for trial := 0; trial < 20; trial++ {
			for i := range s {
				s[i] = int8(2*rng.IntN(2) - 1)
			}
			e := m.Energy(s)
			if want := bruteEnergy(l, terms, s); math.Abs(e-want) > 1e-9 {
				t.Fatalf("%v: Energy %v, brute force %v", tc.ext, e, want)
			}
			i := rng.IntN(l.N())
			de := m.DeltaE(s, i, -s[i])
			s[i] = -s[i]
			if e2 := m.Energy(s); math.Abs(e2-e-de) > 1e-9 {
				t.Fatalf("%v: DeltaE %v, energy difference %v", tc.ext, de, e2-e)
			}
			if m.DeltaE(s, i, s[i]) != 0 {
				t.Fatal("DeltaE to the same value is not 0")
			}
		}
	}
}

func TestIsingGroundStateAndRange(t *testing.T) {
	l, _ := NewSquare(4)
	m, _ := NewNearestNeighborIsing(l, 1)
	up := make([]int8, 16)
	for i := range up {
		up[i] = 1
	}
	if e := m.Energy(up); e != -32 { // 2 bonds per site
		t.Errorf("ground state energy %v, want −32", e)
	}
	if m.Range() != 1 {
		t.Errorf("nn range %d", m.Range())
	}
	m2, _ := NewIsing(l, Term{NextNearest(2), 1})
	if m2.Range() != 1 {
		t.Errorf("diagonal range %d, want 1 (per axis)", m2.Range())
	}
	far, _ := Symmetrized("far", []int{0, 0}, []int{2, 1})
	l6, _ := NewSquare(6)
	m3, _ := NewIsing(l6, Term{far, 1})
	if m3.Range() != 2 {
		t.Errorf("(2,1) range %d, want 2", m3.Range())
	}
	bonds, ok := m.PairCouplings()
	if !ok || len(bonds) != 32 {
		t.Errorf("PairCouplings: %d bonds ok=%v, want 32", len(bonds), ok)
	}
	// on L=2 the two bonds between a pair are merged into one of strength 2J
	l2, _ := NewSquare(2)
	m4, _ := NewNearestNeighborIsing(l2, 1)
	bonds, _ = m4.PairCouplings()
	if len(bonds) != 4 || bonds[0].K != 2 {
		t.Errorf("L=2 bonds %+v", bonds)
	}
	mf, _ := NewIsing(l, Term{Field(2), 1})
	if _, ok := mf.PairCouplings(); ok {
		t.Error("field reported as pair coupling")
	}
}

func TestOperatorValue(t *testing.T) {
	l, _ := NewSquare(4)
	s := make([]int8, 16)
	for i := range s {
		s[i] = 1
	}
	s[5] = -1
	// nn: 32 bonds, 4 of them broken → 24; plaquette: 16 plaquettes, 4 contain site 5 → 8.
	if v := NearestNeighbor(2).Value(l, s); v != 24 {
		t.Errorf("nn value %v, want 24", v)
	}
	if v := Plaquette(2).Value(l, s); v != 8 {
		t.Errorf("plaquette value %v, want 8", v)
	}
	if v := Field(2).Value(l, s); v != 14 {
		t.Errorf("field value %v, want 14", v)
	}
}
