package sample

import (
	"context"
	"errors"
	"fmt"
	"math"
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

// ReplicaSampler is a Sampler that runs several independent chains
// (replicas) of the same model in lock step: one Step advances every
// replica by one update unit. Config returns replica 0; Replica unpacks any
// of them. A collector may harvest all Replicas() configurations after each
// Step (Plan.Replicas), since the replicas are statistically independent
// chains. Multispin is one.
type ReplicaSampler interface {
	Sampler
	// Replicas returns the number of replicas.
	Replicas() int
	// Replica writes the current configuration of replica r into dst
	// (reallocated if its capacity is short of Geometry().NumDOF()) and
	// returns it. It panics if r is outside [0, Replicas()).
	Replica(r int, dst []int8) []int8
}

// States returns the values a dof takes, the model's States (Metropolis and
// HeatBath; Collect records them in Dataset.States). The caller must not
// modify the slice.
func (s *siteChain) States() []int8 { return s.states }

// States returns the Potts model's values 0 … q−1 (PottsWolff and
// PottsSwendsenWang; Collect records them in Dataset.States). The caller
// must not modify the slice.
func (c *pottsCluster) States() []int8 { return c.model.States() }

// PilotOptions configures PilotEvery. nil, and every zero field, asks for
// the defaults.
type PilotOptions struct {
	// Sweeps is the work between stored configurations, in sweeps of the
	// lattice (default 1).
	Sweeps float64
	// Warm is the number of pilot steps taken before measuring (default
	// 200).
	Warm int
	// Measure is the number of pilot steps measured (default 200).
	Measure int
}

// PilotEvery returns the Plan.Every that makes one thinning interval about
// opts.Sweeps sweeps of work for the chains newChain builds, choosing it
// before sampling from a pilot chain built with src, so that the schedule
// of the real chains is fixed in advance and unbiased (see Plan):
//
//   - a sampler whose step is one sweep (Metropolis, HeatBath,
//     SwendsenWang, Multispin) takes max(1, round(Sweeps)) steps and runs no
//     pilot;
//   - a cluster sampler with a method LastClusterSize() int (Wolff) runs
//     Warm + Measure steps and takes max(1, round(Sweeps·N·Measure/F))
//     steps, F being the number of dofs its last Measure steps flipped and
//     N the number of dofs: near T_c a Wolff cluster is a fraction of the
//     lattice, far below T_c nearly all of it;
//   - a sampler with a method SweepSteps() int (DimerLoop, whose loops
//     have a length measured during the pilot) runs Warm + Measure steps
//     and takes max(1, round(Sweeps·SweepSteps())) steps.
//
// ctx is checked every 64 pilot steps. PilotEvery returns an error for
// invalid options, an error of newChain, or a pilot that flipped nothing.
func PilotEvery(ctx context.Context, newChain Factory, src rand.Source, opts *PilotOptions) (int, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return 0, err
	}
	if newChain == nil || src == nil {
		return 0, errors.New("sample: PilotEvery needs a chain factory and a random source")
	}
	s, err := newChain(src)
	if err != nil {
		return 0, fmt.Errorf("sample: pilot chain: %w", err)
	}
	if s == nil {
		return 0, errors.New("sample: pilot chain: factory returned a nil sampler")
	}
	cluster, isCluster := s.(interface{ LastClusterSize() int })
	loop, isLoop := s.(interface{ SweepSteps() int })
	if !isCluster && !isLoop {
		return pilotSteps(o.Sweeps, o.Sweeps)
	}
	flipped := 0
	for i := range o.Warm + o.Measure {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, fmt.Errorf("sample: pilot run cancelled: %w", err)
			}
		}
		s.Step()
		if isCluster && i >= o.Warm {
			flipped += cluster.LastClusterSize()
		}
	}
	if !isCluster {
		return pilotSteps(o.Sweeps, o.Sweeps*float64(loop.SweepSteps()))
	}
	if flipped == 0 {
		return 0, fmt.Errorf("sample: the pilot run flipped no dof in %d steps", o.Measure)
	}
	n := float64(s.Geometry().NumDOF())
	return pilotSteps(o.Sweeps, o.Sweeps*n*float64(o.Measure)/float64(flipped))
}

// maxPilotSteps bounds the thinning interval PilotEvery returns (2^53, where
// float64 still counts steps exactly).
const maxPilotSteps = 1 << 53

// pilotSteps rounds the steps per stored sample to an int ≥ 1, or refuses a
// number of sweeps whose steps exceed maxPilotSteps (int(x) of a huge x is
// undefined: 1e300 sweeps once became 1 step).
func pilotSteps(sweeps, steps float64) (int, error) {
	if !(steps < maxPilotSteps) {
		return 0, fmt.Errorf("sample: PilotOptions.Sweeps = %v gives %g steps between stored samples, more than 2^53", sweeps, steps)
	}
	return max(1, int(math.Round(steps))), nil
}

// withDefaults validates the options and fills in the defaults.
func (opts *PilotOptions) withDefaults() (PilotOptions, error) {
	o := PilotOptions{Sweeps: 1, Warm: 200, Measure: 200}
	if opts == nil {
		return o, nil
	}
	switch {
	case math.IsNaN(opts.Sweeps) || math.IsInf(opts.Sweeps, 0) || opts.Sweeps < 0:
		return o, fmt.Errorf("sample: PilotOptions.Sweeps = %v, want a finite value > 0", opts.Sweeps)
	case opts.Warm < 0 || opts.Measure < 0:
		return o, fmt.Errorf("sample: PilotOptions.Warm = %d, Measure = %d, want ≥ 0", opts.Warm, opts.Measure)
	case opts.Warm > 1<<30 || opts.Measure > 1<<30:
		return o, fmt.Errorf("sample: PilotOptions.Warm = %d, Measure = %d, want at most 2^30 steps each", opts.Warm, opts.Measure)
	}
	if opts.Sweeps > 0 {
		o.Sweeps = opts.Sweeps
	}
	if opts.Warm > 0 {
		o.Warm = opts.Warm
	}
	if opts.Measure > 0 {
		o.Measure = opts.Measure
	}
	return o, nil
}
