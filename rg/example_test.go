package rg_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rg"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// One majority-rule RG step with 3×3 blocks on a 6×6 configuration: each
// coarse spin is the sign of its block's sum (no ties in blocks of 9 spins).
func ExampleCoarsen() {
	lat, _ := lattice.NewSquare(6)
	rows := []string{
		"++-+--",
		"+-++--",
		"-++-+-",
		"------",
		"-+-++-",
		"+--+++",
	}
	var data []int8
	for _, r := range rows {
		for _, c := range r {
			if c == '+' {
				data = append(data, 1)
			} else {
				data = append(data, -1)
			}
		}
	}
	ds, _ := sample.NewDataset(lat.Geometry(), data)
	coarse, err := rg.Coarsen(ds, lat, 3, rsmi.Majority{}, rand.NewPCG(1, 2))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("coarse extents:", coarse.Geom.Extents())
	for y := 0; y < 2; y++ {
		fmt.Println(coarse.Row(0)[2*y : 2*y+2])
	}
	// Output:
	// coarse extents: [2 2]
	// [1 -1]
	// [-1 1]
}

// The RG rule of a learned filter. A sharp 2×2 filter with unequal
// weights, as unconstrained RSMI training produces, is majority rule with a
// fixed tie-break: the tied block below (top row up, bottom row down; x
// fastest) always maps to +1. Averaged over the square's 8 rotations and
// reflections (lattice.BlockSymmetries) the tie becomes a fair coin, and
// the rule coarse-grains a configuration like majority rule.
func Example_learnedRule() {
	f := &rsmi.Filter{NH: 1, NV: 4, W: []float64{6.5, 5, 4.5, 3.5}}
	G, err := lattice.BlockSymmetries(2, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	rule, err := rsmi.Symmetrize(rsmi.MostProbable(f), G)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := make([]float64, 2) // P(h = −1 | V), P(h = +1 | V)
	rule.Cond([]int8{1, 1, -1, -1}, p)
	fmt.Printf("P_sym(+1 | tie) = %.2f\n", p[1])
	rule.Cond([]int8{1, 1, 1, -1}, p)
	fmt.Printf("P_sym(+1 | three up) = %.2f\n", p[1])

	lat, _ := lattice.NewSquare(4)
	ds, _ := sample.NewDataset(lat.Geometry(), []int8{
		1, 1, -1, -1,
		1, -1, -1, -1,
		-1, -1, 1, 1,
		-1, -1, 1, 1,
	})
	coarse, err := rg.Coarsen(ds, lat, 2, rule, rand.NewPCG(1, 2))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("coarse:", coarse.Data)
	// Output:
	// P_sym(+1 | tie) = 0.50
	// P_sym(+1 | three up) = 1.00
	// coarse: [1 -1 -1 1]
}
