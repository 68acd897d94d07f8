// Helpers shared by the nets tests.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "bellman/core/rng.h"

namespace bellman::nets::testing {

// Standard-normal float32 tensor drawn from `rng` (tests avoid torch's global generator too).
inline torch::Tensor RandomTensor(std::vector<int64_t> sizes, Rng& rng, double scale = 1.0) {
  torch::Tensor t = torch::empty(sizes);
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(scale * rng.StandardNormal());
  return t;
}

inline double MaxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.detach().to(torch::kFloat64) - b.detach().to(torch::kFloat64))
      .abs()
      .max()
      .item<double>();
}

// The slice of `grad` laid out like `view` is within `base` (views of a flat parameter).
inline torch::Tensor SameView(const torch::Tensor& grad, const torch::Tensor& view,
                              const torch::Tensor& base) {
  return grad.as_strided(view.sizes(), view.strides(),
                         view.storage_offset() - base.storage_offset());
}

inline bool BitEqual(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && torch::equal(a.detach(), b.detach());
}

}  // namespace bellman::nets::testing
