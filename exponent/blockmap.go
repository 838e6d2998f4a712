package exponent

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/internal/xrand"
	"github.com/rsmi-go/rsmi/rsmi"
)

// blockMapper coarse-grains one configuration by one RG step: dst[B] is
// the coarse spin of block B. It belongs to one goroutine.
//
// ruleMapper, the general path, gathers every block and calls Rule.Apply.
// stateMapper is the fast path for a rule that exposes its conditional
// probabilities (condRule, the Cond method of rsmi's rules): P(h|v) is
// tabulated once over the 2^nv block states, and a block costs its state
// index, one lookup and, where 0 < P < 1, one draw.
type blockMapper interface {
	mapBlocks(dst, fine []int8, src rand.Source)
}

// condRule is a one-output ±1 rule that gives its conditional
// probabilities: p[0] = P(h = −1 | v), p[1] = P(h = +1 | v).
type condRule interface {
	Cond(v []int8, p []float64)
}

// stateRule draws the coarse spin of a block from its state index s
// (bit i set ⇔ v_i = +1): the ApplyState of *rsmi.RuleTable, which
// newBlockTable's table duplicates (INTEGRATOR: every rsmi.Rule has Cond
// now, so rsmi.TabulateRule can replace it).
type stateRule interface {
	ApplyState(dst []int8, s int, src rand.Source)
}

// maxTableBits bounds the blocks that are tabulated (2^16 states).
const maxTableBits = 16

// blockTable is a tabulated one-output ±1 rule: per block state, the
// outcome.
type blockTable []tableEntry

// tableEntry draws h = −1 when a uniform 64-bit u < thr (kind draw), or
// gives a fixed h (kinds up and down) without a draw.
type tableEntry struct {
	thr  uint64
	kind int8
}

const (
	entryUp int8 = iota
	entryDown
	entryDraw
)

// newBlockTable tabulates rule over the 2^nv block states, or returns nil
// if the rule gives no conditional probabilities or the block is too large.
// With this draw (h = −1 iff u < ⌊P(−1)·2^64⌋, as rsmi.RuleTable), majority
// rule's fair coin (+1 iff the top bit of u is set) is reproduced bit for
// bit.
func newBlockTable(rule rsmi.Rule, nv int) (stateRule, error) {
	c, ok := rule.(condRule)
	if !ok || nv > maxTableBits {
		return nil, nil
	}
	if s, ok := rule.(interface{ States() []int8 }); ok {
		if st := s.States(); len(st) != 2 || st[0] != -1 || st[1] != 1 {
			return nil, nil
		}
	}
	t := make(blockTable, 1<<nv)
	v := make([]int8, nv)
	p := make([]float64, 2)
	for s := range t {
		for i := range v {
			v[i] = int8(2*(s>>i&1) - 1)
		}
		p[0], p[1] = math.NaN(), math.NaN()
		c.Cond(v, p)
		if !(p[0] >= 0 && p[1] >= 0 && math.Abs(p[0]+p[1]-1) <= 1e-9) {
			return nil, fmt.Errorf("exponent: rule %T gives P(h|v) = (%v, %v) for the block %v", rule, p[0], p[1], v)
		}
		switch {
		case p[0] == 0:
			t[s].kind = entryUp
		case p[1] == 0:
			t[s].kind = entryDown
		default:
			t[s] = tableEntry{thr: xrand.Threshold64(p[0]), kind: entryDraw}
		}
	}
	return t, nil
}

// ApplyState implements stateRule.
func (t blockTable) ApplyState(dst []int8, s int, src rand.Source) {
	e := t[s]
	switch {
	case e.kind == entryUp:
		dst[0] = 1
	case e.kind == entryDown || src.Uint64() < e.thr:
		dst[0] = -1
	default:
		dst[0] = 1
	}
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
