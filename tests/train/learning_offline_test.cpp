// Learning tests of issue 11: every offline algorithm for Box actions (bc, td3_bc, iql, cql)
// beats the behaviour return of a small Pendulum-v1 dataset made here, on 3 fixed seeds, no
// retries. The dataset is D4RL's idea of a stochastic behaviour policy at CI size: a TD3 run of
// 10k env steps (greedy return about -140) playing with Gaussian noise of std 0.8 (in [-1, 1]
// units) on its actions, 25 episodes (5,000 steps, return about -590). Budgets (gradient steps,
// 64x64 networks, batch 128) were chosen on seeds 11-13, not on the seeds below.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "bellman/io/dataset.h"
#include "bellman/train/collect.h"
#include "bellman/train/train.h"
#include "io/temp_dir.h"

namespace bellman::train {
namespace {

struct OfflineData {
  test::TempDir tmp;
  std::string path;
  double behaviour_return = 0.0;
};

OfflineData* MakeData() {
  auto* d = new OfflineData;
  TrainOptions o;
  o.algo = "td3";
  o.env = "Pendulum-v1";
  o.config_path = PresetPath("td3", "Pendulum-v1-fast");
  o.seed = 100;
  o.run_dir = (d->tmp / "behaviour").string();
  o.progress = false;
  o.verbose = false;
  o.overrides = {"n_timesteps=10000", "eval_freq=0", "checkpoint_freq=0"};
  const TrainResult behaviour = Train(o);
  CollectOptions c;
  c.env = "Pendulum-v1";
  c.policy = o.run_dir;
  c.noise = 0.8;
  c.episodes = 25;
  c.seed = 200;
  c.out = (d->tmp / "data").string();
  Collect(c);
  d->path = c.out;
  const io::Dataset data = io::ReadDataset(d->path);
  double total = 0.0;
  for (int64_t e = 0; e < data.num_episodes(); ++e) {
    for (int64_t t = 0; t < data.steps(e); ++t) total += data.rewards()[data.first_step(e) + t];
  }
  d->behaviour_return = total / static_cast<double>(data.num_episodes());
  std::cout << "behaviour policy: greedy eval " << behaviour.final_eval.mean
            << ", dataset return (noise 0.8) " << d->behaviour_return << " over "
            << data.num_episodes() << " episodes\n";
  return d;
}

// One dataset per suite, made before its first test.
template <class Param>
class WithOfflineData : public ::testing::TestWithParam<Param> {
 protected:
  static void SetUpTestSuite() { data_ = MakeData(); }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }
  static inline OfflineData* data_ = nullptr;
};

class LearningOfflinePendulum : public WithOfflineData<std::tuple<std::string, int>> {};

TEST_P(LearningOfflinePendulum, BeatsTheBehaviourReturn) {
  const auto& [algo, seed] = GetParam();
  test::TempDir tmp;
  TrainOptions o;
  o.algo = algo;
  o.env = "Pendulum-v1";
  o.config_path = PresetPath(algo, "Pendulum-v1");
  o.dataset = data_->path;
  o.seed = seed;
  o.run_dir = (tmp / "run").string();
  o.progress = false;
  o.verbose = false;
  // CI budget: smaller networks, smaller batches and fewer gradient steps than the presets. The
  // value-based methods need more steps: their critics must learn Pendulum's returns (hundreds)
  // before the advantages (IQL) or the conservative gap (CQL) mean anything.
  const int64_t steps = algo == "iql" ? 20'000 : algo == "cql" ? 10'000 : 3'000;
  o.overrides = {"n_timesteps=" + std::to_string(steps), "eval_freq=0", "checkpoint_freq=0",
                 algo + ".hidden_sizes=[64, 64]", algo + ".batch_size=128"};
  if (algo == "dt") {
    // A small transformer (width 32, one layer, context 5; lr 1e-3 after 200 warm-up steps)
    // conditioned on the preset's -150, the expert's return; chosen on seeds 11-13 (-415,
    // -319, -215).
    o.overrides = {"n_timesteps=2000", "eval_freq=0",         "checkpoint_freq=0",
                   "dt.embed_dim=32",  "dt.n_layers=1",       "dt.context=5",
                   "dt.lr=1e-3",       "dt.warmup_steps=200", "dt.batch_size=64"};
  }
  if (algo == "q_transformer") {
    // Its preset (11 bins, width 64, 2 layers, Monte-Carlo bound, conservative weight 0.03),
    // 5000 gradient steps; chosen on seeds 11-13 (41 bins: -314, -358, -525; 11: -229, -256,
    // -200).
    o.overrides = {"n_timesteps=5000", "eval_freq=0", "checkpoint_freq=0"};
  }
  const TrainResult r = Train(o);
  std::cout << algo << " seed " << seed << ": eval " << r.final_eval.mean << " +/- "
            << r.final_eval.std << " (behaviour " << data_->behaviour_return << "), "
            << r.wall_seconds << " s\n";
  EXPECT_GT(r.final_eval.mean, data_->behaviour_return) << algo << " seed " << seed;
}

INSTANTIATE_TEST_SUITE_P(Seeds, LearningOfflinePendulum,
                         ::testing::Combine(::testing::Values("bc", "td3_bc", "td3_bc_mcep", "iql",
                                                              "cql", "dt", "q_transformer"),
                                            ::testing::Values(1, 2, 3)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_seed" +
                                  std::to_string(std::get<1>(info.param));
                         });

// Issue 12's Best-of-N: a Gaussian BC base policy and an IQL critic trained on the same data;
// the best of 8 samples under the critic beats the base's greedy (mean) action by >= 50 return
// over the same 10 evaluation episodes. Tuned on seeds 11-13 (gains 91, 171 and 197), reported
// on 1-3.
class LearningOfflinePendulumBestOfN : public WithOfflineData<int> {};

TEST_P(LearningOfflinePendulumBestOfN, BestOfEightBeatsTheBcPolicy) {
  const int seed = GetParam();
  test::TempDir tmp;
  auto run = [&](const std::string& algo, int64_t steps, std::vector<std::string> extra) {
    TrainOptions o;
    o.algo = algo;
    o.env = "Pendulum-v1";
    o.config_path = PresetPath(algo, "Pendulum-v1");
    o.dataset = data_->path;
    o.seed = seed;
    o.run_dir = (tmp / algo).string();
    o.progress = false;
    o.verbose = false;
    o.overrides = {"n_timesteps=" + std::to_string(steps), "eval_freq=0", "checkpoint_freq=0",
                   algo + ".hidden_sizes=[64, 64]", algo + ".batch_size=128"};
    for (auto& e : extra) o.overrides.push_back(std::move(e));
    Train(o);
    return o.run_dir;
  };
  const std::string bc = run("bc", 3'000, {"bc.loss=gaussian"});
  const std::string iql = run("iql", 20'000, {});
  const EvalResult base = EvaluateCheckpoint(bc, 10);
  const EvalResult best = EvaluateBestOfN(bc, iql, 8, 10);
  EXPECT_EQ(base.seed, best.seed);  // the same 10 episodes
  std::cout << "seed " << seed << ": bc greedy " << base.mean << ", best of 8 under iql "
            << best.mean << "\n";
  EXPECT_GT(best.mean, base.mean + 50.0) << "seed " << seed;
}

INSTANTIATE_TEST_SUITE_P(Seeds, LearningOfflinePendulumBestOfN, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace bellman::train
