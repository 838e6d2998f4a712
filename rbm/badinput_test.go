package rbm

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/internal/badinput"
	"github.com/rsmi-go/rsmi/internal/size/sizetest"
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
		{"AIS 2^40 runs", ais(AISOptions{Runs: sizetest.Big, Src: src})},
		{"AIS 2^40 steps", ais(AISOptions{Steps: sizetest.Big, Src: src})},
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

// TestCategoricalBadInput feeds the categorical RBM's constructors and long
// calls invalid values: every one is an error naming the value.
func TestCategoricalBadInput(t *testing.T) {
	src := rand.NewPCG(1, 2)
	nan := math.NaN()
	c, _ := NewCategorical(3, 2, States(3), src)
	data := []int8{0, 1, 2, 2, 1, 0}
	ctx := context.Background()
	w := make([]float64, 3*3*2)
	wNaN := append([]float64(nil), w...)
	wNaN[4] = nan
	ll := func(d []int8) func() (any, error) {
		return func() (any, error) {
			x, err := c.LogLikelihood(d)
			if err == nil {
				return &x, nil
			}
			return nil, err
		}
	}
	cases := []struct {
		badinput.Call
		want string
	}{
		{badinput.Call{"one state", func() (any, error) { return NewCategorical(3, 2, []int8{0}, src) }}, "[0]"},
		{badinput.Call{"no states", func() (any, error) { return NewCategorical(3, 2, nil, src) }}, "0 visible states"},
		{badinput.Call{"unsorted states", func() (any, error) { return NewCategorical(3, 2, []int8{0, 2, 1}, src) }}, "1 after 2"},
		{badinput.Call{"repeated state", func() (any, error) { return NewCategorical(3, 2, []int8{-1, -1}, src) }}, "-1 after -1"},
		{badinput.Call{"too many states", func() (any, error) { return NewCategorical(3, 2, States(129)[:129], src) }}, "129 visible states"},
		{badinput.Call{"zero visible", func() (any, error) { return NewCategorical(0, 2, States(3), src) }}, "visible units 0"},
		{badinput.Call{"negative hidden", func() (any, error) { return NewCategorical(3, -4, States(3), src) }}, "hidden units -4"},
		{badinput.Call{"over the parameter cap", func() (any, error) { return NewCategorical(1<<20, 1<<10, States(3), src) }}, "1048576 visible units of 3 states"},
		{badinput.Call{"nil source", func() (any, error) { return NewCategorical(3, 2, States(3), nil) }}, "rand.Source"},
		{badinput.Call{"From lengths", func() (any, error) {
			return NewCategoricalFrom(3, 2, States(3), w[:5], make([]float64, 9), make([]float64, 2))
		}}, "5"},
		{badinput.Call{"From NaN", func() (any, error) {
			return NewCategoricalFrom(3, 2, States(3), wNaN, make([]float64, 9), make([]float64, 2))
		}}, "NaN at 4"},
		{badinput.Call{"Train value out of range", func() (any, error) {
			return TrainCategorical(ctx, c.Clone(), []int8{0, 3, 1}, &TrainOptions{Src: src})
		}}, "value 3 at row 0, column 1"},
		{badinput.Call{"Train negative value", func() (any, error) {
			return TrainCategorical(ctx, c.Clone(), []int8{0, 1, -1}, &TrainOptions{Src: src})
		}}, "value -1"},
		{badinput.Call{"Train ragged", func() (any, error) { return TrainCategorical(ctx, c.Clone(), data[:4], &TrainOptions{Src: src}) }}, "length 4"},
		{badinput.Call{"Train nil", func() (any, error) { return TrainCategorical(ctx, nil, data, &TrainOptions{Src: src}) }}, "categorical"},
		{badinput.Call{"Train zero value", func() (any, error) { return TrainCategorical(ctx, &Categorical{}, data, &TrainOptions{Src: src}) }}, "NewCategorical"},
		{badinput.Call{"LogLikelihood zero value", func() (any, error) {
			x, err := (&Categorical{}).LogLikelihood(data)
			if err == nil {
				return &x, nil
			}
			return nil, err
		}}, "NewCategorical"},
		{badinput.Call{"Train NaN rate", func() (any, error) {
			return TrainCategorical(ctx, c.Clone(), data, &TrainOptions{LearningRate: nan, Src: src})
		}}, "NaN"},
		{badinput.Call{"LogLikelihood value", ll([]int8{0, 1, 7})}, "value 7"},
		{badinput.Call{"Block out of range", func() (any, error) { return c.Block([]int{0, 3}) }}, "unit 3"},
		{badinput.Call{"Block repeated", func() (any, error) { return c.Block([]int{1, 1}) }}, "unit 1"},
		{badinput.Call{"AIS base length", func() (any, error) {
			_, _, err := c.AIS(ctx, &AISOptions{BaseVisBias: []float64{1}, Src: src})
			return nil, err
		}}, "1 base visible biases"},
		{badinput.Call{"AIS base NaN", func() (any, error) {
			b := make([]float64, 9)
			b[2] = nan
			_, _, err := c.AIS(ctx, &AISOptions{BaseVisBias: b, Src: src})
			return nil, err
		}}, "NaN at 2"},
	}
	calls := make(badinput.Calls, len(cases))
	for i, k := range cases {
		calls[i] = k.Call
		if _, err := k.Call.Call(); err == nil || !strings.Contains(err.Error(), k.want) {
			t.Errorf("%s: error %v, want one naming %q", k.Name, err, k.want)
		}
	}
	badinput.Sweep(t, "rbm:", calls)
}
