package rbm

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/run"
)

// TestBadInputSweep feeds New, NewFrom, Read, Train, AIS and LogLikelihood
// invalid values.
func TestBadInputSweep(t *testing.T) {
	src := rand.NewPCG(1, 2)
	nan, inf := math.NaN(), math.Inf(1)
	r, _ := New(4, 3, Binary, src)
	data := []int8{0, 1, 1, 0, 1, 1, 1, 1}
	var file bytes.Buffer
	r.WriteTo(&file)
	ctx := context.Background()
	train := func(o TrainOptions) func() (any, error) {
		return func() (any, error) {
			if o.Src == nil {
				o.Src = src
			}
			return Train(ctx, r.Clone(), data, &o)
		}
	}
	ais := func(o AISOptions) func() (any, error) {
		return func() (any, error) {
			lz, se, err := r.AIS(ctx, &o)
			if err == nil {
				return &[2]float64{lz, se}, nil
			}
			return nil, err
		}
	}
	badinput.Sweep(t, "rbm:", badinput.Calls{
		{"New zero visible", func() (any, error) { return New(0, 3, Binary, src) }},
		{"New negative hidden", func() (any, error) { return New(4, -1, Binary, src) }},
		{"New huge", func() (any, error) { return New(1<<30, 1, Binary, src) }},
		{"New too many parameters (issue 14.3)", func() (any, error) { return New(1<<20, 1<<20, Binary, src) }},
		{"NewFrom too many parameters", func() (any, error) { return NewFrom(1<<20, 1<<20, Binary, nil, nil, nil) }},
		{"New unknown units", func() (any, error) { return New(4, 3, Units(7), src) }},
		{"New nil source", func() (any, error) { return New(4, 3, Spin, nil) }},
		{"NewFrom length mismatch", func() (any, error) {
			return NewFrom(2, 2, Binary, make([]float64, 3), make([]float64, 2), make([]float64, 2))
		}},
		{"NewFrom NaN", func() (any, error) { return NewFrom(1, 1, Binary, []float64{nan}, []float64{0}, []float64{0}) }},
		{"NewFrom Inf", func() (any, error) { return NewFrom(1, 1, Binary, []float64{0}, []float64{inf}, []float64{0}) }},
		{"NewFrom zero sizes", func() (any, error) { return NewFrom(0, 0, Binary, nil, nil, nil) }},
		{"Read empty", func() (any, error) { return Read(bytes.NewReader(nil)) }},
		{"Read truncated", func() (any, error) { return Read(bytes.NewReader(file.Bytes()[:file.Len()-1])) }},
		{"Read altered", func() (any, error) {
			b := bytes.Clone(file.Bytes())
			b[30] ^= 1
			return Read(bytes.NewReader(b))
		}},
		{"Train nil RBM", func() (any, error) { return Train(ctx, nil, data, &TrainOptions{Src: src}) }},
		{"Train zero-value RBM", func() (any, error) { return Train(ctx, &RBM{}, data, &TrainOptions{Src: src}) }},
		{"LogLikelihood zero-value RBM", func() (any, error) {
			ll, err := (&RBM{}).LogLikelihood(data)
			if err == nil {
				return &ll, nil
			}
			return nil, err
		}},
		{"Train nil options", func() (any, error) { return Train(ctx, r.Clone(), data, nil) }},
		{"Train nil source", func() (any, error) { return Train(ctx, r.Clone(), data, &TrainOptions{}) }},
		{"Train empty data", func() (any, error) { return Train(ctx, r.Clone(), nil, &TrainOptions{Src: src}) }},
		{"Train data length", func() (any, error) { return Train(ctx, r.Clone(), data[:5], &TrainOptions{Src: src}) }},
		{"Train data alphabet", func() (any, error) { return Train(ctx, r.Clone(), []int8{0, 1, -1, 0}, &TrainOptions{Src: src}) }},
		{"Train negative epochs", train(TrainOptions{Epochs: -1})},
		{"Train negative batch", train(TrainOptions{BatchSize: -1})},
		{"Train negative K", train(TrainOptions{K: -2})},
		{"Train NaN rate", train(TrainOptions{LearningRate: nan})},
		{"Train Inf rate", train(TrainOptions{LearningRate: inf})},
		{"Train negative rate", train(TrainOptions{LearningRate: -1})},
		{"Train NaN decay", train(TrainOptions{Decay: nan})},
		{"Train negative weight decay", train(TrainOptions{WeightDecay: -1})},
		{"Train momentum 1", train(TrainOptions{Momentum: 1})},
		{"Train NaN momentum", train(TrainOptions{Momentum: nan})},
		{"Train checkpoint without directory", train(TrainOptions{Checkpoint: &run.Checkpoint{}})},
		{"Train checkpoint negative interval", train(TrainOptions{Checkpoint: &run.Checkpoint{Dir: t.TempDir(), Every: -2}})},
		{"Train checkpoint name with a path", train(TrainOptions{Checkpoint: &run.Checkpoint{Dir: t.TempDir(), Name: "a/b"}})},
		{"Train cancelled", func() (any, error) {
			c, cancel := context.WithCancel(ctx)
			cancel()
			return Train(c, r.Clone(), data, &TrainOptions{Src: src})
		}},
		{"AIS nil options", func() (any, error) { _, _, err := r.AIS(ctx, nil); return nil, err }},
		{"AIS nil source", ais(AISOptions{})},
		{"AIS negative runs", ais(AISOptions{Runs: -1, Src: src})},
		{"AIS negative steps", ais(AISOptions{Steps: -1, Src: src})},
		{"AIS schedule not from 0", ais(AISOptions{Betas: []float64{0.1, 1}, Src: src})},
		{"AIS schedule decreasing", ais(AISOptions{Betas: []float64{0, 0.6, 0.5, 1}, Src: src})},
		{"AIS schedule NaN", ais(AISOptions{Betas: []float64{0, nan, 1}, Src: src})},
		{"AIS base length", ais(AISOptions{BaseVisBias: []float64{0}, Src: src})},
		{"AIS base Inf", ais(AISOptions{BaseVisBias: []float64{0, inf, 0, 0}, Src: src})},
		{"LogLikelihood data alphabet", func() (any, error) {
			ll, err := r.LogLikelihood([]int8{2, 0, 0, 0})
			if err == nil {
				return &ll, nil
			}
			return nil, err
		}},
		{"LogLikelihood length", func() (any, error) {
			ll, err := r.LogLikelihood([]int8{1, 0, 0})
			if err == nil {
				return &ll, nil
			}
			return nil, err
		}},
	})
}
