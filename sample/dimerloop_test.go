package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/rsmi-go/rsmi/lattice"
)

// The DimerLoop tests compare Monte Carlo estimates with exact enumeration of
// all coverings (lattice.Dimer.Coverings) on the 2×2, 4×4 and 6×6 tori, with
// errors from binning (BinningError) and a 4-standard-error tolerance, and
// with χ² tests of the visit frequencies of every covering. Seeds are fixed.

// dimerExact holds Boltzmann averages over all coverings.
type dimerExact struct {
	key    map[uint64]int // covering (bit mask of occupied links, L ≤ 4) → index
	prob   []float64      // per covering (L ≤ 4)
	occ    []float64      // ⟨n_ℓ⟩ per link
	flip   float64        // ⟨N_flippable⟩ / L²
	wx2    float64        // ⟨Wx²⟩
	wy2    float64        // ⟨Wy²⟩
	sector map[[2]int]float64
}

func dimerKey(x []int8, nlink int) uint64 {
	var k uint64
	for i := 0; i < nlink; i++ {
		if x[i] == 1 {
			k |= 1 << i
		}
	}
	return k
}

func dimerEnumerate(t *testing.T, m *lattice.Dimer, T float64) dimerExact {
	t.Helper()
	L, nl := m.L(), m.NumLinks()
	ex := dimerExact{occ: make([]float64, nl), sector: map[[2]int]float64{}}
	small := nl <= 64
	if small {
		ex.key = map[uint64]int{}
	}
	var z float64
	_, err := m.Coverings(func(x []int8) bool {
		w := math.Exp(-m.V() * float64(m.Flippable(x)) / T)
		z += w
		if small {
			ex.key[dimerKey(x, nl)] = len(ex.prob)
			ex.prob = append(ex.prob, w)
		}
		for i := 0; i < nl; i++ {
			if x[i] == 1 {
				ex.occ[i] += w
			}
		}
		ex.flip += w * float64(m.Flippable(x)) / float64(L*L)
		wx, wy := m.Winding(x)
		ex.wx2 += w * float64(wx*wx)
		ex.wy2 += w * float64(wy*wy)
		ex.sector[dimerSectorClass(wx, wy)] += w
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range ex.prob {
		ex.prob[i] /= z
	}
	for i := range ex.occ {
		ex.occ[i] /= z
	}
	ex.flip /= z
	ex.wx2 /= z
	ex.wy2 /= z
	for k := range ex.sector {
		ex.sector[k] /= z
	}
	return ex
}

// dimerSectorClass maps a winding sector to its class under the lattice
// symmetries (|Wx|, |Wy| sorted), so that rare sectors pool their weight.
func dimerSectorClass(wx, wy int) [2]int {
	if wx < 0 {
		wx = -wx
	}
	if wy < 0 {
		wy = -wy
	}
	if wx < wy {
		wx, wy = wy, wx
	}
	return [2]int{wx, wy}
}

// dimerSeries runs n Steps (after burn-in), each followed by thin−1 more, and
// records the observables of every sample.
type dimerSeries struct {
	flip, wx2, wy2 []float64
	sector         map[[2]int][]float64
	occ            [][]float64
	visits         map[uint64]int
}

func dimerRun(t *testing.T, s *DimerLoop, burn, n, thin int, ex dimerExact, perLink bool) dimerSeries {
	t.Helper()
	m := s.Model()
	L, nl := m.L(), m.NumLinks()
	for range burn {
		s.Step()
	}
	ser := dimerSeries{sector: map[[2]int][]float64{}, visits: map[uint64]int{}}
	for k := range ex.sector {
		ser.sector[k] = make([]float64, 0, n)
	}
	if perLink {
		ser.occ = make([][]float64, nl)
		for i := range ser.occ {
			ser.occ[i] = make([]float64, 0, n)
		}
	}
	for range n {
		for range thin {
			s.Step()
		}
		x := s.Config()
		ser.flip = append(ser.flip, float64(m.Flippable(x))/float64(L*L))
		wx, wy := m.Winding(x)
		ser.wx2 = append(ser.wx2, float64(wx*wx))
		ser.wy2 = append(ser.wy2, float64(wy*wy))
		c := dimerSectorClass(wx, wy)
		if _, ok := ex.sector[c]; !ok {
			t.Fatalf("visited sector %v absent from the enumeration", c)
		}
		for k := range ser.sector {
			v := 0.0
			if k == c {
				v = 1
			}
			ser.sector[k] = append(ser.sector[k], v)
		}
		if perLink {
			for i := range nl {
				ser.occ[i] = append(ser.occ[i], float64(x[i]+1)/2)
			}
		}
		if nl <= 64 {
			ser.visits[dimerKey(x, nl)]++
		}
	}
	if err := m.Valid(s.Config()); err != nil {
		t.Fatalf("sampler left the covering space: %v", err)
	}
	return ser
}

// dimerCheck compares a series with an exact value within 4 binning errors.
func dimerCheck(t *testing.T, name string, series []float64, exact float64) {
	t.Helper()
	mean, se := BinningError(series)
	z := (mean - exact) / se
	if se == 0 {
		z = math.Inf(1)
		if mean == exact {
			z = 0
		}
	}
	t.Logf("%-18s MC %.5f ± %.5f  exact %.5f  (%+.2fσ)", name, mean, se, exact, z)
	if !(math.Abs(z) <= 4) {
		t.Errorf("%s: MC %.5f ± %.5f, exact %.5f (%.1f standard errors)", name, mean, se, exact, z)
	}
}

// dimerChi2 tests the visit counts of all coverings against the exact
// probabilities with Pearson's χ²; cells expecting fewer than 5 visits are
// pooled. The samples are thinned so that they are close to independent
// (τ_int of the flippable count is logged); the test fails if p < 1e-4.
func dimerChi2(t *testing.T, ser dimerSeries, ex dimerExact) {
	t.Helper()
	n := 0
	for k, c := range ser.visits {
		if _, ok := ex.key[k]; !ok {
			t.Fatalf("visited configuration %x is not a covering", k)
		}
		n += c
	}
	counts := make([]int, len(ex.prob))
	for k, c := range ser.visits {
		counts[ex.key[k]] = c
	}
	var chi2, poolE float64
	var poolO, cells int
	for i, p := range ex.prob {
		e := p * float64(n)
		if e < 5 {
			poolE += e
			poolO += counts[i]
			continue
		}
		d := float64(counts[i]) - e
		chi2 += d * d / e
		cells++
	}
	if poolE > 0 {
		d := float64(poolO) - poolE
		chi2 += d * d / poolE
		cells++
	}
	dof := float64(cells - 1)
	pval := distuv.ChiSquared{K: dof}.Survival(chi2)
	tau, _ := TauInt(ser.flip)
	t.Logf("χ² = %.1f for %v dof over %d coverings visited of %d (n = %d, τ_int(flippable) = %.2f), p = %.3g",
		chi2, dof, len(ser.visits), len(ex.prob), n, tau, pval)
	if tau > 0.75 {
		t.Errorf("τ_int(flippable) = %.2f: samples too correlated for the χ² test; thin more", tau)
	}
	if pval < 1e-4 {
		t.Errorf("χ² = %.1f for %v dof: p = %.3g < 1e-4", chi2, dof, pval)
	}
}

func newDimerLoop(t testing.TB, L int, V, T float64, noise bool, seed uint64) *DimerLoop {
	m, err := lattice.NewDimer(L, lattice.DimerOptions{V: V, NoiseSpins: noise})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewDimerLoop(m, T, rand.NewPCG(seed, 7))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDimerLoopErrors(t *testing.T) {
	m, err := lattice.NewDimer(4, lattice.DimerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := rand.NewPCG(1, 2)
	for _, T := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := NewDimerLoop(m, T, src); err == nil || !strings.Contains(err.Error(), "T =") {
			t.Errorf("T = %v: error %v", T, err)
		}
	}
	if _, err := NewDimerLoop(nil, 1, src); err == nil {
		t.Error("nil model accepted")
	}
	if _, err := NewDimerLoop(m, 1, nil); err == nil {
		t.Error("nil source accepted")
	}
	s, err := NewDimerLoop(m, 1, src)
	if err != nil {
		t.Fatal(err)
	}
	bad := m.ColumnarConfig()
	bad[0] = -1
	if err := s.SetConfig(bad); err == nil {
		t.Error("SetConfig accepted a configuration with monomers")
	}
	if err := s.SetConfig(m.StaggeredConfig()); err != nil {
		t.Fatal(err)
	}
	if wx, _ := m.Winding(s.Config()); wx != 2 {
		t.Errorf("SetConfig: winding %d, want 2", wx)
	}
}

// TestDimerLoopUniform checks at V = 0 that every covering of the 2×2 and
// 4×4 tori is equally likely (χ²), and the per-link occupancy (1/4), the
// winding-sector weights and the flippable fraction against enumeration on
// 4×4 and 6×6 (a quarter of the samples under -short, see shortScale).
func TestDimerLoopUniform(t *testing.T) {
	cases := []struct {
		L, n, thin int
		seed       uint64
	}{
		{2, 4000, 2, 1},
		{4, 100000, 6, 2},
		{6, 60000, 3, 3},
	}
	for _, c := range cases {
		s := newDimerLoop(t, c.L, 0, 1, false, c.seed)
		ex := dimerEnumerate(t, s.Model(), 1)
		ser := dimerRun(t, s, 1000, shortScale(c.n), c.thin, ex, true)
		t.Logf("L=%d: mean loop length %.2f, SweepSteps %d", c.L, s.MeanLoopLength(), s.SweepSteps())
		if c.L <= 4 {
			dimerChi2(t, ser, ex)
		}
		dimerCompare(t, ser, ex)
	}
}

func dimerCompare(t *testing.T, ser dimerSeries, ex dimerExact) {
	t.Helper()
	dimerCheck(t, "flippable/L²", ser.flip, ex.flip)
	dimerCheck(t, "⟨Wx²⟩", ser.wx2, ex.wx2)
	dimerCheck(t, "⟨Wy²⟩", ser.wy2, ex.wy2)
	for k, p := range ex.sector {
		if p < 1e-3 {
			continue // too rare to resolve; pooled in χ² and ⟨W²⟩
		}
		dimerCheck(t, fmt.Sprintf("P(|W| class %v)", k), ser.sector[k], p)
	}
	for i, o := range ser.occ {
		mean, se := BinningError(o)
		if math.Abs(mean-ex.occ[i]) > 4*se {
			t.Errorf("link %d: occupancy %.4f ± %.4f, exact %.4f", i, mean, se, ex.occ[i])
		}
	}
}

// TestDimerLoopInteracting checks the aligned-plaquette interaction V = ±1 at
// T = 1 on the 4×4 torus against the Boltzmann-weighted enumeration: χ² over
// all coverings, per-link occupancy, flippable fraction, winding sectors. It
// runs the pure loop algorithm and loops combined with plaquette flips (a
// quarter of the samples under -short, see shortScale).
func TestDimerLoopInteracting(t *testing.T) {
	cases := []struct {
		V, T           float64
		flips, n, thin int
		burnIn         int
		seed           uint64
	}{
		{-1, 1, 0, 60000, 40, 1000, 10},
		{+1, 1, 0, 100000, 6, 1000, 11},
		{-1, 0.7, 16, 60000, 6, 1000, 12},
		{+1, 1, 16, 60000, 6, 1000, 13},
	}
	for _, c := range cases {
		s := newDimerLoop(t, 4, c.V, c.T, false, c.seed)
		s.PlaquetteFlips = c.flips
		ex := dimerEnumerate(t, s.Model(), c.T)
		t.Logf("V=%v T=%v plaquette flips %d: exact flippable fraction %.4f", c.V, c.T, c.flips, ex.flip)
		ser := dimerRun(t, s, c.burnIn, shortScale(c.n), c.thin, ex, true)
		dimerChi2(t, ser, ex)
		dimerCompare(t, ser, ex)
	}
}

// dimerMonomerWeight returns W = Σ over ordered site pairs (t, h), t ≠ h, of
// the number of dimer coverings of the torus with t and h removed, by
// backtracking.
func dimerMonomerWeight(m *lattice.Dimer) int {
	n := m.NumSites()
	L := m.L()
	// links of each site: +x, −x, +y, −y
	links := make([][4]int, n)
	for s := range n {
		x, y := s%L, s/L
		links[s] = [4]int{
			m.LinkIndex(x, y, lattice.DimerRight), m.LinkIndex(x-1, y, lattice.DimerRight),
			m.LinkIndex(x, y, lattice.DimerUp), m.LinkIndex(x, y-1, lattice.DimerUp),
		}
	}
	covered := make([]bool, n)
	var count func(s int) int
	count = func(s int) int {
		for s < n && covered[s] {
			s++
		}
		if s == n {
			return 1
		}
		c := 0
		for _, l := range links[s] {
			a, b := m.LinkSites(l)
			o := a + b - s
			if covered[o] {
				continue
			}
			covered[s], covered[o] = true, true
			c += count(s + 1)
			covered[s], covered[o] = false, false
		}
		return c
	}
	w := 0
	for t := range n {
		for h := range n {
			if t == h || (t%L+t/L+h%L+h/L)%2 == 0 {
				continue // same sublattice: no covering
			}
			covered[t], covered[h] = true, true
			w += count(0)
			covered[t], covered[h] = false, false
		}
	}
	return w
}

// TestDimerLoopLength checks the mean number of moves per loop at V = 0
// against its exact value. The lifted chain on (configuration, pivot,
// entrance) states — coverings with a marked pivot, and configurations with
// a tail monomer and a doubly covered site — is doubly stochastic at V = 0
// (every state has 3 predecessors, each reaching it with probability 1/3;
// the L²·Z start states share the closing flow), so its uniform measure is
// stationary and the mean loop length is (number of states)/(L²·Z) =
// 4·W/(L²·Z), with W the number of two-monomer configurations counted by
// dimerMonomerWeight (removing the entrance dimer maps the intermediate
// states onto two-monomer configurations with a marked link at the pivot).
// Under -short it draws a quarter of the loops (see shortScale) and leaves
// out the 6×6 torus.
func TestDimerLoopLength(t *testing.T) {
	for _, c := range []struct {
		L, n int
		seed uint64
	}{{2, 20000, 21}, {4, 100000, 22}, {6, 50000, 23}} {
		if testing.Short() && c.L > 4 {
			continue // the exact count on 6×6 takes most of the test
		}
		s := newDimerLoop(t, c.L, 0, 1, false, c.seed)
		z, err := s.Model().Coverings(nil)
		if err != nil {
			t.Fatal(err)
		}
		exact := 4 * float64(dimerMonomerWeight(s.Model())) / float64(c.L*c.L*z)
		for range 100 {
			s.Step()
		}
		moves := make([]float64, shortScale(c.n))
		for i := range moves {
			before := s.Moves()
			s.Step()
			moves[i] = float64(s.Moves() - before)
		}
		dimerCheck(t, fmt.Sprintf("L=%d moves/loop", c.L), moves, exact)
	}
}

// TestDimerLoopNoise checks that the noise spins are fair coins redrawn at
// every Step, independent of the dimers, and that the dimer statistics are
// unchanged by their presence.
func TestDimerLoopNoise(t *testing.T) {
	s := newDimerLoop(t, 4, 0, 1, true, 31)
	m := s.Model()
	ex := dimerEnumerate(t, m, 1)
	nl, nd := m.NumLinks(), m.Geometry().NumDOF()
	prev := append([]int8(nil), s.Config()...)
	const n = 40000
	mag := make([]float64, 0, n)
	same := make([]float64, 0, n)
	corr := make([]float64, 0, n) // noise spin on site (0,0) × occupancy of its right link
	flip := make([]float64, 0, n)
	for range n {
		s.Step()
		x := s.Config()
		var sm, sa float64
		for i := nl; i < nd; i++ {
			sm += float64(x[i])
			if x[i] == prev[i] {
				sa++
			}
		}
		mag = append(mag, sm/float64(nd-nl))
		same = append(same, sa/float64(nd-nl))
		corr = append(corr, float64(x[m.SiteSpinIndex(0, 0)])*float64(x[m.LinkIndex(0, 0, lattice.DimerRight)]+1)/2)
		flip = append(flip, float64(m.Flippable(x))/16)
		copy(prev, x)
	}
	if err := m.Valid(s.Config()); err != nil {
		t.Fatal(err)
	}
	dimerCheck(t, "noise mean", mag, 0)
	dimerCheck(t, "noise unchanged", same, 0.5)
	dimerCheck(t, "noise·occupancy", corr, 0)
	dimerCheck(t, "flippable/L²", flip, ex.flip)
}

// TestDimerLoopDeterministic checks that one seed gives one chain and that
// the state stays a valid covering under long runs of every move type,
// including the L = 2 torus whose sites are joined by two links.
func TestDimerLoopDeterministic(t *testing.T) {
	for _, L := range []int{2, 8} {
		a := newDimerLoop(t, L, -1, 0.8, true, 41)
		b := newDimerLoop(t, L, -1, 0.8, true, 41)
		c := newDimerLoop(t, L, -1, 0.8, true, 42)
		for _, s := range []*DimerLoop{a, b, c} {
			s.PlaquetteFlips = 3
		}
		differ := false
		for i := range 2000 {
			a.Step()
			b.Step()
			c.Step()
			if string(int8sAsBytes(a.Config())) != string(int8sAsBytes(b.Config())) {
				t.Fatalf("L=%d: same seed, different configurations at step %d", L, i)
			}
			if string(int8sAsBytes(a.Config())) != string(int8sAsBytes(c.Config())) {
				differ = true
			}
			if err := a.Model().Valid(a.Config()); err != nil {
				t.Fatalf("L=%d step %d: %v", L, i, err)
			}
		}
		if !differ {
			t.Errorf("L=%d: different seeds gave identical chains", L)
		}
		if a.SweepSteps() < 1 || !(a.MeanLoopLength() > 0) {
			t.Errorf("L=%d: SweepSteps %d MeanLoopLength %v", L, a.SweepSteps(), a.MeanLoopLength())
		}
	}
}

func int8sAsBytes(x []int8) []byte {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = byte(v)
	}
	return b
}

func TestDimerLoopNoAlloc(t *testing.T) {
	s := newDimerLoop(t, 8, -0.5, 1, true, 51)
	s.PlaquetteFlips = 8
	for range 100 {
		s.Step()
	}
	if a := testing.AllocsPerRun(200, s.Step); a != 0 {
		t.Errorf("Step allocates %v times", a)
	}
}

// TestDimerLoopLazyNoise checks that the dimer chain does not depend on when
// Config is called (the noise spins use their own stream) and the defaults
// of PlaquetteFlips.
func TestDimerLoopLazyNoise(t *testing.T) {
	a := newDimerLoop(t, 6, 0.5, 1, true, 61)
	b := newDimerLoop(t, 6, 0.5, 1, true, 61)
	if a.PlaquetteFlips != 36 {
		t.Errorf("default PlaquetteFlips at V≠0: %d, want L² = 36", a.PlaquetteFlips)
	}
	if u := newDimerLoop(t, 6, 0, 1, true, 61); u.PlaquetteFlips != 0 {
		t.Errorf("default PlaquetteFlips at V=0: %d, want 0", u.PlaquetteFlips)
	}
	nl := a.Model().NumLinks()
	for i := range 500 {
		a.Step()
		b.Step()
		_ = a.Config()
		if i%10 == 9 {
			if string(int8sAsBytes(a.Config()[:nl])) != string(int8sAsBytes(b.Config()[:nl])) {
				t.Fatalf("step %d: dimer chains differ with different Config call patterns", i)
			}
			if err := b.Model().Valid(b.Config()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Sampling non-interacting dimers on the 8×8 torus: the flippable-plaquette
// density and the winding-number fluctuations (exact values on the 4×4 and
// 6×6 tori: 0.235, 0.238 and 0.294, 0.299).
func ExampleNewDimerLoop() {
	m, err := lattice.NewDimer(8, lattice.DimerOptions{})
	if err != nil {
		panic(err)
	}
	s, err := NewDimerLoop(m, 1, rand.NewPCG(1, 2))
	if err != nil {
		panic(err)
	}
	for range 1000 { // burn-in
		s.Step()
	}
	sweep := s.SweepSteps() // Steps per sweep, fixed from here on
	var flip, w2 float64
	const n = 4000
	for range n {
		for range sweep {
			s.Step()
		}
		x := s.Config()
		flip += float64(m.Flippable(x)) / 64
		wx, wy := m.Winding(x)
		w2 += float64(wx*wx+wy*wy) / 2
	}
	fmt.Println("valid covering:", m.Valid(s.Config()) == nil)
	fmt.Printf("flippable fraction %.2f, <W²> per direction %.1f\n", flip/n, w2/n)
	// Output:
	// valid covering: true
	// flippable fraction 0.24, <W²> per direction 0.3
}

// TestDimerLoopExtremeCoupling checks that very strong couplings |V|/T give
// well-formed exit tables and keep the chain valid, and that at V/T → −∞ a
// loop started in a columnar state never leaves the maximally flippable
// coverings (every move that lowers N is suppressed).
func TestDimerLoopExtremeCoupling(t *testing.T) {
	for _, vt := range []float64{-1e4, -40, 40, 1e4} {
		tab := dimerExitTable(vt)
		for i := 0; i < len(tab); i += 4 {
			if !(tab[i] <= tab[i+1] && tab[i+1] <= tab[i+2] && tab[i+2] <= tab[i+3] && tab[i+3] == 1<<53) {
				t.Fatalf("V/T=%v: exit thresholds %v not cumulative", vt, tab[i:i+4])
			}
		}
		s := newDimerLoop(t, 6, vt*1e-4, 1e-4, true, 71)
		for range 2000 {
			s.Step()
		}
		m := s.Model()
		if err := m.Valid(s.Config()); err != nil {
			t.Fatalf("V/T=%v: %v", vt, err)
		}
		if vt < 0 {
			if f := m.Flippable(s.Config()); f != 18 {
				t.Errorf("V/T=%v: %d flippable plaquettes, want the maximum 18", vt, f)
			}
		}
	}
}
