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
func ckptTrain(dir string, resume bool, progress func(int, float64)) (*Filter, *TrainResult, error) {
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
	ckptTrain(dir, false, func(int, float64) { time.Sleep(3 * time.Millisecond) })
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
	other, _ := NewExactChain(0.9, 4, 1, 3)
	run := func(est Estimator, f *Filter, lr float64) error {
		_, err := Train(context.Background(), est, f, &TrainOptions{Steps: ckptSteps, LearningRate: lr,
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
		{"seed", run(tb, filter(9, true), 0.02), "seed"},
		{"no biases", run(tb, filter(5, false), 0.02), "biases"},
		{"estimator", run(other, filter(5, true), 0.02), "estimator"},
		{"options", run(tb, filter(5, true), 0.03), "options"},
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
		if err := run(tb, filter(5, true), 0.02); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s checkpoint: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// nanEstimator returns a finite MI and a NaN gradient from its third call.
type nanEstimator struct{ calls int }

func (n *nanEstimator) NV() int                       { return 2 }
func (n *nanEstimator) MI(f *Filter) (float64, error) { return 0.1, nil }
func (n *nanEstimator) MIGrad(f *Filter, g []float64) (float64, error) {
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

// slowEstimator takes 20 ms per evaluation.
type slowEstimator struct{}

func (slowEstimator) NV() int                       { return 2 }
func (slowEstimator) MI(f *Filter) (float64, error) { return 0.1, nil }
func (slowEstimator) MIGrad(f *Filter, g []float64) (float64, error) {
	time.Sleep(20 * time.Millisecond)
	clear(g)
	return 0.1, nil
}

func TestTrainCancelPrompt(t *testing.T) {
	f, _ := NewFilter(1, 2, rand.NewPCG(1, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Train(ctx, slowEstimator{}, f, &TrainOptions{Steps: 1000000})
	// The one-second bound holds in the full run; under -short (CI's
	// race-detector run, 5–10× slower) only the error is checked.
	if d := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || !testing.Short() && d > time.Second {
		t.Errorf("cancelled Train: error %v after %v", err, d)
	}
}

// FuzzTrainCheckpoint feeds arbitrary payloads to Train's checkpoint
// decoder. Run for a minute with
//
//	go test -run '^$' -fuzz FuzzTrainCheckpoint -fuzztime 60s ./rsmi
func FuzzTrainCheckpoint(f *testing.F) {
	// a small checkpoint (fuzzing and minimizing work best on small inputs)
	dir := f.TempDir()
	tb, _ := NewExactChain(0.8, 2, 1, 1)
	flt, _ := NewFilter(1, 2, rand.NewPCG(5, 6))
	flt.Bias = []float64{0.1}
	if _, err := Train(context.Background(), tb, flt, &TrainOptions{Steps: 3, Checkpoint: &run.Checkpoint{Dir: dir}}); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, "rsmi-train.ckpt"))
	p, err := ckpt.Decode(good, trainKind, trainVersion)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p)
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ckpt.Decode(b, trainKind, trainVersion); err == nil {
			return
		}
		decodeTrainState(b)
	})
}
