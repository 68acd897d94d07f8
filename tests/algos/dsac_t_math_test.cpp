// DSAC-T's critic and actor losses against a scalar re-computation (Duan et al., "Distributional
// Soft Actor-Critic with Three Refinements"): (1) the mean is trained on the expected target
// y_q = r + discount (Q'(s', a') - alpha log pi(a'|s')); (2) of the twin target distributions
// the one with the smaller mean gives both y_q and the sampled y_z = r + discount (Q' + z sigma'
// - alpha log pi), z ~ N(0, 1) clipped to [-3, 3]; (3) the gradient is scaled by
// sigma_bar^2 + b, sigma_bar the moving average (rate tau_b) of the batch's mean sigma, and y_z
// is clipped to Q +- xi sigma_bar. The loss metric is the surrogate whose gradient is the
// paper's critic gradient (dsac_t.cpp). Pendulum-v1 with linear nets whose weights are zero, so
// each critic's [Q, raw sigma] and the actor's [mu, raw log std] are output biases; the noise
// is replayed from a copy of update_rng in the agent's draw order: the policy's eps at s, its
// eps at s', then z for each target critic.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "algos/math_fixture.h"
#include "bellman/nets/state_dict.h"

namespace bellman::algos {
namespace {

constexpr int64_t kB = 4;
constexpr double kAlpha = 0.5, kB0 = 0.1, kXi = 3.0, kTauB = 0.005;
constexpr double kMu = 0.2, kLogStd = -1.0;  // the actor's Gaussian before the tanh

double InverseSoftplus(double s) { return std::log(std::expm1(s)); }

void SetBias(torch::nn::Module& module, const std::vector<float>& bias) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) {
    if (p.dim() == 2) {
      p.zero_();
    } else {
      ASSERT_EQ(p.numel(), 2);
      p.copy_(torch::tensor(bias));
    }
  }
}

void SetCritic(nets::StateDict& state, const std::string& name, double q, double sigma) {
  SetBias(state.module(name), {static_cast<float>(q), static_cast<float>(InverseSoftplus(sigma))});
}

// log pi(a|s) of the squashed Gaussian for the noise eps (Haarnoja et al. 2018, eq. 21).
double LogPi(double eps) {
  const double u = kMu + std::exp(kLogStd) * eps;
  const double a = std::tanh(u);
  return -0.5 * eps * eps - kLogStd - 0.5 * std::log(2.0 * M_PI) - std::log(1.0 - a * a + 1e-6);
}

struct Critic {
  double q, sigma;
};

// One critic's term: (sigma_bar^2 + b) * mean over rows of the surrogate.
double CriticTerm(Critic c, double sigma_bar, const std::vector<double>& y_q,
                  const std::vector<double>& y_z) {
  double sum = 0.0;
  const double bound = kXi * sigma_bar;
  for (int64_t r = 0; r < kB; ++r) {
    const double y_z_clipped = c.q + std::clamp(y_z[r] - c.q, -bound, bound);
    const double s = c.sigma;
    sum += -(y_q[r] - c.q) / (s * s + kB0) * c.q -
           ((c.q - y_z_clipped) * (c.q - y_z_clipped) - s * s) / (s * s * s + kB0) * s;
  }
  return (sigma_bar * sigma_bar + kB0) * sum / kB;
}

// Targets from the target critics (means 3 and 4) for one update's draws.
void Targets(Rng& rng, bool terminated, std::vector<double>* eps_pi, std::vector<double>* y_q,
             std::vector<double>* y_z) {
  std::vector<double> eps_next(kB), z1(kB), z2(kB);
  for (auto* v : {eps_pi, &eps_next, &z1, &z2}) {
    v->resize(kB);
    for (double& x : *v) x = static_cast<float>(rng.StandardNormal());
  }
  const double discount = terminated ? 0.0 : 0.5;
  y_q->clear();
  y_z->clear();
  for (int64_t r = 0; r < kB; ++r) {
    // Target 0 has the smaller mean (3 < 4) and sigma 0.4; target 1 (sigma 2) is not used.
    const double entropy = kAlpha * LogPi(eps_next[r]);
    y_q->push_back(1.0 + discount * (3.0 - entropy));
    y_z->push_back(1.0 + discount * (3.0 + std::clamp(z1[r], -3.0, 3.0) * 0.4 - entropy));
  }
}

std::unique_ptr<Algorithm> MakeDsacT(nets::StateDict& state) {
  auto algo = testing::MakeAlgo("dsac_t", "Pendulum-v1",
                                "{gamma: 0.5, lr: 1.0e-12, learning_starts: 0, batch_size: 4, "
                                "hidden_sizes: [], fast_path: false, ent_coef: '0.5', "
                                "policy_delay: 2, tau_b: 0.005, clip_xi: 3.0, grad_bias: 0.1}");
  algo->DeclareState(state);
  SetBias(state.module("actor"), {static_cast<float>(kMu), static_cast<float>(kLogStd)});
  SetCritic(state, "critic0", 1.0, 0.25);
  SetCritic(state, "critic1", 2.0, 1.0);
  SetCritic(state, "critic0_target", 3.0, 0.4);
  SetCritic(state, "critic1_target", 4.0, 2.0);
  return algo;
}

std::map<std::string, double> Update(Algorithm& algo, bool terminated) {
  const Batch batch = testing::OneTransitionBatch("Pendulum-v1", {0.6f, 0.8f, -1.0f}, {1.0f}, 1.0,
                                                  {0.8f, 0.6f, 2.0f}, terminated, kB);
  return testing::UpdateMetrics(algo, batch);
}

TEST(DsacTMath, SmallerMeanTargetClippedSampleAndGradientScale) {
  nets::StateDict state;
  auto algo = MakeDsacT(state);
  Rng rng = testing::DeclaredRng(*algo, "update_rng");
  std::vector<double> eps_pi, y_q, y_z;
  Targets(rng, /*terminated=*/false, &eps_pi, &y_q, &y_z);

  auto m = Update(*algo, /*terminated=*/false);
  // First batch: sigma_bar is the batch's mean sigma. Critic 0's bound 3 * 0.25 = 0.75 clips
  // y_z - Q (about 1.5); critic 1's bound 3 does not.
  const double expected =
      CriticTerm({1.0, 0.25}, 0.25, y_q, y_z) + CriticTerm({2.0, 1.0}, 1.0, y_q, y_z);
  EXPECT_NEAR(m.at("critic_loss"), expected, 1e-5 * std::abs(expected));
  EXPECT_NEAR(m.at("q_mean"), 1.0, 1e-6);
  EXPECT_NEAR(m.at("sigma_mean"), 0.25, 1e-6);
  EXPECT_NEAR(m.at("ent_coef"), kAlpha, 1e-12);
  EXPECT_EQ(m.at("actor_loss"), 0.0);  // policy_delay 2: no actor step on the first update

  // Second update: critic 0's sigma is now 0.5, so sigma_bar moves by tau_b towards it; the
  // actor steps (mean of alpha log pi(a~|s) - min(Q0, Q1) = alpha log pi - 1).
  SetCritic(state, "critic0", 1.0, 0.5);
  Targets(rng, /*terminated=*/false, &eps_pi, &y_q, &y_z);
  m = Update(*algo, /*terminated=*/false);
  const double sigma_bar0 = (1.0 - kTauB) * 0.25 + kTauB * 0.5;
  const double expected2 =
      CriticTerm({1.0, 0.5}, sigma_bar0, y_q, y_z) + CriticTerm({2.0, 1.0}, 1.0, y_q, y_z);
  EXPECT_NEAR(m.at("critic_loss"), expected2, 1e-5 * std::abs(expected2));
  double actor_loss = 0.0;
  for (double e : eps_pi) actor_loss += (kAlpha * LogPi(e) - 1.0) / kB;
  EXPECT_NEAR(m.at("actor_loss"), actor_loss, 1e-5 * std::abs(actor_loss));
}

TEST(DsacTMath, TerminationCutsTheBootstrapAndTheEntropyTerm) {
  nets::StateDict state;
  auto algo = MakeDsacT(state);
  Rng rng = testing::DeclaredRng(*algo, "update_rng");
  std::vector<double> eps_pi, y_q, y_z;
  Targets(rng, /*terminated=*/true, &eps_pi, &y_q, &y_z);
  EXPECT_EQ(y_q, std::vector<double>(kB, 1.0));
  const auto m = Update(*algo, /*terminated=*/true);
  // By hand: critic 0: y = 1 = Q, the surrogate is -(0 - 0.0625) / 0.115625 * 0.25, scaled by
  // 0.1625; critic 1: -(1 - 2) / 1.1 * 2 - (1 - 1) / 1.1, scaled by 1.1.
  const double by_hand = 0.1625 * 0.0625 / 0.115625 * 0.25 + 1.1 * (2.0 / 1.1);
  EXPECT_NEAR(CriticTerm({1.0, 0.25}, 0.25, y_q, y_z) + CriticTerm({2.0, 1.0}, 1.0, y_q, y_z),
              by_hand, 1e-12);
  EXPECT_NEAR(m.at("critic_loss"), by_hand, 1e-5);
}

}  // namespace
}  // namespace bellman::algos
