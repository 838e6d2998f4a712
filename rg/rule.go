package rg

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// Rule maps the fine degrees of freedom of one block to coarse ±1
// variables: one step of a real-space renormalization-group transformation.
//
// A block is passed as the values of its b^d fine dofs in the order of their
// offsets from the block origin, x fastest (the order of rsmi.Regions' V),
// so block[0] is the dof at the block origin.
type Rule interface {
	// Outputs returns the number of coarse variables per block.
	Outputs() int
	// Check returns an error if the rule cannot act on blocks of nv dofs.
	Check(nv int) error
	// Apply writes the Outputs() coarse variables of block into dst, drawing
	// any randomness from src. It must not modify block or retain src.
	Apply(dst, block []int8, src rand.Source)
}

// coin returns ±1 with equal probability.
func coin(src rand.Source) int8 { return int8(2*(src.Uint64()>>63)) - 1 }

// Majority is the majority rule: the coarse spin is the sign of the block
// sum, and a tie (a zero sum, possible in blocks of an even number of spins)
// is broken by a fair coin. A random tie-break keeps the rule symmetric under
// the lattice's rotations and the global spin flip; a fixed tie-break (e.g.
// "take the spin at the origin") breaks rotation symmetry and generates
// anisotropic couplings.
type Majority struct{}

// Outputs implements Rule: one coarse spin per block.
func (Majority) Outputs() int { return 1 }

// Check implements Rule: any non-empty block.
func (Majority) Check(nv int) error {
	if nv < 1 {
		return fmt.Errorf("rg: majority rule on a block of %d dofs", nv)
	}
	return nil
}

// Apply implements Rule.
func (Majority) Apply(dst, block []int8, src rand.Source) {
	s := 0
	for _, v := range block {
		s += int(v)
	}
	switch {
	case s > 0:
		dst[0] = 1
	case s < 0:
		dst[0] = -1
	default:
		dst[0] = coin(src)
	}
}

// Decimation keeps the dof at the block origin and discards the others. In
// one dimension decimation of the nearest-neighbour Ising chain by b = 2 maps
// K to K' = ½ ln cosh 2K exactly; in two and more dimensions it generates
// long-range couplings and Monte Carlo RG built on it converges poorly.
type Decimation struct{}

// Outputs implements Rule: one coarse spin per block.
func (Decimation) Outputs() int { return 1 }

// Check implements Rule: any non-empty block.
func (Decimation) Check(nv int) error {
	if nv < 1 {
		return fmt.Errorf("rg: decimation on a block of %d dofs", nv)
	}
	return nil
}

// Apply implements Rule.
func (Decimation) Apply(dst, block []int8, _ rand.Source) { dst[0] = block[0] }

var errNilRule = errors.New("rg: nil rule (want Majority, Decimation, a FilterRule or another Rule)")
