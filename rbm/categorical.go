package rbm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// MaxStates is the largest number of states of a categorical visible unit.
const MaxStates = 128

// Categorical is a restricted Boltzmann machine with nv categorical
// (softmax) visible units of q states and nh binary ({0,1}) hidden units,
// with energy
//
//	E(v,h) = −Σ_i b_{i,v_i} − Σ_j c_j h_j − Σ_ij W_{i,v_i; j} h_j.
//
// The visible values are those of an alphabet of q distinct int8 values
// (States, sorted), for instance {0, 1, 2} for a 3-state Potts variable or
// {−1, 0, 1} for a spin-1 variable; the state index of a value is its
// position in States. Unit i in state a couples to the hidden units
// through row i·q+a of W. The parametrization is redundant (adding a
// constant to b_{i,·}, or to W_{i,·; j} while subtracting it from c_j,
// changes E by a constant). For q = 2 with the alphabet {0, 1} it is the
// Binary RBM with v_i ∈ {0,1}, b_i = b_{i,1} − b_{i,0}, W_ij = W_{i,1; j} −
// W_{i,0; j} and hidden biases c_j + Σ_i W_{i,0; j}, up to the constant
// −Σ_i b_{i,0} in the energy.
//
// The fields are exported so that callers may read and set the parameters
// directly; their shapes must not be changed. Methods that take one
// configuration (FreeEnergy, HiddenInput, Energy, Gibbs, …) panic on a
// wrong length or a value outside the alphabet, a programming error;
// TrainCategorical and LogLikelihood validate their data and return errors.
type Categorical struct {
	W       *mat.Dense // (nv·q)×nh couplings: row i·q+a for unit i in state a
	VisBias []float64  // nv·q visible biases: VisBias[i·q+a]
	HidBias []float64  // nh hidden biases
	states  []int8
	index   [256]int8 // state index of each int8 value (at uint8(x)), −1 outside the alphabet
}

// States returns 0, 1, …, q−1 (q ≤ MaxStates): the alphabet of visible
// units given as state indices.
func States(q int) []int8 {
	s := make([]int8, max(q, 0))
	for a := range s {
		s[a] = int8(a)
	}
	return s
}

// checkStates validates an alphabet: 2 ≤ q ≤ MaxStates distinct values in
// increasing order.
func checkStates(states []int8) error {
	if len(states) < 2 || len(states) > MaxStates {
		return fmt.Errorf("rbm: %d visible states %v: need 2 to %d", len(states), states, MaxStates)
	}
	for a := 1; a < len(states); a++ {
		if states[a] <= states[a-1] {
			return fmt.Errorf("rbm: visible states %v are not distinct and increasing (%d after %d)", states, states[a], states[a-1])
		}
	}
	return nil
}

func newCategorical(nv, nh int, states []int8, w []float64) *Categorical {
	q := len(states)
	c := &Categorical{
		W:       mat.NewDense(nv*q, nh, w),
		VisBias: make([]float64, nv*q),
		HidBias: make([]float64, nh),
		states:  slices.Clone(states),
	}
	for k := range c.index {
		c.index[k] = -1
	}
	for a, x := range states {
		c.index[uint8(x)] = int8(a)
	}
	return c
}

// NewCategorical returns a categorical RBM with nv visible units taking the
// values in states (sorted, distinct, 2 ≤ q ≤ MaxStates; States(q) for
// 0…q−1) and nh binary hidden units. As in New, the weights are drawn from
// a normal distribution of mean 0 and standard deviation 0.01 using src and
// the biases start at zero.
func NewCategorical(nv, nh int, states []int8, src rand.Source) (*Categorical, error) {
	if err := checkStates(states); err != nil {
		return nil, err
	}
	if err := checkSizes(nv, nh, len(states)); err != nil {
		return nil, err
	}
	if src == nil {
		return nil, errors.New("rbm: NewCategorical needs a rand.Source")
	}
	rng := rand.New(src)
	w := make([]float64, nv*len(states)*nh)
	for k := range w {
		w[k] = 0.01 * rng.NormFloat64()
	}
	return newCategorical(nv, nh, states, w), nil
}

// NewCategoricalFrom returns a categorical RBM with copies of the given
// parameters: w is (nv·q)×nh row-major, vis has nv·q entries (VisBias) and
// hid nh.
func NewCategoricalFrom(nv, nh int, states []int8, w, vis, hid []float64) (*Categorical, error) {
	if err := checkStates(states); err != nil {
		return nil, err
	}
	if err := checkSizes(nv, nh, len(states)); err != nil {
		return nil, err
	}
	q := len(states)
	if len(w) != nv*q*nh || len(vis) != nv*q || len(hid) != nh {
		return nil, fmt.Errorf("rbm: parameter lengths %d, %d, %d do not match %d units of %d states × %d hidden (want %d, %d, %d)",
			len(w), len(vis), len(hid), nv, q, nh, nv*q*nh, nv*q, nh)
	}
	for _, s := range [][]float64{w, vis, hid} {
		for k, x := range s {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("rbm: parameter %v at %d is not finite", x, k)
			}
		}
	}
	c := newCategorical(nv, nh, states, slices.Clone(w))
	copy(c.VisBias, vis)
	copy(c.HidBias, hid)
	return c, nil
}

// NumVisible returns the number of visible units nv.
func (c *Categorical) NumVisible() int { return len(c.VisBias) / len(c.states) }

// NumHidden returns the number of hidden units nh.
func (c *Categorical) NumHidden() int { return len(c.HidBias) }

// NumStates returns the number of states q of a visible unit.
func (c *Categorical) NumStates() int { return len(c.states) }

// States returns a copy of the visible alphabet.
func (c *Categorical) States() []int8 { return slices.Clone(c.states) }

// Clone returns a deep copy of c.
func (c *Categorical) Clone() *Categorical {
	d := *c
	d.W = mat.DenseCopyOf(c.W)
	d.VisBias = slices.Clone(c.VisBias)
	d.HidBias = slices.Clone(c.HidBias)
	d.states = slices.Clone(c.states)
	return &d
}

// idx returns the state index of visible value x of unit i; it panics on a
// value outside the alphabet (a programming error in a hot loop: data
// entering through Train or LogLikelihood are validated first).
func (c *Categorical) idx(i int, x int8) int {
	a := c.index[uint8(x)]
	if a < 0 {
		panic(fmt.Sprintf("rbm: visible value %d of unit %d is not one of the states %v", x, i, c.states))
	}
	return int(a)
}

func (c *Categorical) checkV(v []int8) {
	if nv := c.NumVisible(); len(v) != nv {
		panic(fmt.Sprintf("rbm: visible configuration has %d values, want %d", len(v), nv))
	}
}

func (c *Categorical) checkH(h []int8) {
	if len(h) != len(c.HidBias) {
		panic(fmt.Sprintf("rbm: hidden configuration has %d values, want %d", len(h), len(c.HidBias)))
	}
}

// wrow returns the couplings of unit i in state a to the hidden units.
func (c *Categorical) wrow(i, a int) []float64 {
	raw := c.W.RawMatrix()
	k := (i*len(c.states) + a) * raw.Stride
	return raw.Data[k : k+raw.Cols]
}

// HiddenInput stores in dst (resized to nh) the hidden pre-activations
// a_j = c_j + Σ_i W_{i,v_i; j} and returns it.
func (c *Categorical) HiddenInput(v []int8, dst []float64) []float64 {
	c.checkV(v)
	dst = resize(dst, len(c.HidBias))
	copy(dst, c.HidBias)
	for i, x := range v {
		for j, w := range c.wrow(i, c.idx(i, x)) {
			dst[j] += w
		}
	}
	return dst
}

// HiddenProb stores in dst (resized to nh) P(h_j = 1 | v) = σ(a_j) and
// returns it.
func (c *Categorical) HiddenProb(v []int8, dst []float64) []float64 {
	dst = c.HiddenInput(v, dst)
	Binary.prob(dst)
	return dst
}

// VisibleInput stores in dst (resized to nv·q) the visible pre-activations
// b_{i,a} + Σ_j W_{i,a; j} h_j (index i·q+a) and returns it.
func (c *Categorical) VisibleInput(h []int8, dst []float64) []float64 {
	c.checkH(h)
	n := len(c.VisBias)
	dst = resize(dst, n)
	raw := c.W.RawMatrix()
	for k := range n {
		s := c.VisBias[k]
		row := raw.Data[k*raw.Stride : k*raw.Stride+raw.Cols]
		for j, x := range h {
			if x != 0 {
				s += float64(x) * row[j]
			}
		}
		dst[k] = s
	}
	return dst
}

// softmaxGroups converts each group of q pre-activations in place into
// probabilities.
func softmaxGroups(a []float64, q int) {
	for k := 0; k < len(a); k += q {
		g := a[k : k+q]
		mx := slices.Max(g)
		s := 0.0
		for b, x := range g {
			g[b] = math.Exp(x - mx)
			s += g[b]
		}
		for b := range g {
			g[b] /= s
		}
	}
}

// VisibleProb stores in dst (resized to nv·q) P(v_i = States()[a] | h) at
// index i·q+a and returns it.
func (c *Categorical) VisibleProb(h []int8, dst []float64) []float64 {
	dst = c.VisibleInput(h, dst)
	softmaxGroups(dst, len(c.states))
	return dst
}

// SampleHidden draws h from P(h | v) into h (len nh) using src; buf, if it
// has capacity nh, is used as scratch space.
func (c *Categorical) SampleHidden(v, h []int8, src rand.Source, buf []float64) {
	c.checkH(h)
	Binary.draw(c.HiddenProb(v, buf), h, src)
}

// SampleVisible draws v from P(v | h) into v (len nv) using src; buf, if it
// has capacity nv·q, is used as scratch space.
func (c *Categorical) SampleVisible(h, v []int8, src rand.Source, buf []float64) {
	c.checkV(v)
	p := c.VisibleProb(h, buf)
	q := len(c.states)
	for i := range v {
		u := uniform(src)
		a := 0
		for ; a < q-1; a++ {
			if u -= p[i*q+a]; u < 0 {
				break
			}
		}
		v[i] = c.states[a]
	}
}

// Gibbs runs k steps of block Gibbs sampling starting from the visible
// configuration v: each step draws h ~ P(h|v) and then v ~ P(v|h). On
// return v and h hold the last visible and hidden configurations.
func (c *Categorical) Gibbs(v, h []int8, k int, src rand.Source) {
	c.checkV(v)
	c.checkH(h)
	buf := make([]float64, max(len(c.VisBias), len(h)))
	for range k {
		c.SampleHidden(v, h, src, buf)
		c.SampleVisible(h, v, src, buf)
	}
}

// Energy returns E(v,h).
func (c *Categorical) Energy(v, h []int8) float64 {
	a := c.HiddenInput(v, nil)
	c.checkH(h)
	e := 0.0
	for j, x := range h {
		e -= float64(x) * a[j]
	}
	return e - c.visTerm(v)
}

// visTerm returns Σ_i b_{i,v_i}.
func (c *Categorical) visTerm(v []int8) float64 {
	s, q := 0.0, len(c.states)
	for i, x := range v {
		s += c.VisBias[i*q+c.idx(i, x)]
	}
	return s
}

// FreeEnergy returns
//
//	F(v) = −Σ_i b_{i,v_i} − Σ_j log(1 + exp(c_j + Σ_i W_{i,v_i; j})),
//
// the hidden units summed out, so that P(v) = exp(−F(v))/Z.
func (c *Categorical) FreeEnergy(v []int8) float64 {
	var buf [64]float64
	return c.freeEnergy(v, buf[:0])
}

func (c *Categorical) freeEnergy(v []int8, buf []float64) float64 {
	f := -c.visTerm(v)
	for _, a := range c.HiddenInput(v, buf) {
		f -= softplus(a)
	}
	return f
}

// FreeEnergyGrad adds to dW ((nv·q)×nh), dVis (nv·q) and dHid (nh) the
// gradient of F(v) with respect to W, VisBias and HidBias:
//
//	∂F/∂W_{i,a; j} = −δ_{a,v_i} σ(a_j),  ∂F/∂b_{i,a} = −δ_{a,v_i},  ∂F/∂c_j = −σ(a_j).
//
// Any of the three destinations may be nil.
func (c *Categorical) FreeEnergyGrad(v []int8, dW *mat.Dense, dVis, dHid []float64) {
	m := c.HiddenProb(v, nil)
	q := len(c.states)
	if dW != nil {
		if r, k := dW.Dims(); r != len(c.VisBias) || k != len(m) {
			panic(fmt.Sprintf("rbm: gradient matrix is %d×%d, want %d×%d", r, k, len(c.VisBias), len(m)))
		}
		raw := dW.RawMatrix()
		for i, x := range v {
			row := raw.Data[(i*q+c.idx(i, x))*raw.Stride:]
			for j, mj := range m {
				row[j] -= mj
			}
		}
	}
	if dVis != nil {
		for i, x := range v {
			dVis[i*q+c.idx(i, x)]--
		}
	}
	if dHid != nil {
		for j, mj := range m {
			dHid[j] -= mj
		}
	}
}

// checkData validates a flat data set of rows of nv values of the alphabet
// and returns the number of rows.
func (c *Categorical) checkData(data []int8) (int, error) {
	if q := len(c.states); q == 0 || len(c.VisBias)%q != 0 {
		return 0, fmt.Errorf("rbm: a categorical RBM of %d visible biases for %d states (make it with NewCategorical or NewCategoricalFrom)", len(c.VisBias), q)
	}
	if err := checkShapes(c.W, c.VisBias, c.HidBias, "a categorical RBM", "NewCategorical or NewCategoricalFrom"); err != nil {
		return 0, err
	}
	nv := c.NumVisible()
	if len(data) == 0 {
		return 0, errors.New("rbm: empty data set")
	}
	if len(data)%nv != 0 {
		return 0, fmt.Errorf("rbm: data length %d is not a multiple of the %d visible units", len(data), nv)
	}
	for k, x := range data {
		if c.index[uint8(x)] < 0 {
			return 0, fmt.Errorf("rbm: value %d at row %d, column %d is not one of the visible states %v", x, k/nv, k%nv, c.states)
		}
	}
	return len(data) / nv, nil
}
