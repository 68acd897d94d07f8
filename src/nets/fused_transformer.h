// The fused path of CausalTransformer (bellman/nets/transformer.h): the whole stack of pre-norm
// blocks and the final LayerNorm as ONE autograd node, as FusedMlp is for MLPs. Internal to
// src/nets/.
//
// Why: at Q-Transformer's sizes (width 64, 2 layers, 1-3 tokens, batch 256) an update through
// libtorch ops spends about as long in op dispatch, autograd bookkeeping and allocation as in the
// matrix products (docs/offline.md, "Q-Transformer speed"). Here forward and backward call
// cblas_sgemm directly, LayerNorm and causal attention are loops, GELU is ATen's kernel on the
// node's buffers (torch's exact erf GELU, not an approximation).
//
// Same function as the libtorch path (tests check outputs and every gradient to 1e-5). Limits:
// CPU float32, no padding mask, no dropout: CausalTransformer takes this path only then.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace bellman::nets {

// Float buffers kept between forwards, so that an update does not allocate (and page-fault in)
// the same few megabytes again each time. A buffer is handed out again once nothing but the
// pool holds it (its autograd node is gone). One pool per module; not shared between threads.
class BufferPool {
 public:
  torch::Tensor Get(int64_t numel);

 private:
  std::unordered_map<int64_t, std::vector<torch::Tensor>> buffers_;
};

// x [B, T, d] -> [B, T, d]. params: per block ln1.weight, ln1.bias, qkv.weight [3d, d],
// qkv.bias, proj.weight [d, d], proj.bias, ln2.weight, ln2.bias, fc1.weight [4d, d], fc1.bias,
// fc2.weight [d, 4d], fc2.bias; then the final LayerNorm's weight and bias. Differentiable with
// respect to x and every parameter.
torch::Tensor FusedCausalTransformer(const torch::Tensor& x,
                                     const std::vector<torch::Tensor>& params, int64_t n_heads,
                                     double ln_eps, BufferPool& pool);

}  // namespace bellman::nets
