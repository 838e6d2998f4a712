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
//	go run ./examples/ising1d -K 0.5 -steps 20000 -png ising1d.png
//	go run ./examples/sample -model ising1d -L 64 -T 1 -n 2000 -out chain.npy
//	go run ./examples/ising1d -data chain.npy -K 1
//
// With -data the samples come from a .npy file (with its .geom.json sidecar,
// as examples/sample writes it); -K must then give their coupling J/T for
// the exact comparison.
//
// With -json it prints one line on stdout:
//
//	{"weights":[[...]],"mi_bits","exact_mi_bits","decimation_ratio","acts_as_decimation",
//	 "decimation_mi_bits","majority_mi_bits","visible_mi_bits","estimator","K"}
//
// mi_bits is the estimator's MI of the learned filter, exact_mi_bits its exact
// MI; decimation_ratio is, for the hidden unit where it is smallest, the
// ratio of the largest to the second-largest |λ|; acts_as_decimation says
// whether every hidden unit's most probable value equals ± one fixed block
// spin for all 2^lv block states. A progress bar is drawn on stderr and the
// figures (MI against training step, weights against step) are written as
// PNG files unless -png is empty.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/rsmi-go/rsmi/examples/internal/cli"
	"github.com/rsmi-go/rsmi/examples/internal/learn"
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
	png                  string
	ck                   *cli.Checkpoint // -checkpoint/-resume; nil: none
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
	flag.StringVar(&c.png, "png", "ising1d.png", "PNG figure of MI against step ('' for none); weights go to the same name with -weights")
	asJSON := flag.Bool("json", false, "print one JSON summary line on stdout")
	c.ck = cli.CheckpointFlags()
	cli.Parse()
	if err := c.ck.Validate(); err != nil {
		cli.Fatal(err)
	}
	s := cli.Main(func(ctx context.Context) (*Summary, error) { return run(ctx, c) }, *asJSON)
	if *asJSON {
		return
	}
	fmt.Printf("K = %v, L_V = %d, L_B = %d, L_E = %d, nh = %d, estimator %s\n", c.K, c.lv, c.lb, c.le, c.nh, c.estimator)
	for j, w := range s.Weights {
		fmt.Printf("hidden unit %d: λ = %.3f\n", j, w)
	}
	fmt.Printf("MI (estimator) %.4f bit, exact %.4f bit; decimation %.4f, majority rule %.4f, I(V:E) %.4f\n",
		s.MI, s.ExactMI, s.DecimationMI, s.MajorityMI, s.VisibleMI)
	fmt.Printf("weight ratio %.2f, acts as decimation: %v\n", s.DecimationRatio, s.ActsAsDecimation)
}

// run samples (or reads) the chain, trains the filter, evaluates it with
// the exact chain oracle and writes the figures unless c.png is empty.
func run(ctx context.Context, c config) (*Summary, error) {
	if c.lv < 2 {
		return nil, fmt.Errorf("-lv %d: the block needs at least 2 spins", c.lv)
	}
	exact, err := rsmi.NewExactChain(c.K, c.lv, c.lb, c.le)
	if err != nil {
		return nil, err
	}
	src := rand.NewPCG(c.seed, 0x15151d)

	var est rsmi.Estimator
	switch c.estimator {
	case "exact":
		est = exact
	case "exactv":
		ds, err := samples(ctx, c.data, c.K, c.L, c.n, c.every, c.burn, c.chains, src)
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
		progress, done := learn.Bars("")
		ev, err := rsmi.NewExactV(ctx, pairs, src, &rsmi.ExactVOptions{
			Hidden:     c.rbmHidden,
			RBM:        &rbm.TrainOptions{Epochs: c.rbmEpochs, BatchSize: 64, LearningRate: c.rbmLR, Decay: 0.1, Momentum: 0.9, K: 1, Shuffle: true},
			FineTune:   c.fineTune,
			Checkpoint: c.ck.Options("ising1d-theta.ckpt"),
			Progress:   progress,
		})
		done()
		if err != nil {
			return nil, err
		}
		est = ev
	default:
		return nil, fmt.Errorf("-estimator %q: want exactv or exact", c.estimator)
	}

	f, err := rsmi.NewFilter(c.nh, c.lv, src)
	if err != nil {
		return nil, err
	}
	var xs, exactMI []float64
	wHist := make([][]float64, len(f.W))
	record := func(step int) {
		mi, _ := exact.MI(f)
		xs = append(xs, float64(step))
		exactMI = append(exactMI, mi)
		for i, w := range f.W {
			wHist[i] = append(wHist[i], math.Abs(w))
		}
	}
	record(0)
	stride := max(1, c.steps/200)
	bar := cli.NewBar("filter")
	res, err := rsmi.Train(ctx, est, f, &rsmi.TrainOptions{
		Steps: c.steps, LearningRate: c.lr, Norm: c.norm, L2: c.l2,
		Checkpoint: c.ck.Options("ising1d-filter.ckpt"),
		Progress: func(p rsmirun.Progress) {
			if p.Done%stride == 0 {
				record(p.Done)
			}
			bar.Update(p.Done, p.Total)
		},
	})
	bar.Done()
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
	if c.png != "" {
		if err := figures(c.png, res.History, xs, exactMI, wHist, s, f); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// samples reads the dataset from path, or samples a periodic chain of L spins
// at coupling K with Wolff clusters.
func samples(ctx context.Context, path string, K float64, L, n, every, burn, chains int, src rand.Source) (*sample.Dataset, error) {
	if path != "" {
		return sample.LoadDataset(path)
	}
	l, err := lattice.NewChain(L)
	if err != nil {
		return nil, err
	}
	m, err := lattice.NewNearestNeighborIsing(l, 1)
	if err != nil {
		return nil, err
	}
	if chains < 1 || n < chains {
		return nil, fmt.Errorf("-n %d samples over -chains %d", n, chains)
	}
	bar := cli.NewBar("sampling")
	defer bar.Done()
	return sample.Collect(ctx, func(s rand.Source) (sample.Sampler, error) {
		return sample.NewWolff(m, 1/K, s)
	}, sample.Plan{Chains: chains, BurnIn: burn, Every: every, PerChain: n / chains, Progress: bar.Progress}, src)
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

// figures writes the MI and weight histories.
func figures(path string, hist, xs, exactMI []float64, wHist [][]float64, s *Summary, f *rsmi.Filter) error {
	steps := make([]float64, len(hist))
	for i := range steps {
		steps[i] = float64(i + 1)
	}
	flat := func(y float64) []float64 { return []float64{y, y} }
	ends := []float64{0, float64(len(hist))}
	err := plots.Lines(path, fmt.Sprintf("1D Ising, K = %v: RSMI filter training", s.K), "Adam step", "I(H:E) [bit]", []plots.Series{
		{Name: "estimator (" + s.Estimator + ")", X: steps, Y: hist},
		{Name: "exact MI of the filter", X: xs, Y: exactMI},
		{Name: "decimation (exact)", X: ends, Y: flat(s.DecimationMI)},
		{Name: "majority rule (exact)", X: ends, Y: flat(s.MajorityMI)},
	})
	if err != nil {
		return err
	}
	var series []plots.Series
	for i, y := range wHist {
		series = append(series, plots.Series{Name: fmt.Sprintf("|λ[%d][%d]|", i/f.NV, i%f.NV), X: xs, Y: y})
	}
	wpath := strings.TrimSuffix(path, ".png") + "-weights.png"
	return plots.Lines(wpath, "filter weights", "Adam step", "|λ|", series)
}
