// CQN's update against hand-computed losses (Seo et al. 2024, coarse-to-fine Q-learning; the
// file comment of src/algos/cqn.cpp): per level l, y^l = r + discount U~^l(s', a'^{l-1}, b*),
// b* chosen by the online critic (double Q) or the target, and the loss sums the levels' Huber
// losses between Q^l(s, a^{l-1}, a^l) and y^l; a replayed action is located level by level.
// Pendulum-v1 (1 action dimension), 2 levels of 2 bins. The critic is linear and sees
// [s, interval centre, onehot(level)]; only the one-hot weights are non-zero, so U^l(b) is the
// weight of output b on the level-l column.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "algos/math_fixture.h"
#include "bellman/algos/algorithm.h"
#include "bellman/nets/state_dict.h"

namespace bellman::algos {
namespace {

// u[l][b]: the utility of bin b at level l for every state and interval.
void SetCritic(torch::nn::Module& m, const float u[2][2]) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters()) {
    p.zero_();
    if (p.dim() == 2) {
      ASSERT_EQ(p.size(0), 2);  // 1 dimension x 2 bins
      ASSERT_EQ(p.size(1), 3 + 1 + 2);
      for (int l = 0; l < 2; ++l) {
        for (int b = 0; b < 2; ++b) p[b][4 + l] = u[l][b];
      }
    }
  }
}

std::map<std::string, double> LossOnOneTransition(bool double_q) {
  auto algo = testing::MakeAlgo(
      "cqn", "Pendulum-v1",
      std::string("{gamma: 0.5, lr: 1.0e-12, learning_starts: 0, batch_size: 4, hidden_sizes: [], "
                  "fast_path: false, levels: 2, bins_per_dim: 2, n_step: 1, double_q: ") +
          (double_q ? "true" : "false") + "}");
  nets::StateDict state;
  algo->DeclareState(state);
  const float online[2][2] = {{1.0f, 0.0f}, {0.0f, 2.0f}};
  const float target[2][2] = {{0.5f, 3.0f}, {4.0f, 1.5f}};
  SetCritic(state.module("critic"), online);
  SetCritic(state.module("critic_target"), target);

  // Action -1 is -0.5 in [-1, 1]: bin 0 of [-1, 1], then bin 1 of [-1, 0].
  return testing::UpdateMetrics(
      *algo, testing::OneTransitionBatch("Pendulum-v1", {0.6f, 0.8f, -1.0f}, {-1.0f}, 1.0,
                                         {0.8f, 0.6f, 2.0f},
                                         /*terminated=*/false));
}

double Huber(double x) { return std::abs(x) <= 1.0 ? 0.5 * x * x : std::abs(x) - 0.5; }

TEST(CqnMath, LevelTargetsWithDoubleQ) {
  auto m = LossOnOneTransition(/*double_q=*/true);
  // Taken bins: level 0 bin 0 (U = 1), level 1 bin 1 (U = 2): Q = [1, 2].
  // Online greedy on s': level 0 bin 0, level 1 bin 1; the target evaluates them: [0.5, 1.5].
  // y = 1 + 0.5 [0.5, 1.5] = [1.25, 1.75].
  EXPECT_NEAR(m.at("critic_loss"), Huber(1.0 - 1.25) + Huber(2.0 - 1.75), 1e-5);
  EXPECT_NEAR(m.at("q_mean"), 2.0, 1e-6);  // the finest level's Q
}

TEST(CqnMath, WithoutDoubleQTheTargetZoomsAndSelects) {
  auto m = LossOnOneTransition(/*double_q=*/false);
  // Target greedy: level 0 bin 1 (3), level 1 bin 0 (4): y = 1 + 0.5 [3, 4] = [2.5, 3].
  EXPECT_NEAR(m.at("critic_loss"), Huber(1.0 - 2.5) + Huber(2.0 - 3.0), 1e-5);
}

}  // namespace
}  // namespace bellman::algos
