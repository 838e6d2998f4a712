package lattice

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// fullSets returns every operator of EvenOperators(dim, ·) and
// OddOperators(dim, ·).
func fullSets(t testing.TB, dim int) []Operator {
	var all []Operator
	for _, set := range []func(int, int) ([]Operator, error){EvenOperators, OddOperators} {
		lo, hi := 1, 1024 // the set has at least lo and fewer than hi operators
		for hi-lo > 1 {
			if mid := (lo + hi) / 2; func() bool { _, err := set(dim, mid); return err == nil }() {
				lo = mid
			} else {
				hi = mid
			}
		}
		ops, err := set(dim, lo)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ops...)
	}
	return all
}

// TestPackedEvaluatorBruteForce checks PackedEvaluator and Evaluator.Values
// against Operator.Value (a loop over sites) for every operator of the even
// and odd sets valid on the lattice, in one to three dimensions, with rows
// shorter than, equal to and longer than a 64-bit word, odd and even.
func TestPackedEvaluatorBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	sets := map[int][]Operator{}
	for _, ext := range [][]int{
		{5}, {7}, {63}, {64}, {65}, {130}, {200},
		{7, 9}, {8, 8}, {64, 5}, {65, 4}, {130, 3}, {128, 3},
		{5, 6, 7}, {4, 4, 4}, {64, 3, 4}, {67, 3, 3},
	} {
		l, err := NewLattice(ext...)
		if err != nil {
			t.Fatal(err)
		}
		if sets[len(ext)] == nil {
			sets[len(ext)] = fullSets(t, len(ext))
		}
		var ops []Operator
		for _, op := range sets[len(ext)] {
			if op.Validate(l) == nil {
				ops = append(ops, op)
			}
		}
		pe, err := NewPackedEvaluator(l, ops...)
		if err != nil {
			t.Fatal(err)
		}
		few := ops[:min(len(ops), 16)] // the site tables of all of them are large
		ev, err := NewEvaluator(l, few...)
		if err != nil {
			t.Fatal(err)
		}
		w := pe.NewWork()
		var vals []int64
		for trial := 0; trial < 3; trial++ {
			s := randomConfig(l.N(), r)
			if trial == 2 { // all up except one spin
				for i := range s {
					s[i] = 1
				}
				s[l.N()/3] = -1
			}
			var ok bool
			vals, ok = pe.Values(vals, s, w)
			if !ok {
				t.Fatalf("%v: ±1 configuration rejected", ext)
			}
			fast := ev.Values(nil, s)
			for k, op := range ops {
				want := op.Value(l, s)
				if float64(vals[k]) != want || (k < len(few) && fast[k] != want) {
					t.Errorf("%v %s: packed %d, loop over sites %v", ext, op.Name, vals[k], want)
				}
			}
		}
		t.Logf("%v: %d operators", ext, len(ops))
	}
}

// TestPackedPackBits checks the packing convention (bit 1 for spin −1, x
// fastest, W = ⌈Lx/64⌉ words per row, zero padding) and the rejection of
// values other than ±1, which Evaluator.Values then handles on its generic
// path.
func TestPackedPackBits(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	l, _ := NewLattice(70, 3)
	pe, err := NewPackedEvaluator(l, NearestNeighbor(2), Field(2))
	if err != nil {
		t.Fatal(err)
	}
	if pe.Words() != 6 || pe.Len() != 2 || pe.Lattice() != l {
		t.Fatalf("Words %d Len %d", pe.Words(), pe.Len())
	}
	w := pe.NewWork()
	s := randomConfig(l.N(), r)
	if !pe.Pack(w, s) {
		t.Fatal("rejected")
	}
	b := w.Bits()
	for row := 0; row < 3; row++ {
		for x := 0; x < 128; x++ {
			bit := b[row*2+x/64] >> (x % 64) & 1
			want := uint64(0)
			if x < 70 && s[row*70+x] == -1 {
				want = 1
			}
			if bit != want {
				t.Fatalf("row %d x %d: bit %d, want %d", row, x, bit, want)
			}
		}
	}
	ev, _ := NewEvaluator(l, NearestNeighbor(2), Field(2))
	for _, bad := range []int8{0, 2, -2, 3, 127, -128, -127} {
		for _, at := range []int{0, 9, 69, 75} { // in a group of 8, in the tail, in row 1
			u := append([]int8(nil), s...)
			u[at] = bad
			if _, ok := pe.Values(nil, u, w); ok {
				t.Errorf("value %d at site %d accepted", bad, at)
			}
			got := ev.Values(nil, u)
			for k, op := range []Operator{NearestNeighbor(2), Field(2)} {
				if want := op.Value(l, u); got[k] != want {
					t.Errorf("value %d at %d: Evaluator %s = %v, loop %v", bad, at, op.Name, got[k], want)
				}
			}
		}
	}
}

// TestPackedAllocs checks that evaluating a configuration does not allocate.
func TestPackedAllocs(t *testing.T) {
	l, _ := NewSquare(64)
	even, _ := EvenOperators(2, 6)
	ops := append(even, OddOperators2D(t)...)
	pe, _ := NewPackedEvaluator(l, ops...)
	ev, _ := NewEvaluator(l, ops...)
	s := randomConfig(l.N(), rand.New(rand.NewPCG(1, 2)))
	w := pe.NewWork()
	dst := make([]int64, len(ops))
	fdst := make([]float64, len(ops))
	ev.Values(fdst, s) // warm the pool
	if a := testing.AllocsPerRun(20, func() { dst, _ = pe.Values(dst, s, w) }); a != 0 {
		t.Errorf("PackedEvaluator.Values: %v allocations", a)
	}
	if a := testing.AllocsPerRun(20, func() { fdst = ev.Values(fdst, s) }); a != 0 && !raceEnabled {
		t.Errorf("Evaluator.Values: %v allocations", a)
	}
}

func OddOperators2D(t testing.TB) []Operator {
	odd, err := OddOperators(2, 6)
	if err != nil {
		t.Fatal(err)
	}
	return odd
}

func TestPackedEvaluatorErrors(t *testing.T) {
	l, _ := NewLattice(4, 4)
	if _, err := NewPackedEvaluator(nil, Field(2)); err == nil {
		t.Error("nil lattice accepted")
	}
	if _, err := NewPackedEvaluator(l); err == nil {
		t.Error("no operators accepted")
	}
	op, _ := Pair(4, 0)
	if _, err := NewPackedEvaluator(l, op); err == nil {
		t.Error("pair wrapping onto itself accepted")
	}
	if _, err := NewPackedEvaluator(l, NearestNeighbor(3)); err == nil {
		t.Error("3D operator on a 2D lattice accepted")
	}
}

// benchOps returns the 2D benchmark set: 6 even and 6 odd operators.
func benchOps(b *testing.B, dim, ne, no int) []Operator {
	even, err := EvenOperators(dim, ne)
	if err != nil {
		b.Fatal(err)
	}
	odd, err := OddOperators(dim, no)
	if err != nil {
		b.Fatal(err)
	}
	return append(even, odd...)
}

// BenchmarkPackedValues measures PackedEvaluator.Values (packing included)
// against the site-table path of Evaluator on one configuration: 2D L = 64
// with 6 + 6 operators and 3D L = 32 with 8 + 5.
func BenchmarkPackedValues(b *testing.B) {
	for _, c := range []struct {
		name   string
		ext    []int
		ne, no int
	}{{"2D-L64", []int{64, 64}, 6, 6}, {"3D-L32", []int{32, 32, 32}, 8, 5}} {
		l, _ := NewLattice(c.ext...)
		ops := benchOps(b, len(c.ext), c.ne, c.no)
		s := randomConfig(l.N(), rand.New(rand.NewPCG(1, 2)))
		b.Run(c.name+"/packed", func(b *testing.B) {
			pe, _ := NewPackedEvaluator(l, ops...)
			w := pe.NewWork()
			dst := make([]int64, len(ops))
			b.ReportAllocs()
			for b.Loop() {
				dst, _ = pe.Values(dst, s, w)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(l.N()), "ns/site")
		})
		b.Run(c.name+"/sitetables", func(b *testing.B) {
			ev, _ := NewEvaluator(l, ops...)
			s := append([]int8(nil), s...)
			s[0] = 0 // not ±1: the generic path
			dst := make([]float64, len(ops))
			b.ReportAllocs()
			for b.Loop() {
				dst = ev.Values(dst, s)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(l.N()), "ns/site")
		})
	}
}

// TestOutside checks the index of the first value outside an alphabet,
// for ±1 spins (nil, NonSpin's fast path across its 8-value words) and
// for 3 states.
func TestOutside(t *testing.T) {
	spins := make([]int8, 21)
	for i := range spins {
		spins[i] = int8(1 - 2*(i%2))
	}
	three := []int8{0, 1, 2, 2, 1, 0, 2}
	for _, c := range []struct {
		s, states []int8
		want      int
	}{
		{spins, nil, -1},
		{append(slices.Clone(spins[:19]), 0, 1), nil, 19},
		{append(slices.Clone(spins[:9]), 3), nil, 9},
		{three, []int8{0, 1, 2}, -1},
		{append(slices.Clone(three), -1), []int8{0, 1, 2}, 7},
		{three, []int8{0, 2}, 1},
		{nil, []int8{0, 1}, -1},
	} {
		if got := Outside(c.s, c.states); got != c.want {
			t.Errorf("Outside(%v, %v) = %d, want %d", c.s, c.states, got, c.want)
		}
	}
}
