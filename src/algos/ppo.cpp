// PPO (Schulman et al. 2017, "Proximal Policy Optimization Algorithms", the clipped objective,
// eq. 7 and 9) with GAE (Schulman et al. 2016, "High-Dimensional Continuous Control Using
// Generalized Advantage Estimation", eq. 16), in Stable-Baselines3's formulation:
//   - a rollout of n_steps vector steps from num_envs envs; a truncated episode's last reward
//     gets + gamma * V(final observation) (the episode did not end: bootstrap, DESIGN.md);
//   - GAE: delta_t = r_t + gamma * V(s_{t+1}) * (1 - done_t) - V(s_t),
//          A_t = delta_t + gamma * lambda * (1 - done_t) * A_{t+1},  returns = A + V;
//   - n_epochs passes over the rollout in shuffled minibatches of batch_size:
//       ratio = exp(log pi(a|s) - log pi_old(a|s)), advantages normalised per minibatch,
//       L = -mean(min(ratio * A, clip(ratio, 1 - eps, 1 + eps) * A))
//           + vf_coef * MSE(returns, V (optionally clipped around the old values))
//           - ent_coef * mean(entropy),
//     gradients clipped at max_grad_norm, Adam (eps 1e-5);
//   - separate actor and critic MLPs (tanh, 64x64, orthogonal init with gains sqrt(2), 0.01 for
//     the policy head and 1 for the value head); Discrete actions: a categorical over logits;
//     Box actions: a diagonal Gaussian with a state-independent log std, sampled actions are
//     clipped to the bounds for the env only (the log-probabilities use the unclipped sample).
//   - lr and clip range: constant or linear in the remaining progress (RL Zoo's lin_<x>).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include "bellman/algos/actor_critic.h"
#include "bellman/algos/gae.h"
#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/nets/grad_sync.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"

namespace bellman::algos {

namespace {

// torch.nn.init.orthogonal_ (Saxe et al. 2014) with draws from rng: a normal matrix, its QR
// decomposition, Q with the signs of R's diagonal, times gain.
void OrthogonalInit(const nets::LinearView& layer, double gain, Rng& rng) {
  torch::NoGradGuard no_grad;
  const int64_t rows = layer.weight.size(0);
  const int64_t cols = layer.weight.size(1);
  torch::Tensor flat = StandardNormal(rng, {rows, cols}).to(torch::kFloat64);
  if (rows < cols) flat = flat.t();
  auto [q, r] = torch::linalg_qr(flat);
  q = q * torch::sign(torch::diagonal(r));
  if (rows < cols) q = q.t();
  layer.weight.copy_((q * gain).to(torch::kFloat32));
  layer.bias.zero_();
}

}  // namespace

struct PpoConfig {
  double lr = 3e-4;
  std::string lr_schedule = "constant";  // constant | linear (RL Zoo's lin_<lr>)
  int64_t n_steps = 2048;                // vector steps per rollout
  int64_t batch_size = 64;
  int64_t n_epochs = 10;
  double gamma = 0.99;
  double gae_lambda = 0.95;
  double clip_range = 0.2;
  std::string clip_schedule = "constant";  // constant | linear
  double clip_range_vf = 0.0;              // <= 0: no value clipping
  bool normalize_advantage = true;
  double ent_coef = 0.0;
  double vf_coef = 0.5;
  double max_grad_norm = 0.5;
  double target_kl = 0.0;  // > 0: stop the epochs once approx. KL > 1.5 * target_kl
  double adam_eps = 1e-5;  // SB3's ActorCriticPolicy
  double log_std_init = 0.0;
  bool ortho_init = true;
  std::vector<int64_t> hidden_sizes = {64, 64};  // actor and critic, separate
  std::string activation = "tanh";
  bool fast_path = true;

  template <class V>
  void Fields(V& v) {
    v("lr", lr);
    v("lr_schedule", lr_schedule);
    v("n_steps", n_steps);
    v("batch_size", batch_size);
    v("n_epochs", n_epochs);
    v("gamma", gamma);
    v("gae_lambda", gae_lambda);
    v("clip_range", clip_range);
    v("clip_schedule", clip_schedule);
    v("clip_range_vf", clip_range_vf);
    v("normalize_advantage", normalize_advantage);
    v("ent_coef", ent_coef);
    v("vf_coef", vf_coef);
    v("max_grad_norm", max_grad_norm);
    v("target_kl", target_kl);
    v("adam_eps", adam_eps);
    v("log_std_init", log_std_init);
    v("ortho_init", ortho_init);
    v("hidden_sizes", hidden_sizes);
    v("activation", activation);
    v("fast_path", fast_path);
  }

  void Validate(const std::string& a) const {
    Require(lr > 0.0 && std::isfinite(lr), "{}.lr must be a finite number > 0, got {}", a, lr);
    Require(lr_schedule == "constant" || lr_schedule == "linear",
            "{}.lr_schedule must be constant or linear, got '{}'", a, lr_schedule);
    Require(clip_schedule == "constant" || clip_schedule == "linear",
            "{}.clip_schedule must be constant or linear, got '{}'", a, clip_schedule);
    Require(n_steps >= 1, "{}.n_steps must be >= 1, got {}", a, n_steps);
    Require(batch_size >= 2, "{}.batch_size must be >= 2, got {}", a, batch_size);
    Require(n_epochs >= 1, "{}.n_epochs must be >= 1, got {}", a, n_epochs);
    Require(gamma >= 0.0 && gamma <= 1.0, "{}.gamma must be in [0, 1], got {}", a, gamma);
    Require(gae_lambda >= 0.0 && gae_lambda <= 1.0, "{}.gae_lambda must be in [0, 1], got {}", a,
            gae_lambda);
    Require(clip_range > 0.0, "{}.clip_range must be > 0, got {}", a, clip_range);
    Require(std::isfinite(clip_range_vf), "{}.clip_range_vf must be a number (<= 0: none), got {}",
            a, clip_range_vf);
    Require(ent_coef >= 0.0, "{}.ent_coef must be >= 0, got {}", a, ent_coef);
    Require(vf_coef >= 0.0, "{}.vf_coef must be >= 0, got {}", a, vf_coef);
    Require(std::isfinite(max_grad_norm),
            "{}.max_grad_norm must be a number (<= 0: no clipping), got {}", a, max_grad_norm);
    Require(target_kl >= 0.0, "{}.target_kl must be >= 0, got {}", a, target_kl);
    Require(adam_eps >= 0.0, "{}.adam_eps must be >= 0, got {}", a, adam_eps);
    for (int64_t h : hidden_sizes) {
      Require(h >= 1, "{}.hidden_sizes must be >= 1 each, got {}", a, h);
    }
    nets::ParseActivation(activation);
  }
};

class Ppo final : public OnPolicyAlgorithm {
 public:
  Ppo(const PpoConfig& config, AlgoContext context, const std::string& name)
      : config_(config),
        name_(name),
        env_(context.env),
        num_envs_(context.num_envs),
        total_timesteps_(context.total_timesteps),
        explore_rng_(context.explore_rng),
        shuffle_rng_(context.explore_rng.Integers(0, int64_t{1} << 62)),
        profile_(context.profile),
        sync_(context.collective, context.dist_check_interval, name_) {
    config_.Validate(name_);
    obs_dim_ = FloatObsDim(env_, name_);
    const Space& act = env_.action_space;
    discrete_ = act.kind() == Space::Kind::kDiscrete;
    Require(discrete_ || (act.kind() == Space::Kind::kBox && act.dtype() == DType::kFloat32),
            "{} needs a Discrete or float32 Box action space, {} has {}", name_, env_.id,
            act.ToString());
    action_dim_ = discrete_ ? 1 : act.flat_size();
    const int64_t policy_outputs = discrete_ ? act.n() : action_dim_;

    nets::MlpOptions o;
    o.input_size = obs_dim_;
    o.hidden_sizes = config_.hidden_sizes;
    o.activation = nets::ParseActivation(config_.activation);
    Rng& rng = context.net_rng;
    o.output_size = policy_outputs;
    actor_ = MlpNet(o, rng, config_.fast_path);
    o.output_size = 1;
    critic_ = MlpNet(o, rng, config_.fast_path);
    if (config_.ortho_init) {
      InitOrthogonal(*actor_, 0.01, rng);
      InitOrthogonal(*critic_, 1.0, rng);
    }
    std::vector<torch::Tensor> params = actor_->parameters();
    for (auto& p : critic_->parameters()) params.push_back(p);
    if (!discrete_) {
      log_std_ = torch::full({action_dim_}, config_.log_std_init, torch::kFloat32);
      log_std_.requires_grad_(true);
      params.push_back(log_std_);
    }
    params_ = params;
    nets::OptimizerConfig oc;
    oc.lr = config_.lr;
    oc.eps = config_.adam_eps;
    oc.fast_path = config_.fast_path;
    optimizer_ = nets::MakeOptimizer(oc, params);

    const auto steps = static_cast<size_t>(config_.n_steps * num_envs_);
    obs_.assign(steps * static_cast<size_t>(obs_dim_), 0.0f);
    actions_.assign(steps * static_cast<size_t>(action_dim_), 0.0f);
    log_probs_.assign(steps, 0.0f);
    values_.assign(steps, 0.0f);
    rewards_.assign(steps, 0.0f);
    dones_.assign(steps, 0.0f);
    last_values_.assign(static_cast<size_t>(num_envs_), 0.0f);
    pending_action_.assign(static_cast<size_t>(action_dim_), 0.0f);
  }

  std::vector<std::string> metric_names() const override {
    return {"loss", "pg_loss", "value_loss", "entropy", "approx_kl", "clip_fraction"};
  }

  void Act(const void* obs, int64_t n, bool explore, void* out) override {
    torch::NoGradGuard no_grad;
    torch::Tensor x = ObsTensor(obs, n);
    torch::Tensor head = actor_->forward(x).contiguous();
    const float* h = head.data_ptr<float>();
    const Space& act = env_.action_space;
    if (discrete_) {
      auto* a = static_cast<int64_t*>(out);
      const int64_t k = act.n();
      torch::Tensor log_p = torch::log_softmax(head, 1).contiguous();
      const float* lp = log_p.data_ptr<float>();
      for (int64_t i = 0; i < n; ++i) {
        int64_t choice = 0;
        if (explore) {
          // Inverse CDF on one uniform draw per env.
          const double u = explore_rng_.Random();
          double cdf = 0.0;
          choice = k - 1;
          for (int64_t j = 0; j < k; ++j) {
            cdf += std::exp(static_cast<double>(lp[i * k + j]));
            if (u < cdf) {
              choice = j;
              break;
            }
          }
        } else {
          for (int64_t j = 1; j < k; ++j) {
            if (h[i * k + j] > h[i * k + choice]) choice = j;
          }
        }
        a[i] = act.start() + choice;
        if (explore) Stash(i, static_cast<float>(choice), lp[i * k + choice]);
      }
    } else {
      auto* a = static_cast<float*>(out);
      const size_t dim = static_cast<size_t>(action_dim_);
      const float* log_std = log_std_.data_ptr<float>();
      for (int64_t i = 0; i < n; ++i) {
        double log_prob = 0.0;
        for (size_t d = 0; d < dim; ++d) {
          const size_t k = static_cast<size_t>(i) * dim + d;
          float u = h[k];
          if (explore) {
            const double eps = explore_rng_.StandardNormal();
            u = h[k] + std::exp(log_std[d]) * static_cast<float>(eps);
            log_prob += -0.5 * eps * eps - log_std[d] - 0.5 * std::log(2.0 * std::numbers::pi);
            pending_action_[d] = u;
          }
          // SB3 clips the action sent to the env to the bounds.
          a[k] = std::clamp(u, static_cast<float>(act.low()[d]), static_cast<float>(act.high()[d]));
        }
        if (explore) Stash(i, 0.0f, static_cast<float>(log_prob));
      }
    }
    if (explore) {
      torch::Tensor v = critic_->forward(x).contiguous();
      const float* vp = v.data_ptr<float>();
      const size_t row = static_cast<size_t>(pos_ * num_envs_);
      for (int64_t i = 0; i < n; ++i) values_[row + static_cast<size_t>(i)] = vp[i];
      std::memcpy(obs_.data() + row * static_cast<size_t>(obs_dim_), ObsFloat(x),
                  static_cast<size_t>(n * obs_dim_) * sizeof(float));
    }
  }

  bool Observe(const TransitionRows& rows) override {
    const size_t row = static_cast<size_t>(pos_ * num_envs_);
    const int64_t n = rows.n;
    // Truncation: bootstrap from the final observation (SB3 adds gamma * V(final obs)).
    std::vector<int64_t> truncated_envs;
    for (int64_t i = 0; i < n; ++i) {
      const bool term = rows.terminated[i] != 0;
      const bool trunc = rows.truncated != nullptr && rows.truncated[i] != 0;
      rewards_[row + static_cast<size_t>(i)] = static_cast<float>(rows.reward[i]);
      dones_[row + static_cast<size_t>(i)] = (term || trunc) ? 1.0f : 0.0f;
      if (trunc && !term) truncated_envs.push_back(i);
    }
    if (!truncated_envs.empty()) {
      torch::NoGradGuard no_grad;
      const size_t bytes = env_.observation_space.byte_size();
      std::vector<std::byte> finals(truncated_envs.size() * bytes);
      for (size_t j = 0; j < truncated_envs.size(); ++j) {
        const auto* src = static_cast<const std::byte*>(
            rows.has_final_obs != nullptr && rows.has_final_obs[truncated_envs[j]] ? rows.final_obs
                                                                                   : rows.next_obs);
        std::memcpy(finals.data() + j * bytes, src + static_cast<size_t>(truncated_envs[j]) * bytes,
                    bytes);
      }
      torch::Tensor v =
          critic_->forward(ObsTensor(finals.data(), static_cast<int64_t>(truncated_envs.size())))
              .contiguous();
      for (size_t j = 0; j < truncated_envs.size(); ++j) {
        rewards_[row + static_cast<size_t>(truncated_envs[j])] +=
            static_cast<float>(config_.gamma) * v.data_ptr<float>()[j];
      }
    }
    ++pos_;
    if (pos_ < config_.n_steps) return false;
    // The rollout is full: the values of the observations after it, for GAE's last step.
    torch::NoGradGuard no_grad;
    torch::Tensor v = critic_->forward(ObsTensor(rows.next_obs, n)).contiguous();
    std::memcpy(last_values_.data(), v.data_ptr<float>(), static_cast<size_t>(n) * sizeof(float));
    return true;
  }

  Metrics Update() override {
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t total = config_.n_steps * num_envs_;
    std::vector<float> advantages(static_cast<size_t>(total)), returns(static_cast<size_t>(total));
    ComputeGae(rewards_, values_, dones_, last_values_, config_.n_steps, num_envs_,
               static_cast<float>(config_.gamma), static_cast<float>(config_.gae_lambda),
               advantages, returns);
    // Schedules from the progress after this rollout (SB3 updates progress before train()).
    const double remaining = 1.0 - static_cast<double>(env_steps_) /
                                       static_cast<double>(std::max<int64_t>(total_timesteps_, 1));
    const double lr = config_.lr_schedule == "linear" ? config_.lr * remaining : config_.lr;
    const double clip =
        config_.clip_schedule == "linear" ? config_.clip_range * remaining : config_.clip_range;
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);

    torch::Tensor all_obs = torch::from_blob(obs_.data(), {total, obs_dim_});
    torch::Tensor all_actions = torch::from_blob(actions_.data(), {total, action_dim_});
    torch::Tensor all_log_probs = torch::from_blob(log_probs_.data(), {total});
    torch::Tensor all_values = torch::from_blob(values_.data(), {total});
    torch::Tensor all_adv = torch::from_blob(advantages.data(), {total});
    torch::Tensor all_returns = torch::from_blob(returns.data(), {total});

    double sums[6] = {0, 0, 0, 0, 0, 0};
    int64_t count = 0;
    bool stop = false;
    std::vector<int64_t> perm(static_cast<size_t>(total));
    for (int64_t epoch = 0; epoch < config_.n_epochs && !stop; ++epoch) {
      // Fisher-Yates shuffle from shuffle_rng_.
      for (int64_t i = 0; i < total; ++i) perm[static_cast<size_t>(i)] = i;
      for (int64_t i = total - 1; i > 0; --i) {
        std::swap(perm[static_cast<size_t>(i)],
                  perm[static_cast<size_t>(shuffle_rng_.IntegersClosed(0, i))]);
      }
      for (int64_t start = 0; start < total; start += config_.batch_size) {
        const int64_t m = std::min(config_.batch_size, total - start);
        torch::Tensor idx = torch::from_blob(perm.data() + start, {m}, torch::kInt64);
        torch::Tensor obs = all_obs.index_select(0, idx);
        torch::Tensor actions = all_actions.index_select(0, idx);
        torch::Tensor old_log_prob = all_log_probs.index_select(0, idx);
        torch::Tensor old_values = all_values.index_select(0, idx);
        torch::Tensor adv = all_adv.index_select(0, idx);
        torch::Tensor ret = all_returns.index_select(0, idx);
        if (config_.normalize_advantage && m > 1) adv = (adv - adv.mean()) / (adv.std() + 1e-8f);

        auto [log_prob, entropy] = Evaluate(obs, actions);
        torch::Tensor values = critic_->forward(obs).squeeze(1);
        torch::Tensor log_ratio = log_prob - old_log_prob;
        torch::Tensor ratio = torch::exp(log_ratio);
        const auto c = static_cast<float>(clip);
        torch::Tensor pg_loss =
            -torch::min(adv * ratio, adv * torch::clamp(ratio, 1.0f - c, 1.0f + c)).mean();
        torch::Tensor values_pred = values;
        if (config_.clip_range_vf > 0.0) {
          const auto cv = static_cast<float>(config_.clip_range_vf);
          values_pred = old_values + torch::clamp(values - old_values, -cv, cv);
        }
        torch::Tensor value_loss = torch::mse_loss(values_pred, ret);
        torch::Tensor entropy_mean = entropy.mean();
        torch::Tensor loss = pg_loss - static_cast<float>(config_.ent_coef) * entropy_mean +
                             static_cast<float>(config_.vf_coef) * value_loss;
        double approx_kl = 0.0;
        double clip_fraction = 0.0;
        {
          torch::NoGradGuard no_grad;
          // Schulman's k3 estimator, as SB3 logs it.
          approx_kl = ((ratio - 1.0f) - log_ratio).mean().item<double>();
          clip_fraction = ((ratio - 1.0f).abs() > c).to(torch::kFloat32).mean().item<double>();
        }
        if (config_.target_kl > 0.0 && approx_kl > 1.5 * config_.target_kl) {
          stop = true;  // SB3: stop before this minibatch's step
          break;
        }
        const double loss_value = loss.item<double>();
        if (!std::isfinite(loss_value)) {
          throw Error(fmt::format(
              "{}: non-finite loss (NaN or Inf) at gradient step {} (env step {}); lower {}.lr",
              name_, num_updates_ + 1, env_steps_, name_));
        }
        nets::ZeroGrad(*optimizer_);
        loss.backward();
        sync_.AllReduce(*optimizer_);
        if (config_.max_grad_norm > 0.0) nets::ClipGradNorm(params_, config_.max_grad_norm);
        optimizer_->step();
        ++num_updates_;
        sums[0] += loss_value;
        sums[1] += pg_loss.item<double>();
        sums[2] += value_loss.item<double>();
        sums[3] += entropy_mean.item<double>();
        sums[4] += approx_kl;
        sums[5] += clip_fraction;
        ++count;
      }
    }
    pos_ = 0;
    if (profile_) {
      update_seconds_ +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    const double d = std::max<int64_t>(count, 1);
    return {{"loss", sums[0] / d},    {"pg_loss", sums[1] / d},   {"value_loss", sums[2] / d},
            {"entropy", sums[3] / d}, {"approx_kl", sums[4] / d}, {"clip_fraction", sums[5] / d}};
  }

  void OnEnvStep(int64_t env_steps) override { env_steps_ = env_steps; }
  Metrics Stats() const override {
    Metrics m{{"gradient_steps", static_cast<double>(num_updates_)}};
    if (!discrete_) m.emplace_back("std", torch::exp(log_std_.detach()).mean().item<double>());
    return m;
  }
  Metrics ProfileSeconds() const override {
    if (!profile_) return {};
    return {{"ppo_update", update_seconds_}};
  }

  void DeclareState(nets::StateDict& state) override {
    state.AddModule("actor", *actor_);
    state.AddModule("critic", *critic_);
    if (!discrete_) state.AddTensor("log_std", log_std_);
    state.AddOptimizer("optimizer", *optimizer_);
    // The rollout in progress (a checkpoint may fall inside one).
    state.AddFloats("rollout_obs", obs_);
    state.AddFloats("rollout_actions", actions_);
    state.AddFloats("rollout_log_probs", log_probs_);
    state.AddFloats("rollout_values", values_);
    state.AddFloats("rollout_rewards", rewards_);
    state.AddFloats("rollout_dones", dones_);
    state.AddFloats("rollout_last_values", last_values_);
    state.AddInt("num_updates", num_updates_);
    state.AddInt("env_steps", env_steps_);
    state.AddInt("rollout_pos", pos_);
    state.AddRng("explore_rng", explore_rng_);
    state.AddRng("shuffle_rng", shuffle_rng_);
  }

 private:
  // Orthogonal init of an MLP: gain sqrt(2) for the hidden layers, `head_gain` for the last
  // (SB3's ActorCriticPolicy with ortho_init).
  static void InitOrthogonal(MlpNetImpl& net, double head_gain, Rng& rng) {
    const std::vector<nets::LinearView> layers = net.linears();
    for (size_t l = 0; l < layers.size(); ++l) {
      OrthogonalInit(layers[l], l + 1 == layers.size() ? head_gain : std::sqrt(2.0), rng);
    }
  }

  torch::Tensor ObsTensor(const void* obs, int64_t n) const {
    return FloatObsTensor(env_.observation_space, obs, n, obs_dim_);
  }
  static const float* ObsFloat(const torch::Tensor& x) { return x.data_ptr<float>(); }

  // Records env i's action (the index for Discrete; pending_action_ for Box) and log-prob at
  // the current rollout position.
  void Stash(int64_t i, float discrete_action, float log_prob) {
    const size_t k = static_cast<size_t>(pos_ * num_envs_ + i);
    if (discrete_) {
      actions_[k] = discrete_action;
    } else {
      std::memcpy(actions_.data() + k * static_cast<size_t>(action_dim_), pending_action_.data(),
                  static_cast<size_t>(action_dim_) * sizeof(float));
    }
    log_probs_[k] = log_prob;
  }

  // log pi(a|s) and the entropy of pi(.|s) for a minibatch.
  std::pair<torch::Tensor, torch::Tensor> Evaluate(const torch::Tensor& obs,
                                                   const torch::Tensor& actions) {
    torch::Tensor head = actor_->forward(obs);
    if (discrete_) {
      torch::Tensor log_p = torch::log_softmax(head, 1);
      torch::Tensor log_prob = log_p.gather(1, actions.to(torch::kInt64)).squeeze(1);
      torch::Tensor entropy = -(log_p.exp() * log_p).sum(1);
      return {log_prob, entropy};
    }
    const float half_log_2pi = static_cast<float>(0.5 * std::log(2.0 * std::numbers::pi));
    torch::Tensor z = (actions - head) * torch::exp(-log_std_);
    torch::Tensor log_prob = (-0.5f * z * z - log_std_ - half_log_2pi).sum(1);
    torch::Tensor entropy = (0.5f + half_log_2pi + log_std_).sum().expand({obs.size(0)});
    return {log_prob, entropy};
  }

  PpoConfig config_;
  std::string name_;
  EnvSpec env_;
  int num_envs_;
  int64_t total_timesteps_;
  Rng explore_rng_;
  Rng shuffle_rng_;
  bool profile_;
  nets::GradientSync sync_;  // data-parallel runs: mean gradient over ranks before each step
  bool discrete_ = true;
  int64_t obs_dim_ = 0;
  int64_t action_dim_ = 1;
  MlpNet actor_ = nullptr;
  MlpNet critic_ = nullptr;
  torch::Tensor log_std_;  // Box actions only
  std::vector<torch::Tensor> params_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  // The rollout, [n_steps * num_envs] rows, step-major.
  std::vector<float> obs_, actions_, log_probs_, values_, rewards_, dones_, last_values_;
  std::vector<float> pending_action_;  // env i's unclipped Box action, until Stash
  int64_t pos_ = 0;
  int64_t num_updates_ = 0;
  int64_t env_steps_ = 0;
  double update_seconds_ = 0.0;
};

BELLMAN_REGISTER_ALGORITHMS(ppo) { registry.push_back(MakeRegistration<Ppo, PpoConfig>("ppo")); }

}  // namespace bellman::algos
