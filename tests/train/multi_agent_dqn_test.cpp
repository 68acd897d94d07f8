// Multi-agent DQN (train/multi_agent_dqn.h): independent learners defect in the IPD, a shared
// learner trained against its own past checkpoints beats random soccer players, checkpoints are
// written and load, the same seed gives the same run, bad configs are named errors.
#include "bellman/train/multi_agent_dqn.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "bellman/core/error.h"
#include "bellman/nets/mlp.h"

namespace bellman::train {
namespace multi_agent_dqn_test {

TEST(MultiAgentDqn, IndependentLearnersDefectInThePrisonersDilemma) {
  MultiAgentDqnConfig c;  // IPD, independent learners
  c.steps = 10'000;
  c.seed = 1;
  const MultiAgentDqnResult a = TrainMultiAgentDqn(c), b = TrainMultiAgentDqn(c);
  ASSERT_EQ(a.greedy_return.size(), 2u);
  // 100 rounds of mutual defection pay -2 each: -200 per episode (mutual cooperation: -100).
  EXPECT_LE(a.greedy_return[0], -190.0);
  EXPECT_LE(a.greedy_return[1], -190.0);
  // Against a random player the learner still defects: -1 per round on average.
  EXPECT_NEAR(a.versus_random_return[0], -100.0, 15.0);
  EXPECT_EQ(a.greedy_return, b.greedy_return);  // same seed, same run
  EXPECT_EQ(a.recent_return, b.recent_return);
}

TEST(MultiAgentDqn, SelfPlayAgainstPastCheckpointsBeatsRandomSoccerPlayers) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "bellman_multi_agent_dqn_test";
  std::filesystem::remove_all(dir);
  MultiAgentDqnConfig c;
  c.env_id = "Soccer-v0";
  c.learners = "shared";
  c.opponents = "pool";
  c.checkpoint_every = 4'000;
  c.steps = 20'000;
  c.gamma = 0.9;
  c.run_dir = dir.string();
  c.seed = 1;
  const MultiAgentDqnResult r = TrainMultiAgentDqn(c);
  // An untrained network wins 0.15 net goals per game against random players (seed 1).
  EXPECT_GE(r.versus_random_return[0], 0.5);
  EXPECT_EQ(r.pool_size, 5);
  ASSERT_EQ(r.checkpoints.size(), 5u);  // one shared learner, every 4000 steps
  for (const std::string& p : r.checkpoints) EXPECT_TRUE(std::filesystem::exists(p)) << p;
  Rng rng(0);
  nets::Mlp net(nets::MlpOptions{760 + 2, c.hidden_sizes, 5}, rng);
  EXPECT_NO_THROW(torch::load(net, r.checkpoints.back()));
  std::filesystem::remove_all(dir);
}

TEST(MultiAgentDqn, BadConfigIsANamedError) {
  MultiAgentDqnConfig c;
  c.learners = "both";
  EXPECT_THROW(TrainMultiAgentDqn(c), Error);
  c = MultiAgentDqnConfig{};
  c.opponents = "pool";  // no checkpoints to draw from
  EXPECT_THROW(TrainMultiAgentDqn(c), Error);
  c.checkpoint_every = 100;  // pool play needs a shared learner
  EXPECT_THROW(TrainMultiAgentDqn(c), Error);
  c = MultiAgentDqnConfig{};
  c.env_id = "Socer-v0";
  EXPECT_THROW(TrainMultiAgentDqn(c), Error);
}

}  // namespace multi_agent_dqn_test
}  // namespace bellman::train
