//go:build amd64 && !purego

package sample

// The AVX-512 kernels update 8 words of a row at once, word j + i in lane
// i of a 512-bit register drawing from stream i (8 xoshiro256** states in
// four registers): the same arithmetic as msRow2D and msRow3D, in the same
// order per stream, so both give the same bytes (TestVectorKernels). A
// stream advances in the data-dependent tail only while its word has lanes
// undecided (merge-masked updates), as in the portable kernel.

// useAVX512 reports whether the AVX-512 kernels run (AVX-512F present and
// its registers enabled by the operating system). Tests switch it off to
// compare with the portable kernels.
var useAVX512 = hasAVX512()

func hasAVX512() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	if ecx1&(1<<27) == 0 { // OSXSAVE
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&0xE6 != 0xE6 { // SSE, AVX, opmask, ZMM state
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<16) != 0 // AVX512F
}

//go:noescape
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

//go:noescape
func xgetbv() (eax, edx uint32)

//go:noescape
func msGroups2DAVX512(row, up, dn, oth *uint64, groups int, used uint64, tab *[64]msBits, st *msState)

//go:noescape
func msGroups3DAVX512(row, up, dn, bk, fr, oth *uint64, groups int, used uint64, tab *[64]msBits, st *msState)

// msVector2D updates the first 8·⌊len(row)/8⌋ words of a row as msRow2D
// does and returns their number (0 without AVX-512).
func msVector2D(row, up, dn, oth []uint64, used uint64, tab *[64]msBits, st *msState) int {
	g := len(row) / msStreams
	if !useAVX512 || g == 0 {
		return 0
	}
	n := g * msStreams
	_, _, _ = up[n-1], dn[n-1], oth[n] // bounds the assembly relies on
	msGroups2DAVX512(&row[0], &up[0], &dn[0], &oth[0], g, used, tab, st)
	return n
}

// msVector3D is msVector2D on the cubic lattice.
func msVector3D(row, up, dn, bk, fr, oth []uint64, used uint64, tab *[64]msBits, st *msState) int {
	g := len(row) / msStreams
	if !useAVX512 || g == 0 {
		return 0
	}
	n := g * msStreams
	_, _, _, _, _ = up[n-1], dn[n-1], bk[n-1], fr[n-1], oth[n]
	msGroups3DAVX512(&row[0], &up[0], &dn[0], &bk[0], &fr[0], &oth[0], g, used, tab, st)
	return n
}
