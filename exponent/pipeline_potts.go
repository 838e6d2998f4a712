package exponent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
	"github.com/rsmi-go/rsmi/rsmi"
	"github.com/rsmi-go/rsmi/sample"
)

// ModelChain is a chain that exposes the Hamiltonian it samples. Pipeline
// learns from the samples alone; with a ModelChain it also checks the
// learned filter's MI against the exact conditional distributions P(V|E)
// of the model (rsmi.NewExactOracle) at the same (V, E) pairs
// (PipelineResult.FilterExactMI). PottsSystem's chains are ModelChains.
type ModelChain interface {
	sample.Sampler
	// Hamiltonian returns the model the chain samples.
	Hamiltonian() lattice.Model
}

// PottsSystem returns the ferromagnetic q-state Potts model
// H = −Σ_<ij> δ(σ_i, σ_j) (J = 1, states 0 … q−1) on the hypercubic lattice
// of side L in dim dimensions, sampled by Swendsen–Wang clusters. Its
// chains declare the alphabet (States), which makes Pipeline learn a
// q-state filter, and expose the model (ModelChain) for the exact check. On the square lattice the
// critical temperature is lattice.PottsSquareTc(q, 1) = 1/ln(1+√q).
func PottsSystem(dim, q int) System {
	return func(L int, T float64) (*lattice.Lattice, sample.Factory, error) {
		lat, err := hypercubic(dim, L)
		if err != nil {
			return nil, nil, err
		}
		m, err := lattice.NewPotts(lat, q, 1)
		if err != nil {
			return nil, nil, err
		}
		return lat, func(src rand.Source) (sample.Sampler, error) {
			s, err := sample.NewPottsSwendsenWang(m, T, src)
			if err != nil {
				return nil, err
			}
			return pottsChain{s, m}, nil
		}, nil
	}
}

// pottsChain is a Potts Swendsen–Wang chain that exposes its model.
type pottsChain struct {
	*sample.PottsSwendsenWang
	m *lattice.Potts
}

func (c pottsChain) Hamiltonian() lattice.Model { return c.m }

// probeChain builds one chain of the system at L (with a fixed source; no
// step is taken) and returns the states it declares (nil for ±1 spins) and
// its model if it is a ModelChain.
func probeChain(factory sample.Factory) ([]int8, lattice.Model, error) {
	s, err := factory(rand.NewPCG(0, 0))
	if err != nil {
		return nil, nil, err
	}
	if s == nil {
		return nil, nil, errors.New("exponent: the chain factory returned a nil sampler")
	}
	var states []int8
	if d, ok := s.(interface{ States() []int8 }); ok {
		states = d.States()
	}
	var m lattice.Model
	if mc, ok := s.(ModelChain); ok {
		m = mc.Hamiltonian()
	}
	return states, m, nil
}

// pottsWeights are PipelineOptions.Weights' default for q-state variables:
// from twice the Ising ones (the soft plurality rule of weight w per dof,
// P(h = a|v) ∝ exp(w·n_a(v)), is for q = 2 the Ising rule
// P(h|v) ∝ exp((w/2)·h·Σv)) up to w = 3, where a 2×2 block of three states
// is nearly sharp.
var pottsWeights = []float64{0.8, 1, 1.2, 1.4, 1.6, 2, 2.5, 3, math.Inf(1)}

// setStateDefaults fills the defaults that depend on the alphabet of
// q-state variables and refuses what the q-state path lacks.
func (o *PipelineOptions) setStateDefaults(dim int, states []int8) error {
	if len(o.FlowT) > 0 {
		return errors.New("exponent: flows (FlowT) fit spin-product couplings and are not available for q-state variables")
	}
	if o.Weights == nil {
		o.Weights = pottsWeights
	}
	if o.Baseline == nil {
		o.Baseline = rsmi.Plurality{Values: states}
	}
	return o.defaultOperators(lattice.PottsEvenOperators, lattice.PottsOddOperators, dim)
}

// pottsHidden is the default number of hidden units of the Θ-RBM of
// q-state pairs: for 3-state Potts 2×2 blocks 16, 32 and 64 units put
// I(V:E) +0.16, +0.07 and +0.02 … +0.05 bit above the exact oracle's
// (rsmi.ExactVOptions.Hidden).
const pottsHidden = 64

// stateExactV fills the defaults of ExactV for q-state pairs: pottsHidden
// hidden units, and as data augmentation the block's point group × S_q
// (reg.Symmetries with rsmi.StatePermutations), unless set (a non-nil
// empty Symmetries: none).
func (p *pipeline) stateExactV(evo *rsmi.ExactVOptions, reg *rsmi.Regions) error {
	if evo.Hidden == 0 {
		evo.Hidden = pottsHidden
	}
	if evo.Symmetries != nil {
		return nil
	}
	perms, err := rsmi.StatePermutations(len(p.states))
	if err != nil {
		return fmt.Errorf("exponent: the symmetries of q-state pairs: %w", err)
	}
	if evo.Symmetries, err = reg.Symmetries(perms); err != nil {
		return fmt.Errorf("exponent: the symmetries of q-state pairs: %w", err)
	}
	return nil
}

// learnSoftmax learns the filter of q-state variables: a one-unit
// SoftmaxFilter with q hidden states trained at fixed norm 1 on ExactV, as
// ±1 filters are. The weights are centred over the hidden states
// (λ_{a,i,c} − mean_a λ_{a,i,c}: a shift common to all hidden states
// changes no probability), normalized to 1 and relabelled so that the
// uniform block of state c is most probably mapped to c (AlignStates). It
// returns the filter, its MI and I(V:E) under ExactV, and what it was
// learned on.
func (p *pipeline) learnSoftmax(ctx context.Context, ds *sample.Dataset) (*rsmi.SoftmaxFilter, float64, float64, *learnSet, error) {
	ls, err := p.exactV(ctx, ds, p.lat, p.seeds[seedPairs], p.seeds[seedExactV], "level0")
	if err != nil {
		return nil, 0, 0, nil, err
	}
	f, err := rsmi.NewSoftmaxFilter(1, ls.reg.NV(), p.states, p.states, rand.NewPCG(p.seeds[seedFilter], 3))
	if err != nil {
		return nil, 0, 0, nil, err
	}
	centreSoftmax(f)
	if _, err := p.train(ctx, ls.est, f, "level0"); err != nil {
		return nil, 0, 0, nil, err
	}
	centreSoftmax(f)
	scaleTo(f.W, 1)
	if err := f.AlignStates(); err != nil {
		return nil, 0, 0, nil, fmt.Errorf("exponent: the learned q-state filter: %w", err)
	}
	mi, err := ls.est.MI(f)
	if err != nil {
		return nil, 0, 0, nil, err
	}
	return f, mi, ls.est.VisibleMI(), ls, nil
}

// oracleCheck sets FilterExactMI and VisibleExactMI: the learned filter f's
// I(H:E) and I(V:E) under the exact oracle of the chains' model at the
// learning pairs (NaN if the chains do not expose their model).
func (p *pipeline) oracleCheck(ctx context.Context, ls *learnSet, f rsmi.Learnable) error {
	p.res.FilterExactMI, p.res.VisibleExactMI = math.NaN(), math.NaN()
	if p.model == nil {
		return nil
	}
	ex, err := rsmi.NewExactOracle(ctx, p.model, p.T, ls.reg, p.learnDS, &rsmi.OracleOptions{Positions: ls.positions, MaxPairs: ls.pairs.N,
		Progress: p.relay("checking (oracle)")})
	if err != nil {
		return fmt.Errorf("exponent: pipeline exact oracle: %w", err)
	}
	mi, err := ex.MI(f)
	if err != nil {
		return err
	}
	p.res.FilterExactMI, p.res.VisibleExactMI = mi, ex.VisibleMI()
	return nil
}

// centreSoftmax subtracts from every weight λ_{j,a,i,c} its mean over the
// hidden states a.
func centreSoftmax(f *rsmi.SoftmaxFilter) {
	qh, qv := len(f.States()), len(f.VStates)
	row := f.NV * qv
	for j := 0; j < f.NH; j++ {
		w := f.W[j*qh*row : (j+1)*qh*row]
		for k := 0; k < row; k++ {
			var m float64
			for a := range qh {
				m += w[a*row+k]
			}
			m /= float64(qh)
			for a := range qh {
				w[a*row+k] -= m
			}
		}
	}
}

// scaleTo scales w to the Euclidean norm n.
func scaleTo(w []float64, n float64) {
	var s float64
	for _, x := range w {
		s += x * x
	}
	s = n / math.Sqrt(s)
	for i := range w {
		w[i] *= s
	}
}

// softmaxRule returns the learned q-state rule of strength w: the
// direction λ̂ scaled to ‖λ‖ = w·√(|V|(q−1)), the norm of the centred soft
// plurality rule P(h = a|v) ∝ exp(w·n_a(v)), so that w is the weight per
// dof of a uniform filter (+Inf: the most probable state), averaged over
// S_q (rsmi.SymmetrizeStates) and the block's point group unless
// unsymmetrized.
func (p *pipeline) softmaxRule(f *rsmi.SoftmaxFilter, w float64, group [][]int) (rsmi.Rule, error) {
	g := f.Clone()
	var r rsmi.Rule = rsmi.MostProbable(g)
	if !math.IsInf(w, 1) {
		scaleTo(g.W, w*math.Sqrt(float64(p.nv*(len(p.states)-1))))
		r = g
	}
	if p.o.Unsymmetrized {
		return r, nil
	}
	perms, err := rsmi.StatePermutations(len(p.states))
	if err != nil {
		return nil, err
	}
	sym, err := rsmi.SymmetrizeStates(r, p.states, perms)
	if err != nil {
		return nil, err
	}
	return rsmi.Symmetrize(sym, group)
}
