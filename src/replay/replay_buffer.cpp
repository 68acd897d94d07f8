#include "bellman/replay/replay_buffer.h"

#include <fmt/format.h>

#include "bellman/core/error.h"
#include "bellman/replay/file.h"

namespace bellman {

void ReplayConfig::Validate() const {
  if (capacity < 1) throw Error(fmt::format("replay.capacity must be >= 1, got {}", capacity));
  if (n_step < 1) throw Error(fmt::format("replay.n_step must be >= 1, got {}", n_step));
  if (!(gamma >= 0.0 && gamma <= 1.0)) {
    throw Error(fmt::format("replay.gamma must be in [0, 1], got {}", gamma));
  }
  if (num_envs < 1) throw Error(fmt::format("replay.num_envs must be >= 1, got {}", num_envs));
  if (prioritized) per.Validate();
}

namespace {

const ReplayConfig& Validated(const ReplayConfig& c) {
  c.Validate();
  return c;
}

}  // namespace

ReplayBuffer::ReplayBuffer(const ReplayConfig& config, const Space& observation_space,
                           const Space& action_space)
    : config_(Validated(config)),
      storage_(config.capacity, observation_space, action_space),
      uniform_(storage_) {
  if (config_.prioritized) per_ = std::make_unique<PrioritizedSampler>(storage_, config_.per);
  if (config_.n_step > 1) {
    accumulators_.reserve(static_cast<size_t>(config_.num_envs));
    for (int e = 0; e < config_.num_envs; ++e) {
      accumulators_.emplace_back(config_.n_step, config_.gamma, storage_.obs_bytes(),
                                 storage_.action_bytes());
    }
  }
}

void ReplayBuffer::Added(int64_t first, int64_t n) {
  if (per_ && n > 0) per_->OnAdd(first, n);
}

void ReplayBuffer::AddTransitions(const TransitionRows& rows) {
  const int64_t first = storage_.Add(rows);
  Added(first, rows.n);
}

void ReplayBuffer::AddTransitions(const TransitionRows& rows, std::span<const float> td_errors) {
  if (!per_) throw Error("ReplayBuffer: initial priorities need a prioritized buffer");
  if (td_errors.size() != static_cast<size_t>(rows.n)) {
    throw Error(fmt::format("ReplayBuffer::AddTransitions: {} TD errors for {} rows",
                            td_errors.size(), rows.n));
  }
  const int64_t first = storage_.Add(rows);
  Added(first, rows.n);
  std::vector<int64_t> indices(static_cast<size_t>(rows.n));
  for (int64_t i = 0; i < rows.n; ++i) indices[static_cast<size_t>(i)] = (first + i) % capacity();
  per_->UpdatePriorities(indices, td_errors);
}

void ReplayBuffer::AddStep(const TransitionRows& rows, std::span<const int> env_ids) {
  if (rows.discount) {
    throw Error("ReplayBuffer::AddStep: rows.discount must be null (discounts come from gamma)");
  }
  if (!env_ids.empty() && env_ids.size() != static_cast<size_t>(rows.n)) {
    throw Error(
        fmt::format("ReplayBuffer::AddStep: {} env ids for {} rows", env_ids.size(), rows.n));
  }
  if (env_ids.empty() && rows.n != config_.num_envs) {
    throw Error(fmt::format("ReplayBuffer::AddStep: {} rows, expected one per env ({})", rows.n,
                            config_.num_envs));
  }
  for (int e : env_ids) {
    if (e < 0 || e >= config_.num_envs) {
      throw Error(
          fmt::format("ReplayBuffer::AddStep: env id {} outside [0, {})", e, config_.num_envs));
    }
  }
  if (config_.n_step == 1) {
    // 1-step transitions are complete as they come: one batched write.
    TransitionRows one = rows;
    one.gamma = config_.gamma;
    AddTransitions(one);
    return;
  }
  if (!rows.obs || !rows.action || !rows.reward || !rows.next_obs || !rows.terminated) {
    throw Error("ReplayBuffer::AddStep: obs, action, reward, next_obs and terminated are required");
  }
  if ((rows.final_obs == nullptr) != (rows.has_final_obs == nullptr)) {
    throw Error("ReplayBuffer::AddStep: final_obs and has_final_obs go together; one is null");
  }
  for (int64_t i = 0; i < rows.n; ++i) {
    const int env = env_ids.empty() ? static_cast<int>(i) : env_ids[static_cast<size_t>(i)];
    const TransitionRows ready = accumulators_[static_cast<size_t>(env)].PushRow(rows, i);
    if (ready.n > 0) AddTransitions(ready);
  }
}

void ReplayBuffer::Sample(int64_t n, Rng& rng, Batch& batch) {
  if (per_) {
    per_->Sample(n, rng, batch);
  } else {
    uniform_.Sample(n, rng, batch);
  }
}

void ReplayBuffer::UpdatePriorities(std::span<const int64_t> indices,
                                    std::span<const float> td_errors) {
  if (!per_) throw Error("ReplayBuffer::UpdatePriorities: this buffer is not prioritized");
  per_->UpdatePriorities(indices, td_errors);
}

void ReplayBuffer::UpdatePriorities(std::span<const int64_t> indices,
                                    std::span<const double> td_errors) {
  if (!per_) throw Error("ReplayBuffer::UpdatePriorities: this buffer is not prioritized");
  per_->UpdatePriorities(indices, td_errors);
}

void ReplayBuffer::set_step(int64_t step) {
  if (per_) per_->set_step(step);
}

void ReplayBuffer::Save(const std::string& path) const {
  SaveReplay(path, storage_, per_.get(), accumulators_);
}

void ReplayBuffer::Load(const std::string& path) {
  LoadReplay(path, storage_, per_.get(), accumulators_);
}

}  // namespace bellman
