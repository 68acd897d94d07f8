// ReplayBuffer: storage + sampler (uniform or prioritized) + one n-step accumulator per env,
// composed into what an off-policy trainer needs. Each part is usable on its own (storage.h,
// sampler.h, n_step.h); this class only wires them together and saves/loads them as one file.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bellman/core/rng.h"
#include "bellman/core/space.h"
#include "bellman/replay/batch.h"
#include "bellman/replay/n_step.h"
#include "bellman/replay/sampler.h"
#include "bellman/replay/storage.h"

namespace bellman {

struct ReplayConfig {
  int64_t capacity = 1'000'000;
  int n_step = 1;
  double gamma = 0.99;
  int num_envs = 1;          // one n-step accumulator per env
  bool prioritized = false;  // proportional PER instead of uniform sampling
  PrioritizedConfig per;     // used when prioritized

  template <class V>
  void Fields(V& v) {
    v("capacity", capacity);
    v("n_step", n_step);
    v("gamma", gamma);
    v("num_envs", num_envs);
    v("prioritized", prioritized);
    v("alpha", per.alpha);
    v("beta0", per.beta0);
    v("beta_steps", per.beta_steps);
    v("eps", per.eps);
  }
  // Throws bellman::Error naming the field ("replay.n_step must be >= 1, got 0").
  void Validate() const;
};

class ReplayBuffer {
 public:
  ReplayBuffer(const ReplayConfig& config, const Space& observation_space,
               const Space& action_space);
  ReplayBuffer(const ReplayBuffer&) = delete;
  ReplayBuffer& operator=(const ReplayBuffer&) = delete;

  // One vector-env step: row i is env i (or env env_ids[i] when given, for EnvPool's partial
  // batches). Rows go through each env's n-step accumulator (directly to storage for n_step 1);
  // rows.discount must be null (the accumulators compute it from gamma).
  void AddStep(const TransitionRows& rows, std::span<const int> env_ids = {});
  // Complete transitions (an offline dataset, a custom pipeline), bypassing the accumulators.
  void AddTransitions(const TransitionRows& rows);
  // The same with each row's |TD error| as its initial priority instead of the running maximum
  // (Ape-X: the actors compute them; Horgan et al. 2018). PER only (bellman::Error otherwise).
  void AddTransitions(const TransitionRows& rows, std::span<const float> td_errors);

  // A minibatch of n rows into `batch` (reused; no allocation after the first call).
  void Sample(int64_t n, Rng& rng, Batch& batch);
  // PER only (throws bellman::Error otherwise): new priorities from the batch's TD errors.
  void UpdatePriorities(std::span<const int64_t> indices, std::span<const float> td_errors);
  void UpdatePriorities(std::span<const int64_t> indices, std::span<const double> td_errors);
  // PER's beta-annealing clock (no-op for uniform sampling).
  void set_step(int64_t step);

  int64_t size() const { return storage_.size(); }
  int64_t capacity() const { return storage_.capacity(); }
  bool prioritized() const { return per_ != nullptr; }
  const ReplayConfig& config() const { return config_; }
  const ReplayStorage& storage() const { return storage_; }
  const PrioritizedSampler* per() const { return per_.get(); }
  // Env `env`'s n-step accumulator (only when n_step > 1; 1-step rows skip accumulation).
  const NStepAccumulator& accumulator(int env) const {
    return accumulators_[static_cast<size_t>(env)];
  }

  // SaveReplay/LoadReplay (file.h) of the storage, priorities and accumulators.
  void Save(const std::string& path) const;
  void Load(const std::string& path);

 private:
  void Added(int64_t first, int64_t n);

  ReplayConfig config_;
  ReplayStorage storage_;
  UniformSampler uniform_;
  std::unique_ptr<PrioritizedSampler> per_;
  std::vector<NStepAccumulator> accumulators_;
};

}  // namespace bellman
