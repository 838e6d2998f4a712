package exponent

import (
	"fmt"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/rsmi"
)

// blockMapper coarse-grains one configuration by one RG step: dst[B] is
// the coarse spin of block B. It belongs to one goroutine.
//
// ruleMapper, the general path, gathers every block and calls Rule.Apply.
// stateMapper is the fast path for small blocks: P(h|v) is tabulated once
// over the 2^nv block states (rsmi.TabulateRule), and a block costs its
// state index, one lookup and, where 0 < P < 1, one draw.
type blockMapper interface {
	mapBlocks(dst, fine []int8, src rand.Source)
}

// stateRule draws the coarse spin of a block from its state index s
// (bit i set ⇔ v_i = +1): *rsmi.RuleTable.
type stateRule interface {
	ApplyState(dst []int8, s int, src rand.Source)
}

// maxTableBits bounds the blocks that are tabulated (2^16 states,
// rsmi.MaxTabulatedStates).
const maxTableBits = 16

// newBlockTable tabulates rule over the 2^nv block states of ±1 spins
// (rsmi.TabulateRule), or returns nil if the block is too large. A RuleTable
// draws h = −1 iff u < ⌊P(−1)·2^64⌋, so majority rule's fair coin (+1 iff
// the top bit of u is set) is reproduced bit for bit.
func newBlockTable(rule rsmi.Rule, nv int) (stateRule, error) {
	if nv > maxTableBits {
		return nil, nil
	}
	t, err := rsmi.TabulateRule(rule, nv, nil)
	if err != nil {
		return nil, fmt.Errorf("exponent: tabulating rule %T: %w", rule, err)
	}
	return t, nil
}

// newBlockMapper returns the mapper of rule (table: its tabulation, or nil)
// for the block table tab: block B covers the fine sites tab[B·nv:(B+1)·nv],
// in the order the rule sees them.
func newBlockMapper(rule rsmi.Rule, table stateRule, tab []int32, nv int) blockMapper {
	if table != nil {
		return &stateMapper{table: table, tab: tab, nv: nv}
	}
	return &ruleMapper{rule: rule, tab: tab, block: make([]int8, nv)}
}

type ruleMapper struct {
	rule  rsmi.Rule
	tab   []int32
	block []int8
}

func (m *ruleMapper) mapBlocks(dst, fine []int8, src rand.Source) {
	nv := len(m.block)
	for B := range dst {
		for o, i := range m.tab[B*nv : (B+1)*nv] {
			m.block[o] = fine[i]
		}
		m.rule.Apply(dst[B:B+1], m.block, src)
	}
}

type stateMapper struct {
	table stateRule
	tab   []int32
	nv    int
}

func (m *stateMapper) mapBlocks(dst, fine []int8, src rand.Source) {
	nv := m.nv
	for B := range dst {
		s := 0
		for o, i := range m.tab[B*nv : (B+1)*nv] {
			s |= int(uint8(fine[i])>>7^1) << o // bit set for +1
		}
		m.table.ApplyState(dst[B:B+1], s, src)
	}
}
