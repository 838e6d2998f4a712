package rg

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/rsmi"
)

// FilterRule is the rule of a learned RSMI filter Λ (rsmi.Filter): the
// block is the filter's visible set V, in the same order (x fastest from the
// block origin, as in rsmi.Regions), and the coarse variables are its NH
// hidden units. With Stochastic false the coarse variables are the most
// probable ones, h_j = sign(Σ_i λ_ij v_i + a_j), with a fair coin on ties;
// with Stochastic true they are drawn from P_Λ(h|V).
type FilterRule struct {
	Filter     *rsmi.Filter
	Stochastic bool
}

// Outputs implements Rule: the filter's NH.
func (r FilterRule) Outputs() int {
	if r.Filter == nil {
		return 0
	}
	return r.Filter.NH
}

// Check implements Rule: the filter must be valid and have NV = nv.
func (r FilterRule) Check(nv int) error {
	if r.Filter == nil {
		return errors.New("rg: FilterRule without a filter")
	}
	if err := r.Filter.Validate(); err != nil {
		return err
	}
	if r.Filter.NV != nv {
		return fmt.Errorf("rg: filter has NV = %d visible dofs, blocks have %d", r.Filter.NV, nv)
	}
	return nil
}

// Apply implements Rule.
func (r FilterRule) Apply(dst, block []int8, src rand.Source) {
	if r.Stochastic {
		r.Filter.Sample(block, dst, src)
	} else {
		r.Filter.MostProbable(block, dst, src)
	}
}
