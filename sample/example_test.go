package sample_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// ExampleBinningError estimates the mean of a correlated series — an AR(1)
// process x_t = a·x_{t−1} + noise with a = 0.9, whose integrated
// autocorrelation time is (1+a)/(2(1−a)) = 9.5 — and its error. The naive
// error σ/√n is too small by about √(2τ_int) ≈ 4.4.
func ExampleBinningError() {
	r := rand.New(rand.NewPCG(1, 2))
	const a, n = 0.9, 1 << 16
	x := make([]float64, n)
	v := 0.0
	for i := range x {
		v = a*v + math.Sqrt(1-a*a)*r.NormFloat64()
		x[i] = v
	}
	mean, stderr := sample.BinningError(x)
	tau, window := sample.TauInt(x)
	fmt.Printf("mean = %.3f ± %.3f\n", mean, stderr)
	fmt.Printf("naive error = %.4f\n", 1/math.Sqrt(n))
	fmt.Printf("tau_int = %.1f ± %.1f (window %d)\n", tau, sample.TauIntStderr(tau, window, n), window)
	fmt.Printf("exact error = %.3f\n", math.Sqrt(2*9.5/n))
	// Output:
	// mean = -0.003 ± 0.016
	// naive error = 0.0039
	// tau_int = 9.3 ± 0.5 (window 56)
	// exact error = 0.017
}

// flipper is a toy Sampler for the example: each step flips one spin of a
// periodic chain, chosen at random.
type flipper struct {
	r *rand.Rand
	g *lattice.Geometry
	x []int8
}

func (f *flipper) Step()                       { i := f.r.IntN(len(f.x)); f.x[i] = -f.x[i] }
func (f *flipper) Config() []int8              { return f.x }
func (f *flipper) Geometry() *lattice.Geometry { return f.g }

// ExampleCollect runs three chains of a toy sampler on a chain of 6 sites and
// stores 2 configurations per chain, one every 4 steps after 10 burn-in
// steps. Rows 0–1 come from chain 0, rows 2–3 from chain 1, rows 4–5 from
// chain 2, whatever the number of CPUs.
func ExampleCollect() {
	lat, err := lattice.NewChain(6)
	if err != nil {
		panic(err)
	}
	newChain := func(src rand.Source) (sample.Sampler, error) {
		x := []int8{1, 1, 1, 1, 1, 1}
		return &flipper{r: rand.New(src), g: lat.Geometry(), x: x}, nil
	}
	plan := sample.Plan{Chains: 3, BurnIn: 10, Every: 4, PerChain: 2}
	ds, err := sample.Collect(context.Background(), newChain, plan, rand.NewPCG(1, 2))
	if err != nil {
		panic(err)
	}
	fmt.Println(ds.N, "samples of", ds.D, "spins")
	for i := range ds.N {
		fmt.Println(ds.Row(i))
	}
	// Output:
	// 6 samples of 6 spins
	// [1 1 1 1 1 1]
	// [1 1 -1 -1 -1 -1]
	// [1 -1 1 1 -1 1]
	// [-1 1 1 -1 -1 -1]
	// [1 1 1 -1 -1 1]
	// [1 1 -1 1 -1 1]
}

// ExampleDataset_WriteNPY writes two configurations of a 2×2 lattice as a
// NumPy array of shape (n, Ly, Lx) and reads them back with the geometry
// inferred from that shape. In Python: x = np.load("x.npy").
func ExampleDataset_WriteNPY() {
	lat, err := lattice.NewSquare(2)
	if err != nil {
		panic(err)
	}
	ds, err := sample.NewDataset(lat.Geometry(), []int8{1, -1, -1, 1, 1, 1, 1, 1})
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	if err := ds.WriteNPY(&buf); err != nil {
		panic(err)
	}
	header := buf.Bytes()[10 : bytes.IndexByte(buf.Bytes(), '}')+1]
	fmt.Printf("%d-byte file, header %s\n", buf.Len(), header)
	back, err := sample.ReadNPY(&buf, nil) // geometry inferred: 2×2 square
	if err != nil {
		panic(err)
	}
	fmt.Println(back.N, back.Geom.Extents(), back.Row(1))
	// Output:
	// 136-byte file, header {'descr': '|i1', 'fortran_order': False, 'shape': (2, 2, 2), }
	// 2 [2 2] [1 1 1 1]
}
