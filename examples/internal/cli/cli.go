// Package cli holds the small pieces the example programs share: a progress
// bar on stderr, the one-line JSON summary on stdout, signal handling, the
// run-and-report skeleton of main (Main) and the -checkpoint/-resume flags.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rsmi-go/rsmi/run"
)

// Bar is a progress bar drawn on a terminal stream. It stays silent for the
// first second, so short runs print nothing, and redraws at most ten times a
// second. It is safe for concurrent use.
type Bar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	start time.Time
	last  time.Time
	drawn bool
}

// NewBar returns a bar labelled label that draws on stderr. It draws nothing
// when stderr is not a terminal (redirected to a file or a pipe), so logs
// stay clean.
func NewBar(label string) *Bar {
	if fi, err := os.Stderr.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &Bar{w: os.Stderr, label: label, start: time.Now()}
}

// Update draws done/total if enough time has passed.
func (b *Bar) Update(done, total int) {
	if b == nil || total <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if now.Sub(b.start) < time.Second || (now.Sub(b.last) < 100*time.Millisecond && done < total) {
		return
	}
	b.last = now
	b.drawn = true
	frac := float64(done) / float64(total)
	const width = 30
	n := int(frac * width)
	if n > width {
		n = width
	}
	el := now.Sub(b.start)
	eta := ""
	if frac > 0 && done < total {
		eta = fmt.Sprintf(" eta %s", (time.Duration(float64(el)/frac) - el).Round(time.Second))
	}
	fmt.Fprintf(b.w, "\r%-14s [%s%s] %3.0f%% %s%s   ", b.label, strings.Repeat("=", n), strings.Repeat(" ", width-n), 100*frac, el.Round(time.Second), eta)
}

// Progress draws a library call's progress report (a run.ProgressFunc).
func (b *Bar) Progress(p run.Progress) { b.Update(p.Done, p.Total) }

// Done finishes the line if the bar was drawn.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

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
func Outdir(dir string) error {
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("-outdir %q: %w", dir, err)
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
