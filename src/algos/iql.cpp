// IQL (Kostrikov, Nair & Levine 2021, "Offline Reinforcement Learning with Implicit Q-Learning")
// for Box actions, in CORL's order of operations (algorithms/offline/iql.py,
// ImplicitQLearning.train). Every network sees states normalised by the dataset's statistics.
// One update on a batch (s, a, r, s', d):
//   next_v = V(s')                                                     (no grad, before V's step)
//   V step:  u = min_k Q_target_k(s, a) - V(s)
//            L_V = mean |expectile - 1(u < 0)| u^2                     (eq. 5, expectile tau)
//   Q step:  y = r + gamma * (1 - d) * next_v
//            L_Q = mean_k MSE(Q_k(s, a), y)                            (eq. 6)
//            Polyak update of the Q targets
//   policy:  w = min(exp(beta * u), exp_adv_max)                       (eq. 7, u from the V step)
//            L_pi = mean w * (-log pi(a|s))  (gaussian)  or  mean w * |pi(s) - a|^2
//            (deterministic); the actor's lr follows a cosine schedule over n_timesteps.
// CSVE (Chen et al. 2023, "Conservative State Value Estimation for Offline Reinforcement
// Learning"), registered as `csve`: the same loop with V fitted to the critics on the dataset's
// actions by plain regression (expectile 0.5) and made conservative on states around the data:
//   L_V += csve_alpha * (mean_s V(s + eps) - mean_s V(s)),  eps ~ N(0, csve_noise^2 I)
// on normalised states (the paper's critic loss, eq. 8, penalises V on out-of-distribution
// states and lifts it on the dataset's). The paper draws those states from a learned dynamics
// model (s' ~ P(s, a ~ pi)); here they are Gaussian perturbations of the batch's states, and the
// actor is the advantage-weighted regression above without the paper's model-based exploration
// term (docs/offline.md, "CSVE"). csve_alpha 0 is IQL, bit for bit (no extra draws).
// The Gaussian policy (CORL's GaussianPolicy) has mean tanh(f(s)) and a state-independent
// log std clamped to [log_std_min, log_std_max]; evaluation plays the mean.
#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "bellman/algos/actor_critic.h"
#include "bellman/core/validate.h"
#include "bellman/nets/params.h"

namespace bellman::algos {

struct IqlConfig : ContinuousAgentConfig {
  double expectile = 0.7;           // tau of the expectile regression (CORL's iql_tau)
  double beta = 3.0;                // inverse temperature of advantage weighting
  double exp_adv_max = 100.0;       // clip of exp(beta * advantage)
  std::string policy = "gaussian";  // gaussian | deterministic
  double log_std_min = -20.0;       // CORL's LOG_STD_MIN
  double log_std_max = 2.0;
  bool actor_cosine_lr = true;  // CORL: CosineAnnealingLR(actor, n_timesteps)
  double csve_alpha = 0.0;      // CSVE's penalty weight (0: IQL)
  double csve_noise = 0.1;      // std of the perturbed states, in normalised units

  IqlConfig() {
    learning_starts = 0;
    normalize_obs = true;
  }
  template <class V>
  void Fields(V& v) {
    ContinuousAgentConfig::Fields(v);
    v("expectile", expectile);
    v("beta", beta);
    v("exp_adv_max", exp_adv_max);
    v("policy", policy);
    v("log_std_min", log_std_min);
    v("log_std_max", log_std_max);
    v("actor_cosine_lr", actor_cosine_lr);
    v("csve_alpha", csve_alpha);
    v("csve_noise", csve_noise);
  }
  void Validate(const std::string& a) const {
    ContinuousAgentConfig::Validate(a);
    Require(expectile > 0.0 && expectile < 1.0, "{}.expectile must be in (0, 1), got {}", a,
            expectile);
    Require(beta >= 0.0 && std::isfinite(beta), "{}.beta must be a finite number >= 0, got {}", a,
            beta);
    Require(exp_adv_max > 0.0, "{}.exp_adv_max must be > 0, got {}", a, exp_adv_max);
    Require(policy == "gaussian" || policy == "deterministic",
            "{}.policy must be gaussian or deterministic, got '{}'", a, policy);
    Require(csve_alpha >= 0.0 && std::isfinite(csve_alpha),
            "{}.csve_alpha must be a finite number >= 0, got {}", a, csve_alpha);
    Require(csve_noise > 0.0 && std::isfinite(csve_noise),
            "{}.csve_noise must be a finite number > 0, got {}", a, csve_noise);
    Require(log_std_min < log_std_max, "{}.log_std_min ({}) must be below log_std_max ({})", a,
            log_std_min, log_std_max);
  }
};

class Iql final : public ContinuousAgent {
 public:
  Iql(const IqlConfig& config, AlgoContext context, const std::string& name)
      : ContinuousAgent(config, context, name),
        config_(config),
        total_steps_(std::max<int64_t>(context.total_timesteps, 1)) {
    // Parameter draws: actor, each critic, the value net (targets are copies).
    actor_ = MakeNet(config_.hidden_sizes, action_dim(), /*with_action=*/false);
    log_std_ = torch::zeros({action_dim()}).requires_grad_(true);
    critics_ = MakeCritics(2, config_.lr);
    value_ = MakeNet(config_.critic_sizes(), 1, /*with_action=*/false);
    std::vector<torch::Tensor> actor_params = actor_->parameters();
    if (gaussian()) actor_params.push_back(log_std_);
    actor_optimizer_ = MakeAdam(actor_params, config_.lr);
    value_optimizer_ = MakeAdam(value_->parameters(), config_.lr);
  }

  std::vector<std::string> metric_names() const override {
    if (config_.csve_alpha > 0.0) {
      return {"value_loss", "q_loss", "actor_loss", "adv_mean", "q_mean", "value_gap"};
    }
    return {"value_loss", "q_loss", "actor_loss", "adv_mean", "q_mean"};
  }

  Metrics Learn(const Batch& batch) override {
    const BatchTensors t = Tensors(batch);
    const torch::Tensor in = torch::cat({t.obs, t.action}, 1);
    torch::Tensor next_v, target_q;
    {
      torch::NoGradGuard no_grad;
      next_v = value_->forward(t.next_obs).squeeze(1);
      target_q = Critics::Min(critics_.target, in);
    }
    // V: expectile regression on the target critics' min (eq. 5).
    torch::Tensor adv = target_q - value_->forward(t.obs).squeeze(1);
    const torch::Tensor weight = torch::abs(static_cast<float>(config_.expectile) -
                                            (adv.detach() < 0.0f).to(torch::kFloat32));
    torch::Tensor value_loss = (weight * adv.pow(2)).mean();
    double gap_value = 0.0;
    if (config_.csve_alpha > 0.0) {
      // CSVE: V down on states around the data, up on the data's own (the gap's gradient).
      const torch::Tensor around =
          t.obs + static_cast<float>(config_.csve_noise) *
                      StandardNormal(explore_rng(), {t.obs.size(0), t.obs.size(1)});
      const torch::Tensor gap = value_->forward(around).mean() - value_->forward(t.obs).mean();
      gap_value = gap.item<double>();
      value_loss = value_loss + static_cast<float>(config_.csve_alpha) * gap;
    }
    const double value_loss_value = Finite(value_loss, "value_loss");
    Step(*value_optimizer_, value_loss);

    // Q: regression on r + gamma * (1 - d) * V(s') (eq. 6).
    const torch::Tensor td_target = t.reward + t.discount * next_v;
    torch::Tensor q0 = critics_.online[0]->forward(in).squeeze(1);
    torch::Tensor q1 = critics_.online[1]->forward(in).squeeze(1);
    torch::Tensor q_loss = 0.5f * (torch::mse_loss(q0, td_target) + torch::mse_loss(q1, td_target));
    const double q_loss_value = Finite(q_loss, "q_loss");
    Step(*critics_.optimizer, q_loss);
    {
      const auto timed = TimeTargetUpdate();
      critics_.SoftUpdate(config_.tau);
    }

    // Policy: advantage-weighted regression (eq. 7).
    const torch::Tensor exp_adv = torch::exp(static_cast<float>(config_.beta) * adv.detach())
                                      .clamp_max(static_cast<float>(config_.exp_adv_max));
    const torch::Tensor mean = torch::tanh(actor_->forward(t.obs));
    torch::Tensor bc_losses;
    if (gaussian()) {
      const torch::Tensor log_std = log_std_.clamp(config_.log_std_min, config_.log_std_max);
      // -log N(a; mean, exp(log_std)), summed over the action's dimensions.
      const double half_log_2pi = 0.5 * std::log(2.0 * std::numbers::pi);
      bc_losses = (0.5f * ((t.action - mean) * torch::exp(-log_std)).pow(2) + log_std +
                   static_cast<float>(half_log_2pi))
                      .sum(1);
    } else {
      bc_losses = (mean - t.action).pow(2).sum(1);
    }
    torch::Tensor actor_loss = (exp_adv * bc_losses).mean();
    const double actor_loss_value = Finite(actor_loss, "actor_loss");
    if (config_.actor_cosine_lr) {
      // torch's CosineAnnealingLR(T_max = n_timesteps, eta_min = 0), stepped after each update:
      // the k-th update (from 0) uses lr * (1 + cos(pi k / T)) / 2.
      const double k = static_cast<double>(num_updates_);
      const double lr = config_.lr * 0.5 *
                        (1.0 + std::cos(std::numbers::pi * std::min(k, double(total_steps_)) /
                                        static_cast<double>(total_steps_)));
      for (auto& group : actor_optimizer_->param_groups()) group.options().set_lr(lr);
    }
    Step(*actor_optimizer_, actor_loss);
    ++num_updates_;
    Metrics m = {{"value_loss", value_loss_value},
                 {"q_loss", q_loss_value},
                 {"actor_loss", actor_loss_value},
                 {"adv_mean", adv.detach().mean().item<double>()},
                 {"q_mean", q0.detach().mean().item<double>()}};
    if (config_.csve_alpha > 0.0) m.emplace_back("value_gap", gap_value);
    return m;
  }

 private:
  bool gaussian() const { return config_.policy == "gaussian"; }

  double Finite(const torch::Tensor& loss, const char* what) const {
    const double value = loss.item<double>();
    if (!std::isfinite(value)) CheckFinite(loss, what);
    return value;
  }

  torch::Tensor PolicyActions(const torch::Tensor& obs, bool explore) override {
    torch::Tensor mean = torch::tanh(actor_->forward(obs));
    if (!explore || !gaussian()) return mean;
    const torch::Tensor std =
        torch::exp(log_std_.detach().clamp(config_.log_std_min, config_.log_std_max));
    return (mean + std * StandardNormal(explore_rng(), {obs.size(0), action_dim()}))
        .clamp(-1.0f, 1.0f);
  }

  Critics* critics() override { return &critics_; }
  void DeclareModules(nets::StateDict& state) override {
    state.AddModule("actor", *actor_);
    state.AddTensor("log_std", log_std_);
    critics_.Declare(state);
    state.AddModule("value", *value_);
    state.AddOptimizer("actor_optimizer", *actor_optimizer_);
    state.AddOptimizer("value_optimizer", *value_optimizer_);
  }

  IqlConfig config_;
  int64_t total_steps_;  // the cosine schedule's horizon (n_timesteps)
  MlpNet actor_ = nullptr;
  torch::Tensor log_std_;
  Critics critics_;
  MlpNet value_ = nullptr;
  std::unique_ptr<torch::optim::Optimizer> actor_optimizer_;
  std::unique_ptr<torch::optim::Optimizer> value_optimizer_;
};

BELLMAN_REGISTER_ALGORITHMS(iql) {
  registry.push_back(MakeRegistration<Iql, IqlConfig>("iql"));
  IqlConfig csve;
  csve.expectile = 0.5;
  csve.csve_alpha = 1.0;
  registry.push_back(MakeRegistration<Iql, IqlConfig>("csve", csve));
}

}  // namespace bellman::algos
