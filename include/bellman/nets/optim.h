// Flat optimizers: Adam, RMSprop and SGD with PyTorch's semantics, each stepping every parameter
// tensor in ONE tight loop (for a fused net: one loop over its flat buffer) instead of the
// 5-10 tensor ops per parameter of torch::optim.
//
// They are torch::optim::Optimizer subclasses constructed from torch's own option structs, so
// an algorithm holds a torch::optim::Optimizer& and calls zero_grad()/step(), and param_groups()'s
// options (set_lr) work for schedules. The arithmetic is torch.optim's single-tensor
// (non-foreach) formula in float32, operation by operation (scalars rounded to float32 where
// torch rounds them); results match torch::optim to rounding (it may contract a multiply-add into
// an FMA; these loops do not).
//
// Requirements: CPU float32 contiguous parameters (and grads). Parameters without a grad are
// skipped, as torch does. State (moments and step counts) is created at the first step, zeros.
// save()/load() (torch::save / torch::load on the optimizer) write the moment tensors and step
// counts; the options come from the config, not the archive.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bellman::nets {

// torch.optim.Adam (Kingma & Ba 2015, Algorithm 1 with PyTorch's bias correction), non-amsgrad:
//   g <- g + weight_decay * p
//   m <- beta1 * m + (1 - beta1) * g;  v <- beta2 * v + (1 - beta2) * g * g
//   p <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
class FlatAdam final : public torch::optim::Optimizer {
 public:
  // Throws bellman::Error for amsgrad or a bad option (lr < 0, betas outside [0, 1), eps < 0).
  explicit FlatAdam(std::vector<torch::Tensor> params,
                    torch::optim::AdamOptions options = torch::optim::AdamOptions());
  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  struct ParamState {
    int64_t step = 0;
    torch::Tensor exp_avg;     // m
    torch::Tensor exp_avg_sq;  // v
  };
  // One entry per parameter, in param_groups() order.
  const std::vector<ParamState>& param_state() const { return param_state_; }

 private:
  std::vector<ParamState> param_state_;
};

// torch.optim.RMSprop (Hinton's lecture 6e; centered variant of Graves 2013):
//   g <- g + weight_decay * p;  sq <- alpha * sq + (1 - alpha) * g * g
//   avg <- sqrt(sq) + eps, or centered: ga <- alpha * ga + (1 - alpha) * g,
//          avg <- sqrt(sq - ga * ga) + eps
//   momentum > 0: buf <- momentum * buf + g / avg; p <- p - lr * buf;  else p <- p - lr * g / avg
class FlatRmsProp final : public torch::optim::Optimizer {
 public:
  explicit FlatRmsProp(std::vector<torch::Tensor> params,
                       torch::optim::RMSpropOptions options = torch::optim::RMSpropOptions());
  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  struct ParamState {
    int64_t step = 0;
    torch::Tensor square_avg;
    torch::Tensor grad_avg;         // centered only
    torch::Tensor momentum_buffer;  // momentum > 0 only
  };
  const std::vector<ParamState>& param_state() const { return param_state_; }

 private:
  std::vector<ParamState> param_state_;
};

// torch.optim.SGD: d <- g + weight_decay * p; with momentum: buf <- d at the first step, else
// buf <- momentum * buf + (1 - dampening) * d; d <- d + momentum * buf (nesterov) or buf;
// p <- p - lr * d.
class FlatSgd final : public torch::optim::Optimizer {
 public:
  explicit FlatSgd(std::vector<torch::Tensor> params, torch::optim::SGDOptions options);
  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  struct ParamState {
    int64_t step = 0;
    torch::Tensor momentum_buffer;  // momentum != 0 only
  };
  const std::vector<ParamState>& param_state() const { return param_state_; }

 private:
  std::vector<ParamState> param_state_;
};

// YAML: `optimizer: {name: adam, lr: 1e-3, ...}`. Defaults are torch.optim's.
struct OptimizerConfig {
  std::string name = "adam";  // adam | rmsprop | sgd
  double lr = 1e-3;
  double beta1 = 0.9;     // adam
  double beta2 = 0.999;   // adam
  double eps = 1e-8;      // adam, rmsprop
  double alpha = 0.99;    // rmsprop smoothing constant
  bool centered = false;  // rmsprop
  double momentum = 0.0;  // rmsprop, sgd
  double weight_decay = 0.0;
  bool fast_path = true;  // Flat* optimizers when every parameter is a CPU float32 tensor

  template <class V>
  void Fields(V& v) {
    v("name", name);
    v("lr", lr);
    v("beta1", beta1);
    v("beta2", beta2);
    v("eps", eps);
    v("alpha", alpha);
    v("centered", centered);
    v("momentum", momentum);
    v("weight_decay", weight_decay);
    v("fast_path", fast_path);
  }
  // Throws bellman::Error naming the key and the accepted range.
  void Validate() const;
};

// FlatAdam/FlatRmsProp/FlatSgd when config.fast_path and every parameter is a contiguous CPU
// float32 tensor; torch::optim::Adam/RMSprop/SGD otherwise. Validates the config.
std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const OptimizerConfig& config,
                                                       std::vector<torch::Tensor> params);

// Sets every grad of the optimizer's parameters to undefined (zero_grad(set_to_none=True)); the
// fast choice before a backward. Optimizer::zero_grad() (zeros, then backward adds) also works.
void ZeroGrad(torch::optim::Optimizer& optimizer);

}  // namespace bellman::nets
