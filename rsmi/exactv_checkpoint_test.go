package rsmi

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/run"
)

// ExactV's checkpoints: a run cancelled during the Θ-RBM's training or
// during the fine-tuning and resumed gives exactly the estimator of an
// uninterrupted run; a fine-tuning checkpoint resumed with another number
// of steps is refused with both numbers named.
// The categorical Θ-RBM of q-state pairs (3-state Potts chain) resumes
// bit-identically too.
func TestExactVCheckpointResume(t *testing.T) {
	st := pottsStates(3)
	potts, _ := NewSoftmaxFilter(1, 2, st, st, rand.NewPCG(1, 1))
	for _, c := range []struct {
		name string
		pr   *Pairs
		f    Learnable
	}{
		{"±1", chainPairs(1, 2, 1, 2, 4000, rand.NewPCG(3, 3)), &Filter{NH: 1, NV: 2, W: []float64{0.9, 0.4}}},
		{"3-state", pottsChainPairs(3, 2, 4000, rand.NewPCG(3, 3)), potts},
	} {
		t.Run(c.name, func(t *testing.T) { exactVResume(t, c.pr, c.f) })
	}
}

// exactVResume is TestExactVCheckpointResume on the pairs pr, scored by f.
func exactVResume(t *testing.T, pr *Pairs, f Learnable) {
	build := func(ctx context.Context, ck *run.Checkpoint, fineTune int, progress run.ProgressFunc) (float64, error) {
		ev, err := NewExactV(ctx, pr, rand.NewPCG(7, 7), &ExactVOptions{Checkpoint: ck, Progress: progress, FineTune: fineTune})
		if err != nil {
			return 0, err
		}
		return ev.MI(f)
	}
	want, err := build(context.Background(), nil, 50, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, stop := range []struct {
		stage string
		done  int
	}{{"rsmi.ExactV: Θ-RBM", 15}, {"rsmi.ExactV: fine-tuning", 33}} {
		dir := t.TempDir()
		ck := &run.Checkpoint{Dir: dir, Every: 10}
		ctx, cancel := context.WithCancel(context.Background())
		_, err = build(ctx, ck, 50, func(p run.Progress) {
			if p.Stage == stop.stage && p.Done == stop.done {
				cancel()
			}
		})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("run cancelled in %s: error %v, want context.Canceled", stop.stage, err)
		}
		ck.Resume = true
		got, err := build(context.Background(), ck, 50, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("resumed after a cancellation in %s: MI %.17g, uninterrupted %.17g", stop.stage, got, want)
		}
		if again, err := build(context.Background(), ck, 50, nil); err != nil || again != want {
			t.Errorf("finished run resumed: MI %.17g (%v), uninterrupted %.17g", again, err, want)
		}
		if _, err := build(context.Background(), ck, 25, nil); err == nil || !strings.Contains(err.Error(), "written for 50 steps") || !strings.Contains(err.Error(), "asks for 25") {
			t.Errorf("fine-tuning resumed with 25 of 50 steps: error %v", err)
		}
	}
}
