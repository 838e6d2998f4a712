package rg

import (
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

type (
	hugeOutputs    struct{ rsmi.Majority }
	nilCoarseState struct{ rsmi.Majority }
	unsortedCoarse struct{ rsmi.Majority }
)

func (hugeOutputs) Outputs() int      { return 1 << 30 }
func (nilCoarseState) States() []int8 { return nil }
func (unsortedCoarse) States() []int8 { return []int8{1, -1} }

// TestCoarsenMalformedRule requires malformed rules to be refused by name:
// 2^30 outputs per block used to panic in makeslice, a rule without values
// or with unsorted values coarse-grained silently.
func TestCoarsenMalformedRule(t *testing.T) {
	sq, _ := lattice.NewSquare(8)
	x := make([]int8, 64*4)
	for i := range x {
		x[i] = int8(2*(i%2) - 1)
	}
	ds, _ := sample.NewDataset(sq.Geometry(), x)
	src := rand.NewPCG(1, 1)
	coarsen := func(r rsmi.Rule) func() (any, error) {
		return func() (any, error) { return Coarsen(ds, sq, 2, r, src) }
	}
	badinput.Sweep(t, "rg:", badinput.Calls{
		{"2^30 outputs", coarsen(hugeOutputs{})},
		{"nil States", coarsen(nilCoarseState{})},
		{"unsorted States", coarsen(unsortedCoarse{})},
		{"MostProbable(nil)", coarsen(rsmi.MostProbable(nil))},
	})
}
