package rsmi

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/rsmi-go/rsmi/internal/size"
)

// SoftmaxFilter is the coarse-graining filter Λ for variables of any
// alphabet: NH hidden units h_j, each taking one of the QH values HStates,
// coupled to the NV visible dofs v_i of a block, each taking one of the QV
// values VStates, by
//
//	P_Λ(h|v) = Π_j exp(x_{j,h_j}) / Σ_a exp(x_{j,a}),   x_{j,a} = Σ_i λ_{j,a,i,v_i} + b_{j,a},
//
// where hidden and visible values stand for their positions in HStates and
// VStates. For the 3-state Potts model (VStates = HStates = {0, 1, 2}) a
// hidden unit is a coarse Potts variable; for spin 1 ({−1, 0, 1}) a coarse
// spin 1, or a coarse Ising spin with HStates = {−1, +1}.
//
// The ±1 Filter is the case QV = QH = 2: the weights λ_{j,a,i,c} = s_a s_c
// λ_ij and biases b_{j,a} = s_a a_j (s_a, s_c = ±1 the values) give
// Filter's P_Λ(h|v), and its gradient is ∂I/∂λ_ij = Σ_{a,c} s_a s_c
// ∂I/∂λ_{j,a,i,c} (FromFilter, and a test checks both). The parametrization
// is redundant: adding to λ_{j,·,i,c} a constant independent of a changes no
// probability, and the gradient has no component along such directions.
//
// W holds λ_{j,a,i,c} at index ((j·QH + a)·NV + i)·QV + c, so that hidden
// unit j's weights are row j, of length QH·NV·QV; Bias holds b_{j,a} at
// j·QH + a and is nil for a filter without biases (the default). The
// parameter vector seen by estimators and Train is W followed by Bias. Nil
// VStates or HStates mean ±1. A SoftmaxFilter implements Learnable (hence
// Rule); its Apply draws h from P_Λ(h|v), MostProbable takes the most
// probable h, and it encodes itself for checkpoints (MarshalRule).
type SoftmaxFilter struct {
	NH, NV           int
	VStates, HStates []int8
	W, Bias          []float64
}

// NewSoftmaxFilter returns a filter of nh hidden units with values hstates
// on nv visible dofs with values vstates (each sorted and distinct; nil
// means ±1), its weights drawn uniformly from [−1/√nv, 1/√nv) with src, and
// no biases.
func NewSoftmaxFilter(nh, nv int, vstates, hstates []int8, src rand.Source) (*SoftmaxFilter, error) {
	if src == nil {
		return nil, errors.New("rsmi: NewSoftmaxFilter needs a random source")
	}
	f := &SoftmaxFilter{NH: nh, NV: nv, VStates: slices.Clone(vstates), HStates: slices.Clone(hstates)}
	n, err := f.shape()
	if err != nil {
		return nil, err
	}
	if _, err := size.Elements(fmt.Sprintf("rsmi: a softmax filter of nh = %d, nv = %d", nh, nv), 8, n); err != nil {
		return nil, err
	}
	rng := rand.New(src)
	f.W = make([]float64, n)
	s := 1 / math.Sqrt(float64(nv))
	for i := range f.W {
		f.W[i] = s * (2*rng.Float64() - 1)
	}
	return f, nil
}

// FromFilter returns the SoftmaxFilter with ±1 alphabets that has the
// conditional P_Λ(h|v) of the ±1 filter f: λ_{j,a,i,c} = s_a s_c λ_ij and
// b_{j,a} = s_a a_j.
func FromFilter(f *Filter) (*SoftmaxFilter, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	g := &SoftmaxFilter{NH: f.NH, NV: f.NV, W: make([]float64, 4*f.NH*f.NV)}
	for j := 0; j < f.NH; j++ {
		for a, sa := range spinStates {
			for i := 0; i < f.NV; i++ {
				for c, sc := range spinStates {
					g.W[((j*2+a)*f.NV+i)*2+c] = float64(sa) * float64(sc) * f.W[j*f.NV+i]
				}
			}
			if f.Bias != nil {
				g.Bias = append(g.Bias, float64(sa)*f.Bias[j])
			}
		}
	}
	return g, nil
}

// alphabets returns the visible and hidden alphabets, ±1 for nil.
func (f *SoftmaxFilter) alphabets() (vs, hs []int8) {
	vs, hs = f.VStates, f.HStates
	if vs == nil {
		vs = spinStates
	}
	if hs == nil {
		hs = spinStates
	}
	return vs, hs
}

// shape validates the sizes and alphabets and returns the number of weights.
func (f *SoftmaxFilter) shape() (int, error) {
	if f.NH < 1 {
		return 0, fmt.Errorf("rsmi: filter needs at least one hidden unit, got nh = %d", f.NH)
	}
	if f.NV < 1 {
		return 0, fmt.Errorf("rsmi: filter needs at least one visible dof, got nv = %d", f.NV)
	}
	if err := checkAlphabet(f.VStates); err != nil {
		return 0, fmt.Errorf("%w (visible alphabet of the softmax filter)", err)
	}
	if err := checkAlphabet(f.HStates); err != nil {
		return 0, fmt.Errorf("%w (hidden alphabet of the softmax filter)", err)
	}
	vs, hs := f.alphabets()
	if _, err := numOutcomes(len(hs), f.NH, maxRuleOutcomes); err != nil {
		return 0, err
	}
	n, err := size.Mul(f.NH, len(hs), f.NV, len(vs))
	if err != nil {
		return 0, fmt.Errorf("rsmi: a softmax filter of nh = %d, nv = %d: %w", f.NH, f.NV, err)
	}
	return n, nil
}

// Validate checks that the shape is consistent (at most 2^MaxHidden joint
// hidden states) and all parameters finite.
func (f *SoftmaxFilter) Validate() error {
	if f == nil {
		return errors.New("rsmi: the softmax filter is nil (build one with NewSoftmaxFilter)")
	}
	n, err := f.shape()
	if err != nil {
		return err
	}
	_, hs := f.alphabets()
	switch {
	case len(f.W) != n:
		return fmt.Errorf("rsmi: softmax filter has %d weights, want nh·qh·nv·qv = %d", len(f.W), n)
	case f.Bias != nil && len(f.Bias) != f.NH*len(hs):
		return fmt.Errorf("rsmi: softmax filter has %d biases, want nh·qh = %d", len(f.Bias), f.NH*len(hs))
	}
	if i := nonFinite(f.W); i >= 0 {
		return fmt.Errorf("rsmi: filter weight %d is %v", i, f.W[i])
	}
	if j := nonFinite(f.Bias); j >= 0 {
		return fmt.Errorf("rsmi: filter bias %d is %v", j, f.Bias[j])
	}
	return nil
}

// Clone returns a deep copy of f.
func (f *SoftmaxFilter) Clone() *SoftmaxFilter {
	return &SoftmaxFilter{NH: f.NH, NV: f.NV, VStates: slices.Clone(f.VStates), HStates: slices.Clone(f.HStates),
		W: slices.Clone(f.W), Bias: slices.Clone(f.Bias)}
}

// NumParams implements Learnable: len(W) + len(Bias).
func (f *SoftmaxFilter) NumParams() int { return len(f.W) + len(f.Bias) }

// Params implements Learnable: W, then Bias.
func (f *SoftmaxFilter) Params(dst []float64) { joinParams(dst, f.W, f.Bias) }

// SetParams implements Learnable.
func (f *SoftmaxFilter) SetParams(p []float64) { splitParams(p, f.W, f.Bias) }

// WeightRows implements Learnable: one row of QH·NV·QV weights per hidden
// unit.
func (f *SoftmaxFilter) WeightRows() (int, int) { return f.NH, len(f.W) / f.NH }

// Norms returns the Euclidean norm of each hidden unit's weights.
func (f *SoftmaxFilter) Norms() []float64 {
	rows, cols := f.WeightRows()
	return rowNorms(f.W, rows, cols)
}

// Visible implements Learnable.
func (f *SoftmaxFilter) Visible() (int, []int8) { return f.NV, f.VStates }

// Outputs implements Rule: the NH hidden units.
func (f *SoftmaxFilter) Outputs() int { return f.NH }

// States implements Rule: HStates (±1 if nil).
func (f *SoftmaxFilter) States() []int8 { _, hs := f.alphabets(); return hs }

// Check implements Rule: the filter must be valid, have NV = nv and the
// visible alphabet states.
func (f *SoftmaxFilter) Check(nv int, states []int8) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.NV != nv {
		return fmt.Errorf("rsmi: filter has NV = %d visible dofs, blocks have %d", f.NV, nv)
	}
	vs, _ := f.alphabets()
	if states == nil {
		states = spinStates
	}
	if !slices.Equal(vs, states) {
		return fmt.Errorf("rsmi: softmax filter with visible values %v on a block with values %v", vs, states)
	}
	return nil
}

// Logits writes x_{j,a} for hidden unit j and every hidden state a into dst
// (length QH). It panics if v has the wrong length or a value outside
// VStates.
func (f *SoftmaxFilter) Logits(v []int8, j int, dst []float64) {
	vs, hs := f.alphabets()
	qv, qh, nv := len(vs), len(hs), f.NV
	if len(v) != nv {
		panic(fmt.Sprintf("rsmi: visible configuration of length %d, filter wants %d", len(v), nv))
	}
	for a := range dst[:qh] {
		x := 0.0
		if f.Bias != nil {
			x = f.Bias[j*qh+a]
		}
		w := f.W[(j*qh+a)*nv*qv : (j*qh+a+1)*nv*qv]
		for i, s := range v {
			c, ok := slices.BinarySearch(vs, s)
			if !ok {
				panic(fmt.Sprintf("rsmi: visible value %d is not one of the filter's states %v", s, vs))
			}
			x += w[i*qv+c]
		}
		dst[a] = x
	}
}

// softmaxInPlace replaces x by softmax(x).
func softmaxInPlace(x []float64) {
	mx := slices.Max(x)
	var z float64
	for a, y := range x {
		x[a] = math.Exp(y - mx)
		z += x[a]
	}
	for a := range x {
		x[a] /= z
	}
}

// unitProbs returns P(h_j = a|v) at [j·QH + a], in buf if it is long enough.
func (f *SoftmaxFilter) unitProbs(v []int8, buf []float64) []float64 {
	_, hs := f.alphabets()
	qh := len(hs)
	n := f.NH * qh
	if cap(buf) < n {
		buf = make([]float64, n)
	}
	pr := buf[:n]
	for j := 0; j < f.NH; j++ {
		u := pr[j*qh : (j+1)*qh]
		f.Logits(v, j, u)
		softmaxInPlace(u)
	}
	return pr
}

// Cond implements Rule: P_Λ(h|v) for every joint h.
func (f *SoftmaxFilter) Cond(v []int8, p []float64) {
	var buf [64]float64
	pr := f.unitProbs(v, buf[:0])
	qh := len(pr) / f.NH
	for s := range p {
		x, r := 1.0, s
		for j := 0; j < f.NH; j++ {
			x *= pr[j*qh+r%qh]
			r /= qh
		}
		p[s] = x
	}
}

// Apply implements Rule: each h_j is drawn from its softmax, with one draw
// from src per hidden unit (none where the softmax is certain).
func (f *SoftmaxFilter) Apply(dst, v []int8, src rand.Source) {
	var buf [64]float64
	pr := f.unitProbs(v, buf[:0])
	_, hs := f.alphabets()
	qh := len(hs)
	for j := range dst {
		dst[j] = hs[drawIndex(pr[j*qh:(j+1)*qh], src)]
	}
}

// CondGrad implements Learnable. With π_{j,a} = P(h_j = a|v),
// ∂P(h|v)/∂x_{j,a} = P(h|v)(δ_{h_j,a} − π_{j,a}), so it adds
// A_{j,a} − π_{j,a}·T to the weights λ_{j,a,i,v_i} and the bias b_{j,a},
// with A_{j,a} = Σ_{h: h_j = a} p_h g_h and T = Σ_h p_h g_h.
func (f *SoftmaxFilter) CondGrad(v []int8, p, g, grad []float64) {
	var buf, abuf [64]float64
	pr := f.unitProbs(v, buf[:0])
	n := len(pr)
	acc := abuf[:0]
	if n <= len(abuf) {
		acc = abuf[:n]
	} else {
		acc = make([]float64, n)
	}
	qh := n / f.NH
	var tot float64
	for s, x := range p {
		x *= g[s]
		tot += x
		r := s
		for j := 0; j < f.NH; j++ {
			acc[j*qh+r%qh] += x
			r /= qh
		}
	}
	vs, _ := f.alphabets()
	qv, nv := len(vs), f.NV
	var ibuf [64]int
	idx := ibuf[:0]
	for _, s := range v {
		c, _ := slices.BinarySearch(vs, s)
		idx = append(idx, c)
	}
	for k := range acc {
		d := acc[k] - pr[k]*tot
		w := grad[k*nv*qv : (k+1)*nv*qv]
		for i, c := range idx {
			w[i*qv+c] += d
		}
		if f.Bias != nil {
			grad[len(f.W)+k] += d
		}
	}
}

// AlignStates relabels the hidden states of every unit of a filter whose
// hidden and visible alphabets are the same: the hidden state that is most
// probable for the uniform block v = (c, c, …, c) gets the label c. The
// objective does not care which label a coarse state carries, so a learned
// Potts filter comes out with its states permuted; aligned, a filter that
// treats the states alike is equivariant (P(π(h)|π(v)) = P(h|v)), which
// SymmetrizeStates needs to restore that symmetry exactly rather than mix
// permuted copies of the rule. It returns an error, and leaves f as it is,
// if the alphabets differ or two uniform blocks share their most probable
// hidden state.
func (f *SoftmaxFilter) AlignStates() error {
	if err := f.Validate(); err != nil {
		return err
	}
	vs, hs := f.alphabets()
	if !slices.Equal(vs, hs) {
		return fmt.Errorf("rsmi: AlignStates needs equal visible and hidden alphabets, not %v and %v", vs, hs)
	}
	q := len(hs)
	perm := make([][]int, f.NH) // perm[j][a]: the new label of hidden state a
	v := make([]int8, f.NV)
	x := make([]float64, q)
	for j := range perm {
		perm[j] = slices.Repeat([]int{-1}, q)
		for c, s := range vs {
			for i := range v {
				v[i] = s
			}
			f.Logits(v, j, x)
			a := 0
			for k := range x {
				if x[k] > x[a] {
					a = k
				}
			}
			if perm[j][a] >= 0 {
				return fmt.Errorf("rsmi: AlignStates: hidden unit %d gives state %d most probably to the uniform blocks of %d and %d", j, hs[a], vs[perm[j][a]], s)
			}
			perm[j][a] = c
		}
	}
	w := slices.Clone(f.W)
	row := f.NV * q
	for j, p := range perm {
		for a, b := range p {
			copy(f.W[(j*q+b)*row:(j*q+b+1)*row], w[(j*q+a)*row:(j*q+a+1)*row])
		}
	}
	if f.Bias != nil {
		bias := slices.Clone(f.Bias)
		for j, p := range perm {
			for a, b := range p {
				f.Bias[j*q+b] = bias[j*q+a]
			}
		}
	}
	return nil
}
