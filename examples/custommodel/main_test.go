package main

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/rsmi-go/rsmi/examples/internal/maintest"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

func TestMain(m *testing.M) { maintest.Main(m, main) }

// TestConventions runs the program as a user does: -h, a positional
// argument, an unwritable -outdir, and a small run with -json, with and
// without -q (see maintest.Check), whose progress lines name every stage.
func TestConventions(t *testing.T) {
	maintest.Check(t, maintest.Conventions{
		Usage:  "custommodel samples a user-defined Hamiltonian",
		Outdir: "-outdir",
		Small:  []string{"-L", "8", "-n", "200", "-chains", "2", "-sweeps", "50", "-pairs", "2000", "-oracle-pairs", "100", "-steps", "30", "-finetune", "10"},
		Stages: []string{"sampling: sample.Collect", "rsmi.ExactV: Θ-RBM", "rsmi.ExactV: fine-tuning", "filter at ‖λ‖ = 1: rsmi.Train  30/30",
			"rsmi.NewExactOracle", "figure", "staggered filter"},
	})
}

// small is a configuration that runs in a few seconds: L = 16, 1200
// configurations, 24,000 pairs, 600 Adam steps, the exact oracle on 3000
// pairs. With -short (CI's race run) the oracle takes 500 pairs and the
// Θ-RBM's fine-tuning 100 steps: the learned filter is as staggered, and
// its exact MI and the ideal filter's are compared on the same pairs.
func small(t *testing.T) config {
	c := defaults()
	c.L, c.n, c.chains, c.burn = 16, 1200, 4, 600
	c.pairs, c.oraclePairs, c.steps = 24000, 3000, 600
	if testing.Short() {
		c.oraclePairs, c.fineTune = 500, 100
	}
	c.quiet, c.noFigure = true, true
	c.outdir = t.TempDir()
	return c
}

// TestRunStaggered runs the program on a small configuration: the learned
// filter must be staggered (checkerboard signs, magnitudes within 10%), its
// exact MI must reach the ideal staggered filter's, and the uniform
// (ferromagnetic) block spin must carry almost nothing.
func TestRunStaggered(t *testing.T) {
	s, err := run(context.Background(), small(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("weights %v uniformity %.4f MI %.4f (exact %.4f, staggered %.4f, uniform %.4f)",
		s.Weights, s.Uniformity, s.MI, s.ExactMI, s.ExactMIStaggered, s.ExactMIUniform)
	if !s.Staggered {
		t.Errorf("learned filter %v is not staggered (uniformity %.4f)", s.Weights, s.Uniformity)
	}
	if s.ExactMI < s.ExactMIStaggered-0.01 {
		t.Errorf("exact MI of the learned filter %.4f bit, ideal staggered filter %.4f bit", s.ExactMI, s.ExactMIStaggered)
	}
	if !(s.ExactMIStaggered > 0.2) || !(s.ExactMIUniform < 0.05) {
		t.Errorf("exact MI: staggered %.4f bit, uniform %.4f bit; want the staggered filter far ahead", s.ExactMIStaggered, s.ExactMIUniform)
	}
}

// TestRunData reads 0/1 data written by the library in the flat (n, L·L)
// shape, without a sidecar, through -data.
func TestRunData(t *testing.T) {
	c := small(t)
	c.n, c.pairs, c.steps = 800, 16000, 400
	c.oraclePairs = min(c.oraclePairs, 1000)
	m, err := NewAntiferromagnet(c.L, 1)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := sample.Collect(context.Background(), func(src rand.Source) (sample.Sampler, error) { return sample.NewMetropolis(m, c.T, src) },
		sample.Plan{Chains: c.chains, BurnIn: c.burn, Every: c.every, PerChain: c.n / c.chains}, rand.NewPCG(7, 8))
	if err != nil {
		t.Fatal(err)
	}
	flat, err := lattice.NewGeometry([]int{c.L * c.L}, func() [][]int {
		co := make([][]int, c.L*c.L)
		for i := range co {
			co[i] = []int{i}
		}
		return co
	}())
	if err != nil {
		t.Fatal(err)
	}
	bits := make([]int8, len(ds.Data))
	for i, x := range ds.Data {
		bits[i] = (x + 1) / 2
	}
	path := filepath.Join(t.TempDir(), "afm01.npy")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&sample.Dataset{N: ds.N, D: ds.D, Data: bits, Geom: flat}).WriteNPY(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	c.data, c.L = path, 0 // the size comes from the file
	s, err := run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("from -data: weights %.3f uniformity %.4f", s.Weights, s.Uniformity)
	if s.L != 16 || s.N != ds.N {
		t.Errorf("read L = %d, n = %d; want 16, %d", s.L, s.N, ds.N)
	}
	if !s.Staggered {
		t.Errorf("filter learned from -data %v is not staggered (uniformity %.4f)", s.Weights, s.Uniformity)
	}

	// A file of the wrong size is refused with the shape in the error.
	bad := filepath.Join(t.TempDir(), "bad.npy")
	g, _ := lattice.NewGeometry([]int{10}, [][]int{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}})
	f, _ = os.Create(bad)
	(&sample.Dataset{N: 1, D: 10, Data: make([]int8, 10), Geom: g}).WriteNPY(f)
	f.Close()
	c.data = bad
	if _, err := run(context.Background(), c); err == nil {
		t.Error("-data with 10 values per configuration: no error")
	} else {
		t.Log(err)
	}
}

// TestModel checks the user-defined model against exact facts: DeltaE equals
// the energy difference, the Néel states have energy −2NJ, and the gauge
// transformation s → (−1)^(x+y) s maps it onto lattice.Ising's ferromagnet.
func TestModel(t *testing.T) {
	const L = 6
	m, err := NewAntiferromagnet(L, 1.5)
	if err != nil {
		t.Fatal(err)
	}
	lat, _ := lattice.NewSquare(L)
	ferro, _ := lattice.NewNearestNeighborIsing(lat, 1.5)
	if !m.Geometry().Equal(lat.Geometry()) {
		t.Fatal("geometry differs from lattice.NewSquare's")
	}
	neel := make([]int8, L*L)
	for i := range neel {
		neel[i] = int8(1 - 2*((i%L+i/L)%2))
	}
	if e := m.Energy(neel); e != -2*L*L*1.5 {
		t.Errorf("Néel energy %v, want %v", e, -2*L*L*1.5)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]int8, L*L)
	gx := make([]int8, L*L)
	for trial := 0; trial < 50; trial++ {
		for i := range x {
			x[i] = int8(2*rng.IntN(2) - 1)
			gx[i] = x[i] * neel[i]
		}
		if a, b := m.Energy(x), ferro.Energy(gx); math.Abs(a-b) > 1e-12 {
			t.Fatalf("gauge: AFM energy %v, ferromagnet %v", a, b)
		}
		i := rng.IntN(L * L)
		e0 := m.Energy(x)
		dE := m.DeltaE(x, i, -x[i])
		x[i] = -x[i]
		if e1 := m.Energy(x); math.Abs(e1-e0-dE) > 1e-12 {
			t.Fatalf("DeltaE %v, energy difference %v", dE, e1-e0)
		}
		if d := m.DeltaE(x, i, x[i]); d != 0 {
			t.Fatalf("DeltaE to the same value %v", d)
		}
	}
	for _, bad := range []int{3, 5, 2} {
		if _, err := NewAntiferromagnet(bad, 1); err == nil {
			t.Errorf("L = %d accepted", bad)
		}
	}
}

// TestStaggeredCriterion checks the criterion itself on filters that must
// and must not pass.
func TestStaggeredCriterion(t *testing.T) {
	for _, tc := range []struct {
		w    []float64
		want bool
	}{
		{[]float64{0.5, -0.5, -0.5, 0.5}, true},
		{[]float64{-0.52, 0.49, 0.5, -0.48}, true},
		{[]float64{0.5, 0.5, 0.5, 0.5}, false},     // uniform
		{[]float64{0.5, -0.5, 0.5, -0.5}, false},   // stripes
		{[]float64{0.7, -0.4, -0.5, 0.5}, false},   // signs right, magnitudes off by > 10%
		{[]float64{0.5, -0.5, -0.5, 0}, false},     // a zero weight
		{[]float64{0.5, -0.5, -0.5, -0.5}, false},  // one sign wrong
		{[]float64{-0.5, 0.55, 0.5, -0.46}, true},  // the other sign
		{[]float64{0.5, -0.56, -0.5, 0.45}, false}, // 11% off
	} {
		if got, u := staggered(tc.w, 2); got != tc.want {
			t.Errorf("staggered(%v) = %v (uniformity %.3f), want %v", tc.w, got, u, tc.want)
		}
	}
}

// BenchmarkMetropolisSweep measures one Metropolis sweep of the 32×32
// user-defined antiferromagnet (the generic path: one DeltaE interface call
// per update) against lattice.Ising's nearest-neighbour ferromagnet (the
// sampler's fast path), per spin update.
func BenchmarkMetropolisSweep(b *testing.B) {
	afm, _ := NewAntiferromagnet(32, 1)
	lat, _ := lattice.NewSquare(32)
	ferro, _ := lattice.NewNearestNeighborIsing(lat, 1)
	for _, bc := range []struct {
		name string
		m    lattice.Model
	}{{"user-AFM", afm}, {"lattice.Ising", ferro}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := sample.NewMetropolis(bc.m, 2.269185, rand.NewPCG(1, 2))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				s.Step()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1024, "ns/update")
		})
	}
}
