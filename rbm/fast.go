package rbm

import (
	"math"
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
	return gain * sigScale, float32(mad(gain, c, sigRange) * sigScale)
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
	return mad(f, e[1], e[0])
}

// fastSigmoid returns σ(x) to within 1e-6 (NaN maps to σ(−16)).
func fastSigmoid(x float32) float32 { return sigT((x + sigRange) * sigScale) }

// finite32 reports whether all values are finite.
func finite32(s []float32) bool {
	for _, v := range s {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

// exp32 returns e^x for x ≤ 0 to within 3e-7 relative error (0 below −87
// and for NaN): 2^n·e^r with n = round(x·log2 e), r = x − n·ln 2 (in two
// parts, Cody & Waite), |r| ≤ ln2/2, and e^r from its Taylor series to
// degree 6.
func exp32(x float32) float32 {
	if !(x > -87) {
		return 0
	}
	const ln2Hi, ln2Lo = 0.693359375, -2.12194440e-4 // ln2Hi has 9 significant bits
	n := int32(float32(x*math.Log2E) - 0.5)          // round half away from zero, x ≤ 0
	fn := float32(n)
	r := float32(x-float32(fn*ln2Hi)) - float32(fn*ln2Lo)
	p := mad(r, 1.0/6, 1)
	for _, c := range [...]float32{1.0 / 5, 1.0 / 4, 1.0 / 3, 1.0 / 2, 1} {
		p = mad(float32(r*c), p, 1)
	}
	return p * math.Float32frombits(uint32(n+127)<<23)
}

// mad returns a·b + c with the product and the sum each rounded to
// float32: the explicit conversion keeps the compiler from fusing them
// (which it does on arm64 and with GOAMD64=v3), so that results do not
// depend on the architecture or the build's instruction level.
func mad(a, b, c float32) float32 { return float32(a*b) + c }
