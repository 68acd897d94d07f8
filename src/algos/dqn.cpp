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

void DqnConfig::Validate() const {
  ValueAgentConfig::Validate("dqn");
  if (loss != "huber" && loss != "mse") {
    throw Error(fmt::format("dqn.loss must be huber or mse, got '{}'", loss));
  }
}

Dqn::Dqn(const DqnConfig& config, AlgoContext context)
    : ValueAgent(config, context, "dqn"), config_(config) {
  config_.Validate();
  int64_t obs_size = 1;
  for (int64_t d : obs_shape()) obs_size *= d;
  q_net_ = nets::MakeQNetwork(config_.net, obs_size, num_actions(), device(), sample_rng());
  q_target_ = q_net_->Clone();
  SetNetworks(q_net_, q_target_);
}

torch::Tensor Dqn::TdTarget(const torch::Tensor& reward, const torch::Tensor& discount,
                            const torch::Tensor& next_obs) {
  torch::NoGradGuard no_grad;
  torch::Tensor next_q_target = q_target_->forward(next_obs);  // [B, A]
  torch::Tensor next_q;
  if (config_.double_q) {
    // van Hasselt et al. 2016, eq. 4: the online net selects a', the target net evaluates it.
    torch::Tensor a_star = q_net_->forward(next_obs).argmax(1, /*keepdim=*/true);
    next_q = next_q_target.gather(1, a_star).squeeze(1);
  } else {
    // Mnih et al. 2015, Algorithm 1: y = r + gamma * max_a' Q_target(s', a').
    next_q = std::get<0>(next_q_target.max(1));
  }
  // discount = gamma^k, or 0 where the transition terminated (the replay stores it;
  // docs/replay.md).
  return reward + discount * next_q;
}

ValueAgent::LossTerms Dqn::Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                                const torch::Tensor& reward, const torch::Tensor& discount,
                                const torch::Tensor& next_obs) {
  torch::Tensor td_target = TdTarget(reward, discount, next_obs);
  CheckFinite(td_target, "td_target");
  torch::Tensor q_all = q_net_->forward(obs);
  CheckFinite(q_all, "q_values");
  torch::Tensor q = q_all.gather(1, actions).squeeze(1);
  // Huber loss = Mnih et al. 2015's clipping of the TD error to [-1, 1] in the gradient.
  torch::Tensor elementwise = config_.loss == "huber"
                                  ? torch::smooth_l1_loss(q, td_target, at::Reduction::None)
                                  : torch::mse_loss(q, td_target, at::Reduction::None);
  torch::Tensor q_detached = q.detach();
  return {elementwise, config_.prioritized ? (q_detached - td_target).abs() : torch::Tensor(),
          q_detached};
}

// ---- registration ----------------------------------------------------------------------------

namespace {

DqnConfig LoadDqnConfig(const YAML::Node& node) {
  auto cfg = LoadConfig<DqnConfig>(node, "dqn");
  cfg.Validate();
  return cfg;
}

}  // namespace

AlgoRegistration DqnRegistration() {
  return AlgoRegistration{
      .name = "dqn",
      .resolve = [](const YAML::Node& node) { return DumpConfig(LoadDqnConfig(node)); },
      .make = [](const YAML::Node& node,
                 AlgoContext context) -> std::unique_ptr<OffPolicyAlgorithm> {
        return std::make_unique<Dqn>(LoadDqnConfig(node), std::move(context));
      }};
}

}  // namespace bellman::algos
