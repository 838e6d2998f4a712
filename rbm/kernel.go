package rbm

import (
	"fmt"
	"math"
)

// Register-blocked float32 matrix kernels for the training loop.
//
// Two shapes cover every product of a CD/PCD update (unit-major batches,
// one row per unit and one column per sample):
//
//	mm32:   C = A·B   (hidden and visible pre-activations: W or Wᵀ times a batch)
//	dots32: D = A·Bᵀ  (the weight gradient: visible batch times hidden batch)
//
// Every element is computed in one fixed order of fused multiply-adds
// (one rounding per multiply-add, as the FMA instruction does), so the
// assembly kernels (kernel_amd64.s, used on CPUs with AVX2 and FMA) and
// the portable Go code below give the same bits: a training run does not
// depend on the path taken. mm32 sums over k in order 0, 1, …; dots32
// keeps eight partial sums (lane l takes the terms s ≡ l mod 8, in order)
// and adds them as ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)).

// fma32 returns a·b + c rounded once to float32, like the FMA instruction.
// The product of two float32 is exact in float64; the float64 sum is then
// rounded to float32, which gives the correctly rounded result unless the
// sum was inexact and landed exactly halfway between two float32 values
// (double rounding): that case is detected by the sum's low mantissa bits
// and resolved by rounding the float64 sum to odd first (Boldo & Melquiond
// 2008), which makes the second rounding correct.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	cc := float64(c)
	s := p + cc
	u := math.Float64bits(s)
	if u&(1<<28-1) != 0 { // not a float32 value or midpoint: one rounding suffices
		return float32(s)
	}
	bb := s - p // TwoSum: s + e = p + c exactly
	e := (p - (s - bb)) + (cc - bb)
	if e != 0 && u&1 == 0 && !math.IsInf(s, 0) {
		if (e > 0) == (s > 0) {
			u++
		} else {
			u--
		}
		s = math.Float64frombits(u)
	}
	return float32(s)
}

// lanes is the number of partial sums of dots32 (one AVX register of float32).
const lanes = 8

// maskTab[8−r:16−r] selects the first r lanes of a vector (VMASKMOVPS).
var maskTab = [2 * lanes]int32{-1, -1, -1, -1, -1, -1, -1, -1}

// laneMask returns the mask selecting the first n%8 lanes (all lanes if n%8 == 0).
func laneMask(n int) *int32 {
	r := n % lanes
	if r == 0 {
		r = lanes
	}
	return &maskTab[lanes-r]
}

// need panics unless s holds a rows×cols matrix with row stride ld.
func need(what string, s []float32, rows, cols, ld int) {
	if rows > 0 && cols > 0 && (ld < cols || len(s) < (rows-1)*ld+cols) {
		panic(fmt.Sprintf("rbm: %s has %d elements (stride %d), too few for %d×%d", what, len(s), ld, rows, cols))
	}
}

// mm32 sets C (m×n, row stride ldc) to A·B with A m×k (stride lda) and B
// k×n (stride ldb); see the file comment for the order of operations.
func mm32(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	need("mm32 A", a, m, k, lda)
	need("mm32 B", b, k, n, ldb)
	need("mm32 C", c, m, n, ldc)
	if !useAVX2 || k == 0 {
		mm32Go(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	r := 0
	for ; r+4 <= m; r += 4 {
		mm4AVX2(&a[r*lda], lda, &b[0], ldb, &c[r*ldc], ldc, k, n, laneMask(n))
	}
	for ; r < m; r++ {
		mm1AVX2(&a[r*lda], &b[0], ldb, &c[r*ldc], k, n, laneMask(n))
	}
}

// mm32Go is the portable mm32.
func mm32Go(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for r := range m {
		cr := c[r*ldc : r*ldc+n]
		clear(cr)
		ar := a[r*lda : r*lda+k]
		for p, x := range ar {
			br := b[p*ldb : p*ldb+n]
			for j, y := range br {
				cr[j] = fma32(x, y, cr[j])
			}
		}
	}
}

// dots32 sets D (m×n, row stride ldd) to A·Bᵀ with A m×k (stride lda) and
// B n×k (stride ldb): D[i][j] = Σ_s A[i][s]·B[j][s], summed in eight
// lanes (see the file comment).
func dots32(m, n, k int, a []float32, lda int, b []float32, ldb int, d []float32, ldd int) {
	if m <= 0 || n <= 0 {
		return
	}
	need("dots32 A", a, m, k, lda)
	need("dots32 B", b, n, k, ldb)
	need("dots32 D", d, m, n, ldd)
	mb, nb := 0, 0 // rows and columns done by the assembly kernel
	if useAVX2 && k > 0 {
		mb, nb = m-m%3, n-n%4
		for i := 0; i < mb; i += 3 {
			for j := 0; j < nb; j += 4 {
				dot34AVX2(&a[i*lda], lda, &b[j*ldb], ldb, &d[i*ldd+j], ldd, k, laneMask(k))
			}
		}
	}
	// the rest: columns nb… of the first mb rows, then the rows mb…
	for i := range m {
		j0 := 0
		if i < mb {
			j0 = nb
		}
		ai := a[i*lda : i*lda+k]
		for j := j0; j < n; j++ {
			if useAVX2 && k > 0 {
				d[i*ldd+j] = dot11AVX2(&ai[0], &b[j*ldb], k, laneMask(k))
			} else {
				d[i*ldd+j] = dotGo(ai, b[j*ldb:j*ldb+k])
			}
		}
	}
}

// dotGo is one element of the portable dots32.
func dotGo(a, b []float32) float32 {
	var l [lanes]float32
	b = b[:len(a)]
	s := 0
	for ; s+lanes <= len(a); s += lanes {
		for q := range lanes {
			l[q] = fma32(a[s+q], b[s+q], l[q])
		}
	}
	for q := 0; s+q < len(a); q++ {
		l[q] = fma32(a[s+q], b[s+q], l[q])
	}
	return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}

// sigParams are the constants of a row of sigRow (the layout is read by
// kernel_amd64.s).
type sigParams struct {
	a, b      float32 // table coordinate t = a·x + b
	m, o      float32 // statistic m·p + o
	span, off float32 // sample span·[u < p] + off
	top       float32 // sigN
	_         float32
	tab       *[sigN + 1][2]float32
}

// sigRow modes.
const (
	sigStats       = iota // x ← m·p + o
	sigStatsSample        // and dst ← span·[u < p] + off
	sigSample             // x ← span·[u < p] + off
)

// sigRow applies the tabulated sigmoid p = σ at table coordinate a·x + b to
// the row x and writes, by mode, the statistics m·p + o, the samples
// span·[u < p] + off drawn with the uniforms u, or both (samples to dst).
// It returns the sum of the values written to x, taken in eight lanes
// (element k in lane k mod 8) reduced as dots32 reduces, so that the
// assembly and the portable code agree.
func sigRow(x []float32, p *sigParams, u, dst []float32, mode int) float32 {
	if mode != sigStats {
		u = u[:len(x)]
		if mode == sigStatsSample {
			dst = dst[:len(x)]
		}
	}
	if useAVX2 && len(x) > 0 {
		var up, dp *float32
		if mode != sigStats {
			up = &u[0]
			dp = &x[0]
			if mode == sigStatsSample {
				dp = &dst[0]
			}
		}
		return sigRowAVX2(&x[0], len(x), p, up, dp, mode, laneMask(len(x)))
	}
	return sigRowGo(x, p, u, dst, mode)
}

// sigRowGo is the portable sigRow.
func sigRowGo(x []float32, p *sigParams, u, dst []float32, mode int) float32 {
	var l [lanes]float32
	for k, xv := range x {
		pr := sigT(mad(p.a, xv, p.b))
		var v float32
		if mode != sigSample {
			v = mad(p.m, pr, p.o)
			x[k] = v
		}
		if mode != sigStats {
			s := mad(p.span, onBit(u[k], pr), p.off)
			if mode == sigSample {
				v = s
				x[k] = s
			} else {
				dst[k] = s
			}
		}
		l[k%lanes] += v
	}
	return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}
