// Command rgflow measures the critical exponents of the 2D Ising model with a
// coarse-graining rule learned by real-space mutual information (RSMI), and
// draws the renormalization-group flow the rule generates — issue 6 of the
// project, after Koch-Janusz & Ringel, Nature Physics 14, 578 (2018).
//
// Steps:
//
//  1. Sample L×L configurations at T_c = 2/ln(1+√2) with Wolff clusters
//     (-sampler wolff, the default: a pilot run measures the mean cluster
//     size ⟨C⟩ and the schedule stores one configuration every
//     -sweeps·N/⟨C⟩ clusters) or Swendsen–Wang sweeps (-sampler sw), on
//     -chains chains; or read them with -data FILE.npy (-save FILE.npy
//     keeps them, so an interrupted run need not sample again).
//  2. Learn the filter on these level-0 data exactly as examples/ising2d
//     does: (V,E) pairs of a 2×2 block with buffer 1 and environment 1, the
//     ExactV estimator, one hidden unit, unconstrained Adam (rsmi.Train with
//     no norm). Training sharpens the filter by itself: ‖λ‖ grows and the
//     most probable coarse spin sign(Σ λ_i v_i) becomes majority rule whose
//     ties are broken by the small differences between the weights. The
//     sign of h is a convention (I(H:E) does not see it); the program fixes
//     Σ λ_i > 0 so that the coarse spin follows the block magnetization.
//  3. Symmetrize it: the RG rule is rsmi.Symmetrize of the learned filter's
//     most probable rule over lattice.BlockSymmetries(2, 2), the filter
//     applied to every block after a rotation or reflection drawn
//     uniformly from the square's point group (8 elements). The fixed
//     tie-break of the raw filter prefers some spins of the block and breaks
//     the square symmetry, which would generate anisotropic couplings
//     outside the span of the symmetric MCRG operators (lattice.EvenOperators
//     and OddOperators); including anisotropic partners instead would need
//     many more operators for the same truncation error. For a 2×2 block the
//     group average of a sharp majority-like filter is exactly majority rule
//     with a fair coin on ties, so the learned rule and the baseline must
//     agree within errors — which is what the comparison tests.
//     -checkpoint DIR (and -resume) checkpoints the Θ-RBM's and the
//     filter's training.
//  4. Swendsen's Monte Carlo RG (exponent.MCRG) with the learned rule and,
//     on the same samples, with rsmi.Majority (the baseline): y_t and y_h at
//     every level and every truncation to the first k operators.
//  5. The RG flow: separate, smaller samples at the -flowT temperatures
//     below, at and above T_c are coarse-grained by the learned rule down to
//     a 4×4 lattice, and at every level the effective nearest-neighbour
//     coupling K_nn is fitted by pseudo-likelihood (rg.FitCouplings) — by
//     default the best nearest-neighbour-only Hamiltonian (-flowops 1), which
//     is the true K at level 0 and a robust one-number summary of the coarse
//     Hamiltonian; with more operators (nn, nnn, plaquette, …) K_nn trades
//     off against the others and the fits of nearly ordered coarse lattices
//     below T_c become ill-conditioned. Below T_c K_nn grows with the level,
//     above T_c it decreases, at T_c it stays near its fixed-point value:
//     the flow runs away from the critical point (rgflow_flow.png).
//
// # Which level and operator count
//
// The reported ν = 1/y_t and y_h are those of one level and one operator
// count fixed in advance, never chosen by comparing with the exact answer:
// the level is the deepest one whose lattice is still at least -minside
// (default 8) on a side, i.e. the one closest to the fixed point that is
// not dominated by finite-size effects (level 3 for L = 64), and the
// operator count is -ops (default 4) in both sectors — the nearest-neighbour,
// next-nearest, plaquette and (2,0) pair operators in the thermal sector;
// the field, three-spin L, three-in-a-row and five-spin cross in the
// magnetic one. The table on stderr shows every level and every truncation,
// so the convergence in both can be judged.
//
// The errors nu_err, yh_err are jackknife (statistical) errors over -blocks
// blocks of configurations. Separately, nu_sys and yh_sys estimate the
// truncation and level error by a simple stated rule: the largest
// change of y to the neighbouring estimates — the previous level with the
// same count, and the same level with one operator fewer and one more.
//
// Output: rgflow_flow.png (K_nn per level at the -flowT temperatures),
// rgflow_y.png (y_t − 1 and y_h − 15/8 per level, learned rule and majority
// rule), tables on stderr, and with -json one line on stdout:
//
//	{"L","N","rule":"rsmi","nu","nu_err","yt","yh","yh_err","eta",
//	 "levels":[{"n","yt","yt_err","yh","yh_err"}],
//	 "baseline":{"rule":"majority","nu","nu_err","yh","yh_err",…}, …}
//
// levels lists every MCRG level at the chosen operator count; further
// fields give the chosen level and count, the systematic estimates, the
// learned weights and ‖λ‖, the flow couplings and the CPU and wall time.
//
// Defaults: L = 64 at T_c, 2×2 blocks, 300,000 configurations (1.2 GB in
// memory) on 2 Wolff chains one sweep apart, 100,000 (V,E) pairs, 2000 Adam
// steps, MCRG with up to 6 operators per sector, flows from 1000
// configurations at T = 2.2, T_c, 2.35: about 400 s of CPU time and 1.5 GB,
// 3.5–5 minutes wall on 2 cores. Measured with -seed 1: ‖λ‖ = 3.7; learned
// rule ν = 1.0014 ± 0.0020 (stat) ± 0.0028 (sys), y_h = 1.8741 ± 0.0002
// (stat) ± 0.0017 (sys); majority rule ν = 1.0029 ± 0.0019, y_h = 1.8744 ±
// 0.0002. The deviation of y_h from 15/8 is the method's systematic error at
// L = 64 (level and truncation), visible once the statistical errors are
// this small; it is the same for both rules.
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
	"strconv"
	"strings"
	"time"

	"github.com/rsmi-go/rsmi/examples/internal/cli"
	"github.com/rsmi-go/rsmi/examples/internal/learn"
	"github.com/rsmi-go/rsmi/examples/internal/plots"
	"github.com/rsmi-go/rsmi/exponent"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rg"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// Tc is the exact critical temperature of the square-lattice Ising model.
var Tc = 2 / math.Log(1+math.Sqrt2)

type config struct {
	L        int
	T        float64
	n        int
	chains   int
	sampler  string
	sweeps   float64
	pairs    int
	steps    int
	ops      int
	maxOps   int
	minSide  int
	blocks   int
	flowT    []float64
	flowN    int
	flowOps  int
	seed     uint64
	data     string
	outdir   string
	quiet    bool
	noFlow   bool
	stoch    bool
	saveData string
	ck       *cli.Checkpoint // -checkpoint/-resume for the filter's training; nil: none
}

// Level is one MCRG level at the chosen operator count.
type Level struct {
	N     int     `json:"n"`
	Yt    float64 `json:"yt"`
	YtErr float64 `json:"yt_err"`
	Yh    float64 `json:"yh"`
	YhErr float64 `json:"yh_err"`
}

// Baseline is the majority-rule result at the same level and count.
type Baseline struct {
	Rule  string  `json:"rule"`
	Nu    float64 `json:"nu"`
	NuErr float64 `json:"nu_err"`
	Yt    float64 `json:"yt"`
	YtErr float64 `json:"yt_err"`
	Yh    float64 `json:"yh"`
	YhErr float64 `json:"yh_err"`
	Eta   float64 `json:"eta"`
	NuSys float64 `json:"nu_sys"`
	YhSys float64 `json:"yh_sys"`
	// Levels lists every level at the chosen operator count.
	Levels []Level `json:"levels"`
}

// FlowLine is K_nn per level at one temperature.
type FlowLine struct {
	T      float64   `json:"T"`
	N      int       `json:"N"`
	Knn    []float64 `json:"K_nn"`
	KnnErr []float64 `json:"K_nn_err"`
}

// Summary is the -json line.
type Summary struct {
	L           int        `json:"L"`
	N           int        `json:"N"`
	T           float64    `json:"T"`
	Rule        string     `json:"rule"`
	Nu          float64    `json:"nu"`
	NuErr       float64    `json:"nu_err"`
	Yt          float64    `json:"yt"`
	YtErr       float64    `json:"yt_err"`
	Yh          float64    `json:"yh"`
	YhErr       float64    `json:"yh_err"`
	Eta         float64    `json:"eta"`
	EtaErr      float64    `json:"eta_err"`
	NuSys       float64    `json:"nu_sys"`
	YtSys       float64    `json:"yt_sys"`
	YhSys       float64    `json:"yh_sys"`
	Level       int        `json:"level"`
	Ops         int        `json:"ops"`
	Levels      []Level    `json:"levels"`
	Baseline    Baseline   `json:"baseline"`
	Symmetrized bool       `json:"symmetrized"`
	Weights     []float64  `json:"weights"`
	Norm        float64    `json:"lambda_norm"`
	MIBits      float64    `json:"mi_bits"`
	Stochastic  bool       `json:"stochastic"`
	Majority    bool       `json:"raw_filter_is_majority"`
	SymMajority bool       `json:"symmetrized_is_majority"`
	Flow        []FlowLine `json:"flow,omitempty"`
	CPUSeconds  float64    `json:"cpu_seconds"`
	WallSeconds float64    `json:"wall_seconds"`
}

func main() {
	var c config
	var flowT string
	flag.IntVar(&c.L, "L", 64, "linear lattice size (a multiple of 2^levels)")
	flag.Float64Var(&c.T, "T", Tc, "temperature of the MCRG sample (T_c by default)")
	flag.IntVar(&c.n, "n", 300000, "number of configurations at T for learning and MCRG")
	flag.IntVar(&c.chains, "chains", 2, "number of independent Markov chains")
	flag.StringVar(&c.sampler, "sampler", "wolff", "sampler: wolff (N/⟨C⟩ clusters per sweep) or sw (Swendsen–Wang)")
	flag.Float64Var(&c.sweeps, "sweeps", 1, "sweeps between stored configurations (Wolff: one sweep is N/⟨C⟩ clusters)")
	flag.IntVar(&c.pairs, "pairs", 100000, "number of (V,E) pairs for learning the filter")
	flag.IntVar(&c.steps, "steps", 2000, "Adam steps of the unconstrained filter training")
	flag.IntVar(&c.ops, "ops", 4, "operator count per sector at which ν and y_h are reported")
	flag.IntVar(&c.maxOps, "maxops", 6, "largest operator count per sector in the MCRG table")
	flag.IntVar(&c.minSide, "minside", 8, "report the deepest MCRG level whose lattice side is at least this")
	flag.IntVar(&c.blocks, "blocks", 50, "jackknife blocks for MCRG errors")
	flag.StringVar(&flowT, "flowT", "2.2,2.269185,2.35", "temperatures of the RG-flow figure (comma-separated)")
	flag.IntVar(&c.flowN, "flown", 1000, "configurations per flow temperature")
	flag.IntVar(&c.flowOps, "flowops", 1, "even operators fitted in the flow (nn, nnn, plaquette, pair(2,0), …)")
	flag.BoolVar(&c.noFlow, "noflow", false, "skip the RG-flow figure")
	flag.BoolVar(&c.stoch, "stochastic", false, "apply the learned filter stochastically, h ~ P_Λ(h|V), instead of its most probable h")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed")
	flag.StringVar(&c.data, "data", "", "read the configurations at T from this .npy file (with its geometry sidecar) instead of sampling")
	flag.StringVar(&c.saveData, "save", "", "save the sampled configurations at T to this .npy file")
	flag.StringVar(&c.outdir, "outdir", ".", "directory for the PNG figures")
	asJSON := flag.Bool("json", false, "print one JSON summary line on stdout")
	flag.BoolVar(&c.quiet, "q", false, "no text summary on stderr")
	c.ck = cli.CheckpointFlags()
	flag.Parse()
	if err := c.ck.Validate(); err != nil {
		cli.Fatal(err)
	}
	for _, f := range strings.Split(flowT, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		t, err := strconv.ParseFloat(f, 64)
		if err != nil {
			cli.Fatal(fmt.Errorf("-flowT: %w", err))
		}
		c.flowT = append(c.flowT, t)
	}
	cli.Main(func(ctx context.Context) (*Summary, error) { return run(ctx, c) }, *asJSON)
}

func run(ctx context.Context, c config) (*Summary, error) {
	start, cpu0 := time.Now(), cpuSeconds()
	if c.n < 1 || c.chains < 1 || c.pairs < 1 || c.steps < 1 || c.flowN < 1 {
		return nil, errors.New("-n, -chains, -pairs, -steps and -flown must be positive")
	}
	if c.ops < 1 || c.maxOps < c.ops {
		return nil, fmt.Errorf("-ops %d must be ≥ 1 and ≤ -maxops %d", c.ops, c.maxOps)
	}
	if !(c.T > 0) || math.IsInf(c.T, 0) || !(c.sweeps > 0) {
		return nil, errors.New("-T and -sweeps must be finite and positive")
	}
	if c.minSide < 2 {
		return nil, fmt.Errorf("-minside %d must be ≥ 2", c.minSide)
	}
	logf := func(format string, a ...any) {
		if !c.quiet {
			fmt.Fprintf(os.Stderr, format, a...)
		}
	}
	lap := func(what string, t0 time.Time, c0 float64) {
		logf("  %-22s wall %6.1f s  cpu %6.1f s\n", what, time.Since(t0).Seconds(), cpuSeconds()-c0)
	}

	// 1. Level-0 data at T.
	t0, c0 := time.Now(), cpuSeconds()
	ds, lat, err := dataset(ctx, c, c.T, c.n, c.data, 1)
	if err != nil {
		return nil, err
	}
	c.L = lat.Extents()[0]
	if c.saveData != "" && c.data == "" {
		if err := sample.SaveDataset(c.saveData, ds); err != nil {
			return nil, err
		}
	}
	lap(fmt.Sprintf("sampling %d configs", ds.N), t0, c0)

	// 2. Learn the filter.
	t0, c0 = time.Now(), cpuSeconds()
	filter, mi, err := learnFilter(ctx, c, ds)
	if err != nil {
		return nil, err
	}
	lap("learning the filter", t0, c0)
	rule, err := symmetrized(filter, c.stoch)
	if err != nil {
		return nil, err
	}
	norm := filter.Norms()[0]
	symMaj := !c.stoch && symmetrizedIsMajority(rule)
	logf("learned filter λ = %.3f (x fastest), ‖λ‖ = %.2f, I(H:E) = %.4f bit\n", filter.W, norm, mi)
	logf("  raw most probable rule is majority rule with a fixed tie-break: %v; point-group average is exactly majority rule with fair-coin ties: %v\n",
		learn.IsMajority(filter), symMaj)

	// 3. MCRG with both rules on the same samples.
	// MCRG runs down to the reported level: the deepest whose lattice side
	// is at least -minside.
	chosen := 0
	for side := c.L; side%2 == 0 && side/2 >= c.minSide; side /= 2 {
		chosen++
	}
	if chosen == 0 {
		return nil, fmt.Errorf("L = %d admits no 2×2 RG step leaving a lattice of side ≥ -minside %d", c.L, c.minSide)
	}
	levels := chosen
	even, err := lattice.EvenOperators(2, c.maxOps)
	if err != nil {
		return nil, err
	}
	odd, err := lattice.OddOperators(2, c.maxOps)
	if err != nil {
		return nil, err
	}
	mcrg := func(r rsmi.Rule, label string, stream uint64) (*exponent.MCRGResult, error) {
		t0, c0 := time.Now(), cpuSeconds()
		bar := cli.NewBar(label)
		defer bar.Done()
		res, err := exponent.MCRG(ctx, ds, lat, rand.NewPCG(c.seed, stream), &exponent.MCRGOptions{Rule: r, Levels: levels, Even: even, Odd: odd,
			Blocks: c.blocks, Progress: bar.Progress})
		bar.Done()
		lap(label, t0, c0)
		return res, err
	}
	learned, err := mcrg(rule, "MCRG learned rule", 20)
	if err != nil {
		return nil, err
	}
	major, err := mcrg(rsmi.Majority{}, "MCRG majority rule", 21)
	if err != nil {
		return nil, err
	}

	s := &Summary{L: c.L, N: ds.N, T: c.T, Rule: "rsmi", Level: chosen, Ops: c.ops, Symmetrized: true, Stochastic: c.stoch,
		Weights: append([]float64(nil), filter.W...), Norm: norm, MIBits: mi, Majority: learn.IsMajority(filter), SymMajority: symMaj}
	k := c.ops - 1
	for _, lv := range learned.Levels {
		s.Levels = append(s.Levels, Level{N: lv.Level, Yt: lv.Even[k].Y, YtErr: lv.Even[k].YErr, Yh: lv.Odd[k].Y, YhErr: lv.Odd[k].YErr})
	}
	for _, lv := range major.Levels {
		s.Baseline.Levels = append(s.Baseline.Levels, Level{N: lv.Level, Yt: lv.Even[k].Y, YtErr: lv.Even[k].YErr, Yh: lv.Odd[k].Y, YhErr: lv.Odd[k].YErr})
	}
	L := learned.Levels[chosen-1]
	s.Yt, s.YtErr = L.Even[k].Y, L.Even[k].YErr
	s.Nu, s.NuErr = L.Even[k].Nu()
	s.Yh, s.YhErr = L.Odd[k].Y, L.Odd[k].YErr
	s.Eta, s.EtaErr = L.Odd[k].Eta(2)
	M := major.Levels[chosen-1]
	s.Baseline.Rule = "majority"
	s.Baseline.Yt, s.Baseline.YtErr = M.Even[k].Y, M.Even[k].YErr
	s.Baseline.Nu, s.Baseline.NuErr = M.Even[k].Nu()
	s.Baseline.Yh, s.Baseline.YhErr = M.Odd[k].Y, M.Odd[k].YErr
	s.Baseline.Eta, _ = M.Odd[k].Eta(2)
	s.YtSys, s.YhSys = systematic(learned, chosen, c.ops)
	s.NuSys = s.YtSys / (s.Yt * s.Yt)
	bt, bh := systematic(major, chosen, c.ops)
	s.Baseline.NuSys, s.Baseline.YhSys = bt/(s.Baseline.Yt*s.Baseline.Yt), bh

	if !c.quiet {
		table(learned, "learned rule (RSMI filter, point-group symmetrized)")
		table(major, "majority rule (fair-coin ties)")
	}

	// 4. The RG flow at several temperatures.
	if !c.noFlow && len(c.flowT) > 0 {
		t0, c0 = time.Now(), cpuSeconds()
		flow, err := flowLines(ctx, c, rule)
		if err != nil {
			return nil, err
		}
		s.Flow = flow
		lap("RG flow", t0, c0)
	}
	if err := figures(c, s); err != nil {
		return nil, err
	}
	s.CPUSeconds, s.WallSeconds = cpuSeconds()-cpu0, time.Since(start).Seconds()

	logf("\n2D Ising L=%d T=%.6f, %d configurations, 2×2 blocks; reported: level %d (%d×%d), %d operators per sector\n",
		c.L, c.T, ds.N, chosen, c.L>>chosen, c.L>>chosen, c.ops)
	logf("  learned rule:  ν = %.4f ± %.4f (stat) ± %.4f (sys)   y_h = %.5f ± %.5f (stat) ± %.5f (sys)   η = %.4f ± %.4f (stat)\n",
		s.Nu, s.NuErr, s.NuSys, s.Yh, s.YhErr, s.YhSys, s.Eta, s.EtaErr)
	logf("  majority rule: ν = %.4f ± %.4f (stat) ± %.4f (sys)   y_h = %.5f ± %.5f (stat) ± %.5f (sys)\n",
		s.Baseline.Nu, s.Baseline.NuErr, s.Baseline.NuSys, s.Baseline.Yh, s.Baseline.YhErr, s.Baseline.YhSys)
	logf("  learned − majority: Δν = %+.4f, Δy_h = %+.5f\n", s.Nu-s.Baseline.Nu, s.Yh-s.Baseline.Yh)
	logf("  exact:         ν = 1, y_h = 15/8 = 1.875, η = 1/4\n")
	for _, fl := range s.Flow {
		logf("  flow T=%.4f (%d configs): K_nn per level %s\n", fl.T, fl.N, fmtVals(fl.Knn, fl.KnnErr))
	}
	logf("  figures: %s, %s\n", filepath.Join(c.outdir, "rgflow_flow.png"), filepath.Join(c.outdir, "rgflow_y.png"))
	logf("  total: wall %.1f s, cpu %.1f s\n", s.WallSeconds, s.CPUSeconds)
	return s, nil
}

// systematic estimates the truncation and level error of y at level n with
// k operators as the largest change of y to the neighbouring estimates:
// level n−1 with k operators, and level n with k−1 and k+1 operators, where
// they exist. It returns the estimates for y_t and y_h.
func systematic(res *exponent.MCRGResult, n, k int) (yt, yh float64) {
	lv := res.Levels[n-1]
	for _, sec := range []struct {
		out *float64
		tr  func(l exponent.MCRGLevel) []exponent.Truncation
	}{
		{&yt, func(l exponent.MCRGLevel) []exponent.Truncation { return l.Even }},
		{&yh, func(l exponent.MCRGLevel) []exponent.Truncation { return l.Odd }},
	} {
		y := sec.tr(lv)[k-1].Y
		var near []float64
		if n > 1 {
			near = append(near, sec.tr(res.Levels[n-2])[k-1].Y)
		}
		if k > 1 {
			near = append(near, sec.tr(lv)[k-2].Y)
		}
		if k < len(sec.tr(lv)) {
			near = append(near, sec.tr(lv)[k].Y)
		}
		for _, x := range near {
			*sec.out = math.Max(*sec.out, math.Abs(x-y))
		}
	}
	return yt, yh
}

func fmtVals(x, e []float64) string {
	var b strings.Builder
	for i := range x {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%.3f(%.0f)", x[i], 1000*e[i])
	}
	return b.String()
}

// table prints y_t and y_h for every level and truncation.
func table(res *exponent.MCRGResult, title string) {
	w := os.Stderr
	fmt.Fprintf(w, "\nMCRG, %s: %d configurations, %d jackknife blocks\n", title, res.N, res.Blocks)
	fmt.Fprintf(w, "  even operators: %s\n  odd operators:  %s\n", strings.Join(res.EvenNames, ", "), strings.Join(res.OddNames, ", "))
	for _, sector := range []string{"y_t", "y_h"} {
		fmt.Fprintf(w, "  %s  level", sector)
		n := len(res.Levels[0].Even)
		if sector == "y_h" {
			n = len(res.Levels[0].Odd)
		}
		for k := 1; k <= n; k++ {
			fmt.Fprintf(w, " %17s", fmt.Sprintf("%d ops", k))
		}
		fmt.Fprintln(w)
		for _, lv := range res.Levels {
			tr := lv.Even
			if sector == "y_h" {
				tr = lv.Odd
			}
			fmt.Fprintf(w, "       %2d (%2d²)", lv.Level, lv.Extents[0])
			for _, t := range tr {
				fmt.Fprintf(w, " %17s", fmt.Sprintf("%.4f ± %.4f", t.Y, t.YErr))
			}
			fmt.Fprintln(w)
		}
	}
}

// dataset samples the nearest-neighbour Ising model on the L×L torus at T,
// or reads path.
func dataset(ctx context.Context, c config, T float64, n int, path string, stream uint64) (*sample.Dataset, *lattice.Lattice, error) {
	if path != "" {
		ds, err := sample.LoadDataset(path)
		if err != nil {
			return nil, nil, err
		}
		ext := ds.Geom.Extents()
		if len(ext) != 2 || ext[0] != ext[1] || ds.Geom.NumDOF() != ext[0]*ext[1] {
			return nil, nil, fmt.Errorf("%s: need configurations of a square L×L lattice, got extents %v with %d dofs", path, ext, ds.Geom.NumDOF())
		}
		for i, x := range ds.Data {
			if x != 1 && x != -1 {
				return nil, nil, fmt.Errorf("%s: value %d at flat index %d is not ±1", path, x, i)
			}
		}
		lat, err := lattice.NewSquare(ext[0])
		if err != nil {
			return nil, nil, err
		}
		if !lat.Geometry().Equal(ds.Geom) {
			return nil, nil, errors.New(path + ": the geometry sidecar does not describe a square lattice in site order")
		}
		return ds, lat, nil
	}
	lat, err := lattice.NewSquare(c.L)
	if err != nil {
		return nil, nil, err
	}
	m, err := lattice.NewNearestNeighborIsing(lat, 1)
	if err != nil {
		return nil, nil, err
	}
	var factory sample.Factory
	switch c.sampler {
	case "wolff":
		factory = func(src rand.Source) (sample.Sampler, error) { return sample.NewWolff(m, T, src) }
	case "sw":
		factory = func(src rand.Source) (sample.Sampler, error) { return sample.NewSwendsenWang(m, T, src) }
	default:
		return nil, nil, fmt.Errorf("-sampler %q: want wolff or sw", c.sampler)
	}
	// Wolff: one sweep ≈ N/⟨C⟩ clusters, ⟨C⟩ measured in a pilot run; the
	// schedule is fixed before sampling. Swendsen–Wang: -sweeps sweeps.
	every, err := sample.PilotEvery(ctx, factory, rand.NewPCG(c.seed, 100+stream),
		&sample.PilotOptions{Sweeps: c.sweeps, Warm: 1000, Measure: 1000})
	if err != nil {
		return nil, nil, err
	}
	bar := cli.NewBar(fmt.Sprintf("sampling T=%.3f", T))
	defer bar.Done()
	// Burn-in: 200 sweeps, far beyond the cluster algorithms' correlation
	// times at L ≤ 256. Wolff clusters grown from the random initial
	// configuration stay tiny until the chain has ordered on the scale of
	// the lattice, which takes about N/16 clusters (measured: ~256 at L = 64,
	// ~1000 at L = 128, ~4000 at L = 256) — far more than 200 sweeps of
	// equilibrium-sized clusters at L ≥ 128 — so Wolff chains first take N/4
	// clusters.
	burn := int(math.Ceil(200 / c.sweeps * float64(every)))
	if c.sampler == "wolff" {
		burn += lat.N() / 4
	}
	ds, err := sample.Collect(ctx, factory, sample.Plan{Chains: c.chains, BurnIn: burn, Every: every,
		PerChain: (n + c.chains - 1) / c.chains, Progress: bar.Progress}, rand.NewPCG(c.seed, stream))
	return ds, lat, err
}

// learnFilter trains the unconstrained single-unit filter with ExactV on (V,E)
// pairs of a 2×2 block, buffer 1, environment 1, as examples/ising2d.
func learnFilter(ctx context.Context, c config, ds *sample.Dataset) (*rsmi.Filter, float64, error) {
	reg, err := rsmi.NewRegions(ds.Geom, []int{2, 2}, &rsmi.RegionOptions{Buffer: 1, Env: 1})
	if err != nil {
		return nil, 0, err
	}
	pairs, _, err := reg.SpreadPairs(ds, c.pairs, rand.NewPCG(c.seed, 2))
	if err != nil {
		return nil, 0, err
	}
	progress, done := learn.Bars("")
	ev, err := rsmi.NewExactV(ctx, pairs, rand.NewPCG(c.seed, 3), &rsmi.ExactVOptions{Checkpoint: c.ck.Options("rgflow-theta.ckpt"), Progress: progress})
	done()
	if err != nil {
		return nil, 0, err
	}
	f, err := rsmi.NewFilter(1, reg.NV(), rand.NewPCG(c.seed, 5))
	if err != nil {
		return nil, 0, err
	}
	progress, done = learn.Bars("Λ unconstrained")
	res, err := rsmi.Train(ctx, ev, f, &rsmi.TrainOptions{Steps: c.steps, Checkpoint: c.ck.Options("rgflow-filter.ckpt"), Progress: progress})
	done()
	if err != nil {
		return nil, 0, err
	}
	// The sign of h is a convention: I(H:E) is invariant under h → −h, and
	// training lands on either sign. Fix Σ_i λ_i > 0, so that the coarse
	// spin follows the block's magnetization; with the opposite sign the
	// odd-sector eigenvalue of the MCRG transformation is −b^{y_h}.
	var sum float64
	for _, w := range f.W {
		sum += w
	}
	if sum < 0 {
		for i := range f.W {
			f.W[i] = -f.W[i]
		}
		for j := range f.Bias {
			f.Bias[j] = -f.Bias[j]
		}
	}
	return f, res.MI, nil
}

// symmetrized returns the learned rule: the filter's most probable rule
// (or, stochastic, the filter itself) averaged over the square's point
// group.
func symmetrized(f *rsmi.Filter, stochastic bool) (rsmi.Rule, error) {
	g, err := lattice.BlockSymmetries(2, 2)
	if err != nil {
		return nil, err
	}
	var base rsmi.Rule = rsmi.MostProbable(f)
	if stochastic {
		base = f
	}
	return rsmi.Symmetrize(base, g)
}

// symmetrizedIsMajority reports whether the single-output rule on 2×2
// blocks is exactly majority rule with a fair coin on ties.
func symmetrizedIsMajority(r rsmi.Rule) bool {
	if r.Outputs() != 1 || r.Check(4, nil) != nil {
		return false
	}
	v, p := make([]int8, 4), make([]float64, 2)
	for s := 0; s < 16; s++ {
		sum := 0
		for i := range v {
			v[i] = int8(2*(s>>i&1) - 1)
			sum += int(v[i])
		}
		want := 0.5
		if sum > 0 {
			want = 1
		} else if sum < 0 {
			want = 0
		}
		r.Cond(v, p)
		if math.Abs(p[1]-want) > 1e-12 {
			return false
		}
	}
	return true
}

// flowLines samples at every flow temperature, coarse-grains with rule down
// to a 4×4 lattice (rg.Flow with MinSide 4) and fits the first c.flowOps
// even couplings per level. A level whose data are too ordered for a
// finite pseudo-likelihood maximum ends its line
// (FlowOptions.StopOnFitError).
func flowLines(ctx context.Context, c config, rule rsmi.Rule) ([]FlowLine, error) {
	ops, err := lattice.EvenOperators(2, c.flowOps)
	if err != nil {
		return nil, err
	}
	var out []FlowLine
	for i, T := range c.flowT {
		ds, lat, err := dataset(ctx, c, T, c.flowN, "", 200+uint64(i))
		if err != nil {
			return nil, err
		}
		res, err := rg.Flow(ctx, ds, lat, rand.NewPCG(c.seed, 300+uint64(i)), &rg.FlowOptions{MinSide: 4,
			Rule: rg.Fixed(rule), Operators: ops, StopOnFitError: true})
		if err != nil {
			return nil, err
		}
		if res.Stopped != nil && !c.quiet {
			fmt.Fprintf(os.Stderr, "  flow T=%.4f: %v (line ends)\n", T, res.Stopped)
		}
		line := FlowLine{T: T, N: ds.N}
		for _, lv := range res.Levels {
			if lv.Couplings != nil {
				line.Knn = append(line.Knn, lv.Couplings.K[0])
				line.KnnErr = append(line.KnnErr, lv.Couplings.StdErr[0])
			}
		}
		out = append(out, line)
	}
	return out, nil
}

func figures(c config, s *Summary) error {
	if len(s.Flow) > 0 {
		var series []plots.Series
		for _, fl := range s.Flow {
			x := make([]float64, len(fl.Knn))
			for i := range x {
				x[i] = float64(i)
			}
			name := fmt.Sprintf("T = %.4g", fl.T)
			switch {
			case math.Abs(fl.T-Tc) < 1e-4:
				name += " (T_c)"
			case fl.T < Tc:
				name += " (< T_c)"
			default:
				name += " (> T_c)"
			}
			series = append(series, plots.Series{Name: name, X: x, Y: fl.Knn, Err: fl.KnnErr})
		}
		title := fmt.Sprintf("RG flow of K_nn, 2D Ising L=%d, learned 2×2 rule (K_c = %.4f)", c.L, 1/Tc)
		ylabel := "K_nn of the best nn-only Hamiltonian (pseudo-likelihood)"
		if c.flowOps > 1 {
			ylabel = fmt.Sprintf("K_nn, pseudo-likelihood fit of %d operators", c.flowOps)
		}
		if err := plots.Lines(filepath.Join(c.outdir, "rgflow_flow.png"), title, "RG level n (lattice side L/2^n)", ylabel, series); err != nil {
			return err
		}
	}
	// y − y_exact per level, so that both sectors read on one axis.
	var series []plots.Series
	for _, p := range []struct {
		name  string
		ls    []Level
		odd   bool
		shift float64
	}{
		{"y_t − 1, learned", s.Levels, false, -0.06}, {"y_t − 1, majority", s.Baseline.Levels, false, -0.02},
		{"y_h − 15/8, learned", s.Levels, true, 0.02}, {"y_h − 15/8, majority", s.Baseline.Levels, true, 0.06},
	} {
		var x, y, e []float64
		for _, l := range p.ls {
			x = append(x, float64(l.N)+p.shift)
			if p.odd {
				y, e = append(y, l.Yh-1.875), append(e, l.YhErr)
			} else {
				y, e = append(y, l.Yt-1), append(e, l.YtErr)
			}
		}
		series = append(series, plots.Series{Name: p.name, X: x, Y: y, Err: e, Points: true})
	}
	series = append(series, plots.Series{Name: "exact", X: []float64{0.8, float64(len(s.Levels)) + 0.2}, Y: []float64{0, 0}})
	title := fmt.Sprintf("MCRG, 2D Ising L=%d at T_c, %d configurations, %d operators per sector", c.L, s.N, s.Ops)
	return plots.Lines(filepath.Join(c.outdir, "rgflow_y.png"), title, "RG level n", "y − y_exact", series)
}
