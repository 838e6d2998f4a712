package rsmi

import (
	"fmt"
	"math"
	"reflect"
)

// Learnable is a Rule whose P(h|v) depends on a real parameter vector θ:
// the learned filters (*Filter for ±1 variables, *SoftmaxFilter for any
// alphabets) and users' own parametric rules. Estimators give I_Λ(H:E) and
// its gradient in θ, and Train maximizes it.
//
// The enumerating estimators (Exact, ExactV, the exact oracles) train any
// Learnable: they need only Cond and CondGrad. InfoNCE trains *Filter and
// *SoftmaxFilter, RBMProxy *Filter only.
type Learnable interface {
	Rule
	// Visible returns the number nv of dofs of the blocks the rule acts
	// on and their values (sorted; nil means ±1).
	Visible() (nv int, states []int8)
	// NumParams returns the length of θ.
	NumParams() int
	// Params copies θ into dst, which has length NumParams().
	Params(dst []float64)
	// SetParams sets θ from p, which has length NumParams().
	SetParams(p []float64)
	// WeightRows describes the constrained part of θ: its first rows·cols
	// entries are rows of weights, one per coarse variable, whose Euclidean
	// norm TrainOptions.Norm fixes and whose squares TrainOptions.L2
	// penalizes; the remaining entries (biases) are free.
	WeightRows() (rows, cols int)
	// CondGrad adds Σ_h g[h]·∂P(h|v)/∂θ to grad (length NumParams()),
	// where p holds P(·|v) as Cond writes it and g has the same length.
	CondGrad(v []int8, p, g, grad []float64)
}

var (
	_ Learnable = (*Filter)(nil)
	_ Learnable = (*SoftmaxFilter)(nil)
)

// Visible implements Learnable: NV dofs with values ±1.
func (f *Filter) Visible() (int, []int8) { return f.NV, nil }

// Params implements Learnable: W, then Bias.
func (f *Filter) Params(dst []float64) { joinParams(dst, f.W, f.Bias) }

// SetParams implements Learnable.
func (f *Filter) SetParams(p []float64) { splitParams(p, f.W, f.Bias) }

// joinParams copies the weights w and then the biases b into dst.
func joinParams(dst, w, b []float64) {
	n := copy(dst, w)
	copy(dst[n:], b)
}

// splitParams copies p into the weights w and then the biases b.
func splitParams(p, w, b []float64) {
	n := copy(w, p)
	copy(b, p[n:])
}

// WeightRows implements Learnable: one row of NV weights per hidden unit.
func (f *Filter) WeightRows() (int, int) { return f.NH, f.NV }

// CondGrad implements Learnable. With ∂P(h|v)/∂λ_jk = P(h|v)(h_j −
// tanh x_j) v_k, it adds A_j v_k to the weights' entries and A_j to the
// biases', A_j = Σ_h p_h g_h (h_j − tanh x_j).
func (f *Filter) CondGrad(v []int8, p, g, grad []float64) {
	var plus [MaxHidden]float64
	nh, nv := f.NH, f.NV
	var tot float64
	for h, x := range p {
		x *= g[h]
		tot += x
		for j := 0; j < nh; j++ {
			if h>>j&1 == 1 {
				plus[j] += x
			}
		}
	}
	for j := 0; j < nh; j++ {
		a := 2*plus[j] - tot - math.Tanh(f.Field(v, j))*tot
		gw := grad[j*nv : (j+1)*nv]
		for k, sk := range v {
			gw[k] += a * float64(sk)
		}
		if f.Bias != nil {
			grad[nh*nv+j] += a
		}
	}
}

// learnableCheck validates a learnable rule for an estimator with blocks
// of nv dofs with values states and a gradient slice grad (nil for none),
// and returns the number of joint coarse configurations.
func learnableCheck(f Learnable, nv int, states []int8, grad []float64) (int, error) {
	if isNil(f) {
		return 0, fmt.Errorf("rsmi: the filter is nil (build one with NewFilter or NewSoftmaxFilter)")
	}
	if fnv, _ := f.Visible(); fnv != nv {
		return 0, fmt.Errorf("rsmi: filter has %d visible dofs, estimator has |V| = %d", fnv, nv)
	}
	if err := f.Check(nv, states); err != nil {
		return 0, err
	}
	hs, err := numOutcomes(len(f.States()), f.Outputs(), maxRuleOutcomes)
	if err != nil {
		return 0, err
	}
	if grad != nil && len(grad) != f.NumParams() {
		return 0, fmt.Errorf("rsmi: gradient of length %d, filter has %d parameters", len(grad), f.NumParams())
	}
	return hs, nil
}

// rowNorms returns the Euclidean norms of the weight rows of θ.
func rowNorms(theta []float64, rows, cols int) []float64 {
	out := make([]float64, rows)
	for j := range out {
		var s float64
		for _, w := range theta[j*cols : (j+1)*cols] {
			s += w * w
		}
		out[j] = math.Sqrt(s)
	}
	return out
}

// isNil reports whether f is nil or a nil pointer (a typed nil *Filter).
func isNil(f Learnable) bool {
	if f == nil {
		return true
	}
	v := reflect.ValueOf(f)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return v.IsNil()
	}
	return false
}
