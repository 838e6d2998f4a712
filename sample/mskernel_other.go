//go:build !amd64 || purego

package sample

// msVector2D would update whole groups of msStreams words with a vector
// kernel; without one it updates none and returns 0.
func msVector2D(row, up, dn, oth []uint64, used uint64, tab *[64]msBits, st *msState) int {
	return 0
}

// msVector3D is msVector2D on the cubic lattice.
func msVector3D(row, up, dn, bk, fr, oth []uint64, used uint64, tab *[64]msBits, st *msState) int {
	return 0
}
