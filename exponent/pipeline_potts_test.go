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
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// smallPottsPipeline is a quick 2D 3-state Potts run at L = 32: 4000
// configurations in 20 shards, a short filter training on ExactV (64
// hidden units and the default symmetries, a shortened fine-tuning), two
// learned strengths and the sharp rule.
func smallPottsPipeline(ck *run.Checkpoint, progress run.ProgressFunc) *PipelineOptions {
	return &PipelineOptions{LearnSamples: 60, Pairs: 3000, Steps: 150, Samples: 4000, Shards: 20,
		ExactV:  &rsmi.ExactVOptions{FineTune: 60, FineTuneBatch: 128},
		Weights: []float64{1, 1.4, math.Inf(1)}, Checkpoint: ck, Progress: progress}
}

// TestPipelinePotts runs the pipeline on the 2D 3-state Potts model at
// T_c, L = 32, learning from the samples with ExactV, and checks its
// physics: ExactV's MI of the learned filter lies within 0.03 bit of the
// exact oracle's at the same pairs (the check the pipeline reports; I(V:E)
// within 0.1 bit with this short fine-tuning on 3000 pairs); the sharp
// learned rule, averaged over S_3 and the point group, is plurality rule
// (equal MI); the MI grows with the strength; and the learned estimates
// lie within 4 total errors of y_t = 6/5 and y_h = 28/15, with total
// errors below 0.15 and 0.02 (the loose band of a 4000-configuration run
// at L = 32).
func TestPipelinePotts(t *testing.T) {
	if testing.Short() {
		t.Skip("a full pipeline run (about 4 s of CPU)")
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
	t.Logf("ExactV MI: w=1 %.4f, w=1.4 %.4f, sharp %.4f, plurality %.4f, filter (‖λ‖ = 1) %.4f (oracle %.4f), I(V:E) %.4f (oracle %.4f)",
		res.Rules[0].MI, res.Rules[1].MI, sharp.MI, plur.MI, res.FilterMI, res.FilterExactMI, res.VisibleMI, res.VisibleExactMI)
	if math.Abs(res.FilterMI-res.FilterExactMI) > 0.03 || math.Abs(res.VisibleMI-res.VisibleExactMI) > 0.1 {
		t.Errorf("ExactV's MI of the learned filter %.4f and I(V:E) %.4f far from the oracle's %.4f and %.4f",
			res.FilterMI, res.VisibleMI, res.FilterExactMI, res.VisibleExactMI)
	}
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

// pottsSample returns n configurations of the critical 2D 3-state Potts
// model at side L from two Swendsen–Wang chains (States {0, 1, 2}).
func pottsSample(t *testing.T, L, n int, seed uint64) *sample.Dataset {
	t.Helper()
	_, factory, err := PottsSystem(2, 3)(L, lattice.PottsSquareTc(3, 1))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := sample.Collect(context.Background(), factory, sample.Plan{Chains: 2, BurnIn: 100, Every: 2, PerChain: n / 2}, rand.NewPCG(seed, 1))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestPipelinePottsData runs the q-state pipeline on given 3-state data
// (4000 configurations of 32×32, one chain, in 8 shards):
// without a system it learns from the data alone (no oracle check:
// FilterExactMI is NaN); with PottsSystem beside the same data it learns
// the same filter bit for bit, gives the same estimates and adds the
// oracle check, within 0.03 bit of ExactV's MI.
func TestPipelinePottsData(t *testing.T) {
	if testing.Short() {
		t.Skip("two pipeline runs")
	}
	t.Parallel()
	_, all := criticalPotts(t)
	ds := &sample.Dataset{N: 4000, D: all.D, Data: all.Data[:4000*all.D], Geom: all.Geom, States: all.States} // one chain
	o := smallPottsPipeline(nil, nil)
	o.Data, o.Shards, o.Weights = ds, 8, []float64{1.4, math.Inf(1)}
	tc := lattice.PottsSquareTc(3, 1)
	res, err := Pipeline(context.Background(), nil, 32, tc, rand.NewPCG(3, 3), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.N != 4000 || res.NMatch != 0 || !slices.Equal(res.States, []int8{0, 1, 2}) || res.Softmax == nil {
		t.Fatalf("N %d, NMatch %d, States %v, Softmax %v", res.N, res.NMatch, res.States, res.Softmax)
	}
	if !math.IsNaN(res.FilterExactMI) || !math.IsNaN(res.VisibleExactMI) {
		t.Errorf("oracle check without a model: %v, %v, want NaN", res.FilterExactMI, res.VisibleExactMI)
	}
	sharp, plur := res.Rules[1], res.Rules[res.Baseline]
	t.Logf("from data: MI filter %.4f, sharp %.4f, plurality %.4f; y_t = %.4f ± %.4f ± %.4f, y_h = %.5f ± %.5f ± %.5f",
		res.FilterMI, sharp.MI, plur.MI, res.Yt.Value, res.Yt.Stat, res.Yt.Sys, res.Yh.Value, res.Yh.Stat, res.Yh.Sys)
	if math.Abs(sharp.MI-plur.MI) > 1e-9 {
		t.Errorf("symmetrized sharp filter MI %v ≠ plurality MI %v", sharp.MI, plur.MI)
	}
	nu, yh, _ := lattice.PottsExponents2D(3)
	if math.Abs(res.Yt.Value-1/nu) > 4*res.Yt.Total()+0.05 || math.Abs(res.Yh.Value-yh) > 4*res.Yh.Total()+0.01 {
		t.Errorf("y_t = %v, y_h = %v far from 6/5 and 28/15", res.Yt.Value, res.Yh.Value)
	}
	with, err := Pipeline(context.Background(), PottsSystem(2, 3), 32, tc, rand.NewPCG(3, 3), o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(with.Softmax.W, res.Softmax.W) || with.Yt != res.Yt || with.Yh != res.Yh {
		t.Errorf("the same data with the system: filter or estimates differ (y_t %v vs %v)", with.Yt.Value, res.Yt.Value)
	}
	if math.Abs(with.FilterExactMI-with.FilterMI) > 0.03 {
		t.Errorf("oracle check %v, ExactV %v", with.FilterExactMI, with.FilterMI)
	}
}

// TestPipelinePottsBadInput checks the q-state path's refusals: flows,
// data whose values or declared alphabet do not fit, and alphabets MCRG
// does not take.
func TestPipelinePottsBadInput(t *testing.T) {
	tc := lattice.PottsSquareTc(3, 1)
	_, err := Pipeline(context.Background(), PottsSystem(2, 3), 32, tc, rand.NewPCG(1, 1), &PipelineOptions{FlowT: []float64{1}})
	if err == nil || !strings.Contains(err.Error(), "FlowT") {
		t.Errorf("FlowT with a q-state system: %v", err)
	}
	ds := pottsSample(t, 32, 40, 1)
	match := pottsSample(t, 16, 40, 2)
	clone := func(ds *sample.Dataset, states []int8, set func([]int8)) *sample.Dataset {
		c := *ds
		c.Data, c.States = slices.Clone(ds.Data), states
		if set != nil {
			set(c.Data)
		}
		return &c
	}
	three := []int8{0, 1, 2}
	spins := func(x []int8) { // 0 → −1, 1 and 2 → +1
		for i := range x {
			x[i] = min(2*x[i]-1, 1)
		}
	}
	for _, c := range []struct {
		name      string
		sys       System
		data, mat *sample.Dataset
		want      string
	}{
		{"value outside the alphabet", nil, clone(ds, three, func(x []int8) { x[100] = 3 }), nil, "sample 0 at dof 100"},
		{"matching data outside the alphabet", nil, ds, clone(match, three, func(x []int8) { x[7] = -1 }), "MatchData"},
		{"±1 matching data", nil, ds, clone(match, nil, spins), "MatchData declares"},
		{"4-state data for a 3-state system", PottsSystem(2, 3), clone(ds, []int8{0, 1, 2, 3}, nil), nil, "Data declares"},
		{"±1 data for a 3-state system", PottsSystem(2, 3), clone(ds, nil, spins), nil, "Data declares"},
		{"spin-1 data", nil, clone(ds, []int8{-1, 0, 1}, func(x []int8) {
			for i := range x {
				x[i]--
			}
		}), nil, "0 … q−1"},
	} {
		o := &PipelineOptions{Data: c.data, MatchData: c.mat, LearnSamples: 10, Shards: 4}
		_, err := Pipeline(context.Background(), c.sys, 32, tc, rand.NewPCG(1, 1), o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
}
