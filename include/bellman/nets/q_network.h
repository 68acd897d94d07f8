// Q-networks for discrete actions: an MLP torso plus a plain or dueling head, built by
// MakeQNetwork as either plain libtorch modules or the CPU fast path (fused_mlp.h).
//
// Algorithms hold a std::shared_ptr<QNetwork> and never ask which one they got: forward(obs),
// parameters(), Clone() for a target network, HardUpdate/SoftUpdate (params.h) and torch::save
// work the same on both.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bellman/core/rng.h"
#include "bellman/nets/fused_mlp.h"
#include "bellman/nets/mlp.h"

namespace bellman::nets {

// YAML: `net: {hidden_sizes: [64, 64], activation: relu, dueling: false, ...}`.
struct QNetworkConfig {
  std::vector<int64_t> hidden_sizes = {64, 64};  // torso layers (empty: a linear Q-function)
  std::string activation = "relu";               // relu | tanh
  bool dueling = false;                          // Wang et al. 2016 dueling head
  std::vector<int64_t> dueling_hidden_sizes;     // hidden layers of each dueling stream
  bool fast_path = true;                         // FusedMlp on CPU; plain modules elsewhere
  // mlp | minatar: MinAtar's reference torso (Young & Tian 2019): obs [B, H, W, C] (channels
  // last) -> 3x3 conv, conv_channels filters, stride 1, no padding -> ReLU -> hidden_sizes
  // (reference: [128]). value_net.h.
  std::string torso = "mlp";
  int64_t conv_channels = 16;  // the wider variant of later papers is a larger value here
  bool noisy = false;          // NoisyNet layers after the conv (Fortunato et al. 2018)
  double noisy_sigma0 = 0.5;

  template <class V>
  void Fields(V& v) {
    v("hidden_sizes", hidden_sizes);
    v("activation", activation);
    v("dueling", dueling);
    v("dueling_hidden_sizes", dueling_hidden_sizes);
    v("fast_path", fast_path);
    v("torso", torso);
    v("conv_channels", conv_channels);
    v("noisy", noisy);
    v("noisy_sigma0", noisy_sigma0);
  }
  // Throws bellman::Error naming the key: sizes must be >= 1, activation relu|tanh,
  // dueling_hidden_sizes only with dueling.
  void Validate() const;
};

class QNetwork : public torch::nn::Module {
 public:
  // obs: [batch, obs_size] (or [batch, ...] with obs_size elements per row, e.g. MinAtar's
  // [batch, H, W, C]) float32 -> Q-values [batch, num_actions * num_atoms], action-major
  // (view it as [batch, num_actions, num_atoms]; [batch, num_actions] for one atom).
  virtual torch::Tensor forward(const torch::Tensor& obs) = 0;
  // Canonical Linear layer list: torso layers, then the head's (dueling: value stream, then
  // advantage stream). Same order and shapes for plain and fused networks of one config.
  // Convolutions and NoisyNet layers are not Linear layers and are left out (value_net.h).
  virtual std::vector<LinearView> linears() const = 0;
  // A new network of the same kind, config and device with a copy of the parameters (a target
  // network). Its parameters require grad like the original's.
  virtual std::shared_ptr<QNetwork> Clone() const = 0;
  // True for the CPU fast path.
  virtual bool fused() const = 0;
  // NoisyNet networks (value_net.h): redraw the noise from rng / act on the mean weights only
  // (deterministic greedy evaluation) or on mu + sigma * eps again (the default). Noisy layers
  // use their current eps in every forward: call ResetNoise before a forward that wants fresh
  // noise. No-ops for networks without noisy layers.
  virtual void ResetNoise(Rng& /*rng*/) {}
  virtual void SetNoiseEnabled(bool /*on*/) {}
  virtual bool noisy() const { return false; }

  const QNetworkConfig& config() const { return config_; }
  int64_t obs_size() const { return obs_size_; }
  int64_t num_actions() const { return num_actions_; }
  // Outputs per action (C51 atoms, QR-DQN quantiles, ...); 1 for a plain Q-network.
  int64_t num_atoms() const { return num_atoms_; }

 protected:
  // Throws bellman::Error for obs_size, num_actions or num_atoms < 1.
  QNetwork(const QNetworkConfig& config, int64_t obs_size, int64_t num_actions,
           int64_t num_atoms = 1);
  torch::Tensor Flatten(const torch::Tensor& obs) const;

  QNetworkConfig config_;
  int64_t obs_size_;
  int64_t num_actions_;
  int64_t num_atoms_;
};

// Plain libtorch: torso Mlp (hidden layers, all activated) + head (one Linear layer with
// num_actions * num_atoms outputs, or a DuelingHead: one atom only). Any device.
class PlainQNetwork final : public QNetwork {
 public:
  PlainQNetwork(const QNetworkConfig& config, int64_t obs_size, int64_t num_actions, Rng& rng,
                int64_t num_atoms = 1);
  torch::Tensor forward(const torch::Tensor& obs) override;
  std::vector<LinearView> linears() const override;
  std::shared_ptr<QNetwork> Clone() const override;
  bool fused() const override { return false; }

 private:
  Mlp torso_ = nullptr;  // null when hidden_sizes is empty
  Mlp head_ = nullptr;   // non-dueling: one Linear layer
  DuelingHead dueling_head_ = nullptr;
};

// CPU fast path, the same function as PlainQNetwork for the same config and weights:
//   - no dueling, or dueling without stream layers: ONE FusedMlp (the dueling combination is
//     fused into its output layer; num_actions * num_atoms outputs, dueling with one atom only);
//   - dueling with stream layers: a FusedMlp torso and one FusedMlp per stream, combined with
//     three torch ops.
class FusedQNetwork final : public QNetwork {
 public:
  FusedQNetwork(const QNetworkConfig& config, int64_t obs_size, int64_t num_actions, Rng& rng,
                int64_t num_atoms = 1);
  torch::Tensor forward(const torch::Tensor& obs) override;
  std::vector<LinearView> linears() const override;
  std::shared_ptr<QNetwork> Clone() const override;
  bool fused() const override { return true; }

 private:
  FusedMlp net_ = nullptr;  // the whole network (single-node case)
  FusedMlp torso_ = nullptr;
  FusedMlp value_ = nullptr;
  FusedMlp advantage_ = nullptr;
};

// The module factory: FusedQNetwork when config.fast_path and device is the CPU, else a
// PlainQNetwork moved to `device`. Parameters are drawn from `rng` (same draws, same function
// either way). Validates the config; throws bellman::Error for obs_size or num_actions < 1.
std::shared_ptr<QNetwork> MakeQNetwork(const QNetworkConfig& config, int64_t obs_size,
                                       int64_t num_actions, const torch::Device& device, Rng& rng);

// The general factory: observations of shape obs_shape (one row), num_atoms outputs per action
// ([B, num_actions * num_atoms], action-major; callers view it as [B, A, K]). An MLP torso
// without noisy layers (and without dueling when num_atoms > 1) is the overload above with
// num_actions * num_atoms outputs (the fast path on the CPU; num_actions() and num_atoms() say
// A and K); anything else is a ValueNetwork (value_net.h). Pass the shape as a std::vector: a
// braced {4} would pick the overload above. Throws bellman::Error for num_atoms < 1.
std::shared_ptr<QNetwork> MakeQNetwork(const QNetworkConfig& config,
                                       const std::vector<int64_t>& obs_shape, int64_t num_actions,
                                       const torch::Device& device, Rng& rng,
                                       int64_t num_atoms = 1);

}  // namespace bellman::nets
