package sample

import (
	"math/rand/v2"

	"github.com/rsmi-go/rsmi/lattice"
)

// Sampler is a Markov chain over configurations of a model. It owns its
// current configuration and advances it by Step.
//
// One Step is the sampler's natural unit of work, fixed in advance so that
// thinning by a schedule is unbiased: one sweep (Geometry().NumDOF()
// attempted single-dof updates) for Metropolis and HeatBath, one cluster for
// Wolff, one sweep of all bonds for SwendsenWang, one loop for DimerLoop.
type Sampler interface {
	// Step advances the chain by one update unit.
	Step()
	// Config returns the current configuration. The slice aliases the
	// sampler's state: it is valid until the next Step and must not be
	// modified.
	Config() []int8
	// Geometry returns the geometry of the configurations.
	Geometry() *lattice.Geometry
}

// Factory builds an independent chain driven by src. Collect calls it once
// per chain with a source derived deterministically from its master source.
type Factory func(src rand.Source) (Sampler, error)
