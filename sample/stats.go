package sample

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Mean returns the arithmetic mean of x, or NaN if x is empty.
func Mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// minBins is the smallest number of bins a binning level may have for its
// error estimate to count in BinningError.
const minBins = 32

// BinningError returns the mean of the time series x and the standard error
// of that mean from a binning (blocking) analysis, which accounts for the
// autocorrelation of Markov-chain data.
//
// Level 0 is the series itself; level k+1 replaces each pair of consecutive
// values of level k by their average (an odd last value is dropped), so
// level k holds bins of 2^k original values. At a level with m bins b_j the
// error of the mean is
//
//	ε_k = sqrt( Σ_j (b_j − x̄)² / (m(m−1)) ),
//
// with x̄ the mean of the whole series. ε_k grows with k and levels off once
// bins are much longer than the integrated autocorrelation time, where
// ε_k² → 2τ_int·σ²/n. The returned stderr is the largest ε_k over the levels
// that still have at least 32 bins — a conservative estimate of the plateau,
// the same rule as the C reference codes in shared/anchors/ising_c/common.h.
// Level 0 always counts, so a series shorter than 32 values gets the naive
// (uncorrelated) error, which underestimates the error of correlated data.
// For the plateau to be reached the series should be at least a few thousand
// τ_int long.
//
// For fewer than 2 values stderr is NaN (and mean is NaN for none); if x
// holds a NaN or an infinity, mean and stderr are NaN or infinite. x is not
// modified.
func BinningError(x []float64) (mean, stderr float64) {
	n := len(x)
	mean = Mean(x)
	if n < 2 || math.IsNaN(mean) || math.IsInf(mean, 0) {
		return mean, math.NaN()
	}
	b := append([]float64(nil), x...)
	for level := 0; ; level++ {
		if level > 0 && n < minBins {
			break
		}
		if n < 2 {
			break
		}
		var v float64
		for _, y := range b[:n] {
			d := y - mean
			v += d * d
		}
		err := math.Sqrt(v / (float64(n) * float64(n-1)))
		if err > stderr {
			stderr = err
		}
		for i := 0; i < n/2; i++ {
			b[i] = 0.5 * (b[2*i] + b[2*i+1])
		}
		n /= 2
	}
	return mean, stderr
}

// sokalC is the constant c of Sokal's automatic windowing: the window W is the
// smallest W with W ≥ c·τ_int(W).
const sokalC = 6

// TauInt returns the integrated autocorrelation time of the time series x
// and the summation window used.
//
// Convention: τ_int = 1/2 + Σ_{t=1}^{W} ρ(t), with ρ(t) = C(t)/C(0) the
// normalized autocorrelation function, C(t) = Σ_{i<n−t} (x_i − x̄)(x_{i+t} − x̄)
// / (n − t). In this convention uncorrelated data have τ_int = 1/2 and the
// variance of the mean of n values is 2τ_int·σ²/n (Sokal 1997, eq. 2.19);
// an AR(1) process x_t = a·x_{t−1} + noise has τ_int = (1+a)/(2(1−a)).
// (Some authors, e.g. emcee, define τ = 1 + 2Σρ = 2τ_int.)
//
// The window is chosen by Sokal's automatic windowing with c = 6: W is the
// smallest window with W ≥ 6·τ_int(W). The window is capped at n/2; a
// returned window equal to len(x)/2 means no self-consistent window was found
// and the series is far too short (it should be ≳ 1000·τ_int long).
// The statistical error of the estimate is about TauIntStderr(tau, window, n).
//
// ρ(t) is computed by FFT in O(n log n). For fewer than 2 values, a constant
// series or one holding a NaN or an infinity, τ_int is undefined and TauInt
// returns NaN and window 0.
func TauInt(x []float64) (tau float64, window int) {
	rho := autocorr(x)
	if rho == nil {
		return math.NaN(), 0
	}
	n := len(x)
	tau = 0.5
	maxW := n / 2
	for w := 1; w <= maxW; w++ {
		tau += rho[w]
		if float64(w) >= sokalC*tau {
			return tau, w
		}
	}
	return tau, maxW
}

// TauIntStderr returns the approximate statistical error of an integrated
// autocorrelation time tau estimated with summation window w from n values
// (Madras & Sokal 1988): δτ ≈ τ·sqrt(2(2w+1)/n).
func TauIntStderr(tau float64, w, n int) float64 {
	return tau * math.Sqrt(2*float64(2*w+1)/float64(n))
}

// Autocorrelation returns the normalized autocorrelation function ρ(t) of x
// for t = 0 … maxLag (ρ(0) = 1), with the normalization described in TauInt.
// maxLag is clipped to len(x)−1. It returns nil for fewer than 2 values or a
// constant series.
func Autocorrelation(x []float64, maxLag int) []float64 {
	rho := autocorr(x)
	if rho == nil {
		return nil
	}
	if maxLag > len(x)-1 {
		maxLag = len(x) - 1
	}
	if maxLag < 0 {
		maxLag = 0
	}
	return rho[: maxLag+1 : maxLag+1]
}

// autocorr returns ρ(t) for t = 0 … n−1, or nil if undefined.
func autocorr(x []float64) []float64 {
	n := len(x)
	if n < 2 {
		return nil
	}
	constant := true
	for _, v := range x[1:] {
		if v != x[0] {
			constant = false
			break
		}
	}
	if constant {
		// Checked exactly: x − x̄ may be round-off noise rather than 0.
		return nil
	}
	m := Mean(x)
	// Zero-pad to a power of two ≥ 2n so the circular correlation equals the
	// linear one.
	p := 1
	for p < 2*n {
		p <<= 1
	}
	buf := make([]float64, p)
	for i, v := range x {
		buf[i] = v - m
	}
	fft := fourier.NewFFT(p)
	c := fft.Coefficients(nil, buf)
	for i, z := range c {
		c[i] = complex(real(z)*real(z)+imag(z)*imag(z), 0)
	}
	acf := fft.Sequence(buf, c) // unnormalized: p·Σ
	c0 := acf[0]
	if !(c0 > 0) || math.IsInf(c0, 0) || math.IsNaN(c0) {
		return nil
	}
	rho := make([]float64, n)
	c0 /= float64(n)
	for t := 0; t < n; t++ {
		rho[t] = acf[t] / float64(n-t) / c0
	}
	rho[0] = 1
	return rho
}

// Jackknife returns a jackknife estimate and its standard error over n
// blocks. estimate(skip) must return the estimate computed from all blocks
// except block skip (0 ≤ skip < n); estimate(-1) must return the estimate
// from all blocks. With θ the full estimate and θ_i the leave-one-out
// estimates,
//
//	value  = θ
//	stderr = sqrt( (n−1)/n · Σ_i (θ_i − θ̄)² ),  θ̄ = mean of θ_i.
//
// For the mean of the block means this stderr equals the usual standard
// error of the mean of n blocks exactly. value is the full estimate, not the
// bias-corrected n·θ − (n−1)·θ̄ (whose difference from θ is the jackknife bias
// estimate; compute it from JackknifeBias if needed). Blocks should be longer
// than a few integrated autocorrelation times for the error to be honest.
//
// n must be at least 2; otherwise stderr is NaN. estimate is called n+1 times,
// sequentially.
func Jackknife(n int, estimate func(skip int) float64) (value, stderr float64) {
	value, stderr, _ = jackknife(n, estimate)
	return value, stderr
}

// JackknifeBias is like Jackknife but also returns the jackknife estimate of
// the bias of the full estimate, (n−1)(θ̄ − θ); the bias-corrected estimate is
// value − bias.
func JackknifeBias(n int, estimate func(skip int) float64) (value, stderr, bias float64) {
	return jackknife(n, estimate)
}

func jackknife(n int, estimate func(skip int) float64) (value, stderr, bias float64) {
	value = estimate(-1)
	if n < 2 {
		return value, math.NaN(), math.NaN()
	}
	th := make([]float64, n)
	for i := range th {
		th[i] = estimate(i)
	}
	m := Mean(th)
	var v float64
	for _, t := range th {
		d := t - m
		v += d * d
	}
	stderr = math.Sqrt(float64(n-1) / float64(n) * v)
	bias = float64(n-1) * (m - value)
	return value, stderr, bias
}

// BlockBounds returns the half-open range [lo, hi) of block k when n values
// are split into nblocks contiguous blocks as evenly as possible (the first
// n mod nblocks blocks get one extra value). It is the split to use with
// Jackknife over a time series.
//
// BlockBounds is defined for every argument and never panics: always
// 0 ≤ lo ≤ hi ≤ max(n, 0). Blocks 0 … nblocks−1 tile [0, n) in order (when
// nblocks > n the last nblocks − n are empty); a block that does not exist
// is the empty range at the near end, [0, 0) for k < 0 and [n, n) for
// k ≥ nblocks. So nblocks < 1 (no blocks) gives empty ranges, n < 0 counts
// as 0, and a loop over k = 0 … nblocks−1 visits every value exactly once.
func BlockBounds(n, nblocks, k int) (lo, hi int) {
	n = max(n, 0)
	switch {
	case k < 0:
		return 0, 0
	case k >= nblocks:
		return n, n
	}
	q, r := n/nblocks, n%nblocks
	lo = k*q + min(k, r) // ≤ n: k < nblocks
	hi = lo + q
	if k < r {
		hi++
	}
	return lo, hi
}
