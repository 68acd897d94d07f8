// DSAC-T (Duan et al. 2023/2025, "Distributional Soft Actor-Critic with Three Refinements"):
// SAC whose critics learn a Gaussian return distribution Z(s, a) ~ N(Q(s, a), sigma(s, a)^2),
// with the paper's three refinements of DSAC (Duan et al. 2021):
//   1. expected value substitution: the mean Q is trained on the expected target
//        y_q = r + gamma * (1 - d) * (Q'(s', a') - alpha * log pi(a'|s')),
//      not on a sampled one (lower variance);
//   2. twin value distribution learning: two distributional critics; the target uses the one
//      with the smaller mean at (s', a') for both y_q and the sampled target
//        y_z = r + gamma * (1 - d) * (z' - alpha * log pi(a'|s')),  z' ~ N(Q', sigma'^2)
//      (the standard normal draw clipped to [-3, 3]);
//   3. variance-based critic gradient adjustment: the gradient is scaled by the moving average
//      of the batch's mean sigma, sigma_bar^2 + b, and y_z is clipped to Q +- xi * sigma_bar,
//      so the step size does not swing with 1 / sigma^2.
// Critic gradient (the paper's eq. for dL/dtheta, written as a surrogate loss whose gradient it
// is; x_ stops gradients):
//   L = (sigma_bar^2 + b) * mean( -(y_q - Q_)/(sigma_^2 + b) * Q
//                                 - ((Q_ - clip(y_z))^2 - sigma_^2)/(sigma_^3 + b) * sigma )
// with b = 0.1 and sigma = softplus(network output), as in the authors' DSAC-v2 code.
// Policy and temperature: SAC's (SoftAgent); actor loss mean(alpha * log pi - min_k Q_k(s, a~)),
// updated with the temperature and the Polyak targets every policy_delay critic updates.
#include <fmt/format.h>

#include <cmath>

#include "bellman/algos/actor_critic.h"
#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"

namespace bellman::algos {

struct DsacTConfig : SoftConfig {
  int64_t policy_delay = 2;  // critic updates per actor / temperature / target update
  double tau_b = 0.005;      // moving-average rate of sigma_bar
  double clip_xi = 3.0;      // y_z is clipped to Q +- clip_xi * sigma_bar
  double grad_bias = 0.1;    // b in the gradient adjustment's denominators

  template <class V>
  void Fields(V& v) {
    SoftConfig::Fields(v);
    v("policy_delay", policy_delay);
    v("tau_b", tau_b);
    v("clip_xi", clip_xi);
    v("grad_bias", grad_bias);
  }

  void Validate(const std::string& a) const {
    SoftConfig::Validate(a);
    Require(n_critics == 2, "{}.n_critics must be 2 (twin value distributions), got {}", a,
            n_critics);
    Require(policy_delay >= 1, "{}.policy_delay must be >= 1, got {}", a, policy_delay);
    Require(tau_b > 0.0 && tau_b <= 1.0, "{}.tau_b must be in (0, 1], got {}", a, tau_b);
    Require(clip_xi > 0.0, "{}.clip_xi must be > 0, got {}", a, clip_xi);
    Require(grad_bias > 0.0, "{}.grad_bias must be > 0, got {}", a, grad_bias);
  }
};

class DsacT final : public SoftAgent {
 public:
  DsacT(const DsacTConfig& config, AlgoContext context, const std::string& name)
      : SoftAgent(config, context, name), config_(config) {
    std::vector<torch::Tensor> critic_params;
    for (int k = 0; k < 2; ++k) {
      // Outputs [Q, raw sigma].
      critics_.push_back(MakeNet(config_.critic_sizes(), 2, /*with_action=*/true));
      for (auto& p : critics_.back()->parameters()) critic_params.push_back(p);
    }
    for (auto& c : critics_) critic_targets_.push_back(MlpNet(c->CloneTarget()));
    critic_optimizer_ = MakeAdam(critic_params, config_.lr);
  }

  std::vector<std::string> metric_names() const override {
    return {"critic_loss", "actor_loss", "ent_coef", "q_mean", "sigma_mean"};
  }

  Metrics Learn(const Batch& batch) override {
    ++num_updates_;
    const BatchTensors t = Tensors(batch);
    const int64_t b = batch.size();
    auto [pi, log_prob] = Sample(t.obs);
    const torch::Tensor alpha = Alpha();

    torch::Tensor y_q, y_z;
    {
      torch::NoGradGuard no_grad;
      auto [next_action, next_log_prob] = Sample(t.next_obs);
      torch::Tensor next_in = torch::cat({t.next_obs, next_action}, 1);
      auto [m1, s1] = Gaussian(*critic_targets_[0], next_in);
      auto [m2, s2] = Gaussian(*critic_targets_[1], next_in);
      torch::Tensor z1 = StandardNormal(update_rng(), {b}).clamp(-3.0f, 3.0f);
      torch::Tensor z2 = StandardNormal(update_rng(), {b}).clamp(-3.0f, 3.0f);
      // Refinement 2: the critic with the smaller mean supplies both targets.
      torch::Tensor first = m1 < m2;
      torch::Tensor next_q = torch::where(first, m1, m2);
      torch::Tensor next_sample = torch::where(first, m1 + z1 * s1, m2 + z2 * s2);
      torch::Tensor entropy_term = alpha * next_log_prob;
      y_q = t.reward + t.discount * (next_q - entropy_term);
      y_z = t.reward + t.discount * (next_sample - entropy_term);
    }
    torch::Tensor in = torch::cat({t.obs, t.action}, 1);
    torch::Tensor critic_loss;
    torch::Tensor q_first, sigma_first;
    const auto bias = static_cast<float>(config_.grad_bias);
    for (size_t k = 0; k < 2; ++k) {
      auto [q, sigma] = Gaussian(*critics_[k], in);
      torch::Tensor q_d = q.detach();
      torch::Tensor s_d = sigma.detach();
      // Refinement 3: sigma_bar, the moving average of the batch's mean sigma.
      const double batch_sigma = s_d.mean().item<double>();
      mean_std_[k] = mean_std_[k] < 0.0
                         ? batch_sigma
                         : (1.0 - config_.tau_b) * mean_std_[k] + config_.tau_b * batch_sigma;
      const auto bound = static_cast<float>(config_.clip_xi * mean_std_[k]);
      torch::Tensor y_z_clipped = q_d + (y_z - q_d).clamp(-bound, bound);
      const auto scale = static_cast<float>(mean_std_[k] * mean_std_[k] + config_.grad_bias);
      torch::Tensor surrogate =
          -(y_q - q_d) / (s_d * s_d + bias) * q -
          ((q_d - y_z_clipped).pow(2) - s_d * s_d) / (s_d * s_d * s_d + bias) * sigma;
      torch::Tensor l = scale * surrogate.mean();
      critic_loss = k == 0 ? l : critic_loss + l;
      if (k == 0) {
        q_first = q_d;
        sigma_first = s_d;
      }
    }
    const double critic_loss_value = critic_loss.item<double>();
    if (!std::isfinite(critic_loss_value)) CheckFinite(critic_loss, "critic_loss");
    Step(*critic_optimizer_, critic_loss);

    if (num_updates_ % config_.policy_delay == 0) {
      const FrozenParams frozen(critics_);
      torch::Tensor pi_in = torch::cat({t.obs, pi}, 1);
      torch::Tensor min_q =
          torch::min(Gaussian(*critics_[0], pi_in).first, Gaussian(*critics_[1], pi_in).first);
      torch::Tensor actor_loss = (alpha * log_prob - min_q).mean();
      last_actor_loss_ = actor_loss.item<double>();
      if (!std::isfinite(last_actor_loss_)) CheckFinite(actor_loss, "actor_loss");
      StepActor(actor_loss);
      UpdateTemperature(log_prob);
      const auto timed = TimeTargetUpdate();
      for (size_t k = 0; k < 2; ++k) {
        nets::SoftUpdate(*critic_targets_[k], *critics_[k], config_.tau);
      }
    }
    return {{"critic_loss", critic_loss_value},
            {"actor_loss", last_actor_loss_},
            {"ent_coef", alpha.item<double>()},
            {"q_mean", q_first.mean().item<double>()},
            {"sigma_mean", sigma_first.mean().item<double>()}};
  }

 private:
  // The critic's Gaussian at `in`: mean [B] and sigma = softplus(raw) [B].
  static std::pair<torch::Tensor, torch::Tensor> Gaussian(MlpNetImpl& critic,
                                                          const torch::Tensor& in) {
    torch::Tensor out = critic.forward(in);
    return {out.select(1, 0), torch::softplus(out.select(1, 1))};
  }

  void DeclareModules(nets::StateDict& state) override {
    DeclareSoftState(state);
    for (size_t k = 0; k < 2; ++k) {
      state.AddModule(fmt::format("critic{}", k), *critics_[k]);
      state.AddModule(fmt::format("critic{}_target", k), *critic_targets_[k], /*frozen=*/true);
    }
    state.AddOptimizer("critic_optimizer", *critic_optimizer_);
    state.AddReal("mean_std0", mean_std_[0]);
    state.AddReal("mean_std1", mean_std_[1]);
    state.AddReal("actor_loss", last_actor_loss_);
  }

  DsacTConfig config_;
  std::vector<MlpNet> critics_;
  std::vector<MlpNet> critic_targets_;
  std::unique_ptr<torch::optim::Optimizer> critic_optimizer_;
  double mean_std_[2] = {-1.0, -1.0};  // sigma_bar per critic; < 0 until the first batch
  double last_actor_loss_ = 0.0;
};

BELLMAN_REGISTER_ALGORITHMS(dsac_t) {
  registry.push_back(MakeRegistration<DsacT, DsacTConfig>("dsac_t"));
}

}  // namespace bellman::algos
