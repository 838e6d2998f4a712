//go:build !unix

package lattice

// cpuNanos is not available here: benchmarks report 0 CPU time.
func cpuNanos() int64 { return 0 }
