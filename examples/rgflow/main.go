// Command rgflow measures the critical exponents of the Ising model in two
// or three dimensions with a coarse-graining rule learned by real-space
// mutual information (RSMI), beside majority rule on the same samples, and
// draws the renormalization-group flow the learned rule generates.
//
// It is a thin program over exponent.Pipeline, which holds all the physics
// (see its documentation): learn the block filter at fixed norm from a
// learning sample, apply it at several strengths w (symmetrized over the
// block's point group), stream sharded Wolff samples at L and L/2 through
// Monte Carlo RG with every rule, estimate y_t and y_h with statistical and
// systematic errors by exponent.EstimateY's rule, and choose, per exponent,
// the learned strength with the smallest total error. The program adds
// flags, progress lines, figures and the JSON summary.
//
// Defaults: -dim 2 runs the square lattice at L = 128 (estimates on the
// 8×8 lattice of level 4, matched with L = 64); -dim 3 the cubic lattice at
// K_c = 0.221654626 (Ferrenberg, Xu & Landau 2018), L = 64 (estimates on
// the 8³ lattice of level 3, matched with L = 32). The README gives run
// times and memory. Exact references, used only in the figures and the
// text summary: ν = 1, y_h = 15/8 in 2D; ν = 0.629971, y_h = 2.4818511 in
// 3D (conformal bootstrap).
//
// Output: rgflow_flow.png (the effective nearest-neighbour coupling per
// level below, at and above T_c), rgflow_yt.png and rgflow_yh.png (y_t and
// y_h of every learned rule at the estimate's level against its strength
// w, beside majority rule and the exact value), a summary on stderr,
// and with -json one line on stdout:
//
//	{"dim","L","N","nu","nu_err","nu_sys","yt","yh","yh_err","yh_sys","eta",
//	 "levels":[{"n","side","yt","yt_err","yh","yh_err"}],
//	 "baseline":{"rule":"majority","nu","nu_err","nu_sys","yh","yh_err","yh_sys",…},
//	 "rules":[…], "filters":[…], "flow":[…], …}
//
// nu_err and yh_err are statistical (jackknife over shards), nu_sys and
// yh_sys systematic. -checkpoint DIR saves every stage; after an
// interruption -resume continues and prints the same JSON.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/rsmi-go/rsmi/examples/internal/cli"
	"github.com/rsmi-go/rsmi/exponent"
	"github.com/rsmi-go/rsmi/sample"
)

type config struct {
	dim, L, n, match, shards, learn, ops, minSide, flowN int
	seed                                                 uint64
	weights, flowT                                       []float64
	outdir, data, matchData                              string
	quiet                                                bool
	ck                                                   *cli.Checkpoint
}

// exact holds the reference values of the Ising model in 2 and 3 dimensions.
var exact = map[int]struct{ Tc, Yt, Yh float64 }{
	2: {2 / math.Log(1+math.Sqrt2), 1, 15.0 / 8},
	3: {1 / 0.221654626, 1.587375, 2.4818511},
}

func main() {
	var c config
	var weights, flowT string
	flag.IntVar(&c.dim, "dim", 2, "dimension: 2 (square lattice) or 3 (cubic)")
	flag.IntVar(&c.L, "L", 0, "linear size (default 128 in 2D, 64 in 3D)")
	flag.IntVar(&c.n, "n", 0, "configurations at L (default 200000 in 2D, 32000 in 3D)")
	flag.IntVar(&c.match, "match", 0, "configurations of the matching run at L/2 (default -n; negative: none)")
	flag.IntVar(&c.shards, "shards", 40, "independent shards (chains), also the jackknife blocks")
	flag.IntVar(&c.learn, "learn", 0, "configurations of the learning sample (default 400 in 2D, 100 in 3D)")
	flag.StringVar(&weights, "weights", "", "strengths w of the learned rules, comma-separated, inf for the sharp rule (default: exponent.Pipeline's)")
	flag.IntVar(&c.ops, "ops", 4, "operators per sector k* of the estimates")
	flag.IntVar(&c.minSide, "minside", 8, "smallest final lattice side of the estimates")
	flag.StringVar(&flowT, "flowT", "0.97,1,1.03", "temperatures of the flow figure, in units of T_c (empty: none)")
	flag.IntVar(&c.flowN, "flown", 0, "configurations per flow temperature (default 1000 in 2D, 300 in 3D)")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed")
	flag.StringVar(&c.outdir, "outdir", ".", "directory for the PNG figures")
	flag.StringVar(&c.data, "data", "", "analyse the configurations of this .npy file (±1 or 0/1, with its .geom.json sidecar) instead of sampling at L")
	flag.StringVar(&c.matchData, "matchdata", "", "with -data: the matching run's configurations at L/2 (default: no matching run)")
	asJSON := flag.Bool("json", false, "print one JSON summary line on stdout")
	flag.BoolVar(&c.quiet, "q", false, "no progress lines or text summary on stderr")
	c.ck = cli.CheckpointFlags()
	cli.Usage("rgflow measures the critical exponents of the 2D or 3D Ising model with a learned RSMI rule and majority rule.")
	flag.Parse()
	var errW, errT error
	c.weights, errW = cli.Floats(weights, "-weights")
	c.flowT, errT = cli.Floats(flowT, "-flowT")
	if c.matchData != "" && c.data == "" {
		errW = errors.Join(errW, errors.New("-matchdata needs -data"))
	}
	positive := cli.Positive("L", "n", "shards", "learn", "ops", "minside", "flown")
	if err := errors.Join(cli.NoArgs(), positive, c.ck.Validate(), errW, errT, cli.Outdir(c.outdir)); err != nil {
		cli.Fatal(err)
	}
	cli.Main(func(ctx context.Context) (Summary, error) { return run(ctx, c) }, *asJSON)
}

func (c *config) defaults() error {
	ref, ok := exact[c.dim]
	if !ok {
		return fmt.Errorf("-dim %d: want 2 or 3", c.dim)
	}
	def := func(x *int, v2, v3 int) {
		if *x == 0 {
			*x = map[int]int{2: v2, 3: v3}[c.dim]
		}
	}
	def(&c.L, 128, 64)
	def(&c.n, 200000, 32000)
	def(&c.match, c.n, c.n)
	def(&c.learn, 400, 100)
	def(&c.flowN, 1000, 300)
	for i := range c.flowT {
		c.flowT[i] *= ref.Tc
	}
	return nil
}

func run(ctx context.Context, c config) (Summary, error) {
	if err := c.defaults(); err != nil {
		return nil, err
	}
	rep := cli.NewReporter(c.quiet)
	defer rep.Close()
	ref := exact[c.dim]
	rep.Logf("%dD Ising model at T_c = %.6f\n", c.dim, ref.Tc)
	o := &exponent.PipelineOptions{LearnSamples: c.learn, Weights: c.weights, Samples: c.n, Shards: c.shards,
		MatchSamples: c.match, Ops: c.ops, MinSide: c.minSide, FlowT: c.flowT, FlowSamples: c.flowN,
		Progress: rep.Progress, Checkpoint: c.ck.Options("rgflow")}
	sys := exponent.IsingSystem(c.dim)
	if c.data != "" { // analyse given configurations: no sampling, no flows
		var err error
		ro := &sample.ReadOptions{Values: sample.MapAuto} // ±1 spins or 0/1 bits
		if o.Data, err = sample.LoadDatasetWith(c.data, ro); err == nil && c.matchData != "" {
			o.MatchData, err = sample.LoadDatasetWith(c.matchData, ro)
		}
		if err != nil {
			return nil, err
		}
		sys, o.FlowT, c.L = nil, nil, o.Data.Geom.Extents()[0]
	}
	res, err := exponent.Pipeline(ctx, sys, c.L, ref.Tc, rand.NewPCG(c.seed, 0x5eed), o)
	if err != nil {
		return nil, err
	}
	rep.Close()
	s := summarize(res)
	if err := figures(c, res); err != nil {
		return nil, err
	}
	if !c.quiet {
		report(os.Stderr, res, ref.Yt, ref.Yh, c.outdir)
	}
	return s, nil
}
