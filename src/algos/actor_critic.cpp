// The continuous off-policy family's shared machinery (include/bellman/algos/actor_critic.h).
#include "bellman/algos/actor_critic.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"

namespace bellman::algos {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

void ContinuousAgentConfig::Validate(const std::string& a) const {
  Require(gamma >= 0.0 && gamma <= 1.0, "{}.gamma must be in [0, 1], got {}", a, gamma);
  Require(lr > 0.0 && std::isfinite(lr), "{}.lr must be a finite number > 0, got {}", a, lr);
  Require(adam_eps >= 0.0, "{}.adam_eps must be >= 0, got {}", a, adam_eps);
  ValidateReplaySchedule(a, batch_size, buffer_size, learning_starts, train_freq, gradient_steps);
  Require(tau > 0.0 && tau <= 1.0, "{}.tau must be in (0, 1], got {}", a, tau);
  Require(n_step >= 1, "{}.n_step must be >= 1, got {}", a, n_step);
  for (int64_t h : hidden_sizes) {
    Require(h >= 1, "{}.hidden_sizes must be >= 1 each, got [{}]", a,
            fmt::join(hidden_sizes, ", "));
  }
  for (int64_t h : critic_hidden_sizes) {
    Require(h >= 1, "{}.critic_hidden_sizes must be >= 1 each, got [{}]", a,
            fmt::join(critic_hidden_sizes, ", "));
  }
  nets::ParseActivation(activation);
}

int64_t FloatObsDim(const EnvSpec& env, const std::string& algo) {
  const Space& obs = env.observation_space;
  Require(obs.kind() == Space::Kind::kBox &&
              (obs.dtype() == DType::kFloat32 || obs.dtype() == DType::kFloat64),
          "{} needs a float32 or float64 Box observation space, {} has {}", algo, env.id,
          obs.ToString());
  return obs.flat_size();
}

torch::Tensor FloatObsTensor(const Space& space, const void* obs, int64_t n, int64_t dim) {
  if (space.dtype() == DType::kFloat64) {
    return torch::from_blob(const_cast<void*>(obs), {n, dim}, torch::kFloat64).to(torch::kFloat32);
  }
  // The networks never write into their input: the const_cast only satisfies from_blob.
  return torch::from_blob(const_cast<void*>(obs), {n, dim}, torch::kFloat32);
}

// ---- ContinuousAgent ----------------------------------------------------------------------------

ContinuousAgent::ContinuousAgent(const ContinuousAgentConfig& config, AlgoContext& context,
                                 std::string name)
    : config_(config),
      name_(std::move(name)),
      env_(context.env),
      num_envs_(context.num_envs),
      total_timesteps_(context.total_timesteps),
      net_rng_(context.net_rng),
      explore_rng_(context.explore_rng),
      // A stream of its own for update-time noise, derived from the exploration stream's seed
      // material so that acting and updating never share draws.
      update_rng_(context.explore_rng.Integers(0, int64_t{1} << 62)),
      timer_(context.profile, 4),
      sync_(context.collective, context.dist_check_interval, name_) {
  config_.Validate(name_);
  obs_dim_ = FloatObsDim(env_, name_);
  const Space& act = env_.action_space;
  if (act.kind() != Space::Kind::kBox || act.dtype() != DType::kFloat32) {
    // Offline algorithms come in pairs (bc / discrete_bc, cql / discrete_cql): name the other.
    std::string hint;
    for (const auto& r : AlgoRegistry()) {
      if (r.name == "discrete_" + name_)
        hint = fmt::format("; for Discrete actions use {}", r.name);
    }
    throw Error(fmt::format("{} needs a float32 Box action space (continuous actions), {} has {}{}",
                            name_, env_.id, act.ToString(), hint));
  }
  action_dim_ = act.flat_size();
  for (int64_t i = 0; i < action_dim_; ++i) {
    const double lo = act.low()[static_cast<size_t>(i)];
    const double hi = act.high()[static_cast<size_t>(i)];
    Require(std::isfinite(lo) && std::isfinite(hi) && lo < hi,
            "{} needs finite action bounds low < high, {} has {}", name_, env_.id, act.ToString());
    low_.push_back(static_cast<float>(lo));
    high_.push_back(static_cast<float>(hi));
  }
  // Without the dataset's statistics (online, or a checkpoint being loaded for evaluation), 0
  // and 1 until the checkpoint's obs_mean / obs_std replace them.
  if (config_.normalize_obs && !context.dataset_obs_mean.empty()) {
    std::vector<float> mean(context.dataset_obs_mean.begin(), context.dataset_obs_mean.end());
    std::vector<float> std(context.dataset_obs_std.begin(), context.dataset_obs_std.end());
    obs_mean_ = torch::tensor(mean).unsqueeze(0);
    obs_std_ = (torch::tensor(std) + 1e-3f).unsqueeze(0);  // TD3+BC's eps
  } else {
    obs_mean_ = torch::zeros({1, obs_dim_});
    obs_std_ = torch::ones({1, obs_dim_});
  }
}

torch::Tensor ContinuousAgent::ObsTensor(const void* obs, int64_t n) const {
  torch::Tensor x = FloatObsTensor(env_.observation_space, obs, n, obs_dim_);
  return config_.normalize_obs ? (x - obs_mean_) / obs_std_ : x;
}

void ContinuousAgent::Act(const void* obs, int64_t n, bool explore, void* out) {
  auto* actions = static_cast<float*>(out);
  const size_t dim = static_cast<size_t>(action_dim_);
  if (explore && env_steps_ < config_.learning_starts) {
    // SB3: action_space.sample() (uniform in the bounds) until learning_starts.
    for (int64_t i = 0; i < n; ++i) {
      for (size_t d = 0; d < dim; ++d) {
        actions[static_cast<size_t>(i) * dim + d] =
            static_cast<float>(explore_rng_.Uniform(low_[d], high_[d]));
      }
    }
    return;
  }
  torch::NoGradGuard no_grad;
  torch::Tensor u = PolicyActions(ObsTensor(obs, n), explore).contiguous();
  const float* p = u.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    for (size_t d = 0; d < dim; ++d) {
      const size_t k = static_cast<size_t>(i) * dim + d;
      // SB3's unscale_action: low + 0.5 * (u + 1) * (high - low); u is already in [-1, 1].
      actions[k] = low_[d] + 0.5f * (p[k] + 1.0f) * (high_[d] - low_[d]);
    }
  }
}

ContinuousAgent::BatchTensors ContinuousAgent::Tensors(const Batch& batch) const {
  const int64_t b = batch.size();
  BatchTensors t;
  t.obs = ObsTensor(batch.obs_data(), b);
  t.next_obs = ObsTensor(batch.next_obs_data(), b);
  torch::Tensor a = torch::from_blob(const_cast<std::byte*>(batch.action_data()), {b, action_dim_},
                                     torch::kFloat32);
  torch::Tensor low = torch::from_blob(const_cast<float*>(low_.data()), {action_dim_});
  torch::Tensor high = torch::from_blob(const_cast<float*>(high_.data()), {action_dim_});
  // SB3's scale_action: 2 * (a - low) / (high - low) - 1.
  t.action = 2.0f * ((a - low) / (high - low)) - 1.0f;
  t.reward = torch::from_blob(const_cast<float*>(batch.reward().data()), {b}, torch::kFloat32);
  t.discount = torch::from_blob(const_cast<float*>(batch.discount().data()), {b}, torch::kFloat32);
  return t;
}

void ContinuousAgent::QValues(const void* obs, const float* actions, int64_t n, double* q) {
  Critics* c = critics();
  if (c == nullptr) {
    throw Error(
        fmt::format("{} has no Q-function to rank actions with; use the run of a critic "
                    "(iql, cql, td3_bc, td3, sac)",
                    name_));
  }
  torch::NoGradGuard no_grad;
  torch::Tensor a =
      torch::from_blob(const_cast<float*>(actions), {n, action_dim_}, torch::kFloat32);
  torch::Tensor low = torch::from_blob(low_.data(), {action_dim_});
  torch::Tensor high = torch::from_blob(high_.data(), {action_dim_});
  const torch::Tensor in =
      torch::cat({ObsTensor(obs, n), 2.0f * ((a - low) / (high - low)) - 1.0f}, 1);
  const torch::Tensor out = Critics::Min(c->online, in).to(torch::kFloat64).contiguous();
  std::copy(out.data_ptr<double>(), out.data_ptr<double>() + n, q);
}

MlpNet ContinuousAgent::MakeNet(const std::vector<int64_t>& sizes, int64_t outputs,
                                bool with_action) {
  nets::MlpOptions o;
  o.input_size = obs_dim_ + (with_action ? action_dim_ : 0);
  o.hidden_sizes = sizes;
  o.output_size = outputs;
  o.activation = nets::ParseActivation(config_.activation);
  return MlpNet(o, net_rng_, config_.fast_path);
}

std::unique_ptr<torch::optim::Optimizer> ContinuousAgent::MakeAdam(
    std::vector<torch::Tensor> params, double lr) const {
  nets::OptimizerConfig oc;
  oc.name = "adam";
  oc.lr = lr;
  oc.eps = config_.adam_eps;
  oc.fast_path = config_.fast_path;
  return nets::MakeOptimizer(oc, std::move(params));
}

Critics ContinuousAgent::MakeCritics(int64_t n, double lr) {
  Critics c;
  std::vector<torch::Tensor> params;
  for (int64_t k = 0; k < n; ++k) {
    c.online.push_back(MakeNet(config_.critic_sizes(), 1, /*with_action=*/true));
    for (auto& p : c.online.back()->parameters()) params.push_back(p);
  }
  for (auto& q : c.online) c.target.push_back(MlpNet(q->CloneTarget()));
  c.optimizer = MakeAdam(params, lr);
  return c;
}

torch::Tensor Critics::Min(std::vector<MlpNet>& nets, const torch::Tensor& in) {
  torch::Tensor q = nets[0]->forward(in);
  for (size_t k = 1; k < nets.size(); ++k) q = torch::min(q, nets[k]->forward(in));
  return q.squeeze(1);
}

void Critics::SoftUpdate(double tau) {
  for (size_t k = 0; k < online.size(); ++k) nets::SoftUpdate(*target[k], *online[k], tau);
}

void Critics::Declare(nets::StateDict& state) {
  for (size_t k = 0; k < online.size(); ++k) {
    state.AddModule(fmt::format("critic{}", k), *online[k]);
    state.AddModule(fmt::format("critic{}_target", k), *target[k], /*frozen=*/true);
  }
  state.AddOptimizer("critic_optimizer", *optimizer);
}

void ContinuousAgent::CheckFinite(const torch::Tensor& t, const char* what) const {
  if (!torch::isfinite(t).all().item<bool>()) {
    throw Error(fmt::format(
        "{}: non-finite values (NaN or Inf) in {} at gradient step {} (env step {}); lower "
        "{}.lr",
        name_, what, num_updates_ + 1, env_steps_, name_));
  }
}

Metrics ContinuousAgent::Update(const Batch& batch) {
  if (!timer_.enabled()) return Learn(batch);
  const double timed_before = timer_.total();
  const auto start = PhaseTimer::Clock::now();
  Metrics m = Learn(batch);
  const double elapsed = PhaseTimer::Seconds(start, PhaseTimer::Clock::now());
  timer_.Add(kForward, elapsed - (timer_.total() - timed_before));
  return m;
}

double ContinuousAgent::Step(torch::optim::Optimizer& optimizer, const torch::Tensor& loss,
                             const std::vector<torch::Tensor>* clip_params, double max_grad_norm) {
  {
    const auto timed = timer_.Time(kBackward);
    nets::ZeroGrad(optimizer);
    loss.backward();
  }
  const auto timed = timer_.Time(kOptimizer);
  sync_.AllReduce(optimizer);
  const double grad_norm = clip_params ? nets::ClipGradNorm(*clip_params, max_grad_norm) : 0.0;
  optimizer.step();
  return grad_norm;
}

Metrics ContinuousAgent::Stats() const {
  return {{"gradient_steps", static_cast<double>(num_updates_)}};
}

Metrics ContinuousAgent::ProfileSeconds() const {
  if (!timer_.enabled()) return {};
  // Target updates happen inside Update here (per gradient step, as in SB3's TD3/SAC), so they
  // are part of the update's split, under their own name.
  return {{"forward", timer_.seconds(kForward)},
          {"backward", timer_.seconds(kBackward)},
          {"optimizer", timer_.seconds(kOptimizer)},
          {"polyak", timer_.seconds(kTarget)}};
}

OffPolicySchedule ContinuousAgent::schedule() const {
  OffPolicySchedule s;
  s.learning_starts = config_.learning_starts;
  s.train_freq = config_.train_freq;
  s.gradient_steps = config_.gradient_steps;
  s.batch_size = config_.batch_size;
  s.replay.capacity = config_.buffer_size;
  s.replay.gamma = config_.gamma;
  s.replay.n_step = static_cast<int>(config_.n_step);
  s.replay.num_envs = num_envs_;
  s.normalize_reward = config_.normalize_reward;
  return s;
}

void ContinuousAgent::DeclareState(nets::StateDict& state) {
  DeclareModules(state);
  state.AddInt("num_updates", num_updates_);
  state.AddInt("env_steps", env_steps_);
  state.AddRng("explore_rng", explore_rng_);
  state.AddRng("update_rng", update_rng_);
  state.AddTensor("obs_mean", obs_mean_);
  state.AddTensor("obs_std", obs_std_);
}

// ---- SoftAgent ----------------------------------------------------------------------------------

std::pair<bool, double> SoftConfig::EntCoef(const std::string& a) const {
  const std::string& s = ent_coef;
  try {
    if (s == "auto") return {true, 1.0};
    size_t used = 0;
    if (s.rfind("auto_", 0) == 0) {
      const double x = std::stod(s.substr(5), &used);
      if (used == s.size() - 5 && x > 0.0 && std::isfinite(x)) return {true, x};
    } else {
      const double x = std::stod(s, &used);
      if (used == s.size() && x >= 0.0 && std::isfinite(x)) return {false, x};
    }
  } catch (const std::exception&) {
  }
  throw Error(fmt::format(
      "{}.ent_coef must be auto, auto_<initial value > 0> or a number >= 0, got '{}'", a, s));
}

double SoftConfig::TargetEntropy(const std::string& a, int64_t action_dim) const {
  if (target_entropy == "auto") return -static_cast<double>(action_dim);
  try {
    size_t used = 0;
    const double x = std::stod(target_entropy, &used);
    if (used == target_entropy.size() && std::isfinite(x)) return x;
  } catch (const std::exception&) {
  }
  throw Error(
      fmt::format("{}.target_entropy must be auto or a number, got '{}'", a, target_entropy));
}

void SoftConfig::Validate(const std::string& a) const {
  ContinuousAgentConfig::Validate(a);
  EntCoef(a);
  TargetEntropy(a, 1);
  Require(target_update_interval >= 1, "{}.target_update_interval must be >= 1, got {}", a,
          target_update_interval);
  Require(n_critics >= 1 && n_critics <= 10, "{}.n_critics must be in [1, 10], got {}", a,
          n_critics);
  Require(log_std_min < log_std_max, "{}.log_std_min ({}) must be below {}.log_std_max ({})", a,
          log_std_min, a, log_std_max);
  Require(actor_lr >= 0.0 && std::isfinite(actor_lr),
          "{}.actor_lr must be a finite number >= 0 (0: lr), got {}", a, actor_lr);
}

SoftAgent::SoftAgent(const SoftConfig& config, AlgoContext& context, const std::string& name)
    : ContinuousAgent(config, context, name), soft_(config) {
  soft_.Validate(name);
  const auto [learned, value] = soft_.EntCoef(name);
  target_entropy_ = soft_.TargetEntropy(name, action_dim());
  actor_ = MakeNet(soft_.hidden_sizes, 2 * action_dim(), /*with_action=*/false);
  const double actor_lr = soft_.actor_lr > 0.0 ? soft_.actor_lr : soft_.lr;
  actor_optimizer_ = MakeAdam(actor_->parameters(), actor_lr);
  log_ent_coef_ = torch::full({1}, std::log(value), torch::kFloat32);
  if (learned) {
    log_ent_coef_.requires_grad_(true);
    ent_optimizer_ = MakeAdam({log_ent_coef_}, actor_lr);
  }
}

std::pair<torch::Tensor, torch::Tensor> SoftAgent::Heads(const torch::Tensor& obs) {
  torch::Tensor out = actor_->forward(obs);
  torch::Tensor mu = out.narrow(1, 0, action_dim());
  torch::Tensor log_std =
      out.narrow(1, action_dim(), action_dim()).clamp(soft_.log_std_min, soft_.log_std_max);
  return {mu, log_std};
}

std::pair<torch::Tensor, torch::Tensor> SoftAgent::Sample(const torch::Tensor& obs) {
  torch::Tensor eps = StandardNormal(update_rng(), {obs.size(0), action_dim()});
  return SquashedGaussian(actor_->forward(obs), eps, soft_.log_std_min, soft_.log_std_max);
}

torch::Tensor SoftAgent::PolicyActions(const torch::Tensor& obs, bool explore) {
  auto [mu, log_std] = Heads(obs);
  if (!explore) return torch::tanh(mu);
  torch::Tensor eps = StandardNormal(explore_rng(), {obs.size(0), action_dim()});
  return torch::tanh(mu + torch::exp(log_std) * eps);
}

torch::Tensor SoftAgent::UpdateTemperature(const torch::Tensor& log_prob) {
  torch::Tensor alpha = Alpha();
  if (ent_optimizer_) {
    // J(log alpha) = -mean(log alpha * (log pi + H_target)) (eq. 18) has the gradient
    // -mean(log pi + H_target): set it directly instead of building a graph for one scalar.
    const torch::Tensor lp = log_prob.detach().contiguous();
    const float* p = lp.data_ptr<float>();
    const auto h = static_cast<float>(target_entropy_);
    float sum = 0.0f;
    for (int64_t i = 0; i < lp.numel(); ++i) sum += p[i] + h;
    log_ent_coef_.mutable_grad() =
        torch::full({1}, -sum / static_cast<float>(lp.numel()), torch::kFloat32);
    gradient_sync().AllReduce(*ent_optimizer_);
    ent_optimizer_->step();
  }
  return alpha;
}

void SoftAgent::StepActor(const torch::Tensor& loss) { Step(*actor_optimizer_, loss); }

double SoftAgent::StepSoftActor(Critics& critics, const torch::Tensor& obs, const torch::Tensor& pi,
                                const torch::Tensor& log_prob, const torch::Tensor& alpha) {
  const FrozenParams frozen(critics.online);
  const torch::Tensor loss =
      (alpha * log_prob - Critics::Min(critics.online, torch::cat({obs, pi}, 1))).mean();
  const double value = loss.item<double>();
  if (!std::isfinite(value)) CheckFinite(loss, "actor_loss");
  StepActor(loss);
  return value;
}

void SoftAgent::DeclareSoftState(nets::StateDict& state) {
  state.AddModule("actor", *actor_);
  state.AddOptimizer("actor_optimizer", *actor_optimizer_);
  state.AddTensor("log_ent_coef", log_ent_coef_);
  if (ent_optimizer_) state.AddOptimizer("ent_optimizer", *ent_optimizer_);
}

torch::Tensor SoftTdTarget(const std::vector<torch::Tensor>& next_q, const torch::Tensor& alpha,
                           const torch::Tensor& next_log_prob, const torch::Tensor& reward,
                           const torch::Tensor& discount) {
  const int64_t b = reward.size(0);
  std::vector<torch::Tensor> qs;
  std::vector<const float*> qp;
  for (const auto& q : next_q) {
    qs.push_back(q.contiguous());
    qp.push_back(qs.back().data_ptr<float>());
  }
  const torch::Tensor lp = next_log_prob.contiguous();
  const torch::Tensor r = reward.contiguous();
  const torch::Tensor d = discount.contiguous();
  const float a = alpha.item<float>();
  torch::Tensor y = torch::empty({b});
  float* py = y.data_ptr<float>();
  const float* plp = lp.data_ptr<float>();
  const float* pr = r.data_ptr<float>();
  const float* pd = d.data_ptr<float>();
  for (int64_t i = 0; i < b; ++i) {
    float m = qp[0][i];
    for (size_t k = 1; k < qp.size(); ++k) m = std::min(m, qp[k][i]);
    py[i] = pr[i] + pd[i] * (m - a * plp[i]);
  }
  return y;
}

}  // namespace bellman::algos
