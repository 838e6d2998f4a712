// Command custommodel shows the library's plug-in point: a Hamiltonian the
// user writes — here the 2D Ising antiferromagnet, defined in this example
// (model.go) against the public lattice.Model and lattice.Ranged interfaces,
// not taken from lattice.Ising — sampled by the generic sample.Metropolis
// (through the Model interface, no fast path) and coarse-grained with RSMI
// (Koch-Janusz & Ringel, Nature Physics 14, 578 (2018)).
//
// At the critical point T_c = 2.269185 J the antiferromagnet's long-range
// physics is the staggered magnetization. Given only samples, the RSMI
// filter of a 2×2 block, trained at fixed ‖λ‖ = 1, comes out staggered:
// weights of alternating sign in a checkerboard pattern, of equal magnitude
// — the network finds the order parameter with no prior knowledge. (The
// gauge transformation s → (−1)^(x+y) s maps the model onto the
// ferromagnet, where the same training gives Kadanoff's uniform block spin;
// see examples/ising2d.)
//
// Pipeline: L×L configurations from -chains Metropolis chains (or -data),
// (V, E) pairs with a 2×2 visible block V, a buffer of width -buffer and an
// environment shell of width -env, the ExactV estimator (a Θ-RBM with P(v|e)
// exact given the RBM), rsmi.Train at fixed norm. The learned filter's MI is
// also evaluated with the exact oracle (rsmi.NewExactOracle, which needs
// lattice.Ranged and -env ≥ 1) on -oracle-pairs pairs, next to the oracle's
// MI of the ideal staggered and of the uniform filter at ‖λ‖ = 1.
//
// Output: custommodel_filter.png (heatmap of the learned filter), a summary on
// stderr, and with -json one line on stdout:
//
//	{"L","T","n","pairs","weights":[[..]],"staggered":true|false,"uniformity":x,
//	 "mi_bits":x,"exact_mi_bits":x,"exact_mi_staggered_bits":x,"exact_mi_uniform_bits":x}
//
// weights[j] lists unit j's λ over the block, x fastest (λ at (0,0), (1,0),
// (0,1), (1,1)); uniformity is max_i ||λ_i| − m|/m with m the mean of |λ_i|
// over unit 0; staggered is true when sign(λ_i)·(−1)^(x_i+y_i) is the same
// for every weight of unit 0 and uniformity ≤ 0.1. mi_bits is the learned
// filter's MI under ExactV, exact_mi_bits under the exact oracle;
// exact_mi_staggered_bits and exact_mi_uniform_bits are the oracle's MI of
// λ = ±(1,−1,−1,1)/2 and λ = (1,1,1,1)/2.
//
// -data FILE.npy reads configurations instead of sampling: ±1 spins or 0/1
// bits (mapped 0 → −1), shape (n, L, L) or (n, L·L); -T must then be the
// temperature the data were made at (the oracle uses it).
//
// Defaults (L = 32, 6000 configurations from 6 chains, 100,000 pairs, 2000
// Adam steps) finish in well under a minute on 2 cores.
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
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

type config struct {
	L, buffer, env, nh     int
	T                      float64
	n, chains, every, burn int
	pairs, oraclePairs     int
	steps                  int
	seed                   uint64
	data, outdir           string
	quiet, noFigure        bool
	ck                     *cli.Checkpoint // -checkpoint/-resume; nil: none
}

// Summary is the -json line.
type Summary struct {
	L                int         `json:"L"`
	T                float64     `json:"T"`
	N                int         `json:"n"`
	Pairs            int         `json:"pairs"`
	Weights          [][]float64 `json:"weights"`
	Staggered        bool        `json:"staggered"`
	Uniformity       float64     `json:"uniformity"`
	MI               float64     `json:"mi_bits"`
	ExactMI          float64     `json:"exact_mi_bits"`
	ExactMIStaggered float64     `json:"exact_mi_staggered_bits"`
	ExactMIUniform   float64     `json:"exact_mi_uniform_bits"`
}

// staggerTolerance is the largest uniformity of a staggered filter.
const staggerTolerance = 0.1

func defaults() config {
	return config{L: 32, T: 2.269185, buffer: 1, env: 1, nh: 1, n: 6000, chains: 6, every: 10,
		pairs: 100000, oraclePairs: 20000, steps: 2000, seed: 1, outdir: "."}
}

func main() {
	c := defaults()
	flag.IntVar(&c.L, "L", c.L, "linear lattice size (even)")
	flag.Float64Var(&c.T, "T", c.T, "temperature in units of J (also the exact oracle's; with -data, the temperature the data were made at)")
	flag.IntVar(&c.buffer, "buffer", c.buffer, "buffer width L_B")
	flag.IntVar(&c.env, "env", c.env, "environment shell width L_E (≥ 1, the interaction range, for the exact oracle)")
	flag.IntVar(&c.n, "n", c.n, "number of configurations to sample (split over chains)")
	flag.IntVar(&c.chains, "chains", c.chains, "independent Metropolis chains")
	flag.IntVar(&c.every, "every", c.every, "Metropolis sweeps between stored configurations")
	flag.IntVar(&c.burn, "sweeps", 0, "burn-in sweeps per chain (0: 4·L²)")
	flag.IntVar(&c.pairs, "pairs", c.pairs, "number of (V,E) pairs for the Θ-RBM (block positions spread over the lattice)")
	flag.IntVar(&c.oraclePairs, "oracle-pairs", c.oraclePairs, "number of those pairs the exact oracle enumerates, spread evenly over them (0: all)")
	flag.IntVar(&c.steps, "steps", c.steps, "Adam steps")
	flag.Uint64Var(&c.seed, "seed", c.seed, "random seed")
	flag.StringVar(&c.data, "data", "", "read configurations from this .npy file (±1 or 0/1 values, shape (n, L, L) or (n, L·L)) instead of sampling")
	flag.StringVar(&c.outdir, "outdir", c.outdir, "directory for the PNG figure")
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
	if c.nh < 1 || c.n < 1 || c.chains < 1 || c.every < 1 || c.pairs < 1 || c.steps < 1 || c.env < 1 {
		return nil, fmt.Errorf("-n, -chains, -every, -pairs, -steps and -env must be positive")
	}
	if c.burn < 0 || c.oraclePairs < 0 {
		return nil, fmt.Errorf("-sweeps and -oracle-pairs must not be negative")
	}
	if !(c.T > 0) || math.IsInf(c.T, 0) {
		return nil, fmt.Errorf("temperature -T %v must be finite and positive", c.T)
	}
	ds, m, err := dataset(ctx, c)
	if err != nil {
		return nil, err
	}
	c.L = m.L
	const block = 2
	reg, err := rsmi.NewRegions(ds.Geom, []int{block, block}, &rsmi.RegionOptions{Buffer: c.buffer, Env: c.env})
	if err != nil {
		return nil, err
	}
	// ⌈pairs/n⌉ block positions per configuration, a fixed random subset.
	pairs, pos, err := reg.SpreadPairs(ds, c.pairs, rand.NewPCG(c.seed, 2))
	if err != nil {
		return nil, err
	}
	n := pairs.N
	progress, done := learn.Bars("")
	ev, err := rsmi.NewExactV(ctx, pairs, rand.NewPCG(c.seed, 3), &rsmi.ExactVOptions{
		Checkpoint: c.ck.Options("custommodel-theta.ckpt"),
		Progress:   progress,
	})
	done()
	if err != nil {
		return nil, err
	}

	f, err := rsmi.NewFilter(c.nh, reg.NV(), rand.NewPCG(c.seed, 4))
	if err != nil {
		return nil, err
	}
	progress, done = learn.Bars("Λ at ‖λ‖=1")
	res, err := rsmi.Train(ctx, ev, f, &rsmi.TrainOptions{Steps: c.steps, Norm: 1, Progress: progress,
		Checkpoint: c.ck.Options("custommodel-filter.ckpt")})
	done()
	if err != nil {
		return nil, err
	}

	oraclePairs := n
	if c.oraclePairs > 0 {
		oraclePairs = min(n, c.oraclePairs)
	}
	// the exact oracle on the same pairs, or on a subsample spread over them
	progress, done = learn.Bars("exact oracle")
	oracle, err := rsmi.NewExactOracle(ctx, m, c.T, reg, ds, &rsmi.OracleOptions{Positions: pos, MaxPairs: oraclePairs, Progress: progress})
	done()
	if err != nil {
		return nil, err
	}

	s := &Summary{L: c.L, T: c.T, N: ds.N, Pairs: n, Weights: learn.Rows(f), MI: res.MI}
	s.Staggered, s.Uniformity = staggered(f.W[:f.NV], block)
	if s.ExactMI, err = oracle.MI(f); err != nil {
		return nil, err
	}
	ideal := &rsmi.Filter{NH: 1, NV: 4, W: []float64{0.5, -0.5, -0.5, 0.5}}
	if s.ExactMIStaggered, err = oracle.MI(ideal); err != nil {
		return nil, err
	}
	uniform := &rsmi.Filter{NH: 1, NV: 4, W: []float64{0.5, 0.5, 0.5, 0.5}}
	if s.ExactMIUniform, err = oracle.MI(uniform); err != nil {
		return nil, err
	}
	fig := filepath.Join(c.outdir, "custommodel_filter.png")
	if !c.noFigure {
		if err := figure(fig, c, f, block); err != nil {
			return nil, err
		}
	}
	if !c.quiet {
		w := os.Stderr
		fmt.Fprintf(w, "2D Ising antiferromagnet (user-defined model) L=%d T=%g: %d configurations, %d (V,E) pairs, 2×2 block, buffer %d, env %d\n",
			c.L, c.T, ds.N, n, c.buffer, c.env)
		fmt.Fprintf(w, "  ‖λ‖=1 filter  %s  staggered: %v  uniformity %.4f\n", learn.FmtRows(s.Weights), s.Staggered, s.Uniformity)
		fmt.Fprintf(w, "  MI learned    %.4f bit (ExactV), %.4f bit (exact oracle, %d pairs)\n", s.MI, s.ExactMI, oraclePairs)
		fmt.Fprintf(w, "  MI exact      staggered filter %.4f bit, uniform filter %.4f bit; I(V:E) = %.4f bit\n", s.ExactMIStaggered, s.ExactMIUniform, oracle.VisibleMI())
		if !c.noFigure {
			fmt.Fprintf(w, "  figure: %s\n", fig)
		}
	}
	return s, nil
}

// dataset samples the antiferromagnet at c.T with the generic Metropolis
// sampler, or reads c.data (then the lattice size comes from the file).
func dataset(ctx context.Context, c config) (*sample.Dataset, *Antiferromagnet, error) {
	if c.data != "" {
		ds, err := npydata.LoadSquare(c.data)
		if err != nil {
			return nil, nil, err
		}
		m, err := NewAntiferromagnet(ds.Geom.Extents()[0], 1)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", c.data, err)
		}
		return ds, m, nil
	}
	m, err := NewAntiferromagnet(c.L, 1)
	if err != nil {
		return nil, nil, err
	}
	burn := c.burn
	if burn == 0 {
		burn = 4 * c.L * c.L // local updates relax slowly near T_c (z ≈ 2.17)
	}
	bar := cli.NewBar("sampling")
	defer bar.Done()
	ds, err := sample.Collect(ctx, func(src rand.Source) (sample.Sampler, error) { return sample.NewMetropolis(m, c.T, src) },
		sample.Plan{Chains: c.chains, BurnIn: burn, Every: c.every, PerChain: (c.n + c.chains - 1) / c.chains, Progress: bar.Progress}, rand.NewPCG(c.seed, 1))
	return ds, m, err
}

// staggered reports whether the weights w of a b×b block (x fastest) have
// checkerboard signs, sign(w_i)·(−1)^(x_i+y_i) the same for all i, with
// magnitudes within staggerTolerance of their mean; u is
// max_i ||w_i| − m|/m, m the mean of |w_i|.
func staggered(w []float64, b int) (ok bool, u float64) {
	var mean float64
	for _, x := range w {
		mean += math.Abs(x)
	}
	mean /= float64(len(w))
	if mean == 0 {
		return false, math.Inf(1)
	}
	ok = true
	ref := 0.0
	for i, x := range w {
		u = math.Max(u, math.Abs(math.Abs(x)-mean)/mean)
		par := 1.0
		if (i%b+i/b)%2 == 1 {
			par = -1
		}
		s := par * math.Copysign(1, x)
		if x == 0 {
			ok = false
		}
		if i == 0 {
			ref = s
		} else if s != ref {
			ok = false
		}
	}
	return ok && u <= staggerTolerance, u
}

func figure(path string, c config, f *rsmi.Filter, b int) error {
	var panels []plots.Panel
	for j := 0; j < f.NH; j++ {
		panels = append(panels, plots.Panel{Title: fmt.Sprintf("‖λ‖ = 1, unit %d", j+1), Grid: learn.BlockGrid(f, j, b)})
	}
	title := fmt.Sprintf("RSMI filter, Ising AFM L=%d, T=%.4g", c.L, c.T)
	return plots.Heatmaps(path, title, "λ", panels)
}
