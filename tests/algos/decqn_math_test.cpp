// DecQN and REValueD updates against hand-computed losses on HalfCheetah-v4's 6 action
// dimensions, 3 bins each (docs/discretised.md):
//   DecQN (Seyde et al. 2023, eq. 4): Q(s, a) = 1/M sum_d U_d(s, a_d),
//     y = r + discount 1/M sum_d U~_d(s', argmax_b U_d(s', b)) (double Q per dimension).
//   REValueD (Ireland & Montana 2024): an ensemble, the target from ensemble means, and the
//     regulariser E 1/M sum_d w_d (U_d(s, a_d) - U~_d(s, a_d))^2, w_d = 1 - exp(-|y - U_d|).
// The critics are linear with zero weights, so U_d(s, b) is the output bias at d * bins + b.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "algos/math_fixture.h"
#include "bellman/algos/algorithm.h"
#include "bellman/nets/state_dict.h"

namespace bellman::algos {
namespace {

constexpr int kDims = 6;
constexpr int kBins = 3;

// Utilities per dimension: u(d) gives the 3 bin values of dimension d.
std::vector<float> Biases(const std::function<std::vector<float>(int)>& u) {
  std::vector<float> b;
  for (int d = 0; d < kDims; ++d) {
    for (float x : u(d)) b.push_back(x);
  }
  return b;
}

void SetCritic(torch::nn::Module& m, const std::vector<float>& bias) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters()) {
    if (p.dim() == 2) {
      p.zero_();
    } else {
      ASSERT_EQ(p.numel(), kDims * kBins);
      p.copy_(torch::tensor(bias));
    }
  }
}

std::unique_ptr<Algorithm> Make(const std::string& algo, const std::string& extra) {
  return testing::MakeAlgo(algo, "HalfCheetah-v4",
                           "{gamma: 0.5, lr: 1.0e-12, learning_starts: 0, batch_size: 4, "
                           "hidden_sizes: [], fast_path: false, bins_per_dim: 3, n_step: 1" +
                               extra + "}");
}

// One Update on rows that are all (s, a, r = 1, s', not terminated) with a_d = -1 (bin 0) in
// even dimensions and +1 (bin 2) in odd ones.
std::map<std::string, double> UpdateOnOneTransition(Algorithm& algo) {
  std::vector<float> action(kDims);
  for (int d = 0; d < kDims; ++d) action[d] = d % 2 == 0 ? -1.0f : 1.0f;
  return testing::UpdateMetrics(
      algo, testing::OneTransitionBatch("HalfCheetah-v4", std::vector<float>(17, 0.1f), action, 1.0,
                                        std::vector<float>(17, -0.2f), /*terminated=*/false));
}

double Huber(double x) { return std::abs(x) <= 1.0 ? 0.5 * x * x : std::abs(x) - 0.5; }

// Online U_d = [1, 0, 0] (greedy: bin 0); target U~_d = [0.5 + 0.1 d, 2, 3] (greedy: bin 2).
TEST(DecqnMath, DecomposedTargetWithDoubleQPerDimension) {
  auto algo = Make("decqn", "");
  nets::StateDict state;
  algo->DeclareState(state);
  SetCritic(state.module("critic0"), Biases([](int) { return std::vector<float>{1, 0, 0}; }));
  SetCritic(state.module("critic0_target"), Biases([](int d) {
              return std::vector<float>{0.5f + 0.1f * static_cast<float>(d), 2, 3};
            }));
  auto m = UpdateOnOneTransition(*algo);
  // Q(s, a) = mean(1, 0, 1, 0, 1, 0) = 0.5 (bins 0, 2, 0, 2, 0, 2).
  // y = 1 + 0.5 * mean_d U~_d(bin 0) = 1 + 0.5 * 0.75 = 1.375.
  EXPECT_NEAR(m.at("q_mean"), 0.5, 1e-6);
  EXPECT_NEAR(m.at("critic_loss"), Huber(0.5 - 1.375), 1e-5);
  EXPECT_EQ(m.at("reg_loss"), 0.0);
}

TEST(DecqnMath, WithoutDoubleQTheTargetNetSelects) {
  auto algo = Make("decqn", ", double_q: false");
  nets::StateDict state;
  algo->DeclareState(state);
  SetCritic(state.module("critic0"), Biases([](int) { return std::vector<float>{1, 0, 0}; }));
  SetCritic(state.module("critic0_target"), Biases([](int d) {
              return std::vector<float>{0.5f + 0.1f * static_cast<float>(d), 2, 3};
            }));
  auto m = UpdateOnOneTransition(*algo);
  // y = 1 + 0.5 * 3 = 2.5 (bin 2 in every dimension).
  EXPECT_NEAR(m.at("critic_loss"), Huber(0.5 - 2.5), 1e-5);
}

TEST(RevaluedMath, EnsembleTargetAndRegulariser) {
  auto algo = Make("revalued", ", ensemble_size: 2, reg_coef: 0.5");
  nets::StateDict state;
  algo->DeclareState(state);
  EXPECT_THROW(state.module("critic2"), Error);
  SetCritic(state.module("critic0"), Biases([](int) { return std::vector<float>{1, 0, 0}; }));
  SetCritic(state.module("critic1"), Biases([](int) {
              return std::vector<float>{1.0f, 0.2f, 0.4f};
            }));
  auto target = [](float base) {
    return Biases([base](int d) {
      return std::vector<float>{base + 0.1f * static_cast<float>(d), 2, 3};
    });
  };
  SetCritic(state.module("critic0_target"), target(0.5f));
  SetCritic(state.module("critic1_target"), target(1.5f));
  auto m = UpdateOnOneTransition(*algo);
  // Next bins: argmax of the online mean [1, 0.1, 0.2] = bin 0; target mean at bin 0:
  // 1.0 + 0.1 d, mean over d 1.25: y = 1 + 0.5 * 1.25 = 1.625.
  const double y = 1.625;
  const double q0 = 0.5;                      // mean(1, 0, 1, 0, 1, 0)
  const double q1 = (3 * 1.0 + 3 * 0.4) / 6;  // mean(1, .4, 1, .4, 1, .4) = 0.7
  // Regulariser of critic k: mean over the 6 dimensions of w_d (U_d - U~_d)^2.
  auto w = [&](double u) { return 1.0 - std::exp(-std::abs(y - u)); };
  double reg0 = 0.0, reg1 = 0.0;
  for (int d = 0; d < kDims; ++d) {
    if (d % 2 == 0) {  // bin 0
      reg0 += w(1.0) * std::pow(1.0 - (0.5 + 0.1 * d), 2);
      reg1 += w(1.0) * std::pow(1.0 - (1.5 + 0.1 * d), 2);
    } else {  // bin 2
      reg0 += w(0.0) * std::pow(0.0 - 3.0, 2);
      reg1 += w(0.4) * std::pow(0.4 - 3.0, 2);
    }
  }
  reg0 /= kDims;
  reg1 /= kDims;
  EXPECT_NEAR(m.at("q_mean"), q0, 1e-6);  // the first critic's Q
  EXPECT_NEAR(m.at("reg_loss"), reg0 + reg1, 1e-4);
  EXPECT_NEAR(m.at("critic_loss"), Huber(q0 - y) + Huber(q1 - y) + 0.5 * (reg0 + reg1), 1e-4);
}

}  // namespace
}  // namespace bellman::algos
