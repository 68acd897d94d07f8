// The offline algorithms' updates against hand-computed losses, on linear networks whose weights
// are zero (so each net is its bias, or a linear function of the action): IQL's expectile value
// loss, its Q target from V(s') and its advantage weights (Kostrikov et al. 2021, eqs. 5-7),
// CQL's conservative gap (continuous, on action-independent critics, and discrete; Kumar et al.
// 2020, eq. 4), and Gaussian-likelihood BC.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>
#include <string>
#include <vector>

#include "algos/math_fixture.h"
#include "bellman/algos/algorithm.h"
#include "bellman/nets/mlp_net.h"
#include "bellman/nets/state_dict.h"

namespace bellman::algos {
namespace {

using testing::SetLinear;

// IQL on Pendulum-v1 (obs 3, action 1 in [-2, 2]; the batch's action 1.0 is 0.5 in [-1, 1]):
//   Q0_target(s, a) = a + 2 = 2.5, Q1_target(s, a) = 2 a + 1 = 2   -> min 2
//   Q0(s, a) = a = 0.5, Q1(s, a) = 0;  V(s) = v (any s);  actor mean tanh(atanh 0.25) = 0.25.
std::map<std::string, double> IqlUpdate(const std::string& policy, float v, bool terminated) {
  auto algo = testing::MakeAlgo(
      "iql", "Pendulum-v1",
      "{gamma: 0.5, lr: 1.0e-12, batch_size: 4, hidden_sizes: [], fast_path: false, "
      "expectile: 0.7, beta: 3.0, policy: " +
          policy + "}");
  nets::StateDict state;
  algo->DeclareState(state);
  SetLinear(state.module("critic0_target"), {0.f, 0.f, 0.f, 1.f}, {2.f});
  SetLinear(state.module("critic1_target"), {0.f, 0.f, 0.f, 2.f}, {1.f});
  SetLinear(state.module("critic0"), {0.f, 0.f, 0.f, 1.f}, {0.f});
  SetLinear(state.module("critic1"), {0.f, 0.f, 0.f, 0.f}, {0.f});
  SetLinear(state.module("value"), {0.f, 0.f, 0.f}, {v});
  SetLinear(state.module("actor"), {0.f, 0.f, 0.f}, {std::atanh(0.25f)});
  return testing::UpdateMetrics(
      *algo, testing::OneTransitionBatch("Pendulum-v1", {0.6f, 0.8f, -1.0f}, {1.0f}, 1.0,
                                         {0.8f, 0.6f, 2.0f}, terminated));
}

TEST(IqlMath, ExpectileValueLossQTargetFromVAndAdvantageWeights) {
  // u = 2 - V(s) = 1 > 0: weight expectile 0.7; y = r + 0.5 V(s') = 1.5.
  auto m = IqlUpdate("deterministic", 1.0f, /*terminated=*/false);
  EXPECT_NEAR(m.at("value_loss"), 0.7 * 1.0, 1e-6);
  EXPECT_NEAR(m.at("q_loss"), 0.5 * ((0.5 - 1.5) * (0.5 - 1.5) + 1.5 * 1.5), 1e-6);
  EXPECT_NEAR(m.at("adv_mean"), 1.0, 1e-6);
  // exp(beta u) |pi(s) - a|^2 = e^3 (0.25 - 0.5)^2.
  EXPECT_NEAR(m.at("actor_loss"), std::exp(3.0) * 0.0625, 1e-5);
  EXPECT_NEAR(m.at("q_mean"), 0.5, 1e-6);
  // u = 2 - 3 = -1 < 0: weight 1 - 0.7; a termination cuts V(s'): y = r = 1.
  m = IqlUpdate("deterministic", 3.0f, /*terminated=*/true);
  EXPECT_NEAR(m.at("value_loss"), 0.3 * 1.0, 1e-6);
  EXPECT_NEAR(m.at("q_loss"), 0.5 * ((0.5 - 1.0) * (0.5 - 1.0) + 1.0), 1e-6);
  EXPECT_NEAR(m.at("actor_loss"), std::exp(-3.0) * 0.0625, 1e-7);
}

TEST(IqlMath, GaussianPolicyLossIsTheWeightedNegativeLogLikelihood) {
  // log std 0: -log N(0.5; 0.25, 1) = 0.5 * 0.25^2 + 0.5 log(2 pi).
  const auto m = IqlUpdate("gaussian", 1.0f, /*terminated=*/false);
  const double nll = 0.5 * 0.0625 + 0.5 * std::log(2.0 * std::numbers::pi);
  EXPECT_NEAR(m.at("actor_loss"), std::exp(3.0) * nll, 1e-5);
}

// Discrete CQL on CartPole-v1 with bias-only Q-nets: Q(s, .) = [1, 2], Q_target(s', .) =
// [0.5, 3]; double Q selects a' = argmax Q(s', .) = 1, so y = 1 + 0.5 * 3 = 2.5 (or 1 after a
// termination). The taken action is 1: Huber(2 - y) + alpha (log(e^1 + e^2) - 2).
double DiscreteCqlLoss(double alpha, bool terminated) {
  auto algo =
      testing::MakeAlgo("discrete_cql", "CartPole-v1",
                        "{gamma: 0.5, lr: 1.0e-12, batch_size: 4, max_grad_norm: 0, cql_alpha: " +
                            std::to_string(alpha) + ", net: {hidden_sizes: [], fast_path: false}}");
  nets::StateDict state;
  algo->DeclareState(state);
  SetLinear(state.module("q_net"), std::vector<float>(8, 0.f), {1.f, 2.f});
  SetLinear(state.module("q_target"), std::vector<float>(8, 0.f), {0.5f, 3.f});
  const auto m = testing::UpdateMetrics(
      *algo, testing::OneTransitionBatch("CartPole-v1", {0.1f, -0.2f, 0.3f, 0.4f}, {1.0f}, 1.0,
                                         {0.2f, 0.1f, -0.4f, 0.5f}, terminated));
  return m.at("loss");
}

TEST(DiscreteCqlMath, HuberPlusAlphaTimesLogSumExpGap) {
  const double gap = std::log(std::exp(1.0) + std::exp(2.0)) - 2.0;
  EXPECT_NEAR(DiscreteCqlLoss(1.0, false), 0.5 * 0.5 * 0.5 + gap, 1e-6);
  EXPECT_NEAR(DiscreteCqlLoss(4.0, false), 0.125 + 4.0 * gap, 1e-6);
  EXPECT_NEAR(DiscreteCqlLoss(1.0, true), 0.5 + gap, 1e-6);  // |2 - 1| = 1: Huber 0.5
  EXPECT_NEAR(DiscreteCqlLoss(0.0, false), 0.125, 1e-7);     // plain double DQN
}

// CQL on Pendulum-v1 with critics that ignore the action (bias only): Q_k(s, .) = c_k, targets
// Q'_k = t_k. The TD target is r + 0.5 min(t_0, t_1) whatever the sampled next action, and
// without importance sampling the log-sum-exp runs over the 30 sampled actions and the data's
// action, all worth c_k: temp * logsumexp(c_k / temp) over 31 entries - c_k = temp * log 31.
std::map<std::string, double> CqlUpdate(const std::string& extra) {
  auto algo = testing::MakeAlgo(
      "cql", "Pendulum-v1",
      "{gamma: 0.5, lr: 1.0e-12, actor_lr: 1.0e-12, batch_size: 4, hidden_sizes: [], "
      "fast_path: false, cql_importance_sample: false, cql_alpha: 2.0, " +
          extra + "}");
  nets::StateDict state;
  algo->DeclareState(state);
  SetLinear(state.module("critic0"), {0.f, 0.f, 0.f, 0.f}, {1.f});
  SetLinear(state.module("critic1"), {0.f, 0.f, 0.f, 0.f}, {3.f});
  SetLinear(state.module("critic0_target"), {0.f, 0.f, 0.f, 0.f}, {2.f});
  SetLinear(state.module("critic1_target"), {0.f, 0.f, 0.f, 0.f}, {4.f});
  return testing::UpdateMetrics(
      *algo, testing::OneTransitionBatch("Pendulum-v1", {0.6f, 0.8f, -1.0f}, {1.0f}, 1.0,
                                         {0.8f, 0.6f, 2.0f}, false));
}

// CSVE (the iql.cpp variant): V(s) = w . s + v, so the penalty's gap is
// mean V(s + eps) - mean V(s) = w . mean(eps), eps = csve_noise * N(0, I) from explore_rng.
TEST(CsveMath, ValueGapOnPerturbedStatesAddsToTheValueLoss) {
  auto make = [](const std::string& algo, double alpha) {
    return testing::MakeAlgo(
        algo, "Pendulum-v1",
        fmt::format("{{gamma: 0.5, lr: 1.0e-12, batch_size: 4, hidden_sizes: [], "
                    "fast_path: false, expectile: 0.7, policy: deterministic, csve_alpha: {}, "
                    "csve_noise: 0.5}}",
                    alpha));
  };
  auto set = [](Algorithm& algo) {
    nets::StateDict state;
    algo.DeclareState(state);
    SetLinear(state.module("critic0_target"), {0.f, 0.f, 0.f, 1.f}, {2.f});
    SetLinear(state.module("critic1_target"), {0.f, 0.f, 0.f, 2.f}, {1.f});
    SetLinear(state.module("critic0"), {0.f, 0.f, 0.f, 1.f}, {0.f});
    SetLinear(state.module("critic1"), {0.f, 0.f, 0.f, 0.f}, {0.f});
    SetLinear(state.module("value"), {1.f, -2.f, 0.5f}, {1.f});
    SetLinear(state.module("actor"), {0.f, 0.f, 0.f}, {std::atanh(0.25f)});
  };
  const Batch batch = testing::OneTransitionBatch("Pendulum-v1", {0.6f, 0.8f, -1.0f}, {1.0f}, 1.0,
                                                  {0.8f, 0.6f, 2.0f}, false);
  auto csve = make("csve", 2.0);
  set(*csve);
  Rng rng = testing::DeclaredRng(*csve, "explore_rng");
  const torch::Tensor eps = 0.5f * nets::StandardNormal(rng, {4, 3});
  const torch::Tensor w = torch::tensor({1.f, -2.f, 0.5f});
  const double gap = (eps * w).sum(1).mean().item<double>();
  const auto m = testing::UpdateMetrics(*csve, batch);
  // V(s) = 0.6 - 1.6 - 0.5 + 1 = -0.5, u = min Q_target - V = 2 + 0.5 = 2.5 > 0: 0.7 u^2.
  EXPECT_NEAR(m.at("value_gap"), gap, 1e-6);
  EXPECT_NEAR(m.at("value_loss"), 0.7 * 2.5 * 2.5 + 2.0 * gap, 1e-5);
  // csve_alpha 0 is IQL: the same metrics, no value_gap column.
  auto plain = make("csve", 0.0), iql = make("iql", 0.0);
  set(*plain);
  set(*iql);
  const auto a = testing::UpdateMetrics(*plain, batch), b = testing::UpdateMetrics(*iql, batch);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.count("value_gap"), 0u);
}

TEST(CqlMath, ConservativeGapOverSampledActionsAndTheLagrangianWeight) {
  // y = 1 + 0.5 * min(2, 4) = 2; MSE: (1 - 2)^2 + (3 - 2)^2 = 2.
  auto m = CqlUpdate("cql_temp: 1.0");
  EXPECT_NEAR(m.at("cql_gap"), std::log(31.0), 1e-5);
  EXPECT_NEAR(m.at("critic_loss"), 2.0 + 2.0 * 2.0 * std::log(31.0), 1e-4);
  EXPECT_NEAR(m.at("q_mean"), 1.0, 1e-6);
  m = CqlUpdate("cql_temp: 0.5");  // temp scales the soft maximum's excess
  EXPECT_NEAR(m.at("cql_gap"), 0.5 * std::log(31.0), 1e-5);
  // Lagrangian: alpha' = exp(0) = 1 at the start, weight cql_alpha * alpha' on gap - target gap.
  m = CqlUpdate("cql_temp: 1.0, cql_lagrange: true, cql_target_action_gap: 1.0");
  EXPECT_NEAR(m.at("alpha_prime"), 1.0, 1e-6);
  EXPECT_NEAR(m.at("critic_loss"), 2.0 + 2.0 * 2.0 * (std::log(31.0) - 1.0), 1e-4);
}

TEST(BcMath, GaussianLikelihoodAndCrossEntropy) {
  // Box: mean tanh(atanh 0.25) = 0.25, log std -1 (the actor's second output); a = 0.5.
  auto bc = testing::MakeAlgo(
      "bc", "Pendulum-v1",
      "{lr: 1.0e-12, batch_size: 4, hidden_sizes: [], fast_path: false, loss: gaussian}");
  nets::StateDict state;
  bc->DeclareState(state);
  SetLinear(state.module("actor"), std::vector<float>(6, 0.f), {std::atanh(0.25f), -1.f});
  auto m = testing::UpdateMetrics(
      *bc, testing::OneTransitionBatch("Pendulum-v1", {0.6f, 0.8f, -1.0f}, {1.0f}, 1.0,
                                       {0.8f, 0.6f, 2.0f}, false));
  const double z = 0.25 / std::exp(-1.0);
  EXPECT_NEAR(m.at("bc_loss"), 0.5 * z * z - 1.0 + 0.5 * std::log(2.0 * std::numbers::pi), 1e-5);
  // Discrete: logits [0, ln 3] on CartPole, action 1: -log(3 / 4).
  auto dbc = testing::MakeAlgo("discrete_bc", "CartPole-v1",
                               "{lr: 1.0e-12, batch_size: 4, net: {hidden_sizes: [], "
                               "fast_path: false}}");
  nets::StateDict dstate;
  dbc->DeclareState(dstate);
  SetLinear(dstate.module("q_net"), std::vector<float>(8, 0.f), {0.f, std::log(3.f)});
  m = testing::UpdateMetrics(
      *dbc, testing::OneTransitionBatch("CartPole-v1", {0.1f, -0.2f, 0.3f, 0.4f}, {1.0f}, 1.0,
                                        {0.2f, 0.1f, -0.4f, 0.5f}, false));
  EXPECT_NEAR(m.at("loss"), -std::log(0.75), 1e-6);
}

}  // namespace
}  // namespace bellman::algos
