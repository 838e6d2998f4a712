package rg

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// TestFitFlowCancelPrompt cancels FitCouplings and Flow on a data set whose
// fits take far longer, and requires context.Canceled within a second.
func TestFitFlowCancelPrompt(t *testing.T) {
	lat, _ := lattice.NewSquare(64)
	ds, _ := sample.NewDataset(lat.Geometry(), randomSpins(3000*4096, 5))
	ops, err := lattice.EvenOperators(2, 6)
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
			_, err := Flow(ctx, ds, lat, FlowOptions{Levels: 4, Operators: ops, Src: rand.NewPCG(1, 1)})
			return err
		}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		start := time.Now()
		err := c.call(ctx)
		cancel()
		// The one-second bound holds in the full run; under -short (CI's
		// race-detector run, 5–10× slower) only the error is checked.
		if d := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || !testing.Short() && d > 1150*time.Millisecond {
			t.Errorf("%s: error %v after %v, want context.DeadlineExceeded within a second", c.name, err, d)
		}
	}
}
