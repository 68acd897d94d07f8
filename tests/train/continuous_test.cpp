// The continuous-control algorithms through the trainer: each trains a short run with finite
// losses, and a run stopped between checkpoints resumes bit for bit (replay, networks,
// optimizers, exploration and update noise, PPO's rollout in progress). Config and space errors
// name the value. Learning quality is in learning_continuous_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
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
  std::string env;
  std::vector<std::string> sets;
};

std::vector<Case> Cases() {
  const std::vector<std::string> off = {"learning_starts=300", "batch_size=32",
                                        "hidden_sizes=[32, 32]"};
  auto with = [&](const std::string& algo, std::vector<std::string> extra) {
    std::vector<std::string> s;
    for (const auto& x : off) s.push_back(algo + "." + x);
    for (auto& x : extra) s.push_back(std::move(x));
    return s;
  };
  return {{"td3", "td3", "Pendulum-v1", with("td3", {})},
          {"ddpg", "ddpg", "Pendulum-v1",
           with("ddpg", {"ddpg.train_freq=4", "ddpg.gradient_steps=-1"})},
          {"sac", "sac", "Pendulum-v1", with("sac", {})},
          {"sac_fixed_alpha", "sac", "Pendulum-v1", with("sac", {"sac.ent_coef=0.1"})},
          {"dsac_t", "dsac_t", "Pendulum-v1", with("dsac_t", {})},
          {"ppo_discrete",
           "ppo",
           "CartPole-v1",
           {"ppo.n_steps=96", "ppo.batch_size=64", "ppo.n_epochs=2", "ppo.hidden_sizes=[32, 32]",
            "ppo.lr_schedule=linear", "ppo.clip_range_vf=0.2", "ppo.ent_coef=0.01"}},
          // Pendulum truncates at 200 steps: PPO's bootstrap from the final observation.
          {"ppo_box",
           "ppo",
           "Pendulum-v1",
           {"ppo.n_steps=96", "ppo.batch_size=64", "ppo.n_epochs=2", "ppo.hidden_sizes=[32, 32]",
            "ppo.target_kl=0.01"}}};
}

TrainOptions Small(const Case& c, const fs::path& run_dir) {
  const fs::path config = run_dir.parent_path() / (run_dir.filename().string() + ".yaml");
  std::ofstream(config) << "n_timesteps: 2400\n";
  TrainOptions o;
  o.algo = c.algo;
  o.env = c.env;
  o.config_path = config.string();
  o.seed = 5;
  o.run_dir = run_dir.string();
  o.progress = false;
  o.verbose = false;
  // 1000 is not a multiple of PPO's 2 x 96-step rollouts: a checkpoint falls inside one.
  o.overrides = {"n_timesteps=2400", "eval_freq=0", "checkpoint_freq=1000", "final_eval_episodes=2",
                 "num_envs=2"};
  for (const auto& s : c.sets) o.overrides.push_back(s);
  return o;
}

class ContinuousFamily : public ::testing::TestWithParam<Case> {};

TEST_P(ContinuousFamily, TrainsAndResumesBitForBit) {
  const Case& c = GetParam();
  test::TempDir tmp;
  TrainResult full = test_util::ExpectResumeIsBitExact(
      [&](const fs::path& dir) { return Small(c, dir); }, c.algo, tmp, 2400, 1700);
  EXPECT_GT(full.gradient_steps, 20);
  // On-policy PPO has no replay buffer; the others checkpoint theirs.
  EXPECT_EQ(fs::exists(tmp / "full" / "checkpoints" / "step_2400" / "replay.bin"), c.algo != "ppo");

  // The loaded policy's actions are inside the action space.
  Policy policy(full.run_dir);
  if (policy.action_space().kind() == Space::Kind::kBox) {
    const std::vector<float> obs = {1.0f, 0.0f, -8.0f, -1.0f, 0.0f, 8.0f};  // 2 x Pendulum obs
    std::vector<float> act(2, 99.0f);
    policy.Act(obs.data(), 2, act.data());
    for (float x : act) {
      EXPECT_GE(x, -2.0f);
      EXPECT_LE(x, 2.0f);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Algorithms, ContinuousFamily, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

// profile: true splits the continuous family's updates (timed by ContinuousAgent, not by the
// algorithm files) into forward, backward, optimizer and polyak, each seen; the split sums to
// no more than the whole update phase.
TEST(ContinuousFamily, ProfileSplitsTheUpdate) {
  for (const std::string algo : {"td3", "sac", "dsac_t"}) {
    SCOPED_TRACE(algo);
    test::TempDir tmp;
    Case c{
        algo,
        algo,
        "Pendulum-v1",
        {algo + ".learning_starts=300", algo + ".batch_size=32", algo + ".hidden_sizes=[32, 32]"}};
    TrainOptions o = Small(c, tmp / "run");
    o.overrides.push_back("profile=true");
    o.overrides.push_back("n_timesteps=800");
    const TrainResult r = Train(o);
    std::map<std::string, double> p(r.profile.begin(), r.profile.end());
    for (const char* phase : {"forward", "backward", "optimizer", "polyak"}) {
      ASSERT_TRUE(p.count(phase)) << phase;
      EXPECT_GT(p.at(phase), 0.0) << phase;
    }
    // The rest of the trainer's update phase (what the algorithm's split does not cover) is
    // small and not negative: the split does not count any time twice.
    ASSERT_TRUE(p.count("update_other"));
    EXPECT_GE(p.at("update_other"), -1e-3);
  }
}

TEST(ContinuousFamily, ErrorsNameTheValue) {
  auto expect_error = [](const std::string& algo, const std::string& env,
                         const std::vector<std::string>& sets, const std::string& needle) {
    test::TempDir tmp;
    Case c{algo, algo, env, sets};
    try {
      Train(Small(c, tmp / "run"));
      ADD_FAILURE() << algo << " on " << env << " with " << testing::PrintToString(sets)
                    << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("td3", "CartPole-v1", {}, "needs a float32 Box action space");
  expect_error("sac", "FrozenLake-v1", {}, "Box observation space");
  expect_error("td3", "Pendulum-v1", {"td3.polcy_delay=3"}, "policy_delay");  // suggestion
  expect_error("td3", "Pendulum-v1", {"td3.tau=0"}, "td3.tau");
  expect_error("sac", "Pendulum-v1", {"sac.ent_coef=autox"}, "sac.ent_coef");
  expect_error("sac", "Pendulum-v1", {"sac.ent_coef=auto_-1"}, "sac.ent_coef");
  expect_error("ppo", "CartPole-v1", {"ppo.lr_schedule=cosine"}, "ppo.lr_schedule");
  expect_error("ppo", "CartPole-v1", {"ppo.batch_size=1"}, "ppo.batch_size");
  expect_error("dsac_t", "Pendulum-v1", {"dsac_t.n_critics=3"}, "dsac_t.n_critics");
  EXPECT_EQ(algos::FindAlgo("ddpg").name, "ddpg");
}

}  // namespace
}  // namespace bellman::train
