// ReplayStorage: the transitions themselves, as a fixed-capacity ring buffer of columns.
//
// One column per field (obs, action, reward, discount, next_obs, terminated, truncated), each a
// single array of capacity rows allocated once: adding N rows is a few memcpy calls, sampling is
// a gather, and there is no heap object per transition. Samplers (sampler.h) decide which rows to
// read; the n-step accumulator (n_step.h) decides what a row holds. See docs/replay.md.
//
// next_obs is its own column rather than "the obs of row i + 1": that is correct across episode
// ends (the final observation of a truncated episode is not the next row's obs) and with vector
// envs (consecutive rows come from different envs), at the price of storing every observation
// twice. For small observations (classic control, MuJoCo) that costs little; for image
// observations a frame-index layout would halve memory, and it is not what this class does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "bellman/core/space.h"
#include "bellman/replay/batch.h"

namespace bellman {

namespace detail {
class ReplayFileCodec;
}

// N transitions as contiguous arrays, row i of each array describing transition i. The pointers
// are borrowed for the duration of the call that takes them.
struct TransitionRows {
  int64_t n = 0;
  const void* obs = nullptr;            // [n, obs...] in the observation dtype
  const void* action = nullptr;         // [n, action...]: int64 (Discrete) or float32 (Box)
  const double* reward = nullptr;       // [n]; stored as float32
  const void* next_obs = nullptr;       // [n, obs...]
  const uint8_t* terminated = nullptr;  // [n]
  const uint8_t* truncated = nullptr;   // [n]; null: all 0
  // Vector-env same-step autoreset (vector_env.h): where has_final_obs[i] is 1, next_obs row i
  // is the first observation of the next episode, and the true next observation is final_obs
  // row i. Both null, or both set.
  const void* final_obs = nullptr;
  const uint8_t* has_final_obs = nullptr;
  // The effective discount of each row (what NStepAccumulator emits: gamma^k, or 0 after a
  // termination). When null, every row is a 1-step transition: discount = gamma, or 0 where
  // terminated[i] is 1.
  const double* discount = nullptr;
  double gamma = -1.0;
};

class ReplayStorage {
 public:
  // Columns typed by the spaces: obs as the observation space's dtype/shape, action as the
  // action space's (int64 scalar for Discrete, float32[act_dim] for Box). Throws bellman::Error
  // for capacity < 1.
  ReplayStorage(int64_t capacity, const Space& observation_space, const Space& action_space);
  ReplayStorage(int64_t capacity, DType obs_dtype, std::vector<int64_t> obs_shape,
                DType action_dtype, std::vector<int64_t> action_shape);

  // Writes rows.n rows at the write position, wrapping around and overwriting the oldest rows
  // once full. Returns the storage index of the first row written; row j went to
  // (first + j) % capacity(). Throws bellman::Error for missing arrays or a discount (or gamma)
  // outside [0, 1].
  int64_t Add(const TransitionRows& rows);

  // Copies the rows batch.indices()[0..batch.size()) into the batch's columns. The batch must
  // have been Resize()d for this storage (PrepareBatch does it).
  void Gather(Batch& batch) const;
  // batch.Resize(n, ...) with this storage's row layout.
  void PrepareBatch(int64_t n, Batch& batch) const;

  int64_t capacity() const { return capacity_; }
  int64_t size() const { return size_; }          // rows holding data, <= capacity
  int64_t position() const { return position_; }  // where the next row goes
  bool full() const { return size_ == capacity_; }
  // Drops all rows (capacity and memory stay).
  void Clear();

  DType obs_dtype() const { return obs_dtype_; }
  const std::vector<int64_t>& obs_shape() const { return obs_shape_; }
  size_t obs_bytes() const { return obs_bytes_; }
  DType action_dtype() const { return action_dtype_; }
  const std::vector<int64_t>& action_shape() const { return action_shape_; }
  size_t action_bytes() const { return action_bytes_; }

  // Row i of each column (i < size()), for tests and inspection.
  const std::byte* obs_row(int64_t i) const { return obs_.data() + Offset(i, obs_bytes_); }
  const std::byte* next_obs_row(int64_t i) const {
    return next_obs_.data() + Offset(i, obs_bytes_);
  }
  const std::byte* action_row(int64_t i) const { return action_.data() + Offset(i, action_bytes_); }
  float reward(int64_t i) const { return reward_[static_cast<size_t>(i)]; }
  float discount(int64_t i) const { return discount_[static_cast<size_t>(i)]; }
  uint8_t terminated(int64_t i) const { return terminated_[static_cast<size_t>(i)]; }
  uint8_t truncated(int64_t i) const { return truncated_[static_cast<size_t>(i)]; }

 private:
  friend class detail::ReplayFileCodec;
  static size_t Offset(int64_t i, size_t row_bytes) { return static_cast<size_t>(i) * row_bytes; }

  int64_t capacity_;
  int64_t size_ = 0;
  int64_t position_ = 0;
  DType obs_dtype_;
  std::vector<int64_t> obs_shape_;
  size_t obs_bytes_;
  DType action_dtype_;
  std::vector<int64_t> action_shape_;
  size_t action_bytes_;
  std::vector<std::byte> obs_, next_obs_, action_;
  std::vector<float> reward_, discount_;
  std::vector<uint8_t> terminated_, truncated_;
};

}  // namespace bellman
