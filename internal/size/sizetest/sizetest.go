// Package sizetest holds the allocation guard of the tests and fuzz targets
// that check that an input cannot choose a large allocation: they measure
// what a call allocates and compare it with the input's size and the budget
// of internal/size.
package sizetest

import "runtime"

// Allocated returns the bytes allocated while f runs, by all goroutines (so
// the measuring test must not run in parallel with others that allocate
// much; a slack of a few hundred KiB covers the runtime's own).
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
