package sample

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
)

// HeatBath is single-dof heat-bath (Gibbs) sampling for any lattice.Model at
// temperature T: dof i is redrawn from its conditional distribution given all
// other dofs,
//
//	P(x_i = v | rest) ∝ exp(−ΔE(v)/T),  ΔE(v) = DeltaE(x, i, v),
//
// over all of the model's States (forbidden values, ΔE = +Inf, get weight 0).
// For Ising spins this is Glauber dynamics: s_i flips with probability
// 1/(1 + exp(ΔE/T)).
//
// Step is one sweep of NumDOF updates: checkerboard order for the
// nearest-neighbour Ising fast path on lattices of dimension ≥ 2 with even
// extents (as Metropolis), sequential (typewriter) order dof 0, 1, …,
// NumDOF−1 otherwise. Unlike Metropolis, heat bath has no
// forced moves at finite T (every allowed value has positive conditional
// probability), so the sequential sweep is ergodic. It has the same fast paths
// as Metropolis (nearest-neighbour Ising via a table of 32-bit thresholds
// indexed by s_i·Σ_j s_j; other Ising models via LocalField), the same local
// xoshiro256** generator seeded from four draws of
// src, and the same random hot start (start models with forbidden
// configurations from an allowed one with SetConfig).
type HeatBath struct {
	siteChain
	w []float64 // per-state weights, preallocated
}

// NewHeatBath returns a heat-bath sampler for m at temperature T > 0.
func NewHeatBath(m lattice.Model, T float64, src rand.Source) (*HeatBath, error) {
	if err := checkArgs(m, T, src); err != nil {
		return nil, err
	}
	s := &HeatBath{siteChain: siteChain{model: m, temp: T}}
	if err := s.initCommon(m, src); err != nil {
		return nil, err
	}
	s.w = make([]float64, len(s.states))
	if is, ok := m.(*lattice.Ising); ok {
		s.ising = is
		if J, ok := nearestNeighborJ(is); ok {
			s.nn = newNNKernel(is.Lattice(), glauberFlip(J, T))
		}
	}
	return s, nil
}

// glauberFlip returns the heat-bath flip probability 1/(1+exp(ΔE/T)) as a
// function of σ = s_i·h_i (ΔE = 2Jσ).
func glauberFlip(J, T float64) func(sigma int) float64 {
	return func(sigma int) float64 { return 1 / (1 + math.Exp(2*J*float64(sigma)/T)) }
}

// Step performs one sweep (NumDOF heat-bath updates).
func (s *HeatBath) Step() {
	switch {
	case s.nn != nil:
		s.nn.sweep(s.x, &s.rng)
	case s.ising != nil:
		s.sweepIsingHB()
	default:
		s.sweepModelHB()
	}
}

func (s *HeatBath) sweepIsingHB() {
	x, is, beta := s.x, s.ising, 1/s.temp
	for i := range x {
		// P(s_i = +1) = 1/(1+exp(−2βh))
		h := is.LocalField(x, i)
		if s.rng.Float64()*(1+math.Exp(-2*beta*h)) < 1 {
			x[i] = 1
		} else {
			x[i] = -1
		}
	}
}

func (s *HeatBath) sweepModelHB() {
	x, m, st, w, beta := s.x, s.model, s.states, s.w, 1/s.temp
	for i := range x {
		// energies relative to the current value; shift by the minimum so
		// the largest weight is 1
		emin := 0.0
		for k, v := range st {
			var dE float64
			if v != x[i] {
				dE = m.DeltaE(x, i, v)
				if math.IsNaN(dE) {
					panic(fmt.Sprintf("sample: model DeltaE(x, %d, %d) is NaN", i, v))
				}
			}
			w[k] = dE
			emin = math.Min(emin, dE)
		}
		var sum float64
		for k := range w {
			w[k] = math.Exp(-(w[k] - emin) * beta)
			sum += w[k]
		}
		u := s.rng.Float64() * sum
		k, last := 0, 0
		for k = range w {
			if w[k] > 0 {
				last = k
			}
			u -= w[k]
			if u < 0 {
				break
			}
		}
		if w[k] == 0 { // round-off ran past the end: take the last allowed state
			k = last
		}
		x[i] = st[k]
	}
}

// Config returns the current configuration (aliasing the sampler's state).
func (s *HeatBath) Config() []int8 { return s.x }

// Geometry returns the model's geometry.
func (s *HeatBath) Geometry() *lattice.Geometry { return s.geom }

// Temperature returns T.
func (s *HeatBath) Temperature() float64 { return s.temp }

// SetConfig replaces the current configuration by a copy of x. It returns an
// error if x has the wrong length or a value outside the model's States.
func (s *HeatBath) SetConfig(x []int8) error { return setConfig(s.x, x, &s.index) }
