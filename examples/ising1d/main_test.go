package main

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/rsmi-go/rsmi/examples/internal/maintest"
)

func TestMain(m *testing.M) { maintest.Main(m, main) }

// TestConventions runs the program as a user does: -h, a positional
// argument, an unwritable -outdir, and a small run with -json, with and
// without -q (see maintest.Check), whose progress lines name every stage.
func TestConventions(t *testing.T) {
	maintest.Check(t, maintest.Conventions{
		Usage:  "ising1d learns the RSMI coarse-graining filter of the 1D Ising chain",
		Outdir: "-outdir",
		Small:  []string{"-n", "200", "-rbm-epochs", "2", "-finetune", "20", "-steps", "100"},
		Stages: []string{"sampling: sample.Collect", "rsmi.ExactV: Θ-RBM", "rsmi.ExactV: fine-tuning", "filter: rsmi.Train  100/100", "figures", "acts as decimation"},
	})
}

// small is the default configuration with fewer samples, Θ-RBM epochs and
// Adam steps, quiet and without figures: a run takes well under a second.
func small() config {
	return config{K: 1, lv: 2, lb: 1, le: 2, nh: 1, estimator: "exactv", L: 64, n: 400, every: 20, burn: 200, chains: 2,
		rbmHidden: 32, rbmEpochs: 3, rbmLR: 0.01, fineTune: 300, steps: 500, lr: 0.01, seed: 1, quiet: true}
}

// TestRunActsAsDecimation trains the filter of a 2-spin block at K = 1, on
// Wolff samples through ExactV and on the exact chain oracle itself, and
// checks the paper's 1D result: the learned rule acts as decimation (one
// weight dominates, |λ|max/|λ|next > 1.5, and the most probable h copies
// that spin for every block state), and its exact MI lies between the exact
// MI of majority rule and of decimation, below I(V:E). The exact values
// come from the transfer-matrix oracle (rsmi.NewExactChain).
func TestRunActsAsDecimation(t *testing.T) {
	for _, est := range []string{"exactv", "exact"} {
		c := small()
		c.estimator = est
		s, err := run(context.Background(), c)
		if err != nil {
			t.Fatalf("%s: %v", est, err)
		}
		if s.Estimator != est || s.K != c.K || len(s.Weights) != 1 || len(s.Weights[0]) != c.lv {
			t.Fatalf("%s: summary estimator %q K %v weights %v", est, s.Estimator, s.K, s.Weights)
		}
		if !s.ActsAsDecimation || !(s.DecimationRatio > 1.5) {
			t.Errorf("%s: acts_as_decimation %v, decimation_ratio %.3f (weights %v): want true and > 1.5",
				est, s.ActsAsDecimation, s.DecimationRatio, s.Weights)
		}
		if !(s.ExactMI > s.MajorityMI && s.ExactMI <= s.DecimationMI+1e-12 && s.DecimationMI < s.VisibleMI) {
			t.Errorf("%s: exact MI %.5f, want majority %.5f < it ≤ decimation %.5f < I(V:E) %.5f",
				est, s.ExactMI, s.MajorityMI, s.DecimationMI, s.VisibleMI)
		}
		if math.IsNaN(s.MI) || s.MI <= 0 || s.MI > s.VisibleMI+0.05 {
			t.Errorf("%s: estimator MI %v bits, want positive and not above I(V:E) = %v", est, s.MI, s.VisibleMI)
		}
		if est == "exact" && s.MI != s.ExactMI {
			t.Errorf("exact estimator: mi_bits %v ≠ exact_mi_bits %v", s.MI, s.ExactMI)
		}
	}
}

// TestRunBadInput checks that invalid flags are errors, not panics.
func TestRunBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*config)
		want string
	}{
		{"lv", func(c *config) { c.lv = 1 }, "-lv"},
		{"estimator", func(c *config) { c.estimator = "mine" }, "-estimator"},
		{"chains", func(c *config) { c.chains = 0 }, "-chains"},
		{"data", func(c *config) { c.data = "/nonexistent/chain.npy" }, "chain.npy"},
	} {
		c := small()
		tc.edit(&c)
		_, err := run(context.Background(), c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}
