package rsmi

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/run"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rbm"
	"github.com/rsmi-go/rsmi/sample"
)

// TestBadInputSweep feeds every exported constructor, options type and
// long call of the package invalid values.
func TestBadInputSweep(t *testing.T) {
	src := rand.NewPCG(1, 2)
	nan, inf := math.NaN(), math.Inf(1)
	ctx := context.Background()
	sq, _ := lattice.NewSquare(8)
	ch, _ := lattice.NewChain(16)
	is, _ := lattice.NewNearestNeighborIsing(sq, 1)
	reg, err := NewRegions(sq.Geometry(), RegionOptions{Block: []int{2, 2}, Buffer: 1, Env: 1})
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := sample.NewDataset(sq.Geometry(), randomSpins(2*64, 3))
	dsChain, _ := sample.NewDataset(ch.Geometry(), randomSpins(16, 4))
	v, e := randomSpins(50*4, 5), randomSpins(50*6, 6)
	tb, _ := NewExactChain(0.5, 2, 1, 2)
	f, _ := NewFilter(1, 2, src)
	regions := func(o RegionOptions) func() (any, error) {
		return func() (any, error) { return NewRegions(sq.Geometry(), o) }
	}
	exactV := func(v []int8, nv int, e []int8, ne int, o *ExactVOptions) func() (any, error) {
		return func() (any, error) { return NewExactV(ctx, v, nv, e, ne, o) }
	}
	nce := func(v []int8, nv int, e []int8, ne int, o *InfoNCEOptions) func() (any, error) {
		return func() (any, error) { return NewInfoNCE(v, nv, e, ne, o) }
	}
	proxy := func(v []int8, nv int, e []int8, ne int, o *RBMProxyOptions) func() (any, error) {
		return func() (any, error) { return NewRBMProxy(ctx, v, nv, e, ne, o) }
	}
	train := func(f *Filter, o *TrainOptions) func() (any, error) {
		return func() (any, error) { return Train(ctx, tb, f, o) }
	}
	oracle := func(m lattice.Model, T float64, r *Regions, d *sample.Dataset, o *OracleOptions) func() (any, error) {
		return func() (any, error) { return NewExactOracle(ctx, m, T, r, d, o) }
	}
	badinput.Sweep(t, "rsmi:", badinput.Calls{
		{"NewFilter zero hidden", func() (any, error) { return NewFilter(0, 4, src) }},
		{"NewFilter negative visible", func() (any, error) { return NewFilter(1, -4, src) }},
		{"NewFilter nil source", func() (any, error) { return NewFilter(1, 4, nil) }},
		{"NewTable zero nv", func() (any, error) { return NewTable(0, []float64{1}, nil) }},
		{"NewTable nv too large", func() (any, error) { return NewTable(MaxVisible+1, []float64{1}, nil) }},
		{"NewTable ragged", func() (any, error) { return NewTable(2, make([]float64, 5), nil) }},
		{"NewTable empty", func() (any, error) { return NewTable(2, nil, nil) }},
		{"NewTable NaN", func() (any, error) { return NewTable(1, []float64{nan, 1}, nil) }},
		{"NewTable negative", func() (any, error) { return NewTable(1, []float64{-1, 1}, nil) }},
		{"NewTable Inf", func() (any, error) { return NewTable(1, []float64{inf, 1}, nil) }},
		{"NewTable zero row", func() (any, error) { return NewTable(1, []float64{0, 0}, nil) }},
		{"NewTable weights length", func() (any, error) { return NewTable(1, []float64{1, 1}, []float64{1, 1}) }},
		{"NewTable NaN weight", func() (any, error) { return NewTable(1, []float64{1, 1}, []float64{nan}) }},
		{"NewTable zero weights", func() (any, error) { return NewTable(1, []float64{1, 1}, []float64{0}) }},
		{"NewExactChain NaN K", func() (any, error) { return NewExactChain(nan, 2, 1, 1) }},
		{"NewExactChain Inf K", func() (any, error) { return NewExactChain(inf, 2, 1, 1) }},
		{"NewExactChain zero block", func() (any, error) { return NewExactChain(1, 0, 1, 1) }},
		{"NewExactChain negative buffer", func() (any, error) { return NewExactChain(1, 2, -1, 1) }},
		{"NewExactChain zero environment", func() (any, error) { return NewExactChain(1, 2, 1, 0) }},
		{"NewExactChain too large", func() (any, error) { return NewExactChain(1, 10, 1, 10) }},
		{"NewRegions nil geometry", func() (any, error) { return NewRegions(nil, RegionOptions{Block: []int{2, 2}, Env: 1}) }},
		{"NewRegions block axes", regions(RegionOptions{Block: []int{2}, Env: 1})},
		{"NewRegions zero block", regions(RegionOptions{Block: []int{0, 2}, Env: 1})},
		{"NewRegions negative block", regions(RegionOptions{Block: []int{2, -2}, Env: 1})},
		{"NewRegions block larger than lattice", regions(RegionOptions{Block: []int{9, 2}, Env: 1})},
		{"NewRegions negative buffer", regions(RegionOptions{Block: []int{2, 2}, Buffer: -1, Env: 1})},
		{"NewRegions zero environment", regions(RegionOptions{Block: []int{2, 2}})},
		{"NewRegions shell wraps", regions(RegionOptions{Block: []int{2, 2}, Buffer: 2, Env: 2})},
		{"NewRegions stride axes", regions(RegionOptions{Block: []int{2, 2}, Env: 1, Stride: []int{1}})},
		{"NewRegions zero stride", regions(RegionOptions{Block: []int{2, 2}, Env: 1, Stride: []int{0, 1}})},
		{"NewRegions V all excluded", regions(RegionOptions{Block: []int{2, 2}, Env: 1, ExcludeV: func(int) bool { return true }})},
		{"NewRegions E all excluded", regions(RegionOptions{Block: []int{2, 2}, Env: 1, ExcludeE: func(int) bool { return true }})},
		{"Regions.Pairs nil dataset", func() (any, error) { v, _, _, err := reg.Pairs(nil); return v, err }},
		{"Regions.Pairs geometry mismatch", func() (any, error) { v, _, _, err := reg.Pairs(dsChain); return v, err }},
		{"Regions.PairsAt bad position", func() (any, error) { v, _, _, err := reg.PairsAt(ds, []int{-1}); return v, err }},
		{"NewExactV nil options", exactV(v, 4, e, 6, nil)},
		{"NewExactV nil source", exactV(v, 4, e, 6, &ExactVOptions{})},
		{"NewExactV zero nv", exactV(v, 0, e, 6, &ExactVOptions{Src: src})},
		{"NewExactV nv too large", exactV(v, MaxVisible+1, e, 6, &ExactVOptions{Src: src})},
		{"NewExactV zero ne", exactV(v, 4, e, 0, &ExactVOptions{Src: src})},
		{"NewExactV length mismatch", exactV(v, 4, e[:12], 6, &ExactVOptions{Src: src})},
		{"NewExactV ragged v", exactV(v[:7], 4, e, 6, &ExactVOptions{Src: src})},
		{"NewExactV values", exactV(make([]int8, 200), 4, e, 6, &ExactVOptions{Src: src})},
		{"NewExactV negative hidden", exactV(v, 4, e, 6, &ExactVOptions{Hidden: -1, Src: src})},
		{"NewExactV units", exactV(v, 4, e, 6, &ExactVOptions{Units: rbm.Units(9), Src: src})},
		{"NewExactV NaN fine-tune rate", exactV(v, 4, e, 6, &ExactVOptions{FineTuneRate: nan, Src: src, RBM: &rbm.TrainOptions{Epochs: 1}})},
		{"NewExactV bad RBM options", exactV(v, 4, e, 6, &ExactVOptions{Src: src, RBM: &rbm.TrainOptions{LearningRate: -1}})},
		{"NewInfoNCE nil options", nce(v, 4, e, 6, nil)},
		{"NewInfoNCE nil source", nce(v, 4, e, 6, &InfoNCEOptions{})},
		{"NewInfoNCE zero nv", nce(v, 0, e, 6, &InfoNCEOptions{Src: src})},
		{"NewInfoNCE length mismatch", nce(v, 4, e[:12], 6, &InfoNCEOptions{Src: src})},
		{"NewInfoNCE negative batch", nce(v, 4, e, 6, &InfoNCEOptions{Batch: -1, Src: src})},
		{"NewInfoNCE NaN rate", nce(v, 4, e, 6, &InfoNCEOptions{LearningRate: nan, Src: src})},
		{"NewInfoNCE Inf temperature", nce(v, 4, e, 6, &InfoNCEOptions{TempStart: inf, Src: src})},
		{"NewInfoNCE hold-out 1", nce(v, 4, e, 6, &InfoNCEOptions{HoldOut: 1, Src: src})},
		{"NewInfoNCE NaN EMA", nce(v, 4, e, 6, &InfoNCEOptions{EMA: nan, Src: src})},
		{"NewInfoNCE critic width", nce(v, 4, e, 6, &InfoNCEOptions{CriticHidden: []int{0}, Src: src})},
		{"NewRBMProxy nil options", proxy(v, 4, e, 6, nil)},
		{"NewRBMProxy nil source", proxy(v, 4, e, 6, &RBMProxyOptions{})},
		{"NewRBMProxy zero nv", proxy(v, 0, e, 6, &RBMProxyOptions{Src: src})},
		{"NewRBMProxy length mismatch", proxy(v, 4, e[:12], 6, &RBMProxyOptions{Src: src})},
		{"NewRBMProxy negative samples", proxy(v, 4, e, 6, &RBMProxyOptions{Samples: -1, Src: src})},
		{"NewRBMProxy negative hidden", proxy(v, 4, e, 6, &RBMProxyOptions{ThetaHidden: -1, Src: src})},
		{"NewExactOracle nil model", oracle(nil, 1, reg, ds, nil)},
		{"NewExactOracle nil regions", oracle(is, 1, nil, ds, nil)},
		{"NewExactOracle nil dataset", oracle(is, 1, reg, nil, nil)},
		{"NewExactOracle zero T", oracle(is, 0, reg, ds, nil)},
		{"NewExactOracle NaN T", oracle(is, nan, reg, ds, nil)},
		{"NewExactOracle Inf T", oracle(is, inf, reg, ds, nil)},
		{"NewExactOracle geometry mismatch", oracle(is, 1, reg, dsChain, nil)},
		{"NewExactOracle bad position", oracle(is, 1, reg, ds, &OracleOptions{Positions: []int{1000}})},
		{"Train nil estimator", func() (any, error) { return Train(ctx, nil, f, nil) }},
		{"Train nil filter", train(nil, nil)},
		{"Train filter size mismatch", train(&Filter{NH: 1, NV: 3, W: make([]float64, 3)}, nil)},
		{"Train filter weights length", train(&Filter{NH: 1, NV: 2, W: make([]float64, 3)}, nil)},
		{"Train filter NaN weight", train(&Filter{NH: 1, NV: 2, W: []float64{nan, 0}}, nil)},
		{"Train filter bias length", train(&Filter{NH: 1, NV: 2, W: make([]float64, 2), Bias: []float64{0, 0}}, nil)},
		{"Train negative steps", train(f, &TrainOptions{Steps: -1})},
		{"Train NaN rate", train(f, &TrainOptions{LearningRate: nan})},
		{"Train Inf rate", train(f, &TrainOptions{LearningRate: inf})},
		{"Train Beta1 1", train(f, &TrainOptions{Beta1: 1})},
		{"Train negative Beta2", train(f, &TrainOptions{Beta2: -0.5})},
		{"Train NaN epsilon", train(f, &TrainOptions{Epsilon: nan})},
		{"Train negative norm", train(f, &TrainOptions{Norm: -1})},
		{"Train Inf L2", train(f, &TrainOptions{L2: inf})},
		{"Train norm and L2", train(f, &TrainOptions{Norm: 1, L2: 1})},
		{"Train checkpoint without directory", train(f, &TrainOptions{Checkpoint: &run.Checkpoint{}})},
		{"Train checkpoint of InfoNCE", func() (any, error) {
			n, err := NewInfoNCE(v, 4, e, 6, &InfoNCEOptions{Src: src})
			if err != nil {
				return nil, err
			}
			g, _ := NewFilter(1, 4, src)
			res, err := Train(ctx, n, g, &TrainOptions{Steps: 1, Checkpoint: &run.Checkpoint{Dir: t.TempDir()}})
			if err != nil && !strings.Contains(err.Error(), "InfoNCE") {
				t.Errorf("unexpected error %v", err)
			}
			return res, err
		}},
	})
}

func randomSpins(n int, seed uint64) []int8 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]int8, n)
	for i := range x {
		x[i] = int8(2*r.IntN(2) - 1)
	}
	return x
}

// InfoNCE, like the other estimators, refuses values that are not ±1 (0/1
// data must be mapped first).
func TestInfoNCERefusesNonSpinValues(t *testing.T) {
	v := []int8{1, 0, 1, -1}
	e := []int8{1, -1, 1, 1, -1, 1, 1, 1}
	if _, err := NewInfoNCE(v, 2, e, 4, &InfoNCEOptions{Src: rand.NewPCG(1, 1)}); err == nil || !strings.Contains(err.Error(), "not ±1") {
		t.Fatalf("error %v, want one about a value that is not ±1", err)
	}
}
