// The distributional / classification losses against hand-computed cases (docs/value_losses.md).
#include "bellman/algos/value_losses.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "bellman/core/error.h"

namespace bellman::algos {
namespace {

std::vector<float> Vec(const torch::Tensor& t) {
  torch::Tensor c = t.detach().contiguous().to(torch::kFloat32);
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

void ExpectNear(const torch::Tensor& t, const std::vector<float>& want, float tol = 1e-6f) {
  const std::vector<float> got = Vec(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "index " << i;
}

// f() must throw bellman::Error whose message contains `needle` (the bad value, named).
template <class F>
void ExpectError(F&& f, const std::string& needle) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message '" << e.what() << "' lacks '" << needle << "'";
    return;
  }
  ADD_FAILURE() << "no bellman::Error thrown; expected one naming '" << needle << "'";
}

double Phi(double x) { return 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))); }

TEST(ValueLosses, CategoricalSupport) {
  ExpectNear(CategoricalSupport(0, 4, 5), {0, 1, 2, 3, 4});
  ExpectNear(CategoricalSupport(-10, 10, 3), {-10, 0, 10});
  torch::Tensor z = CategoricalSupport(-10, 10, 51);
  EXPECT_EQ(z[0].item<float>(), -10.f);
  EXPECT_EQ(z[50].item<float>(), 10.f);
  EXPECT_NEAR(z[26].item<float>(), 0.4f, 1e-6f);
  ExpectError([] { CategoricalSupport(1, 1, 5); }, "v_min (1) must be below v_max (1)");
  ExpectError([] { CategoricalSupport(0, 1, 1); }, "got 1");
}

TEST(ValueLosses, CategoricalProjectionHandCases) {
  // Support 0..4 (dz = 1).
  const float u = 0.2f;
  auto probs = torch::tensor({{0.f, 0.f, 1.f, 0.f, 0.f},
                              {0.f, 0.f, 1.f, 0.f, 0.f},
                              {u, u, u, u, u},
                              {0.f, 0.f, 0.f, 0.f, 1.f},
                              {u, u, u, u, u},
                              {u, u, u, u, u},
                              {u, u, u, u, u}});
  auto reward = torch::tensor({0.5f, 1.f, 3.f, 0.f, -3.f, 1.25f, 10.f});
  auto discount = torch::tensor({1.f, 0.f, 1.f, 0.5f, 1.f, 0.f, 0.f});
  torch::Tensor m = CategoricalProjection(probs, reward, discount, 0, 4);
  ExpectNear(m[0], {0, 0, 0.5f, 0.5f, 0});    // 2.5: split between atoms 2 and 3
  ExpectNear(m[1], {0, 1, 0, 0, 0});          // terminal: all mass at r = 1, exactly on an atom
  ExpectNear(m[2], {0, 0, 0, 0.2f, 0.8f});    // 3, 4, 5, 6, 7: 5..7 clamped to v_max = 4
  ExpectNear(m[3], {0, 0, 1, 0, 0});          // 0.5 * 4 = 2: on an atom, no mass lost
  ExpectNear(m[4], {0.8f, 0.2f, 0, 0, 0});    // -3, -2, -1, 0, 1: -3..-1 clamped to v_min = 0
  ExpectNear(m[5], {0, 0.75f, 0.25f, 0, 0});  // terminal, r = 1.25 between atoms 1 and 2
  ExpectNear(m[6], {0, 0, 0, 0, 1});          // terminal, r = 10 clamped to v_max
  ExpectNear(m.sum(1), {1, 1, 1, 1, 1, 1, 1}, 1e-6f);
  // Asymmetric split: r = 0.25 from atom 0 -> 0.75 on atom 0, 0.25 on atom 1.
  ExpectNear(CategoricalProjection(torch::tensor({{1.f, 0.f, 0.f, 0.f, 0.f}}),
                                   torch::tensor({0.25f}), torch::tensor({0.9f}), 0, 4)[0],
             {0.75f, 0.25f, 0, 0, 0});
}

TEST(ValueLosses, CategoricalProjectionNonUnitSpacing) {
  // Support -10, -5, 0, 5, 10 (dz = 5); r = 1, discount 0.9: T z = -8, -3.5, 1, 5.5, 10, i.e.
  // b = 0.4, 1.3, 2.2, 3.1, 4 with masses 0.1, 0.2, 0.3, 0.4, 0:
  // atom 0: 0.6 * 0.1; atom 1: 0.4 * 0.1 + 0.7 * 0.2; atom 2: 0.3 * 0.2 + 0.8 * 0.3;
  // atom 3: 0.2 * 0.3 + 0.9 * 0.4; atom 4: 0.1 * 0.4.
  torch::Tensor m = CategoricalProjection(torch::tensor({{0.1f, 0.2f, 0.3f, 0.4f, 0.f}}),
                                          torch::tensor({1.f}), torch::tensor({0.9f}), -10, 10);
  ExpectNear(m[0], {0.06f, 0.18f, 0.30f, 0.42f, 0.04f}, 2e-6f);
}

TEST(ValueLosses, CategoricalProjectionKeepsMassAndMean) {
  // Without clamping the projection (linear interpolation between atoms) keeps the mean:
  // sum_i m_i z_i = r + discount sum_j p_j z_j.
  torch::manual_seed(0);
  const torch::Tensor z = CategoricalSupport(-10, 10, 51);
  torch::Tensor p = torch::softmax(torch::randn({8, 51}), 1);
  torch::Tensor r = torch::rand({8}) * 2 - 1;
  torch::Tensor d = torch::full({8}, 0.5f);
  torch::Tensor m = CategoricalProjection(p, r, d, -10, 10);
  EXPECT_TRUE((m >= 0).all().item<bool>());
  ExpectNear(m.sum(1), std::vector<float>(8, 1.f), 1e-5f);
  ExpectNear((m * z).sum(1), Vec(r + d * (p * z).sum(1)), 1e-5f);
  EXPECT_FALSE(m.requires_grad());
}

TEST(ValueLosses, CategoricalProjectionErrors) {
  auto probs = torch::full({4, 5}, 0.2f);
  auto ok = torch::zeros({4});
  ExpectError([&] { CategoricalProjection(probs, torch::zeros({1}), ok, 0, 4); },
              "reward must be [4], got [1]");
  ExpectError(
      [&] {
        CategoricalProjection(probs, ok, torch::zeros({4, 1}), 0, 4);
      },
      "discount must be [4], got [4, 1]");
  ExpectError([&] { CategoricalProjection(torch::full({5}, 0.2f), ok, ok, 0, 4); },
              "next_probs must be [B, K], got [5]");
  ExpectError([&] { CategoricalProjection(probs, ok, ok, 4, 0); }, "v_min (4)");
}

TEST(ValueLosses, QuantileHuberLossValueAndGradient) {
  auto theta = torch::tensor({{0.f, 1.f}}).requires_grad_(true);
  auto target = torch::tensor({{0.5f, 2.f}});
  auto taus = torch::tensor({0.25f, 0.75f});
  // i = 0: u = 0.5, 2 (weights 0.25): Huber 0.125, 1.5 -> mean(0.03125, 0.375) = 0.203125.
  // i = 1: u = -0.5 (weight |0.75 - 1| = 0.25), 1 (weight 0.75): Huber 0.125, 0.5 -> 0.203125.
  torch::Tensor loss = QuantileHuberLoss(theta, target, taus, 1.0);
  ExpectNear(loss, {0.40625f});
  loss.sum().backward();
  // d/dtheta_i = mean_j -w_ij * dHuber/du: theta_0: (-0.25 * 0.5 - 0.25 * 1) / 2 = -0.1875;
  // theta_1: (-0.25 * -0.5 - 0.75 * 1) / 2 = -0.3125.
  ExpectNear(theta.grad(), {-0.1875f, -0.3125f});
  // kappa = 0: the quantile (pinball) loss |tau - 1{u<0}| |u|:
  // i = 0: mean(0.25 * 0.5, 0.25 * 2) = 0.3125; i = 1: mean(0.25 * 0.5, 0.75 * 1) = 0.4375.
  ExpectNear(QuantileHuberLoss(theta.detach(), target, taus, 0.0), {0.75f});
  // Per-row fractions give the same with [B, N] taus.
  ExpectNear(QuantileHuberLoss(theta.detach(), target, taus.unsqueeze(0), 1.0), {0.40625f});
}

TEST(ValueLosses, QuantileHuberLossTwoRowsPerRowTaus) {
  // B = 2, N = M = 2, kappa = 2 (L_2(u) = u^2 / 2 for |u| <= 2, else 2 (|u| - 1)), loss / kappa.
  auto theta = torch::tensor({{0.f, 1.f}, {1.f, -1.f}}).requires_grad_(true);
  auto target = torch::tensor({{0.5f, 2.f}, {0.f, 3.f}}).requires_grad_(true);
  auto taus = torch::tensor({{0.25f, 0.75f}, {0.1f, 0.9f}});
  // Row 0: i = 0 (tau .25): u = 0.5 -> .25 * .0625, u = 2 -> .25 * 1: mean 0.1328125;
  //        i = 1 (tau .75): u = -0.5 -> .25 * .0625, u = 1 -> .75 * .25: mean 0.1015625.
  // Row 1: i = 0 (tau .1): u = -1 -> .9 * .25, u = 2 -> .1 * 1: mean 0.1625;
  //        i = 1 (tau .9): u = 1 -> .9 * .25, u = 4 -> .9 * 3: mean 1.4625.
  torch::Tensor loss = QuantileHuberLoss(theta, target, taus, 2.0);
  ExpectNear(loss, {0.234375f, 1.625f});
  loss.sum().backward();
  // d/dtheta_i = -mean_j w_ij L'(u_ij) / kappa, L'(u) = u (|u| <= kappa), kappa sign(u) else.
  // Row 0: theta_0: -(.25 * .25 + .25 * 1) / 2 = -0.15625; theta_1: -(.25 * -.25 + .75 * .5) / 2
  // = -0.15625. Row 1: theta_0: -(.9 * -.5 + .1 * 1) / 2 = 0.175; theta_1: -(.9 * .5 + .9 * 1) / 2
  // = -0.675.
  ExpectNear(theta.grad(), {-0.15625f, -0.15625f, 0.175f, -0.675f});
  EXPECT_FALSE(target.grad().defined());  // the target is detached
}

TEST(ValueLosses, QuantileHuberLossSumsOverPredictedAveragesOverTarget) {
  // N = 1, M = 3: mean over the targets: 0.5 * (1 + 2 + 3) / 3 = 1.
  ExpectNear(QuantileHuberLoss(torch::zeros({1, 1}), torch::tensor({{1.f, 2.f, 3.f}}),
                               torch::tensor({0.5f}), 0.0),
             {1.f});
  // N = 3, M = 1: sum over the predicted quantiles: 0.25 + 0.5 + 0.75 = 1.5.
  ExpectNear(QuantileHuberLoss(torch::zeros({1, 3}), torch::ones({1, 1}),
                               torch::tensor({0.25f, 0.5f, 0.75f}), 0.0),
             {1.5f});
}

TEST(ValueLosses, QuantileHuberLossErrors) {
  auto theta = torch::zeros({1, 2});
  auto target = torch::zeros({1, 2});
  ExpectError([&] { QuantileHuberLoss(theta, target, torch::tensor({0.5f}), 1.0); },
              "taus must be [2] or [1, 2], got [1]");
  ExpectError(
      [&] {
        QuantileHuberLoss(theta, target, torch::tensor({0.5f, 0.5f}), -1.0);
      },
      "kappa must be >= 0, got -1");
  ExpectError(
      [&] {
        QuantileHuberLoss(theta, torch::zeros({3, 2}), torch::ones({2}), 1.0);
      },
      "got [1, 2] and [3, 2]");
}

TEST(ValueLosses, QuantileMidpoints) {
  ExpectNear(QuantileMidpoints(4), {0.125f, 0.375f, 0.625f, 0.875f});
  ExpectNear(QuantileMidpoints(1), {0.5f});
  ExpectError([] { QuantileMidpoints(0); }, "got 0");
}

TEST(ValueLosses, CosineBasis) {
  torch::Tensor c = CosineBasis(torch::tensor({{0.f, 0.5f}, {1.f / 3.f, 1.f}}), 3);
  EXPECT_EQ(c.sizes(), (std::vector<int64_t>{2, 2, 3}));
  // cos(pi i tau), i = 0, 1, 2.
  ExpectNear(c, {1, 1, 1, /**/ 1, 0, -1, /**/ 1, 0.5f, -0.5f, /**/ 1, -1, 1}, 1e-6f);
  ExpectError([] { CosineBasis(torch::zeros({2, 3}), 0); }, "got 0");
  ExpectError([] { CosineBasis(torch::zeros({3}), 4); }, "got [3]");
}

TEST(ValueLosses, DistortTaus) {
  auto t = torch::tensor({0.25f, 0.5f});
  ExpectNear(DistortTaus(t, "neutral", 0), {0.25f, 0.5f});
  ExpectNear(DistortTaus(t, "cvar", 0.5), {0.125f, 0.25f});
  ExpectNear(DistortTaus(t, "wang", 0.0), {0.25f, 0.5f}, 1e-6f);
  // Wang at tau = 0.5: Phi(0 + eta); at 0.25: Phi(Phi^-1(0.25) + eta), Phi^-1(0.25) = -0.6744898.
  ExpectNear(DistortTaus(torch::tensor({0.5f}), "wang", 1.0), {0.8413447f}, 1e-6f);
  ExpectNear(DistortTaus(torch::tensor({0.25f}), "wang", -0.75),
             {static_cast<float>(Phi(-0.6744897501960817 - 0.75))}, 1e-6f);
  // Pow (Dabney et al. 2018b): tau^(1 / (1 + |eta|)) for eta >= 0, else 1 - (1 - tau)^(...).
  ExpectNear(DistortTaus(t, "pow", 1.0), {0.5f, std::sqrt(0.5f)});
  ExpectNear(DistortTaus(t, "pow", -1.0), {1 - std::sqrt(0.75f), 1 - std::sqrt(0.5f)});
  ExpectNear(DistortTaus(torch::tensor({0.5f}), "pow", -2.0),
             {static_cast<float>(1 - std::cbrt(0.5))});
  ExpectNear(DistortTaus(t, "pow", 0.0), {0.25f, 0.5f});
  ExpectNear(DistortTaus(t, "cpw", 1.0), {0.25f, 0.5f});
  // CPW with eta = 0.71 (the paper's) at 0.25: 0.25^.71 / (0.25^.71 + 0.75^.71)^(1/.71).
  const double a = std::pow(0.25, 0.71), b = std::pow(0.75, 0.71);
  ExpectNear(DistortTaus(torch::tensor({0.25f}), "cpw", 0.71),
             {static_cast<float>(a / std::pow(a + b, 1 / 0.71))}, 1e-6f);
  // The paper's risk-averse settings move every fraction down (Wang(-.75), Pow(-2), CVaR(.25)),
  // its risk-seeking Wang(.75) moves them up.
  torch::Tensor grid = torch::linspace(0.05, 0.95, 19);
  EXPECT_TRUE((DistortTaus(grid, "wang", -0.75) < grid).all().item<bool>());
  EXPECT_TRUE((DistortTaus(grid, "pow", -2.0) < grid).all().item<bool>());
  EXPECT_TRUE((DistortTaus(grid, "cvar", 0.25) < grid).all().item<bool>());
  EXPECT_TRUE((DistortTaus(grid, "wang", 0.75) > grid).all().item<bool>());
}

TEST(ValueLosses, DistortTausErrors) {
  auto t = torch::tensor({0.25f, 0.5f});
  ExpectError([&] { DistortTaus(t, "var", 0.1); }, "'var' is unknown");
  ExpectError([&] { DistortTaus(t, "cvar", 1.5); }, "got 1.5");
  ExpectError([&] { DistortTaus(t, "cvar", 0.0); }, "cvar: eta must be in (0, 1], got 0");
  ExpectError([&] { DistortTaus(t, "cpw", -0.5); }, "cpw: eta must be > 0, got -0.5");
  ExpectError([&] { DistortTaus(t, "wang", std::nan("")); }, "eta must be finite, got nan");
}

TEST(ValueLosses, TwoHotRoundTrip) {
  const torch::Tensor z = CategoricalSupport(-10, 10, 21);
  auto y = torch::tensor({-10.f, -3.3f, 0.f, 7.25f, 10.f, 12.f, -11.f});
  torch::Tensor p = TwoHotTarget(y, -10, 10, 21);
  ExpectNear(p.sum(1), std::vector<float>(7, 1.f));
  EXPECT_LE((p > 0).sum(1).max().item<int64_t>(), 2);
  // Expectation of the target (and of softmax(log p)) is y, clipped to [v_min, v_max].
  const std::vector<float> clipped = {-10.f, -3.3f, 0.f, 7.25f, 10.f, 10.f, -10.f};
  ExpectNear((p * z).sum(1), clipped, 1e-5f);
  ExpectNear(ClassificationValue(torch::log(p), z), clipped, 1e-5f);
  // -3.3: atoms -4 (index 6) and -3 (index 7) with weights 0.3 and 0.7.
  ExpectNear(p[1].narrow(0, 6, 2), {0.3f, 0.7f}, 1e-5f);
  EXPECT_EQ(p[2][10].item<float>(), 1.f);  // on an atom: all the weight there
  EXPECT_EQ(p[4][20].item<float>(), 1.f);  // v_max
  EXPECT_EQ(p[6][0].item<float>(), 1.f);   // below v_min: clipped to it
  ExpectError([] { TwoHotTarget(torch::zeros({2, 1}), -1, 1, 3); }, "y must be [B], got [2, 1]");
  ExpectError([] { TwoHotTarget(torch::zeros({2}), -1, 1, 1); }, "got 1");
}

TEST(ValueLosses, HlGaussTarget) {
  const torch::Tensor z = CategoricalSupport(-10, 10, 21);  // dz = 1
  auto y = torch::tensor({-2.3f, 0.f, 4.5f});
  torch::Tensor p = HlGaussTarget(y, -10, 10, 21, 0.75);
  ExpectNear(p.sum(1), {1, 1, 1}, 1e-6f);
  // Interior targets (>= 3 sigma from the ends): the histogram's mean is y up to the binning
  // error (~5e-6 at sigma = 0.75 dz) and float32 sums: tolerance 1e-4.
  ExpectNear((p * z).sum(1), {-2.3f, 0.f, 4.5f}, 1e-4f);
  // Bin j spans z_j -+ dz/2: y = 0, bin z = 0 holds Phi(0.5 / sigma) - Phi(-0.5 / sigma) (the
  // normaliser Phi(10.5 / sigma) - Phi(-10.5 / sigma) is 1 to float precision).
  EXPECT_NEAR(p[1][10].item<float>(), 2 * Phi(0.5 / 0.75) - 1, 1e-6);
  // At an end the edges are e_0 = -10.5, e_21 = 10.5 and the mass outside them is renormalised:
  // y = -10: p_0 = (Phi(0.5 / s) - Phi(-0.5 / s)) / (Phi(20.5 / s) - Phi(-0.5 / s)).
  torch::Tensor end = HlGaussTarget(torch::tensor({-10.f, 12.f, 10.f}), -10, 10, 21, 0.75);
  EXPECT_NEAR(end[0][0].item<float>(), (2 * Phi(0.5 / 0.75) - 1) / Phi(0.5 / 0.75), 1e-6);
  ExpectNear(end[1], Vec(end[2]), 0.f);  // 12 is clipped to v_max = 10 first
  // Cross-entropy to the target is minimised by logits = log(target).
  torch::Tensor ce_best = CrossEntropyToTarget(torch::log(p.clamp_min(1e-30f)), p);
  torch::Tensor ce_other = CrossEntropyToTarget(torch::zeros_like(p), p);
  EXPECT_TRUE((ce_best < ce_other).all().item<bool>());
  ExpectError([&] { HlGaussTarget(y, -10, 10, 21, 0.0); }, "sigma must be > 0, got 0");
  ExpectError([&] { HlGaussTarget(y.view({3, 1}), -10, 10, 21, 0.75); }, "got [3, 1]");
  ExpectError([&] { HlGaussTarget(y, 10, -10, 21, 0.75); }, "v_min (10) must be below v_max (-10)");
}

TEST(ValueLosses, ClassificationValueAndCrossEntropy) {
  // logits 0, 0 -> softmax 0.5, 0.5; target 0.25, 0.75: CE = ln 2, d CE / d logits = softmax - p.
  auto logits = torch::zeros({1, 2}).requires_grad_(true);
  torch::Tensor ce = CrossEntropyToTarget(logits, torch::tensor({{0.25f, 0.75f}}));
  ExpectNear(ce, {static_cast<float>(std::log(2.0))});
  ce.sum().backward();
  ExpectNear(logits.grad(), {0.25f, -0.25f});
  // [B, A, K] logits -> [B, A] values: softmax(0, ln 3) = (0.25, 0.75) on (-1, 1) -> 0.5.
  const float l3 = std::log(3.f);
  auto many = torch::tensor({0.f, l3, 0.f, 0.f, l3, 0.f}).view({1, 3, 2});
  ExpectNear(ClassificationValue(many, torch::tensor({-1.f, 1.f})), {0.5f, 0.f, -0.5f});
  ExpectError([] { ClassificationValue(torch::zeros({2, 5}), torch::zeros({3})); }, "got [2, 5]");
  ExpectError(
      [] {
        ClassificationValue(torch::zeros({2, 5}), torch::zeros({1, 5}));
      },
      "support must be [K], got [1, 5]");
  ExpectError(
      [] {
        CrossEntropyToTarget(torch::zeros({2, 5}), torch::zeros({2, 4}));
      },
      "got [2, 5] and [2, 4]");
}

TEST(ValueLosses, ValueTransformsInvert) {
  // Both directions, over a range that includes large values; relative tolerance 1e-5 above 1
  // (float32 holds ~7 digits), absolute 1e-5 below.
  auto x =
      torch::tensor({-1e6f, -1000.f, -37.5f, -1.f, -1e-3f, 0.f, 0.2f, 3.f, 99.f, 5000.f, 3e6f});
  for (auto f : {ValueTransform::kH, ValueTransform::kSymlog}) {
    for (bool forward_first : {true, false}) {
      if (f == ValueTransform::kSymlog && !forward_first) continue;  // symexp(3e6) overflows
      torch::Tensor back = forward_first ? InverseTransformValue(f, TransformValue(f, x))
                                         : TransformValue(f, InverseTransformValue(f, x));
      const auto got = Vec(back), want = Vec(x);
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.0f, std::abs(want[i])))
            << "transform " << static_cast<int>(f) << " forward_first " << forward_first
            << " x = " << want[i];
      }
    }
  }
  // symexp(symlog(x)) and symlog(symexp(x)) on a range symexp keeps finite.
  auto small = torch::tensor({-30.f, -2.5f, -1e-4f, 0.f, 0.7f, 12.f, 60.f});
  ExpectNear(TransformValue(ValueTransform::kSymlog,
                            InverseTransformValue(ValueTransform::kSymlog, small)),
             Vec(small), 1e-5f);
  // h(3) = sqrt(4) - 1 + 0.003 = 1.003, h(-3) = -1.003, h^-1(1.003) = 3; symlog(e - 1) = 1.
  ExpectNear(TransformValue(ValueTransform::kH, torch::tensor({3.f, -3.f})), {1.003f, -1.003f});
  ExpectNear(InverseTransformValue(ValueTransform::kH, torch::tensor({1.003f})), {3.f}, 1e-5f);
  ExpectNear(TransformValue(ValueTransform::kSymlog, torch::tensor({static_cast<float>(M_E - 1)})),
             {1.f});
  ExpectNear(InverseTransformValue(ValueTransform::kSymlog, torch::tensor({-1.f})),
             {static_cast<float>(1 - M_E)});
  ExpectNear(TransformValue(ValueTransform::kNone, x), Vec(x), 0.f);
  EXPECT_EQ(TransformValue(ValueTransform::kH, x).scalar_type(), torch::kFloat32);
}

TEST(ValueLosses, ParseValueTransform) {
  EXPECT_EQ(ParseValueTransform("none"), ValueTransform::kNone);
  EXPECT_EQ(ParseValueTransform("h"), ValueTransform::kH);
  EXPECT_EQ(ParseValueTransform("log"), ValueTransform::kSymlog);
  ExpectError([] { ParseValueTransform("sqrt"); }, "must be none, h or log, got 'sqrt'");
}

// Q-Transformer's one-node loss against Eq. 2 written op by op: the value, the three statistics
// and the gradient with respect to q.
TEST(ValueLosses, QTransformerLossMatchesTheOpByOpForm) {
  torch::manual_seed(3);
  const int64_t b = 7, d = 3, k = 5;
  const double w = 0.7;
  const torch::Tensor q0 = torch::randn({b, d, k});
  const torch::Tensor taken = torch::randint(0, k, {b, d}, torch::kInt64);
  const torch::Tensor target = torch::randn({b, d});
  torch::Tensor q1 = q0.clone().requires_grad_(), q2 = q0.clone().requires_grad_();
  QtLossStats stats;
  const torch::Tensor fused = QTransformerLoss(q1, taken, target, w, &stats);
  const torch::Tensor onehot = torch::one_hot(taken, k).to(torch::kFloat32);
  const torch::Tensor q_data = (q2 * onehot).sum(2);
  const torch::Tensor td = 0.5 * (q_data - target).pow(2).mean();
  const torch::Tensor cons = 0.5 * ((q2.pow(2) * (1.0f - onehot)).sum(2) / (k - 1)).mean();
  const torch::Tensor ops = td + static_cast<float>(w) * cons;
  EXPECT_NEAR(fused.item<double>(), ops.item<double>(), 1e-5);
  EXPECT_NEAR(stats.td, td.item<double>(), 1e-5);
  EXPECT_NEAR(stats.conservative, cons.item<double>(), 1e-5);
  EXPECT_NEAR(stats.q_data, q_data.mean().item<double>(), 1e-5);
  (2.0 * fused).backward();
  (2.0 * ops).backward();
  EXPECT_TRUE(torch::allclose(q1.grad(), q2.grad(), 1e-5, 1e-6));
  ExpectError([&] { QTransformerLoss(q0, taken.narrow(1, 0, 2), target, w); }, "taken must be");
}

}  // namespace
}  // namespace bellman::algos
