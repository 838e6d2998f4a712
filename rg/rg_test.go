package rg

import (
	"bytes"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/rsmi-go/rsmi/internal/chainsample"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

func randomDataset(t testing.TB, lat *lattice.Lattice, n int, r *rand.Rand) *sample.Dataset {
	data := make([]int8, n*lat.N())
	for i := range data {
		data[i] = int8(2*r.IntN(2) - 1)
	}
	ds, err := sample.NewDataset(lat.Geometry(), data)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// chainNN returns the exact <s_i s_{i+1}> of the periodic chain of L sites at
// coupling K: (t + t^{L−1})/(1 + t^L), t = tanh K.
func chainNN(L int, K float64) float64 {
	t := math.Tanh(K)
	return (t + math.Pow(t, float64(L-1))) / (1 + math.Pow(t, float64(L)))
}

// TestDecimationChainFlow checks that decimating exact samples of the Ising
// chain by b = 2 gives, level after level, the chain at K' = ½ ln cosh 2K:
// the coarse nearest-neighbour correlation matches the exact value at the
// iterated coupling within 4 standard errors.
func TestDecimationChainFlow(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const L, n = 256, 4000
	K := 1.2
	lat, _ := lattice.NewChain(L)
	ds, err := sample.NewDataset(lat.Geometry(), chainsample.Periodic(L, n, K, r))
	if err != nil {
		t.Fatal(err)
	}
	src := rand.NewPCG(3, 4)
	for level := 1; level <= 4; level++ {
		coarse, err := Coarsen(ds, lat, 2, rsmi.Decimation{}, src)
		if err != nil {
			t.Fatal(err)
		}
		lat, _ = lattice.NewChain(L >> level)
		ds = coarse
		K = 0.5 * math.Log(math.Cosh(2*K))
		x := make([]float64, ds.N)
		for i := range x {
			s := ds.Row(i)
			var c float64
			for j := range s {
				c += float64(s[j] * s[(j+1)%len(s)])
			}
			x[i] = c / float64(len(s))
		}
		mean, se := sample.BinningError(x)
		want := chainNN(lat.N(), K)
		t.Logf("level %d: K = %.4f, <ss> = %.4f ± %.4f, exact %.4f", level, K, mean, se, want)
		if math.Abs(mean-want) > 4*se {
			t.Errorf("level %d: nn correlation %v ± %v, exact %v at K' = %v", level, mean, se, want, K)
		}
	}
}

func TestMajorityBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	lat, _ := lattice.NewLattice(9, 6)
	ds := randomDataset(t, lat, 50, r)
	coarse, err := Coarsen(ds, lat, 3, rsmi.Majority{}, rand.NewPCG(7, 8))
	if err != nil {
		t.Fatal(err)
	}
	if got := coarse.Geom.Extents(); got[0] != 3 || got[1] != 2 {
		t.Fatalf("coarse extents %v, want [3 2]", got)
	}
	for i := 0; i < ds.N; i++ {
		s, c := ds.Row(i), coarse.Row(i)
		for Y := 0; Y < 2; Y++ {
			for X := 0; X < 3; X++ {
				sum := 0
				for dy := 0; dy < 3; dy++ {
					for dx := 0; dx < 3; dx++ {
						sum += int(s[(3*X+dx)+9*(3*Y+dy)])
					}
				}
				want := int8(1)
				if sum < 0 {
					want = -1
				}
				if c[X+3*Y] != want {
					t.Fatalf("config %d block (%d,%d): sum %d, coarse %d", i, X, Y, sum, c[X+3*Y])
				}
			}
		}
	}
}

// TestMajorityTieBreak checks that ties are broken by a fair coin: every
// block of the staggered chain is a tie.
func TestMajorityTieBreak(t *testing.T) {
	lat, _ := lattice.NewChain(64)
	const n = 200
	data := make([]int8, n*64)
	for i := range data {
		data[i] = int8(1 - 2*(i%2))
	}
	ds, _ := sample.NewDataset(lat.Geometry(), data)
	coarse, err := Coarsen(ds, lat, 2, rsmi.Majority{}, rand.NewPCG(9, 10))
	if err != nil {
		t.Fatal(err)
	}
	up := 0
	for _, v := range coarse.Data {
		if v == 1 {
			up++
		}
	}
	m := float64(len(coarse.Data))
	if d := math.Abs(float64(up) - m/2); d > 4*math.Sqrt(m/4) {
		t.Errorf("%d of %v ties broken upwards, want %v ± %v", up, m, m/2, math.Sqrt(m/4))
	}
}

func TestDecimation3D(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	lat, _ := lattice.NewLattice(4, 6, 8)
	ds := randomDataset(t, lat, 3, r)
	coarse, err := Coarsen(ds, lat, 2, rsmi.Decimation{}, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := lattice.NewLattice(2, 3, 4)
	if !coarse.Geom.Equal(cl.Geometry()) {
		t.Fatalf("coarse geometry extents %v, want [2 3 4]", coarse.Geom.Extents())
	}
	c := make([]int, 3)
	for i := 0; i < ds.N; i++ {
		for X := 0; X < cl.N(); X++ {
			c = cl.Coords(X, c)
			if got, want := coarse.Row(i)[X], ds.Row(i)[lat.Index(2*c[0], 2*c[1], 2*c[2])]; got != want {
				t.Fatalf("config %d coarse site %v = %d, fine origin %d", i, c, got, want)
			}
		}
	}
}

func TestCoarsenErrors(t *testing.T) {
	lat, _ := lattice.NewSquare(8)
	ds := randomDataset(t, lat, 2, rand.New(rand.NewPCG(1, 2)))
	src := rand.NewPCG(1, 2)
	for _, b := range []int{0, 3, 5, 8} {
		if _, err := Coarsen(ds, lat, b, rsmi.Majority{}, src); err == nil {
			t.Errorf("b = %d accepted on L = 8", b)
		}
	}
	other, _ := lattice.NewSquare(4)
	if _, err := Coarsen(ds, other, 2, rsmi.Majority{}, src); err == nil {
		t.Error("dataset on another lattice accepted")
	}
	if _, err := Coarsen(ds, lat, 2, nil, src); err == nil {
		t.Error("nil rule accepted")
	}
	if _, err := Coarsen(ds, lat, 2, rsmi.Majority{}, nil); err == nil {
		t.Error("nil source accepted")
	}
	f := &rsmi.Filter{NH: 1, NV: 9, W: make([]float64, 9)}
	if _, err := Coarsen(ds, lat, 2, rsmi.MostProbable(f), src); err == nil {
		t.Error("filter with NV = 9 accepted for 2×2 blocks")
	}
}

// TestCoarsenDeterministic checks that the result depends only on the seed,
// not on the number of goroutines.
func TestCoarsenDeterministic(t *testing.T) {
	lat, _ := lattice.NewSquare(16)
	ds := randomDataset(t, lat, 300, rand.New(rand.NewPCG(1, 2)))
	run := func(procs int) []int8 {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		c, err := Coarsen(ds, lat, 2, rsmi.Majority{}, rand.NewPCG(5, 5))
		if err != nil {
			t.Fatal(err)
		}
		return c.Data
	}
	a, b := run(1), run(4)
	if !bytes.Equal(int8Bytes(a), int8Bytes(b)) {
		t.Error("Coarsen depends on GOMAXPROCS")
	}
	c, _ := Coarsen(ds, lat, 2, rsmi.Majority{}, rand.NewPCG(6, 6))
	if bytes.Equal(int8Bytes(a), int8Bytes(c.Data)) {
		t.Error("different seeds gave identical tie-breaks")
	}
}

func int8Bytes(x []int8) []byte {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = byte(v)
	}
	return b
}

func TestCoarsenFilter(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	lat, _ := lattice.NewSquare(6)
	ds := randomDataset(t, lat, 100, r)
	// Equal weights on a 3×3 block: most probable = majority (no ties).
	f := &rsmi.Filter{NH: 1, NV: 9, W: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}}
	a, err := Coarsen(ds, lat, 3, rsmi.MostProbable(f), rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Coarsen(ds, lat, 3, rsmi.Majority{}, rand.NewPCG(1, 1))
	if !bytes.Equal(int8Bytes(a.Data), int8Bytes(b.Data)) {
		t.Error("equal-weight filter differs from the majority rule")
	}
	// A filter reading only the spin at offset (1,2) of each block.
	g := &rsmi.Filter{NH: 1, NV: 9, W: make([]float64, 9)}
	g.W[1+3*2] = 2
	c, _ := Coarsen(ds, lat, 3, rsmi.MostProbable(g), rand.NewPCG(1, 1))
	for i := 0; i < ds.N; i++ {
		for Y := 0; Y < 2; Y++ {
			for X := 0; X < 2; X++ {
				if got, want := c.Row(i)[X+2*Y], ds.Row(i)[3*X+1+6*(3*Y+2)]; got != want {
					t.Fatalf("filter on offset (1,2): block (%d,%d) = %d, want %d", X, Y, got, want)
				}
			}
		}
	}
	// Stochastic rule: P(h = v) = σ(2λ) for the one-spin filter.
	w := 0.4
	g.W[1+3*2] = w
	big := randomDataset(t, lat, 2000, r)
	d, _ := Coarsen(big, lat, 3, g, rand.NewPCG(2, 2))
	agree, m := 0, 0
	for i := 0; i < big.N; i++ {
		for Y := 0; Y < 2; Y++ {
			for X := 0; X < 2; X++ {
				m++
				if d.Row(i)[X+2*Y] == big.Row(i)[3*X+1+6*(3*Y+2)] {
					agree++
				}
			}
		}
	}
	p := 1 / (1 + math.Exp(-2*w))
	se := math.Sqrt(p * (1 - p) / float64(m))
	if got := float64(agree) / float64(m); math.Abs(got-p) > 4*se {
		t.Errorf("stochastic filter agrees with its spin in %.4f of blocks, want %.4f ± %.4f", got, p, se)
	}
}

// TestCoarsenSeveralOutputs checks the coarse geometry of a two-output
// rule: output h of block X sits at (2·X_0 + h, X_1).
func TestCoarsenSeveralOutputs(t *testing.T) {
	lat, _ := lattice.NewLattice(4, 6)
	ds := randomDataset(t, lat, 10, rand.New(rand.NewPCG(1, 3)))
	f := &rsmi.Filter{NH: 2, NV: 4, W: []float64{1, 0, 0, 0, 0, 0, 0, 1}} // h0 = origin, h1 = (1,1)
	bl, err := NewBlocking(lat, 2, rsmi.MostProbable(f))
	if err != nil {
		t.Fatal(err)
	}
	if bl.Coarse() != nil {
		t.Error("two-output blocking has a coarse lattice")
	}
	g := bl.Geometry()
	if e := g.Extents(); e[0] != 4 || e[1] != 3 {
		t.Fatalf("geometry extents %v, want [4 3]", e)
	}
	c, err := bl.Dataset(ds, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < ds.N; i++ {
		for Y := 0; Y < 3; Y++ {
			for X := 0; X < 2; X++ {
				h0, h1 := c.Row(i)[g.At(2*X, Y)], c.Row(i)[g.At(2*X+1, Y)]
				if h0 != ds.Row(i)[lat.Index(2*X, 2*Y)] || h1 != ds.Row(i)[lat.Index(2*X+1, 2*Y+1)] {
					t.Fatalf("config %d block (%d,%d): outputs %d %d", i, X, Y, h0, h1)
				}
			}
		}
	}
}

func BenchmarkCoarsenMajority(b *testing.B) {
	lat, _ := lattice.NewSquare(64)
	ds := randomDataset(b, lat, 256, rand.New(rand.NewPCG(1, 2)))
	src := rand.NewPCG(1, 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Coarsen(ds, lat, 2, rsmi.Majority{}, src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(ds.N*lat.N()), "ns/spin")
}
