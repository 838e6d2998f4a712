package rsmi

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
)

// Estimator estimates the RSMI objective I_Λ(H:E), the mutual information in
// bits between the coarse variables H of a learnable rule Λ (a *Filter, a
// *SoftmaxFilter or a user's Learnable) and the environment E, and its
// gradient in the rule's parameters.
type Estimator interface {
	// NV returns the number of visible dofs |V| the estimator expects
	// filters to have.
	NV() int
	// MI returns I_Λ(H:E) in bits.
	MI(f Learnable) (float64, error)
	// MIGrad returns I_Λ(H:E) in bits and writes its gradient with respect
	// to the filter's parameter vector (Learnable.Params: for a *Filter W
	// row-major, then Bias if the filter has biases) into grad, which must
	// have length f.NumParams().
	MIGrad(f Learnable, grad []float64) (float64, error)
}

// MaxHidden is the largest number of ±1 hidden units the enumerating
// estimators accept: they enumerate all 2^nh hidden configurations (q^nh ≤
// 2^MaxHidden for hidden units of q states).
const MaxHidden = 12

// MaxVisible is the largest |V| of ±1 dofs the enumerating estimators
// (Exact, ExactV, the exact oracles) accept: they enumerate all 2^|V| block
// configurations.
const MaxVisible = 20

// MaxBlockStates bounds q^|V|, the number of block configurations the
// enumerating estimators enumerate for dofs of q states (2^MaxVisible: 20
// ±1 spins, 12 dofs of 3 states, 10 of 4).
const MaxBlockStates = 1 << MaxVisible

// Exact is the estimator that is exact given conditional distributions
// P(v|e) over all q^|V| block configurations v for a set of environments e
// with weights P(e):
//
//	P(h|e) = Σ_v P_Λ(h|v) P(v|e),   P(h) = Σ_e P(e) P(h|e),
//	I_Λ(H:E) = Σ_e P(e) Σ_h P(h|e) log₂[P(h|e)/P(h)] = H(H) − ⟨H(H|e)⟩_e.
//
// The gradient is analytic: with G(h,e) = log₂P(h|e) − log₂P(h) and
// M(v,h) = Σ_e P(e) P(v|e) G(h,e),
//
//	∂I/∂θ = Σ_v Σ_h M(v,h) ∂P_Λ(h|v)/∂θ,
//
// the last factor given by the rule (Learnable.CondGrad); for the ±1 Filter
// ∂I/∂λ_jk = Σ_v v_k Σ_h M(v,h) P_Λ(h|v) (h_j − tanh x_j(v)).
//
// The dofs take the q values States (nil: ±1 spins). Block configurations
// are indexed as coarse configurations of a Rule are: s = Σ_i idx(v_i)·q^i,
// idx the position of a value in States (i in the order of Regions.V), so
// that for ±1 spins bit i of s is set where v_i = +1. RuleMI scores any
// Rule with the same table and any Learnable trains on it. The exact
// oracles (NewExactChain, NewExactOracle) and ExactV build an Exact;
// NewExact lets users bring their own P(v|e). Each evaluation costs two
// matrix products of size (number of environments) × q^|V| × (number of
// coarse configurations). An Exact is safe for concurrent use.
type Exact struct {
	nv, s, ne int
	states    []int8    // nil: ±1
	pve       []float64 // ne × s
	w         []float64 // ne

	mu      sync.Mutex
	scratch []float64
	vbuf    []int8
}

// NewExact returns the estimator for the conditional distributions pve of
// blocks of nv dofs with values states (sorted and distinct; nil means ±1
// spins): row e holds P(v|e) for the q^nv block configurations, so len(pve)
// = ne·q^nv, with environment weights (nil for equal weights). Rows are
// normalized; weights are normalized to sum to 1. Negative or non-finite
// entries, an all-zero row or weight sum, nv < 1 and q^nv >
// MaxBlockStates are errors.
func NewExact(nv int, states []int8, pve, weights []float64) (*Exact, error) {
	s, err := blockStates(nv, states)
	if err != nil {
		return nil, err
	}
	if len(pve) == 0 || len(pve)%s != 0 {
		return nil, fmt.Errorf("rsmi: %d probabilities do not form rows of %d block states", len(pve), s)
	}
	ne := len(pve) / s
	if weights != nil && len(weights) != ne {
		return nil, fmt.Errorf("rsmi: %d weights for %d environments", len(weights), ne)
	}
	t := &Exact{nv: nv, s: s, ne: ne, states: slices.Clone(states), pve: append([]float64(nil), pve...), w: make([]float64, ne)}
	if isSpins(states) {
		t.states = nil
	}
	var wsum float64
	for e := 0; e < ne; e++ {
		if err := normalizeRow(t.pve[e*s:(e+1)*s], e); err != nil {
			return nil, err
		}
		w := 1.0
		if weights != nil {
			w = weights[e]
			if !(w >= 0) || math.IsInf(w, 0) {
				return nil, fmt.Errorf("rsmi: weight %v of environment %d", w, e)
			}
		}
		t.w[e] = w
		wsum += w
	}
	if !(wsum > 0) || math.IsInf(wsum, 0) {
		return nil, fmt.Errorf("rsmi: environment weights sum to %v", wsum)
	}
	for e := range t.w {
		t.w[e] /= wsum
	}
	return t, nil
}

// blockStates returns q^nv, the number of configurations of a block of nv
// dofs with values states (nil: ±1), or an error naming the sizes if nv < 1,
// the alphabet is invalid or q^nv exceeds MaxBlockStates.
func blockStates(nv int, states []int8) (int, error) {
	if err := checkAlphabet(states); err != nil {
		return 0, err
	}
	q := 2
	if states != nil {
		q = len(states)
	}
	if nv < 1 {
		return 0, fmt.Errorf("rsmi: |V| = %d is smaller than 1", nv)
	}
	s, err := numOutcomes(q, nv, MaxBlockStates)
	if err != nil {
		if q == 2 {
			return 0, fmt.Errorf("rsmi: |V| = %d exceeds the limit of %d ±1 dofs of the enumerating estimators (2^|V| block states)", nv, MaxVisible)
		}
		return 0, fmt.Errorf("rsmi: %d^%d block states (|V| = %d dofs of %d states %v) exceed the limit of %d (MaxBlockStates) of the enumerating estimators", q, nv, nv, q, states, MaxBlockStates)
	}
	return s, nil
}

// normalizeRow checks the row P(·|e) of environment e and scales it to sum
// to 1.
func normalizeRow(row []float64, e int) error {
	var sum float64
	for v, p := range row {
		if !(p >= 0) || math.IsInf(p, 0) {
			return fmt.Errorf("rsmi: P(v|e) = %v at environment %d, block state %d", p, e, v)
		}
		sum += p
	}
	if !(sum > 0) || math.IsInf(sum, 0) {
		return fmt.Errorf("rsmi: P(v|e) of environment %d sums to %v", e, sum)
	}
	for v := range row {
		row[v] /= sum
	}
	return nil
}

// NV implements Estimator.
func (t *Exact) NV() int { return t.nv }

// NumEnvironments returns the number of (distinct) environments in the table.
func (t *Exact) NumEnvironments() int { return t.ne }

// States returns the values of the dofs (nil for ±1 spins). The caller
// must not modify the slice.
func (t *Exact) States() []int8 { return t.states }

// Cond returns P(v|e) for environment e, q^NV values (aliasing internal
// storage: do not modify), or nil if e is not in [0, NumEnvironments()).
func (t *Exact) Cond(e int) []float64 {
	if e < 0 || e >= t.ne {
		return nil
	}
	return t.pve[e*t.s : (e+1)*t.s]
}

// Weight returns the normalized weight P(e) of environment e (NaN if e is
// not in [0, NumEnvironments())).
func (t *Exact) Weight(e int) float64 {
	if e < 0 || e >= t.ne {
		return math.NaN()
	}
	return t.w[e]
}

// MI implements Estimator: any Learnable on blocks of the table's size
// and values.
func (t *Exact) MI(f Learnable) (float64, error) { return t.eval(f, nil) }

// MIGrad implements Estimator.
func (t *Exact) MIGrad(f Learnable, grad []float64) (float64, error) {
	if grad == nil {
		return 0, errors.New("rsmi: MIGrad needs a gradient slice")
	}
	return t.eval(f, grad)
}

// VisibleMI returns I(V:E) in bits under the table, the upper bound of
// I_Λ(H:E) for every filter (data processing inequality).
func (t *Exact) VisibleMI() float64 {
	pv := make([]float64, t.s)
	for e := 0; e < t.ne; e++ {
		floats64Axpy(t.w[e], t.pve[e*t.s:(e+1)*t.s], pv)
	}
	var mi float64
	for e := 0; e < t.ne; e++ {
		var d float64
		for v, p := range t.pve[e*t.s : (e+1)*t.s] {
			if p > 0 {
				d += p * math.Log(p/pv[v])
			}
		}
		mi += t.w[e] * d
	}
	return mi / math.Ln2
}

// RuleMI returns I(H:E) in bits for any coarse-graining rule: its
// conditional P(h|v) (Rule.Cond) is evaluated on every block state and
// combined with the table's P(v|e) (block states decoded as described at
// Exact). Majority{}, Decimation{} and
// MostProbable or Symmetrize of a learned filter give the standard rules.
func (t *Exact) RuleMI(r Rule) (float64, error) {
	if r == nil {
		return 0, errors.New("rsmi: RuleMI of a nil rule")
	}
	if err := r.Check(t.nv, t.states); err != nil {
		return 0, err
	}
	hs, err := numOutcomes(len(r.States()), r.Outputs(), maxRuleOutcomes)
	if err != nil {
		return 0, err
	}
	q := make([]float64, t.s*hs)
	v := make([]int8, t.nv)
	for s := 0; s < t.s; s++ {
		t.decode(s, v)
		row := q[s*hs : (s+1)*hs]
		r.Cond(v, row)
		if _, err := checkCond(row, s); err != nil {
			return 0, err
		}
	}
	phe := make([]float64, t.ne*hs)
	t.gemmPQ(q, hs, phe, 0, t.ne)
	mi, _ := t.miFrom(phe, hs)
	return mi, nil
}

// decode writes the block configuration with index s into v.
func (t *Exact) decode(s int, v []int8) {
	if t.states == nil {
		decodeOutcome(v, s, spinStates)
		return
	}
	decodeOutcome(v, s, t.states)
}

func floats64Axpy(a float64, x, y []float64) {
	for i, xv := range x {
		y[i] += a * xv
	}
}

// gemmPQ computes phe = pve · q (ne × hs). The matrices are tall and skinny
// (hs is small), where a plain loop beats a general GEMM.
func (t *Exact) gemmPQ(q []float64, hs int, phe []float64, lo, hi int) {
	S := t.s
	for e := lo; e < hi; e++ {
		out := phe[e*hs : (e+1)*hs]
		for h := range out {
			out[h] = 0
		}
		row := t.pve[e*S : (e+1)*S]
		if hs == 2 {
			var a, b float64
			for s, p := range row {
				a += p * q[2*s]
				b += p * q[2*s+1]
			}
			out[0], out[1] = a, b
			continue
		}
		for s, p := range row {
			if p == 0 {
				continue
			}
			qs := q[s*hs : (s+1)*hs]
			for h, x := range qs {
				out[h] += p * x
			}
		}
	}
}

// gemmTG computes m = pveᵀ · g (S × hs) over environments lo ≤ e < hi.
func (t *Exact) gemmTG(g []float64, hs int, m []float64, lo, hi int) {
	S := t.s
	for i := range m {
		m[i] = 0
	}
	for e := lo; e < hi; e++ {
		row := t.pve[e*S : (e+1)*S]
		ge := g[e*hs : (e+1)*hs]
		if hs == 2 {
			g0, g1 := ge[0], ge[1]
			for s, p := range row {
				m[2*s] += p * g0
				m[2*s+1] += p * g1
			}
			continue
		}
		for s, p := range row {
			if p == 0 {
				continue
			}
			ms := m[s*hs : (s+1)*hs]
			for h, x := range ge {
				ms[h] += p * x
			}
		}
	}
}

// envChunk is the number of environments per chunk of Exact's parallel
// evaluation.
const envChunk = 2048

// chunks runs fn on the nc chunks of environments, on up to GOMAXPROCS
// goroutines.
func (t *Exact) chunks(nc int, fn func(c, lo, hi int)) {
	run := func(c int) { fn(c, c*envChunk, min((c+1)*envChunk, t.ne)) }
	workers := min(nc, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for c := 0; c < nc; c++ {
			run(c)
		}
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := w; c < nc; c += workers {
				run(c)
			}
		}()
	}
	wg.Wait()
}

// miFrom returns the MI in bits from P(h|e) and P(h).
func (t *Exact) miFrom(phe []float64, hs int) (float64, []float64) {
	ph := make([]float64, hs)
	for e := 0; e < t.ne; e++ {
		floats64Axpy(t.w[e], phe[e*hs:(e+1)*hs], ph)
	}
	var mi float64
	for e := 0; e < t.ne; e++ {
		var d float64
		for h, p := range phe[e*hs : (e+1)*hs] {
			if p > 0 {
				d += p * math.Log(p/ph[h])
			}
		}
		mi += t.w[e] * d
	}
	return mi / math.Ln2, ph
}

// evalBufs are the slices of one evaluation, carved from Exact's scratch.
type evalBufs struct {
	hs, nc    int
	q         []float64 // S × hs: P_Λ(h|v)
	phe       []float64 // ne × hs: P(h|e)
	phc       []float64 // nc × hs: partial P(h) per chunk
	ph, logph []float64 // hs
	mic       []float64 // nc: partial MI per chunk
	g         []float64 // ne × hs: w_e G(h,e) (gradient only)
	mc        []float64 // nc × S × hs: partial pveᵀ·g per chunk (gradient only)
	v         []int8
}

func (t *Exact) eval(f Learnable, grad []float64) (float64, error) {
	hs, err := learnableCheck(f, t.nv, t.states, grad)
	if err != nil {
		return 0, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buffers(hs, grad != nil)
	t.hiddenCond(f, b)
	t.marginal(b)
	mi := t.miAndG(b)
	if math.IsNaN(mi) || math.IsInf(mi, 0) {
		return mi, fmt.Errorf("rsmi: mutual information is %v", mi)
	}
	if grad == nil {
		return mi, nil
	}
	t.gradient(f, b, grad)
	if i := nonFinite(grad); i >= 0 {
		return mi, fmt.Errorf("rsmi: gradient component %d is %v", i, grad[i])
	}
	return mi, nil
}

// buffers lays out the evaluation's slices for hs coarse configurations in
// one scratch buffer, reused across calls: no allocation in steady state
// beyond the worker goroutines.
func (t *Exact) buffers(hs int, withGrad bool) *evalBufs {
	nc := (t.ne + envChunk - 1) / envChunk
	sizes := []int{t.s * hs, t.ne * hs, nc * hs, hs, hs, nc}
	if withGrad {
		sizes = append(sizes, t.ne*hs, nc*t.s*hs)
	}
	need := 0
	for _, n := range sizes {
		need += n
	}
	if cap(t.scratch) < need {
		t.scratch = make([]float64, need)
	}
	if cap(t.vbuf) < t.nv {
		t.vbuf = make([]int8, t.nv)
	}
	buf := t.scratch[:need]
	clear(buf)
	parts := make([][]float64, 8)[:len(sizes)]
	for i, n := range sizes {
		parts[i], buf = buf[:n], buf[n:]
	}
	b := &evalBufs{hs: hs, nc: nc, q: parts[0], phe: parts[1], phc: parts[2],
		ph: parts[3], logph: parts[4], mic: parts[5], v: t.vbuf[:t.nv]}
	if withGrad {
		b.g, b.mc = parts[6], parts[7]
	}
	return b
}

// hiddenCond fills q[s,h] = P_Λ(h|v_s) for every block state s.
func (t *Exact) hiddenCond(f Learnable, b *evalBufs) {
	ff, isFilter := f.(*Filter)
	for s := 0; s < t.s; s++ {
		t.decode(s, b.v)
		row := b.q[s*b.hs : (s+1)*b.hs]
		if !isFilter {
			f.Cond(b.v, row)
			continue
		}
		row[0] = 1
		for j := 0; j < ff.NH; j++ {
			x := ff.Field(b.v, j)
			pp, pm := sigmoid(2*x), sigmoid(-2*x)
			n := 1 << j
			for h := 0; h < n; h++ {
				row[h|n] = row[h] * pp
				row[h] *= pm
			}
		}
	}
}

// marginal computes P(h|e) = Σ_v P(v|e) P_Λ(h|v) and P(h). Environments
// are processed in fixed chunks (in parallel when there are several);
// partial sums are reduced in chunk order, so the result does not depend on
// the number of goroutines.
func (t *Exact) marginal(b *evalBufs) {
	hs := b.hs
	t.chunks(b.nc, func(c, lo, hi int) {
		t.gemmPQ(b.q, hs, b.phe, lo, hi)
		pc := b.phc[c*hs : (c+1)*hs]
		for e := lo; e < hi; e++ {
			floats64Axpy(t.w[e], b.phe[e*hs:(e+1)*hs], pc)
		}
	})
	for c := 0; c < b.nc; c++ {
		floats64Axpy(1, b.phc[c*hs:(c+1)*hs], b.ph)
	}
	for h, p := range b.ph {
		b.logph[h] = math.Log(p)
	}
}

// miAndG returns the MI in bits and, for a gradient, fills g[e,h] =
// w_e G(h,e) and the chunks' partial products pveᵀ·g.
func (t *Exact) miAndG(b *evalBufs) float64 {
	hs := b.hs
	t.chunks(b.nc, func(c, lo, hi int) {
		var mi float64
		for e := lo; e < hi; e++ {
			var d float64
			var ge []float64
			if b.g != nil {
				ge = b.g[e*hs : (e+1)*hs]
			}
			for h, p := range b.phe[e*hs : (e+1)*hs] {
				var l float64
				if p > 0 {
					l = math.Log(p) - b.logph[h]
					d += p * l
				}
				if ge != nil {
					ge[h] = t.w[e] / math.Ln2 * l
				}
			}
			mi += t.w[e] * d
		}
		b.mic[c] = mi
		if b.g != nil {
			t.gemmTG(b.g, hs, b.mc[c*t.s*hs:(c+1)*t.s*hs], lo, hi)
		}
	})
	var mi float64
	for _, x := range b.mic {
		mi += x
	}
	return mi / math.Ln2
}

// gradient reduces the chunks' pveᵀ·g into M and writes
// ∂I/∂θ = Σ_v Σ_h M(v,h) ∂P_Λ(h|v)/∂θ (Learnable.CondGrad) into grad.
func (t *Exact) gradient(f Learnable, b *evalBufs, grad []float64) {
	hs := b.hs
	m := b.mc[:t.s*hs]
	for c := 1; c < b.nc; c++ {
		floats64Axpy(1, b.mc[c*t.s*hs:(c+1)*t.s*hs], m)
	}
	clear(grad)
	for s := 0; s < t.s; s++ {
		t.decode(s, b.v)
		f.CondGrad(b.v, b.q[s*hs:(s+1)*hs], m[s*hs:(s+1)*hs], grad)
	}
}
