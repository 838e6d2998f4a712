package rg_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rg"
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
	coarse, err := rg.Coarsen(ds, lat, 3, rg.Majority{}, rand.NewPCG(1, 2))
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
