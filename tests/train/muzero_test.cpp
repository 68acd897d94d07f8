// MuZero (train/muzero.h): determinism, save/load, the JSON export, named errors; the learning
// bar on CartPole runs as `learning_muzero_cartpole` (suite MuZeroLearning). The latent search
// against the pseudocode's search in Python with the same weights is the ctest bench_mcts_check.
#include "bellman/train/muzero.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bellman/core/error.h"
#include "bellman/envs/registry.h"

namespace bellman::train {
namespace muzero_test {

MuZeroConfig Tiny(uint64_t seed) {
  MuZeroConfig c;
  c.total_env_steps = 300;
  c.warmup_steps = 100;
  c.batch_size = 16;
  c.mcts.num_simulations = 8;
  c.log_every = 100;
  c.seed = seed;
  return c;
}

std::vector<MuZeroProgress> RunMuZero(const MuZeroConfig& c, MuZeroAgent* out = nullptr) {
  std::vector<MuZeroProgress> log;
  MuZeroAgent agent = TrainMuZero(c, [&](const MuZeroProgress& p) { log.push_back(p); });
  if (out != nullptr) *out = std::move(agent);
  return log;
}

TEST(MuZero, SameSeedSameRunAndOtherSeedOtherRun) {
  const auto a = RunMuZero(Tiny(4)), b = RunMuZero(Tiny(4)), d = RunMuZero(Tiny(5));
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), a.size());
  EXPECT_GT(a.back().updates, 0);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].episodes, b[i].episodes) << i;
    EXPECT_EQ(a[i].value_loss, b[i].value_loss) << i;
    EXPECT_EQ(a[i].policy_loss, b[i].policy_loss) << i;
    EXPECT_EQ(a[i].reward_loss, b[i].reward_loss) << i;
  }
  EXPECT_NE(a.back().value_loss, d.back().value_loss);
}

TEST(MuZero, SaveLoadKeepsTheSearchAndTheJsonHasEveryWeight) {
  MuZeroAgent trained = MakeMuZeroAgent(Tiny(1));
  RunMuZero(Tiny(1), &trained);
  const auto dir = std::filesystem::temp_directory_path();
  const std::string pt = (dir / "bellman_muzero_test.pt").string();
  const std::string js = (dir / "bellman_muzero_test.json").string();
  trained.Save(pt);
  trained.ExportJson(js);
  MuZeroAgent loaded = MakeMuZeroAgent(Tiny(2));  // other initial weights
  std::unique_ptr<Env> env = MakeEnv("CartPole-v1");
  std::vector<float> obs(4);
  env->Reset(7, obs.data());
  Rng unused(0);
  planning::MctsConfig c;
  c.num_simulations = 30;
  c.root_noise = false;
  auto visits = [&](const MuZeroAgent& agent) {
    return planning::Search(*agent.Model(obs.data()), c, unused).visits;
  };
  const std::vector<int64_t> want = visits(trained);
  loaded.Load(pt);
  EXPECT_EQ(visits(loaded), want);
  EXPECT_EQ(loaded.Act(obs.data(), 30), trained.Act(obs.data(), 30));
  std::ifstream f(js);
  const nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_EQ(j.at("format"), "bellman-muzero-nets-v1");
  EXPECT_EQ(j.at("obs_size"), 4);
  EXPECT_EQ(j.at("num_actions"), 2);
  // representation 4 -> 64 -> 32; dynamics 34 -> 64 -> 32 + 11; prediction 32 -> 64 -> 2 + 41.
  ASSERT_EQ(j.at("dynamics").size(), 2u);
  EXPECT_EQ(j.at("dynamics")[0].at("in"), 34);
  EXPECT_EQ(j.at("dynamics")[1].at("out"), 43);
  EXPECT_EQ(j.at("prediction")[1].at("out"), 43);
  EXPECT_EQ(j.at("representation")[0].at("weight").size(), 4u * 64u);
  std::filesystem::remove(pt);
  std::filesystem::remove(js);
  // A corrupt or missing file is a named error, and the loaded nets are untouched.
  { std::ofstream(pt) << "not a torch archive"; }
  EXPECT_THROW(loaded.Load(pt), Error);
  EXPECT_EQ(visits(loaded), want);
  std::filesystem::remove(pt);
  EXPECT_THROW(loaded.Load(pt), Error);
}

TEST(MuZero, SampledMuZeroActsInsideTheBoxAndIsDeterministic) {
  // Pendulum-v1: Box(-2, 2, (1,)): Sampled MuZero, K = 20 sampled actions per node.
  MuZeroConfig c = Tiny(6);
  c.env_id = "Pendulum-v1";
  c.num_sampled_actions = 6;
  c.gamma = c.mcts.gamma = 0.99;
  MuZeroAgent a = MakeMuZeroAgent(c), b = MakeMuZeroAgent(c);
  const auto la = RunMuZero(c, &a), lb = RunMuZero(c, &b);
  ASSERT_EQ(la.size(), lb.size());
  EXPECT_GT(la.back().updates, 0);
  EXPECT_EQ(la.back().policy_loss, lb.back().policy_loss);
  EXPECT_TRUE(std::isfinite(la.back().policy_loss));
  std::unique_ptr<Env> env = MakeEnv("Pendulum-v1");
  std::vector<float> obs(3);
  float action = 99.0f, again = -99.0f;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    env->Reset(seed, obs.data());
    a.ActInto(*env, obs.data(), 16, &action);
    b.ActInto(*env, obs.data(), 16, &again);
    EXPECT_GE(action, -2.0f);
    EXPECT_LE(action, 2.0f);
    EXPECT_EQ(action, again);
  }
  EXPECT_THROW(a.Act(obs.data(), 8), Error);  // Discrete only
  EXPECT_THROW(a.ExportJson((std::filesystem::temp_directory_path() / "x.json").string()), Error);
  c.simulator = true;  // AlphaZero's search needs Discrete actions
  EXPECT_THROW(MakeMuZeroAgent(c), Error);
}

TEST(MuZero, BadInputIsANamedError) {
  MuZeroConfig c = Tiny(0);
  c.env_id = "MountainCarContinuous-v0";
  EXPECT_NO_THROW(MakeMuZeroAgent(c));  // bounded Box actions: Sampled MuZero
  c.env_id = "FrozenLake-v1";           // int64 (Discrete) observations
  EXPECT_THROW(MakeMuZeroAgent(c), Error);
  c = Tiny(0);
  c.num_unroll_steps = 0;
  EXPECT_THROW(MakeMuZeroAgent(c), Error);
  c = Tiny(0);
  c.mcts.leaf_batch = 0;
  EXPECT_THROW(MakeMuZeroAgent(c), Error);
  c = Tiny(0);
  c.final_lr_fraction = 1.5;
  EXPECT_THROW(MakeMuZeroAgent(c), Error);
}

}  // namespace muzero_test
}  // namespace bellman::train

namespace bellman::train {
namespace muzero_test {

// Issue 14's bar: CartPole eval >= 475 with the default config (30k env steps); seed 3 was one
// of the tuning seeds (1-4), docs/planning.md has the 10 unseen ones.
TEST(MuZeroLearning, CartPoleWithTheDefaults) {
  MuZeroConfig c;
  c.seed = 3;
  const MuZeroAgent agent = TrainMuZero(c, nullptr);
  const double ret = EvaluateMuZero(agent, c.env_id, c.env_args, 10, 1'000'000, 50);
  std::printf("MuZero CartPole seed 3: evaluation %.1f\n", ret);
  EXPECT_GE(ret, 475.0);
}

// AlphaZero on CartPole's true simulator (--simulator): the same defaults; the value weight was
// tuned on seeds 2 and 5, seeds 1, 3, 4, 6-12 all reach 500 (docs/planning.md).
TEST(MuZeroLearning, AlphaZeroOnTheCartPoleSimulator) {
  MuZeroConfig c;
  c.simulator = true;
  c.seed = 7;
  const MuZeroAgent agent = TrainMuZero(c, nullptr);
  const double ret = EvaluateMuZero(agent, c.env_id, c.env_args, 10, 1'000'000, 50);
  std::printf("AlphaZero (simulator) CartPole seed 7: evaluation %.1f\n", ret);
  EXPECT_GE(ret, 475.0);
  std::vector<float> obs(4);
  EXPECT_THROW(agent.Model(obs.data()), Error);  // no learned model to search
}

}  // namespace muzero_test
}  // namespace bellman::train
