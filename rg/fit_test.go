package rg

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/internal/chainsample"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/run"
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
	}, sample.Plan{Chains: 2, BurnIn: 200, Every: 2, PerChain: 1000}, rand.NewPCG(1, 2))
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
	res, err := Flow(context.Background(), ds, lat, rand.NewPCG(1, 2), &FlowOptions{
		Levels: 3, Rule: Fixed(rsmi.Decimation{}),
		Operators: []lattice.Operator{lattice.NearestNeighbor(1)},
		Progress:  func(run.Progress) { calls++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Levels) != 4 || calls != 3 || res.Stopped != nil {
		t.Fatalf("%d levels, %d progress calls, stopped: %v", len(res.Levels), calls, res.Stopped)
	}
	for _, lv := range res.Levels {
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
	if _, err := Flow(context.Background(), rnd, lat, rand.NewPCG(1, 1), &FlowOptions{Levels: 2}); err == nil {
		t.Error("flow to a 1×1 lattice accepted")
	}
	if _, err := FitCouplings(context.Background(), ds, lat, ops, nil); !errors.Is(err, ErrFit) {
		t.Errorf("perfectly ordered data: error %v, want one wrapping ErrFit", err)
	}
}

// orderedBelow returns configurations on lat that are random at level 0
// and, after one majority step with 2×2 blocks, all +1 (every block holds
// at least three up spins), so that level 1 cannot be fitted.
func orderedBelow(t *testing.T, lat *lattice.Lattice, n int) *sample.Dataset {
	r := rand.New(rand.NewPCG(3, 4))
	L := lat.Extents()[0]
	data := make([]int8, n*lat.N())
	for k := range n {
		for i := range lat.N() {
			data[k*lat.N()+i] = 1
		}
		for B := range lat.N() / 4 {
			X, Y := B%(L/2), B/(L/2)
			o := r.IntN(4)
			data[k*lat.N()+lat.Index(2*X+o%2, 2*Y+o/2)] = -1
		}
	}
	ds, err := sample.NewDataset(lat.Geometry(), data)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestFlowStopOnFitError checks that a level too ordered to fit ends the
// flow cleanly under StopOnFitError (that level last, without couplings,
// and Stopped wrapping ErrFit) and is an error without it.
func TestFlowStopOnFitError(t *testing.T) {
	lat, _ := lattice.NewSquare(16)
	ds := orderedBelow(t, lat, 40)
	ops := []lattice.Operator{lattice.NearestNeighbor(2)}
	if _, err := Flow(context.Background(), ds, lat, rand.NewPCG(1, 1), &FlowOptions{Operators: ops}); !errors.Is(err, ErrFit) {
		t.Errorf("without StopOnFitError: error %v, want one wrapping ErrFit", err)
	}
	res, err := Flow(context.Background(), ds, lat, rand.NewPCG(1, 1), &FlowOptions{Operators: ops, StopOnFitError: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Levels) != 2 || res.Levels[0].Couplings == nil || res.Levels[1].Couplings != nil || !errors.Is(res.Stopped, ErrFit) ||
		!strings.Contains(res.Stopped.Error(), "level 1") {
		t.Errorf("%d levels, stopped: %v, want 2 levels, the last unfitted, and a reason naming level 1", len(res.Levels), res.Stopped)
	}
	// The stop reason survives a checkpoint.
	dir := t.TempDir()
	o := &FlowOptions{Operators: ops, StopOnFitError: true, Checkpoint: &run.Checkpoint{Dir: dir, Resume: true}}
	if _, err := Flow(context.Background(), ds, lat, rand.NewPCG(1, 1), o); err != nil {
		t.Fatal(err)
	}
	again, err := Flow(context.Background(), ds, lat, rand.NewPCG(1, 1), o)
	if err != nil {
		t.Fatal(err)
	}
	if again.ResumedFrom != 1 || again.Stopped == nil || again.Stopped.Error() != res.Stopped.Error() || !errors.Is(again.Stopped, ErrFit) {
		t.Errorf("resumed stopped flow: %v, resumed from %d, stopped: %v", err, again.ResumedFrom, again.Stopped)
	}
}

// TestFlowLevelsAndStop checks the default number of levels (down to
// MinSide) and FlowOptions.Stop.
func TestFlowLevelsAndStop(t *testing.T) {
	lat, _ := lattice.NewSquare(32)
	ds := randomDataset(t, lat, 4, rand.New(rand.NewPCG(1, 2)))
	for _, c := range []struct{ minSide, levels int }{{0, 4}, {2, 4}, {4, 3}, {16, 1}} {
		res, err := Flow(context.Background(), ds, lat, rand.NewPCG(1, 1), &FlowOptions{MinSide: c.minSide})
		if err != nil || len(res.Levels) != c.levels+1 || res.Stopped != nil {
			t.Errorf("MinSide %d: %v, %d levels, want %d", c.minSide, err, len(res.Levels)-1, c.levels)
		}
	}
	var seen []int
	res, err := Flow(context.Background(), ds, lat, rand.NewPCG(1, 1), &FlowOptions{Stop: func(lv FlowLevel) bool {
		seen = append(seen, lv.Level)
		return lv.Lattice.Extents()[0] == 8
	}})
	if err != nil || len(res.Levels) != 3 || res.Stopped != ErrStopped || len(seen) != 3 {
		t.Errorf("stop at side 8: %v, %d levels (Stop saw %v), stopped %v", err, len(res.Levels), seen, res.Stopped)
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
