// Package run holds what every long-running call of the module shares: the
// checkpoint options, the progress report, and the conventions below, which
// every package follows.
//
// # Conventions
//
//   - Anything that may run longer than about a second takes a
//     context.Context first. Cancelling it makes the call stop its work and
//     return an error that wraps ctx.Err().
//   - What a call cannot do without is a positional argument: the data, the
//     model, and the random source (a math/rand/v2 rand.Source, usually the
//     last argument) of every stochastic call. No call invents a seed.
//   - Everything else is an option: a pointer to an XxxOptions struct, where
//     nil, and every zero field, means the default that the field's comment
//     states as "(default …)". Options structs are never passed by value.
//   - A long call reports progress through an optional field
//     Progress ProgressFunc, and checkpoints through an optional field
//     Checkpoint *Checkpoint.
//   - Errors name the bad value and start with the package name
//     ("rsmi: …"). A length mismatch inside a hot loop is a programming
//     error and panics with a package-prefixed message; numerical failure
//     (NaN, divergence) is an error, never a silent result.
//   - The same seed gives the same bytes, whatever the number of
//     goroutines or processors.
package run

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Checkpoint makes a long call save its complete state every Every steps
// (epochs, levels, shards: the unit is the call's) into a file in Dir, and
// continue from that file.
//
// A checkpoint holds everything the call needs to continue bit for bit: the
// parameters, the optimizer's moments, the random generators' states, the
// step and the position in the data. It is written atomically (temporary
// file, fsync, rename), so a run killed at any moment — even by SIGKILL —
// leaves the previous or the new checkpoint, never a torn one. With Resume,
// a call started with the same inputs, options, budget and seed as the
// interrupted one continues from its last checkpoint, and its result is
// identical to that of an uninterrupted run. Resuming with different inputs
// (data, sizes, options, number of steps or seed) is an error naming the
// difference, as is a corrupt checkpoint; a missing checkpoint file starts
// the call from the beginning.
type Checkpoint struct {
	// Dir is the directory of the checkpoint file (required; created if
	// missing).
	Dir string
	// Every is the number of steps between checkpoints (default 1). The
	// last step is always saved.
	Every int
	// Resume continues from the checkpoint in Dir if one exists (default
	// false: an existing checkpoint is overwritten).
	Resume bool
	// Name is the checkpoint's file name in Dir (default: one per call,
	// e.g. "rbm-train.ckpt", "rsmi-train.ckpt", "rg-flow.ckpt"). Calls
	// sharing a directory need distinct names.
	Name string
}

// Path returns the checkpoint file of c for the default name def, after
// validating c; it creates Dir.
func (c *Checkpoint) Path(def string) (string, error) {
	if c.Dir == "" {
		return "", errors.New("checkpoint directory is empty")
	}
	if c.Every < 0 {
		return "", fmt.Errorf("checkpoint interval Every = %d is negative", c.Every)
	}
	name := c.Name
	if name == "" {
		name = def
	}
	if name != filepath.Base(name) || name == "." || name == ".." || name == "" {
		return "", fmt.Errorf("checkpoint name %q is not a plain file name", name)
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return "", fmt.Errorf("checkpoint directory: %w", err)
	}
	return filepath.Join(c.Dir, name), nil
}

// Due reports whether a checkpoint is to be written after step of total.
func (c *Checkpoint) Due(step, total int) bool {
	every := c.Every
	if every == 0 {
		every = 1
	}
	return step%every == 0 || step == total
}

// Progress reports how far a long call has come.
type Progress struct {
	// Stage names the work, e.g. "sample.Collect", "rbm.Train",
	// "rsmi.Train", "exponent.MCRG"; composite calls prefix the stages of
	// their parts ("pipeline: sample").
	Stage string
	// Done and Total count the stage's units of work (steps, epochs,
	// configurations); Total is 0 when it is not known in advance.
	Done, Total int
	// Value is the stage's current figure of merit where it has one (the
	// MI in bits during rsmi.Train, the pseudo-log-likelihood per unit
	// during rbm.Train), and NaN otherwise.
	Value float64
}

// ProgressFunc receives progress reports. A call invokes it from the
// goroutine that called it, never concurrently, as its work advances (a
// trainer after every step, a sampler a few times a second) and once when a
// stage completes. Reporting never changes a result; a consumer that prints
// throttles its own output.
type ProgressFunc func(Progress)
