package rsmi

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/internal/size/sizetest"
)

// Rules that break the Rule contract in one way each.
type (
	ruleNoStates  struct{ Majority }
	ruleOutputs0  struct{ Majority }
	ruleOutputsM3 struct{ Majority }
	ruleUnsorted  struct{ Majority }
)

func (ruleNoStates) States() []int8 { return nil }
func (ruleOutputs0) Outputs() int   { return 0 }
func (ruleOutputsM3) Outputs() int  { return -3 }
func (ruleUnsorted) States() []int8 { return []int8{1, -1} }

// TestCheckRuleMalformed requires every malformed rule to be an error naming
// the fault, wherever it is tabulated or wrapped: these used to divide by
// zero or index out of range (TabulateRule, MostProbable, Symmetrize), and a
// 12-unit filter on 16 dofs (2^28 table entries) exhausted memory.
func TestCheckRuleMalformed(t *testing.T) {
	big, _ := NewFilter(MaxHidden, 16, rand.NewPCG(1, 1))
	tab := func(r Rule, nv int) func() (any, error) {
		return func() (any, error) { return TabulateRule(r, nv, nil) }
	}
	check := func(r Rule, nv int) func() (any, error) {
		return func() (any, error) { return nil, r.Check(nv, nil) }
	}
	sym := func(r Rule) Rule { s, _ := Symmetrize(r, [][]int{{0, 1}, {1, 0}}); return s }
	badinput.Sweep(t, "rsmi:", badinput.Calls{
		{"CheckRule nil", func() (any, error) { return nil, CheckRule(nil, 4, nil) }},
		{"TabulateRule nil States", tab(ruleNoStates{}, 4)},
		{"TabulateRule 0 outputs", tab(ruleOutputs0{}, 4)},
		{"TabulateRule -3 outputs", tab(ruleOutputsM3{}, 4)},
		{"TabulateRule unsorted States", tab(ruleUnsorted{}, 4)},
		{"TabulateRule MostProbable(nil)", tab(MostProbable(nil), 4)},
		{"MostProbable(nil States).Check", check(MostProbable(ruleNoStates{}), 4)},
		{"Symmetrize(nil States).Check", check(sym(ruleNoStates{}), 2)},
		{"TabulateRule 2^16 × 2^12 table", func() (any, error) {
			var tb *RuleTable
			var err error
			if a := sizetest.Allocated(func() { tb, err = TabulateRule(big, 16, nil) }); a > 1<<20 {
				t.Errorf("refusing the table allocated %d bytes", a)
			}
			return tb, err
		}},
		{"TrainBest 2^40 runs", func() (any, error) {
			var r *BestResult[*Filter]
			var err error
			trial := func(context.Context, int) (Estimator, *Filter, error) { return nil, nil, nil }
			if a := sizetest.Allocated(func() { r, err = TrainBest(context.Background(), sizetest.Big, Trial[*Filter](trial), nil) }); a > 1<<20 {
				t.Errorf("refusing 2^40 runs allocated %d bytes", a)
			}
			return r, err
		}},
	})
	if MostProbable(nil).Outputs() != 0 || MostProbable(nil).States() != nil {
		t.Errorf("MostProbable(nil) reports %d outputs, states %v", MostProbable(nil).Outputs(), MostProbable(nil).States())
	}
}
