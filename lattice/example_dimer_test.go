package lattice_test

import (
	"fmt"

	"github.com/rsmi-go/rsmi/lattice"
)

// Close-packed dimers on the 4×4 torus with the aligned-plaquette
// interaction: the columnar and staggered coverings, their energies and
// winding numbers, and the exact count of coverings.
func ExampleNewDimer() {
	m, err := lattice.NewDimer(4, lattice.DimerOptions{V: -1, NoiseSpins: true})
	if err != nil {
		panic(err)
	}
	fmt.Println("links:", m.NumLinks(), "dofs:", m.Geometry().NumDOF())
	fmt.Println("up link of site (1,2) at", m.Geometry().Coord(m.LinkIndex(1, 2, lattice.DimerUp), nil))

	col := m.ColumnarConfig()
	wx, wy := m.Winding(col)
	fmt.Printf("columnar: flippable %d, energy %g, winding (%d,%d)\n", m.Flippable(col), m.Energy(col), wx, wy)
	stag := m.StaggeredConfig()
	wx, wy = m.Winding(stag)
	fmt.Printf("staggered: flippable %d, energy %g, winding (%d,%d)\n", m.Flippable(stag), m.Energy(stag), wx, wy)

	n, err := m.Coverings(nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("coverings:", n)

	if _, err := lattice.NewDimer(5, lattice.DimerOptions{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// links: 32 dofs: 64
	// up link of site (1,2) at [2 5]
	// columnar: flippable 8, energy -8, winding (0,0)
	// staggered: flippable 0, energy 0, winding (2,0)
	// coverings: 272
	// lattice: dimer lattice size L = 5 is odd (close packing needs an even number of sites per row)
}
