// Command ising2d is the library's main job: it learns the real-space
// mutual-information (RSMI) coarse-graining rule of the 2D Ising model at its
// critical point from samples alone — the paper's Fig. 2 (Koch-Janusz &
// Ringel, Nature Physics 14, 578 (2018)).
//
// It samples L×L configurations with the Wolff algorithm (or reads them with
// -data), cuts every configuration into (V, E) pairs — a b×b visible block V,
// a buffer of width -buffer around it and an environment shell of width -env
// beyond — trains a Θ-RBM on the pairs (the ExactV estimator: P(v|e) exact
// given the RBM by enumerating V), and then maximizes I_Λ(H:E) over the
// filter Λ twice:
//
//   - at fixed ‖λ‖ = 1 per hidden unit (the paper's figure): the optimum is
//     Kadanoff's block spin, all weights equal ("weights", "uniformity");
//   - unconstrained: ‖λ‖ grows and the filter becomes a sharp rule, majority
//     rule with a fixed tie-break ("sharp_weights", "sharp_majority").
//
// Every MI is checked against the exact oracle (rsmi.NewExactOracle), which
// computes the true P(v|e) from the Hamiltonian by enumerating block and
// buffer for each sampled environment; it needs -env ≥ 1 (the interaction
// range) and the true temperature -T.
//
// Output: ising2d_filters.png (heatmaps of both filters), ising2d_mi.png (MI
// per Adam step), a summary on stderr, and with -json one line on stdout:
//
//	{"L","T","block","buffer","nh","estimator","weights":[[..]],"uniformity":x,
//	 "sharp_weights":[[..]],"sharp_majority":true|false,"mi_bits":x,
//	 "exact_mi_bits":x,"mi_equal_bits":x,"mi_decimation_bits":x}
//
// weights[j] lists unit j's λ over the block, x fastest; uniformity is
// max_i |λ_i − mean|/|mean| over unit 0's weights (0 for the block spin);
// sharp_majority says the unconstrained filter (nh = 1) has one sign and
// agrees with majority rule on every untied block state. mi_bits and
// exact_mi_bits are the sharp filter's MI under ExactV and under the exact
// oracle; mi_equal_bits and mi_decimation_bits are the exact oracle's MI of
// the two textbook rules with nh = 1: equal weights in the sharp limit
// (majority rule, ties broken by a fair coin) and decimation (h = one spin
// of the block).
//
// -checkpoint DIR saves the Θ-RBM's training and both filter trainings as
// they go; after an interruption (Ctrl-C, SIGTERM, a killed job) the same
// command with -resume continues from the checkpoints and ends with the same
// result as an uninterrupted run.
//
// Defaults (L = 32 at T_c = 2.269185, 2×2 block, buffer 1, environment 1,
// nh = 1, 5000 configurations, 100,000 pairs, 3000 Adam steps) finish in
// about 15 s on 2 cores.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/rsmi-go/rsmi/examples/internal/cli"
	"github.com/rsmi-go/rsmi/examples/internal/learn"
	"github.com/rsmi-go/rsmi/examples/internal/npydata"
	"github.com/rsmi-go/rsmi/examples/internal/plots"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

type config struct {
	L, block, buffer, env, nh int
	T                         float64
	n, pairs                  int
	steps                     int
	seed                      uint64
	data, outdir              string
	quiet                     bool
	ck                        *cli.Checkpoint // -checkpoint/-resume; nil: none
}

// Summary is the -json line.
type Summary struct {
	L            int         `json:"L"`
	T            float64     `json:"T"`
	Block        int         `json:"block"`
	Buffer       int         `json:"buffer"`
	NH           int         `json:"nh"`
	Estimator    string      `json:"estimator"`
	Weights      [][]float64 `json:"weights"`
	Uniformity   float64     `json:"uniformity"`
	SharpWeights [][]float64 `json:"sharp_weights"`
	SharpMaj     bool        `json:"sharp_majority"`
	MI           float64     `json:"mi_bits"`
	ExactMI      float64     `json:"exact_mi_bits"`
	MIEqual      float64     `json:"mi_equal_bits"`
	MIDecimation float64     `json:"mi_decimation_bits"`
}

func main() {
	var c config
	flag.IntVar(&c.L, "L", 32, "linear lattice size")
	flag.Float64Var(&c.T, "T", 2.269185, "temperature (also the exact oracle's; with -data, the temperature the data were made at)")
	flag.IntVar(&c.block, "block", 2, "block side b (V is b×b)")
	flag.IntVar(&c.buffer, "buffer", 1, "buffer width L_B")
	flag.IntVar(&c.env, "env", 1, "environment shell width L_E (≥ 1, the interaction range, for the exact oracle)")
	flag.IntVar(&c.nh, "nh", 1, "number of hidden units of the filter")
	flag.IntVar(&c.n, "n", 5000, "number of configurations to sample")
	flag.IntVar(&c.pairs, "pairs", 100000, "number of (V,E) pairs for the Θ-RBM and the oracle (block positions spread over the lattice)")
	flag.IntVar(&c.steps, "steps", 3000, "Adam steps per filter training")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed")
	flag.StringVar(&c.data, "data", "", "read configurations from this .npy file (±1 or 0/1 values, shape (n, L, L) or (n, L·L)) instead of sampling")
	flag.StringVar(&c.outdir, "outdir", ".", "directory for the PNG figures")
	asJSON := flag.Bool("json", false, "print one JSON summary line on stdout")
	flag.BoolVar(&c.quiet, "q", false, "no text summary on stderr")
	c.ck = cli.CheckpointFlags()
	cli.Parse()
	if err := errors.Join(c.ck.Validate(), cli.Outdir(c.outdir)); err != nil {
		cli.Fatal(err)
	}
	cli.Main(func(ctx context.Context) (*Summary, error) { return run(ctx, c) }, *asJSON)
}

func run(ctx context.Context, c config) (*Summary, error) {
	if c.nh < 1 || c.n < 1 || c.pairs < 1 || c.steps < 1 || c.env < 1 {
		return nil, fmt.Errorf("-nh, -n, -pairs, -steps and -env must be positive")
	}
	if !(c.T > 0) || math.IsInf(c.T, 0) {
		return nil, fmt.Errorf("temperature -T %v must be finite and positive", c.T)
	}
	ds, m, err := dataset(ctx, c)
	if err != nil {
		return nil, err
	}
	c.L = ds.Geom.Extents()[0]
	reg, err := rsmi.NewRegions(ds.Geom, []int{c.block, c.block}, &rsmi.RegionOptions{Buffer: c.buffer, Env: c.env})
	if err != nil {
		return nil, err
	}
	// Spread the block positions: ⌈pairs/n⌉ positions per configuration, a
	// fixed random subset drawn from the seed, in every configuration.
	pairs, pos, err := reg.SpreadPairs(ds, c.pairs, rand.NewPCG(c.seed, 2))
	if err != nil {
		return nil, err
	}
	n := pairs.N
	progress, done := learn.Bars("")
	ev, err := rsmi.NewExactV(ctx, pairs, rand.NewPCG(c.seed, 3), &rsmi.ExactVOptions{
		Checkpoint: c.ck.Options("ising2d-theta.ckpt"),
		Progress:   progress,
	})
	done()
	if err != nil {
		return nil, err
	}
	// the exact oracle on the same (sample, position) pairs
	progress, done = learn.Bars("exact oracle")
	oracle, err := rsmi.NewExactOracle(ctx, m, c.T, reg, ds, &rsmi.OracleOptions{Positions: pos, MaxPairs: n, Progress: progress})
	done()
	if err != nil {
		return nil, err
	}

	// Fixed norm (the paper's figure) and unconstrained (the sharp rule).
	fixed, histFixed, err := train(ctx, ev, c, reg.NV(), 1, "Λ at ‖λ‖=1", 4)
	if err != nil {
		return nil, err
	}
	sharp, histSharp, err := train(ctx, ev, c, reg.NV(), 0, "Λ unconstrained", 5)
	if err != nil {
		return nil, err
	}
	s := &Summary{L: c.L, T: c.T, Block: c.block, Buffer: c.buffer, NH: c.nh, Estimator: "exactv",
		Weights: learn.Rows(fixed), SharpWeights: learn.Rows(sharp)}
	s.Uniformity = uniformity(fixed.W[:fixed.NV])
	s.SharpMaj = c.nh == 1 && learn.IsMajority(sharp)
	if s.MI, err = ev.MI(sharp); err != nil {
		return nil, err
	}
	if s.ExactMI, err = oracle.MI(sharp); err != nil {
		return nil, err
	}
	if s.MIEqual, err = oracle.RuleMI(rsmi.Majority{}); err != nil {
		return nil, err
	}
	if s.MIDecimation, err = oracle.RuleMI(rsmi.Decimation{Site: 0}); err != nil {
		return nil, err
	}
	fixedExact, _ := oracle.MI(fixed)
	if err := figures(c, fixed, sharp, histFixed, histSharp); err != nil {
		return nil, err
	}
	if !c.quiet {
		w := os.Stderr
		fmt.Fprintf(w, "2D Ising L=%d T=%g: %d configurations, %d (V,E) pairs, block %d×%d, buffer %d, env %d, nh=%d\n",
			c.L, c.T, ds.N, n, c.block, c.block, c.buffer, c.env, c.nh)
		fmt.Fprintf(w, "  ‖λ‖=1 filter     %s  uniformity %.4f  MI %.4f bit (exact %.4f)\n", learn.FmtRows(s.Weights), s.Uniformity, histFixed[len(histFixed)-1], fixedExact)
		fmt.Fprintf(w, "  sharp filter     %s  majority rule: %v\n", learn.FmtRows(s.SharpWeights), s.SharpMaj)
		fmt.Fprintf(w, "  MI sharp         %.4f bit (ExactV), %.4f bit (exact oracle)\n", s.MI, s.ExactMI)
		fmt.Fprintf(w, "  MI majority rule %.4f bit, decimation %.4f bit (exact oracle); I(V:E) = %.4f bit\n", s.MIEqual, s.MIDecimation, oracle.VisibleMI())
		fmt.Fprintf(w, "  figures: %s, %s\n", filepath.Join(c.outdir, "ising2d_filters.png"), filepath.Join(c.outdir, "ising2d_mi.png"))
	}
	return s, nil
}

// dataset samples the 2D Ising model at c.T with Wolff clusters, or reads
// c.data with npydata.LoadSquare: shape (n, L, L), or (n, L·L) read as L×L
// with x fastest, geometry sidecar optional; ±1 spins are kept, and a file
// of 0/1 values is mapped 0 → −1, 1 → +1 (sample.MapAuto); any other value
// is an error naming its position.
func dataset(ctx context.Context, c config) (*sample.Dataset, *lattice.Ising, error) {
	if c.data != "" {
		ds, err := npydata.LoadSquare(c.data)
		if err != nil {
			return nil, nil, err
		}
		// LoadSquare has checked the geometry against lattice.NewSquare(L).
		lat, err := lattice.NewSquare(ds.Geom.Extents()[0])
		if err != nil {
			return nil, nil, err
		}
		m, err := lattice.NewNearestNeighborIsing(lat, 1)
		return ds, m, err
	}
	lat, err := lattice.NewSquare(c.L)
	if err != nil {
		return nil, nil, err
	}
	m, err := lattice.NewNearestNeighborIsing(lat, 1)
	if err != nil {
		return nil, nil, err
	}
	// One stored configuration per ~N flipped spins: the mean cluster size
	// is measured in a pilot run before sampling (the schedule is fixed in
	// advance).
	wolff := func(src rand.Source) (sample.Sampler, error) { return sample.NewWolff(m, c.T, src) }
	every, err := sample.PilotEvery(ctx, wolff, rand.NewPCG(c.seed, 4), nil)
	if err != nil {
		return nil, nil, err
	}
	// Burn-in: from a random start Wolff clusters stay tiny for about N/16
	// clusters before they reach equilibrium size, so N/4 clusters come on
	// top of 50 sampling intervals.
	const chains = 2
	bar := cli.NewBar("sampling")
	defer bar.Done()
	ds, err := sample.Collect(ctx, wolff,
		sample.Plan{Chains: chains, BurnIn: 50*every + lat.N()/4, Every: every, PerChain: (c.n + chains - 1) / chains, Progress: bar.Progress}, rand.NewPCG(c.seed, 1))
	return ds, m, err
}

// train maximizes the ExactV MI from a random filter; norm > 0 fixes ‖λ_j‖.
func train(ctx context.Context, est rsmi.Estimator, c config, nv int, norm float64, label string, stream uint64) (*rsmi.Filter, []float64, error) {
	f, err := rsmi.NewFilter(c.nh, nv, rand.NewPCG(c.seed, stream))
	if err != nil {
		return nil, nil, err
	}
	progress, done := learn.Bars(label)
	defer done()
	res, err := rsmi.Train(ctx, est, f, &rsmi.TrainOptions{Steps: c.steps, Norm: norm, Progress: progress,
		Checkpoint: c.ck.Options(fmt.Sprintf("ising2d-filter-%d.ckpt", stream))})
	if err != nil {
		return nil, nil, err
	}
	return f, res.History, nil
}

// uniformity is max_i |λ_i − mean|/|mean|.
func uniformity(w []float64) float64 {
	var mean float64
	for _, x := range w {
		mean += x
	}
	mean /= float64(len(w))
	var u float64
	for _, x := range w {
		u = math.Max(u, math.Abs(x-mean)/math.Abs(mean))
	}
	return u
}

func figures(c config, fixed, sharp *rsmi.Filter, histFixed, histSharp []float64) error {
	var panels []plots.Panel
	for _, f := range []*rsmi.Filter{fixed, sharp} {
		kind := "‖λ‖ = 1"
		if f == sharp {
			kind = "unconstrained"
		}
		for j := 0; j < f.NH; j++ {
			g := learn.BlockGrid(f, j, c.block)
			// scale each panel to its own maximum so both filters read at a glance
			mx := 0.0
			for _, r := range g {
				for _, x := range r {
					mx = math.Max(mx, math.Abs(x))
				}
			}
			for _, r := range g {
				for i := range r {
					r[i] /= mx
				}
			}
			panels = append(panels, plots.Panel{Title: fmt.Sprintf("%s, unit %d", kind, j+1), Grid: g})
		}
	}
	title := fmt.Sprintf("RSMI filters, 2D Ising L=%d at T=%g, %d×%d block, buffer %d", c.L, c.T, c.block, c.block, c.buffer)
	if err := plots.Heatmaps(filepath.Join(c.outdir, "ising2d_filters.png"), title, "λ / max|λ|", panels); err != nil {
		return err
	}
	steps := func(h []float64) []float64 {
		x := make([]float64, len(h))
		for i := range x {
			x[i] = float64(i + 1)
		}
		return x
	}
	return plots.Lines(filepath.Join(c.outdir, "ising2d_mi.png"), "I_Λ(H:E) during training (ExactV)", "Adam step", "mutual information (bits)",
		[]plots.Series{{Name: "‖λ‖ = 1", X: steps(histFixed), Y: histFixed}, {Name: "unconstrained", X: steps(histSharp), Y: histSharp}})
}
