// TD3 (Fujimoto, van Hoof & Meger 2018, "Addressing Function Approximation Error in
// Actor-Critic Methods", Algorithm 1) and DDPG (Lillicrap et al. 2016) as TD3 with one critic,
// no target smoothing and no delay, as Stable-Baselines3 defines it.
//
// One update (Algorithm 1):
//   a' = clip(pi_target(s') + clip(N(0, sigma~), -c, c), -1, 1)      target policy smoothing
//   y  = r + gamma * (1 - d) * min_k Q_target_k(s', a')                clipped double Q
//   critic loss = sum_k MSE(Q_k(s, a), y)
//   every policy_delay updates: actor loss = -mean Q_1(s, pi(s)); Polyak update of all targets.
// Exploration: pi(s) + N(0, action_noise), clipped to [-1, 1] (SB3's NormalActionNoise).
//
// TD3+BC (Fujimoto & Gu 2021, "A Minimalist Approach to Offline Reinforcement Learning", eq. 3
// and Sec. 5) is TD3 with two changes, registered as `td3_bc` (CORL's defaults):
//   actor loss = -lambda * mean Q_1(s, pi(s)) + mean (pi(s) - a)^2,
//   lambda = bc_alpha / mean |Q_1(s, pi(s))| (no gradient through lambda);
//   states normalised by the dataset's per-feature mean and std + 1e-3 (normalize_obs).
//
// TD3+BC-MCEP (Liu et al. 2023, "Mildly Constrained Evaluation Policy for Offline RL"; the
// authors' td3_bc_ep learner), registered as `td3_bc_mcep`: the TD3+BC actor above (bc_alpha
// 2.5) stays the target policy that the critic's TD targets use; a second, evaluation actor
// pi_E is trained on the same critic with a milder constraint,
//   L_E = -lambda_E * mean Q_1(s, pi_E(s)) + mean (pi_E(s) - a)^2,
//   lambda_E = mcep_alpha / mean |Q_1(s, pi_E(s))|   (mcep_alpha 10 > bc_alpha),
// at every actor update, and pi_E is what evaluation plays (and, with noise, what explores).
#include <fmt/format.h>

#include <cmath>

#include "bellman/algos/actor_critic.h"
#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"

namespace bellman::algos {

struct Td3Config : ContinuousAgentConfig {
  int64_t policy_delay = 2;          // critic updates per actor/target update (d in the paper)
  double target_policy_noise = 0.2;  // sigma~ of the target smoothing noise (0: none)
  double target_noise_clip = 0.5;    // c
  double action_noise = 0.1;         // std of the Gaussian exploration noise, in [-1, 1] units
  int64_t n_critics = 2;             // 2: clipped double Q; 1: DDPG
  double bc_alpha = 0.0;             // TD3+BC's alpha (0: plain TD3, no behaviour cloning term)
  double mcep_alpha = 0.0;  // MCEP's evaluation-policy alpha (0: none; the actor is evaluated)

  Td3Config() {
    lr = 1e-3;
    hidden_sizes = {400, 300};
  }

  template <class V>
  void Fields(V& v) {
    ContinuousAgentConfig::Fields(v);
    v("policy_delay", policy_delay);
    v("target_policy_noise", target_policy_noise);
    v("target_noise_clip", target_noise_clip);
    v("action_noise", action_noise);
    v("n_critics", n_critics);
    v("bc_alpha", bc_alpha);
    v("mcep_alpha", mcep_alpha);
  }

  void Validate(const std::string& a) const {
    ContinuousAgentConfig::Validate(a);
    Require(policy_delay >= 1, "{}.policy_delay must be >= 1, got {}", a, policy_delay);
    Require(target_policy_noise >= 0.0, "{}.target_policy_noise must be >= 0, got {}", a,
            target_policy_noise);
    Require(target_noise_clip >= 0.0, "{}.target_noise_clip must be >= 0, got {}", a,
            target_noise_clip);
    Require(action_noise >= 0.0, "{}.action_noise must be >= 0, got {}", a, action_noise);
    Require(n_critics >= 1 && n_critics <= 10, "{}.n_critics must be in [1, 10], got {}", a,
            n_critics);
    Require(bc_alpha >= 0.0, "{}.bc_alpha must be >= 0, got {}", a, bc_alpha);
    Require(mcep_alpha >= 0.0, "{}.mcep_alpha must be >= 0, got {}", a, mcep_alpha);
    Require(mcep_alpha == 0.0 || bc_alpha > 0.0,
            "{}.mcep_alpha ({}) needs a constrained target policy: set bc_alpha > 0", a,
            mcep_alpha);
  }
};

class Td3 final : public ContinuousAgent {
 public:
  Td3(const Td3Config& config, AlgoContext context, const std::string& name)
      : ContinuousAgent(config, context, name), config_(config) {
    // Parameter draws: actor, then each critic (targets are copies).
    actor_ = MakeNet(config_.hidden_sizes, action_dim(), /*with_action=*/false);
    critics_ = MakeCritics(config_.n_critics, config_.lr);
    actor_target_ = MlpNet(actor_->CloneTarget());
    actor_optimizer_ = MakeAdam(actor_->parameters(), config_.lr);
    if (config_.mcep_alpha > 0.0) {  // drawn last: td3_bc's own draws stay as they were
      eval_actor_ = MakeNet(config_.hidden_sizes, action_dim(), /*with_action=*/false);
      eval_actor_optimizer_ = MakeAdam(eval_actor_->parameters(), config_.lr);
    }
  }

  std::vector<std::string> metric_names() const override {
    if (eval_actor_) return {"critic_loss", "actor_loss", "q_mean", "eval_actor_loss"};
    return {"critic_loss", "actor_loss", "q_mean"};
  }

  Metrics Learn(const Batch& batch) override {
    ++num_updates_;  // SB3 counts first, then checks the delay
    const BatchTensors t = Tensors(batch);
    const int64_t b = batch.size();
    torch::Tensor td_target;
    {
      torch::NoGradGuard no_grad;
      torch::Tensor next_action = torch::tanh(actor_target_->forward(t.next_obs));
      if (config_.target_policy_noise > 0.0) {
        const auto c = static_cast<float>(config_.target_noise_clip);
        torch::Tensor noise = (StandardNormal(update_rng(), {b, action_dim()}) *
                               static_cast<float>(config_.target_policy_noise))
                                  .clamp(-c, c);
        next_action = (next_action + noise).clamp(-1.0f, 1.0f);
      }
      torch::Tensor next_in = torch::cat({t.next_obs, next_action}, 1);
      td_target = t.reward + t.discount * Critics::Min(critics_.target, next_in);
    }
    torch::Tensor in = torch::cat({t.obs, t.action}, 1);
    torch::Tensor critic_loss;
    torch::Tensor q_first;
    for (size_t k = 0; k < critics_.online.size(); ++k) {
      torch::Tensor q = critics_.online[k]->forward(in).squeeze(1);
      torch::Tensor l = torch::mse_loss(q, td_target);
      critic_loss = k == 0 ? l : critic_loss + l;
      if (k == 0) q_first = q;
    }
    const double critic_loss_value = critic_loss.item<double>();
    if (!std::isfinite(critic_loss_value)) CheckFinite(critic_loss, "critic_loss");
    Step(*critics_.optimizer, critic_loss);

    if (num_updates_ % config_.policy_delay == 0) {
      const FrozenParams frozen({critics_.online[0]});
      torch::Tensor pi = torch::tanh(actor_->forward(t.obs));
      torch::Tensor q_pi = critics_.online[0]->forward(torch::cat({t.obs, pi}, 1));
      torch::Tensor actor_loss = -q_pi.mean();
      if (config_.bc_alpha > 0.0) {
        const torch::Tensor lambda =
            static_cast<float>(config_.bc_alpha) / q_pi.abs().mean().detach();
        actor_loss = lambda * actor_loss + torch::mse_loss(pi, t.action);
      }
      last_actor_loss_ = actor_loss.item<double>();
      if (!std::isfinite(last_actor_loss_)) CheckFinite(actor_loss, "actor_loss");
      Step(*actor_optimizer_, actor_loss);
      if (eval_actor_) {
        const torch::Tensor pi_e = torch::tanh(eval_actor_->forward(t.obs));
        const torch::Tensor q_e = critics_.online[0]->forward(torch::cat({t.obs, pi_e}, 1));
        const torch::Tensor lambda_e =
            static_cast<float>(config_.mcep_alpha) / q_e.abs().mean().detach();
        const torch::Tensor eval_loss = -lambda_e * q_e.mean() + torch::mse_loss(pi_e, t.action);
        last_eval_actor_loss_ = eval_loss.item<double>();
        if (!std::isfinite(last_eval_actor_loss_)) CheckFinite(eval_loss, "eval_actor_loss");
        Step(*eval_actor_optimizer_, eval_loss);
      }
      const auto timed = TimeTargetUpdate();
      critics_.SoftUpdate(config_.tau);
      nets::SoftUpdate(*actor_target_, *actor_, config_.tau);
    }
    Metrics m = {{"critic_loss", critic_loss_value},
                 {"actor_loss", last_actor_loss_},
                 {"q_mean", q_first.mean().item<double>()}};
    if (eval_actor_) m.emplace_back("eval_actor_loss", last_eval_actor_loss_);
    return m;
  }

 private:
  torch::Tensor PolicyActions(const torch::Tensor& obs, bool explore) override {
    torch::Tensor u = torch::tanh((eval_actor_ ? eval_actor_ : actor_)->forward(obs));
    if (explore && config_.action_noise > 0.0) {
      u = (u + StandardNormal(explore_rng(), {obs.size(0), action_dim()}) *
                   static_cast<float>(config_.action_noise))
              .clamp(-1.0f, 1.0f);
    }
    return u;
  }

  Critics* critics() override { return &critics_; }
  void DeclareModules(nets::StateDict& state) override {
    state.AddModule("actor", *actor_);
    state.AddModule("actor_target", *actor_target_, /*frozen=*/true);
    critics_.Declare(state);
    state.AddOptimizer("actor_optimizer", *actor_optimizer_);
    state.AddReal("actor_loss", last_actor_loss_);
    if (eval_actor_) {
      state.AddModule("eval_actor", *eval_actor_);
      state.AddOptimizer("eval_actor_optimizer", *eval_actor_optimizer_);
      state.AddReal("eval_actor_loss", last_eval_actor_loss_);
    }
  }

  Td3Config config_;
  MlpNet actor_ = nullptr;
  MlpNet actor_target_ = nullptr;
  Critics critics_;
  std::unique_ptr<torch::optim::Optimizer> actor_optimizer_;
  double last_actor_loss_ = 0.0;  // the actor updates every policy_delay steps
  MlpNet eval_actor_ = nullptr;   // MCEP's evaluation policy (mcep_alpha > 0)
  std::unique_ptr<torch::optim::Optimizer> eval_actor_optimizer_;
  double last_eval_actor_loss_ = 0.0;
};

BELLMAN_REGISTER_ALGORITHMS(td3) {
  registry.push_back(MakeRegistration<Td3, Td3Config>("td3"));
  // SB3's DDPG: TD3 with one critic, no target smoothing, an actor update every step.
  Td3Config d;
  d.policy_delay = 1;
  d.target_policy_noise = 0.0;
  d.target_noise_clip = 0.0;
  d.n_critics = 1;
  registry.push_back(MakeRegistration<Td3, Td3Config>("ddpg", d));
  // TD3+BC with CORL's hyperparameters (algorithms/offline/td3_bc.py): alpha 2.5, lr 3e-4,
  // 256x256 networks, batch 256, normalised states.
  Td3Config b;
  b.bc_alpha = 2.5;
  b.normalize_obs = true;
  b.lr = 3e-4;
  b.hidden_sizes = {256, 256};
  b.batch_size = 256;
  b.learning_starts = 0;
  registry.push_back(MakeRegistration<Td3, Td3Config>("td3_bc", b));
  // TD3+BC-MCEP with the authors' td3bcep_mujoco config: target alpha 2.5, evaluation alpha 10.
  Td3Config e = b;
  e.mcep_alpha = 10.0;
  registry.push_back(MakeRegistration<Td3, Td3Config>("td3_bc_mcep", e));
}

}  // namespace bellman::algos
