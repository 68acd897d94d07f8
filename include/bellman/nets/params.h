// Operations on a module's parameters that algorithms need: target-network updates, gradient
// clipping, and resetting gradients. Each works on any module and runs one tight loop per
// parameter tensor on the CPU (one loop in all for a fused net's flat buffer).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace bellman::nets {

// target <- source for every parameter and buffer (a hard target-network update, Mnih et al.
// 2015). Throws bellman::Error if the parameter lists differ in length or shape.
void HardUpdate(torch::nn::Module& target, const torch::nn::Module& source);

// Polyak averaging (Lillicrap et al. 2016): target <- (1 - tau) * target + tau * source, per
// element in float32 as Stable-Baselines3's polyak_update computes it (target.mul_(1 - tau), then
// add_(source, alpha=tau)). Buffers are copied. Throws bellman::Error if tau is outside [0, 1]
// or the parameter lists differ.
void SoftUpdate(torch::nn::Module& target, const torch::nn::Module& source, double tau);

// torch::nn::utils::clip_grad_norm_ with norm_type 2: total = ||all grads||_2 (parameters
// without a grad are skipped), coef = max_norm / (total + 1e-6) in float32, and when coef < 1
// every grad is multiplied by coef. Returns total. The norm is accumulated in float64, so it can
// differ from torch's float32 reduction in the last bits. Throws bellman::Error if max_norm <= 0.
double ClipGradNorm(const std::vector<torch::Tensor>& params, double max_norm);

// Sets every parameter's grad to undefined (PyTorch's zero_grad(set_to_none=True)): the next
// backward then stores the gradient instead of adding it to a zeroed buffer.
void ZeroGrad(const std::vector<torch::Tensor>& params);

}  // namespace bellman::nets
