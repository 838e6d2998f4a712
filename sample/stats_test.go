package sample

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/internal/size/sizetest"
)

// ar1 returns n values of the stationary AR(1) process
// x_t = a·x_{t−1} + sqrt(1−a²)·ε_t (unit variance, ρ(t) = a^t,
// τ_int = (1+a)/(2(1−a))).
func ar1(src rand.Source, a float64, n int) []float64 {
	r := rand.New(src)
	x := make([]float64, n)
	s := math.Sqrt(1 - a*a)
	v := r.NormFloat64() // stationary start
	for i := range x {
		x[i] = v
		v = a*v + s*r.NormFloat64()
	}
	return x
}

// ar1VarMean is the exact variance of the mean of n consecutive values of the
// unit-variance AR(1) process: (1/n)[1 + 2Σ_{t=1}^{n−1}(1−t/n)a^t].
func ar1VarMean(a float64, n int) float64 {
	s := 1.0
	p := 1.0
	for t := 1; t < n; t++ {
		p *= a
		s += 2 * (1 - float64(t)/float64(n)) * p
	}
	return s / float64(n)
}

func TestMean(t *testing.T) {
	if m := Mean([]float64{1, 2, 3, 6}); m != 3 {
		t.Errorf("Mean = %v, want 3", m)
	}
	if m := Mean(nil); !math.IsNaN(m) {
		t.Errorf("Mean(nil) = %v, want NaN", m)
	}
}

func TestBinningErrorExact(t *testing.T) {
	// Runs of 16 equal values ±1: level k ≤ 4 has m = n/2^k bins of ±1 and
	// error 1/sqrt(m−1); level 5 averages a +run with a −run to 0. The largest
	// error over levels with ≥ 32 bins is level 4: 1/sqrt(63).
	n := 1024
	x := make([]float64, n)
	for i := range x {
		x[i] = 1
		if (i/16)%2 == 1 {
			x[i] = -1
		}
	}
	orig := append([]float64(nil), x...)
	m, e := BinningError(x)
	if m != 0 || math.Abs(e-1/math.Sqrt(63)) > 1e-15 {
		t.Errorf("runs of 16: got (%v, %v), want (0, %v)", m, e, 1/math.Sqrt(63))
	}
	for i := range x {
		if x[i] != orig[i] {
			t.Fatal("BinningError modified its input")
		}
	}
	// Alternating ±1: only level 0 is nonzero, 1/sqrt(n−1).
	for i := range x {
		x[i] = float64(1 - 2*(i%2))
	}
	if m, e := BinningError(x); m != 0 || math.Abs(e-1/math.Sqrt(float64(n-1))) > 1e-15 {
		t.Errorf("alternating: got (%v, %v), want (0, %v)", m, e, 1/math.Sqrt(float64(n-1)))
	}
	// Runs of 64 in a series of 1024: levels up to 5 (32 bins) count; level 5
	// has 32 bins of ±1, error 1/sqrt(31); level 6 (16 bins) must not count.
	for i := range x {
		x[i] = 1
		if (i/64)%2 == 1 {
			x[i] = -1
		}
	}
	if _, e := BinningError(x); math.Abs(e-1/math.Sqrt(31)) > 1e-15 {
		t.Errorf("runs of 64: err %v, want %v (levels with < 32 bins must not count)", e, 1/math.Sqrt(31))
	}
	// Short series: the naive error.
	if m, e := BinningError([]float64{1, 3}); m != 2 || math.Abs(e-1) > 1e-15 {
		t.Errorf("two values: got (%v, %v), want (2, 1)", m, e)
	}
	if _, e := BinningError([]float64{1, math.NaN(), 2}); !math.IsNaN(e) {
		t.Errorf("NaN in series: err %v, want NaN", e)
	}
	if _, e := BinningError([]float64{1}); !math.IsNaN(e) {
		t.Errorf("one value: err %v, want NaN", e)
	}
}

// TestBinningErrorAR1 checks binning errors of AR(1) series against the exact
// variance of the mean. Over R independent replicas, (a) the root mean square
// of the estimated errors must lie within [0.93, 1.25] of the exact error
// (the max-over-levels rule is conservative: biased up by the noise of the
// coarsest levels, ≈ 10%), and (b) |mean| < 2·stderr must hold in 90–99% of
// the replicas (≈ 95% expected; the binomial sd over 200 replicas is 1.5%).
func TestBinningErrorAR1(t *testing.T) {
	const (
		a = 0.9 // τ_int = 9.5
		n = 1 << 14
		R = 200
	)
	exact := math.Sqrt(ar1VarMean(a, n))
	src := rand.NewPCG(1, 2)
	var s2 float64
	covered := 0
	for range R {
		m, e := BinningError(ar1(src, a, n))
		s2 += e * e
		if math.Abs(m) < 2*e {
			covered++
		}
	}
	ratio := math.Sqrt(s2/R) / exact
	t.Logf("rms binning error / exact = %.3f; coverage of ±2σ = %d/%d", ratio, covered, R)
	if ratio < 0.93 || ratio > 1.25 {
		t.Errorf("rms binning error / exact = %.3f, want in [0.93, 1.25]", ratio)
	}
	if covered < 180 || covered > 198 {
		t.Errorf("coverage of ±2σ = %d/%d, want 180–198", covered, R)
	}
}

func TestTauIntAR1(t *testing.T) {
	for _, a := range []float64{0, 0.5, 0.8, 0.95} {
		n := 1 << 17
		x := ar1(rand.NewPCG(3, uint64(100*a)), a, n)
		tau, w := TauInt(x)
		want := (1 + a) / (2 * (1 - a))
		// Truncation bias of the window, Σ_{t>W} a^t, is included in want.
		want -= math.Pow(a, float64(w+1)) / (1 - a)
		se := TauIntStderr(tau, w, n)
		t.Logf("a=%.2f: tau=%.4f ± %.4f (window %d), exact %.4f", a, tau, se, w, want)
		if math.Abs(tau-want) > 4*se {
			t.Errorf("a=%v: tau = %v ± %v, want %v", a, tau, se, want)
		}
		if float64(w) < 6*tau || (w > 1 && float64(w-1) >= 6*tauUpTo(x, w-1)) {
			t.Errorf("a=%v: window %d is not the smallest W ≥ 6τ(W) (τ=%v)", a, w, tau)
		}
		// Consistency: 2τ·σ²/n against the binning error.
		_, be := BinningError(x)
		v := variance(x)
		t.Logf("a=%.2f: binning %.3g vs sqrt(2τσ²/n) %.3g", a, be, math.Sqrt(2*tau*v/float64(n)))
	}
}

func tauUpTo(x []float64, w int) float64 {
	rho := Autocorrelation(x, w)
	tau := 0.5
	for _, r := range rho[1:] {
		tau += r
	}
	return tau
}

func variance(x []float64) float64 {
	m := Mean(x)
	var v float64
	for _, y := range x {
		v += (y - m) * (y - m)
	}
	return v / float64(len(x))
}

func TestAutocorrelationDirect(t *testing.T) {
	x := ar1(rand.NewPCG(5, 6), 0.7, 1000)
	m := Mean(x)
	var c0 float64
	for _, v := range x {
		c0 += (v - m) * (v - m)
	}
	c0 /= float64(len(x))
	rho := Autocorrelation(x, 2000)
	if len(rho) != len(x) {
		t.Fatalf("len(rho) = %d, want clipped to %d", len(rho), len(x))
	}
	for _, tt := range []int{0, 1, 2, 5, 50, 998, 999} {
		var c float64
		for i := 0; i+tt < len(x); i++ {
			c += (x[i] - m) * (x[i+tt] - m)
		}
		want := c / float64(len(x)-tt) / c0
		if math.Abs(rho[tt]-want) > 1e-10 {
			t.Errorf("rho(%d) = %v, direct %v", tt, rho[tt], want)
		}
	}
}

func TestTauIntEdgeCases(t *testing.T) {
	if tau, w := TauInt([]float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}); !math.IsNaN(tau) || w != 0 {
		t.Errorf("constant series: (%v, %d), want (NaN, 0)", tau, w)
	}
	if tau, w := TauInt([]float64{1, 2, math.NaN(), 4}); !math.IsNaN(tau) || w != 0 {
		t.Errorf("NaN in series: (%v, %d), want (NaN, 0)", tau, w)
	}
	if tau, w := TauInt([]float64{1}); !math.IsNaN(tau) || w != 0 {
		t.Errorf("single value: (%v, %d), want (NaN, 0)", tau, w)
	}
	// Alternating ±1: ρ(1) = −1 exactly, τ(1) = −1/2 ≤ 6·1, so W = 1.
	x := make([]float64, 64)
	for i := range x {
		x[i] = float64(1 - 2*(i%2))
	}
	if tau, w := TauInt(x); math.Abs(tau+0.5) > 1e-12 || w != 1 {
		t.Errorf("alternating: (%v, %d), want (-0.5, 1)", tau, w)
	}
	// A linear ramp never satisfies W ≥ 6τ before n/2: window is capped.
	for i := range x {
		x[i] = float64(i)
	}
	if _, w := TauInt(x); w != len(x)/2 {
		t.Errorf("ramp: window %d, want cap %d", w, len(x)/2)
	}
}

func TestJackknifeMean(t *testing.T) {
	b := []float64{1.5, -0.25, 3, 2, 0.125, -1, 4.5}
	n := len(b)
	mean := func(skip int) float64 {
		var s float64
		k := 0
		for i, v := range b {
			if i != skip {
				s += v
				k++
			}
		}
		return s / float64(k)
	}
	val, se, bias := JackknifeBias(n, mean)
	m := Mean(b)
	var S float64
	for _, v := range b {
		S += (v - m) * (v - m)
	}
	want := math.Sqrt(S / float64(n*(n-1)))
	if math.Abs(val-m) > 1e-15 || math.Abs(se-want) > 1e-14 || math.Abs(bias) > 1e-14 {
		t.Errorf("jackknife of mean = (%v, %v, bias %v), want (%v, %v, 0)", val, se, bias, m, want)
	}
	// θ = mean²: bias-corrected estimate is exactly m² − s²/n, s² = S/(n−1).
	sq := func(skip int) float64 { v := mean(skip); return v * v }
	val, _, bias = JackknifeBias(n, sq)
	if got, want := val-bias, m*m-S/float64(n-1)/float64(n); math.Abs(got-want) > 1e-13 {
		t.Errorf("bias-corrected mean² = %v, want %v", got, want)
	}
	if v, se := Jackknife(1, func(int) float64 { return 7 }); v != 7 || !math.IsNaN(se) {
		t.Errorf("n=1: (%v, %v), want (7, NaN)", v, se)
	}
}

func TestBlockBounds(t *testing.T) {
	for _, c := range []struct{ n, nb int }{{10, 3}, {9, 3}, {5, 5}, {100, 7}, {3, 5}} {
		prev := 0
		for k := 0; k < c.nb; k++ {
			lo, hi := BlockBounds(c.n, c.nb, k)
			if lo != prev || hi < lo || hi-lo > c.n/c.nb+1 || hi-lo < c.n/c.nb {
				t.Errorf("BlockBounds(%d,%d,%d) = [%d,%d)", c.n, c.nb, k, lo, hi)
			}
			prev = hi
		}
		if prev != c.n {
			t.Errorf("BlockBounds(%d,%d,·) covers [0,%d)", c.n, c.nb, prev)
		}
	}
}

func BenchmarkTauInt(b *testing.B) {
	x := ar1(rand.NewPCG(1, 1), 0.9, 1<<16)
	b.ReportAllocs()
	for b.Loop() {
		TauInt(x)
	}
}

func BenchmarkBinningError(b *testing.B) {
	x := ar1(rand.NewPCG(1, 1), 0.9, 1<<16)
	b.ReportAllocs()
	for b.Loop() {
		BinningError(x)
	}
}

// TestBlockBoundsMisuse checks the contract of BlockBounds for every
// argument (issue 14.7): never a panic, always 0 ≤ lo ≤ hi ≤ max(n, 0), empty
// ranges for blocks that do not exist.
func TestBlockBoundsMisuse(t *testing.T) {
	for _, c := range []struct{ n, nb, k, lo, hi int }{
		{10, 0, 0, 10, 10},  // no blocks: every k is past the last
		{10, 0, -1, 0, 0},   // …or before the first
		{10, -3, 1, 10, 10}, // negative count: no blocks
		{10, 3, 5, 10, 10},  // k ≥ nblocks
		{10, 3, 3, 10, 10},
		{10, 3, -1, 0, 0},
		{-5, 3, 1, 0, 0}, // negative n: nothing to split
		{0, 3, 2, 0, 0},
		{3, 5, 4, 3, 3}, // more blocks than values: the last are empty
		{sizetest.Huge, 3, 2, (2*sizetest.Huge + 2) / 3, sizetest.Huge}, // no overflow
	} {
		var lo, hi int
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("BlockBounds(%d, %d, %d) panics: %v", c.n, c.nb, c.k, r)
				}
			}()
			lo, hi = BlockBounds(c.n, c.nb, c.k)
		}()
		if lo != c.lo || hi != c.hi {
			t.Errorf("BlockBounds(%d, %d, %d) = [%d, %d), want [%d, %d)", c.n, c.nb, c.k, lo, hi, c.lo, c.hi)
		}
	}
}
