package rsmi

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rbm"
	"github.com/rsmi-go/rsmi/sample"
)

// cancelWithin runs call with a context cancelled after delay and requires
// it to return an error wrapping context.Canceled, mentioning phase, within
// one second of the cancellation.
func cancelWithin(t *testing.T, name string, delay time.Duration, phase string, call func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled time.Time
	timer := time.AfterFunc(delay, func() { cancelled = time.Now(); cancel() })
	defer timer.Stop()
	start := time.Now()
	err := call(ctx)
	end := time.Now()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%s: error %v after %v, want context.Canceled", name, err, end.Sub(start))
		return
	}
	// The one-second bound holds in the full run; under -short (CI's
	// race-detector run, 5–10× slower) only the error is checked.
	if d := end.Sub(cancelled); !testing.Short() && d > time.Second {
		t.Errorf("%s: returned %v after the cancellation", name, d)
	}
	if !strings.Contains(err.Error(), phase) {
		t.Errorf("%s: error %q does not name the phase %q", name, err, phase)
	}
}

// TestExactVCancelPrompt cancels each phase of NewExactV (Θ-RBM training,
// fine-tuning, table building) on workloads that take far longer.
func TestExactVCancelPrompt(t *testing.T) {
	if testing.Short() {
		t.Skip("several seconds of work in -short mode: TestTrainCancelPrompt covers the loop")
	}
	const n, nv, ne = 3000, 12, 12
	v, e := randomSpins(n*nv, 1), randomSpins(n*ne, 2)
	cancelWithin(t, "Θ-RBM training", 200*time.Millisecond, "Θ-RBM", func(ctx context.Context) error {
		_, err := NewExactV(ctx, v, nv, e, ne, &ExactVOptions{Src: rand.NewPCG(1, 1), RBM: &rbm.TrainOptions{Epochs: 1 << 20}})
		return err
	})
	cancelWithin(t, "fine-tuning", 300*time.Millisecond, "fine-tuning", func(ctx context.Context) error {
		_, err := NewExactV(ctx, v, nv, e, ne, &ExactVOptions{Src: rand.NewPCG(1, 1), RBM: &rbm.TrainOptions{Epochs: 1},
			FineTune: 1 << 30})
		return err
	})
	cancelWithin(t, "table", 300*time.Millisecond, "table", func(ctx context.Context) error {
		_, err := NewExactV(ctx, v, nv, e, ne, &ExactVOptions{Src: rand.NewPCG(1, 1), Hidden: 512,
			RBM: &rbm.TrainOptions{Epochs: 1}, FineTune: -1})
		return err
	})
}

// TestOracleCancelPrompt cancels the exact oracle on 3×3 blocks with a
// buffer of 2 of a 2D Ising data set whose (position, environment) pairs
// would take far longer.
func TestOracleCancelPrompt(t *testing.T) {
	lat, _ := lattice.NewSquare(16)
	m, _ := lattice.NewNearestNeighborIsing(lat, 1)
	reg, err := NewRegions(lat.Geometry(), RegionOptions{Block: []int{3, 3}, Buffer: 2, Env: 1})
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := sample.NewDataset(lat.Geometry(), randomSpins(2000*256, 3))
	cancelWithin(t, "oracle", 200*time.Millisecond, "oracle", func(ctx context.Context) error {
		_, err := NewExactOracle(ctx, m, 2.3, reg, ds, nil)
		return err
	})
}
