// Command ising1d learns the RSMI coarse-graining filter of the 1D Ising
// chain and checks it against the exact answer: in one dimension the
// mutual-information optimum is decimation (the coarse spin copies one block
// spin), which beats equal weights.
//
// By default it samples a periodic chain of -L spins at coupling -K = J/T
// with Wolff clusters, cuts every sample into (V,E) pairs at every block
// position (block -lv, buffer -lb, environment -le on each side), trains the
// ExactV estimator (a Θ-RBM for P(V,E) with V enumerated), and maximizes the
// MI over a filter of -nh hidden units with Adam. The learned filter is then
// evaluated exactly with the chain oracle (rsmi.NewExactChain), which
// enumerates the infinite chain's segment law; -estimator exact trains on the
// oracle itself (no samples).
//
// Usage:
//
//	go run ./examples/ising1d -K 1 -json
//	go run ./examples/ising1d -K 0.5 -steps 20000 -outdir figs
//	go run ./examples/sample -model ising1d -L 64 -T 1 -n 2000 -out chain.npy
//	go run ./examples/ising1d -data chain.npy -K 1
//
// With -data the samples come from a .npy file (with its .geom.json sidecar,
// as examples/sample writes it); -K must then give their coupling J/T for
// the exact comparison.
//
// Output: ising1d_mi.png (the estimator's MI and the filter's exact MI per
// Adam step, with the exact MI of decimation, of majority rule and I(V:E)
// as reference lines) and ising1d_weights.png (|λ| per step) in -outdir,
// a summary on stderr, and with -json one line on stdout:
//
//	{"weights":[[...]],"mi_bits","exact_mi_bits","decimation_ratio","acts_as_decimation",
//	 "decimation_mi_bits","majority_mi_bits","visible_mi_bits","estimator","K"}
//
// mi_bits is the estimator's MI of the learned filter, exact_mi_bits its exact
// MI; decimation_ratio is, for the hidden unit where it is smallest, the
// ratio of the largest to the second-largest |λ|; acts_as_decimation says
// whether every hidden unit's most probable value equals ± one fixed block
// spin for all 2^lv block states.
//
// Progress lines (stage, done/total, rate, ETA) go to stderr at least every
// few seconds; -q silences them and the summary. -outdir is checked before
// anything is computed, and the program takes flags only. The defaults
// finish in seconds (the README gives the run time and memory).
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
	"sort"

	"github.com/rsmi-go/rsmi/examples/internal/cli"
	"github.com/rsmi-go/rsmi/examples/internal/plots"
	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rbm"
	"github.com/rsmi-go/rsmi/rsmi"
	rsmirun "github.com/rsmi-go/rsmi/run"
	"github.com/rsmi-go/rsmi/sample"
)

// Summary is the -json line.
type Summary struct {
	Weights          [][]float64 `json:"weights"`
	MI               float64     `json:"mi_bits"`
	ExactMI          float64     `json:"exact_mi_bits"`
	DecimationRatio  float64     `json:"decimation_ratio"`
	ActsAsDecimation bool        `json:"acts_as_decimation"`
	DecimationMI     float64     `json:"decimation_mi_bits"`
	MajorityMI       float64     `json:"majority_mi_bits"`
	VisibleMI        float64     `json:"visible_mi_bits"`
	Estimator        string      `json:"estimator"`
	K                float64     `json:"K"`
}

type config struct {
	K                    float64
	lv, lb, le, nh       int
	estimator            string
	L, n, every, burn    int
	chains               int
	data                 string
	rbmHidden, rbmEpochs int
	rbmLR                float64
	fineTune, steps      int
	lr, norm, l2         float64
	seed                 uint64
	outdir               string // figures' directory; "": no figures
	quiet                bool
	ck                   *cli.Checkpoint // -checkpoint/-resume; nil: none
	stderr               io.Writer       // progress and summary; nil: os.Stderr
}

func main() {
	var c config
	flag.Float64Var(&c.K, "K", 1, "coupling K = J/T of the chain")
	flag.IntVar(&c.lv, "lv", 2, "block length L_V (≥ 2)")
	flag.IntVar(&c.lb, "lb", 1, "buffer width L_B")
	flag.IntVar(&c.le, "le", 2, "environment width L_E on each side")
	flag.IntVar(&c.nh, "nh", 1, "hidden units of the filter")
	flag.StringVar(&c.estimator, "estimator", "exactv", "estimator: exactv (Θ-RBM, V enumerated) or exact (chain oracle, no samples)")
	flag.IntVar(&c.L, "L", 64, "length of the sampled periodic chain")
	flag.IntVar(&c.n, "n", 4000, "number of samples (each gives L pairs)")
	flag.IntVar(&c.every, "every", 20, "Wolff clusters between samples")
	flag.IntVar(&c.burn, "burnin", 200, "Wolff clusters discarded per chain")
	flag.IntVar(&c.chains, "chains", 2, "independent sampling chains")
	flag.StringVar(&c.data, "data", "", "read the samples from this .npy file instead of sampling")
	flag.IntVar(&c.rbmHidden, "rbm-hidden", 32, "hidden units of the Θ-RBM")
	flag.IntVar(&c.rbmEpochs, "rbm-epochs", 20, "CD-1 epochs of the Θ-RBM")
	flag.Float64Var(&c.rbmLR, "rbm-lr", 0.01, "Θ-RBM learning rate (decayed as lr/(1+0.1·epoch))")
	flag.IntVar(&c.fineTune, "finetune", 300, "Θ-RBM conditional fine-tuning steps (-1: none)")
	flag.IntVar(&c.steps, "steps", 10000, "Adam steps of the filter")
	flag.Float64Var(&c.lr, "lr", 0.01, "Adam step size")
	flag.Float64Var(&c.norm, "norm", 0, "fix ‖λ_j‖ to this value (0: unconstrained)")
	flag.Float64Var(&c.l2, "l2", 0, "L2 penalty on the weights (0: none)")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed")
	flag.StringVar(&c.outdir, "outdir", ".", "directory for the PNG figures (empty: no figures)")
	asJSON := flag.Bool("json", false, "print one JSON summary line on stdout")
	flag.BoolVar(&c.quiet, "q", false, "no progress lines or text summary on stderr")
	c.ck = cli.CheckpointFlags()
	cli.Usage("ising1d learns the RSMI coarse-graining filter of the 1D Ising chain and checks it against the exact answer, decimation.")
	cli.Parse()
	if err := errors.Join(c.ck.Validate(), cli.Outdir(c.outdir)); err != nil {
		cli.Fatal(err)
	}
	cli.Main(func(ctx context.Context) (*Summary, error) { return run(ctx, c) }, *asJSON)
}

// run samples (or reads) the chain, trains the filter, evaluates it with
// the exact chain oracle and writes the figures unless c.outdir is empty.
func run(ctx context.Context, c config) (*Summary, error) {
	if c.lv < 2 {
		return nil, fmt.Errorf("-lv %d: the block needs at least 2 spins", c.lv)
	}
	exact, err := rsmi.NewExactChain(c.K, c.lv, c.lb, c.le)
	if err != nil {
		return nil, err
	}
	rep := cli.NewReporterTo(c.stderr, c.quiet)
	defer rep.Close()
	rep.Logf("1D Ising chain at K = %v: block %d, buffer %d, environment %d, estimator %s, %d Adam steps\n", c.K, c.lv, c.lb, c.le, c.estimator, c.steps)
	src := rand.NewPCG(c.seed, 0x15151d)
	est, err := estimator(ctx, c, exact, src, rep)
	if err != nil {
		return nil, err
	}
	f, err := rsmi.NewFilter(c.nh, c.lv, src)
	if err != nil {
		return nil, err
	}
	var h history
	h.record(0, f, exact)
	stride := max(1, c.steps/200)
	progress := rep.Stage("filter")
	res, err := rsmi.Train(ctx, est, f, &rsmi.TrainOptions{
		Steps: c.steps, LearningRate: c.lr, Norm: c.norm, L2: c.l2,
		Checkpoint: c.ck.Options("ising1d-filter.ckpt"),
		Progress: func(p rsmirun.Progress) {
			if p.Done%stride == 0 {
				h.record(p.Done, f, exact)
			}
			progress(p)
		},
	})
	if err != nil {
		return nil, err
	}
	s := &Summary{MI: res.MI, Estimator: c.estimator, K: c.K, VisibleMI: exact.VisibleMI()}
	s.ExactMI, _ = exact.MI(f)
	s.DecimationMI, _ = exact.RuleMI(rsmi.Decimation{Site: 0})
	s.MajorityMI, _ = exact.RuleMI(rsmi.Majority{})
	s.DecimationRatio, s.ActsAsDecimation = decimation(f)
	for j := 0; j < f.NH; j++ {
		s.Weights = append(s.Weights, f.W[j*f.NV:(j+1)*f.NV])
	}
	if c.outdir != "" {
		rep.Begin("figures")
		if err := figures(c.outdir, res.History, h, s, f); err != nil {
			return nil, err
		}
	}
	rep.Close()
	for j, w := range s.Weights {
		rep.Logf("hidden unit %d: λ = %.3f\n", j, w)
	}
	rep.Logf("MI (estimator) %.4f bit, exact %.4f bit; decimation %.4f, majority rule %.4f, I(V:E) %.4f\n",
		s.MI, s.ExactMI, s.DecimationMI, s.MajorityMI, s.VisibleMI)
	rep.Logf("weight ratio %.2f, acts as decimation: %v\n", s.DecimationRatio, s.ActsAsDecimation)
	return s, nil
}

// history holds the filter's exact MI and |weights| during training.
type history struct {
	steps, exactMI []float64
	weights        [][]float64 // weights[i] is |λ_i| per recorded step
}

func (h *history) record(step int, f *rsmi.Filter, exact *rsmi.Exact) {
	mi, _ := exact.MI(f)
	h.steps = append(h.steps, float64(step))
	h.exactMI = append(h.exactMI, mi)
	if h.weights == nil {
		h.weights = make([][]float64, len(f.W))
	}
	for i, w := range f.W {
		h.weights[i] = append(h.weights[i], math.Abs(w))
	}
}

// estimator returns the exact chain oracle (-estimator exact) or ExactV
// trained on the sampled or loaded chain.
func estimator(ctx context.Context, c config, exact *rsmi.Exact, src rand.Source, rep *cli.Reporter) (rsmi.Estimator, error) {
	switch c.estimator {
	case "exact":
		return exact, nil
	case "exactv":
	default:
		return nil, fmt.Errorf("-estimator %q: want exactv or exact", c.estimator)
	}
	ds, err := samples(ctx, c, src, rep)
	if err != nil {
		return nil, err
	}
	if ds.Geom.Dim() != 1 {
		return nil, fmt.Errorf("the data are %d-dimensional, ising1d needs a chain", ds.Geom.Dim())
	}
	reg, err := rsmi.NewRegions(ds.Geom, []int{c.lv}, &rsmi.RegionOptions{Buffer: c.lb, Env: c.le})
	if err != nil {
		return nil, err
	}
	pairs, err := reg.Pairs(ds)
	if err != nil {
		return nil, err
	}
	return rsmi.NewExactV(ctx, pairs, src, &rsmi.ExactVOptions{
		Hidden:     c.rbmHidden,
		RBM:        &rbm.TrainOptions{Epochs: c.rbmEpochs, BatchSize: 64, LearningRate: c.rbmLR, Decay: 0.1, Momentum: 0.9, K: 1, Shuffle: true},
		FineTune:   c.fineTune,
		Checkpoint: c.ck.Options("ising1d-theta.ckpt"),
		Progress:   rep.Progress,
	})
}

// samples reads the dataset from c.data, or samples a periodic chain of
// c.L spins at coupling c.K with Wolff clusters.
func samples(ctx context.Context, c config, src rand.Source, rep *cli.Reporter) (*sample.Dataset, error) {
	if c.data != "" {
		return sample.LoadDataset(c.data)
	}
	l, err := lattice.NewChain(c.L)
	if err != nil {
		return nil, err
	}
	m, err := lattice.NewNearestNeighborIsing(l, 1)
	if err != nil {
		return nil, err
	}
	if c.chains < 1 || c.n < c.chains {
		return nil, fmt.Errorf("-n %d samples over -chains %d", c.n, c.chains)
	}
	return sample.Collect(ctx, func(s rand.Source) (sample.Sampler, error) {
		return sample.NewWolff(m, 1/c.K, s)
	}, sample.Plan{Chains: c.chains, BurnIn: c.burn, Every: c.every, PerChain: c.n / c.chains, Progress: rep.Stage("sampling")}, src)
}

// decimation returns, minimized over hidden units, the ratio of the largest
// to the second-largest |λ|, and whether every unit's most probable value is
// ± one fixed block spin for all block states.
func decimation(f *rsmi.Filter) (ratio float64, acts bool) {
	ratio, acts = math.Inf(1), true
	v := make([]int8, f.NV)
	h := make([]int8, f.NH)
	tie := rand.NewPCG(0, 0)
	for j := 0; j < f.NH; j++ {
		w := f.W[j*f.NV : (j+1)*f.NV]
		idx := make([]int, len(w))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return math.Abs(w[idx[a]]) > math.Abs(w[idx[b]]) })
		ratio = math.Min(ratio, math.Abs(w[idx[0]])/math.Abs(w[idx[1]]))
		big := idx[0]
		sign := int8(1)
		if w[big] < 0 {
			sign = -1
		}
		for s := 0; s < 1<<f.NV; s++ {
			for i := range v {
				v[i] = int8(2*((s>>i)&1)) - 1
			}
			f.MostProbable(v, h, tie)
			if h[j] != sign*v[big] {
				acts = false
			}
		}
	}
	if math.IsInf(ratio, 0) {
		ratio = math.MaxFloat64
	}
	return ratio, acts
}

// figures writes ising1d_mi.png (the estimator's and the exact MI per step,
// with the exact MI of decimation, majority rule and I(V:E)) and
// ising1d_weights.png (|λ| per step) into dir.
func figures(dir string, hist []float64, h history, s *Summary, f *rsmi.Filter) error {
	steps := make([]float64, len(hist))
	for i := range steps {
		steps[i] = float64(i + 1)
	}
	n := float64(len(hist))
	err := plots.Lines(filepath.Join(dir, "ising1d_mi.png"), fmt.Sprintf("RSMI filter training, 1D Ising chain at K = J/T = %v", s.K), "Adam step", "mutual information I(H:E) (bits)", []plots.Series{
		{Name: "estimator (" + s.Estimator + ")", X: steps, Y: hist},
		{Name: "exact MI of the filter", X: h.steps, Y: h.exactMI},
		plots.Ref(fmt.Sprintf("I(V:E) = %.4f (bound)", s.VisibleMI), s.VisibleMI, 0, n),
		plots.Ref(fmt.Sprintf("decimation, exact: %.4f", s.DecimationMI), s.DecimationMI, 0, n),
		plots.Ref(fmt.Sprintf("majority rule, exact: %.4f", s.MajorityMI), s.MajorityMI, 0, n),
	})
	if err != nil {
		return err
	}
	var series []plots.Series
	for i, y := range h.weights {
		series = append(series, plots.Series{Name: fmt.Sprintf("|λ_{%d,%d}|", i/f.NV+1, i%f.NV+1), X: h.steps, Y: y})
	}
	return plots.Lines(filepath.Join(dir, "ising1d_weights.png"), "Filter weights |λ_{j,i}| during training (j: hidden unit, i: spin of the block)", "Adam step", "weight magnitude |λ|", series)
}
