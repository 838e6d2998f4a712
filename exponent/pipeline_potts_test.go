package exponent

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// smallPottsPipeline is a quick 2D 3-state Potts run at L = 32: 4000
// configurations in 20 shards, a short filter training on the exact
// oracle, two learned strengths and the sharp rule.
func smallPottsPipeline(ck *run.Checkpoint, progress run.ProgressFunc) *PipelineOptions {
	return &PipelineOptions{LearnSamples: 60, Pairs: 3000, Steps: 150, Samples: 4000, Shards: 20,
		Weights: []float64{1, 1.4, math.Inf(1)}, Checkpoint: ck, Progress: progress}
}

// TestPipelinePotts runs the pipeline on the 2D 3-state Potts model at
// T_c, L = 32, and checks its physics: the learned filter (aligned) gives
// every uniform block its own state; the sharp learned rule, averaged over
// S_3 and the point group, is plurality rule (equal MI); the MI grows with
// the strength; and the learned estimates lie within 4 total errors of
// y_t = 6/5 and y_h = 28/15, with total errors below 0.15 and 0.02 (the
// loose band of a 4000-configuration run at L = 32).
func TestPipelinePotts(t *testing.T) {
	if testing.Short() {
		t.Skip("a full pipeline run (about 10 s)")
	}
	t.Parallel()
	res, err := Pipeline(context.Background(), PottsSystem(2, 3), 32, lattice.PottsSquareTc(3, 1), rand.NewPCG(1, 2), smallPottsPipeline(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Filter != nil || res.Softmax == nil || !slices.Equal(res.States, []int8{0, 1, 2}) {
		t.Fatalf("q-state result: Filter %v, Softmax %v, States %v", res.Filter, res.Softmax, res.States)
	}
	sharp, plur := res.Rules[2], res.Rules[res.Baseline]
	if sharp.Name != "learned sharp" || plur.Name != "plurality" {
		t.Fatalf("rules %q, %q", sharp.Name, plur.Name)
	}
	t.Logf("MI: w=1 %.4f, w=1.4 %.4f, sharp %.4f, plurality %.4f, filter (‖λ‖ = 1) %.4f, I(V:E) %.4f",
		res.Rules[0].MI, res.Rules[1].MI, sharp.MI, plur.MI, res.FilterMI, res.VisibleMI)
	if math.Abs(sharp.MI-plur.MI) > 1e-9 {
		t.Errorf("symmetrized sharp filter MI %v ≠ plurality MI %v", sharp.MI, plur.MI)
	}
	if !(res.Rules[0].MI < res.Rules[1].MI && res.Rules[1].MI < sharp.MI && sharp.MI < res.VisibleMI) {
		t.Errorf("MI does not grow with the strength up to I(V:E)")
	}
	for _, rr := range res.Rules {
		t.Logf("%-14s y_t = %.4f ± %.4f ± %.4f, y_h = %.5f ± %.5f ± %.5f", rr.Name, rr.Yt.Value, rr.Yt.Stat, rr.Yt.Sys, rr.Yh.Value, rr.Yh.Stat, rr.Yh.Sys)
	}
	nu, yh, _ := lattice.PottsExponents2D(3)
	for _, c := range []struct {
		name             string
		e                Estimate
		exact, tolerance float64
	}{{"y_t", res.Yt, 1 / nu, 0.15}, {"y_h", res.Yh, yh, 0.02}} {
		if math.Abs(c.e.Value-c.exact) > 4*c.e.Total() || c.e.Total() > c.tolerance {
			t.Errorf("%s = %v ± %v (total), exact %v", c.name, c.e.Value, c.e.Total(), c.exact)
		}
	}
}

// TestPipelinePottsResume checks that a q-state pipeline interrupted
// during production and resumed from its checkpoints returns the result
// of an uninterrupted run bit for bit.
func TestPipelinePottsResume(t *testing.T) {
	if testing.Short() {
		t.Skip("two pipeline runs")
	}
	t.Parallel()
	opts := func(ck *run.Checkpoint, progress run.ProgressFunc) *PipelineOptions {
		o := smallPottsPipeline(ck, progress)
		o.Samples, o.MatchSamples, o.Shards, o.Weights = 1600, -1, 8, []float64{1.2, math.Inf(1)}
		return o
	}
	sys, tc := PottsSystem(2, 3), lattice.PottsSquareTc(3, 1)
	want, err := Pipeline(context.Background(), sys, 32, tc, rand.NewPCG(5, 6), opts(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cut := 0
	_, err = Pipeline(ctx, sys, 32, tc, rand.NewPCG(5, 6), opts(&run.Checkpoint{Dir: dir}, func(p run.Progress) {
		if strings.HasPrefix(p.Stage, "pipeline: sampling L=32") && p.Done >= 600 && cut == 0 {
			cut = p.Done
			cancel()
		}
	}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v, want context.Canceled", err)
	}
	resampled := false
	got, err := Pipeline(context.Background(), sys, 32, tc, rand.NewPCG(5, 6), opts(&run.Checkpoint{Dir: dir, Resume: true}, func(p run.Progress) {
		resampled = resampled || (strings.HasPrefix(p.Stage, "pipeline: sampling L=32") && p.Done > 0 && p.Done <= cut)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if resampled {
		t.Errorf("the resumed run sampled again up to %d configurations", cut)
	}
	for i := range want.Rules {
		a, b := want.Rules[i], got.Rules[i]
		if a.Yt != b.Yt || a.Yh != b.Yh || a.MI != b.MI || !sameMCRG(a.MCRG, b.MCRG) {
			t.Errorf("rule %q: resumed run differs: y_t %v vs %v, y_h %v vs %v", a.Name, b.Yt.Value, a.Yt.Value, b.Yh.Value, a.Yh.Value)
		}
	}
	if !slices.Equal(want.Softmax.W, got.Softmax.W) {
		t.Errorf("resumed run's filter differs")
	}
}

// TestPipelinePottsBadInput checks the q-state path's refusals: flows,
// and chains that do not expose their model.
func TestPipelinePottsBadInput(t *testing.T) {
	tc := lattice.PottsSquareTc(3, 1)
	_, err := Pipeline(context.Background(), PottsSystem(2, 3), 32, tc, rand.NewPCG(1, 1), &PipelineOptions{FlowT: []float64{1}})
	if err == nil || !strings.Contains(err.Error(), "FlowT") {
		t.Errorf("FlowT with a q-state system: %v", err)
	}
	hidden := func(L int, T float64) (*lattice.Lattice, sample.Factory, error) {
		lat, f, err := PottsSystem(2, 3)(L, T)
		return lat, func(src rand.Source) (sample.Sampler, error) {
			s, err := f(src)
			if err != nil {
				return nil, err
			}
			return s.(pottsChain).PottsSwendsenWang, nil
		}, err
	}
	if _, err := Pipeline(context.Background(), hidden, 32, tc, rand.NewPCG(1, 1), nil); err == nil || !strings.Contains(err.Error(), "ModelChain") {
		t.Errorf("q-state chains without their model: %v", err)
	}
}
