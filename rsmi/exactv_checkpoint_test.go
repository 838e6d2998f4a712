package rsmi

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/run"
)

// ExactV's Θ-RBM checkpoint: a run cancelled during RBM training and resumed
// gives exactly the estimator of an uninterrupted run.
func TestExactVCheckpointResume(t *testing.T) {
	v, e := chainPairs(1, 2, 1, 2, 4000, rand.NewPCG(3, 3))
	f := &Filter{NH: 1, NV: 2, W: []float64{0.9, 0.4}}
	build := func(ctx context.Context, ck *run.Checkpoint, progress func(epoch, epochs int)) (float64, error) {
		ev, err := NewExactV(ctx, v, 2, e, 4, &ExactVOptions{Src: rand.NewPCG(7, 7), Checkpoint: ck, Progress: progress, FineTune: 50})
		if err != nil {
			return 0, err
		}
		return ev.MI(f)
	}
	want, err := build(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, err = build(ctx, &run.Checkpoint{Dir: dir}, func(epoch, _ int) {
		if epoch == 5 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: error %v, want context.Canceled", err)
	}
	got, err := build(context.Background(), &run.Checkpoint{Dir: dir, Resume: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("resumed ExactV gives MI %.17g, uninterrupted %.17g", got, want)
	}
}
