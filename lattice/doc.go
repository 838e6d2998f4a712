// Package lattice says where the degrees of freedom of a classical lattice
// model sit and what a configuration costs.
//
// # Lattices and geometries
//
// A Lattice is a finite periodic hypercubic lattice (NewChain, NewSquare,
// NewCubic): sites with integer coordinates, x fastest, and a
// nearest-neighbour table for the hot loops of Monte Carlo samplers, built on
// first use. Lattices and geometries are limited to 2^30 sites; larger sizes
// are refused before anything is allocated.
//
// A Geometry lists the integer coordinates of every degree of freedom (dof)
// inside a periodic box. For spin models a dof is a site; for close-packed
// dimers a dof is a link, placed on the doubled grid (site (x,y) at (2x,2y),
// its right link at (2x+1,2y), its up link at (2x,2y+1)). Regions, blocks and
// coarse-graining downstream need only a Geometry and flat []int8
// configurations, so they work unchanged for spins and dimers.
//
// # Hamiltonians
//
// Model is the plug-in point for Hamiltonians: the allowed local states,
// Energy(x) and DeltaE(x, i, v). A configuration x has Boltzmann weight
// exp(−Energy(x)/T). The generic samplers of package sample need nothing
// more, so a user's own model (Blume–Capel, ANNNI, clock models, …) is a small type
// with three methods.
//
// Ising is the ±1 spin model with any set of translation-invariant
// spin-product couplings,
//
//	H(s) = −Σ_α J_α O_α(s),   O_α(s) = Σ_x Σ_{p ∈ α} Π_{δ ∈ p} s_{x+δ},
//
// where each Operator O_α is a sum over translations x of products of spins at
// fixed displacements δ, usually symmetrized over the lattice's point group
// (Symmetrized). NearestNeighbor, NextNearest, Plaquette and Field are the
// common ones; the same Operator type spans the effective Hamiltonians
// measured after renormalization-group steps and the operator sets of Monte
// Carlo RG. On the square lattice the nearest-neighbour model has its
// critical point at T_c = 2/ln(1+√2) ≈ 2.269185 J (Onsager 1944).
//
// Evaluator and PackedEvaluator compute many operators on many
// configurations. PackedEvaluator works on ±1 spins packed one bit per site
// (bit 1 for −1): a product of spins is (−1) to the XOR of their bits, so
// Σ_x Π_k s_{x+δ_k} = N − 2·popcount(⊕_k shift_{δ_k}(bits)), one XOR per
// factor and one popcount per 64 sites.
//
// On a torus of extent L an operator is the periodic image of the
// infinite-lattice one only if every pattern spans at most L/2 sites along
// each axis (the minimum-image convention): Operator.Validate refuses longer
// patterns, which would alias onto shorter-range operators, and every
// consumer (NewIsing, NewEvaluator, the fits of package rg) calls it. A span
// of exactly L/2 counts each such bond twice, as on a torus of width 2.
//
// Building a translation-invariant model costs memory independent of the
// lattice size (one bit per site aside): couplings are stored as patterns of
// displacements and applied by index arithmetic, with the few positions near
// the periodic boundary tabulated once per model (see Ising).
//
// Potts is the q-state Potts model (2 ≤ q ≤ MaxPottsStates = 127), states
// 0 … q−1, on any Lattice,
//
//	H(σ) = −J Σ_<ij> δ(σ_i, σ_j) − h Σ_i δ(σ_i, 0),
//
// whose order parameter is m = (1/N) Σ_i e^{2πiσ_i/q} (Magnetization). For
// q = 2 it is the Ising model at K_Ising = J/2 (δ(σ, σ') = (1 + s s')/2).
// On the square lattice the ferromagnet is self-dual, with its exact
// critical point at T_c = J/ln(1+√q) (PottsSquareTc: 0.994973 J for q = 3);
// the transition is continuous for q ≤ 4 and first order for q > 4. The
// exact 2D exponents (PottsExponents2D) are ν = 1, y_h = 15/8 for q = 2;
// ν = 5/6, y_h = 28/15 for q = 3; ν = 2/3, y_h = 15/8 for q = 4
// (with logarithmic corrections); the energy per site at T_c is
// −J(1 + 1/√q).
//
// The operators of q-state variables reuse Operator: a pattern is read as
// a cluster whose term is 1 where all its sites are in the same state (a
// product of δs) in the even sector, times φ(σ) = q·δ(σ, 0) − 1 of that
// state in the odd one (for q = 3, φ = 2cos(2πσ/3)): PottsEvenOperators,
// PottsOddOperators, Operator.PottsValue, and PottsEvaluator on one-hot
// bit planes (an AND per factor, a popcount per 64 sites and state).
//
// Dimer is the close-packed hard-core dimer model on the square torus, with
// the aligned-plaquette interaction of Alet et al., its electric field and
// winding numbers.
//
// References:
//   - L. Onsager, Phys. Rev. 65, 117 (1944).
//   - R. B. Potts, Proc. Camb. Phil. Soc. 48, 106 (1952).
//   - F. Y. Wu, Rev. Mod. Phys. 54, 235 (1982): the Potts model, review.
//   - R. J. Baxter, J. Phys. C 6, L445 (1973), and Exactly Solved Models in
//     Statistical Mechanics (Academic Press, 1982): T_c and the
//     critical energy; the first-order transition for q > 4.
//   - M. P. M. den Nijs, J. Phys. A 12, 1857 (1979); B. Nienhuis,
//     J. Phys. A 15, 199 (1982): the 2D Potts exponents.
//   - M. Koch-Janusz and Z. Ringel, Nature Physics 14, 578 (2018).
//   - F. Alet, J. L. Jacobsen, G. Misguich, V. Pasquier, F. Mila and M. Troyer,
//     Phys. Rev. Lett. 94, 235702 (2005).
package lattice
