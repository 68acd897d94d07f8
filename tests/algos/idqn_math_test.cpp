// i-DQN's update against hand-computed losses (Vincent et al. 2024, iterated Q-Network): with
// K heads, head 1 regresses on r + discount max_a' Qbar_0(s', a') from the ANCHOR (the copy of
// head 1 taken at the last rolling step) and head k > 1 on the TARGET network's head k - 1; the
// loss sums the heads' Huber losses. CartPole-v1 (2 actions), K = 2, linear nets with zero
// weights, so head k's value of action a is the output bias at a * K + k.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "algos/math_fixture.h"
#include "bellman/algos/algorithm.h"
#include "bellman/nets/state_dict.h"

namespace bellman::algos {
namespace {

void SetBias(torch::nn::Module& m, const std::vector<float>& bias) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters()) {
    if (p.dim() == 2) {
      p.zero_();
    } else {
      ASSERT_EQ(p.numel(), 4);
      p.copy_(torch::tensor(bias));
    }
  }
}

// Biases [a0 head0, a0 head1, a1 head0, a1 head1].
std::pair<double, double> LossOnOneTransition(bool terminated) {
  auto algo = testing::MakeAlgo(
      "idqn", "CartPole-v1",
      "{num_bellman_iterations: 2, gamma: 0.5, learning_starts: 0, batch_size: 4, "
      "net: {hidden_sizes: [], fast_path: false}}");
  nets::StateDict state;
  algo->DeclareState(state);
  SetBias(state.module("q_net"), {0.5f, 1.0f, 7.0f, 7.0f});
  SetBias(state.module("anchor"), {1.0f, 8.0f, 3.0f, 8.0f});    // head 0: max 3
  SetBias(state.module("q_target"), {5.0f, 9.0f, 2.0f, 9.0f});  // head 0: max 5

  const auto m = testing::UpdateMetrics(
      *algo, testing::OneTransitionBatch("CartPole-v1", {0.1f, -0.2f, 0.3f, 0.4f}, {0.0f}, 1.0,
                                         {0.2f, 0.1f, -0.4f, 0.5f}, terminated));
  return {m.at("loss"), m.at("q_mean")};
}

double Huber(double x) { return std::abs(x) <= 1.0 ? 0.5 * x * x : std::abs(x) - 0.5; }

TEST(IdqnMath, HeadOneFromTheAnchorHeadTwoFromTheTargetsHeadOne) {
  const auto [loss, q_mean] = LossOnOneTransition(/*terminated=*/false);
  // Q(s, a0) per head: [0.5, 1.0]. Targets: head 1: 1 + 0.5 * 3 (anchor) = 2.5;
  // head 2: 1 + 0.5 * 5 (target net's head 1) = 3.5. (Head 2 of the target would give 5.5.)
  EXPECT_NEAR(loss, Huber(0.5 - 2.5) + Huber(1.0 - 3.5), 1e-5);
  EXPECT_NEAR(q_mean, 0.5, 1e-6);  // head 1 acts and is reported
}

TEST(IdqnMath, TerminationCutsEveryHead) {
  const auto [loss, q_mean] = LossOnOneTransition(/*terminated=*/true);
  EXPECT_NEAR(loss, Huber(0.5 - 1.0) + Huber(1.0 - 1.0), 1e-6);
}

}  // namespace
}  // namespace bellman::algos
