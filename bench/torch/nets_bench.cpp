// Small-network fast path vs plain libtorch: one DQN update, and one acting forward.
//
// A DQN update (Mnih et al. 2015) on a replay-sized batch: online forward, gather Q(s, a), target
// forward under NoGradGuard, td_target = r + discount * max_a Q_target(s', a), Huber loss,
// backward, Adam step. "plain" is PlainQNetwork + torch::optim::Adam, "fast" is FusedQNetwork +
// FlatAdam: what MakeQNetwork/MakeOptimizer build with fast_path false or true (the default);
// both reset grads with nets::ZeroGrad, as src/algos/dqn.cpp does. CartPole-sized: 4
// observations, 2 actions.
//
// OpenBLAS kernels: like a bellman program, the benchmark re-executes itself with the
// OPENBLAS_CORETYPE that suits the CPU when OpenBLAS fell back to a generic core
// (ReexecWithSuggestedBlasCore, threads.h); run it with OPENBLAS_CORETYPE=<core> to measure under
// another kernel set (e.g. Prescott, the fallback that Debian 12's OpenBLAS picks on CPUs newer
// than itself).
//
// torch intra-op threads and OpenBLAS threads are pinned to 1. By default every benchmark runs 7
// repetitions in random interleaved order (the machine may be shared; interleaving spreads its
// noise over both variants) and the table at the end reports medians and the plain/fast ratio.
// Pass your own --benchmark_* flags to override.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bellman/core/rng.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"
#include "bellman/nets/q_network.h"
#include "bellman/nets/threads.h"

namespace {

using bellman::Rng;
namespace nets = bellman::nets;

constexpr int64_t kObs = 4;
constexpr int64_t kActions = 2;
constexpr int kNumBatches = 8;

struct Shape {
  std::string name;
  std::vector<int64_t> hidden;
  int64_t batch;
};

const std::vector<Shape> kShapes = {{"64x64/b128", {64, 64}, 128},
                                    {"256x256/b64", {256, 256}, 64},
                                    {"400x300/b256", {400, 300}, 256}};

struct Batch {
  torch::Tensor obs, next_obs, actions, reward, discount;
};

std::vector<Batch> MakeBatches(int64_t batch) {
  Rng rng(123);
  auto normal = [&](std::vector<int64_t> sizes) {
    torch::Tensor t = torch::empty(sizes);
    float* p = t.data_ptr<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(rng.StandardNormal());
    return t;
  };
  std::vector<Batch> out;
  for (int k = 0; k < kNumBatches; ++k) {
    Batch b{normal({batch, kObs}), normal({batch, kObs}), torch::empty({batch, 1}, torch::kInt64),
            normal({batch}), torch::empty({batch})};
    for (int64_t i = 0; i < batch; ++i) {
      b.actions[i][0] = rng.Integers(0, kActions);
      b.discount[i] = rng.Random() < 0.05 ? 0.0f : 0.99f;  // some terminal transitions
    }
    out.push_back(std::move(b));
  }
  return out;
}

class Learner {
 public:
  Learner(const Shape& shape, bool fast) : batches_(MakeBatches(shape.batch)) {
    nets::QNetworkConfig config;
    config.hidden_sizes = shape.hidden;
    config.fast_path = fast;
    Rng rng(1);
    online_ = nets::MakeQNetwork(config, kObs, kActions, torch::kCPU, rng);
    target_ = online_->Clone();
    for (auto& p : target_->parameters()) p.requires_grad_(false);
    nets::OptimizerConfig opt;
    opt.lr = 1e-4;
    opt.fast_path = fast;
    optimizer_ = nets::MakeOptimizer(opt, online_->parameters());
  }

  torch::Tensor Update() {
    const Batch& b = batches_[next_++ % kNumBatches];
    torch::Tensor td_target;
    {
      torch::NoGradGuard no_grad;
      const torch::Tensor next_q = std::get<0>(target_->forward(b.next_obs).max(1));
      td_target = b.reward + b.discount * next_q;
    }
    const torch::Tensor q = online_->forward(b.obs).gather(1, b.actions).squeeze(1);
    torch::Tensor loss = torch::smooth_l1_loss(q, td_target);
    nets::ZeroGrad(*optimizer_);
    loss.backward();
    optimizer_->step();
    return loss;
  }

  torch::Tensor Act() {
    torch::NoGradGuard no_grad;
    const Batch& b = batches_[next_++ % kNumBatches];
    return online_->forward(b.obs.narrow(0, 0, 1)).argmax(1);
  }

  void SoftUpdate() { nets::SoftUpdate(*target_, *online_, 0.005); }

 private:
  std::vector<Batch> batches_;
  size_t next_ = 0;
  std::shared_ptr<nets::QNetwork> online_;
  std::shared_ptr<nets::QNetwork> target_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

// Collects median (or single-run) times per benchmark name for the summary table.
class TableReporter : public benchmark::ConsoleReporter {
 public:
  struct Times {
    double real_us = 0;
    double cpu_us = 0;
  };
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      const bool single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
      if (!median && !single) continue;
      const double to_us = 1e6 / benchmark::GetTimeUnitMultiplier(run.time_unit);
      times[run.run_name.function_name] = {run.GetAdjustedRealTime() * to_us,
                                           run.GetAdjustedCPUTime() * to_us};
    }
  }
  std::map<std::string, Times> times;
};

}  // namespace

int main(int argc, char** argv) {
  nets::ReexecWithSuggestedBlasCore(argv);
  nets::SetNumThreads(1, 1);
  std::vector<std::string> names;
  auto add = [&](const std::string& name, auto body) {
    benchmark::RegisterBenchmark(name.c_str(), body)->Unit(benchmark::kMicrosecond);
    names.push_back(name);
  };
  for (const Shape& shape : kShapes) {
    for (const bool fast : {false, true}) {
      add(fmt::format("update/{}/{}", shape.name, fast ? "fast" : "plain"),
          [shape, fast](benchmark::State& state) {
            Learner learner(shape, fast);
            for (int i = 0; i < 3; ++i) learner.Update();  // warm up buffers and allocator
            for (auto _ : state) benchmark::DoNotOptimize(learner.Update());
          });
    }
  }
  for (const bool fast : {false, true}) {
    add(fmt::format("act/64x64/b1/{}", fast ? "fast" : "plain"), [fast](benchmark::State& state) {
      Learner learner(kShapes[0], fast);
      for (auto _ : state) benchmark::DoNotOptimize(learner.Act());
    });
    add(fmt::format("soft_update/400x300/{}", fast ? "fast" : "plain"),
        [fast](benchmark::State& state) {
          Learner learner(kShapes[2], fast);
          for (auto _ : state) learner.SoftUpdate();
        });
  }

  // Defaults: interleaved repetitions, medians only. Explicit --benchmark_* flags come later on
  // the command line and win.
  std::vector<char*> args(argv, argv + argc);
  std::string reps = "--benchmark_repetitions=7";
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  std::string aggregates = "--benchmark_report_aggregates_only=true";
  args.insert(args.begin() + 1, {reps.data(), interleave.data(), aggregates.data()});
  int new_argc = static_cast<int>(args.size());
  benchmark::Initialize(&new_argc, args.data());
  if (benchmark::ReportUnrecognizedArguments(new_argc, args.data())) return 1;
  TableReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  std::printf(
      "\nmedian µs per call; torch threads %d, OpenBLAS threads %d, OpenBLAS core %s (%s%s)\n",
      torch::get_num_threads(), nets::BlasNumThreads(), nets::BlasCoreName().c_str(),
      forced != nullptr ? "OPENBLAS_CORETYPE=" : "detected", forced != nullptr ? forced : "");
  std::printf("%-24s %12s %12s %12s %12s %9s %9s\n", "benchmark", "plain real", "fast real",
              "plain cpu", "fast cpu", "x real", "x cpu");
  for (const std::string& name : names) {
    if (name.ends_with("/fast")) continue;
    const std::string base = name.substr(0, name.size() - std::string("/plain").size());
    const auto p = reporter.times.find(base + "/plain");
    const auto f = reporter.times.find(base + "/fast");
    if (p == reporter.times.end() || f == reporter.times.end()) continue;
    std::printf("%-24s %12.1f %12.1f %12.1f %12.1f %8.2fx %8.2fx\n", base.c_str(),
                p->second.real_us, f->second.real_us, p->second.cpu_us, f->second.cpu_us,
                p->second.real_us / f->second.real_us, p->second.cpu_us / f->second.cpu_us);
  }
  return 0;
}
