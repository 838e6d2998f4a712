// Package rg performs real-space renormalization-group (RG) steps on
// configurations of lattice spin models.
//
// # Block-spin transformations
//
// Kadanoff's block-spin idea (Kadanoff 1966) replaces each block of b^d fine
// spins by a few coarse variables, so that the coarse configurations are
// distributed like those of a model with renormalized couplings K' = R(K)
// on the lattice b times smaller. Niemeijer and van Leeuwen (1974) made
// this a transformation of probability distributions by a conditional
// P(h|block): the coarse Hamiltonian H'(h) is defined by
// exp(H'(h)) = Σ_s P(h|s) exp(H(s)). The conditional of one block is an
// rsmi.Rule — the one rule interface of the module, which the exact oracle
// and the estimators of package rsmi score as well:
//
//   - rsmi.Majority{}: the sign of the block sum, ties broken by a fair
//     coin. The rule of Swendsen's Monte Carlo RG for the Ising model; a
//     sharp rule, for which the linearized flow converges in a few
//     operators.
//   - rsmi.Decimation{}: keep one spin per block. Exact in one dimension,
//     where the nearest-neighbour chain flows as K' = ½ ln cosh 2K (b = 2),
//     but in two and more dimensions it generates long-range couplings.
//   - A learned *rsmi.Filter Λ: the filter that maximizes the real-space
//     mutual information between the coarse variables and the block's
//     distant environment (Koch-Janusz and Ringel 2018; package rsmi),
//     applied stochastically, h ~ P_Λ(h|V), or as its most probable value,
//     rsmi.MostProbable(Λ).
//   - rsmi.Symmetrize(rule, lattice.BlockSymmetries(b, d)): a rule averaged
//     over the block's rotations and reflections. Unconstrained RSMI
//     training ends on majority rule with a tie-break fixed by unequal
//     weights, which breaks the square's symmetry; symmetrized, a sharp
//     2×2 filter is exactly majority rule with fair-coin ties, and MCRG
//     needs no anisotropic operators.
//
// Blocking tiles a periodic hypercubic lattice (any dimension, any block
// side b dividing every extent) with blocks whose dofs are passed to the
// rule in the order of rsmi.Regions' visible block: offsets from the block
// origin, x fastest. Coarsen applies one step to a whole sample.Dataset;
// small blocks use the rule tabulated over all block states
// (rsmi.TabulateRule), which has the rule's distribution but draws other
// random numbers than the rule's own Apply.
//
// # Effective couplings
//
// FitCouplings estimates the couplings K_α of a Hamiltonian
// H = −Σ_α K_α O_α (in units of the temperature) from configurations by
// maximum pseudo-likelihood (Besag 1975): it maximizes Σ_i log P(s_i | rest),
// which needs no partition function and is a consistent estimator. Applied
// to coarse data on an operator set (lattice.EvenOperators: nearest
// neighbour, next-nearest, plaquette, …) it measures the effective
// Hamiltonian after an RG step; Flow iterates RG steps and fits at every
// level, checkpointed and resumable, down to a smallest lattice side or
// until a level is too ordered to fit (FlowOptions.StopOnFitError).
//
// # References
//
//   - L. P. Kadanoff, Scaling laws for Ising models near T_c, Physics 2, 263 (1966).
//   - Th. Niemeijer and J. M. J. van Leeuwen, Wilson theory for 2-dimensional
//     Ising spin systems, Physica 71, 17 (1974).
//   - R. H. Swendsen, Monte Carlo renormalization group, Phys. Rev. Lett. 42,
//     859 (1979).
//   - J. Besag, Statistical analysis of non-lattice data, The Statistician 24,
//     179 (1975).
//   - M. Koch-Janusz and Z. Ringel, Mutual information, neural networks and
//     the renormalization group, Nature Physics 14, 578 (2018).
package rg
