// i-DQN (registered "idqn"): i-QN, iterated Q-Network (Vincent et al. 2024, "Iterated Q-Network:
// Beyond One-Step Bellman Updates in Deep Reinforcement Learning"), on DQN: K online Q-functions
// Q_1..Q_K learn K consecutive Bellman iterations at once, each regressing on the (stop-gradient,
// periodically copied) previous one: loss = sum_k L(Q_k(s, a), r + discount max_a' Qbar_{k-1}(s',
// a')).
//
// Here the K functions are K heads of one network (shared torso; the network's output is
// [B, A * K], head k at column a * K + k), and there are two copies:
// - `anchor` (Qbar_0): the copy of head 1 taken at each rolling step, every
//   `rolling_step_interval` env steps. A rolling step also shifts the online heads: head k takes
//   head k+1's output-layer weights (the last head keeps its own), so every function moves one
//   Bellman iteration down the chain (the paper's Algorithm 1, "rolling step").
// - `target` (Qbar_1..Qbar_{K-1}): a hard copy of the online network every
//   `target_update_interval` env steps (the paper's frequent target update, D).
// With K = 1 this is DQN with rolling_step_interval as its target period. Acting uses Q_1 (the
// head one step past the anchor; decision documented in docs/distributional.md).
#include <fmt/format.h>

#include "bellman/algos/value_agent.h"
#include "bellman/core/error.h"
#include "bellman/nets/params.h"

namespace bellman::algos {

namespace {

struct IteratedDqnConfig : ValueAgentConfig {
  int64_t num_bellman_iterations = 3;    // K
  int64_t rolling_step_interval = 8000;  // env steps between rolling steps (T)
  std::string loss = "huber";            // huber | mse

  IteratedDqnConfig() { target_update_interval = 30; }

  template <class V>
  void Fields(V& v) {
    ValueAgentConfig::Fields(v);
    v("num_bellman_iterations", num_bellman_iterations);
    v("rolling_step_interval", rolling_step_interval);
    v("loss", loss);
  }
  void Validate(const std::string& algo) const {
    ValueAgentConfig::Validate(algo);
    if (num_bellman_iterations < 1) {
      throw Error(fmt::format("{}.num_bellman_iterations must be >= 1, got {}", algo,
                              num_bellman_iterations));
    }
    if (rolling_step_interval < 1) {
      throw Error(fmt::format("{}.rolling_step_interval must be >= 1, got {}", algo,
                              rolling_step_interval));
    }
    if (loss != "huber" && loss != "mse") {
      throw Error(fmt::format("{}.loss must be huber or mse, got '{}'", algo, loss));
    }
    if (net.dueling) throw Error(fmt::format("{}: net.dueling is not supported", algo));
  }
};

class IteratedDqn final : public ValueAgent {
 public:
  IteratedDqn(const IteratedDqnConfig& config, AlgoContext context, const std::string& name)
      : ValueAgent(config, context, name), config_(config), num_envs_(context.num_envs) {
    config_.Validate(name);
    const int64_t k = config_.num_bellman_iterations;
    q_net_ = nets::MakeQNetwork(config_.net, obs_shape(), num_actions(), device(), sample_rng(), k);
    q_target_ = q_net_->Clone();
    anchor_ = q_net_->Clone();
    for (auto& p : anchor_->parameters()) p.requires_grad_(false);
    SetNetworks(q_net_, q_target_);
  }

  void OnEnvStep(int64_t env_steps) override {
    ValueAgent::OnEnvStep(env_steps);
    ++num_calls_;
    const int64_t every = std::max<int64_t>(config_.rolling_step_interval / num_envs_, 1);
    if (num_calls_ % every == 0) RollingStep();
  }

 protected:
  torch::Tensor ActionValues(const torch::Tensor& obs) override { return Head(*q_net_, obs, 0); }

  LossTerms Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                 const torch::Tensor& reward, const torch::Tensor& discount,
                 const torch::Tensor& next_obs) override {
    const int64_t b = obs.size(0);
    const int64_t k = config_.num_bellman_iterations;
    torch::Tensor targets;  // [B, K]: target of head j from Qbar_{j} (j = 0: the anchor)
    {
      torch::NoGradGuard no_grad;
      torch::Tensor next_anchor = Head(*anchor_, next_obs, 0);  // Qbar_0 = anchored Q_1
      std::vector<torch::Tensor> next_values{BootstrapValue(next_anchor, next_obs, 0)};
      if (k > 1) {
        torch::Tensor next_all = All(*q_target_, next_obs);  // [B, A, K]
        for (int64_t j = 1; j < k; ++j) {
          next_values.push_back(BootstrapValue(next_all.select(2, j - 1), next_obs, j - 1));
        }
      }
      targets = reward.unsqueeze(1) + discount.unsqueeze(1) * torch::stack(next_values, 1);
    }
    CheckFinite(targets, "td_target");
    torch::Tensor all = All(*q_net_, obs);  // [B, A, K]
    CheckFinite(all, "q_values");
    torch::Tensor q = all.gather(1, actions.view({b, 1, 1}).expand({b, 1, k})).squeeze(1);
    torch::Tensor per_head = config_.loss == "huber"
                                 ? torch::smooth_l1_loss(q, targets, at::Reduction::None)
                                 : torch::mse_loss(q, targets, at::Reduction::None);
    torch::Tensor q_first = q.select(1, 0).detach();
    return {per_head.sum(1), (q_first - targets.select(1, 0)).abs(), q_first};
  }

  void DeclareExtraState(nets::StateDict& state) override {
    state.AddModule("anchor", *anchor_, /*frozen=*/true);
    state.AddInt("num_calls", num_calls_);
    state.AddInt("num_rolling_steps", num_rolling_steps_);
  }

 private:
  torch::Tensor All(nets::QNetwork& net, const torch::Tensor& obs) const {
    return net.forward(obs).view({obs.size(0), num_actions(), config_.num_bellman_iterations});
  }
  torch::Tensor Head(nets::QNetwork& net, const torch::Tensor& obs, int64_t j) const {
    return All(net, obs).select(2, j);
  }
  // max_a' of the next values, or with double_q the value at the online head's argmax.
  torch::Tensor BootstrapValue(const torch::Tensor& next, const torch::Tensor& next_obs,
                               int64_t online_head) {
    if (!config_.double_q) return std::get<0>(next.max(1));
    torch::Tensor a_star = Head(*q_net_, next_obs, online_head).argmax(1, /*keepdim=*/true);
    return next.gather(1, a_star).squeeze(1);
  }

  // Qbar_0 <- Q_1, then Q_j <- Q_{j+1} on the output layer (the last head keeps its weights).
  void RollingStep() {
    torch::NoGradGuard no_grad;
    nets::HardUpdate(*anchor_, *q_net_);
    const int64_t k = config_.num_bellman_iterations;
    if (k > 1) {
      auto layers = q_net_->linears();
      if (layers.empty()) throw Error("i-QN: the network exposes no output layer");
      const nets::LinearView& out = layers.back();
      // Output rows a * K + j.
      torch::Tensor w = out.weight.view({num_actions(), k, -1});
      torch::Tensor bias = out.bias.view({num_actions(), k});
      w.narrow(1, 0, k - 1).copy_(w.narrow(1, 1, k - 1).clone());
      bias.narrow(1, 0, k - 1).copy_(bias.narrow(1, 1, k - 1).clone());
    }
    ++num_rolling_steps_;
  }

  IteratedDqnConfig config_;
  int num_envs_;
  std::shared_ptr<nets::QNetwork> q_net_;
  std::shared_ptr<nets::QNetwork> q_target_;
  std::shared_ptr<nets::QNetwork> anchor_;
  int64_t num_calls_ = 0;
  int64_t num_rolling_steps_ = 0;
};

}  // namespace

BELLMAN_REGISTER_ALGORITHMS(idqn) {
  registry.push_back(MakeRegistration<IteratedDqn, IteratedDqnConfig>("idqn"));
}

}  // namespace bellman::algos
