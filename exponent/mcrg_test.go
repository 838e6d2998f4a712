package exponent

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/rsmi-go/rsmi/internal/chainsample"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

var (
	isingOnce sync.Once
	isingLat  *lattice.Lattice
	isingData *sample.Dataset
	isingErr  error
)

// criticalIsing returns 20000 configurations of the 2D Ising model on a
// 32×32 torus at T_c = 2/ln(1+√2), one Swendsen–Wang sweep apart (two chains
// of 10000 after 200 sweeps of burn-in), shared by the tests of this file.
func criticalIsing(t *testing.T) (*lattice.Lattice, *sample.Dataset) {
	isingOnce.Do(func() {
		isingLat, isingErr = lattice.NewSquare(32)
		if isingErr != nil {
			return
		}
		m, err := lattice.NewNearestNeighborIsing(isingLat, 1)
		if err != nil {
			isingErr = err
			return
		}
		Tc := 2 / math.Log(1+math.Sqrt2)
		isingData, isingErr = sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) {
			return sample.NewSwendsenWang(m, Tc, src)
		}, sample.Plan{Chains: 2, BurnIn: 200, Every: 1, PerChain: 10000}, rand.NewPCG(1, 2))
	})
	if isingErr != nil {
		t.Fatal(isingErr)
	}
	return isingLat, isingData
}

// TestMCRGIsing2D checks MCRG with the 2×2 majority rule on the critical 2D
// Ising model: at level 2 (8×8 lattice against 16×16) with four even
// operators y_t = 1 (ν = 1) within 0.03, and with four odd operators
// y_h = 15/8 within 0.005 (η = 1/4 within 0.01).
func TestMCRGIsing2D(t *testing.T) {
	lat, ds := criticalIsing(t)
	res, err := MCRG(context.Background(), ds, lat, rand.NewPCG(3, 4), &MCRGOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Levels) != 3 || res.Dim != 2 || res.B != 2 || res.N != ds.N {
		t.Fatalf("result shape: %d levels, dim %d, b %d, n %d", len(res.Levels), res.Dim, res.B, res.N)
	}
	for _, lv := range res.Levels {
		for _, tr := range lv.Even {
			t.Logf("level %d %v even k=%d: y_t = %.4f ± %.4f", lv.Level, lv.Extents, tr.NumOps, tr.Y, tr.YErr)
		}
		for _, tr := range lv.Odd {
			t.Logf("level %d %v odd  k=%d: y_h = %.4f ± %.4f", lv.Level, lv.Extents, tr.NumOps, tr.Y, tr.YErr)
		}
	}
	lv := res.Levels[1]
	if lv.Level != 2 || lv.Extents[0] != 8 {
		t.Fatalf("second level is %d on %v", lv.Level, lv.Extents)
	}
	yt := lv.Even[3]
	if math.Abs(yt.Y-1) > 0.03 || !(yt.YErr > 0 && yt.YErr < 0.015) {
		t.Errorf("level 2, 4 even operators: y_t = %v ± %v, want 1 within 0.03", yt.Y, yt.YErr)
	}
	if nu, _ := yt.Nu(); math.Abs(nu-1) > 0.035 {
		t.Errorf("ν = %v", nu)
	}
	yh := lv.Odd[3]
	if math.Abs(yh.Y-15.0/8) > 0.005 || !(yh.YErr > 0 && yh.YErr < 0.003) {
		t.Errorf("level 2, 4 odd operators: y_h = %v ± %v, want 15/8 within 0.005", yh.Y, yh.YErr)
	}
	if eta, _ := yh.Eta(2); math.Abs(eta-0.25) > 0.01 {
		t.Errorf("η = %v, want 1/4", eta)
	}
	// λ and y agree, and the eigenvalue list starts with λ.
	if math.Abs(math.Log(yt.Lambda)/math.Log(2)-yt.Y) > 1e-12 || real(yt.Eigenvalues[0]) != yt.Lambda {
		t.Errorf("inconsistent truncation %+v", yt)
	}
	// The subleading even eigenvalue is irrelevant (λ < 1).
	if l2 := real(yt.Eigenvalues[1]); !(l2 < 1) {
		t.Errorf("second even eigenvalue %v is not irrelevant", l2)
	}
}

// TestMCRGWrongLevelPairing guards against the classic mistake of pairing
// the cross correlation B = <S(n) S(n−1)>_c with the correlation matrix of
// the finer level, A = <S(n−1) S(n−1)>_c, instead of <S(n) S(n)>_c: on the
// same data that gives a negative y_t (about −1.5 here; the issue reports
// about −1.3) while the correct pairing gives y_t ≈ 1.
func TestMCRGWrongLevelPairing(t *testing.T) {
	lat, ds := criticalIsing(t)
	even, _ := lattice.EvenOperators(2, 4)
	st, err := NewMCRGStream(lat, ds.N, []rsmi.Rule{rsmi.Majority{}}, rand.NewPCG(3, 4), &MCRGOptions{Even: even, NoOdd: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Add(context.Background(), 0, ds.Data); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 2; n++ {
		A, B := st.correlations(0, n, 0)
		Afine, _ := st.correlations(0, n-1, 0)
		good, err := linearize(A[0], B[0])
		if err != nil {
			t.Fatal(err)
		}
		wrong, err := linearize(Afine[0], B[0])
		if err != nil {
			t.Fatal(err)
		}
		yGood := math.Log(real(good[0])) / math.Log(2)
		yWrong := math.Log(real(wrong[0])) / math.Log(2)
		t.Logf("level %d: y_t = %.4f (A at level n), %.4f (A at level n−1)", n, yGood, yWrong)
		if math.Abs(yGood-1) > 0.05 {
			t.Errorf("level %d: correct pairing gives y_t = %v", n, yGood)
		}
		if !(yWrong < -0.5) {
			t.Errorf("level %d: wrong pairing gives y_t = %v, expected a negative value", n, yWrong)
		}
	}
	// And MCRG itself uses the correct pairing.
	res, err := MCRG(context.Background(), ds, lat, rand.NewPCG(3, 4), &MCRGOptions{Even: even, NoOdd: true})
	if err != nil {
		t.Fatal(err)
	}
	if y := res.Levels[0].Even[3].Y; math.Abs(y-1) > 0.05 {
		t.Errorf("MCRG level 1: y_t = %v", y)
	}
}

// TestMCRGChainDecimation checks MCRG against an exact linearization: b = 2
// decimation maps the Ising chain exactly onto the chain at
// K' = ½ ln cosh 2K, so with the nearest-neighbour operator alone
// T = dK'/dK = tanh 2K, at every level (with K iterated).
func TestMCRGChainDecimation(t *testing.T) {
	const L, n = 64, 20000
	K := 0.6
	lat, _ := lattice.NewChain(L)
	ds, err := sample.NewDataset(lat.Geometry(), chainsample.Periodic(L, n, K, rand.New(rand.NewPCG(5, 6))))
	if err != nil {
		t.Fatal(err)
	}
	res, err := MCRG(context.Background(), ds, lat, rand.NewPCG(7, 8), &MCRGOptions{Rule: rsmi.Decimation{}, Levels: 2, Even: []lattice.Operator{lattice.NearestNeighbor(1)}, NoOdd: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, lv := range res.Levels {
		want := math.Tanh(2 * K)
		tr := lv.Even[0]
		t.Logf("level %d: λ = %.4f ± %.4f, exact tanh 2K = %.4f (K = %.4f)", lv.Level, tr.Lambda, tr.LambdaErr, want, K)
		if math.Abs(tr.Lambda-want) > 4*tr.LambdaErr || tr.LambdaErr > 0.02 {
			t.Errorf("level %d: λ = %v ± %v, exact %v", lv.Level, tr.Lambda, tr.LambdaErr, want)
		}
		K = 0.5 * math.Log(math.Cosh(2*K))
	}
}

func TestMCRGErrors(t *testing.T) {
	lat, _ := lattice.NewSquare(8)
	data := make([]int8, 100*lat.N())
	for i := range data {
		data[i] = 1 - 2*int8(i*7%3%2)
	}
	ds, _ := sample.NewDataset(lat.Geometry(), data)
	src := rand.NewPCG(1, 2)
	bad := []*MCRGOptions{
		{B: 1},       // block side
		{B: 3},       // does not tile
		{Blocks: 1},  // jackknife
		{Levels: 3},  // 8 → 1
		{Blocks: 60}, // too few configurations per block
		{NoEven: true, NoOdd: true},
	}
	for i, o := range bad {
		if _, err := MCRG(context.Background(), ds, lat, src, o); err == nil {
			t.Errorf("options %d (%+v) accepted", i, *o)
		}
	}
	if _, err := MCRG(context.Background(), ds, lat, nil, nil); err == nil {
		t.Error("nil source accepted")
	}
	other, _ := lattice.NewSquare(16)
	if _, err := MCRG(context.Background(), ds, other, src, &MCRGOptions{}); err == nil {
		t.Error("dataset on another lattice accepted")
	}
	far, _ := lattice.Pair(4, 0)
	if _, err := MCRG(context.Background(), ds, lat, src, &MCRGOptions{Even: []lattice.Operator{far}}); err == nil {
		t.Error("operator too long for the coarse 4×4 lattice accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := MCRG(ctx, ds, lat, src, &MCRGOptions{}); err == nil {
		t.Error("cancelled context ignored")
	}
}

func BenchmarkMCRG(b *testing.B) {
	lat, _ := lattice.NewSquare(32)
	m, _ := lattice.NewNearestNeighborIsing(lat, 1)
	Tc := 2 / math.Log(1+math.Sqrt2)
	ds, err := sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) {
		return sample.NewSwendsenWang(m, Tc, src)
	}, sample.Plan{Chains: 1, BurnIn: 100, Every: 1, PerChain: 1000}, rand.NewPCG(1, 2))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MCRG(context.Background(), ds, lat, rand.NewPCG(1, 2), &MCRGOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(ds.N), "µs/config")
}
