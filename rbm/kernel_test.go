package rbm

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestFMA32 compares fma32 with a·b + c computed exactly (math/big) and
// rounded once to float32, on random operands and on constructed
// double-rounding cases (a·b + c within 2^−60 of a float32 midpoint).
func TestFMA32(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	exact := func(a, b, c float32) float32 {
		x := new(big.Float).SetPrec(400).SetFloat64(float64(a))
		x.Mul(x, new(big.Float).SetPrec(400).SetFloat64(float64(b)))
		x.Add(x, new(big.Float).SetPrec(400).SetFloat64(float64(c)))
		f, _ := x.Float32()
		return f
	}
	check := func(a, b, c float32) {
		if got, want := fma32(a, b, c), exact(a, b, c); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma32(%g, %g, %g) = %g, exact %g", a, b, c, got, want)
		}
	}
	r32 := func() float32 { return float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20))) }
	for range 200000 {
		check(r32(), r32(), r32())
	}
	// c a float32, a·b just above or below half an ulp of c: the float64
	// sum rounds to the midpoint, a second rounding would go astray
	hard := 0
	for range 20000 {
		c := float32(1 + rng.Float64())
		half := math.Nextafter32(c, 2) - c
		half /= 2
		a := float32(1 + float64(rng.IntN(1<<10))*0x1p-23) // few significant bits
		bt := float64(half) / float64(a) * (1 + float64(rng.IntN(9)-4)*0x1p-40)
		b := float32(bt)
		if float32(float64(a)*float64(b)+float64(c)) != exact(a, b, c) {
			hard++ // a plain double rounding would be wrong here
		}
		check(a, b, c)
		check(-a, b, -c)
	}
	check(0, 5, -0)
	if x := fma32(float32(math.Inf(1)), 1, 2); !math.IsInf(float64(x), 1) {
		t.Errorf("fma32(Inf, 1, 2) = %v", x)
	}
	if x := fma32(3, 4, float32(math.NaN())); x == x {
		t.Errorf("fma32(3, 4, NaN) = %v", x)
	}
	if hard < 100 {
		t.Errorf("only %d of the constructed cases defeat plain double rounding", hard)
	}
}

// kernelCase is a random instance of both kernel shapes.
type kernelCase struct {
	m, n, k, lda, ldb, ldc int
	a, b                   []float32
}

func randKernelCase(rng *rand.Rand, binary bool) kernelCase {
	c := kernelCase{m: 1 + rng.IntN(13), n: 1 + rng.IntN(70), k: 1 + rng.IntN(45)}
	c.lda, c.ldb, c.ldc = c.k+rng.IntN(5), c.n+rng.IntN(9), c.n+rng.IntN(3)
	c.a = make([]float32, (c.m-1)*c.lda+c.k+rng.IntN(3))
	c.b = make([]float32, 64*64+200)
	for i := range c.a {
		c.a[i] = float32(rng.NormFloat64())
	}
	for i := range c.b {
		if binary {
			c.b[i] = float32(rng.IntN(2))
		} else {
			c.b[i] = float32(rng.NormFloat64())
		}
	}
	return c
}

// TestKernelsPortable requires the assembly kernels (where the CPU has
// them) to give the same bits as the portable code on random shapes with
// every kind of remainder, and both to match float64 products closely.
func TestKernelsPortable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	for it := range 400 {
		c := randKernelCase(rng, it%2 == 0)
		run := func(fast bool, dots bool) []float32 {
			useAVX2 = fast && saved
			out := make([]float32, (c.m-1)*c.ldc+c.n+5)
			for i := range out {
				out[i] = -7 // untouched padding stays −7
			}
			if dots { // D = A·Bᵀ: B is n×k with stride ldb ≥ k
				dots32(c.m, c.n, c.k, c.a, c.lda, c.b, c.k+3, out, c.ldc)
			} else {
				mm32(c.m, c.n, c.k, c.a, c.lda, c.b, c.ldb, out, c.ldc)
			}
			return out
		}
		for _, dots := range []bool{false, true} {
			fast, slow := run(true, dots), run(false, dots)
			for i := range fast {
				if math.Float32bits(fast[i]) != math.Float32bits(slow[i]) {
					t.Fatalf("case %d (dots %v, %d×%d×%d): element %d: assembly %v, portable %v", it, dots, c.m, c.n, c.k, i, fast[i], slow[i])
				}
			}
			for i := range c.m {
				for j := range c.n {
					want := 0.0
					for p := range c.k {
						if dots {
							want += float64(c.a[i*c.lda+p]) * float64(c.b[j*(c.k+3)+p])
						} else {
							want += float64(c.a[i*c.lda+p]) * float64(c.b[p*c.ldb+j])
						}
					}
					if got := float64(slow[i*c.ldc+j]); math.Abs(got-want) > 1e-5*float64(c.k) {
						t.Fatalf("case %d (dots %v): C[%d,%d] = %v, float64 %v", it, dots, i, j, got, want)
					}
				}
			}
			for i := range c.m {
				for j := c.n; j < c.ldc && i*c.ldc+j < len(slow); j++ {
					if slow[i*c.ldc+j] != -7 || fast[i*c.ldc+j] != -7 {
						t.Fatalf("case %d: padding C[%d,%d] overwritten", it, i, j)
					}
				}
			}
		}
	}
	t.Logf("assembly kernels available: %v", saved)
}

// TestSigRowPortable requires the assembly sigRow to give the same bits
// as the portable one in every mode, for rows of every length mod 8 and
// arguments beyond the table (±Inf, NaN).
func TestSigRowPortable(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	for it := range 300 {
		n := rng.IntN(40)
		x := make([]float32, n)
		u := make([]float32, n)
		for k := range x {
			x[k] = float32(rng.NormFloat64() * 6)
			u[k] = float32(rng.IntN(1<<24)) * 0x1p-24
		}
		if n > 3 {
			x[0], x[1], x[2] = float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())
		}
		A, B := sigArg(1+float32(it%2), float32(rng.NormFloat64()))
		p := sigParams{a: A, b: B, m: 0.37, o: -0.2, span: 2, off: -1, top: sigN, tab: &sigTab}
		for mode := range 3 {
			run := func(fast bool) ([]float32, []float32, float32) {
				useAVX2 = fast && saved
				xs := append([]float32(nil), x...)
				d := make([]float32, n)
				s := sigRow(xs, &p, u, d, mode)
				return xs, d, s
			}
			x1, d1, s1 := run(true)
			x0, d0, s0 := run(false)
			if math.Float32bits(s1) != math.Float32bits(s0) {
				t.Fatalf("n %d mode %d: sum %v (assembly), %v (portable)", n, mode, s1, s0)
			}
			for k := range n {
				if math.Float32bits(x1[k]) != math.Float32bits(x0[k]) || math.Float32bits(d1[k]) != math.Float32bits(d0[k]) {
					t.Fatalf("n %d mode %d element %d: %v %v (assembly), %v %v (portable)", n, mode, k, x1[k], d1[k], x0[k], d0[k])
				}
			}
			if mode == sigStats && n > 5 {
				if want := 0.37*fastSigmoid(A*x[5]/sigScale+(B/sigScale-sigRange)) - 0.2; math.Abs(float64(x0[5]-want)) > 1e-5 {
					t.Fatalf("statistic %v, want %v", x0[5], want)
				}
			}
		}
	}
}
