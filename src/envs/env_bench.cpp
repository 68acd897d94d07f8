#include "bellman/envs/env_bench.h"

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/envs/env_pool.h"
#include "bellman/envs/registry.h"

namespace bellman {

namespace {

using Clock = std::chrono::steady_clock;

// Enough distinct actions that a policy-free env does not fall into a short cycle, few enough
// to stay in L1/L2.
constexpr size_t kActionRows = 4096;

void CheckSeconds(const std::string& id, double seconds) {
  if (!(seconds > 0.0)) {
    throw Error(fmt::format("bench {}: seconds must be > 0, got {}", id, seconds));
  }
}

// `rows` random valid actions of `space`, laid out contiguously.
std::vector<std::byte> RandomActions(const Space& space, size_t rows, uint64_t seed) {
  Rng rng(seed);
  const size_t row = space.byte_size();
  std::vector<std::byte> buf(rows * row);
  for (size_t r = 0; r < rows; ++r) space.Sample(rng, buf.data() + r * row);
  return buf;
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

double MeasureEnvStepsPerSecond(const std::string& id, double seconds, uint64_t seed) {
  CheckSeconds(id, seconds);
  std::unique_ptr<Env> env = MakeEnv(id);
  const std::vector<std::byte> actions = RandomActions(env->action_space(), kActionRows, seed);
  const size_t row = env->action_space().byte_size();
  std::vector<std::byte> obs(env->observation_space().byte_size() + 1);
  env->Reset(seed, obs.data());
  // Warm-up (caches, branch predictors), then whole blocks of steps between clock reads.
  constexpr int64_t kBlock = 1024;
  size_t a = 0;
  auto run_block = [&] {
    for (int64_t s = 0; s < kBlock; ++s) {
      const StepResult r = env->Step(actions.data() + a * row, obs.data());
      if (++a == kActionRows) a = 0;
      if (r.terminated || r.truncated) env->Reset(std::nullopt, obs.data());
    }
  };
  run_block();
  int64_t steps = 0;
  const Clock::time_point start = Clock::now();
  Clock::time_point now = start;
  do {
    run_block();
    steps += kBlock;
    now = Clock::now();
  } while (Seconds(start, now) < seconds);
  return static_cast<double>(steps) / Seconds(start, now);
}

double MeasurePoolStepsPerSecond(const std::string& id, int num_envs, int num_threads,
                                 double seconds, uint64_t seed) {
  CheckSeconds(id, seconds);
  EnvPool pool(id, num_envs, {}, num_threads);
  const Space& as = pool.action_space();
  // Enough batches that the sequence does not repeat quickly, capped in memory.
  const size_t batches = std::max<size_t>(16, kActionRows / static_cast<size_t>(num_envs));
  const std::vector<std::byte> actions =
      RandomActions(as, batches * static_cast<size_t>(num_envs), seed);
  const size_t batch_values = static_cast<size_t>(num_envs) * static_cast<size_t>(as.flat_size());
  size_t b = 0;
  auto step = [&] {
    const std::byte* p = actions.data() + b * batch_values * DTypeSize(as.dtype());
    if (as.dtype() == DType::kInt64) {
      pool.Step(std::span<const int64_t>(reinterpret_cast<const int64_t*>(p), batch_values));
    } else {
      pool.Step(std::span<const float>(reinterpret_cast<const float*>(p), batch_values));
    }
    if (++b == batches) b = 0;
  };
  pool.Reset(seed);
  constexpr int64_t kBlock = 64;
  for (int64_t s = 0; s < kBlock; ++s) step();
  int64_t batch_steps = 0;
  const Clock::time_point start = Clock::now();
  Clock::time_point now = start;
  do {
    for (int64_t s = 0; s < kBlock; ++s) step();
    batch_steps += kBlock;
    now = Clock::now();
  } while (Seconds(start, now) < seconds);
  return static_cast<double>(batch_steps) * num_envs / Seconds(start, now);
}

}  // namespace bellman
