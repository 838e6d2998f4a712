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
	return newSpinTable(t, nv), nil
}

// spinTable is the one-output ±1 form of a RuleTable, the common case of
// MCRG: per block state, h = +1 or −1 without a draw, or h = −1 iff one
// draw u < thr, thr = ⌊P(−1)·2^64⌋ computed as RuleTable computes it — the
// same draws and the same coarse spins as RuleTable.ApplyState, with one
// branch and one load instead of its general loop.
type spinTable struct {
	thr  []uint64 // per state; used where kind is entryDraw
	kind []int8
}

const (
	entryUp int8 = iota
	entryDown
	entryDraw
)

func newSpinTable(t *rsmi.RuleTable, nv int) stateRule {
	if t.Outputs() != 1 || len(t.States()) != 2 {
		return t
	}
	n := 1 << nv
	st := &spinTable{thr: make([]uint64, n), kind: make([]int8, n)}
	v, p := make([]int8, nv), make([]float64, 2)
	for s := range n {
		for i := range v {
			v[i] = int8(2*(s>>i&1) - 1)
		}
		t.Cond(v, p)
		switch {
		case p[0] == 0:
			st.kind[s] = entryUp
		case p[1] == 0:
			st.kind[s] = entryDown
		default:
			st.kind[s] = entryDraw
			st.thr[s] = uint64(p[0] / (p[0] + p[1]) * 0x1p64) // as RuleTable.addRow
		}
	}
	return st
}

// ApplyState implements stateRule.
func (t *spinTable) ApplyState(dst []int8, s int, src rand.Source) {
	switch t.kind[s] {
	case entryUp:
		dst[0] = 1
	case entryDown:
		dst[0] = -1
	default:
		dst[0] = 1 - 2*int8(b2i(src.Uint64() < t.thr[s]))
	}
}

func b2i(b bool) uint8 {
	if b {
		return 1
	}
	return 0
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
	if t, ok := m.table.(*spinTable); ok {
		if pcg, ok := src.(*rand.PCG); ok {
			m.mapSpins(dst, fine, t, pcg)
			return
		}
	}
	nv := m.nv
	for B := range dst {
		s := 0
		for o, i := range m.tab[B*nv : (B+1)*nv] {
			s |= int(uint8(fine[i])>>7^1) << o // bit set for +1
		}
		m.table.ApplyState(dst[B:B+1], s, src)
	}
}

// mapSpins is mapBlocks for a spinTable and the stream's own PCG sources,
// without dynamic calls in the loop.
func (m *stateMapper) mapSpins(dst, fine []int8, t *spinTable, src *rand.PCG) {
	nv := m.nv
	tab := m.tab[:len(dst)*nv]
	for B := range dst {
		s := 0
		for o, i := range tab[B*nv : (B+1)*nv] {
			s |= int(uint8(fine[i])>>7^1) << o // bit set for +1
		}
		switch t.kind[s] {
		case entryUp:
			dst[B] = 1
		case entryDown:
			dst[B] = -1
		default:
			dst[B] = 1 - 2*int8(b2i(src.Uint64() < t.thr[s]))
		}
	}
}
