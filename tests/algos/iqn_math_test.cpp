// IQN's update against a scalar re-computation of the paper's equations (Dabney et al. 2018b,
// "Implicit Quantile Networks"): Z_tau(s, a) = f(psi(s) * phi(tau))_a with the cosine embedding
// phi_j(tau) = ReLU(sum_i cos(pi i tau) w_ij + b_j) (eq. 4); the greedy next action a* from the
// mean over K fractions of the TARGET network (the online one with double_q); and the loss
// sum_i mean_j rho^kappa_tau_i(r + discount Z_tau'_j(s', a*) - Z_tau_i(s, a)) (eq. 3). The
// fractions are replayed from a copy of the agent's sample_rng, in the order the agent draws
// them: tau (B x N), tau' (B x N'), then the K fractions for a* (B x K).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "algos/math_fixture.h"
#include "bellman/nets/state_dict.h"

namespace bellman::algos {
namespace {

constexpr int kD = 4;  // psi(s) = ReLU(I s + 0): one hidden layer of CartPole's 4 numbers
constexpr int kE = 3;  // cosines in the embedding
constexpr int kA = 2;  // actions
constexpr int64_t kB = 4, kN = 2, kNPrime = 3, kK = 2;

struct IqnWeights {
  double we[kD][kE];  // embedding weight [out d, in i]
  double be[kD];
  double wh[kA][kD];  // head weight [a, d]
  double bh[kA];
};

// Weights with a few negative embedding pre-activations, so the ReLU matters; `greedy` gets the
// larger head bias.
IqnWeights Weights(double scale, int greedy) {
  IqnWeights w{};
  for (int d = 0; d < kD; ++d) {
    for (int i = 0; i < kE; ++i) w.we[d][i] = scale * (0.5 + 0.3 * d - 0.45 * i * (d % 2 + 1));
    w.be[d] = 0.2 - 0.25 * d;
    for (int a = 0; a < kA; ++a) w.wh[a][d] = scale * ((a == 0 ? 1.0 : -0.7) + 0.2 * d);
  }
  w.bh[greedy] = 1.5;
  w.bh[1 - greedy] = 1.0;
  return w;
}

void SetWeights(torch::nn::Module& m, const IqnWeights& w) {
  torch::NoGradGuard no_grad;
  int set = 0;
  for (auto& item : m.named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor& p = item.value();
    if (name == "torso.linear0.weight") {
      p.copy_(torch::eye(kD));
    } else if (name == "torso.linear0.bias") {
      p.zero_();
    } else if (name == "embedding.weight") {
      ASSERT_EQ(p.sizes(), (std::vector<int64_t>{kD, kE}));
      for (int d = 0; d < kD; ++d)
        for (int i = 0; i < kE; ++i) p[d][i] = w.we[d][i];
    } else if (name == "embedding.bias") {
      for (int d = 0; d < kD; ++d) p[d] = w.be[d];
    } else if (name == "head.weight") {
      ASSERT_EQ(p.sizes(), (std::vector<int64_t>{kA, kD}));
      for (int a = 0; a < kA; ++a)
        for (int d = 0; d < kD; ++d) p[a][d] = w.wh[a][d];
    } else if (name == "head.bias") {
      for (int a = 0; a < kA; ++a) p[a] = w.bh[a];
    } else {
      FAIL() << "unexpected parameter " << name;
    }
    ++set;
  }
  ASSERT_EQ(set, 6);
}

// Z_tau(s, a) by eq. 4, in double precision.
double Z(const IqnWeights& w, const std::vector<float>& s, double tau, int a) {
  double z = w.bh[a];
  for (int d = 0; d < kD; ++d) {
    double e = w.be[d];
    for (int i = 0; i < kE; ++i) e += w.we[d][i] * std::cos(M_PI * i * tau);
    z += w.wh[a][d] * std::max<double>(s[d], 0.0) * std::max(e, 0.0);
  }
  return z;
}

double QuantileHuber(double u, double tau) {  // rho^kappa_tau(u) / kappa, kappa = 1
  const double huber = std::abs(u) <= 1.0 ? 0.5 * u * u : std::abs(u) - 0.5;
  return std::abs(tau - (u < 0.0 ? 1.0 : 0.0)) * huber;
}

const std::vector<float> kObs = {0.1f, -0.2f, 0.3f, 0.4f};
const std::vector<float> kNext = {0.2f, 0.1f, -0.4f, 0.5f};
const IqnWeights kOnline = Weights(0.2, /*greedy=*/1);
const IqnWeights kTarget = Weights(-0.3, /*greedy=*/0);

struct Expected {
  double loss = 0.0, q_mean = 0.0;
  std::vector<int> a_star;  // per row
};

// The update's loss and q_mean on rows (s, a = 0, r = 1, s'), from fractions drawn from `rng`.
Expected Reference(Rng rng, bool double_q, bool terminated) {
  auto draw = [&](int64_t n) {
    std::vector<std::vector<double>> t(kB, std::vector<double>(n));
    for (auto& row : t)
      for (double& x : row) x = static_cast<float>(rng.Random());
    return t;
  };
  const auto taus = draw(kN), taus_prime = draw(kNPrime), taus_select = draw(kK);
  const double discount = terminated ? 0.0 : 0.5;
  Expected e;
  for (int64_t r = 0; r < kB; ++r) {
    const IqnWeights& selector = double_q ? kOnline : kTarget;
    double best = -1e300;
    int a_star = 0;
    for (int a = 0; a < kA; ++a) {
      double mean = 0.0;
      for (double t : taus_select[r]) mean += Z(selector, kNext, t, a) / kK;
      if (mean > best) best = mean, a_star = a;
    }
    e.a_star.push_back(a_star);
    double row_loss = 0.0, row_q = 0.0;
    for (double tau : taus[r]) {
      const double theta = Z(kOnline, kObs, tau, /*a=*/0);
      row_q += theta / kN;
      for (double tau_prime : taus_prime[r]) {
        const double target = 1.0 + discount * Z(kTarget, kNext, tau_prime, a_star);
        row_loss += QuantileHuber(target - theta, tau) / kNPrime;
      }
    }
    e.loss += row_loss / kB;
    e.q_mean += row_q / kB;
  }
  return e;
}

std::pair<double, double> Update(bool double_q, bool terminated, Rng* rng_before) {
  auto algo = testing::MakeAlgo(
      "iqn", "CartPole-v1",
      std::string("{num_tau_samples: 2, num_tau_prime_samples: 3, num_quantile_samples: 2, "
                  "embedding_dim: 3, kappa: 1.0, gamma: 0.5, learning_starts: 0, batch_size: 4, "
                  "max_grad_norm: 0, net: {hidden_sizes: [4], activation: relu, fast_path: false}, "
                  "double_q: ") +
          (double_q ? "true" : "false") + "}");
  nets::StateDict state;
  algo->DeclareState(state);
  SetWeights(state.module("q_net"), kOnline);
  SetWeights(state.module("q_target"), kTarget);
  *rng_before = testing::DeclaredRng(*algo, "sample_rng");
  const Batch batch =
      testing::OneTransitionBatch("CartPole-v1", kObs, {0.0f}, 1.0, kNext, terminated, kB);
  const auto m = testing::UpdateMetrics(*algo, batch);
  return {m.at("loss"), m.at("q_mean")};
}

TEST(IqnMath, TargetFromTheTargetNetsGreedyActionAtSampledFractions) {
  Rng rng(0);
  const auto [loss, q_mean] = Update(/*double_q=*/false, /*terminated=*/false, &rng);
  const Expected e = Reference(rng, false, false);
  // The target net's head bias favours a0, and the reference agrees on every row; the online
  // net would pick a1 (the next test), so the two selections give different losses.
  EXPECT_EQ(e.a_star, std::vector<int>(kB, 0));
  EXPECT_GT(e.loss, 0.0);
  EXPECT_NEAR(loss, e.loss, 1e-5 * e.loss);
  EXPECT_NEAR(q_mean, e.q_mean, 1e-6);
  EXPECT_GT(std::abs(e.loss - Reference(rng, true, false).loss), 1e-3);
}

TEST(IqnMath, DoubleQSelectsWithTheOnlineNet) {
  Rng rng(0);
  const auto [loss, q_mean] = Update(/*double_q=*/true, /*terminated=*/false, &rng);
  const Expected e = Reference(rng, true, false);
  EXPECT_EQ(e.a_star, std::vector<int>(kB, 1));
  EXPECT_NEAR(loss, e.loss, 1e-5 * e.loss);
  EXPECT_NEAR(q_mean, e.q_mean, 1e-6);
}

TEST(IqnMath, TerminationCutsTheBootstrap) {
  Rng rng(0);
  const auto [loss, q_mean] = Update(/*double_q=*/false, /*terminated=*/true, &rng);
  const Expected e = Reference(rng, false, true);
  EXPECT_NEAR(loss, e.loss, 1e-5 * e.loss);
  EXPECT_NEAR(q_mean, e.q_mean, 1e-6);
}

}  // namespace
}  // namespace bellman::algos
