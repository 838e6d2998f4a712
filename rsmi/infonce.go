package rsmi

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/rsmi-go/rsmi/internal/ckpt"
	"github.com/rsmi-go/rsmi/internal/size"

	"gonum.org/v1/gonum/blas"
)

// InfoNCEOptions configures NewInfoNCE. Nil, and every zero field, means
// the default in the field's comment; a negative (or NaN) one is an error.
type InfoNCEOptions struct {
	// Batch is the number K of (V,E) pairs per mini-batch (default 256,
	// at least 2). The InfoNCE bound cannot exceed ln K nats = log₂K bits.
	Batch int
	// Embed is the dimension d of the critic's embeddings g(h), u(e)
	// (default 8; at least 2^nh makes the separable critic exact for nh
	// hidden units).
	Embed int
	// CriticHidden lists the widths of the ReLU hidden layers of both
	// critic networks (default nil: [32, 32]). Every width must be
	// positive; use an empty non-nil slice for linear critics.
	CriticHidden []int
	// LearningRate is the critic's Adam step size (default 1e-3); the
	// filter's is TrainOptions.LearningRate.
	LearningRate float64
	// TempStart and TempEnd are the relaxed-Bernoulli temperatures τ at the
	// first training step and from step AnnealSteps on (defaults 1 and
	// 0.05); τ falls geometrically in between.
	TempStart, TempEnd float64
	// AnnealSteps is the length of the temperature schedule (default 3000).
	AnnealSteps int
	// EMA is the decay of the exponential moving average of the training
	// estimate reported by Estimate (default 0.99).
	EMA float64
	// HoldOut is the fraction of the pairs, taken from the end of the
	// data, kept out of training for MI (default 0.1). Pass pairs in sample
	// order (as Regions.Pairs does) so that held-out pairs come from
	// held-out samples. At least Batch pairs must be held out. With data of
	// several Markov chains (sample.Collect stores them one after the
	// other) the held-out pairs come from the last chain: in an ordered
	// phase, whose chains may sit in different ordered states, interleave
	// the chains' samples first.
	HoldOut float64
}

// InfoNCE is the neural estimator of RSMI-NE (Gökmen, Ringel, Huber and
// Koch-Janusz 2021): it maximizes the InfoNCE lower bound (van den Oord et
// al. 2018; Poole et al. 2019) of I_Λ(H:E) jointly over the filter Λ and a
// separable critic f(h,e) = g(h)·u(e), g and u two small multilayer
// perceptrons (ReLU hidden layers, linear output of dimension Embed). On a
// batch of K pairs (v_i, e_i) with hidden variables h_i drawn from P_Λ(h|v_i),
//
//	I_NCE = (1/K) Σ_i [ f(h_i,e_i) − ln (1/K) Σ_k exp f(h_i,e_k) ] ≤ I(H:E),
//
// in expectation, for every critic. Its biases: it is a lower bound, its
// value cannot exceed ln K (so it saturates where I(H:E) approaches log₂K
// bits), and even at the optimal critic f* = ln P(h|e) + c(h) it stays
// below the MI by a gap that closes as K grows (small where I ≪ ln K, as for
// the few bits nh ≤ 4 units can carry at K = 256). A critic short of the
// optimum lowers it further (measured: 0.004–0.03 bit below the exact MI for
// 2D Ising blocks, 0.03–0.04 bit for 3-state Potts blocks, see the tests);
// noise enters through the finite held-out set
// (about ±σ/√N for N held-out pairs, σ the spread of the per-pair log ratio),
// and, for pairs cut from the same configurations at different positions,
// through the weak correlation of negatives with positives.
//
// To differentiate through the discrete hidden units, training replaces them
// by relaxed Bernoulli ("binary Concrete", Maddison et al. 2017; Jang et al.
// 2017) variables
//
//	h_j = tanh((2x_j + ℓ_j)/(2τ)),   ℓ_j = ln u − ln(1−u),  u ~ U(0,1),
//
// which tend to ±1 with P(h_j = +1|v) = σ(2x_j) as τ → 0; τ is annealed from
// TempStart to TempEnd. At finite τ the relaxed h is continuous and can
// carry more information about v than the hard h (training bounds above the
// hard-unit MI were seen at τ = 0.3 for soft 1D filters), so the default ends
// at 0.05; filters whose fields |x_j| ≫ τ (saturated, as for dimers) make the
// two nearly equal. The gradient is written out by hand (reverse mode
// through the bound, the two networks and the relaxation) on gonum's vector
// kernels, checked against finite differences in the tests.
//
// A SoftmaxFilter's hidden units enter the critic g as one-hot codes of
// their states, relaxed during training by the Gumbel-softmax ("Concrete",
// Jang et al. 2017; Maddison et al. 2017)
//
//	y_{j,a} = softmax_a((x_{j,a} + γ_{j,a})/τ),   γ = −ln(−ln u),  u ~ U(0,1),
//
// which tends to the one-hot code of a state drawn from softmax_a(x_{j,a})
// as τ → 0 (the Gumbel-max draw argmax_a(x_{j,a} + γ_{j,a}), which MI uses
// for its hard units).
//
// InfoNCE implements Estimator with two deviations, both documented here:
//
//   - MIGrad is a training step. It draws a fresh training batch and fresh
//     noise, returns the bound in bits on that batch and its gradient with
//     respect to the filter, and advances the critic by one Adam step on the
//     same batch (ascent) and the temperature schedule by one step. Use it
//     through Train, which then updates filter and critic jointly.
//   - MI evaluates the bound with the critic held fixed on the held-out
//     pairs, with hard hidden units h_j = ±1 drawn from P_Λ(h|v) by a fixed
//     stream (so MI is a deterministic function of filter and critic), in
//     consecutive batches of K. Estimate returns the bias-corrected
//     exponential moving average of the training bounds instead.
//
// The critic is built on the first call, for the filter's NH; later filters
// must have the same NH. The same source gives the same results: all work
// runs serially on the calling goroutine, and a training step allocates
// nothing (run several estimators on goroutines for parallelism, e.g. one
// per seed, as TrainBest does). An InfoNCE keeps references to the pairs
// passed to NewInfoNCE (do not modify them) and is safe for concurrent use
// (calls are serialized).
type InfoNCE struct {
	nv, ne  int
	v, e    []int8
	states  []int8    // nil: ±1 spins
	index   [256]int8 // value → position in states (q-state data)
	ein     int       // input width of the environment critic: ne (±1) or ne·q (one-hot)
	nTrain  int
	held    []int32 // held-out pair indices in evaluation order
	batch   int
	embed   int
	hidden  []int
	lr      float64
	tau0    float64
	tau1    float64
	anneal  int
	emaBeta float64

	mu       sync.Mutex
	src      rand.Source // the generator behind rng, saved by MarshalBinary
	rng      *rand.Rand
	evalSeed [2]uint64
	perm     []int32 // training order of the current epoch
	pos      int

	nh           int // input width of the hidden critic g (0 until it is built)
	crit, cgrad  []float64
	m1, m2       []float64
	g, u         *nceMLP
	step         int
	ema, emaNorm float64
	b1t, b2t     float64

	// scratch
	idx             []int32
	vi              []int32 // K × nv state indices of the batch's blocks (softmax filters)
	vb, x, unif, dx []float64
	s, ds, dgE, duE []float64
	fgrad           []float64
}

// NewInfoNCE returns the InfoNCE estimator for the pairs p (in sample order
// as Regions.Pairs returns them, so that the held-out tail consists of whole
// samples). ±1 environments enter the critic as their values, those of any
// other alphabet as one-hot codes of their states (|E|·q inputs); a ±1
// Filter trains on ±1 pairs, a SoftmaxFilter on pairs of its visible
// alphabet. The random source src seeds the critic's
// initialization, the batches and the noise of the hidden units; the
// estimator keeps it (a *rand.PCG or *rand.ChaCha8 lets Train checkpoint
// it).
func NewInfoNCE(p *Pairs, src rand.Source, opts *InfoNCEOptions) (*InfoNCE, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if src == nil {
		return nil, errors.New("rsmi: NewInfoNCE needs a random source")
	}
	o, err := opts.resolve(p)
	if err != nil {
		return nil, err
	}
	n := p.N
	nHeld := int(math.Round(o.HoldOut * float64(n)))
	if nHeld < o.Batch {
		return nil, fmt.Errorf("rsmi: %d held-out pairs (HoldOut %v of %d) are fewer than one batch of %d", nHeld, o.HoldOut, n, o.Batch)
	}
	nTrain := n - nHeld
	if nTrain < o.Batch {
		return nil, fmt.Errorf("rsmi: %d training pairs are fewer than one batch of %d", nTrain, o.Batch)
	}
	rng := rand.New(src)
	est := &InfoNCE{
		nv: p.NV, ne: p.NE, v: p.V, e: p.E, nTrain: nTrain,
		batch: o.Batch, embed: o.Embed, hidden: o.CriticHidden, lr: o.LearningRate,
		tau0: o.TempStart, tau1: o.TempEnd, anneal: o.AnnealSteps, emaBeta: o.EMA,
		src: src, rng: rng, ein: p.NE,
	}
	if !isSpins(p.States) {
		est.states = slices.Clone(p.States)
		est.ein = p.NE * len(p.States)
		for i, x := range p.States {
			est.index[uint8(x)] = int8(i)
		}
	}
	est.evalSeed = [2]uint64{rng.Uint64(), rng.Uint64()}
	est.held = make([]int32, nHeld)
	for i := range est.held {
		est.held[i] = int32(nTrain + i)
	}
	rng.Shuffle(nHeld, func(i, j int) { est.held[i], est.held[j] = est.held[j], est.held[i] })
	est.perm = make([]int32, nTrain)
	for i := range est.perm {
		est.perm[i] = int32(i)
	}
	est.pos = nTrain // reshuffle on first use
	return est, nil
}

// infoNCEDefaults are the defaults of InfoNCEOptions (CriticHidden's is
// [32, 32]).
var infoNCEDefaults = InfoNCEOptions{Batch: 256, Embed: 8, LearningRate: 1e-3, TempStart: 1, TempEnd: 0.05,
	AnnealSteps: 3000, EMA: 0.99, HoldOut: 0.1}

// resolve returns the options with the defaults filled in, after checking
// them and the sizes of the critic (for up to MaxHidden hidden units) and
// of its batch buffers against the memory budget.
func (opts *InfoNCEOptions) resolve(p *Pairs) (InfoNCEOptions, error) {
	var o InfoNCEOptions
	if opts != nil {
		o = *opts
	}
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) || x < 0 }
	switch {
	case o.Batch < 0 || o.Batch == 1:
		return o, fmt.Errorf("rsmi: InfoNCE batch size %d: need at least 2 pairs per batch", o.Batch)
	case o.Embed < 0:
		return o, fmt.Errorf("rsmi: critic embedding dimension %d is not positive", o.Embed)
	case bad(o.LearningRate):
		return o, fmt.Errorf("rsmi: critic learning rate %v", o.LearningRate)
	case bad(o.TempStart) || bad(o.TempEnd):
		return o, fmt.Errorf("rsmi: relaxed-Bernoulli temperatures %v → %v must be positive and finite", o.TempStart, o.TempEnd)
	case o.AnnealSteps < 0:
		return o, fmt.Errorf("rsmi: AnnealSteps = %d is negative", o.AnnealSteps)
	case math.IsNaN(o.EMA) || o.EMA < 0 || o.EMA >= 1:
		return o, fmt.Errorf("rsmi: EMA decay %v outside [0,1)", o.EMA)
	case math.IsNaN(o.HoldOut) || o.HoldOut < 0 || o.HoldOut >= 1:
		return o, fmt.Errorf("rsmi: HoldOut fraction %v outside [0,1)", o.HoldOut)
	}
	if o.CriticHidden == nil {
		o.CriticHidden = []int{32, 32}
	} else {
		o.CriticHidden = append([]int(nil), o.CriticHidden...)
	}
	for i, w := range o.CriticHidden {
		if w <= 0 {
			return o, fmt.Errorf("rsmi: critic hidden layer %d has width %d, must be positive", i, w)
		}
	}
	d := infoNCEDefaults
	setInt(&d.Batch, o.Batch)
	setInt(&d.Embed, o.Embed)
	setInt(&d.AnnealSteps, o.AnnealSteps)
	setFloat(&d.LearningRate, o.LearningRate)
	setFloat(&d.TempStart, o.TempStart)
	setFloat(&d.TempEnd, o.TempEnd)
	setFloat(&d.EMA, o.EMA)
	setFloat(&d.HoldOut, o.HoldOut)
	d.CriticHidden = o.CriticHidden
	o = d
	if o.Batch > p.N {
		return o, fmt.Errorf("rsmi: InfoNCE batch size %d exceeds the %d pairs", o.Batch, p.N)
	}
	return o, o.checkSizes(p)
}

// checkSizes refuses critics and batch buffers that would exceed the memory
// budget (or whose sizes overflow).
func (o *InfoNCEOptions) checkSizes(p *Pairs) error {
	ein := p.NE
	if !isSpins(p.States) {
		var err error
		if ein, err = size.Mul(p.NE, len(p.States)); err != nil {
			return fmt.Errorf("rsmi: InfoNCE's one-hot environment input: %w", err)
		}
	}
	layers := [][]int{
		append(append([]int{maxCriticIn}, o.CriticHidden...), o.Embed),
		append(append([]int{ein}, o.CriticHidden...), o.Embed),
	}
	total := 0
	for _, sizes := range layers {
		n, err := nceMLPSize(sizes, o.Batch)
		if err != nil {
			return fmt.Errorf("rsmi: InfoNCE critic of layers %v (Embed %d, CriticHidden %v): %w", sizes, o.Embed, o.CriticHidden, err)
		}
		if total, err = size.Add(total, n); err != nil {
			return fmt.Errorf("rsmi: InfoNCE critic (Embed %d, CriticHidden %v): %w", o.Embed, o.CriticHidden, err)
		}
	}
	if _, err := size.Elements(fmt.Sprintf("rsmi: InfoNCE critic (Embed %d, CriticHidden %v)", o.Embed, o.CriticHidden), 8, total); err != nil {
		return err
	}
	if _, err := size.Elements(fmt.Sprintf("rsmi: InfoNCE score matrices of Batch %d × %d", o.Batch, o.Batch), 8, 2, o.Batch, o.Batch); err != nil {
		return err
	}
	return nil
}

// NV implements Estimator.
func (n *InfoNCE) NV() int { return n.nv }

// Batch returns the batch size K.
func (n *InfoNCE) Batch() int { return n.batch }

// Steps returns the number of training steps (MIGrad calls) made.
func (n *InfoNCE) Steps() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.step
}

// Temperature returns the relaxed-Bernoulli temperature of the next
// training step.
func (n *InfoNCE) Temperature() float64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.temperature()
}

func (n *InfoNCE) temperature() float64 {
	if n.step >= n.anneal {
		return n.tau1
	}
	return n.tau0 * math.Pow(n.tau1/n.tau0, float64(n.step)/float64(n.anneal))
}

// Estimate returns the exponential moving average of the training-batch
// bounds in bits (bias-corrected as in Adam), or NaN before the first step.
func (n *InfoNCE) Estimate() float64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.step == 0 {
		return math.NaN()
	}
	return n.ema / n.emaNorm
}

// maxCriticIn bounds the input width of the hidden critic g: NH for a
// ±1 Filter, NH·QH (one-hot) for a SoftmaxFilter.
const maxCriticIn = 256

// build lays out the critic for a hidden input of width hin.
func (n *InfoNCE) build(hin int) {
	gs := append(append([]int{hin}, n.hidden...), n.embed)
	us := append(append([]int{n.ein}, n.hidden...), n.embed)
	ng, nu := nceMLPParams(gs), nceMLPParams(us)
	n.crit = make([]float64, ng+nu)
	n.cgrad = make([]float64, ng+nu)
	n.m1 = make([]float64, ng+nu)
	n.m2 = make([]float64, ng+nu)
	n.g = newNCEMLP(gs, n.crit[:ng], n.cgrad[:ng], n.batch)
	n.u = newNCEMLP(us, n.crit[ng:], n.cgrad[ng:], n.batch)
	n.g.init(n.rng)
	n.u.init(n.rng)
	K := n.batch
	n.nh = hin
	n.idx = make([]int32, K)
	n.vb = make([]float64, K*n.nv)
	n.vi = make([]int32, K*n.nv)
	n.x = make([]float64, K*hin)
	n.unif = make([]float64, K*hin)
	n.dx = make([]float64, K*hin)
	n.s = make([]float64, K*K)
	n.ds = make([]float64, K*K)
	n.dgE = make([]float64, K*n.embed)
	n.duE = make([]float64, K*n.embed)
	n.b1t, n.b2t = 1, 1
}

// criticInput returns the input width of the hidden critic for f: NH for a
// *Filter, NH·QH for a *SoftmaxFilter.
func criticInput(f Learnable) (int, error) {
	switch ff := f.(type) {
	case *Filter:
		return ff.NH, nil
	case *SoftmaxFilter:
		if err := ff.Validate(); err != nil {
			return 0, err
		}
		if w := ff.NH * len(ff.States()); w <= maxCriticIn {
			return w, nil
		}
		return 0, fmt.Errorf("rsmi: InfoNCE: a softmax filter of %d hidden units of %d states is wider than %d one-hot inputs", ff.NH, len(ff.States()), maxCriticIn)
	}
	if isNil(f) {
		return 0, errors.New("rsmi: the filter is nil (build one with NewFilter or NewSoftmaxFilter)")
	}
	return 0, fmt.Errorf("rsmi: InfoNCE trains a *Filter or a *SoftmaxFilter, not %T", f)
}

func (n *InfoNCE) check(f Learnable, grad []float64) error {
	hin, err := criticInput(f)
	if err != nil {
		return err
	}
	if _, err := learnableCheck(f, n.nv, n.states, grad); err != nil {
		return err
	}
	if n.nh == 0 {
		n.build(hin)
	} else if hin != n.nh {
		return fmt.Errorf("rsmi: filter has %d hidden inputs (nh = %d), the InfoNCE critic was built for %d", hin, f.Outputs(), n.nh)
	}
	if np := f.NumParams(); cap(n.fgrad) < np {
		n.fgrad = make([]float64, np)
	}
	return nil
}

// uniform01 returns a uniform number in the open interval (0,1).
func uniform01(r *rand.Rand) float64 {
	return (float64(r.Uint64()>>11) + 0.5) * 0x1p-53
}

// MI implements Estimator: the InfoNCE bound in bits on the held-out pairs
// with the current critic and hard hidden units (see InfoNCE).
func (n *InfoNCE) MI(f Learnable) (float64, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.check(f, nil); err != nil {
		return 0, err
	}
	r := rand.New(rand.NewPCG(n.evalSeed[0], n.evalSeed[1]))
	K := n.batch
	nb := len(n.held) / K
	var sum float64
	for b := 0; b < nb; b++ {
		copy(n.idx, n.held[b*K:(b+1)*K])
		for i := range n.unif {
			n.unif[i] = uniform01(r)
		}
		sum += n.bound(f, 0, nil, false)
	}
	mi := sum / float64(nb) / math.Ln2
	if math.IsNaN(mi) || math.IsInf(mi, 0) {
		return mi, fmt.Errorf("rsmi: InfoNCE bound on the held-out pairs is %v", mi)
	}
	return mi, nil
}

// MIGrad implements Estimator as one training step (see InfoNCE): it
// returns the bound in bits on a fresh training batch and its gradient with
// respect to the filter's parameters, and moves the critic one Adam step up
// the bound.
func (n *InfoNCE) MIGrad(f Learnable, grad []float64) (float64, error) {
	if grad == nil {
		return 0, errors.New("rsmi: MIGrad needs a gradient slice")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.check(f, grad); err != nil {
		return 0, err
	}
	mi, err := n.trainStep(f, grad, true)
	return mi, err
}

// trainStep draws a batch and noise, computes the bound and its gradients,
// updates the critic (and the filter gradient if grad is not nil).
func (n *InfoNCE) trainStep(f Learnable, grad []float64, updateCritic bool) (float64, error) {
	K := n.batch
	for b := 0; b < K; b++ {
		if n.pos >= n.nTrain {
			n.rng.Shuffle(n.nTrain, func(i, j int) { n.perm[i], n.perm[j] = n.perm[j], n.perm[i] })
			n.pos = 0
		}
		n.idx[b] = n.perm[n.pos]
		n.pos++
	}
	for i := range n.unif {
		n.unif[i] = uniform01(n.rng)
	}
	tau := n.temperature()
	for i := range n.cgrad {
		n.cgrad[i] = 0
	}
	fg := n.fgrad[:f.NumParams()]
	nats := n.bound(f, tau, fg, true)
	mi := nats / math.Ln2
	n.step++
	if math.IsNaN(mi) || math.IsInf(mi, 0) {
		return mi, fmt.Errorf("rsmi: InfoNCE bound is %v at training step %d (diverging critic or filter)", mi, n.step)
	}
	for i, g := range fg {
		fg[i] = g / math.Ln2
	}
	copy(grad, fg)
	if updateCritic {
		const b1, b2, eps = 0.9, 0.999, 1e-8
		n.b1t *= b1
		n.b2t *= b2
		for i, g := range n.cgrad {
			if math.IsNaN(g) || math.IsInf(g, 0) {
				return mi, fmt.Errorf("rsmi: critic gradient component %d is %v at training step %d", i, g, n.step)
			}
			n.m1[i] = b1*n.m1[i] + (1-b1)*g
			n.m2[i] = b2*n.m2[i] + (1-b2)*g*g
			n.crit[i] += n.lr * (n.m1[i] / (1 - n.b1t)) / (math.Sqrt(n.m2[i]/(1-n.b2t)) + eps)
		}
	}
	n.ema = n.emaBeta*n.ema + (1-n.emaBeta)*mi
	n.emaNorm = n.emaBeta*n.emaNorm + (1 - n.emaBeta)
	return mi, nil
}

// bound returns the InfoNCE bound in nats of the batch n.idx with the
// uniforms n.unif. With tau > 0 the hidden units are relaxed at temperature
// tau, with tau = 0 they are hard (h = sign(2x + ℓ), or the one-hot argmax
// of x + γ for a softmax filter). If wantGrad, it writes the gradient with
// respect to the filter's parameters (nats) into fgrad and accumulates the
// critic's into n.cgrad (tau > 0 required).
func (n *InfoNCE) bound(f Learnable, tau float64, fgrad []float64, wantGrad bool) float64 {
	K, d := n.batch, n.embed
	n.loadEnvironments()
	h := n.g.act[0]
	sf, soft := f.(*SoftmaxFilter)
	if soft {
		n.softmaxHidden(sf, tau, h)
	} else {
		n.spinHidden(f.(*Filter), tau, h)
	}
	G := n.g.forward()
	U := n.u.forward()
	// S = G Uᵀ: S_ik = f(h_i, e_k)
	nceGemm(blas.NoTrans, blas.Trans, K, K, d, 1, G, d, U, d, 0, n.s, K)
	var total float64
	invK := 1 / float64(K)
	for i := 0; i < K; i++ {
		row := n.s[i*K : (i+1)*K]
		mx := math.Inf(-1)
		for _, s := range row {
			mx = max(mx, s)
		}
		var z float64
		for _, s := range row {
			z += math.Exp(s - mx)
		}
		lse := mx + math.Log(z)
		total += row[i] - lse
		if wantGrad {
			dr := n.ds[i*K : (i+1)*K]
			for k, s := range row {
				dr[k] = -math.Exp(s-lse) * invK
			}
			dr[i] += invK
		}
	}
	nats := total*invK + math.Log(float64(K))
	if !wantGrad {
		return nats
	}
	// ∂/∂G = dS U, ∂/∂U = dSᵀ G
	nceGemm(blas.NoTrans, blas.NoTrans, K, d, K, 1, n.ds, K, U, d, 0, n.dgE, d)
	nceGemm(blas.Trans, blas.NoTrans, K, d, K, 1, n.ds, K, G, d, 0, n.duE, d)
	n.u.backward(n.duE, false)
	dh := n.g.backward(n.dgE, true)
	if soft {
		n.softmaxBackward(sf, dh, h, tau, fgrad)
	} else {
		n.spinBackward(f.(*Filter), dh, h, tau, fgrad)
	}
	return nats
}

// loadEnvironments writes the environments of the batch n.idx into the
// environment critic's input: their ±1 values, or one-hot codes of their
// states for q-state data.
func (n *InfoNCE) loadEnvironments() {
	ne, ein := n.ne, n.u.act[0]
	for b, p := range n.idx {
		er := n.e[int(p)*ne : (int(p)+1)*ne]
		eb := ein[b*n.ein : (b+1)*n.ein]
		if n.states == nil {
			for i, s := range er {
				eb[i] = float64(s)
			}
			continue
		}
		clear(eb)
		q := len(n.states)
		for i, s := range er {
			eb[i*q+int(n.index[uint8(s)])] = 1
		}
	}
}

// spinHidden computes the ±1 filter's relaxed (tau > 0) or hard hidden
// units of the batch into h: x = V Wᵀ + a, h = tanh((2x + ℓ)/(2τ)).
func (n *InfoNCE) spinHidden(f *Filter, tau float64, h []float64) {
	K, nv, nh := n.batch, n.nv, n.nh
	for b, p := range n.idx {
		vr := n.v[int(p)*nv : (int(p)+1)*nv]
		vb := n.vb[b*nv : (b+1)*nv]
		for i, s := range vr {
			vb[i] = float64(s)
		}
	}
	nceGemm(blas.NoTrans, blas.Trans, K, nh, nv, 1, n.vb, nv, f.W, nv, 0, n.x, nh)
	for b := 0; b < K; b++ {
		for j := 0; j < nh; j++ {
			k := b*nh + j
			x := n.x[k]
			if f.Bias != nil {
				x += f.Bias[j]
			}
			u := n.unif[k]
			z := 2*x + math.Log(u) - math.Log1p(-u)
			if tau > 0 {
				h[k] = math.Tanh(z / (2 * tau))
			} else if z > 0 {
				h[k] = 1
			} else {
				h[k] = -1
			}
		}
	}
}

// spinBackward writes the ±1 filter's gradient from dh, the gradient with
// respect to the relaxed hidden units h: ∂h/∂x = (1 − h²)/τ.
func (n *InfoNCE) spinBackward(f *Filter, dh, h []float64, tau float64, fgrad []float64) {
	K, nv, nh := n.batch, n.nv, n.nh
	for k, g := range dh {
		n.dx[k] = g * (1 - h[k]*h[k]) / tau
	}
	nceGemm(blas.Trans, blas.NoTrans, nh, nv, K, 1, n.dx, nh, n.vb, nv, 0, fgrad[:nh*nv], nv)
	if f.Bias != nil {
		gb := fgrad[nh*nv : nh*nv+nh]
		for j := range gb {
			gb[j] = 0
		}
		for b := 0; b < K; b++ {
			for j := 0; j < nh; j++ {
				gb[j] += n.dx[b*nh+j]
			}
		}
	}
}

// TrainCritic trains the critic alone for the given number of steps with
// the filter held fixed (the temperature schedule advances as in MIGrad):
// use it to estimate I_Λ(H:E) of a given filter, then call MI. It returns
// an error, naming the step, if the bound diverges, or if ctx is cancelled.
func (n *InfoNCE) TrainCritic(ctx context.Context, f Learnable, steps int) error {
	if steps < 0 {
		return fmt.Errorf("rsmi: TrainCritic steps = %d is negative", steps)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.check(f, nil); err != nil {
		return err
	}
	grad := make([]float64, f.NumParams())
	for s := 0; s < steps; s++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := n.trainStep(f, grad, true); err != nil {
			return err
		}
	}
	return nil
}

var _ Estimator = (*InfoNCE)(nil)

// infoNCEStateVersion is the version of MarshalBinary's format.
const infoNCEStateVersion = 1

// MarshalBinary implements encoding.BinaryMarshaler: the training state
// (critic parameters and Adam moments, position in the epoch, step,
// temperature schedule position, moving average and the random generator),
// so that rsmi.Train can checkpoint and resume an InfoNCE run bit for bit.
// It needs the random source passed to NewInfoNCE to save its own state
// (*rand.PCG or *rand.ChaCha8).
func (n *InfoNCE) MarshalBinary() ([]byte, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m, ok := n.src.(encoding.BinaryMarshaler)
	if !ok {
		return nil, fmt.Errorf("rsmi: InfoNCE random source %T cannot save its state", n.src)
	}
	rs, err := m.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("rsmi: saving InfoNCE's random source: %w", err)
	}
	var e ckpt.Enc
	e.Int(infoNCEStateVersion)
	e.Int(n.nh)
	e.Int(n.step)
	e.Int(n.pos)
	e.F64(n.ema)
	e.F64(n.emaNorm)
	e.F64(n.b1t)
	e.F64(n.b2t)
	e.I32s(n.perm)
	e.F64s(n.crit)
	e.F64s(n.m1)
	e.F64s(n.m2)
	e.Bytes(rs)
	return e.B, nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler for the state
// written by MarshalBinary of an estimator built with the same pairs and
// options.
func (n *InfoNCE) UnmarshalBinary(b []byte) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	u, ok := n.src.(encoding.BinaryUnmarshaler)
	if !ok {
		return fmt.Errorf("rsmi: InfoNCE random source %T cannot restore its state", n.src)
	}
	d := &ckpt.Dec{B: b}
	version := d.Int()
	nh, step, pos := d.Int(), d.Int(), d.Int()
	ema, emaNorm, b1t, b2t := d.F64(), d.F64(), d.F64(), d.F64()
	perm := d.I32s()
	crit, m1, m2 := d.F64s(), d.F64s(), d.F64s()
	rs := d.Bytes()
	if err := d.Err(); err != nil {
		return fmt.Errorf("rsmi: InfoNCE state: %w", err)
	}
	if version != infoNCEStateVersion {
		return fmt.Errorf("rsmi: InfoNCE state version %d, want %d", version, infoNCEStateVersion)
	}
	if nh < 0 || nh > maxCriticIn || step < 0 || len(perm) != n.nTrain || pos < 0 || pos > n.nTrain {
		return errors.New("rsmi: InfoNCE state does not fit this estimator")
	}
	for _, p := range perm {
		if p < 0 || int(p) >= n.nTrain {
			return errors.New("rsmi: InfoNCE state holds a pair index out of range")
		}
	}
	if nh > 0 {
		if n.nh != nh {
			n.build(nh)
		}
		if len(crit) != len(n.crit) || len(m1) != len(n.m1) || len(m2) != len(n.m2) {
			return errors.New("rsmi: InfoNCE state has a critic of another size")
		}
		copy(n.crit, crit)
		copy(n.m1, m1)
		copy(n.m2, m2)
	}
	if err := u.UnmarshalBinary(rs); err != nil {
		return fmt.Errorf("rsmi: restoring InfoNCE's random source: %w", err)
	}
	n.step, n.pos = step, pos
	n.ema, n.emaNorm, n.b1t, n.b2t = ema, emaNorm, b1t, b2t
	copy(n.perm, perm)
	return nil
}
