// DQN (Mnih et al. 2015) with Double DQN, dueling heads, n-step, PER, soft/hard target updates
// and gradient clipping, composed through DqnConfig (see include/bellman/algos/dqn.h and
// docs/dqn.md).
#include "bellman/algos/dqn.h"

#include <fmt/format.h>

#include <cmath>

#include "bellman/core/config.h"
#include "bellman/core/error.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"

namespace bellman::algos {

void DqnConfig::Validate(const std::string& algo) const {
  ValueAgentConfig::Validate(algo);
  if (loss != "huber" && loss != "mse" && !classification()) {
    throw Error(fmt::format("dqn.loss must be huber, mse, hl_gauss or two_hot, got '{}'", loss));
  }
  if (!(v_min < v_max)) {
    throw Error(fmt::format("dqn.v_min ({}) must be below dqn.v_max ({})", v_min, v_max));
  }
  if (num_bins < 2) throw Error(fmt::format("dqn.num_bins must be >= 2, got {}", num_bins));
  if (!(hl_gauss_sigma_ratio > 0.0)) {
    throw Error(fmt::format("dqn.hl_gauss_sigma_ratio must be > 0, got {}", hl_gauss_sigma_ratio));
  }
  ParseValueTransform(value_transform);  // throws naming the value and the choices
  if (!(cql_alpha >= 0.0 && std::isfinite(cql_alpha))) {
    throw Error(fmt::format("{}.cql_alpha must be a finite number >= 0, got {}", algo, cql_alpha));
  }
  if (cql_alpha > 0.0 && (classification() || value_transform != "none")) {
    throw Error(fmt::format("{}.cql_alpha needs loss huber or mse and value_transform none", algo));
  }
}

Dqn::Dqn(const DqnConfig& config, AlgoContext context, const std::string& name)
    : ValueAgent(config, context, name),
      config_(config),
      transform_(ParseValueTransform(config.value_transform)) {
  config_.Validate(name);
  const int64_t outputs_per_action = config_.classification() ? config_.num_bins : 1;
  q_net_ = nets::MakeQNetwork(config_.net, obs_shape(), num_actions(), device(), sample_rng(),
                              outputs_per_action);
  if (config_.classification()) {
    support_ = CategoricalSupport(config_.v_min, config_.v_max, config_.num_bins).to(device());
  }
  q_target_ = q_net_->Clone();
  SetNetworks(q_net_, q_target_);
}

torch::Tensor Dqn::Values(nets::QNetwork& net, const torch::Tensor& obs) const {
  if (!config_.classification()) return net.forward(obs);
  return ClassificationValue(net.forward(obs).view({obs.size(0), num_actions(), config_.num_bins}),
                             support_);
}

torch::Tensor Dqn::TdTarget(const torch::Tensor& reward, const torch::Tensor& discount,
                            const torch::Tensor& next_obs) {
  torch::NoGradGuard no_grad;
  torch::Tensor next_q_target = Values(*q_target_, next_obs);  // [B, A]
  torch::Tensor next_q;
  if (config_.double_q) {
    // van Hasselt et al. 2016, eq. 4: the online net selects a', the target net evaluates it.
    torch::Tensor a_star = Values(*q_net_, next_obs).argmax(1, /*keepdim=*/true);
    next_q = next_q_target.gather(1, a_star).squeeze(1);
  } else {
    // Mnih et al. 2015, Algorithm 1: y = r + gamma * max_a' Q_target(s', a').
    next_q = std::get<0>(next_q_target.max(1));
  }
  // discount = gamma^k, or 0 where the transition terminated (the replay stores it;
  // docs/replay.md).
  if (transform_ == ValueTransform::kNone) return reward + discount * next_q;
  // Pohlen et al. 2018, eq. 2: the target in the network's space.
  return TransformValue(transform_, reward + discount * InverseTransformValue(transform_, next_q));
}

ValueAgent::LossTerms Dqn::Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                                const torch::Tensor& reward, const torch::Tensor& discount,
                                const torch::Tensor& next_obs) {
  torch::Tensor td_target = TdTarget(reward, discount, next_obs);
  CheckFinite(td_target, "td_target");
  torch::Tensor q_all = q_net_->forward(obs);
  CheckFinite(q_all, "q_values");
  if (config_.classification()) {
    const int64_t b = obs.size(0);
    const int64_t k = config_.num_bins;
    torch::Tensor logits =
        q_all.view({b, num_actions(), k}).gather(1, actions.view({b, 1, 1}).expand({b, 1, k}));
    logits = logits.squeeze(1);
    // Targets outside [v_min, v_max] are clipped by the encoders (value_losses.h).
    const double sigma =
        config_.hl_gauss_sigma_ratio * (config_.v_max - config_.v_min) / static_cast<double>(k - 1);
    torch::Tensor target = config_.loss == "hl_gauss"
                               ? HlGaussTarget(td_target, config_.v_min, config_.v_max, k, sigma)
                               : TwoHotTarget(td_target, config_.v_min, config_.v_max, k);
    torch::Tensor q_taken = ClassificationValue(logits.detach(), support_);
    return {CrossEntropyToTarget(logits, target),
            config_.prioritized ? (q_taken - td_target).abs() : torch::Tensor(), q_taken};
  }
  torch::Tensor q = q_all.gather(1, actions).squeeze(1);
  // Huber loss = Mnih et al. 2015's clipping of the TD error to [-1, 1] in the gradient.
  torch::Tensor elementwise = config_.loss == "huber"
                                  ? torch::smooth_l1_loss(q, td_target, at::Reduction::None)
                                  : torch::mse_loss(q, td_target, at::Reduction::None);
  if (config_.cql_alpha > 0.0) {
    // CQL(H): push down the soft maximum of Q(s, .) and up the dataset's action.
    elementwise =
        elementwise + static_cast<float>(config_.cql_alpha) * (torch::logsumexp(q_all, 1) - q);
  }
  torch::Tensor q_detached = q.detach();
  return {elementwise, config_.prioritized ? (q_detached - td_target).abs() : torch::Tensor(),
          q_detached};
}

BELLMAN_REGISTER_ALGORITHMS(dqn) {
  registry.push_back(MakeRegistration<Dqn, DqnConfig>("dqn"));
  // Discrete CQL on DQN (d3rlpy's DiscreteCQL defaults: alpha 1, double Q, lr 6.25e-5, batch 32,
  // target copy every 8000 gradient steps), for datasets; an offline run counts gradient steps.
  DqnConfig c;
  c.cql_alpha = 1.0;
  c.double_q = true;
  c.lr = 6.25e-5;
  c.learning_starts = 0;
  c.target_update_interval = 8000;
  c.exploration_initial_eps = 0.0;
  c.exploration_final_eps = 0.0;
  registry.push_back(MakeRegistration<Dqn, DqnConfig>("discrete_cql", c));
}

}  // namespace bellman::algos
