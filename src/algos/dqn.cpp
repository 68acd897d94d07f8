// DQN (Mnih et al. 2015) with Double DQN, dueling heads, n-step, PER, soft/hard target updates
// and gradient clipping, composed through DqnConfig (see include/bellman/algos/dqn.h and
// docs/dqn.md).
#include "bellman/algos/dqn.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "bellman/core/config.h"
#include "bellman/core/error.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"

namespace bellman::algos {

namespace {

void Check(bool ok, const std::string& message) {
  if (!ok) throw Error(message);
}

bool Finite(double x) { return std::isfinite(x); }

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// RngState as int64 words for a torch archive: state hi/lo, inc hi/lo, has_uint32, uinteger.
torch::Tensor RngToTensor(const RngState& s) {
  auto t = torch::empty({6}, torch::kInt64);
  auto* p = t.data_ptr<int64_t>();
  p[0] = static_cast<int64_t>(static_cast<uint64_t>(s.state >> 64));
  p[1] = static_cast<int64_t>(static_cast<uint64_t>(s.state));
  p[2] = static_cast<int64_t>(static_cast<uint64_t>(s.inc >> 64));
  p[3] = static_cast<int64_t>(static_cast<uint64_t>(s.inc));
  p[4] = s.has_uint32 ? 1 : 0;
  p[5] = static_cast<int64_t>(s.uinteger);
  return t;
}

RngState RngFromTensor(const torch::Tensor& t) {
  Check(t.numel() == 6 && t.scalar_type() == torch::kInt64,
        "dqn checkpoint: explore_rng must hold 6 int64 words");
  const auto* p = t.data_ptr<int64_t>();
  auto u128 = [](int64_t hi, int64_t lo) {
    return (static_cast<unsigned __int128>(static_cast<uint64_t>(hi)) << 64) |
           static_cast<uint64_t>(lo);
  };
  RngState s;
  s.state = u128(p[0], p[1]);
  s.inc = u128(p[2], p[3]);
  s.has_uint32 = p[4] != 0;
  s.uinteger = static_cast<uint32_t>(p[5]);
  return s;
}

int64_t InputSize(const Space& space) {
  if (space.kind() == Space::Kind::kDiscrete) return space.n();  // one-hot
  if (space.kind() == Space::Kind::kBox && space.dtype() == DType::kFloat32) {
    return space.flat_size();
  }
  throw Error(fmt::format("dqn: observation space {} is not supported (float32 Box or Discrete)",
                          space.ToString()));
}

}  // namespace

void DqnConfig::Validate() const {
  Check(gamma >= 0.0 && gamma <= 1.0, fmt::format("dqn.gamma must be in [0, 1], got {}", gamma));
  Check(lr > 0.0 && Finite(lr), fmt::format("dqn.lr must be a finite number > 0, got {}", lr));
  Check(optimizer == "adam" || optimizer == "rmsprop",
        fmt::format("dqn.optimizer must be adam or rmsprop, got '{}'", optimizer));
  Check(adam_eps >= 0.0, fmt::format("dqn.adam_eps must be >= 0, got {}", adam_eps));
  Check(batch_size >= 1, fmt::format("dqn.batch_size must be >= 1, got {}", batch_size));
  Check(buffer_size >= 1, fmt::format("dqn.buffer_size must be >= 1, got {}", buffer_size));
  Check(learning_starts >= 0,
        fmt::format("dqn.learning_starts must be >= 0, got {}", learning_starts));
  Check(train_freq >= 1, fmt::format("dqn.train_freq must be >= 1, got {}", train_freq));
  Check(gradient_steps >= 1 || gradient_steps == -1,
        fmt::format("dqn.gradient_steps must be >= 1 or -1 (one per env step), got {}",
                    gradient_steps));
  Check(target_update_interval >= 1,
        fmt::format("dqn.target_update_interval must be >= 1, got {}", target_update_interval));
  Check(tau > 0.0 && tau <= 1.0, fmt::format("dqn.tau must be in (0, 1], got {}", tau));
  Check(n_step >= 1, fmt::format("dqn.n_step must be >= 1, got {}", n_step));
  Check(per_alpha >= 0.0, fmt::format("dqn.per_alpha must be >= 0, got {}", per_alpha));
  Check(per_beta0 >= 0.0 && per_beta0 <= 1.0,
        fmt::format("dqn.per_beta0 must be in [0, 1], got {}", per_beta0));
  Check(per_beta_steps >= 0,
        fmt::format("dqn.per_beta_steps must be >= 0, got {}", per_beta_steps));
  Check(Finite(max_grad_norm),
        fmt::format("dqn.max_grad_norm must be finite (<= 0: no clipping), got {}", max_grad_norm));
  Check(exploration_fraction > 0.0 && exploration_fraction <= 1.0,
        fmt::format("dqn.exploration_fraction must be in (0, 1], got {}", exploration_fraction));
  Check(exploration_initial_eps >= 0.0 && exploration_initial_eps <= 1.0,
        fmt::format("dqn.exploration_initial_eps must be in [0, 1], got {}",
                    exploration_initial_eps));
  Check(exploration_final_eps >= 0.0 && exploration_final_eps <= 1.0,
        fmt::format("dqn.exploration_final_eps must be in [0, 1], got {}", exploration_final_eps));
  Check(loss == "huber" || loss == "mse",
        fmt::format("dqn.loss must be huber or mse, got '{}'", loss));
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

Dqn::Dqn(const DqnConfig& config, AlgoContext context)
    : config_(config),
      env_(std::move(context.env)),
      num_envs_(context.num_envs),
      total_timesteps_(context.total_timesteps),
      explore_rng_(context.explore_rng),
      profile_(context.profile) {
  config_.Validate();
  Check(env_.action_space.kind() == Space::Kind::kDiscrete,
        fmt::format("dqn needs a Discrete action space, {} has {}", env_.id,
                    env_.action_space.ToString()));
  obs_size_ = InputSize(env_.observation_space);
  num_actions_ = env_.action_space.n();
  q_net_ = nets::MakeQNetwork(config_.net, obs_size_, num_actions_, torch::Device(context.device),
                              context.net_rng);
  q_target_ = q_net_->Clone();
  for (auto& p : q_target_->parameters()) p.requires_grad_(false);
  nets::OptimizerConfig oc;
  oc.name = config_.optimizer;
  oc.lr = config_.lr;
  oc.eps = config_.adam_eps;
  oc.fast_path = config_.net.fast_path;
  optimizer_ = nets::MakeOptimizer(oc, q_net_->parameters());
  epsilon_ = config_.exploration_initial_eps;
}

torch::Tensor Dqn::ObsTensor(const void* obs, int64_t n) const {
  const Space& space = env_.observation_space;
  if (space.kind() == Space::Kind::kDiscrete) {
    torch::Tensor out = torch::zeros({n, obs_size_}, torch::kFloat32);
    auto* o = out.data_ptr<float>();
    const auto* s = static_cast<const int64_t*>(obs);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t k = s[i] - space.start();
      if (k < 0 || k >= obs_size_) {
        throw Error(fmt::format("dqn: observation {} is outside {}", s[i], space.ToString()));
      }
      o[i * obs_size_ + k] = 1.0f;
    }
    return out;
  }
  // The network never writes into its input: the const_cast only satisfies from_blob's void*.
  return torch::from_blob(const_cast<void*>(obs), {n, obs_size_}, torch::kFloat32);
}

void Dqn::Act(const void* obs, int64_t n, bool explore, int64_t* actions) {
  const int64_t start = env_.action_space.start();
  if (explore && env_steps_ < config_.learning_starts) {
    // SB3: uniform random actions until learning_starts, no forward pass.
    for (int64_t i = 0; i < n; ++i) actions[i] = start + explore_rng_.Integers(0, num_actions_);
    return;
  }
  {
    torch::NoGradGuard no_grad;
    torch::Tensor greedy = q_net_->forward(ObsTensor(obs, n)).argmax(1).contiguous();
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

torch::Tensor Dqn::TdTarget(const torch::Tensor& reward, const torch::Tensor& discount,
                            const torch::Tensor& next_obs) {
  torch::NoGradGuard no_grad;
  torch::Tensor next_q_target = q_target_->forward(next_obs);  // [B, A]
  torch::Tensor next_q;
  if (config_.double_q) {
    // van Hasselt et al. 2016, eq. 4: the online net selects a', the target net evaluates it.
    torch::Tensor a_star = q_net_->forward(next_obs).argmax(1, /*keepdim=*/true);
    next_q = next_q_target.gather(1, a_star).squeeze(1);
  } else {
    // Mnih et al. 2015, Algorithm 1: y = r + gamma * max_a' Q_target(s', a').
    next_q = std::get<0>(next_q_target.max(1));
  }
  // discount = gamma^k, or 0 where the transition terminated (the replay stores it;
  // docs/replay.md).
  return reward + discount * next_q;
}

Metrics Dqn::Update(const Batch& batch) {
  // Profiling reads the clock only when on; CPU tensors compute eagerly, so a phase's time is
  // the time of its own ops.
  const Clock::time_point t0 = profile_ ? Clock::now() : Clock::time_point{};
  const int64_t b = batch.size();
  const int64_t step = num_updates_ + 1;
  auto check_finite = [&](const torch::Tensor& t, const char* name) {
    if (!torch::isfinite(t).all().item<bool>()) {
      throw Error(fmt::format(
          "dqn: non-finite values (NaN or Inf) in {} at gradient step {} (env step {}); lower "
          "dqn.lr or set dqn.max_grad_norm",
          name, step, env_steps_));
    }
  };
  torch::Tensor obs = ObsTensor(batch.obs_data(), b);
  torch::Tensor next_obs = ObsTensor(batch.next_obs_data(), b);
  torch::Tensor actions =
      torch::from_blob(const_cast<std::byte*>(batch.action_data()), {b, 1}, torch::kInt64);
  if (env_.action_space.start() != 0) actions = actions - env_.action_space.start();
  torch::Tensor reward =
      torch::from_blob(const_cast<float*>(batch.reward().data()), {b}, torch::kFloat32);
  torch::Tensor discount =
      torch::from_blob(const_cast<float*>(batch.discount().data()), {b}, torch::kFloat32);

  torch::Tensor td_target = TdTarget(reward, discount, next_obs);
  check_finite(td_target, "td_target");
  torch::Tensor q_all = q_net_->forward(obs);
  check_finite(q_all, "q_values");
  torch::Tensor q = q_all.gather(1, actions).squeeze(1);
  // Huber loss = Mnih et al. 2015's clipping of the TD error to [-1, 1] in the gradient.
  torch::Tensor elementwise = config_.loss == "huber"
                                  ? torch::smooth_l1_loss(q, td_target, at::Reduction::None)
                                  : torch::mse_loss(q, td_target, at::Reduction::None);
  torch::Tensor loss;
  if (config_.prioritized) {
    // Schaul et al. 2016, Algorithm 1 line 12: importance weights correct PER's bias.
    torch::Tensor weights =
        torch::from_blob(const_cast<float*>(batch.weights().data()), {b}, torch::kFloat32);
    loss = (weights * elementwise).mean();
  } else {
    loss = elementwise.mean();
  }
  const double loss_value = loss.item<double>();
  if (!std::isfinite(loss_value)) check_finite(loss, "loss");

  Clock::time_point t1, t2, t3;
  if (profile_) t1 = Clock::now();
  nets::ZeroGrad(*optimizer_);
  loss.backward();
  if (profile_) t2 = Clock::now();
  if (config_.max_grad_norm > 0.0) nets::ClipGradNorm(q_net_->parameters(), config_.max_grad_norm);
  optimizer_->step();
  if (profile_) {
    t3 = Clock::now();
    forward_seconds_ += Seconds(t0, t1);
    backward_seconds_ += Seconds(t1, t2);
    optimizer_seconds_ += Seconds(t2, t3);
  }
  ++num_updates_;

  torch::Tensor q_detached = q.detach();
  if (config_.prioritized) {
    torch::Tensor td = (q_detached - td_target).abs().contiguous();
    const float* p = td.data_ptr<float>();
    td_errors_.assign(p, p + b);
  }
  return {{"loss", loss_value}, {"q_mean", q_detached.mean().item<double>()}};
}

void Dqn::OnEnvStep(int64_t env_steps) {
  env_steps_ = env_steps;
  ++num_env_calls_;
  // SB3 DQN._on_step: the target interval is counted in env steps, i.e. every
  // max(interval / num_envs, 1) vector steps.
  const int64_t every = std::max<int64_t>(config_.target_update_interval / num_envs_, 1);
  if (num_env_calls_ % every == 0) {
    const Clock::time_point t0 = profile_ ? Clock::now() : Clock::time_point{};
    if (config_.tau >= 1.0) {
      nets::HardUpdate(*q_target_, *q_net_);
    } else {
      nets::SoftUpdate(*q_target_, *q_net_, config_.tau);
    }
    ++num_target_updates_;
    if (profile_) target_seconds_ += Seconds(t0, Clock::now());
  }
  epsilon_ = LinearEpsilon(config_.exploration_initial_eps, config_.exploration_final_eps,
                           config_.exploration_fraction, env_steps_, total_timesteps_);
}

Metrics Dqn::Stats() const {
  return {{"epsilon", epsilon_},
          {"gradient_steps", static_cast<double>(num_updates_)},
          {"target_updates", static_cast<double>(num_target_updates_)}};
}

Metrics Dqn::ProfileSeconds() const {
  if (!profile_) return {};
  return {{"forward", forward_seconds_},
          {"backward", backward_seconds_},
          {"optimizer", optimizer_seconds_},
          {"target_update", target_seconds_}};
}

OffPolicySchedule Dqn::schedule() const {
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

void Dqn::Save(const std::filesystem::path& dir) const {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive net, target, optim;
  q_net_->save(net);
  q_target_->save(target);
  optimizer_->save(optim);
  archive.write("q_net", net);
  archive.write("q_target", target);
  archive.write("optimizer", optim);
  auto counters =
      torch::tensor({num_updates_, num_env_calls_, num_target_updates_, env_steps_}, torch::kInt64);
  archive.write("counters", counters);
  archive.write("epsilon", torch::tensor({epsilon_}, torch::kFloat64));
  archive.write("explore_rng", RngToTensor(explore_rng_.state()));
  archive.save_to((dir / "dqn.pt").string());
}

void Dqn::Load(const std::filesystem::path& dir) {
  const std::string path = (dir / "dqn.pt").string();
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::serialize::InputArchive net, target, optim;
    archive.read("q_net", net);
    archive.read("q_target", target);
    archive.read("optimizer", optim);
    q_net_->load(net);
    q_target_->load(target);
    optimizer_->load(optim);
    torch::Tensor counters, epsilon, rng;
    archive.read("counters", counters);
    archive.read("epsilon", epsilon);
    archive.read("explore_rng", rng);
    Check(counters.numel() == 4, "counters must hold 4 values");
    const auto* c = counters.data_ptr<int64_t>();
    num_updates_ = c[0];
    num_env_calls_ = c[1];
    num_target_updates_ = c[2];
    env_steps_ = c[3];
    epsilon_ = epsilon.data_ptr<double>()[0];
    explore_rng_.set_state(RngFromTensor(rng));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: not a DQN checkpoint for this config ({})", path,
                            e.what_without_backtrace()));
  }
  for (auto& p : q_target_->parameters()) p.requires_grad_(false);
}

// ---- registration ----------------------------------------------------------------------------

namespace {

DqnConfig LoadDqnConfig(const YAML::Node& node) {
  auto cfg = LoadConfig<DqnConfig>(node, "dqn");
  cfg.Validate();
  return cfg;
}

}  // namespace

AlgoRegistration DqnRegistration() {
  return AlgoRegistration{
      .name = "dqn",
      .resolve = [](const YAML::Node& node) { return DumpConfig(LoadDqnConfig(node)); },
      .make = [](const YAML::Node& node,
                 AlgoContext context) -> std::unique_ptr<OffPolicyAlgorithm> {
        return std::make_unique<Dqn>(LoadDqnConfig(node), std::move(context));
      }};
}

}  // namespace bellman::algos
