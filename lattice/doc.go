// Package lattice says where the degrees of freedom of a classical lattice
// model sit and what a configuration costs.
//
// # Lattices and geometries
//
// A Lattice is a finite periodic hypercubic lattice (NewChain, NewSquare,
// NewCubic): sites with integer coordinates, x fastest, and a precomputed
// nearest-neighbour table for the hot loops of Monte Carlo samplers.
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
// more, so a user's own model (Potts, Blume–Capel, ANNNI, …) is a small type
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
// Dimer is the close-packed hard-core dimer model on the square torus, with
// the aligned-plaquette interaction of Alet et al., its electric field and
// winding numbers.
//
// References:
//   - L. Onsager, Phys. Rev. 65, 117 (1944).
//   - M. Koch-Janusz and Z. Ringel, Nature Physics 14, 578 (2018).
//   - F. Alet, J. L. Jacobsen, G. Misguich, V. Pasquier, F. Mila and M. Troyer,
//     Phys. Rev. Lett. 94, 235702 (2005).
package lattice
