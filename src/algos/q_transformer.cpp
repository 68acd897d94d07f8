// Q-Transformer (Chebotar et al. 2023, "Q-Transformer: Scalable Offline Reinforcement Learning
// via Autoregressive Q-Functions"), registered as `q_transformer`, and its soft-backup variant
// `arsq` (Auto-Regressive Soft Q-learning, "Learning from Suboptimal Data in Continuous Control
// via Auto-Regressive Soft Q-Network"), the same file with `backup: soft`.
//
// Actions: each of the D action dimensions is discretised into `bins` uniform bins over the
// space's [low, high] (bin centres low + k (high - low) / (bins - 1)); a Discrete space is one
// dimension whose bins are its actions. A dataset action is mapped to its nearest bin.
//
// Q-function, per dimension i = 1..D (paper Sec. 4.1): Q(s, a^{1:i-1}, a^i), read from a causal
// transformer (nets/transformer.h) over the tokens (s, a^1, ..., a^{D-1}): token 0 embeds the
// state (the DQN family's torso + a linear layer: `encoder:` keys, MinAtar's conv torso
// included), token j >= 1 embeds dimension j's bin; a learned position embedding is added to
// each. The output at token i-1 gives the `bins` values of dimension i (one shared head), so
// one forward over a dataset action gives every dimension's Q (teacher forcing).
//
// Backups (paper Eq. 1), with the target network Q':
//   i < D:  Q(s, a^{1:i-1}, a^i) <- max_{a^{i+1}} Q'(s, a^{1:i}, a^{i+1})
//   i = D:  Q(s, a^{1:D-1}, a^D) <- r + gamma (1 - terminated) max_{a^1} Q'(s', a^1)
// ARSQ's soft backups replace each max by alpha * logsumexp(Q' / alpha): the soft value of the
// remaining dimensions, which composes over dimensions into the soft Bellman backup of the whole
// action (log sum_{a1, a2} exp(Q(a1, a2)) = log sum_{a1} exp(log sum_{a2} exp(Q(a1, a2)))).
// Monte-Carlo lower bound (Sec. 4.3): every target becomes max(target, G_t), G_t the discounted
// return-to-go of the dataset's episode from step t (a lower bound once rewards are >= 0; a
// truncated episode's G_t misses its tail and is still one).
// Loss (Sec. 4.2, Eq. 2): per dimension
//   1/2 (Q(s, a^{1:i}) - target)^2 + conservative_weight * 1/2 * mean_{a != a^i} Q(s, a^{1:i-1},
//   a)^2
// which pushes the bins the dataset did not take toward 0, the smallest return when rewards are
// >= 0. Rewards enter as reward_scale * r + reward_bias, and a dataset whose transformed rewards
// go below 0 is an error: the regulariser and the lower bound both assume they do not.
// Acting: greedy dimension by dimension, a^i = argmax Q(s, a^{1:i-1}, .) (D forwards); arsq
// samples a^i from softmax(Q / alpha) when exploring. Target network: Polyak with tau.
// Offline only (a SequenceAlgorithm sampling transitions from the dataset it is given, which it
// needs for the Monte-Carlo returns): `bellman train --algo q_transformer --env ID --dataset DIR`.
// Action quantisation (`action_codes: K`, after "Action-Quantized Offline Reinforcement
// Learning"): instead of per-dimension bins, a codebook of K actions fitted to the dataset's
// actions by k-means (k-means++ seeding, Lloyd iterations, in [-1, 1] units), and the method
// runs on the codes as one discrete dimension (dataset actions map to their nearest code; acting
// plays the code's action). The paper learns a state-conditioned VQ-VAE; this codebook is
// state-independent.
// Not built: the paper's history of w past observations (one state token: the envs here are
// Markov), n-step returns, and ARSQ's coarse-to-fine bins (docs/offline.md).
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "bellman/algos/actor_critic.h"
#include "bellman/algos/value_losses.h"
#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/io/dataset.h"
#include "bellman/nets/grad_sync.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/params.h"
#include "bellman/nets/q_network.h"
#include "bellman/nets/state_dict.h"
#include "bellman/nets/transformer.h"

namespace bellman::algos {

// The state token's torso: one 256-unit hidden layer (MinAtar presets use its conv torso).
inline nets::QNetworkConfig DefaultEncoder() {
  nets::QNetworkConfig c;
  c.hidden_sizes = {256};
  return c;
}

struct QtConfig {
  int64_t bins = 41;  // per continuous action dimension (a Discrete space uses its actions)
  int64_t embed_dim = 64;
  int64_t n_layers = 2;
  int64_t n_heads = 1;
  double attention_dropout = 0.0;
  double residual_dropout = 0.0;
  double lr = 3e-4;             // Adam
  double max_grad_norm = 10.0;  // 0: no clipping
  int64_t batch_size = 256;
  double gamma = 0.99;
  double tau = 0.005;                // Polyak target update every gradient step
  double conservative_weight = 1.0;  // the paper's alpha on the unseen-bin regulariser
  bool mc_lower_bound = true;
  std::string backup = "max";  // max (Q-Transformer) | soft (ARSQ)
  double alpha = 0.05;         // soft backups' temperature
  double reward_scale = 1.0;   // rewards enter as reward_scale * r + reward_bias (>= 0)
  double reward_bias = 0.0;
  int64_t action_codes = 0;  // > 0: a k-means codebook of this many actions, one dimension
  int64_t kmeans_iters = 50;
  nets::QNetworkConfig encoder = DefaultEncoder();

  template <class V>
  void Fields(V& v) {
    v("bins", bins);
    v("embed_dim", embed_dim);
    v("n_layers", n_layers);
    v("n_heads", n_heads);
    v("attention_dropout", attention_dropout);
    v("residual_dropout", residual_dropout);
    v("lr", lr);
    v("max_grad_norm", max_grad_norm);
    v("batch_size", batch_size);
    v("gamma", gamma);
    v("tau", tau);
    v("conservative_weight", conservative_weight);
    v("mc_lower_bound", mc_lower_bound);
    v("backup", backup);
    v("alpha", alpha);
    v("reward_scale", reward_scale);
    v("reward_bias", reward_bias);
    v("action_codes", action_codes);
    v("kmeans_iters", kmeans_iters);
    v("encoder", encoder);
  }

  nets::TransformerOptions Transformer() const {
    return {.embed_dim = embed_dim,
            .n_layers = n_layers,
            .n_heads = n_heads,
            .attention_dropout = attention_dropout,
            .residual_dropout = residual_dropout};
  }

  void Validate(const std::string& a) const {
    Require(bins >= 2, "{}.bins must be >= 2, got {}", a, bins);
    Require(lr > 0.0 && std::isfinite(lr), "{}.lr must be a finite number > 0, got {}", a, lr);
    Require(max_grad_norm >= 0.0, "{}.max_grad_norm must be >= 0, got {}", a, max_grad_norm);
    Require(batch_size >= 1, "{}.batch_size must be >= 1, got {}", a, batch_size);
    Require(gamma >= 0.0 && gamma <= 1.0, "{}.gamma must be in [0, 1], got {}", a, gamma);
    Require(tau > 0.0 && tau <= 1.0, "{}.tau must be in (0, 1], got {}", a, tau);
    Require(conservative_weight >= 0.0, "{}.conservative_weight must be >= 0, got {}", a,
            conservative_weight);
    Require(backup == "max" || backup == "soft", "{}.backup must be max or soft, got '{}'", a,
            backup);
    Require(alpha > 0.0 && std::isfinite(alpha), "{}.alpha must be a finite number > 0, got {}", a,
            alpha);
    Require(reward_scale > 0.0 && std::isfinite(reward_scale) && std::isfinite(reward_bias),
            "{}.reward_scale must be a finite number > 0 and reward_bias finite, got {} and {}", a,
            reward_scale, reward_bias);
    Require(action_codes == 0 || action_codes >= 2,
            "{}.action_codes must be 0 (per-dimension bins) or >= 2, got {}", a, action_codes);
    Require(kmeans_iters >= 1, "{}.kmeans_iters must be >= 1, got {}", a, kmeans_iters);
    encoder.Validate();
    Transformer().Validate();
  }
};

// State encoder, bin embeddings, position embeddings, the causal transformer and the Q head.
class QtNetImpl : public torch::nn::Module {
 public:
  QtNetImpl(const QtConfig& c, const std::vector<int64_t>& obs_shape, int64_t dims, int64_t bins,
            Rng& rng)
      : d_(c.embed_dim), dims_(dims), bins_(bins) {
    // Draw order: encoder, bin and position embeddings, the transformer, the head.
    encoder_ =
        register_module("encoder", nets::MakeQNetwork(c.encoder, obs_shape, d_, torch::kCPU, rng));
    bin_emb_ =
        register_module("bin_emb", torch::nn::Embedding(std::max<int64_t>(dims - 1, 1) * bins, d_));
    pos_emb_ = register_module("pos_emb", torch::nn::Embedding(dims, d_));
    {
      torch::NoGradGuard no_grad;
      bin_emb_->weight.copy_(
          nets::NormalInit(rng, {std::max<int64_t>(dims - 1, 1) * bins, d_}, 0.02));
      pos_emb_->weight.copy_(nets::NormalInit(rng, {dims, d_}, 0.02));
    }
    transformer_ = register_module("transformer", nets::CausalTransformer(c.Transformer(), rng));
    head_ = register_module("q_head", nets::MakeLinear(d_, bins, rng));
  }

  // obs [B, obs...] float32, prefix [B, L - 1] int64 bins of dimensions 1..L-1 (L <= D) ->
  // Q [B, L, bins]: row i holds dimension i+1's values given the state and the prefix.
  torch::Tensor forward(const torch::Tensor& obs, const torch::Tensor& prefix) {
    const int64_t b = obs.size(0), l = prefix.size(1) + 1;
    torch::Tensor x = encoder_->forward(obs).unsqueeze(1);  // [B, 1, d]
    if (l > 1) {
      // Dimension j's bins have their own rows: offset j * bins.
      const torch::Tensor offset = torch::arange(l - 1, torch::kInt64).mul(bins_).unsqueeze(0);
      x = torch::cat({x, bin_emb_->forward(prefix + offset)}, 1);
    }
    x = x + pos_emb_->weight.narrow(0, 0, l).unsqueeze(0);
    std::optional<at::Generator> no_dropout;
    x = transformer_->forward(x, torch::Tensor(), no_dropout);
    return head_->forward(x).view({b, l, bins_});
  }

 private:
  int64_t d_, dims_, bins_;
  std::shared_ptr<nets::QNetwork> encoder_;
  torch::nn::Embedding bin_emb_{nullptr}, pos_emb_{nullptr};
  nets::CausalTransformer transformer_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(QtNet);

class QTransformer final : public SequenceAlgorithm {
 public:
  QTransformer(const QtConfig& config, AlgoContext context, const std::string& name)
      : config_(config),
        name_(name),
        env_(context.env),
        net_rng_(context.net_rng),
        update_rng_(context.explore_rng),
        dataset_(context.dataset),
        soft_(config.backup == "soft"),
        sync_(context.collective, context.dist_check_interval, name) {
    const Space& os = env_.observation_space;
    Require(os.kind() == Space::Kind::kBox &&
                (os.dtype() == DType::kFloat32 || os.dtype() == DType::kFloat64 ||
                 os.dtype() == DType::kUint8),
            "{} needs a float32, float64 or uint8 Box observation space, {} has {}", name_, env_.id,
            os.ToString());
    obs_shape_ = os.shape();
    obs_dim_ = os.flat_size();
    const Space& as = env_.action_space;
    if (as.kind() == Space::Kind::kDiscrete) {
      dims_ = 1;
      bins_ = as.n();
    } else {
      Require(as.kind() == Space::Kind::kBox && as.dtype() == DType::kFloat32,
              "{} needs a Discrete or float32 Box action space, {} has {}", name_, env_.id,
              as.ToString());
      action_dim_ = as.flat_size();
      dims_ = action_dim_;
      bins_ = config_.bins;
      for (int64_t d = 0; d < action_dim_; ++d) {
        low_.push_back(as.low()[static_cast<size_t>(d)]);
        high_.push_back(as.high()[static_cast<size_t>(d)]);
        Require(std::isfinite(low_.back()) && std::isfinite(high_.back()),
                "{} discretises bounded actions; dimension {} of {} is {}", name_, d, env_.id,
                as.ToString());
      }
    }
    if (config_.action_codes > 0) {
      Require(as.kind() == Space::Kind::kBox, "{}.action_codes quantises Box actions; {} has {}",
              name_, env_.id, as.ToString());
      dims_ = 1;
      bins_ = config_.action_codes;
      codebook_ = torch::zeros({bins_, action_dim_});  // filled from the data or a checkpoint
      if (dataset_ != nullptr) FitCodebook();
    }
    // The target starts as the same draws (a copy of the generator), then follows by Polyak.
    Rng target_rng = net_rng_;
    net_ = QtNet(config_, obs_shape_, dims_, bins_, net_rng_);
    target_ = QtNet(config_, obs_shape_, dims_, bins_, target_rng);
    for (auto& p : target_->parameters()) p.set_requires_grad(false);
    params_ = net_->parameters();
    // One tight loop per parameter tensor (nets/optim.h) instead of torch::optim's 5-10 ops.
    optimizer_ =
        std::make_unique<nets::FlatAdam>(net_->parameters(), torch::optim::AdamOptions(config_.lr));
    obs_mean_ = torch::zeros({obs_dim_});
    obs_std_ = torch::ones({obs_dim_});
    // Float states are normalised by the dataset's statistics (as DT, IQL); MinAtar's grids not.
    if (os.dtype() != DType::kUint8 && !context.dataset_obs_mean.empty()) {
      obs_mean_ = torch::tensor(context.dataset_obs_mean, torch::kFloat64).to(torch::kFloat32);
      obs_std_ =
          (torch::tensor(context.dataset_obs_std, torch::kFloat64) + 1e-3).to(torch::kFloat32);
    }
    if (dataset_ != nullptr) IndexDataset();
  }

  std::vector<std::string> metric_names() const override {
    return {"qt_loss", "td_loss", "conservative_loss", "q_data"};
  }
  Metrics Stats() const override { return {{"gradient_steps", static_cast<double>(updates_)}}; }
  void OnEnvStep(int64_t) override {}

  Metrics UpdateOnSegments() override {
    Require(dataset_ != nullptr, "{} trains from a dataset (--dataset DIR)", name_);
    const int64_t b = config_.batch_size;
    const size_t ob = dataset_->obs_bytes();
    std::vector<std::byte> obs(static_cast<size_t>(b) * ob), next_obs(obs.size());
    torch::Tensor bins = torch::empty({b, dims_}, torch::kInt64);
    torch::Tensor reward = torch::empty({b});
    torch::Tensor not_done = torch::empty({b});
    torch::Tensor mc = torch::empty({b});
    auto* bin = bins.data_ptr<int64_t>();
    // Raw pointers: Tensor::operator[] would be a view and a fill op per element.
    float* r = reward.data_ptr<float>();
    float* nd = not_done.data_ptr<float>();
    float* g = mc.data_ptr<float>();
    for (int64_t i = 0; i < b; ++i) {
      const int64_t step = update_rng_.Integers(0, dataset_->total_steps());
      const std::byte* row = dataset_->obs_row_of_step(step);
      std::memcpy(obs.data() + static_cast<size_t>(i) * ob, row, ob);
      std::memcpy(next_obs.data() + static_cast<size_t>(i) * ob, row + ob, ob);
      ActionBins(step, bin + i * dims_);
      r[i] = static_cast<float>(Reward(step));
      nd[i] = dataset_->terminations()[static_cast<size_t>(step)] ? 0.0f : 1.0f;
      g[i] = static_cast<float>(mc_[static_cast<size_t>(step)]);
    }
    const torch::Tensor s = ObsTensor(obs.data(), b), s2 = ObsTensor(next_obs.data(), b);
    const torch::Tensor prefix = bins.narrow(1, 0, dims_ - 1);

    torch::Tensor target;  // [B, D]
    {
      torch::NoGradGuard no_grad;
      // Only what the backups read: s' alone (its first dimension's values: one token, which
      // is all that a causal model's token 0 sees), and, when D > 1, (s, a^{1:D-1}) for the
      // next dimension's values under the dataset's prefix (tokens 1..D-1).
      const torch::Tensor v_next_state =
          Value(target_->forward(s2, prefix.narrow(1, 0, 0)).select(1, 0));  // [B]
      const torch::Tensor bootstrap =
          reward + static_cast<float>(config_.gamma) * not_done * v_next_state;  // [B]
      if (dims_ > 1) {
        const torch::Tensor q_next_dim = target_->forward(s, prefix);  // [B, D, bins]
        target = torch::cat({Value(q_next_dim.narrow(1, 1, dims_ - 1)), bootstrap.unsqueeze(1)}, 1);
      } else {
        target = bootstrap.unsqueeze(1);
      }
      if (config_.mc_lower_bound) target = torch::maximum(target, mc.unsqueeze(1));
    }
    const torch::Tensor q = net_->forward(s, prefix);  // [B, D, bins]
    // Eq. 2: the TD term on the dataset's bins and the mean over the bins it did not take of
    // Q^2 (the regulariser toward 0), as one node (algos/value_losses.h).
    QtLossStats stats;
    const torch::Tensor loss =
        QTransformerLoss(q, bins, target, config_.conservative_weight, &stats);
    const double loss_value = loss.item<double>();
    Require(std::isfinite(loss_value), "{}: non-finite loss at gradient step {}; lower {}.lr",
            name_, updates_ + 1, name_);
    nets::ZeroGrad(params_);
    loss.backward();
    sync_.AllReduce(*optimizer_);
    if (config_.max_grad_norm > 0.0) nets::ClipGradNorm(params_, config_.max_grad_norm);
    optimizer_->step();
    nets::SoftUpdate(*target_, *net_, config_.tau);
    ++updates_;
    return {{"qt_loss", loss_value},
            {"td_loss", stats.td},
            {"conservative_loss", stats.conservative},
            {"q_data", stats.q_data}};
  }

  // Dimension by dimension: greedy, or (arsq, exploring) sampled from softmax(Q / alpha).
  void Act(const void* obs, int64_t n, bool explore, void* out) override {
    torch::NoGradGuard no_grad;
    const torch::Tensor s = ObsTensor(obs, n);
    torch::Tensor chosen = torch::empty({n, 0}, torch::kInt64);
    for (int64_t i = 0; i < dims_; ++i) {
      const torch::Tensor q = net_->forward(s, chosen).select(1, i);  // [n, bins]
      torch::Tensor a;
      if (soft_ && explore) {
        const torch::Tensor p =
            torch::softmax(q.to(torch::kFloat64) / config_.alpha, 1).contiguous();
        a = torch::empty({n, 1}, torch::kInt64);
        const double* pp = p.data_ptr<double>();
        for (int64_t k = 0; k < n; ++k) {
          double u = update_rng_.Random(), acc = 0.0;
          int64_t pick = bins_ - 1;
          for (int64_t j = 0; j < bins_; ++j) {
            acc += pp[k * bins_ + j];
            if (u < acc) {
              pick = j;
              break;
            }
          }
          a[k][0] = pick;
        }
      } else {
        a = q.argmax(1, /*keepdim=*/true);
      }
      chosen = torch::cat({chosen, a}, 1);
    }
    chosen = chosen.contiguous();
    const int64_t* c = chosen.data_ptr<int64_t>();
    if (env_.action_space.kind() == Space::Kind::kDiscrete) {
      auto* actions = static_cast<int64_t*>(out);
      for (int64_t k = 0; k < n; ++k) actions[k] = env_.action_space.start() + c[k];
      return;
    }
    auto* actions = static_cast<float*>(out);
    if (codebook_.defined()) {
      const float* book = codebook_.data_ptr<float>();  // rows in [-1, 1] units
      for (int64_t k = 0; k < n; ++k) {
        for (int64_t d = 0; d < action_dim_; ++d) {
          const auto i = static_cast<size_t>(d);
          actions[k * action_dim_ + d] = static_cast<float>(std::clamp(
              low_[i] + 0.5 * (book[c[k] * action_dim_ + d] + 1.0) * (high_[i] - low_[i]), low_[i],
              high_[i]));
        }
      }
      return;
    }
    for (int64_t k = 0; k < n; ++k) {
      for (int64_t d = 0; d < dims_; ++d) {
        actions[k * dims_ + d] = static_cast<float>(BinCentre(d, c[k * dims_ + d]));
      }
    }
  }

  void DeclareState(nets::StateDict& state) override {
    state.AddModule("net", *net_);
    state.AddModule("target", *target_, /*frozen=*/true);
    state.AddOptimizer("optimizer", *optimizer_);
    state.AddTensor("obs_mean", obs_mean_);
    state.AddTensor("obs_std", obs_std_);
    if (codebook_.defined()) state.AddTensor("codebook", codebook_);
    state.AddInt("updates", updates_);
    state.AddRng("net_rng", net_rng_);
    state.AddRng("update_rng", update_rng_);
  }

 private:
  double BinCentre(int64_t d, int64_t k) const {
    const auto i = static_cast<size_t>(d);
    return low_[i] + static_cast<double>(k) * (high_[i] - low_[i]) / static_cast<double>(bins_ - 1);
  }

  // The nearest bin of each dimension of dataset step `step`'s action.
  void ActionBins(int64_t step, int64_t* out) const {
    if (env_.action_space.kind() == Space::Kind::kDiscrete) {
      out[0] = reinterpret_cast<const int64_t*>(dataset_->actions().data())[step] -
               env_.action_space.start();
      return;
    }
    if (codebook_.defined()) {
      out[0] = codes_[static_cast<size_t>(step)];
      return;
    }
    const auto* a = reinterpret_cast<const float*>(dataset_->actions().data()) + step * dims_;
    for (int64_t d = 0; d < dims_; ++d) {
      const auto i = static_cast<size_t>(d);
      const double x = (a[d] - low_[i]) / (high_[i] - low_[i]) * static_cast<double>(bins_ - 1);
      out[d] = std::clamp<int64_t>(std::llround(x), 0, bins_ - 1);
    }
  }

  // k-means over the dataset's actions in [-1, 1] units: k-means++ seeding (each next centre
  // drawn with probability proportional to the squared distance to the nearest one), then
  // kmeans_iters Lloyd iterations (an empty cluster keeps its centre). Every step's nearest code
  // is kept for sampling. Draws come from update_rng_, before any update.
  void FitCodebook() {
    const int64_t n = dataset_->total_steps(), k = bins_, dim = action_dim_;
    Require(n >= k, "{}: action_codes {} needs at least as many dataset steps; it has {}", name_, k,
            n);
    const auto* raw = reinterpret_cast<const float*>(dataset_->actions().data());
    std::vector<double> x(static_cast<size_t>(n * dim));
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t d = 0; d < dim; ++d) {
        const auto j = static_cast<size_t>(d);
        x[static_cast<size_t>(i * dim + d)] =
            2.0 * (raw[i * dim + d] - low_[j]) / (high_[j] - low_[j]) - 1.0;
      }
    }
    auto dist2 = [&](int64_t i, const double* c) {
      double s2 = 0.0;
      for (int64_t d = 0; d < dim; ++d) {
        const double e = x[static_cast<size_t>(i * dim + d)] - c[d];
        s2 += e * e;
      }
      return s2;
    };
    std::vector<double> centres(static_cast<size_t>(k * dim));
    std::vector<double> nearest(static_cast<size_t>(n), std::numeric_limits<double>::infinity());
    int64_t pick = update_rng_.Integers(0, n);
    for (int64_t c = 0; c < k; ++c) {
      std::copy_n(x.begin() + pick * dim, dim, centres.begin() + c * dim);
      double total = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        nearest[static_cast<size_t>(i)] =
            std::min(nearest[static_cast<size_t>(i)], dist2(i, centres.data() + c * dim));
        total += nearest[static_cast<size_t>(i)];
      }
      if (c + 1 == k) break;
      // The next centre: P(i) proportional to nearest[i] (a duplicate action has weight 0).
      double u = update_rng_.Random() * total, acc = 0.0;
      pick = n - 1;
      for (int64_t i = 0; i < n; ++i) {
        acc += nearest[static_cast<size_t>(i)];
        if (u < acc) {
          pick = i;
          break;
        }
      }
    }
    auto nearest_code = [&](int64_t i) {
      int64_t best = 0;
      double best_d = std::numeric_limits<double>::infinity();
      for (int64_t c = 0; c < k; ++c) {
        const double dd = dist2(i, centres.data() + c * dim);
        if (dd < best_d) {
          best_d = dd;
          best = c;
        }
      }
      return best;
    };
    codes_.assign(static_cast<size_t>(n), 0);
    for (int64_t it = 0; it < config_.kmeans_iters; ++it) {
      std::vector<double> sum(static_cast<size_t>(k * dim), 0.0);
      std::vector<int64_t> count(static_cast<size_t>(k), 0);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t best = nearest_code(i);
        codes_[static_cast<size_t>(i)] = best;
        ++count[static_cast<size_t>(best)];
        for (int64_t d = 0; d < dim; ++d) {
          sum[static_cast<size_t>(best * dim + d)] += x[static_cast<size_t>(i * dim + d)];
        }
      }
      for (int64_t c = 0; c < k; ++c) {
        if (count[static_cast<size_t>(c)] == 0) continue;
        for (int64_t d = 0; d < dim; ++d) {
          centres[static_cast<size_t>(c * dim + d)] =
              sum[static_cast<size_t>(c * dim + d)] /
              static_cast<double>(count[static_cast<size_t>(c)]);
        }
      }
    }
    // The codes of the final centres (the loop assigned against the previous ones).
    for (int64_t i = 0; i < n; ++i) codes_[static_cast<size_t>(i)] = nearest_code(i);
    float* book = codebook_.data_ptr<float>();
    for (int64_t j = 0; j < k * dim; ++j)
      book[j] = static_cast<float>(centres[static_cast<size_t>(j)]);
  }

  double Reward(int64_t step) const {
    return config_.reward_scale * dataset_->rewards()[static_cast<size_t>(step)] +
           config_.reward_bias;
  }

  // max over the last axis, or alpha * logsumexp(x / alpha) for soft backups.
  torch::Tensor Value(const torch::Tensor& q) const {
    if (!soft_) return std::get<0>(q.max(-1));
    const auto a = static_cast<float>(config_.alpha);
    return a * torch::logsumexp(q / a, -1);
  }

  torch::Tensor ObsTensor(const void* obs, int64_t n) const {
    std::vector<int64_t> shape{n};
    shape.insert(shape.end(), obs_shape_.begin(), obs_shape_.end());
    const DType dt = env_.observation_space.dtype();
    const auto type = dt == DType::kFloat64 ? torch::kFloat64
                      : dt == DType::kUint8 ? torch::kUInt8
                                            : torch::kFloat32;
    torch::Tensor x = torch::from_blob(const_cast<void*>(obs), shape, type).to(torch::kFloat32);
    if (dt == DType::kUint8) return x;
    return ((x.view({n, obs_dim_}) - obs_mean_) / obs_std_).view(shape);
  }

  // Every step's transformed reward checked >= 0, and its discounted return-to-go G_t.
  void IndexDataset() {
    Require(dataset_->num_episodes() > 0, "{}: the dataset has no episodes", name_);
    mc_.assign(static_cast<size_t>(dataset_->total_steps()), 0.0);
    double lowest = std::numeric_limits<double>::infinity();
    int64_t lowest_step = 0;
    for (int64_t e = 0; e < dataset_->num_episodes(); ++e) {
      const int64_t first = dataset_->first_step(e), len = dataset_->steps(e);
      double to_go = 0.0;
      for (int64_t j = len - 1; j >= 0; --j) {
        const double r = Reward(first + j);
        if (r < lowest) {
          lowest = r;
          lowest_step = first + j;
        }
        to_go = r + config_.gamma * to_go;
        mc_[static_cast<size_t>(first + j)] = to_go;
      }
    }
    Require(lowest >= 0.0,
            "{}: step {} of the dataset has reward {} after reward_scale * r + reward_bias "
            "({} * {} + {}); the conservative regulariser and the Monte-Carlo bound need rewards "
            ">= 0: set {}.reward_bias (and reward_scale) so that the dataset's smallest reward "
            "maps to >= 0",
            name_, lowest_step, lowest, config_.reward_scale,
            dataset_->rewards()[static_cast<size_t>(lowest_step)], config_.reward_bias, name_);
  }

  QtConfig config_;
  std::string name_;
  EnvSpec env_;
  std::vector<int64_t> obs_shape_;
  int64_t obs_dim_ = 0, dims_ = 1, bins_ = 2, action_dim_ = 1;
  torch::Tensor codebook_;      // [codes, action_dim] in [-1, 1] units (action_codes > 0)
  std::vector<int64_t> codes_;  // every dataset step's nearest code
  std::vector<double> low_, high_;
  Rng net_rng_, update_rng_;
  const io::Dataset* dataset_;
  bool soft_;
  nets::GradientSync sync_;  // data-parallel runs: mean gradient over ranks before each step
  std::vector<double> mc_;   // discounted return-to-go of every dataset step
  QtNet net_{nullptr}, target_{nullptr};
  std::vector<torch::Tensor> params_;  // net_'s, in order
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  torch::Tensor obs_mean_, obs_std_;
  int64_t updates_ = 0;
};

BELLMAN_REGISTER_ALGORITHMS(q_transformer) {
  registry.push_back(MakeRegistration<QTransformer, QtConfig>("q_transformer"));
  QtConfig arsq;
  arsq.backup = "soft";
  registry.push_back(MakeRegistration<QTransformer, QtConfig>("arsq", arsq));
}

}  // namespace bellman::algos
