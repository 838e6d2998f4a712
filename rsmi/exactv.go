package rsmi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/rsmi-go/rsmi/internal/size"
	"github.com/rsmi-go/rsmi/rbm"
	"github.com/rsmi-go/rsmi/run"
)

// MaxTableEntries bounds (distinct environments) × 2^|V|, the size of the
// table of P(v|e) that ExactV keeps (8 bytes per entry).
const MaxTableEntries = 1 << 26

// ExactVOptions configures NewExactV. Nil, and every zero field, means the
// default in the field's comment.
type ExactVOptions struct {
	// Hidden is the number of hidden units of the Θ-RBM (default 32; 8 was
	// too few for 2D Ising blocks in the prototype; for 3-state Potts 2×2
	// blocks 16, 32 and 64 units put I(V:E) +0.16, +0.07 and +0.02 … +0.05
	// bit above the exact oracle's).
	Hidden int
	// Units is the alphabet of the Θ-RBM's visible and hidden units for ±1
	// pairs (default rbm.Binary, the zero value: the ±1 data are fed as
	// (s+1)/2; rbm.Spin feeds them as they are). Pairs of other States
	// train a categorical Θ-RBM (rbm.Categorical) and need the default.
	Units rbm.Units
	// RBM sets the Θ-RBM's training (default nil: CD-1, 20 epochs, batch
	// 64, learning rate 0.01 with Decay 0.1, momentum 0.9, shuffled batches;
	// persistent CD was unstable in the prototype). Its Src (the source
	// passed to NewExactV), Progress and,
	// if Checkpoint below is set, Checkpoint are replaced.
	RBM *rbm.TrainOptions
	// FineTune is the number of Adam steps of conditional fine-tuning after
	// contrastive divergence (default 300; negative disables it). Each step
	// ascends the exact conditional log-likelihood Σ log P(v|e) — computable
	// because V is enumerated — on a mini-batch of FineTuneBatch distinct
	// environments. It removes most of CD-1's bias in P(v|e), the only part
	// of the model ExactV uses.
	FineTune int
	// FineTuneBatch is the number of distinct environments per fine-tuning
	// step (default 256).
	FineTuneBatch int
	// FineTuneRate is the fine-tuning Adam step size (default 0.003).
	FineTuneRate float64
	// Symmetries, if not nil, is a group of symmetries of the pairs'
	// distribution, identity included (Regions.Symmetries: the block's
	// point group, times permutations of the states such as
	// StatePermutations(q) for the q-state Potts model). The Θ-RBM is then
	// trained on the pairs and all their images (the default number of
	// epochs divided by the group's order, so that it sees as many rows),
	// and the fine-tuning draws its environments from all images, a data
	// augmentation that keeps the Θ-RBM from fitting the sample's
	// accidental asymmetries. For 3-state Potts blocks at T_c (2×2 block,
	// 25,600 pairs, Hidden 64) it cut the deviation from the exact oracle
	// from +0.013 … +0.048 bit (plurality rule) and +0.019 … +0.053 bit
	// (I(V:E)) over three seeds to −0.013 … +0.017 and +0.002 … +0.029
	// (TestLongExactVPotts2D). The table stays over the pairs' own
	// environments. (Default nil: the pairs alone.)
	Symmetries []PairSymmetry
	// Checkpoint, if not nil, checkpoints the Θ-RBM's training (rbm.Train)
	// and the fine-tuning into Checkpoint.Dir, under the name
	// Checkpoint.Name, or "exactv-theta.ckpt" if it is empty, and that name
	// with "-finetune" inserted before its extension
	// ("exactv-theta-finetune.ckpt");
	// the table is recomputed on resume. A resumed NewExactV returns the
	// same estimator, bit for bit, as an uninterrupted one with the same
	// pairs, source and options. (Default nil: no checkpoints.)
	Checkpoint *run.Checkpoint
	// Progress, if not nil, is called from the calling goroutine with the
	// stages "rsmi.ExactV: Θ-RBM" (after every epoch, Value the
	// pseudo-log-likelihood per row), "rsmi.ExactV: fine-tuning" (after
	// every step, Value the mean conditional log-likelihood ln P(v|e) per
	// pair of the step's mini-batch) and "rsmi.ExactV: table" (at its start
	// and end, Done and Total counting environments). (Default nil.)
	Progress run.ProgressFunc
	// Workers is the number of goroutines of the fine-tuning and of the
	// table (default GOMAXPROCS); the result does not depend on it.
	Workers int
}

// resolve returns the options with the defaults filled in (Workers too).
func (opts *ExactVOptions) resolve() (ExactVOptions, error) {
	c := ExactVOptions{Hidden: 32, Units: rbm.Binary, FineTune: 300, FineTuneBatch: 256, FineTuneRate: 0.003, Workers: runtime.GOMAXPROCS(0)}
	if opts == nil {
		return c, nil
	}
	o := opts
	switch {
	case o.Hidden < 0:
		return c, fmt.Errorf("rsmi: ExactVOptions.Hidden = %d (Θ-RBM hidden units) is negative", o.Hidden)
	case o.Units != rbm.Binary && o.Units != rbm.Spin:
		return c, fmt.Errorf("rsmi: ExactVOptions.Units = %v is neither rbm.Binary nor rbm.Spin", o.Units)
	case o.FineTuneBatch < 0:
		return c, fmt.Errorf("rsmi: ExactVOptions.FineTuneBatch = %d is negative", o.FineTuneBatch)
	case o.FineTuneRate < 0 || math.IsNaN(o.FineTuneRate) || math.IsInf(o.FineTuneRate, 0):
		return c, fmt.Errorf("rsmi: ExactVOptions.FineTuneRate = %v, want a finite value ≥ 0 (0: the default)", o.FineTuneRate)
	case o.Workers < 0:
		return c, fmt.Errorf("rsmi: ExactVOptions.Workers = %d is negative", o.Workers)
	}
	setInt(&c.Hidden, o.Hidden)
	setInt(&c.FineTune, o.FineTune)
	setInt(&c.FineTuneBatch, o.FineTuneBatch)
	setFloat(&c.FineTuneRate, o.FineTuneRate)
	setInt(&c.Workers, o.Workers)
	c.Units, c.RBM, c.Checkpoint, c.Progress, c.Symmetries = o.Units, o.RBM, o.Checkpoint, o.Progress, o.Symmetries
	return c, nil
}

// ExactV is the exact-in-V estimator: a Θ-RBM trained on (V,E) pairs models
// P(V,E) ∝ exp(−F(v,e)) (F the RBM's free energy), and for |V| ≤ MaxVisible
// the conditional
//
//	P(v|e) = exp(−F(v,e)) / Σ_{v'} exp(−F(v',e))
//
// is computed exactly by enumerating the 2^|V| block states for every
// distinct environment of the data. I_Λ(H:E) = H(H) − ⟨H(H|e)⟩_e and its
// gradient are then exact given the model (see Exact), the average over e
// running over the data's environments with their counts. The only errors
// are the RBM's modelling error and the sampling of the data. Measured
// against the exact oracles: within 0.004 bit of the exact chain in 1D
// (50,000 pairs, where the empirical distribution itself is off by up to
// 0.002 bit), and within about ±0.02 bit for 2×2 blocks of the 2D Ising model at
// T_c (25,600 pairs). Without the conditional fine-tuning (FineTune < 0,
// CD-1 only) the errors are several times larger: up to 0.016 bit in 1D and
// +0.04–0.07 bit in 2D.
//
// The hidden pre-activations of every environment are computed once and
// those of the 2^|V| block states are tabulated, so building the table costs
// (distinct environments) × 2^|V| × Hidden log-cosh evaluations; each MI or
// gradient evaluation afterwards costs two matrix products (see Exact).
type ExactV struct {
	*Exact
	// Theta is the trained Θ-RBM over (V,E) of ±1 pairs, visible units V
	// first (nil for q-state pairs).
	Theta *rbm.RBM
	// Categorical is the trained categorical Θ-RBM over (V,E) of q-state
	// pairs, visible units V first (nil for ±1 pairs).
	Categorical *rbm.Categorical
}

// NewExactV trains the Θ-RBM on the pairs p with the random source src,
// fine-tunes it, and tabulates P(v|e) for every distinct environment of p.
// The Θ-RBM of ±1 pairs is a binary rbm.RBM (ExactVOptions.Units), that of
// q-state pairs a categorical rbm.Categorical (softmax visible units of the
// pairs' States, binary hidden units), trained by rbm.TrainCategorical.
func NewExactV(ctx context.Context, p *Pairs, src rand.Source, opts *ExactVOptions) (*ExactV, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	S, err := blockStates(p.NV, p.States)
	if err != nil {
		return nil, fmt.Errorf("%w: use a smaller block, exclude dofs from V (RegionOptions.ExcludeV), or an estimator that does not enumerate V (NewInfoNCE)", err)
	}
	if src == nil {
		return nil, errors.New("rsmi: NewExactV needs a random source")
	}
	o, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	if !isSpins(p.States) && o.Units != rbm.Binary {
		return nil, fmt.Errorf("rsmi: ExactVOptions.Units = %v needs ±1 pairs; pairs of the states %v train a categorical RBM", o.Units, p.States)
	}
	q := 2
	if p.States != nil {
		q = len(p.States)
	}
	if err := checkSymmetries(o.Symmetries, p.NV, p.NE, q); err != nil {
		return nil, err
	}
	envs := distinctEnvs(p)
	if len(envs.first) > MaxTableEntries/S {
		return nil, fmt.Errorf("rsmi: %d distinct environments × %d block states exceed ExactV's table limit of %d entries: pass fewer pairs or use a smaller block", len(envs.first), S, MaxTableEntries)
	}
	rows, err := thetaData(p, o.Units)
	if err != nil {
		return nil, err
	}
	syms := rowSymmetries(o.Symmetries, p, rowAlphabet(p, o.Units))
	train := rows
	if len(syms) > 0 {
		if train, err = augmentRows(rows, p.NV, p.NV+p.NE, syms); err != nil {
			return nil, err
		}
	}
	ev := &ExactV{}
	m, err := ev.trainTheta(ctx, p, train, src, &o)
	if err != nil {
		return nil, err
	}
	if o.FineTune > 0 {
		if err := newFineTuner(m, rows, p, envs, syms, &o, src).run(ctx); err != nil {
			return nil, err
		}
	}
	if o.Progress != nil {
		o.Progress(run.Progress{Stage: "rsmi.ExactV: table", Total: len(envs.first), Value: math.NaN()})
	}
	pve, err := exactVTable(ctx, m, rows, envs.first, o.Workers)
	if err != nil {
		return nil, err
	}
	t, err := NewExact(p.NV, p.States, pve, envs.count)
	if err != nil {
		return nil, err
	}
	if o.Progress != nil {
		o.Progress(run.Progress{Stage: "rsmi.ExactV: table", Done: len(envs.first), Total: len(envs.first), Value: math.NaN()})
	}
	ev.Exact = t
	return ev, nil
}

// trainTheta makes and trains the Θ-RBM (binary or categorical) on the
// rows and returns its view. With symmetries the rows are the pairs' and
// their images, and the default number of epochs is divided by their
// number (at least 1), so that the training sees each pair as often.
func (ev *ExactV) trainTheta(ctx context.Context, p *Pairs, rows []int8, src rand.Source, o *ExactVOptions) (*thetaModel, error) {
	ck := thetaCheckpoint(o.Checkpoint)
	to := o.RBM
	if to == nil && len(o.Symmetries) > 1 {
		t := defaultRBMTraining
		t.Epochs = max(1, (t.Epochs+len(o.Symmetries)-1)/len(o.Symmetries))
		to = &t
	}
	if isSpins(p.States) {
		theta, err := rbm.New(p.NV+p.NE, o.Hidden, o.Units, src)
		if err != nil {
			return nil, fmt.Errorf("rsmi: the Θ-RBM: %w", err)
		}
		if err := trainRBM(ctx, binaryFit(theta), rows, src, to, ck, "rsmi.ExactV", "Θ-RBM", o.Progress); err != nil {
			return nil, err
		}
		ev.Theta = theta
		return binaryTheta(theta, p.NV), nil
	}
	c, err := rbm.NewCategorical(p.NV+p.NE, o.Hidden, p.States, src)
	if err != nil {
		return nil, fmt.Errorf("rsmi: the categorical Θ-RBM: %w", err)
	}
	fit := func(ctx context.Context, d []int8, to *rbm.TrainOptions) (*rbm.TrainResult, error) {
		return rbm.TrainCategorical(ctx, c, d, to)
	}
	if err := trainRBM(ctx, fit, rows, src, to, ck, "rsmi.ExactV", "Θ-RBM", o.Progress); err != nil {
		return nil, err
	}
	ev.Categorical = c
	return categoricalTheta(c, p.NV), nil
}

// envSet lists the distinct environments of pairs: the first pair of each,
// in the order of first occurrence, the number of pairs of each, and the
// index of every pair's environment.
type envSet struct {
	first []int
	count []float64
	of    []int32
}

func distinctEnvs(p *Pairs) *envSet {
	s := &envSet{of: make([]int32, p.N)}
	index := make(map[string]int32)
	for k := 0; k < p.N; k++ {
		key := string(int8sAsBytes(p.E[k*p.NE : (k+1)*p.NE]))
		i, ok := index[key]
		if !ok {
			i = int32(len(s.first))
			index[key] = i
			s.first = append(s.first, k)
			s.count = append(s.count, 0)
		}
		s.count[i]++
		s.of[k] = i
	}
	return s
}

// thetaData returns the rows (v, e) of the pairs in the Θ-RBM's alphabet:
// ±1 pairs mapped to {0, 1} for rbm.Binary units, q-state pairs as they
// are (the categorical RBM takes their values).
func thetaData(p *Pairs, units rbm.Units) ([]int8, error) {
	nx := p.NV + p.NE
	total, err := size.Elements("rsmi: the Θ-RBM's training data", 1, p.N, nx)
	if err != nil {
		return nil, err
	}
	rows := make([]int8, total)
	for k := 0; k < p.N; k++ {
		row := rows[k*nx : (k+1)*nx]
		copy(row, p.V[k*p.NV:(k+1)*p.NV])
		copy(row[p.NV:], p.E[k*p.NE:(k+1)*p.NE])
		if units == rbm.Binary && isSpins(p.States) {
			for i, x := range row {
				row[i] = (x + 1) / 2
			}
		}
	}
	return rows, nil
}

// rbmFit trains an RBM (rbm.Train or rbm.TrainCategorical on one model).
type rbmFit func(ctx context.Context, data []int8, opts *rbm.TrainOptions) (*rbm.TrainResult, error)

// binaryFit is rbm.Train on r.
func binaryFit(r *rbm.RBM) rbmFit {
	return func(ctx context.Context, d []int8, o *rbm.TrainOptions) (*rbm.TrainResult, error) {
		return rbm.Train(ctx, r, d, o)
	}
}

// thetaCheckpoint returns the Θ-RBM's checkpoint options (nil without
// checkpoints), defaulting the name to "exactv-theta.ckpt".
func thetaCheckpoint(ck *run.Checkpoint) *run.Checkpoint {
	if ck == nil {
		return nil
	}
	c := *ck
	if c.Name == "" {
		c.Name = "exactv-theta.ckpt"
	}
	return &c
}

// defaultRBMTraining is the RBM training of ExactV and RBMProxy when their
// options leave it nil.
var defaultRBMTraining = rbm.TrainOptions{Epochs: 20, BatchSize: 64, LearningRate: 0.01, Decay: 0.1, Momentum: 0.9, K: 1, Shuffle: true}

// trainRBM trains the RBM name of the estimator est on data by fit
// (rbm.Train or rbm.TrainCategorical) with the options to (nil:
// defaultRBMTraining), the random source src, the checkpoint ck (nil: to's
// own) and progress reported as the stage "est: name".
//
// INTEGRATOR: rsmi's one place that sets rbm.TrainOptions; adapt it here
// when rbm's training takes its source positionally.
func trainRBM(ctx context.Context, fit rbmFit, data []int8, src rand.Source, to *rbm.TrainOptions, ck *run.Checkpoint, est, name string, progress run.ProgressFunc) error {
	stage := est + ": " + name
	t := defaultRBMTraining
	if to != nil {
		t = *to
	}
	t.Src = src
	if ck != nil {
		t.Checkpoint = ck
	}
	t.Progress = nil
	if progress != nil {
		t.Progress = func(p run.Progress) {
			progress(run.Progress{Stage: stage, Done: p.Done, Total: p.Total, Value: p.Value})
		}
	}
	if _, err := fit(ctx, data, &t); err != nil {
		return fmt.Errorf("rsmi: training the %s: %w", name, err)
	}
	return nil
}

// exactVTable returns P(v|e) under the Θ-RBM m for the environments of the
// given data rows (in the RBM's alphabet, V first).
func exactVTable(ctx context.Context, m *thetaModel, data []int8, envs []int, workers int) ([]float64, error) {
	nx, nth, S := m.nx, m.nth, m.blockStates()
	u := make([]float64, S*nth)
	bv := make([]float64, S)
	m.blockTables(u, bv)
	logSum := softplus
	if m.spin {
		logSum = logCosh2
	}
	pve := make([]float64, len(envs)*S)
	var wg sync.WaitGroup
	var cancelled error
	var once sync.Once
	for wk := 0; wk < workers; wk++ {
		wg.Add(1)
		go func(wk int) {
			defer wg.Done()
			a := make([]float64, nth)
			// check ctx about every 2^20 log-cosh evaluations
			every := max(1, min(1024, (1<<20)/(S*nth)))
			for i, k := 0, wk; k < len(envs); i, k = i+1, k+workers {
				if i%every == 0 && ctx.Err() != nil {
					once.Do(func() { cancelled = ctx.Err() })
					return
				}
				m.envInput(data[envs[k]*nx:(envs[k]+1)*nx], a)
				out := pve[k*S : (k+1)*S]
				mx := math.Inf(-1)
				for s := 0; s < S; s++ {
					lp := bv[s]
					us := u[s*nth : (s+1)*nth]
					for j, aj := range a {
						lp += logSum(aj + us[j])
					}
					out[s] = lp
					mx = max(mx, lp)
				}
				for s := range out {
					out[s] = math.Exp(out[s] - mx)
				}
			}
		}(wk)
	}
	wg.Wait()
	if cancelled != nil {
		return nil, fmt.Errorf("rsmi: building the P(v|e) table interrupted: %w", cancelled)
	}
	return pve, nil
}

// logSumMean returns log Σ_h exp(h·x) and E[h] for one hidden unit: log(2
// cosh x) and tanh x (spin), or softplus(x) and σ(x) (binary), sharing one
// exponential.
func logSumMean(x float64, spin bool) (float64, float64) {
	if spin {
		ax := math.Abs(x)
		e := math.Exp(-2 * ax)
		t := (1 - e) / (1 + e)
		if x < 0 {
			t = -t
		}
		return ax + math.Log1p(e), t
	}
	if x > 0 {
		e := math.Exp(-x)
		return x + math.Log1p(e), 1 / (1 + e)
	}
	e := math.Exp(x)
	return math.Log1p(e), e / (1 + e)
}

func softplus(a float64) float64 {
	if a > 0 {
		return a + math.Log1p(math.Exp(-a))
	}
	return math.Log1p(math.Exp(a))
}

// logCosh2 returns log(2 cosh a).
func logCosh2(a float64) float64 {
	a = math.Abs(a)
	return a + math.Log1p(math.Exp(-2*a))
}

func int8sAsBytes(x []int8) []byte {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = byte(v)
	}
	return b
}
