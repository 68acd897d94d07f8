// DQN: TD targets against hand-computed values, the epsilon schedule, config validation and
// NaN detection.
#include "bellman/algos/dqn.h"

#include <gtest/gtest.h>

#include "bellman/core/config.h"
#include "bellman/core/error.h"
#include "bellman/envs/registry.h"

namespace bellman::algos {
namespace {

// A linear Q-function (no hidden layers) on CartPole's 4 inputs, 2 actions, with fixed weights.
Dqn MakeLinearDqn(bool double_q, bool fast_path) {
  DqnConfig c;
  c.double_q = double_q;
  c.net.hidden_sizes = {};
  c.net.fast_path = fast_path;
  c.learning_starts = 0;
  AlgoContext ctx{.env = MakeEnv("CartPole-v1")->spec(),
                  .num_envs = 1,
                  .total_timesteps = 1000,
                  .net_rng = Rng(1),
                  .explore_rng = Rng(2)};
  Dqn dqn(c, std::move(ctx));
  torch::NoGradGuard no_grad;
  // Target net: Q_target(s, 0) = s . [1, 2, 3, 4], Q_target(s, 1) = s . [4, 3, 2, 1].
  auto t = dqn.q_target().linears();
  t.back().weight.copy_(torch::tensor({{1.f, 2.f, 3.f, 4.f}, {4.f, 3.f, 2.f, 1.f}}));
  t.back().bias.zero_();
  // Online net: Q(s, 0) = 5 s_0, Q(s, 1) = s_1, so for s = e_0 it prefers action 0 (which the
  // target net values at 1, not at its max 4) and for s = e_1 action 1.
  auto o = dqn.q_net().linears();
  o.back().weight.copy_(torch::tensor({{5.f, 0.f, 0.f, 0.f}, {0.f, 1.f, 0.f, 0.f}}));
  o.back().bias.zero_();
  return dqn;
}

struct TdCase {
  bool fast_path;
};

class DqnTdTarget : public ::testing::TestWithParam<bool> {};

TEST_P(DqnTdTarget, MaxOverTargetNet) {
  Dqn dqn = MakeLinearDqn(/*double_q=*/false, GetParam());
  auto next_obs = torch::tensor({{1.f, 0.f, 0.f, 0.f}, {0.f, 1.f, 0.f, 0.f}, {1.f, 0.f, 0.f, 0.f}});
  auto reward = torch::tensor({1.f, 0.5f, 2.f});
  // Row 0: 1-step, gamma 0.99. Row 1: terminated (discount 0: no bootstrap). Row 2: a 3-step
  // row, discount gamma^3 (its reward already is the 3-step return).
  const float g3 = 0.99f * 0.99f * 0.99f;
  auto discount = torch::tensor({0.99f, 0.f, g3});
  auto y = dqn.TdTarget(reward, discount, next_obs);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_FLOAT_EQ(y[0].item<float>(), 1.f + 0.99f * 4.f);  // max(1, 4)
  EXPECT_FLOAT_EQ(y[1].item<float>(), 0.5f);               // cut at the termination
  EXPECT_FLOAT_EQ(y[2].item<float>(), 2.f + g3 * 4.f);
}

TEST_P(DqnTdTarget, DoubleDqnSelectsWithOnlineEvaluatesWithTarget) {
  Dqn dqn = MakeLinearDqn(/*double_q=*/true, GetParam());
  auto next_obs = torch::tensor({{1.f, 0.f, 0.f, 0.f}, {0.f, 1.f, 0.f, 0.f}});
  auto y = dqn.TdTarget(torch::tensor({1.f, 1.f}), torch::tensor({0.99f, 0.99f}), next_obs);
  // s = e_0: online argmax is action 0, valued 1 by the target net (plain DQN would take 4).
  EXPECT_FLOAT_EQ(y[0].item<float>(), 1.f + 0.99f * 1.f);
  // s = e_1: online argmax is action 1, valued 3 by the target net.
  EXPECT_FLOAT_EQ(y[1].item<float>(), 1.f + 0.99f * 3.f);
}

INSTANTIATE_TEST_SUITE_P(PlainAndFused, DqnTdTarget, ::testing::Values(false, true));

TEST(DqnEpsilon, LinearThenConstant) {
  EXPECT_DOUBLE_EQ(LinearEpsilon(1.0, 0.05, 0.1, 0, 1000), 1.0);
  EXPECT_DOUBLE_EQ(LinearEpsilon(1.0, 0.05, 0.1, 50, 1000), 1.0 + 0.05 * (0.05 - 1.0) / 0.1);
  EXPECT_NEAR(LinearEpsilon(1.0, 0.05, 0.1, 100, 1000), 0.05, 1e-12);
  EXPECT_DOUBLE_EQ(LinearEpsilon(1.0, 0.05, 0.1, 101, 1000), 0.05);
  EXPECT_DOUBLE_EQ(LinearEpsilon(1.0, 0.05, 0.1, 999, 1000), 0.05);
}

TEST(DqnEpsilon, ActExploresThenGreedy) {
  Dqn dqn = MakeLinearDqn(false, true);
  const float obs[4] = {1.f, 0.f, 0.f, 0.f};  // greedy action 0
  int64_t a = -1;
  dqn.Act(obs, 1, /*explore=*/false, &a);
  EXPECT_EQ(a, 0);
  // Epsilon 1 at step 0: about half the actions are 1.
  dqn.OnEnvStep(0);
  int ones = 0;
  for (int i = 0; i < 1000; ++i) {
    dqn.Act(obs, 1, true, &a);
    ones += a == 1;
  }
  EXPECT_GT(ones, 400);
  EXPECT_LT(ones, 600);
  // After the exploration fraction: epsilon 0.05, mostly greedy.
  dqn.OnEnvStep(900);
  EXPECT_DOUBLE_EQ(dqn.epsilon(), 0.05);
  ones = 0;
  for (int i = 0; i < 1000; ++i) {
    dqn.Act(obs, 1, true, &a);
    ones += a == 1;
  }
  EXPECT_LT(ones, 60);
}

TEST(DqnConfig, ValidateNamesKeyAndValue) {
  DqnConfig c;
  c.gamma = 1.5;
  try {
    c.Validate();
    FAIL() << "gamma 1.5 accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "dqn.gamma must be in [0, 1], got 1.5");
  }
  c = DqnConfig{};
  c.tau = 0.0;
  EXPECT_THROW(c.Validate(), Error);
  c = DqnConfig{};
  c.loss = "l1";
  EXPECT_THROW(c.Validate(), Error);
  c = DqnConfig{};
  c.gradient_steps = 0;
  EXPECT_THROW(c.Validate(), Error);
  c = DqnConfig{};
  c.net.hidden_sizes = {64, 0};
  EXPECT_THROW(c.Validate(), Error);
}

TEST(DqnConfig, UnknownKeySuggestsNearest) {
  YAML::Node node = YAML::Load("{gamme: 0.9}");
  try {
    LoadConfig<DqnConfig>(node, "dqn");
    FAIL() << "unknown key accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'gamma'"), std::string::npos) << e.what();
  }
}

TEST(DqnUpdate, NanInQValuesStopsWithStepAndTensor) {
  Dqn dqn = MakeLinearDqn(false, true);
  {
    torch::NoGradGuard no_grad;
    dqn.q_net().linears().back().weight.fill_(std::numeric_limits<float>::quiet_NaN());
  }
  ReplayConfig rc;
  rc.capacity = 16;
  rc.gamma = 0.99;
  const EnvSpec spec = MakeEnv("CartPole-v1")->spec();
  ReplayBuffer buffer(rc, spec.observation_space, spec.action_space);
  float obs[4] = {0.1f, 0.2f, 0.3f, 0.4f}, next[4] = {0.2f, 0.3f, 0.4f, 0.5f};
  int64_t action = 1;
  double reward = 1.0;
  uint8_t term = 0;
  buffer.AddStep(TransitionRows{.n = 1,
                                .obs = obs,
                                .action = &action,
                                .reward = &reward,
                                .next_obs = next,
                                .terminated = &term});
  Batch batch;
  Rng rng(0);
  buffer.Sample(4, rng, batch);
  try {
    dqn.Update(batch);
    FAIL() << "NaN Q-values accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("q_values"), std::string::npos) << what;
    EXPECT_NE(what.find("gradient step 1"), std::string::npos) << what;
  }
}

TEST(DqnUpdate, LossDecreasesOnAFixedBatch) {
  DqnConfig c;
  c.net.hidden_sizes = {16};
  c.lr = 1e-2;
  c.target_update_interval = 1'000'000;
  AlgoContext ctx{.env = MakeEnv("CartPole-v1")->spec(),
                  .num_envs = 1,
                  .total_timesteps = 1000,
                  .net_rng = Rng(3),
                  .explore_rng = Rng(4)};
  Dqn dqn(c, std::move(ctx));
  ReplayConfig rc;
  rc.capacity = 8;
  const EnvSpec spec = MakeEnv("CartPole-v1")->spec();
  ReplayBuffer buffer(rc, spec.observation_space, spec.action_space);
  for (int i = 0; i < 8; ++i) {
    float obs[4] = {0.1f * i, 0.f, 0.f, 0.f}, next[4] = {0.1f * i + 0.1f, 0.f, 0.f, 0.f};
    int64_t action = i % 2;
    double reward = 1.0;
    uint8_t term = i == 7;
    buffer.AddStep(TransitionRows{.n = 1,
                                  .obs = obs,
                                  .action = &action,
                                  .reward = &reward,
                                  .next_obs = next,
                                  .terminated = &term});
  }
  Batch batch;
  Rng rng(5);
  buffer.Sample(8, rng, batch);
  const double first = dqn.Update(batch)[0].second;
  double last = first;
  for (int i = 0; i < 200; ++i) last = dqn.Update(batch)[0].second;
  EXPECT_LT(last, 0.1 * first);
  EXPECT_EQ(dqn.num_updates(), 201);
}

}  // namespace
}  // namespace bellman::algos
