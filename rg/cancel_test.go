package rg

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/internal/canceltest"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// TestFitFlowCancelPrompt cancels FitCouplings and Flow in the middle of a
// fit (at the 40th context check, i.e. configuration, of a 3000-row fit)
// and Flow between levels (from its progress callback), and requires an
// error wrapping context.Canceled and no work after the cancellation: no
// further context checks, no further level. Nothing depends on the time
// the calls take.
func TestFitFlowCancelPrompt(t *testing.T) {
	lat, _ := lattice.NewSquare(32)
	ds, _ := sample.NewDataset(lat.Geometry(), randomSpins(3000*1024, 5))
	ops, err := lattice.EvenOperators(2, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"FitCouplings", func(ctx context.Context) error {
			_, err := FitCouplings(ctx, ds, lat, ops, nil)
			return err
		}},
		{"Flow", func(ctx context.Context) error {
			_, err := Flow(ctx, ds, lat, rand.NewPCG(1, 1), &FlowOptions{Levels: 3, Operators: ops})
			return err
		}},
	} {
		ctx := canceltest.After(40)
		err := c.call(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: error %v, want context.Canceled", c.name, err)
		}
		if n := ctx.Calls(); n != 40 {
			t.Errorf("%s: %d context checks, want the call to stop at the cancelling 40th", c.name, n)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var levels []int
	_, err = Flow(ctx, ds, lat, rand.NewPCG(1, 1), &FlowOptions{Levels: 3, Progress: func(p run.Progress) {
		levels = append(levels, p.Done)
		cancel()
	}})
	if !errors.Is(err, context.Canceled) || len(levels) != 1 {
		t.Errorf("Flow cancelled after level 1: error %v, levels completed %v, want context.Canceled after [1]", err, levels)
	}
}
