package rsmi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/run"
)

// A Trial builds the estimator and the initial filter of run k (0 ≤ k <
// runs) of TrainBest; F is the type of filter it builds (*Filter,
// *SoftmaxFilter or any Learnable). It should draw everything random from sources seeded
// by k, so that every run is reproducible on its own, and must not share
// mutable state between runs other than concurrency-safe estimators (Exact,
// ExactV and RBMProxy are; an InfoNCE is trained with its filter and belongs
// to one run): the runs train on their own goroutines. It must use ctx for
// anything long.
type Trial[F Learnable] func(ctx context.Context, k int) (Estimator, F, error)

// BestOptions configures TrainBest. Nil, and every zero field, means the
// default in the field's comment.
type BestOptions struct {
	// Train configures every run (default nil: TrainOptions' defaults). Its
	// Progress is not called (see Progress below). Its Checkpoint, if not
	// nil, checkpoints every run in a file of its own: run k's is the
	// checkpoint's name, or "rsmi-train.ckpt" if it is empty, with
	// "-run<k>" inserted before the extension: "rsmi-train-run0.ckpt", ….
	Train *TrainOptions
	// Workers is the largest number of runs trained at once (default
	// GOMAXPROCS). The result does not depend on it.
	Workers int
	// Progress, if not nil, is called from the calling goroutine with Stage
	// "rsmi.TrainBest", Done the steps completed over all runs, Total =
	// runs·Steps, and Value the largest final MI in bits of the runs
	// finished so far (NaN before the first finishes). (Default nil.)
	Progress run.ProgressFunc
}

// resolve returns the options with the defaults filled in (Train stays nil
// for TrainOptions' defaults).
func (opts *BestOptions) resolve() (BestOptions, error) {
	var o BestOptions
	if opts != nil {
		o = *opts
	}
	if o.Workers < 0 {
		return o, fmt.Errorf("rsmi: BestOptions.Workers = %d is negative", o.Workers)
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o, nil
}

// BestResult reports the runs of TrainBest, whose filters have type F.
type BestResult[F Learnable] struct {
	// Best is the index of the kept run: the largest final MI, the first of
	// equal ones.
	Best int
	// Filter and Estimator are the kept run's trained filter and its
	// estimator.
	Filter    F
	Estimator Estimator
	// Runs holds every run's result by index; Runs[k].MI is the MI by which
	// the runs are compared.
	Runs []*TrainResult
}

// TrainBest trains runs filters, each built by trial(ctx, k) and trained by
// Train, and keeps the one whose final MI (TrainResult.MI: the estimator's
// MI of the trained filter, for InfoNCE the bound on its held-out pairs) is
// largest. Restarts guard against the occasional training run that ends in
// a poor local optimum, such as two hidden units collapsing onto one
// direction (examples/dimer). Runs train concurrently, at most
// opts.Workers at once; the result is that of the runs in index order,
// whatever the scheduling.
//
// It returns an error if runs < 1, if a run fails (the error names the run,
// the others are cancelled) or if ctx is cancelled.
func TrainBest[F Learnable](ctx context.Context, runs int, trial Trial[F], opts *BestOptions) (*BestResult[F], error) {
	if runs < 1 {
		return nil, fmt.Errorf("rsmi: TrainBest of %d runs, want at least 1", runs)
	}
	if trial == nil {
		return nil, errors.New("rsmi: TrainBest needs a trial")
	}
	if err := size.CheckElements("TrainBest runs (filter, estimator, result and error of each)", runs, 64); err != nil {
		return nil, fmt.Errorf("rsmi: %w", err)
	}
	o, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	to, err := o.Train.resolve()
	if err != nil {
		return nil, err
	}
	b := &bestRuns[F]{trial: trial, train: to, runs: runs, progress: o.Progress,
		filters: make([]F, runs), ests: make([]Estimator, runs), res: make([]*TrainResult, runs), errs: make([]error, runs)}
	b.run(ctx, o.Workers)
	return b.result(ctx)
}

// bestRuns is the state of TrainBest.
type bestRuns[F Learnable] struct {
	trial    Trial[F]
	train    TrainOptions
	runs     int
	progress run.ProgressFunc
	filters  []F
	ests     []Estimator
	res      []*TrainResult
	errs     []error
	cancel   context.CancelFunc
}

// bestEvent is a report of a run: a step done, or the run finished.
type bestEvent struct {
	k        int
	finished bool
}

// run trains the runs on up to workers goroutines and relays their
// progress to the calling goroutine.
func (b *bestRuns[F]) run(ctx context.Context, workers int) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.cancel = cancel
	events := make(chan bestEvent, 64)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for k := 0; k < b.runs; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			b.one(cctx, k, events)
			events <- bestEvent{k: k, finished: true}
		}()
	}
	done, finished, best := 0, 0, math.Inf(-1)
	for finished < b.runs {
		ev := <-events
		if ev.finished {
			finished++
			if b.errs[ev.k] == nil {
				best = max(best, b.res[ev.k].MI)
			}
		} else {
			done++
		}
		if b.progress != nil {
			v := best
			if math.IsInf(v, -1) {
				v = math.NaN()
			}
			b.progress(run.Progress{Stage: "rsmi.TrainBest", Done: done, Total: b.runs * b.train.Steps, Value: v})
		}
	}
	wg.Wait()
}

// one builds and trains run k; a failure cancels the other runs.
func (b *bestRuns[F]) one(ctx context.Context, k int, events chan<- bestEvent) {
	fail := func(err error) {
		b.errs[k] = fmt.Errorf("rsmi: TrainBest run %d: %w", k, err)
		b.cancel()
	}
	est, f, err := b.trial(ctx, k)
	if err != nil {
		fail(err)
		return
	}
	if est == nil || isNil(f) {
		fail(errors.New("the trial returned no estimator or no filter"))
		return
	}
	o := b.train
	o.Progress = nil
	if b.progress != nil {
		o.Progress = func(run.Progress) { events <- bestEvent{k: k} }
	}
	if o.Checkpoint != nil {
		ck := *o.Checkpoint
		ck.Name = runName(ck.Name, k)
		o.Checkpoint = &ck
	}
	res, err := Train(ctx, est, f, &o)
	if err != nil {
		fail(err)
		return
	}
	b.filters[k], b.ests[k], b.res[k] = f, est, res
}

// runName inserts "-run<k>" before the extension of a checkpoint name
// (default "rsmi-train.ckpt").
func runName(name string, k int) string {
	if name == "" {
		name = "rsmi-train.ckpt"
	}
	ext := filepath.Ext(name)
	return fmt.Sprintf("%s-run%d%s", strings.TrimSuffix(name, ext), k, ext)
}

// result picks the best run, or returns the first error that is not a
// consequence of another run's failure.
func (b *bestRuns[F]) result(ctx context.Context) (*BestResult[F], error) {
	var first error
	for _, err := range b.errs {
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil || !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if first != nil {
		return nil, first
	}
	r := &BestResult[F]{Runs: b.res}
	for k, res := range b.res {
		if res.MI > b.res[r.Best].MI {
			r.Best = k
		}
	}
	r.Filter, r.Estimator = b.filters[r.Best], b.ests[r.Best]
	return r, nil
}
