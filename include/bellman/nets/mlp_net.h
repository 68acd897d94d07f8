// MlpNet (a FusedMlp on the CPU fast path, a plain Mlp otherwise), FrozenParams and
// StandardNormal: the building blocks of the continuous family's actors and critics.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "bellman/core/rng.h"
#include "bellman/nets/fused_mlp.h"
#include "bellman/nets/mlp.h"

namespace bellman::nets {

// An MLP that is a FusedMlp on the CPU fast path and a plain Mlp otherwise (same function, same
// initial weights for the same Rng).
class MlpNetImpl : public torch::nn::Module {
 public:
  MlpNetImpl(const MlpOptions& options, Rng& rng, bool fused);
  torch::Tensor forward(const torch::Tensor& x);
  // A new net with a copy of the parameters (a target network; its parameters need no grad).
  std::shared_ptr<MlpNetImpl> CloneTarget() const;
  const MlpOptions& options() const { return options_; }
  // Linear layers in order (views into the parameters).
  std::vector<LinearView> linears() const { return fused_ ? fast_->linears() : plain_->linears(); }

 private:
  MlpOptions options_;
  bool fused_;
  Mlp plain_ = nullptr;
  FusedMlp fast_ = nullptr;
};
TORCH_MODULE(MlpNet);

// While alive, the nets' parameters do not require grad (restored on destruction): the actor's
// loss backpropagates through the critics to the actions only, without computing the critics'
// weight gradients that the actor step would discard (the actor's update is the same).
class FrozenParams {
 public:
  explicit FrozenParams(const std::vector<MlpNet>& nets);
  ~FrozenParams();
  FrozenParams(const FrozenParams&) = delete;
  FrozenParams& operator=(const FrozenParams&) = delete;

 private:
  std::vector<torch::Tensor> params_;
};

// A float32 tensor of the given shape filled with standard normal draws from rng, in row-major
// order (exploration and reparameterisation noise come from an explicit Rng, DESIGN.md).
torch::Tensor StandardNormal(Rng& rng, at::IntArrayRef shape);

}  // namespace bellman::nets
