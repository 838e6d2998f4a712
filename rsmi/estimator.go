package rsmi

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Estimator estimates the RSMI objective I_Λ(H:E), the mutual information in
// bits between the hidden units H of a filter Λ and the environment E, and
// its gradient in the filter's parameters.
type Estimator interface {
	// NV returns the number of visible dofs |V| the estimator expects
	// filters to have.
	NV() int
	// MI returns I_Λ(H:E) in bits.
	MI(f *Filter) (float64, error)
	// MIGrad returns I_Λ(H:E) in bits and writes its gradient with respect
	// to the filter's parameter vector (W row-major, then Bias if the filter
	// has biases) into grad, which must have length f.NumParams().
	MIGrad(f *Filter, grad []float64) (float64, error)
}

// MaxHidden is the largest number of hidden units the enumerating estimators
// accept: they enumerate all 2^nh hidden configurations.
const MaxHidden = 12

// MaxVisible is the largest |V| the enumerating estimators (Table, ExactV,
// the exact oracles) accept: they enumerate all 2^|V| block configurations.
const MaxVisible = 20

// Table is an Estimator that is exact given a table of conditional
// distributions P(v|e) over all 2^|V| block configurations v for a set of
// environments e with weights P(e):
//
//	P(h|e) = Σ_v P_Λ(h|v) P(v|e),   P(h) = Σ_e P(e) P(h|e),
//	I_Λ(H:E) = Σ_e P(e) Σ_h P(h|e) log₂[P(h|e)/P(h)] = H(H) − ⟨H(H|e)⟩_e.
//
// The gradient is analytic: with G(h,e) = log₂P(h|e) − log₂P(h),
//
//	∂I/∂λ_jk = Σ_e P(e) Σ_v P(v|e) v_k Σ_h P_Λ(h|v) (h_j − tanh x_j(v)) G(h,e).
//
// Block configuration index s encodes v_i = +1 if bit i of s is set, else −1
// (i in the order of Regions.V). The exact oracles and ExactV build Tables;
// NewTable lets users bring their own P(v|e). Each evaluation costs two
// matrix products of size (number of environments) × 2^|V| × 2^nh.
// A Table is safe for concurrent use.
type Table struct {
	nv, s, ne int
	pve       []float64 // ne × s
	w         []float64 // ne

	mu      sync.Mutex
	scratch []float64
	vbuf    []int8
}

// NewTable returns the estimator for the conditional distributions pve
// (row e holds P(v|e) for the 2^nv block configurations, so len(pve) =
// ne·2^nv) with environment weights (nil for equal weights). Rows are
// normalized; weights are normalized to sum to 1. Negative or non-finite
// entries, an all-zero row or weight sum, and nv outside [1, MaxVisible] are
// errors.
func NewTable(nv int, pve, weights []float64) (*Table, error) {
	if nv < 1 || nv > MaxVisible {
		return nil, fmt.Errorf("rsmi: |V| = %d outside [1,%d] for an enumerating estimator", nv, MaxVisible)
	}
	s := 1 << nv
	if len(pve) == 0 || len(pve)%s != 0 {
		return nil, fmt.Errorf("rsmi: %d probabilities do not form rows of 2^%d", len(pve), nv)
	}
	ne := len(pve) / s
	if weights != nil && len(weights) != ne {
		return nil, fmt.Errorf("rsmi: %d weights for %d environments", len(weights), ne)
	}
	t := &Table{nv: nv, s: s, ne: ne, pve: append([]float64(nil), pve...), w: make([]float64, ne)}
	var wsum float64
	for e := 0; e < ne; e++ {
		row := t.pve[e*s : (e+1)*s]
		var sum float64
		for v, p := range row {
			if !(p >= 0) || math.IsInf(p, 0) {
				return nil, fmt.Errorf("rsmi: P(v|e) = %v at environment %d, block state %d", p, e, v)
			}
			sum += p
		}
		if !(sum > 0) || math.IsInf(sum, 0) {
			return nil, fmt.Errorf("rsmi: P(v|e) of environment %d sums to %v", e, sum)
		}
		for v := range row {
			row[v] /= sum
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
	if !(wsum > 0) {
		return nil, errors.New("rsmi: environment weights sum to zero")
	}
	for e := range t.w {
		t.w[e] /= wsum
	}
	return t, nil
}

// NV implements Estimator.
func (t *Table) NV() int { return t.nv }

// NumEnvironments returns the number of (distinct) environments in the table.
func (t *Table) NumEnvironments() int { return t.ne }

// Cond returns P(v|e) for environment e, 2^NV values (aliasing internal
// storage: do not modify).
func (t *Table) Cond(e int) []float64 { return t.pve[e*t.s : (e+1)*t.s] }

// Weight returns the normalized weight P(e) of environment e.
func (t *Table) Weight(e int) float64 { return t.w[e] }

// MI implements Estimator.
func (t *Table) MI(f *Filter) (float64, error) { return t.eval(f, nil) }

// MIGrad implements Estimator.
func (t *Table) MIGrad(f *Filter, grad []float64) (float64, error) {
	if grad == nil {
		return 0, errors.New("rsmi: MIGrad needs a gradient slice")
	}
	return t.eval(f, grad)
}

// VisibleMI returns I(V:E) in bits under the table, the upper bound of
// I_Λ(H:E) for every filter (data processing inequality).
func (t *Table) VisibleMI() float64 {
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
// combined with the table's P(v|e). Majority{}, Decimation{} and
// MostProbable or Symmetrize of a learned filter give the standard rules.
func (t *Table) RuleMI(r Rule) (float64, error) {
	if r == nil {
		return 0, errors.New("rsmi: RuleMI of a nil rule")
	}
	if err := r.Check(t.nv, nil); err != nil {
		return 0, err
	}
	hs, err := numOutcomes(len(r.States()), r.Outputs(), maxRuleOutcomes)
	if err != nil {
		return 0, err
	}
	q := make([]float64, t.s*hs)
	v := make([]int8, t.nv)
	for s := 0; s < t.s; s++ {
		decodeSpins(s, v)
		row := q[s*hs : (s+1)*hs]
		r.Cond(v, row)
		var sum float64
		for _, p := range row {
			if !(p >= 0) || math.IsInf(p, 0) {
				return 0, fmt.Errorf("rsmi: rule gives P(h|v) = %v for block state %d", p, s)
			}
			sum += p
		}
		if math.Abs(sum-1) > 1e-9 {
			return 0, fmt.Errorf("rsmi: rule's P(h|v) sums to %v for block state %d", sum, s)
		}
	}
	phe := make([]float64, t.ne*hs)
	t.gemmPQ(q, hs, phe, 0, t.ne)
	mi, _ := t.miFrom(phe, hs)
	return mi, nil
}

// decodeSpins writes the block configuration with index s into v.
func decodeSpins(s int, v []int8) {
	for i := range v {
		v[i] = int8(2*((s>>i)&1)) - 1
	}
}

func floats64Axpy(a float64, x, y []float64) {
	for i, xv := range x {
		y[i] += a * xv
	}
}

// gemmPQ computes phe = pve · q (ne × hs). The matrices are tall and skinny
// (hs is small), where a plain loop beats a general GEMM.
func (t *Table) gemmPQ(q []float64, hs int, phe []float64, lo, hi int) {
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
func (t *Table) gemmTG(g []float64, hs int, m []float64, lo, hi int) {
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

// envChunk is the number of environments per chunk of Table's parallel
// evaluation.
const envChunk = 2048

// chunks runs fn on the nc chunks of environments, on up to GOMAXPROCS
// goroutines.
func (t *Table) chunks(nc int, fn func(c, lo, hi int)) {
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
func (t *Table) miFrom(phe []float64, hs int) (float64, []float64) {
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

func (t *Table) checkFilter(f *Filter, grad []float64) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.NV != t.nv {
		return fmt.Errorf("rsmi: filter has %d visible dofs, estimator has |V| = %d", f.NV, t.nv)
	}
	if f.NH > MaxHidden {
		return fmt.Errorf("rsmi: filter has nh = %d hidden units, enumerating estimators allow at most %d", f.NH, MaxHidden)
	}
	if grad != nil && len(grad) != f.NumParams() {
		return fmt.Errorf("rsmi: gradient of length %d, filter has %d parameters", len(grad), f.NumParams())
	}
	return nil
}

func (t *Table) eval(f *Filter, grad []float64) (float64, error) {
	if err := t.checkFilter(f, grad); err != nil {
		return 0, err
	}
	nh, nv := f.NH, f.NV
	hs := 1 << nh
	nc := (t.ne + envChunk - 1) / envChunk
	need := t.s*hs + t.s*nh + t.ne*hs + nc*hs + 2*hs + nc
	if grad != nil {
		need += t.ne*hs + nc*t.s*hs
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if cap(t.scratch) < need {
		t.scratch = make([]float64, need)
	}
	if cap(t.vbuf) < nv {
		t.vbuf = make([]int8, nv)
	}
	// One scratch buffer, reused across calls: no allocation in steady state
	// beyond the worker goroutines.
	buf := t.scratch[:need]
	clear(buf)
	q, buf := buf[:t.s*hs], buf[t.s*hs:]
	th, buf := buf[:t.s*nh], buf[t.s*nh:]
	phe, buf := buf[:t.ne*hs], buf[t.ne*hs:]
	phc, buf := buf[:nc*hs], buf[nc*hs:]
	ph, buf := buf[:hs], buf[hs:]
	logph, buf := buf[:hs], buf[hs:]
	mic, buf := buf[:nc], buf[nc:]
	v := t.vbuf[:nv]
	for s := 0; s < t.s; s++ {
		decodeSpins(s, v)
		row := q[s*hs : (s+1)*hs]
		row[0] = 1
		for j := 0; j < nh; j++ {
			x := f.Field(v, j)
			th[s*nh+j] = math.Tanh(x)
			pp, pm := sigmoid(2*x), sigmoid(-2*x)
			n := 1 << j
			for h := 0; h < n; h++ {
				row[h|n] = row[h] * pp
				row[h] *= pm
			}
		}
	}
	// Environments are processed in fixed chunks (in parallel when there are
	// several); partial sums are reduced in chunk order, so the result does
	// not depend on the number of goroutines.
	t.chunks(nc, func(c, lo, hi int) {
		t.gemmPQ(q, hs, phe, lo, hi)
		pc := phc[c*hs : (c+1)*hs]
		for e := lo; e < hi; e++ {
			floats64Axpy(t.w[e], phe[e*hs:(e+1)*hs], pc)
		}
	})
	for c := 0; c < nc; c++ {
		floats64Axpy(1, phc[c*hs:(c+1)*hs], ph)
	}
	for h, p := range ph {
		logph[h] = math.Log(p)
	}
	var g, mc []float64
	if grad != nil {
		g, buf = buf[:t.ne*hs], buf[t.ne*hs:]
		mc = buf[:nc*t.s*hs]
	}
	t.chunks(nc, func(c, lo, hi int) {
		var mi float64
		for e := lo; e < hi; e++ {
			var d float64
			pe := phe[e*hs : (e+1)*hs]
			var ge []float64
			if g != nil {
				ge = g[e*hs : (e+1)*hs]
			}
			for h, p := range pe {
				var l float64
				if p > 0 {
					l = math.Log(p) - logph[h]
					d += p * l
				}
				if ge != nil {
					ge[h] = t.w[e] / math.Ln2 * l
				}
			}
			mi += t.w[e] * d
		}
		mic[c] = mi
		if g != nil {
			t.gemmTG(g, hs, mc[c*t.s*hs:(c+1)*t.s*hs], lo, hi)
		}
	})
	var mi float64
	for _, x := range mic {
		mi += x
	}
	mi /= math.Ln2
	if math.IsNaN(mi) || math.IsInf(mi, 0) {
		return mi, fmt.Errorf("rsmi: mutual information is %v", mi)
	}
	if grad == nil {
		return mi, nil
	}
	m := mc[:t.s*hs]
	for c := 1; c < nc; c++ {
		floats64Axpy(1, mc[c*t.s*hs:(c+1)*t.s*hs], m)
	}
	for i := range grad {
		grad[i] = 0
	}
	for s := 0; s < t.s; s++ {
		decodeSpins(s, v)
		qm := q[s*hs : (s+1)*hs]
		mm := m[s*hs : (s+1)*hs]
		var tot float64
		for h := range qm {
			qm[h] *= mm[h] // reuse q as Q∘M
			tot += qm[h]
		}
		for j := 0; j < nh; j++ {
			// A_j(v) = Σ_h Q M h_j − tanh x_j Σ_h Q M
			var plus float64
			bit := 1 << j
			for h, x := range qm {
				if h&bit != 0 {
					plus += x
				}
			}
			a := 2*plus - tot - th[s*nh+j]*tot
			gw := grad[j*nv : (j+1)*nv]
			for k, sk := range v {
				gw[k] += a * float64(sk)
			}
			if f.Bias != nil {
				grad[nh*nv+j] += a
			}
		}
	}
	for i, x := range grad {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return mi, fmt.Errorf("rsmi: gradient component %d is %v", i, x)
		}
	}
	return mi, nil
}
