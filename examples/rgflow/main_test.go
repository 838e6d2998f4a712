package main

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// small is a configuration that runs in a few seconds: L = 16 at T_c, 4000
// Wolff configurations, 20,000 pairs and 300 Adam steps for the filter,
// MCRG down to a 4×4 lattice (level 2) with 2 of up to 4 operators per
// sector, no flow.
func small(dir string) config {
	return config{L: 16, T: Tc, n: 4000, chains: 2, sampler: "wolff", sweeps: 1, pairs: 20000, steps: 300,
		ops: 2, maxOps: 4, minSide: 4, blocks: 10, flowN: 1000, flowOps: 1, seed: 1, outdir: dir, quiet: true, noFlow: true}
}

// TestRunExponents checks the exponents of the 2D Ising model against the
// exact y_t = 1 and y_h = 15/8 for the learned rule and for majority rule,
// within bands that a broken pipeline (wrong rule, wrong sign of h, wrong
// operators, wrong level) misses but the finite-size and truncation error at
// L = 16 does not (measured at seed 1: y_t = 0.98 and 0.96, y_h = 1.8746 and
// 1.8771), and that the learned 2×2 filter is sharp: its most probable h is
// majority rule and its point-group average exactly majority rule with
// fair-coin ties.
func TestRunExponents(t *testing.T) {
	c := small(t.TempDir())
	s, err := run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.L != 16 || s.N != c.n || s.Level != 2 || s.Ops != c.ops || len(s.Levels) != 2 || len(s.Baseline.Levels) != 2 {
		t.Fatalf("summary L=%d N=%d level=%d ops=%d with %d and %d levels, want 16, %d, 2, %d, 2 and 2",
			s.L, s.N, s.Level, s.Ops, len(s.Levels), len(s.Baseline.Levels), c.n, c.ops)
	}
	for _, r := range []struct {
		name   string
		yt, yh float64
		nu     float64
	}{{"learned", s.Yt, s.Yh, s.Nu}, {"majority", s.Baseline.Yt, s.Baseline.Yh, s.Baseline.Nu}} {
		if math.Abs(r.yt-1) > 0.15 {
			t.Errorf("%s rule: y_t = %.4f, want within 0.15 of 1", r.name, r.yt)
		}
		if math.Abs(r.yh-1.875) > 0.05 {
			t.Errorf("%s rule: y_h = %.4f, want within 0.05 of 15/8", r.name, r.yh)
		}
		if math.Abs(r.nu*r.yt-1) > 1e-12 {
			t.Errorf("%s rule: ν = %v is not 1/y_t = %v", r.name, r.nu, 1/r.yt)
		}
	}
	if !s.Majority || !s.SymMajority {
		t.Errorf("learned filter %v (‖λ‖ = %.2f): raw is majority %v, symmetrized is majority %v; want both",
			s.Weights, s.Norm, s.Majority, s.SymMajority)
	}
	if s.Flow != nil {
		t.Errorf("flow %v with -noflow", s.Flow)
	}
}

// TestRunDataRoundTrip saves the sampled configurations with -save and runs
// again on them with -data: the summaries must agree in every field but the
// timings.
func TestRunDataRoundTrip(t *testing.T) {
	dir := t.TempDir()
	c := small(dir)
	c.n, c.steps, c.maxOps, c.ops = 1000, 100, 2, 1
	c.saveData = filepath.Join(dir, "ising.npy")
	a, err := run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	c.saveData, c.data, c.L = "", filepath.Join(dir, "ising.npy"), 0
	b, err := run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	a.CPUSeconds, a.WallSeconds, b.CPUSeconds, b.WallSeconds = 0, 0, 0, 0
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("-save then -data changes the summary:\nsampled %s\nloaded  %s", ja, jb)
	}
}

// TestRunBadInput checks that invalid flags are refused with an error.
func TestRunBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*config)
		want string
	}{
		{"ops", func(c *config) { c.ops = 5 }, "-maxops"},
		{"T", func(c *config) { c.T = 0 }, "-T"},
		{"sweeps", func(c *config) { c.sweeps = -1 }, "-sweeps"},
		{"minside", func(c *config) { c.minSide = 16 }, "-minside"},
		{"sampler", func(c *config) { c.sampler = "heatbath" }, "-sampler"},
		{"data", func(c *config) { c.data = "/nonexistent/ising.npy" }, "ising.npy"},
	} {
		c := small(t.TempDir())
		c.n, c.steps = 100, 10
		tc.edit(&c)
		_, err := run(context.Background(), c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}
