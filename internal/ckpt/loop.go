package ckpt

import (
	"bytes"
	"context"
	"fmt"

	"github.com/rsmi-go/rsmi/run"
)

// Loop is the resumable loop every checkpointed computation of the module
// runs: steps 1 … Total, the state saved after every Checkpoint.Every-th
// step (and the last), and with Checkpoint.Resume the loop continues after
// the saved step. The sequence — fingerprint, resume, compare, save every
// N, wrap errors — lives here once; callers supply the fingerprint of their
// inputs and functions that save and restore their state.
//
// The payload of a loop checkpoint is: the total, the last completed step,
// the fingerprint, then the caller's state.
type Loop struct {
	// Checkpoint configures saving and resuming; nil runs the loop without
	// checkpoints.
	Checkpoint *run.Checkpoint
	// Name is the default file name (used when Checkpoint.Name is empty).
	Name string
	// Kind and Version identify the payload format (see Encode).
	Kind    string
	Version uint16
	// Fingerprint identifies everything the result depends on except the
	// total: inputs, options and the initial random state. A checkpoint is
	// resumed only by a loop with the same fingerprint and total.
	Fingerprint []byte
	// Explain, if not nil, describes how a saved fingerprint differs from
	// Fingerprint ("data of 100 rows, this run 200"); it may return "" when
	// it finds no readable difference.
	Explain func(saved []byte) string
	// Total is the number of steps (≥ 1).
	Total int
	// Save appends the state after a completed step to e.
	Save func(e *Enc) error
	// Load restores the state from d, which holds exactly what Save wrote;
	// it must validate what it reads (a corrupt state is an error).
	Load func(d *Dec) error
}

// Run runs the loop: it resumes if asked and possible, then calls step(i)
// for every remaining i ≤ Total, checking ctx before each step and saving
// when due. It returns the first step it ran (Total+1 if a finished run was
// resumed). Errors of step and of saving are returned as they are; a
// cancelled context gives an error wrapping ctx.Err(); resume failures name
// the file and the difference.
func (l *Loop) Run(ctx context.Context, step func(i int) error) (first int, err error) {
	if l.Total < 1 {
		return 0, fmt.Errorf("%d steps, want at least 1", l.Total)
	}
	path, first, err := l.resume()
	if err != nil {
		return 0, err
	}
	for i := first; i <= l.Total; i++ {
		if err := ctx.Err(); err != nil {
			return first, fmt.Errorf("interrupted after step %d of %d: %w", i-1, l.Total, err)
		}
		if err := step(i); err != nil {
			return first, err
		}
		if path != "" && l.Checkpoint.Due(i, l.Total) {
			if err := l.save(path, i); err != nil {
				return first, err
			}
		}
	}
	return first, nil
}

// resume validates the options, returns the checkpoint path ("" without
// checkpoints) and the first step to run.
func (l *Loop) resume() (string, int, error) {
	if l.Checkpoint == nil {
		return "", 1, nil
	}
	path, err := l.Checkpoint.Path(l.Name)
	if err != nil {
		return "", 0, err
	}
	if !l.Checkpoint.Resume || !Exists(path) {
		return path, 1, nil
	}
	p, err := Read(path, l.Kind, l.Version)
	if err != nil {
		return "", 0, fmt.Errorf("cannot resume: %w", err)
	}
	d := &Dec{B: p}
	total, done, fp := d.Int(), d.Int(), d.Bytes()
	if d.err != nil {
		return "", 0, fmt.Errorf("cannot resume from %s: %w", path, d.err)
	}
	if !bytes.Equal(fp, l.Fingerprint) {
		why := "different inputs, options or seed"
		if l.Explain != nil {
			if s := l.Explain(fp); s != "" {
				why = s
			}
		}
		return "", 0, fmt.Errorf("cannot resume from %s: it was written for %s", path, why)
	}
	if total != l.Total {
		return "", 0, fmt.Errorf("cannot resume from %s: it was written for %d steps (and holds step %d); this run asks for %d", path, total, done, l.Total)
	}
	if done < 1 || done > total {
		return "", 0, fmt.Errorf("cannot resume from %s: %w: step %d of %d", path, ErrCorrupt, done, total)
	}
	if err := l.Load(d); err != nil {
		return "", 0, fmt.Errorf("cannot resume from %s: %w", path, err)
	}
	if err := d.Err(); err != nil {
		return "", 0, fmt.Errorf("cannot resume from %s: %w", path, err)
	}
	return path, done + 1, nil
}

func (l *Loop) save(path string, step int) error {
	var e Enc
	e.Int(l.Total)
	e.Int(step)
	e.Bytes(l.Fingerprint)
	if err := l.Save(&e); err != nil {
		return err
	}
	if err := Write(path, l.Kind, l.Version, e.B); err != nil {
		return fmt.Errorf("writing checkpoint after step %d: %w", step, err)
	}
	return nil
}
