// Plain MLP modules and the shared Linear-layer helpers (see include/bellman/nets/mlp.h).
#include "bellman/nets/mlp.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <string>

#include "bellman/core/error.h"

namespace bellman::nets {

Activation ParseActivation(const std::string& name) {
  if (name == "relu") return Activation::kRelu;
  if (name == "tanh") return Activation::kTanh;
  throw Error(fmt::format("activation must be 'relu' or 'tanh', got '{}'", name));
}

const char* ActivationName(Activation activation) {
  return activation == Activation::kRelu ? "relu" : "tanh";
}

void MlpOptions::Validate() const {
  if (input_size < 1) throw Error(fmt::format("mlp input_size must be >= 1, got {}", input_size));
  if (output_size < 1) {
    throw Error(fmt::format("mlp output_size must be >= 1, got {}", output_size));
  }
  for (size_t i = 0; i < hidden_sizes.size(); ++i) {
    if (hidden_sizes[i] < 1) {
      throw Error(fmt::format("mlp hidden_sizes[{}] must be >= 1, got {} (hidden_sizes = [{}])", i,
                              hidden_sizes[i], fmt::join(hidden_sizes, ", ")));
    }
  }
}

std::vector<int64_t> MlpOptions::LayerSizes() const {
  std::vector<int64_t> sizes;
  sizes.reserve(hidden_sizes.size() + 2);
  sizes.push_back(input_size);
  sizes.insert(sizes.end(), hidden_sizes.begin(), hidden_sizes.end());
  sizes.push_back(output_size);
  return sizes;
}

namespace {

void CheckInitTarget(const torch::Tensor& t, const char* what) {
  if (!t.defined() || t.device() != torch::kCPU || t.scalar_type() != torch::kFloat32) {
    throw Error(fmt::format("InitLinear: {} must be a CPU float32 tensor", what));
  }
}

}  // namespace

void FillUniform(torch::Tensor t, double bound, Rng& rng) {
  torch::Tensor dense = t.is_contiguous() ? t : torch::empty(t.sizes(), t.options());
  float* data = dense.data_ptr<float>();
  const int64_t n = dense.numel();
  for (int64_t i = 0; i < n; ++i) data[i] = static_cast<float>(rng.Uniform(-bound, bound));
  if (!t.is_contiguous()) t.copy_(dense);
}

void InitLinear(const LinearView& layer, Rng& rng) {
  CheckInitTarget(layer.weight, "weight");
  CheckInitTarget(layer.bias, "bias");
  torch::NoGradGuard no_grad;
  // kaiming_uniform_(a = sqrt(5)): gain = sqrt(2 / (1 + a^2)) = sqrt(1/3), bound =
  // gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in); the bias bound is 1 / sqrt(fan_in) as well.
  // fan_in = in_features for a Linear weight [out, in], in * kh * kw for a Conv2d weight.
  const int64_t fan_in = layer.weight.size(0) > 0 ? layer.weight.numel() / layer.weight.size(0) : 0;
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  FillUniform(layer.weight, bound, rng);
  FillUniform(layer.bias, bound, rng);
}

void InitLinears(const std::vector<LinearView>& layers, Rng& rng) {
  for (const LinearView& layer : layers) InitLinear(layer, rng);
}

void CopyLinears(const std::vector<LinearView>& from, const std::vector<LinearView>& to) {
  if (from.size() != to.size()) {
    throw Error(fmt::format("CopyLinears: source has {} linear layers, target has {}", from.size(),
                            to.size()));
  }
  torch::NoGradGuard no_grad;
  for (size_t l = 0; l < from.size(); ++l) {
    if (!from[l].weight.sizes().equals(to[l].weight.sizes()) ||
        !from[l].bias.sizes().equals(to[l].bias.sizes())) {
      throw Error(fmt::format(
          "CopyLinears: layer {} has weight {} / bias {} in the source but {} / {} in the target",
          l, fmt::join(from[l].weight.sizes(), "x"), fmt::join(from[l].bias.sizes(), "x"),
          fmt::join(to[l].weight.sizes(), "x"), fmt::join(to[l].bias.sizes(), "x")));
    }
    to[l].weight.copy_(from[l].weight);
    to[l].bias.copy_(from[l].bias);
  }
}

MlpImpl::MlpImpl(const MlpOptions& options, Rng& rng) : options_(options) {
  options_.Validate();
  const std::vector<int64_t> sizes = options_.LayerSizes();
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    weights_.push_back(
        register_parameter(fmt::format("weight{}", l), torch::empty({sizes[l + 1], sizes[l]})));
    biases_.push_back(register_parameter(fmt::format("bias{}", l), torch::empty({sizes[l + 1]})));
  }
  InitLinears(linears(), rng);
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = x;
  const int64_t last = num_layers() - 1;
  for (int64_t l = 0; l <= last; ++l) {
    h = torch::linear(h, weights_[l], biases_[l]);
    if (l < last || options_.activate_output) {
      h = options_.activation == Activation::kRelu ? torch::relu(h) : torch::tanh(h);
    }
  }
  return h;
}

std::vector<LinearView> MlpImpl::linears() const {
  std::vector<LinearView> out;
  out.reserve(weights_.size());
  for (size_t l = 0; l < weights_.size(); ++l) out.push_back({weights_[l], biases_[l]});
  return out;
}

DuelingHeadImpl::DuelingHeadImpl(const DuelingHeadOptions& options, Rng& rng) {
  MlpOptions stream{.input_size = options.input_size,
                    .hidden_sizes = options.hidden_sizes,
                    .output_size = 1,
                    .activation = options.activation,
                    .activate_output = false};
  value = register_module("value", Mlp(stream, rng));
  stream.output_size = options.num_actions;
  advantage = register_module("advantage", Mlp(stream, rng));
}

torch::Tensor DuelingHeadImpl::forward(const torch::Tensor& features) {
  const torch::Tensor v = value->forward(features);      // [B, 1]
  const torch::Tensor a = advantage->forward(features);  // [B, n]
  // Eq. 9: subtracting the mean advantage makes V and A identifiable.
  return v + a - a.mean(1, /*keepdim=*/true);
}

std::vector<LinearView> DuelingHeadImpl::linears() const {
  std::vector<LinearView> out = value->linears();
  for (LinearView& l : advantage->linears()) out.push_back(std::move(l));
  return out;
}

}  // namespace bellman::nets
