package rg

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/sample"
)

// ErrFit is wrapped by the errors of FitCouplings for data on which the
// couplings cannot be fitted: a singular pseudo-likelihood Hessian (an
// operator that does not vary on the data, or operators that coincide), no
// finite maximum (e.g. perfectly ordered data, as on the coarse lattices of
// a flow below T_c) or no convergence. FlowOptions.StopOnFitError ends a
// flow on such a level.
var ErrFit = errors.New("rg: couplings cannot be fitted")

// FitOptions configures FitCouplings. nil, and every zero field, asks for
// the defaults.
type FitOptions struct {
	// Blocks is the number of contiguous blocks of configurations for the
	// jackknife errors (default min(20, number of configurations); at least
	// 2 and at most the number of configurations). Blocks should be longer than the autocorrelation time
	// of the data.
	Blocks int
	// Tol is the convergence tolerance on the Newton step, max_α |ΔK_α|
	// (default 1e-10).
	Tol float64
	// MaxIter bounds the Newton iterations per fit (default 100).
	MaxIter int
}

// Couplings are effective couplings fitted on an operator set.
type Couplings struct {
	// Names are the operators' names, in order.
	Names []string
	// K are the couplings of H = −Σ_α K_α O_α in units of the temperature
	// (the Boltzmann weight is exp(Σ_α K_α O_α)), and StdErr their
	// jackknife standard errors.
	K, StdErr []float64
	// NegLogPL is −Σ log P(s_i | rest) per site and configuration at K.
	NegLogPL float64
}

// FitCouplings estimates the couplings of H = −Σ_α K_α O_α (the
// Boltzmann weight is exp(Σ_α K_α O_α)) from the configurations of ds on lat
// by maximum pseudo-likelihood: it maximizes
//
//	PL(K) = Σ_configs Σ_i log P(s_i | rest),  P(s_i | rest) = exp(s_i h_i) / (2 cosh h_i),
//
// with h_i = Σ_α K_α ∂O_α/∂s_i (lattice.Evaluator.LocalFields), by Newton's
// method from K = 0 (PL is concave). Pseudo-likelihood is consistent: for
// data drawn from such a Hamiltonian it converges to the true K as the
// number of configurations grows. Standard errors are jackknife errors over
// opts.Blocks contiguous blocks of configurations.
//
// The operators must be valid on lat (Operator.Validate): an operator whose
// pattern spans more than half an extent equals one with a shorter
// displacement (Pair(20, 0) on L = 16 is Pair(4, 0)) and is an error naming
// the operator and the extent. The
// operators must be linearly independent on the data; FitCouplings returns
// an error wrapping ErrFit for a singular Hessian (an operator that does
// not vary, or two that coincide on this lattice) or if the
// pseudo-likelihood has no finite maximum (e.g. perfectly ordered data).
// ds must hold ±1 spins.
func FitCouplings(ctx context.Context, ds *sample.Dataset, lat *lattice.Lattice, ops []lattice.Operator, opts *FitOptions) (*Couplings, error) {
	if ds == nil || lat == nil {
		return nil, errors.New("rg: FitCouplings needs a dataset and a lattice")
	}
	o, err := opts.withDefaults(ds.N)
	if err != nil {
		return nil, err
	}
	if !ds.Geom.Equal(lat.Geometry()) {
		return nil, fmt.Errorf("rg: dataset geometry (extents %v) is not the lattice's (extents %v)", ds.Geom.Extents(), lat.Extents())
	}
	if err := checkValues(ds, nil); err != nil {
		return nil, err
	}
	ev, err := evaluator(lat, ops)
	if err != nil {
		return nil, err
	}
	h, err := histogram(ctx, ds, ev, o.Blocks)
	if err != nil {
		return nil, err
	}
	p := len(ops)
	c := &Couplings{}
	for _, op := range ops {
		c.Names = append(c.Names, op.Name)
	}
	K, nll, err := h.maximize(make([]float64, p), -1, o)
	if err != nil {
		return nil, err
	}
	c.K, c.NegLogPL = K, nll
	ks := make([][]float64, o.Blocks)
	for b := range ks {
		if ks[b], _, err = h.maximize(append([]float64(nil), K...), b, o); err != nil {
			return nil, fmt.Errorf("rg: jackknife sample %d: %w", b, err)
		}
	}
	c.StdErr = make([]float64, p)
	for a := range c.StdErr {
		_, c.StdErr[a] = sample.Jackknife(o.Blocks, func(skip int) float64 {
			if skip < 0 {
				return K[a]
			}
			return ks[skip][a]
		})
	}
	return c, nil
}

// withDefaults validates the options for n configurations and fills in
// the defaults.
func (opts *FitOptions) withDefaults(n int) (FitOptions, error) {
	var o FitOptions
	if opts != nil {
		o = *opts
	}
	if o.Blocks == 0 {
		o.Blocks = min(20, n)
	}
	if o.Blocks < 2 || o.Blocks > n {
		return o, fmt.Errorf("rg: FitCouplings jackknife blocks = %d, want 2 … %d (the number of configurations)", o.Blocks, n)
	}
	if o.Tol == 0 {
		o.Tol = 1e-10
	}
	if !(o.Tol > 0) || math.IsInf(o.Tol, 0) {
		return o, fmt.Errorf("rg: FitCouplings tolerance %v, want a finite value > 0", o.Tol)
	}
	if o.MaxIter == 0 {
		o.MaxIter = 100
	}
	if o.MaxIter < 1 {
		return o, fmt.Errorf("rg: FitCouplings MaxIter = %d, want ≥ 1", o.MaxIter)
	}
	return o, nil
}

// evaluator returns the evaluator of the operators on lat, which validates
// them (Operator.Validate also rejects operators that wrap around the
// lattice).
func evaluator(lat *lattice.Lattice, ops []lattice.Operator) (*lattice.Evaluator, error) {
	if len(ops) == 0 {
		return nil, errors.New("rg: FitCouplings needs at least one operator")
	}
	ev, err := lattice.NewEvaluator(lat, ops...)
	if err != nil {
		return nil, fmt.Errorf("rg: FitCouplings operators: %w", err)
	}
	return ev, nil
}

// plHistogram counts the distinct vectors g = s_i·∂O/∂s_i per jackknife
// block: the pseudo-likelihood depends on the data only through them.
type plHistogram struct {
	p      int
	g      [][]float64 // distinct vectors
	counts [][]float64 // per block, per vector
	total  []float64   // per vector
	n      float64     // number of site terms
	nb     []float64   // per block number of site terms
}

func histogram(ctx context.Context, ds *sample.Dataset, ev *lattice.Evaluator, blocks int) (*plHistogram, error) {
	p := ev.Len()
	h := &plHistogram{p: p, counts: make([][]float64, blocks), nb: make([]float64, blocks)}
	index := map[string]int{}
	key := make([]byte, 2*p)
	f := make([]float64, p)
	nsites := ev.Lattice().N()
	for b := 0; b < blocks; b++ {
		lo, hi := sample.BlockBounds(ds.N, blocks, b)
		for r := lo; r < hi; r++ {
			if err := ctx.Err(); err != nil { // every configuration: a row costs N·len(ops) local fields
				return nil, fmt.Errorf("rg: fit interrupted at configuration %d: %w", r, err)
			}
			s := ds.Row(r)
			for i := 0; i < nsites; i++ {
				f = ev.LocalFields(f, s, i)
				for a, v := range f {
					binary.LittleEndian.PutUint16(key[2*a:], uint16(int16(float64(s[i])*v)))
				}
				u, ok := index[string(key)]
				if !ok {
					u = len(h.g)
					index[string(key)] = u
					g := make([]float64, p)
					for a, v := range f {
						g[a] = float64(s[i]) * v
					}
					h.g = append(h.g, g)
					h.total = append(h.total, 0)
				}
				for len(h.counts[b]) <= u {
					h.counts[b] = append(h.counts[b], 0)
				}
				h.counts[b][u]++
				h.total[u]++
			}
			h.nb[b] += float64(nsites)
			h.n += float64(nsites)
		}
	}
	return h, nil
}

// count returns the weight of vector u without block skip (−1: all blocks).
func (h *plHistogram) count(u, skip int) float64 {
	c := h.total[u]
	if skip >= 0 && u < len(h.counts[skip]) {
		c -= h.counts[skip][u]
	}
	return c
}

// objective returns −PL per site term, its gradient and Hessian at K.
func (h *plHistogram) objective(K []float64, skip int, grad []float64, hess *mat.SymDense) float64 {
	p := h.p
	n := h.n
	if skip >= 0 {
		n -= h.nb[skip]
	}
	clear(grad)
	if hess != nil {
		hess.Zero()
	}
	var f float64
	for u, g := range h.g {
		c := h.count(u, skip)
		if c == 0 {
			continue
		}
		var x float64
		for a := 0; a < p; a++ {
			x += K[a] * g[a]
		}
		// −[x − log 2cosh x] = log(1 + e^{−2x})
		f += c * softplus(-2*x)
		t := math.Tanh(x)
		for a := 0; a < p; a++ {
			grad[a] -= c * g[a] * (1 - t) / n
		}
		if hess != nil {
			w := c * (1 - t*t) / n
			for a := 0; a < p; a++ {
				for b := a; b < p; b++ {
					hess.SetSym(a, b, hess.At(a, b)+w*g[a]*g[b])
				}
			}
		}
	}
	return f / n
}

// softplus returns log(1 + e^x) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// maximize runs damped Newton from K (modified in place and returned).
func (h *plHistogram) maximize(K []float64, skip int, o FitOptions) ([]float64, float64, error) {
	p := h.p
	grad := make([]float64, p)
	hess := mat.NewSymDense(p, nil)
	trial := make([]float64, p)
	tg := make([]float64, p)
	f := h.objective(K, skip, grad, hess)
	for it := 0; it < o.MaxIter; it++ {
		var chol mat.Cholesky
		if !chol.Factorize(hess) {
			return nil, 0, fmt.Errorf("%w: the pseudo-likelihood Hessian is singular (an operator does not vary on the data or operators coincide on this lattice)", ErrFit)
		}
		var step mat.VecDense
		if err := chol.SolveVecTo(&step, mat.NewVecDense(p, grad)); err != nil {
			return nil, 0, fmt.Errorf("%w: pseudo-likelihood Newton step: %v", ErrFit, err)
		}
		size := 0.0
		for a := 0; a < p; a++ {
			size = math.Max(size, math.Abs(step.AtVec(a)))
		}
		// Backtracking line search on the convex objective.
		t := 1.0
		var ft float64
		for {
			for a := 0; a < p; a++ {
				trial[a] = K[a] - t*step.AtVec(a)
			}
			ft = h.objective(trial, skip, tg, nil)
			if ft <= f+1e-12*math.Abs(f) || t < 1e-8 {
				break
			}
			t /= 2
		}
		copy(K, trial)
		f = h.objective(K, skip, grad, hess)
		for _, k := range K {
			if math.IsNaN(k) || math.Abs(k) > 1e3 {
				return nil, 0, fmt.Errorf("%w: the pseudo-likelihood has no finite maximum (the data look perfectly ordered)", ErrFit)
			}
		}
		if t*size < o.Tol {
			return K, f, nil
		}
	}
	return nil, 0, fmt.Errorf("%w: the pseudo-likelihood did not converge in %d Newton steps", ErrFit, o.MaxIter)
}
