// The squashed Gaussian (squashed_gaussian.h): forward and backward written out.
#include "bellman/nets/squashed_gaussian.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace bellman::nets {

namespace {

// The squashed Gaussian sample and its log-probability as ONE autograd node (the op-by-op
// version is ~20 small ops forward and as many backward, most of a small SAC update's time).
// Input: the actor's output [B, 2d] = [mu, raw log std], eps [B, d]. Outputs:
//   a = tanh(u), u = mu + exp(s) * eps, s = clamp(raw, lo, hi)
//   log_prob = sum_j (-eps_j^2 / 2 - s_j - log(2 pi) / 2 - log(1 - a_j^2 + 1e-6))
// Backward, with g_a and g_l the incoming gradients and t = 1 - a^2:
//   dL/du = g_a * t + g_l * 2 a t / (t + 1e-6);  dL/dmu = dL/du
//   dL/draw = (dL/du * exp(s) * eps - g_l) where lo <= raw <= hi, else 0 (clamp's gradient)
struct SquashedGaussianFunction : public torch::autograd::Function<SquashedGaussianFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                const torch::Tensor& out, const torch::Tensor& eps,
                                                double lo, double hi) {
    const int64_t b = eps.size(0);
    const int64_t d = eps.size(1);
    torch::Tensor o = out.contiguous();
    torch::Tensor e = eps.contiguous();
    torch::Tensor a = torch::empty({b, d});
    torch::Tensor log_prob = torch::empty({b});
    const float* po = o.data_ptr<float>();
    const float* pe = e.data_ptr<float>();
    float* pa = a.data_ptr<float>();
    float* pl = log_prob.data_ptr<float>();
    const auto flo = static_cast<float>(lo);
    const auto fhi = static_cast<float>(hi);
    const auto half_log_2pi = static_cast<float>(0.5 * std::log(2.0 * std::numbers::pi));
    for (int64_t i = 0; i < b; ++i) {
      float acc = 0.0f;
      for (int64_t j = 0; j < d; ++j) {
        const float mu = po[i * 2 * d + j];
        const float s = std::clamp(po[i * 2 * d + d + j], flo, fhi);
        const float x = pe[i * d + j];
        const float av = std::tanh(mu + std::exp(s) * x);
        pa[i * d + j] = av;
        acc += -0.5f * x * x - s - half_log_2pi;
        acc -= std::log(1.0f - av * av + 1e-6f);
      }
      pl[i] = acc;
    }
    ctx->save_for_backward({o, e, a});
    ctx->saved_data["lo"] = lo;
    ctx->saved_data["hi"] = hi;
    return {a, log_prob};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& o = saved[0];
    const torch::Tensor& e = saved[1];
    const torch::Tensor& a = saved[2];
    const auto lo = static_cast<float>(ctx->saved_data["lo"].toDouble());
    const auto hi = static_cast<float>(ctx->saved_data["hi"].toDouble());
    const int64_t b = e.size(0);
    const int64_t d = e.size(1);
    torch::Tensor ga = grads[0].defined() ? grads[0].contiguous() : torch::zeros({b, d});
    torch::Tensor gl = grads[1].defined() ? grads[1].contiguous() : torch::zeros({b});
    torch::Tensor grad_out = torch::empty({b, 2 * d});
    const float* po = o.data_ptr<float>();
    const float* pe = e.data_ptr<float>();
    const float* pa = a.data_ptr<float>();
    const float* pga = ga.data_ptr<float>();
    const float* pgl = gl.data_ptr<float>();
    float* g = grad_out.data_ptr<float>();
    for (int64_t i = 0; i < b; ++i) {
      for (int64_t j = 0; j < d; ++j) {
        const float av = pa[i * d + j];
        const float t = 1.0f - av * av;
        const float gu = pga[i * d + j] * t + pgl[i] * 2.0f * av * t / (t + 1e-6f);
        const float raw = po[i * 2 * d + d + j];
        const float s = std::clamp(raw, lo, hi);
        g[i * 2 * d + j] = gu;
        g[i * 2 * d + d + j] =
            (raw >= lo && raw <= hi) ? gu * std::exp(s) * pe[i * d + j] - pgl[i] : 0.0f;
      }
    }
    return {grad_out, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

std::pair<torch::Tensor, torch::Tensor> SquashedGaussian(const torch::Tensor& out,
                                                         const torch::Tensor& eps,
                                                         double log_std_min, double log_std_max) {
  torch::autograd::variable_list r =
      SquashedGaussianFunction::apply(out, eps, log_std_min, log_std_max);
  return {r[0], r[1]};
}

}  // namespace bellman::nets
