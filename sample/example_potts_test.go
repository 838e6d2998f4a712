package sample_test

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// ExampleNewPottsSwendsenWang samples the 3-state Potts model
// H = −Σ_<ij> δ(σ_i, σ_j) on a 32×32 torus at its exact critical point
// T_c = 1/ln(1+√3) with Swendsen–Wang sweeps, and compares the energy per
// site with the exact infinite-lattice value at T_c, −(1 + 1/√q) (Baxter),
// from which a 32×32 lattice differs by about 1%.
func ExampleNewPottsSwendsenWang() {
	l, err := lattice.NewSquare(32)
	if err != nil {
		panic(err)
	}
	m, err := lattice.NewPotts(l, 3, 1)
	if err != nil {
		panic(err)
	}
	Tc := lattice.PottsSquareTc(3, 1)
	s, err := sample.NewPottsSwendsenWang(m, Tc, rand.NewPCG(1, 2))
	if err != nil {
		panic(err)
	}
	for range 200 { // burn-in
		s.Step()
	}
	e := make([]float64, 4000)
	var m2 float64
	for k := range e {
		s.Step()
		e[k] = m.Energy(s.Config()) / float64(l.N())
		a := cmplx.Abs(m.Magnetization(s.Config()))
		m2 += a * a / float64(len(e))
	}
	mean, stderr := sample.BinningError(e)
	fmt.Printf("T_c = %.6f\n", Tc)
	fmt.Printf("energy per site: %.3f ± %.3f (L → ∞: %.3f)\n", mean, stderr, -(1 + 1/math.Sqrt(3)))
	fmt.Printf("<|m|²> = %.2f\n", m2)
	// Output:
	// T_c = 0.994973
	// energy per site: -1.595 ± 0.006 (L → ∞: -1.577)
	// <|m|²> = 0.44
}
