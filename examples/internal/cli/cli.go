// Package cli holds the small pieces the example programs share: progress
// lines on stderr (Reporter), the one-line JSON summary on stdout, signal
// handling, the run-and-report skeleton of main (Main), the -h line, the
// checks of the flags before any computation and the -checkpoint/-resume
// flags.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/rsmi-go/rsmi/run"
)

// PrintJSON writes v as one JSON line on stdout.
func PrintJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	return enc.Encode(v)
}

// Main runs a program's run function with a context cancelled by SIGINT
// or SIGTERM (Context), exits through Fatal if it fails, prints its result
// as one JSON line on stdout if asJSON, and returns the result (for a text
// summary).
func Main[S any](run func(context.Context) (S, error), asJSON bool) S {
	ctx, stop := Context()
	defer stop()
	s, err := run(ctx)
	if err != nil {
		Fatal(err)
	}
	if asJSON {
		if err := PrintJSON(s); err != nil {
			Fatal(err)
		}
	}
	return s
}

// Fatal prints the error on stderr and exits with status 1.
func Fatal(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}

// Context returns a context cancelled by SIGINT (Ctrl-C) or SIGTERM, so
// long runs stop cleanly and leave their last checkpoint valid.
func Context() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Checkpoint holds the -checkpoint DIR and -resume flags.
type Checkpoint struct {
	dir    *string
	resume *bool
}

// CheckpointFlags registers -checkpoint and -resume on the default flag set.
func CheckpointFlags() *Checkpoint {
	return &Checkpoint{
		dir:    flag.String("checkpoint", "", "save training state into this directory (every epoch or step batch), so an interrupted run can be resumed"),
		resume: flag.Bool("resume", false, "continue from the checkpoints in -checkpoint (same flags and seed as the interrupted run)"),
	}
}

// Options returns the checkpoint options for one training run, saved under
// name, or nil when no -checkpoint directory was given. It is an error to ask
// for -resume without -checkpoint.
func (c *Checkpoint) Options(name string) *run.Checkpoint {
	if c == nil || c.dir == nil || *c.dir == "" {
		return nil
	}
	return &run.Checkpoint{Dir: *c.dir, Resume: *c.resume, Name: name}
}

// Validate reports a -resume without -checkpoint.
func (c *Checkpoint) Validate() error {
	if c.resume != nil && *c.resume && (c.dir == nil || *c.dir == "") {
		return errors.New("-resume needs -checkpoint DIR")
	}
	return nil
}

// Usage makes -h print line (what the program does) before the flags.
func Usage(line string) {
	flag.Usage = func() {
		w := flag.CommandLine.Output()
		fmt.Fprintf(w, "%s\n\nUsage of %s:\n", line, os.Args[0])
		flag.PrintDefaults()
	}
}

// NoArgs returns an error naming the first positional argument: the
// programs take flags only, and a silently ignored "64" would run the
// defaults.
func NoArgs() error {
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: the program takes flags only (-h lists them)", flag.Arg(0))
	}
	return nil
}

// Parse parses the command line (flag.Parse) and exits through Fatal if it
// holds a positional argument (NoArgs).
func Parse() {
	flag.Parse()
	if err := NoArgs(); err != nil {
		Fatal(err)
	}
}

// Positive returns an error naming every flag among names that the command
// line set to a value that is not positive. Programs use it for counts whose
// zero value stands for "the default": "-n 0" would otherwise silently run
// the default number.
func Positive(names ...string) error {
	var errs []error
	flag.Visit(func(f *flag.Flag) {
		if !slices.Contains(names, f.Name) {
			return
		}
		if v, err := strconv.ParseFloat(f.Value.String(), 64); err != nil || !(v > 0) {
			errs = append(errs, fmt.Errorf("-%s %s: want a positive value", f.Name, f.Value))
		}
	})
	return errors.Join(errs...)
}

// Outdir checks, before any computation, that figures can be written into
// dir.
func Outdir(dir string) error { return writable("-outdir", dir, dir) }

// OutFile checks, before any computation, that the file path given by the
// flag named flagName can be created (its directory is writable); an empty
// path (no output) passes.
func OutFile(flagName, path string) error {
	if path == "" {
		return nil
	}
	return writable(flagName, path, filepath.Dir(path))
}

// writable creates and removes a file in dir; its error names the flag
// and its value.
func writable(flagName, value, dir string) error {
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("%s %q: %w", flagName, value, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// NewCheckpoint returns the checkpoint flags' value for dir and resume,
// for tests and programs that set them without flags.
func NewCheckpoint(dir string, resume bool) *Checkpoint {
	return &Checkpoint{dir: &dir, resume: &resume}
}

// Floats parses the comma-separated numbers of the flag named flagName
// ("inf" is +Inf; blanks around a number are ignored; empty: none).
func Floats(s, flagName string) ([]float64, error) {
	var out []float64
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flagName, err)
		}
		out = append(out, x)
	}
	return out, nil
}
