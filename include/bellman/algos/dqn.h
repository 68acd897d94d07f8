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
#include "bellman/algos/value_losses.h"
#include "bellman/nets/q_network.h"

namespace bellman::algos {

struct DqnConfig : ValueAgentConfig {
  // huber (smooth L1, Mnih 2015's error clipping) | mse | hl_gauss | two_hot. The last two are
  // the classification losses of "Stop Regressing" (Farebrother et al. 2024): the network
  // outputs num_bins logits per action over a fixed support on [v_min, v_max], Q is their
  // expectation, and the loss is the cross-entropy to the TD target encoded as a Gaussian
  // histogram (HL-Gauss, sigma = hl_gauss_sigma_ratio * bin width) or a two-hot vector.
  std::string loss = "huber";
  double v_min = -10.0;
  double v_max = 10.0;
  int64_t num_bins = 51;
  double hl_gauss_sigma_ratio = 0.75;
  // none | h | log: the network predicts f(Q) for an invertible f, and the TD target is
  // f(r + discount f^-1(Q_target)) (Pohlen et al. 2018, eq. 2; R2D2's h(x) = sign(x)
  // (sqrt(|x| + 1) - 1) + 1e-3 x; `log` is the symmetric log sign(x) ln(1 + |x|)).
  std::string value_transform = "none";
  // Discrete CQL (Kumar et al. 2020, eq. 4 with the CQL(H) regulariser of Sec. 3.2, as its
  // discrete-action experiments use it): cql_alpha * (logsumexp_a Q(s, a) - Q(s, a_data)) is
  // added to each sample's TD loss; 0 is plain DQN. Registered as `discrete_cql` (offline).
  double cql_alpha = 0.0;

  template <class V>
  void Fields(V& v) {
    ValueAgentConfig::Fields(v);
    v("loss", loss);
    v("v_min", v_min);
    v("v_max", v_max);
    v("num_bins", num_bins);
    v("hl_gauss_sigma_ratio", hl_gauss_sigma_ratio);
    v("value_transform", value_transform);
    v("cql_alpha", cql_alpha);
  }
  bool classification() const { return loss == "hl_gauss" || loss == "two_hot"; }
  // Throws bellman::Error naming the key: "dqn.gamma must be in [0, 1], got 1.5".
  void Validate(const std::string& algo = "dqn") const;
};

class Dqn final : public ValueAgent {
 public:
  Dqn(const DqnConfig& config, AlgoContext context, const std::string& name = "dqn");

  // The TD target of Mnih et al. 2015 (eq. 2 / Algorithm 1: y = r + gamma max_a' Q_target(s', a'))
  // or Double DQN (van Hasselt et al. 2016, eq. 4: y = r + gamma Q_target(s', argmax_a Q(s', a))),
  // with the row's stored discount (gamma^k, 0 after a termination). Computed without grad. With
  // a value transform f the result is f(r + discount f^-1(...)), in the network's space.
  torch::Tensor TdTarget(const torch::Tensor& reward, const torch::Tensor& discount,
                         const torch::Tensor& next_obs);

  const DqnConfig& config() const { return config_; }
  nets::QNetwork& q_net() { return *q_net_; }
  nets::QNetwork& q_target() { return *q_target_; }

 protected:
  torch::Tensor ActionValues(const torch::Tensor& obs) override { return Values(*q_net_, obs); }
  LossTerms Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                 const torch::Tensor& reward, const torch::Tensor& discount,
                 const torch::Tensor& next_obs) override;

 private:
  // Q-values [B, A] in the network's (transformed) space: the output itself, or the expectation
  // of the classification head.
  torch::Tensor Values(nets::QNetwork& net, const torch::Tensor& obs) const;

  DqnConfig config_;
  ValueTransform transform_;
  torch::Tensor support_;  // classification losses: the bins' values
  std::shared_ptr<nets::QNetwork> q_net_;
  std::shared_ptr<nets::QNetwork> q_target_;
};

}  // namespace bellman::algos
