package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
)

// Physics tests of Metropolis, HeatBath, Wolff and SwendsenWang against exact
// results: enumeration of small tori, Kaufman's finite-size solution
// (kaufman_test.go) and the periodic 1D chain. Every Monte Carlo estimate must
// agree within 4 standard errors (binning for means, block jackknife for the
// specific heat and the Binder cumulant).

// isingExact holds exact per-spin observables of a finite Ising model.
type isingExact struct {
	lnZ    float64
	e, c   float64 // energy and specific heat per spin
	m2, am float64 // ⟨m²⟩, ⟨|m|⟩ with m = M/N
	u      float64 // Binder cumulant 1 − ⟨m⁴⟩/(3⟨m²⟩²)
}

// exactFromEnergy enumerates all 2^n spin configurations of an n-spin model
// with the given energy function and returns its exact observables.
func exactFromEnergy(n int, T float64, energy func(x []int8) float64) isingExact {
	x := make([]int8, n)
	es := make([]float64, 1<<n)
	ms := make([]float64, 1<<n)
	e0 := math.Inf(1)
	for b := range es {
		for i := range x {
			x[i] = int8(2*(b>>i&1) - 1)
		}
		es[b] = energy(x)
		var m int
		for _, s := range x {
			m += int(s)
		}
		ms[b] = float64(m) / float64(n)
		e0 = math.Min(e0, es[b])
	}
	var z, se, se2, sm2, sam, sm4 float64
	for b, e := range es {
		w := math.Exp(-(e - e0) / T)
		m := ms[b]
		z += w
		se += w * e
		se2 += w * e * e
		sm2 += w * m * m
		sam += w * math.Abs(m)
		sm4 += w * m * m * m * m
	}
	N := float64(n)
	ex := isingExact{lnZ: math.Log(z) - e0/T}
	ex.e = se / z / N
	ex.c = (se2/z - (se/z)*(se/z)) / (N * T * T)
	ex.m2, ex.am = sm2/z, sam/z
	ex.u = 1 - sm4/z/(3*ex.m2*ex.m2)
	return ex
}

// nnEnergy returns −Σ_<ij> s_i s_j on lattice l (J = 1), counting each bond
// once through the forward neighbours (+x, +y, …; across an extent of 2 the
// −x neighbour is the same site and carries the second bond).
func nnEnergy(l *lattice.Lattice) func(x []int8) float64 {
	nbr, z := l.NeighborTable(), 2*l.Dim()
	ext := l.Extents()
	return func(x []int8) float64 {
		var e int
		for i, s := range x {
			nb := nbr[i*z : i*z+z]
			var h int
			for a := range ext {
				h += int(x[nb[2*a]])
				if ext[a] == 2 {
					h += int(x[nb[2*a+1]])
				}
			}
			e -= int(s) * h
		}
		return float64(e)
	}
}

func exactIsing2D(L int, T float64) isingExact {
	l, err := lattice.NewSquare(L)
	if err != nil {
		panic(err)
	}
	return exactFromEnergy(L*L, T, nnEnergy(l))
}

// isingSeries records per-measurement energy and magnetization per spin.
type isingSeries struct {
	n    int
	e, m []float64
}

// measureIsing runs s for burn steps, then records nmeas measurements
// (a quarter of them under -short, see shortScale), taking thin Steps
// between them; energy is the model energy of a configuration.
func measureIsing(s Sampler, burn, nmeas, thin int, energy func([]int8) float64) isingSeries {
	nmeas = shortScale(nmeas)
	for i := 0; i < burn; i++ {
		s.Step()
	}
	x := s.Config()
	ser := isingSeries{n: len(x), e: make([]float64, nmeas), m: make([]float64, nmeas)}
	for k := 0; k < nmeas; k++ {
		for i := 0; i < thin; i++ {
			s.Step()
		}
		x = s.Config()
		var m int
		for _, v := range x {
			m += int(v)
		}
		ser.e[k] = energy(x) / float64(len(x))
		ser.m[k] = float64(m) / float64(len(x))
	}
	return ser
}

// shortScale returns n, or n/4 under go test -short (the race detector's
// run): the exact-value tests stay tests at 4 standard errors, with errors
// twice as large.
func shortScale(n int) int {
	if testing.Short() {
		return n / 4
	}
	return n
}

// shortSkip reports whether case k of a test looping over n settings
// (temperatures) skips setting i under -short: each case then runs at one
// setting, k mod n, so every case and, with n or more cases, every setting
// is still checked against its exact value.
func shortSkip(k, i, n int) bool {
	return testing.Short() && k%n != i
}

// jackBlocks is the number of blocks for jackknife errors.
const jackBlocks = 50

// blockJackknife returns the jackknife estimate and error of f applied to the
// means of the given isingSeries, with the isingSeries cut into jackBlocks blocks.
func blockJackknife(f func(means []float64) float64, xs ...[]float64) (value, stderr float64) {
	n := len(xs[0])
	sums := make([][]float64, len(xs)) // per isingSeries, per block
	tot := make([]float64, len(xs))
	for a, x := range xs {
		sums[a] = make([]float64, jackBlocks)
		for k := 0; k < jackBlocks; k++ {
			lo, hi := BlockBounds(n, jackBlocks, k)
			for _, v := range x[lo:hi] {
				sums[a][k] += v
			}
			tot[a] += sums[a][k]
		}
	}
	means := make([]float64, len(xs))
	return Jackknife(jackBlocks, func(skip int) float64 {
		cnt := n
		if skip >= 0 {
			lo, hi := BlockBounds(n, jackBlocks, skip)
			cnt -= hi - lo
		}
		for a := range xs {
			s := tot[a]
			if skip >= 0 {
				s -= sums[a][skip]
			}
			means[a] = s / float64(cnt)
		}
		return f(means)
	})
}

// specificHeat returns c per spin and its jackknife error.
func (s isingSeries) specificHeat(T float64) (float64, float64) {
	e2 := make([]float64, len(s.e))
	for i, e := range s.e {
		e2[i] = e * e
	}
	N := float64(s.n)
	return blockJackknife(func(m []float64) float64 { return N * (m[1] - m[0]*m[0]) / (T * T) }, s.e, e2)
}

// moments returns ⟨m²⟩ and ⟨|m|⟩ with binning errors and U with a jackknife error.
func (s isingSeries) moments() (m2, dm2, am, dam, u, du float64) {
	sq := make([]float64, len(s.m))
	ab := make([]float64, len(s.m))
	q4 := make([]float64, len(s.m))
	for i, m := range s.m {
		sq[i], ab[i], q4[i] = m*m, math.Abs(m), m*m*m*m
	}
	m2, dm2 = BinningError(sq)
	am, dam = BinningError(ab)
	u, du = blockJackknife(func(x []float64) float64 { return 1 - x[1]/(3*x[0]*x[0]) }, sq, q4)
	return
}

// within reports a failure if |got − want| > 4 err (or err is not a positive number).
func checkWithin(t *testing.T, what string, got, err, want float64) {
	t.Helper()
	if !(err > 0) || math.IsInf(err, 0) {
		t.Errorf("%s: bad error bar %v (estimate %v, exact %v)", what, err, got, want)
		return
	}
	if d := math.Abs(got - want); d > 4*err {
		t.Errorf("%s = %.6f ± %.6f, exact %.6f (%.1fσ)", what, got, err, want, d/err)
	} else {
		t.Logf("%s = %.6f ± %.6f, exact %.6f (%.1fσ)", what, got, err, want, d/err)
	}
}

// hiddenModel wraps a Model so that samplers cannot see the concrete type.
type hiddenModel struct{ lattice.Model }

// isingModel returns the nearest-neighbour Ising model with coupling J on
// the periodic lattice of extents ext.
func isingModel(t testing.TB, J float64, ext ...int) *lattice.Ising {
	t.Helper()
	l, err := lattice.NewLattice(ext...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := lattice.NewNearestNeighborIsing(l, J)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mustSquareIsing returns the L×L nearest-neighbour Ising model, J = 1.
func mustSquareIsing(t testing.TB, L int) *lattice.Ising { return isingModel(t, 1, L, L) }

// checkMean compares the mean of the time series x, with its binning error,
// with want (checkWithin).
func checkMean(t *testing.T, what string, x []float64, want float64) {
	t.Helper()
	got, err := BinningError(x)
	checkWithin(t, what, got, err, want)
}

// checkAll compares energy, specific heat, ⟨m²⟩, ⟨|m|⟩ and U with ex.
func checkAll(t *testing.T, name string, ser isingSeries, T float64, ex isingExact) {
	t.Helper()
	checkMean(t, name+" e", ser.e, ex.e)
	c, dc := ser.specificHeat(T)
	checkWithin(t, name+" c", c, dc, ex.c)
	m2, dm2, am, dam, u, du := ser.moments()
	checkWithin(t, name+" <m²>", m2, dm2, ex.m2)
	checkWithin(t, name+" <|m|>", am, dam, ex.am)
	checkWithin(t, name+" U", u, du, ex.u)
}

// TestIsing4x4 checks every sampler on the 4×4 torus against enumeration of
// all 2^16 states at T = 1.5, T_c and 3.5 (one of them per sampler under
// -short, see shortSkip).
func TestIsing4x4(t *testing.T) {
	m := mustSquareIsing(t, 4)
	energy := nnEnergy(m.Lattice())
	for ti, T := range []float64{1.5, 2.269185, 3.5} {
		ex := exactIsing2D(4, T)
		type mk struct {
			name        string
			new         func(src rand.Source) (Sampler, error)
			nmeas, thin int
		}
		makers := []mk{
			{"Metropolis", func(src rand.Source) (Sampler, error) { return NewMetropolis(m, T, src) }, 100000, 1},
			{"Metropolis/generic", func(src rand.Source) (Sampler, error) { return NewMetropolis(hiddenModel{m}, T, src) }, 50000, 1},
			{"HeatBath", func(src rand.Source) (Sampler, error) { return NewHeatBath(m, T, src) }, 100000, 1},
			{"HeatBath/generic", func(src rand.Source) (Sampler, error) { return NewHeatBath(hiddenModel{m}, T, src) }, 50000, 1},
			{"Wolff", func(src rand.Source) (Sampler, error) { return NewWolff(m, T, src) }, 100000, 2},
			{"SwendsenWang", func(src rand.Source) (Sampler, error) { return NewSwendsenWang(m, T, src) }, 100000, 1},
			{"MSC", func(src rand.Source) (Sampler, error) { return NewMSC(m, T, src) }, 100000, 1},
			{"MSC/workers=2", func(src rand.Source) (Sampler, error) { return newMSCWorkers(m, T, src, 2) }, 100000, 1},
		}
		for k, mk := range makers {
			if shortSkip(k, ti, 3) {
				continue
			}
			s, err := mk.new(rand.NewPCG(uint64(ti), uint64(k)))
			if err != nil {
				t.Fatal(err)
			}
			ser := measureIsing(s, 1000, mk.nmeas, mk.thin, energy)
			checkAll(t, fmt.Sprintf("%s T=%v", mk.name, T), ser, T, ex)
		}
	}
}

// newMSCWorkers returns an MSC sharing its sweeps among n workers.
func newMSCWorkers(m *lattice.Ising, T float64, src rand.Source, n int) (*MSC, error) {
	s, err := NewMSC(m, T, src)
	if err == nil {
		err = s.SetWorkers(n)
	}
	return s, err
}

// newFor builds the named sampler for an Ising model.
func newFor(name string, m *lattice.Ising, T float64, src rand.Source) (Sampler, error) {
	switch name {
	case "Metropolis":
		return NewMetropolis(m, T, src)
	case "HeatBath":
		return NewHeatBath(m, T, src)
	case "Wolff":
		return NewWolff(m, T, src)
	case "SwendsenWang":
		return NewSwendsenWang(m, T, src)
	case "MSC":
		return NewMSC(m, T, src)
	case "MSC/workers=2":
		return newMSCWorkers(m, T, src, 2)
	}
	panic("unknown sampler " + name)
}

// wolffThin returns the number of Wolff clusters that flip about n/2 spins
// on average, from a pilot run (fixed before measuring, so the measurement
// schedule does not depend on the measured chain).
func wolffThin(w *Wolff, n int) int {
	flipped := 0
	for range 2000 {
		w.Step()
		flipped += w.LastClusterSize()
	}
	return max(1, n*2000/(2*flipped))
}

// TestIsingKaufman checks the energy and specific heat per spin on 16×16 and
// 32×32 tori against Kaufman's exact solution at T = 2.0, T_c, 2.6. Under
// -short the samplers and sizes checked at all three temperatures are
// checked at one each (see shortSkip).
func TestIsingKaufman(t *testing.T) {
	type run struct {
		name  string
		L     int
		T     float64
		nmeas int
	}
	var runs []run
	for ti, T := range []float64{2.0, 2.269185, 2.6} {
		for k, r := range []run{{"Wolff", 16, T, 50000}, {"Wolff", 32, T, 40000}, {"SwendsenWang", 16, T, 30000}} {
			if !shortSkip(k, ti, 3) {
				runs = append(runs, r)
			}
		}
		if T != 2.269185 && !shortSkip(0, ti, 3) {
			runs = append(runs, run{"Metropolis", 16, T, 50000})
		}
	}
	runs = append(runs, run{"SwendsenWang", 32, 2.269185, 15000}, run{"Metropolis", 32, 2.6, 30000},
		run{"MSC", 16, 2.0, 50000}, run{"MSC", 32, 2.6, 30000}, run{"MSC/workers=2", 32, 2.6, 30000})
	for k, r := range runs {
		what := fmt.Sprintf("%s L=%d T=%v", r.name, r.L, r.T)
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			m := mustSquareIsing(t, r.L)
			s, err := newFor(r.name, m, r.T, rand.NewPCG(7, uint64(k)))
			if err != nil {
				t.Fatal(err)
			}
			thin := 1
			if w, ok := s.(*Wolff); ok {
				thin = wolffThin(w, r.L*r.L)
			}
			ser := measureIsing(s, 2000, r.nmeas, thin, nnEnergy(m.Lattice()))
			e, c := kaufman(r.L, r.T)
			checkMean(t, what+" e", ser.e, e)
			mc, dc := ser.specificHeat(r.T)
			checkWithin(t, what+" c", mc, dc, c)
		})
	}
}

// TestPathSelection checks which update path each model takes.
func TestPathSelection(t *testing.T) {
	src := rand.NewPCG(1, 1)
	mk := func(ext []int, terms ...lattice.Term) *lattice.Ising {
		l, err := lattice.NewLattice(ext...)
		if err != nil {
			t.Fatal(err)
		}
		m, err := lattice.NewIsing(l, terms...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	nn2 := lattice.NearestNeighbor(2)
	cases := []struct {
		name          string
		m             *lattice.Ising
		fast, cb, tcb bool // nearest-neighbour path; 2D checkerboard; table checkerboard
	}{
		{"square 8", mk([]int{8, 8}, lattice.Term{Op: nn2, J: 1}), true, true, false},
		{"antiferro 8", mk([]int{8, 8}, lattice.Term{Op: nn2, J: -0.5}), true, true, false},
		{"3x5", mk([]int{3, 5}, lattice.Term{Op: nn2, J: 1}), true, false, false},
		{"2x4", mk([]int{2, 4}, lattice.Term{Op: nn2, J: 1}), true, false, true},
		{"4x2", mk([]int{4, 2}, lattice.Term{Op: nn2, J: 1}), true, true, false},
		{"cubic 2", mk([]int{2, 2, 2}, lattice.Term{Op: lattice.NearestNeighbor(3), J: 1}), true, false, true},
		{"chain", mk([]int{10}, lattice.Term{Op: lattice.NearestNeighbor(1), J: 1}), true, false, false},
		{"split nn", mk([]int{4, 4}, lattice.Term{Op: nn2, J: 0.5}, lattice.Term{Op: nn2, J: 0.5}), true, true, false},
		{"nn+nnn", mk([]int{4, 4}, lattice.Term{Op: nn2, J: 1}, lattice.Term{Op: lattice.NextNearest(2), J: 0.5}), false, false, false},
		{"nn+field", mk([]int{4, 4}, lattice.Term{Op: nn2, J: 1}, lattice.Term{Op: lattice.Field(2), J: 0.1}), false, false, false},
		{"nnn only", mk([]int{4, 4}, lattice.Term{Op: lattice.NextNearest(2), J: 1}), false, false, false},
	}
	for _, c := range cases {
		s, err := NewMetropolis(c.m, 2, src)
		if err != nil {
			t.Fatal(err)
		}
		if (s.nn != nil) != c.fast || (c.fast && ((s.nn.lx > 0) != c.cb || (s.nn.order != nil) != c.tcb)) {
			t.Errorf("%s: nn fast path %v, want %v (checkerboard want %v, %v)", c.name, s.nn != nil, c.fast, c.cb, c.tcb)
		}
		if s.ising == nil {
			t.Errorf("%s: Ising path not taken", c.name)
		}
	}
	g, err := NewMetropolis(hiddenModel{cases[0].m}, 2, src)
	if err != nil {
		t.Fatal(err)
	}
	if g.nn != nil || g.ising != nil {
		t.Error("hiddenModel model took an Ising path")
	}
}

// TestIsingGeneralPaths checks the non-checkerboard fast path, the LocalField
// path and the general-pair cluster path against enumeration. Under -short
// every other (model, sampler) pair runs, alternating, so that each model
// and each sampler is still checked.
func TestIsingGeneralPaths(t *testing.T) {
	mk := func(ext []int, terms ...lattice.Term) *lattice.Ising {
		l, err := lattice.NewLattice(ext...)
		if err != nil {
			t.Fatal(err)
		}
		m, err := lattice.NewIsing(l, terms...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	nn2 := lattice.NearestNeighbor(2)
	type cs struct {
		name     string
		m        *lattice.Ising
		T        float64
		samplers []string
	}
	all := []string{"Metropolis", "HeatBath", "Wolff", "SwendsenWang"}
	local := []string{"Metropolis", "HeatBath"}
	nn := append(all, "MSC") // nearest-neighbour ferromagnets with even extents
	cases := []cs{
		{"3x5 nn", mk([]int{3, 5}, lattice.Term{Op: nn2, J: 1}), 2.0, all},
		{"4x2 nn", mk([]int{4, 2}, lattice.Term{Op: nn2, J: 1}), 1.5, nn},
		{"2x6 nn", mk([]int{2, 6}, lattice.Term{Op: nn2, J: 1}), 1.8, local},
		{"4x2x2 nn", mk([]int{4, 2, 2}, lattice.Term{Op: lattice.NearestNeighbor(3), J: 1}), 3.0, nn},
		{"2x2x2 nn", mk([]int{2, 2, 2}, lattice.Term{Op: lattice.NearestNeighbor(3), J: 1}), 4.0, nn},
		{"2x4x2 nn", mk([]int{2, 4, 2}, lattice.Term{Op: lattice.NearestNeighbor(3), J: 0.8}), 3.5, nn},
		{"2x2x4 nn", mk([]int{2, 2, 4}, lattice.Term{Op: lattice.NearestNeighbor(3), J: 1}), 4.5, nn},
		{"4x4 antiferro", mk([]int{4, 4}, lattice.Term{Op: nn2, J: -1}), 2.0, local},
		{"4x4 nn+nnn", mk([]int{4, 4}, lattice.Term{Op: nn2, J: 0.6}, lattice.Term{Op: lattice.NextNearest(2), J: 0.3}), 2.5, all},
		{"4x4 nn+nnn+field", mk([]int{4, 4}, lattice.Term{Op: nn2, J: 0.6}, lattice.Term{Op: lattice.NextNearest(2), J: -0.2},
			lattice.Term{Op: lattice.Field(2), J: 0.2}), 1.5, local},
		{"4x4 plaquette", mk([]int{4, 4}, lattice.Term{Op: nn2, J: 0.5}, lattice.Term{Op: lattice.Plaquette(2), J: 0.4}), 2.0, local},
	}
	for ci, c := range cases {
		ex := exactFromEnergy(c.m.Lattice().N(), c.T, c.m.Energy)
		for si, name := range c.samplers {
			if shortSkip(ci+si, 0, 2) {
				continue
			}
			s, err := newFor(name, c.m, c.T, rand.NewPCG(uint64(ci), uint64(si)))
			if err != nil {
				t.Fatal(err)
			}
			thin := 1
			if name == "Wolff" {
				thin = 3
			}
			ser := measureIsing(s, 1000, 40000, thin, c.m.Energy)
			checkAll(t, fmt.Sprintf("%s %s T=%v", name, c.name, c.T), ser, c.T, ex)
		}
	}
}

// TestChainCorrelations checks ⟨s_0 s_r⟩ on a periodic chain of 64 spins
// against (t^r + t^(L−r))/(1 + t^L), t = tanh(J/T).
func TestChainCorrelations(t *testing.T) {
	const L = 64
	l, err := lattice.NewChain(L)
	if err != nil {
		t.Fatal(err)
	}
	m, err := lattice.NewNearestNeighborIsing(l, 1)
	if err != nil {
		t.Fatal(err)
	}
	T := 1.0
	th := math.Tanh(1 / T)
	rs := []int{1, 2, 3, 5, 10, 32}
	for si, name := range []string{"Metropolis", "HeatBath", "Wolff", "SwendsenWang"} {
		s, err := newFor(name, m, T, rand.NewPCG(11, uint64(si)))
		if err != nil {
			t.Fatal(err)
		}
		thin := 1
		if w, ok := s.(*Wolff); ok {
			thin = wolffThin(w, L)
		}
		for range 1000 {
			s.Step()
		}
		const nmeas = 40000
		corr := make([][]float64, len(rs))
		for k := range corr {
			corr[k] = make([]float64, nmeas)
		}
		for n := 0; n < nmeas; n++ {
			for range thin {
				s.Step()
			}
			x := s.Config()
			for k, r := range rs {
				var c int
				for i := range x {
					c += int(x[i] * x[(i+r)%L])
				}
				corr[k][n] = float64(c) / L
			}
		}
		for k, r := range rs {
			want := (math.Pow(th, float64(r)) + math.Pow(th, float64(L-r))) / (1 + math.Pow(th, L))
			got, err := BinningError(corr[k])
			checkWithin(t, fmt.Sprintf("%s <s0 s%d>", name, r), got, err, want)
		}
	}
}

// TestReproducible checks that the same seed gives the same sequence of
// configurations and a different seed a different one.
func TestReproducible(t *testing.T) {
	m := mustSquareIsing(t, 8)
	makers := map[string]func(src rand.Source) (Sampler, error){
		"Metropolis":         func(src rand.Source) (Sampler, error) { return NewMetropolis(m, 2.3, src) },
		"HeatBath":           func(src rand.Source) (Sampler, error) { return NewHeatBath(m, 2.3, src) },
		"Metropolis/generic": func(src rand.Source) (Sampler, error) { return NewMetropolis(hiddenModel{m}, 2.3, src) },
		"Wolff":              func(src rand.Source) (Sampler, error) { return NewWolff(m, 2.3, src) },
		"SwendsenWang":       func(src rand.Source) (Sampler, error) { return NewSwendsenWang(m, 2.3, src) },
		"MSC":                func(src rand.Source) (Sampler, error) { return NewMSC(m, 2.3, src) },
		"Multispin":          func(src rand.Source) (Sampler, error) { return NewMultispin(m, 2.3, src) },
	}
	for name, mk := range makers {
		a, err := mk(rand.NewPCG(5, 6))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := mk(rand.NewPCG(5, 6))
		c, _ := mk(rand.NewPCG(5, 7))
		differ := false
		for step := 0; step < 50; step++ {
			if !slices.Equal(a.Config(), b.Config()) {
				t.Fatalf("%s: step %d: same seed, different configurations", name, step)
			}
			differ = differ || !slices.Equal(a.Config(), c.Config())
			a.Step()
			b.Step()
			c.Step()
		}
		if !differ {
			t.Errorf("%s: different seeds gave identical chains", name)
		}
	}
}

// TestNoAllocs checks that Step does not allocate.
func TestNoAllocs(t *testing.T) {
	m := mustSquareIsing(t, 8)
	mn, _ := lattice.NewIsing(m.Lattice(), lattice.Term{Op: lattice.NearestNeighbor(2), J: 1}, lattice.Term{Op: lattice.NextNearest(2), J: 0.2})
	src := rand.NewPCG(1, 2)
	var ss []Sampler
	for _, mk := range []func() (Sampler, error){
		func() (Sampler, error) { return NewMetropolis(m, 2.3, src) },
		func() (Sampler, error) { return NewMetropolis(mn, 2.3, src) },
		func() (Sampler, error) { return NewMetropolis(hiddenModel{m}, 2.3, src) },
		func() (Sampler, error) { return NewHeatBath(m, 2.3, src) },
		func() (Sampler, error) { return NewHeatBath(mn, 2.3, src) },
		func() (Sampler, error) { return NewWolff(m, 2.3, src) },
		func() (Sampler, error) { return NewWolff(mn, 2.3, src) },
		func() (Sampler, error) { return NewSwendsenWang(m, 2.3, src) },
		func() (Sampler, error) { return NewMSC(m, 2.3, src) },
		func() (Sampler, error) { return NewMultispin(m, 2.3, src) },
		func() (Sampler, error) { return newMSCWorkers(mustSquareIsing(t, 16), 2.3, src, 2) },
	} {
		s, err := mk()
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	for k, s := range ss {
		if a := testing.AllocsPerRun(20, s.Step); a != 0 {
			t.Errorf("sampler %d (%T): %v allocations per Step", k, s, a)
		}
	}
}

func TestSetConfig(t *testing.T) {
	m := mustSquareIsing(t, 4)
	type setter interface {
		Sampler
		SetConfig([]int8) error
	}
	up := make([]int8, 16)
	for i := range up {
		up[i] = 1
	}
	src := rand.NewPCG(3, 3)
	met, _ := NewMetropolis(m, 2, src)
	hb, _ := NewHeatBath(m, 2, src)
	w, _ := NewWolff(m, 2, src)
	sw, _ := NewSwendsenWang(m, 2, src)
	msc, _ := NewMSC(m, 2, src)
	for _, s := range []setter{met, hb, w, sw, msc} {
		if err := s.SetConfig(up); err != nil {
			t.Fatalf("%T: %v", s, err)
		}
		if !slices.Equal(s.Config(), up) {
			t.Errorf("%T: SetConfig did not set", s)
		}
		up[0] = -1 // the sampler keeps a copy
		if s.Config()[0] != 1 {
			t.Errorf("%T: SetConfig aliases its argument", s)
		}
		up[0] = 1
		if s.SetConfig(up[:15]) == nil {
			t.Errorf("%T: short configuration accepted", s)
		}
		bad := append([]int8(nil), up...)
		bad[3] = 0
		if s.SetConfig(bad) == nil {
			t.Errorf("%T: spin value 0 accepted", s)
		}
	}
	// hot start: values are allowed states, not all equal
	for _, s := range []Sampler{mustSampler(NewMetropolis(mustSquareIsing(t, 8), 1, src)), mustSampler(NewWolff(mustSquareIsing(t, 8), 1, src)),
		mustSampler(NewMSC(mustSquareIsing(t, 8), 1, src))} {
		x := s.Config()
		seen := map[int8]bool{}
		for _, v := range x {
			seen[v] = true
		}
		if len(seen) < 2 {
			t.Errorf("%T: initial configuration is not a hot start: %v", s, x)
		}
	}
}

func mustSampler[S any](s S, err error) S {
	if err != nil {
		panic(err)
	}
	return s
}

func TestBadInput(t *testing.T) {
	m := mustSquareIsing(t, 4)
	src := rand.NewPCG(1, 1)
	for _, T := range []float64{0, -1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := NewMetropolis(m, T, src); err == nil {
			t.Errorf("Metropolis accepted T = %v", T)
		} else if !strings.Contains(err.Error(), fmt.Sprint(T)) {
			t.Errorf("error %q does not name T = %v", err, T)
		}
		if _, err := NewHeatBath(m, T, src); err == nil {
			t.Errorf("HeatBath accepted T = %v", T)
		}
		if _, err := NewWolff(m, T, src); err == nil {
			t.Errorf("Wolff accepted T = %v", T)
		}
		if _, err := NewSwendsenWang(m, T, src); err == nil {
			t.Errorf("SwendsenWang accepted T = %v", T)
		}
	}
	if _, err := NewMetropolis(nil, 1, src); err == nil {
		t.Error("Metropolis accepted a nil model")
	}
	if _, err := NewHeatBath(nil, 1, src); err == nil {
		t.Error("HeatBath accepted a nil model")
	}
	if _, err := NewWolff(nil, 1, src); err == nil {
		t.Error("Wolff accepted a nil model")
	}
	if _, err := NewSwendsenWang(nil, 1, src); err == nil {
		t.Error("SwendsenWang accepted a nil model")
	}
	if _, err := NewMetropolis(m, 1, nil); err == nil {
		t.Error("Metropolis accepted a nil source")
	}
	if _, err := NewHeatBath(m, 1, nil); err == nil {
		t.Error("HeatBath accepted a nil source")
	}
	if _, err := NewWolff(m, 1, nil); err == nil {
		t.Error("Wolff accepted a nil source")
	}
	if _, err := NewSwendsenWang(m, 1, nil); err == nil {
		t.Error("SwendsenWang accepted a nil source")
	}
	l := m.Lattice()
	afm, _ := lattice.NewNearestNeighborIsing(l, -1)
	mixed, _ := lattice.NewIsing(l, lattice.Term{Op: lattice.NearestNeighbor(2), J: 1}, lattice.Term{Op: lattice.NextNearest(2), J: -0.1})
	field, _ := lattice.NewIsing(l, lattice.Term{Op: lattice.NearestNeighbor(2), J: 1}, lattice.Term{Op: lattice.Field(2), J: 0.1})
	plaq, _ := lattice.NewIsing(l, lattice.Term{Op: lattice.Plaquette(2), J: 1})
	for _, c := range []struct {
		m    *lattice.Ising
		want string
	}{{afm, "K = -"}, {mixed, "K = -"}, {field, "field"}, {plaq, "plaquette"}} {
		if _, err := NewWolff(c.m, 1, src); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Wolff: error %v, want one mentioning %q", err, c.want)
		}
		if _, err := NewSwendsenWang(c.m, 1, src); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SwendsenWang: error %v, want one mentioning %q", err, c.want)
		}
	}
	// local samplers accept these models
	for _, mm := range []*lattice.Ising{afm, mixed, field, plaq} {
		if _, err := NewMetropolis(mm, 1, src); err != nil {
			t.Error(err)
		}
	}
}
