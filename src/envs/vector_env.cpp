#include "bellman/envs/vector_env.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "bellman/core/error.h"
#include "bellman/envs/registry.h"

namespace bellman {

namespace {
constexpr std::align_val_t kBufferAlign{64};
}  // namespace

AlignedBytes::AlignedBytes(size_t n) : size_(n) {
  // At least one byte so that data() is never null (from_blob and memcpy want a pointer).
  std::byte* p = static_cast<std::byte*>(::operator new[](n == 0 ? 1 : n, kBufferAlign));
  std::memset(p, 0, n);
  data_.reset(p);
}

void AlignedBytes::Free::operator()(std::byte* p) const { ::operator delete[](p, kBufferAlign); }

std::vector<std::unique_ptr<Env>> MakeEnvs(const std::string& id, int num_envs, const EnvArgs& args,
                                           const char* kind) {
  if (num_envs <= 0) {
    throw Error(fmt::format("{}({}): num_envs must be >= 1, got {}", kind, id, num_envs));
  }
  std::vector<std::unique_ptr<Env>> envs;
  envs.reserve(static_cast<size_t>(num_envs));
  for (int i = 0; i < num_envs; ++i) envs.push_back(MakeEnv(id, args));
  return envs;
}

VecEnv::VecEnv(std::vector<std::unique_ptr<Env>> envs, const char* kind)
    : envs_(std::move(envs)), kind_(kind), num_envs_(static_cast<int>(envs_.size())) {
  if (envs_.empty()) {
    throw Error(fmt::format("{}: num_envs must be >= 1, got 0 envs", kind_));
  }
  for (size_t i = 0; i < envs_.size(); ++i) {
    if (!envs_[i]) throw Error(fmt::format("{}: env {} is null", kind_, i));
  }
  spec_ = envs_[0]->spec();
  // Every row must have the same layout: check the spaces of all envs against env 0's.
  const std::string obs_space = spec_.observation_space.ToString();
  const std::string act_space = spec_.action_space.ToString();
  for (size_t i = 1; i < envs_.size(); ++i) {
    const EnvSpec& s = envs_[i]->spec();
    if (s.observation_space.ToString() != obs_space || s.action_space.ToString() != act_space) {
      throw Error(fmt::format(
          "{}: env {} ({}) has spaces {} / {}, but env 0 ({}) has {} / {}; all envs of a vector "
          "env need the same observation and action spaces",
          kind_, i, s.id, s.observation_space.ToString(), s.action_space.ToString(), spec_.id,
          obs_space, act_space));
    }
  }
  obs_bytes_ = spec_.observation_space.byte_size();
  action_bytes_ = spec_.action_space.byte_size();
  const size_t n = envs_.size();
  obs_ = AlignedBytes(n * obs_bytes_);
  final_obs_ = AlignedBytes(n * obs_bytes_);
  rewards_ = AlignedArray<double>(n);
  terminated_ = AlignedArray<uint8_t>(n);
  truncated_ = AlignedArray<uint8_t>(n);
  has_final_obs_ = AlignedArray<uint8_t>(n);
  running_return_ = AlignedArray<double>(n);
  episode_return_ = AlignedArray<double>(n);
  running_length_ = AlignedArray<int64_t>(n);
  episode_length_ = AlignedArray<int64_t>(n);
  all_env_ids_.resize(n);
  for (size_t i = 0; i < n; ++i) all_env_ids_[i] = static_cast<int>(i);
}

VecEnv::~VecEnv() = default;

std::string VecEnv::Name() const { return fmt::format("{}({})", kind_, spec_.id); }

Error VecEnv::EnvFailure(int i, const char* op, const std::string& what) const {
  return Error(
      fmt::format("{}: env {} failed in {}: {}; Reset() the vector env before stepping "
                  "again",
                  Name(), i, op, what));
}

const Env& VecEnv::env(int i) const {
  if (i < 0 || i >= num_envs_) {
    throw Error(fmt::format("{}: env index {} is out of range [0, {})", Name(), i, num_envs_));
  }
  return *envs_[static_cast<size_t>(i)];
}

void VecEnv::CheckObsType(DType dtype) const {
  if (dtype != spec_.observation_space.dtype()) {
    throw Error(fmt::format("{}: observations are {} ({}), not {}", Name(),
                            DTypeName(spec_.observation_space.dtype()),
                            spec_.observation_space.ToString(), DTypeName(dtype)));
  }
}

void VecEnv::CheckActions(DType dtype, size_t count, size_t rows, const char* op) const {
  const Space& as = spec_.action_space;
  if (dtype != as.dtype()) {
    throw Error(fmt::format("{}: {}() got {} actions, but the action space {} takes {}", Name(), op,
                            DTypeName(dtype), as.ToString(), DTypeName(as.dtype())));
  }
  const size_t per_env = static_cast<size_t>(as.flat_size());
  if (count != rows * per_env) {
    throw Error(fmt::format("{}: {}() got {} action values, expected {} ({} envs x {} {} for {})",
                            Name(), op, count, rows * per_env, rows, per_env, DTypeName(as.dtype()),
                            as.ToString()));
  }
}

void VecEnv::CheckCanStep() const {
  if (!ready_) {
    throw Error(fmt::format(
        "{}: Step() called before Reset(seed) (or after an env failed); call Reset(seed) first",
        Name()));
  }
}

void VecEnv::Reset(uint64_t seed) {
  ResetAll(seed);  // clears ready_ if an env throws
  ready_ = true;
}

void VecEnv::Step(std::span<const int64_t> actions) {
  StepChecked(DType::kInt64, actions.data(), actions.size());
}

void VecEnv::Step(std::span<const float> actions) {
  StepChecked(DType::kFloat32, actions.data(), actions.size());
}

void VecEnv::StepChecked(DType dtype, const void* data, size_t count) {
  CheckCanStep();
  CheckActions(dtype, count, static_cast<size_t>(num_envs_), "Step");
  StepAll(static_cast<const std::byte*>(data));
}

VecEnvBatch VecEnv::batch() const {
  VecEnvBatch b;
  b.size = num_envs_;
  b.env_ids = all_env_ids_.data();
  b.obs = obs_.data();
  b.rewards = rewards_.data();
  b.terminated = terminated_.data();
  b.truncated = truncated_.data();
  b.final_obs = final_obs_.data();
  b.has_final_obs = has_final_obs_.data();
  b.episode_return = episode_return_.data();
  b.episode_length = episode_length_.data();
  return b;
}

void VecEnv::ResetEnv(int i, std::optional<uint64_t> seed) {
  const size_t k = static_cast<size_t>(i);
  envs_[k]->Reset(seed, obs_row(i));
  rewards_[k] = 0.0;
  terminated_[k] = 0;
  truncated_[k] = 0;
  has_final_obs_[k] = 0;
  running_return_[k] = 0.0;
  running_length_[k] = 0;
}

// Steps env i and writes everything but its flags; returns the flags as bit 0 terminated,
// bit 1 truncated (has_final_obs is their OR).
inline unsigned VecEnv::StepEnvNoFlags(int i, const std::byte* action) {
  const size_t k = static_cast<size_t>(i);
  std::byte* obs = obs_row(i);
  const StepResult r = envs_[k]->Step(action, obs);
  rewards_[k] = r.reward;
  // RecordEpisodeStatistics: float64 running sum in step order.
  running_return_[k] += r.reward;
  running_length_[k] += 1;
  if (r.terminated || r.truncated) {
    // Same-step autoreset: keep the last observation (a truncated episode bootstraps from it),
    // then start the next episode at once; the env's own generator continues (no seed), as in
    // Gymnasium's autoreset.
    std::memcpy(final_obs_row(i), obs, obs_bytes_);
    episode_return_[k] = running_return_[k];
    episode_length_[k] = running_length_[k];
    running_return_[k] = 0.0;
    running_length_[k] = 0;
    envs_[k]->Reset(std::nullopt, obs);
  }
  return (r.terminated ? 1u : 0u) | (r.truncated ? 2u : 0u);
}

void VecEnv::StepEnv(int i, const std::byte* action) {
  const unsigned f = StepEnvNoFlags(i, action);
  const size_t k = static_cast<size_t>(i);
  terminated_[k] = f & 1u;
  truncated_[k] = (f >> 1) & 1u;
  has_final_obs_[k] = f != 0;
}

void VecEnv::StepRange(int& i, int end, const std::byte* actions) {
  constexpr int kChunk = 64;
  uint8_t term[kChunk], trunc[kChunk], fin[kChunk];
  while (i < end) {
    const int begin = i;
    const int stop = std::min(end, begin + kChunk);
    for (; i < stop; ++i) {
      const unsigned f = StepEnvNoFlags(i, actions + static_cast<size_t>(i) * action_bytes_);
      term[i - begin] = f & 1u;
      trunc[i - begin] = (f >> 1) & 1u;
      fin[i - begin] = f != 0;
    }
    const size_t m = static_cast<size_t>(stop - begin);
    std::memcpy(terminated_.data() + begin, term, m);
    std::memcpy(truncated_.data() + begin, trunc, m);
    std::memcpy(has_final_obs_.data() + begin, fin, m);
  }
}

VectorEnv::VectorEnv(const std::string& id, int num_envs, const EnvArgs& args)
    : VecEnv(MakeEnvs(id, num_envs, args, "VectorEnv"), "VectorEnv") {}

VectorEnv::VectorEnv(std::vector<std::unique_ptr<Env>> envs)
    : VecEnv(std::move(envs), "VectorEnv") {}

void VectorEnv::ResetAll(uint64_t seed) {
  for (int i = 0; i < num_envs(); ++i) {
    try {
      ResetEnv(i, seed + static_cast<uint64_t>(i));
    } catch (const std::exception& e) {
      ready_ = false;
      throw EnvFailure(i, "Reset", e.what());
    }
  }
}

void VectorEnv::StepAll(const std::byte* actions) {
  int i = 0;
  try {
    StepRange(i, num_envs(), actions);
  } catch (const std::exception& e) {
    ready_ = false;
    throw EnvFailure(i, "Step", e.what());
  }
}

}  // namespace bellman
