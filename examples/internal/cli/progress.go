package cli

import (
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/rsmi-go/rsmi/run"
)

// Reporter prints the progress of a long computation as plain lines on
// stderr — stage, done/total, rate and ETA — whether stderr is a terminal
// or a log file: immediately when a new stage starts, then at most every
// Interval while reports arrive, and a heartbeat line with the last known
// state every Interval when they do not, so the user never waits more than
// Interval without a line. A quiet Reporter prints nothing. It is safe for
// concurrent use.
type Reporter struct {
	mu         sync.Mutex
	w          io.Writer
	quiet      bool
	start      time.Time
	stageStart time.Time
	lastPrint  time.Time
	cur        run.Progress
	printed    run.Progress // the state of the last status line
	has        bool
	interval   time.Duration
	stop       chan struct{}
	done       chan struct{}
}

// Interval is the longest time between two progress lines.
const Interval = 3 * time.Second

// NewReporter returns a reporter on stderr (silent if quiet) whose
// heartbeat runs until Close.
func NewReporter(quiet bool) *Reporter { return NewReporterTo(nil, quiet) }

// NewReporterTo returns a reporter writing to w (stderr if w is nil),
// silent if quiet, whose heartbeat runs until Close.
func NewReporterTo(w io.Writer, quiet bool) *Reporter {
	return newReporter(w, quiet, Interval)
}

func newReporter(w io.Writer, quiet bool, interval time.Duration) *Reporter {
	if w == nil {
		w = os.Stderr
	}
	r := &Reporter{w: w, quiet: quiet, start: time.Now(), interval: interval, stop: make(chan struct{}), done: make(chan struct{})}
	go r.heartbeat()
	return r
}

func (r *Reporter) heartbeat() {
	defer close(r.done)
	t := time.NewTicker(max(r.interval/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case now := <-t.C:
			r.mu.Lock()
			if now.Sub(r.lastPrint) >= r.interval {
				r.print(now)
			}
			r.mu.Unlock()
		}
	}
}

// Progress records a report (a run.ProgressFunc).
func (r *Reporter) Progress(p run.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	newStage := !r.has || p.Stage != r.cur.Stage
	if newStage {
		r.stageStart = now
	}
	r.cur, r.has = p, true
	// a stage's completion prints once, even if several goroutines report it
	complete := p.Total > 0 && p.Done == p.Total &&
		(p.Stage != r.printed.Stage || p.Done != r.printed.Done || p.Total != r.printed.Total)
	if newStage || complete || now.Sub(r.lastPrint) >= r.interval {
		r.print(now)
	}
}

// Stage returns a run.ProgressFunc that records a library call's reports
// under name: its stages become "name: stage". Two calls of the same
// function (two filter trainings, say) thus show as two stages, each with
// its own rate and ETA.
func (r *Reporter) Stage(name string) run.ProgressFunc {
	return func(p run.Progress) {
		p.Stage = name + ": " + p.Stage
		r.Progress(p)
	}
}

// Begin starts a stage of work that reports no progress of its own (a
// pilot run, an exact evaluation, drawing figures): it prints its name, and
// the heartbeat repeats it with the time spent while the work goes on.
func (r *Reporter) Begin(stage string) {
	r.Progress(run.Progress{Stage: stage, Value: math.NaN()})
}

// Logf prints a message line (not when quiet).
func (r *Reporter) Logf(format string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.quiet {
		fmt.Fprintf(r.w, format, a...)
	}
	r.lastPrint = time.Now()
}

// print writes the status line; r.mu is held.
func (r *Reporter) print(now time.Time) {
	r.lastPrint = now
	if r.quiet {
		return
	}
	line := fmt.Sprintf("%7.1fs  ", now.Sub(r.start).Seconds())
	if !r.has {
		fmt.Fprintln(r.w, line+"starting")
		return
	}
	p := r.cur
	r.printed = p
	line += p.Stage
	el := now.Sub(r.stageStart).Seconds()
	if p.Total > 0 {
		line += fmt.Sprintf("  %d/%d (%.0f%%)", p.Done, p.Total, 100*float64(p.Done)/float64(p.Total))
		if p.Done > 0 && el > 0 && p.Done < p.Total {
			rate := float64(p.Done) / el
			eta := time.Duration(float64(p.Total-p.Done) / rate * float64(time.Second)).Round(time.Second)
			line += fmt.Sprintf("  %.3g/s  eta %s", rate, eta)
		}
	} else if p.Done > 0 {
		line += fmt.Sprintf("  %d", p.Done)
	} else if el >= 1 {
		line += fmt.Sprintf("  (%.0fs in this stage)", el)
	}
	if !math.IsNaN(p.Value) && p.Value != 0 {
		line += fmt.Sprintf("  (%.4g)", p.Value)
	}
	fmt.Fprintln(r.w, line)
}

// Close stops the heartbeat.
func (r *Reporter) Close() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
		<-r.done
	}
}
