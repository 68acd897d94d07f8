// DQN (Mnih et al. 2015) with the options of Hessel et al. 2018 that compose through config:
// Double DQN (van Hasselt et al. 2016), dueling heads (Wang et al. 2016), n-step returns,
// prioritized replay (Schaul et al. 2016), soft (Polyak) or hard target updates, gradient
// clipping. Schedules follow Stable-Baselines3's DQN so that RL Zoo's hyperparameters mean the
// same thing here (docs/dqn.md). The shared machinery is ValueAgent (value_agent.h).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bellman/algos/value_agent.h"
#include "bellman/nets/q_network.h"

namespace bellman::algos {

struct DqnConfig : ValueAgentConfig {
  std::string loss = "huber";  // huber (smooth L1, Mnih 2015's error clipping) | mse

  template <class V>
  void Fields(V& v) {
    ValueAgentConfig::Fields(v);
    v("loss", loss);
  }
  // Throws bellman::Error naming the key: "dqn.gamma must be in [0, 1], got 1.5".
  void Validate() const;
};

class Dqn final : public ValueAgent {
 public:
  Dqn(const DqnConfig& config, AlgoContext context);

  // The TD target of Mnih et al. 2015 (eq. 2 / Algorithm 1: y = r + gamma max_a' Q_target(s', a'))
  // or Double DQN (van Hasselt et al. 2016, eq. 4: y = r + gamma Q_target(s', argmax_a Q(s', a))),
  // with the row's stored discount (gamma^k, 0 after a termination). Computed without grad.
  torch::Tensor TdTarget(const torch::Tensor& reward, const torch::Tensor& discount,
                         const torch::Tensor& next_obs);

  const DqnConfig& config() const { return config_; }
  nets::QNetwork& q_net() { return *q_net_; }
  nets::QNetwork& q_target() { return *q_target_; }

 protected:
  torch::Tensor ActionValues(const torch::Tensor& obs) override { return q_net_->forward(obs); }
  LossTerms Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                 const torch::Tensor& reward, const torch::Tensor& discount,
                 const torch::Tensor& next_obs) override;

 private:
  DqnConfig config_;
  std::shared_ptr<nets::QNetwork> q_net_;
  std::shared_ptr<nets::QNetwork> q_target_;
};

}  // namespace bellman::algos
