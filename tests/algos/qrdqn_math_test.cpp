// QR-DQN's update against hand-computed losses: which network gives the target quantiles, the
// greedy next action by mean quantile (or the online net's with double_q), the discount and the
// cut at a termination, and the quantile Huber loss with midpoint fractions (Dabney et al. 2018,
// "Distributional RL with Quantile Regression", Algorithm 1 and eq. 9).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "algos/math_fixture.h"
#include "bellman/algos/algorithm.h"
#include "bellman/nets/state_dict.h"

namespace bellman::algos {
namespace {

// QR-DQN with N = 2 quantiles and a linear network whose weights are zero, so that the quantiles
// are the output biases for every observation: bias[a * N + i] is quantile i of action a.
std::unique_ptr<Algorithm> MakeQrDqn(bool double_q, const std::vector<float>& online_bias,
                                     const std::vector<float>& target_bias) {
  auto algo = testing::MakeAlgo(
      "qrdqn", "CartPole-v1",
      std::string("{num_quantiles: 2, kappa: 1.0, gamma: 0.5, learning_starts: 0, batch_size: 4, "
                  "max_grad_norm: 0, net: {hidden_sizes: [], fast_path: false}, double_q: ") +
          (double_q ? "true" : "false") + "}");
  nets::StateDict state;
  algo->DeclareState(state);
  torch::NoGradGuard no_grad;
  for (const auto& [name, bias] : {std::pair{"q_net", online_bias}, {"q_target", target_bias}}) {
    int biases = 0;
    for (auto& p : state.module(name).parameters()) {
      if (p.dim() == 2) {
        p.zero_();
      } else {
        EXPECT_EQ(p.numel(), 4) << name;
        p.copy_(torch::tensor(bias));
        ++biases;
      }
    }
    EXPECT_EQ(biases, 1) << name << ": expected one linear layer";
  }
  return algo;
}

// One Update on a batch whose rows are all the transition (s, a = 0, r = 1, s', terminated):
// returns the loss metric (computed before the optimizer step) and q_mean.
std::pair<double, double> LossOnOneTransition(Algorithm& algo, bool terminated) {
  const auto m = testing::UpdateMetrics(
      algo, testing::OneTransitionBatch("CartPole-v1", {0.1f, -0.2f, 0.3f, 0.4f}, {0.0f}, 1.0,
                                        {0.2f, 0.1f, -0.4f, 0.5f}, terminated));
  return {m.at("loss"), m.at("q_mean")};
}

// Online quantiles: a0 = [0.5, 1.5] (the action taken), a1 = [4, 6] (the online net's greedy
// action). Target quantiles: a0 = [1, 3] (mean 2, the target net's greedy action), a1 = [0, 2].
const std::vector<float> kOnline = {0.5f, 1.5f, 4.0f, 6.0f};
const std::vector<float> kTarget = {1.0f, 3.0f, 0.0f, 2.0f};

TEST(QrDqnMath, TargetFromTheTargetNetsGreedyAction) {
  auto algo = MakeQrDqn(/*double_q=*/false, kOnline, kTarget);
  const auto [loss, q_mean] = LossOnOneTransition(*algo, /*terminated=*/false);
  // a* = argmax_a mean_j Qbar_j(s', a) = a0 -> target = 1 + 0.5 [1, 3] = [1.5, 2.5].
  // theta = [0.5, 1.5], tau = [0.25, 0.75], u_ij = target_j - theta_i, Huber kappa = 1:
  //   i = 0: u = [1, 2] (>0, weight 0.25): 0.25 (0.5 + 1.5) / 2 = 0.25
  //   i = 1: u = [0, 1] (weight 0.75):     0.75 (0 + 0.5) / 2   = 0.1875
  EXPECT_NEAR(loss, 0.4375, 1e-6);
  EXPECT_NEAR(q_mean, 1.0, 1e-6);  // mean of the taken action's quantiles
}

TEST(QrDqnMath, TerminationCutsTheBootstrap) {
  auto algo = MakeQrDqn(/*double_q=*/false, kOnline, kTarget);
  const auto [loss, q_mean] = LossOnOneTransition(*algo, /*terminated=*/true);
  // target = [1, 1]:
  //   i = 0: u = [0.5, 0.5] (weight 0.25):            0.25 * 0.125 = 0.03125
  //   i = 1: u = [-0.5, -0.5] (weight |0.75 - 1|):    0.25 * 0.125 = 0.03125
  EXPECT_NEAR(loss, 0.0625, 1e-6);
  EXPECT_NEAR(q_mean, 1.0, 1e-6);
}

TEST(QrDqnMath, DoubleQSelectsWithTheOnlineNet) {
  auto algo = MakeQrDqn(/*double_q=*/true, kOnline, kTarget);
  const auto [loss, q_mean] = LossOnOneTransition(*algo, /*terminated=*/false);
  // a* = argmax_a mean_i Q_i(s', a) = a1 (online), evaluated by the target net: [0, 2]
  // -> target = [1, 2]:
  //   i = 0: u = [0.5, 1.5] (weight 0.25):          0.25 (0.125 + 1.0) / 2    = 0.140625
  //   i = 1: u = [-0.5, 0.5] (weights 0.25, 0.75):  (0.25 + 0.75) 0.125 / 2   = 0.0625
  EXPECT_NEAR(loss, 0.203125, 1e-6);
  EXPECT_NEAR(q_mean, 1.0, 1e-6);
}

}  // namespace
}  // namespace bellman::algos
