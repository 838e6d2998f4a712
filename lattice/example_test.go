package lattice_test

import (
	"fmt"

	"github.com/rsmi-go/rsmi/lattice"
)

// A 2D Ising model with nearest- and next-nearest-neighbour couplings.
func ExampleNewIsing() {
	l, err := lattice.NewSquare(4)
	if err != nil {
		panic(err)
	}
	m, err := lattice.NewIsing(l,
		lattice.Term{Op: lattice.NearestNeighbor(2), J: 1},
		lattice.Term{Op: lattice.NextNearest(2), J: 0.5},
	)
	if err != nil {
		panic(err)
	}
	s := make([]int8, l.N())
	for i := range s {
		s[i] = 1
	}
	fmt.Println("ground state energy:", m.Energy(s))
	fmt.Println("flip cost of one spin:", m.DeltaE(s, 0, -1))
	fmt.Println("interaction range:", m.Range())
	// Output:
	// ground state energy: -48
	// flip cost of one spin: 12
	// interaction range: 1
}

// A user-defined operator: the L-shaped three-spin product and its images
// under the square lattice's rotations and reflections.
func ExampleSymmetrized() {
	op, err := lattice.Symmetrized("L3", []int{0, 0}, []int{1, 0}, []int{0, 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(op.Patterns), "orientations, even:", op.Even())
	// Output: 4 orientations, even: false
}
