package exponent_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/exponent"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
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
	res, err := exponent.MCRG(context.Background(), ds, lat, rand.NewPCG(3, 4), &exponent.MCRGOptions{})
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

// Two rules on the same configurations in one pass, fed in batches as a
// sampler produces them; the stream keeps only moments, and its state can
// be saved and restored mid-way (MarshalBinary, UnmarshalBinary).
func ExampleMCRGStream() {
	lat, _ := lattice.NewSquare(16)
	model, _ := lattice.NewNearestNeighborIsing(lat, 1)
	Tc := 2 / math.Log(1+math.Sqrt2)
	const n, batch = 8000, 1000
	rules := []rsmi.Rule{rsmi.Majority{}, rsmi.Decimation{}}
	st, err := exponent.NewMCRGStream(lat, n, rules, rand.NewPCG(3, 4), &exponent.MCRGOptions{Levels: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	src := rand.NewPCG(1, 2)
	for first := 0; first < n; first += batch {
		// One batch of configurations, e.g. one shard of a long sampling run.
		ds, err := sample.Collect(context.Background(), func(s rand.Source) (sample.Sampler, error) {
			return sample.NewSwendsenWang(model, Tc, s)
		}, sample.Plan{Chains: 1, BurnIn: 100, Every: 1, PerChain: batch}, src)
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := st.Add(context.Background(), first, ds.Data); err != nil {
			fmt.Println(err)
			return
		}
	}
	for r, name := range []string{"majority", "decimation"} {
		res, err := st.Result(r)
		if err != nil {
			fmt.Println(err)
			return
		}
		lv := res.Levels[1]
		yh := lv.Odd[len(lv.Odd)-1]
		fmt.Printf("%-10s level %d: y_h = %.1f (exact 15/8)\n", name, lv.Level, yh.Y)
	}
	// Output:
	// majority   level 2: y_h = 1.9 (exact 15/8)
	// decimation level 2: y_h = 1.9 (exact 15/8)
}
