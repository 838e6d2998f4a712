package sample

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/rsmi-go/rsmi/lattice"
)

// Tests of MSC and of the packed lattice it shares with Multispin. The 2D
// exact checks (4×4 enumeration, Kaufman at 16×16 and 32×32) are in
// samplers_test.go with the other samplers; here: 3D lattices of 32 sites
// against the exact two-layer sum, the neighbour logic of the packed layout
// (deterministic, many shapes), workers and reproducibility.

// wht applies the unnormalized Walsh–Hadamard transform to f in place.
func wht(f []float64) {
	for h := 1; h < len(f); h *= 2 {
		for i := 0; i < len(f); i += 2 * h {
			for j := i; j < i+h; j++ {
				f[j], f[j+h] = f[j]+f[j+h], f[j]-f[j+h]
			}
		}
	}
}

// xorConv returns (f ⊛ g)(a) = Σ_b f(b) g(a⊕b), given G = wht(g).
func xorConv(f, G []float64) []float64 {
	c := slices.Clone(f)
	wht(c)
	for k := range c {
		c[k] *= G[k] / float64(len(c))
	}
	wht(c)
	return c
}

// exactTwoLayers returns the exact observables of the nearest-neighbour
// Ising model m (coupling J) on a lattice whose axis has extent 2, split into
// the layers a (coordinate 0) and b (coordinate 1) of n ≤ 16 sites each. The
// energy is E_a + E_b + E_ab with the layers' own bonds E_a, E_b and the
// doubled bonds between them, E_ab = −2J Σ_k a_k b_k = −2J(n − 2·|a⊕b|),
// so every sum over (a, b) is a sum over a of an XOR convolution over b,
// done with the Walsh–Hadamard transform in O(n 2ⁿ); magnetization moments
// split b by its magnetization.
func exactTwoLayers(t *testing.T, m *lattice.Ising, J, T float64, axis int) isingExact {
	t.Helper()
	l := m.Lattice()
	N := l.N()
	n := N / 2
	if l.Extents()[axis] != 2 || n > 16 {
		t.Fatalf("exactTwoLayers: extents %v, axis %d", l.Extents(), axis)
	}
	var la, lb []int
	c := make([]int, l.Dim())
	for i := range N {
		if l.Coords(i, c)[axis] == 0 {
			c[axis] = 1
			la, lb = append(la, i), append(lb, l.Index(c...))
		}
	}
	x := make([]int8, N)
	set := func(a, b int) []int8 {
		for k := range n {
			x[la[k]], x[lb[k]] = int8(a>>k&1)*2-1, int8(b>>k&1)*2-1
		}
		return x
	}
	S := 1 << n
	ea, eab, mag := make([]float64, S), make([]float64, S), make([]int, S)
	emin := math.Inf(1)
	for a := range S {
		eab[a] = -2 * J * float64(n-2*bits.OnesCount(uint(a)))
		ea[a] = (m.Energy(set(a, a)) - eab[0]) / 2
		mag[a] = 2*bits.OnesCount(uint(a)) - n
		emin = min(emin, ea[a])
	}
	r := rand.New(rand.NewPCG(1, 1))
	for range 100 { // the decomposition is exact
		a, b := r.IntN(S), r.IntN(S)
		if d := m.Energy(set(a, b)) - (ea[a] + ea[b] + eab[a^b]); math.Abs(d) > 1e-9 {
			t.Fatalf("two-layer decomposition off by %v", d)
		}
	}
	w, we := make([]float64, S), make([]float64, S)
	g, g1, g2 := make([]float64, S), make([]float64, S), make([]float64, S)
	for a := range S {
		w[a] = math.Exp(-(ea[a] - emin) / T)
		we[a] = w[a] * ea[a]
		g[a] = math.Exp(-(eab[a] - eab[0]) / T)
		g1[a], g2[a] = g[a]*eab[a], g[a]*eab[a]*eab[a]
	}
	wht(g)
	wht(g1)
	wht(g2)
	cw, cwe, cw1, cw2 := xorConv(w, g), xorConv(we, g), xorConv(w, g1), xorConv(w, g2)
	var z, se, se2 float64
	for a := range S {
		z += w[a] * cw[a]
		se += w[a] * (2*ea[a]*cw[a] + cw1[a])
		se2 += w[a] * (2*ea[a]*ea[a]*cw[a] + cw2[a] + 2*ea[a]*cwe[a] + 4*ea[a]*cw1[a])
	}
	var sm2, sam, sm4 float64
	for mb := -n; mb <= n; mb += 2 {
		wm := make([]float64, S)
		for b := range S {
			if mag[b] == mb {
				wm[b] = w[b]
			}
		}
		cm := xorConv(wm, g)
		for a := range S {
			M := float64(mag[a]+mb) / float64(N)
			wt := w[a] * cm[a]
			sm2 += wt * M * M
			sam += wt * math.Abs(M)
			sm4 += wt * M * M * M * M
		}
	}
	ex := isingExact{e: se / z / float64(N)}
	ex.c = (se2/z - (se/z)*(se/z)) / (float64(N) * T * T)
	ex.m2, ex.am = sm2/z, sam/z
	ex.u = 1 - sm4/z/(3*ex.m2*ex.m2)
	return ex
}

// TestExactTwoLayers checks the two-layer sum against enumeration.
func TestExactTwoLayers(t *testing.T) {
	for _, c := range []struct {
		ext  []int
		axis int
	}{{[]int{4, 2, 2}, 2}, {[]int{2, 4, 2}, 0}, {[]int{4, 2}, 1}, {[]int{2, 2, 4}, 1}} {
		m := isingModel(t, 0.7, c.ext...)
		got := exactTwoLayers(t, m, 0.7, 1.9, c.axis)
		want := exactFromEnergy(m.Lattice().N(), 1.9, m.Energy)
		for _, v := range [][2]float64{{got.e, want.e}, {got.c, want.c}, {got.m2, want.m2}, {got.am, want.am}, {got.u, want.u}} {
			if math.Abs(v[0]-v[1]) > 1e-9*math.Max(1, math.Abs(v[1])) {
				t.Errorf("%v: two-layer %+v, enumeration %+v", c.ext, got, want)
				break
			}
		}
	}
}

// TestMSC3D compares energy, specific heat, ⟨m²⟩, ⟨|m|⟩ and the Binder
// cumulant of MSC on cubic lattices of 32 sites, whose packed words hold
// blocks along two axes, with the exact two-layer sums at T = 3, 4.5
// (near T_c of the infinite lattice) and 6 (one temperature per lattice
// under -short, see shortSkip). (Lattices of 16 sites and fewer
// are checked against enumeration in TestIsingGeneralPaths.)
func TestMSC3D(t *testing.T) {
	cases := []struct {
		ext  []int
		axis int
	}{{[]int{4, 4, 2}, 2}, {[]int{4, 2, 4}, 1}, {[]int{2, 4, 4}, 0}}
	for ci, c := range cases {
		for ti, T := range []float64{3, 4.5, 6} {
			if shortSkip(ci, ti, 3) {
				continue
			}
			what := fmt.Sprintf("MSC %v T=%v", c.ext, T)
			m := isingModel(t, 1, c.ext...)
			ex := exactTwoLayers(t, m, 1, T, c.axis)
			s, err := NewMSC(m, T, rand.NewPCG(uint64(ci), uint64(ti)))
			if err != nil {
				t.Fatal(err)
			}
			checkAll(t, what, measureIsing(s, 1000, 40000, 1, m.Energy), T, ex)
		}
	}
}

// TestPackedNeighbours checks the neighbour logic of the packed layout
// exactly, on lattices whose words hold 1 to 64 blocks (MSC) or 64 replicas
// (Multispin). At T = 10⁻³ a half-sweep is deterministic except at ΔE = 0:
// every site of the updated parity with more than d of its 2d neighbours
// anti-aligned must flip, every one with fewer must not, and the other
// parity must not change. The neighbours are those of the lattice's table.
// It also checks the bond counting of both parities (packedLattice.antiBonds)
// against lattice.Ising.Energy.
func TestPackedNeighbours(t *testing.T) {
	shapes := [][]int{{4, 4}, {6, 6}, {12, 12}, {8, 4}, {2, 6}, {64, 64}, {256, 8}, {32, 16},
		{2, 2, 2}, {4, 4, 4}, {6, 4, 8}, {2, 4, 6}, {8, 8, 8}, {16, 16, 16}}
	for k, ext := range shapes {
		m := isingModel(t, 1, ext...)
		s, err := NewMSC(m, 1e-3, rand.NewPCG(uint64(k), 5))
		if err != nil {
			t.Fatal(err)
		}
		checkPackedBonds(t, fmt.Sprint("MSC ", ext), m, s.eng, func(int) []int8 { s.fresh = false; return s.Config() }, 1)
		ms, err := NewMultispin(m, 1e-3, rand.NewPCG(uint64(k), 6))
		if err != nil {
			t.Fatal(err)
		}
		checkPackedBonds(t, fmt.Sprint("Multispin ", ext), m, ms.eng, func(r int) []int8 { return ms.Replica(r, nil) }, 64)
	}
}

// checkPackedBonds runs the checks of TestPackedNeighbours on an engine
// whose configurations (chains) are read by get.
func checkPackedBonds(t *testing.T, what string, m *lattice.Ising, e *msEngine, get func(chain int) []int8, chains int) {
	t.Helper()
	l := m.Lattice()
	d := l.Dim()
	parity := func(i int) int {
		sum := 0
		for _, v := range l.Coords(i, nil) {
			sum += v
		}
		return sum & 1
	}
	var zero, zeroFlips int
	for p := range 2 {
		before := make([][]int8, chains)
		for r := range chains {
			before[r] = slices.Clone(get(r))
			var c msCounter
			e.pl.antiBonds(p, &c, nil)
			anti := 0
			for lane := range 64 {
				if e.pl.used>>uint(lane)&1 != 0 && (chains == 1 || lane == r) {
					anti += c.lane(lane, 40)
				}
			}
			if got, want := -float64(l.N()*d-2*anti), m.Energy(before[r]); got != want {
				t.Fatalf("%s parity %d chain %d: bond count gives E = %v, lattice.Ising.Energy %v", what, p, r, got, want)
			}
		}
		e.half(p, 0, 1)
		for r := range chains {
			after, x := get(r), before[r]
			for i := range x {
				anti := 0
				for _, j := range l.Neighbors(i) {
					anti += int(b2u(x[j] != x[i]))
				}
				flipped := after[i] != x[i]
				switch {
				case parity(i) != p && flipped:
					t.Fatalf("%s: site %d of parity %d flipped in the half-sweep of parity %d", what, i, 1-p, p)
				case parity(i) == p && anti > d && !flipped:
					t.Fatalf("%s: site %d with %d anti-aligned neighbours did not flip", what, i, anti)
				case parity(i) == p && anti < d && flipped:
					t.Fatalf("%s: site %d with %d anti-aligned neighbours flipped at T → 0", what, i, anti)
				case parity(i) == p && anti == d:
					zero++
					zeroFlips += int(b2u(flipped))
				}
			}
		}
	}
	if zero >= 200 && (zeroFlips < zero*3/4 || zeroFlips == zero) {
		t.Errorf("%s: %d of %d ΔE = 0 moves flipped, want about 15/16", what, zeroFlips, zero)
	}
}

// TestMSCBlocks checks the choice of blocks (documented at MSC).
func TestMSCBlocks(t *testing.T) {
	for _, c := range []struct {
		ext  []int
		want [3]int
	}{
		{[]int{4, 4}, [3]int{2, 2, 1}}, {[]int{2, 2}, [3]int{1, 1, 1}}, {[]int{32, 32}, [3]int{4, 16, 1}},
		{[]int{64, 64}, [3]int{2, 32, 1}}, {[]int{256, 256}, [3]int{1, 64, 1}}, {[]int{12, 12}, [3]int{6, 6, 1}},
		{[]int{4, 4, 4}, [3]int{2, 2, 2}}, {[]int{16, 16, 16}, [3]int{1, 8, 8}}, {[]int{64, 64, 64}, [3]int{1, 2, 32}},
	} {
		if got := mscBlocks(c.ext); got != c.want {
			t.Errorf("mscBlocks(%v) = %v, want %v", c.ext, got, c.want)
		}
	}
}

// TestMSCWorkers checks that with a fixed number of workers the chain is
// the same bytes whatever GOMAXPROCS, that a worker count outside
// [1, MaxWorkers] is refused, and that steps do not allocate.
func TestMSCWorkers(t *testing.T) {
	m := mustSquareIsing(t, 64)
	run := func(procs, workers int) []int8 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		s, err := newMSCWorkers(m, isingTc2D, rand.NewPCG(3, 4), workers)
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			s.Step()
		}
		return slices.Clone(s.Config())
	}
	ref := run(1, 2)
	for _, procs := range []int{2, 4} {
		if !slices.Equal(run(procs, 2), ref) {
			t.Errorf("2 workers, GOMAXPROCS %d: different configuration than with GOMAXPROCS 1", procs)
		}
	}
	if slices.Equal(run(2, 1), ref) {
		t.Error("1 and 2 workers gave the same chain (the streams should differ)")
	}
	s, _ := NewMSC(m, 2, rand.NewPCG(1, 1))
	for _, n := range []int{0, -1, s.MaxWorkers() + 1} {
		if err := s.SetWorkers(n); err == nil {
			t.Errorf("SetWorkers(%d) accepted", n)
		}
	}
	if err := s.SetWorkers(s.MaxWorkers()); err != nil || s.Workers() != s.MaxWorkers() {
		t.Errorf("SetWorkers(%d): %v, Workers() = %d", s.MaxWorkers(), err, s.Workers())
	}
	// the worker goroutines end when the sampler is dropped
	s.Step()
	if n := msWorkers.Load(); n < 1 {
		t.Fatalf("%d worker goroutines running", n)
	}
	s = nil
	for k := 0; k < 1000 && msWorkers.Load() > 0; k++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if n := msWorkers.Load(); n > 0 {
		t.Errorf("%d worker goroutines still running after the sampler was dropped", n)
	}
}

// TestUnpackBlocks checks the transposing unpacker of MSC.Config against
// the plain one, on lattices with rows of 1 to 512 words.
func TestUnpackBlocks(t *testing.T) {
	for k, ext := range [][]int{{4, 4}, {6, 6}, {12, 12}, {2, 6}, {64, 64}, {256, 8}, {1024, 128}, {130, 4},
		{2, 2, 2}, {4, 4, 4}, {6, 4, 8}, {16, 16, 16}, {128, 4, 4}} {
		m := isingModel(t, 1, ext...)
		s, err := NewMSC(m, 2, rand.NewPCG(uint64(k), 5))
		if err != nil {
			t.Fatal(err)
		}
		s.Step()
		want := make([]int8, m.Lattice().N())
		s.eng.pl.unpack(want, s.blk, 0)
		if got := s.Config(); !slices.Equal(got, want) {
			t.Errorf("%v: unpackBlocks and unpack differ", ext)
		}
	}
}

// ExampleMSC estimates the energy per spin of the 64×64 Ising model at
// T = 1.5 with one multi-spin-coded chain.
func ExampleMSC() {
	l, _ := lattice.NewSquare(64)
	m, _ := lattice.NewNearestNeighborIsing(l, 1)
	s, err := NewMSC(m, 1.5, rand.NewPCG(1, 2))
	if err != nil {
		fmt.Println(err)
		return
	}
	up := make([]int8, l.N())
	for i := range up {
		up[i] = 1
	}
	if err := s.SetConfig(up); err != nil { // cold start
		fmt.Println(err)
		return
	}
	var sum float64
	for range 200 {
		s.Step() // one sweep of all 4096 spins
		sum += m.Energy(s.Config())
	}
	fmt.Printf("E/N ≈ %.2f (exact: −1.95)\n", sum/float64(200*l.N()))
	// Output:
	// E/N ≈ -1.95 (exact: −1.95)
}
