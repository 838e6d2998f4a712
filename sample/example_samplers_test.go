package sample_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// Potts is a user-defined model written only against the public
// lattice.Model interface: the q-state Potts model
// H = −J Σ_<ij> δ(s_i, s_j) on a periodic lattice, states 0 … q−1.
type Potts struct {
	Lat *lattice.Lattice
	Q   int
	J   float64
}

func (p *Potts) Geometry() *lattice.Geometry { return p.Lat.Geometry() }

func (p *Potts) States() []int8 {
	s := make([]int8, p.Q)
	for i := range s {
		s[i] = int8(i)
	}
	return s
}

func (p *Potts) Energy(x []int8) float64 {
	var e float64
	for i := range x {
		for _, j := range p.Lat.Neighbors(i) {
			if x[i] == x[j] {
				e -= p.J
			}
		}
	}
	return e / 2 // every bond seen from both ends
}

func (p *Potts) DeltaE(x []int8, i int, v int8) float64 {
	var d float64
	for _, j := range p.Lat.Neighbors(i) {
		if x[j] == x[i] {
			d += p.J
		}
		if x[j] == v {
			d -= p.J
		}
	}
	return d
}

// pottsExact returns the exact energy per site by enumerating all q^n states.
func pottsExact(p *Potts, T float64) float64 {
	n := p.Lat.N()
	x := make([]int8, n)
	var z, ze float64
	for {
		e := p.Energy(x)
		w := math.Exp(-e / T)
		z += w
		ze += w * e
		k := 0 // odometer
		for ; k < n && int(x[k]) == p.Q-1; k++ {
			x[k] = 0
		}
		if k == n {
			break
		}
		x[k]++
	}
	return ze / z / float64(n)
}

// pottsEnergy runs s and returns the energy per site with a binning error.
func pottsEnergy(p *Potts, s sample.Sampler, sweeps int) (mean, stderr float64) {
	for range 1000 {
		s.Step()
	}
	e := make([]float64, sweeps)
	for i := range e {
		s.Step()
		e[i] = p.Energy(s.Config()) / float64(p.Lat.N())
	}
	return sample.BinningError(e)
}

// ExampleMetropolis_customModel samples a model the package knows nothing
// about — the 3-state Potts model defined above on a 3×3 torus — and checks
// the energy against enumeration of all 3^9 states.
func ExampleMetropolis_customModel() {
	l, err := lattice.NewSquare(3)
	if err != nil {
		panic(err)
	}
	p := &Potts{Lat: l, Q: 3, J: 1}
	const T = 1.0
	s, err := sample.NewMetropolis(p, T, rand.NewPCG(1, 2))
	if err != nil {
		panic(err)
	}
	e, de := pottsEnergy(p, s, 50000)
	exact := pottsExact(p, T)
	fmt.Printf("exact energy per site: %.4f\n", exact)
	fmt.Println("Monte Carlo within 4 standard errors:", math.Abs(e-exact) < 4*de)
	// Output:
	// exact energy per site: -1.7363
	// Monte Carlo within 4 standard errors: true
}

func TestPottsEnumeration(t *testing.T) {
	l, err := lattice.NewSquare(3)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    int
		J, T float64
	}{{3, 1, 1.0}, {3, 1, 0.7}, {4, -0.5, 0.8}} {
		p := &Potts{Lat: l, Q: c.q, J: c.J}
		exact := pottsExact(p, c.T)
		for k, mk := range []func(src rand.Source) (sample.Sampler, error){
			func(src rand.Source) (sample.Sampler, error) { return sample.NewMetropolis(p, c.T, src) },
			func(src rand.Source) (sample.Sampler, error) { return sample.NewHeatBath(p, c.T, src) },
		} {
			s, err := mk(rand.NewPCG(uint64(c.q), uint64(k)))
			if err != nil {
				t.Fatal(err)
			}
			e, de := pottsEnergy(p, s, 40000)
			if !(de > 0) || math.Abs(e-exact) > 4*de {
				t.Errorf("%T q=%d J=%v T=%v: e = %.5f ± %.5f, exact %.5f", s, c.q, c.J, c.T, e, de, exact)
			} else {
				t.Logf("%T q=%d J=%v T=%v: e = %.5f ± %.5f, exact %.5f", s, c.q, c.J, c.T, e, de, exact)
			}
		}
	}
}

// TestCustomModelChecks covers reproducibility, allocation and input checks
// for a model outside the package.
func TestCustomModelChecks(t *testing.T) {
	l, _ := lattice.NewSquare(3)
	p := &Potts{Lat: l, Q: 3, J: 1}
	a, _ := sample.NewHeatBath(p, 1, rand.NewPCG(4, 4))
	b, _ := sample.NewHeatBath(p, 1, rand.NewPCG(4, 4))
	for step := 0; step < 20; step++ {
		if fmt.Sprint(a.Config()) != fmt.Sprint(b.Config()) {
			t.Fatalf("step %d: same seed, different configurations", step)
		}
		a.Step()
		b.Step()
	}
	m, _ := sample.NewMetropolis(p, 1, rand.NewPCG(4, 5))
	if n := testing.AllocsPerRun(20, m.Step); n != 0 {
		t.Errorf("Metropolis: %v allocations per Step", n)
	}
	if n := testing.AllocsPerRun(20, a.Step); n != 0 {
		t.Errorf("HeatBath: %v allocations per Step", n)
	}
	if err := m.SetConfig([]int8{0, 1, 2, 0, 1, 2, 0, 1, 2}); err != nil {
		t.Error(err)
	}
	if m.SetConfig([]int8{0, 1, 3, 0, 1, 2, 0, 1, 2}) == nil {
		t.Error("Potts value 3 accepted")
	}
	for _, q := range []int{1} {
		if _, err := sample.NewMetropolis(&Potts{Lat: l, Q: q, J: 1}, 1, rand.NewPCG(1, 1)); err == nil {
			t.Errorf("Metropolis accepted a %d-state model", q)
		}
	}
	if _, err := sample.NewHeatBath(dupStates{p}, 1, rand.NewPCG(1, 1)); err == nil {
		t.Error("HeatBath accepted duplicate states")
	}
}

type dupStates struct{ *Potts }

func (dupStates) States() []int8 { return []int8{0, 1, 1} }

// hardCore is a lattice gas with nearest-neighbour exclusion: states {0, 1},
// E = −μ Σ n_i, and +Inf if two neighbours are occupied. It exercises the
// forbidden-state (ΔE = +Inf) handling of the generic samplers.
type hardCore struct {
	lat *lattice.Lattice
	mu  float64
}

func (h *hardCore) Geometry() *lattice.Geometry { return h.lat.Geometry() }
func (h *hardCore) States() []int8              { return []int8{0, 1} }
func (h *hardCore) Energy(x []int8) float64 {
	var e float64
	for i, v := range x {
		if v == 1 {
			for _, j := range h.lat.Neighbors(i) {
				if x[j] == 1 {
					return math.Inf(1)
				}
			}
			e -= h.mu
		}
	}
	return e
}
func (h *hardCore) DeltaE(x []int8, i int, v int8) float64 {
	switch {
	case v == x[i]:
		return 0
	case v == 0:
		return h.mu
	}
	for _, j := range h.lat.Neighbors(i) {
		if x[j] == 1 {
			return math.Inf(1)
		}
	}
	return -h.mu
}

func TestHardCoreGas(t *testing.T) {
	l, err := lattice.NewLattice(3, 4)
	if err != nil {
		t.Fatal(err)
	}
	h := &hardCore{lat: l, mu: 0.8}
	const T = 0.7
	n := l.N()
	var z, zn float64
	x := make([]int8, n)
	for b := 0; b < 1<<n; b++ {
		occ := 0
		for i := range x {
			x[i] = int8(b >> i & 1)
			occ += int(x[i])
		}
		w := math.Exp(-h.Energy(x) / T) // 0 for forbidden configurations
		z += w
		zn += w * float64(occ)
	}
	exact := zn / z / float64(n)
	for k, mk := range []func(src rand.Source) (sample.Sampler, error){
		func(src rand.Source) (sample.Sampler, error) { return sample.NewMetropolis(h, T, src) },
		func(src rand.Source) (sample.Sampler, error) { return sample.NewHeatBath(h, T, src) },
	} {
		s, err := mk(rand.NewPCG(8, uint64(k)))
		if err != nil {
			t.Fatal(err)
		}
		// start from an allowed configuration (the empty lattice)
		if err := s.(interface{ SetConfig([]int8) error }).SetConfig(make([]int8, n)); err != nil {
			t.Fatal(err)
		}
		for range 1000 {
			s.Step()
		}
		dens := make([]float64, 40000)
		for i := range dens {
			s.Step()
			if math.IsInf(h.Energy(s.Config()), 1) {
				t.Fatalf("%T reached a forbidden configuration", s)
			}
			occ := 0
			for _, v := range s.Config() {
				occ += int(v)
			}
			dens[i] = float64(occ) / float64(n)
		}
		d, dd := sample.BinningError(dens)
		if !(dd > 0) || math.Abs(d-exact) > 4*dd {
			t.Errorf("%T: density %.5f ± %.5f, exact %.5f", s, d, dd, exact)
		} else {
			t.Logf("%T: density %.5f ± %.5f, exact %.5f", s, d, dd, exact)
		}
	}
}
