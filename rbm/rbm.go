package rbm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Units is the alphabet of the visible and hidden units of an RBM.
type Units int

const (
	// Binary units take the values 0 and 1.
	Binary Units = iota
	// Spin units take the values −1 and +1.
	Spin
)

// String returns "binary" or "spin".
func (u Units) String() string {
	switch u {
	case Binary:
		return "binary"
	case Spin:
		return "spin"
	}
	return fmt.Sprintf("Units(%d)", int(u))
}

// valid reports whether u is Binary or Spin.
func (u Units) valid() bool { return u == Binary || u == Spin }

// low returns the value a unit takes when it is "off": 0 for Binary, −1 for Spin.
func (u Units) low() int8 {
	if u == Spin {
		return -1
	}
	return 0
}

// ok reports whether x belongs to the alphabet of u.
func (u Units) ok(x int8) bool {
	return x == 1 || x == u.low()
}

// maxUnits bounds the layer sizes accepted by the constructors and Read.
const maxUnits = 1 << 24

// RBM is a restricted Boltzmann machine with nv visible units v and nh hidden
// units h, all Binary ({0,1}) or all Spin (±1), and energy
//
//	E(v,h) = −Σ_i VisBias[i]·v_i − Σ_j HidBias[j]·h_j − Σ_ij v_i·W[i,j]·h_j.
//
// W is nv×nh. The fields are exported so that callers may read and set the
// parameters directly; their shapes must not be changed.
type RBM struct {
	W       *mat.Dense // nv×nh couplings
	VisBias []float64  // nv visible biases b
	HidBias []float64  // nh hidden biases c
	units   Units
}

// checkSizes returns an error unless both layers have 1 … maxUnits units
// and the parameters of nv visible units of q states (q = 1: binary units)
// and nh hidden units — nv·q·nh weights, nv·q + nh biases — number at most
// maxParams (the bound Read applies).
func checkSizes(nv, nh, q int) error {
	switch {
	case nv <= 0 || nv > maxUnits:
		return fmt.Errorf("rbm: number of visible units %d outside [1,%d]", nv, maxUnits)
	case nh <= 0 || nh > maxUnits:
		return fmt.Errorf("rbm: number of hidden units %d outside [1,%d]", nh, maxUnits)
	}
	// nv·q ≤ 2^31 and nh ≤ 2^24: the count fits in 64 bits.
	if np := int64(nv)*int64(q)*int64(nh+1) + int64(nh); np > maxParams {
		what := fmt.Sprintf("%d×%d units", nv, nh)
		if q > 1 {
			what = fmt.Sprintf("%d visible units of %d states and %d hidden units", nv, q, nh)
		}
		return fmt.Errorf("rbm: %s have %d parameters, more than the %d (%d MiB of float64) an RBM may have", what, np, maxParams, maxParams>>17)
	}
	return nil
}

// New returns an RBM with nv visible and nh hidden units of the given
// alphabet (at most 2^24 units per layer and 2^28 parameters).
// As in scikit-learn's BernoulliRBM, the weights are drawn independently from
// a normal distribution of mean 0 and standard deviation 0.01 using src, and
// both biases start at zero.
func New(nv, nh int, units Units, src rand.Source) (*RBM, error) {
	if err := checkSizes(nv, nh, 1); err != nil {
		return nil, err
	}
	if !units.valid() {
		return nil, fmt.Errorf("rbm: unknown units %d (want Binary or Spin)", int(units))
	}
	if src == nil {
		return nil, errors.New("rbm: New needs a rand.Source")
	}
	rng := rand.New(src)
	w := make([]float64, nv*nh)
	for i := range w {
		w[i] = 0.01 * rng.NormFloat64()
	}
	return &RBM{
		W:       mat.NewDense(nv, nh, w),
		VisBias: make([]float64, nv),
		HidBias: make([]float64, nh),
		units:   units,
	}, nil
}

// NewFrom returns an RBM with copies of the given parameters: w is nv×nh
// (row-major, len nv·nh), vis has nv entries and hid nh.
func NewFrom(nv, nh int, units Units, w, vis, hid []float64) (*RBM, error) {
	if err := checkSizes(nv, nh, 1); err != nil {
		return nil, err
	}
	if !units.valid() {
		return nil, fmt.Errorf("rbm: unknown units %d (want Binary or Spin)", int(units))
	}
	if len(w) != nv*nh || len(vis) != nv || len(hid) != nh {
		return nil, fmt.Errorf("rbm: parameter lengths %d, %d, %d do not match %d×%d", len(w), len(vis), len(hid), nv, nh)
	}
	for _, s := range [][]float64{w, vis, hid} {
		for _, x := range s {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("rbm: parameter %v is not finite", x)
			}
		}
	}
	return &RBM{
		W:       mat.NewDense(nv, nh, append([]float64(nil), w...)),
		VisBias: append([]float64(nil), vis...),
		HidBias: append([]float64(nil), hid...),
		units:   units,
	}, nil
}

// NumVisible returns the number of visible units.
func (r *RBM) NumVisible() int { return len(r.VisBias) }

// NumHidden returns the number of hidden units.
func (r *RBM) NumHidden() int { return len(r.HidBias) }

// Units returns the alphabet of the units.
func (r *RBM) Units() Units { return r.units }

// Clone returns a deep copy of r.
func (r *RBM) Clone() *RBM {
	return &RBM{
		W:       mat.DenseCopyOf(r.W),
		VisBias: append([]float64(nil), r.VisBias...),
		HidBias: append([]float64(nil), r.HidBias...),
		units:   r.units,
	}
}

func (r *RBM) checkV(v []int8) {
	if len(v) != len(r.VisBias) {
		panic(fmt.Sprintf("rbm: visible configuration has %d values, want %d", len(v), len(r.VisBias)))
	}
}

func (r *RBM) checkH(h []int8) {
	if len(h) != len(r.HidBias) {
		panic(fmt.Sprintf("rbm: hidden configuration has %d values, want %d", len(h), len(r.HidBias)))
	}
}

func resize(dst []float64, n int) []float64 {
	if cap(dst) < n {
		return make([]float64, n)
	}
	return dst[:n]
}

// rawW returns the row-major weights and their stride.
func (r *RBM) rawW() ([]float64, int) {
	raw := r.W.RawMatrix()
	return raw.Data, raw.Stride
}

// HiddenInput stores in dst (resized to nh) the hidden pre-activations
// a_j = HidBias[j] + Σ_i v_i W[i,j] and returns it.
func (r *RBM) HiddenInput(v []int8, dst []float64) []float64 {
	r.checkV(v)
	nh := len(r.HidBias)
	dst = resize(dst, nh)
	copy(dst, r.HidBias)
	w, st := r.rawW()
	for i, x := range v {
		if x == 0 {
			continue
		}
		row := w[i*st : i*st+nh]
		if x == 1 {
			for j, wij := range row {
				dst[j] += wij
			}
		} else {
			xf := float64(x)
			for j, wij := range row {
				dst[j] += xf * wij
			}
		}
	}
	return dst
}

// VisibleInput stores in dst (resized to nv) the visible pre-activations
// b_i + Σ_j W[i,j] h_j and returns it.
func (r *RBM) VisibleInput(h []int8, dst []float64) []float64 {
	r.checkH(h)
	nv, nh := len(r.VisBias), len(r.HidBias)
	dst = resize(dst, nv)
	w, st := r.rawW()
	for i := range nv {
		s := r.VisBias[i]
		row := w[i*st : i*st+nh]
		for j, x := range h {
			s += float64(x) * row[j]
		}
		dst[i] = s
	}
	return dst
}

// prob converts pre-activations in place into the probability that a unit is
// on (1 or +1): σ(a) for Binary, σ(2a) for Spin.
func (u Units) prob(a []float64) {
	k := 1.0
	if u == Spin {
		k = 2
	}
	for j, x := range a {
		a[j] = sigmoid(k * x)
	}
}

// HiddenProb stores in dst (resized to nh) P(h_j = 1 | v) (Binary) or
// P(h_j = +1 | v) (Spin) and returns it.
func (r *RBM) HiddenProb(v []int8, dst []float64) []float64 {
	dst = r.HiddenInput(v, dst)
	r.units.prob(dst)
	return dst
}

// VisibleProb stores in dst (resized to nv) P(v_i = 1 | h) (Binary) or
// P(v_i = +1 | h) (Spin) and returns it.
func (r *RBM) VisibleProb(h []int8, dst []float64) []float64 {
	dst = r.VisibleInput(h, dst)
	r.units.prob(dst)
	return dst
}

func uniform(src rand.Source) float64 { return float64(src.Uint64()>>11) * 0x1p-53 }

func (u Units) draw(p []float64, dst []int8, src rand.Source) {
	lo := u.low()
	for j, pj := range p {
		if uniform(src) < pj {
			dst[j] = 1
		} else {
			dst[j] = lo
		}
	}
}

// SampleHidden draws h from P(h | v) into h (len nh) using src; buf, if it
// has capacity nh, is used as scratch space.
func (r *RBM) SampleHidden(v, h []int8, src rand.Source, buf []float64) {
	r.checkH(h)
	p := r.HiddenProb(v, buf)
	r.units.draw(p, h, src)
}

// SampleVisible draws v from P(v | h) into v (len nv) using src; buf, if it
// has capacity nv, is used as scratch space.
func (r *RBM) SampleVisible(h, v []int8, src rand.Source, buf []float64) {
	r.checkV(v)
	p := r.VisibleProb(h, buf)
	r.units.draw(p, v, src)
}

// Gibbs runs k steps of block Gibbs sampling starting from the visible
// configuration v: each step draws h ~ P(h|v) and then v ~ P(v|h). On
// return v and h hold the last visible and hidden configurations.
func (r *RBM) Gibbs(v, h []int8, k int, src rand.Source) {
	r.checkV(v)
	r.checkH(h)
	buf := make([]float64, max(len(v), len(h)))
	for range k {
		r.SampleHidden(v, h, src, buf)
		r.SampleVisible(h, v, src, buf)
	}
}

// Energy returns E(v,h) = −b·v − c·h − vᵀWh.
func (r *RBM) Energy(v, h []int8) float64 {
	a := r.HiddenInput(v, nil)
	e := 0.0
	for j, x := range h {
		e -= float64(x) * a[j]
	}
	for i, x := range v {
		e -= float64(x) * r.VisBias[i]
	}
	return e
}

// logSum2 returns log Σ_{h∈alphabet} exp(h·a): log(1+e^a) (Binary) or
// log(2 cosh a) (Spin), computed without overflow.
func (u Units) logSum(a float64) float64 {
	if u == Spin {
		a = math.Abs(a)
		return a + math.Log1p(math.Exp(-2*a))
	}
	return softplus(a)
}

// mean returns E[h] for a unit with pre-activation a: σ(a) (Binary) or tanh(a) (Spin).
func (u Units) mean(a float64) float64 {
	if u == Spin {
		return math.Tanh(a)
	}
	return sigmoid(a)
}

func softplus(a float64) float64 {
	if a > 0 {
		return a + math.Log1p(math.Exp(-a))
	}
	return math.Log1p(math.Exp(a))
}

func sigmoid(a float64) float64 {
	if a >= 0 {
		return 1 / (1 + math.Exp(-a))
	}
	e := math.Exp(a)
	return e / (1 + e)
}

// FreeEnergy returns
//
//	F(v) = −Σ_i b_i v_i − Σ_j log Σ_{h_j} exp(h_j (c_j + Σ_i W_ij v_i)),
//
// the hidden units summed out, so that P(v) = exp(−F(v))/Z.
func (r *RBM) FreeEnergy(v []int8) float64 {
	a := make([]float64, 0, 64)
	return r.freeEnergy(v, a)
}

func (r *RBM) freeEnergy(v []int8, buf []float64) float64 {
	a := r.HiddenInput(v, buf)
	f := 0.0
	for i, x := range v {
		f -= float64(x) * r.VisBias[i]
	}
	for _, aj := range a {
		f -= r.units.logSum(aj)
	}
	return f
}

// FreeEnergyFloat is FreeEnergy for real-valued v (for instance mean-field
// values); it panics if len(v) ≠ nv.
func (r *RBM) FreeEnergyFloat(v []float64) float64 {
	if len(v) != len(r.VisBias) {
		panic(fmt.Sprintf("rbm: visible vector has %d values, want %d", len(v), len(r.VisBias)))
	}
	nh := len(r.HidBias)
	a := append([]float64(nil), r.HidBias...)
	w, st := r.rawW()
	f := 0.0
	for i, x := range v {
		f -= x * r.VisBias[i]
		row := w[i*st : i*st+nh]
		for j, wij := range row {
			a[j] += x * wij
		}
	}
	for _, aj := range a {
		f -= r.units.logSum(aj)
	}
	return f
}

// FreeEnergyGrad adds to dW (nv×nh), dVis (nv) and dHid (nh) the gradient
// of F(v) with respect to W, VisBias and HidBias:
//
//	∂F/∂W_ij = −v_i E[h_j|v],  ∂F/∂b_i = −v_i,  ∂F/∂c_j = −E[h_j|v].
//
// Any of the three destinations may be nil.
func (r *RBM) FreeEnergyGrad(v []int8, dW *mat.Dense, dVis, dHid []float64) {
	nv, nh := r.NumVisible(), r.NumHidden()
	m := r.HiddenInput(v, nil)
	for j, a := range m {
		m[j] = r.units.mean(a)
	}
	if dW != nil {
		if rr, cc := dW.Dims(); rr != nv || cc != nh {
			panic(fmt.Sprintf("rbm: gradient matrix is %d×%d, want %d×%d", rr, cc, nv, nh))
		}
		for i, x := range v {
			if x == 0 {
				continue
			}
			for j, mj := range m {
				dW.Set(i, j, dW.At(i, j)-float64(x)*mj)
			}
		}
	}
	if dVis != nil {
		for i, x := range v {
			dVis[i] -= float64(x)
		}
	}
	if dHid != nil {
		for j, mj := range m {
			dHid[j] -= mj
		}
	}
}

// checkShapes returns an error unless the weights w have one row per
// visible bias and one column per hidden bias, both layers non-empty: what
// a model made by its constructors has and a zero value (what, made by
// ctors) has not.
func checkShapes(w *mat.Dense, vis, hid []float64, what, ctors string) error {
	if w == nil || len(vis) == 0 || len(hid) == 0 {
		return fmt.Errorf("rbm: %s of %d visible and %d hidden biases and no weights (make it with %s)", what, len(vis), len(hid), ctors)
	}
	if rows, cols := w.Dims(); rows != len(vis) || cols != len(hid) {
		return fmt.Errorf("rbm: %s with weights of %d×%d for %d visible and %d hidden biases", what, rows, cols, len(vis), len(hid))
	}
	return nil
}

// checkData validates a flat data set of rows of nv values in the alphabet
// and returns the number of rows.
func (r *RBM) checkData(data []int8) (int, error) {
	if err := checkShapes(r.W, r.VisBias, r.HidBias, "an RBM", "New, NewFrom or Read"); err != nil {
		return 0, err
	}
	nv := r.NumVisible()
	if len(data) == 0 {
		return 0, errors.New("rbm: empty data set")
	}
	if len(data)%nv != 0 {
		return 0, fmt.Errorf("rbm: data length %d is not a multiple of the %d visible units", len(data), nv)
	}
	for k, x := range data {
		if !r.units.ok(x) {
			return 0, fmt.Errorf("rbm: value %d at row %d, column %d is not a %s unit value", x, k/nv, k%nv, r.units)
		}
	}
	return len(data) / nv, nil
}
