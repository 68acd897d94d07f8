// A small causal transformer (GPT-style, pre-norm) for the sequence models of the offline half:
// Decision Transformer now, Q-Transformer and token-level values later. Sizes are the papers'
// small ones (context <= 60 tokens, width <= 128, <= 3 layers); libtorch ops, CPU-first.
//
// Block (minGPT / CORL's dt.py TransformerBlock):
//   x = x + drop(attn(ln1(x)))          causal multi-head self-attention
//   x = x + drop(W2 gelu(W1 ln2(x)))    4x MLP
// and a final LayerNorm after the last block. Initialisation as CORL's DecisionTransformer:
// Linear weights N(0, 0.02^2) from an explicit Rng, biases 0, LayerNorm 1 and 0.
//
// Dropout draws come from a torch generator passed to forward (seeded by the caller from its
// own Rng), never from torch's global one, so training is reproducible; no generator means no
// dropout (evaluation).
#pragma once

#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "bellman/core/rng.h"

namespace bellman::nets {

class BufferPool;  // src/nets/fused_transformer.h

struct TransformerOptions {
  int64_t embed_dim = 128;
  int64_t n_layers = 3;
  int64_t n_heads = 1;
  double attention_dropout = 0.1;  // on the attention weights
  double residual_dropout = 0.1;   // on each block's two residual branches
  // Without dropout and padding on CPU float32, run the stack as one autograd node (BLAS calls
  // on the node's buffers, src/nets/fused_transformer.h); false: libtorch ops (the reference).
  bool fused = true;
  // Throws bellman::Error naming the bad value (sizes >= 1, embed_dim divisible by n_heads,
  // dropouts in [0, 1)).
  void Validate() const;
};

// N(0, std^2) draws from rng, in row-major order (float64 draws cast to float32).
torch::Tensor NormalInit(Rng& rng, at::IntArrayRef shape, double std);

// Inverted dropout with an explicit generator: x * Bernoulli(1 - p) / (1 - p); x when p is 0
// or no generator is given.
torch::Tensor Dropout(const torch::Tensor& x, double p, std::optional<at::Generator>& generator);

class CausalTransformerImpl : public torch::nn::Module {
 public:
  CausalTransformerImpl(const TransformerOptions& options, Rng& rng);

  // x: [B, T, embed_dim] token embeddings (positions already added by the caller). valid:
  // [B, T] bool, false at padding positions (or undefined: all valid). Position i attends to
  // positions j <= i that are valid, and always to itself, so a padded query never has an
  // empty row and a valid query never sees padding. Returns [B, T, embed_dim] after the final
  // LayerNorm. `generator`: dropout on (training); nullopt: off.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& valid,
                        std::optional<at::Generator>& generator);

  const TransformerOptions& options() const { return options_; }

 private:
  struct Block {
    torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
    torch::nn::Linear qkv{nullptr}, proj{nullptr}, fc1{nullptr}, fc2{nullptr};
  };
  TransformerOptions options_;
  std::vector<Block> blocks_;
  // The fused path's buffers, reused between forwards (src/nets/fused_transformer.h).
  std::shared_ptr<BufferPool> pool_;
  torch::nn::LayerNorm final_ln_{nullptr};
};
TORCH_MODULE(CausalTransformer);

// A Linear layer initialised as CORL's DT (weight N(0, 0.02^2), bias 0), for embeddings and
// heads around the transformer.
torch::nn::Linear MakeLinear(int64_t in, int64_t out, Rng& rng);

}  // namespace bellman::nets
