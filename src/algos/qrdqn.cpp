// QR-DQN (Dabney et al. 2018a, "Distributional RL with Quantile Regression"): the network
// outputs num_quantiles values per action at the fixed fractions tau_hat_i = (2i + 1) / (2N)
// (eq. 8's quantile midpoints); Q(s, a) is their mean. Target (Algorithm 1): a* = argmax_a of
// the target network's Q (online network with double_q), T theta_j = r + discount theta_j(s',
// a*); loss = the quantile Huber loss (eq. 10) between every predicted and every target
// quantile, summed over predicted and averaged over target quantiles (QuantileHuberLoss).
// Options (double, dueling, n-step, PER, MinAtar torso) come from ValueAgentConfig.
// docs/distributional.md.
#include <fmt/format.h>

#include "bellman/algos/value_agent.h"
#include "bellman/algos/value_losses.h"
#include "bellman/core/error.h"

namespace bellman::algos {

namespace {

struct QrDqnConfig : ValueAgentConfig {
  int64_t num_quantiles = 50;  // SB3-contrib's default (the paper's Atari runs use 200)
  double kappa = 1.0;          // Huber threshold; 0: the plain quantile (pinball) loss

  template <class V>
  void Fields(V& v) {
    ValueAgentConfig::Fields(v);
    v("num_quantiles", num_quantiles);
    v("kappa", kappa);
  }
  void Validate(const std::string& algo) const {
    ValueAgentConfig::Validate(algo);
    if (num_quantiles < 1) {
      throw Error(fmt::format("{}.num_quantiles must be >= 1, got {}", algo, num_quantiles));
    }
    if (!(kappa >= 0.0)) throw Error(fmt::format("{}.kappa must be >= 0, got {}", algo, kappa));
  }
};

class QrDqn final : public ValueAgent {
 public:
  QrDqn(const QrDqnConfig& config, AlgoContext context, const std::string& name)
      : ValueAgent(config, context, name), config_(config) {
    config_.Validate(name);
    q_net_ = nets::MakeQNetwork(config_.net, obs_shape(), num_actions(), device(), sample_rng(),
                                config_.num_quantiles);
    q_target_ = q_net_->Clone();
    SetNetworks(q_net_, q_target_);
    taus_ = QuantileMidpoints(config_.num_quantiles).to(device());
  }

 protected:
  torch::Tensor ActionValues(const torch::Tensor& obs) override {
    return Quantiles(*q_net_, obs).mean(2);
  }

  LossTerms Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                 const torch::Tensor& reward, const torch::Tensor& discount,
                 const torch::Tensor& next_obs) override {
    const int64_t b = obs.size(0);
    const int64_t n = config_.num_quantiles;
    torch::Tensor target;
    {
      torch::NoGradGuard no_grad;
      torch::Tensor next = Quantiles(*q_target_, next_obs);  // [B, A, N]
      torch::Tensor next_q = config_.double_q ? Quantiles(*q_net_, next_obs).mean(2) : next.mean(2);
      torch::Tensor a_star = next_q.argmax(1).view({b, 1, 1}).expand({b, 1, n});
      torch::Tensor next_a = next.gather(1, a_star).squeeze(1);  // [B, N]
      target = reward.unsqueeze(1) + discount.unsqueeze(1) * next_a;
    }
    CheckFinite(target, "target quantiles");
    torch::Tensor all = Quantiles(*q_net_, obs);
    CheckFinite(all, "quantiles");
    torch::Tensor current = all.gather(1, actions.view({b, 1, 1}).expand({b, 1, n})).squeeze(1);
    torch::Tensor elementwise = QuantileHuberLoss(current, target, taus_, config_.kappa);
    torch::Tensor q_taken = current.detach().mean(1);
    return {elementwise, (target.mean(1) - q_taken).abs(), q_taken};
  }

 private:
  torch::Tensor Quantiles(nets::QNetwork& net, const torch::Tensor& obs) const {
    return net.forward(obs).view({obs.size(0), num_actions(), config_.num_quantiles});
  }

  QrDqnConfig config_;
  std::shared_ptr<nets::QNetwork> q_net_;
  std::shared_ptr<nets::QNetwork> q_target_;
  torch::Tensor taus_;
};

}  // namespace

BELLMAN_REGISTER_ALGORITHMS(qrdqn) {
  registry.push_back(MakeRegistration<QrDqn, QrDqnConfig>("qrdqn"));
}

}  // namespace bellman::algos
