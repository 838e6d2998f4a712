//go:build unix

package lattice

import "syscall"

// cpuNanos returns the CPU time (user + system) of the process so far, so
// that benchmarks can report CPU time per operation, which a busy machine
// disturbs less than wall time.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
