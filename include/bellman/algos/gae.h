// Generalized Advantage Estimation (Schulman et al. 2016, eq. 16) over a step-major rollout of
// n_steps x num_envs rows, as Stable-Baselines3's RolloutBuffer computes it:
//   delta_t = r_t + gamma * V(s_{t+1}) * (1 - done_t) - V(s_t)
//   A_t     = delta_t + gamma * lambda * (1 - done_t) * A_{t+1},   returns_t = A_t + V(s_t)
// where done_t says that step t ended its episode (V(s_{t+1}) then belongs to the next episode
// and is masked; a truncated episode's bootstrap is already folded into r_t), and V(s_{n_steps})
// is last_values. Torch-free, float32 like SB3's buffers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace bellman::algos {

inline void ComputeGae(std::span<const float> rewards, std::span<const float> values,
                       std::span<const float> dones, std::span<const float> last_values,
                       int64_t n_steps, int64_t num_envs, float gamma, float lambda,
                       std::span<float> advantages, std::span<float> returns) {
  std::vector<float> last_gae(static_cast<size_t>(num_envs), 0.0f);
  for (int64_t t = n_steps - 1; t >= 0; --t) {
    for (int64_t i = 0; i < num_envs; ++i) {
      const auto k = static_cast<size_t>(t * num_envs + i);
      const float next_value = t == n_steps - 1 ? last_values[static_cast<size_t>(i)]
                                                : values[k + static_cast<size_t>(num_envs)];
      const float non_terminal = 1.0f - dones[k];
      const float delta = rewards[k] + gamma * next_value * non_terminal - values[k];
      float& g = last_gae[static_cast<size_t>(i)];
      g = delta + gamma * lambda * non_terminal * g;
      advantages[k] = g;
      returns[k] = g + values[k];
    }
  }
}

}  // namespace bellman::algos
