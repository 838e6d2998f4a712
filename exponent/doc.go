// Package exponent extracts universal numbers — critical exponents — from
// renormalization-group flows of Monte Carlo data.
//
// # Monte Carlo renormalization group
//
// Near a fixed point K* of an RG transformation R with scale factor b, the
// couplings flow linearly, δK^(n) = T δK^(n−1) with T_αβ = ∂K^(n)_α/∂K^(n−1)_β,
// and the eigenvalues λ_i = b^{y_i} of T give the RG eigenvalues y_i. The
// relevant thermal eigenvalue gives the correlation-length exponent ν = 1/y_t,
// the magnetic one the anomalous dimension η = d + 2 − 2y_h.
//
// Swendsen (1979) showed that T can be measured without knowing the
// couplings: with the Hamiltonian H^(n) = Σ_α K^(n)_α S^(n)_α of level n
// (S_α translation-invariant spin-product operators, package lattice) the
// chain rule for ∂<S^(n)_γ>/∂K^(n−1)_β reads
//
//	<S^(n)_γ S^(n−1)_β>_c = Σ_α <S^(n)_γ S^(n)_α>_c T_αβ,   i.e. T = A⁻¹B,
//
// where <XY>_c = <XY> − <X><Y> and both correlation matrices are measured on
// the same configurations coarse-grained n−1 and n times. The matrix A must
// be the one of level n (the coarser level); pairing B with level n−1 gives
// nonsense (y_t < 0 for the 2D Ising model). MCRG does this for the even and
// the odd operators separately (they do not mix in a spin-flip symmetric
// model), for every truncation to the first k operators so that truncation
// effects are visible, and at every level so that the approach to the fixed
// point is visible, with jackknife errors over blocks of configurations.
// The transformation must be sharp (majority rule, a well-trained RSMI
// filter): with decimation in d ≥ 2 the fixed point is far from short-range
// Hamiltonians and the truncated T converges poorly.
//
// For the 2D Ising model with the 2×2 majority rule at K_c on a 32×32 torus
// and four operators per sector, level 2 gives y_t = 0.99(1) and
// y_h = 1.875(1), against the exact 1 and 15/8.
//
// MCRGStream computes the same moments without holding the data: it takes
// configurations in order, one batch at a time, coarse-grains each with one
// or several rules and keeps, per rule, level and jackknife block, only
// Σ S, Σ S Sᵀ and Σ S S'ᵀ. Operators on ±1 spins are integers (Σ_x of
// products of ±1), so these sums are accumulated exactly in 128-bit integers:
// the result does not depend on the order of summation (batches, threads),
// and the connected correlations <XY> − <X><Y> are formed from exact sums,
// free of the cancellation that a float accumulation of raw moments
// suffers. Operators are evaluated on bit planes (lattice.PackedEvaluator),
// a hundred times faster than a loop over sites. MCRG is one stream over a
// Dataset.
//
// # From a Hamiltonian to its exponents: Pipeline
//
// Pipeline runs the whole method in one call for any System (a lattice and
// a chain factory per size and temperature; IsingSystem for the Ising
// model): it learns the RSMI filter of a 2^d block at fixed norm, turns its
// direction into symmetrized rules of several strengths w (RSMI fixes the
// direction of the coarse-graining, not its sharpness: the mutual
// information grows monotonically with w), streams sharded samples at L and
// L/b through MCRGStream with all of them and majority rule at once, and
// reports y_t, y_h, ν and η per rule and level with jackknife errors. Each
// estimate comes with a systematic error by a rule fixed in advance
// (EstimateY): the matched level drift (Swendsen's comparison of level n on
// L with level n−1 on L/b, which cancels the finite-size part), the
// finite-size change at fixed level and the truncation change, in
// quadrature. The learned estimate of each exponent is the learned strength
// with the smallest total error — the rule's sharpness is chosen by how well
// the RG converges across levels, sizes and operator counts, never by a
// known answer. Every stage is checkpointed; no configuration is held
// beyond one shard per worker.
//
// # q-state variables: the Potts model
//
// MCRG, MCRGStream and Pipeline also take q-state variables, values
// 0 … q−1 (MCRGOptions.States, or the dataset's States; PottsSystem for
// the ferromagnetic q-state Potts model, whose chains declare their
// states). What each part takes:
//
//   - operators: lattice.PottsEvenOperators (clusters of equal states:
//     Σ δ(σ_i, σ_j) over nn, next-nn, … pairs, the three and four corners
//     of a square) and lattice.PottsOddOperators (the order parameter
//     φ(σ) = q·δ(σ, 0) − 1 — for q = 3 φ = 2cos(2πσ/3), twice the real part
//     of e^{2πiσ/3} — alone and carried by those clusters). They are
//     integers, so the moments stay exact, and evaluated on one-hot bit
//     planes (lattice.PottsEvaluator). Only the component of φ along state 0
//     is used: for an S_q-symmetric ensemble and rule the correlations of
//     every pair of odd operators have the same S_q tensor structure, so
//     T = A⁻¹B is the same for any component (see lattice's Potts
//     operators);
//   - rules: any rule mapping blocks of the states to one variable of the
//     same states — rsmi.Plurality, a q-state rsmi.SoftmaxFilter, their
//     MostProbable and symmetrized forms — tabulated over the q^(b^d) block
//     states (81 for a 2×2 block of three states);
//   - Pipeline: from samples alone, as for ±1 spins: the filter is a
//     SoftmaxFilter with q hidden states, learned at fixed norm on ExactV
//     (a categorical Θ-RBM, 64 hidden units by default, trained with the
//     block's point group × S_q as data augmentation); if the chains expose
//     their model (ModelChain, as PottsSystem's do) the learned filter's MI
//     is checked against the exact oracle at the same pairs
//     (rsmi.NewExactOracle; PipelineResult.FilterExactMI), and nothing else
//     uses the model, so q-state Data are accepted too; the rules of
//     strength w, P(h = a|v) ∝ exp(w·n_a(v)) for a uniform filter, are
//     averaged over S_q (rsmi.SymmetrizeStates) and the block's point
//     group; the baseline is plurality rule; flows (FlowT) and the filters
//     of deeper levels are ±1 only. With q = 2 the q-state path reproduces
//     the ±1 path's eigenvalues exactly (a test).
//
// Measured with examples/potts at its defaults (seed 1) for the 2D 3-state
// Potts model at L = 128 (200,000 + 200,000 configurations), the filter
// learned on ExactV (I(H:E) = 0.1775 bit, the exact oracle's at the same
// pairs 0.1775): ν = 0.8427 ± 0.0021 (stat) ± 0.0084 (sys) and y_h =
// 1.86599 ± 0.00038 ± 0.00082 from the learned rules (w = 3 and sharp),
// plurality ν = 0.8448 ± 0.0023 ± 0.0076 and y_h = 1.86582 ± 0.00039 ±
// 0.00109 (exact 5/6 and 28/15).
//
// Measured with examples/rgflow at its defaults (seed 1): in 2D at L = 128
// (200,000 + 200,000 configurations) the sharp learned rule gives ν =
// 1.0005 ± 0.0026 (stat) ± 0.0050 (sys) and y_h = 1.87452 ± 0.00019 ±
// 0.00045 (exact 1 and 15/8); the soft rules converge more slowly in 2D and
// are not chosen. In 3D at L = 64 the choice falls on soft rules, w ≈ 0.45
// for y_t and w ≈ 0.6 for y_h, whose level drifts change sign there: the
// README gives the figures.
//
// # Data collapse
//
// Collapse is a second, independent estimate in the spirit of
// Koch-Janusz and Ringel (2018): an observable Q measured after n RG steps
// from systems at several temperatures T near T_c depends, near the fixed
// point, only on the scaled distance x = (T − T_c)·b^{n/ν}; Collapse chooses
// T_c and ν so that the curves of all levels fall onto one (the quality
// measure of Houdayer and Hartmann 2004).
//
// # References
//
//   - R. H. Swendsen, Monte Carlo renormalization group, Phys. Rev. Lett. 42,
//     859 (1979).
//   - R. H. Swendsen, Monte Carlo calculation of renormalized coupling
//     parameters, Phys. Rev. Lett. 52, 1165 (1984).
//   - L. P. Kadanoff, Scaling laws for Ising models near T_c, Physics 2, 263 (1966).
//   - Th. Niemeijer and J. M. J. van Leeuwen, Wilson theory for 2-dimensional
//     Ising spin systems, Physica 71, 17 (1974).
//   - J. Houdayer and A. K. Hartmann, Low-temperature behavior of
//     two-dimensional Gaussian Ising spin glasses, Phys. Rev. B 70, 014418 (2004).
//   - M. Koch-Janusz and Z. Ringel, Mutual information, neural networks and
//     the renormalization group, Nature Physics 14, 578 (2018).
package exponent
