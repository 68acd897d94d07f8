// C51 (Bellemare et al. 2017) and Rainbow (Hessel et al. 2018), one file: Rainbow is C51 with
// its other parts switched on through ValueAgentConfig and the network config (noisy nets,
// dueling heads, PER, n-step returns, Double DQN action selection), registered with Rainbow's
// defaults. docs/distributional.md.
//
// The network outputs logits [B, A * num_atoms]; Z(s, a) is the softmax over atoms on the fixed
// support z_i = v_min + i (v_max - v_min) / (num_atoms - 1), Q(s, a) = sum_i p_i z_i.
// Target (Algorithm 1): a* = argmax_a Q_target(s', a) (online network with double_q), the
// distribution of Z_target(s', a*) shifted by r + discount z and projected back onto the support
// (CategoricalProjection), loss = cross-entropy to the projected target (eq. 7's KL up to a
// constant). With PER the priority is that cross-entropy (Rainbow, section "Prioritized replay").
#include <fmt/format.h>

#include "bellman/algos/value_agent.h"
#include "bellman/algos/value_losses.h"
#include "bellman/core/error.h"

namespace bellman::algos {

namespace {

struct C51Config : ValueAgentConfig {
  int64_t num_atoms = 51;
  double v_min = -10.0;
  double v_max = 10.0;

  template <class V>
  void Fields(V& v) {
    ValueAgentConfig::Fields(v);
    v("num_atoms", num_atoms);
    v("v_min", v_min);
    v("v_max", v_max);
  }
  void Validate(const std::string& algo) const {
    ValueAgentConfig::Validate(algo);
    if (num_atoms < 2) {
      throw Error(fmt::format("{}.num_atoms must be >= 2, got {}", algo, num_atoms));
    }
    if (!(v_min < v_max)) {
      throw Error(
          fmt::format("{}.v_min ({}) must be below {}.v_max ({})", algo, v_min, algo, v_max));
    }
  }
};

// Rainbow's parts (Hessel et al. 2018, Table 1 for Atari; sizes stay the user's choice):
// noisy nets instead of epsilon-greedy, dueling, 3-step returns, PER (alpha 0.5, beta 0.4 -> 1),
// Double DQN selection, Adam.
C51Config RainbowDefaults() {
  C51Config c;
  c.net.noisy = true;
  c.net.dueling = true;
  c.n_step = 3;
  c.prioritized = true;
  c.per_alpha = 0.5;
  c.per_beta0 = 0.4;
  c.double_q = true;
  c.exploration_initial_eps = 0.0;
  c.exploration_final_eps = 0.0;
  return c;
}

class C51 final : public ValueAgent {
 public:
  C51(const C51Config& config, AlgoContext context, const std::string& name)
      : ValueAgent(config, context, name), config_(config) {
    config_.Validate(name);
    q_net_ = nets::MakeQNetwork(config_.net, obs_shape(), num_actions(), device(), sample_rng(),
                                config_.num_atoms);
    q_target_ = q_net_->Clone();
    SetNetworks(q_net_, q_target_);
    support_ = CategoricalSupport(config_.v_min, config_.v_max, config_.num_atoms).to(device());
  }

 protected:
  void BeforeForward(Phase phase) override {
    if (!q_net_->noisy()) return;
    // Noisy nets (Fortunato et al. 2018): fresh noise for every update and every acting step;
    // evaluation acts on the mean weights.
    q_net_->SetNoiseEnabled(phase != Phase::kEvaluate);
    if (phase == Phase::kEvaluate) return;
    q_net_->ResetNoise(sample_rng());
    if (phase == Phase::kUpdate) q_target_->ResetNoise(sample_rng());
  }

  torch::Tensor ActionValues(const torch::Tensor& obs) override {
    return Expectation(q_net_->forward(obs));
  }

  LossTerms Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                 const torch::Tensor& reward, const torch::Tensor& discount,
                 const torch::Tensor& next_obs) override {
    const int64_t b = obs.size(0);
    const int64_t k = config_.num_atoms;
    torch::Tensor target_dist;
    {
      torch::NoGradGuard no_grad;
      torch::Tensor next_logits = q_target_->forward(next_obs).view({b, num_actions(), k});
      torch::Tensor next_probs = torch::softmax(next_logits, 2);
      torch::Tensor next_q = config_.double_q ? Expectation(q_net_->forward(next_obs))
                                              : (next_probs * support_).sum(2);
      torch::Tensor a_star = next_q.argmax(1).view({b, 1, 1}).expand({b, 1, k});
      torch::Tensor next_dist = next_probs.gather(1, a_star).squeeze(1);  // [B, K]
      target_dist =
          CategoricalProjection(next_dist, reward, discount, config_.v_min, config_.v_max);
    }
    CheckFinite(target_dist, "target distribution");
    torch::Tensor logits = q_net_->forward(obs).view({b, num_actions(), k});
    CheckFinite(logits, "logits");
    torch::Tensor logits_a = logits.gather(1, actions.view({b, 1, 1}).expand({b, 1, k})).squeeze(1);
    torch::Tensor elementwise = CrossEntropyToTarget(logits_a, target_dist);
    torch::Tensor q_taken = (torch::softmax(logits_a.detach(), 1) * support_).sum(1);
    return {elementwise, elementwise.detach(), q_taken};
  }

 private:
  // Q = E[Z] from logits [B, A * K].
  torch::Tensor Expectation(const torch::Tensor& logits) const {
    const int64_t b = logits.size(0);
    return (torch::softmax(logits.view({b, num_actions(), config_.num_atoms}), 2) * support_)
        .sum(2);
  }

  C51Config config_;
  std::shared_ptr<nets::QNetwork> q_net_;
  std::shared_ptr<nets::QNetwork> q_target_;
  torch::Tensor support_;
};

}  // namespace

BELLMAN_REGISTER_ALGORITHMS(c51) {
  registry.push_back(MakeRegistration<C51, C51Config>("c51"));
  registry.push_back(MakeRegistration<C51, C51Config>("rainbow", RainbowDefaults()));
}

}  // namespace bellman::algos
