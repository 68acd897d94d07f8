// CQL for Box actions (Kumar, Zhou, Tucker & Levine 2020, "Conservative Q-Learning for Offline
// Reinforcement Learning"): SAC whose critics are pushed down on actions the data does not hold,
// in CORL's order of operations (algorithms/offline/cql.py, ContinuousCQL.train). The policy and
// the temperature are SoftAgent's (actor_critic.h). One update on a batch (s, a, r, s', d):
//   alpha: one temperature step on log pi(a~|s), the pre-step value used below
//   actor: L_pi = mean(alpha * log pi(a~|s) - min_k Q_k(s, a~))           (SAC, eq. 7)
//   target: y = r + gamma * (1 - d) * min_k Q_target_k(s', a~')  (- alpha log pi with
//           backup_entropy)
//   CQL(H) regulariser (eq. 4, with the importance-sampled log-sum-exp of appendix F):
//     for n uniform actions a_u (density 0.5^dim), n policy actions a~ at s and n at s' (both
//     evaluated at s, as CORL does), each with its log density subtracted,
//     gap_k = mean_B( temp * logsumexp_j(Q_k(s, a_j) - log mu(a_j)) / temp - Q_k(s, a) )
//     (clipped to [cql_clip_diff_min, cql_clip_diff_max])
//   L_Q = sum_k MSE(Q_k(s, a), y) + cql_alpha * sum_k gap_k;
//   Lagrangian variant (cql_lagrange): cql_alpha * alpha' * (gap_k - target_action_gap), with
//     alpha' = clamp(exp(log alpha'), 0, 1e6) stepped to minimise -that (dual ascent).
//   Polyak update of the Q targets every target_update_interval updates.
// All policy samples of the critic step (targets and regulariser) come from the policy before
// this update's actor step, as in CORL where every loss is built before any optimizer steps.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "bellman/algos/actor_critic.h"
#include "bellman/core/validate.h"
#include "bellman/nets/params.h"

namespace bellman::algos {

struct CqlConfig : SoftConfig {
  double cql_alpha = 10.0;  // weight of the conservative term (CORL's cql_alpha)
  int64_t cql_n_actions = 10;
  double cql_temp = 1.0;
  bool cql_importance_sample = true;
  bool cql_lagrange = false;
  double cql_target_action_gap = -1.0;  // tau of the Lagrangian form (eq. 30)
  double cql_clip_diff_min = -std::numeric_limits<double>::infinity();
  double cql_clip_diff_max = std::numeric_limits<double>::infinity();
  bool backup_entropy = false;  // subtract alpha * log pi in the TD target (SAC's backup)

  CqlConfig() {
    // CORL's ContinuousCQL defaults: 3 x 256 networks, lr 3e-4 for the critics and 3e-5 for the
    // policy and temperature, normalised states, no warm-up.
    hidden_sizes = {256, 256, 256};
    actor_lr = 3e-5;
    learning_starts = 0;
    normalize_obs = true;
  }
  template <class V>
  void Fields(V& v) {
    SoftConfig::Fields(v);
    v("cql_alpha", cql_alpha);
    v("cql_n_actions", cql_n_actions);
    v("cql_temp", cql_temp);
    v("cql_importance_sample", cql_importance_sample);
    v("cql_lagrange", cql_lagrange);
    v("cql_target_action_gap", cql_target_action_gap);
    v("cql_clip_diff_min", cql_clip_diff_min);
    v("cql_clip_diff_max", cql_clip_diff_max);
    v("backup_entropy", backup_entropy);
  }
  void Validate(const std::string& a) const {
    SoftConfig::Validate(a);
    Require(cql_alpha >= 0.0 && std::isfinite(cql_alpha),
            "{}.cql_alpha must be a finite number >= 0, got {}", a, cql_alpha);
    Require(cql_n_actions >= 1, "{}.cql_n_actions must be >= 1, got {}", a, cql_n_actions);
    Require(cql_temp > 0.0, "{}.cql_temp must be > 0, got {}", a, cql_temp);
    Require(cql_clip_diff_min < cql_clip_diff_max,
            "{}.cql_clip_diff_min ({}) must be below cql_clip_diff_max ({})", a, cql_clip_diff_min,
            cql_clip_diff_max);
    Require(n_critics == 2, "{}.n_critics must be 2 (CQL's twin critics), got {}", a, n_critics);
  }
};

class Cql final : public SoftAgent {
 public:
  Cql(const CqlConfig& config, AlgoContext context, const std::string& name)
      : SoftAgent(config, context, name), config_(config) {
    critics_ = MakeCritics(config_.n_critics, config_.lr);
    log_alpha_prime_ = torch::zeros({1}).requires_grad_(true);
    if (config_.cql_lagrange) alpha_prime_optimizer_ = MakeAdam({log_alpha_prime_}, config_.lr);
  }

  std::vector<std::string> metric_names() const override {
    return {"critic_loss", "actor_loss", "cql_gap", "ent_coef", "alpha_prime", "q_mean"};
  }

  Metrics Learn(const Batch& batch) override {
    const BatchTensors t = Tensors(batch);
    const int64_t b = t.obs.size(0), n = config_.cql_n_actions, d = action_dim();
    auto [pi, log_prob] = Sample(t.obs);
    const torch::Tensor alpha = UpdateTemperature(log_prob);

    // The critic step's policy samples, from the policy before its step (no grad).
    torch::Tensor td_target, cql_actions, cql_log_density;
    {
      torch::NoGradGuard no_grad;
      auto [next_action, next_log_prob] = Sample(t.next_obs);
      const torch::Tensor next_in = torch::cat({t.next_obs, next_action}, 1);
      torch::Tensor next_q = Critics::Min(critics_.target, next_in);
      if (config_.backup_entropy) next_q = next_q - alpha * next_log_prob;
      td_target = t.reward + t.discount * next_q;

      // n actions per state from each proposal, rows ordered [state, proposal sample].
      const torch::Tensor obs_rep = t.obs.repeat_interleave(n, 0);
      const torch::Tensor next_rep = t.next_obs.repeat_interleave(n, 0);
      const torch::Tensor random = StandardUniform(b * n, d) * 2.0f - 1.0f;
      auto [current, current_log_prob] = Sample(obs_rep);
      auto [next, next_rep_log_prob] = Sample(next_rep);
      cql_actions =
          torch::cat({random.view({b, n, d}), next.view({b, n, d}), current.view({b, n, d})},
                     1);  // [B, 3n, d]
      if (config_.cql_importance_sample) {
        const float random_density = static_cast<float>(d) * std::log(0.5f);
        cql_log_density =
            torch::cat({torch::full({b, n}, random_density), next_rep_log_prob.view({b, n}),
                        current_log_prob.view({b, n})},
                       1);  // [B, 3n]
      }
    }
    const torch::Tensor in = torch::cat({t.obs, t.action}, 1);
    const torch::Tensor cql_in =
        torch::cat({t.obs.unsqueeze(1).expand({b, 3 * n, obs_dim()}), cql_actions}, 2)
            .view({b * 3 * n, obs_dim() + d});
    const float temp = static_cast<float>(config_.cql_temp);
    torch::Tensor bellman_loss, gaps, q_first;
    std::vector<torch::Tensor> gap(2);
    for (size_t k = 0; k < 2; ++k) {
      const torch::Tensor q = critics_.online[k]->forward(in).squeeze(1);
      torch::Tensor q_ood = critics_.online[k]->forward(cql_in).view({b, 3 * n});
      if (config_.cql_importance_sample) {
        q_ood = q_ood - cql_log_density;
      } else {
        // Without importance sampling CORL's log-sum-exp also includes Q(s, a) itself.
        q_ood = torch::cat({q_ood, q.unsqueeze(1)}, 1);
      }
      const torch::Tensor lse = torch::logsumexp(q_ood / temp, 1) * temp;
      gap[k] = (lse - q).clamp(config_.cql_clip_diff_min, config_.cql_clip_diff_max).mean();
      const torch::Tensor l = torch::mse_loss(q, td_target);
      bellman_loss = k == 0 ? l : bellman_loss + l;
      if (k == 0) q_first = q.detach();
    }
    torch::Tensor cql_loss;
    double alpha_prime_value = 0.0;
    const auto cql_alpha = static_cast<float>(config_.cql_alpha);
    const auto action_gap = static_cast<float>(config_.cql_target_action_gap);
    if (config_.cql_lagrange) {
      const torch::Tensor alpha_prime = torch::exp(log_alpha_prime_).clamp(0.0, 1e6);
      alpha_prime_value = alpha_prime.item<double>();
      // Dual step first, on the gaps as they are (CORL steps alpha' before the critics).
      const torch::Tensor dual = -0.5f * alpha_prime * cql_alpha *
                                 ((gap[0].detach() - action_gap) + (gap[1].detach() - action_gap));
      Step(*alpha_prime_optimizer_, dual);
      const torch::Tensor w = alpha_prime.detach() * cql_alpha;
      cql_loss = w * (gap[0] - action_gap) + w * (gap[1] - action_gap);
    } else {
      cql_loss = cql_alpha * (gap[0] + gap[1]);
    }
    const torch::Tensor critic_loss = bellman_loss + cql_loss;
    const double critic_loss_value = critic_loss.item<double>();
    if (!std::isfinite(critic_loss_value)) CheckFinite(critic_loss, "critic_loss");

    const double actor_loss_value = StepSoftActor(critics_, t.obs, pi, log_prob, alpha);
    Step(*critics_.optimizer, critic_loss);

    ++num_updates_;
    {
      const auto timed = TimeTargetUpdate();
      if (num_updates_ % config_.target_update_interval == 0) {
        critics_.SoftUpdate(config_.tau);
      }
    }
    return {{"critic_loss", critic_loss_value},
            {"actor_loss", actor_loss_value},
            {"cql_gap", 0.5 * (gap[0].item<double>() + gap[1].item<double>())},
            {"ent_coef", alpha.item<double>()},
            {"alpha_prime", alpha_prime_value},
            {"q_mean", q_first.mean().item<double>()}};
  }

 private:
  // [rows, cols] uniform draws in [0, 1) from the update stream, in row-major order.
  torch::Tensor StandardUniform(int64_t rows, int64_t cols) {
    torch::Tensor u = torch::empty({rows, cols});
    float* p = u.data_ptr<float>();
    for (int64_t i = 0; i < rows * cols; ++i) p[i] = static_cast<float>(update_rng().Uniform(0, 1));
    return u;
  }

  Critics* critics() override { return &critics_; }
  void DeclareModules(nets::StateDict& state) override {
    DeclareSoftState(state);
    critics_.Declare(state);
    state.AddTensor("log_alpha_prime", log_alpha_prime_);
    if (alpha_prime_optimizer_)
      state.AddOptimizer("alpha_prime_optimizer", *alpha_prime_optimizer_);
  }

  CqlConfig config_;
  Critics critics_;
  torch::Tensor log_alpha_prime_;
  std::unique_ptr<torch::optim::Optimizer> alpha_prime_optimizer_;  // cql_lagrange only
};

BELLMAN_REGISTER_ALGORITHMS(cql) { registry.push_back(MakeRegistration<Cql, CqlConfig>("cql")); }

}  // namespace bellman::algos
