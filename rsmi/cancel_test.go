package rsmi

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rbm"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// cancelAt runs call with a progress function that cancels the context at
// the first report of stage with Done ≥ done, and requires the call to
// return an error wrapping context.Canceled that mentions phase, with no
// report of stage after the cancellation (the work stopped). Nothing
// depends on wall-clock time.
func cancelAt(t *testing.T, stage string, done int, phase string, call func(ctx context.Context, progress run.ProgressFunc) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	after := 0
	err := call(ctx, func(p run.Progress) {
		switch {
		case ctx.Err() != nil && p.Stage == stage:
			after++
		case p.Stage == stage && p.Done >= done:
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%s: error %v, want context.Canceled", stage, err)
		return
	}
	if after > 0 {
		t.Errorf("%s: %d progress reports after the cancellation", stage, after)
	}
	if !strings.Contains(err.Error(), phase) {
		t.Errorf("%s: error %q does not name the phase %q", stage, err, phase)
	}
}

// TestExactVCancel cancels each phase of NewExactV (Θ-RBM training,
// fine-tuning, table building) on workloads that would take far longer.
func TestExactVCancel(t *testing.T) {
	const n, nv, ne = 3000, 8, 12
	p := pairsOf(randomSpins(n*nv, 1), nv, randomSpins(n*ne, 2), ne)
	exactV := func(o ExactVOptions) func(context.Context, run.ProgressFunc) error {
		return func(ctx context.Context, progress run.ProgressFunc) error {
			o.Progress = progress
			_, err := NewExactV(ctx, p, rand.NewPCG(1, 1), &o)
			return err
		}
	}
	cancelAt(t, "rsmi.ExactV: Θ-RBM", 1, "Θ-RBM", exactV(ExactVOptions{RBM: &rbm.TrainOptions{Epochs: 1 << 20}}))
	cancelAt(t, "rsmi.ExactV: fine-tuning", 2, "fine-tuning", exactV(ExactVOptions{RBM: &rbm.TrainOptions{Epochs: 1}, FineTune: 1 << 30}))
	cancelAt(t, "rsmi.ExactV: table", 0, "table", exactV(ExactVOptions{Hidden: 512, RBM: &rbm.TrainOptions{Epochs: 1}, FineTune: -1}))
}

// TestOracleCancel cancels the exact oracle on 3×3 blocks with a buffer of
// 2 of a 2D Ising data set whose (position, environment) pairs would take
// far longer.
func TestOracleCancel(t *testing.T) {
	lat, _ := lattice.NewSquare(16)
	m, _ := lattice.NewNearestNeighborIsing(lat, 1)
	reg, err := NewRegions(lat.Geometry(), []int{3, 3}, &RegionOptions{Buffer: 2, Env: 1})
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := sample.NewDataset(lat.Geometry(), randomSpins(100*256, 3))
	cancelAt(t, "rsmi.NewExactOracle", 0, "oracle", func(ctx context.Context, progress run.ProgressFunc) error {
		_, err := NewExactOracle(ctx, m, 2.3, reg, ds, &OracleOptions{Progress: progress})
		return err
	})
}
