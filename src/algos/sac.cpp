// SAC (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications": clipped double Q,
// a tanh-squashed Gaussian policy, automatic temperature), in Stable-Baselines3's order of
// operations. The policy and the temperature are SoftAgent's (actor_critic.h); this file is the
// critic and the update:
//   alpha: one temperature step first, the pre-step value used below (SB3's order)
//   y = r + gamma * (1 - d) * (min_k Q_target_k(s', a~') - alpha * log pi(a~'|s'))   (eq. 3, 5)
//   critic loss = 0.5 * sum_k MSE(Q_k(s, a), y)
//   actor loss  = mean(alpha * log pi(a~|s) - min_k Q_k(s, a~))                    (eq. 7 / 17)
//   Polyak update of the critics' targets every target_update_interval updates.
#include <fmt/format.h>

#include <cmath>

#include "bellman/algos/actor_critic.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"

namespace bellman::algos {

class Sac final : public SoftAgent {
 public:
  Sac(const SoftConfig& config, AlgoContext context, const std::string& name)
      : SoftAgent(config, context, name), config_(config) {
    critics_ = MakeCritics(config_.n_critics, config_.lr);
  }

  std::vector<std::string> metric_names() const override {
    return {"critic_loss", "actor_loss", "ent_coef", "q_mean"};
  }

  Metrics Learn(const Batch& batch) override {
    const BatchTensors t = Tensors(batch);
    auto [pi, log_prob] = Sample(t.obs);
    torch::Tensor alpha = UpdateTemperature(log_prob);

    torch::Tensor td_target;
    {
      torch::NoGradGuard no_grad;
      auto [next_action, next_log_prob] = Sample(t.next_obs);
      const torch::Tensor next_in = torch::cat({t.next_obs, next_action}, 1);
      std::vector<torch::Tensor> next_q;
      for (auto& c : critics_.target) next_q.push_back(c->forward(next_in));
      td_target = SoftTdTarget(next_q, alpha, next_log_prob, t.reward, t.discount);
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
    critic_loss = 0.5f * critic_loss;
    const double critic_loss_value = critic_loss.item<double>();
    if (!std::isfinite(critic_loss_value)) CheckFinite(critic_loss, "critic_loss");
    Step(*critics_.optimizer, critic_loss);

    const double actor_loss_value = StepSoftActor(critics_, t.obs, pi, log_prob, alpha);

    ++num_updates_;
    const auto timed = TimeTargetUpdate();
    if (num_updates_ % config_.target_update_interval == 0) {
      critics_.SoftUpdate(config_.tau);
    }
    return {{"critic_loss", critic_loss_value},
            {"actor_loss", actor_loss_value},
            {"ent_coef", alpha.item<double>()},
            {"q_mean", q_first.mean().item<double>()}};
  }

 private:
  Critics* critics() override { return &critics_; }
  void DeclareModules(nets::StateDict& state) override {
    DeclareSoftState(state);
    critics_.Declare(state);
  }

  SoftConfig config_;
  Critics critics_;
};

BELLMAN_REGISTER_ALGORITHMS(sac) { registry.push_back(MakeRegistration<Sac, SoftConfig>("sac")); }

}  // namespace bellman::algos
