package rbm

import (
	"context"
	"fmt"
	"math"

	"github.com/rsmi-go/rsmi/internal/xrand"
)

// MaxExactStates is the largest number of states of the enumerated layer
// for which the categorical RBM's LogZ enumerates (2^24 ≈ 1.7·10⁷, the
// binary RBM's MaxExactUnits in states), and the largest block of Block.
const MaxExactStates = 1 << MaxExactUnits

// statesCapped returns base^n, or MaxExactStates+1 if that is larger.
func statesCapped(base, n int) int {
	s := 1
	for range n {
		if s > MaxExactStates/base {
			return MaxExactStates + 1
		}
		s *= base
	}
	return s
}

// LogZ returns the exact log partition function log Σ_{v,h} exp(−E(v,h)),
// enumerating the smaller of the two state spaces — the q^nv visible
// configurations (the hidden units summed out) or the 2^nh hidden ones
// (the visible units summed out) — in Gray-code order (one row update per
// state), in parallel over GOMAXPROCS goroutines; the result does not
// depend on their number. It returns an error if both spaces have more
// than MaxExactStates states: use AIS for such models.
func (c *Categorical) LogZ() (float64, error) {
	nv, nh, q := c.NumVisible(), c.NumHidden(), c.NumStates()
	sv, sh := statesCapped(q, nv), statesCapped(2, nh)
	if min(sv, sh) > MaxExactStates {
		return 0, fmt.Errorf("rbm: exact log Z enumerates min(%d^%d, 2^%d) states, more than the limit of %d (use AIS)", q, nv, nh, MaxExactStates)
	}
	return c.enumLogZ(sv <= sh), nil
}

// enumLogZ enumerates the visible configurations (the hidden units summed
// out) or the hidden ones.
func (c *Categorical) enumLogZ(visible bool) float64 {
	nv, nh, q := c.NumVisible(), c.NumHidden(), c.NumStates()
	raw := c.W.RawMatrix()
	var e *enumSpec
	if visible { // enumerate v, sum out h
		e = &enumSpec{qs: q, m: nv, kind: sumSoftplus, w: 1, base: c.HidBias, bias: c.VisBias,
			rows: make([][]float64, nv*q)}
		for k := range e.rows {
			e.rows[k] = raw.Data[k*raw.Stride : k*raw.Stride+nh]
		}
	} else { // enumerate h (states 0, 1), sum out v
		e = &enumSpec{qs: 2, m: nh, kind: sumSoftmax, w: q, base: c.VisBias,
			rows: make([][]float64, 2*nh), bias: make([]float64, 2*nh)}
		zero := make([]float64, nv*q)
		for j := range nh {
			row := make([]float64, nv*q)
			for k := range row {
				row[k] = raw.Data[k*raw.Stride+j]
			}
			e.rows[2*j], e.rows[2*j+1] = zero, row
			e.bias[2*j+1] = c.HidBias[j]
		}
	}
	return e.logZ()
}

// LogLikelihood returns the average log-likelihood (1/n) Σ log P(v) in nats
// of the n rows of data (values of the alphabet) under c, with the exact
// log Z.
func (c *Categorical) LogLikelihood(data []int8) (float64, error) {
	n, err := c.checkData(data)
	if err != nil {
		return 0, err
	}
	logZ, err := c.LogZ()
	if err != nil {
		return 0, err
	}
	nv := c.NumVisible()
	buf := make([]float64, c.NumHidden())
	s := 0.0
	for k := range n {
		s -= c.freeEnergy(data[k*nv:(k+1)*nv], buf)
	}
	return s/float64(n) - logZ, nil
}

// AIS estimates log Z by annealed importance sampling as RBM.AIS does,
// from the base-rate model p_A(v) ∝ exp(Σ_i b^A_{i,v_i}) of independent
// categorical units (opts.BaseVisBias, nv·q values indexed i·q+a; nil:
// c's visible biases) through
//
//	p_β(v) ∝ exp(Σ_i [(1−β) b^A_{i,v_i} + β b_{i,v_i}]) Π_j (1 + exp(β (c_j + Σ_i W_{i,v_i; j}))),
//
// with one block-Gibbs transition (h, then v) per intermediate β. The
// result is deterministic for a given opts.Src; stderr is the
// delta-method standard error of log Ẑ.
func (c *Categorical) AIS(ctx context.Context, opts *AISOptions) (logZ, stderr float64, err error) {
	runs, betas, bA, err := opts.setup(c.VisBias)
	if err != nil {
		return 0, 0, err
	}
	nv, nh, q := c.NumVisible(), c.NumHidden(), c.NumStates()
	logZA := float64(nh) * math.Ln2
	for i := range nv {
		logZA += sumSoftmax.logSum(bA[i*q : i*q+q])
	}
	return runAIS(ctx, runs, opts.Src, logZA, func() aisFunc {
		s := &catAIS{c: c, betas: betas, bA: bA, v: make([]int, nv), a: make([]float64, nh), h: make([]float64, nh), p: make([]float64, q)}
		return s.run
	})
}

// catAIS is one worker's state for the categorical AIS runs.
type catAIS struct {
	c         *Categorical
	betas, bA []float64
	v         []int // state indices
	a, h, p   []float64
}

// hiddenInput sets s.a to the hidden pre-activations of s.v.
func (s *catAIS) hiddenInput() {
	copy(s.a, s.c.HidBias)
	for i, k := range s.v {
		for j, w := range s.c.wrow(i, k) {
			s.a[j] += w
		}
	}
}

// draw returns a state drawn from the weights exp(l_a) in s.p (overwritten).
func (s *catAIS) draw(rng *xrand.Xoshiro) int {
	mx := s.p[0]
	for _, x := range s.p[1:] {
		mx = max(mx, x)
	}
	z := 0.0
	for b, x := range s.p {
		s.p[b] = math.Exp(x - mx)
		z += s.p[b]
	}
	u := rng.Float64() * z
	b := 0
	for ; b < len(s.p)-1; b++ {
		if u -= s.p[b]; u < 0 {
			break
		}
	}
	return b
}

func (s *catAIS) run(ctx context.Context, rng *xrand.Xoshiro) (float64, error) {
	c := s.c
	nv, q := c.NumVisible(), c.NumStates()
	for i := range nv {
		copy(s.p, s.bA[i*q:i*q+q])
		s.v[i] = s.draw(rng)
	}
	h := s.h
	lw := 0.0
	every := max(1, min(1024, (1<<22)/(nv*q*len(s.a)+1)))
	for k := 1; k < len(s.betas); k++ {
		if k%every == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		b0, b1 := s.betas[k-1], s.betas[k]
		s.hiddenInput()
		for i, a := range s.v {
			lw += (b1 - b0) * (c.VisBias[i*q+a] - s.bA[i*q+a])
		}
		for _, aj := range s.a {
			lw += softplus(b1*aj) - softplus(b0*aj)
		}
		if k == len(s.betas)-1 {
			break
		}
		for j, aj := range s.a {
			h[j] = 0
			if rng.Float64() < sigmoid(b1*aj) {
				h[j] = 1
			}
		}
		for i := range nv {
			for a := range q {
				x := c.VisBias[i*q+a]
				for j, w := range c.wrow(i, a) {
					x += h[j] * w
				}
				s.p[a] = (1-b1)*s.bA[i*q+a] + b1*x
			}
			s.v[i] = s.draw(rng)
		}
	}
	return lw, nil
}
