// Samplers: which storage rows go into a minibatch. They read a ReplayStorage they do not own
// (composition, as in Dopamine's replay memory), and every draw comes from the Rng passed in.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "bellman/core/rng.h"
#include "bellman/replay/batch.h"
#include "bellman/replay/storage.h"
#include "bellman/replay/sum_tree.h"

namespace bellman {

namespace detail {
class ReplayFileCodec;
}

// Uniform sampling with replacement (DQN, SB3, CleanRL): n draws of rng.Integers(0, size).
class UniformSampler {
 public:
  explicit UniformSampler(const ReplayStorage& storage) : storage_(&storage) {}

  // Fills `batch` with n rows; weights are 1. Throws bellman::Error for n < 1 or an empty
  // storage.
  void Sample(int64_t n, Rng& rng, Batch& batch) const;

 private:
  const ReplayStorage* storage_;
};

struct PrioritizedConfig {
  double alpha = 0.6;      // priority exponent, P(i) = p_i^alpha / sum_k p_k^alpha
  double beta0 = 0.4;      // importance-sampling exponent at step 0
  int64_t beta_steps = 0;  // beta goes linearly from beta0 to 1 over this many steps; 0: fixed
  double eps = 1e-6;       // p_i = |delta_i| + eps, so no transition gets probability 0
  // Throws bellman::Error naming the field: alpha >= 0, beta0 in [0, 1], beta_steps >= 0,
  // eps > 0, all finite.
  void Validate() const;
};

// Proportional prioritized replay (Schaul et al. 2016, section 3.3 and appendix B.2.1).
// Leaf i of the sum tree holds p_i^alpha; sampling is stratified: the total mass is split into
// n equal segments and one row is drawn uniformly within each. New rows get the largest
// priority seen so far, so every transition is replayed at least once with high probability.
class PrioritizedSampler {
 public:
  // The storage must outlive the sampler; Add rows through the storage, then call OnAdd.
  PrioritizedSampler(const ReplayStorage& storage, const PrioritizedConfig& config);

  // Gives rows first .. first + n - 1 (mod capacity), just written by ReplayStorage::Add, the
  // maximal priority. (ReplayBuffer calls this for you.)
  void OnAdd(int64_t first, int64_t n);

  // Stratified proportional sampling of n rows (with replacement across segments), with
  // importance weights w_i = (N * P(i))^-beta / max_j w_j at beta = beta() (N = storage size).
  // Throws bellman::Error for n < 1 or an empty storage. Not const: it uses a scratch array.
  void Sample(int64_t n, Rng& rng, Batch& batch);

  // p_i^alpha = (|td_error_i| + eps)^alpha for each sampled row. Throws bellman::Error for
  // mismatched lengths, an index outside [0, size) or a non-finite td error (naming it).
  void UpdatePriorities(std::span<const int64_t> indices, std::span<const double> td_errors);
  void UpdatePriorities(std::span<const int64_t> indices, std::span<const float> td_errors);

  // Annealing clock (the trainer passes env steps): beta = beta0 + (1 - beta0) *
  // min(1, step / beta_steps). Saved with the buffer.
  void set_step(int64_t step) { step_ = step; }
  int64_t step() const { return step_; }
  double beta() const;

  const PrioritizedConfig& config() const { return config_; }
  // p_i^alpha of row i (the sum tree's leaf), and the largest leaf value given so far.
  double priority(int64_t i) const { return sum_.Get(i); }
  double max_priority() const { return max_priority_; }
  double total_priority() const { return sum_.Total(); }
  // Forgets all priorities (after ReplayStorage::Clear).
  void Clear();

 private:
  friend class detail::ReplayFileCodec;
  template <typename T>
  void Update(std::span<const int64_t> indices, std::span<const T> td_errors);
  void SetLeaf(int64_t i, double value);

  const ReplayStorage* storage_;
  PrioritizedConfig config_;
  SumTree sum_;
  MinTree min_;
  double max_priority_ = 1.0;  // stored as p^alpha, initially 1 as in Schaul et al.
  int64_t step_ = 0;
  std::vector<double> masses_;  // Sample's scratch, reused
};

}  // namespace bellman
