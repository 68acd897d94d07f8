#include "bellman/replay/batch.h"

#include <fmt/format.h>

#include <algorithm>

#include "bellman/core/error.h"

namespace bellman {

namespace {

// Grows v to at least n elements; never shrinks, so a later smaller batch reuses the memory.
template <typename V>
void Grow(V& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

void Batch::Resize(int64_t n, DType obs_dtype, const std::vector<int64_t>& obs_shape,
                   size_t obs_bytes, DType action_dtype, const std::vector<int64_t>& action_shape,
                   size_t action_bytes) {
  if (n < 0) throw Error(fmt::format("Batch: size must be >= 0, got {}", n));
  const auto rows = static_cast<size_t>(n);
  if (obs_bytes != obs_bytes_ || action_bytes != action_bytes_) {
    // A different row layout: the byte columns no longer line up with rows, start over.
    obs_.clear();
    next_obs_.clear();
    action_.clear();
  }
  obs_dtype_ = obs_dtype;
  action_dtype_ = action_dtype;
  if (obs_shape_ != obs_shape) obs_shape_ = obs_shape;
  if (action_shape_ != action_shape) action_shape_ = action_shape;
  obs_bytes_ = obs_bytes;
  action_bytes_ = action_bytes;
  Grow(obs_, rows * obs_bytes);
  Grow(next_obs_, rows * obs_bytes);
  Grow(action_, rows * action_bytes);
  Grow(reward_, rows);
  Grow(discount_, rows);
  Grow(weights_, rows);
  Grow(terminated_, rows);
  Grow(truncated_, rows);
  Grow(indices_, rows);
  size_ = n;
}

void Batch::CheckType(DType have, DType want, const char* column) {
  if (have != want) {
    throw Error(fmt::format("Batch: column '{}' holds {}, not {}", column, DTypeName(have),
                            DTypeName(want)));
  }
}

}  // namespace bellman
