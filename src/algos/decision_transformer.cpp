// Decision Transformer (Chen et al. 2021, "Decision Transformer: Reinforcement Learning via
// Sequence Modeling"), as CORL writes it (algorithms/offline/dt.py), registered as `dt`.
//
// A trajectory is the token sequence (R_1, s_1, a_1, R_2, s_2, a_2, ...), R_t = sum_{t'>=t} r_t'
// the return-to-go (gamma 1), scaled by reward_scale. Each token is a linear embedding of its
// value plus a learned embedding of its time step; after a LayerNorm and dropout, a causal
// transformer (nets/transformer.h) reads the last `context` steps (3 * context tokens), and
// a_t is predicted from the output at s_t's token: a_hat_t = tanh(W h(s_t)).
//   Training: segments of `context` steps from the dataset's episodes (episode drawn with
//     probability proportional to its length, start uniform in the episode, padded at the end
//     and masked), loss = mean over (batch, step, action dim) of mask * (a_hat - a)^2; AdamW
//     (lr 1e-4, weight decay 1e-4), linear warm-up of the lr over warmup_steps, gradients
//     clipped to norm 0.25.
//   Acting: conditioned on target_return (env units): R_1 = target_return, then
//     R_{t+1} = R_t - r_t; states normalised by the dataset's mean and std + 1e-6 (a checkpoint
//     holds them); actions are the model's, unscaled from [-1, 1] to the space's bounds. The
//     policy is deterministic: exploring acts the same.
// Offline only (a SequenceAlgorithm): `bellman train --algo dt --env ID --dataset DIR`.
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>

#include "bellman/algos/actor_critic.h"
#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/io/dataset.h"
#include "bellman/nets/grad_sync.h"
#include "bellman/nets/state_dict.h"
#include "bellman/nets/transformer.h"

namespace bellman::algos {

struct DtConfig {
  int64_t context = 20;     // K: steps per segment (3K tokens), CORL's seq_len
  int64_t embed_dim = 128;  // CORL's embedding_dim
  int64_t n_layers = 3;
  int64_t n_heads = 1;
  double attention_dropout = 0.1;
  double residual_dropout = 0.1;
  double embedding_dropout = 0.1;
  double lr = 1e-4;  // AdamW
  double weight_decay = 1e-4;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double max_grad_norm = 0.25;  // 0: no clipping
  int64_t batch_size = 64;
  int64_t warmup_steps = 10'000;  // lr * min((k + 1) / warmup_steps, 1) at update k
  double reward_scale = 0.001;    // returns-to-go are fed as reward_scale * R
  // The return to condition on at evaluation, in the env's units (CORL's target_returns); a
  // preset sets it per env, and a run without one is an error.
  double target_return = std::numeric_limits<double>::quiet_NaN();

  template <class V>
  void Fields(V& v) {
    v("context", context);
    v("embed_dim", embed_dim);
    v("n_layers", n_layers);
    v("n_heads", n_heads);
    v("attention_dropout", attention_dropout);
    v("residual_dropout", residual_dropout);
    v("embedding_dropout", embedding_dropout);
    v("lr", lr);
    v("weight_decay", weight_decay);
    v("beta1", beta1);
    v("beta2", beta2);
    v("max_grad_norm", max_grad_norm);
    v("batch_size", batch_size);
    v("warmup_steps", warmup_steps);
    v("reward_scale", reward_scale);
    v("target_return", target_return);
  }

  nets::TransformerOptions Transformer() const {
    return {.embed_dim = embed_dim,
            .n_layers = n_layers,
            .n_heads = n_heads,
            .attention_dropout = attention_dropout,
            .residual_dropout = residual_dropout};
  }

  void Validate(const std::string& a) const {
    Require(context >= 1, "{}.context must be >= 1, got {}", a, context);
    Require(embedding_dropout >= 0.0 && embedding_dropout < 1.0,
            "{}.embedding_dropout must be in [0, 1), got {}", a, embedding_dropout);
    Require(lr > 0.0 && std::isfinite(lr), "{}.lr must be a finite number > 0, got {}", a, lr);
    Require(weight_decay >= 0.0, "{}.weight_decay must be >= 0, got {}", a, weight_decay);
    Require(beta1 >= 0.0 && beta1 < 1.0 && beta2 >= 0.0 && beta2 < 1.0,
            "{}.beta1 and beta2 must be in [0, 1), got {} and {}", a, beta1, beta2);
    Require(max_grad_norm >= 0.0, "{}.max_grad_norm must be >= 0, got {}", a, max_grad_norm);
    Require(batch_size >= 1, "{}.batch_size must be >= 1, got {}", a, batch_size);
    Require(warmup_steps >= 1, "{}.warmup_steps must be >= 1, got {}", a, warmup_steps);
    Require(reward_scale > 0.0 && std::isfinite(reward_scale),
            "{}.reward_scale must be a finite number > 0, got {}", a, reward_scale);
    Transformer().Validate();
  }
};

// The model: token embeddings, the causal transformer and the action head.
class DtNetImpl : public torch::nn::Module {
 public:
  DtNetImpl(const DtConfig& c, int64_t obs_dim, int64_t action_dim, int64_t episode_len, Rng& rng)
      : d_(c.embed_dim), embedding_dropout_(c.embedding_dropout) {
    // Draw order: time steps, state, action, return embeddings, the transformer, the head.
    // CORL's table has `context` extra rows for the padding steps after an episode's end.
    time_emb_ = register_module("time_emb", torch::nn::Embedding(episode_len + c.context, d_));
    {
      torch::NoGradGuard no_grad;
      time_emb_->weight.copy_(nets::NormalInit(rng, {episode_len + c.context, d_}, 0.02));
    }
    state_emb_ = register_module("state_emb", nets::MakeLinear(obs_dim, d_, rng));
    action_emb_ = register_module("action_emb", nets::MakeLinear(action_dim, d_, rng));
    return_emb_ = register_module("return_emb", nets::MakeLinear(1, d_, rng));
    emb_norm_ = register_module("emb_norm", torch::nn::LayerNorm(std::vector<int64_t>{d_}));
    transformer_ = register_module("transformer", nets::CausalTransformer(c.Transformer(), rng));
    head_ = register_module("action_head", nets::MakeLinear(d_, action_dim, rng));
  }

  // states [B, L, obs], actions [B, L, act] in [-1, 1], returns [B, L] (scaled), steps [B, L]
  // int64, valid [B, L] bool -> predicted actions [B, L, act] in [-1, 1].
  torch::Tensor forward(const torch::Tensor& states, const torch::Tensor& actions,
                        const torch::Tensor& returns, const torch::Tensor& steps,
                        const torch::Tensor& valid, std::optional<at::Generator>& generator) {
    const int64_t b = states.size(0), l = states.size(1);
    const torch::Tensor time = time_emb_->forward(steps);
    const torch::Tensor r = return_emb_->forward(returns.unsqueeze(-1)) + time;
    const torch::Tensor s = state_emb_->forward(states) + time;
    const torch::Tensor a = action_emb_->forward(actions) + time;
    // (R_1, s_1, a_1, R_2, ...): [B, L, 3, d] -> [B, 3L, d].
    torch::Tensor x = torch::stack({r, s, a}, 2).reshape({b, 3 * l, d_});
    const torch::Tensor valid3 = valid.unsqueeze(2).expand({b, l, 3}).reshape({b, 3 * l});
    x = nets::Dropout(emb_norm_->forward(x), embedding_dropout_, generator);
    x = transformer_->forward(x, valid3, generator);
    // The outputs at the state tokens (1, 4, 7, ...) predict the actions.
    const torch::Tensor h = x.view({b, l, 3, d_}).select(2, 1);
    return torch::tanh(head_->forward(h));
  }

 private:
  int64_t d_;
  double embedding_dropout_;
  torch::nn::Embedding time_emb_{nullptr};
  torch::nn::Linear state_emb_{nullptr}, action_emb_{nullptr}, return_emb_{nullptr};
  torch::nn::LayerNorm emb_norm_{nullptr};
  nets::CausalTransformer transformer_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(DtNet);

class DecisionTransformer final : public SequenceAlgorithm {
 public:
  DecisionTransformer(const DtConfig& config, AlgoContext context, const std::string& name)
      : config_(config),
        name_(name),
        env_(context.env),
        obs_dim_(FloatObsDim(context.env, name)),
        net_rng_(context.net_rng),
        update_rng_(context.explore_rng),
        dataset_(context.dataset),
        sync_(context.collective, context.dist_check_interval, name) {
    // Checked here, not in Validate: the registry resolves an empty config to list the keys.
    Require(std::isfinite(config_.target_return),
            "{}.target_return must be set: the return to condition on at evaluation, in the "
            "env's units (e.g. an expert's return)",
            name_);
    const Space& as = env_.action_space;
    Require(as.kind() == Space::Kind::kBox && as.dtype() == DType::kFloat32,
            "{} needs a float32 Box action space, {} has {}", name_, env_.id, as.ToString());
    Require(env_.max_episode_steps > 0,
            "{} needs the env's time limit for its time-step embeddings; {} has none", name_,
            env_.id);
    action_dim_ = as.flat_size();
    for (int64_t d = 0; d < action_dim_; ++d) {
      low_.push_back(static_cast<float>(as.low()[static_cast<size_t>(d)]));
      high_.push_back(static_cast<float>(as.high()[static_cast<size_t>(d)]));
    }
    episode_len_ = env_.max_episode_steps;
    net_ = DtNet(config_, obs_dim_, action_dim_, episode_len_, net_rng_);
    optimizer_ = std::make_unique<torch::optim::AdamW>(net_->parameters(),
                                                       torch::optim::AdamWOptions(config_.lr)
                                                           .betas({config_.beta1, config_.beta2})
                                                           .weight_decay(config_.weight_decay));
    obs_mean_ = torch::zeros({obs_dim_});
    obs_std_ = torch::ones({obs_dim_});
    if (!context.dataset_obs_mean.empty()) {
      // CORL's dt.py: std + 1e-6.
      obs_mean_ = torch::tensor(context.dataset_obs_mean, torch::kFloat64).to(torch::kFloat32);
      obs_std_ =
          (torch::tensor(context.dataset_obs_std, torch::kFloat64) + 1e-6).to(torch::kFloat32);
    }
    if (dataset_ != nullptr) IndexDataset();
  }

  std::vector<std::string> metric_names() const override { return {"dt_loss", "lr"}; }
  Metrics Stats() const override { return {{"gradient_steps", static_cast<double>(updates_)}}; }
  void OnEnvStep(int64_t) override {}

  Metrics UpdateOnSegments() override {
    Require(dataset_ != nullptr, "{} trains from a dataset (--dataset DIR)", name_);
    const int64_t b = config_.batch_size, k = config_.context;
    torch::Tensor states = torch::zeros({b, k, obs_dim_});
    torch::Tensor actions = torch::zeros({b, k, action_dim_});
    torch::Tensor returns = torch::zeros({b, k});
    torch::Tensor steps = torch::zeros({b, k}, torch::kInt64);
    torch::Tensor valid = torch::zeros({b, k}, torch::kBool);
    auto* s = states.data_ptr<float>();
    auto* a = actions.data_ptr<float>();
    auto* r = returns.data_ptr<float>();
    auto* t = steps.data_ptr<int64_t>();
    auto* v = valid.data_ptr<bool>();
    for (int64_t i = 0; i < b; ++i) {
      // Episode with probability proportional to its length: a uniform transition's episode.
      const int64_t row = update_rng_.Integers(0, dataset_->total_steps());
      const auto e =
          static_cast<int64_t>(std::upper_bound(ends_.begin(), ends_.end(), row) - ends_.begin());
      const int64_t len = dataset_->steps(e), first = dataset_->first_step(e);
      const int64_t start = update_rng_.Integers(0, len);
      for (int64_t j = 0; j < k; ++j) {
        t[i * k + j] = start + j;  // padding steps keep counting (the table's extra rows)
        if (start + j >= len) continue;
        const int64_t step = first + start + j;
        v[i * k + j] = true;
        ObsRow(dataset_->obs_row_of_step(step), s + (i * k + j) * obs_dim_);
        const auto* act =
            reinterpret_cast<const float*>(dataset_->actions().data()) + step * action_dim_;
        for (int64_t d = 0; d < action_dim_; ++d) {
          a[(i * k + j) * action_dim_ + d] =
              2.0f * (act[d] - low_[d]) / (high_[d] - low_[d]) - 1.0f;
        }
        r[i * k + j] = static_cast<float>(config_.reward_scale * rtg_[step]);
      }
    }
    states = (states - obs_mean_) / obs_std_ * valid.unsqueeze(2);  // padding stays 0
    // Dropout masks from a generator seeded by this update's draw (no global torch RNG).
    std::optional<at::Generator> gen = at::detail::createCPUGenerator(update_rng_.NextUint64());
    const double lr = config_.lr * std::min(static_cast<double>(updates_ + 1) /
                                                static_cast<double>(config_.warmup_steps),
                                            1.0);
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
    const torch::Tensor predicted = net_->forward(states, actions, returns, steps, valid, gen);
    const torch::Tensor loss =
        ((predicted - actions).pow(2) * valid.unsqueeze(2).to(torch::kFloat32)).mean();
    const double loss_value = loss.item<double>();
    Require(std::isfinite(loss_value), "{}: non-finite loss at gradient step {}; lower {}.lr",
            name_, updates_ + 1, name_);
    optimizer_->zero_grad();
    loss.backward();
    sync_.AllReduce(*optimizer_);
    if (config_.max_grad_norm > 0.0) {
      torch::nn::utils::clip_grad_norm_(net_->parameters(), config_.max_grad_norm);
    }
    optimizer_->step();
    ++updates_;
    return {{"dt_loss", loss_value}, {"lr", lr}};
  }

  void ResetEpisodes(int64_t n) override {
    histories_.assign(static_cast<size_t>(n), History{});
    for (History& h : histories_) h.rtg = config_.target_return;
  }

  void ObserveStep(const double* rewards, const uint8_t* dones, int64_t n) override {
    if (static_cast<int64_t>(histories_.size()) != n) return;
    for (int64_t i = 0; i < n; ++i) {
      History& h = histories_[static_cast<size_t>(i)];
      if (dones[i]) {
        h = History{};
        h.rtg = config_.target_return;
      } else {
        h.rtg -= rewards[i];
        ++h.t;
      }
    }
  }

  void Act(const void* obs, int64_t n, bool /*explore*/, void* out) override {
    torch::NoGradGuard no_grad;
    if (static_cast<int64_t>(histories_.size()) != n) ResetEpisodes(n);
    const int64_t k = config_.context;
    int64_t len = 1;
    for (int64_t i = 0; i < n; ++i) {
      History& h = histories_[static_cast<size_t>(i)];
      Step step;
      step.obs.resize(static_cast<size_t>(obs_dim_));
      ObsRow(static_cast<const std::byte*>(obs) +
                 i * static_cast<int64_t>(env_.observation_space.byte_size()),
             step.obs.data());
      step.rtg = h.rtg;
      step.t = std::min(h.t, episode_len_ - 1);
      step.action.assign(static_cast<size_t>(action_dim_), 0.0f);  // predicted below
      h.steps.push_back(std::move(step));
      if (static_cast<int64_t>(h.steps.size()) > k) h.steps.pop_front();
      len = std::max<int64_t>(len, static_cast<int64_t>(h.steps.size()));
    }
    // Left-padded to the longest history; padding is masked (never attended to).
    torch::Tensor states = torch::zeros({n, len, obs_dim_});
    torch::Tensor actions = torch::zeros({n, len, action_dim_});
    torch::Tensor returns = torch::zeros({n, len});
    torch::Tensor steps = torch::zeros({n, len}, torch::kInt64);
    torch::Tensor valid = torch::zeros({n, len}, torch::kBool);
    float* s = states.data_ptr<float>();
    float* a = actions.data_ptr<float>();
    float* r = returns.data_ptr<float>();
    int64_t* t = steps.data_ptr<int64_t>();
    bool* v = valid.data_ptr<bool>();
    for (int64_t i = 0; i < n; ++i) {
      const History& h = histories_[static_cast<size_t>(i)];
      const int64_t pad = len - static_cast<int64_t>(h.steps.size());
      for (size_t j = 0; j < h.steps.size(); ++j) {
        const int64_t p = i * len + pad + static_cast<int64_t>(j);
        const Step& st = h.steps[j];
        std::copy(st.obs.begin(), st.obs.end(), s + p * obs_dim_);
        std::copy(st.action.begin(), st.action.end(), a + p * action_dim_);
        r[p] = static_cast<float>(config_.reward_scale * st.rtg);
        t[p] = st.t;
        v[p] = true;
      }
    }
    states = (states - obs_mean_) / obs_std_ * valid.unsqueeze(2);
    std::optional<at::Generator> no_dropout;
    const torch::Tensor predicted =
        net_->forward(states, actions, returns, steps, valid, no_dropout).select(1, len - 1);
    const torch::Tensor p = predicted.contiguous();
    const float* u = p.data_ptr<float>();
    auto* actions_out = static_cast<float*>(out);
    for (int64_t i = 0; i < n; ++i) {
      Step& last = histories_[static_cast<size_t>(i)].steps.back();
      for (int64_t d = 0; d < action_dim_; ++d) {
        const float x = u[i * action_dim_ + d];
        last.action[static_cast<size_t>(d)] = x;
        actions_out[i * action_dim_ + d] =
            std::clamp(low_[d] + 0.5f * (x + 1.0f) * (high_[d] - low_[d]), low_[d], high_[d]);
      }
    }
  }

  void DeclareState(nets::StateDict& state) override {
    state.AddModule("net", *net_);
    state.AddOptimizer("optimizer", *optimizer_);
    state.AddTensor("obs_mean", obs_mean_);
    state.AddTensor("obs_std", obs_std_);
    state.AddInt("updates", updates_);
    state.AddRng("net_rng", net_rng_);
    state.AddRng("update_rng", update_rng_);
  }

 private:
  struct Step {
    std::vector<float> obs;
    std::vector<float> action;  // in [-1, 1]
    double rtg = 0.0;
    int64_t t = 0;
  };
  struct History {
    std::deque<Step> steps;  // the last `context` steps
    double rtg = 0.0;        // the return still to go, env units
    int64_t t = 0;           // time step of the next observation
  };

  // Episode ends (for sampling by length) and every step's return-to-go, once.
  void IndexDataset() {
    Require(dataset_->num_episodes() > 0, "{}: the dataset has no episodes", name_);
    rtg_.assign(static_cast<size_t>(dataset_->total_steps()), 0.0);
    int64_t end = 0;
    for (int64_t e = 0; e < dataset_->num_episodes(); ++e) {
      const int64_t first = dataset_->first_step(e), len = dataset_->steps(e);
      double to_go = 0.0;
      for (int64_t j = len - 1; j >= 0; --j) {
        to_go += dataset_->rewards()[static_cast<size_t>(first + j)];
        rtg_[static_cast<size_t>(first + j)] = to_go;
      }
      Require(len <= episode_len_ + config_.context,
              "{}: episode {} of the dataset has {} steps, more than the env's time limit {}",
              name_, e, len, episode_len_);
      end += len;
      ends_.push_back(end);
    }
  }

  // One observation row (float32 or float64) as float32.
  void ObsRow(const std::byte* row, float* out) const {
    if (env_.observation_space.dtype() == DType::kFloat64) {
      const auto* x = reinterpret_cast<const double*>(row);
      for (int64_t j = 0; j < obs_dim_; ++j) out[j] = static_cast<float>(x[j]);
    } else {
      std::memcpy(out, row, static_cast<size_t>(obs_dim_) * sizeof(float));
    }
  }

  DtConfig config_;
  std::string name_;
  EnvSpec env_;
  int64_t obs_dim_ = 0, action_dim_ = 0, episode_len_ = 0;
  std::vector<float> low_, high_;
  Rng net_rng_, update_rng_;
  const io::Dataset* dataset_;
  nets::GradientSync sync_;    // data-parallel runs: mean gradient over ranks before each step
  std::vector<int64_t> ends_;  // cumulative episode lengths
  std::vector<double> rtg_;    // return-to-go of every dataset step (gamma 1)
  DtNet net_{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  torch::Tensor obs_mean_, obs_std_;
  int64_t updates_ = 0;
  std::vector<History> histories_;
};

BELLMAN_REGISTER_ALGORITHMS(decision_transformer) {
  registry.push_back(MakeRegistration<DecisionTransformer, DtConfig>("dt"));
}

}  // namespace bellman::algos
