package exponent

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rbm"
	"github.com/rsmi-go/rsmi/rsmi"
)

// Monte Carlo RG of q-state variables (values 0 … q−1): the blocks'
// states are indexed Σ_i σ_i q^i (rsmi's block index), rules are tabulated
// over the q^nv block states (81 for a 2×2 block of 3 states), and the
// operators are evaluated by lattice.PottsEvaluator.

// statesQ returns q for the q-state alphabet {0, …, q−1} (2 ≤ q ≤
// lattice.MaxPottsStates), 0 for nil or ±1 spins, or an error for any other
// alphabet.
func statesQ(states []int8) (int, error) {
	if states == nil || slices.Equal(states, []int8{-1, 1}) {
		return 0, nil
	}
	q := len(states)
	if q < 2 || q > lattice.MaxPottsStates || !slices.Equal(states, rbm.States(q)) {
		return 0, fmt.Errorf("exponent: MCRG takes ±1 spins or the states 0 … q−1 (2 ≤ q ≤ %d), not the values %v", lattice.MaxPottsStates, states)
	}
	return q, nil
}

// newStatesTable tabulates rule over the q^nv states of a block of q-state
// dofs, or returns nil if there are more than rsmi.MaxTabulatedStates.
func newStatesTable(rule rsmi.Rule, nv, q int) (stateRule, error) {
	n := 1
	for range nv {
		if n *= q; n > rsmi.MaxTabulatedStates {
			return nil, nil
		}
	}
	t, err := rsmi.TabulateRule(rule, nv, rbm.States(q))
	if err != nil {
		return nil, fmt.Errorf("exponent: tabulating rule %T: %w", rule, err)
	}
	return t, nil
}

// statesMapper is the table path for q-state blocks: one index, one
// lookup and at most one draw per block (rsmi.RuleTable.ApplyState).
type statesMapper struct {
	table *rsmi.RuleTable
	tab   []int32
	nv, q int
}

// newStatesMapper returns the mapper of a q-state rule: tabulated if table
// is not nil, through Rule.Apply otherwise.
func newStatesMapper(rule rsmi.Rule, table stateRule, tab []int32, nv, q int) blockMapper {
	if t, ok := table.(*rsmi.RuleTable); ok {
		return &statesMapper{table: t, tab: tab, nv: nv, q: q}
	}
	return &ruleMapper{rule: rule, tab: tab, block: make([]int8, nv)}
}

func (m *statesMapper) mapBlocks(dst, fine []int8, src rand.Source) {
	nv := m.nv
	tab := m.tab[:len(dst)*nv]
	for B := range dst {
		s, f := 0, 1
		for _, i := range tab[B*nv : (B+1)*nv] {
			s += int(fine[i]) * f
			f *= m.q
		}
		m.table.ApplyState(dst[B:B+1], s, src)
	}
}
