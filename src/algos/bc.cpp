// Behaviour cloning for Box actions: a deterministic policy regressed on the dataset's actions,
// pi(s) = tanh(f(s)) in [-1, 1] units, loss = mean (pi(s) - a)^2 (the BC baseline of D4RL and
// CORL, algorithms/offline/any_percent_bc.py, on all of the data). Offline only: it learns
// nothing from rewards, so online it would only imitate its own actions.
#include <fmt/format.h>

#include <cmath>

#include "bellman/algos/actor_critic.h"
#include "bellman/core/validate.h"

namespace bellman::algos {

struct BcConfig : ContinuousAgentConfig {
  BcConfig() {
    hidden_sizes = {256, 256};
    learning_starts = 0;
  }
  template <class V>
  void Fields(V& v) {
    ContinuousAgentConfig::Fields(v);
  }
  void Validate(const std::string& a) const { ContinuousAgentConfig::Validate(a); }
};

class Bc final : public ContinuousAgent {
 public:
  Bc(const BcConfig& config, AlgoContext context, const std::string& name)
      : ContinuousAgent(config, context, name), config_(config) {
    actor_ = MakeNet(config_.hidden_sizes, action_dim(), /*with_action=*/false);
    optimizer_ = MakeAdam(actor_->parameters(), config_.lr);
  }

  std::vector<std::string> metric_names() const override { return {"bc_loss"}; }

  Metrics Learn(const Batch& batch) override {
    ++num_updates_;
    const BatchTensors t = Tensors(batch);
    torch::Tensor loss = torch::mse_loss(torch::tanh(actor_->forward(t.obs)), t.action);
    const double value = loss.item<double>();
    if (!std::isfinite(value)) CheckFinite(loss, "bc_loss");
    Step(*optimizer_, loss);
    return {{"bc_loss", value}};
  }

 private:
  torch::Tensor PolicyActions(const torch::Tensor& obs, bool /*explore*/) override {
    return torch::tanh(actor_->forward(obs));
  }

  void DeclareModules(nets::StateDict& state) override {
    state.AddModule("actor", *actor_);
    state.AddOptimizer("optimizer", *optimizer_);
  }

  BcConfig config_;
  MlpNet actor_ = nullptr;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

BELLMAN_REGISTER_ALGORITHMS(bc) { registry.push_back(MakeRegistration<Bc, BcConfig>("bc")); }

}  // namespace bellman::algos
