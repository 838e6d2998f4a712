// Package sizetest holds the allocation guard of the tests and fuzz targets
// that check that an input cannot choose a large allocation: they measure
// what a call allocates and compare it with the input's size and the budget
// of internal/size. It also holds the huge sizes those tests pass, written
// so that the tests compile on 32-bit platforms too.
package sizetest

import (
	"math"
	"runtime"
)

// Huge is a size whose square, or whose double, overflows int: 2^62 on
// 64-bit platforms and 2^30 on 32-bit ones.
const Huge = math.MaxInt>>1 + 1

// Big is a size far beyond any memory budget when it counts elements of a
// few bytes or multiplies another size: 2^40 on 64-bit platforms, the
// largest int on 32-bit ones.
const Big = min(1<<40, math.MaxInt)

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
