// The distributional / classification losses against hand-computed cases.
#include "bellman/algos/value_losses.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bellman/core/error.h"

namespace bellman::algos {
namespace {

std::vector<float> Vec(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous().to(torch::kFloat32);
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

void ExpectNear(const torch::Tensor& t, const std::vector<float>& want, float tol = 1e-6f) {
  const std::vector<float> got = Vec(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "index " << i;
}

TEST(ValueLosses, CategoricalSupport) {
  ExpectNear(CategoricalSupport(0, 4, 5), {0, 1, 2, 3, 4});
  ExpectNear(CategoricalSupport(-10, 10, 3), {-10, 0, 10});
  EXPECT_THROW(CategoricalSupport(1, 1, 5), Error);
  EXPECT_THROW(CategoricalSupport(0, 1, 1), Error);
}

TEST(ValueLosses, CategoricalProjectionHandCases) {
  // Support 0..4 (dz = 1).
  auto probs = torch::tensor({{0.f, 0.f, 1.f, 0.f, 0.f},
                              {0.f, 0.f, 1.f, 0.f, 0.f},
                              {0.2f, 0.2f, 0.2f, 0.2f, 0.2f},
                              {0.f, 0.f, 0.f, 0.f, 1.f}});
  auto reward = torch::tensor({0.5f, 1.f, 3.f, 0.f});
  auto discount = torch::tensor({1.f, 0.f, 1.f, 0.5f});
  torch::Tensor m = CategoricalProjection(probs, reward, discount, 0, 4);
  ExpectNear(m[0], {0, 0, 0.5f, 0.5f, 0});  // 2.5: split between atoms 2 and 3
  ExpectNear(m[1], {0, 1, 0, 0, 0});        // terminal: all mass at r = 1, on an atom
  ExpectNear(m[2], {0, 0, 0, 0.2f, 0.8f});  // 3, 4, 5, 6, 7 clamped to 4
  ExpectNear(m[3], {0, 0, 1, 0, 0});        // 0.5 * 4 = 2
  ExpectNear(m.sum(1), {1, 1, 1, 1}, 1e-6f);
  // Asymmetric split: r = 0.25 from atom 0 -> 0.75 on atom 0, 0.25 on atom 1.
  ExpectNear(CategoricalProjection(torch::tensor({{1.f, 0.f, 0.f, 0.f, 0.f}}),
                                   torch::tensor({0.25f}), torch::tensor({0.9f}), 0, 4)[0],
             {0.75f, 0.25f, 0, 0, 0});
  EXPECT_THROW(CategoricalProjection(probs, torch::tensor({1.f}), discount, 0, 4), Error);
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
  // kappa = 0: the quantile (pinball) loss |tau - 1{u<0}| |u|.
  ExpectNear(QuantileHuberLoss(theta.detach(), target, taus, 0.0), {0.75f});
  // Per-row fractions give the same with [B, N] taus.
  ExpectNear(QuantileHuberLoss(theta.detach(), target, taus.unsqueeze(0), 1.0), {0.40625f});
  EXPECT_THROW(QuantileHuberLoss(theta, target, torch::tensor({0.5f}), 1.0), Error);
  EXPECT_THROW(QuantileHuberLoss(theta, target, taus, -1.0), Error);
}

TEST(ValueLosses, QuantileMidpoints) {
  ExpectNear(QuantileMidpoints(4), {0.125f, 0.375f, 0.625f, 0.875f});
  EXPECT_THROW(QuantileMidpoints(0), Error);
}

TEST(ValueLosses, DistortTaus) {
  auto t = torch::tensor({0.25f, 0.5f});
  ExpectNear(DistortTaus(t, "neutral", 0), {0.25f, 0.5f});
  ExpectNear(DistortTaus(t, "cvar", 0.5), {0.125f, 0.25f});
  ExpectNear(DistortTaus(t, "wang", 0.0), {0.25f, 0.5f}, 1e-6f);
  // Wang with eta = 1 at tau = 0.5: Phi(0 + 1) = 0.8413447.
  ExpectNear(DistortTaus(torch::tensor({0.5f}), "wang", 1.0), {0.8413447f}, 1e-6f);
  ExpectNear(DistortTaus(t, "pow", -1.0), {0.5f, std::sqrt(0.5f)});
  ExpectNear(DistortTaus(t, "pow", 1.0), {1 - std::sqrt(0.75f), 1 - std::sqrt(0.5f)});
  ExpectNear(DistortTaus(t, "cpw", 1.0), {0.25f, 0.5f});
  // CPW with eta = 0.71 (the paper's) at 0.25: 0.25^.71 / (0.25^.71 + 0.75^.71)^(1/.71).
  const double a = std::pow(0.25, 0.71), b = std::pow(0.75, 0.71);
  ExpectNear(DistortTaus(torch::tensor({0.25f}), "cpw", 0.71),
             {static_cast<float>(a / std::pow(a + b, 1 / 0.71))}, 1e-6f);
  EXPECT_THROW(DistortTaus(t, "var", 0.1), Error);
}

TEST(ValueLosses, TwoHotRoundTrip) {
  const torch::Tensor z = CategoricalSupport(-10, 10, 21);
  auto y = torch::tensor({-10.f, -3.3f, 0.f, 7.25f, 10.f, 12.f});
  torch::Tensor p = TwoHotTarget(y, -10, 10, 21);
  ExpectNear(p.sum(1), {1, 1, 1, 1, 1, 1});
  EXPECT_LE((p > 0).sum(1).max().item<int64_t>(), 2);
  // Expectation of the target (and of softmax(log p)) is y, clipped to [v_min, v_max].
  ExpectNear((p * z).sum(1), {-10.f, -3.3f, 0.f, 7.25f, 10.f, 10.f}, 1e-5f);
  ExpectNear(ClassificationValue(torch::log(p), z), {-10.f, -3.3f, 0.f, 7.25f, 10.f, 10.f}, 1e-5f);
  ExpectNear(TwoHotTarget(torch::tensor({-3.5f}), -10, 10, 21)[0].narrow(0, 6, 2), {0.5f, 0.5f});
}

TEST(ValueLosses, HlGaussTarget) {
  const torch::Tensor z = CategoricalSupport(-10, 10, 21);  // dz = 1
  auto y = torch::tensor({-2.3f, 0.f, 4.5f});
  torch::Tensor p = HlGaussTarget(y, -10, 10, 21, 0.75);
  ExpectNear(p.sum(1), {1, 1, 1}, 1e-6f);
  // Interior targets: the histogram's mean is y up to the binning (here within 1e-3).
  ExpectNear((p * z).sum(1), {-2.3f, 0.f, 4.5f}, 1e-3f);
  // Bin j holds Phi((z_j + 0.5 - y) / sigma) - Phi((z_j - 0.5 - y) / sigma): y = 0, bin z = 0.
  const double phi = 0.5 * (1 + std::erf(0.5 / (0.75 * std::sqrt(2.0))));
  EXPECT_NEAR(p[1][10].item<float>(), 2 * phi - 1, 1e-5);
  // Cross-entropy to the target is minimised by logits = log(target).
  torch::Tensor ce_best = CrossEntropyToTarget(torch::log(p.clamp_min(1e-30f)), p);
  torch::Tensor ce_other = CrossEntropyToTarget(torch::zeros_like(p), p);
  EXPECT_TRUE((ce_best < ce_other).all().item<bool>());
  EXPECT_THROW(HlGaussTarget(y, -10, 10, 21, 0.0), Error);
}

TEST(ValueLosses, ValueTransformsInvert) {
  auto x = torch::tensor({-1000.f, -37.5f, -1.f, -1e-3f, 0.f, 0.2f, 3.f, 99.f, 5000.f});
  for (auto f : {ValueTransform::kH, ValueTransform::kSymlog}) {
    torch::Tensor back = InverseTransformValue(f, TransformValue(f, x));
    const auto got = Vec(back), want = Vec(x);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.0f, std::abs(want[i]))) << i;
    }
  }
  // h(3) = sqrt(4) - 1 + 0.003 = 1.003; symlog(e - 1) = 1.
  ExpectNear(TransformValue(ValueTransform::kH, torch::tensor({3.f})), {1.003f});
  ExpectNear(TransformValue(ValueTransform::kSymlog, torch::tensor({static_cast<float>(M_E - 1)})),
             {1.f});
  EXPECT_EQ(ParseValueTransform("log"), ValueTransform::kSymlog);
  EXPECT_THROW(ParseValueTransform("sqrt"), Error);
}

}  // namespace
}  // namespace bellman::algos
