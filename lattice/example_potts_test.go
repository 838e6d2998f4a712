package lattice_test

import (
	"fmt"
	"math/cmplx"

	"github.com/rsmi-go/rsmi/lattice"
)

// ExampleNewPotts builds the 3-state Potts model on a 4×4 torus and
// evaluates a configuration: its energy, the energy change of one move, and
// the order parameter. The exact critical point of the square lattice and
// the 3-state exponents come with the package.
func ExampleNewPotts() {
	l, err := lattice.NewSquare(4)
	if err != nil {
		panic(err)
	}
	m, err := lattice.NewPotts(l, 3, 1) // H = −Σ_<ij> δ(σ_i, σ_j)
	if err != nil {
		panic(err)
	}
	x := make([]int8, l.N()) // all sites in state 0: 32 equal bonds
	fmt.Println("states:", m.States())
	fmt.Println("energy:", m.Energy(x))
	fmt.Println("ΔE of setting site 5 to state 2:", m.DeltaE(x, 5, 2))
	fmt.Printf("|m| = %.3f\n", cmplx.Abs(m.Magnetization(x)))
	nu, yh, _ := lattice.PottsExponents2D(3)
	fmt.Printf("T_c = %.6f, ν = %.4f, y_h = %.4f\n", lattice.PottsSquareTc(3, 1), nu, yh)
	// Output:
	// states: [0 1 2]
	// energy: -32
	// ΔE of setting site 5 to state 2: 4
	// |m| = 1.000
	// T_c = 0.994973, ν = 0.8333, y_h = 1.8667
}
