#include "bellman/replay/sampler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>

#include "bellman/core/error.h"

namespace bellman {

namespace {

void CheckSample(int64_t n, const ReplayStorage& storage, const char* who) {
  if (n < 1) throw Error(fmt::format("{}::Sample: n must be >= 1, got {}", who, n));
  if (storage.size() == 0) {
    throw Error(fmt::format("{}::Sample: the replay storage is empty", who));
  }
}

}  // namespace

void UniformSampler::Sample(int64_t n, Rng& rng, Batch& batch) const {
  CheckSample(n, *storage_, "UniformSampler");
  storage_->PrepareBatch(n, batch);
  int64_t* idx = batch.indices_data();
  float* w = batch.weights_data();
  const int64_t size = storage_->size();
  for (int64_t j = 0; j < n; ++j) {
    idx[j] = rng.Integers(0, size);
    w[j] = 1.0f;
  }
  storage_->Gather(batch);
}

void PrioritizedConfig::Validate() const {
  if (!(std::isfinite(alpha) && alpha >= 0.0)) {
    throw Error(fmt::format("per.alpha must be a finite number >= 0, got {}", alpha));
  }
  if (!(beta0 >= 0.0 && beta0 <= 1.0)) {
    throw Error(fmt::format("per.beta0 must be in [0, 1], got {}", beta0));
  }
  if (beta_steps < 0) {
    throw Error(fmt::format("per.beta_steps must be >= 0 (0: fixed beta), got {}", beta_steps));
  }
  if (!(std::isfinite(eps) && eps > 0.0)) {
    throw Error(fmt::format("per.eps must be a finite number > 0, got {}", eps));
  }
}

PrioritizedSampler::PrioritizedSampler(const ReplayStorage& storage,
                                       const PrioritizedConfig& config)
    : storage_(&storage), config_(config), sum_(storage.capacity()), min_(storage.capacity()) {
  config_.Validate();
}

void PrioritizedSampler::SetLeaf(int64_t i, double value) {
  sum_.Set(i, value);
  min_.Set(i, value);
}

void PrioritizedSampler::OnAdd(int64_t first, int64_t n) {
  const int64_t capacity = storage_->capacity();
  if (first < 0 || first >= capacity || n < 0) {
    throw Error(fmt::format("PrioritizedSampler::OnAdd: rows {} + {} outside a capacity of {}",
                            first, n, capacity));
  }
  // More rows than capacity: only the last `capacity` of them are still in the storage.
  const int64_t count = std::min(n, capacity);
  int64_t i = (first + (n - count)) % capacity;
  for (int64_t j = 0; j < count; ++j) {
    SetLeaf(i, max_priority_);
    if (++i == capacity) i = 0;
  }
}

double PrioritizedSampler::beta() const {
  if (config_.beta_steps == 0) return config_.beta0;
  const double fraction = std::min(1.0, static_cast<double>(std::max<int64_t>(step_, 0)) /
                                            static_cast<double>(config_.beta_steps));
  return config_.beta0 + (1.0 - config_.beta0) * fraction;
}

void PrioritizedSampler::Sample(int64_t n, Rng& rng, Batch& batch) {
  CheckSample(n, *storage_, "PrioritizedSampler");
  storage_->PrepareBatch(n, batch);
  const auto rows = static_cast<size_t>(n);
  const std::span<int64_t> idx(batch.indices_data(), rows);
  float* w = batch.weights_data();
  const double total = sum_.Total();
  // Stratified sampling (appendix B.2.1): segment j covers [j, j + 1) * total / n, one uniform
  // draw in each, in order.
  const double segment = total / static_cast<double>(n);
  if (masses_.size() < rows) masses_.resize(rows);
  const std::span<double> masses(masses_.data(), rows);
  for (size_t j = 0; j < rows; ++j) masses[j] = (static_cast<double>(j) + rng.Random()) * segment;
  sum_.FindPrefixSums(masses, idx);
  // Schaul et al. 2016: P(i) = p_i^alpha / sum_k p_k^alpha (eq. 1), w_i = (N P(i))^-beta,
  // normalised by max_j w_j, which belongs to the smallest priority.
  const auto size = static_cast<double>(storage_->size());
  const double b = beta();
  const double max_weight = std::pow(size * (min_.Min() / total), -b);
  for (size_t j = 0; j < rows; ++j) {
    assert(idx[j] < storage_->size());
    const double p = sum_.Get(idx[j]) / total;
    w[j] = static_cast<float>(std::pow(size * p, -b) / max_weight);
  }
  storage_->Gather(batch);
}

template <typename T>
void PrioritizedSampler::Update(std::span<const int64_t> indices, std::span<const T> td_errors) {
  if (indices.size() != td_errors.size()) {
    throw Error(fmt::format(
        "PrioritizedSampler::UpdatePriorities: {} indices but {} td errors, expected as many",
        indices.size(), td_errors.size()));
  }
  const int64_t size = storage_->size();
  // Check everything first, so a bad entry leaves all priorities unchanged.
  for (size_t j = 0; j < indices.size(); ++j) {
    if (indices[j] < 0 || indices[j] >= size) {
      throw Error(
          fmt::format("PrioritizedSampler::UpdatePriorities: index {} (entry {}) outside [0, {})",
                      indices[j], j, size));
    }
    if (!std::isfinite(static_cast<double>(td_errors[j]))) {
      throw Error(
          fmt::format("PrioritizedSampler::UpdatePriorities: td error of index {} (entry {}) is {}",
                      indices[j], j, static_cast<double>(td_errors[j])));
    }
  }
  for (size_t j = 0; j < indices.size(); ++j) {
    const double p =
        std::pow(std::abs(static_cast<double>(td_errors[j])) + config_.eps, config_.alpha);
    SetLeaf(indices[j], p);
    max_priority_ = std::max(max_priority_, p);
  }
}

void PrioritizedSampler::UpdatePriorities(std::span<const int64_t> indices,
                                          std::span<const double> td_errors) {
  Update(indices, td_errors);
}

void PrioritizedSampler::UpdatePriorities(std::span<const int64_t> indices,
                                          std::span<const float> td_errors) {
  Update(indices, td_errors);
}

void PrioritizedSampler::Clear() {
  sum_.Clear();
  min_.Clear();
  max_priority_ = 1.0;
  step_ = 0;
}

}  // namespace bellman
