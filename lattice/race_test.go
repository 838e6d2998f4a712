//go:build race

package lattice

// raceEnabled is true under the race detector, whose sync.Pool drops items
// on purpose (so pooled scratch space is sometimes reallocated).
const raceEnabled = true
