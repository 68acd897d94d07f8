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

  template <class V>
  void Fields(V& v) {
    v("hidden_sizes", hidden_sizes);
    v("activation", activation);
    v("dueling", dueling);
    v("dueling_hidden_sizes", dueling_hidden_sizes);
    v("fast_path", fast_path);
  }
  // Throws bellman::Error naming the key: sizes must be >= 1, activation relu|tanh,
  // dueling_hidden_sizes only with dueling.
  void Validate() const;
};

class QNetwork : public torch::nn::Module {
 public:
  // obs: [batch, obs_size] (or [batch, ...] with obs_size elements per row, flattened) float32
  // -> Q-values [batch, num_actions].
  virtual torch::Tensor forward(const torch::Tensor& obs) = 0;
  // Canonical Linear layer list: torso layers, then the head's (dueling: value stream, then
  // advantage stream). Same order and shapes for plain and fused networks of one config.
  virtual std::vector<LinearView> linears() const = 0;
  // A new network of the same kind, config and device with a copy of the parameters (a target
  // network). Its parameters require grad like the original's.
  virtual std::shared_ptr<QNetwork> Clone() const = 0;
  // True for the CPU fast path.
  virtual bool fused() const = 0;

  const QNetworkConfig& config() const { return config_; }
  int64_t obs_size() const { return obs_size_; }
  int64_t num_actions() const { return num_actions_; }

 protected:
  QNetwork(const QNetworkConfig& config, int64_t obs_size, int64_t num_actions);
  torch::Tensor Flatten(const torch::Tensor& obs) const;

  QNetworkConfig config_;
  int64_t obs_size_;
  int64_t num_actions_;
};

// Plain libtorch: torso Mlp (hidden layers, all activated) + head (one Linear layer, or a
// DuelingHead). Any device.
class PlainQNetwork final : public QNetwork {
 public:
  PlainQNetwork(const QNetworkConfig& config, int64_t obs_size, int64_t num_actions, Rng& rng);
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
//     fused into its output layer);
//   - dueling with stream layers: a FusedMlp torso and one FusedMlp per stream, combined with
//     three torch ops.
class FusedQNetwork final : public QNetwork {
 public:
  FusedQNetwork(const QNetworkConfig& config, int64_t obs_size, int64_t num_actions, Rng& rng);
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

}  // namespace bellman::nets
