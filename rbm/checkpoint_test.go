package rbm

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rsmi-go/rsmi/internal/canceltest"
	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/internal/ckpt/ckpttest"
	"github.com/rsmi-go/rsmi/internal/size/sizetest"
	"github.com/rsmi-go/rsmi/run"
)

// ckptChildEnv names the checkpoint directory of the helper process of
// TestCheckpointKillResume.
const ckptChildEnv = "RBM_CHECKPOINT_CHILD_DIR"

const ckptEpochs = 12

// ckptRun trains a PCD run with momentum and shuffling (every piece of
// state a checkpoint must carry) with checkpoints in dir ("" for none).
func ckptRun(dir string, resume bool, progress run.ProgressFunc) (*RBM, *TrainResult, error) {
	data := markovRows(2000, 16, 0.2, false, rand.NewPCG(1, 1))
	r, err := New(16, 8, Binary, rand.NewPCG(1, 2))
	if err != nil {
		return nil, nil, err
	}
	opts := &TrainOptions{Epochs: ckptEpochs, BatchSize: 50, Momentum: 0.5, Persistent: true, K: 2,
		Shuffle: true, Src: rand.NewPCG(3, 4), Progress: progress}
	if dir != "" {
		opts.Checkpoint = &run.Checkpoint{Dir: dir, Resume: resume}
	}
	res, err := Train(context.Background(), r, data, opts)
	return r, res, err
}

func rbmBytes(t *testing.T, r *RBM) []byte {
	var b bytes.Buffer
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCheckpointChild is the helper process of TestCheckpointKillResume: it
// trains slowly (a pause after every epoch) until it is killed.
func TestCheckpointChild(t *testing.T) {
	dir := os.Getenv(ckptChildEnv)
	if dir == "" {
		t.Skip("helper process of TestCheckpointKillResume")
	}
	ckptRun(dir, false, ckpttest.Pace(40*time.Millisecond))
}

// TestCheckpointKillResume kills a training process with SIGKILL at an
// arbitrary moment after its first checkpoint (possibly while it writes the
// next one), resumes the run in this process and requires parameters and
// result identical, bit for bit, to those of an uninterrupted run.
func TestCheckpointKillResume(t *testing.T) {
	killResume(t, "TestCheckpointChild", ckptChildEnv, "rbm-train.ckpt", func(dir string, resume bool, p run.ProgressFunc) ([]byte, *TrainResult, error) {
		r, res, err := ckptRun(dir, resume, p)
		if err != nil {
			return nil, res, err
		}
		return rbmBytes(t, r), res, nil
	})
}

// ckptFit is the training run of a kill-and-resume test, with checkpoints
// in dir ("" for none): it returns the trained parameters' bytes.
type ckptFit func(dir string, resume bool, progress run.ProgressFunc) ([]byte, *TrainResult, error)

// killResume kills the training of the helper test child (checkpoint file
// in a fresh directory, which it returns) with SIGKILL at an arbitrary
// moment after its first checkpoint, resumes it with fit and requires
// parameters and result identical, bit for bit, to those of an
// uninterrupted run; resuming the finished run returns them again without
// training.
func killResume(t *testing.T, child, env, file string, fit ckptFit) string {
	t.Helper()
	noop := func(run.Progress) {}
	ref, refRes, err := fit("", false, noop)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ckpttest.KillAfterCheckpoint(t, child, env, dir, file, 70*time.Millisecond)
	got, res, err := fit(dir, true, noop)
	if err != nil {
		t.Fatal(err)
	}
	if res.ResumedFrom < 1 || res.ResumedFrom >= ckptEpochs {
		t.Fatalf("resumed from epoch %d, want one inside [1,%d)", res.ResumedFrom, ckptEpochs)
	}
	t.Logf("killed and resumed from epoch %d of %d", res.ResumedFrom, ckptEpochs)
	if !bytes.Equal(got, ref) {
		t.Error("resumed run's parameters differ from the uninterrupted run's")
	}
	want := *refRes
	want.ResumedFrom = res.ResumedFrom
	if *res != want {
		t.Errorf("result %+v, uninterrupted %+v", res, refRes)
	}
	again, res2, err := fit(dir, true, noop)
	if err != nil || res2.ResumedFrom != ckptEpochs || !bytes.Equal(again, ref) {
		t.Errorf("resuming a finished run: %v, %+v", err, res2)
	}
	return dir
}

// TestCheckpointRefuses checks that a resume with other inputs and a corrupt
// checkpoint are errors, not silent continuations.
func TestCheckpointRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := ckptRun(dir, false, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rbm-train.ckpt")
	data := markovRows(2000, 16, 0.2, false, rand.NewPCG(1, 1))
	train := func(r *RBM, data []int8, o TrainOptions) error {
		o.Checkpoint = &run.Checkpoint{Dir: dir, Resume: true}
		_, err := Train(context.Background(), r, data, &o)
		return err
	}
	base := TrainOptions{Epochs: ckptEpochs, BatchSize: 50, Momentum: 0.5, Persistent: true, K: 2, Shuffle: true}
	fresh := func() *RBM { r, _ := New(16, 8, Binary, rand.NewPCG(1, 2)); return r }
	for _, c := range []struct {
		name string
		err  func() error
		want string
	}{
		{"seed", func() error { o := base; o.Src = rand.NewPCG(3, 5); return train(fresh(), data, o) }, "seed"},
		{"data", func() error {
			d := append([]int8(nil), data...)
			d[7] = 1 - d[7]
			o := base
			o.Src = rand.NewPCG(3, 4)
			return train(fresh(), d, o)
		}, "data"},
		{"options", func() error { o := base; o.K = 1; o.Src = rand.NewPCG(3, 4); return train(fresh(), data, o) }, "options"},
		{"initial parameters", func() error {
			r, _ := New(16, 8, Binary, rand.NewPCG(9, 9))
			o := base
			o.Src = rand.NewPCG(3, 4)
			return train(r, data, o)
		}, "initial parameters"},
		{"sizes", func() error {
			r, _ := New(16, 9, Binary, rand.NewPCG(1, 2))
			o := base
			o.Src = rand.NewPCG(3, 4)
			return train(r, data, o)
		}, "16×8"},
	} {
		if err := c.err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	o := base
	o.Src = rand.NewPCG(3, 4)
	ckpttest.RefusesCorrupt(t, path, func() error { return train(fresh(), data, o) })
	for _, c := range []*run.Checkpoint{{}, {Dir: dir, Every: -1}, {Dir: dir, Name: "../x"}} {
		o.Checkpoint = c
		if _, err := Train(context.Background(), fresh(), data, &o); err == nil {
			t.Errorf("checkpoint options %+v: no error", c)
		}
	}
}

// TestCheckpointOtherEpochs checks issue 14.1 for both trainers: resuming
// a finished run of 20 epochs with Epochs = 10 is an error naming both, not
// the 20-epoch result.
func TestCheckpointOtherEpochs(t *testing.T) {
	data := markovRows(200, 8, 0.2, false, rand.NewPCG(1, 1))
	_, cdata := pottsRing(8, 3, 0.8, 200, rand.NewPCG(1, 1))
	opts := func(epochs int, ck *run.Checkpoint) *TrainOptions {
		return &TrainOptions{Epochs: epochs, BatchSize: 50, Src: rand.NewPCG(3, 4), Checkpoint: ck}
	}
	dir := t.TempDir()
	ckpttest.RefusesOtherTotal(t, func(epochs int, resume bool) error {
		r, _ := New(8, 4, Binary, rand.NewPCG(1, 2))
		_, err := Train(context.Background(), r, data, opts(epochs, &run.Checkpoint{Dir: dir, Resume: resume}))
		return err
	}, 20, 10)
	ckpttest.RefusesOtherTotal(t, func(epochs int, resume bool) error {
		c, _ := NewCategorical(8, 4, States(3), rand.NewPCG(1, 2))
		_, err := TrainCategorical(context.Background(), c, cdata, opts(epochs, &run.Checkpoint{Dir: dir, Resume: resume}))
		return err
	}, 20, 10)
}

// TestTrainCancelPrompt cancels a training run with K = 2^40 Gibbs steps
// per update (issue 14.7: days of work in one mini-batch) in the middle of
// its first update (binary and categorical), and an AIS run of 2^22
// steps, and requires an error
// wrapping context.Canceled and no work after the cancellation: no context
// check beyond the one that reports it (per worker, for AIS). Nothing
// depends on the time the calls take.
func TestTrainCancelPrompt(t *testing.T) {
	data := markovRows(2000, 16, 0.2, false, rand.NewPCG(1, 1))
	r, _ := New(16, 8, Binary, rand.NewPCG(1, 2))
	for _, persistent := range []bool{false, true} {
		ctx := canceltest.After(10)
		_, err := Train(ctx, r, data, &TrainOptions{Epochs: 3, BatchSize: 500, K: sizetest.Big, Persistent: persistent, Src: rand.NewPCG(3, 3)})
		if !errors.Is(err, context.Canceled) || ctx.Calls() > 11 {
			t.Errorf("persistent %v: cancelled training: error %v after %d context checks, want context.Canceled after at most 11", persistent, err, ctx.Calls())
		}
	}
	c, _ := NewCategorical(8, 6, States(3), rand.NewPCG(1, 2))
	_, cdata := pottsRing(8, 3, 0.8, 500, rand.NewPCG(1, 1))
	ctx := canceltest.After(10)
	_, err := TrainCategorical(ctx, c, cdata, &TrainOptions{Epochs: 3, BatchSize: 500, K: sizetest.Big, Src: rand.NewPCG(3, 3)})
	if !errors.Is(err, context.Canceled) || ctx.Calls() > 11 {
		t.Errorf("cancelled categorical training: error %v after %d context checks, want context.Canceled after at most 11", err, ctx.Calls())
	}
	ctx = canceltest.After(10)
	opts := &AISOptions{Runs: 4, Steps: 1 << 22, Src: rand.NewPCG(1, 1)}
	if _, _, err := r.AIS(ctx, opts); !errors.Is(err, context.Canceled) || ctx.Calls() > 10+3 {
		t.Errorf("cancelled AIS: error %v after %d context checks, want context.Canceled after at most 13 (one per worker)", err, ctx.Calls())
	}
}

// FuzzCheckpoint feeds arbitrary bytes to the checkpoint loader: as a file
// resumed by Train (container and loop checks) and as the state after the
// loop's header (decoding, checking and restoring, then a training step).
// It must return errors, never panic. Run for a minute with
//
//	go test -run '^$' -fuzz FuzzCheckpoint -fuzztime 60s ./rbm
func FuzzCheckpoint(f *testing.F) {
	// a small checkpoint (fuzzing and minimizing work best on small inputs)
	dir := f.TempDir()
	data := markovRows(12, 4, 0.2, false, rand.NewPCG(1, 1))
	opts := func(ck *run.Checkpoint) *TrainOptions {
		return &TrainOptions{Epochs: 2, BatchSize: 4, Momentum: 0.5, Persistent: true, Shuffle: true, Src: rand.NewPCG(3, 4), Checkpoint: ck}
	}
	fresh := func() *RBM { r, _ := New(4, 3, Binary, rand.NewPCG(1, 2)); return r }
	if _, err := Train(context.Background(), fresh(), data, opts(&run.Checkpoint{Dir: dir})); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, "rbm-train.ckpt"))
	if err != nil {
		f.Fatal(err)
	}
	payload, err := ckpt.Decode(good, trainKind, trainVersion)
	if err != nil {
		f.Fatal(err)
	}
	d := &ckpt.Dec{B: payload}
	d.Int()
	d.Int()
	d.Bytes()
	f.Add(good)
	f.Add(d.B)
	f.Add(good[:len(good)-5])
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "rbm-train.ckpt"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		Train(context.Background(), fresh(), data, opts(&run.Checkpoint{Dir: dir, Resume: true}))
		r := fresh()
		o := opts(nil)
		cfg, _ := o.config(12)
		tr := newTraining(context.Background(), r, data, 12, cfg, o, binaryJob)
		if tr.load(&ckpt.Dec{B: b}) == nil {
			tr.epoch(1)
		}
	})
}
