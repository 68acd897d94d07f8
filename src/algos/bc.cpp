// Behaviour cloning (the BC baseline of D4RL and CORL, algorithms/offline/any_percent_bc.py, on
// all of the data). Offline only: it learns nothing from rewards, so online it would only imitate
// its own actions.
//   bc (Box actions), in [-1, 1] units with states normalised by the dataset's statistics:
//     loss mse:      pi(s) = tanh(f(s)),  L = mean (pi(s) - a)^2
//     loss gaussian: N(tanh(mu(s)), exp(log_std(s))^2), L = mean -log N(a; ...) (summed over
//                    the action's dimensions); evaluation plays the mean, exploring
//                    (Best-of-N's candidates) samples.
//   discrete_bc (Discrete actions): logits f(s), L = mean cross-entropy(f(s), a); evaluation plays
//     argmax f(s). The network is the DQN family's (MLP, or MinAtar's conv torso).
#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "bellman/algos/actor_critic.h"
#include "bellman/algos/value_agent.h"
#include "bellman/core/validate.h"

namespace bellman::algos {

struct BcConfig : ContinuousAgentConfig {
  std::string loss = "mse";  // mse | gaussian
  double log_std_min = -5.0;
  double log_std_max = 2.0;

  BcConfig() {
    hidden_sizes = {256, 256};
    learning_starts = 0;
    normalize_obs = true;
  }
  template <class V>
  void Fields(V& v) {
    ContinuousAgentConfig::Fields(v);
    v("loss", loss);
    v("log_std_min", log_std_min);
    v("log_std_max", log_std_max);
  }
  void Validate(const std::string& a) const {
    ContinuousAgentConfig::Validate(a);
    Require(loss == "mse" || loss == "gaussian", "{}.loss must be mse or gaussian, got '{}'", a,
            loss);
    Require(log_std_min < log_std_max, "{}.log_std_min ({}) must be below log_std_max ({})", a,
            log_std_min, log_std_max);
  }
};

class Bc final : public ContinuousAgent {
 public:
  Bc(const BcConfig& config, AlgoContext context, const std::string& name)
      : ContinuousAgent(config, context, name), config_(config) {
    const int64_t outputs = gaussian() ? 2 * action_dim() : action_dim();
    actor_ = MakeNet(config_.hidden_sizes, outputs, /*with_action=*/false);
    optimizer_ = MakeAdam(actor_->parameters(), config_.lr);
  }

  std::vector<std::string> metric_names() const override { return {"bc_loss"}; }

  Metrics Learn(const Batch& batch) override {
    ++num_updates_;
    const BatchTensors t = Tensors(batch);
    torch::Tensor loss;
    if (gaussian()) {
      const torch::Tensor out = actor_->forward(t.obs);
      const torch::Tensor mean = torch::tanh(out.narrow(1, 0, action_dim()));
      const torch::Tensor log_std =
          out.narrow(1, action_dim(), action_dim()).clamp(config_.log_std_min, config_.log_std_max);
      const auto half_log_2pi = static_cast<float>(0.5 * std::log(2.0 * std::numbers::pi));
      loss = (0.5f * ((t.action - mean) * torch::exp(-log_std)).pow(2) + log_std + half_log_2pi)
                 .sum(1)
                 .mean();
    } else {
      loss = torch::mse_loss(torch::tanh(actor_->forward(t.obs)), t.action);
    }
    const double value = loss.item<double>();
    if (!std::isfinite(value)) CheckFinite(loss, "bc_loss");
    Step(*optimizer_, loss);
    return {{"bc_loss", value}};
  }

 private:
  bool gaussian() const { return config_.loss == "gaussian"; }

  // Evaluation plays the mean; explore (Best-of-N's candidates, `collect` with the run) draws
  // from the Gaussian, clipped to [-1, 1]. The mse policy has no spread: it is deterministic.
  torch::Tensor PolicyActions(const torch::Tensor& obs, bool explore) override {
    const torch::Tensor out = actor_->forward(obs);
    const torch::Tensor mean = torch::tanh(out.narrow(1, 0, action_dim()));
    if (!explore || !gaussian()) return mean;
    const torch::Tensor std = torch::exp(
        out.narrow(1, action_dim(), action_dim()).clamp(config_.log_std_min, config_.log_std_max));
    return (mean + std * StandardNormal(explore_rng(), {obs.size(0), action_dim()}))
        .clamp(-1.0f, 1.0f);
  }

  void DeclareModules(nets::StateDict& state) override {
    state.AddModule("actor", *actor_);
    state.AddOptimizer("optimizer", *optimizer_);
  }

  BcConfig config_;
  MlpNet actor_ = nullptr;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

struct DiscreteBcConfig : ValueAgentConfig {
  DiscreteBcConfig() {
    lr = 3e-4;
    batch_size = 256;
    learning_starts = 0;
    max_grad_norm = 0.0;
    exploration_initial_eps = 0.0;
    exploration_final_eps = 0.0;
    net.hidden_sizes = {256, 256};
  }
};

class DiscreteBc final : public ValueAgent {
 public:
  DiscreteBc(const DiscreteBcConfig& config, AlgoContext context, const std::string& name)
      : ValueAgent(config, context, name), config_(config) {
    config_.Validate(name);
    logits_ = nets::MakeQNetwork(config_.net, obs_shape(), num_actions(), device(), sample_rng());
    // ValueAgent keeps a target copy; BC never reads it.
    SetNetworks(logits_, logits_->Clone());
  }

  std::vector<std::string> metric_names() const override { return {"loss", "logit_mean"}; }

 private:
  torch::Tensor ActionValues(const torch::Tensor& obs) override { return logits_->forward(obs); }

  LossTerms Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                 const torch::Tensor& /*reward*/, const torch::Tensor& /*discount*/,
                 const torch::Tensor& /*next_obs*/) override {
    const torch::Tensor logits = logits_->forward(obs);
    CheckFinite(logits, "logits");
    const torch::Tensor a = actions.view({-1});
    torch::Tensor ce = torch::nn::functional::cross_entropy(
        logits, a, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    const torch::Tensor taken = logits.detach().gather(1, a.view({-1, 1})).squeeze(1);
    return {ce, config_.prioritized ? ce.detach() : torch::Tensor(), taken};
  }

  DiscreteBcConfig config_;
  std::shared_ptr<nets::QNetwork> logits_;
};

BELLMAN_REGISTER_ALGORITHMS(bc) {
  registry.push_back(MakeRegistration<Bc, BcConfig>("bc"));
  registry.push_back(MakeRegistration<DiscreteBc, DiscreteBcConfig>("discrete_bc"));
}

}  // namespace bellman::algos
