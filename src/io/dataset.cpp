// Dataset in memory: columns over all episodes, checked as episodes are added.
#include "bellman/io/dataset.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstring>

#include "bellman/core/error.h"

namespace bellman::io {

namespace {

// The first non-finite element of n float rows, or -1.
template <typename T>
int64_t FirstNonFinite(const std::byte* data, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    T x;
    std::memcpy(&x, data + i * sizeof(T), sizeof(T));
    if (!std::isfinite(x)) return static_cast<int64_t>(i);
  }
  return -1;
}

int64_t FirstNonFiniteOf(const Space& space, std::span<const std::byte> bytes) {
  if (space.dtype() == DType::kFloat32) {
    return FirstNonFinite<float>(bytes.data(), bytes.size() / sizeof(float));
  }
  if (space.dtype() == DType::kFloat64) {
    return FirstNonFinite<double>(bytes.data(), bytes.size() / sizeof(double));
  }
  return -1;
}

}  // namespace

Dataset::Dataset(Space observation_space, Space action_space, DatasetMetadata metadata)
    : observation_space_(std::move(observation_space)),
      action_space_(std::move(action_space)),
      metadata_(std::move(metadata)) {
  if (action_space_.kind() != Space::Kind::kDiscrete && action_space_.kind() != Space::Kind::kBox) {
    throw Error(
        fmt::format("datasets hold Discrete or Box actions, got {}", action_space_.ToString()));
  }
}

void Dataset::AddEpisode(std::span<const std::byte> obs, std::span<const std::byte> actions,
                         std::span<const double> rewards, std::span<const uint8_t> terminations,
                         std::span<const uint8_t> truncations, std::optional<int64_t> seed) {
  const int64_t e = num_episodes();
  const size_t t = rewards.size();
  auto fail = [&](const std::string& what) { throw Error(fmt::format("episode {}: {}", e, what)); };
  if (t == 0) fail("has no steps");
  if (obs.size() != (t + 1) * obs_bytes()) {
    fail(fmt::format("observations has {} rows of {}, expected {} (steps + 1)",
                     obs.size() / std::max<size_t>(obs_bytes(), 1), observation_space_.ToString(),
                     t + 1));
  }
  if (actions.size() != t * action_bytes()) {
    fail(fmt::format("actions has {} rows, expected {} (one per step) of {}",
                     actions.size() / std::max<size_t>(action_bytes(), 1), t,
                     action_space_.ToString()));
  }
  if (terminations.size() != t || truncations.size() != t) {
    fail(fmt::format("terminations/truncations have {}/{} rows, expected {}", terminations.size(),
                     truncations.size(), t));
  }
  if (const int64_t i = FirstNonFiniteOf(observation_space_, obs); i >= 0) {
    fail(fmt::format("observations has NaN/Inf at row {}, element {}",
                     i / observation_space_.flat_size(), i % observation_space_.flat_size()));
  }
  if (const int64_t i = FirstNonFiniteOf(action_space_, actions); i >= 0) {
    fail(fmt::format("actions has NaN/Inf at row {}", i / action_space_.flat_size()));
  }
  for (size_t k = 0; k < t; ++k) {
    if (!std::isfinite(rewards[k])) fail(fmt::format("rewards has NaN/Inf at row {}", k));
    if (terminations[k] > 1 || truncations[k] > 1) {
      fail(fmt::format("terminations/truncations row {} is not 0 or 1", k));
    }
    if (!action_space_.Contains(actions.data() + k * action_bytes())) {
      std::string value;
      if (action_space_.kind() == Space::Kind::kDiscrete) {
        int64_t a;
        std::memcpy(&a, actions.data() + k * action_bytes(), sizeof a);
        value = std::to_string(a);
      } else {
        const float* a = reinterpret_cast<const float*>(actions.data() + k * action_bytes());
        value = fmt::format(
            "[{}]", fmt::join(std::span(a, static_cast<size_t>(action_space_.flat_size())), ", "));
      }
      fail(fmt::format("action {} at row {} is outside {}", value, k, action_space_.ToString()));
    }
  }
  first_.push_back(total_steps());
  steps_.push_back(static_cast<int64_t>(t));
  seeds_.push_back(seed);
  obs_.insert(obs_.end(), obs.begin(), obs.end());
  actions_.insert(actions_.end(), actions.begin(), actions.end());
  rewards_.insert(rewards_.end(), rewards.begin(), rewards.end());
  terminations_.insert(terminations_.end(), terminations.begin(), terminations.end());
  truncations_.insert(truncations_.end(), truncations.begin(), truncations.end());
}

std::vector<double> Dataset::episode_returns() const {
  std::vector<double> r;
  for (int64_t e = 0; e < num_episodes(); ++e) {
    double sum = 0.0;
    for (int64_t k = 0; k < steps(e); ++k) sum += rewards_[static_cast<size_t>(first_step(e) + k)];
    r.push_back(sum);
  }
  return r;
}

const std::byte* Dataset::obs_row_of_step(int64_t step) const {
  // Episodes before the one holding `step` each add one final-observation row.
  size_t lo = 0, hi = first_.size();
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    if (first_[mid] <= step) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return obs_.data() + static_cast<size_t>(step + static_cast<int64_t>(lo)) * obs_bytes();
}

double NormalizedScore(double episode_return, double ref_min, double ref_max) {
  return 100.0 * (episode_return - ref_min) / (ref_max - ref_min);
}

}  // namespace bellman::io
