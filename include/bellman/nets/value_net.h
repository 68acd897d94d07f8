// Plain-libtorch value networks beyond the fast path's MLPs (docs/nets.md, "Value networks"):
// the MinAtar conv torso, NoisyNet layers, dueling heads with atoms, and IQN's network.
// MakeQNetwork (q_network.h) builds a ValueNetwork whenever the config needs one of these.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "bellman/core/rng.h"
#include "bellman/nets/fused_mlp.h"
#include "bellman/nets/q_network.h"

namespace bellman::nets {

// Factorised Gaussian NoisyNet layer (Fortunato et al. 2018, section 3.2): y = (mu_w + sigma_w *
// eps_w) x + mu_b + sigma_b * eps_b with eps_w = f(eps_out) f(eps_in)^T, eps_b = f(eps_out),
// f(x) = sgn(x) sqrt(|x|). Init (section 3.2): mu ~ U(-1/sqrt(p), 1/sqrt(p)) (weights row-major,
// then biases), sigma = sigma0 / sqrt(p), p = in_features. ResetNoise draws eps_in (p standard
// normals), then eps_out (q). With noise disabled the layer computes mu_w x + mu_b.
class NoisyLinearImpl : public torch::nn::Module {
 public:
  NoisyLinearImpl(int64_t in_features, int64_t out_features, double sigma0, Rng& rng);
  torch::Tensor forward(const torch::Tensor& x);
  void ResetNoise(Rng& rng);
  void set_noise_enabled(bool on) { noise_enabled_ = on; }
  bool noise_enabled() const { return noise_enabled_; }

  torch::Tensor weight_mu, weight_sigma, bias_mu, bias_sigma;
  torch::Tensor eps_in, eps_out;  // buffers: saved, copied by HardUpdate

 private:
  bool noise_enabled_ = true;
};
TORCH_MODULE(NoisyLinear);

// obs -> features: [MinAtar conv: NHWC -> Conv2d(C, conv_channels, 3) -> ReLU -> flatten] ->
// the hidden_sizes layers, each activated (Linear, or NoisyLinear when config.noisy).
class TorsoImpl : public torch::nn::Module {
 public:
  TorsoImpl(const QNetworkConfig& config, const std::vector<int64_t>& obs_shape, Rng& rng);
  torch::Tensor forward(const torch::Tensor& obs);
  int64_t feature_size() const { return feature_size_; }
  void ResetNoise(Rng& rng);
  void SetNoiseEnabled(bool on);
  // The plain Linear layers (for tests and i-DQN's head surgery); none of them noisy.
  std::vector<LinearView> linears() const;

 private:
  // The conv torso's CPU path: im2col + one GEMM (value_net.cpp says why).
  torch::Tensor ConvAsGemm(const torch::Tensor& obs, int64_t b);

  QNetworkConfig config_;
  std::vector<int64_t> obs_shape_;
  int64_t obs_size_ = 1;
  torch::nn::Conv2d conv_ = nullptr;
  std::vector<torch::nn::Linear> layers_;
  std::vector<NoisyLinear> noisy_layers_;
  int64_t feature_size_ = 0;
};
TORCH_MODULE(Torso);

// Torso + head with num_atoms outputs per action ([B, A * K], action-major). The head is one
// (Noisy)Linear layer, or with dueling a value and an advantage stream (one layer each) combined
// per atom: Q[b, a, k] = V[b, k] + A[b, a, k] - mean_a A[b, a, k] (Wang et al. 2016, eq. 9).
// Parameters are drawn from rng in order: conv weight, conv bias, torso layers, head (value
// stream first); each layer weight (row-major) then bias, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as
// InitLinear (fan_in = C * 3 * 3 for the conv). With an mlp torso, no noisy layers and one atom
// this is PlainQNetwork's function for the same rng. ResetNoise draws per noisy layer, in the
// same order (torso layers, value stream, head), eps_in then eps_out. Clone copies the
// parameters, the current eps and the noise on/off switch. linears() lists the plain Linear
// layers only: none for a noisy network, never the conv. Any device after .to().
//
// With `fuse` (the CPU fast path: MakeQNetwork passes config.fast_path on the CPU, no noisy
// layers, no dueling with atoms) the hidden layers and the head are one FusedMlp (fused_mlp.h)
// after the conv: the same function and the same parameter draws.
class ValueNetwork final : public QNetwork {
 public:
  ValueNetwork(const QNetworkConfig& config, const std::vector<int64_t>& obs_shape,
               int64_t num_actions, int64_t num_atoms, Rng& rng, bool fuse = false);
  torch::Tensor forward(const torch::Tensor& obs) override;
  std::vector<LinearView> linears() const override;  // torso then head, plain layers only
  std::shared_ptr<QNetwork> Clone() const override;
  bool fused() const override { return static_cast<bool>(fused_); }
  void ResetNoise(Rng& rng) override;
  void SetNoiseEnabled(bool on) override;
  bool noisy() const override { return config_.noisy; }

 private:
  std::vector<int64_t> obs_shape_;
  Torso torso_ = nullptr;
  torch::nn::Linear head_ = nullptr, value_ = nullptr;
  NoisyLinear noisy_head_ = nullptr, noisy_value_ = nullptr;
  FusedMlp fused_ = nullptr;  // hidden layers + head on the fast path
};

// IQN's cosine basis (eq. 4): [B, N] fractions -> [B, N, n] with cos(pi i tau), i = 0..n-1.
torch::Tensor CosineBasis(const torch::Tensor& taus, int64_t n);

// IQN's network (Dabney et al. 2018b, eq. 4 and section 3.1): psi = Torso(obs) [B, D];
// phi(tau)_j = ReLU(sum_{i<n} cos(pi i tau) w_ij + b_j) [B, N, D]; Z = Linear(D, A)(psi * phi).
// forward(obs [B, ...], taus [B, N]) -> [B, N, A]. Draws: torso, embedding, head. No noisy or
// dueling variants: the constructor throws bellman::Error for them, for an mlp torso without
// hidden layers, and for num_actions or embedding_dim < 1. Parameters are plain (CPU) after
// construction; .to() moves them.
class IqnNetworkImpl : public torch::nn::Module {
 public:
  IqnNetworkImpl(const QNetworkConfig& config, const std::vector<int64_t>& obs_shape,
                 int64_t num_actions, int64_t embedding_dim, Rng& rng);
  torch::Tensor forward(const torch::Tensor& obs, const torch::Tensor& taus);
  std::shared_ptr<IqnNetworkImpl> Clone() const;

 private:
  QNetworkConfig config_;
  std::vector<int64_t> obs_shape_;
  int64_t num_actions_, embedding_dim_;
  Torso torso_ = nullptr;
  torch::nn::Linear embedding_ = nullptr, head_ = nullptr;
};
TORCH_MODULE(IqnNetwork);

// IqnNetwork(config, obs_shape, num_actions, embedding_dim, rng), spelled as a factory.
IqnNetwork MakeIqnNetwork(const QNetworkConfig& config, const std::vector<int64_t>& obs_shape,
                          int64_t num_actions, int64_t embedding_dim, Rng& rng);

}  // namespace bellman::nets
