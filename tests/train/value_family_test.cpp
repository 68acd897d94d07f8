// The DQN family through the trainer: every algorithm and loss option trains a short CartPole
// run with finite losses, and a run killed between checkpoints resumes bit for bit for the
// algorithms with their own random draws (IQN's fractions, Rainbow's noise) and extra networks
// (i-DQN's anchor). Learning quality is in learning_value_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bellman/algos/algorithm.h"
#include "bellman/core/error.h"
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
  return {{"c51", "c51", {"c51.v_min=0", "c51.v_max=60"}},
          {"rainbow", "rainbow", {"rainbow.v_min=0", "rainbow.v_max=60"}},
          {"qrdqn", "qrdqn", {}},
          {"iqn",
           "iqn",
           {"iqn.num_tau_samples=8", "iqn.num_tau_prime_samples=8", "iqn.num_quantile_samples=4",
            "iqn.risk_measure=cvar", "iqn.risk_eta=0.5"}},
          {"idqn", "idqn", {"idqn.rolling_step_interval=500"}},
          {"dqn_hl_gauss", "dqn", {"dqn.loss=hl_gauss", "dqn.v_min=0", "dqn.v_max=60"}},
          {"dqn_two_hot_h",
           "dqn",
           {"dqn.loss=two_hot", "dqn.v_min=-2", "dqn.v_max=10", "dqn.value_transform=h"}},
          {"dqn_log_shift", "dqn", {"dqn.value_transform=log", "dqn.reward_shift=-0.5"}}};
}

TrainOptions Small(const Case& c, const fs::path& run_dir) {
  const fs::path config = run_dir.parent_path() / (run_dir.filename().string() + ".yaml");
  std::ofstream(config) << "n_timesteps: 2400\n";  // the algorithm keys come as overrides
  TrainOptions o;
  o.algo = c.algo;
  o.env = "CartPole-v1";
  o.config_path = config.string();
  o.seed = 3;
  o.run_dir = run_dir.string();
  o.progress = false;
  o.verbose = false;
  o.overrides = {"n_timesteps=2400",
                 "eval_freq=0",
                 "checkpoint_freq=1000",
                 "final_eval_episodes=2",
                 "num_envs=2",
                 c.algo + ".learning_starts=300",
                 c.algo + ".train_freq=4",
                 c.algo + ".gradient_steps=2",
                 c.algo + ".target_update_interval=100",
                 c.algo + ".batch_size=32",
                 c.algo + ".net.hidden_sizes=[32, 32]"};
  for (const auto& s : c.sets) o.overrides.push_back(s);
  return o;
}

class ValueFamily : public ::testing::TestWithParam<Case> {};

TEST_P(ValueFamily, TrainsAndResumesBitForBit) {
  const Case& c = GetParam();
  test::TempDir tmp;
  TrainResult full = test_util::ExpectResumeIsBitExact(
      [&](const fs::path& dir) { return Small(c, dir); }, c.algo, tmp, 2400, 1700);
  EXPECT_GT(full.gradient_steps, 500);
  EXPECT_TRUE(fs::exists(tmp / "full" / "checkpoints" / "step_2400" / (c.algo + ".pt")));
  EXPECT_TRUE(fs::exists(tmp / "full" / "checkpoints" / "step_2400" / "replay.bin"));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, ValueFamily, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(ValueFamily, ConfigErrorsNameTheKey) {
  auto expect_error = [](const std::string& algo, const std::string& set, const std::string& key) {
    test::TempDir tmp;
    Case c{algo, algo, {set}};
    try {
      Train(Small(c, tmp / "run"));
      ADD_FAILURE() << set << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  expect_error("c51", "c51.v_max=-20", "c51.v_min");
  expect_error("c51", "c51.num_atom=5", "num_atoms");  // suggestion for the typo
  expect_error("qrdqn", "qrdqn.kappa=-1", "qrdqn.kappa");
  expect_error("iqn", "iqn.risk_measure=var", "risk measure 'var'");
  expect_error("dqn", "dqn.loss=hinge", "dqn.loss");
  expect_error("dqn", "dqn.value_transform=sqrt", "value_transform");
  expect_error("rainbow", "rainbow.net.torso=resnet", "net.torso");
  EXPECT_EQ(algos::FindAlgo("rainbow").name, "rainbow");
}

}  // namespace
}  // namespace bellman::train
