// The distributional / classification value family's losses (include/bellman/algos/value_losses.h).
#include "bellman/algos/value_losses.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/nets/value_net.h"

namespace bellman::algos {

namespace {

void CheckSupport(double v_min, double v_max, int64_t k, const char* what) {
  if (!(v_min < v_max) || !std::isfinite(v_min) || !std::isfinite(v_max)) {
    throw Error(
        fmt::format("{}: v_min ({}) must be below v_max ({}), both finite", what, v_min, v_max));
  }
  if (k < 2) throw Error(fmt::format("{}: needs at least 2 atoms/bins, got {}", what, k));
}

void CheckRows(const torch::Tensor& t, int64_t rows, const char* name, const char* what) {
  if (t.dim() != 1 || t.size(0) != rows) {
    throw Error(
        fmt::format("{}: {} must be [{}], got [{}]", what, name, rows, fmt::join(t.sizes(), ", ")));
  }
}

}  // namespace

torch::Tensor CategoricalSupport(double v_min, double v_max, int64_t num_atoms) {
  CheckSupport(v_min, v_max, num_atoms, "CategoricalSupport");
  // z_i computed in double and rounded once, so z_0 = v_min and z_{K-1} = v_max exactly.
  torch::Tensor z = torch::empty({num_atoms}, torch::kFloat32);
  float* p = z.data_ptr<float>();
  const double dz = (v_max - v_min) / static_cast<double>(num_atoms - 1);
  for (int64_t i = 0; i < num_atoms; ++i) {
    p[i] = static_cast<float>(i == num_atoms - 1 ? v_max : v_min + static_cast<double>(i) * dz);
  }
  return z;
}

torch::Tensor CategoricalProjection(const torch::Tensor& next_probs, const torch::Tensor& reward,
                                    const torch::Tensor& discount, double v_min, double v_max) {
  if (next_probs.dim() != 2) {
    throw Error(fmt::format("CategoricalProjection: next_probs must be [B, K], got [{}]",
                            fmt::join(next_probs.sizes(), ", ")));
  }
  const int64_t b = next_probs.size(0);
  const int64_t k = next_probs.size(1);
  CheckSupport(v_min, v_max, k, "CategoricalProjection");
  CheckRows(reward, b, "reward", "CategoricalProjection");
  CheckRows(discount, b, "discount", "CategoricalProjection");
  torch::NoGradGuard no_grad;
  const torch::Tensor z = CategoricalSupport(v_min, v_max, k).to(next_probs.device());
  const double dz = (v_max - v_min) / static_cast<double>(k - 1);
  // Algorithm 1: T z_j = r + gamma z_j, clamped to the support's range.
  torch::Tensor tz = (reward.unsqueeze(1) + discount.unsqueeze(1) * z.unsqueeze(0))
                         .clamp(static_cast<float>(v_min), static_cast<float>(v_max));
  torch::Tensor pos = ((tz - static_cast<float>(v_min)) / static_cast<float>(dz))
                          .clamp(0.0f, static_cast<float>(k - 1));
  torch::Tensor lower = pos.floor();
  torch::Tensor upper = pos.ceil();
  torch::Tensor m_lower = next_probs * (upper - pos);
  torch::Tensor m_upper = next_probs * (pos - lower);
  // pos on an atom (lower == upper): both weights are 0, so all the mass goes to that atom.
  m_lower = m_lower + next_probs * (lower == upper).to(next_probs.scalar_type());
  torch::Tensor out = torch::zeros_like(next_probs);
  out.scatter_add_(1, lower.to(torch::kInt64), m_lower);
  out.scatter_add_(1, upper.to(torch::kInt64), m_upper);
  return out;
}

torch::Tensor QuantileHuberLoss(const torch::Tensor& quantiles, const torch::Tensor& target,
                                const torch::Tensor& taus, double kappa) {
  if (quantiles.dim() != 2 || target.dim() != 2 || quantiles.size(0) != target.size(0)) {
    throw Error(fmt::format(
        "QuantileHuberLoss: quantiles must be [B, N] and target [B, M], got [{}] and [{}]",
        fmt::join(quantiles.sizes(), ", "), fmt::join(target.sizes(), ", ")));
  }
  const int64_t n = quantiles.size(1);
  torch::Tensor tau;
  if (taus.dim() == 1 && taus.size(0) == n) {
    tau = taus.view({1, n, 1});
  } else if (taus.dim() == 2 && taus.size(0) == quantiles.size(0) && taus.size(1) == n) {
    tau = taus.unsqueeze(2);
  } else {
    throw Error(fmt::format("QuantileHuberLoss: taus must be [{}] or [{}, {}], got [{}]", n,
                            quantiles.size(0), n, fmt::join(taus.sizes(), ", ")));
  }
  if (!(kappa >= 0.0)) {
    throw Error(fmt::format("QuantileHuberLoss: kappa must be >= 0, got {}", kappa));
  }
  // u_ij = target_j - theta_i: [B, N, M].
  torch::Tensor u = target.detach().unsqueeze(1) - quantiles.unsqueeze(2);
  torch::Tensor weight = (tau - (u.detach() < 0).to(u.scalar_type())).abs();
  torch::Tensor per_pair;
  if (kappa > 0.0) {
    const auto k = static_cast<float>(kappa);
    torch::Tensor abs_u = u.abs();
    torch::Tensor huber =
        torch::where(abs_u <= k, 0.5f * u * u, k * (abs_u - 0.5f * k));  // L_kappa (eq. 9)
    per_pair = weight * huber / k;
  } else {
    per_pair = weight * u.abs();
  }
  return per_pair.mean(2).sum(1);
}

torch::Tensor QuantileMidpoints(int64_t n) {
  if (n < 1) throw Error(fmt::format("QuantileMidpoints: n must be >= 1, got {}", n));
  return (torch::arange(n, torch::kFloat64) * 2.0 + 1.0)
      .div(2.0 * static_cast<double>(n))
      .to(torch::kFloat32);
}

torch::Tensor CosineBasis(const torch::Tensor& taus, int64_t n) {
  return nets::CosineBasis(taus, n);  // one implementation, shared with the IQN network
}

torch::Tensor DistortTaus(const torch::Tensor& taus, const std::string& measure, double eta) {
  if (measure != "neutral" && measure != "cvar" && measure != "wang" && measure != "pow" &&
      measure != "cpw") {
    throw Error(fmt::format(
        "risk measure '{}' is unknown; expected neutral, cvar, wang, pow or cpw", measure));
  }
  if (!std::isfinite(eta)) {
    throw Error(fmt::format("risk measure {}: eta must be finite, got {}", measure, eta));
  }
  if (measure == "neutral") return taus;
  const auto e = static_cast<float>(eta);
  // Dabney et al. 2018b, section 3.2.
  if (measure == "cvar") {
    if (!(eta > 0.0 && eta <= 1.0)) {
      throw Error(fmt::format("risk measure cvar: eta must be in (0, 1], got {}", eta));
    }
    return taus * e;
  }
  if (measure == "wang") return torch::special::ndtr(torch::special::ndtri(taus) + e);
  if (measure == "pow") {
    const float p = 1.0f / (1.0f + std::abs(e));
    if (eta >= 0.0) return torch::pow(taus, p);  // concave: risk-seeking
    return 1.0f - torch::pow(1.0f - taus, p);    // convex: risk-averse
  }
  // cpw
  if (!(eta > 0.0)) throw Error(fmt::format("risk measure cpw: eta must be > 0, got {}", eta));
  torch::Tensor te = torch::pow(taus, e);
  return te / torch::pow(te + torch::pow(1.0f - taus, e), 1.0f / e);
}

torch::Tensor HlGaussTarget(const torch::Tensor& y, double v_min, double v_max, int64_t num_bins,
                            double sigma) {
  CheckSupport(v_min, v_max, num_bins, "HlGaussTarget");
  if (!(sigma > 0.0)) throw Error(fmt::format("HlGaussTarget: sigma must be > 0, got {}", sigma));
  if (y.dim() != 1) {
    throw Error(fmt::format("HlGaussTarget: y must be [B], got [{}]", fmt::join(y.sizes(), ", ")));
  }
  torch::NoGradGuard no_grad;
  const double dz = (v_max - v_min) / static_cast<double>(num_bins - 1);
  // Edges e_j = z_j - dz / 2 = v_min + (j - 1/2) dz, j = 0..K. Float64 throughout: the bin masses
  // are differences of CDF values close to each other (and to 1), which float32 would round.
  const auto f64 = y.options().dtype(torch::kFloat64);
  torch::Tensor edges = torch::arange(num_bins + 1, f64) * dz + (v_min - 0.5 * dz);
  torch::Tensor yc = y.to(torch::kFloat64).clamp(v_min, v_max).unsqueeze(1);
  torch::Tensor cdf = 0.5 * (1.0 + torch::erf((edges.unsqueeze(0) - yc) / (sigma * M_SQRT2)));
  torch::Tensor mass = cdf.narrow(1, 1, num_bins) - cdf.narrow(1, 0, num_bins);
  torch::Tensor total = cdf.narrow(1, num_bins, 1) - cdf.narrow(1, 0, 1);
  return (mass / total).to(y.scalar_type());
}

torch::Tensor TwoHotTarget(const torch::Tensor& y, double v_min, double v_max, int64_t num_bins) {
  CheckSupport(v_min, v_max, num_bins, "TwoHotTarget");
  if (y.dim() != 1) {
    throw Error(fmt::format("TwoHotTarget: y must be [B], got [{}]", fmt::join(y.sizes(), ", ")));
  }
  torch::NoGradGuard no_grad;
  const double dz = (v_max - v_min) / static_cast<double>(num_bins - 1);
  torch::Tensor pos =
      ((y.clamp(static_cast<float>(v_min), static_cast<float>(v_max)) - static_cast<float>(v_min)) /
       static_cast<float>(dz))
          .clamp(0.0f, static_cast<float>(num_bins - 1));
  torch::Tensor lower = pos.floor().clamp_max(static_cast<float>(num_bins - 2));
  torch::Tensor w_upper = pos - lower;  // in [0, 1]; 1 at v_max
  torch::Tensor out = torch::zeros({y.size(0), num_bins}, y.options());
  torch::Tensor idx = lower.to(torch::kInt64).unsqueeze(1);
  out.scatter_add_(1, idx, (1.0f - w_upper).unsqueeze(1));
  out.scatter_add_(1, idx + 1, w_upper.unsqueeze(1));
  return out;
}

torch::Tensor ClassificationValue(const torch::Tensor& logits, const torch::Tensor& support) {
  if (support.dim() != 1) {
    throw Error(fmt::format("ClassificationValue: support must be [K], got [{}]",
                            fmt::join(support.sizes(), ", ")));
  }
  if (logits.dim() < 1 || logits.size(-1) != support.size(0)) {
    throw Error(
        fmt::format("ClassificationValue: logits must be [..., {}] (the support's size), got [{}]",
                    support.size(0), fmt::join(logits.sizes(), ", ")));
  }
  return (torch::softmax(logits, -1) * support).sum(-1);
}

torch::Tensor CrossEntropyToTarget(const torch::Tensor& logits, const torch::Tensor& target_probs) {
  if (logits.sizes() != target_probs.sizes() || logits.dim() != 2) {
    throw Error(fmt::format(
        "CrossEntropyToTarget: logits and target must both be [B, K], got [{}] and [{}]",
        fmt::join(logits.sizes(), ", "), fmt::join(target_probs.sizes(), ", ")));
  }
  return -(target_probs.detach() * torch::log_softmax(logits, 1)).sum(1);
}

ValueTransform ParseValueTransform(const std::string& name) {
  if (name == "none") return ValueTransform::kNone;
  if (name == "h") return ValueTransform::kH;
  if (name == "log") return ValueTransform::kSymlog;
  throw Error(fmt::format("value_transform must be none, h or log, got '{}'", name));
}

namespace {
constexpr double kHEps = 1e-3;  // R2D2's epsilon
}  // namespace

// Both directions compute in float64 and round once: the closed-form inverse subtracts two
// numbers that agree in their first digits (sqrt(1 + 4 eps (|x| + 1 + eps)) - 1 with eps =
// 1e-3), which in float32 loses about three digits.
torch::Tensor TransformValue(ValueTransform f, const torch::Tensor& x) {
  if (f == ValueTransform::kNone) return x;
  const torch::Tensor d = x.to(torch::kFloat64);
  torch::Tensor y;
  if (f == ValueTransform::kH) {
    y = torch::sign(d) * (torch::sqrt(d.abs() + 1.0) - 1.0) + static_cast<double>(kHEps) * d;
  } else {
    y = torch::sign(d) * torch::log1p(d.abs());
  }
  return y.to(x.scalar_type());
}

torch::Tensor InverseTransformValue(ValueTransform f, const torch::Tensor& x) {
  if (f == ValueTransform::kNone) return x;
  const torch::Tensor d = x.to(torch::kFloat64);
  torch::Tensor y;
  if (f == ValueTransform::kH) {
    // Closed form (Pohlen et al. 2018, Proposition A.2).
    const double eps = kHEps;
    torch::Tensor s = (torch::sqrt(1.0 + 4.0 * eps * (d.abs() + 1.0 + eps)) - 1.0) / (2.0 * eps);
    y = torch::sign(d) * (s * s - 1.0);
  } else {
    y = torch::sign(d) * torch::expm1(d.abs());
  }
  return y.to(x.scalar_type());
}

namespace {

struct QtLossFunction : public torch::autograd::Function<QtLossFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& q_in,
                               const torch::Tensor& taken_in, const torch::Tensor& target_in,
                               double weight, QtLossStats* stats) {
    const torch::Tensor q = q_in.contiguous(), taken = taken_in.contiguous(),
                        target = target_in.contiguous();
    const int64_t k = q.size(2), rows = q.size(0) * q.size(1);
    const float* qp = q.data_ptr<float>();
    const int64_t* ap = taken.data_ptr<int64_t>();
    const float* tp = target.data_ptr<float>();
    double td = 0.0, cons = 0.0, q_data = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      const float* qr = qp + r * k;
      const int64_t a = ap[r];
      Require(a >= 0 && a < k, "QTransformerLoss: taken bin {} outside [0, {})", a, k);
      const double diff = static_cast<double>(qr[a]) - tp[r];
      td += diff * diff;
      q_data += qr[a];
      double sq = 0.0;
      for (int64_t j = 0; j < k; ++j) sq += static_cast<double>(qr[j]) * qr[j];
      cons += (sq - static_cast<double>(qr[a]) * qr[a]) / static_cast<double>(k - 1);
    }
    const double n = static_cast<double>(std::max<int64_t>(rows, 1));
    if (stats != nullptr) *stats = {0.5 * td / n, 0.5 * cons / n, q_data / n};
    ctx->save_for_backward({q, taken, target});
    ctx->saved_data["weight"] = weight;
    return torch::tensor(0.5 * td / n + weight * 0.5 * cons / n, torch::kFloat32);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &q = saved[0], &taken = saved[1], &target = saved[2];
    const double weight = ctx->saved_data["weight"].toDouble();
    const int64_t k = q.size(2), rows = q.size(0) * q.size(1);
    const auto g = static_cast<float>(grad_outputs[0].item<double>() /
                                      static_cast<double>(std::max<int64_t>(rows, 1)));
    const auto c = static_cast<float>(weight / static_cast<double>(k - 1));
    torch::Tensor dq = torch::empty_like(q);
    const float* qp = q.data_ptr<float>();
    const int64_t* ap = taken.data_ptr<int64_t>();
    const float* tp = target.data_ptr<float>();
    float* dp = dq.data_ptr<float>();
    for (int64_t r = 0; r < rows; ++r) {
      const float* qr = qp + r * k;
      float* dr = dp + r * k;
      for (int64_t j = 0; j < k; ++j) dr[j] = g * c * qr[j];
      dr[ap[r]] = g * (qr[ap[r]] - tp[r]);
    }
    return {dq, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor QTransformerLoss(const torch::Tensor& q, const torch::Tensor& taken,
                               const torch::Tensor& target, double conservative_weight,
                               QtLossStats* stats) {
  Require(
      q.dim() == 3 && q.size(2) >= 2 && q.scalar_type() == torch::kFloat32 && q.device().is_cpu(),
      "QTransformerLoss: q must be CPU float32 [B, D, K >= 2], got {} dims", q.dim());
  Require(taken.dim() == 2 && taken.size(0) == q.size(0) && taken.size(1) == q.size(1) &&
              taken.scalar_type() == torch::kInt64,
          "QTransformerLoss: taken must be int64 [B, D] matching q");
  Require(target.dim() == 2 && target.size(0) == q.size(0) && target.size(1) == q.size(1) &&
              target.scalar_type() == torch::kFloat32,
          "QTransformerLoss: target must be float32 [B, D] matching q");
  return QtLossFunction::apply(q, taken, target.detach(), conservative_weight, stats);
}

}  // namespace bellman::algos
