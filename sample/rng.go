package sample

import (
	"math/bits"
	"math/rand/v2"
)

// xoshiro is the xoshiro256** generator of Blackman and Vigna (2018), the
// samplers' local generator: each sampler seeds one from four draws of the
// user's rand.Source at construction and afterwards draws every random number
// from it, so the hot loops make no interface call. Its state is 32 bytes and
// its period 2^256 − 1.
type xoshiro struct{ s0, s1, s2, s3 uint64 }

// newXoshiro seeds a generator from four draws of src, each passed through
// the splitmix64 finalizer so that a poor source (a counter, say) still gives
// a well-mixed state. An all-zero state (the generator's fixed point) is
// replaced by a fixed non-zero one.
func newXoshiro(src rand.Source) xoshiro {
	var r xoshiro
	r.s0 = splitmix(src.Uint64())
	r.s1 = splitmix(src.Uint64())
	r.s2 = splitmix(src.Uint64())
	r.s3 = splitmix(src.Uint64())
	if r.s0|r.s1|r.s2|r.s3 == 0 {
		r.s0 = 0x9E3779B97F4A7C15
	}
	return r
}

// splitmix is the splitmix64 output function applied to z + golden gamma.
func splitmix(z uint64) uint64 {
	z += 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// next returns 64 uniformly random bits.
func (r *xoshiro) next() uint64 {
	s0, s1, s2, s3 := r.s0, r.s1, r.s2, r.s3
	out := bits.RotateLeft64(s1*5, 7) * 9
	t := s1 << 17
	s2 ^= s0
	s3 ^= s1
	s1 ^= s2
	s0 ^= s3
	s2 ^= t
	s3 = bits.RotateLeft64(s3, 45)
	r.s0, r.s1, r.s2, r.s3 = s0, s1, s2, s3
	return out
}

// float64 returns a uniform number in [0, 1) with 53 random bits.
func (r *xoshiro) float64() float64 { return float64(r.next()>>11) * 0x1p-53 }

// intn returns a number in [0, n) for n > 0 by Lemire's multiply-shift
// (without rejection: the bias is at most n/2^64, below 10^−9 for any
// lattice this package can hold).
func (r *xoshiro) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// threshold64 returns the 64-bit threshold t such that a uniform 64-bit
// number u satisfies u < t with probability p (clamped to [0, 1]; p = 1 maps
// to the largest threshold, true with probability 1 − 2^−64).
func threshold64(p float64) uint64 {
	switch {
	case !(p > 0):
		return 0
	case p >= 1:
		return ^uint64(0)
	}
	return uint64(p * 0x1p64) // p ≤ 1 − 2^−53: exact, below 2^64
}

// threshold32 returns t in [0, 2^32] such that a uniform 32-bit number u
// satisfies u < t with probability p exactly up to rounding of p to 2^−32
// (p ≥ 1 gives 2^32, always true).
func threshold32(p float64) uint64 {
	switch {
	case !(p > 0):
		return 0
	case p >= 1:
		return 1 << 32
	}
	return uint64(p * 0x1p32)
}

// b2u returns 1 for true and 0 for false (compiled to SETcc, no branch).
func b2u(b bool) uint {
	var u uint
	if b {
		u = 1
	}
	return u
}
