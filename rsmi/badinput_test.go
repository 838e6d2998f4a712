package rsmi

import (
	"context"
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/internal/size/sizetest"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rbm"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// call adapts a constructor's two results to badinput.Call.
func call[T any](f func() (T, error)) func() (any, error) {
	return func() (any, error) { return f() }
}

// TestBadInputSweep feeds every exported constructor, options type and
// long call of the package invalid values, among them sizes that would
// overflow or exhaust memory (issue 14: Buffer = Env = 1<<62, NewFilter(1,
// 1<<40), Steps = 1<<40, Embed = 1<<40) and data that are not ±1.
func TestBadInputSweep(t *testing.T) {
	src := rand.NewPCG(1, 2)
	nan, inf := math.NaN(), math.Inf(1)
	ctx := context.Background()
	sq, _ := lattice.NewSquare(8)
	ch, _ := lattice.NewChain(16)
	is, _ := lattice.NewNearestNeighborIsing(sq, 1)
	reg, err := NewRegions(sq.Geometry(), []int{2, 2}, &RegionOptions{Buffer: 1, Env: 1})
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := sample.NewDataset(sq.Geometry(), randomSpins(2*64, 3))
	dsChain, _ := sample.NewDataset(ch.Geometry(), randomSpins(16, 4))
	short := &sample.Dataset{N: 2, D: 64, Data: ds.Data[:100], Geom: ds.Geom}
	zeros, _ := sample.NewDataset(sq.Geometry(), make([]int8, 64))
	potts := &sample.Dataset{N: 1, D: 64, Data: make([]int8, 64), Geom: ds.Geom, States: []int8{0, 1, 2}}
	unsorted := &sample.Dataset{N: 1, D: 64, Data: make([]int8, 64), Geom: ds.Geom, States: []int8{1, 0}}
	pr := randomPairs(50, 4, 6, rand.NewPCG(5, 6))
	v, e := pr.V, pr.E
	big := randomPairs(400, 4, 6, rand.NewPCG(5, 7))
	tb, _ := NewExactChain(0.5, 2, 1, 2)
	f, _ := NewFilter(1, 2, src)
	regions := func(block []int, o *RegionOptions) func() (any, error) {
		return call(func() (*Regions, error) { return NewRegions(sq.Geometry(), block, o) })
	}
	pairs := func(p *Pairs) func() (any, error) {
		return func() (any, error) { return nil, p.Validate() }
	}
	exactV := func(p *Pairs, s rand.Source, o *ExactVOptions) func() (any, error) {
		return call(func() (*ExactV, error) { return NewExactV(ctx, p, s, o) })
	}
	nce := func(p *Pairs, s rand.Source, o *InfoNCEOptions) func() (any, error) {
		return call(func() (*InfoNCE, error) { return NewInfoNCE(p, s, o) })
	}
	proxy := func(p *Pairs, s rand.Source, o *RBMProxyOptions) func() (any, error) {
		return call(func() (*RBMProxy, error) { return NewRBMProxy(ctx, p, s, o) })
	}
	train := func(f *Filter, o *TrainOptions) func() (any, error) {
		return call(func() (*TrainResult, error) { return Train(ctx, tb, f, o) })
	}
	oracle := func(m lattice.Model, T float64, r *Regions, d *sample.Dataset, o *OracleOptions) func() (any, error) {
		return call(func() (*Exact, error) { return NewExactOracle(ctx, m, T, r, d, o) })
	}
	trial := func(context.Context, int) (Estimator, *Filter, error) {
		g, err := NewFilter(1, 2, rand.NewPCG(1, 1))
		return tb, g, err
	}
	best := func(n int, tr Trial[*Filter], o *BestOptions) func() (any, error) {
		return call(func() (*BestResult[*Filter], error) { return TrainBest(ctx, n, tr, o) })
	}
	huge := sizetest.Huge
	badinput.Sweep(t, "rsmi:", []badinput.Call{
		{Name: "NewFilter zero hidden", Call: call(func() (*Filter, error) { return NewFilter(0, 4, src) })},
		{Name: "NewFilter negative visible", Call: call(func() (*Filter, error) { return NewFilter(1, -4, src) })},
		{Name: "NewFilter nil source", Call: call(func() (*Filter, error) { return NewFilter(1, 4, nil) })},
		{Name: "NewFilter 1<<40 visible", Call: call(func() (*Filter, error) { return NewFilter(1, sizetest.Big, src) })},
		{Name: "NewFilter overflowing size", Call: call(func() (*Filter, error) { return NewFilter(sizetest.Big, sizetest.Big, src) })},
		{Name: "Filter.Validate overflowing size", Call: func() (any, error) {
			return nil, (&Filter{NH: 1 << (bits.UintSize / 2), NV: 1 << (bits.UintSize / 2)}).Validate()
		}},
		{Name: "NewExact zero nv", Call: call(func() (*Exact, error) { return NewExact(0, nil, []float64{1}, nil) })},
		{Name: "NewExact nv too large", Call: call(func() (*Exact, error) { return NewExact(MaxVisible+1, nil, []float64{1}, nil) })},
		{Name: "NewExact ragged", Call: call(func() (*Exact, error) { return NewExact(2, nil, make([]float64, 5), nil) })},
		{Name: "NewExact empty", Call: call(func() (*Exact, error) { return NewExact(2, nil, nil, nil) })},
		{Name: "NewExact NaN", Call: call(func() (*Exact, error) { return NewExact(1, nil, []float64{nan, 1}, nil) })},
		{Name: "NewExact negative", Call: call(func() (*Exact, error) { return NewExact(1, nil, []float64{-1, 1}, nil) })},
		{Name: "NewExact Inf", Call: call(func() (*Exact, error) { return NewExact(1, nil, []float64{inf, 1}, nil) })},
		{Name: "NewExact zero row", Call: call(func() (*Exact, error) { return NewExact(1, nil, []float64{0, 0}, nil) })},
		{Name: "NewExact weights length", Call: call(func() (*Exact, error) { return NewExact(1, nil, []float64{1, 1}, []float64{1, 1}) })},
		{Name: "NewExact NaN weight", Call: call(func() (*Exact, error) { return NewExact(1, nil, []float64{1, 1}, []float64{nan}) })},
		{Name: "NewExact zero weights", Call: call(func() (*Exact, error) { return NewExact(1, nil, []float64{1, 1}, []float64{0}) })},
		{Name: "NewExactChain NaN K", Call: call(func() (*Exact, error) { return NewExactChain(nan, 2, 1, 1) })},
		{Name: "NewExactChain Inf K", Call: call(func() (*Exact, error) { return NewExactChain(inf, 2, 1, 1) })},
		{Name: "NewExactChain zero block", Call: call(func() (*Exact, error) { return NewExactChain(1, 0, 1, 1) })},
		{Name: "NewExactChain negative buffer", Call: call(func() (*Exact, error) { return NewExactChain(1, 2, -1, 1) })},
		{Name: "NewExactChain zero environment", Call: call(func() (*Exact, error) { return NewExactChain(1, 2, 1, 0) })},
		{Name: "NewExactChain too large", Call: call(func() (*Exact, error) { return NewExactChain(1, 10, 1, 10) })},
		{Name: "NewExactChain overflowing size", Call: call(func() (*Exact, error) { return NewExactChain(1, 2, 1, huge) })},
		{Name: "NewRegions nil geometry", Call: call(func() (*Regions, error) { return NewRegions(nil, []int{2, 2}, &RegionOptions{Env: 1}) })},
		{Name: "NewRegions block axes", Call: regions([]int{2}, &RegionOptions{Env: 1})},
		{Name: "NewRegions zero block", Call: regions([]int{0, 2}, &RegionOptions{Env: 1})},
		{Name: "NewRegions negative block", Call: regions([]int{2, -2}, &RegionOptions{Env: 1})},
		{Name: "NewRegions block larger than lattice", Call: regions([]int{9, 2}, &RegionOptions{Env: 1})},
		{Name: "NewRegions negative buffer", Call: regions([]int{2, 2}, &RegionOptions{Buffer: -1, Env: 1})},
		{Name: "NewRegions negative environment", Call: regions([]int{2, 2}, &RegionOptions{Env: -1})},
		{Name: "NewRegions shell wraps", Call: regions([]int{2, 2}, &RegionOptions{Buffer: 2, Env: 2})},
		{Name: "NewRegions overflowing widths", Call: regions([]int{2, 2}, &RegionOptions{Buffer: huge, Env: huge})},
		{Name: "NewRegions overflowing buffer", Call: regions([]int{2, 2}, &RegionOptions{Buffer: math.MaxInt, Env: 1})},
		{Name: "NewRegions stride axes", Call: regions([]int{2, 2}, &RegionOptions{Env: 1, Stride: []int{1}})},
		{Name: "NewRegions zero stride", Call: regions([]int{2, 2}, &RegionOptions{Env: 1, Stride: []int{0, 1}})},
		{Name: "NewRegions V all excluded", Call: regions([]int{2, 2}, &RegionOptions{ExcludeV: func(int) bool { return true }})},
		{Name: "NewRegions E all excluded", Call: regions([]int{2, 2}, &RegionOptions{ExcludeE: func(int) bool { return true }})},
		{Name: "Regions.Pairs nil dataset", Call: call(func() (*Pairs, error) { return reg.Pairs(nil) })},
		{Name: "Regions.Pairs geometry mismatch", Call: call(func() (*Pairs, error) { return reg.Pairs(dsChain) })},
		{Name: "Regions.Pairs data shorter than N·D", Call: call(func() (*Pairs, error) { return reg.Pairs(short) })},
		{Name: "Regions.Pairs zero values", Call: call(func() (*Pairs, error) { return reg.Pairs(zeros) })},
		{Name: "Regions.Pairs value outside the states", Call: call(func() (*Pairs, error) {
			p := &sample.Dataset{N: 1, D: 64, Data: append(make([]int8, 63), 3), Geom: ds.Geom, States: []int8{0, 1, 2}}
			return reg.Pairs(p)
		})},
		{Name: "Regions.Pairs unsorted states", Call: call(func() (*Pairs, error) { return reg.Pairs(unsorted) })},
		{Name: "Regions.PairsAt bad position", Call: call(func() (*Pairs, error) { return reg.PairsAt(ds, []int{-1}) })},
		{Name: "Regions.PairsAt no positions", Call: call(func() (*Pairs, error) { return reg.PairsAt(ds, []int{}) })},
		{Name: "Regions.SpreadPairs zero pairs", Call: call(func() (*Pairs, error) { p, _, err := reg.SpreadPairs(ds, 0, src); return p, err })},
		{Name: "Regions.SpreadPairs nil source", Call: call(func() (*Pairs, error) { p, _, err := reg.SpreadPairs(ds, 10, nil); return p, err })},
		{Name: "Regions.SpreadPairs short data", Call: call(func() (*Pairs, error) { p, _, err := reg.SpreadPairs(short, 10, src); return p, err })},
		{Name: "NewPairs zero nv", Call: call(func() (*Pairs, error) { return NewPairs(v, 0, e, 6, nil) })},
		{Name: "NewPairs zero ne", Call: call(func() (*Pairs, error) { return NewPairs(v, 4, e, 0, nil) })},
		{Name: "NewPairs ragged v", Call: call(func() (*Pairs, error) { return NewPairs(v[:7], 4, e, 6, nil) })},
		{Name: "NewPairs length mismatch", Call: call(func() (*Pairs, error) { return NewPairs(v, 4, e[:12], 6, nil) })},
		{Name: "NewPairs empty", Call: call(func() (*Pairs, error) { return NewPairs(nil, 4, nil, 6, nil) })},
		{Name: "NewPairs value not ±1", Call: call(func() (*Pairs, error) { return NewPairs(make([]int8, 200), 4, e, 6, nil) })},
		{Name: "NewPairs value outside states", Call: call(func() (*Pairs, error) { return NewPairs(make([]int8, 200), 4, e, 6, []int8{0, 1}) })},
		{Name: "NewPairs one state", Call: call(func() (*Pairs, error) { return NewPairs(make([]int8, 200), 4, make([]int8, 300), 6, []int8{0}) })},
		{Name: "Pairs.Validate nil", Call: func() (any, error) { return nil, (*Pairs)(nil).Validate() }},
		{Name: "Pairs.Validate overflowing N", Call: pairs(&Pairs{V: v, E: e, N: huge, NV: 4, NE: 6})},
		{Name: "Pairs.Validate N zero", Call: pairs(&Pairs{NV: 4, NE: 6})},
		{Name: "NewExactV nil pairs", Call: exactV(nil, src, nil)},
		{Name: "NewExactV nil source", Call: exactV(pr, nil, nil)},
		{Name: "NewExactV zero nv", Call: exactV(pairsOf(v, 1, e, 6), src, &ExactVOptions{})},
		{Name: "NewExactV nv too large", Call: exactV(pairsOf(make([]int8, (MaxVisible+1)*2), MaxVisible+1, e[:12], 6), src, nil)},
		{Name: "NewExactV length mismatch", Call: exactV(pairsOf(v, 4, e[:12], 6), src, nil)},
		{Name: "NewExactV values", Call: exactV(pairsOf(make([]int8, 200), 4, e, 6), src, nil)},
		{Name: "NewExactV Potts value outside the states", Call: exactV(&Pairs{V: append(make([]int8, 199), 3), E: make([]int8, 300), N: 50, NV: 4, NE: 6, States: []int8{0, 1, 2}}, src, nil)},
		{Name: "NewExactV Potts with spin units", Call: exactV(&Pairs{V: make([]int8, 200), E: make([]int8, 300), N: 50, NV: 4, NE: 6, States: []int8{0, 1, 2}}, src, &ExactVOptions{Units: rbm.Spin})},
		{Name: "NewExactV negative hidden", Call: exactV(pr, src, &ExactVOptions{Hidden: -1})},
		{Name: "NewExactV units", Call: exactV(pr, src, &ExactVOptions{Units: rbm.Units(9)})},
		{Name: "NewExactV NaN fine-tune rate", Call: exactV(pr, src, &ExactVOptions{FineTuneRate: nan, RBM: &rbm.TrainOptions{Epochs: 1}})},
		{Name: "NewExactV negative fine-tune batch", Call: exactV(pr, src, &ExactVOptions{FineTuneBatch: -1})},
		{Name: "NewExactV negative workers", Call: exactV(pr, src, &ExactVOptions{Workers: -1})},
		{Name: "NewExactV bad RBM options", Call: exactV(pr, src, &ExactVOptions{RBM: &rbm.TrainOptions{LearningRate: -1}})},
		{Name: "NewInfoNCE nil pairs", Call: nce(nil, src, nil)},
		{Name: "NewInfoNCE nil source", Call: nce(big, nil, nil)},
		{Name: "NewInfoNCE length mismatch", Call: nce(pairsOf(v, 4, e[:12], 6), src, nil)},
		{Name: "NewInfoNCE values", Call: nce(pairsOf(make([]int8, 200), 4, e, 6), src, nil)},
		{Name: "NewInfoNCE negative batch", Call: nce(big, src, &InfoNCEOptions{Batch: -1})},
		{Name: "NewInfoNCE batch above the pairs", Call: nce(big, src, &InfoNCEOptions{Batch: 1000})},
		{Name: "NewInfoNCE NaN rate", Call: nce(big, src, &InfoNCEOptions{LearningRate: nan})},
		{Name: "NewInfoNCE Inf temperature", Call: nce(big, src, &InfoNCEOptions{TempStart: inf})},
		{Name: "NewInfoNCE hold-out 1", Call: nce(big, src, &InfoNCEOptions{HoldOut: 1})},
		{Name: "NewInfoNCE NaN EMA", Call: nce(big, src, &InfoNCEOptions{EMA: nan})},
		{Name: "NewInfoNCE critic width", Call: nce(big, src, &InfoNCEOptions{CriticHidden: []int{0}})},
		{Name: "NewInfoNCE Embed 1<<40", Call: nce(big, src, &InfoNCEOptions{Batch: 8, Embed: sizetest.Big})},
		{Name: "NewInfoNCE huge CriticHidden", Call: nce(big, src, &InfoNCEOptions{Batch: 8, CriticHidden: []int{1 << 20, 1 << 20}})},
		{Name: "NewInfoNCE overflowing CriticHidden", Call: nce(big, src, &InfoNCEOptions{Batch: 8, CriticHidden: []int{huge, huge}})},
		{Name: "NewRBMProxy nil source", Call: proxy(pr, nil, nil)},
		{Name: "NewRBMProxy length mismatch", Call: proxy(pairsOf(v, 4, e[:12], 6), src, nil)},
		{Name: "NewRBMProxy values", Call: proxy(pairsOf(make([]int8, 200), 4, e, 6), src, nil)},
		{Name: "NewRBMProxy negative samples", Call: proxy(pr, src, &RBMProxyOptions{Samples: -1})},
		{Name: "NewRBMProxy negative hidden", Call: proxy(pr, src, &RBMProxyOptions{ThetaHidden: -1})},
		{Name: "NewRBMProxy huge sample count", Call: proxy(pr, src, &RBMProxyOptions{Samples: sizetest.Big})},
		{Name: "NewExactOracle nil model", Call: oracle(nil, 1, reg, ds, nil)},
		{Name: "NewExactOracle nil regions", Call: oracle(is, 1, nil, ds, nil)},
		{Name: "NewExactOracle nil dataset", Call: oracle(is, 1, reg, nil, nil)},
		{Name: "NewExactOracle zero T", Call: oracle(is, 0, reg, ds, nil)},
		{Name: "NewExactOracle NaN T", Call: oracle(is, nan, reg, ds, nil)},
		{Name: "NewExactOracle Inf T", Call: oracle(is, inf, reg, ds, nil)},
		{Name: "NewExactOracle geometry mismatch", Call: oracle(is, 1, reg, dsChain, nil)},
		{Name: "NewExactOracle short data", Call: oracle(is, 1, reg, short, nil)},
		{Name: "NewExactOracle zero values", Call: oracle(is, 1, reg, zeros, nil)},
		{Name: "NewExactOracle Potts data", Call: oracle(is, 1, reg, potts, nil)},
		{Name: "NewExactOracle bad position", Call: oracle(is, 1, reg, ds, &OracleOptions{Positions: []int{1000}})},
		{Name: "NewExactOracle negative MaxPairs", Call: oracle(is, 1, reg, ds, &OracleOptions{MaxPairs: -1})},
		{Name: "Train nil estimator", Call: call(func() (*TrainResult, error) { return Train(ctx, nil, f, nil) })},
		{Name: "Train nil filter", Call: train(nil, nil)},
		{Name: "Train filter size mismatch", Call: train(&Filter{NH: 1, NV: 3, W: make([]float64, 3)}, nil)},
		{Name: "Train filter weights length", Call: train(&Filter{NH: 1, NV: 2, W: make([]float64, 3)}, nil)},
		{Name: "Train filter NaN weight", Call: train(&Filter{NH: 1, NV: 2, W: []float64{nan, 0}}, nil)},
		{Name: "Train filter bias length", Call: train(&Filter{NH: 1, NV: 2, W: make([]float64, 2), Bias: []float64{0, 0}}, nil)},
		{Name: "Train negative steps", Call: train(f, &TrainOptions{Steps: -1})},
		{Name: "Train 1<<40 steps", Call: train(f, &TrainOptions{Steps: sizetest.Big})},
		{Name: "Train NaN rate", Call: train(f, &TrainOptions{LearningRate: nan})},
		{Name: "Train Inf rate", Call: train(f, &TrainOptions{LearningRate: inf})},
		{Name: "Train Beta1 1", Call: train(f, &TrainOptions{Beta1: 1})},
		{Name: "Train negative Beta2", Call: train(f, &TrainOptions{Beta2: -0.5})},
		{Name: "Train NaN epsilon", Call: train(f, &TrainOptions{Epsilon: nan})},
		{Name: "Train negative norm", Call: train(f, &TrainOptions{Norm: -1})},
		{Name: "Train Inf L2", Call: train(f, &TrainOptions{L2: inf})},
		{Name: "Train norm and L2", Call: train(f, &TrainOptions{Norm: 1, L2: 1})},
		{Name: "Train checkpoint without directory", Call: train(f, &TrainOptions{Checkpoint: &run.Checkpoint{}})},
		{Name: "Train checkpoint of InfoNCE with a source that cannot save its state", Call: call(func() (*TrainResult, error) {
			n, err := NewInfoNCE(big, rand.New(rand.NewPCG(1, 2)), &InfoNCEOptions{Batch: 8})
			if err != nil {
				return nil, err
			}
			g, _ := NewFilter(1, 4, src)
			return Train(ctx, n, g, &TrainOptions{Steps: 1, Checkpoint: &run.Checkpoint{Dir: t.TempDir()}})
		})},
		{Name: "TrainBest zero runs", Call: best(0, trial, nil)},
		{Name: "TrainBest nil trial", Call: best(2, nil, nil)},
		{Name: "TrainBest negative workers", Call: best(2, trial, &BestOptions{Workers: -1})},
		{Name: "TrainBest bad train options", Call: best(2, trial, &BestOptions{Train: &TrainOptions{Steps: -1}})},
		{Name: "TrainBest failing trial", Call: best(2, func(context.Context, int) (Estimator, *Filter, error) { return tb, nil, nil }, nil)},
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

// Every estimator refuses values outside the pairs' alphabet (0/1 data
// must be mapped to ±1 or declared as States {0, 1}) with an error naming
// the value, and the ±1-only RBMProxy refuses q-state pairs naming the
// estimator and the states.
func TestEstimatorsRefuseNonSpinValues(t *testing.T) {
	ctx := context.Background()
	v := []int8{1, 0, 1, -1}
	e := []int8{1, -1, 1, 1, -1, 1, 1, 1}
	potts := &Pairs{V: []int8{0, 1, 2, 0}, E: []int8{0, 1, 2, 1, 0, 0, 1, 2}, N: 2, NV: 2, NE: 4, States: []int8{0, 1, 2}}
	for _, tc := range []struct {
		name string
		err  func(p *Pairs) error
	}{
		{"ExactV", func(p *Pairs) error { _, err := NewExactV(ctx, p, rand.NewPCG(1, 1), nil); return err }},
		{"RBMProxy", func(p *Pairs) error { _, err := NewRBMProxy(ctx, p, rand.NewPCG(1, 1), nil); return err }},
		{"InfoNCE", func(p *Pairs) error { _, err := NewInfoNCE(p, rand.NewPCG(1, 1), nil); return err }},
	} {
		if err := tc.err(pairsOf(v, 2, e, 4)); err == nil || !strings.Contains(err.Error(), "value 0 at index 1 is not ±1") {
			t.Errorf("%s on a 0 value: error %v, want one naming the value", tc.name, err)
		}
		if tc.name != "RBMProxy" {
			continue // ExactV (categorical Θ-RBM) and InfoNCE (one-hot environments) take q-state pairs
		}
		if err := tc.err(potts); err == nil || !strings.Contains(err.Error(), "[0 1 2]") || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s on Potts pairs: error %v, want one naming the estimator and the states", tc.name, err)
		}
	}
}
