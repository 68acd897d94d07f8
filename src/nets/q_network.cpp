// Q-networks and the module factory (see include/bellman/nets/q_network.h).
#include "bellman/nets/q_network.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bellman/core/error.h"
#include "bellman/nets/params.h"
#include "bellman/nets/value_net.h"

namespace bellman::nets {

namespace {

void CheckSizes(const std::vector<int64_t>& sizes, const char* key) {
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < 1) {
      throw Error(fmt::format("net.{}[{}] must be >= 1, got {} ({} = [{}])", key, i, sizes[i], key,
                              fmt::join(sizes, ", ")));
    }
  }
}

MlpOptions TorsoOptions(const QNetworkConfig& config, int64_t obs_size) {
  // hidden_sizes = [h1, ..., hk]: obs -> h1 -> ... -> hk, every layer activated.
  std::vector<int64_t> hidden(config.hidden_sizes.begin(), config.hidden_sizes.end() - 1);
  return MlpOptions{.input_size = obs_size,
                    .hidden_sizes = std::move(hidden),
                    .output_size = config.hidden_sizes.back(),
                    .activation = ParseActivation(config.activation),
                    .activate_output = true};
}

void CopyRequiresGrad(const torch::nn::Module& from, torch::nn::Module& to) {
  const auto src = from.parameters();
  auto dst = to.parameters();
  for (size_t i = 0; i < src.size() && i < dst.size(); ++i) {
    dst[i].requires_grad_(src[i].requires_grad());
  }
}

int64_t FeatureSize(const QNetworkConfig& config, int64_t obs_size) {
  return config.hidden_sizes.empty() ? obs_size : config.hidden_sizes.back();
}

}  // namespace

void QNetworkConfig::Validate() const {
  CheckSizes(hidden_sizes, "hidden_sizes");
  CheckSizes(dueling_hidden_sizes, "dueling_hidden_sizes");
  if (activation != "relu" && activation != "tanh") {
    throw Error(fmt::format("net.activation must be relu or tanh, got '{}'", activation));
  }
  if (torso != "mlp" && torso != "minatar") {
    throw Error(fmt::format("net.torso must be mlp or minatar, got '{}'", torso));
  }
  if (conv_channels < 1) {
    throw Error(fmt::format("net.conv_channels must be >= 1, got {}", conv_channels));
  }
  if (!(noisy_sigma0 >= 0.0)) {
    throw Error(fmt::format("net.noisy_sigma0 must be >= 0, got {}", noisy_sigma0));
  }
  if (!dueling_hidden_sizes.empty() && (noisy || torso != "mlp")) {
    throw Error("net.dueling_hidden_sizes is only supported with the mlp torso without noisy");
  }
  if (!dueling && !dueling_hidden_sizes.empty()) {
    throw Error(fmt::format("net.dueling_hidden_sizes = [{}] needs net.dueling: true",
                            fmt::join(dueling_hidden_sizes, ", ")));
  }
}

QNetwork::QNetwork(const QNetworkConfig& config, int64_t obs_size, int64_t num_actions,
                   int64_t num_atoms)
    : config_(config), obs_size_(obs_size), num_actions_(num_actions), num_atoms_(num_atoms) {
  config_.Validate();
  if (obs_size < 1) throw Error(fmt::format("QNetwork: obs_size must be >= 1, got {}", obs_size));
  if (num_actions < 1) {
    throw Error(fmt::format("QNetwork: num_actions must be >= 1, got {}", num_actions));
  }
  if (num_atoms < 1) {
    throw Error(fmt::format("QNetwork: num_atoms must be >= 1, got {}", num_atoms));
  }
}

torch::Tensor QNetwork::Flatten(const torch::Tensor& obs) const {
  if (obs.dim() < 2 || obs.numel() != obs.size(0) * obs_size_) {
    throw Error(fmt::format("QNetwork: obs must be [batch, ...] with {} values per row, got [{}]",
                            obs_size_, fmt::join(obs.sizes(), ", ")));
  }
  return obs.dim() == 2 ? obs : obs.reshape({obs.size(0), obs_size_});
}

// ---- PlainQNetwork ----------------------------------------------------------------------------

PlainQNetwork::PlainQNetwork(const QNetworkConfig& config, int64_t obs_size, int64_t num_actions,
                             Rng& rng, int64_t num_atoms)
    : QNetwork(config, obs_size, num_actions, num_atoms) {
  if (config_.dueling && num_atoms > 1) {
    throw Error(fmt::format(
        "PlainQNetwork: dueling with num_atoms = {} needs the per-atom head of ValueNetwork",
        num_atoms));
  }
  const Activation activation = ParseActivation(config_.activation);
  if (!config_.hidden_sizes.empty()) {
    torso_ = register_module("torso", Mlp(TorsoOptions(config_, obs_size), rng));
  }
  const int64_t features = FeatureSize(config_, obs_size);
  if (config_.dueling) {
    dueling_head_ = register_module(
        "head", DuelingHead(DuelingHeadOptions{.input_size = features,
                                               .hidden_sizes = config_.dueling_hidden_sizes,
                                               .num_actions = num_actions,
                                               .activation = activation},
                            rng));
  } else {
    head_ = register_module("head", Mlp(MlpOptions{.input_size = features,
                                                   .hidden_sizes = {},
                                                   .output_size = num_actions * num_atoms,
                                                   .activation = activation,
                                                   .activate_output = false},
                                        rng));
  }
}

torch::Tensor PlainQNetwork::forward(const torch::Tensor& obs) {
  torch::Tensor h = Flatten(obs);
  if (torso_) h = torso_->forward(h);
  return config_.dueling ? dueling_head_->forward(h) : head_->forward(h);
}

std::vector<LinearView> PlainQNetwork::linears() const {
  std::vector<LinearView> out;
  if (torso_) out = torso_->linears();
  for (LinearView& l : config_.dueling ? dueling_head_->linears() : head_->linears()) {
    out.push_back(std::move(l));
  }
  return out;
}

std::shared_ptr<QNetwork> PlainQNetwork::Clone() const {
  Rng scratch(0);  // overwritten below
  auto copy =
      std::make_shared<PlainQNetwork>(config_, obs_size_, num_actions_, scratch, num_atoms_);
  const auto params = parameters();
  if (!params.empty()) copy->to(params.front().device());
  HardUpdate(*copy, *this);
  CopyRequiresGrad(*this, *copy);
  return copy;
}

// ---- FusedQNetwork ----------------------------------------------------------------------------

FusedQNetwork::FusedQNetwork(const QNetworkConfig& config, int64_t obs_size, int64_t num_actions,
                             Rng& rng, int64_t num_atoms)
    : QNetwork(config, obs_size, num_actions, num_atoms) {
  if (config_.dueling && num_atoms > 1) {
    throw Error(fmt::format(
        "FusedQNetwork: dueling with num_atoms = {} needs the per-atom head of ValueNetwork",
        num_atoms));
  }
  const Activation activation = ParseActivation(config_.activation);
  if (!config_.dueling || config_.dueling_hidden_sizes.empty()) {
    // One node: obs -> hidden... -> Q (or -> [V, A] -> Q for dueling).
    net_ = register_module("net", FusedMlp(MlpOptions{.input_size = obs_size,
                                                      .hidden_sizes = config_.hidden_sizes,
                                                      .output_size = num_actions * num_atoms,
                                                      .activation = activation,
                                                      .activate_output = false},
                                           rng, config_.dueling));
    return;
  }
  if (!config_.hidden_sizes.empty()) {
    torso_ = register_module("torso", FusedMlp(TorsoOptions(config_, obs_size), rng));
  }
  MlpOptions stream{.input_size = FeatureSize(config_, obs_size),
                    .hidden_sizes = config_.dueling_hidden_sizes,
                    .output_size = 1,
                    .activation = activation,
                    .activate_output = false};
  value_ = register_module("value", FusedMlp(stream, rng));
  stream.output_size = num_actions;
  advantage_ = register_module("advantage", FusedMlp(stream, rng));
}

torch::Tensor FusedQNetwork::forward(const torch::Tensor& obs) {
  const torch::Tensor x = Flatten(obs);
  if (net_) return net_->forward(x);
  const torch::Tensor h = torso_ ? torso_->forward(x) : x;
  const torch::Tensor v = value_->forward(h);
  const torch::Tensor a = advantage_->forward(h);
  return v + a - a.mean(1, /*keepdim=*/true);  // Wang et al. 2016, eq. 9
}

std::vector<LinearView> FusedQNetwork::linears() const {
  if (net_) return net_->linears();
  std::vector<LinearView> out;
  if (torso_) out = torso_->linears();
  for (const FusedMlp& m : {value_, advantage_}) {
    for (LinearView& l : m->linears()) out.push_back(std::move(l));
  }
  return out;
}

std::shared_ptr<QNetwork> FusedQNetwork::Clone() const {
  Rng scratch(0);  // overwritten below
  auto copy =
      std::make_shared<FusedQNetwork>(config_, obs_size_, num_actions_, scratch, num_atoms_);
  HardUpdate(*copy, *this);
  CopyRequiresGrad(*this, *copy);
  return copy;
}

std::shared_ptr<QNetwork> MakeQNetwork(const QNetworkConfig& config, int64_t obs_size,
                                       int64_t num_actions, const torch::Device& device, Rng& rng) {
  if (config.fast_path && device.is_cpu()) {
    return std::make_shared<FusedQNetwork>(config, obs_size, num_actions, rng);
  }
  auto net = std::make_shared<PlainQNetwork>(config, obs_size, num_actions, rng);
  net->to(device);
  return net;
}

std::shared_ptr<QNetwork> MakeQNetwork(const QNetworkConfig& config,
                                       const std::vector<int64_t>& obs_shape, int64_t num_actions,
                                       const torch::Device& device, Rng& rng, int64_t num_atoms) {
  config.Validate();
  if (num_atoms < 1) {
    throw Error(fmt::format("QNetwork: num_atoms must be >= 1, got {}", num_atoms));
  }
  int64_t obs_size = 1;
  for (int64_t d : obs_shape) {
    if (d < 1) {
      throw Error(fmt::format("QNetwork: obs_shape must have sizes >= 1, got ({})",
                              fmt::join(obs_shape, ", ")));
    }
    obs_size *= d;
  }
  if (config.torso == "mlp" && !config.noisy && (num_atoms == 1 || !config.dueling)) {
    // The overload above with num_actions * num_atoms outputs (the same draws and function),
    // built here so that num_actions() and num_atoms() say A and K.
    if (config.fast_path && device.is_cpu()) {
      return std::make_shared<FusedQNetwork>(config, obs_size, num_actions, rng, num_atoms);
    }
    auto net = std::make_shared<PlainQNetwork>(config, obs_size, num_actions, rng, num_atoms);
    net->to(device);
    return net;
  }
  const bool fuse =
      config.fast_path && device.is_cpu() && !config.noisy && (num_atoms == 1 || !config.dueling);
  auto net = std::make_shared<ValueNetwork>(config, obs_shape, num_actions, num_atoms, rng, fuse);
  net->to(device);
  return net;
}

}  // namespace bellman::nets
