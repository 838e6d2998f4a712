//go:build !unix

package sample

// cpuNanos returns 0: process CPU time is read only on Unix systems, and
// benchUpdates then reports no cpu-ns/update.
func cpuNanos() int64 { return 0 }
