// NStepAccumulator: n-step returns for one environment (Sutton & Barto 2018, section 7.1; the
// "multi-step learning" of Hessel et al. 2018, eq. 2). Vector envs use one accumulator per env.
//
// Each step (s_t, a_t, r_t, s_{t+1}) opens a transition; once n rewards have arrived it is
// emitted as (s_t, a_t, R, s_{t+n}, discount = gamma^n) with R = sum_{k<n} gamma^k r_{t+k}.
// At an episode end every open transition is emitted at once, with the rewards it has (k < n):
// - terminated: R is cut there, discount 0 and terminated = 1 (no bootstrap from a terminal
//   state);
// - truncated (and not terminated): next_obs is the final observation, terminated = 0,
//   truncated = 1, discount = gamma^k, so the learner bootstraps from the state where the time
//   limit stopped the episode.
// The learner's target is then reward + discount * max_a Q(next_obs, a) for every row, which
// equals reward + discount * (1 - terminated) * max_a Q(next_obs, a).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bellman/replay/storage.h"

namespace bellman {

namespace detail {
class ReplayFileCodec;
}

class NStepAccumulator {
 public:
  // Throws bellman::Error for n_step < 1 or gamma outside [0, 1].
  NStepAccumulator(int n_step, double gamma, size_t obs_bytes, size_t action_bytes);

  // One step of this env: obs s_t, action a_t, reward r_t, next_obs s_{t+1} (the final
  // observation when the episode ended), terminated, truncated. Returns the transitions that
  // became complete (0 to n rows, oldest first), as rows with a per-row discount; the arrays
  // belong to the accumulator and stay valid until the next Push/Clear.
  TransitionRows Push(const void* obs, const void* action, double reward, const void* next_obs,
                      bool terminated, bool truncated);

  // Push of row i of a vector-env step (its final observation where the episode ended there;
  // rows.truncated may be null). Sizes as this accumulator's.
  TransitionRows PushRow(const TransitionRows& rows, int64_t i);

  // Drops the open transitions (when an episode is abandoned without terminated/truncated).
  void Clear() { count_ = 0; }

  int n_step() const { return n_step_; }
  double gamma() const { return gamma_; }
  int pending() const { return count_; }  // open transitions, < n_step between calls
  size_t obs_bytes() const { return obs_bytes_; }
  size_t action_bytes() const { return action_bytes_; }

 private:
  friend class detail::ReplayFileCodec;
  // Moves the open transition at ring slot (head_ + j) % n to output row `row` with the rewards
  // j .. count_-1, then bootstraps with gamma^(count_-j) unless `terminated`.
  void Emit(int j, int row, const void* next_obs, bool terminated, bool truncated);

  int n_step_;
  double gamma_;
  size_t obs_bytes_, action_bytes_;
  std::vector<double> gamma_pow_;  // gamma^k for k = 0..n, by repeated multiplication
  // Ring of the open transitions: slot (head_ + j) % n_step_ for j < count_, oldest first.
  int head_ = 0, count_ = 0;
  std::vector<std::byte> obs_, action_;
  std::vector<double> reward_;
  // Output rows of the last Push.
  std::vector<std::byte> out_obs_, out_action_, out_next_obs_;
  std::vector<double> out_reward_, out_discount_;
  std::vector<uint8_t> out_terminated_, out_truncated_;
};

}  // namespace bellman
