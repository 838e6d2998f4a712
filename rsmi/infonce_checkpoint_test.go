package rsmi

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/run"
)

// An InfoNCE training cancelled midway and resumed from its checkpoint ends
// bit for bit where an uninterrupted run does: critic, Adam moments, epoch
// position and random stream are all restored.
func TestInfoNCECheckpointResume(t *testing.T) {
	pr := randomPairs(2000, 4, 6, rand.NewPCG(1, 1))
	trainRun := func(ctx context.Context, ck *run.Checkpoint, progress run.ProgressFunc) ([]float64, float64, float64, error) {
		est, err := NewInfoNCE(pr, rand.NewPCG(2, 3), &InfoNCEOptions{Batch: 32})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := NewFilter(2, 4, rand.NewPCG(4, 5))
		res, err := Train(ctx, est, f, &TrainOptions{Steps: 120, Checkpoint: ck, Progress: progress})
		if err != nil {
			return nil, 0, 0, err
		}
		return f.W, res.MI, est.Estimate(), nil
	}
	w0, mi0, ema0, err := trainRun(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, _, _, err = trainRun(ctx, &run.Checkpoint{Dir: dir, Every: 10}, func(p run.Progress) {
		if p.Done == 67 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: error %v, want context.Canceled", err)
	}
	w1, mi1, ema1, err := trainRun(context.Background(), &run.Checkpoint{Dir: dir, Every: 10, Resume: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w0, w1) || mi0 != mi1 || ema0 != ema1 {
		t.Fatalf("resumed run differs: weights %v vs %v, MI %v vs %v, EMA %v vs %v", w1, w0, mi1, mi0, ema1, ema0)
	}
	// A source that cannot save its state is refused up front.
	est, _ := NewInfoNCE(pr, rand.New(rand.NewPCG(2, 3)), &InfoNCEOptions{Batch: 32})
	f, _ := NewFilter(2, 4, rand.NewPCG(4, 5))
	_, err = Train(context.Background(), est, f, &TrainOptions{Steps: 5, Checkpoint: &run.Checkpoint{Dir: t.TempDir()}})
	if err == nil || !strings.Contains(err.Error(), "cannot save its state") {
		t.Fatalf("error %v, want one about the source", err)
	}
}
