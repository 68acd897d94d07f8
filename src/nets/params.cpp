// Target-network updates, gradient clipping, ZeroGrad (see include/bellman/nets/params.h).
#include "bellman/nets/params.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "nets/simd.h"

namespace bellman::nets {

namespace {

bool IsFlatCpuFloat(const torch::Tensor& t) {
  return t.defined() && t.device() == torch::kCPU && t.scalar_type() == torch::kFloat32 &&
         t.is_contiguous();
}

// Pairs up the parameters (then the buffers) of two modules, checking names and shapes.
std::vector<std::pair<torch::Tensor, torch::Tensor>> Pair(const torch::nn::Module& target,
                                                          const torch::nn::Module& source,
                                                          bool buffers, const char* caller) {
  const auto t = buffers ? target.named_buffers() : target.named_parameters();
  const auto s = buffers ? source.named_buffers() : source.named_parameters();
  const char* what = buffers ? "buffers" : "parameters";
  if (t.size() != s.size()) {
    throw Error(
        fmt::format("{}: target has {} {}, source has {}", caller, t.size(), what, s.size()));
  }
  std::vector<std::pair<torch::Tensor, torch::Tensor>> out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    const auto& ti = t[i];
    const auto& si = s[i];
    if (ti.key() != si.key() || !ti.value().sizes().equals(si.value().sizes())) {
      throw Error(fmt::format("{}: {} {} '{}' [{}] does not match source '{}' [{}]", caller, what,
                              i, ti.key(), fmt::join(ti.value().sizes(), ", "), si.key(),
                              fmt::join(si.value().sizes(), ", ")));
    }
    out.emplace_back(ti.value(), si.value());
  }
  return out;
}

BELLMAN_VECTOR_CLONES
void PolyakLoop(float* __restrict t, const float* __restrict s, int64_t n, float keep, float take) {
  for (int64_t i = 0; i < n; ++i) t[i] = t[i] * keep + take * s[i];
}

// Sum of squares in double with 8 interleaved partial sums: independent dependency chains (the
// serial loop was latency-bound) in a fixed order, so the result does not depend on the ISA.
BELLMAN_VECTOR_CLONES
double SumSquaresLoop(const float* g, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) {
      const double x = g[i + j];
      acc[j] += x * x;
    }
  }
  for (; i < n; ++i) {
    const double x = g[i];
    acc[0] += x * x;
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

BELLMAN_VECTOR_CLONES
void ScaleLoop(float* g, int64_t n, float coef) {
  for (int64_t i = 0; i < n; ++i) g[i] *= coef;
}

}  // namespace

void HardUpdate(torch::nn::Module& target, const torch::nn::Module& source) {
  torch::NoGradGuard no_grad;
  for (auto& [t, s] : Pair(target, source, false, "HardUpdate")) t.copy_(s);
  for (auto& [t, s] : Pair(target, source, true, "HardUpdate")) t.copy_(s);
}

void SoftUpdate(torch::nn::Module& target, const torch::nn::Module& source, double tau) {
  if (!(tau >= 0.0 && tau <= 1.0)) {
    throw Error(fmt::format("SoftUpdate: tau must be in [0, 1], got {}", tau));
  }
  torch::NoGradGuard no_grad;
  for (auto& [t, s] : Pair(target, source, false, "SoftUpdate")) {
    if (IsFlatCpuFloat(t) && IsFlatCpuFloat(s)) {
      // Stable-Baselines3's polyak_update: target.mul_(1 - tau); target.add_(source, alpha=tau).
      PolyakLoop(t.data_ptr<float>(), s.data_ptr<float>(), t.numel(), static_cast<float>(1.0 - tau),
                 static_cast<float>(tau));
      torch::autograd::impl::bump_version(t);  // as an in-place torch op would
    } else {
      t.mul_(1.0 - tau).add_(s, tau);
    }
  }
  for (auto& [t, s] : Pair(target, source, true, "SoftUpdate")) t.copy_(s);
}

double ClipGradNorm(const std::vector<torch::Tensor>& params, double max_norm) {
  if (!(max_norm > 0.0)) {
    throw Error(fmt::format("ClipGradNorm: max_norm must be > 0, got {}", max_norm));
  }
  std::vector<torch::Tensor> grads;
  bool flat = true;
  for (const torch::Tensor& p : params) {
    const torch::Tensor& g = p.grad();
    if (!g.defined()) continue;
    grads.push_back(g);
    flat = flat && IsFlatCpuFloat(g);
  }
  if (grads.empty()) return 0.0;
  if (!flat) return torch::nn::utils::clip_grad_norm_(params, max_norm);
  const DenormalsAreZero daz;  // see simd.h
  double sum_sq = 0.0;
  for (const torch::Tensor& g : grads) sum_sq += SumSquaresLoop(g.data_ptr<float>(), g.numel());
  const auto total = static_cast<float>(std::sqrt(sum_sq));
  // torch: clip_coef = max_norm / (total_norm + 1e-6), a float32 tensor, clamped to 1.
  const float coef = static_cast<float>(max_norm) / (total + static_cast<float>(1e-6));
  if (coef < 1.0f) {
    torch::NoGradGuard no_grad;
    for (const torch::Tensor& g : grads) ScaleLoop(g.data_ptr<float>(), g.numel(), coef);
  }
  return static_cast<double>(total);
}

void ZeroGrad(const std::vector<torch::Tensor>& params) {
  for (const torch::Tensor& p : params) {
    p.mutable_grad() = torch::Tensor();
  }
}

}  // namespace bellman::nets
