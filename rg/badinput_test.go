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
	flow := func(d *sample.Dataset, l *lattice.Lattice, s rand.Source, o FlowOptions) func() (any, error) {
		return func() (any, error) { return Flow(ctx, d, l, s, &o) }
	}
	pair := func(d ...int) lattice.Operator { op, _ := lattice.Pair(d...); return op }
	q3 := &sample.Dataset{N: ds.N, D: ds.D, Data: make([]int8, len(ds.Data)), Geom: ds.Geom, States: []int8{0, 1, 2}}
	zeros := &sample.Dataset{N: ds.N, D: ds.D, Data: make([]int8, len(ds.Data)), Geom: ds.Geom}
	fit := func(d *sample.Dataset, l *lattice.Lattice, ops []lattice.Operator, o *FitOptions) func() (any, error) {
		return func() (any, error) { return FitCouplings(ctx, d, l, ops, o) }
	}
	badinput.Sweep(t, "rg:", badinput.Calls{
		{"NewBlocking nil lattice", func() (any, error) { return NewBlocking(nil, 2, rsmi.Majority{}) }},
		{"NewBlocking nil rule", func() (any, error) { return NewBlocking(sq, 2, nil) }},
		{"NewBlocking zero side", func() (any, error) { return NewBlocking(sq, 0, rsmi.Majority{}) }},
		{"NewBlocking negative side", func() (any, error) { return NewBlocking(sq, -2, rsmi.Majority{}) }},
		{"NewBlocking side does not tile", func() (any, error) { return NewBlocking(sq, 3, rsmi.Majority{}) }},
		{"NewBlocking coarse lattice too small", func() (any, error) { return NewBlocking(sq, 8, rsmi.Majority{}) }},
		{"NewBlocking filter size mismatch", func() (any, error) { return NewBlocking(sq, 2, rsmi.MostProbable(filter(1, 9, 1))) }},
		{"NewBlocking filter NaN", func() (any, error) { return NewBlocking(sq, 2, filter(1, 4, nan)) }},
		{"NewBlocking majority on Potts values", func() (any, error) { return NewBlockingStates(sq, 2, rsmi.Majority{}, []int8{0, 1, 2}) }},
		{"NewBlocking rule with a bad conditional", func() (any, error) { return NewBlocking(sq, 2, badCond{}) }},
		{"Coarsen nil dataset", func() (any, error) { return Coarsen(nil, sq, 2, rsmi.Majority{}, src) }},
		{"Coarsen nil source", func() (any, error) { return Coarsen(ds, sq, 2, rsmi.Majority{}, nil) }},
		{"Coarsen geometry mismatch", func() (any, error) { return Coarsen(dsChain, sq, 2, rsmi.Majority{}, src) }},
		{"Coarsen majority on q = 3 data", func() (any, error) { return Coarsen(q3, sq, 2, rsmi.Majority{}, src) }},
		{"Coarsen majority on all-zero ±1 data", func() (any, error) { return Coarsen(zeros, sq, 2, rsmi.Majority{}, src) }},
		{"FitCouplings nil dataset", fit(nil, sq, nn, nil)},
		{"FitCouplings nil lattice", fit(ds, nil, nn, nil)},
		{"FitCouplings no operators", fit(ds, sq, nil, nil)},
		{"FitCouplings operator dimension", fit(ds, sq, []lattice.Operator{lattice.NearestNeighbor(3)}, nil)},
		{"FitCouplings aliased operator", fit(ds, sq, []lattice.Operator{pair(12, 0)}, nil)},
		{"FitCouplings geometry mismatch", fit(dsChain, sq, nn, nil)},
		{"FitCouplings all-zero data", fit(zeros, sq, nn, nil)},
		{"FitCouplings one block", fit(ds, sq, nn, &FitOptions{Blocks: 1})},
		{"FitCouplings negative blocks", fit(ds, sq, nn, &FitOptions{Blocks: -3})},
		{"FitCouplings too many blocks", fit(ds, sq, nn, &FitOptions{Blocks: 1000})},
		{"FitCouplings NaN tolerance", fit(ds, sq, nn, &FitOptions{Tol: nan})},
		{"FitCouplings negative tolerance", fit(ds, sq, nn, &FitOptions{Tol: -1})},
		{"FitCouplings negative iterations", fit(ds, sq, nn, &FitOptions{MaxIter: -1})},
		{"FitCouplings duplicate operators", fit(ds, sq, append(nn, nn...), nil)},
		{"Flow nil dataset", flow(nil, sq, src, FlowOptions{Levels: 1})},
		{"Flow nil lattice", flow(ds, nil, src, FlowOptions{Levels: 1})},
		{"Flow nil source", flow(ds, sq, nil, FlowOptions{Levels: 1})},
		{"Flow negative levels", flow(ds, sq, src, FlowOptions{Levels: -1})},
		{"Flow too many levels", flow(ds, sq, src, FlowOptions{Levels: 5})},
		{"Flow MinSide leaves no level", flow(ds, sq, src, FlowOptions{MinSide: 8})},
		{"Flow MinSide one", flow(ds, sq, src, FlowOptions{MinSide: 1})},
		{"Flow negative block", flow(ds, sq, src, FlowOptions{Levels: 1, B: -2})},
		{"Flow block one", flow(ds, sq, src, FlowOptions{Levels: 1, B: 1})},
		{"Flow geometry mismatch", flow(dsChain, sq, src, FlowOptions{Levels: 1})},
		{"Flow all-zero ±1 data", flow(zeros, sq, src, FlowOptions{Levels: 1})},
		{"Flow majority on q = 3 data", flow(q3, sq, src, FlowOptions{Levels: 1})},
		{"Flow nil rule", flow(ds, sq, src, FlowOptions{Levels: 1, Rule: func(context.Context, int, *sample.Dataset, *lattice.Lattice) (rsmi.Rule, float64, error) {
			return nil, 0, nil
		}})},
		{"Flow two-output rule", flow(ds, sq, src, FlowOptions{Levels: 1, Rule: Fixed(filter(2, 4, 1))})},
		{"Flow checkpoint without directory", flow(ds, sq, src, FlowOptions{Levels: 1, Checkpoint: &run.Checkpoint{}})},
		{"Flow checkpoint with a source that cannot be saved", flow(ds, sq, rand.New(src), FlowOptions{Levels: 1,
			Checkpoint: &run.Checkpoint{Dir: t.TempDir()}})},
		{"Flow checkpoint of an unregistered rule", flow(ds, sq, src, FlowOptions{Levels: 1, Rule: Fixed(oddRule{}),
			Checkpoint: &run.Checkpoint{Dir: t.TempDir()}})},
		{"Flow bad fit options", flow(ds, sq, src, FlowOptions{Levels: 1, Operators: nn, Fit: &FitOptions{Tol: inf}})},
		{"Flow aliased operator", flow(ds, sq, src, FlowOptions{Levels: 1, Operators: []lattice.Operator{pair(3, 0)}})},
	})
}

// oddRule is a valid rule nobody registered for encoding: Flow cannot
// checkpoint it.
type oddRule struct{ rsmi.Majority }

// badCond is a rule whose conditional does not sum to 1.
type badCond struct{ rsmi.Majority }

func (badCond) Cond(v []int8, p []float64) { p[0], p[1] = 0.7, 0.7 }

func randomSpins(n int, seed uint64) []int8 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]int8, n)
	for i := range x {
		x[i] = int8(2*r.IntN(2) - 1)
	}
	return x
}
