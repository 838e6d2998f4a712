package rsmi

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/internal/size"
)

// Filter is the coarse-graining filter Λ: NH hidden ±1 units h_j, each coupled
// to the NV visible dofs v_i of a block by weights λ_ij,
//
//	P_Λ(h|v) = Π_j exp(h_j x_j) / (2 cosh x_j),   x_j = Σ_i λ_ij v_i + a_j.
//
// W holds λ row-major (unit j's weights are W[j*NV:(j+1)*NV]); Bias holds
// the a_j and is nil for a filter without biases (the default: in zero field
// the physics is spin-flip symmetric and biases only hurt). The parameter
// vector seen by estimators and Train is W followed by Bias.
type Filter struct {
	NH, NV int
	W      []float64
	Bias   []float64
}

// NewFilter returns a filter with nh hidden units on nv visible dofs, its
// weights drawn uniformly from [−1/√nv, 1/√nv) with src, and no biases.
func NewFilter(nh, nv int, src rand.Source) (*Filter, error) {
	if nh < 1 {
		return nil, fmt.Errorf("rsmi: filter needs at least one hidden unit, got nh = %d", nh)
	}
	if nv < 1 {
		return nil, fmt.Errorf("rsmi: filter needs at least one visible dof, got nv = %d", nv)
	}
	if src == nil {
		return nil, errors.New("rsmi: NewFilter needs a random source")
	}
	n, err := size.Elements(fmt.Sprintf("rsmi: a filter of nh = %d hidden units on nv = %d visible dofs", nh, nv), 8, nh, nv)
	if err != nil {
		return nil, err
	}
	rng := rand.New(src)
	f := &Filter{NH: nh, NV: nv, W: make([]float64, n)}
	s := 1 / math.Sqrt(float64(nv))
	for i := range f.W {
		f.W[i] = s * (2*rng.Float64() - 1)
	}
	return f, nil
}

// Clone returns a deep copy of f.
func (f *Filter) Clone() *Filter {
	g := &Filter{NH: f.NH, NV: f.NV, W: append([]float64(nil), f.W...)}
	if f.Bias != nil {
		g.Bias = append([]float64(nil), f.Bias...)
	}
	return g
}

// NumParams returns the length of the parameter vector: NH·NV, plus NH if the
// filter has biases.
func (f *Filter) NumParams() int {
	n := f.NH * f.NV
	if f.Bias != nil {
		n += f.NH
	}
	return n
}

// Validate checks that the shape is consistent and all parameters finite.
func (f *Filter) Validate() error {
	if f == nil {
		return errors.New("rsmi: the filter is nil (build one with NewFilter)")
	}
	if f.NH < 1 {
		return fmt.Errorf("rsmi: filter needs at least one hidden unit, got nh = %d", f.NH)
	}
	if f.NV < 1 {
		return fmt.Errorf("rsmi: filter needs at least one visible dof, got nv = %d", f.NV)
	}
	if n, err := size.Mul(f.NH, f.NV); err != nil || len(f.W) != n {
		return fmt.Errorf("rsmi: filter has %d weights, want nh·nv = %d·%d", len(f.W), f.NH, f.NV)
	}
	if f.Bias != nil && len(f.Bias) != f.NH {
		return fmt.Errorf("rsmi: filter has %d biases, want nh = %d", len(f.Bias), f.NH)
	}
	if i := nonFinite(f.W); i >= 0 {
		return fmt.Errorf("rsmi: filter weight %d is %v", i, f.W[i])
	}
	if j := nonFinite(f.Bias); j >= 0 {
		return fmt.Errorf("rsmi: filter bias %d is %v", j, f.Bias[j])
	}
	return nil
}

// Field returns x_j = Σ_i λ_ij v_i + a_j for hidden unit j.
func (f *Filter) Field(v []int8, j int) float64 {
	if len(v) != f.NV {
		panic(fmt.Sprintf("rsmi: visible configuration of length %d, filter wants %d", len(v), f.NV))
	}
	w := f.W[j*f.NV : (j+1)*f.NV]
	var x float64
	for i, s := range v {
		x += w[i] * float64(s)
	}
	if f.Bias != nil {
		x += f.Bias[j]
	}
	return x
}

// Prob returns P_Λ(h|v).
func (f *Filter) Prob(v, h []int8) float64 {
	if len(h) != f.NH {
		panic(fmt.Sprintf("rsmi: hidden configuration of length %d, filter has %d units", len(h), f.NH))
	}
	p := 1.0
	for j := range h {
		p *= sigmoid(2 * float64(h[j]) * f.Field(v, j))
	}
	return p
}

// Sample draws h from P_Λ(h|v) into h (length NH) using src.
func (f *Filter) Sample(v, h []int8, src rand.Source) {
	if len(h) != f.NH {
		panic(fmt.Sprintf("rsmi: hidden configuration of length %d, filter has %d units", len(h), f.NH))
	}
	for j := range h {
		h[j] = -1
		if float64(src.Uint64()>>11)*0x1p-53 < sigmoid(2*f.Field(v, j)) {
			h[j] = 1
		}
	}
}

// MostProbable sets h to the most probable hidden configuration, h_j =
// sign(x_j). A tie (|x_j| ≤ 1e-9·Σ_i|λ_ij|, e.g. a zero block sum under equal
// weights) is broken by a fair coin from src.
func (f *Filter) MostProbable(v, h []int8, src rand.Source) {
	if len(h) != f.NH {
		panic(fmt.Sprintf("rsmi: hidden configuration of length %d, filter has %d units", len(h), f.NH))
	}
	for j := range h {
		x := f.Field(v, j)
		var scale float64
		for _, w := range f.W[j*f.NV : (j+1)*f.NV] {
			scale += math.Abs(w)
		}
		switch {
		case math.Abs(x) <= 1e-9*scale:
			h[j] = int8(2*(src.Uint64()>>63)) - 1
		case x > 0:
			h[j] = 1
		default:
			h[j] = -1
		}
	}
}

// Norms returns ‖λ_j‖ (the Euclidean norm of each hidden unit's weights).
func (f *Filter) Norms() []float64 { return rowNorms(f.W, f.NH, f.NV) }

// sigmoid returns 1/(1+e^{−x}), accurate in both tails.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
