// Package canceltest holds the context the packages' cancellation tests
// share: it is cancelled by the computation's own progress — the n-th call
// of its Err method — not by a timer, so that a test checks that a call
// stops its work, and how much it did after the cancellation, whatever the
// load of the machine.
package canceltest

import (
	"context"
	"sync"
)

// Ctx is a context.Context whose Err returns nil for its first n−1 calls and
// context.Canceled from the n-th on (its Done channel closes then). It has
// no deadline and no values.
type Ctx struct {
	context.Context
	mu        sync.Mutex
	n, calls  int
	cancelled bool
	done      chan struct{}
}

// After returns a context cancelled by the n-th call of its Err method (n ≥
// 1; n = 1 is cancelled from the start).
func After(n int) *Ctx {
	return &Ctx{Context: context.Background(), n: n, done: make(chan struct{})}
}

// Done returns a channel closed once the context is cancelled.
func (c *Ctx) Done() <-chan struct{} { return c.done }

// Err counts the call and returns context.Canceled from the n-th call on.
func (c *Ctx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if !c.cancelled && c.calls >= c.n {
		c.cancelled = true
		close(c.done)
	}
	if c.cancelled {
		return context.Canceled
	}
	return nil
}

// Cancel cancels the context now (as if Err had been called n times).
func (c *Ctx) Cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.cancelled {
		c.cancelled = true
		close(c.done)
	}
}

// Calls returns the number of calls of Err so far.
func (c *Ctx) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}
