package exponent

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/internal/size/sizetest"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// TestPipelineRefusesBeforeWork passes Pipeline invalid inputs with a
// context that is already cancelled: each must be refused by name before any
// work (an error other than the context's), and the sizes beyond the memory
// budget without allocating them.
func TestPipelineRefusesBeforeWork(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sys := IsingSystem(2)
	sq32, _ := lattice.NewSquare(32)
	twoOut, _ := rsmi.NewFilter(2, 4, rand.NewPCG(1, 1))
	data := func(ds *sample.Dataset) *PipelineOptions { return &PipelineOptions{Data: ds} }
	for _, c := range []struct {
		name string
		sys  System
		L    int
		o    *PipelineOptions
		want string
	}{
		{"IsingSystem(-1)", IsingSystem(-1), 32, nil, "dimension -1"},
		{"Samples 2^40", sys, 32, &PipelineOptions{Samples: sizetest.Big}, "memory budget"},
		{"Samples overflowing", sys, 32, &PipelineOptions{Samples: sizetest.Huge}, "Samples"},
		{"LearnSamples 2^40", sys, 32, &PipelineOptions{LearnSamples: sizetest.Big}, "LearnSamples"},
		{"MatchSamples 2^40", sys, 32, &PipelineOptions{MatchSamples: sizetest.Big}, "MatchSamples"},
		{"FlowSamples 2^40", sys, 32, &PipelineOptions{FlowSamples: sizetest.Big, FlowT: []float64{2}}, "FlowSamples"},
		{"Steps 2^40", sys, 32, &PipelineOptions{Steps: sizetest.Big}, "Steps"},
		{"Shards overflowing 2·Shards", sys, 32, &PipelineOptions{Shards: sizetest.Huge}, "Shards"},
		{"Baseline with two outputs", sys, 32, &PipelineOptions{Baseline: twoOut}, "2 outputs"},
		{"Baseline without values", sys, 32, &PipelineOptions{Baseline: noStates{}}, "no coarse values"},
		{"Even operator of 3D", sys, 32, &PipelineOptions{Even: []lattice.Operator{lattice.NearestNeighbor(3)}}, "dimension 3"},
		{"Odd operator empty", sys, 32, &PipelineOptions{Odd: []lattice.Operator{{Name: "x"}}}, "no patterns"},
		{"operator aliasing at side 4", sys, 16, &PipelineOptions{MinSide: 4, MatchSamples: -1}, "side 4"},
		{"Data without geometry", nil, 32, data(&sample.Dataset{N: 500, D: 1024, Data: make([]int8, 500*1024)}), "no geometry"},
		{"Data lying about N", nil, 32, data(&sample.Dataset{Geom: sq32.Geometry(), N: sizetest.Big, D: 1024, Data: make([]int8, 1024)}), "holds 1024 values"},
	} {
		var err error
		a := sizetest.Allocated(func() { _, err = Pipeline(ctx, c.sys, c.L, 2.269, rand.NewPCG(1, 1), c.o) })
		if err == nil || errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "exponent:") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want an exponent error mentioning %q before any work", c.name, err, c.want)
		}
		if a > 4<<20 {
			t.Errorf("%s: refusing allocated %d bytes", c.name, a)
		}
	}
}

// noStates is a rule whose States() is nil.
type noStates struct{ rsmi.Majority }

func (noStates) States() []int8 { return nil }

// unsortedStates is a rule whose coarse values are not sorted.
type unsortedStates struct{ rsmi.Majority }

func (unsortedStates) States() []int8 { return []int8{1, -1} }

// TestEstimateYBadInput feeds EstimateY arguments it used to accept silently
// (a sector that does not exist, no operators, a negative side) or to
// panic on (levels with different numbers of operators), and a NaN y.
func TestEstimateYBadInput(t *testing.T) {
	one := func(y float64) []Truncation { return []Truncation{{NumOps: 1, Y: y, YErr: 0.001}} }
	three := append(one(0.93), Truncation{NumOps: 2, Y: 0.98, YErr: 0.001}, Truncation{NumOps: 3, Y: 0.99, YErr: 0.001})
	res := &MCRGResult{Levels: []MCRGLevel{
		{Level: 2, Extents: []int{16, 16}, Even: one(0.9), Odd: one(1.86)},
		{Level: 3, Extents: []int{8, 8}, Even: three, Odd: one(1.87)},
	}}
	nan := &MCRGResult{Levels: []MCRGLevel{
		{Level: 2, Extents: []int{16, 16}, Even: one(math.NaN())},
		{Level: 3, Extents: []int{8, 8}, Even: one(math.NaN())},
	}}
	if _, err := EstimateY(res, nil, Thermal, 1, 8); err != nil {
		t.Fatalf("valid call: %v", err)
	}
	call := func(r *MCRGResult, s Sector, ops, minSide int) func() (any, error) {
		return func() (any, error) { _, err := EstimateY(r, nil, s, ops, minSide); return nil, err }
	}
	badinput.Sweep(t, "exponent:", badinput.Calls{
		{"sector 7", call(res, Sector(7), 1, 8)},
		{"no operators", call(res, Thermal, 0, 8)},
		{"negative operators", call(res, Thermal, -5, 8)},
		{"negative side", call(res, Thermal, 1, -1)},
		{"levels with different operator counts", call(res, Thermal, 3, 8)},
		{"NaN y", call(nan, Thermal, 1, 8)},
		{"stream rule without values", func() (any, error) {
			sq, _ := lattice.NewSquare(32)
			return NewMCRGStream(sq, 100, []rsmi.Rule{noStates{}}, rand.NewPCG(1, 1), nil)
		}},
		{"stream rule with unsorted values", func() (any, error) {
			sq, _ := lattice.NewSquare(32)
			return NewMCRGStream(sq, 100, []rsmi.Rule{unsortedStates{}}, rand.NewPCG(1, 1), nil)
		}},
	})
}
