package sample

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/internal/pottsexact"
	"github.com/rsmi-go/rsmi/lattice"
)

// Physics tests of the Potts samplers (PottsWolff, PottsSwendsenWang, and
// the generic Metropolis and HeatBath on a *lattice.Potts) against exact
// enumeration (internal/pottsexact): energy and specific heat per site and
// the moments ⟨|m|²⟩, ⟨|m|⁴⟩ of the order parameter m = (1/N) Σ e^{2πiσ/q},
// within 4 standard errors (binning for means, block jackknife for the
// specific heat and the ratio ⟨|m|⁴⟩/⟨|m|²⟩²).

// pottsTc3 is the exact critical temperature of the 3-state Potts model on
// the square lattice at J = 1.
var pottsTc3 = lattice.PottsSquareTc(3, 1)

// pottsSeries records per-measurement energy per site and |m|².
type pottsSeries struct {
	n     int
	e, m2 []float64
}

// measurePotts runs s for burn steps, then records nmeas measurements with
// thin Steps before each.
func measurePotts(s Sampler, m *lattice.Potts, burn, nmeas, thin int) pottsSeries {
	for range burn {
		s.Step()
	}
	ser := pottsSeries{n: m.Lattice().N(), e: make([]float64, nmeas), m2: make([]float64, nmeas)}
	for k := range nmeas {
		for range thin {
			s.Step()
		}
		x := s.Config()
		a := cmplx.Abs(m.Magnetization(x))
		ser.e[k] = m.Energy(x) / float64(ser.n)
		ser.m2[k] = a * a
	}
	return ser
}

// checkPotts compares e, c, ⟨|m|²⟩, ⟨|m|⁴⟩ and ⟨|m|⁴⟩/⟨|m|²⟩² with ex.
func checkPotts(t *testing.T, name string, ser pottsSeries, T float64, ex pottsexact.Values) {
	t.Helper()
	e, de := BinningError(ser.e)
	checkWithin(t, name+" e", e, de, ex.E)
	c, dc := isingSeries{n: ser.n, e: ser.e}.specificHeat(T)
	checkWithin(t, name+" c", c, dc, ex.C)
	m2, dm2 := BinningError(ser.m2)
	checkWithin(t, name+" <|m|²>", m2, dm2, ex.M2)
	m4s := make([]float64, len(ser.m2))
	for i, v := range ser.m2 {
		m4s[i] = v * v
	}
	m4, dm4 := BinningError(m4s)
	checkWithin(t, name+" <|m|⁴>", m4, dm4, ex.M4)
	r, dr := blockJackknife(func(x []float64) float64 { return x[1] / (x[0] * x[0]) }, ser.m2, m4s)
	checkWithin(t, name+" <|m|⁴>/<|m|²>²", r, dr, ex.M4/(ex.M2*ex.M2))
}

// clusterThin returns the number of single-cluster steps that recolour
// about n/2 sites on average, from a pilot run of 1000 steps.
func clusterThin(w *PottsWolff, n int) int {
	size := 0
	for range 1000 {
		w.Step()
		size += w.LastClusterSize()
	}
	return max(1, n*1000/(2*size))
}

// pottsSamplers are the four samplers checked on every Potts model, with
// the number of measurements each makes (the cluster samplers decorrelate
// faster and take fewer).
var pottsSamplers = []struct {
	name  string
	nmeas int
	new   func(m *lattice.Potts, T float64, src rand.Source) (Sampler, error)
}{
	{"PottsWolff", 40000, func(m *lattice.Potts, T float64, src rand.Source) (Sampler, error) { return NewPottsWolff(m, T, src) }},
	{"PottsSwendsenWang", 40000, func(m *lattice.Potts, T float64, src rand.Source) (Sampler, error) {
		return NewPottsSwendsenWang(m, T, src)
	}},
	{"Metropolis", 100000, func(m *lattice.Potts, T float64, src rand.Source) (Sampler, error) { return NewMetropolis(m, T, src) }},
	{"HeatBath", 60000, func(m *lattice.Potts, T float64, src rand.Source) (Sampler, error) { return NewHeatBath(m, T, src) }},
}

// pottsMeas returns the number of measurements for a sampler: a quarter
// under -short (the race detector makes these loops about 5 times slower).
func pottsMeas(n int) int {
	if testing.Short() {
		return n / 4
	}
	return n
}

// runPotts checks every sampler named in only (all if nil) on m at each T
// against exact enumeration.
func runPotts(t *testing.T, m *lattice.Potts, temps []float64, seed uint64, only map[string]bool) {
	t.Helper()
	l := m.Lattice()
	dos, err := pottsexact.Enumerate(m.Q(), l.N(), l.NeighborTable())
	if err != nil {
		t.Fatal(err)
	}
	for ti, T := range temps {
		ex := dos.At(m.J(), 0, T)
		t.Logf("%v q=%d T=%.6f exact: e = %.6f, c = %.6f, <|m|²> = %.6f, <|m|⁴> = %.6f", l.Extents(), m.Q(), T, ex.E, ex.C, ex.M2, ex.M4)
		for k, sm := range pottsSamplers {
			if only != nil && !only[sm.name] {
				continue
			}
			s, err := sm.new(m, T, rand.NewPCG(seed, uint64(10*ti+k)))
			if err != nil {
				t.Fatal(err)
			}
			thin := 1
			if w, ok := s.(*PottsWolff); ok {
				thin = clusterThin(w, l.N())
			}
			ser := measurePotts(s, m, 1000, pottsMeas(sm.nmeas), thin)
			checkPotts(t, fmt.Sprintf("%s %v q=%d T=%.4f", sm.name, l.Extents(), m.Q(), T), ser, T, ex)
		}
	}
}

func mustPotts(t testing.TB, q int, J float64, ext ...int) *lattice.Potts {
	t.Helper()
	l, err := lattice.NewLattice(ext...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := lattice.NewPotts(l, q, J)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPotts4x4 checks all four samplers on the 3-state Potts model on the
// 4×4 torus against enumeration of its 3^16 states below, at and above the
// critical temperature T_c = 1/ln(1+√3).
func TestPotts4x4(t *testing.T) {
	runPotts(t, mustPotts(t, 3, 1, 4, 4), []float64{0.8, pottsTc3, 1.3}, 13, nil)
}

// TestPottsSmallLattices checks the samplers on the 3×3 torus (odd
// extents) at T_c, the 2×2×2 cube (double bonds) and a chain, and the cluster
// samplers at q = 4 on 3×3 and on the 2×4 torus (double bonds along x).
func TestPottsSmallLattices(t *testing.T) {
	runPotts(t, mustPotts(t, 3, 1, 3, 3), []float64{pottsTc3}, 14, nil)
	runPotts(t, mustPotts(t, 3, 1, 2, 2, 2), []float64{1.8}, 15, nil)
	runPotts(t, mustPotts(t, 3, 1, 8), []float64{0.7}, 16, nil)
	cluster := map[string]bool{"PottsWolff": true, "PottsSwendsenWang": true}
	runPotts(t, mustPotts(t, 4, 1, 3, 3), []float64{lattice.PottsSquareTc(4, 1)}, 17, cluster)
	runPotts(t, mustPotts(t, 3, 1, 2, 4), []float64{1.0}, 20, cluster)
}

// TestPottsIsingLimit checks the q = 2 cluster samplers at J = 2 on the 4×4
// torus against the exact Ising model at K = J/2 = 1 (an independent
// enumeration of ±1 spins) at the Ising T_c: e_Potts = e_Ising − J·d/2,
// equal specific heat and ⟨m²⟩.
func TestPottsIsingLimit(t *testing.T) {
	m := mustPotts(t, 2, 2, 4, 4)
	const T = 2.269185
	ix := exactIsing2D(4, T)
	ex := pottsexact.Values{E: ix.e - 2, C: ix.c, M2: ix.m2, M4: (1 - ix.u) * 3 * ix.m2 * ix.m2}
	for k, sm := range pottsSamplers[:2] {
		s, err := sm.new(m, T, rand.NewPCG(18, uint64(k)))
		if err != nil {
			t.Fatal(err)
		}
		thin := 1
		if w, ok := s.(*PottsWolff); ok {
			thin = clusterThin(w, 16)
		}
		checkPotts(t, sm.name+" q=2", measurePotts(s, m, 1000, pottsMeas(sm.nmeas), thin), T, ex)
	}
}

// TestPottsClusterDeterministic checks that a seed fixes the chain and that
// SetConfig restarts it.
func TestPottsClusterDeterministic(t *testing.T) {
	m := mustPotts(t, 3, 1, 6, 5)
	for k, sm := range pottsSamplers[:2] {
		run := func(seed uint64) []int8 {
			s, err := sm.new(m, pottsTc3, rand.NewPCG(seed, uint64(k)))
			if err != nil {
				t.Fatal(err)
			}
			for range 50 {
				s.Step()
			}
			return append([]int8(nil), s.Config()...)
		}
		a, b, c := run(1), run(1), run(2)
		if string(int8Bytes(a)) != string(int8Bytes(b)) {
			t.Errorf("%s: same seed, different chains", sm.name)
		}
		if string(int8Bytes(a)) == string(int8Bytes(c)) {
			t.Errorf("%s: different seeds, same chain", sm.name)
		}
		for _, v := range a {
			if v < 0 || v > 2 {
				t.Fatalf("%s: state %d", sm.name, v)
			}
		}
	}
}

// TestPottsClusterSetConfig checks SetConfig's validation and that a cold
// start at T → 0⁺ stays ordered while every cluster spans the lattice.
func TestPottsClusterSetConfig(t *testing.T) {
	m := mustPotts(t, 3, 1, 4, 4)
	w, _ := NewPottsWolff(m, 1e-3, rand.NewPCG(1, 1))
	sw, _ := NewPottsSwendsenWang(m, 1e-3, rand.NewPCG(1, 2))
	for _, s := range []interface {
		Sampler
		SetConfig([]int8) error
	}{w, sw} {
		if err := s.SetConfig(make([]int8, 15)); err == nil {
			t.Errorf("%T: short configuration accepted", s)
		}
		bad := make([]int8, 16)
		bad[3] = 3
		if err := s.SetConfig(bad); err == nil {
			t.Errorf("%T: state 3 accepted at q = 3", s)
		}
		bad[3] = -1
		if err := s.SetConfig(bad); err == nil {
			t.Errorf("%T: state −1 accepted", s)
		}
		cold := make([]int8, 16)
		for i := range cold {
			cold[i] = 2
		}
		if err := s.SetConfig(cold); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			s.Step()
			if e := m.EqualBonds(s.Config()); e != 32 {
				t.Fatalf("%T at T = 0.001: %d equal bonds after a step, want 32", s, e)
			}
		}
	}
	w.Step()
	if w.LastClusterSize() != 16 {
		t.Errorf("Wolff cluster at T = 0.001 has %d sites, want 16", w.LastClusterSize())
	}
}

// TestPottsClusterNoAlloc checks that Step does not allocate.
func TestPottsClusterNoAlloc(t *testing.T) {
	m := mustPotts(t, 3, 1, 8, 8)
	for k, sm := range pottsSamplers[:2] {
		s, err := sm.new(m, pottsTc3, rand.NewPCG(3, uint64(k)))
		if err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(100, s.Step); a != 0 {
			t.Errorf("%s: %v allocations per Step", sm.name, a)
		}
	}
}

// TestPottsClusterBadInput feeds the Potts cluster constructors invalid
// values.
func TestPottsClusterBadInput(t *testing.T) {
	sq, _ := lattice.NewSquare(4)
	good, _ := lattice.NewPotts(sq, 3, 1)
	anti, _ := lattice.NewPotts(sq, 3, -1)
	field, _ := lattice.NewPottsField(sq, 3, 1, 0.1)
	src := rand.NewPCG(1, 2)
	var cases badinput.Calls
	for _, c := range []struct {
		name string
		m    *lattice.Potts
		T    float64
		src  rand.Source
	}{
		{"nil model", nil, 1, src}, {"nil source", good, 1, nil},
		{"T=0", good, 0, src}, {"T=-1", good, -1, src}, {"T=NaN", good, math.NaN(), src}, {"T=Inf", good, math.Inf(1), src},
		{"J<0", anti, 1, src}, {"field", field, 1, src},
	} {
		cases = append(cases, badinput.Calls{
			{"NewPottsWolff " + c.name, func() (any, error) { return NewPottsWolff(c.m, c.T, c.src) }},
			{"NewPottsSwendsenWang " + c.name, func() (any, error) { return NewPottsSwendsenWang(c.m, c.T, c.src) }},
		}...)
	}
	badinput.Sweep(t, "sample:", cases)
}

// TestPottsClusterAgree checks PottsWolff and PottsSwendsenWang against
// each other on the 16×16 torus at T_c, beyond the reach of enumeration:
// energy per site and ⟨|m|²⟩ must agree within 4 combined standard errors.
func TestPottsClusterAgree(t *testing.T) {
	m := mustPotts(t, 3, 1, 16, 16)
	var sers [2]pottsSeries
	for k, sm := range pottsSamplers[:2] {
		s, err := sm.new(m, pottsTc3, rand.NewPCG(19, uint64(k)))
		if err != nil {
			t.Fatal(err)
		}
		thin := 1
		if w, ok := s.(*PottsWolff); ok {
			thin = clusterThin(w, 256)
		}
		sers[k] = measurePotts(s, m, 1000, pottsMeas(20000), thin)
	}
	for _, o := range []struct {
		name string
		get  func(s pottsSeries) []float64
	}{{"e", func(s pottsSeries) []float64 { return s.e }}, {"<|m|²>", func(s pottsSeries) []float64 { return s.m2 }}} {
		a, da := BinningError(o.get(sers[0]))
		b, db := BinningError(o.get(sers[1]))
		checkWithin(t, "16×16 T_c "+o.name+": Wolff − SwendsenWang", a-b, math.Hypot(da, db), 0)
		t.Logf("16×16 T_c %s: Wolff %.5f ± %.5f, SwendsenWang %.5f ± %.5f", o.name, a, da, b, db)
	}
}
