// Losses, projections and encodings of the distributional and classification value family
// (docs/value_losses.md). Pure functions of tensors; targets carry no gradient.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace bellman::algos {

// C51's support z_i = v_min + i (v_max - v_min) / (K - 1), i = 0..K-1 (Bellemare et al. 2017).
torch::Tensor CategoricalSupport(double v_min, double v_max, int64_t num_atoms);

// C51's projection (Algorithm 1): the distribution of r + discount Z(s', a*) (probabilities
// next_probs [B, K] on the support) projected onto the support: Tz_j clamped to [v_min, v_max],
// b = (Tz_j - v_min) / dz, its mass split between floor(b) and ceil(b) in proportion to the
// distances (all of it on b when b is an atom). discount [B] is gamma^k or 0 (terminal: all mass
// around r). Rows of the result sum to 1.
torch::Tensor CategoricalProjection(const torch::Tensor& next_probs, const torch::Tensor& reward,
                                    const torch::Tensor& discount, double v_min, double v_max);

// The quantile Huber loss (QR-DQN eq. 10, IQN eq. 3) per sample: predicted quantiles [B, N] at
// fractions taus ([B, N] or [N]), target samples [B, M] (no gradient):
//   loss_b = sum_i mean_j |tau_i - 1{u_ij < 0}| L_kappa(u_ij) / kappa,  u_ij = target_j - theta_i,
// L_kappa the Huber loss with threshold kappa; kappa = 0 gives the quantile (pinball) loss
// |tau_i - 1{u < 0}| |u|.
torch::Tensor QuantileHuberLoss(const torch::Tensor& quantiles, const torch::Tensor& target,
                                const torch::Tensor& taus, double kappa);

// QR-DQN's fractions tau_hat_i = (2i + 1) / (2N) (Lemma 2: the midpoints minimise the 1-Wasserstein
// distance of a uniform N-atom quantile distribution).
torch::Tensor QuantileMidpoints(int64_t n);

// IQN's distortion risk measures (Dabney et al. 2018b, section 3.2) applied to fractions:
// neutral: tau; cvar: eta tau; wang: Phi(Phi^-1(tau) + eta); pow: eta >= 0: 1 - (1 - tau)^(1 /
// (1 + eta)), eta < 0: tau^(1 / (1 - eta)); cpw: tau^eta / (tau^eta + (1 - tau)^eta)^(1/eta).
// Throws bellman::Error for an unknown measure, naming it and the choices.
torch::Tensor DistortTaus(const torch::Tensor& taus, const std::string& measure, double eta);

// "Stop Regressing" (Farebrother et al. 2024) classification targets on the support
// CategoricalSupport(v_min, v_max, K) (bin centres; bin j spans z_j -+ dz / 2). y [B] is clipped
// to [v_min, v_max] first.
// HL-Gauss (Imani & White 2018): p_j = Phi((e_{j+1} - y) / sigma) - Phi((e_j - y) / sigma) over the
// bin edges e_j = z_j - dz / 2, normalised by the mass inside [e_0, e_K].
torch::Tensor HlGaussTarget(const torch::Tensor& y, double v_min, double v_max, int64_t num_bins,
                            double sigma);
// Two-hot: the two support points around y, weighted so that sum_j p_j z_j = y exactly.
torch::Tensor TwoHotTarget(const torch::Tensor& y, double v_min, double v_max, int64_t num_bins);
// sum_j softmax(logits)_j z_j over the last dimension.
torch::Tensor ClassificationValue(const torch::Tensor& logits, const torch::Tensor& support);
// -sum_j p_j log softmax(logits)_j per row: [B, K] x [B, K] -> [B].
torch::Tensor CrossEntropyToTarget(const torch::Tensor& logits, const torch::Tensor& target_probs);

// Invertible value transforms: the network predicts f(Q) and targets are f(r + discount f^-1(.)).
// kH: R2D2's h(x) = sign(x) (sqrt(|x| + 1) - 1) + eps x, eps = 1e-3 (Pohlen et al. 2018 eq. 2,
// Kapturowski et al. 2019), inverse in closed form. kSymlog: sign(x) ln(1 + |x|), the
// single-head logarithmic value mapping (docs/value_losses.md says why not van Seijen et al.'s
// two-head one).
enum class ValueTransform { kNone, kH, kSymlog };
// "none" | "h" | "log"; throws bellman::Error naming the value and the choices.
ValueTransform ParseValueTransform(const std::string& name);
torch::Tensor TransformValue(ValueTransform f, const torch::Tensor& x);
torch::Tensor InverseTransformValue(ValueTransform f, const torch::Tensor& x);

}  // namespace bellman::algos
