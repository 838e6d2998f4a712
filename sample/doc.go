// Package sample draws configurations of lattice models by Markov chain Monte
// Carlo, stores them as datasets, and estimates statistical errors of
// averages over correlated samples.
//
// # Markov chain Monte Carlo
//
// A model (lattice.Model) assigns every configuration x an energy E(x); at
// temperature T configurations occur with the Boltzmann weight
// π(x) ∝ exp(−E(x)/T). A Markov chain with transition probabilities
// P(x→y) samples π if it is ergodic (every configuration reachable) and
// leaves π invariant; the samplers here satisfy the stronger detailed balance
//
//	π(x) P(x→y) = π(y) P(y→x).
//
// Successive configurations of a chain are correlated. A chain must first be
// run for a burn-in period to forget its initial configuration, and averages
// of n correlated measurements have variance 2τ_int·σ²/n rather than σ²/n,
// where τ_int is the integrated autocorrelation time (see TauInt).
//
// # Samplers
//
// Every sampler implements Sampler: Step advances the chain by one update
// unit fixed in advance, Config returns the current configuration (a flat
// []int8, x fastest), Geometry says where the degrees of freedom sit. Each
// takes a math/rand/v2 rand.Source; seed it for reproducible runs.
//
//   - Metropolis: single-dof Metropolis updates for any lattice.Model; a
//     step is one sweep.
//   - HeatBath: single-dof heat-bath (Gibbs) updates for any lattice.Model;
//     a step is one sweep.
//   - Wolff: single-cluster updates for ferromagnetic Ising pair couplings
//     (Wolff 1989); a step is one cluster. Nearly free of critical slowing
//     down.
//   - SwendsenWang: multi-cluster updates for ferromagnetic Ising pair
//     couplings (Swendsen & Wang 1987); a step is one sweep of all bonds.
//   - PottsWolff, PottsSwendsenWang: the same two cluster algorithms for
//     the ferromagnetic q-state Potts model (lattice.Potts) on any lattice,
//     through the Fortuin–Kasteleyn representation: bonds between equal
//     neighbours are activated with probability 1 − exp(−J/T); a Wolff
//     cluster is recoloured to a uniformly drawn different state, every
//     Swendsen–Wang cluster to a uniformly drawn state.
//   - MSC: multi-spin-coded Metropolis for one chain of the
//     nearest-neighbour Ising ferromagnet (2D, 3D, even extents), 64 sites
//     of one checkerboard sublattice in the bits of a word (Jacobs and
//     Rebbi); a step is one sweep, several times faster than Metropolis,
//     and a sweep can be shared among goroutines (MSC.SetWorkers).
//   - Multispin: multi-spin-coded Metropolis for the nearest-neighbour Ising
//     model, 64 independent replicas in the bits of a word (a ReplicaSampler).
//   - DimerLoop: directed-loop (worm) updates for close-packed dimers,
//     ergodic across winding sectors; a step is one loop.
//
// # Validation
//
// Every sampler is checked against exact results with fixed seeds, within
// 4 standard errors (binning errors for means, block jackknife for
// specific heats and cumulant ratios). For Ising models: enumeration of
// small tori, Kaufman's finite-size solution of the square lattice, the
// periodic chain. For the q-state Potts model (lattice.Potts), the two
// Potts cluster samplers and the generic Metropolis and HeatBath are
// compared with exact enumeration — the 3-state model on the 4×4 torus
// (3^16 states, itself checked against the row-to-row transfer matrix)
// below, at and above T_c = 1/ln(1+√3), on 3×3 at T_c, on the 2×2×2 cube
// and on a chain, q = 4 at its T_c — for the energy, the specific heat,
// ⟨|m|²⟩, ⟨|m|⁴⟩ and their ratio with m = (1/N) Σ_i e^{2πiσ_i/q}; at q = 2
// the cluster samplers reproduce the exact Ising model at K = J/2.
//
// # Collecting datasets
//
// Collect runs several independent chains on goroutines according to a Plan
// (burn-in, a fixed thinning interval, samples per chain) and returns a
// Dataset: n samples × d degrees of freedom of int8 in one contiguous slice,
// with the lattice.Geometry of the dofs. Each chain's random stream is derived
// from one master source before any chain starts and results are merged in
// chain order, so a seed determines the dataset byte for byte whatever the
// number of CPUs. With Plan.Replicas a ReplicaSampler contributes all its
// replicas at every stored step. PilotEvery chooses the thinning interval of
// a cluster or loop sampler, whose step is not a sweep, from a pilot run
// before sampling, so that the schedule stays fixed in advance.
//
// For more samples than one machine makes, run shards of a job anywhere
// (each with the master source ShardSource(seed, k), distinct for every
// shard k) and join their datasets with Merge, which refuses mismatched
// geometries.
//
// Datasets move to and from Python as NumPy .npy files (Dataset.WriteNPY,
// ReadNPY, SaveDataset, LoadDataset), with the geometry in a JSON sidecar
// file. In Python:
//
//	import numpy as np
//	x = np.load("ising.npy")   # int8, shape (n, L, L) for an L×L lattice
//
// # Statistics
//
// Mean, BinningError (the error of the mean from a binning analysis),
// TauInt (the integrated autocorrelation time with Sokal's automatic
// window), and Jackknife (errors of nonlinear functions of averages, e.g.
// susceptibilities, Binder cumulants or MCRG eigenvalues).
//
// # References
//
//   - A. D. Sokal, "Monte Carlo Methods in Statistical Mechanics: Foundations
//     and New Algorithms", in Functional Integration, NATO ASI Series B 361
//     (Plenum, 1997): autocorrelation times, automatic windowing.
//   - N. Madras and A. D. Sokal, J. Stat. Phys. 50, 109 (1988): the error of
//     τ_int.
//   - U. Wolff, Phys. Rev. Lett. 62, 361 (1989): the single-cluster algorithm.
//   - R. H. Swendsen and J.-S. Wang, Phys. Rev. Lett. 58, 86 (1987): the
//     multi-cluster algorithm.
//   - C. M. Fortuin and P. W. Kasteleyn, Physica 57, 536 (1972); R. G.
//     Edwards and A. D. Sokal, Phys. Rev. D 38, 2009 (1988): the
//     random-cluster representation behind the Potts cluster algorithms.
//   - F. Y. Wu, Rev. Mod. Phys. 54, 235 (1982): the Potts model.
//   - M. E. J. Newman and G. T. Barkema, Monte Carlo Methods in Statistical
//     Physics (Oxford, 1999): Metropolis, heat bath, cluster algorithms,
//     binning and jackknife error analysis.
//   - H. Flyvbjerg and H. G. Petersen, J. Chem. Phys. 91, 461 (1989): the
//     blocking (binning) method.
//   - B. Efron, The Jackknife, the Bootstrap and Other Resampling Plans (SIAM,
//     1982).
package sample
