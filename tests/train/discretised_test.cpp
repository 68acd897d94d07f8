// The discretised-action Q methods (DecQN, REValueD, CQN; docs/discretised.md) through the
// trainer: each trains a short run with finite losses and a run stopped between checkpoints
// resumes bit for bit. The bin mapping: with 3 bins DecQN only plays the ends and the centre of
// the action range, CQN only the centres of its finest intervals. Config errors name the key.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "bellman/algos/algorithm.h"
#include "bellman/core/error.h"
#include "bellman/envs/registry.h"
#include "bellman/train/train.h"
#include "io/temp_dir.h"
#include "train/resume_check.h"

namespace bellman::train {
namespace {

namespace fs = std::filesystem;

using test::Slurp;

struct Case {
  std::string name;
  std::string algo;
  std::vector<std::string> sets;
};

std::vector<Case> Cases() {
  auto with = [](const std::string& algo, std::vector<std::string> extra) {
    std::vector<std::string> s;
    for (const char* x : {"learning_starts=300", "batch_size=32", "hidden_sizes=[32, 32]"}) {
      s.push_back(algo + "." + x);
    }
    for (auto& x : extra) s.push_back(algo + "." + x);
    return s;
  };
  return {{"decqn", "decqn", with("decqn", {})},
          {"decqn_polyak_mse", "decqn",
           with("decqn", {"tau=0.01", "target_update_interval=1", "loss=mse", "double_q=false"})},
          {"revalued", "revalued", with("revalued", {"ensemble_size=3"})},
          {"cqn", "cqn", with("cqn", {})},
          {"cqn_hard_target_rounds", "cqn",
           with("cqn", {"levels=2", "bins_per_dim=3", "tau=1", "target_update_interval=50",
                        "train_freq=4", "gradient_steps=-1"})}};
}

TrainOptions Small(const Case& c, const fs::path& run_dir) {
  const fs::path config = run_dir.parent_path() / (run_dir.filename().string() + ".yaml");
  std::ofstream(config) << "n_timesteps: 2400\n";
  TrainOptions o;
  o.algo = c.algo;
  o.env = "Pendulum-v1";
  o.config_path = config.string();
  o.seed = 5;
  o.run_dir = run_dir.string();
  o.progress = false;
  o.verbose = false;
  o.overrides = {"n_timesteps=2400", "eval_freq=0", "checkpoint_freq=1000", "final_eval_episodes=2",
                 "num_envs=2"};
  for (const auto& s : c.sets) o.overrides.push_back(s);
  return o;
}

class DiscretisedFamily : public ::testing::TestWithParam<Case> {};

TEST_P(DiscretisedFamily, TrainsAndResumesBitForBit) {
  const Case& c = GetParam();
  test::TempDir tmp;
  TrainResult full = test_util::ExpectResumeIsBitExact(
      [&](const fs::path& dir) { return Small(c, dir); }, c.algo, tmp, 2400, 1700);
  EXPECT_GT(full.gradient_steps, 20);
  EXPECT_TRUE(fs::exists(tmp / "full" / "checkpoints" / "step_2400" / "replay.bin"));

  // The loaded policy's actions are inside the action space.
  Policy policy(full.run_dir);
  const std::vector<float> obs = {1.0f, 0.0f, -8.0f, -1.0f, 0.0f, 8.0f};  // 2 x Pendulum obs
  std::vector<float> act(2, 99.0f);
  policy.Act(obs.data(), 2, act.data());
  for (float x : act) {
    EXPECT_GE(x, -2.0f);
    EXPECT_LE(x, 2.0f);
  }
}

INSTANTIATE_TEST_SUITE_P(Algorithms, DiscretisedFamily, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

// 64 Pendulum observations spread over the state space.
std::vector<float> SomeObs() {
  std::vector<float> obs;
  for (int i = 0; i < 64; ++i) {
    const double theta = 0.1 * i * 3.0;
    obs.push_back(static_cast<float>(std::cos(theta)));
    obs.push_back(static_cast<float>(std::sin(theta)));
    obs.push_back(static_cast<float>(-8.0 + 0.25 * i));
  }
  return obs;
}

// The env actions `algo` plays (explore or not) on SomeObs, repeated, past learning_starts.
std::set<float> ActionsPlayed(const std::string& algo, const YAML::Node& config, bool explore) {
  algos::AlgoContext context;
  context.env = MakeEnv("Pendulum-v1")->spec();
  context.num_envs = 1;
  context.total_timesteps = 1000;
  context.net_rng = Rng(1);
  context.explore_rng = Rng(2);
  const algos::AlgoRegistration& r = algos::FindAlgo(algo);
  auto agent = r.make(r.resolve(config), context);
  agent->OnEnvStep(config["learning_starts"].as<int64_t>() + 1);
  const std::vector<float> obs = SomeObs();
  std::set<float> played;
  for (int rep = 0; rep < 20; ++rep) {
    std::vector<float> act(64, 99.0f);
    agent->Act(obs.data(), 64, explore, act.data());
    played.insert(act.begin(), act.end());
  }
  return played;
}

TEST(DiscretisedBins, ThreeBinsPlayOnlyTheEndsAndTheCentre) {
  YAML::Node c;
  c["bins_per_dim"] = 3;
  c["learning_starts"] = 10;
  c["hidden_sizes"] = std::vector<int64_t>{16, 16};
  // Greedy and epsilon-greedy (epsilon 1 early in the run: uniformly random bins).
  for (const std::string algo : {"decqn", "revalued"}) {
    for (bool explore : {false, true}) {
      const std::set<float> played = ActionsPlayed(algo, c, explore);
      for (float x : played) {
        EXPECT_TRUE(x == -2.0f || x == 0.0f || x == 2.0f) << algo << " played " << x;
      }
      if (explore) {
        EXPECT_EQ(played.size(), 3u) << algo;
      }
    }
  }
  // A trained run's policy too.
  test::TempDir tmp;
  Case run{"decqn3",
           "decqn",
           {"decqn.bins_per_dim=3", "decqn.learning_starts=300", "decqn.batch_size=32",
            "decqn.hidden_sizes=[32, 32]"}};
  TrainOptions o = Small(run, tmp / "run");
  o.overrides.push_back("n_timesteps=600");
  TrainResult r = Train(o);
  ASSERT_TRUE(r.finished);
  Policy policy(r.run_dir);
  const std::vector<float> obs = SomeObs();
  std::vector<float> act(64, 99.0f);
  policy.Act(obs.data(), 64, act.data());
  for (float x : act) EXPECT_TRUE(x == -2.0f || x == 0.0f || x == 2.0f) << x;
}

TEST(DiscretisedBins, CqnPlaysTheCentresOfItsFinestIntervals) {
  // 2 levels of 2 bins: [-1, 1] -> halves -> quarters, centres +-0.25 and +-0.75 in [-1, 1],
  // i.e. +-0.5 and +-1.5 on Pendulum's [-2, 2].
  YAML::Node c;
  c["levels"] = 2;
  c["bins_per_dim"] = 2;
  c["learning_starts"] = 10;
  c["hidden_sizes"] = std::vector<int64_t>{16, 16};
  const std::set<float> played = ActionsPlayed("cqn", c, /*explore=*/false);
  for (float x : played) {
    EXPECT_TRUE(x == -1.5f || x == -0.5f || x == 0.5f || x == 1.5f) << x;
  }
  // With exploration noise the actions leave the grid but stay in the bounds.
  c["action_noise"] = 0.5;
  for (float x : ActionsPlayed("cqn", c, /*explore=*/true)) {
    EXPECT_GE(x, -2.0f);
    EXPECT_LE(x, 2.0f);
  }
}

TEST(DiscretisedFamily, ErrorsNameTheKey) {
  auto expect_error = [](const std::string& algo, const std::vector<std::string>& sets,
                         const std::string& needle) {
    test::TempDir tmp;
    Case c{algo, algo, sets};
    try {
      Train(Small(c, tmp / "run"));
      ADD_FAILURE() << algo << " with " << testing::PrintToString(sets) << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("decqn", {"decqn.bins_per_dim=1"}, "decqn.bins_per_dim");
  expect_error("revalued", {"revalued.ensemble_size=0"}, "revalued.ensemble_size");
  expect_error("revalued", {"revalued.reg_coef=-1"}, "revalued.reg_coef");
  expect_error("decqn", {"decqn.loss=l1"}, "decqn.loss");
  expect_error("cqn", {"cqn.levels=0"}, "cqn.levels");
  expect_error("cqn", {"cqn.bins_per_dim=1"}, "cqn.bins_per_dim");
  expect_error("cqn", {"cqn.levle=2"}, "levels");  // suggestion
  test::TempDir tmp;
  try {
    TrainOptions o = Small(Case{"decqn", "decqn", {}}, tmp / "cartpole");
    o.env = "CartPole-v1";
    Train(o);
    ADD_FAILURE() << "decqn on CartPole-v1 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Box action space"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bellman::train
