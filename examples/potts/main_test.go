package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

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
		Usage:  "potts measures the critical exponents",
		Outdir: "-outdir",
		Small:  []string{"-L", "32", "-n", "160", "-shards", "4", "-learn", "6", "-finetune", "10"},
		Stages: []string{"pipeline: learning sample", "pipeline: learning", "pipeline: sampling L=32", "pipeline: sampling L=16"},
	})
}

// TestRunJSON runs the program at L = 32 (estimates on the 8×8 lattice of
// level 2, matched with L = 16) with 800 configurations, a small learning
// sample and a short fine-tuning of ExactV, and checks its exit status, the JSON keys the issue
// names, ExactV's MI of the learned filter against the exact oracle's, and
// the filter figure.
func TestRunJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("a pipeline run")
	}
	dir := t.TempDir()
	r := maintest.Run(t, dir, "-L", "32", "-n", "800", "-shards", "8", "-learn", "10", "-finetune", "60", "-json", "-q", "-outdir", dir)
	if r.Code != 0 {
		t.Fatalf("exit %d; stderr: %s", r.Code, r.Stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil {
		t.Fatalf("stdout %q: %v", r.Stdout, err)
	}
	for _, k := range []string{"q", "L", "mi_bits", "mi_exact_bits", "nu", "nu_err", "nu_sys", "yh", "yh_err", "yh_sys", "baseline", "rules"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	base, _ := m["baseline"].(map[string]any)
	for _, k := range []string{"rule", "nu", "nu_err", "nu_sys", "yh", "yh_err", "yh_sys"} {
		if _, ok := base[k]; !ok {
			t.Errorf("JSON baseline lacks %q", k)
		}
	}
	if base["rule"] != "plurality" || m["q"] != 3.0 || m["L"] != 32.0 {
		t.Errorf("summary: baseline %v, q %v, L %v", base["rule"], m["q"], m["L"])
	}
	if mi, ex := m["mi_bits"].(float64), m["mi_exact_bits"].(float64); !(mi > 0.05 && ex > 0.05 && mi < 1.6 && ex < 1.6) || math.Abs(mi-ex) > 0.05 {
		t.Errorf("MI %v bit (ExactV), exact oracle %v bit", mi, ex)
	}
	if fi, err := os.Stat(filepath.Join(dir, "potts_filter.png")); err != nil || fi.Size() < 1000 {
		t.Errorf("filter figure: %v", err)
	}
	if r := maintest.Run(t, dir, "-L", "33", "-q"); r.Code == 0 {
		t.Error("-L 33: exit status 0")
	}
}
