package rbm

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/rsmi-go/rsmi/internal/xrand"
	"gonum.org/v1/gonum/mat"
)

// TrainCategorical fits c to the rows of data (n rows of nv values of c's
// alphabet, row-major) by CD-k or, with opts.Persistent, persistent CD, on
// mini-batches, exactly as Train does for a binary RBM: the same options,
// cancellation, progress (Stage "rbm.TrainCategorical") and checkpoints
// (default file name "rbm-categorical.ckpt"; the number of epochs is part
// of the checkpoint, and a resumed run ends with the same parameters, bit
// for bit, as an uninterrupted one). A Categorical not made by
// NewCategorical or NewCategoricalFrom (such as the zero value) is an
// error. Internally each visible unit is a
// group of q one-hot rows; the negative phase samples it from its softmax
// conditional P(v_i = a | h) ∝ exp(b_{i,a} + Σ_j W_{i,a; j} h_j). The
// monitoring figures are the squared distance between the one-hot data and
// P(v_i | h) averaged over units (ReconstructionError), and
// nv·log P(v_i | v_{−i}) for a random unit i (PseudoLogLikelihood).
func TrainCategorical(ctx context.Context, c *Categorical, data []int8, opts *TrainOptions) (*TrainResult, error) {
	if c == nil {
		return nil, errors.New("rbm: TrainCategorical needs a categorical RBM")
	}
	return train(ctx, c, data, opts, categoricalJob)
}

func (c *Categorical) params() (*mat.Dense, []float64, []float64) { return c.W, c.VisBias, c.HidBias }
func (c *Categorical) layout() (Units, int)                       { return Binary, c.NumStates() }
func (c *Categorical) describe() string {
	return fmt.Sprintf("categorical RBM %d×%d with states %v", c.NumVisible(), c.NumHidden(), c.states)
}

// rows returns the one-hot rows (nv·q values 0/1) of data.
func (c *Categorical) rows(data []int8) []int8 {
	q := c.NumStates()
	out := make([]int8, len(data)*q)
	for k, x := range data {
		out[k*q+int(c.index[uint8(x)])] = 1
	}
	return out
}

// monitor computes the reconstruction error and pseudo-log-likelihood on
// up to monitorRows evenly spaced rows.
func (c *Categorical) monitor(data []int8, n int, rng *xrand.Xoshiro) (recon, pll float64) {
	nv, nh, q := c.NumVisible(), c.NumHidden(), c.NumStates()
	m := min(n, monitorRows)
	h := make([]int8, nh)
	vf := make([]int8, nv)
	buf := make([]float64, max(nv*q, nh))
	fa := make([]float64, q)
	for k := range m {
		row := k * n / m
		v := data[row*nv : (row+1)*nv]
		c.SampleHidden(v, h, rng, buf)
		p := c.VisibleProb(h, buf)
		for i, x := range v {
			a := c.idx(i, x)
			for b, pb := range p[i*q : i*q+q] {
				d := pb
				if b == a {
					d = 1 - pb
				}
				recon += d * d
			}
		}
		copy(vf, v)
		i := rng.Intn(nv)
		for a, x := range c.states {
			vf[i] = x
			fa[a] = -c.freeEnergy(vf, buf)
		}
		pll += float64(nv) * (fa[c.idx(i, v[i])] - sumSoftmax.logSum(fa))
	}
	return recon / float64(m*nv), pll / float64(m)
}

// visibleSoftmax draws the softmax groups of visible rows given the first
// n columns of hs into the columns [col, col+n) of vt (one-hot).
func (t *trainer) visibleSoftmax(col, n int) {
	nv, nh, s, q := t.nv, t.nh, t.stride, t.q
	mm32(nv, n, nh, t.w, nh, t.hs, t.chains, t.vt[col:], s)
	clear(t.vNeg)
	p := t.pg[:q]
	for g := 0; g < nv; g += q {
		b := t.b[g : g+q]
		for k := col; k < col+n; k++ {
			mx := float32(math.Inf(-1))
			for a := range p {
				p[a] = t.vt[(g+a)*s+k] + b[a]
				mx = max(mx, p[a])
			}
			var z float32
			for a, x := range p {
				p[a] = exp32(x - mx)
				z += p[a]
			}
			u := float32(t.rng.Uint64()>>40) * 0x1p-24 * z
			pick := q - 1
			for a, x := range p[:q-1] {
				if u -= x; u < 0 {
					pick = a
					break
				}
			}
			for a := range q {
				t.vt[(g+a)*s+k] = 0
			}
			t.vt[(g+pick)*s+k] = 1
			t.vNeg[g+pick]++
		}
	}
}
