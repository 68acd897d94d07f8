// Losses, projections and encodings of the distributional and classification value family
// (docs/value_losses.md). Pure functions of tensors (float32, any device); targets carry no
// gradient. Bad shapes or parameters throw bellman::Error naming the function and the value.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace bellman::algos {

// C51's support z_i = v_min + i (v_max - v_min) / (K - 1), i = 0..K-1 (Bellemare et al. 2017).
// [K], float32, CPU; z_0 = v_min and z_{K-1} = v_max exactly. Needs v_min < v_max, K >= 2.
torch::Tensor CategoricalSupport(double v_min, double v_max, int64_t num_atoms);

// C51's projection (Bellemare et al. 2017, Algorithm 1): the distribution of r + discount Z(s',
// a*) (probabilities next_probs [B, K] on CategoricalSupport(v_min, v_max, K)) projected onto the
// support: T z_j = r + discount z_j clamped to [v_min, v_max], b_j = (T z_j - v_min) / dz, its
// mass split between l = floor(b_j) and u = ceil(b_j) in proportion to the distances (all of it
// on l when b_j is an atom, l == u). reward [B]; discount [B] is gamma^k, or 0 after a
// termination (then all the mass sits on the atoms around r). Rows of the result [B, K] sum to
// the rows of next_probs (1). No gradient.
torch::Tensor CategoricalProjection(const torch::Tensor& next_probs, const torch::Tensor& reward,
                                    const torch::Tensor& discount, double v_min, double v_max);

// The quantile Huber loss (QR-DQN eq. 10, IQN eq. 3) per sample: predicted quantiles theta [B, N]
// at fractions taus ([B, N] or [N]), target samples [B, M] (detached here):
//   loss_b = sum_i mean_j |tau_i - 1{u_ij < 0}| L_kappa(u_ij) / kappa,  u_ij = target_j - theta_i,
// L_kappa the Huber loss with threshold kappa (QR-DQN eq. 9); kappa = 0 gives the quantile
// (pinball) loss |tau_i - 1{u < 0}| |u|. Sum over the predicted, mean over the target quantiles:
// QR-DQN's Algorithm 1 and IQN's eq. 3 (1/N' sum_i sum_j). Returns [B].
torch::Tensor QuantileHuberLoss(const torch::Tensor& quantiles, const torch::Tensor& target,
                                const torch::Tensor& taus, double kappa);

// QR-DQN's fractions tau_hat_i = (2i + 1) / (2N), i = 0..N-1 (Lemma 2: the midpoints of
// [tau_i, tau_{i+1}] minimise the 1-Wasserstein distance of a uniform N-atom quantile
// distribution). [N], float32.
torch::Tensor QuantileMidpoints(int64_t n);

// IQN's cosine basis (Dabney et al. 2018b, eq. 4): fractions [B, N] -> [B, N, n] with
// cos(pi i tau), i = 0..n-1. The same function as nets::CosineBasis (the IQN network's), which it
// calls.
torch::Tensor CosineBasis(const torch::Tensor& taus, int64_t n);

// IQN's distortion risk measures beta (Dabney et al. 2018b, section 3.2), applied elementwise to
// fractions in [0, 1]:
//   neutral: tau;  cvar: eta tau (0 < eta <= 1);  wang: Phi(Phi^-1(tau) + eta);
//   pow: tau^(1 / (1 + |eta|)) for eta >= 0, 1 - (1 - tau)^(1 / (1 + |eta|)) for eta < 0;
//   cpw: tau^eta / (tau^eta + (1 - tau)^eta)^(1 / eta) (eta > 0; the paper's 0.71).
// eta < 0 is risk-averse for wang and pow (Wang(-.75), Pow(-2) in the paper). Throws
// bellman::Error for an unknown measure (naming it and the choices) or an eta outside the range.
torch::Tensor DistortTaus(const torch::Tensor& taus, const std::string& measure, double eta);

// "Stop Regressing" (Farebrother et al. 2024) classification targets on ONE support for both
// encoders: z_j = CategoricalSupport(v_min, v_max, K) are the bins' values (centres), bin j spans
// [z_j - dz / 2, z_j + dz / 2], dz = (v_max - v_min) / (K - 1). y [B] is clipped to [v_min, v_max]
// first. Both return [B, K] rows summing to 1, without gradient.
// HL-Gauss (Imani & White 2018): p_j = (Phi((e_{j+1} - y) / sigma) - Phi((e_j - y) / sigma)) /
// (Phi((e_K - y) / sigma) - Phi((e_0 - y) / sigma)) over the edges e_j = v_min + (j - 1/2) dz,
// j = 0..K (erf, in float64). sigma is absolute; the paper's default is 0.75 dz.
torch::Tensor HlGaussTarget(const torch::Tensor& y, double v_min, double v_max, int64_t num_bins,
                            double sigma);
// Two-hot: weight on the two support points around y so that sum_j p_j z_j = y (exact up to
// float32 rounding); y on an atom puts all the weight there.
torch::Tensor TwoHotTarget(const torch::Tensor& y, double v_min, double v_max, int64_t num_bins);
// sum_j softmax(logits)_j z_j over the last dimension: logits [..., K], support [K] -> [...].
torch::Tensor ClassificationValue(const torch::Tensor& logits, const torch::Tensor& support);
// -sum_j p_j log softmax(logits)_j per row: logits [B, K], target_probs [B, K] (detached) -> [B].
torch::Tensor CrossEntropyToTarget(const torch::Tensor& logits, const torch::Tensor& target_probs);

// Invertible value transforms: the network predicts f(Q) and TD targets are
// f(r + discount f^-1(Q_target)) (Pohlen et al. 2018, eq. 2).
// kH: R2D2's h(x) = sign(x) (sqrt(|x| + 1) - 1) + eps x, eps = 1e-3 (Pohlen et al. 2018;
// Kapturowski et al. 2019), inverse in closed form (Pohlen et al. 2018, Proposition A.2).
// kSymlog: sign(x) ln(1 + |x|), the single-head logarithmic value mapping (docs/value_losses.md
// says why not van Seijen et al. 2019's two-head one). Both computed in float64, rounded once.
enum class ValueTransform { kNone, kH, kSymlog };
// "none" | "h" | "log"; throws bellman::Error naming the value and the choices.
ValueTransform ParseValueTransform(const std::string& name);
torch::Tensor TransformValue(ValueTransform f, const torch::Tensor& x);
torch::Tensor InverseTransformValue(ValueTransform f, const torch::Tensor& x);

// Q-Transformer's loss (Chebotar et al. 2023, Eq. 2) on per-dimension bin values q [B, D, K]:
//   0.5 mean_{b,d} (q[b,d,a_bd] - target_bd)^2
//     + conservative_weight * 0.5 mean_{b,d} sum_{k != a_bd} q[b,d,k]^2 / (K - 1)
// with a = taken [B, D] (int64, the dataset's bins) and target [B, D] (no gradient). ONE autograd
// node: the backward writes dq in one pass, where the op-by-op form is a dozen ops and their
// backward nodes (docs/offline.md, "Q-Transformer speed"). CPU float32; sums in double.
struct QtLossStats {
  double td = 0.0;            // the first term
  double conservative = 0.0;  // the regulariser before its weight
  double q_data = 0.0;        // mean of q[b, d, a_bd]
};
torch::Tensor QTransformerLoss(const torch::Tensor& q, const torch::Tensor& taken,
                               const torch::Tensor& target, double conservative_weight,
                               QtLossStats* stats = nullptr);

}  // namespace bellman::algos
