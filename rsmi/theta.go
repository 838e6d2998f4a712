package rsmi

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/rsmi-go/rsmi/rbm"
)

// thetaModel is ExactV's view of its Θ-RBM, whose visible units are V
// first, then E. W has one row per channel: a unit of the binary rbm.RBM,
// weighted by the unit's value in the RBM's alphabet, or a (unit, state)
// pair of the categorical rbm.Categorical, weighted 1; the visible biases
// are per channel too. The table of P(v|e) and the conditional
// fine-tuning are written once against this view.
type thetaModel struct {
	w        *mat.Dense // channels × nth
	vis, hid []float64  // per channel; per hidden unit
	nv, nx   int        // block units, all visible units
	nth      int        // hidden units
	q        int        // states of a categorical unit (0: binary RBM)
	spin     bool       // ±1 hidden units (log 2cosh, tanh) rather than {0,1} (softplus, σ)
	index    [256]int8  // categorical: state index of a value
	pow      []int      // categorical: q^i for the V units
	desc     string     // for checkpoint fingerprints
}

// binaryTheta is the view of a binary RBM whose first nv units are V.
func binaryTheta(r *rbm.RBM, nv int) *thetaModel {
	return &thetaModel{w: r.W, vis: r.VisBias, hid: r.HidBias, nv: nv, nx: r.NumVisible(), nth: r.NumHidden(),
		spin: r.Units() == rbm.Spin, desc: fmt.Sprintf("units=%v", r.Units())}
}

// categoricalTheta is the view of a categorical RBM whose first nv units
// are V (channel i·q + a: unit i in state a).
func categoricalTheta(c *rbm.Categorical, nv int) *thetaModel {
	states, q := c.States(), c.NumStates()
	m := &thetaModel{w: c.W, vis: c.VisBias, hid: c.HidBias, nv: nv, nx: c.NumVisible(), nth: c.NumHidden(), q: q,
		desc: fmt.Sprintf("categorical states=%v", states), pow: make([]int, nv)}
	for i, x := range states {
		m.index[uint8(x)] = int8(i)
	}
	for i, p := 0, 1; i < nv; i, p = i+1, p*q {
		m.pow[i] = p
	}
	return m
}

// rows returns the number of channels; vRows those of the V units, which
// come first.
func (m *thetaModel) rows() int {
	if m.q == 0 {
		return m.nx
	}
	return m.nx * m.q
}

func (m *thetaModel) vRows() int {
	if m.q == 0 {
		return m.nv
	}
	return m.nv * m.q
}

// blockStates returns the number of block states, 2^nv or q^nv.
func (m *thetaModel) blockStates() int {
	if m.q == 0 {
		return 1 << m.nv
	}
	return m.pow[m.nv-1] * m.q
}

// channel returns the channel and weight of unit i holding the value x
// (in the RBM's alphabet); a weight of 0 means the unit contributes nothing.
func (m *thetaModel) channel(i int, x int8) (int, float64) {
	if m.q == 0 {
		return i, float64(x)
	}
	return i*m.q + int(m.index[uint8(x)]), 1
}

// blockChannel returns the channel and weight of V unit i in block state s
// (s = Σ_i idx(v_i)·q^i, bit i for the binary RBM).
func (m *thetaModel) blockChannel(s, i int) (int, float64) {
	if m.q == 0 {
		x := float64((s >> i) & 1)
		if m.spin {
			x = 2*x - 1
		}
		return i, x
	}
	return i*m.q + s/m.pow[i]%m.q, 1
}

// blockTables fills u (S×nth: Σ_{i∈V} W_{c_i(s), j} weighted) and bv (S:
// the block's visible biases) for the block states s.
func (m *thetaModel) blockTables(u, bv []float64) {
	nth := m.nth
	w := m.w.RawMatrix()
	clear(u)
	for s := range bv {
		bv[s] = 0
		us := u[s*nth : (s+1)*nth]
		for i := 0; i < m.nv; i++ {
			c, x := m.blockChannel(s, i)
			if x == 0 {
				continue
			}
			bv[s] += x * m.vis[c]
			for j, wij := range w.Data[c*w.Stride : c*w.Stride+nth] {
				us[j] += x * wij
			}
		}
	}
}

// envInput writes the hidden pre-activations of the environment of the
// data row (V units first) into a: the hidden biases plus Σ_{i∈E} W_{c_i, j}
// weighted.
func (m *thetaModel) envInput(row []int8, a []float64) {
	w := m.w.RawMatrix()
	copy(a, m.hid)
	for i := m.nv; i < m.nx; i++ {
		c, x := m.channel(i, row[i])
		if x == 0 {
			continue
		}
		for j, wij := range w.Data[c*w.Stride : c*w.Stride+m.nth] {
			a[j] += x * wij
		}
	}
}
