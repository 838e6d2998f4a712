package cli

import (
	"bytes"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsmi-go/rsmi/run"
)

// syncBuffer is a bytes.Buffer safe for the heartbeat's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReporterLines checks what the lines say: every new stage prints at
// once (a Stage name prefixed, a Begin without counts), the completion of a
// stage prints, and a line holds done/total, the percentage, a rate and an
// ETA. The interval is an hour, so no line here comes from the clock.
func TestReporterLines(t *testing.T) {
	var buf syncBuffer
	r := newReporter(&buf, false, time.Hour)
	r.Progress(run.Progress{Stage: "sample.Collect", Done: 0, Total: 100, Value: math.NaN()})
	time.Sleep(time.Millisecond) // a non-zero stage time, for the rate
	r.Progress(run.Progress{Stage: "sample.Collect", Done: 50, Total: 100, Value: math.NaN()})
	r.Progress(run.Progress{Stage: "sample.Collect", Done: 100, Total: 100, Value: math.NaN()})
	train := r.Stage("filter at ‖λ‖ = 1")
	train(run.Progress{Stage: "rsmi.Train", Done: 1, Total: 10, Value: 0.25})
	r.Stage("unconstrained filter")(run.Progress{Stage: "rsmi.Train", Done: 1, Total: 10, Value: 0.5})
	r.Begin("exact oracle")
	r.Logf("a message\n")
	r.Close()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		"sample.Collect  0/100 (0%)",
		"sample.Collect  100/100 (100%)",
		"filter at ‖λ‖ = 1: rsmi.Train  1/10 (10%)",
		"unconstrained filter: rsmi.Train  1/10 (10%)",
		"exact oracle",
		"a message",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q, want it to contain %q", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[2], "(0.25)") {
		t.Errorf("line %q lacks the value", lines[2])
	}

	// a report after the interval prints (or the heartbeat repeats it),
	// with a rate and an ETA; the test waits for the line however long the
	// machine takes (a reporter that never prints hangs until go test's
	// -timeout)
	var fast syncBuffer
	r = newReporter(&fast, false, time.Millisecond)
	r.Progress(run.Progress{Stage: "rsmi.Train", Done: 0, Total: 100, Value: math.NaN()})
	time.Sleep(5 * time.Millisecond)
	r.Progress(run.Progress{Stage: "rsmi.Train", Done: 50, Total: 100, Value: math.NaN()})
	for !strings.Contains(fast.String(), "50/100 (50%)  ") {
		time.Sleep(time.Millisecond)
	}
	r.Close()
	if !strings.Contains(fast.String(), "50/100 (50%)  ") || !strings.Contains(fast.String(), "/s  eta ") {
		t.Errorf("no line with a rate and an ETA:\n%s", fast.String())
	}

	// a completion reported twice (by two goroutines) prints once
	var twice syncBuffer
	r = newReporter(&twice, false, time.Hour)
	for range 2 {
		r.Progress(run.Progress{Stage: "sample.Collect", Done: 10, Total: 10, Value: math.NaN()})
	}
	r.Close()
	if n := strings.Count(twice.String(), "10/10"); n != 1 {
		t.Errorf("completion printed %d times, want once:\n%s", n, twice.String())
	}
}

// TestReporterHeartbeat checks that the heartbeat repeats the last state
// when no report arrives, and that a quiet reporter prints nothing. It
// waits for the heartbeat's line (the interval is 10 ms) however long the
// machine takes; a reporter without a heartbeat hangs until go test's
// -timeout.
func TestReporterHeartbeat(t *testing.T) {
	var buf syncBuffer
	r := newReporter(&buf, false, 10*time.Millisecond)
	r.Begin("exact oracle")
	for strings.Count(buf.String(), "exact oracle") < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	r.Close()
	if n := strings.Count(buf.String(), "exact oracle"); n < 2 {
		t.Errorf("%d lines, want the stage's line and a heartbeat:\n%s", n, buf.String())
	}

	var quiet syncBuffer
	q := newReporter(&quiet, true, 10*time.Millisecond)
	q.Progress(run.Progress{Stage: "sample.Collect", Done: 1, Total: 2})
	q.Logf("message\n")
	time.Sleep(50 * time.Millisecond)
	q.Close()
	q.Close() // a second Close is harmless
	if quiet.String() != "" {
		t.Errorf("a quiet reporter printed %q", quiet.String())
	}
}
