package rg_test

import (
	"fmt"

	"github.com/rsmi-go/rsmi/rg"
	"github.com/rsmi-go/rsmi/rsmi"
)

// A sharp 2×2 filter with unequal weights, as unconstrained RSMI training
// produces, is majority rule with a fixed tie-break: the tied block below
// (top row up, bottom row down; x fastest) always maps to +1. Averaged over
// the square's 8 rotations and reflections the tie becomes a fair coin.
func ExampleSymmetrizedFilterRule() {
	f := &rsmi.Filter{NH: 1, NV: 4, W: []float64{6.5, 5, 4.5, 3.5}}
	rule, err := rg.NewSymmetrizedFilterRule(f, 2, 2, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	tie := []int8{1, 1, -1, -1}
	up := []int8{1, 1, 1, -1}
	fmt.Println("images:", rule.Images())
	fmt.Printf("raw filter field on the tie: %+.1f\n", f.Field(tie, 0))
	fmt.Printf("P_sym(+1 | tie) = %.2f\n", rule.Prob(tie, []int8{1}))
	fmt.Printf("P_sym(+1 | three up) = %.2f\n", rule.Prob(up, []int8{1}))
	// Output:
	// images: 8
	// raw filter field on the tie: +3.5
	// P_sym(+1 | tie) = 0.50
	// P_sym(+1 | three up) = 1.00
}
