#include "bellman/replay/n_step.h"

#include <fmt/format.h>

#include <cstring>

#include "bellman/core/error.h"

namespace bellman {

NStepAccumulator::NStepAccumulator(int n_step, double gamma, size_t obs_bytes, size_t action_bytes)
    : n_step_(n_step), gamma_(gamma), obs_bytes_(obs_bytes), action_bytes_(action_bytes) {
  if (n_step < 1) throw Error(fmt::format("n_step must be >= 1, got {}", n_step));
  if (!(gamma >= 0.0 && gamma <= 1.0)) {
    throw Error(fmt::format("gamma must be in [0, 1], got {}", gamma));
  }
  const auto n = static_cast<size_t>(n_step);
  gamma_pow_.resize(n + 1);
  gamma_pow_[0] = 1.0;
  for (size_t k = 1; k <= n; ++k) gamma_pow_[k] = gamma_pow_[k - 1] * gamma;
  obs_.resize(n * obs_bytes);
  action_.resize(n * action_bytes);
  reward_.resize(n);
  out_obs_.resize(n * obs_bytes);
  out_action_.resize(n * action_bytes);
  out_next_obs_.resize(n * obs_bytes);
  out_reward_.resize(n);
  out_discount_.resize(n);
  out_terminated_.resize(n);
  out_truncated_.resize(n);
}

void NStepAccumulator::Emit(int j, int row, const void* next_obs, bool terminated, bool truncated) {
  const auto slot = static_cast<size_t>((head_ + j) % n_step_);
  const auto r = static_cast<size_t>(row);
  std::memcpy(out_obs_.data() + r * obs_bytes_, obs_.data() + slot * obs_bytes_, obs_bytes_);
  std::memcpy(out_action_.data() + r * action_bytes_, action_.data() + slot * action_bytes_,
              action_bytes_);
  std::memcpy(out_next_obs_.data() + r * obs_bytes_, next_obs, obs_bytes_);
  // R = sum_{k < m} gamma^k r_{t+k}, summed in order of k, for the m rewards this transition
  // has seen (m = n unless the episode ended first).
  const int m = count_ - j;
  double ret = 0.0;
  for (int k = 0; k < m; ++k) {
    ret += gamma_pow_[static_cast<size_t>(k)] *
           reward_[static_cast<size_t>((head_ + j + k) % n_step_)];
  }
  out_reward_[r] = ret;
  out_discount_[r] = terminated ? 0.0 : gamma_pow_[static_cast<size_t>(m)];
  out_terminated_[r] = terminated ? 1 : 0;
  out_truncated_[r] = truncated ? 1 : 0;
}

TransitionRows NStepAccumulator::Push(const void* obs, const void* action, double reward,
                                      const void* next_obs, bool terminated, bool truncated) {
  // Open a transition for this step in the next free slot (count_ < n_step_ between calls).
  const auto slot = static_cast<size_t>((head_ + count_) % n_step_);
  std::memcpy(obs_.data() + slot * obs_bytes_, obs, obs_bytes_);
  std::memcpy(action_.data() + slot * action_bytes_, action, action_bytes_);
  reward_[slot] = reward;
  ++count_;

  int emitted = 0;
  if (terminated || truncated) {
    // Episode end: every open transition is complete now, with the rewards it has.
    for (int j = 0; j < count_; ++j) Emit(j, emitted++, next_obs, terminated, truncated);
    head_ = 0;
    count_ = 0;
  } else if (count_ == n_step_) {
    // The oldest transition has its n rewards: bootstrap from s_{t+n} with gamma^n.
    Emit(0, emitted++, next_obs, false, false);
    head_ = (head_ + 1) % n_step_;
    --count_;
  }

  TransitionRows rows;
  rows.n = emitted;
  rows.obs = out_obs_.data();
  rows.action = out_action_.data();
  rows.reward = out_reward_.data();
  rows.next_obs = out_next_obs_.data();
  rows.terminated = out_terminated_.data();
  rows.truncated = out_truncated_.data();
  rows.discount = out_discount_.data();
  return rows;
}

TransitionRows NStepAccumulator::PushRow(const TransitionRows& rows, int64_t i) {
  const auto r = static_cast<size_t>(i);
  const auto* base = static_cast<const std::byte*>(
      rows.final_obs != nullptr && rows.has_final_obs[r] ? rows.final_obs : rows.next_obs);
  return Push(static_cast<const std::byte*>(rows.obs) + r * obs_bytes_,
              static_cast<const std::byte*>(rows.action) + r * action_bytes_, rows.reward[r],
              base + r * obs_bytes_, rows.terminated[r] != 0,
              rows.truncated != nullptr && rows.truncated[r] != 0);
}

}  // namespace bellman
