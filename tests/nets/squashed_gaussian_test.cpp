// SAC's fused squashed-Gaussian node against the same formula in plain torch ops: values and
// gradients (also through the log-std clamp).
#include "bellman/nets/squashed_gaussian.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <numbers>

#include "bellman/core/rng.h"
#include "bellman/nets/mlp_net.h"

namespace bellman::nets {
namespace {

TEST(SquashedGaussian, MatchesThePlainFormulaAndItsGradients) {
  Rng rng(7);
  const int64_t b = 33, d = 3;
  torch::Tensor base = StandardNormal(rng, {b, 2 * d}) * 2.0f;
  // Some raw log stds outside [-2, 1] so that the clamp matters.
  base.index_put_({0, d}, 5.0f);
  base.index_put_({1, d + 1}, -7.0f);
  torch::Tensor eps = StandardNormal(rng, {b, d});
  torch::Tensor w_a = StandardNormal(rng, {b, d});
  torch::Tensor w_l = StandardNormal(rng, {b});

  torch::Tensor x1 = base.clone().requires_grad_(true);
  auto [a1, l1] = SquashedGaussian(x1, eps, -2.0, 1.0);
  ((a1 * w_a).sum() + (l1 * w_l).sum()).backward();

  // The reference in float64: near |a| = 1, 1 - a^2 amplifies float32's last-bit differences
  // between tanh implementations, so float32 against float32 would test rounding, not math.
  torch::Tensor x2 = base.to(torch::kFloat64).requires_grad_(true);
  torch::Tensor e2 = eps.to(torch::kFloat64);
  torch::Tensor mu = x2.narrow(1, 0, d);
  torch::Tensor s = x2.narrow(1, d, d).clamp(-2.0, 1.0);
  torch::Tensor a2 = torch::tanh(mu + torch::exp(s) * e2);
  const double c = 0.5 * std::log(2.0 * std::numbers::pi);
  torch::Tensor l2 = (-0.5 * e2 * e2 - s - c).sum(1) - torch::log(1.0 - a2 * a2 + 1e-6).sum(1);
  ((a2 * w_a.to(torch::kFloat64)).sum() + (l2 * w_l.to(torch::kFloat64)).sum()).backward();

  auto close = [](const torch::Tensor& x, const torch::Tensor& ref, double rtol, double atol) {
    return torch::allclose(x.to(torch::kFloat64), ref, rtol, atol);
  };
  EXPECT_TRUE(close(a1, a2, 1e-6, 1e-6)) << (a1 - a2).abs().max();
  EXPECT_TRUE(close(l1, l2, 1e-3, 1e-3)) << (l1 - l2).abs().max();
  EXPECT_TRUE(close(x1.grad(), x2.grad(), 1e-3, 1e-3)) << (x1.grad() - x2.grad()).abs().max();
  // Clamped entries pass no gradient to the raw log std.
  EXPECT_EQ(x1.grad()[0][d].item<float>(), 0.0f);
  EXPECT_EQ(x1.grad()[1][d + 1].item<float>(), 0.0f);
}

}  // namespace
}  // namespace bellman::nets
