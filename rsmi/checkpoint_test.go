package rsmi

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/internal/ckpt/ckpttest"
	"github.com/rsmi-go/rsmi/run"
)

const ckptChildEnv = "RSMI_CHECKPOINT_CHILD_DIR"

const ckptSteps = 200

// ckptTrain runs Train on the exact 1D chain table with checkpoints in dir
// ("" for none).
func ckptTrain(dir string, resume bool, progress run.ProgressFunc) (*Filter, *TrainResult, error) {
	tb, err := NewExactChain(0.8, 4, 1, 3)
	if err != nil {
		return nil, nil, err
	}
	f, err := NewFilter(2, 4, rand.NewPCG(5, 6))
	if err != nil {
		return nil, nil, err
	}
	f.Bias = []float64{0.1, -0.1}
	opts := &TrainOptions{Steps: ckptSteps, LearningRate: 0.02, Progress: progress}
	if dir != "" {
		opts.Checkpoint = &run.Checkpoint{Dir: dir, Every: 3, Resume: resume}
	}
	res, err := Train(context.Background(), tb, f, opts)
	return f, res, err
}

func floatBytes(x ...[]float64) []byte {
	var e ckpt.Enc
	for _, s := range x {
		e.F64s(s)
	}
	return e.B
}

// TestCheckpointChild is the helper process of TestCheckpointKillResume.
func TestCheckpointChild(t *testing.T) {
	dir := os.Getenv(ckptChildEnv)
	if dir == "" {
		t.Skip("helper process of TestCheckpointKillResume")
	}
	ckptTrain(dir, false, ckpttest.Pace(3*time.Millisecond))
}

// TestCheckpointKillResume kills a Train process with SIGKILL at an
// arbitrary moment after its first checkpoint, resumes it here and requires
// the filter, history and MI identical, bit for bit, to an uninterrupted
// run's.
func TestCheckpointKillResume(t *testing.T) {
	ref, refRes, err := ckptTrain("", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ckpttest.KillAfterCheckpoint(t, "TestCheckpointChild", ckptChildEnv, dir, "rsmi-train.ckpt", 50*time.Millisecond)
	got, res, err := ckptTrain(dir, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.ResumedFrom < 1 || res.ResumedFrom >= ckptSteps {
		t.Fatalf("resumed from step %d, want one inside [1,%d)", res.ResumedFrom, ckptSteps)
	}
	t.Logf("killed and resumed from step %d of %d", res.ResumedFrom, ckptSteps)
	if !bytes.Equal(floatBytes(got.W, got.Bias), floatBytes(ref.W, ref.Bias)) {
		t.Errorf("resumed filter %v %v, uninterrupted %v %v", got.W, got.Bias, ref.W, ref.Bias)
	}
	if !bytes.Equal(floatBytes(res.History, []float64{res.MI}), floatBytes(refRes.History, []float64{refRes.MI})) {
		t.Errorf("resumed MI %v (history of %d), uninterrupted %v (%d)", res.MI, len(res.History), refRes.MI, len(refRes.History))
	}
}

func TestCheckpointRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := ckptTrain(dir, false, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rsmi-train.ckpt")
	good, _ := os.ReadFile(path)
	tb, _ := NewExactChain(0.8, 4, 1, 3)
	tb2, _ := NewExactChain(0.9, 4, 1, 3)
	resume := func(est Estimator, f *Filter, lr float64, steps int) error {
		_, err := Train(context.Background(), est, f, &TrainOptions{Steps: steps, LearningRate: lr,
			Checkpoint: &run.Checkpoint{Dir: dir, Resume: true}})
		return err
	}
	filter := func(seed uint64, bias bool) *Filter {
		f, _ := NewFilter(2, 4, rand.NewPCG(seed, 6))
		if bias {
			f.Bias = []float64{0.1, -0.1}
		}
		return f
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"seed", resume(tb, filter(9, true), 0.02, ckptSteps), "seed"},
		{"no biases", resume(tb, filter(5, false), 0.02, ckptSteps), "biases"},
		{"estimator", resume(tb2, filter(5, true), 0.02, ckptSteps), "estimator"},
		{"options", resume(tb, filter(5, true), 0.03, ckptSteps), "options"},
		// issue 14.1: a finished 200-step run resumed with a budget of 100
		// steps used to return the 200-step result
		{"smaller budget", resume(tb, filter(5, true), 0.02, ckptSteps/2), "written for 200 steps (and holds step 200); this run asks for 100"},
		{"larger budget", resume(tb, filter(5, true), 0.02, 2*ckptSteps), "this run asks for 400"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, c.err, c.want)
		}
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)-9], "truncated"},
		{"altered", func() []byte { b := bytes.Clone(good); b[60] ^= 0x40; return b }(), "checksum"},
	} {
		os.WriteFile(path, c.data, 0o644)
		if err := resume(tb, filter(5, true), 0.02, ckptSteps); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s checkpoint: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// nanEstimator returns a finite MI and a NaN gradient from its third call.
type nanEstimator struct{ calls int }

func (n *nanEstimator) NV() int                         { return 2 }
func (n *nanEstimator) MI(f Learnable) (float64, error) { return 0.1, nil }
func (n *nanEstimator) MIGrad(f Learnable, g []float64) (float64, error) {
	n.calls++
	for i := range g {
		g[i] = 0.01
	}
	if n.calls >= 3 {
		g[1] = math.NaN()
	}
	return 0.1, nil
}

// TestTrainNumericalGuard requires a NaN gradient to stop Train with an
// error naming the step and to leave the filter finite.
func TestTrainNumericalGuard(t *testing.T) {
	f, _ := NewFilter(1, 2, rand.NewPCG(1, 1))
	_, err := Train(context.Background(), &nanEstimator{}, f, &TrainOptions{Steps: 10})
	if err == nil || !strings.Contains(err.Error(), "step 3") {
		t.Errorf("NaN gradient: error %v, want one naming step 3", err)
	}
	if !finite(f.W) {
		t.Errorf("filter left with non-finite weights %v", f.W)
	}
}

// cancellingEstimator cancels its context in its n-th MIGrad call and
// counts the calls made after that.
type cancellingEstimator struct {
	n, calls, after int
	cancel          context.CancelFunc
}

func (c *cancellingEstimator) NV() int                         { return 2 }
func (c *cancellingEstimator) MI(f Learnable) (float64, error) { return 0.1, nil }
func (c *cancellingEstimator) MIGrad(f Learnable, g []float64) (float64, error) {
	c.calls++
	if c.calls > c.n {
		c.after++
	}
	if c.calls == c.n {
		c.cancel()
	}
	clear(g)
	return 0.1, nil
}

// TestTrainCancel cancels Train's context during a step: Train returns an
// error wrapping context.Canceled that names the step, and runs no further
// step.
func TestTrainCancel(t *testing.T) {
	f, _ := NewFilter(1, 2, rand.NewPCG(1, 1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	est := &cancellingEstimator{n: 5, cancel: cancel}
	res, err := Train(ctx, est, f, &TrainOptions{Steps: 1000000})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "after step 5") {
		t.Errorf("cancelled Train: error %v, want context.Canceled after step 5", err)
	}
	if est.after != 0 || len(res.History) != 5 {
		t.Errorf("%d steps ran after the cancellation, history of %d", est.after, len(res.History))
	}
}

// FuzzTrainCheckpoint feeds arbitrary payloads to Train's checkpoint
// decoder (the state after the loop header). Run for a minute with
//
//	go test -run '^$' -fuzz FuzzTrainCheckpoint -fuzztime 60s ./rsmi
func FuzzTrainCheckpoint(f *testing.F) {
	// a small checkpoint (fuzzing and minimizing work best on small inputs)
	dir := f.TempDir()
	tb, _ := NewExactChain(0.8, 2, 1, 1)
	newFilter := func() *Filter {
		flt, _ := NewFilter(1, 2, rand.NewPCG(5, 6))
		flt.Bias = []float64{0.1}
		return flt
	}
	o := &TrainOptions{Steps: 3, Checkpoint: &run.Checkpoint{Dir: dir}}
	if _, err := Train(context.Background(), tb, newFilter(), o); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, "rsmi-train.ckpt"))
	p, err := ckpt.Decode(good, trainKind, trainVersion)
	if err != nil {
		f.Fatal(err)
	}
	d := &ckpt.Dec{B: p}
	d.Int()
	d.Int()
	d.Bytes() // the loop header: total, step, fingerprint
	f.Add(d.B)
	f.Fuzz(func(t *testing.T, b []byte) {
		resolved, _ := o.resolve()
		tr := newTrainer(tb, newFilter(), &resolved)
		d := &ckpt.Dec{B: b}
		if err := tr.load(d); err == nil && d.Err() == nil && !finite(tr.theta) {
			t.Fatalf("a checkpoint loaded non-finite parameters %v", tr.theta)
		}
	})
}
