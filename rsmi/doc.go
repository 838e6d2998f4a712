// Package rsmi implements Real-Space Mutual Information (RSMI)
// coarse-graining: it learns the renormalization-group transformation of a
// lattice system from samples, by maximizing the mutual information between
// the coarse variables of a block and the block's distant environment
// (M. Koch-Janusz and Z. Ringel, "Mutual information, neural networks and
// the renormalization group", Nature Physics 14, 578 (2018); the
// information-theoretic analysis in P. M. Lenggenhager, D. E. Gökmen,
// Z. Ringel, S. D. Huber and M. Koch-Janusz, Phys. Rev. X 10, 011037 (2020);
// the neural estimator RSMI-NE in D. E. Gökmen et al., Phys. Rev. Lett. 127,
// 240603 (2021)).
//
// # Regions and pairs
//
// A configuration is cut, at every block position, into the visible block
// V, a buffer B of width L_B around it and an environment shell E of width
// L_E beyond the buffer (Regions; Chebyshev distances on the periodic
// Geometry, so it works on chains, square and cubic lattices and on the
// doubled grid of dimers). The (V, E) pairs of a dataset travel as one
// value, Pairs: the values with their shape (N pairs of NV and NE dofs) and
// their alphabet States (nil for ±1 spins, as in sample.Dataset).
// Regions.Pairs cuts them at every block position of every sample
// (translation augmentation), PairsAt at chosen positions, and SpreadPairs
// subsamples them at random positions in every sample — over all samples,
// which matters for data of several Markov chains. Every estimator takes
// Pairs, and the exact oracle averages over the same (sample, position)
// pairs when given their positions.
//
// # The objective
//
// A filter Λ (Filter) maps the block to nh hidden ±1 variables H with
//
//	P_Λ(h_j|v) = exp(h_j x_j) / (2 cosh x_j),   x_j = Σ_i λ_ij v_i.
//
// For variables of any alphabet (Potts states, spin 1) SoftmaxFilter has
// hidden units of any number of states,
//
//	P_Λ(h_j = a|v) = softmax_a(Σ_i λ_{j,a,i,v_i} + b_{j,a}),
//
// of which Filter is the case of two states on ±1 spins. Both are
// Learnables: rules with a parameter vector that estimators differentiate
// and Train optimizes; users may write their own.
//
// RSMI chooses Λ to maximize I_Λ(H:E) = H(H) − H(H|E), with
// P(h|e) = Σ_v P_Λ(h|v) P(v|e): the coarse variables keep the part of the
// block's information that reaches the far environment — the long-range
// physics — and nothing else. The buffer keeps short-range correlations
// between the block's edge and its nearest neighbours out of the objective.
// By the data-processing inequality I_Λ(H:E) ≤ I(V:E).
//
// # What the physics does
//
// In the 1D Ising chain the Markov property makes the environment interact
// with the block only through its edge spins, so the best single coarse
// spin is a copy of one edge spin: decimation. With L_V = 2, L_B = 1,
// L_E = 2 the learned filter's most probable coarse spin equals one fixed
// block spin for all four block states, its MI equals exact decimation's
// (0.0399 and 0.3564 bit at K = 0.5 and 1) and beats equal weights (majority
// rule with coin-flip ties: 0.0350, 0.3471 bit); the larger weight keeps
// growing with training while the smaller stays near 0.5–1.
//
// In the 2D Ising model at T_c with a 2×2 block, the optimum at fixed ‖λ‖ is
// Kadanoff's block spin (equal weights); without the constraint the weights
// grow and the coarse spin tends to majority rule. Majority rule beats
// decimation by about 0.1 bit (0.605 against 0.501 bit on a 16×16 lattice
// at L_B = 1, L_E = 1); with nh = 4 each hidden unit couples to one spin and
// the MI reaches I(V:E). A wider buffer lowers every MI (majority rule
// 0.605, 0.557, 0.529 bit at L_B = 1, 2, 3).
//
// # Estimators
//
// Estimator gives I_Λ(H:E) in bits and its gradient in Λ; Train maximizes
// it with Adam (Kingma & Ba 2015), optionally at fixed ‖λ_j‖ (projected
// gradient ascent on the sphere) or with an L2 penalty, and TrainBest keeps
// the best of several training runs by their final (held-out) MI.
//
//   - Exact is exact given conditional distributions P(v|e) over all q^|V|
//     block states (q^|V| ≤ MaxBlockStates = 2^20: 20 ±1 spins, 12 dofs of
//     3 states; at most 2^MaxHidden = 4096 joint coarse states); the MI and
//     its analytic gradient cost two products of (environments × q^|V| ×
//     coarse states). The other enumerating estimators build an Exact.
//   - NewExactChain is the exact oracle of the 1D Ising chain: in zero field
//     the infinite chain's segment marginal is the open chain, enumerated
//     over all environments — no sampling at all.
//   - NewExactOracle is the exact oracle of any finite-range lattice.Model
//     in any dimension: an environment shell at least as wide as the
//     interaction range screens block and buffer from the rest, so
//     P(v|e) ∝ Σ_b exp(−H(v,b,e)/T) is computed by enumeration (a q-ary
//     Gray code over block and buffer), or for models of single-dof and
//     pair terms — pair-coupled Ising models, lattice.Potts, and users'
//     models that implement PairModel — by summing the buffer out dof by
//     dof (a transfer matrix over the frontier; for a 2×2 block about 20 µs
//     per Ising environment at L_B = 1, 0.3 ms at L_B = 2, 2.5 ms at L_B =
//     3, and about 0.2 ms per 3-state Potts environment at L_B = 1, where
//     enumerating would visit 3^16 configurations), and
//     I(H:E) is exact up to the sampling of E.
//   - ExactV is the first learned estimator: a Θ-RBM (package rbm) trained on
//     (V,E) pairs by contrastive divergence and fine-tuned on the exact
//     conditional likelihood models P(V,E); for |V| ≤ 20 P(v|e) is then
//     computed exactly by enumerating V, so the MI and its gradient are exact
//     given the model. Its error is the RBM's: within 0.005 bit of the exact
//     chain in 1D, about ±0.02 bit for 2D Ising blocks at L_B = 1. For
//     q-state dofs the Θ-RBM is categorical (rbm.Categorical: softmax
//     visible units, binary hidden ones) and V's q^|V| states are
//     enumerated: within 0.002 bit of the exact 3-state Potts chain, and
//     for 3-state Potts 2×2 blocks at T_c with 64 hidden units and the
//     block's symmetries as data augmentation (ExactVOptions.Symmetries)
//     within about 0.03 bit of the exact oracle (0.05 bit without them).
//   - RBMProxy and InfoNCE scale to blocks too large to enumerate (see below).
//
// # Rules
//
// Rule is the one notion of a block rule of the module: a conditional
// P(h|v) from the dofs of a block to coarse variables. Majority,
// Plurality, Decimation and the learned *Filter and *SoftmaxFilter are
// Rules; MostProbable, Symmetrize (the block's point group) and
// SymmetrizeStates (permutations of the states, StatePermutations for
// S_q) derive rules from rules, TabulateRule tabulates one for small
// blocks, and users implement their own. Exact.RuleMI scores any rule
// exactly, package rg applies rules to whole datasets, and rules encode
// themselves for checkpoints (RegisterRule, MarshalRule, UnmarshalRule).
//
// Block and coarse configurations are indexed alike: s = Σ_i idx(v_i)·q^i,
// idx the position of a value in the sorted alphabet of q values, so that
// for ±1 spins bit i of s is set where v_i = +1.
//
// In the 3-state Potts model at T_c (H = −Σ δ(σ_i, σ_j), 2×2 block,
// L_B = 1, L_E = 1, 16×16 lattice; TestPottsLearnedRule) plurality rule
// keeps 1.022 bit of I(V:E) = 1.268 bit, decimation 0.842. A learned filter
// with one 3-state hidden unit is plurality rule on all 63 block states
// with a unique plurality (up to the labels of its coarse states, which
// SoftmaxFilter.AlignStates fixes) and breaks the 18 two-against-two ties
// by a fixed preference, which keeps slightly more (1.028 bit, 1.029 for
// its most probable rule) than plurality's coin; averaged over S_3 and the
// square's point group it is plurality rule exactly, as majority rule is
// the symmetrized sharp Ising filter.
//
// # Blocks too large to enumerate
//
// When 2^|V| is out of reach (the dimer model's 8×8 doubled-grid block has
// 64 dofs), two estimators remain. RBMProxy is the paper's: a Θ-RBM for
// P(V,E) and a Ψ-RBM for P(V), trained by contrastive divergence; the
// first-cumulant proxy Ĩ_Λ = E_{h,e}[⟨ΔE⟩_v − ⟨ΔE⟩_{v|h}], with ΔE = F_Θ − F_Ψ
// and the average over V given H taken over reweighted Ψ samples; its
// gradient keeps the score-function term, without which the Λ-dependence
// cancels. Its value is a proxy, not the MI (about 2.7× the exact MI for the
// 1D chain), and it grows with ‖Λ‖, so train it with TrainOptions.Norm;
// RBMProxyOptions.LogMeanExp keeps the logarithms and estimates the MI
// instead. InfoNCE is RSMI-NE's (Gökmen, Ringel, Huber & Koch-Janusz, PRL
// 127, 240603 and PRE 104, 064106, 2021): a lower bound of at most log₂K bits
// (K the batch size) from a separable critic g(h)·u(e) of two small MLPs,
// with relaxed-Bernoulli hidden units whose temperature is annealed; its
// MIGrad is a joint training step of filter and critic under Train, and its
// MI is the bound on held-out pairs (0.02–0.03 bit below the exact MI for
// 2D Ising blocks). For dimers InfoNCE finds the two electric-field
// components; the RBM proxy does not.
//
// Users can validate their own settings (block, buffer, data size, RBM
// options) against the exact oracles before trusting a learned estimator.
//
// # Conventions
//
// The package follows the module's conventions (package run): long calls
// take a context first and return an error wrapping ctx.Err() when it is
// cancelled; required inputs are positional, among them the math/rand/v2
// source of every stochastic call (NewFilter, NewExactV, NewRBMProxy,
// NewInfoNCE, SpreadPairs); everything else is an *XxxOptions whose nil,
// and every zero field, means the default its field's comment states as
// "(default …)" (a test checks the comments against the code). Long calls
// report progress through Progress run.ProgressFunc with the stages
// "rsmi.Train", "rsmi.TrainBest", "rsmi.NewExactOracle" and "rsmi.ExactV: …",
// "rsmi.RBMProxy: …", and checkpoint through Checkpoint *run.Checkpoint:
// Train (and every run of TrainBest), ExactV's Θ-RBM training and its
// fine-tuning resume bit for bit, and refuse a checkpoint written for other
// inputs, options, seed or number of steps with an error naming the
// difference. Sizes chosen by the caller (block widths, numbers of steps,
// filter and critic sizes) are checked for overflow and against a memory
// budget before anything is allocated, and errors name the bad value.
//
// The same seed gives the same bytes whatever the number of goroutines:
// parallel sums run over fixed chunks (Exact's environments, the
// fine-tuning's lanes) reduced in a fixed order.
//
// # Variables with q states
//
// Dofs are flat int8 values of the alphabet a Model declares (its States):
// ±1 for Ising spins, 0…q−1 for Potts, −1, 0, 1 for spin 1; sample.Dataset
// and Pairs carry it as States (nil for ±1). Which parts take which
// variables:
//
//   - Regions (and Regions.Symmetries), Pairs, Exact, Exact.RuleMI and
//     VisibleMI, NewExactOracle (any finite-range Model), ExactV
//     (categorical Θ-RBM), InfoNCE (one-hot environments), Train and
//     TrainBest: any alphabet.
//   - SoftmaxFilter: any visible and hidden alphabets; Filter: ±1 visible
//     and hidden units only.
//   - Plurality, Decimation, MostProbable, Symmetrize, SymmetrizeStates,
//     TabulateRule: any alphabet; Majority: ±1.
//   - RBMProxy and NewExactChain: ±1 spins only.
//
// A value outside the declared alphabet, a block of more than
// MaxBlockStates configurations, and a rule or filter whose alphabet is not
// the data's are errors naming the values.
package rsmi
