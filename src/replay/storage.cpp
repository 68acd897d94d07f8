#include "bellman/replay/storage.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "bellman/core/error.h"

namespace bellman {

namespace {

size_t RowBytes(DType dtype, const std::vector<int64_t>& shape, const char* what) {
  int64_t elements = 1;
  for (int64_t d : shape) {
    if (d < 1) {
      throw Error(
          fmt::format("ReplayStorage: {} shape has a dimension {}, expected >= 1", what, d));
    }
    elements *= d;
  }
  return static_cast<size_t>(elements) * DTypeSize(dtype);
}

// Copies n rows of row_bytes from src into the ring column dst (capacity rows) starting at row
// `pos`, in at most two memcpy calls (before and after the wrap).
void RingCopy(std::byte* dst, const void* src, size_t row_bytes, int64_t capacity, int64_t pos,
              int64_t n) {
  const auto* s = static_cast<const std::byte*>(src);
  while (n > 0) {
    const int64_t chunk = std::min(n, capacity - pos);
    std::memcpy(dst + static_cast<size_t>(pos) * row_bytes, s,
                static_cast<size_t>(chunk) * row_bytes);
    s += static_cast<size_t>(chunk) * row_bytes;
    n -= chunk;
    pos = 0;
  }
}

}  // namespace

ReplayStorage::ReplayStorage(int64_t capacity, const Space& observation_space,
                             const Space& action_space)
    : ReplayStorage(capacity, observation_space.dtype(), observation_space.shape(),
                    action_space.dtype(), action_space.shape()) {}

ReplayStorage::ReplayStorage(int64_t capacity, DType obs_dtype, std::vector<int64_t> obs_shape,
                             DType action_dtype, std::vector<int64_t> action_shape)
    : capacity_(capacity),
      obs_dtype_(obs_dtype),
      obs_shape_(std::move(obs_shape)),
      obs_bytes_(RowBytes(obs_dtype, obs_shape_, "observation")),
      action_dtype_(action_dtype),
      action_shape_(std::move(action_shape)),
      action_bytes_(RowBytes(action_dtype, action_shape_, "action")) {
  if (capacity < 1) {
    throw Error(fmt::format("ReplayStorage: capacity must be >= 1, got {}", capacity));
  }
  const auto rows = static_cast<size_t>(capacity);
  obs_.resize(rows * obs_bytes_);
  next_obs_.resize(rows * obs_bytes_);
  action_.resize(rows * action_bytes_);
  reward_.resize(rows);
  discount_.resize(rows);
  terminated_.resize(rows);
  truncated_.resize(rows);
}

int64_t ReplayStorage::Add(const TransitionRows& rows) {
  if (rows.n < 0) throw Error(fmt::format("ReplayStorage::Add: n must be >= 0, got {}", rows.n));
  if (rows.n == 0) return position_;
  if (!rows.obs || !rows.action || !rows.reward || !rows.next_obs || !rows.terminated) {
    throw Error(fmt::format(
        "ReplayStorage::Add: obs, action, reward, next_obs and terminated are required; missing "
        "{}",
        !rows.obs        ? "obs"
        : !rows.action   ? "action"
        : !rows.reward   ? "reward"
        : !rows.next_obs ? "next_obs"
                         : "terminated"));
  }
  if ((rows.final_obs == nullptr) != (rows.has_final_obs == nullptr)) {
    throw Error("ReplayStorage::Add: final_obs and has_final_obs go together; one is null");
  }
  if (rows.discount) {
    for (int64_t i = 0; i < rows.n; ++i) {
      const double d = rows.discount[i];
      if (!(d >= 0.0 && d <= 1.0)) {
        throw Error(
            fmt::format("ReplayStorage::Add: discount of row {} is {}, expected [0, 1]", i, d));
      }
    }
  } else if (!(rows.gamma >= 0.0 && rows.gamma <= 1.0)) {
    throw Error(fmt::format(
        "ReplayStorage::Add: without per-row discounts, gamma must be in [0, 1], got {}",
        rows.gamma));
  }

  const int64_t first = position_;
  const int64_t n = rows.n;
  RingCopy(obs_.data(), rows.obs, obs_bytes_, capacity_, first, n);
  RingCopy(next_obs_.data(), rows.next_obs, obs_bytes_, capacity_, first, n);
  RingCopy(action_.data(), rows.action, action_bytes_, capacity_, first, n);
  RingCopy(reinterpret_cast<std::byte*>(terminated_.data()), rows.terminated, 1, capacity_, first,
           n);
  if (rows.truncated) {
    RingCopy(reinterpret_cast<std::byte*>(truncated_.data()), rows.truncated, 1, capacity_, first,
             n);
  }
  const auto* final_obs = static_cast<const std::byte*>(rows.final_obs);
  int64_t pos = first;
  for (int64_t i = 0; i < n; ++i) {
    const auto p = static_cast<size_t>(pos);
    reward_[p] = static_cast<float>(rows.reward[i]);
    const double discount = rows.discount        ? rows.discount[i]
                            : rows.terminated[i] ? 0.0
                                                 : rows.gamma;
    discount_[p] = static_cast<float>(discount);
    if (!rows.truncated) truncated_[p] = 0;
    if (final_obs && rows.has_final_obs[i]) {
      std::memcpy(next_obs_.data() + p * obs_bytes_,
                  final_obs + static_cast<size_t>(i) * obs_bytes_, obs_bytes_);
    }
    if (++pos == capacity_) pos = 0;
  }
  position_ = pos;
  size_ = std::min(capacity_, size_ + n);
  return first;
}

void ReplayStorage::PrepareBatch(int64_t n, Batch& batch) const {
  batch.Resize(n, obs_dtype_, obs_shape_, obs_bytes_, action_dtype_, action_shape_, action_bytes_);
}

void ReplayStorage::Gather(Batch& batch) const {
  const int64_t n = batch.size();
  const int64_t* idx = batch.indices_data();
  std::byte* obs = batch.obs_data();
  std::byte* next_obs = batch.next_obs_data();
  std::byte* action = batch.action_data();
  float* reward = batch.reward_data();
  float* discount = batch.discount_data();
  uint8_t* terminated = batch.terminated_data();
  uint8_t* truncated = batch.truncated_data();
  for (int64_t j = 0; j < n; ++j) {
    const auto i = static_cast<size_t>(idx[j]);
    const auto r = static_cast<size_t>(j);
    std::memcpy(obs + r * obs_bytes_, obs_.data() + i * obs_bytes_, obs_bytes_);
    std::memcpy(next_obs + r * obs_bytes_, next_obs_.data() + i * obs_bytes_, obs_bytes_);
    std::memcpy(action + r * action_bytes_, action_.data() + i * action_bytes_, action_bytes_);
    reward[r] = reward_[i];
    discount[r] = discount_[i];
    terminated[r] = terminated_[i];
    truncated[r] = truncated_[i];
  }
}

void ReplayStorage::Clear() {
  size_ = 0;
  position_ = 0;
}

}  // namespace bellman
