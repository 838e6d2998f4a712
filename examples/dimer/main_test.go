package main

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/examples/internal/maintest"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
)

// small is a config that trains in a few seconds: L = 16 dimers with noise
// spins (a 32×32 doubled grid), 200 samples, two seeds of 150 InfoNCE steps.
func small() config {
	return config{L: 16, T: 1, noise: true, n: 200, chains: 2, seed: 1, estimator: "infonce", nh: 2,
		block: 8, buffer: 4, env: 4, pstride: 4, steps: 150, seeds: 2, batch: 64, lr: 0.01, tauEnd: 0.3, quiet: true}
}

func TestMain(m *testing.M) { maintest.Main(m, main) }

// TestConventions runs the program as a user does: -h, a positional
// argument, an unwritable -outdir, and a small run with -json, with and
// without -q (see maintest.Check), whose progress lines name every stage.
func TestConventions(t *testing.T) {
	maintest.Check(t, maintest.Conventions{
		Usage:  "dimer learns the RSMI filters of close-packed dimers",
		Outdir: "-outdir",
		Small:  []string{"-L", "8", "-n", "100", "-block", "4", "-buffer", "2", "-env", "2", "-pstride", "1", "-steps", "40", "-batch", "32"},
		Stages: []string{"T = 1: pilot run", "T = 1: sampling: sample.Collect", "T = 1: training 2 filters: rsmi.TrainBest  80/80", "figure", "angle between units"},
	})
}

// TestRunSmall runs the whole pipeline at a small size and checks the
// summary's shape and ranges: one weight row of block² = 64 doubled-grid
// dofs per hidden unit, fractions in [0, 1] that do not add up to more than
// the whole, an angle in [0°, 90°], a finite MI within the InfoNCE bound
// log₂(batch), and the kept seed is the one with the largest MI.
func TestRunSmall(t *testing.T) {
	c := small()
	s, err := run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.L != c.L || s.N != c.n || s.Steps != c.steps || s.Estimator != "infonce" || s.Pairs <= 0 {
		t.Errorf("summary header L=%d n=%d steps=%d estimator=%q pairs=%d, want L=%d n=%d steps=%d infonce, pairs > 0",
			s.L, s.N, s.Steps, s.Estimator, s.Pairs, c.L, c.n, c.steps)
	}
	if len(s.Weights) != c.nh || len(s.EFieldFraction) != c.nh || len(s.NoiseFraction) != c.nh {
		t.Fatalf("%d weight rows, %d E-field and %d noise fractions, want %d each", len(s.Weights), len(s.EFieldFraction), len(s.NoiseFraction), c.nh)
	}
	for j, w := range s.Weights {
		if len(w) != c.block*c.block {
			t.Errorf("unit %d has %d weights, want %d (block² on the doubled grid)", j, len(w), c.block*c.block)
		}
		nonzero := false
		for _, x := range w {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("unit %d has a non-finite weight %v", j, x)
			}
			nonzero = nonzero || x != 0
		}
		if !nonzero {
			t.Errorf("unit %d has all weights zero", j)
		}
		ef, nf := s.EFieldFraction[j], s.NoiseFraction[j]
		if !(ef >= 0 && ef <= 1) || !(nf >= 0 && nf <= 1) || ef+nf > 1+1e-9 {
			t.Errorf("unit %d: E-field fraction %v, noise fraction %v: want both in [0,1] with sum ≤ 1", j, ef, nf)
		}
	}
	if !(s.EFieldAngle >= 0 && s.EFieldAngle <= 90) {
		t.Errorf("E-field angle %v°, want in [0°, 90°]", s.EFieldAngle)
	}
	if math.IsNaN(s.MI) || math.IsInf(s.MI, 0) || s.MI > math.Log2(float64(c.batch))+1e-9 {
		t.Errorf("MI %v bits: want finite and ≤ log2(%d)", s.MI, c.batch)
	}
	if len(s.SeedMI) != c.seeds || s.Seed < 1 || s.Seed > c.seeds {
		t.Fatalf("seed MIs %v, kept seed %d: want %d MIs and a seed in 1..%d", s.SeedMI, s.Seed, c.seeds, c.seeds)
	}
	for _, mi := range s.SeedMI {
		if mi > s.MI {
			t.Errorf("seed MIs %v: kept seed %d has MI %v, not the largest", s.SeedMI, s.Seed, s.MI)
		}
	}
	if s.SeedMI[s.Seed-1] != s.MI {
		t.Errorf("mi_bits %v is not the kept seed's %v", s.MI, s.SeedMI[s.Seed-1])
	}
	if s.MIvsT != nil {
		t.Errorf("mi_vs_T %v without -Ts", s.MIvsT)
	}
}

// TestRunBadInput checks that invalid configurations are refused with an
// error naming the problem, before any training.
func TestRunBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*config)
		want string
	}{
		{"odd L", func(c *config) { c.L = 15 }, "odd"},
		{"T = 0", func(c *config) { c.T = 0 }, "temperature"},
		{"T < 0", func(c *config) { c.T = -1 }, "temperature"},
		{"estimator", func(c *config) { c.estimator = "mine" }, "estimator"},
		{"seeds", func(c *config) { c.seeds = 0 }, "-seeds"},
		{"n not a multiple of chains", func(c *config) { c.n = 201 }, "-chains"},
	} {
		c := small()
		tc.edit(&c)
		_, err := run(context.Background(), c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

// TestAnalyse checks the filter analysis against filters built from its
// definitions on the doubled grid (a dof at block coordinates (X, Y) is a
// right link for X odd and Y even, an up link for X even and Y odd, a noise
// spin otherwise; the staggered sign is (−1)^(⌊X/2⌋+⌊Y/2⌋)): E_x and E_y
// themselves lie wholly in the E-field plane at 90° to each other, a filter
// on noise spins only is all noise, and E_x + E_y against E_x is at 45°.
func TestAnalyse(t *testing.T) {
	m, err := lattice.NewDimer(16, lattice.DimerOptions{NoiseSpins: true})
	if err != nil {
		t.Fatal(err)
	}
	c := small()
	reg, err := rsmi.NewRegions(m.Geometry(), []int{c.block, c.block}, &rsmi.RegionOptions{Buffer: c.buffer, Env: c.env, Stride: []int{2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	g, o, ext := m.Geometry(), reg.Origin(0), m.Geometry().Extents()
	nv := reg.NV()
	ex, ey, noise := make([]float64, nv), make([]float64, nv), make([]float64, nv)
	var xy []int
	for i, d := range reg.V(0) {
		xy = g.Coord(int(d), xy)
		X, Y := (xy[0]-o[0]+ext[0])%ext[0], (xy[1]-o[1]+ext[1])%ext[1]
		sign := 1 - 2*float64((X/2+Y/2)%2)
		switch {
		case X%2 == 1 && Y%2 == 0:
			ex[i] = sign
		case X%2 == 0 && Y%2 == 1:
			ey[i] = sign
		default:
			noise[i] = float64(1 + i%3) // any weights on noise spins
		}
	}
	sum := make([]float64, nv)
	for i := range sum {
		sum[i] = 0.5*ex[i] + 0.5*ey[i]
	}
	for _, tc := range []struct {
		name          string
		units         [][]float64
		efield, noise []float64
		angle         float64
	}{
		{"E_x, E_y", [][]float64{ex, ey}, []float64{1, 1}, []float64{0, 0}, 90},
		{"noise, E_y", [][]float64{noise, ey}, []float64{0, 1}, []float64{1, 0}, -1},
		{"E_x+E_y, E_x", [][]float64{sum, ex}, []float64{1, 1}, []float64{0, 0}, 45},
	} {
		f := &rsmi.Filter{NH: 2, NV: nv}
		for _, u := range tc.units {
			f.W = append(f.W, u...)
		}
		a := analyse(reg, f)
		if len(a.marks) != 4 {
			t.Fatalf("%d kinds of cells marked, want 4 (site, right link, up link, face)", len(a.marks))
		}
		for k, m := range a.marks {
			if len(m.Cells) != nv/4 {
				t.Errorf("%s: %d cells, want %d", m.Name, len(m.Cells), nv/4)
			}
			for _, xy := range m.Cells {
				if xy[0]%2+2*(xy[1]%2) != k {
					t.Errorf("%s: cell %v is of another kind", m.Name, xy)
				}
			}
		}
		for j := range tc.units {
			if math.Abs(a.efield[j]-tc.efield[j]) > 1e-12 || math.Abs(a.noise[j]-tc.noise[j]) > 1e-12 {
				t.Errorf("%s: unit %d: E-field fraction %v, noise fraction %v; want %v, %v", tc.name, j, a.efield[j], a.noise[j], tc.efield[j], tc.noise[j])
			}
			if !reflect.DeepEqual(a.weights[j], tc.units[j]) {
				t.Errorf("%s: unit %d: weights are not the filter's", tc.name, j)
			}
		}
		if tc.angle >= 0 && math.Abs(a.angle-tc.angle) > 1e-9 {
			t.Errorf("%s: angle %v°, want %v°", tc.name, a.angle, tc.angle)
		}
	}
}
