package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMain runs the program itself when POTTS_RUN_MAIN is set, so that a
// test can check its exit status and output.
func TestMain(m *testing.M) {
	if os.Getenv("POTTS_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
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
	cmd := exec.Command(os.Args[0], "-L", "32", "-n", "800", "-shards", "8", "-learn", "10", "-finetune", "60",
		"-json", "-q", "-outdir", dir)
	cmd.Env = append(os.Environ(), "POTTS_RUN_MAIN=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("exit: %v; stderr: %s", err, errb.String())
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("stdout %q: %v", out.String(), err)
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
	bad := exec.Command(os.Args[0], "-L", "33", "-q")
	bad.Env = cmd.Env
	if err := bad.Run(); err == nil {
		t.Error("-L 33: exit status 0")
	}
}
