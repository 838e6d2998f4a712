// Package rbm implements restricted Boltzmann machines (RBMs) with binary
// ({0,1} or ±1) units (RBM) and with categorical q-state visible units
// (Categorical): training by contrastive divergence, exact and
// annealed-importance-sampling partition functions, and exact
// log-likelihoods.
//
// # Model
//
// An RBM couples nv visible units v and nh hidden units h, all taking values
// in {0,1} (Binary) or in {−1,+1} (Spin), through the energy
//
//	E(v,h) = −Σ_i b_i v_i − Σ_j c_j h_j − Σ_ij v_i W_ij h_j,
//	P(v,h) = exp(−E(v,h)) / Z,   Z = Σ_{v,h} exp(−E(v,h)).
//
// There are no couplings within a layer, so given one layer the units of
// the other are independent: with the pre-activation a_j = c_j + Σ_i v_i W_ij,
// P(h_j = 1 | v) = σ(a_j) for Binary units and P(h_j = +1 | v) = σ(2a_j) for
// Spin units (σ(x) = 1/(1+e^{−x})), and symmetrically for v given h. Block
// Gibbs sampling alternates the two layers (Gibbs, SampleHidden,
// SampleVisible). Summing out the hidden units gives the free energy
//
//	F(v) = −Σ_i b_i v_i − Σ_j log Σ_{h_j} exp(h_j a_j),   P(v) = exp(−F(v)) / Z,
//
// where log Σ_{h_j} exp(h_j a) is log(1+e^a) for Binary and log(2 cosh a)
// for Spin units (FreeEnergy). Its gradient is ∂F/∂W_ij = −v_i E[h_j|v],
// ∂F/∂b_i = −v_i, ∂F/∂c_j = −E[h_j|v] (FreeEnergyGrad).
//
// # Training
//
// The gradient of the average log-likelihood of data rows is
//
//	∂⟨log P(v)⟩/∂W_ij = ⟨v_i E[h_j|v]⟩_data − ⟨v_i h_j⟩_model.
//
// The model average is intractable; contrastive divergence CD-k (Hinton
// 2002) replaces it by samples obtained with k block-Gibbs steps started at
// the data of the mini-batch, and persistent contrastive divergence PCD
// (Tieleman 2008) keeps a set of "fantasy" chains running from one
// parameter update to the next, so that they approximate the model
// distribution as the parameters change slowly. Train implements both on
// mini-batches, with momentum, L2 weight decay and a decaying learning rate;
// with Persistent set, BatchSize chains, PCD-1 and the default learning
// rate it is the rule of scikit-learn's BernoulliRBM. Its arithmetic is
// float32 and allocates nothing per update; the products of an update run
// in register-blocked kernels with fused multiply-adds (AVX2 and FMA
// assembly on amd64 CPUs that have them, portable Go elsewhere). Every
// element of a product is computed in one fixed order of correctly
// rounded fused multiply-adds on both paths, so a seed gives the same bits
// with or without the assembly.
//
// # Partition function and likelihood
//
// LogZ sums one layer out analytically and enumerates the 2^m states of the
// smaller layer (m ≤ MaxExactUnits = 24) in Gray-code order, so that each
// state costs one row update. LogLikelihood is then exact. For larger models,
// AIS implements annealed importance sampling (Neal 2001) as applied to RBMs
// by Salakhutdinov & Murray (2008): runs start from exact samples of a
// factorized base-rate model and anneal the couplings through a sequence of
// intermediate distributions p_β, β: 0 → 1, accumulating importance weights
// whose mean estimates Z_RBM/Z_base, with a standard error from the spread
// of the weights.
//
// # Categorical visible units
//
// Categorical holds nv visible units v_i with q states each — the values of
// a sorted alphabet such as {0, 1, 2} for a 3-state Potts variable or
// {−1, 0, 1} for a spin-1 (Blume–Capel) variable, state index a = position
// in the alphabet — and nh binary hidden units h_j ∈ {0,1}. Writing the
// visible layer one-hot (a unit in state a is the vector e_a), the energy
// is that of a binary RBM whose visible units come in groups of q with
// exactly one unit on per group (softmax units: Salakhutdinov, Mnih &
// Hinton 2007; Welling, Rosen-Zvi & Hinton 2005):
//
//	E(v,h) = −Σ_i b_{i,v_i} − Σ_j c_j h_j − Σ_ij W_{i,v_i; j} h_j.
//
// The conditionals are P(h_j = 1 | v) = σ(c_j + Σ_i W_{i,v_i; j}) and the
// softmax P(v_i = a | h) = exp(b_{i,a} + Σ_j W_{i,a; j} h_j) / Σ_{a'} (same
// with a'), and the free energy is
//
//	F(v) = −Σ_i b_{i,v_i} − Σ_j log(1 + exp(c_j + Σ_i W_{i,v_i; j})).
//
// The marginal P(v) ∝ exp(−F(v)) is a q-state spin model: the fields
// b_{i,a} act on single units and each hidden unit generates couplings
// among all the units it sees; expanding log(1 + e^{c+x}) in x gives
// pairwise couplings J_{ik}(a,b) = σ'(c_j)·W_{i,a; j}W_{k,b; j} summed over
// j, plus higher-order terms — the form of Potts and Blume–Capel
// couplings, which is why such RBMs model Potts data (Tubiana, Cocco &
// Monasson 2019 use them for protein sequences with q = 21). For q = 2 and
// the alphabet {0,1} it is the Binary RBM (see Categorical for the
// mapping); the ±1 spin RBM maps to the alphabet {−1,+1} with doubled
// couplings, its free energy shifted by a constant.
//
// TrainCategorical is Train for this model, with the same options,
// progress, cancellation and checkpoints: the one-hot batches go through
// the same kernels and the negative phase samples each unit from its
// softmax. LogZ enumerates the smaller of the q^nv visible and 2^nh hidden
// state spaces (at most MaxExactStates states) in reflected q-ary
// Gray-code order, consecutive states differing in one unit by one state,
// so that each state costs one row update; the other layer is summed in
// closed form (Π_j (1 + e^{a_j}) given v, Π_i Σ_a e^{b_{i,a} + Σ_j W_{i,a; j} h_j}
// given h). AIS anneals from independent categorical units.
//
// Block serves estimators that enumerate a block B of visible units given
// the others (the exact-in-V mutual-information estimator for Potts blocks,
// where B is the block V and the other units its environment E): it
// tabulates Σ_{i∈B} W_{i,s_i; j} and Σ_{i∈B} b_{i,s_i} for all q^|B| block
// states s once, after which F(v_B = s, v_rest) for every s — and the exact
// conditional P(v_B | v_rest), the ratio of Boltzmann weights, for which Z
// cancels — costs one pass over the other units plus q^|B|·nh softplus
// evaluations. Block states are numbered s = Σ_k idx(v_{B_k})·q^k.
//
// # Storage
//
// WriteTo and Read store an RBM in a small versioned binary format with a
// CRC-32 checksum; truncated, altered or other-version input is an error.
//
// # Checkpoints and cancellation
//
// With TrainOptions.Checkpoint, Train saves its complete state (parameters,
// momentum buffers, persistent chains, generator states, epoch, data order)
// every Every epochs, atomically (temporary file, fsync, rename) in a
// versioned, CRC-32C-checksummed container; with Resume a new run continues
// from it and ends with the same parameters, bit for bit, as an
// uninterrupted run — also after the process was killed with SIGKILL. A run
// with other data, sizes, options or seed refuses the checkpoint with an
// error, as it refuses a truncated or altered file, and a run of another
// number of epochs refuses it with an error naming both. TrainCategorical
// checkpoints the same way; rsmi.Train and rg.Flow take the same
// run.Checkpoint. Cancelling the context stops Train within one Gibbs step
// of one mini-batch and AIS within a few million multiply-adds; the error
// wraps ctx.Err() and the last checkpoint stays valid. NaN or Inf parameters stop
// Train with an error naming the epoch and update.
//
// # References
//
//   - G. E. Hinton, Training products of experts by minimizing contrastive
//     divergence, Neural Computation 14, 1771 (2002).
//   - T. Tieleman, Training restricted Boltzmann machines using
//     approximations to the likelihood gradient, ICML (2008).
//   - R. Salakhutdinov and I. Murray, On the quantitative analysis of deep
//     belief networks, ICML (2008).
//   - R. M. Neal, Annealed importance sampling, Statistics and Computing 11,
//     125 (2001).
//   - G. E. Hinton, A practical guide to training restricted Boltzmann
//     machines, UTML TR 2010-003 (2010), section 13.1 (softmax units).
//   - M. Welling, M. Rosen-Zvi and G. E. Hinton, Exponential family
//     harmoniums with an application to information retrieval, NIPS 17
//     (2005).
//   - R. Salakhutdinov, A. Mnih and G. E. Hinton, Restricted Boltzmann
//     machines for collaborative filtering, ICML (2007).
//   - J. Tubiana, S. Cocco and R. Monasson, Learning protein constitutive
//     motifs from sequence data, eLife 8, e39397 (2019).
//   - S. Boldo and G. Melquiond, Emulation of a FMA and correctly rounded
//     sums: proved algorithms using rounding to odd, IEEE Trans. Comput.
//     57, 462 (2008).
package rbm
