// CQN (Seo et al. 2024, "Continuous Control with Coarse-to-fine Reinforcement Learning"),
// registered "cqn": Q-learning for Box action spaces by `levels` rounds of discretisation into
// `bins_per_dim` bins per dimension, each round zooming into the bin chosen in the previous one
// (docs/discretised.md).
//
// Levels (section 3): at level l = 1..L every dimension d has an interval [lo_d, hi_d] (level 1:
// [-1, 1]), split into B equal bins. The critic, one network shared by all levels, sees
//   x_l = [s, a^{l-1}, onehot(l)],  a^{l-1} = the centres of the current intervals (level 1: 0)
// and outputs U^l_d(s, a^{l-1}, b) for every dimension d and bin b, Q^l = 1/M sum_d U^l_d
// (the decoupled critic of DecQN, Seyde et al. 2023, eq. 4, used by CQN per level).
// Acting zooms in greedily: b_d = argmax_b U^l_d, the chosen bin becomes the next interval; the
// action is the centre of the last interval.
// Targets per level (the paper's eq. 2 with the decoupled max and double Q):
//   y^l = r + discount * 1/M sum_d U~^l_d(s', a'^{l-1}, argmax_b U^l_d(s', a'^{l-1}, b))
// where a'^{l-1} comes from zooming in greedily on s' with the online critic (which also
// selects the bins) and U~ is the target network (Polyak, tau). The loss sums the levels' Huber
// (or MSE) losses between Q^l(s, a^{l-1}, a^l) and y^l. A replayed action is mapped back to
// bins level by level by locating it in the successive intervals (floor, clamped).
// Expected-value critic: the paper's distributional (C51) critic is not implemented.
// Exploration: Gaussian noise N(0, action_noise^2) on the final action, clipped to [-1, 1].
#include <fmt/format.h>

#include <cmath>

#include "bellman/algos/actor_critic.h"
#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"

namespace bellman::algos {

namespace {

struct CqnConfig : ContinuousAgentConfig {
  int64_t levels = 3;                  // L
  int64_t bins_per_dim = 5;            // B
  int64_t target_update_interval = 1;  // gradient steps between target (Polyak) updates
  std::string loss = "huber";          // huber | mse
  double max_grad_norm = 40.0;
  bool double_q = true;       // online critic zooms and selects, target evaluates
  double action_noise = 0.1;  // std of the Gaussian exploration noise, in [-1, 1] units

  CqnConfig() {
    lr = 1e-4;
    n_step = 3;
    tau = 0.02;
  }

  template <class V>
  void Fields(V& v) {
    ContinuousAgentConfig::Fields(v);
    v("levels", levels);
    v("bins_per_dim", bins_per_dim);
    v("target_update_interval", target_update_interval);
    v("loss", loss);
    v("max_grad_norm", max_grad_norm);
    v("double_q", double_q);
    v("action_noise", action_noise);
  }

  void Validate(const std::string& a) const {
    ContinuousAgentConfig::Validate(a);
    Require(levels >= 1 && levels <= 16, "{}.levels must be in [1, 16], got {}", a, levels);
    Require(bins_per_dim >= 2 && bins_per_dim <= 1000,
            "{}.bins_per_dim must be in [2, 1000], got {}", a, bins_per_dim);
    Require(target_update_interval >= 1, "{}.target_update_interval must be >= 1, got {}", a,
            target_update_interval);
    Require(loss == "huber" || loss == "mse", "{}.loss must be huber or mse, got '{}'", a, loss);
    Require(max_grad_norm > 0.0 && std::isfinite(max_grad_norm),
            "{}.max_grad_norm must be a finite number > 0, got {}", a, max_grad_norm);
    Require(action_noise >= 0.0 && std::isfinite(action_noise),
            "{}.action_noise must be a finite number >= 0, got {}", a, action_noise);
  }
};

class Cqn final : public ContinuousAgent {
 public:
  Cqn(const CqnConfig& config, AlgoContext context, const std::string& name)
      : ContinuousAgent(config, context, name),
        config_(config),
        levels_(config.levels),
        bins_(config.bins_per_dim) {
    nets::MlpOptions o;
    o.input_size = obs_dim() + action_dim() + levels_;
    o.hidden_sizes = config_.critic_sizes();
    o.output_size = action_dim() * bins_;
    o.activation = nets::ParseActivation(config_.activation);
    critic_ = MlpNet(o, net_rng(), config_.fast_path);
    target_ = MlpNet(critic_->CloneTarget());
    params_ = critic_->parameters();
    optimizer_ = MakeAdam(params_, config_.lr);
  }

  std::vector<std::string> metric_names() const override {
    return {"critic_loss", "q_mean", "grad_norm"};
  }

  Metrics Learn(const Batch& batch) override {
    const BatchTensors t = Tensors(batch);
    const int64_t b = batch.size();
    const int64_t m = action_dim();
    // The replayed action located level by level: the inputs x_l and the bins taken.
    std::vector<torch::Tensor> inputs, taken;
    {
      torch::Tensor lo = torch::full({b, m}, -1.0f);
      torch::Tensor hi = torch::full({b, m}, 1.0f);
      for (int64_t l = 0; l < levels_; ++l) {
        inputs.push_back(Input(t.obs, lo, hi, l));
        const torch::Tensor width = (hi - lo) / static_cast<float>(bins_);
        const torch::Tensor bin =
            ((t.action - lo) / width).floor().clamp(0.0, static_cast<double>(bins_ - 1));
        taken.push_back(bin.to(torch::kLong));
        Zoom(lo, hi, bin);
      }
    }
    torch::Tensor td_target;  // [L, B]
    {
      torch::NoGradGuard no_grad;
      std::vector<torch::Tensor> next_inputs, next_bins;
      torch::Tensor lo = torch::full({b, m}, -1.0f);
      torch::Tensor hi = torch::full({b, m}, 1.0f);
      for (int64_t l = 0; l < levels_; ++l) {
        next_inputs.push_back(Input(t.next_obs, lo, hi, l));
        MlpNet& select = config_.double_q ? critic_ : target_;
        torch::Tensor bin = select->forward(next_inputs.back()).view({b, m, bins_}).argmax(2);
        next_bins.push_back(bin);
        Zoom(lo, hi, bin.to(torch::kFloat32));
      }
      torch::Tensor next_u = target_->forward(torch::cat(next_inputs, 0))
                                 .view({levels_, b, m, bins_})
                                 .gather(3, torch::stack(next_bins, 0).unsqueeze(3))
                                 .squeeze(3);  // [L, B, M]
      td_target = t.reward.unsqueeze(0) + t.discount.unsqueeze(0) * next_u.mean(2);
    }
    torch::Tensor q = critic_->forward(torch::cat(inputs, 0))
                          .view({levels_, b, m, bins_})
                          .gather(3, torch::stack(taken, 0).unsqueeze(3))
                          .squeeze(3)
                          .mean(2);  // [L, B]
    // Sum over levels of each level's mean loss.
    torch::Tensor loss = (config_.loss == "huber" ? torch::smooth_l1_loss(q, td_target)
                                                  : torch::mse_loss(q, td_target)) *
                         static_cast<float>(levels_);
    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value)) CheckFinite(loss, "critic_loss");
    const double grad_norm = Step(*optimizer_, loss, &params_, config_.max_grad_norm);
    ++num_updates_;
    const auto timed = TimeTargetUpdate();
    if (num_updates_ % config_.target_update_interval == 0) {
      if (config_.tau >= 1.0) {
        nets::HardUpdate(*target_, *critic_);
      } else {
        nets::SoftUpdate(*target_, *critic_, config_.tau);
      }
    }
    return {{"critic_loss", loss_value},
            {"q_mean", q.detach().select(0, levels_ - 1).mean().item<double>()},
            {"grad_norm", grad_norm}};
  }

 private:
  // x_l = [obs, centres of [lo, hi], onehot(l)], [n, obs_dim + M + L].
  torch::Tensor Input(const torch::Tensor& obs, const torch::Tensor& lo, const torch::Tensor& hi,
                      int64_t level) const {
    torch::Tensor onehot = torch::zeros({obs.size(0), levels_});
    onehot.select(1, level).fill_(1.0f);
    return torch::cat({obs, 0.5f * (lo + hi), onehot}, 1);
  }

  // [lo, hi] <- the bin-th of bins_ equal parts of [lo, hi] (bin as float32).
  void Zoom(torch::Tensor& lo, torch::Tensor& hi, const torch::Tensor& bin) const {
    const torch::Tensor width = (hi - lo) / static_cast<float>(bins_);
    const torch::Tensor new_lo = lo + bin * width;
    hi = new_lo + width;
    lo = new_lo;
  }

  torch::Tensor PolicyActions(const torch::Tensor& obs, bool explore) override {
    const int64_t n = obs.size(0);
    const int64_t m = action_dim();
    torch::Tensor lo = torch::full({n, m}, -1.0f);
    torch::Tensor hi = torch::full({n, m}, 1.0f);
    for (int64_t l = 0; l < levels_; ++l) {
      torch::Tensor bin = critic_->forward(Input(obs, lo, hi, l)).view({n, m, bins_}).argmax(2);
      Zoom(lo, hi, bin.to(torch::kFloat32));
    }
    torch::Tensor u = 0.5f * (lo + hi);
    if (explore && config_.action_noise > 0.0) {
      u = (u + StandardNormal(explore_rng(), {n, m}) * static_cast<float>(config_.action_noise))
              .clamp(-1.0f, 1.0f);
    }
    return u;
  }

  void DeclareModules(nets::StateDict& state) override {
    state.AddModule("critic", *critic_);
    state.AddModule("critic_target", *target_, /*frozen=*/true);
    state.AddOptimizer("critic_optimizer", *optimizer_);
  }

  CqnConfig config_;
  int64_t levels_;
  int64_t bins_;
  MlpNet critic_ = nullptr;
  MlpNet target_ = nullptr;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

}  // namespace

BELLMAN_REGISTER_ALGORITHMS(cqn) { registry.push_back(MakeRegistration<Cqn, CqnConfig>("cqn")); }

}  // namespace bellman::algos
