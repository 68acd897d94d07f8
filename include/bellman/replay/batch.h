// Batch: one sampled minibatch as contiguous host arrays, reused across Sample calls.
//
// Every column is one contiguous array with `size()` rows, so an algorithm wraps each as a tensor
// without a copy (torch::from_blob on the *_data() pointers). The arrays only grow: after the
// first Sample of a given size, sampling again allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "bellman/core/space.h"

namespace bellman {

class Batch {
 public:
  Batch() = default;

  // Makes room for n rows laid out as a storage with these row types (called by the samplers).
  // Allocates only when n exceeds every earlier size or the row layout changes.
  void Resize(int64_t n, DType obs_dtype, const std::vector<int64_t>& obs_shape, size_t obs_bytes,
              DType action_dtype, const std::vector<int64_t>& action_shape, size_t action_bytes);

  int64_t size() const { return size_; }

  // Row layout (shape of one row; a [size(), shape...] tensor is the whole column).
  DType obs_dtype() const { return obs_dtype_; }
  const std::vector<int64_t>& obs_shape() const { return obs_shape_; }
  size_t obs_bytes() const { return obs_bytes_; }
  DType action_dtype() const { return action_dtype_; }
  const std::vector<int64_t>& action_shape() const { return action_shape_; }
  size_t action_bytes() const { return action_bytes_; }

  // Typed views; throw bellman::Error when T does not match the column's dtype.
  template <typename T>
  std::span<const T> obs() const {
    CheckType(obs_dtype_, DTypeOf<T>(), "obs");
    return {reinterpret_cast<const T*>(obs_.data()), Elements(obs_bytes_, sizeof(T))};
  }
  template <typename T>
  std::span<const T> next_obs() const {
    CheckType(obs_dtype_, DTypeOf<T>(), "next_obs");
    return {reinterpret_cast<const T*>(next_obs_.data()), Elements(obs_bytes_, sizeof(T))};
  }
  template <typename T>
  std::span<const T> action() const {
    CheckType(action_dtype_, DTypeOf<T>(), "action");
    return {reinterpret_cast<const T*>(action_.data()), Elements(action_bytes_, sizeof(T))};
  }
  std::span<const float> reward() const { return {reward_.data(), Rows()}; }
  // Effective discount of each row: gamma^k for a transition that bootstraps after k rewards,
  // 0 for one that ends in a terminal state. The TD target is reward + discount * max Q(next_obs).
  std::span<const float> discount() const { return {discount_.data(), Rows()}; }
  std::span<const uint8_t> terminated() const { return {terminated_.data(), Rows()}; }
  std::span<const uint8_t> truncated() const { return {truncated_.data(), Rows()}; }
  // Storage row of each sample (pass back to PrioritizedSampler::UpdatePriorities).
  std::span<const int64_t> indices() const { return {indices_.data(), Rows()}; }
  // Importance-sampling weights (1 for uniform sampling).
  std::span<const float> weights() const { return {weights_.data(), Rows()}; }

  // Raw pointers for torch::from_blob (which takes void*) and for the samplers that fill them.
  std::byte* obs_data() { return obs_.data(); }
  std::byte* next_obs_data() { return next_obs_.data(); }
  std::byte* action_data() { return action_.data(); }
  float* reward_data() { return reward_.data(); }
  float* discount_data() { return discount_.data(); }
  uint8_t* terminated_data() { return terminated_.data(); }
  uint8_t* truncated_data() { return truncated_.data(); }
  int64_t* indices_data() { return indices_.data(); }
  float* weights_data() { return weights_.data(); }
  const std::byte* obs_data() const { return obs_.data(); }
  const std::byte* next_obs_data() const { return next_obs_.data(); }
  const std::byte* action_data() const { return action_.data(); }

 private:
  static void CheckType(DType have, DType want, const char* column);
  size_t Rows() const { return static_cast<size_t>(size_); }
  size_t Elements(size_t row_bytes, size_t elem) const { return Rows() * row_bytes / elem; }

  int64_t size_ = 0;
  DType obs_dtype_ = DType::kFloat32;
  std::vector<int64_t> obs_shape_;
  size_t obs_bytes_ = 0;
  DType action_dtype_ = DType::kInt64;
  std::vector<int64_t> action_shape_;
  size_t action_bytes_ = 0;
  // Sized to the largest n seen so far; only the first size() rows are meaningful.
  std::vector<std::byte> obs_, next_obs_, action_;
  std::vector<float> reward_, discount_, weights_;
  std::vector<uint8_t> terminated_, truncated_;
  std::vector<int64_t> indices_;
};

}  // namespace bellman
