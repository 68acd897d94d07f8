// The DQN family's shared machinery (see include/bellman/algos/value_agent.h, docs/dqn.md).
#include "bellman/algos/value_agent.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cmath>

#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"
#include "bellman/nets/q_network.h"

namespace bellman::algos {

namespace {

bool Finite(double x) { return std::isfinite(x); }

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

std::vector<int64_t> ValueInputShape(const Space& space, const std::string& algo) {
  if (space.kind() == Space::Kind::kDiscrete) return {space.n()};  // one-hot
  if (space.kind() == Space::Kind::kBox &&
      (space.dtype() == DType::kFloat32 || space.dtype() == DType::kUint8)) {
    return space.shape();
  }
  throw Error(
      fmt::format("{}: observation space {} is not supported (float32 or uint8 Box, or Discrete)",
                  algo, space.ToString()));
}

void ValueAgentConfig::Validate(const std::string& algo) const {
  const std::string& a = algo;
  Require(gamma >= 0.0 && gamma <= 1.0, "{}.gamma must be in [0, 1], got {}", a, gamma);
  Require(lr > 0.0 && Finite(lr), "{}.lr must be a finite number > 0, got {}", a, lr);
  Require(optimizer == "adam" || optimizer == "rmsprop",
          "{}.optimizer must be adam or rmsprop, got '{}'", a, optimizer);
  Require(adam_eps >= 0.0, "{}.adam_eps must be >= 0, got {}", a, adam_eps);
  Require(rmsprop_alpha >= 0.0 && rmsprop_alpha < 1.0, "{}.rmsprop_alpha must be in [0, 1), got {}",
          a, rmsprop_alpha);
  Require(rmsprop_eps >= 0.0, "{}.rmsprop_eps must be >= 0, got {}", a, rmsprop_eps);
  ValidateReplaySchedule(a, batch_size, buffer_size, learning_starts, train_freq, gradient_steps);
  Require(target_update_interval >= 1, "{}.target_update_interval must be >= 1, got {}", a,
          target_update_interval);
  Require(tau > 0.0 && tau <= 1.0, "{}.tau must be in (0, 1], got {}", a, tau);
  Require(n_step >= 1, "{}.n_step must be >= 1, got {}", a, n_step);
  Require(per_alpha >= 0.0, "{}.per_alpha must be >= 0, got {}", a, per_alpha);
  Require(per_beta0 >= 0.0 && per_beta0 <= 1.0, "{}.per_beta0 must be in [0, 1], got {}", a,
          per_beta0);
  Require(per_beta_steps >= 0, "{}.per_beta_steps must be >= 0, got {}", a, per_beta_steps);
  Require(Finite(max_grad_norm), "{}.max_grad_norm must be finite (<= 0: no clipping), got {}", a,
          max_grad_norm);
  ValidateEpsilonSchedule(a, exploration_fraction, exploration_initial_eps, exploration_final_eps);
  Require(Finite(reward_shift), "{}.reward_shift must be a finite number, got {}", a, reward_shift);
  net.Validate();
}

double LinearEpsilon(double initial, double final_eps, double fraction, int64_t step,
                     int64_t total) {
  // SB3's get_linear_fn(start, end, end_fraction) evaluated at progress_remaining = 1 - step/total.
  const double progress_remaining =
      1.0 - static_cast<double>(step) / static_cast<double>(std::max<int64_t>(total, 1));
  const double done = 1.0 - progress_remaining;
  if (done > fraction) return final_eps;
  return initial + done * (final_eps - initial) / fraction;
}

ValueAgent::ValueAgent(const ValueAgentConfig& config, AlgoContext& context, std::string name)
    : config_(config),
      name_(std::move(name)),
      env_(context.env),
      num_envs_(context.num_envs),
      total_timesteps_(context.total_timesteps),
      device_(context.device),
      explore_rng_(context.explore_rng),
      sample_rng_(context.net_rng),
      profile_(context.profile),
      sync_(context.collective, context.dist_check_interval, name_) {
  config_.Validate(name_);
  Require(env_.action_space.kind() == Space::Kind::kDiscrete,
          "{} needs a Discrete action space, {} has {}", name_, env_.id,
          env_.action_space.ToString());
  obs_shape_ = ValueInputShape(env_.observation_space, name_);
  num_actions_ = env_.action_space.n();
  epsilon_ = config_.exploration_initial_eps;
}

void ValueAgent::SetNetworks(std::shared_ptr<torch::nn::Module> online,
                             std::shared_ptr<torch::nn::Module> target) {
  online_ = std::move(online);
  target_ = std::move(target);
  for (auto& p : target_->parameters()) p.requires_grad_(false);
  nets::OptimizerConfig oc;
  oc.name = config_.optimizer;
  oc.lr = config_.lr;
  oc.eps = config_.optimizer == "adam" ? config_.adam_eps : config_.rmsprop_eps;
  oc.alpha = config_.rmsprop_alpha;
  oc.centered = config_.rmsprop_centered;
  oc.fast_path = config_.net.fast_path;
  optimizer_ = nets::MakeOptimizer(oc, online_->parameters());
}

torch::Tensor ValueAgent::ObsTensor(const void* obs, int64_t n) const {
  const Space& space = env_.observation_space;
  if (space.kind() == Space::Kind::kDiscrete) {
    const int64_t width = obs_shape_[0];
    torch::Tensor out = torch::zeros({n, width}, torch::kFloat32);
    auto* o = out.data_ptr<float>();
    const auto* s = static_cast<const int64_t*>(obs);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t k = s[i] - space.start();
      if (k < 0 || k >= width) {
        throw Error(fmt::format("{}: observation {} is outside {}", name_, s[i], space.ToString()));
      }
      o[i * width + k] = 1.0f;
    }
    return out;
  }
  std::vector<int64_t> shape{n};
  shape.insert(shape.end(), obs_shape_.begin(), obs_shape_.end());
  if (space.dtype() == DType::kUint8) {
    // MinAtar's boolean grids: to float32 for the network (one copy of n * 100 * C bytes).
    return torch::from_blob(const_cast<void*>(obs), shape, torch::kUInt8).to(torch::kFloat32);
  }
  // The network never writes into its input: the const_cast only satisfies from_blob's void*.
  return torch::from_blob(const_cast<void*>(obs), shape, torch::kFloat32);
}

void ValueAgent::CheckFinite(const torch::Tensor& t, const char* what) const {
  if (!torch::isfinite(t).all().item<bool>()) {
    throw Error(fmt::format(
        "{}: non-finite values (NaN or Inf) in {} at gradient step {} (env step {}); lower "
        "{}.lr or set {}.max_grad_norm",
        name_, what, num_updates_ + 1, env_steps_, name_, name_));
  }
}

void ValueAgent::Act(const void* obs, int64_t n, bool explore, void* out) {
  auto* actions = static_cast<int64_t*>(out);
  const int64_t start = env_.action_space.start();
  if (explore && env_steps_ < config_.learning_starts && fixed_epsilon_ < 0.0) {
    // SB3: uniform random actions until learning_starts, no forward pass.
    for (int64_t i = 0; i < n; ++i) actions[i] = start + explore_rng_.Integers(0, num_actions_);
    return;
  }
  {
    torch::NoGradGuard no_grad;
    BeforeForward(explore ? Phase::kExplore : Phase::kEvaluate);
    torch::Tensor greedy = ActionValues(ObsTensor(obs, n)).argmax(1).contiguous();
    const auto* g = greedy.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) actions[i] = start + g[i];
  }
  if (explore) {
    // Epsilon-greedy per env (one uniform draw per env, and one more for a random action).
    for (int64_t i = 0; i < n; ++i) {
      if (explore_rng_.Random() < epsilon_) {
        actions[i] = start + explore_rng_.Integers(0, num_actions_);
      }
    }
  }
}

ValueAgent::BatchTensors ValueAgent::Tensors(const Batch& batch) const {
  const int64_t b = batch.size();
  torch::Tensor obs = ObsTensor(batch.obs_data(), b);
  torch::Tensor next_obs = ObsTensor(batch.next_obs_data(), b);
  torch::Tensor actions =
      torch::from_blob(const_cast<std::byte*>(batch.action_data()), {b, 1}, torch::kInt64);
  if (env_.action_space.start() != 0) actions = actions - env_.action_space.start();
  torch::Tensor reward =
      torch::from_blob(const_cast<float*>(batch.reward().data()), {b}, torch::kFloat32);
  if (config_.reward_shift != 0.0) reward = reward + static_cast<float>(config_.reward_shift);
  torch::Tensor discount =
      torch::from_blob(const_cast<float*>(batch.discount().data()), {b}, torch::kFloat32);
  if (!device_.is_cpu()) {
    obs = obs.to(device_);
    next_obs = next_obs.to(device_);
    actions = actions.to(device_);
    reward = reward.to(device_);
    discount = discount.to(device_);
  }
  return {obs, actions, reward, discount, next_obs};
}

void ValueAgent::TdErrorsOf(const Batch& batch, std::vector<float>& out) {
  torch::NoGradGuard no_grad;
  const BatchTensors t = Tensors(batch);
  BeforeForward(Phase::kUpdate);
  torch::Tensor td =
      Loss(t.obs, t.actions, t.reward, t.discount, t.next_obs).td_abs.to(torch::kCPU).contiguous();
  out.assign(td.data_ptr<float>(), td.data_ptr<float>() + td.numel());
}

void ValueAgent::FixExplorationRate(double rate) {
  Require(rate >= 0.0 && rate <= 1.0, "{}: an exploration rate must be in [0, 1], got {}", name_,
          rate);
  fixed_epsilon_ = rate;
  epsilon_ = rate;
}

Metrics ValueAgent::Update(const Batch& batch) {
  // Profiling reads the clock only when on; CPU tensors compute eagerly, so a phase's time is
  // the time of its own ops.
  const Clock::time_point t0 = profile_ ? Clock::now() : Clock::time_point{};
  const int64_t b = batch.size();
  const auto [obs, actions, reward, discount, next_obs] = Tensors(batch);

  BeforeForward(Phase::kUpdate);
  LossTerms terms = Loss(obs, actions, reward, discount, next_obs);
  torch::Tensor loss;
  if (config_.prioritized) {
    // Schaul et al. 2016, Algorithm 1 line 12: importance weights correct PER's bias.
    torch::Tensor weights =
        torch::from_blob(const_cast<float*>(batch.weights().data()), {b}, torch::kFloat32);
    loss = (weights.to(device_) * terms.elementwise).mean();
  } else {
    loss = terms.elementwise.mean();
  }
  const double loss_value = loss.item<double>();
  if (!std::isfinite(loss_value)) CheckFinite(loss, "loss");

  Clock::time_point t1, t2, t3;
  if (profile_) t1 = Clock::now();
  nets::ZeroGrad(*optimizer_);
  loss.backward();
  sync_.AllReduce(*optimizer_);
  if (profile_) t2 = Clock::now();
  if (config_.max_grad_norm > 0.0) {
    nets::ClipGradNorm(online_->parameters(), config_.max_grad_norm);
  }
  optimizer_->step();
  if (profile_) {
    t3 = Clock::now();
    forward_seconds_ += Seconds(t0, t1);
    backward_seconds_ += Seconds(t1, t2);
    optimizer_seconds_ += Seconds(t2, t3);
  }
  ++num_updates_;

  if (config_.prioritized) {
    torch::Tensor td = terms.td_abs.to(torch::kCPU).contiguous();
    const float* p = td.data_ptr<float>();
    td_errors_.assign(p, p + b);
  }
  return {{"loss", loss_value}, {"q_mean", terms.q_taken.mean().item<double>()}};
}

void ValueAgent::OnEnvStep(int64_t env_steps) {
  env_steps_ = env_steps;
  ++num_env_calls_;
  // SB3 DQN._on_step: the target interval is counted in env steps, i.e. every
  // max(interval / num_envs, 1) vector steps.
  const int64_t every = std::max<int64_t>(config_.target_update_interval / num_envs_, 1);
  if (num_env_calls_ % every == 0) {
    const Clock::time_point t0 = profile_ ? Clock::now() : Clock::time_point{};
    if (config_.tau >= 1.0) {
      nets::HardUpdate(*target_, *online_);
    } else {
      nets::SoftUpdate(*target_, *online_, config_.tau);
    }
    ++num_target_updates_;
    if (profile_) target_seconds_ += Seconds(t0, Clock::now());
  }
  if (fixed_epsilon_ >= 0.0) return;  // an Ape-X actor's epsilon_i
  epsilon_ = LinearEpsilon(config_.exploration_initial_eps, config_.exploration_final_eps,
                           config_.exploration_fraction, env_steps_, total_timesteps_);
}

Metrics ValueAgent::Stats() const {
  return {{"epsilon", epsilon_},
          {"gradient_steps", static_cast<double>(num_updates_)},
          {"target_updates", static_cast<double>(num_target_updates_)}};
}

Metrics ValueAgent::ProfileSeconds() const {
  if (!profile_) return {};
  return {{"forward", forward_seconds_},
          {"backward", backward_seconds_},
          {"optimizer", optimizer_seconds_},
          {"target_update", target_seconds_}};
}

OffPolicySchedule ValueAgent::schedule() const {
  OffPolicySchedule s;
  s.learning_starts = config_.learning_starts;
  s.train_freq = config_.train_freq;
  s.gradient_steps = config_.gradient_steps;
  s.batch_size = config_.batch_size;
  s.replay.capacity = config_.buffer_size;
  s.replay.n_step = config_.n_step;
  s.replay.gamma = config_.gamma;
  s.replay.num_envs = num_envs_;
  s.replay.prioritized = config_.prioritized;
  s.replay.per.alpha = config_.per_alpha;
  s.replay.per.beta0 = config_.per_beta0;
  s.replay.per.beta_steps =
      config_.per_beta_steps > 0 ? config_.per_beta_steps : std::max<int64_t>(total_timesteps_, 1);
  return s;
}

void ValueAgent::DeclareState(nets::StateDict& state) {
  state.AddModule("q_net", *online_);
  state.AddModule("q_target", *target_, /*frozen=*/true);
  state.AddOptimizer("optimizer", *optimizer_);
  state.AddInt("num_updates", num_updates_);
  state.AddInt("num_env_calls", num_env_calls_);
  state.AddInt("num_target_updates", num_target_updates_);
  state.AddInt("env_steps", env_steps_);
  state.AddReal("epsilon", epsilon_);
  state.AddRng("explore_rng", explore_rng_);
  state.AddRng("sample_rng", sample_rng_);
  DeclareExtraState(state);
}

}  // namespace bellman::algos
