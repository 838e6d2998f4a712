package xrand

import (
	"math/rand/v2"
	"testing"
)

// The reference output of xoshiro256** for the state {1, 2, 3, 4}, from the
// authors' C code (xoshiro256starstar.c).
func TestReferenceStream(t *testing.T) {
	r := Xoshiro{1, 2, 3, 4}
	want := []uint64{11520, 0, 1509978240, 1215971899390074240}
	for i, w := range want {
		if got := r.Uint64(); got != w {
			t.Fatalf("output %d = %d, want %d", i, got, w)
		}
	}
}

func TestSeedingAndRoundTrip(t *testing.T) {
	a := New(rand.NewPCG(1, 2))
	b := New(rand.NewPCG(1, 2))
	for i := 0; i < 10; i++ {
		if a.Uint64() != b.Uint64() {
			t.Fatal("same seed, different streams")
		}
	}
	st, _ := a.MarshalBinary()
	var c Xoshiro
	if err := c.UnmarshalBinary(st); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if a.Uint64() != c.Uint64() {
			t.Fatal("restored state diverges")
		}
	}
	if err := c.UnmarshalBinary(make([]byte, 32)); err == nil {
		t.Error("all-zero state accepted")
	}
	if err := c.UnmarshalBinary(make([]byte, 31)); err == nil {
		t.Error("short state accepted")
	}
	// A constant source still gives a non-degenerate state.
	z := New(zeroSource{})
	if z.S0|z.S1|z.S2|z.S3 == 0 {
		t.Error("zero state from a constant source")
	}
}

type zeroSource struct{}

func (zeroSource) Uint64() uint64 { return 0 }

func TestIntnUniform(t *testing.T) {
	r := New(rand.NewPCG(3, 4))
	const n, draws = 7, 70000
	var c [n]int
	for i := 0; i < draws; i++ {
		c[r.Intn(n)]++
	}
	// χ² with 6 degrees of freedom; 30 is far beyond the 99.99% point (27.9).
	var chi2 float64
	for _, k := range c {
		d := float64(k) - draws/n
		chi2 += d * d / (draws / n)
	}
	if chi2 > 30 {
		t.Errorf("χ² = %.1f for %v", chi2, c)
	}
}
