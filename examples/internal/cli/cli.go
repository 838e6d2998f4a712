// Package cli holds the small pieces the example programs share: a progress
// bar on stderr and the one-line JSON summary on stdout.
package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
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

// Fatal prints the error on stderr and exits with status 1.
func Fatal(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}
