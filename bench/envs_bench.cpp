// Environment throughput: single-env stepping for every registered id, and the vector envs for
// CartPole-v1 (VectorEnv, EnvPool at 1 and 2 threads, 16, 64 and 256 envs). Reports env-steps
// per second of wall time (items/s); after the Google Benchmark table it prints the pool's
// thread scaling as ratios against the 1-thread pool measured in the same run (best of the
// repetitions, when --benchmark_repetitions is given).
//
//   build/envs_bench [--benchmark_filter=EnvPool] [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/envs/env_pool.h"
#include "bellman/envs/registry.h"
#include "bellman/envs/vector_env.h"

namespace bellman {
namespace {

// Random valid actions, drawn before timing so that drawing them is not measured.
std::vector<std::byte> RandomActions(const Space& space, size_t rows, uint64_t seed) {
  Rng rng(seed);
  const size_t row = space.byte_size();
  std::vector<std::byte> buf(rows * row);
  for (size_t r = 0; r < rows; ++r) space.Sample(rng, buf.data() + r * row);
  return buf;
}

void BM_EnvStep(benchmark::State& state, const std::string& id) {
  std::unique_ptr<Env> env;
  try {
    env = MakeEnv(id);
  } catch (const Error& e) {
    state.SkipWithError(e.what());
    return;
  }
  constexpr size_t kRows = 4096;  // power of two: wrap with a mask
  const std::vector<std::byte> actions = RandomActions(env->action_space(), kRows, 1);
  const size_t row = env->action_space().byte_size();
  std::vector<std::byte> obs(env->observation_space().byte_size() + 1);
  env->Reset(0, obs.data());
  size_t a = 0;
  for (auto _ : state) {
    const StepResult r = env->Step(actions.data() + a * row, obs.data());
    a = (a + 1) & (kRows - 1);
    if (r.terminated || r.truncated) env->Reset(std::nullopt, obs.data());
    benchmark::DoNotOptimize(obs.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// threads == 0: VectorEnv; otherwise EnvPool with that many threads.
void BM_VecStep(benchmark::State& state, const std::string& id, int num_envs, int threads) {
  std::unique_ptr<VecEnv> v;
  if (threads == 0) {
    v = std::make_unique<VectorEnv>(id, num_envs);
  } else {
    v = std::make_unique<EnvPool>(id, num_envs, EnvArgs{}, threads);
  }
  constexpr size_t kBatches = 64;
  const size_t n = static_cast<size_t>(num_envs);
  const std::vector<std::byte> actions = RandomActions(v->action_space(), kBatches * n, 1);
  const size_t values = n * static_cast<size_t>(v->action_space().flat_size());
  const bool discrete = v->action_space().dtype() == DType::kInt64;
  v->Reset(0);
  size_t b = 0;
  for (auto _ : state) {
    const std::byte* p = actions.data() + b * n * v->action_bytes();
    if (discrete) {
      v->Step(std::span<const int64_t>(reinterpret_cast<const int64_t*>(p), values));
    } else {
      v->Step(std::span<const float>(reinterpret_cast<const float*>(p), values));
    }
    b = (b + 1) % kBatches;
  }
  state.SetItemsProcessed(state.iterations() * num_envs);
}

// Keeps items/s per benchmark name for the ratio table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      auto it = r.counters.find("items_per_second");
      if (r.error_occurred || r.run_type != Run::RT_Iteration || it == r.counters.end()) continue;
      // Best of the repetitions: interference from other processes only ever slows a run down.
      double& best = rate[r.run_name.function_name];
      best = std::max(best, static_cast<double>(it->second));
    }
  }
  std::map<std::string, double> rate;  // best items/s per benchmark
};

std::string VecName(const std::string& id, int n, int threads) {
  return threads == 0 ? "VectorEnv/" + id + "/envs:" + std::to_string(n)
                      : "EnvPool/" + id + "/envs:" + std::to_string(n) +
                            "/threads:" + std::to_string(threads);
}

}  // namespace
}  // namespace bellman

int main(int argc, char** argv) {
  using bellman::VecName;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  for (const std::string& id : bellman::EnvIds()) {
    benchmark::RegisterBenchmark(("EnvStep/" + id).c_str(), [id](benchmark::State& s) {
      bellman::BM_EnvStep(s, id);
    })->UseRealTime();
  }
  const std::string pole = "CartPole-v1";
  const bool have_pole = bellman::FindEnv(pole) != nullptr;
  if (have_pole) {
    for (int n : {16, 64, 256}) {
      for (int threads : {0, 1, 2}) {
        benchmark::RegisterBenchmark(VecName(pole, n, threads).c_str(), [=](benchmark::State& s) {
          bellman::BM_VecStep(s, pole, n, threads);
        })->UseRealTime();
      }
    }
  }
  bellman::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  // Ratios against baselines measured in this run.
  auto& rate = reporter.rate;
  auto ratio = [&](const std::string& a, const std::string& b) -> std::optional<double> {
    if (!rate.count(a) || !rate.count(b) || rate[b] <= 0) return std::nullopt;
    return rate[a] / rate[b];
  };
  std::printf("\n%-44s %12s\n", "ratio (same run)", "x");
  for (int n : {16, 64, 256}) {
    const std::string pool1 = VecName(pole, n, 1);
    if (auto r = ratio(VecName(pole, n, 2), pool1)) {
      std::printf("%-44s %12.2f\n",
                  ("EnvPool " + pole + " " + std::to_string(n) + " envs: 2 thr / 1 thr").c_str(),
                  *r);
    }
    if (auto r = ratio(pool1, VecName(pole, n, 0))) {
      std::printf("%-44s %12.2f\n",
                  ("EnvPool 1 thr / VectorEnv, " + std::to_string(n) + " envs").c_str(), *r);
    }
    if (auto r = ratio(pool1, "EnvStep/" + pole)) {
      std::printf("%-44s %12.2f\n",
                  ("EnvPool 1 thr, " + std::to_string(n) + " envs / single env").c_str(), *r);
    }
  }
  return 0;
}
