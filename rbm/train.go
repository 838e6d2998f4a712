package rbm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/rsmi-go/rsmi/internal/xrand"
	"github.com/rsmi-go/rsmi/run"
)

// TrainOptions configures Train. A zero field takes the default given in its
// comment; negative or NaN values are errors. Src is required, so the
// options cannot be nil.
type TrainOptions struct {
	// Epochs is the number of passes over the data (default 10).
	Epochs int
	// BatchSize is the number of rows per mini-batch (default 100, capped
	// at the number of rows). The last batch of an epoch may be smaller.
	BatchSize int
	// LearningRate ε multiplies the batch-mean gradient (default 0.05). This
	// is scikit-learn's convention: its step is learning_rate/batch_size
	// times the gradient summed over the batch.
	LearningRate float64
	// Decay makes the learning rate of epoch e (1-based) ε/(1+Decay·(e−1))
	// (default 0: constant).
	Decay float64
	// Momentum μ ∈ [0,1): the update is u ← μu + ε(g − λW), θ ← θ + u
	// (default 0: plain gradient steps).
	Momentum float64
	// WeightDecay λ ≥ 0 adds the L2 penalty −λW to the weight gradient
	// (biases are not decayed; default 0).
	WeightDecay float64
	// K is the number of Gibbs steps of the negative phase (default 1). The
	// context is checked between Gibbs steps, so a large K delays a
	// cancellation by at most one Gibbs step of one mini-batch.
	K int
	// Persistent selects persistent contrastive divergence (PCD, Tieleman
	// 2008): BatchSize fantasy chains carry their hidden states from one
	// update to the next, starting with all hidden units off (scikit-learn's
	// BernoulliRBM rule). Otherwise (default false) the negative phase of
	// CD-k starts from the data of the mini-batch.
	Persistent bool
	// Shuffle draws a new random order of the rows in every epoch;
	// otherwise (default false) the batches are taken in order.
	Shuffle bool
	// Src drives the shuffling and the Gibbs sampling (required).
	Src rand.Source
	// Progress, if not nil, receives Stage "rbm.Train" (TrainCategorical:
	// "rbm.TrainCategorical"), Done = the epoch just completed, Total =
	// Epochs and Value = the pseudo-log-likelihood per row
	// (TrainResult.PseudoLogLikelihood) after every epoch. It does
	// not change the random streams of training: results are identical with
	// or without. Default nil.
	Progress run.ProgressFunc
	// Checkpoint, if not nil, saves the training state after every
	// Checkpoint.Every epochs to Checkpoint.Dir (file "rbm-train.ckpt",
	// TrainCategorical "rbm-categorical.ckpt", unless Checkpoint.Name is
	// set) and, with Checkpoint.Resume, continues
	// from it: r must then be initialized as for the interrupted run (same
	// seed) and data, options (Epochs included) and Src be the same; the
	// resumed run ends with the same parameters, bit for bit, as an
	// uninterrupted one. Resuming a run of another number of epochs is an
	// error naming both. The monitoring figures of Progress and TrainResult
	// are recomputed with their own stream and agree as well when Progress
	// is set in both runs. Default nil: no checkpoints.
	Checkpoint *run.Checkpoint
}

// TrainResult summarizes a training run.
type TrainResult struct {
	Epochs  int // epochs completed
	Updates int // mini-batch updates made
	// ResumedFrom is the epoch of the checkpoint the run resumed from (0 if
	// it started from the beginning).
	ResumedFrom int
	// ReconstructionError is the mean over monitored rows and units of
	// (v_i − E[v_i | h])², h drawn from P(h | v), after the last completed
	// epoch.
	ReconstructionError float64
	// PseudoLogLikelihood is the stochastic pseudo-log-likelihood per row
	// (scikit-learn's score_samples): nv·log σ(F(ṽ) − F(v)), ṽ being v with
	// one random unit flipped, averaged over the monitored rows, after the
	// last completed epoch.
	PseudoLogLikelihood float64
}

// monitorRows is the number of rows (evenly spaced through the data) on
// which the monitoring figures are computed.
const monitorRows = 1000

type trainConfig struct {
	epochs, batch, k    int
	lr, decay, mom, wd  float64
	persistent, shuffle bool
}

func (o *TrainOptions) config(n int) (trainConfig, error) {
	c := trainConfig{epochs: 10, batch: 100, k: 1, lr: 0.05}
	if o == nil {
		return c, errors.New("rbm: TrainOptions with a Src are required")
	}
	if o.Src == nil {
		return c, errors.New("rbm: TrainOptions.Src is required")
	}
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) || x < 0 }
	switch {
	case o.Epochs < 0:
		return c, fmt.Errorf("rbm: negative number of epochs %d", o.Epochs)
	case o.BatchSize < 0:
		return c, fmt.Errorf("rbm: negative batch size %d", o.BatchSize)
	case o.K < 0:
		return c, fmt.Errorf("rbm: negative number of Gibbs steps K=%d", o.K)
	case bad(o.LearningRate):
		return c, fmt.Errorf("rbm: learning rate %v is not a finite non-negative number", o.LearningRate)
	case bad(o.Decay):
		return c, fmt.Errorf("rbm: learning-rate decay %v is not a finite non-negative number", o.Decay)
	case bad(o.WeightDecay):
		return c, fmt.Errorf("rbm: weight decay %v is not a finite non-negative number", o.WeightDecay)
	case math.IsNaN(o.Momentum) || o.Momentum < 0 || o.Momentum >= 1:
		return c, fmt.Errorf("rbm: momentum %v outside [0,1)", o.Momentum)
	}
	if o.Epochs > 0 {
		c.epochs = o.Epochs
	}
	if o.BatchSize > 0 {
		c.batch = o.BatchSize
	}
	c.batch = min(c.batch, n)
	if o.K > 0 {
		c.k = o.K
	}
	if o.LearningRate > 0 {
		c.lr = o.LearningRate
	}
	c.decay, c.mom, c.wd = o.Decay, o.Momentum, o.WeightDecay
	c.persistent, c.shuffle = o.Persistent, o.Shuffle
	return c, nil
}

// Train fits r to the rows of data (n rows of nv values in r's alphabet,
// row-major) by contrastive divergence CD-k or, with opts.Persistent,
// persistent CD, on mini-batches. It updates r in place after every epoch.
//
// The arithmetic of the updates is done in float32 with the
// register-blocked kernels of kernel.go for the batched products and a
// tabulated sigmoid (absolute error < 1e-6); the gradient of the
// log-likelihood estimated from a mini-batch of rows v and negative
// samples ṽ is ⟨v h⟩_data − ⟨ṽ h⟩_model with mean-field hidden statistics
// E[h|v] on both sides. The run is deterministic for a given opts.Src.
//
// Train returns an error for invalid options or data, for an RBM not made
// by New, NewFrom or Read (such as the zero value), if ctx is cancelled (r
// then holds the parameters of the last completed epoch, the result those
// of its monitoring), or if the parameters become NaN or Inf (the error
// names the epoch; r keeps the parameters of the epoch before).
func Train(ctx context.Context, r *RBM, data []int8, opts *TrainOptions) (*TrainResult, error) {
	if r == nil {
		return nil, errors.New("rbm: Train needs an RBM")
	}
	return train(ctx, r, data, opts, binaryJob)
}

// job names a trainer: its progress Stage, which is also its checkpoint
// kind, and its default checkpoint file name.
type job struct{ stage, file string }

var (
	binaryJob      = job{stage: trainKind, file: "rbm-train.ckpt"}
	categoricalJob = job{stage: catTrainKind, file: "rbm-categorical.ckpt"}
)

// model is what the shared training loop needs of an RBM.
type model interface {
	// checkData validates the model's shapes and the data and returns the
	// number of rows.
	checkData(data []int8) (int, error)
	// params returns the weights (one row per trainer visible row) and the
	// biases, for reading and writing.
	params() (w *mat.Dense, vis, hid []float64)
	// layout returns the alphabet of the binary units and, for a
	// categorical RBM, the number of states q of each softmax group of
	// visible rows (0 otherwise).
	layout() (units Units, q int)
	// rows returns data as rows of trainer visible values: data itself for
	// a binary RBM, one-hot rows for a categorical one.
	rows(data []int8) []int8
	// describe names the model for checkpoint mismatch messages.
	describe() string
	// monitor returns the reconstruction error and pseudo-log-likelihood.
	monitor(data []int8, n int, rng *xrand.Xoshiro) (recon, pll float64)
}

func (r *RBM) params() (*mat.Dense, []float64, []float64) { return r.W, r.VisBias, r.HidBias }
func (r *RBM) layout() (Units, int)                       { return r.units, 0 }
func (r *RBM) rows(data []int8) []int8                    { return data }
func (r *RBM) describe() string {
	return fmt.Sprintf("RBM %d×%d %v", r.NumVisible(), r.NumHidden(), r.units)
}

// train is Train for any model, through the resumable loop of
// internal/ckpt (one step per epoch).
func train(ctx context.Context, m model, data []int8, opts *TrainOptions, j job) (*TrainResult, error) {
	n, err := m.checkData(data)
	if err != nil {
		return nil, err
	}
	cfg, err := opts.config(n)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("rbm: training not started: %w", err)
	}
	tr := newTraining(ctx, m, data, n, cfg, opts, j)
	first, err := tr.loop(opts.Checkpoint).Run(ctx, tr.epoch)
	switch {
	case err != nil && first == 0: // the run did not start: resuming failed
		return nil, prefixed(err)
	case err != nil:
		return tr.res, prefixed(err)
	}
	return tr.res, nil
}

// prefixed adds the package prefix to errors of the resumable loop.
func prefixed(err error) error {
	if strings.HasPrefix(err.Error(), "rbm:") {
		return err
	}
	return fmt.Errorf("rbm: training %w", err)
}

// training is the state of one Train or TrainCategorical call.
type training struct {
	ctx      context.Context
	m        model
	job      job
	data     []int8 // the caller's rows (monitoring, fingerprint)
	x        []int8 // rows of trainer visible values
	xT       []int8 // unit-major copy of x (batches in order)
	perm     []int32
	n        int
	cfg      trainConfig
	progress run.ProgressFunc
	t        *trainer
	mon      xrand.Xoshiro // monitoring stream, independent of training
	res      *TrainResult
}

func newTraining(ctx context.Context, m model, data []int8, n int, cfg trainConfig, opts *TrainOptions, j job) *training {
	tr := &training{ctx: ctx, m: m, job: j, data: data, x: m.rows(data), n: n, cfg: cfg, progress: opts.Progress, res: &TrainResult{}}
	tr.t = newTrainer(m, cfg, opts.Src)
	tr.t.ctx = ctx
	tr.mon = xrand.New(opts.Src)
	nv := tr.t.nv
	if cfg.shuffle {
		tr.perm = make([]int32, n)
		for i := range tr.perm {
			tr.perm[i] = int32(i)
		}
	} else {
		tr.xT = make([]int8, len(tr.x))
		for row := range n {
			for i, x := range tr.x[row*nv : row*nv+nv] {
				tr.xT[i*n+row] = x
			}
		}
	}
	return tr
}

// epoch runs epoch e: one pass over the data in mini-batches, then the
// monitoring and the progress report.
func (tr *training) epoch(e int) error {
	t, cfg, n, res := tr.t, tr.cfg, tr.n, tr.res
	lr := cfg.lr / (1 + cfg.decay*float64(e-1))
	if tr.perm != nil {
		for i := n - 1; i > 0; i-- {
			j := t.rng.Intn(i + 1)
			tr.perm[i], tr.perm[j] = tr.perm[j], tr.perm[i]
		}
	}
	for start, nb := 0, 0; start < n; start, nb = start+cfg.batch, nb+1 {
		if err := tr.ctx.Err(); err != nil { // every batch, and t.step every Gibbs step
			return fmt.Errorf("rbm: training interrupted in epoch %d: %w", e, err)
		}
		rows := min(cfg.batch, n-start)
		if tr.perm == nil {
			t.loadT(tr.xT, n, start, rows)
		} else {
			t.loadPerm(tr.x, tr.perm[start:start+rows])
		}
		t.step(rows, lr)
		if err := tr.ctx.Err(); err != nil { // the step may have stopped half-way
			return fmt.Errorf("rbm: training interrupted in epoch %d: %w", e, err)
		}
		res.Updates++
		if nb%64 == 63 && !t.finite() {
			return fmt.Errorf("rbm: training diverged in epoch %d, update %d: parameters became NaN or Inf (lower the learning rate)", e, res.Updates)
		}
	}
	if !t.finite() {
		return fmt.Errorf("rbm: training diverged in epoch %d: parameters became NaN or Inf (lower the learning rate)", e)
	}
	t.store(tr.m)
	res.Epochs = e
	if tr.progress != nil || e == cfg.epochs {
		res.ReconstructionError, res.PseudoLogLikelihood = tr.m.monitor(tr.data, n, &tr.mon)
	}
	if tr.progress != nil {
		tr.progress(run.Progress{Stage: tr.job.stage, Done: e, Total: cfg.epochs, Value: res.PseudoLogLikelihood})
	}
	return nil
}

// monitor computes the reconstruction error and pseudo-log-likelihood on up
// to monitorRows evenly spaced rows.
func (r *RBM) monitor(data []int8, n int, rng *xrand.Xoshiro) (recon, pll float64) {
	nv, nh := r.NumVisible(), r.NumHidden()
	m := min(n, monitorRows)
	h := make([]int8, nh)
	vf := make([]int8, nv)
	buf := make([]float64, max(nv, nh))
	for k := range m {
		row := k * n / m
		v := data[row*nv : (row+1)*nv]
		r.SampleHidden(v, h, rng, buf)
		p := r.VisibleInput(h, buf)
		for i, a := range p {
			d := float64(v[i]) - r.units.mean(a)
			recon += d * d
		}
		copy(vf, v)
		i := rng.Intn(nv)
		if r.units == Spin {
			vf[i] = -vf[i]
		} else {
			vf[i] = 1 - vf[i]
		}
		f0 := r.freeEnergy(v, buf)
		f1 := r.freeEnergy(vf, buf)
		pll += float64(nv) * -softplus(-(f1 - f0)) // log σ(x) = −softplus(−x)
	}
	return recon / float64(m*nv), pll / float64(m)
}

// trainer holds the float32 parameters and all buffers of a training run,
// so that an update allocates nothing. Batches are stored unit-major (one
// row per unit, one column per sample): the products are then the
// register-blocked kernels of kernel.go over long rows of samples.
type trainer struct {
	nv, nh, batch, chains, k int // nv: visible rows (nv·q for a categorical RBM)
	q                        int // states of each softmax group of visible rows (0: binary units)
	stride                   int // columns of vt and ht: batch + chains
	persistent, chainInit    bool
	mom, wd                  float32
	ctx                      context.Context // checked between Gibbs steps (nil: never)

	w, wt, b, c     []float32 // weights nv×nh, their transpose nh×nv, biases
	uw, ub, uc      []float32 // momentum buffers (nil without momentum)
	dw              []float32 // weight gradient sums nv×nh
	vt              []float32 // visible units × samples (data, then negatives)
	ht              []float32 // scaled hidden statistics, hidden units × samples
	hs              []float32 // hidden samples nh×chains (the persistent state for PCD)
	sumV, sumH      []float32 // bias gradients
	vPos, vNeg      []float32 // per visible unit: sums over data / negative samples
	hPos, hNeg      []float32 // per hidden unit: sums of the scaled statistics
	pg              []float32 // softmax weights of one group (q)
	ubuf            []float32 // uniform numbers of one row of samples
	rng             xrand.Xoshiro
	off, span, gain float32 // off value, on−off, sigmoid gain (1 Binary, 2 Spin)
}

func newTrainer(m model, cfg trainConfig, src rand.Source) *trainer {
	w, vis, hid := m.params()
	nv, nh := len(vis), len(hid)
	units, q := m.layout()
	t := &trainer{nv: nv, nh: nh, q: q, batch: cfg.batch, chains: cfg.batch, k: cfg.k,
		persistent: cfg.persistent,
		mom:        float32(cfg.mom), wd: float32(cfg.wd), span: 1, gain: 1}
	if units == Spin {
		t.off, t.span, t.gain = -1, 2, 2
	}
	t.stride = t.batch + t.chains
	t.w = make([]float32, nv*nh)
	t.wt = make([]float32, nh*nv)
	t.b = make([]float32, nv)
	t.c = make([]float32, nh)
	raw := w.RawMatrix()
	for i := range nv {
		for j := range nh {
			t.w[i*nh+j] = float32(raw.Data[i*raw.Stride+j])
		}
	}
	for i, x := range vis {
		t.b[i] = float32(x)
	}
	for j, x := range hid {
		t.c[j] = float32(x)
	}
	t.transpose()
	if cfg.mom > 0 {
		t.uw = make([]float32, nv*nh)
		t.ub = make([]float32, nv)
		t.uc = make([]float32, nh)
	}
	t.dw = make([]float32, nv*nh)
	t.vt = make([]float32, nv*t.stride)
	t.ht = make([]float32, nh*t.stride)
	t.hs = make([]float32, nh*t.chains)
	t.sumV = make([]float32, nv)
	t.sumH = make([]float32, nh)
	t.vPos = make([]float32, nv)
	t.vNeg = make([]float32, nv)
	t.hPos = make([]float32, nh)
	t.hNeg = make([]float32, nh)
	if q > 0 {
		t.pg = make([]float32, q)
	}
	t.ubuf = make([]float32, t.chains)
	t.rng = xrand.New(src)
	return t
}

func (t *trainer) transpose() {
	nv, nh := t.nv, t.nh
	for i := range nv {
		row := t.w[i*nh : i*nh+nh]
		for j, x := range row {
			t.wt[j*nv+i] = x
		}
	}
}

// store writes the parameters back into m.
func (t *trainer) store(m model) {
	w, vis, hid := m.params()
	raw := w.RawMatrix()
	for i := range t.nv {
		for j := range t.nh {
			raw.Data[i*raw.Stride+j] = float64(t.w[i*t.nh+j])
		}
	}
	for i, x := range t.b {
		vis[i] = float64(x)
	}
	for j, x := range t.c {
		hid[j] = float64(x)
	}
}

func (t *trainer) finite() bool { return finite32(t.w) && finite32(t.b) && finite32(t.c) }

// load copies rows of data (row-major, in the alphabet) into the data
// columns of t.vt.
func (t *trainer) load(data []int8, rows int) {
	nv, s := t.nv, t.stride
	clear(t.vPos)
	for r := range rows {
		vp := t.vPos[:nv]
		for i, x := range data[r*nv : r*nv+nv] {
			t.vt[i*s+r] = float32(x)
			vp[i] += float32(x)
		}
	}
}

// loadT copies rows start… of the unit-major data dataT (n rows) into the
// data columns of t.vt.
func (t *trainer) loadT(dataT []int8, n, start, rows int) {
	s := t.stride
	for i := range t.nv {
		src := dataT[i*n+start : i*n+start+rows]
		dst := t.vt[i*s : i*s+len(src)]
		var sum float32
		for k, x := range src {
			dst[k] = float32(x)
			sum += float32(x)
		}
		t.vPos[i] = sum
	}
}

func (t *trainer) loadPerm(data []int8, idx []int32) {
	nv, s := t.nv, t.stride
	clear(t.vPos)
	for r, row := range idx {
		vp := t.vPos[:nv]
		for i, x := range data[int(row)*nv : int(row)*nv+nv] {
			t.vt[i*s+r] = float32(x)
			vp[i] += float32(x)
		}
	}
}

// unif2 returns two uniform float32 values in [0,1) (24 bits each).
func unif2(r uint64) (float32, float32) {
	return float32(uint32(r)>>8) * 0x1p-24, float32(r>>40) * 0x1p-24
}

// onBit returns 1 if u < p, else 0, without a branch.
func onBit(u, p float32) float32 { return float32(math.Float32bits(u-p) >> 31) }

// hidden computes, for the samples in columns [col, col+n) of vt, the
// hidden statistics E[h|v] into the same columns of ht, scaled by scale1 in
// the first nScale columns and by scale2 in the others; if sample, it also
// draws h for those others into the first n−nScale columns of hs. The sums
// over each unit's columns of the two parts are stored in sum1 and sum2.
func (t *trainer) hidden(col, n, nScale int, scale1, scale2 float32, sample bool, sum1, sum2 []float32) {
	nv, nh, s := t.nv, t.nh, t.stride
	mm32(nh, n, nv, t.wt, nv, t.vt[col:], s, t.ht[col:], s)
	off, span := t.off, t.span
	// mean = span·p + off, pre-scaled
	m1, o1 := float32(scale1*span), float32(scale1*off)
	m2, o2 := float32(scale2*span), float32(scale2*off)
	for j := range nh {
		row := t.ht[j*s+col : j*s+col+n]
		A, B := sigArg(t.gain, t.c[j])
		p := sigParams{a: A, b: B, m: m1, o: o1, span: span, off: off, top: sigN, tab: &sigTab}
		sum1[j] = sigRow(row[:nScale], &p, nil, nil, sigStats)
		p.m, p.o = m2, o2
		b := row[nScale:]
		if !sample {
			sum2[j] = sigRow(b, &p, nil, nil, sigStats)
			continue
		}
		sum2[j] = sigRow(b, &p, t.uniforms(len(b)), t.hs[j*t.chains:j*t.chains+len(b)], sigStatsSample)
	}
}

// uniforms returns n uniform numbers in [0,1) (24 bits each, two per
// generator output) in a buffer of the trainer.
func (t *trainer) uniforms(n int) []float32 {
	u := t.ubuf[:n]
	k := 0
	for ; k+1 < n; k += 2 {
		u[k], u[k+1] = unif2(t.rng.Uint64())
	}
	if k < n {
		u[k], _ = unif2(t.rng.Uint64())
	}
	return u
}

// visible draws v ~ P(v | h) for the first n columns of hs into the
// columns [col, col+n) of vt.
func (t *trainer) visible(col, n int) {
	if t.q > 0 {
		t.visibleSoftmax(col, n)
		return
	}
	nv, nh, s := t.nv, t.nh, t.stride
	mm32(nv, n, nh, t.w, nh, t.hs, t.chains, t.vt[col:], s)
	for i := range nv {
		row := t.vt[i*s+col : i*s+col+n]
		A, B := sigArg(t.gain, t.b[i])
		p := sigParams{a: A, b: B, span: t.span, off: t.off, top: sigN, tab: &sigTab}
		t.vNeg[i] = sigRow(row, &p, t.uniforms(len(row)), nil, sigSample) // Σ of the samples
	}
}

// cancelled reports whether the trainer's context is done: a step checks it
// between Gibbs steps (beyond the first), so that a large K does not delay
// a cancellation, and returns without updating the parameters.
func (t *trainer) cancelled() bool { return t.ctx != nil && t.ctx.Err() != nil }

// step makes one update from the rows samples loaded by load. It returns
// early, without an update, if the trainer's context is cancelled between
// Gibbs steps.
func (t *trainer) step(rows int, lr float64) {
	nv, nh, s := t.nv, t.nh, t.stride
	chains := rows
	if t.persistent {
		chains = t.chains
	}
	pos, neg := 1/float32(rows), -1/float32(chains)
	if t.persistent {
		if !t.chainInit { // fantasy chains start with all hidden units off
			for k := range t.hs {
				t.hs[k] = t.off
			}
			t.chainInit = true
		}
		// k−1 Gibbs steps h → v → h of the fantasy chains, a last h → v,
		// then the hidden statistics of data and chains in one product.
		for st := 1; st < t.k; st++ {
			if t.cancelled() {
				return
			}
			t.visible(rows, chains)
			t.hidden(rows, chains, 0, neg, neg, true, t.hNeg, t.hNeg)
		}
		t.visible(rows, chains)
		t.hidden(0, rows+chains, rows, pos, neg, true, t.hPos, t.hNeg)
	} else {
		// CD-k: chains start from hidden samples of the data.
		t.hidden(0, rows, 0, pos, pos, true, t.hPos, t.hPos)
		for st := 1; st <= t.k; st++ {
			if st > 1 && t.cancelled() {
				return
			}
			t.visible(rows, chains)
			t.hidden(rows, chains, 0, neg, neg, st < t.k, t.hNeg, t.hNeg)
		}
	}
	// Bias gradients.
	invR, invC := 1/float32(rows), 1/float32(chains)
	for i := range nv {
		t.sumV[i] = float32(invR*t.vPos[i]) - float32(invC*t.vNeg[i])
	}
	for j := range nh {
		t.sumH[j] = t.hPos[j] + t.hNeg[j]
	}
	all := rows + chains
	// Weights: W ← (1−ελ)W + ε V Hᵀ with V = [v, ṽ] and
	// H = [E[h|v]/B, −E[h|ṽ]/C] (unit-major).
	eps := float32(lr)
	dots32(nv, nh, all, t.vt, s, t.ht, s, t.dw, nh)
	if t.uw == nil {
		beta := 1 - float32(eps*t.wd)
		for k, d := range t.dw {
			t.w[k] = float32(beta*t.w[k]) + float32(eps*d)
		}
		for i, d := range t.sumV {
			t.b[i] += float32(eps * d)
		}
		for j, d := range t.sumH {
			t.c[j] += float32(eps * d)
		}
	} else {
		for k, d := range t.dw {
			t.uw[k] = float32(t.mom*t.uw[k]) + float32(eps*d) - float32(float32(eps*t.wd)*t.w[k])
			t.w[k] += t.uw[k]
		}
		for i, d := range t.sumV {
			t.ub[i] = float32(t.mom*t.ub[i]) + float32(eps*d)
			t.b[i] += t.ub[i]
		}
		for j, d := range t.sumH {
			t.uc[j] = float32(t.mom*t.uc[j]) + float32(eps*d)
			t.c[j] += t.uc[j]
		}
	}
	t.transpose()
}
