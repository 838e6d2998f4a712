package rsmi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/run"
)

// bestTrial trains single-unit filters from seeds k+1 on the exact chain
// table (K = 0.5, where short runs from different seeds end at visibly
// different MI).
func bestTrial(tb *Exact) Trial[*Filter] {
	return func(_ context.Context, k int) (Estimator, *Filter, error) {
		f, err := NewFilter(1, 2, rand.NewPCG(uint64(k+1), 7))
		return tb, f, err
	}
}

// TestTrainBest checks that TrainBest keeps the run with the largest final
// MI, that every run equals a Train run of its own, bit for bit, whatever the
// number of workers, and that its progress counts all steps.
func TestTrainBest(t *testing.T) {
	tb, _ := NewExactChain(0.5, 2, 1, 2)
	const runs, steps = 4, 150
	ctx := context.Background()
	var want []float64
	for k := 0; k < runs; k++ {
		_, f, _ := bestTrial(tb)(ctx, k)
		res, err := Train(ctx, tb, f, &TrainOptions{Steps: steps})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, res.MI)
	}
	for _, workers := range []int{1, 3} {
		calls, last := 0, run.Progress{}
		res, err := TrainBest(ctx, runs, bestTrial(tb), &BestOptions{Train: &TrainOptions{Steps: steps}, Workers: workers,
			Progress: func(p run.Progress) { calls, last = calls+1, p }})
		if err != nil {
			t.Fatal(err)
		}
		best := 0
		for k, r := range res.Runs {
			if r.MI != want[k] {
				t.Errorf("%d workers, run %d: MI %.17g, alone %.17g", workers, k, r.MI, want[k])
			}
			if r.MI > res.Runs[best].MI {
				best = k
			}
		}
		if res.Best != best || res.Estimator != Estimator(tb) {
			t.Errorf("%d workers: kept run %d of MI %v, want %d", workers, res.Best, want, best)
		}
		if mi, _ := tb.MI(res.Filter); mi != want[best] {
			t.Errorf("%d workers: kept filter has MI %v, want %v", workers, mi, want[best])
		}
		if calls != runs*(steps+1) || last.Stage != "rsmi.TrainBest" || last.Done != runs*steps || last.Total != runs*steps || last.Value != want[best] {
			t.Errorf("%d workers: %d progress calls, last %+v", workers, calls, last)
		}
	}
}

// TestTrainBestCheckpoints checks the runs' checkpoint files and that a
// resumed TrainBest gives the same result.
func TestTrainBestCheckpoints(t *testing.T) {
	tb, _ := NewExactChain(0.5, 2, 1, 2)
	dir := t.TempDir()
	ck := &run.Checkpoint{Dir: dir, Name: "best.ckpt"}
	opts := &BestOptions{Train: &TrainOptions{Steps: 50, Checkpoint: ck}}
	a, err := TrainBest(context.Background(), 2, bestTrial(tb), opts)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 2; k++ {
		if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("best-run%d.ckpt", k))); err != nil {
			t.Errorf("run %d: %v", k, err)
		}
	}
	ck.Resume = true
	b, err := TrainBest(context.Background(), 2, bestTrial(tb), opts)
	if err != nil {
		t.Fatal(err)
	}
	if b.Runs[0].ResumedFrom != 50 || b.Best != a.Best || b.Runs[1].MI != a.Runs[1].MI {
		t.Errorf("resumed: from step %d, best %d (was %d), MI %v (was %v)", b.Runs[0].ResumedFrom, b.Best, a.Best, b.Runs[1].MI, a.Runs[1].MI)
	}
}

// TestTrainBestErrors checks that a failing run is named, and that a
// cancelled context stops all runs.
func TestTrainBestErrors(t *testing.T) {
	tb, _ := NewExactChain(0.5, 2, 1, 2)
	failing := func(ctx context.Context, k int) (Estimator, *Filter, error) {
		if k == 2 {
			return nil, nil, errors.New("no filter for you")
		}
		return bestTrial(tb)(ctx, k)
	}
	_, err := TrainBest(context.Background(), 4, failing, &BestOptions{Train: &TrainOptions{Steps: 1 << 20}, Workers: 4})
	if err == nil || !strings.Contains(err.Error(), "run 2: no filter for you") {
		t.Errorf("failing run: error %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	_, err = TrainBest(ctx, 3, bestTrial(tb), &BestOptions{Train: &TrainOptions{Steps: 1 << 20},
		Progress: func(p run.Progress) {
			if steps++; steps == 10 {
				cancel()
			}
			if !math.IsNaN(p.Value) {
				t.Errorf("a run finished: %+v", p)
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v", err)
	}
}
