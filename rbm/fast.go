package rbm

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Fast float32 helpers for the training loop.

const (
	sigRange = 16  // table covers [−sigRange, sigRange]
	sigScale = 128 // table points per unit of the argument
	sigN     = 2 * sigRange * sigScale
)

// sigTab[k] = {σ(x_k), σ(x_{k+1})−σ(x_k)} with x_k = −sigRange + k/sigScale:
// linear interpolation has an absolute error below 1e-6 (σ” ≤ 0.1, step
// 1/128); beyond ±16 the value is clamped (σ(16) = 1 − 1.1e-7).
var sigTab [sigN + 1][2]float32

func init() {
	for k := 0; k <= sigN; k++ {
		sigTab[k][0] = float32(sigmoid(float64(k)/sigScale - sigRange))
	}
	for k := 0; k < sigN; k++ {
		sigTab[k][1] = sigTab[k+1][0] - sigTab[k][0]
	}
}

// sigArg returns the coefficients (A, B) with which sigT(A·x + B) =
// σ(gain·(x + c)).
func sigArg(gain, c float32) (float32, float32) {
	return gain * sigScale, (gain*c + sigRange) * sigScale
}

// sigT returns σ at table coordinate t = (x+16)·128, to within 1e-6 (NaN
// maps to σ(−16)).
func sigT(t float32) float32 {
	if !(t >= 0) {
		t = 0
	} else if t >= sigN {
		return sigTab[sigN][0]
	}
	k := int(t)
	f := t - float32(k)
	e := &sigTab[k&(sigN-1)]
	return e[0] + f*e[1]
}

// fastSigmoid returns σ(x) to within 1e-6 (NaN maps to σ(−16)).
func fastSigmoid(x float32) float32 { return sigT((x + sigRange) * sigScale) }

// xoshiro is xoshiro256++ (Blackman & Vigna), a fast local generator seeded
// from a rand.Source.
type xoshiro struct{ s0, s1, s2, s3 uint64 }

func newXoshiro(src rand.Source) xoshiro {
	var x xoshiro
	for x.s0|x.s1|x.s2|x.s3 == 0 {
		x = xoshiro{src.Uint64(), src.Uint64(), src.Uint64(), src.Uint64()}
	}
	return x
}

func (x *xoshiro) next() uint64 {
	r := bits.RotateLeft64(x.s0+x.s3, 23) + x.s0
	t := x.s1 << 17
	x.s2 ^= x.s0
	x.s3 ^= x.s1
	x.s1 ^= x.s2
	x.s0 ^= x.s3
	x.s2 ^= t
	x.s3 = bits.RotateLeft64(x.s3, 45)
	return r
}

// Uint64 makes xoshiro a rand.Source.
func (x *xoshiro) Uint64() uint64 { return x.next() }

// finite32 reports whether all values are finite.
func finite32(s []float32) bool {
	for _, v := range s {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}
