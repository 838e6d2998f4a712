package lattice

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rsmi-go/rsmi/internal/size/sizetest"
)

// allocated returns the bytes allocated by f.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestConstructionMemory checks that lattices, grid geometries and
// translation-invariant models cost no per-site tables: a 2048×2048 lattice
// with a four-term model allocates well under a byte per site (it used to
// take about 3 kB per site).
func TestConstructionMemory(t *testing.T) {
	const L = 2048
	var m *Ising
	got := allocated(func() {
		l, err := NewSquare(L)
		if err != nil {
			t.Fatal(err)
		}
		m, err = NewIsing(l, fourTerms(2)...)
		if err != nil {
			t.Fatal(err)
		}
	})
	if limit := uint64(L * L / 4); got > limit {
		t.Errorf("NewSquare(%d) + NewIsing with 4 terms allocated %d bytes, want ≤ %d (N/4)", L, got, limit)
	}
	if got := allocated(func() { _, _ = GridGeometry(1<<15, 1<<15) }); got > 1024 {
		t.Errorf("GridGeometry(2^15, 2^15) allocated %d bytes", got)
	}
	// a sparse geometry in a large box is indexed by a map, not a grid
	var sparse *Geometry
	if got := allocated(func() {
		var err error
		if sparse, err = NewGeometry([]int{1 << 13, 1 << 13}, [][]int{{1, 2}, {5, 7}}); err != nil {
			t.Fatal(err)
		}
	}); got > 1<<16 {
		t.Errorf("NewGeometry with 2 dofs in a 2^26-cell box allocated %d bytes", got)
	}
	if sparse.At(1, 2) != 0 || sparse.At(5+1<<13, 7) != 1 || sparse.At(0, 0) != -1 || sparse.IsGrid() {
		t.Errorf("sparse geometry: At(1,2)=%d At(5+L,7)=%d At(0,0)=%d IsGrid=%v", sparse.At(1, 2), sparse.At(5+1<<13, 7), sparse.At(0, 0), sparse.IsGrid())
	}
	runtime.KeepAlive(m)
}

// TestSizeBudget checks that sizes beyond 2^30 sites or cells, or whose
// product overflows int, are refused with an error naming the extents.
func TestSizeBudget(t *testing.T) {
	huge := sizetest.Huge
	for _, c := range []struct {
		name string
		err  func() error
		ext  string
	}{
		{"lattice overflow", func() error { _, err := NewLattice(huge, huge, huge); return err }, "[4611686018427387904 4611686018427387904 4611686018427387904]"},
		{"lattice budget", func() error { _, err := NewLattice(1<<15, 1<<15, 2); return err }, "[32768 32768 2]"},
		{"square budget", func() error { _, err := NewSquare(1 << 16); return err }, "[65536 65536]"},
		{"grid overflow", func() error { _, err := GridGeometry(huge, 8); return err }, "[4611686018427387904 8]"},
		{"geometry budget", func() error { _, err := NewGeometry([]int{1 << 16, 1 << 15}, [][]int{{0, 0}}); return err }, "[65536 32768]"},
	} {
		err := c.err()
		if err == nil || !strings.Contains(err.Error(), c.ext) || !strings.HasPrefix(err.Error(), "lattice: ") {
			t.Errorf("%s: error %v, want one naming %s", c.name, err, c.ext)
		}
	}
	if _, err := NewLattice(1<<15, 1<<15); err != nil {
		t.Errorf("2^30 sites refused: %v", err)
	}
}

// TestValidateAliasing checks the minimum-image rule: a pattern may span at
// most half the extent along every axis, and every consumer enforces it.
func TestValidateAliasing(t *testing.T) {
	l16, _ := NewSquare(16)
	far, _ := Pair(20, 0)
	if _, err := NewIsing(l16, Term{far, 1}); err == nil || !strings.Contains(err.Error(), `"pair(20,0)"`) || !strings.Contains(err.Error(), "extent 16") {
		t.Errorf("NewIsing with pair(20,0) on L=16: error %v, want one naming the operator and the extent", err)
	}
	if _, err := NewEvaluator(l16, NearestNeighbor(2), far); err == nil || !strings.Contains(err.Error(), `"pair(20,0)"`) {
		t.Errorf("NewEvaluator with pair(20,0) on L=16: error %v", err)
	}
	half, _ := Pair(8, 0)
	if _, err := NewIsing(l16, Term{half, 1}); err != nil {
		t.Errorf("pair(8,0) on L=16 (exactly half the extent) refused: %v", err)
	}
	over, _ := Pair(9, 3)
	if err := over.Validate(l16); err == nil {
		t.Error("pair(9,3) on L=16 accepted")
	}
	odd, _ := OddOperators(2, 6)
	line5 := odd[5]
	l6, _ := NewSquare(6)
	l8, _ := NewSquare(8)
	if line5.Validate(l6) == nil || line5.Validate(l8) != nil {
		t.Errorf("line5 (span 4): on 6×6 %v, on 8×8 %v; want an error on 6×6 only", line5.Validate(l6), line5.Validate(l8))
	}
	// displacements at the ends of int: no overflow, no panic
	ext := Operator{Name: "extreme", Patterns: [][][]int{{{math.MaxInt, 0}, {math.MinInt, 0}}}}
	if err := ext.Validate(l16); err == nil {
		t.Error("pattern spanning all of int accepted")
	}
	// a far translation of a short pattern is the same operator
	shifted := Operator{Name: "shifted", Patterns: [][][]int{{{sizetest.Huge, -5}, {sizetest.Huge + 1, -5}}, {{-7, sizetest.Huge / 2}, {-7, sizetest.Huge/2 + 1}}}}
	a, err := NewIsing(l16, Term{shifted, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewIsing(l16, Term{NearestNeighbor(2), 0.5})
	x := randomConfig(l16.N(), rand.New(rand.NewPCG(1, 1)))
	if a.Energy(x) != b.Energy(x) || a.Range() != 1 {
		t.Errorf("shifted nearest neighbours: energy %v, want %v; range %d", a.Energy(x), b.Energy(x), a.Range())
	}
	for i := range x {
		if math.Abs(a.LocalField(x, i)-b.LocalField(x, i)) > 1e-12 {
			t.Fatalf("shifted nearest neighbours: local field at %d = %v, want %v", i, a.LocalField(x, i), b.LocalField(x, i))
		}
	}
}

// TestIsingRangePairwise checks that Range is the largest distance between
// any two spins of a pattern, not from its first displacement.
func TestIsingRangePairwise(t *testing.T) {
	l, _ := NewSquare(16)
	for _, c := range []struct {
		p    [][]int
		want int
	}{
		{[][]int{{0, 0}, {1, -1}, {1, 1}}, 2},
		{[][]int{{5, 0}, {6, 0}}, 1},
		{[][]int{{-3, 2}, {4, 2}}, 7},
	} {
		m, err := NewIsing(l, Term{Operator{Name: "v", Patterns: [][][]int{c.p}}, 1})
		if err != nil {
			t.Fatal(err)
		}
		if m.Range() != c.want {
			t.Errorf("pattern %v: Range %d, want %d", c.p, m.Range(), c.want)
		}
	}
}

// TestNamedOperators checks the directly built standard operators against
// the point-group orbits of Symmetrized (as sets of patterns) and pins their
// pattern order, on which the order of bonds and of local-field sums rests.
func TestNamedOperators(t *testing.T) {
	keys := func(o Operator) []string {
		var k []string
		for _, p := range o.Patterns {
			k = append(k, canonKey(normalize(p)))
		}
		slices.Sort(k)
		return k
	}
	for dim := 1; dim <= 5; dim++ {
		o := make([]int, dim)
		x, y := unit(dim, 0, 1), make([]int, dim)
		type check struct {
			got  Operator
			want [][]int
		}
		checks := []check{{NearestNeighbor(dim), [][]int{o, x}}, {Field(dim), [][]int{o}}}
		if dim == 1 {
			checks = append(checks, check{NextNearest(1), [][]int{{0}, {2}}})
		} else {
			y = unit(dim, 1, 1)
			xy := unit(dim, 0, 1)
			xy[1] = 1
			checks = append(checks, check{NextNearest(dim), [][]int{o, xy}}, check{Plaquette(dim), [][]int{o, x, y, xy}})
		}
		for _, c := range checks {
			sym, err := Symmetrized(c.got.Name, c.want...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(keys(c.got), keys(sym)) {
				t.Errorf("%dD %s: patterns %v, point-group orbit %v", dim, c.got.Name, c.got.Patterns, sym.Patterns)
			}
		}
	}
	pin := map[string]string{
		"nn2":   "[[[0 0] [1 0]] [[0 0] [0 1]]]",
		"nnn2":  "[[[0 0] [1 1]] [[0 0] [1 -1]]]",
		"plaq3": "[[[0 0 0] [0 1 0] [1 0 0] [1 1 0]] [[0 0 0] [0 0 1] [1 0 0] [1 0 1]] [[0 0 0] [0 0 1] [0 1 0] [0 1 1]]]",
		"nnn3":  "[[[0 0 0] [1 1 0]] [[0 0 0] [1 -1 0]] [[0 0 0] [1 0 1]] [[0 0 0] [1 0 -1]] [[0 0 0] [0 1 1]] [[0 0 0] [0 1 -1]]]",
	}
	for name, op := range map[string]Operator{"nn2": NearestNeighbor(2), "nnn2": NextNearest(2), "plaq3": Plaquette(3), "nnn3": NextNearest(3)} {
		if got := fmt.Sprint(op.Patterns); got != pin[name] {
			t.Errorf("%s patterns %s, want %s", name, got, pin[name])
		}
	}
	// dimensions outside the domain give empty operators, rejected by Validate
	sq, _ := NewSquare(4)
	for _, op := range []Operator{NearestNeighbor(-1), NearestNeighbor(0), NextNearest(math.MinInt), Field(maxDim + 1),
		Plaquette(1), Plaquette(math.MaxInt), NearestNeighbor(sizetest.Big)} {
		if op.Patterns != nil || op.Name == "" {
			t.Errorf("operator %q outside its domain has patterns %v", op.Name, op.Patterns)
		}
		if _, err := NewIsing(sq, Term{op, 1}); err == nil || !strings.Contains(err.Error(), op.Name) {
			t.Errorf("NewIsing with an empty %q: error %v", op.Name, err)
		}
	}
	// the largest dimension is built without enumerating its point group
	if n := len(NextNearest(maxDim).Patterns); n != maxDim*(maxDim-1) {
		t.Errorf("NextNearest(%d) has %d patterns", maxDim, n)
	}
}

// TestNeighborTableShared checks that the lazily built neighbour table is
// built once and shared between goroutines (run with -race).
func TestNeighborTableShared(t *testing.T) {
	l, _ := NewCubic(4)
	tables := make([][]int32, 4)
	var wg sync.WaitGroup
	for g := range tables {
		wg.Go(func() { tables[g] = l.NeighborTable() })
	}
	wg.Wait()
	for g := range tables {
		if &tables[g][0] != &tables[0][0] || len(tables[g]) != 6*l.N() {
			t.Fatalf("goroutine %d got another table", g)
		}
	}
}

// TestGeometryForms checks that full grids are stored compactly however they
// are built and compare equal, and that other geometries keep their
// coordinates.
func TestGeometryForms(t *testing.T) {
	l, _ := NewLattice(3, 4)
	grid, _ := GridGeometry(3, 4)
	coords := l.Geometry().Coords()
	built, err := NewGeometry([]int{3, 4}, coords)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []*Geometry{l.Geometry(), grid, built} {
		if !g.IsGrid() || !g.Equal(l.Geometry()) || g.NumDOF() != 12 {
			t.Errorf("grid geometry %+v: IsGrid %v, equal %v", g, g.IsGrid(), g.Equal(l.Geometry()))
		}
	}
	slices.Reverse(coords)
	rev, _ := NewGeometry([]int{3, 4}, coords)
	if rev.IsGrid() || rev.Equal(grid) || grid.Equal(rev) {
		t.Error("reversed dofs taken for the grid")
	}
	for i, c := range coords {
		if got := rev.Coord(i, nil); !slices.Equal(got, c) || rev.At(c...) != i {
			t.Fatalf("reversed dof %d at %v, want %v", i, got, c)
		}
	}
	kinds := make([]int, 12)
	kinds[5] = 1
	k1, _ := grid.WithKinds(kinds)
	if k1.Equal(grid) || !k1.IsGrid() || k1.Kind(5) != 1 {
		t.Error("kinds ignored")
	}
}

// TestLocalFieldNoAlloc checks that LocalField and DeltaE do not allocate,
// in the interior and at the boundary, and neither does Energy.
func TestLocalFieldNoAlloc(t *testing.T) {
	l, _ := NewSquare(8)
	m, _ := NewIsing(l, fourTerms(2)...)
	x := randomConfig(l.N(), rand.New(rand.NewPCG(2, 3)))
	for _, i := range []int{0, 7, 27, 63} {
		if n := testing.AllocsPerRun(20, func() { sink = m.LocalField(x, i) + m.DeltaE(x, i, -x[i]) }); n != 0 {
			t.Errorf("site %d: %v allocations", i, n)
		}
	}
	if n := testing.AllocsPerRun(5, func() { sink = m.Energy(x) }); n != 0 {
		t.Errorf("Energy: %v allocations", n)
	}
}

// TestSetBits checks the word-wise bit-range fill of the interior mask.
func TestSetBits(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	for range 500 {
		from := r.IntN(300)
		to := from + r.IntN(300-from+1)
		got := make([]uint64, 5)
		setBits(got, from, to)
		want := make([]uint64, 5)
		for i := from; i < to; i++ {
			want[i>>6] |= 1 << (i & 63)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("setBits [%d, %d): %x, want %x", from, to, got, want)
		}
	}
}

// nearestNeighborJFromBonds is the detection samplers used to run on the
// bond list: every coupled pair a nearest-neighbour pair with K = c·J, c the
// number of times j is among i's neighbours, and all N·Dim bonds present.
func nearestNeighborJFromBonds(m *Ising) (J float64, ok bool) {
	bonds, ok := m.PairCouplings()
	if !ok || len(bonds) == 0 {
		return 0, false
	}
	l := m.Lattice()
	total := 0
	for k, b := range bonds {
		c := 0
		for _, j := range l.Neighbors(int(b.I)) {
			if j == b.J {
				c++
			}
		}
		if c == 0 {
			return 0, false
		}
		if k == 0 {
			J = b.K / float64(c)
		}
		if b.K != J*float64(c) {
			return 0, false
		}
		total += c
	}
	return J, total == l.N()*l.Dim()
}

// TestNearestNeighborJ checks the pattern-level detection of the
// nearest-neighbour model against the bond-level one.
func TestNearestNeighborJ(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 7))
	xb := Operator{Name: "x", Patterns: [][][]int{{{0, 0}, {1, 0}}}}
	yb := Operator{Name: "y", Patterns: [][][]int{{{3, 5}, {3, 4}}}}
	cases := func(d int) [][]Term {
		c := [][]Term{
			{{NearestNeighbor(d), 0.7}},
			{{NearestNeighbor(d), -1.3}},
			{{NearestNeighbor(d), 0.35}, {NearestNeighbor(d), 0.35}},
			{{NearestNeighbor(d), 0.1}, {NearestNeighbor(d), 0.2}},
			{{NearestNeighbor(d), 1}, {NextNearest(d), 0.5}},
			{{NearestNeighbor(d), 1}, {Field(d), 0.5}},
			{{NextNearest(d), 1}},
		}
		if d == 2 {
			c = append(c, []Term{{xb, 1}, {yb, 1}}, []Term{{xb, 1}, {yb, 2}}, []Term{{xb, 1}}, []Term{{xb, 1}, {xb, 1}})
		}
		return c
	}
	for _, ext := range [][]int{{2}, {3}, {7}, {2, 2}, {2, 5}, {4, 4}, {5, 3}, {2, 3, 4}, {4, 4, 4}} {
		l, _ := NewLattice(ext...)
		all := cases(len(ext))
		for range 5 {
			all = append(all, randomTerms(l, true, r))
		}
		for _, terms := range all {
			m, err := NewIsing(l, terms...)
			if err != nil {
				continue
			}
			J, ok := m.NearestNeighborJ()
			wantJ, wantOK := nearestNeighborJFromBonds(m)
			if ok != wantOK || ok && math.Float64bits(J) != math.Float64bits(wantJ) {
				t.Errorf("%v %v: NearestNeighborJ = %v, %v; from the bonds %v, %v", ext, terms, J, ok, wantJ, wantOK)
			}
		}
	}
}
