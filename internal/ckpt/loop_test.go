package ckpt

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/run"
)

// sumLoop is a toy resumable computation: x ← 3x + i mod 2^64 over steps.
type sumLoop struct {
	x     uint64
	steps []int
}

func (s *sumLoop) loop(ck *run.Checkpoint, total int, fp string) *Loop {
	return &Loop{Checkpoint: ck, Name: "toy.ckpt", Kind: "toy", Version: 1, Fingerprint: []byte(fp), Total: total,
		Save: func(e *Enc) error { e.U64(s.x); return nil },
		Load: func(d *Dec) error { s.x = d.U64(); return nil }}
}

func (s *sumLoop) step(i int) error {
	s.x = 3*s.x + uint64(i)
	s.steps = append(s.steps, i)
	return nil
}

func TestLoopResume(t *testing.T) {
	var full sumLoop
	if _, err := full.loop(nil, 10, "a").Run(context.Background(), full.step); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ck := &run.Checkpoint{Dir: dir, Every: 3, Resume: true}
	// Interrupted after step 7: the last checkpoint holds step 6.
	ctx, cancel := context.WithCancel(context.Background())
	var a sumLoop
	_, err := a.loop(ck, 10, "a").Run(ctx, func(i int) error {
		if i == 7 {
			cancel()
		}
		return a.step(i)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v, want context.Canceled", err)
	}
	if n := len(a.steps); n != 7 {
		t.Fatalf("%d steps ran before the cancellation took effect, want 7", n)
	}
	var b sumLoop
	first, err := b.loop(ck, 10, "a").Run(context.Background(), b.step)
	if err != nil {
		t.Fatal(err)
	}
	if first != 7 || b.x != full.x {
		t.Fatalf("resumed at step %d with x = %d, want step 7 and x = %d", first, b.x, full.x)
	}
	// A finished run resumes to its end without running a step.
	var c sumLoop
	if first, err = c.loop(ck, 10, "a").Run(context.Background(), c.step); err != nil || first != 11 || c.x != full.x || len(c.steps) != 0 {
		t.Fatalf("finished run resumed at %d (%v), x = %d, %d steps", first, err, c.x, len(c.steps))
	}
	// A different budget or fingerprint is an error naming it.
	if _, err := c.loop(ck, 5, "a").Run(context.Background(), c.step); err == nil || !strings.Contains(err.Error(), "written for 10 steps") {
		t.Errorf("smaller budget: %v", err)
	}
	l := c.loop(ck, 10, "b")
	l.Explain = func(saved []byte) string { return "fingerprint " + string(saved) + ", this run b" }
	if _, err := l.Run(context.Background(), c.step); err == nil || !strings.Contains(err.Error(), "fingerprint a, this run b") {
		t.Errorf("different fingerprint: %v", err)
	}
	// Without Resume the checkpoint is overwritten by a new run.
	var d sumLoop
	if first, err = d.loop(&run.Checkpoint{Dir: dir}, 4, "c").Run(context.Background(), d.step); err != nil || first != 1 {
		t.Fatalf("fresh run: first %d, %v", first, err)
	}
}

func TestLoopCorruptState(t *testing.T) {
	dir := t.TempDir()
	ck := &run.Checkpoint{Dir: dir, Resume: true}
	var a sumLoop
	if _, err := a.loop(ck, 3, "a").Run(context.Background(), a.step); err != nil {
		t.Fatal(err)
	}
	var b sumLoop
	l := b.loop(ck, 3, "a")
	l.Load = func(d *Dec) error { d.U64(); d.U64(); return nil } // reads past the end
	if _, err := l.Run(context.Background(), b.step); !errors.Is(err, ErrCorrupt) {
		t.Errorf("loading past the end: %v, want ErrCorrupt", err)
	}
	if _, err := (&Loop{Total: 0}).Run(context.Background(), b.step); err == nil {
		t.Error("a loop of 0 steps accepted")
	}
}
