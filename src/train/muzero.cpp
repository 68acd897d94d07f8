// MuZero on a learned model (bellman/train/muzero.h). Equations cite Schrittwieser et al. (2020),
// "Mastering Atari, Go, Chess and Shogi by Planning with a Learned Model", and its appendix.
#include "bellman/train/muzero.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bellman/algos/value_losses.h"
#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/envs/registry.h"
#include "bellman/nets/fused_mlp.h"
#include "bellman/nets/threads.h"

namespace bellman::train {

void MuZeroConfig::Validate() const {
  Require(total_env_steps >= 0, "muzero.total_env_steps must be >= 0, got {}", total_env_steps);
  Require(warmup_steps >= 0, "muzero.warmup_steps must be >= 0, got {}", warmup_steps);
  Require(updates_per_env_step >= 0.0, "muzero.updates_per_env_step must be >= 0, got {}",
          updates_per_env_step);
  Require(batch_size >= 1, "muzero.batch_size must be >= 1, got {}", batch_size);
  Require(buffer_size >= 1, "muzero.buffer_size must be >= 1, got {}", buffer_size);
  Require(num_unroll_steps >= 1, "muzero.num_unroll_steps must be >= 1, got {}", num_unroll_steps);
  Require(td_steps >= 1, "muzero.td_steps must be >= 1, got {}", td_steps);
  Require(gamma > 0.0 && gamma <= 1.0, "muzero.gamma must be in (0, 1], got {}", gamma);
  Require(learning_rate > 0.0, "muzero.learning_rate must be > 0, got {}", learning_rate);
  Require(final_lr_fraction >= 0.0 && final_lr_fraction <= 1.0,
          "muzero.final_lr_fraction must be in [0, 1], got {}", final_lr_fraction);
  Require(weight_decay >= 0.0, "muzero.weight_decay must be >= 0, got {}", weight_decay);
  Require(value_loss_weight >= 0.0, "muzero.value_loss_weight must be >= 0, got {}",
          value_loss_weight);
  Require(latent_size >= 1, "muzero.latent_size must be >= 1, got {}", latent_size);
  for (int64_t h : hidden_sizes) Require(h >= 1, "muzero.hidden_sizes entries must be >= 1");
  Require(value_support >= 1, "muzero.value_support must be >= 1, got {}", value_support);
  Require(reward_support >= 1, "muzero.reward_support must be >= 1, got {}", reward_support);
  Require(log_every >= 1, "muzero.log_every must be >= 1, got {}", log_every);
  Require(eval_episodes >= 0, "muzero.eval_episodes must be >= 0, got {}", eval_episodes);
  Require(num_sampled_actions >= 1, "muzero.num_sampled_actions must be >= 1, got {}",
          num_sampled_actions);
  mcts.Validate();
}

// Not in an anonymous namespace: MuZeroAgent::Impl holds them, and this file may be compiled
// inside a unity group (GCC's -Wsubobject-linkage).
namespace muzero_detail {

// h(x) = sign(x)(sqrt(|x| + 1) - 1) + eps x and its inverse (Pohlen et al. 2018, Prop. A.2),
// for the search's scalar outputs; the batched training path uses algos::(Inverse)TransformValue.
constexpr double kHEps = 1e-3;
double InverseH(double y) {
  const double s =
      (std::sqrt(1.0 + 4.0 * kHEps * (std::abs(y) + 1.0 + kHEps)) - 1.0) / (2.0 * kHEps);
  return std::copysign(s * s - 1.0, y);
}

// Expectation of softmax(logits) over the bins -S..S, mapped back through h^-1.
double SupportToScalar(const float* logits, int64_t support) {
  const int64_t n = 2 * support + 1;
  const float m = *std::max_element(logits, logits + n);
  double z = 0.0, e = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double p = std::exp(static_cast<double>(logits[i] - m));
    z += p;
    e += p * static_cast<double>(i - support);
  }
  return InverseH(e / z);
}

// Hidden states scaled to [0, 1] per sample (appendix G: "min-max normalisation").
torch::Tensor ScaleHidden(const torch::Tensor& s) {
  const torch::Tensor lo = std::get<0>(s.min(1, true));
  const torch::Tensor hi = std::get<0>(s.max(1, true));
  return (s - lo) / (hi - lo).clamp_min(1e-5f);
}

// The three networks; each a FusedMlp whose output concatenates its heads.
// Discrete actions enter the dynamics one-hot and leave the prediction as logits; Box actions
// (Sampled MuZero, action_dim > 0) enter as tanh(u) in [-1, 1]^D and leave as a Gaussian over
// the pre-squash u: the mean and log std of each dimension.
struct MuZeroNets : torch::nn::Module {
  MuZeroNets(const MuZeroConfig& c, int64_t obs_size, int64_t num_actions, int64_t action_dim,
             Rng& rng)
      : obs_size(obs_size),
        num_actions(num_actions),
        action_dim(action_dim),
        action_input(action_dim > 0 ? action_dim : num_actions),
        policy_size(action_dim > 0 ? 2 * action_dim : num_actions),
        latent(c.latent_size),
        value_bins(2 * c.value_support + 1),
        reward_bins(2 * c.reward_support + 1) {
    representation = register_module(
        "representation", nets::FusedMlp(nets::MlpOptions{obs_size, c.hidden_sizes, latent}, rng));
    dynamics = register_module(
        "dynamics",
        nets::FusedMlp(
            nets::MlpOptions{latent + action_input, c.hidden_sizes, latent + reward_bins}, rng));
    prediction = register_module(
        "prediction",
        nets::FusedMlp(nets::MlpOptions{latent, c.hidden_sizes, policy_size + value_bins}, rng));
  }
  torch::Tensor Represent(const torch::Tensor& obs) {
    return ScaleHidden(representation->forward(obs));
  }
  bool continuous() const { return action_dim > 0; }
  // (next state, reward logits) from states [B, latent] and encoded actions [B, action_input].
  std::pair<torch::Tensor, torch::Tensor> Dynamics(const torch::Tensor& s, const torch::Tensor& a) {
    const torch::Tensor out = dynamics->forward(torch::cat({s, a}, 1));
    return {ScaleHidden(out.slice(1, 0, latent)), out.slice(1, latent)};
  }
  // (policy logits or Gaussian [mean, log std], value logits).
  std::pair<torch::Tensor, torch::Tensor> Predict(const torch::Tensor& s) {
    const torch::Tensor out = prediction->forward(s);
    return {out.slice(1, 0, policy_size), out.slice(1, policy_size)};
  }
  int64_t obs_size, num_actions, action_dim, action_input, policy_size, latent, value_bins,
      reward_bins;
  // Bumped by every optimizer step and load. The search's libtorch-free copy of the weights
  // (type-erased here: it is defined below) is rebuilt when it lags.
  int64_t version = 0;
  mutable std::shared_ptr<const void> dense_copy;
  mutable int64_t dense_version = -1;
  nets::FusedMlp representation = nullptr, dynamics = nullptr, prediction = nullptr;
};

// The Gaussian policy's log std is clamped to this range (a collapse to a point would end the
// sampling's exploration; a huge std saturates tanh).
constexpr float kLogStdMin = -5.0f, kLogStdMax = 1.0f;

// Observations of any supported dtype as float32 rows.
void AppendObs(const Space& space, const void* obs, std::vector<float>& out) {
  const int64_t n = space.flat_size();
  switch (space.dtype()) {
    case DType::kFloat32: {
      const auto* p = static_cast<const float*>(obs);
      out.insert(out.end(), p, p + n);
      return;
    }
    case DType::kUint8: {
      const auto* p = static_cast<const uint8_t*>(obs);
      for (int64_t i = 0; i < n; ++i) out.push_back(static_cast<float>(p[i]));
      return;
    }
    case DType::kFloat64: {
      const auto* p = static_cast<const double*>(obs);
      for (int64_t i = 0; i < n; ++i) out.push_back(static_cast<float>(p[i]));
      return;
    }
    default:
      throw Error(
          fmt::format("MuZero needs float or uint8 observations; got {}", space.ToString()));
  }
}

}  // namespace muzero_detail

using muzero_detail::MuZeroNets;

struct MuZeroAgent::Impl {
  MuZeroConfig config;
  Space obs_space, action_space;
  int64_t action_start = 0;
  std::shared_ptr<MuZeroNets> nets;
};

namespace {

// A network copied out of its FusedMlp for batch-1 inference without libtorch: each layer's
// weight transposed to [in][out], so y = b + sum_i x_i W[:, i] runs over contiguous outputs
// (vectorised, the same sums in the same order for every call). A search is tens of tiny
// matrix-vector products; through libtorch each costs more in dispatch than in arithmetic.
struct DenseLayer {
  int64_t in = 0, out = 0;
  std::vector<float> wt, bias;
};
std::vector<DenseLayer> CopyLayers(const nets::FusedMlp& net) {
  std::vector<DenseLayer> out;
  for (const nets::LinearView& l : net->linears()) {
    const torch::Tensor w = l.weight.contiguous(), b = l.bias.contiguous();
    DenseLayer d;
    d.out = w.size(0);
    d.in = w.size(1);
    d.wt.resize(static_cast<size_t>(d.in * d.out));
    const float* pw = w.data_ptr<float>();
    for (int64_t o = 0; o < d.out; ++o)
      for (int64_t i = 0; i < d.in; ++i)
        d.wt[static_cast<size_t>(i * d.out + o)] = pw[o * d.in + i];
    d.bias.assign(b.data_ptr<float>(), b.data_ptr<float>() + d.out);
    out.push_back(std::move(d));
  }
  return out;
}
// ReLU between layers, none after the last; returns the output (inside `a` or `b`).
const float* DenseForward(const std::vector<DenseLayer>& net, const float* x, std::vector<float>& a,
                          std::vector<float>& b) {
  const float* in = x;
  for (size_t l = 0; l < net.size(); ++l) {
    const DenseLayer& d = net[l];
    std::vector<float>& y = (l % 2 == 0) ? a : b;
    y.assign(d.bias.begin(), d.bias.end());
    float* __restrict yp = y.data();
    for (int64_t i = 0; i < d.in; ++i) {
      const float xi = in[i];
      if (xi == 0.0f) continue;  // ReLU zeros and one-hot actions: nothing to add
      const float* __restrict w = d.wt.data() + i * d.out;
      for (int64_t o = 0; o < d.out; ++o) yp[o] += xi * w[o];
    }
    if (l + 1 < net.size())
      for (float& v : y) v = std::max(v, 0.0f);
    in = y.data();
  }
  return in;
}
// ScaleHidden for one row.
void ScaleRow(float* s, int64_t n) {
  const float lo = *std::min_element(s, s + n), hi = *std::max_element(s, s + n);
  const float d = std::max(hi - lo, 1e-5f);
  for (int64_t i = 0; i < n; ++i) s[i] = (s[i] - lo) / d;
}

struct DenseNets {
  std::vector<DenseLayer> representation, dynamics, prediction;
};
// The copies for the nets' current weights (one copy per optimizer step, not per search).
std::shared_ptr<const DenseNets> DenseOf(const MuZeroNets& nets) {
  if (nets.dense_version != nets.version || !nets.dense_copy) {
    auto d = std::make_shared<DenseNets>();
    d->representation = CopyLayers(nets.representation);
    d->dynamics = CopyLayers(nets.dynamics);
    d->prediction = CopyLayers(nets.prediction);
    nets.dense_copy = d;
    nets.dense_version = nets.version;
  }
  return std::static_pointer_cast<const DenseNets>(nets.dense_copy);
}

// The learned model as the search's model: handles index latent states kept in one buffer.
// Sampled MuZero: each evaluated node draws K pre-squash actions u ~ N(mean, std) from its
// policy; they are the node's children. Sampling from beta = pi itself makes the corrected prior
// (beta_hat / beta) pi of Hubert et al. (2021, eq. 3) the empirical distribution of the samples:
// 1/K each (continuous draws are distinct).
class LatentModel final : public planning::SearchModel {
 public:
  LatentModel(const MuZeroNets& nets, const MuZeroConfig& c, std::vector<float> root_obs,
              Rng* rng = nullptr)
      : c_(c),
        L_(nets.latent),
        A_(nets.continuous() ? c.num_sampled_actions : nets.num_actions),
        D_(nets.action_dim),
        action_input_(nets.action_input),
        own_rng_(0),
        rng_(rng != nullptr ? rng : &own_rng_),
        dense_(DenseOf(nets)),
        representation_(dense_->representation),
        dynamics_(dense_->dynamics),
        prediction_(dense_->prediction),
        root_obs_(std::move(root_obs)) {}
  int64_t num_actions() const override { return A_; }
  // AlphaZero on a true simulator: priors and value of an observation (representation, then
  // prediction), for planning::Mcts's evaluator; the dynamics network is not used.
  planning::MctsEvaluation EvaluateObservation(const std::vector<float>& obs) {
    states_.clear();
    const float* s = DenseForward(representation_, obs.data(), a_, b_);
    states_.insert(states_.end(), s, s + L_);
    ScaleRow(states_.data(), L_);
    planning::SearchNode node;
    Predict(0, node);
    return std::move(node.eval);
  }
  // Sampled MuZero: the root's K sampled pre-squash actions (K x D), after Root().
  std::vector<float> RootSamples() const {
    return std::vector<float>(samples_.begin(), samples_.begin() + A_ * D_);
  }
  planning::SearchNode Root() override {
    states_.clear();
    samples_.clear();
    const float* s = DenseForward(representation_, root_obs_.data(), a_, b_);
    states_.insert(states_.end(), s, s + L_);
    ScaleRow(states_.data(), L_);
    planning::SearchNode node;
    Predict(0, node);
    return node;
  }
  void Expand(const std::vector<planning::SearchRequest>& requests,
              std::vector<planning::SearchNode>& out) override {
    input_.resize(static_cast<size_t>(L_ + action_input_));
    for (size_t i = 0; i < requests.size(); ++i) {
      const float* parent = states_.data() + requests[i].parent * L_;
      std::copy_n(parent, L_, input_.begin());
      if (D_ > 0) {
        const float* u = samples_.data() + (requests[i].parent * A_ + requests[i].action) * D_;
        for (int64_t d = 0; d < D_; ++d) input_[static_cast<size_t>(L_ + d)] = std::tanh(u[d]);
      } else {
        std::fill(input_.begin() + L_, input_.end(), 0.0f);
        input_[static_cast<size_t>(L_ + requests[i].action)] = 1.0f;
      }
      const float* y = DenseForward(dynamics_, input_.data(), a_, b_);
      const int64_t handle = static_cast<int64_t>(states_.size()) / L_;
      states_.insert(states_.end(), y, y + L_);
      ScaleRow(states_.data() + handle * L_, L_);
      out[i] = planning::SearchNode{};
      out[i].reward = muzero_detail::SupportToScalar(y + L_, c_.reward_support);
      Predict(handle, out[i]);
    }
  }

 private:
  void Predict(int64_t handle, planning::SearchNode& node) {
    node.handle = handle;
    const float* row = DenseForward(prediction_, states_.data() + handle * L_, a_, b_);
    node.eval.prior.resize(static_cast<size_t>(A_));
    if (D_ > 0) {
      samples_.resize(static_cast<size_t>((handle + 1) * A_ * D_));
      float* u = samples_.data() + handle * A_ * D_;
      for (int64_t k = 0; k < A_; ++k) {
        for (int64_t d = 0; d < D_; ++d) {
          const float log_std =
              std::clamp(row[D_ + d], muzero_detail::kLogStdMin, muzero_detail::kLogStdMax);
          u[k * D_ + d] = row[d] + std::exp(log_std) * static_cast<float>(rng_->StandardNormal());
        }
        node.eval.prior[static_cast<size_t>(k)] = 1.0;
      }
      node.eval.value = muzero_detail::SupportToScalar(row + 2 * D_, c_.value_support);
      return;
    }
    const float m = *std::max_element(row, row + A_);
    for (int64_t a = 0; a < A_; ++a)
      node.eval.prior[static_cast<size_t>(a)] = std::exp(static_cast<double>(row[a] - m));
    node.eval.value = muzero_detail::SupportToScalar(row + A_, c_.value_support);
  }
  const MuZeroConfig& c_;
  int64_t L_, A_, D_, action_input_;
  Rng own_rng_;
  Rng* rng_;
  std::shared_ptr<const DenseNets> dense_;
  const std::vector<DenseLayer>&representation_, &dynamics_, &prediction_;
  std::vector<float> root_obs_;
  std::vector<float> states_, input_, a_, b_;
  std::vector<float> samples_;  // Sampled MuZero: A_ x D_ pre-squash actions per handle
};

// One search from `env` (whose observation is `obs`, as floats): on the learned model, or on env
// clones with the networks as the evaluator (model = simulator).
struct SearchOutcome {
  planning::MctsResult result;
  std::vector<float> root_samples;  // Sampled MuZero: the root's K x D pre-squash actions
};
SearchOutcome SearchFrom(const MuZeroNets& nets, const MuZeroConfig& c,
                         const planning::MctsConfig& mc, const Env& env, const void* raw_obs,
                         std::vector<float> obs, Rng& rng) {
  LatentModel model(nets, c, std::move(obs), &rng);
  if (!c.simulator) {
    planning::MctsResult r = planning::Search(model, mc, rng);
    return {std::move(r), model.RootSamples()};
  }
  const Space& os = env.observation_space();
  std::vector<float> row;
  const planning::MctsEvaluator eval = [&](const Env&, const void* o) {
    row.clear();
    muzero_detail::AppendObs(os, o, row);
    return model.EvaluateObservation(row);
  };
  planning::MctsConfig sim = mc;
  sim.reseed_clones = true;  // the tree must not know the real env's next random draws
  planning::MctsResult r = planning::Mcts(env, raw_obs, eval, sim, rng);
  r.action -= env.action_space().start();
  return {std::move(r), {}};
}

// A pre-squash action u as the env's Box action: low + (tanh(u) + 1) / 2 (high - low).
void BoxAction(const Space& as, const float* u, float* out) {
  for (size_t d = 0; d < as.low().size(); ++d) {
    const double t = std::tanh(static_cast<double>(u[d]));
    out[d] = static_cast<float>(as.low()[d] + (t + 1.0) / 2.0 * (as.high()[d] - as.low()[d]));
  }
}

}  // namespace

MuZeroAgent::MuZeroAgent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MuZeroAgent::~MuZeroAgent() = default;
MuZeroAgent::MuZeroAgent(MuZeroAgent&&) noexcept = default;
MuZeroAgent& MuZeroAgent::operator=(MuZeroAgent&&) noexcept = default;

std::unique_ptr<planning::SearchModel> MuZeroAgent::Model(const void* obs) const {
  if (impl_->config.simulator) {
    throw Error(
        "a MuZero agent trained with the simulator has no learned model to search; "
        "use ActInEnv");
  }
  std::vector<float> o;
  muzero_detail::AppendObs(impl_->obs_space, obs, o);
  return std::make_unique<LatentModel>(*impl_->nets, impl_->config, std::move(o));
}

int64_t MuZeroAgent::Act(const void* obs, int64_t num_simulations, int64_t leaf_batch) const {
  if (impl_->nets->continuous()) {
    throw Error(
        "Act returns a Discrete action; a Sampled MuZero agent (Box actions) acts "
        "through ActInto");
  }
  planning::MctsConfig c = impl_->config.mcts;
  c.num_simulations = num_simulations;
  c.leaf_batch = leaf_batch;
  c.root_noise = false;
  Rng unused(0);  // no noise: the search draws nothing
  const std::unique_ptr<planning::SearchModel> model = Model(obs);
  return impl_->action_start + planning::Search(*model, c, unused).action;
}

int64_t MuZeroAgent::ActInEnv(const Env& env, const void* obs, int64_t num_simulations) const {
  if (!impl_->config.simulator) return Act(obs, num_simulations);
  int64_t action = 0;
  ActInto(env, obs, num_simulations, &action);
  return action;
}

void MuZeroAgent::ActInto(const Env& env, const void* obs, int64_t num_simulations,
                          void* action) const {
  planning::MctsConfig c = impl_->config.mcts;
  c.num_simulations = num_simulations;
  c.root_noise = false;
  Rng rng(0);  // no noise; Sampled MuZero's draws come from here (the same for every call)
  std::vector<float> o;
  muzero_detail::AppendObs(impl_->obs_space, obs, o);
  const SearchOutcome s = SearchFrom(*impl_->nets, impl_->config, c, env, obs, std::move(o), rng);
  if (impl_->nets->continuous()) {
    BoxAction(impl_->action_space,
              s.root_samples.data() + s.result.action * impl_->nets->action_dim,
              static_cast<float*>(action));
  } else {
    *static_cast<int64_t*>(action) = impl_->action_start + s.result.action;
  }
}

void MuZeroAgent::Save(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  impl_->nets->save(archive);
  archive.save_to(path);
}

void MuZeroAgent::Load(const std::string& path) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    impl_->nets->load(archive);
    ++impl_->nets->version;
  } catch (const c10::Error& e) {
    throw Error(
        fmt::format("cannot load MuZero networks from {}: {}", path, e.what_without_backtrace()));
  }
}

void MuZeroAgent::ExportJson(const std::string& path) const {
  const MuZeroNets& n = *impl_->nets;
  if (n.continuous()) {
    throw Error("the JSON export (for bench/mcts_python.py) covers Discrete actions only");
  }
  nlohmann::json j;
  j["format"] = "bellman-muzero-nets-v1";
  j["obs_size"] = n.obs_size;
  j["num_actions"] = n.num_actions;
  j["latent_size"] = n.latent;
  j["value_support"] = impl_->config.value_support;
  j["reward_support"] = impl_->config.reward_support;
  j["h_eps"] = muzero_detail::kHEps;
  auto layers = [](const nets::FusedMlp& m) {
    nlohmann::json out = nlohmann::json::array();
    for (const nets::LinearView& l : m->linears()) {
      const torch::Tensor w = l.weight.contiguous(), b = l.bias.contiguous();
      out.push_back(
          {{"out", w.size(0)},
           {"in", w.size(1)},
           {"weight", std::vector<float>(w.data_ptr<float>(), w.data_ptr<float>() + w.numel())},
           {"bias", std::vector<float>(b.data_ptr<float>(), b.data_ptr<float>() + b.numel())}});
    }
    return out;
  };
  j["representation"] = layers(n.representation);
  j["dynamics"] = layers(n.dynamics);
  j["prediction"] = layers(n.prediction);
  std::ofstream f(path);
  if (!f) throw Error(fmt::format("cannot write {}", path));
  f << j.dump();
  if (!f) throw Error(fmt::format("writing {} failed", path));
}

MuZeroConfig MuZeroConfigFor(const std::string& env_id, const EnvArgs& env_args) {
  MuZeroConfig c;
  c.env_id = env_id;
  c.env_args = env_args;
  if (MakeEnv(env_id, env_args)->action_space().kind() == Space::Kind::kBox) {
    // Pendulum's values reach ~-1600 at gamma 0.99 (h = 41.6): bins up to 40 in h units.
    c.gamma = c.mcts.gamma = 0.99;
    c.value_support = 40;
    c.total_env_steps = 50'000;
    c.updates_per_env_step = 1.0;
  }
  return c;
}

MuZeroAgent MakeMuZeroAgent(const MuZeroConfig& config) {
  config.Validate();
  nets::SetNumThreads(1, 1);  // batch-1 searches and small batches: threads only add overhead
  auto impl = std::make_unique<MuZeroAgent::Impl>();
  impl->config = config;
  std::unique_ptr<Env> env = MakeEnv(config.env_id, config.env_args);
  const Space& as = env->action_space();
  const bool box =
      as.kind() == Space::Kind::kBox && as.shape().size() == 1 && as.dtype() == DType::kFloat32;
  if (as.kind() != Space::Kind::kDiscrete && !box) {
    throw Error(fmt::format("MuZero needs a Discrete or a 1-D float32 Box action space; {} has {}",
                            config.env_id, as.ToString()));
  }
  if (box && config.simulator) {
    throw Error(fmt::format("--simulator (AlphaZero) searches Discrete actions; {} has {}",
                            config.env_id, as.ToString()));
  }
  for (size_t d = 0; box && d < as.low().size(); ++d) {
    if (!std::isfinite(as.low()[d]) || !std::isfinite(as.high()[d])) {
      throw Error(fmt::format("Sampled MuZero needs bounded actions; {} has {}", config.env_id,
                              as.ToString()));
    }
  }
  impl->action_space = as;
  impl->obs_space = env->observation_space();
  std::vector<float> probe;
  std::vector<std::byte> raw(impl->obs_space.byte_size());
  muzero_detail::AppendObs(impl->obs_space, raw.data(), probe);  // rejects other dtypes early
  impl->action_start = box ? 0 : as.start();
  Rng init_rng(config.seed);
  impl->nets = std::make_shared<MuZeroNets>(config, impl->obs_space.flat_size(), box ? 0 : as.n(),
                                            box ? as.flat_size() : 0, init_rng);
  return MuZeroAgent(std::move(impl));
}

namespace {

// One finished (or cut) episode: T searched positions, their T + 1 observations.
struct StoredEpisode {
  std::vector<float> obs;          // (T + 1) x obs_size
  std::vector<float> actions;      // T x action_input: one-hot, or tanh(u) for Box actions
  std::vector<float> rewards;      // T
  std::vector<float> pi;           // T x children, the searches' visit distributions
  std::vector<float> samples;      // Sampled MuZero: T x K x D, the root's pre-squash actions
  std::vector<float> root_values;  // T + 1 (the last: the prediction's, for a cut episode)
  bool terminated = false;         // false: truncated (the value continues past the end)
  int64_t length() const { return static_cast<int64_t>(rewards.size()); }
};

// Episodes whose positions are sampled uniformly.
class EpisodeBuffer {
 public:
  explicit EpisodeBuffer(int64_t capacity) : capacity_(capacity) {}
  void Add(StoredEpisode e) {
    positions_ += e.length();
    episodes_.push_back(std::move(e));
    while (positions_ > capacity_ && episodes_.size() > 1) {
      positions_ -= episodes_.front().length();
      episodes_.pop_front();
    }
    starts_.clear();
    int64_t total = 0;
    for (const StoredEpisode& ep : episodes_) {
      starts_.push_back(total);
      total += ep.length();
    }
  }
  int64_t positions() const { return positions_; }
  std::pair<const StoredEpisode*, int64_t> Sample(Rng& rng) const {
    const int64_t i = rng.Integers(0, positions_);
    const size_t e = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), i) -
                                         starts_.begin() - 1);
    return {&episodes_[e], i - starts_[e]};
  }

 private:
  int64_t capacity_, positions_ = 0;
  std::deque<StoredEpisode> episodes_;
  std::vector<int64_t> starts_;
};

double Temperature(const MuZeroConfig& c, int64_t step) {
  if (!c.temperature_schedule) return 1.0;
  if (step < c.total_env_steps / 2) return 1.0;
  if (step < c.total_env_steps * 3 / 4) return 0.5;
  return 0.25;
}

// The three losses of a training step (means over the batch, summed over the unroll).
struct Losses {
  double value = 0.0, reward = 0.0, policy = 0.0;
};

// x * s in the forward pass, gradient scaled by s (the pseudocode's scale_gradient).
torch::Tensor ScaleGradient(const torch::Tensor& x, double s) {
  return x * s + x.detach() * (1.0 - s);
}

// Training steps on batches of K-step unrolls (appendix G).
class UnrollLearner {
 public:
  UnrollLearner(const MuZeroConfig& c, MuZeroNets& nets)
      : c_(c),
        nets_(nets),
        optimizer_(nets.parameters(),
                   torch::optim::AdamOptions(c.learning_rate).weight_decay(c.weight_decay)) {}

  void SetLearningRate(double lr) {
    for (auto& group : optimizer_.param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }

  Losses Step(const EpisodeBuffer& buffer, Rng& rng) {
    // With the simulator there is no model to unroll: AlphaZero's loss at k = 0 only.
    const int64_t B = c_.batch_size, K = c_.simulator ? 0 : c_.num_unroll_steps, n = c_.td_steps;
    const int64_t O = nets_.obs_size, AI = nets_.action_input, D = nets_.action_dim;
    const int64_t C = D > 0 ? c_.num_sampled_actions : nets_.num_actions;  // children per node
    obs0_.clear();
    boot_obs_.clear();
    actions_.assign(static_cast<size_t>(B * K * AI), 0.0f);
    samples_.assign(static_cast<size_t>(D > 0 ? B * (K + 1) * C * D : 0), 0.0f);
    rewards_t_.assign(static_cast<size_t>(B * K), 0.0f);
    reward_w_.assign(static_cast<size_t>(B * K), 0.0f);
    value_partial_.assign(static_cast<size_t>(B * (K + 1)), 0.0f);
    boot_discount_.assign(static_cast<size_t>(B * (K + 1)), 0.0f);
    boot_stored_.assign(static_cast<size_t>(B * (K + 1)), 0.0f);
    value_w_.assign(static_cast<size_t>(B * (K + 1)), 0.0f);
    pi_.assign(static_cast<size_t>(B * (K + 1) * C), 0.0f);
    pi_w_.assign(static_cast<size_t>(B * (K + 1)), 0.0f);
    for (int64_t b = 0; b < B; ++b) {
      const auto [ep, t] = buffer.Sample(rng);
      const int64_t T = ep->length();
      obs0_.insert(obs0_.end(), ep->obs.begin() + t * O, ep->obs.begin() + (t + 1) * O);
      for (int64_t k = 0; k <= K; ++k) {
        const int64_t idx = t + k, bk = b * (K + 1) + k;
        if (k >= 1) {
          const size_t r = static_cast<size_t>(b * K + k - 1);
          // Past the end: random actions into an absorbing state (reward 0) after a
          // termination; nothing is known after a truncation.
          float* a = actions_.data() + r * static_cast<size_t>(AI);
          if (idx - 1 < T) {
            std::copy_n(ep->actions.begin() + (idx - 1) * AI, AI, a);
          } else if (D > 0) {
            for (int64_t d = 0; d < D; ++d) a[d] = static_cast<float>(rng.Uniform(-1.0, 1.0));
          } else {
            a[rng.Integers(0, AI)] = 1.0f;
          }
          rewards_t_[r] = idx - 1 < T ? ep->rewards[static_cast<size_t>(idx - 1)] : 0.0f;
          reward_w_[r] = (idx - 1 < T || ep->terminated) ? 1.0f : 0.0f;
        }
        if (idx < T) {
          std::copy_n(ep->pi.begin() + idx * C, C, pi_.begin() + bk * C);
          if (D > 0) {
            std::copy_n(ep->samples.begin() + idx * C * D, C * D, samples_.begin() + bk * C * D);
          }
          pi_w_[static_cast<size_t>(bk)] = 1.0f;
        }
        // z = sum_{i < n} gamma^i r_{idx+i} + gamma^n v_{idx+n} (eq. in section 3), cut at the
        // end of the episode: after a termination nothing follows; after a truncation the value
        // of the last observation (index T) continues it.
        if (idx >= T && !ep->terminated) continue;  // weight 0
        value_w_[static_cast<size_t>(bk)] = 1.0f;
        double z = 0.0, disc = 1.0;
        int64_t j = idx;
        for (; j < std::min(idx + n, T); ++j) {
          z += disc * ep->rewards[static_cast<size_t>(j)];
          disc *= c_.gamma;
        }
        value_partial_[static_cast<size_t>(bk)] = static_cast<float>(z);
        const bool bootstrap = j < T || (j == T && !ep->terminated);
        if (bootstrap) {
          boot_discount_[static_cast<size_t>(bk)] = static_cast<float>(disc);
          boot_stored_[static_cast<size_t>(bk)] = ep->root_values[static_cast<size_t>(j)];
          boot_index_.push_back(bk);
          boot_obs_.insert(boot_obs_.end(), ep->obs.begin() + j * O, ep->obs.begin() + (j + 1) * O);
        }
      }
    }
    torch::Tensor boot = torch::from_blob(boot_stored_.data(), {B * (K + 1)}).clone();
    if (c_.reanalyse && !boot_index_.empty()) {
      // Reanalyse: the bootstrap values by the newest network's prediction.
      torch::NoGradGuard no_grad;
      const int64_t m = static_cast<int64_t>(boot_index_.size());
      const torch::Tensor v_logits =
          nets_.Predict(nets_.Represent(torch::from_blob(boot_obs_.data(), {m, O}))).second;
      const torch::Tensor v = InverseSupport(v_logits, c_.value_support);
      boot.index_put_({torch::from_blob(boot_index_.data(), {m}, torch::kInt64)}, v);
    }
    boot_index_.clear();
    const torch::Tensor z =
        torch::from_blob(value_partial_.data(), {B, K + 1}) +
        torch::from_blob(boot_discount_.data(), {B, K + 1}) * boot.view({B, K + 1});
    const torch::Tensor value_target =
        TwoHot(z.reshape({-1}), c_.value_support).view({B, K + 1, -1});
    const torch::Tensor reward_target =
        K == 0 ? torch::Tensor()
               : TwoHot(torch::from_blob(rewards_t_.data(), {B * K}), c_.reward_support)
                     .view({B, K, -1});
    const torch::Tensor pi = torch::from_blob(pi_.data(), {B, K + 1, C});
    const torch::Tensor samples =
        D > 0 ? torch::from_blob(samples_.data(), {B, K + 1, C, D}) : torch::Tensor();
    const torch::Tensor pi_w = torch::from_blob(pi_w_.data(), {B, K + 1});
    const torch::Tensor value_w = torch::from_blob(value_w_.data(), {B, K + 1});
    const torch::Tensor reward_w = torch::from_blob(reward_w_.data(), {B, K});
    const torch::Tensor actions = torch::from_blob(actions_.data(), {B, K, AI});

    // The unroll (appendix G): the loss of steps k >= 1 scaled by 1/K, the gradient into the
    // dynamics' input state halved at each step.
    torch::Tensor s = nets_.Represent(torch::from_blob(obs0_.data(), {B, O}));
    torch::Tensor value_loss = torch::zeros({B}), reward_loss = torch::zeros({B}),
                  policy_loss = torch::zeros({B});
    for (int64_t k = 0; k <= K; ++k) {
      const double scale = k == 0 ? 1.0 : 1.0 / static_cast<double>(K);
      torch::Tensor r_logits;
      if (k >= 1) {
        auto [next, rl] = nets_.Dynamics(ScaleGradient(s, 0.5), actions.select(1, k - 1));
        s = next;
        reward_loss = reward_loss + ScaleGradient(algos::CrossEntropyToTarget(
                                                      rl, reward_target.select(1, k - 1)) *
                                                      reward_w.select(1, k - 1),
                                                  scale);
      }
      auto [p_logits, v_logits] = nets_.Predict(s);
      value_loss = value_loss +
                   ScaleGradient(algos::CrossEntropyToTarget(v_logits, value_target.select(1, k)) *
                                     value_w.select(1, k),
                                 scale);
      policy_loss = policy_loss + ScaleGradient(PolicyCrossEntropy(p_logits, pi.select(1, k),
                                                                   D > 0 ? samples.select(1, k)
                                                                         : torch::Tensor()) *
                                                    pi_w.select(1, k),
                                                scale);
    }
    const torch::Tensor vl = value_loss.mean(), rl = reward_loss.mean(), pl = policy_loss.mean();
    optimizer_.zero_grad();
    (c_.ValueLossWeight() * vl + rl + pl).backward();
    optimizer_.step();
    ++nets_.version;
    return {vl.item<double>(), rl.item<double>(), pl.item<double>()};
  }

  // -sum_i pi_i log p(a_i): over the actions for logits; for Sampled MuZero over the K samples
  // u_i [B, K, D] under the Gaussian [mean, log std] (Hubert et al. 2021, section 4: the policy
  // is trained towards the search's visit distribution over the sampled actions).
  static torch::Tensor PolicyCrossEntropy(const torch::Tensor& out, const torch::Tensor& pi,
                                          const torch::Tensor& u) {
    if (!u.defined()) return -(pi * torch::log_softmax(out, -1)).sum(-1);
    const int64_t D = u.size(2);
    const torch::Tensor mean = out.slice(1, 0, D).unsqueeze(1);
    const torch::Tensor log_std = out.slice(1, D, 2 * D)
                                      .clamp(muzero_detail::kLogStdMin, muzero_detail::kLogStdMax)
                                      .unsqueeze(1);
    const torch::Tensor z = (u - mean) * torch::exp(-log_std);
    const torch::Tensor log_p =
        (-0.5 * z.pow(2) - log_std - 0.5 * std::log(2.0 * M_PI)).sum(-1);  // [B, K]
    return -(pi * log_p).sum(-1);
  }

  // Two-hot over h(y) on the bins -S..S.
  static torch::Tensor TwoHot(const torch::Tensor& y, int64_t support) {
    return algos::TwoHotTarget(algos::TransformValue(algos::ValueTransform::kH, y),
                               static_cast<double>(-support), static_cast<double>(support),
                               2 * support + 1);
  }
  static torch::Tensor InverseSupport(const torch::Tensor& logits, int64_t support) {
    const torch::Tensor bins = torch::arange(-support, support + 1, torch::kFloat32);
    return algos::InverseTransformValue(algos::ValueTransform::kH,
                                        algos::ClassificationValue(logits, bins));
  }

 private:
  const MuZeroConfig& c_;
  MuZeroNets& nets_;
  torch::optim::Adam optimizer_;
  std::vector<float> obs0_, boot_obs_, rewards_t_, reward_w_, value_partial_, boot_discount_,
      boot_stored_, value_w_, pi_, pi_w_, actions_, samples_;
  std::vector<int64_t> boot_index_;
};

}  // namespace

MuZeroAgent TrainMuZero(const MuZeroConfig& config,
                        const std::function<void(const MuZeroProgress&)>& on_progress) {
  MuZeroAgent agent = MakeMuZeroAgent(config);
  MuZeroAgent::Impl& mz = agent.impl();
  MuZeroNets& nets = *mz.nets;
  std::unique_ptr<Env> env = MakeEnv(config.env_id, config.env_args);
  const Space& os = env->observation_space();
  std::vector<std::byte> raw(os.byte_size());
  Rng rng(config.seed + 1);
  EpisodeBuffer buffer(config.buffer_size);
  UnrollLearner learner(config, nets);
  const auto start = std::chrono::steady_clock::now();
  MuZeroProgress progress;
  std::deque<double> recent;
  Losses sums;
  int64_t updates_since_log = 0;
  double update_credit = 0.0;
  env->Reset(config.seed, raw.data());
  StoredEpisode ep;
  muzero_detail::AppendObs(os, raw.data(), ep.obs);
  double episode_return = 0.0;
  for (int64_t step = 1; step <= config.total_env_steps; ++step) {
    const std::vector<float> obs(ep.obs.end() - nets.obs_size, ep.obs.end());
    const SearchOutcome outcome = SearchFrom(nets, config, config.mcts, *env, raw.data(), obs, rng);
    const planning::MctsResult& r = outcome.result;
    double total = 0.0;
    for (int64_t v : r.visits) total += static_cast<double>(v);
    std::vector<double> weights(r.visits.size());
    const double inv_t = 1.0 / Temperature(config, step);
    for (size_t a = 0; a < weights.size(); ++a) {
      ep.pi.push_back(static_cast<float>(static_cast<double>(r.visits[a]) / total));
      weights[a] = std::pow(static_cast<double>(r.visits[a]) / total, inv_t);
    }
    double wsum = 0.0;
    for (double w : weights) wsum += w;
    for (double& w : weights) w /= wsum;
    ep.root_values.push_back(static_cast<float>(r.root_value));
    const int64_t a = rng.Choice(weights);
    StepResult sr;
    if (nets.continuous()) {
      // Sampled MuZero: the chosen sample, squashed into the env's bounds.
      const int64_t D = nets.action_dim;
      const float* u = outcome.root_samples.data() + a * D;
      std::vector<float> box(static_cast<size_t>(D));
      BoxAction(mz.action_space, u, box.data());
      sr = env->Step(box.data(), raw.data());
      for (int64_t d = 0; d < D; ++d) ep.actions.push_back(std::tanh(u[d]));
      ep.samples.insert(ep.samples.end(), outcome.root_samples.begin(), outcome.root_samples.end());
    } else {
      const int64_t env_action = mz.action_start + a;
      sr = env->Step(&env_action, raw.data());
      for (int64_t i = 0; i < nets.num_actions; ++i) ep.actions.push_back(i == a ? 1.0f : 0.0f);
    }
    ep.rewards.push_back(static_cast<float>(sr.reward));
    muzero_detail::AppendObs(os, raw.data(), ep.obs);
    episode_return += sr.reward;
    if (sr.terminated || sr.truncated) {
      ep.terminated = sr.terminated;
      double last = 0.0;
      if (!sr.terminated) {
        // A cut episode's last observation is never searched: its predicted value stands in.
        torch::NoGradGuard no_grad;
        const std::vector<float> o(ep.obs.end() - nets.obs_size, ep.obs.end());
        last = UnrollLearner::InverseSupport(
                   nets.Predict(nets.Represent(torch::from_blob(const_cast<float*>(o.data()),
                                                                {1, nets.obs_size})))
                       .second,
                   config.value_support)
                   .item<double>();
      }
      ep.root_values.push_back(static_cast<float>(last));
      buffer.Add(std::move(ep));
      ep = StoredEpisode{};
      ++progress.episodes;
      recent.push_back(episode_return);
      if (recent.size() > 10) recent.pop_front();
      episode_return = 0.0;
      env->Reset(std::nullopt, raw.data());
      muzero_detail::AppendObs(os, raw.data(), ep.obs);
    }
    if (step > config.warmup_steps && buffer.positions() >= 1) {
      update_credit += config.updates_per_env_step;
      while (update_credit >= 1.0) {
        update_credit -= 1.0;
        const double progress_fraction =
            static_cast<double>(step) / static_cast<double>(config.total_env_steps);
        learner.SetLearningRate(config.learning_rate *
                                (1.0 - (1.0 - config.final_lr_fraction) * progress_fraction));
        const Losses l = learner.Step(buffer, rng);
        sums.value += l.value;
        sums.reward += l.reward;
        sums.policy += l.policy;
        ++updates_since_log;
        ++progress.updates;
      }
    }
    if (step % config.log_every == 0 || step == config.total_env_steps) {
      progress.env_steps = step;
      progress.recent_return = 0.0;
      for (double x : recent) progress.recent_return += x / static_cast<double>(recent.size());
      const double d = std::max<int64_t>(updates_since_log, 1);
      progress.value_loss = sums.value / d;
      progress.reward_loss = sums.reward / d;
      progress.policy_loss = sums.policy / d;
      sums = Losses{};
      updates_since_log = 0;
      progress.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (on_progress) on_progress(progress);
    }
  }
  return agent;
}

double EvaluateMuZero(const MuZeroAgent& agent, const std::string& env_id, const EnvArgs& env_args,
                      int64_t episodes, uint64_t seed, int64_t num_simulations) {
  std::unique_ptr<Env> env = MakeEnv(env_id, env_args);
  std::vector<std::byte> raw(env->observation_space().byte_size());
  std::vector<std::byte> action(std::max<size_t>(env->action_space().byte_size(), 8));
  double sum = 0.0;
  for (int64_t e = 0; e < episodes; ++e) {
    env->Reset(seed + static_cast<uint64_t>(e), raw.data());
    for (;;) {
      agent.ActInto(*env, raw.data(), num_simulations, action.data());
      const StepResult r = env->Step(action.data(), raw.data());
      sum += r.reward;
      if (r.terminated || r.truncated) break;
    }
  }
  return episodes > 0 ? sum / static_cast<double>(episodes) : 0.0;
}

}  // namespace bellman::train
