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
// Progress lines (stage, done/total, rate, ETA) go to stderr at least every
// few seconds; -q silences them and the summary. -outdir is checked before
// anything is computed, and the program takes flags only.
//
// Defaults: L = 32 at T_c = 2.269185, 2×2 block, buffer 1, environment 1,
// nh = 1, 5000 configurations, 100,000 pairs, 3000 Adam steps (the README
// gives the run time and memory).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/rsmi-go/rsmi/examples/internal/cli"
	"github.com/rsmi-go/rsmi/examples/internal/learn"
	"github.com/rsmi-go/rsmi/examples/internal/npydata"
	"github.com/rsmi-go/rsmi/examples/internal/plots"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	rsmirun "github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

type config struct {
	L, block, buffer, env, nh int
	T                         float64
	n, pairs                  int
	steps                     int
	fineTune                  int // ExactV fine-tuning steps (0: the library default)
	seed                      uint64
	data, outdir              string
	quiet                     bool
	ck                        *cli.Checkpoint // -checkpoint/-resume; nil: none
	stderr                    io.Writer       // progress and summary; nil: os.Stderr
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
	flag.IntVar(&c.fineTune, "finetune", 300, "ExactV: Adam steps of the Θ-RBM's conditional fine-tuning (negative: none)")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed")
	flag.StringVar(&c.data, "data", "", "read configurations from this .npy file (±1 or 0/1 values, shape (n, L, L) or (n, L·L)) instead of sampling")
	flag.StringVar(&c.outdir, "outdir", ".", "directory for the PNG figures")
	asJSON := flag.Bool("json", false, "print one JSON summary line on stdout")
	flag.BoolVar(&c.quiet, "q", false, "no progress lines or text summary on stderr")
	c.ck = cli.CheckpointFlags()
	cli.Usage("ising2d learns the RSMI coarse-graining rule of the 2D Ising model at T_c (Kadanoff's block spin) and checks its mutual information against the exact value.")
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
	rep := cli.NewReporterTo(c.stderr, c.quiet)
	defer rep.Close()
	if c.data == "" {
		rep.Logf("2D Ising model, L = %d at T = %g: %d configurations (Wolff), %d (V,E) pairs, %d Adam steps per filter\n", c.L, c.T, c.n, c.pairs, c.steps)
	}
	ds, m, err := dataset(ctx, c, rep)
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
	ev, err := rsmi.NewExactV(ctx, pairs, rand.NewPCG(c.seed, 3), &rsmi.ExactVOptions{
		FineTune:   c.fineTune,
		Checkpoint: c.ck.Options("ising2d-theta.ckpt"),
		Progress:   rep.Progress,
	})
	if err != nil {
		return nil, err
	}
	// the exact oracle on the same (sample, position) pairs
	oracle, err := rsmi.NewExactOracle(ctx, m, c.T, reg, ds, &rsmi.OracleOptions{Positions: pos, MaxPairs: pairs.N, Progress: rep.Progress})
	if err != nil {
		return nil, err
	}
	// Fixed norm (the paper's figure) and unconstrained (the sharp rule).
	fixed, histFixed, err := train(ctx, ev, c, reg.NV(), 1, rep.Stage("filter at ‖λ‖ = 1"), 4)
	if err != nil {
		return nil, err
	}
	sharp, histSharp, err := train(ctx, ev, c, reg.NV(), 0, rep.Stage("unconstrained filter"), 5)
	if err != nil {
		return nil, err
	}
	rep.Begin("exact mutual information of the filters and rules")
	s := &Summary{L: c.L, T: c.T, Block: c.block, Buffer: c.buffer, NH: c.nh, Estimator: "exactv",
		Weights: learn.Rows(fixed), SharpWeights: learn.Rows(sharp)}
	s.Uniformity = uniformity(fixed.W[:fixed.NV])
	s.SharpMaj = c.nh == 1 && learn.IsMajority(sharp)
	ex, err := exactMIs(s, ev, oracle, fixed, sharp)
	if err != nil {
		return nil, err
	}
	rep.Begin("figures")
	if err := figures(c, fixed, sharp, histFixed, histSharp, ex); err != nil {
		return nil, err
	}
	rep.Close()
	rep.Logf("2D Ising L=%d T=%g: %d configurations, %d (V,E) pairs, block %d×%d, buffer %d, env %d, nh=%d\n",
		c.L, c.T, ds.N, pairs.N, c.block, c.block, c.buffer, c.env, c.nh)
	rep.Logf("  ‖λ‖=1 filter     %s  uniformity %.4f  MI %.4f bit (exact %.4f)\n", learn.FmtRows(s.Weights), s.Uniformity, histFixed[len(histFixed)-1], ex.fixed)
	rep.Logf("  sharp filter     %s  majority rule: %v\n", learn.FmtRows(s.SharpWeights), s.SharpMaj)
	rep.Logf("  MI sharp         %.4f bit (ExactV), %.4f bit (exact oracle)\n", s.MI, s.ExactMI)
	rep.Logf("  MI majority rule %.4f bit, decimation %.4f bit (exact oracle); I(V:E) = %.4f bit\n", s.MIEqual, s.MIDecimation, ex.visible)
	rep.Logf("  figures: %s, %s\n", filepath.Join(c.outdir, "ising2d_filters.png"), filepath.Join(c.outdir, "ising2d_mi.png"))
	return s, nil
}

// exact holds the exact values the MI figure draws as references.
type exact struct{ fixed, sharp, visible float64 }

// exactMIs fills the summary's mutual informations: the sharp filter's
// under ExactV and the exact oracle, the oracle's of majority rule and
// decimation; it returns the exact references of the MI figure.
func exactMIs(s *Summary, ev rsmi.Estimator, oracle *rsmi.Exact, fixed, sharp *rsmi.Filter) (exact, error) {
	var err error
	if s.MI, err = ev.MI(sharp); err != nil {
		return exact{}, err
	}
	if s.ExactMI, err = oracle.MI(sharp); err != nil {
		return exact{}, err
	}
	if s.MIEqual, err = oracle.RuleMI(rsmi.Majority{}); err != nil {
		return exact{}, err
	}
	if s.MIDecimation, err = oracle.RuleMI(rsmi.Decimation{Site: 0}); err != nil {
		return exact{}, err
	}
	fx, err := oracle.MI(fixed)
	return exact{fixed: fx, sharp: s.ExactMI, visible: oracle.VisibleMI()}, err
}

// dataset samples the 2D Ising model at c.T with Wolff clusters, or reads
// c.data with npydata.LoadSquare: shape (n, L, L), or (n, L·L) read as L×L
// with x fastest, geometry sidecar optional; ±1 spins are kept, and a file
// of 0/1 values is mapped 0 → −1, 1 → +1 (sample.MapAuto); any other value
// is an error naming its position.
func dataset(ctx context.Context, c config, rep *cli.Reporter) (*sample.Dataset, *lattice.Ising, error) {
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
	rep.Begin("pilot run (Wolff cluster size)")
	every, err := sample.PilotEvery(ctx, wolff, rand.NewPCG(c.seed, 4), nil)
	if err != nil {
		return nil, nil, err
	}
	// Burn-in: from a random start Wolff clusters stay tiny for about N/16
	// clusters before they reach equilibrium size, so N/4 clusters come on
	// top of 50 sampling intervals.
	const chains = 2
	ds, err := sample.Collect(ctx, wolff,
		sample.Plan{Chains: chains, BurnIn: 50*every + lat.N()/4, Every: every, PerChain: (c.n + chains - 1) / chains, Progress: rep.Stage("sampling")}, rand.NewPCG(c.seed, 1))
	return ds, m, err
}

// train maximizes the ExactV MI from a random filter; norm > 0 fixes ‖λ_j‖.
func train(ctx context.Context, est rsmi.Estimator, c config, nv int, norm float64, progress rsmirun.ProgressFunc, stream uint64) (*rsmi.Filter, []float64, error) {
	f, err := rsmi.NewFilter(c.nh, nv, rand.NewPCG(c.seed, stream))
	if err != nil {
		return nil, nil, err
	}
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

// figures writes ising2d_filters.png (both filters, each scaled to its
// largest weight) and ising2d_mi.png (ExactV's MI per Adam step of both
// trainings, with the exact MI of both final filters and I(V:E), the bound
// of every filter, as reference lines).
func figures(c config, fixed, sharp *rsmi.Filter, histFixed, histSharp []float64, ex exact) error {
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
			panels = append(panels, plots.Panel{Title: fmt.Sprintf("%s, hidden unit %d", kind, j+1), Grid: g,
				XLabel: "x (site in the block)", YLabel: "y (site in the block)"})
		}
	}
	title := fmt.Sprintf("RSMI filters, 2D Ising L = %d at T = %.4g, %d×%d block, buffer %d", c.L, c.T, c.block, c.block, c.buffer)
	if err := plots.Heatmaps(filepath.Join(c.outdir, "ising2d_filters.png"), title, "weight λ_i / max_i |λ_i|", panels); err != nil {
		return err
	}
	steps := func(h []float64) []float64 {
		x := make([]float64, len(h))
		for i := range x {
			x[i] = float64(i + 1)
		}
		return x
	}
	n := float64(max(len(histFixed), len(histSharp)))
	return plots.Lines(filepath.Join(c.outdir, "ising2d_mi.png"), fmt.Sprintf("Mutual information I_Λ(H:E) during training, 2D Ising L = %d at T = %.4g", c.L, c.T),
		"Adam step", "mutual information (bits)", []plots.Series{
			{Name: "‖λ‖ = 1 (ExactV)", X: steps(histFixed), Y: histFixed},
			{Name: "unconstrained (ExactV)", X: steps(histSharp), Y: histSharp},
			{Name: fmt.Sprintf("exact, ‖λ‖ = 1: %.4f", ex.fixed), X: []float64{1, n}, Y: []float64{ex.fixed, ex.fixed}, Ref: true, Color: plots.Palette(0)},
			{Name: fmt.Sprintf("exact, unconstrained: %.4f", ex.sharp), X: []float64{1, n}, Y: []float64{ex.sharp, ex.sharp}, Ref: true, Color: plots.Palette(1)},
			plots.Ref(fmt.Sprintf("I(V:E) = %.4f (bound)", ex.visible), ex.visible, 1, n),
		})
}
