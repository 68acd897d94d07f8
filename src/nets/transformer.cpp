// The causal transformer of bellman/nets/transformer.h.
#include "bellman/nets/transformer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "nets/fused_transformer.h"

namespace bellman::nets {

void TransformerOptions::Validate() const {
  Require(embed_dim >= 1, "transformer embed_dim must be >= 1, got {}", embed_dim);
  Require(n_layers >= 1, "transformer n_layers must be >= 1, got {}", n_layers);
  Require(n_heads >= 1 && embed_dim % n_heads == 0,
          "transformer n_heads must be >= 1 and divide embed_dim ({}), got {}", embed_dim, n_heads);
  Require(attention_dropout >= 0.0 && attention_dropout < 1.0,
          "transformer attention_dropout must be in [0, 1), got {}", attention_dropout);
  Require(residual_dropout >= 0.0 && residual_dropout < 1.0,
          "transformer residual_dropout must be in [0, 1), got {}", residual_dropout);
}

torch::Tensor NormalInit(Rng& rng, at::IntArrayRef shape, double std) {
  torch::Tensor t = torch::empty(shape, torch::kFloat64);
  double* p = t.data_ptr<double>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = std * rng.StandardNormal();
  return t.to(torch::kFloat32);
}

torch::Tensor Dropout(const torch::Tensor& x, double p, std::optional<at::Generator>& generator) {
  if (p <= 0.0 || !generator) return x;
  const torch::Tensor keep = torch::empty_like(x).bernoulli_(1.0 - p, *generator);
  return x * keep / static_cast<float>(1.0 - p);
}

torch::nn::Linear MakeLinear(int64_t in, int64_t out, Rng& rng) {
  torch::nn::Linear l(in, out);
  torch::NoGradGuard no_grad;
  l->weight.copy_(NormalInit(rng, {out, in}, 0.02));
  l->bias.zero_();
  return l;
}

CausalTransformerImpl::CausalTransformerImpl(const TransformerOptions& options, Rng& rng)
    : options_(options), pool_(std::make_shared<BufferPool>()) {
  options_.Validate();
  const int64_t d = options_.embed_dim;
  for (int64_t k = 0; k < options_.n_layers; ++k) {
    Block b;
    // Draw order per block: qkv, proj, fc1, fc2 (LayerNorms are 1 and 0).
    b.ln1 =
        register_module(fmt::format("ln1_{}", k), torch::nn::LayerNorm(std::vector<int64_t>{d}));
    b.qkv = register_module(fmt::format("qkv_{}", k), MakeLinear(d, 3 * d, rng));
    b.proj = register_module(fmt::format("proj_{}", k), MakeLinear(d, d, rng));
    b.ln2 =
        register_module(fmt::format("ln2_{}", k), torch::nn::LayerNorm(std::vector<int64_t>{d}));
    b.fc1 = register_module(fmt::format("fc1_{}", k), MakeLinear(d, 4 * d, rng));
    b.fc2 = register_module(fmt::format("fc2_{}", k), MakeLinear(4 * d, d, rng));
    blocks_.push_back(b);
  }
  final_ln_ = register_module("final_ln", torch::nn::LayerNorm(std::vector<int64_t>{d}));
}

torch::Tensor CausalTransformerImpl::forward(const torch::Tensor& input, const torch::Tensor& valid,
                                             std::optional<at::Generator>& generator) {
  const bool dropout =
      generator && (options_.attention_dropout > 0.0 || options_.residual_dropout > 0.0);
  if (options_.fused && !valid.defined() && !dropout && input.device().is_cpu() &&
      input.scalar_type() == torch::kFloat32) {
    std::vector<torch::Tensor> params;
    for (Block& blk : blocks_) {
      for (const torch::Tensor& w :
           {blk.ln1->weight, blk.ln1->bias, blk.qkv->weight, blk.qkv->bias, blk.proj->weight,
            blk.proj->bias, blk.ln2->weight, blk.ln2->bias, blk.fc1->weight, blk.fc1->bias,
            blk.fc2->weight, blk.fc2->bias}) {
        params.push_back(w);
      }
    }
    params.push_back(final_ln_->weight);
    params.push_back(final_ln_->bias);
    return FusedCausalTransformer(input, params, options_.n_heads, final_ln_->options.eps(),
                                  *pool_);
  }
  const int64_t b = input.size(0), t = input.size(1), d = options_.embed_dim;
  const int64_t h = options_.n_heads, dh = d / h;
  // allowed[b, i, j] = j <= i and (valid[b, j] or j == i). One token attends only to itself:
  // its attention output is its value row, so no mask or softmax is built (Q-Transformer's
  // single-dimension actions and the state-only target forward).
  torch::Tensor bias;
  if (t > 1) {
    torch::Tensor allowed = torch::ones({t, t}, torch::kBool).tril().unsqueeze(0).expand({b, t, t});
    if (valid.defined()) {
      allowed = allowed.logical_and(valid.unsqueeze(1).expand({b, t, t}).logical_or(
          torch::eye(t, torch::kBool).unsqueeze(0)));
    }
    // A large negative instead of -inf: every row has its diagonal, so nothing is all-masked.
    bias = torch::zeros({b, 1, t, t}).masked_fill(allowed.logical_not().unsqueeze(1), -1e9f);
  }
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh)));
  torch::Tensor x = input;
  // softmax over one key is 1, so one token's attention output is its value row and its query
  // and key are never needed: only the value third of qkv is computed (a third of the product).
  // Dropout on the attention weight would still apply: keep the general path then.
  const bool value_only = t == 1 && !(options_.attention_dropout > 0.0 && generator);
  for (Block& blk : blocks_) {
    const torch::Tensor xn = blk.ln1->forward(x);
    torch::Tensor y;
    if (value_only) {
      y = torch::linear(xn, blk.qkv->weight.narrow(0, 2 * d, d), blk.qkv->bias.narrow(0, 2 * d, d));
    } else {
      const torch::Tensor qkv = blk.qkv->forward(xn);  // [B, T, 3d]
      auto heads = [&](int64_t k) {
        return qkv.narrow(2, k * d, d).view({b, t, h, dh}).transpose(1, 2);  // [B, H, T, dh]
      };
      const torch::Tensor q = heads(0), key = heads(1), v = heads(2);
      torch::Tensor scores = torch::matmul(q, key.transpose(2, 3)) * scale;
      if (bias.defined()) scores = scores + bias;
      torch::Tensor att = torch::softmax(scores, -1);
      att = Dropout(att, options_.attention_dropout, generator);
      y = torch::matmul(att, v).transpose(1, 2).reshape({b, t, d});
    }
    x = x + Dropout(blk.proj->forward(y), options_.residual_dropout, generator);
    const torch::Tensor m = blk.fc2->forward(torch::gelu(blk.fc1->forward(blk.ln2->forward(x))));
    x = x + Dropout(m, options_.residual_dropout, generator);
  }
  return final_ln_->forward(x);
}

}  // namespace bellman::nets
