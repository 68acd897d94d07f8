// Vector environments: N copies of one env stepped as a batch.
//
// VecEnv is the interface shared by VectorEnv (sequential, in the caller's thread) and EnvPool
// (worker threads, sync or async; env_pool.h). Conventions (docs/vector-envs.md):
// - Reset(seed) resets env i with seed + i, Gymnasium's vector-env convention.
// - Step(actions) takes one contiguous buffer: int64[N] for Discrete action spaces,
//   float32[N * act_dim] for Box ones (in general: N rows laid out as the action space says).
// - Results live in buffers the vector env owns, one contiguous row per env: obs [N, obs...] in
//   the observation space's dtype (wrap it with torch::from_blob, no copy), rewards double[N],
//   terminated/truncated uint8[N]. They stay valid until the next Reset/Step.
// - Same-step autoreset (SB3's VecEnv, Gymnasium's AutoresetMode.SAME_STEP): when env i ends at
//   a step, its last observation goes to final_obs[i], has_final_obs[i] is set, the env is reset
//   at once without a seed (its own generator continues) and obs[i] is the first observation of
//   the next episode; reward/terminated/truncated are those of the finished step, and
//   episode_return[i]/episode_length[i] hold the finished episode's totals. Rows of final_obs,
//   episode_return and episode_length where has_final_obs is 0 are stale: read them only where
//   it is 1.
// - No heap allocation per step; each env owns its generator, so the results do not depend on
//   how many threads step them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/space.h"
#include "bellman/envs/env.h"

namespace bellman {

// A 64-byte aligned, zero-initialised byte array of fixed size (vector env buffers: aligned so
// that a tensor made with from_blob is well aligned and worker shards share few cache lines).
class AlignedBytes {
 public:
  AlignedBytes() = default;
  explicit AlignedBytes(size_t n);
  AlignedBytes(AlignedBytes&&) noexcept = default;
  AlignedBytes& operator=(AlignedBytes&&) noexcept = default;
  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  std::unique_ptr<std::byte[], Free> data_;
  size_t size_ = 0;
};

// AlignedBytes as an array of a trivial type (zero-initialised).
template <typename T>
class AlignedArray {
 public:
  AlignedArray() = default;
  explicit AlignedArray(size_t n) : bytes_(n * sizeof(T)), size_(n) {}
  T* data() { return reinterpret_cast<T*>(bytes_.data()); }
  const T* data() const { return reinterpret_cast<const T*>(bytes_.data()); }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }

 private:
  AlignedBytes bytes_;
  size_t size_ = 0;
};

// A view of a batch of results, one row per env listed in env_ids. VecEnv::batch() gives the
// whole batch (env_ids = 0..N-1); EnvPool::Recv() gives the batch_size envs that finished first.
// The pointers belong to the vector env and stay valid until its next Reset/Step/Recv.
struct VecEnvBatch {
  int size = 0;
  const int* env_ids = nullptr;
  const void* obs = nullptr;        // [size, obs...] in the observation space's dtype
  const double* rewards = nullptr;  // [size]
  const uint8_t* terminated = nullptr;
  const uint8_t* truncated = nullptr;
  const void* final_obs = nullptr;  // [size, obs...]; rows valid where has_final_obs
  const uint8_t* has_final_obs = nullptr;
  const double* episode_return = nullptr;   // finished episode's return, where has_final_obs
  const int64_t* episode_length = nullptr;  // finished episode's length, where has_final_obs
};

class VecEnv {
 public:
  virtual ~VecEnv();
  VecEnv(const VecEnv&) = delete;
  VecEnv& operator=(const VecEnv&) = delete;

  const EnvSpec& spec() const { return spec_; }
  const Space& observation_space() const { return spec_.observation_space; }
  const Space& action_space() const { return spec_.action_space; }
  int num_envs() const { return num_envs_; }

  // Resets env i with seed + i and fills the obs batch; rewards and flags become 0.
  void Reset(uint64_t seed);
  // One step of every env with actions[i] (row i of the buffer), then same-step autoreset.
  // Throws bellman::Error for a buffer of the wrong size or element type, a step before Reset,
  // or an env that throws (the message names the env index; Reset before stepping again).
  void Step(std::span<const int64_t> actions);
  void Step(std::span<const float> actions);

  // Results of the last Reset/Step (see the conventions above).
  const void* obs_data() const { return obs_.data(); }
  template <typename T>
  std::span<const T> obs() const {
    CheckObsType(DTypeOf<T>());
    return {reinterpret_cast<const T*>(obs_.data()), obs_.size() / sizeof(T)};
  }
  const void* final_obs_data() const { return final_obs_.data(); }
  template <typename T>
  std::span<const T> final_obs() const {
    CheckObsType(DTypeOf<T>());
    return {reinterpret_cast<const T*>(final_obs_.data()), final_obs_.size() / sizeof(T)};
  }
  std::span<const double> rewards() const { return {rewards_.data(), rewards_.size()}; }
  std::span<const uint8_t> terminated() const { return {terminated_.data(), terminated_.size()}; }
  std::span<const uint8_t> truncated() const { return {truncated_.data(), truncated_.size()}; }
  std::span<const uint8_t> has_final_obs() const {
    return {has_final_obs_.data(), has_final_obs_.size()};
  }
  std::span<const double> episode_return() const {
    return {episode_return_.data(), episode_return_.size()};
  }
  std::span<const int64_t> episode_length() const {
    return {episode_length_.data(), episode_length_.size()};
  }
  // Return and length of the episodes still running (RecordEpisodeStatistics' counters).
  std::span<const double> running_return() const {
    return {running_return_.data(), running_return_.size()};
  }
  std::span<const int64_t> running_length() const {
    return {running_length_.data(), running_length_.size()};
  }
  // All N rows as one batch view.
  VecEnvBatch batch() const;

  // Env i itself (rendering, GetState in tests). Do not step it behind the vector env's back.
  const Env& env(int i) const;
  // Bytes of one observation row and of one action row.
  size_t obs_bytes() const { return obs_bytes_; }
  size_t action_bytes() const { return action_bytes_; }

 protected:
  // `kind` names the class in messages ("VectorEnv", "EnvPool"). Throws if envs is empty or the
  // envs' spaces differ.
  VecEnv(std::vector<std::unique_ptr<Env>> envs, const char* kind);

  // Resets/steps every env; `actions` holds num_envs rows of action_bytes() each. StepAll is
  // called after the checks. When an env throws, implementations clear ready_ and throw
  // EnvFailure() naming it.
  virtual void ResetAll(uint64_t seed) = 0;
  virtual void StepAll(const std::byte* actions) = 0;
  // Throws when a Step is not allowed now (before Reset, after a failure; EnvPool adds more).
  virtual void CheckCanStep() const;

  // Per-env work, safe to run concurrently for distinct i: reset/step env i and write row i.
  void ResetEnv(int i, std::optional<uint64_t> seed);
  void StepEnv(int i, const std::byte* action);
  // Steps envs [i, end) with their rows of `actions` (num_envs rows); on return i == end. If an
  // env throws, i is that env's index. Unlike StepEnv in a loop, it writes the 1-byte flag
  // columns once per chunk of 64 envs: 64 flags share one cache line, and threads writing
  // neighbouring flags env by env would pass that line back and forth on every write.
  void StepRange(int& i, int end, const std::byte* actions);

  // "EnvPool(CartPole-v1)": the prefix of every message.
  std::string Name() const;
  // The Error for env i failing with `what` while doing `op` ("Reset", "Step").
  Error EnvFailure(int i, const char* op, const std::string& what) const;
  // Throws unless the action buffer has `rows` rows of the action space's element type.
  void CheckActions(DType dtype, size_t count, size_t rows, const char* op) const;
  void CheckObsType(DType dtype) const;
  // Row pointers into the owned buffers.
  std::byte* obs_row(int i) { return obs_.data() + static_cast<size_t>(i) * obs_bytes_; }
  std::byte* final_obs_row(int i) {
    return final_obs_.data() + static_cast<size_t>(i) * obs_bytes_;
  }

  bool ready_ = false;            // Reset done and no env failure since
  std::vector<int> all_env_ids_;  // 0..N-1, for batch()

 private:
  void StepChecked(DType dtype, const void* data, size_t count);
  unsigned StepEnvNoFlags(int i, const std::byte* action);

  std::vector<std::unique_ptr<Env>> envs_;
  EnvSpec spec_;
  const char* kind_;
  int num_envs_;
  size_t obs_bytes_;
  size_t action_bytes_;
  AlignedBytes obs_, final_obs_;
  // Per-env columns, 64-byte aligned: shards of a multiple of 8 envs share no cache line of
  // the 8-byte columns. The 1-byte flag columns are written in bursts (StepRange).
  AlignedArray<double> rewards_;
  AlignedArray<uint8_t> terminated_, truncated_, has_final_obs_;
  AlignedArray<double> running_return_, episode_return_;
  AlignedArray<int64_t> running_length_, episode_length_;
};

// The sequential vector env: every env stepped in order in the caller's thread (Gymnasium's
// SyncVectorEnv with autoreset_mode=SAME_STEP).
class VectorEnv final : public VecEnv {
 public:
  // gym.make_vec(id, num_envs, **args). Throws for num_envs <= 0 and unknown ids/args.
  VectorEnv(const std::string& id, int num_envs, const EnvArgs& args = {});
  // From envs built elsewhere (custom envs, tests); all must have the same spaces.
  explicit VectorEnv(std::vector<std::unique_ptr<Env>> envs);

 protected:
  void ResetAll(uint64_t seed) override;
  void StepAll(const std::byte* actions) override;
};

// Builds num_envs envs with MakeEnv(id, args); throws for num_envs <= 0, naming `kind`.
std::vector<std::unique_ptr<Env>> MakeEnvs(const std::string& id, int num_envs, const EnvArgs& args,
                                           const char* kind);

}  // namespace bellman
