// Package rbm implements restricted Boltzmann machines (RBMs): training by
// contrastive divergence, exact and annealed-importance-sampling partition
// functions, and exact log-likelihoods.
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
// float32 with gonum's BLAS and allocates nothing per update.
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
// error, as it refuses a truncated or altered file. rsmi.Train and rg.Flow
// take the same CheckpointOptions. Cancelling the context stops Train within
// one mini-batch and AIS within a few million multiply-adds; the error wraps
// ctx.Err() and the last checkpoint stays valid. NaN or Inf parameters stop
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
//     machines, UTML TR 2010-003 (2010).
package rbm
