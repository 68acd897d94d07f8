// The continuous off-policy family's shared machinery (include/bellman/algos/actor_critic.h).
#include "bellman/algos/actor_critic.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

#include "bellman/core/error.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"
#include "rng_archive.h"

namespace bellman::algos {

namespace {

using Clock = std::chrono::steady_clock;

void Check(bool ok, const std::string& message) {
  if (!ok) throw Error(message);
}

}  // namespace

void ContinuousAgentConfig::Validate(const std::string& a) const {
  Check(gamma >= 0.0 && gamma <= 1.0, fmt::format("{}.gamma must be in [0, 1], got {}", a, gamma));
  Check(lr > 0.0 && std::isfinite(lr),
        fmt::format("{}.lr must be a finite number > 0, got {}", a, lr));
  Check(adam_eps >= 0.0, fmt::format("{}.adam_eps must be >= 0, got {}", a, adam_eps));
  Check(batch_size >= 1, fmt::format("{}.batch_size must be >= 1, got {}", a, batch_size));
  Check(buffer_size >= 1, fmt::format("{}.buffer_size must be >= 1, got {}", a, buffer_size));
  Check(learning_starts >= 0,
        fmt::format("{}.learning_starts must be >= 0, got {}", a, learning_starts));
  Check(train_freq >= 1, fmt::format("{}.train_freq must be >= 1, got {}", a, train_freq));
  Check(gradient_steps >= 1 || gradient_steps == -1,
        fmt::format("{}.gradient_steps must be >= 1 or -1 (one per env step), got {}", a,
                    gradient_steps));
  Check(tau > 0.0 && tau <= 1.0, fmt::format("{}.tau must be in (0, 1], got {}", a, tau));
  Check(n_step >= 1, fmt::format("{}.n_step must be >= 1, got {}", a, n_step));
  for (int64_t h : hidden_sizes) {
    Check(h >= 1, fmt::format("{}.hidden_sizes must be >= 1 each, got [{}]", a,
                              fmt::join(hidden_sizes, ", ")));
  }
  for (int64_t h : critic_hidden_sizes) {
    Check(h >= 1, fmt::format("{}.critic_hidden_sizes must be >= 1 each, got [{}]", a,
                              fmt::join(critic_hidden_sizes, ", ")));
  }
  nets::ParseActivation(activation);
}

// ---- MlpNet -------------------------------------------------------------------------------------

MlpNetImpl::MlpNetImpl(const nets::MlpOptions& options, Rng& rng, bool fused)
    : options_(options), fused_(fused) {
  if (fused_) {
    fast_ = register_module("mlp", nets::FusedMlp(options_, rng));
  } else {
    plain_ = register_module("mlp", nets::Mlp(options_, rng));
  }
}

torch::Tensor MlpNetImpl::forward(const torch::Tensor& x) {
  return fused_ ? fast_->forward(x) : plain_->forward(x);
}

std::shared_ptr<MlpNetImpl> MlpNetImpl::CloneTarget() const {
  Rng unused(0);  // the weights are overwritten by the copy below
  auto copy = std::make_shared<MlpNetImpl>(options_, unused, fused_);
  nets::HardUpdate(*copy, *this);
  for (auto& p : copy->parameters()) p.requires_grad_(false);
  return copy;
}

int64_t FloatObsDim(const EnvSpec& env, const std::string& algo) {
  const Space& obs = env.observation_space;
  Check(obs.kind() == Space::Kind::kBox &&
            (obs.dtype() == DType::kFloat32 || obs.dtype() == DType::kFloat64),
        fmt::format("{} needs a float32 or float64 Box observation space, {} has {}", algo, env.id,
                    obs.ToString()));
  return obs.flat_size();
}

torch::Tensor FloatObsTensor(const Space& space, const void* obs, int64_t n, int64_t dim) {
  if (space.dtype() == DType::kFloat64) {
    return torch::from_blob(const_cast<void*>(obs), {n, dim}, torch::kFloat64).to(torch::kFloat32);
  }
  // The networks never write into their input: the const_cast only satisfies from_blob.
  return torch::from_blob(const_cast<void*>(obs), {n, dim}, torch::kFloat32);
}

FrozenParams::FrozenParams(const std::vector<MlpNet>& nets) {
  for (const auto& n : nets) {
    for (auto& p : n->parameters()) {
      if (p.requires_grad()) {
        p.requires_grad_(false);
        params_.push_back(p);
      }
    }
  }
}

FrozenParams::~FrozenParams() {
  for (auto& p : params_) p.requires_grad_(true);
}

torch::Tensor StandardNormal(Rng& rng, at::IntArrayRef shape) {
  torch::Tensor t = torch::empty(shape, torch::kFloat32);
  float* p = t.data_ptr<float>();
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(rng.StandardNormal());
  return t;
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
      profile_(context.profile) {
  config_.Validate(name_);
  obs_dim_ = FloatObsDim(env_, name_);
  const Space& act = env_.action_space;
  Check(act.kind() == Space::Kind::kBox && act.dtype() == DType::kFloat32,
        fmt::format("{} needs a float32 Box action space (continuous actions), {} has {}", name_,
                    env_.id, act.ToString()));
  action_dim_ = act.flat_size();
  for (int64_t i = 0; i < action_dim_; ++i) {
    const double lo = act.low()[static_cast<size_t>(i)];
    const double hi = act.high()[static_cast<size_t>(i)];
    Check(std::isfinite(lo) && std::isfinite(hi) && lo < hi,
          fmt::format("{} needs finite action bounds low < high, {} has {}", name_, env_.id,
                      act.ToString()));
    low_.push_back(static_cast<float>(lo));
    high_.push_back(static_cast<float>(hi));
  }
}

torch::Tensor ContinuousAgent::ObsTensor(const void* obs, int64_t n) const {
  return FloatObsTensor(env_.observation_space, obs, n, obs_dim_);
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

void ContinuousAgent::CheckFinite(const torch::Tensor& t, const char* what) const {
  if (!torch::isfinite(t).all().item<bool>()) {
    throw Error(fmt::format(
        "{}: non-finite values (NaN or Inf) in {} at gradient step {} (env step {}); lower "
        "{}.lr",
        name_, what, num_updates_ + 1, env_steps_, name_));
  }
}

void ContinuousAgent::BeginUpdate() {
  if (profile_) lap_ = Clock::now();
}

void ContinuousAgent::Lap(int phase) {
  if (!profile_) return;
  const auto now = Clock::now();
  seconds_[phase] += std::chrono::duration<double>(now - lap_).count();
  lap_ = now;
}

Metrics ContinuousAgent::Stats() const {
  return {{"gradient_steps", static_cast<double>(num_updates_)}};
}

Metrics ContinuousAgent::ProfileSeconds() const {
  if (!profile_) return {};
  // Target updates happen inside Update here (per gradient step, as in SB3's TD3/SAC), so they
  // are part of the update's split, under their own name.
  return {{"forward", seconds_[kForward]},
          {"backward", seconds_[kBackward]},
          {"optimizer", seconds_[kOptimizer]},
          {"polyak", seconds_[kTarget]}};
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
  return s;
}

void ContinuousAgent::Save(const std::filesystem::path& dir) const {
  torch::serialize::OutputArchive archive;
  SaveModules(archive);
  archive.write("counters", torch::tensor({num_updates_, env_steps_}, torch::kInt64));
  archive.write("explore_rng", RngToTensor(explore_rng_.state()));
  archive.write("update_rng", RngToTensor(update_rng_.state()));
  archive.save_to((dir / (name_ + ".pt")).string());
}

void ContinuousAgent::Load(const std::filesystem::path& dir) {
  const std::string path = (dir / (name_ + ".pt")).string();
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    LoadModules(archive);
    torch::Tensor counters, explore, update;
    archive.read("counters", counters);
    archive.read("explore_rng", explore);
    archive.read("update_rng", update);
    Check(counters.numel() == 2 && counters.scalar_type() == torch::kInt64,
          "counters must hold 2 int64 values");
    num_updates_ = counters.data_ptr<int64_t>()[0];
    env_steps_ = counters.data_ptr<int64_t>()[1];
    explore_rng_.set_state(RngFromTensor(explore, "explore_rng"));
    update_rng_.set_state(RngFromTensor(update, "update_rng"));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: not a {} checkpoint for this config ({})", path, name_,
                            e.what_without_backtrace()));
  }
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
  Check(target_update_interval >= 1,
        fmt::format("{}.target_update_interval must be >= 1, got {}", a, target_update_interval));
  Check(n_critics >= 1 && n_critics <= 10,
        fmt::format("{}.n_critics must be in [1, 10], got {}", a, n_critics));
  Check(log_std_min < log_std_max,
        fmt::format("{}.log_std_min ({}) must be below {}.log_std_max ({})", a, log_std_min, a,
                    log_std_max));
}

SoftAgent::SoftAgent(const SoftConfig& config, AlgoContext& context, const std::string& name)
    : ContinuousAgent(config, context, name), soft_(config) {
  soft_.Validate(name);
  const auto [learned, value] = soft_.EntCoef(name);
  target_entropy_ = soft_.TargetEntropy(name, action_dim());
  actor_ = MakeNet(soft_.hidden_sizes, 2 * action_dim(), /*with_action=*/false);
  actor_optimizer_ = MakeAdam(actor_->parameters(), soft_.lr);
  log_ent_coef_ = torch::full({1}, std::log(value), torch::kFloat32);
  if (learned) {
    log_ent_coef_.requires_grad_(true);
    ent_optimizer_ = MakeAdam({log_ent_coef_}, soft_.lr);
  }
}

std::pair<torch::Tensor, torch::Tensor> SoftAgent::Heads(const torch::Tensor& obs) {
  torch::Tensor out = actor_->forward(obs);
  torch::Tensor mu = out.narrow(1, 0, action_dim());
  torch::Tensor log_std =
      out.narrow(1, action_dim(), action_dim()).clamp(soft_.log_std_min, soft_.log_std_max);
  return {mu, log_std};
}

namespace {

// The squashed Gaussian sample and its log-probability as ONE autograd node (the op-by-op
// version is ~20 small ops forward and as many backward, most of a small SAC update's time).
// Input: the actor's output [B, 2d] = [mu, raw log std], eps [B, d]. Outputs:
//   a = tanh(u), u = mu + exp(s) * eps, s = clamp(raw, lo, hi)
//   log_prob = sum_j (-eps_j^2 / 2 - s_j - log(2 pi) / 2 - log(1 - a_j^2 + 1e-6))
// Backward, with g_a and g_l the incoming gradients and t = 1 - a^2:
//   dL/du = g_a * t + g_l * 2 a t / (t + 1e-6);  dL/dmu = dL/du
//   dL/draw = (dL/du * exp(s) * eps - g_l) where lo <= raw <= hi, else 0 (clamp's gradient)
struct SquashedGaussianFunction : public torch::autograd::Function<SquashedGaussianFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                const torch::Tensor& out, const torch::Tensor& eps,
                                                double lo, double hi) {
    const int64_t b = eps.size(0);
    const int64_t d = eps.size(1);
    torch::Tensor o = out.contiguous();
    torch::Tensor e = eps.contiguous();
    torch::Tensor a = torch::empty({b, d});
    torch::Tensor log_prob = torch::empty({b});
    const float* po = o.data_ptr<float>();
    const float* pe = e.data_ptr<float>();
    float* pa = a.data_ptr<float>();
    float* pl = log_prob.data_ptr<float>();
    const auto flo = static_cast<float>(lo);
    const auto fhi = static_cast<float>(hi);
    const auto half_log_2pi = static_cast<float>(0.5 * std::log(2.0 * std::numbers::pi));
    for (int64_t i = 0; i < b; ++i) {
      float acc = 0.0f;
      for (int64_t j = 0; j < d; ++j) {
        const float mu = po[i * 2 * d + j];
        const float s = std::clamp(po[i * 2 * d + d + j], flo, fhi);
        const float x = pe[i * d + j];
        const float av = std::tanh(mu + std::exp(s) * x);
        pa[i * d + j] = av;
        acc += -0.5f * x * x - s - half_log_2pi;
        acc -= std::log(1.0f - av * av + 1e-6f);
      }
      pl[i] = acc;
    }
    ctx->save_for_backward({o, e, a});
    ctx->saved_data["lo"] = lo;
    ctx->saved_data["hi"] = hi;
    return {a, log_prob};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& o = saved[0];
    const torch::Tensor& e = saved[1];
    const torch::Tensor& a = saved[2];
    const auto lo = static_cast<float>(ctx->saved_data["lo"].toDouble());
    const auto hi = static_cast<float>(ctx->saved_data["hi"].toDouble());
    const int64_t b = e.size(0);
    const int64_t d = e.size(1);
    torch::Tensor ga = grads[0].defined() ? grads[0].contiguous() : torch::zeros({b, d});
    torch::Tensor gl = grads[1].defined() ? grads[1].contiguous() : torch::zeros({b});
    torch::Tensor grad_out = torch::empty({b, 2 * d});
    const float* po = o.data_ptr<float>();
    const float* pe = e.data_ptr<float>();
    const float* pa = a.data_ptr<float>();
    const float* pga = ga.data_ptr<float>();
    const float* pgl = gl.data_ptr<float>();
    float* g = grad_out.data_ptr<float>();
    for (int64_t i = 0; i < b; ++i) {
      for (int64_t j = 0; j < d; ++j) {
        const float av = pa[i * d + j];
        const float t = 1.0f - av * av;
        const float gu = pga[i * d + j] * t + pgl[i] * 2.0f * av * t / (t + 1e-6f);
        const float raw = po[i * 2 * d + d + j];
        const float s = std::clamp(raw, lo, hi);
        g[i * 2 * d + j] = gu;
        g[i * 2 * d + d + j] =
            (raw >= lo && raw <= hi) ? gu * std::exp(s) * pe[i * d + j] - pgl[i] : 0.0f;
      }
    }
    return {grad_out, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

std::pair<torch::Tensor, torch::Tensor> SquashedGaussian(const torch::Tensor& out,
                                                         const torch::Tensor& eps,
                                                         double log_std_min, double log_std_max) {
  torch::autograd::variable_list r =
      SquashedGaussianFunction::apply(out, eps, log_std_min, log_std_max);
  return {r[0], r[1]};
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
    ent_optimizer_->step();
  }
  return alpha;
}

void SoftAgent::StepActor(const torch::Tensor& loss) {
  nets::ZeroGrad(*actor_optimizer_);
  loss.backward();
  Lap(kBackward);
  actor_optimizer_->step();
  Lap(kOptimizer);
}

void SoftAgent::SaveSoft(torch::serialize::OutputArchive& archive) const {
  PutModule(archive, "actor", *actor_);
  PutOptimizer(archive, "actor_optimizer", *actor_optimizer_);
  archive.write("log_ent_coef", log_ent_coef_.detach());
  if (ent_optimizer_) PutOptimizer(archive, "ent_optimizer", *ent_optimizer_);
}

void SoftAgent::LoadSoft(torch::serialize::InputArchive& archive) {
  GetModule(archive, "actor", *actor_);
  GetOptimizer(archive, "actor_optimizer", *actor_optimizer_);
  torch::Tensor l;
  archive.read("log_ent_coef", l);
  Check(l.numel() == 1 && l.scalar_type() == torch::kFloat32, "log_ent_coef must be 1 float");
  {
    torch::NoGradGuard no_grad;
    log_ent_coef_.copy_(l);
  }
  if (ent_optimizer_) GetOptimizer(archive, "ent_optimizer", *ent_optimizer_);
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

// ---- archives -----------------------------------------------------------------------------------

void PutModule(torch::serialize::OutputArchive& archive, const std::string& key,
               const torch::nn::Module& m) {
  torch::serialize::OutputArchive a;
  m.save(a);
  archive.write(key, a);
}

void GetModule(torch::serialize::InputArchive& archive, const std::string& key,
               torch::nn::Module& m) {
  torch::serialize::InputArchive a;
  archive.read(key, a);
  m.load(a);
}

void PutOptimizer(torch::serialize::OutputArchive& archive, const std::string& key,
                  const torch::optim::Optimizer& o) {
  torch::serialize::OutputArchive a;
  o.save(a);
  archive.write(key, a);
}

void GetOptimizer(torch::serialize::InputArchive& archive, const std::string& key,
                  torch::optim::Optimizer& o) {
  torch::serialize::InputArchive a;
  archive.read(key, a);
  o.load(a);
}

}  // namespace bellman::algos
