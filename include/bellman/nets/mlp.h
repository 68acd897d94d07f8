// Plain libtorch multilayer perceptrons: Mlp and DuelingHead, initialised from a bellman::Rng.
//
// These are the reference modules: every op goes through libtorch's autograd, so they run on any
// device. The CPU fast path (fused_mlp.h) computes the same functions and is tested against them.
//
// Initialisation is PyTorch's default for nn.Linear, but drawn from an explicit Rng instead of
// torch's global generator (DESIGN.md: no hidden RNG). Every module lists its Linear layers in a
// canonical order (linears()); init draws, weight copies between plain and fused modules, and
// tests all follow that order, so a plain and a fused net built from the same seed are the same
// function.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bellman/core/rng.h"

namespace bellman::nets {

enum class Activation { kRelu, kTanh };

// "relu" | "tanh"; anything else throws bellman::Error naming the value.
Activation ParseActivation(const std::string& name);
const char* ActivationName(Activation activation);

// input_size -> hidden_sizes... -> output_size, fully connected, `activation` after every hidden
// layer (and after the output layer too when activate_output is set: a torso feeding a head).
struct MlpOptions {
  int64_t input_size = 0;
  std::vector<int64_t> hidden_sizes;
  int64_t output_size = 0;
  Activation activation = Activation::kRelu;
  bool activate_output = false;

  // Throws bellman::Error for a size < 1, naming it.
  void Validate() const;
  // {input_size, hidden_sizes..., output_size}.
  std::vector<int64_t> LayerSizes() const;
};

// One Linear layer's parameters as tensors that share storage with the module (for a fused module,
// views into its flat buffer): weight [out, in] (row-major, as torch::nn::Linear), bias [out].
struct LinearView {
  torch::Tensor weight;
  torch::Tensor bias;
};

// PyTorch's default nn.Linear init (reset_parameters): weight ~ kaiming_uniform(a = sqrt(5)) and
// bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)); with a = sqrt(5) both bounds are 1/sqrt(fan_in).
// Draws rng.Uniform(-bound, bound) (float64, then cast to float32) for the weight in row-major
// order, then for the bias. Writes through the views (CPU float32 tensors) without recording
// autograd history.
void InitLinear(const LinearView& layer, Rng& rng);
// Fills a CPU float32 tensor (any strides) with rng.Uniform(-bound, bound) draws in row-major
// order (float64, cast to float32), writing through data_ptr (no autograd history).
void FillUniform(torch::Tensor t, double bound, Rng& rng);
void InitLinears(const std::vector<LinearView>& layers, Rng& rng);

// Copies parameters layer by layer (weights and biases), e.g. plain -> fused. Throws
// bellman::Error when the layer counts or shapes differ, naming the first mismatch.
void CopyLinears(const std::vector<LinearView>& from, const std::vector<LinearView>& to);

class MlpImpl : public torch::nn::Module {
 public:
  // Registers parameters weight0, bias0, weight1, bias1, ... and draws them from `rng`.
  MlpImpl(const MlpOptions& options, Rng& rng);

  // x: [batch, input_size] -> [batch, output_size].
  torch::Tensor forward(const torch::Tensor& x);

  const MlpOptions& options() const { return options_; }
  int64_t num_layers() const { return static_cast<int64_t>(weights_.size()); }
  std::vector<LinearView> linears() const;

 private:
  MlpOptions options_;
  std::vector<torch::Tensor> weights_;
  std::vector<torch::Tensor> biases_;
};
TORCH_MODULE(Mlp);

// Dueling head (Wang et al. 2016): a value stream V(s) and an advantage stream A(s, a) over the
// same features, combined as Q(s, a) = V(s) + (A(s, a) - mean_a' A(s, a')) (eq. 9).
// Each stream is an Mlp with `hidden_sizes` (may be empty: one Linear layer each).
struct DuelingHeadOptions {
  int64_t input_size = 0;
  std::vector<int64_t> hidden_sizes;
  int64_t num_actions = 0;
  Activation activation = Activation::kRelu;
};

class DuelingHeadImpl : public torch::nn::Module {
 public:
  // Draws the value stream, then the advantage stream.
  DuelingHeadImpl(const DuelingHeadOptions& options, Rng& rng);

  // features: [batch, input_size] -> Q: [batch, num_actions].
  torch::Tensor forward(const torch::Tensor& features);

  // Value stream layers, then advantage stream layers.
  std::vector<LinearView> linears() const;

  Mlp value = nullptr;
  Mlp advantage = nullptr;
};
TORCH_MODULE(DuelingHead);

}  // namespace bellman::nets
