// Command potts measures the critical exponents of the two-dimensional
// 3-state Potts model, H = −Σ_<ij> δ(σ_i, σ_j) at T_c = 1/ln(1+√3), with a
// 2×2 coarse-graining rule of three coarse states learned by real-space
// mutual information (RSMI), beside plurality rule on the same samples.
//
// It is a thin program over exponent.Pipeline with exponent.PottsSystem
// (see their documentation): learn the block's softmax filter at fixed
// norm from the samples alone (ExactV on the (V, E) pairs of a learning
// sample), check its mutual information against the exact oracle of the
// model at the same pairs, apply it at several strengths w (averaged over
// the permutations of the states and the block's point group), stream
// sharded Swendsen–Wang samples at L and L/2 through Monte Carlo RG with
// the Potts operators, estimate y_t and y_h with statistical and
// systematic errors by exponent.EstimateY's rule, and choose per exponent
// the learned strength with the smallest total error. The program adds
// flags, progress lines, the filter figure and the JSON summary.
//
// Output: potts_filter.png (the learned weights λ_{a,i,c}, one panel per
// coarse state a, block site i across, fine state c up), a summary on
// stderr, and with -json one line on stdout:
//
//	{"q":3,"L","N","mi_bits","mi_exact_bits","nu","nu_err","nu_sys","yh","yh_err","yh_sys",
//	 "baseline":{"rule":"plurality","nu","nu_err","nu_sys","yh","yh_err","yh_sys",…},
//	 "rules":[…], …}
//
// mi_bits is ExactV's I(H:E) of the learned filter (‖λ‖ = 1), mi_exact_bits
// the exact oracle's at the same pairs (visible_mi_bits and
// visible_mi_exact_bits likewise for I(V:E)); nu_err and yh_err are
// statistical (jackknife over shards), nu_sys and yh_sys systematic. Exact values (ν = 5/6, y_h = 28/15) appear only in the
// text summary. -checkpoint DIR saves every stage; -resume continues.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/rsmi-go/rsmi/examples/internal/cli"
	"github.com/rsmi-go/rsmi/examples/internal/plots"
	"github.com/rsmi-go/rsmi/exponent"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
)

type config struct {
	L, n, match, shards, learn, fineTune, ops, minSide int
	seed                                               uint64
	outdir                                             string
	quiet                                              bool
	ck                                                 *cli.Checkpoint
}

// q is the number of Potts states.
const q = 3

func main() {
	var c config
	flag.IntVar(&c.L, "L", 128, "linear size")
	flag.IntVar(&c.n, "n", 200000, "configurations at L")
	flag.IntVar(&c.match, "match", 0, "configurations of the matching run at L/2 (default -n; negative: none)")
	flag.IntVar(&c.shards, "shards", 40, "independent shards (chains), also the jackknife blocks")
	flag.IntVar(&c.learn, "learn", 200, "configurations of the learning sample")
	flag.IntVar(&c.fineTune, "finetune", 300, "Adam steps of ExactV's conditional fine-tuning (negative: none)")
	flag.IntVar(&c.ops, "ops", 4, "operators per sector k* of the estimates")
	flag.IntVar(&c.minSide, "minside", 8, "smallest final lattice side of the estimates")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed")
	flag.StringVar(&c.outdir, "outdir", ".", "directory for the PNG figure")
	asJSON := flag.Bool("json", false, "print one JSON summary line on stdout")
	flag.BoolVar(&c.quiet, "q", false, "no progress lines or text summary on stderr")
	c.ck = cli.CheckpointFlags()
	cli.Usage("potts measures the critical exponents of the 2D 3-state Potts model with a learned RSMI rule and plurality rule.")
	cli.Parse()
	positive := cli.Positive("L", "n", "shards", "learn", "ops", "minside")
	if err := errors.Join(positive, c.ck.Validate(), cli.Outdir(c.outdir)); err != nil {
		cli.Fatal(err)
	}
	cli.Main(func(ctx context.Context) (Summary, error) { return run(ctx, c) }, *asJSON)
}

// Summary is the -json line.
type Summary map[string]any

func run(ctx context.Context, c config) (Summary, error) {
	if c.match == 0 {
		c.match = c.n
	}
	rep := cli.NewReporter(c.quiet)
	defer rep.Close()
	tc := lattice.PottsSquareTc(q, 1)
	rep.Logf("2D %d-state Potts model at T_c = %.6f, L = %d\n", q, tc, c.L)
	o := &exponent.PipelineOptions{LearnSamples: c.learn, Samples: c.n, Shards: c.shards, MatchSamples: c.match,
		ExactV: &rsmi.ExactVOptions{FineTune: c.fineTune}, Ops: c.ops, MinSide: c.minSide, Progress: rep.Progress, Checkpoint: c.ck.Options("potts")}
	res, err := exponent.Pipeline(ctx, exponent.PottsSystem(2, q), c.L, tc, rand.NewPCG(c.seed, 0x5eed), o)
	if err != nil {
		return nil, err
	}
	rep.Close()
	s := summarize(res)
	if err := filterFigure(filepath.Join(c.outdir, "potts_filter.png"), res.Softmax); err != nil {
		return nil, err
	}
	if !c.quiet {
		report(os.Stderr, res, c.outdir)
	}
	return s, nil
}

// estimates returns a rule's estimates as JSON fields.
func estimates(rr exponent.RuleResult) Summary {
	s := Summary{"rule": rr.Name, "mi_bits": rr.MI, "level": rr.Yt.Level, "ops": rr.Yt.Ops}
	for key, e := range map[string]exponent.Estimate{"nu": rr.Nu, "yt": rr.Yt, "yh": rr.Yh, "eta": rr.Eta} {
		s[key], s[key+"_err"], s[key+"_sys"] = e.Value, e.Stat, e.Sys
	}
	if !math.IsInf(rr.Weight, 0) && !math.IsNaN(rr.Weight) {
		s["w"] = rr.Weight
	}
	return s
}

func summarize(res *exponent.PipelineResult) Summary {
	s := Summary{"q": q, "L": res.L, "N": res.N, "N_match": res.NMatch, "mi_bits": res.FilterMI, "mi_exact_bits": res.FilterExactMI,
		"visible_mi_bits": res.VisibleMI, "visible_mi_exact_bits": res.VisibleExactMI, "level": res.Yt.Level, "ops": res.Yt.Ops,
		"rule_yt": res.Rules[res.YtRule].Name, "rule_yh": res.Rules[res.YhRule].Name,
		"baseline": estimates(res.Rules[res.Baseline])}
	for key, e := range map[string]exponent.Estimate{"nu": res.Nu, "yt": res.Yt, "yh": res.Yh, "eta": res.Eta} {
		s[key], s[key+"_err"], s[key+"_sys"] = e.Value, e.Stat, e.Sys
	}
	var rules []Summary
	for _, rr := range res.Rules[:res.Baseline] {
		rules = append(rules, estimates(rr))
	}
	s["rules"] = rules
	return s
}

// report prints the text summary.
func report(w io.Writer, res *exponent.PipelineResult, outdir string) {
	nu, yh, _ := lattice.PottsExponents2D(q)
	fmt.Fprintf(w, "\n2D %d-state Potts, L = %d (%d configurations) matched with L = %d (%d); estimates at level %d, %d operators per sector\n",
		q, res.L, res.N, res.L/res.B, res.NMatch, res.Yt.Level, res.Yt.Ops)
	fmt.Fprintf(w, "learned filter (‖λ‖ = 1), ExactV: I(H:E) = %.4f bit of I(V:E) = %.4f; exact oracle at the same pairs: %.4f of %.4f\n",
		res.FilterMI, res.VisibleMI, res.FilterExactMI, res.VisibleExactMI)
	fmt.Fprintf(w, "  %-15s %8s %26s %26s\n", "rule", "MI bits", "y_t ± stat ± sys", "y_h ± stat ± sys")
	for _, rr := range res.Rules {
		fmt.Fprintf(w, "  %-15s %8.4f %9.4f ± %.4f ± %.4f %9.5f ± %.5f ± %.5f\n", rr.Name, rr.MI,
			rr.Yt.Value, rr.Yt.Stat, rr.Yt.Sys, rr.Yh.Value, rr.Yh.Stat, rr.Yh.Sys)
	}
	b := res.Rules[res.Baseline]
	fmt.Fprintf(w, "learned (%s for y_t, %s for y_h): ν = %.4f ± %.4f (stat) ± %.4f (sys), y_h = %.5f ± %.5f ± %.5f\n",
		res.Rules[res.YtRule].Name, res.Rules[res.YhRule].Name, res.Nu.Value, res.Nu.Stat, res.Nu.Sys, res.Yh.Value, res.Yh.Stat, res.Yh.Sys)
	fmt.Fprintf(w, "%s: ν = %.4f ± %.4f ± %.4f, y_h = %.5f ± %.5f ± %.5f\n", b.Name, b.Nu.Value, b.Nu.Stat, b.Nu.Sys, b.Yh.Value, b.Yh.Stat, b.Yh.Sys)
	fmt.Fprintf(w, "exact: ν = %.6g, y_h = %.7g\nfigure: %s\n", nu, yh, filepath.Join(outdir, "potts_filter.png"))
}

// filterFigure draws the learned weights, one panel per coarse state.
func filterFigure(path string, f *rsmi.SoftmaxFilter) error {
	qv, nv := len(f.VStates), f.NV
	var panels []plots.Panel
	for a := range len(f.States()) {
		grid := make([][]float64, qv)
		for c := range grid {
			grid[c] = make([]float64, nv)
			for i := range grid[c] {
				grid[c][i] = f.W[(a*nv+i)*qv+c]
			}
		}
		panels = append(panels, plots.Panel{Title: fmt.Sprintf("coarse state h = %d", a), Grid: grid,
			XLabel: "site i of the block", YLabel: "fine state c"})
	}
	return plots.Heatmaps(path, "learned 2×2 Potts filter λ(h, i, c): weight of fine state c at site i for coarse state h", "λ", panels)
}
