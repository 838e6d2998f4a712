package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/rsmi-go/rsmi/examples/internal/cli"
	"github.com/rsmi-go/rsmi/examples/internal/maintest"
)

func TestMain(m *testing.M) { maintest.Main(m, main) }

// TestConventions runs the program as a user does (maintest.Check): -h, a
// positional argument, an unwritable -outdir, and a small run with -json,
// with and without -q, whose progress lines name every stage.
func TestConventions(t *testing.T) {
	if testing.Short() {
		t.Skip("two pipeline runs")
	}
	maintest.Check(t, maintest.Conventions{
		Usage:  "rgflow measures the critical exponents",
		Outdir: "-outdir",
		Small: []string{"-L", "32", "-n", "160", "-shards", "4", "-learn", "10", "-weights", "inf",
			"-flowT", "1", "-flown", "20"},
		Stages: []string{"pipeline: learning sample", "pipeline: learning", "pipeline: sampling L=32", "pipeline: sampling L=16",
			"pipeline: flow"},
	})
}

// small is a configuration that runs in seconds: 2D L = 32, 2000
// configurations at L and at L/2 in 10 shards, a short filter training, two
// learned strengths and the sharp rule, a two-temperature flow.
func small(dir string) config {
	return config{dim: 2, L: 32, n: 2000, shards: 10, learn: 60, ops: 4, minSide: 8, flowN: 100,
		weights: []float64{0.7, 0.9, math.Inf(1)}, flowT: []float64{0.97, 1}, seed: 1, outdir: dir, quiet: true,
		ck: &cli.Checkpoint{}}
}

// TestRunJSON runs the program and checks that the JSON summary holds the
// keys the issue names, with sane values, and that both figures are written.
func TestRunJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("a pipeline run")
	}
	dir := t.TempDir()
	s, err := run(context.Background(), small(dir))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"dim", "L", "nu", "nu_err", "nu_sys", "yh", "yh_err", "yh_sys", "levels", "baseline", "rules", "filters", "flow"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	base := m["baseline"].(map[string]any)
	for _, k := range []string{"rule", "nu", "nu_err", "nu_sys", "yh", "yh_err", "yh_sys"} {
		if _, ok := base[k]; !ok {
			t.Errorf("JSON baseline lacks %q", k)
		}
	}
	if base["rule"] != "majority" || m["dim"] != 2.0 || m["L"] != 32.0 || len(m["rules"].([]any)) != 3 || len(m["flow"].([]any)) != 2 {
		t.Errorf("summary: baseline %v, dim %v, L %v, rules %v, flows %v", base["rule"], m["dim"], m["L"], m["rules"], m["flow"])
	}
	nu, yh := m["nu"].(float64), m["yh"].(float64)
	if !(nu > 0.8 && nu < 1.2 && yh > 1.8 && yh < 1.95 && m["nu_err"].(float64) > 0 && m["yh_sys"].(float64) > 0) {
		t.Errorf("ν = %v ± %v ± %v, y_h = %v ± %v ± %v", nu, m["nu_err"], m["nu_sys"], yh, m["yh_err"], m["yh_sys"])
	}
	for _, f := range []string{"rgflow_flow.png", "rgflow_yt.png", "rgflow_yh.png"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() < 1000 {
			t.Errorf("figure %s: %v", f, err)
		}
	}
}

// TestResumeSameJSON runs the program with a checkpoint directory, then
// again with -resume over the finished checkpoints: the JSON summaries are
// identical (they hold no wall or CPU times).
func TestResumeSameJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("two pipeline runs")
	}
	ck := t.TempDir()
	c := small(t.TempDir())
	c.flowT = nil
	first, err := run(context.Background(), withCheckpoint(c, ck, false))
	if err != nil {
		t.Fatal(err)
	}
	again, err := run(context.Background(), withCheckpoint(c, ck, true))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(first)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Error("the resumed run's summary differs")
	}
}

func withCheckpoint(c config, dir string, resume bool) config {
	c.ck = cli.NewCheckpoint(dir, resume)
	return c
}

func TestBadFlags(t *testing.T) {
	c := small(t.TempDir())
	c.dim = 4
	if _, err := run(context.Background(), c); err == nil {
		t.Error("-dim 4 accepted")
	}
	if _, err := cli.Floats("1,x", "-weights"); err == nil {
		t.Error("-weights 1,x accepted")
	}
	if err := cli.Outdir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing -outdir accepted")
	}
}
