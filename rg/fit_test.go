package rg

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rsmi-go/rsmi/internal/chainsample"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// TestFitCouplingsKnownHamiltonian samples the 2D Ising model with nearest-
// and next-nearest-neighbour couplings (J1, J2) = (0.25, 0.1) at T = 1 with
// the library's Metropolis sampler and checks that pseudo-likelihood on
// {nn, nnn, plaquette} recovers K = (0.25, 0.1, 0) within 3 standard errors.
func TestFitCouplingsKnownHamiltonian(t *testing.T) {
	lat, _ := lattice.NewSquare(16)
	want := []float64{0.25, 0.1, 0}
	m, err := lattice.NewIsing(lat,
		lattice.Term{Op: lattice.NearestNeighbor(2), J: want[0]},
		lattice.Term{Op: lattice.NextNearest(2), J: want[1]})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) {
		return sample.NewMetropolis(m, 1, src)
	}, sample.Plan{Chains: 2, BurnIn: 200, Every: 2, PerChain: 1000, Src: rand.NewPCG(1, 2)})
	if err != nil {
		t.Fatal(err)
	}
	ops, _ := lattice.EvenOperators(2, 3)
	c, err := FitCouplings(context.Background(), ds, lat, ops, nil)
	if err != nil {
		t.Fatal(err)
	}
	for a := range ops {
		t.Logf("%-9s K = %.4f ± %.4f (true %v)", c.Names[a], c.K[a], c.StdErr[a], want[a])
		if math.Abs(c.K[a]-want[a]) > 3*c.StdErr[a] || !(c.StdErr[a] > 0 && c.StdErr[a] < 0.01) {
			t.Errorf("%s: K = %v ± %v, true %v", c.Names[a], c.K[a], c.StdErr[a], want[a])
		}
	}
}

// TestFlowChainDecimation runs Flow with decimation on exact samples of the
// Ising chain and checks the fitted nearest-neighbour coupling at every
// level against the exact flow K' = ½ ln cosh 2K within 3 standard errors.
func TestFlowChainDecimation(t *testing.T) {
	const L, n = 256, 2000
	K := 1.0
	lat, _ := lattice.NewChain(L)
	ds, _ := sample.NewDataset(lat.Geometry(), chainsample.Periodic(L, n, K, rand.New(rand.NewPCG(21, 22))))
	var calls int
	levels, err := Flow(context.Background(), ds, lat, FlowOptions{
		Levels: 3, Rule: Fixed(Decimation{}), Src: rand.NewPCG(1, 2),
		Operators: []lattice.Operator{lattice.NearestNeighbor(1)},
		Progress:  func(level, total int) { calls++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(levels) != 4 || calls != 3 {
		t.Fatalf("%d levels, %d progress calls", len(levels), calls)
	}
	for _, lv := range levels {
		c := lv.Couplings
		t.Logf("level %d (L = %d): K = %.4f ± %.4f, exact %.4f", lv.Level, lv.Lattice.N(), c.K[0], c.StdErr[0], K)
		if math.Abs(c.K[0]-K) > 3*c.StdErr[0] || !(c.StdErr[0] > 0) {
			t.Errorf("level %d: K = %v ± %v, exact %v", lv.Level, c.K[0], c.StdErr[0], K)
		}
		K = 0.5 * math.Log(math.Cosh(2*K))
	}
}

func TestFitCouplingsErrors(t *testing.T) {
	lat, _ := lattice.NewSquare(4)
	up := make([]int8, 10*lat.N())
	for i := range up {
		up[i] = 1
	}
	ds, _ := sample.NewDataset(lat.Geometry(), up)
	ops := []lattice.Operator{lattice.NearestNeighbor(2)}
	if _, err := FitCouplings(context.Background(), ds, lat, ops, nil); err == nil {
		t.Error("perfectly ordered data gave a finite coupling")
	}
	r := rand.New(rand.NewPCG(1, 2))
	rnd := randomDataset(t, lat, 10, r)
	dup := []lattice.Operator{lattice.NearestNeighbor(2), lattice.NearestNeighbor(2)}
	if _, err := FitCouplings(context.Background(), rnd, lat, dup, nil); err == nil {
		t.Error("duplicate operators accepted")
	}
	if _, err := FitCouplings(context.Background(), rnd, lat, ops, &FitOptions{Blocks: 11}); err == nil {
		t.Error("more blocks than configurations accepted")
	}
	if _, err := Flow(context.Background(), rnd, lat, FlowOptions{Levels: 2, Src: rand.NewPCG(1, 1)}); err == nil {
		t.Error("flow to a 1×1 lattice accepted")
	}
}

func BenchmarkFitCouplings(b *testing.B) {
	lat, _ := lattice.NewSquare(32)
	ds := randomDataset(b, lat, 200, rand.New(rand.NewPCG(1, 2)))
	ops, _ := lattice.EvenOperators(2, 4)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FitCouplings(context.Background(), ds, lat, ops, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(ds.N*lat.N()), "ns/site")
}
