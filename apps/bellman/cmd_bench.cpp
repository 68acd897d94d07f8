// `bellman bench envs`: steps/s of every env single-threaded and of the pool at 1 and 2
// threads, next to Gymnasium's measured figures (../shared/reference/peers.md) and the ratio.
#include <fmt/format.h>

#include <map>
#include <thread>

#include "bellman/envs/env_bench.h"
#include "bellman/envs/registry.h"
#include "commands.h"

namespace bellman::cli {

namespace {

// Gymnasium 1.4, bare env (no wrappers), single env, Python 3.11, on a 2-core machine of the
// kind bellman is developed on (peers.md, "Environment stepping").
const std::map<std::string, double> kGymnasiumStepsPerSecond = {
    {"CartPole-v1", 118000.0},
    {"MountainCar-v0", 57000.0},
    {"Acrobot-v1", 21000.0},
    {"Pendulum-v1", 44000.0},
};

struct BenchOptions {
  double seconds = 1.0;
  std::vector<std::string> ids;
  int pool_envs = 16;
  uint64_t seed = 0;
};

std::string Rate(double v) {
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  return fmt::format("{:.0f}k", v / 1e3);
}

void RunBenchEnvs(const BenchOptions& o) {
  std::vector<std::string> ids = o.ids.empty() ? EnvIds() : o.ids;
  fmt::print("bellman bench envs: {:.2f} s per measurement, pool of {} envs, {} hardware threads\n",
             o.seconds, o.pool_envs, std::thread::hardware_concurrency());
  fmt::print("{:<26} {:>11} {:>11} {:>9} {:>11} {:>11} {:>8}\n", "id", "single/s", "gymnasium/s",
             "ratio", "pool 1T/s", "pool 2T/s", "2T/1T");
  for (const std::string& id : ids) {
    const EnvRegistration* reg = FindEnv(id);
    if (reg && !reg->alias_of.empty()) continue;  // same env as its target
    double single = MeasureEnvStepsPerSecond(id, o.seconds, o.seed);
    double pool1 = MeasurePoolStepsPerSecond(id, o.pool_envs, 1, o.seconds, o.seed);
    double pool2 = MeasurePoolStepsPerSecond(id, o.pool_envs, 2, o.seconds, o.seed);
    auto gym = kGymnasiumStepsPerSecond.find(id);
    std::string gym_s = gym == kGymnasiumStepsPerSecond.end() ? "-" : Rate(gym->second);
    std::string ratio =
        gym == kGymnasiumStepsPerSecond.end() ? "-" : fmt::format("{:.0f}x", single / gym->second);
    fmt::print("{:<26} {:>11} {:>11} {:>9} {:>11} {:>11} {:>7.2f}x\n", id, Rate(single), gym_s,
               ratio, Rate(pool1), Rate(pool2), pool2 / pool1);
  }
}

}  // namespace

void AddBenchCommand(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Speed benchmarks");
  bench->require_subcommand(1);
  auto o = std::make_shared<BenchOptions>();
  CLI::App* envs =
      bench->add_subcommand("envs", "Env steps/s: single env, pool at 1 and 2 threads");
  envs->add_option("--seconds", o->seconds, "time per measurement")->capture_default_str();
  envs->add_option("--ids", o->ids, "env ids (default: all)");
  envs->add_option("--pool-envs", o->pool_envs, "envs in the pool")->capture_default_str();
  envs->add_option("--seed", o->seed, "seed for the random actions")->capture_default_str();
  envs->callback([o] { RunBenchEnvs(*o); });
  AddBenchMctsCommand(*bench);
}

}  // namespace bellman::cli
