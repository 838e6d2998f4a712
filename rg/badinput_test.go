package rg

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/run"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// badCall is one invalid call of an exported constructor or long call (see
// internal/badinput for what it must do).
type badCall struct {
	name string
	call func() (any, error)
}

func sweepBad(t *testing.T, prefix string, cases []badCall) {
	t.Helper()
	calls := make([]badinput.Call, len(cases))
	for i, c := range cases {
		calls[i] = badinput.Call{Name: c.name, Call: c.call}
	}
	badinput.Sweep(t, prefix, calls)
}

// TestBadInputSweep feeds every exported constructor, options type and
// long call of the package invalid values.
func TestBadInputSweep(t *testing.T) {
	ctx := context.Background()
	src := rand.NewPCG(1, 2)
	nan, inf := math.NaN(), math.Inf(1)
	sq, _ := lattice.NewSquare(8)
	ch, _ := lattice.NewChain(8)
	ds, _ := sample.NewDataset(sq.Geometry(), randomSpins(40*64, 1))
	dsChain, _ := sample.NewDataset(ch.Geometry(), randomSpins(8, 2))
	nn := []lattice.Operator{lattice.NearestNeighbor(2)}
	filter := func(nh, nv int, w float64) *rsmi.Filter {
		f := &rsmi.Filter{NH: nh, NV: nv, W: make([]float64, nh*nv)}
		for i := range f.W {
			f.W[i] = w
		}
		return f
	}
	flow := func(d *sample.Dataset, l *lattice.Lattice, o FlowOptions) func() (any, error) {
		return func() (any, error) {
			if o.Src == nil {
				o.Src = src
			}
			return Flow(ctx, d, l, o)
		}
	}
	fit := func(d *sample.Dataset, l *lattice.Lattice, ops []lattice.Operator, o *FitOptions) func() (any, error) {
		return func() (any, error) { return FitCouplings(ctx, d, l, ops, o) }
	}
	sweepBad(t, "rg:", []badCall{
		{"NewBlocking nil lattice", func() (any, error) { return NewBlocking(nil, 2, Majority{}) }},
		{"NewBlocking nil rule", func() (any, error) { return NewBlocking(sq, 2, nil) }},
		{"NewBlocking zero side", func() (any, error) { return NewBlocking(sq, 0, Majority{}) }},
		{"NewBlocking negative side", func() (any, error) { return NewBlocking(sq, -2, Majority{}) }},
		{"NewBlocking side does not tile", func() (any, error) { return NewBlocking(sq, 3, Majority{}) }},
		{"NewBlocking coarse lattice too small", func() (any, error) { return NewBlocking(sq, 8, Majority{}) }},
		{"NewBlocking filter size mismatch", func() (any, error) { return NewBlocking(sq, 2, FilterRule{Filter: filter(1, 9, 1)}) }},
		{"NewBlocking filter NaN", func() (any, error) { return NewBlocking(sq, 2, FilterRule{Filter: filter(1, 4, nan)}) }},
		{"NewBlocking nil filter", func() (any, error) { return NewBlocking(sq, 2, FilterRule{}) }},
		{"Coarsen nil dataset", func() (any, error) { return Coarsen(nil, sq, 2, Majority{}, src) }},
		{"Coarsen nil source", func() (any, error) { return Coarsen(ds, sq, 2, Majority{}, nil) }},
		{"Coarsen geometry mismatch", func() (any, error) { return Coarsen(dsChain, sq, 2, Majority{}, src) }},
		{"FitCouplings nil dataset", fit(nil, sq, nn, nil)},
		{"FitCouplings nil lattice", fit(ds, nil, nn, nil)},
		{"FitCouplings no operators", fit(ds, sq, nil, nil)},
		{"FitCouplings operator dimension", fit(ds, sq, []lattice.Operator{lattice.NearestNeighbor(3)}, nil)},
		{"FitCouplings geometry mismatch", fit(dsChain, sq, nn, nil)},
		{"FitCouplings one block", fit(ds, sq, nn, &FitOptions{Blocks: 1})},
		{"FitCouplings negative blocks", fit(ds, sq, nn, &FitOptions{Blocks: -3})},
		{"FitCouplings too many blocks", fit(ds, sq, nn, &FitOptions{Blocks: 1000})},
		{"FitCouplings NaN tolerance", fit(ds, sq, nn, &FitOptions{Tol: nan})},
		{"FitCouplings negative tolerance", fit(ds, sq, nn, &FitOptions{Tol: -1})},
		{"FitCouplings negative iterations", fit(ds, sq, nn, &FitOptions{MaxIter: -1})},
		{"FitCouplings duplicate operators", fit(ds, sq, append(nn, nn...), nil)},
		{"Flow nil dataset", flow(nil, sq, FlowOptions{Levels: 1})},
		{"Flow nil lattice", flow(ds, nil, FlowOptions{Levels: 1})},
		{"Flow zero levels", flow(ds, sq, FlowOptions{})},
		{"Flow negative levels", flow(ds, sq, FlowOptions{Levels: -1})},
		{"Flow too many levels", flow(ds, sq, FlowOptions{Levels: 5})},
		{"Flow negative block", flow(ds, sq, FlowOptions{Levels: 1, B: -2})},
		{"Flow geometry mismatch", flow(dsChain, sq, FlowOptions{Levels: 1})},
		{"Flow nil rule", flow(ds, sq, FlowOptions{Levels: 1, Rule: func(context.Context, int, *sample.Dataset, *lattice.Lattice) (Rule, float64, error) {
			return nil, 0, nil
		}})},
		{"Flow two-output rule", flow(ds, sq, FlowOptions{Levels: 1, Rule: Fixed(FilterRule{Filter: filter(2, 4, 1)})})},
		{"Flow checkpoint without directory", flow(ds, sq, FlowOptions{Levels: 1, Checkpoint: &run.Checkpoint{}})},
		{"Flow checkpoint with a source that cannot be saved", flow(ds, sq, FlowOptions{Levels: 1, Src: rand.New(src),
			Checkpoint: &run.Checkpoint{Dir: t.TempDir()}})},
		{"Flow checkpoint of an unknown rule", flow(ds, sq, FlowOptions{Levels: 1, Rule: Fixed(oddRule{}),
			Checkpoint: &run.Checkpoint{Dir: t.TempDir()}})},
		{"Flow bad fit options", flow(ds, sq, FlowOptions{Levels: 1, Operators: nn, Fit: &FitOptions{Tol: inf}})},
		{"PointGroup zero side", func() (any, error) { return PointGroup(0, 2) }},
		{"PointGroup zero dimension", func() (any, error) { return PointGroup(2, 0) }},
		{"PointGroup negative", func() (any, error) { return PointGroup(-2, -1) }},
		{"NewSymmetrizedFilterRule nil filter", func() (any, error) { return NewSymmetrizedFilterRule(nil, 2, 2, false) }},
		{"NewSymmetrizedFilterRule size mismatch", func() (any, error) { return NewSymmetrizedFilterRule(filter(1, 9, 1), 2, 2, false) }},
		{"NewSymmetrizedFilterRule NaN", func() (any, error) { return NewSymmetrizedFilterRule(filter(1, 4, nan), 2, 2, false) }},
		{"NewSymmetrizedFilterRule zero side", func() (any, error) { return NewSymmetrizedFilterRule(filter(1, 4, 1), 0, 2, false) }},
	})
}

// oddRule is a valid rule Flow cannot checkpoint.
type oddRule struct{ Majority }

func randomSpins(n int, seed uint64) []int8 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]int8, n)
	for i := range x {
		x[i] = int8(2*r.IntN(2) - 1)
	}
	return x
}
