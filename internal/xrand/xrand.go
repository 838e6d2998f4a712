// Package xrand is the module's one fast random generator: xoshiro256** of
// Blackman and Vigna (2018), seeded from a math/rand/v2 Source.
//
// Every sampler, trainer and rule that draws many numbers in a hot loop seeds
// one Xoshiro from its caller's rand.Source at construction and afterwards
// draws from it directly, with no interface call per number. The seeding
// convention is the same everywhere: four draws of the source, each passed
// through the splitmix64 finalizer (so that a poor source, a counter say,
// still gives a well-mixed state), an all-zero state replaced by a fixed
// non-zero one. The same source state therefore gives the same bytes in
// every package.
//
// Step exposes one step of the generator on four loose words, small enough
// for the compiler to inline, for loops (the multi-spin samplers) that keep
// the state in registers.
package xrand

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"math/rand/v2"
)

// Xoshiro is the xoshiro256** generator: 256 bits of state, period 2^256 − 1.
// It implements rand.Source and encoding.BinaryMarshaler/BinaryUnmarshaler.
// The zero value is not a valid generator; use New.
type Xoshiro struct{ S0, S1, S2, S3 uint64 }

// New seeds a generator from four draws of src (see the package comment).
func New(src rand.Source) Xoshiro {
	var r Xoshiro
	r.S0 = Splitmix(src.Uint64())
	r.S1 = Splitmix(src.Uint64())
	r.S2 = Splitmix(src.Uint64())
	r.S3 = Splitmix(src.Uint64())
	if r.S0|r.S1|r.S2|r.S3 == 0 {
		r.S0 = 0x9E3779B97F4A7C15
	}
	return r
}

// Splitmix is the splitmix64 output function applied to z + golden gamma.
func Splitmix(z uint64) uint64 {
	z += 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// Step advances the state s0…s3 by one step and returns the output word and
// the new state. It is the whole generator; Xoshiro.Uint64 calls it.
func Step(s0, s1, s2, s3 uint64) (out, r0, r1, r2, r3 uint64) {
	out = bits.RotateLeft64(s1*5, 7) * 9
	t := s1 << 17
	s2 ^= s0
	s3 ^= s1
	s1 ^= s2
	s0 ^= s3
	s2 ^= t
	s3 = bits.RotateLeft64(s3, 45)
	return out, s0, s1, s2, s3
}

// Uint64 returns 64 uniformly random bits.
func (r *Xoshiro) Uint64() uint64 {
	var out uint64
	out, r.S0, r.S1, r.S2, r.S3 = Step(r.S0, r.S1, r.S2, r.S3)
	return out
}

// Float64 returns a uniform number in [0, 1) with 53 random bits.
func (r *Xoshiro) Float64() float64 { return float64(r.Uint64()>>11) * 0x1p-53 }

// Intn returns a uniform integer in [0, n) for n > 0 by Lemire's
// multiply-shift with rejection (exactly uniform).
func (r *Xoshiro) Intn(n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(r.Uint64(), un)
	if lo < un {
		thr := -un % un
		for lo < thr {
			hi, lo = bits.Mul64(r.Uint64(), un)
		}
	}
	return int(hi)
}

// MarshalBinary returns the 32-byte state (little-endian S0…S3).
func (r *Xoshiro) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 32)
	for _, s := range [4]uint64{r.S0, r.S1, r.S2, r.S3} {
		b = binary.LittleEndian.AppendUint64(b, s)
	}
	return b, nil
}

// UnmarshalBinary restores a state written by MarshalBinary. An all-zero
// state (the generator's fixed point) or a length other than 32 is an error.
func (r *Xoshiro) UnmarshalBinary(b []byte) error {
	if len(b) != 32 {
		return errors.New("xrand: xoshiro256** state must be 32 bytes")
	}
	var s [4]uint64
	for i := range s {
		s[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	if s[0]|s[1]|s[2]|s[3] == 0 {
		return errors.New("xrand: all-zero xoshiro256** state")
	}
	r.S0, r.S1, r.S2, r.S3 = s[0], s[1], s[2], s[3]
	return nil
}

// Threshold64 returns the 64-bit threshold t such that a uniform 64-bit
// number u satisfies u < t with probability p (clamped to [0, 1]; p = 1 maps
// to the largest threshold, true with probability 1 − 2^−64).
func Threshold64(p float64) uint64 {
	switch {
	case !(p > 0):
		return 0
	case p >= 1:
		return ^uint64(0)
	}
	return uint64(p * 0x1p64) // p ≤ 1 − 2^−53: exact, below 2^64
}

// Threshold32 returns t in [0, 2^32] such that a uniform 32-bit number u
// satisfies u < t with probability p exactly up to rounding of p to 2^−32
// (p ≥ 1 gives 2^32, always true).
func Threshold32(p float64) uint64 {
	switch {
	case !(p > 0):
		return 0
	case p >= 1:
		return 1 << 32
	}
	return uint64(p * 0x1p32)
}
