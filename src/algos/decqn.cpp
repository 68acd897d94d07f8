// DecQN (Seyde et al. 2023, "Solving Continuous Control via Q-learning") and REValueD (Ireland &
// Montana 2024, "REValueD: Regularised Ensemble Value-Decomposition for Factorisable Markov
// Decision Processes"), registered "decqn" and "revalued": pure Q-learning for Box action
// spaces, each action dimension discretised into `bins_per_dim` evenly spaced values in [-1, 1]
// (both ends included; ContinuousAgent maps [-1, 1] to the env's bounds). docs/discretised.md.
//
// DecQN (section 3):
//   Q(s, a) = 1/M sum_d U_d(s, a_d)                                   value decomposition, eq. 4
//   y = r + discount * 1/M sum_d U~_d(s', argmax_b U_d(s', b))         double Q per dimension
//   loss = Huber (or MSE) (Q(s, a), y); every target_update_interval gradient steps the target
//   takes tau of the online net (tau 1: a hard copy, the default).
// `discount` is the batch's gamma^k (0 after a termination; n_step from the base config). The
// critic is one MLP obs -> M x bins outputs, U_d(s, b) at column d * bins + b. A replayed action
// u in [-1, 1] maps back to its bin by round((u + 1) / 2 * (bins - 1)).
// Exploration: epsilon-greedy per dimension, each dimension independently replaced by a uniform
// random bin with probability epsilon (SB3 DQN's linear schedule of epsilon).
//
// REValueD (section 4): an ensemble of K critics U^k, each with its own target network.
//   y = r + discount * 1/M sum_d Ubar~_d(s', b*_d),  Ubar~_d = 1/K sum_k U~^k_d,
//   b*_d = argmax_b 1/K sum_k U^k_d(s', b)                              ensemble-mean target
//   loss = sum_k [ L(Q^k(s, a), y) + reg_coef * L_reg^k ]
//   L_reg^k = E_batch 1/M sum_d w^k_d (U^k_d(s, a_d) - U~^k_d(s, a_d))^2,
//   w^k_d = 1 - exp(-|delta^k_d|), delta^k_d = y - U^k_d(s, a_d)   (weights without gradient)
// The regulariser (the paper's regularised value-decomposition loss, section 4.2 as we read it;
// the published code, github.com/davidireland3/REValueD, lists it as a to-do) keeps the utility
// of each taken sub-action near its target network's estimate, more so where the dimension's own
// error is large: an exploratory sub-action in one dimension then moves the other dimensions'
// utilities less. Acting uses the ensemble mean of the utilities. With K = 1 and reg_coef = 0
// this is DecQN exactly.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "bellman/algos/actor_critic.h"
#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"

namespace bellman::algos {

namespace {

struct DecqnConfig : ContinuousAgentConfig {
  int64_t bins_per_dim = 5;              // sub-actions per dimension (the paper's bang-bang is 2)
  int64_t target_update_interval = 100;  // gradient steps between target updates (paper: 100)
  std::string loss = "huber";            // huber | mse
  double max_grad_norm = 40.0;           // global gradient norm clip (the authors' code: 40)
  bool double_q = true;                  // online net selects the next bins, target evaluates
  double exploration_fraction = 0.1;     // of the run over which epsilon decays linearly
  double exploration_initial_eps = 1.0;
  double exploration_final_eps = 0.05;
  int64_t ensemble_size = 1;  // K critics (REValueD: 5 here; the authors' code: 10)
  double reg_coef = 0.0;      // REValueD's regulariser weight (0: off)

  DecqnConfig() {
    lr = 1e-4;  // the paper's Adam learning rate
    n_step = 3;
    tau = 1.0;  // hard copies every target_update_interval gradient steps
  }

  template <class V>
  void Fields(V& v) {
    ContinuousAgentConfig::Fields(v);
    v("bins_per_dim", bins_per_dim);
    v("target_update_interval", target_update_interval);
    v("loss", loss);
    v("max_grad_norm", max_grad_norm);
    v("double_q", double_q);
    v("exploration_fraction", exploration_fraction);
    v("exploration_initial_eps", exploration_initial_eps);
    v("exploration_final_eps", exploration_final_eps);
    v("ensemble_size", ensemble_size);
    v("reg_coef", reg_coef);
  }

  void Validate(const std::string& a) const {
    ContinuousAgentConfig::Validate(a);
    Require(bins_per_dim >= 2 && bins_per_dim <= 1000,
            "{}.bins_per_dim must be in [2, 1000], got {}", a, bins_per_dim);
    Require(target_update_interval >= 1, "{}.target_update_interval must be >= 1, got {}", a,
            target_update_interval);
    Require(loss == "huber" || loss == "mse", "{}.loss must be huber or mse, got '{}'", a, loss);
    Require(max_grad_norm > 0.0 && std::isfinite(max_grad_norm),
            "{}.max_grad_norm must be a finite number > 0, got {}", a, max_grad_norm);
    ValidateEpsilonSchedule(a, exploration_fraction, exploration_initial_eps,
                            exploration_final_eps);
    Require(ensemble_size >= 1 && ensemble_size <= 32,
            "{}.ensemble_size must be in [1, 32], got {}", a, ensemble_size);
    Require(reg_coef >= 0.0 && std::isfinite(reg_coef),
            "{}.reg_coef must be a finite number >= 0, got {}", a, reg_coef);
  }
};

// SB3's get_linear_fn(initial, final, fraction) at the run's progress (as DQN's schedule).
double LinearEpsilon(double initial, double final_eps, double fraction, int64_t step,
                     int64_t total) {
  const double done = static_cast<double>(step) / static_cast<double>(std::max<int64_t>(total, 1));
  if (done > fraction) return final_eps;
  return initial + done * (final_eps - initial) / fraction;
}

class Decqn final : public ContinuousAgent {
 public:
  Decqn(const DecqnConfig& config, AlgoContext context, const std::string& name)
      : ContinuousAgent(config, context, name),
        config_(config),
        total_timesteps_(context.total_timesteps),
        bins_(config.bins_per_dim) {
    std::vector<torch::Tensor> params;
    for (int64_t k = 0; k < config_.ensemble_size; ++k) {
      critics_.push_back(MakeNet(config_.critic_sizes(), action_dim() * bins_,
                                 /*with_action=*/false));
      for (auto& p : critics_.back()->parameters()) params.push_back(p);
    }
    for (auto& c : critics_) targets_.push_back(MlpNet(c->CloneTarget()));
    params_ = params;
    optimizer_ = MakeAdam(std::move(params), config_.lr);
  }

  std::vector<std::string> metric_names() const override {
    return {"critic_loss", "reg_loss", "q_mean", "grad_norm"};
  }

  Metrics Stats() const override {
    Metrics m = ContinuousAgent::Stats();
    m.emplace_back("epsilon", Epsilon());
    return m;
  }

  Metrics Learn(const Batch& batch) override {
    const BatchTensors t = Tensors(batch);
    const int64_t b = batch.size();
    const int64_t m = action_dim();
    // The stored action's bin per dimension: round((u + 1) / 2 * (bins - 1)).
    const torch::Tensor taken = ((t.action + 1.0f) * (0.5f * static_cast<float>(bins_ - 1)))
                                    .round()
                                    .clamp(0.0, static_cast<double>(bins_ - 1))
                                    .to(torch::kLong)
                                    .unsqueeze(2);  // [B, M, 1]
    torch::Tensor td_target;
    {
      torch::NoGradGuard no_grad;
      torch::Tensor next_target = Mean(targets_, t.next_obs);  // [B, M, bins]
      torch::Tensor next_bins = config_.double_q ? Mean(critics_, t.next_obs).argmax(2, true)
                                                 : next_target.argmax(2, true);
      td_target = t.reward + t.discount * next_target.gather(2, next_bins).squeeze(2).mean(1);
    }
    torch::Tensor loss;
    torch::Tensor reg_total;
    torch::Tensor q_first;
    for (size_t k = 0; k < critics_.size(); ++k) {
      torch::Tensor u = critics_[k]->forward(t.obs).view({b, m, bins_}).gather(2, taken).squeeze(2);
      torch::Tensor q = u.mean(1);  // eq. 4
      torch::Tensor l = config_.loss == "huber" ? torch::smooth_l1_loss(q, td_target)
                                                : torch::mse_loss(q, td_target);
      if (config_.reg_coef > 0.0) {
        torch::Tensor u_target, w;
        {
          torch::NoGradGuard no_grad;
          u_target = targets_[k]->forward(t.obs).view({b, m, bins_}).gather(2, taken).squeeze(2);
          w = 1.0f - torch::exp(-(td_target.unsqueeze(1) - u.detach()).abs());
        }
        torch::Tensor reg = (w * (u - u_target).square()).mean();
        l = l + static_cast<float>(config_.reg_coef) * reg;
        reg_total = k == 0 ? reg.detach() : reg_total + reg.detach();
      }
      loss = k == 0 ? l : loss + l;
      if (k == 0) q_first = q.detach();
    }
    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value)) CheckFinite(loss, "critic_loss");
    const double grad_norm = Step(*optimizer_, loss, &params_, config_.max_grad_norm);
    ++num_updates_;
    const auto timed = TimeTargetUpdate();
    if (num_updates_ % config_.target_update_interval == 0) {
      for (size_t k = 0; k < critics_.size(); ++k) {
        if (config_.tau >= 1.0) {
          nets::HardUpdate(*targets_[k], *critics_[k]);
        } else {
          nets::SoftUpdate(*targets_[k], *critics_[k], config_.tau);
        }
      }
    }
    return {{"critic_loss", loss_value},
            {"reg_loss", reg_total.defined() ? reg_total.item<double>() : 0.0},
            {"q_mean", q_first.mean().item<double>()},
            {"grad_norm", grad_norm}};
  }

 private:
  // The ensemble mean of the utilities, [n, M, bins].
  torch::Tensor Mean(std::vector<MlpNet>& nets, const torch::Tensor& obs) {
    torch::Tensor sum = nets[0]->forward(obs);
    for (size_t k = 1; k < nets.size(); ++k) sum = sum + nets[k]->forward(obs);
    if (nets.size() > 1) sum = sum / static_cast<float>(nets.size());
    return sum.view({obs.size(0), action_dim(), bins_});
  }

  double Epsilon() const {
    return LinearEpsilon(config_.exploration_initial_eps, config_.exploration_final_eps,
                         config_.exploration_fraction, env_steps(), total_timesteps_);
  }

  torch::Tensor PolicyActions(const torch::Tensor& obs, bool explore) override {
    const int64_t n = obs.size(0);
    const int64_t m = action_dim();
    torch::Tensor greedy = Mean(critics_, obs).argmax(2).contiguous();  // [n, M] int64
    const int64_t* g = greedy.data_ptr<int64_t>();
    torch::Tensor u = torch::empty({n, m}, torch::kFloat32);
    float* pu = u.data_ptr<float>();
    const double eps = explore ? Epsilon() : 0.0;
    const float step = 2.0f / static_cast<float>(bins_ - 1);
    for (int64_t i = 0; i < n * m; ++i) {
      int64_t bin = g[i];
      // One uniform draw per dimension, and one more for a random bin.
      if (explore && explore_rng().Random() < eps) bin = explore_rng().Integers(0, bins_);
      pu[i] = bin == bins_ - 1 ? 1.0f : -1.0f + static_cast<float>(bin) * step;
    }
    return u;
  }

  void DeclareModules(nets::StateDict& state) override {
    for (size_t k = 0; k < critics_.size(); ++k) {
      state.AddModule(fmt::format("critic{}", k), *critics_[k]);
      state.AddModule(fmt::format("critic{}_target", k), *targets_[k], /*frozen=*/true);
    }
    state.AddOptimizer("critic_optimizer", *optimizer_);
  }

  DecqnConfig config_;
  int64_t total_timesteps_;
  int64_t bins_;
  std::vector<MlpNet> critics_;
  std::vector<MlpNet> targets_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

}  // namespace

BELLMAN_REGISTER_ALGORITHMS(decqn) {
  registry.push_back(MakeRegistration<Decqn, DecqnConfig>("decqn"));
  // REValueD: DecQN with an ensemble of critics and the regulariser (the paper's beta).
  DecqnConfig d;
  d.ensemble_size = 5;
  d.reg_coef = 0.5;
  registry.push_back(MakeRegistration<Decqn, DecqnConfig>("revalued", d));
}

}  // namespace bellman::algos
