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

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/internal/ckpt/ckpttest"
)

// ckptChildEnv names the checkpoint directory of the helper process of
// TestCheckpointKillResume.
const ckptChildEnv = "RBM_CHECKPOINT_CHILD_DIR"

const ckptEpochs = 12

// ckptRun trains a PCD run with momentum and shuffling (every piece of
// state a checkpoint must carry) with checkpoints in dir ("" for none).
func ckptRun(dir string, resume bool, progress func(Progress)) (*RBM, *TrainResult, error) {
	data := markovRows(2000, 16, 0.2, false, rand.NewPCG(1, 1))
	r, err := New(16, 8, Binary, rand.NewPCG(1, 2))
	if err != nil {
		return nil, nil, err
	}
	opts := &TrainOptions{Epochs: ckptEpochs, BatchSize: 50, Momentum: 0.5, Persistent: true, K: 2,
		Shuffle: true, Src: rand.NewPCG(3, 4), Progress: progress}
	if dir != "" {
		opts.Checkpoint = &CheckpointOptions{Dir: dir, Resume: resume}
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
	ckptRun(dir, false, func(Progress) { time.Sleep(40 * time.Millisecond) })
}

// TestCheckpointKillResume kills a training process with SIGKILL at an
// arbitrary moment after its first checkpoint (possibly while it writes the
// next one), resumes the run in this process and requires parameters and
// result identical, bit for bit, to those of an uninterrupted run.
func TestCheckpointKillResume(t *testing.T) {
	noop := func(Progress) {}
	ref, refRes, err := ckptRun("", false, noop)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ckpttest.KillAfterCheckpoint(t, "TestCheckpointChild", ckptChildEnv, dir, "rbm-train.ckpt", 70*time.Millisecond)
	got, res, err := ckptRun(dir, true, noop)
	if err != nil {
		t.Fatal(err)
	}
	if res.ResumedFrom < 1 || res.ResumedFrom >= ckptEpochs {
		t.Fatalf("resumed from epoch %d, want one inside [1,%d)", res.ResumedFrom, ckptEpochs)
	}
	t.Logf("killed and resumed from epoch %d of %d", res.ResumedFrom, ckptEpochs)
	if !bytes.Equal(rbmBytes(t, got), rbmBytes(t, ref)) {
		t.Error("resumed run's parameters differ from the uninterrupted run's")
	}
	if res.Epochs != refRes.Epochs || res.Updates != refRes.Updates ||
		res.ReconstructionError != refRes.ReconstructionError || res.PseudoLogLikelihood != refRes.PseudoLogLikelihood {
		t.Errorf("result %+v, uninterrupted %+v", res, refRes)
	}
	// resuming a finished run returns its result without training
	again, res2, err := ckptRun(dir, true, noop)
	if err != nil || res2.ResumedFrom != ckptEpochs || !bytes.Equal(rbmBytes(t, again), rbmBytes(t, ref)) {
		t.Errorf("resuming a finished run: %v, %+v", err, res2)
	}
}

// TestCheckpointRefuses checks that a resume with other inputs and a corrupt
// checkpoint are errors, not silent continuations.
func TestCheckpointRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := ckptRun(dir, false, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rbm-train.ckpt")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data := markovRows(2000, 16, 0.2, false, rand.NewPCG(1, 1))
	train := func(r *RBM, data []int8, o TrainOptions) error {
		o.Checkpoint = &CheckpointOptions{Dir: dir, Resume: true}
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
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)/2], "truncated"},
		{"flipped byte", func() []byte { b := bytes.Clone(good); b[len(b)/2] ^= 1; return b }(), "checksum"},
		{"empty", nil, "bad magic"},
		{"other version", func() []byte {
			b := bytes.Clone(good)
			b[8+2+len(trainKind)]++ // version field
			return b
		}(), "version"},
	} {
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		err := train(fresh(), data, o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s checkpoint: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	for _, c := range []*CheckpointOptions{{}, {Dir: dir, Every: -1}, {Dir: dir, Name: "../x"}} {
		o.Checkpoint = c
		if _, err := Train(context.Background(), fresh(), data, &o); err == nil {
			t.Errorf("checkpoint options %+v: no error", c)
		}
	}
}

// TestTrainCancelPrompt cancels a run that would take minutes and requires
// it to return context.Canceled within a second.
func TestTrainCancelPrompt(t *testing.T) {
	data := markovRows(20000, 64, 0.2, false, rand.NewPCG(1, 1))
	r, _ := New(64, 64, Binary, rand.NewPCG(1, 2))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Train(ctx, r, data, &TrainOptions{Epochs: 100000, BatchSize: 500, K: 5, Src: rand.NewPCG(3, 3)})
	// The one-second bound holds in the full run; under -short (CI's
	// race-detector run, 5–10× slower) only the error is checked.
	if d := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || !testing.Short() && d > 1100*time.Millisecond {
		t.Errorf("cancelled training: error %v after %v", err, d)
	}
	opts := &AISOptions{Runs: 4, Steps: 1 << 22, Src: rand.NewPCG(1, 1)}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	start = time.Now()
	_, _, err = r.AIS(ctx2, opts)
	// The one-second bound holds in the full run; under -short (CI's
	// race-detector run, 5–10× slower) only the error is checked.
	if d := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || !testing.Short() && d > 1100*time.Millisecond {
		t.Errorf("cancelled AIS: error %v after %v", err, d)
	}
}

// FuzzCheckpoint feeds arbitrary bytes to the checkpoint loader: as a file
// (container checks) and as a payload (state decoding and restoring). It
// must return errors, never panic. Run for a minute with
//
//	go test -run '^$' -fuzz FuzzCheckpoint -fuzztime 60s ./rbm
func FuzzCheckpoint(f *testing.F) {
	// a small checkpoint (fuzzing and minimizing work best on small inputs)
	dir := f.TempDir()
	r, _ := New(4, 3, Binary, rand.NewPCG(1, 2))
	data := markovRows(12, 4, 0.2, false, rand.NewPCG(1, 1))
	if _, err := Train(context.Background(), r, data, &TrainOptions{Epochs: 2, BatchSize: 4, Momentum: 0.5,
		Persistent: true, Shuffle: true, Src: rand.NewPCG(3, 4), Checkpoint: &CheckpointOptions{Dir: dir}}); err != nil {
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
	f.Add(good)
	f.Add(payload)
	f.Add(good[:len(good)-5])
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "c.ckpt")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if st, err := loadTrainState(path, trainKind); err == nil {
			fuzzRestore(t, st)
		}
		if st, err := decodeTrainState(b); err == nil {
			fuzzRestore(t, st)
		}
	})
}

// fuzzRestore restores a decoded state into a trainer of its declared shape
// if that is small, and takes a training step: neither may panic.
func fuzzRestore(t *testing.T, st *trainState) {
	fp := st.fp
	if fp.nv*fp.nh > 1<<12 || fp.nv*fp.cfg.batch > 1<<14 || fp.nh*fp.cfg.batch > 1<<14 || fp.cfg.k > 4 || fp.rows > 1<<16 {
		return
	}
	r, err := New(fp.nv, fp.nh, Units(fp.units&1), rand.NewPCG(1, 1))
	if err != nil {
		return
	}
	cfg := fp.cfg
	cfg.batch = min(cfg.batch, fp.rows)
	if cfg.batch != fp.cfg.batch {
		return
	}
	tr := newTrainer(r, cfg, rand.NewPCG(1, 1))
	if err := tr.restore(st); err != nil {
		return
	}
	data := make([]int8, fp.nv*cfg.batch)
	tr.load(data, cfg.batch)
	tr.step(cfg.batch, 0.01)
	tr.store(r)
}
