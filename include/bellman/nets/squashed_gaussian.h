// SAC's squashed Gaussian policy head as one autograd node.
#pragma once

#include <torch/torch.h>

#include <utility>

namespace bellman::nets {

// SAC's squashed Gaussian from the actor's output out = [mu, raw log std] ([B, 2d]) and
// eps ~ N(0, I) ([B, d]), as ONE autograd node (CPU float32):
//   a = tanh(mu + exp(s) * eps), s = clamp(raw, log_std_min, log_std_max)
//   log_prob = sum_j log N(u_j; mu_j, exp(s_j)) - log(1 - a_j^2 + 1e-6)   (Haarnoja 2018, eq. 21)
// Returns {a [B, d], log_prob [B]}; the gradients flow to `out` only.
std::pair<torch::Tensor, torch::Tensor> SquashedGaussian(const torch::Tensor& out,
                                                         const torch::Tensor& eps,
                                                         double log_std_min, double log_std_max);

}  // namespace bellman::nets
