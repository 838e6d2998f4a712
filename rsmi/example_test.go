package rsmi_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
)

// Learn the coarse-graining filter of a 1D Ising chain at K = J/T = 1 with
// the exact oracle: a block of 2 spins, a buffer of 1 and an environment of
// 2 spins on each side. The learned filter acts as decimation: one weight
// grows, the other stays near 1, and the MI reaches decimation's.
func ExampleTrain() {
	est, err := rsmi.NewExactChain(1, 2, 1, 2)
	if err != nil {
		panic(err)
	}
	f, err := rsmi.NewFilter(1, 2, rand.NewPCG(1, 2))
	if err != nil {
		panic(err)
	}
	res, err := rsmi.Train(context.Background(), est, f, &rsmi.TrainOptions{Steps: 10000, LearningRate: 0.01})
	if err != nil {
		panic(err)
	}
	dec, _ := est.RuleMI(rsmi.Decimation{Site: 0})
	maj, _ := est.RuleMI(rsmi.Majority{})
	ratio := math.Max(math.Abs(f.W[0]), math.Abs(f.W[1])) / math.Min(math.Abs(f.W[0]), math.Abs(f.W[1]))
	fmt.Printf("learned filter: %.3f bit, weight ratio > 5: %v\n", res.MI, ratio > 5)
	fmt.Printf("decimation:     %.3f bit\n", dec)
	fmt.Printf("majority rule:  %.3f bit\n", maj)
	fmt.Printf("I(V:E):         %.3f bit\n", est.VisibleMI())
	// Output:
	// learned filter: 0.356 bit, weight ratio > 5: true
	// decimation:     0.356 bit
	// majority rule:  0.347 bit
	// I(V:E):         0.469 bit
}

// Regions on a 16×16 square lattice: a 2×2 block, a buffer of width 1 and an
// environment shell of width 2, at every one of the 256 block positions.
func ExampleNewRegions() {
	l, _ := lattice.NewSquare(16)
	r, err := rsmi.NewRegions(l.Geometry(), []int{2, 2}, &rsmi.RegionOptions{Buffer: 1, Env: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println("positions:", r.NumPositions())
	fmt.Println("|V| =", r.NV(), "|B| =", len(r.B(0)), "|E| =", r.NE())
	fmt.Println("V at origin (3,5):", r.V(3+16*5))
	// Output:
	// positions: 256
	// |V| = 4 |B| = 12 |E| = 48
	// V at origin (3,5): [83 84 99 100]
}
