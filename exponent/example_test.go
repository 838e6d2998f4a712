package exponent_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/exponent"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// Swendsen's MCRG for the 2D Ising model at its critical point: sample a
// 16×16 torus with Swendsen–Wang, coarse-grain with the 2×2 majority rule and
// read off y_t (ν = 1/y_t) and y_h (η = 4 − 2y_h) from the second RG step.
func ExampleMCRG() {
	lat, _ := lattice.NewSquare(16)
	model, _ := lattice.NewNearestNeighborIsing(lat, 1)
	Tc := 2 / math.Log(1+math.Sqrt2)
	ds, err := sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) {
		return sample.NewSwendsenWang(model, Tc, src)
	}, sample.Plan{Chains: 2, BurnIn: 100, Every: 1, PerChain: 4000}, rand.NewPCG(1, 2))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := exponent.MCRG(context.Background(), ds, lat, &exponent.MCRGOptions{Src: rand.NewPCG(3, 4)})
	if err != nil {
		fmt.Println(err)
		return
	}
	lv := res.Levels[1] // T^(2): the 4×4 lattice against the 8×8 one
	yt, yh := lv.Even[len(lv.Even)-1], lv.Odd[len(lv.Odd)-1]
	fmt.Printf("level %d on %v, %d even and %d odd operators\n", lv.Level, lv.Extents, yt.NumOps, yh.NumOps)
	nu, _ := yt.Nu()
	fmt.Printf("y_t = %.1f, ν = %.1f (exact 1)\n", yt.Y, nu)
	fmt.Printf("y_h = %.1f (exact 15/8)\n", yh.Y)
	// Output:
	// level 2 on [4 4], 4 even and 4 odd operators
	// y_t = 1.0, ν = 1.0 (exact 1)
	// y_h = 1.9 (exact 15/8)
}
