// Off-policy evaluation: FQE, per-decision IS, weighted per-decision IS and doubly robust, each
// with a percentile bootstrap interval, and `bellman ope` (bellman/train/ope.h, docs/ope.md).
#include "bellman/train/ope.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <span>
#include <utility>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/core/suggest.h"
#include "bellman/core/validate.h"
#include "bellman/envs/registry.h"
#include "bellman/envs/vector_env.h"
#include "bellman/io/atomic_file.h"
#include "bellman/nets/mlp_net.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/threads.h"
#include "bellman/train/train.h"
#include "train/loop.h"

namespace bellman::train {

namespace {

const std::vector<std::string>& MethodNames() {
  static const std::vector<std::string> names = {"fqe", "pdis", "wis", "dr"};
  return names;
}

bool IsMethod(const std::vector<std::string>& methods, const std::string& m) {
  return std::find(methods.begin(), methods.end(), m) != methods.end();
}

// Every consumer of randomness gets its own child of Rng(seed) (SeedSequence.spawn), so a
// method's draws do not depend on which other methods run or in which order.
enum Stream : size_t {
  kFqeFit = 0,
  kFqeBootstrap,
  kPdisBootstrap,
  kWisBootstrap,
  kDrBootstrap,
  kFqeRefits,
  kRollout,
  kNumStreams
};

Rng StreamRng(uint64_t seed, Stream s) { return Rng(seed).Spawn(kNumStreams)[s]; }

// ---- bootstrap ---------------------------------------------------------------------------------

// NumPy's percentile with the default 'linear' interpolation on sorted samples.
double Percentile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

// Percentile interval (Efron & Tibshirani 1993, ch. 13) of the bootstrap replicates.
std::pair<double, double> PercentileInterval(std::vector<double> replicates, double confidence) {
  std::sort(replicates.begin(), replicates.end());
  const double alpha = (1.0 - confidence) / 2.0;
  return {Percentile(replicates, alpha), Percentile(replicates, 1.0 - alpha)};
}

// How many times each of n episodes appears in one resample of n episodes with replacement.
std::vector<double> ResampleCounts(int64_t n, Rng& rng) {
  std::vector<double> counts(static_cast<size_t>(n), 0.0);
  for (int64_t i = 0; i < n; ++i) counts[static_cast<size_t>(rng.Integers(0, n))] += 1.0;
  return counts;
}

// An estimator that is a mean over episodes, with its bootstrap interval.
OpeEstimate MeanWithInterval(const std::string& method, const std::vector<double>& per_episode,
                             const OpeConfig& c, Rng rng) {
  const auto n = static_cast<int64_t>(per_episode.size());
  OpeEstimate e{.method = method, .ci_kind = "episodes"};
  e.estimate =
      std::accumulate(per_episode.begin(), per_episode.end(), 0.0) / static_cast<double>(n);
  std::vector<double> replicates;
  replicates.reserve(static_cast<size_t>(c.bootstrap));
  for (int b = 0; b < c.bootstrap; ++b) {
    const std::vector<double> counts = ResampleCounts(n, rng);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += counts[static_cast<size_t>(i)] * per_episode[i];
    replicates.push_back(sum / static_cast<double>(n));
  }
  std::tie(e.ci_low, e.ci_high) = PercentileInterval(std::move(replicates), c.confidence);
  return e;
}

// ---- the dataset under a policy -----------------------------------------------------------------

// Observation rows of the dataset: transition t of episode e reads row t + e and its next
// observation is row t + e + 1 (each episode keeps its final observation, dataset.h).
int64_t NumObsRows(const io::Dataset& d) { return d.total_steps() + d.num_episodes(); }
int64_t RowOf(const io::Dataset& d, int64_t e, int64_t k) { return d.first_step(e) + k + e; }

void CheckDataset(const io::Dataset& d) {
  Require(d.num_episodes() > 0 && d.total_steps() > 0, "OPE: the dataset has no transitions");
}

void RequireDiscrete(const io::Dataset& d, const std::string& method) {
  if (d.action_space().kind() != Space::Kind::kDiscrete) {
    throw Error(fmt::format(
        "{} needs pi(a|s) and mu(a|s), which bellman knows for Discrete action spaces only; the "
        "dataset's action space is {} (use --methods fqe)",
        method, d.action_space().ToString()));
  }
}

// pi(. | s) for every observation row of the dataset: rows x n, checked to be distributions.
std::vector<double> ProbsOfRows(const io::Dataset& d, const OpePolicy& p) {
  const int64_t n = d.action_space().n(), rows = NumObsRows(d);
  Require(static_cast<bool>(p.probs), "policy {} has no action probabilities", p.name);
  std::vector<double> probs(static_cast<size_t>(rows * n));
  p.probs(d.observations().data(), rows, probs.data());
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0.0;
    for (int64_t k = 0; k < n; ++k) {
      const double x = probs[static_cast<size_t>(r * n + k)];
      Require(std::isfinite(x) && x >= 0.0,
              "policy {}: probability {} of action {} at dataset row {}", p.name, x, k, r);
      sum += x;
    }
    Require(std::abs(sum - 1.0) < 1e-6,
            "policy {}: action probabilities at dataset row {} sum to {}", p.name, r, sum);
  }
  return probs;
}

int64_t ActionIndex(const io::Dataset& d, int64_t t) {
  return reinterpret_cast<const int64_t*>(d.actions().data())[t] - d.action_space().start();
}

// Per step of the dataset: the cumulative importance ratio w_t = prod_{k<=t} pi(a_k|s_k) /
// mu(a_k|s_k) of its episode (Precup et al. 2000), the reward, and pi's probabilities at s_t.
struct IsTerms {
  std::vector<double> w;
  std::vector<double> pi_probs;  // obs rows x n (for DR's V(s) = sum_a pi(a|s) Q(s, a))
};

IsTerms ImportanceWeights(const io::Dataset& d, const OpePolicy& pi, const OpePolicy& mu,
                          const std::string& method) {
  CheckDataset(d);
  RequireDiscrete(d, method);
  const int64_t n = d.action_space().n();
  IsTerms t{.w = std::vector<double>(static_cast<size_t>(d.total_steps())),
            .pi_probs = ProbsOfRows(d, pi)};
  const std::vector<double> mu_probs = ProbsOfRows(d, mu);
  for (int64_t e = 0; e < d.num_episodes(); ++e) {
    double w = 1.0;
    for (int64_t k = 0; k < d.steps(e); ++k) {
      const int64_t step = d.first_step(e) + k;
      const int64_t a = ActionIndex(d, step);
      const size_t at = static_cast<size_t>(RowOf(d, e, k) * n + a);
      if (mu_probs[at] <= 0.0) {
        throw Error(fmt::format(
            "{}: behavior policy {} gives probability 0 to action {} logged at episode {} step "
            "{}, so the dataset was not collected by it (check --behavior and "
            "--behavior-epsilon)",
            method, mu.name, a + d.action_space().start(), e, k));
      }
      w *= t.pi_probs[at] / mu_probs[at];
      t.w[static_cast<size_t>(step)] = w;
    }
  }
  return t;
}

// Consistent weighted per-decision IS (Thomas 2015, ch. 3, CWPDIS) with episode weights c_i
// (1 for the estimate, resample counts for a bootstrap replicate):
//   V = sum_t gamma^t (sum_i c_i w_t^i r_t^i) / (sum_i c_i w_t^i).
// An episode that ended before t stays in the denominator with its last weight (it sits in an
// absorbing state with reward 0 that both policies leave with probability 1), so with pi == mu
// every w is 1 and V is exactly the mean discounted return. A time with a zero denominator adds 0.
double WeightedPdisValue(const io::Dataset& d, const IsTerms& t, const std::vector<double>& c,
                         double gamma) {
  int64_t horizon = 0;
  for (int64_t e = 0; e < d.num_episodes(); ++e) horizon = std::max(horizon, d.steps(e));
  std::vector<double> num(static_cast<size_t>(horizon), 0.0), den(num), tail(num.size() + 1, 0.0);
  for (int64_t e = 0; e < d.num_episodes(); ++e) {
    const double ce = c[static_cast<size_t>(e)];
    if (ce == 0.0) continue;
    for (int64_t k = 0; k < d.steps(e); ++k) {
      const auto s = static_cast<size_t>(d.first_step(e) + k);
      num[static_cast<size_t>(k)] += ce * t.w[s] * d.rewards()[s];
      den[static_cast<size_t>(k)] += ce * t.w[s];
    }
    // Padding after the episode's end, added once through a running sum.
    tail[static_cast<size_t>(d.steps(e))] +=
        ce * t.w[static_cast<size_t>(d.first_step(e) + d.steps(e) - 1)];
  }
  double value = 0.0, discount = 1.0, padded = 0.0;
  for (size_t k = 0; k < num.size(); ++k) {
    padded += tail[k];
    const double denominator = den[k] + padded;
    if (denominator > 0.0) value += discount * num[k] / denominator;
    discount *= gamma;
  }
  return value;
}

// ---- FQE ----------------------------------------------------------------------------------------

double ReadElement(DType dtype, const std::byte* row, int64_t j) {
  switch (dtype) {
    case DType::kFloat32:
      return reinterpret_cast<const float*>(row)[j];
    case DType::kFloat64:
      return reinterpret_cast<const double*>(row)[j];
    case DType::kInt64:
      return static_cast<double>(reinterpret_cast<const int64_t*>(row)[j]);
    case DType::kInt8:
      return reinterpret_cast<const int8_t*>(row)[j];
    case DType::kUint8:
      return reinterpret_cast<const uint8_t*>(row)[j];
  }
  return 0.0;
}

// Observations as network inputs: one-hot codes for Discrete (and each element of Tuple and
// MultiDiscrete), so a tabular env's Q is a free table; numbers otherwise (Box, MultiBinary),
// standardised with the dataset's mean and std (constant elements keep std 1).
class Featurizer {
 public:
  explicit Featurizer(const io::Dataset& d) : space_(d.observation_space()) {
    switch (space_.kind()) {
      case Space::Kind::kDiscrete:
        sizes_ = {space_.n()};
        starts_ = {space_.start()};
        break;
      case Space::Kind::kTuple:
        for (const Space& s : space_.spaces()) {
          sizes_.push_back(s.n());
          starts_.push_back(s.start());
        }
        break;
      case Space::Kind::kMultiDiscrete:
        sizes_ = space_.nvec();
        starts_.assign(sizes_.size(), 0);
        break;
      case Space::Kind::kBox:
      case Space::Kind::kMultiBinary:
        Standardise(d);
        break;
    }
    dim_ = sizes_.empty() ? space_.flat_size()
                          : std::accumulate(sizes_.begin(), sizes_.end(), int64_t{0});
  }

  int64_t dim() const { return dim_; }

  // n observation rows -> [n, dim] float32.
  torch::Tensor operator()(const void* obs, int64_t n) const {
    torch::Tensor x = torch::zeros({n, dim_}, torch::kFloat32);
    float* out = x.data_ptr<float>();
    const auto* bytes = static_cast<const std::byte*>(obs);
    const int64_t flat = space_.flat_size();
    for (int64_t i = 0; i < n; ++i) {
      const std::byte* row = bytes + static_cast<size_t>(i) * space_.byte_size();
      float* o = out + i * dim_;
      if (sizes_.empty()) {
        for (int64_t j = 0; j < flat; ++j) {
          o[j] = static_cast<float>((ReadElement(space_.dtype(), row, j) - mean_[j]) / std_[j]);
        }
        continue;
      }
      int64_t offset = 0;
      for (size_t j = 0; j < sizes_.size(); ++j) {
        const int64_t v = static_cast<int64_t>(ReadElement(space_.dtype(), row, j)) - starts_[j];
        Require(v >= 0 && v < sizes_[j], "FQE: observation element {} is {}, outside {}", j,
                v + starts_[j], space_.ToString());
        o[offset + v] = 1.0f;
        offset += sizes_[j];
      }
    }
    return x;
  }

 private:
  void Standardise(const io::Dataset& d) {
    const int64_t flat = space_.flat_size(), rows = NumObsRows(d);
    mean_.assign(static_cast<size_t>(flat), 0.0);
    std_.assign(static_cast<size_t>(flat), 0.0);
    const std::byte* data = d.observations().data();
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < flat; ++j) {
        mean_[j] += ReadElement(space_.dtype(), data + r * space_.byte_size(), j);
      }
    }
    for (double& m : mean_) m /= static_cast<double>(rows);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < flat; ++j) {
        const double x = ReadElement(space_.dtype(), data + r * space_.byte_size(), j) - mean_[j];
        std_[j] += x * x;
      }
    }
    for (double& s : std_) {
      s = std::sqrt(s / static_cast<double>(rows));
      if (s < 1e-6) s = 1.0;
    }
  }

  Space space_;
  std::vector<int64_t> sizes_, starts_;  // one-hot blocks (empty: numeric features)
  std::vector<double> mean_, std_;
  int64_t dim_ = 0;
};

// Box actions as network inputs: scaled to [-1, 1] by the space's bounds (SB3's scale_action)
// where they are finite, unchanged where not.
class ActionScaler {
 public:
  explicit ActionScaler(const Space& space) {
    for (size_t j = 0; j < space.low().size(); ++j) {
      const double lo = space.low()[j], hi = space.high()[j];
      const bool finite = std::isfinite(lo) && std::isfinite(hi) && hi > lo;
      offset_.push_back(finite ? static_cast<float>(lo) : 1.0f);
      width_.push_back(finite ? static_cast<float>(hi - lo) : 2.0f);
    }
  }
  torch::Tensor operator()(const float* a, int64_t n) const {
    const auto dim = static_cast<int64_t>(width_.size());
    torch::Tensor x = torch::empty({n, dim}, torch::kFloat32);
    float* o = x.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < dim; ++j) {
        o[i * dim + j] = 2.0f * ((a[i * dim + j] - offset_[j]) / width_[j]) - 1.0f;
      }
    }
    return x;
  }

 private:
  std::vector<float> offset_, width_;
};

// Everything FQE regresses on, as tensors indexed by transition (computed once: pi is fixed).
struct FqeTensors {
  bool discrete = true;
  int64_t num_actions = 0;  // Discrete
  torch::Tensor x, x_next;  // [N, d] features of s_t and s_{t+1}
  torch::Tensor a;          // Discrete: [N, 1] int64 index; Box: [N, act_dim] scaled
  torch::Tensor pi_next;    // Discrete: [N, n] pi(. | s_{t+1}); Box: [N, act_dim] pi(s_{t+1})
  torch::Tensor reward;     // [N] r_t / reward_scale
  torch::Tensor discount;   // [N] gamma (1 - terminated_t): truncations bootstrap
  torch::Tensor x0, pi0;    // per episode: features and pi at s_0
  double reward_scale = 1.0;
};

// A shared Q network: [x | a] -> 1 for Box, x -> n for Discrete, in units of reward_scale.
struct FqeModel {
  std::shared_ptr<Featurizer> features;
  nets::MlpNet net = nullptr;
  double reward_scale = 1.0;
};

FqeTensors MakeFqeTensors(const io::Dataset& d, const OpePolicy& pi, const Featurizer& f,
                          double gamma) {
  FqeTensors t;
  const Space& as = d.action_space();
  t.discrete = as.kind() == Space::Kind::kDiscrete;
  Require(t.discrete || as.kind() == Space::Kind::kBox,
          "FQE handles Discrete and Box action spaces, not {}", as.ToString());
  const int64_t n = d.total_steps(), episodes = d.num_episodes(), rows = NumObsRows(d);
  std::vector<int64_t> cur, next, first;
  for (int64_t e = 0; e < episodes; ++e) {
    first.push_back(RowOf(d, e, 0));
    for (int64_t k = 0; k < d.steps(e); ++k) {
      cur.push_back(RowOf(d, e, k));
      next.push_back(RowOf(d, e, k) + 1);
    }
  }
  auto index = [](std::vector<int64_t>& v) {
    return torch::from_blob(v.data(), {static_cast<int64_t>(v.size())}, torch::kInt64).clone();
  };
  const torch::Tensor cur_i = index(cur), next_i = index(next), first_i = index(first);
  const torch::Tensor x_rows = f(d.observations().data(), rows);
  t.x = x_rows.index_select(0, cur_i);
  t.x_next = x_rows.index_select(0, next_i);
  t.x0 = x_rows.index_select(0, first_i);
  torch::Tensor pi_rows;
  if (t.discrete) {
    t.num_actions = as.n();
    std::vector<double> probs = ProbsOfRows(d, pi);
    pi_rows = torch::from_blob(probs.data(), {rows, as.n()}, torch::kFloat64).to(torch::kFloat32);
    std::vector<int64_t> a(static_cast<size_t>(n));
    for (int64_t s = 0; s < n; ++s) a[static_cast<size_t>(s)] = ActionIndex(d, s);
    t.a = index(a).unsqueeze(1);
  } else {
    Require(static_cast<bool>(pi.act), "policy {} has no actions for {}", pi.name, as.ToString());
    const ActionScaler scale(as);
    const int64_t dim = as.flat_size();
    std::vector<float> pa(static_cast<size_t>(rows * dim));
    pi.act(d.observations().data(), rows, pa.data());
    pi_rows = scale(pa.data(), rows);
    t.a = scale(reinterpret_cast<const float*>(d.actions().data()), n);
  }
  t.pi_next = pi_rows.index_select(0, next_i);
  t.pi0 = pi_rows.index_select(0, first_i);
  // Targets in units of reward_scale = the mean |discounted return-to-go| of the dataset's steps
  // (the behaviour's value scale), so the net regresses numbers of order 1 whatever the env's
  // rewards (CartPole's Q ~ 10-100, FrozenLake's ~ 0.1).
  double abs_sum = 0.0;
  for (int64_t e = 0; e < episodes; ++e) {
    double g = 0.0;
    for (int64_t k = d.steps(e) - 1; k >= 0; --k) {
      g = d.rewards()[static_cast<size_t>(d.first_step(e) + k)] + gamma * g;
      abs_sum += std::abs(g);
    }
  }
  const double mean_abs = abs_sum / static_cast<double>(n);
  t.reward_scale = mean_abs > 0.0 && std::isfinite(mean_abs) ? mean_abs : 1.0;
  std::vector<float> r(static_cast<size_t>(n)), g(static_cast<size_t>(n));
  for (int64_t s = 0; s < n; ++s) {
    r[s] = static_cast<float>(d.rewards()[s] / t.reward_scale);
    g[s] = d.terminations()[s] ? 0.0f : static_cast<float>(gamma);
  }
  t.reward = torch::from_blob(r.data(), {n}, torch::kFloat32).clone();
  t.discount = torch::from_blob(g.data(), {n}, torch::kFloat32).clone();
  return t;
}

// Q(s, pi): sum_a pi(a|s) Q(s, a) for Discrete (the expectation over pi's probabilities), or
// Q(s, pi(s)) for Box.
torch::Tensor ValueUnderPi(nets::MlpNet& net, const FqeTensors& t, const torch::Tensor& x,
                           const torch::Tensor& pi) {
  if (t.discrete) return (net->forward(x) * pi).sum(1);
  return net->forward(torch::cat({x, pi}, 1)).squeeze(1);
}

torch::Tensor QOfActions(nets::MlpNet& net, const FqeTensors& t, const torch::Tensor& x,
                         const torch::Tensor& a) {
  if (t.discrete) return net->forward(x).gather(1, a).squeeze(1);
  return net->forward(torch::cat({x, a}, 1)).squeeze(1);
}

// Fitted Q evaluation (Le, Voloshin & Yue 2019): iteration k regresses Q_k on the targets
//   y = r + gamma (1 - terminated) sum_a' pi(a'|s') Q_{k-1}(s', a')
// of the dataset's transitions (Box: Q_{k-1}(s', pi(s'))). Each iteration is
// fqe_target_interval Adam steps on uniformly drawn minibatches (MSE), warm-started from Q_{k-1}
// (the usual neural FQE, e.g. Voloshin et al. 2021); Q_0 is the initial net.
// `transitions`: the pool to draw from (a resample's transitions, with repeats), empty for all.
struct FqeFitResult {
  nets::MlpNet net = nullptr;
  double final_loss = 0.0;
};

FqeFitResult FitFqe(const FqeTensors& t, const std::vector<int64_t>& transitions, int64_t in_dim,
                    const OpeConfig& c, Rng& rng) {
  nets::MlpOptions o;
  o.input_size = in_dim;
  o.hidden_sizes = c.fqe_hidden;
  o.output_size = t.discrete ? t.num_actions : 1;
  nets::MlpNet q(o, rng, /*fused=*/true);
  {
    // Q_0 = 0: the k-th iterate is then the k-step value of pi (Bellman's operator applied k
    // times to 0), instead of carrying the random init's values with weight gamma^k.
    torch::NoGradGuard no_grad;
    const nets::LinearView out = q->linears().back();
    out.weight.zero_();
    out.bias.zero_();
  }
  nets::MlpNet target(q->CloneTarget());
  nets::OptimizerConfig oc;
  oc.name = "adam";
  oc.lr = c.fqe_lr;
  auto optimizer = nets::MakeOptimizer(oc, q->parameters());
  const int64_t pool =
      transitions.empty() ? t.reward.size(0) : static_cast<int64_t>(transitions.size());
  std::vector<int64_t> batch(static_cast<size_t>(c.fqe_batch_size));
  double loss_sum = 0.0;
  int64_t loss_count = 0;
  for (int64_t step = 0; step < c.fqe_steps; ++step) {
    if (step > 0 && step % c.fqe_target_interval == 0) {
      torch::NoGradGuard no_grad;
      const auto src = q->parameters();
      auto dst = target->parameters();
      for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
    }
    for (int64_t& b : batch) {
      const int64_t j = rng.Integers(0, pool);
      b = transitions.empty() ? j : transitions[static_cast<size_t>(j)];
    }
    const torch::Tensor idx = torch::from_blob(batch.data(), {c.fqe_batch_size}, torch::kInt64);
    torch::Tensor y;
    {
      torch::NoGradGuard no_grad;
      const torch::Tensor v_next =
          ValueUnderPi(target, t, t.x_next.index_select(0, idx), t.pi_next.index_select(0, idx));
      y = t.reward.index_select(0, idx) + t.discount.index_select(0, idx) * v_next;
    }
    const torch::Tensor q_sa = QOfActions(q, t, t.x.index_select(0, idx), t.a.index_select(0, idx));
    const torch::Tensor loss = torch::mse_loss(q_sa, y);
    nets::ZeroGrad(*optimizer);
    loss.backward();
    optimizer->step();
    if (step >= c.fqe_steps - 100) {
      loss_sum += loss.item<double>();
      ++loss_count;
    }
  }
  const double final_loss = loss_count > 0 ? loss_sum / static_cast<double>(loss_count) : 0.0;
  Require(std::isfinite(final_loss),
          "FQE diverged (loss {} after {} steps); lower --fqe-lr or raise --fqe-target-interval",
          final_loss, c.fqe_steps);
  return {q, final_loss};
}

std::vector<double> InitialValues(nets::MlpNet& net, const FqeTensors& t) {
  torch::NoGradGuard no_grad;
  const torch::Tensor v =
      (ValueUnderPi(net, t, t.x0, t.pi0).to(torch::kFloat64) * t.reward_scale).contiguous();
  return std::vector<double>(v.data_ptr<double>(), v.data_ptr<double>() + v.numel());
}

}  // namespace

// ---- public API ---------------------------------------------------------------------------------

void OpeConfig::Validate() const {
  Require(!methods.empty(), "--methods: give at least one of {}", fmt::join(MethodNames(), ","));
  for (size_t i = 0; i < methods.size(); ++i) {
    Require(IsMethod(MethodNames(), methods[i]), "unknown OPE method '{}'{}; methods: {}",
            methods[i], DidYouMean(methods[i], MethodNames()), fmt::join(MethodNames(), ", "));
    Require(std::find(methods.begin(), methods.begin() + static_cast<std::ptrdiff_t>(i),
                      methods[i]) == methods.begin() + static_cast<std::ptrdiff_t>(i),
            "--methods lists '{}' twice", methods[i]);
  }
  Require(gamma >= 0.0 && gamma <= 1.0, "--gamma must be in [0, 1], got {}", gamma);
  Require(bootstrap >= 1, "--bootstrap must be >= 1, got {}", bootstrap);
  Require(confidence > 0.0 && confidence < 1.0, "confidence must be in (0, 1), got {}", confidence);
  Require(fqe_steps >= 1, "--fqe-steps must be >= 1, got {}", fqe_steps);
  Require(fqe_target_interval >= 1, "--fqe-target-interval must be >= 1, got {}",
          fqe_target_interval);
  Require(fqe_batch_size >= 1, "--fqe-batch-size must be >= 1, got {}", fqe_batch_size);
  Require(fqe_lr > 0.0 && std::isfinite(fqe_lr), "--fqe-lr must be > 0, got {}", fqe_lr);
  Require(!fqe_hidden.empty(), "--fqe-hidden needs at least one layer size");
  for (int64_t h : fqe_hidden) Require(h >= 1, "--fqe-hidden sizes must be >= 1, got {}", h);
  Require(fqe_refits == 0 || fqe_refits >= 2,
          "--fqe-refits must be 0 (interval over initial states) or >= 2, got {}", fqe_refits);
}

OpePolicy EpsilonGreedyPolicy(GreedyFn greedy, const Space& action_space, double epsilon,
                              std::string name) {
  Require(epsilon >= 0.0 && epsilon <= 1.0, "epsilon of policy {} must be in [0, 1], got {}", name,
          epsilon);
  OpePolicy p;
  p.name = std::move(name);
  if (action_space.kind() == Space::Kind::kBox) {
    Require(epsilon == 0.0,
            "epsilon {} for policy {}: epsilon-greedy needs a Discrete action space, this one is "
            "{}",
            epsilon, p.name, action_space.ToString());
    p.act = [greedy = std::move(greedy)](const void* obs, int64_t n, float* a) {
      greedy(obs, n, a);
    };
    return p;
  }
  Require(action_space.kind() == Space::Kind::kDiscrete,
          "OPE policies act on Discrete or Box action spaces, not {}", action_space.ToString());
  const int64_t num = action_space.n(), start = action_space.start();
  p.probs = [greedy = std::move(greedy), num, start, epsilon](const void* obs, int64_t n,
                                                              double* probs) {
    std::vector<int64_t> a(static_cast<size_t>(n));
    greedy(obs, n, a.data());
    const double rest = epsilon / static_cast<double>(num);
    for (int64_t i = 0; i < n; ++i) {
      std::fill(probs + i * num, probs + (i + 1) * num, rest);
      const int64_t k = a[static_cast<size_t>(i)] - start;
      Require(k >= 0 && k < num, "policy chose action {}, outside Discrete({}, start={})",
              k + start, num, start);
      probs[i * num + k] += 1.0 - epsilon;
    }
  };
  return p;
}

OpePolicy UniformPolicy(const Space& action_space) {
  Require(action_space.kind() == Space::Kind::kDiscrete,
          "a uniformly random behavior policy needs a Discrete action space, not {}",
          action_space.ToString());
  OpePolicy p;
  p.name = "random";
  const int64_t num = action_space.n();
  p.probs = [num](const void*, int64_t n, double* probs) {
    std::fill(probs, probs + n * num, 1.0 / static_cast<double>(num));
  };
  return p;
}

namespace {

// A fitted Q-network as DR's model: n observation rows -> n x |A| values in reward units.
QFn MakeQFn(std::shared_ptr<Featurizer> features, nets::MlpNet net, double reward_scale) {
  auto model = std::make_shared<FqeModel>(FqeModel{std::move(features), net, reward_scale});
  return [model](const void* obs, int64_t n, double* q) {
    torch::NoGradGuard no_grad;
    const torch::Tensor out =
        (model->net->forward((*model->features)(obs, n)).to(torch::kFloat64) * model->reward_scale)
            .contiguous();
    std::copy(out.data_ptr<double>(), out.data_ptr<double>() + out.numel(), q);
  };
}

}  // namespace

FqeResult FittedQEvaluation(const io::Dataset& data, const OpePolicy& pi, const OpeConfig& c) {
  c.Validate();
  CheckDataset(data);
  auto features = std::make_shared<Featurizer>(data);
  const FqeTensors t = MakeFqeTensors(data, pi, *features, c.gamma);
  const int64_t in_dim = features->dim() + (t.discrete ? 0 : data.action_space().flat_size());
  Rng fit_rng = StreamRng(c.seed, kFqeFit);
  FqeFitResult fit = FitFqe(t, {}, in_dim, c, fit_rng);
  FqeResult r;
  r.final_loss = fit.final_loss;
  r.reward_scale = t.reward_scale;
  r.initial_values = InitialValues(fit.net, t);
  r.estimate = MeanWithInterval("fqe", r.initial_values, c, StreamRng(c.seed, kFqeBootstrap));
  r.estimate.ci_kind = "initial states (one fit)";
  if (c.fqe_refits > 0) {
    // Hao et al. 2021: resample episodes, refit, take the percentile interval of the refits'
    // estimates; each refit draws its init and batches from its own child stream.
    Rng refit_rng = StreamRng(c.seed, kFqeRefits);
    std::vector<Rng> fits = refit_rng.Spawn(static_cast<size_t>(c.fqe_refits));
    std::vector<double> replicates;
    for (int k = 0; k < c.fqe_refits; ++k) {
      const std::vector<double> counts = ResampleCounts(data.num_episodes(), fits[k]);
      std::vector<int64_t> pool;
      for (int64_t e = 0; e < data.num_episodes(); ++e) {
        for (int rep = 0; rep < static_cast<int>(counts[static_cast<size_t>(e)]); ++rep) {
          for (int64_t s = 0; s < data.steps(e); ++s) pool.push_back(data.first_step(e) + s);
        }
      }
      FqeFitResult refit = FitFqe(t, pool, in_dim, c, fits[k]);
      const std::vector<double> v0 = InitialValues(refit.net, t);
      double sum = 0.0;
      for (size_t e = 0; e < v0.size(); ++e) sum += counts[e] * v0[e];
      replicates.push_back(sum / static_cast<double>(v0.size()));
      if (t.discrete) {
        r.refit_q.push_back(MakeQFn(features, refit.net, t.reward_scale));
        r.refit_counts.push_back(counts);
      }
    }
    std::tie(r.estimate.ci_low, r.estimate.ci_high) =
        PercentileInterval(std::move(replicates), c.confidence);
    r.estimate.ci_kind = fmt::format("refits ({})", c.fqe_refits);
  }
  if (t.discrete) r.q = MakeQFn(features, fit.net, t.reward_scale);
  return r;
}

OpeEstimate PerDecisionIs(const io::Dataset& d, const OpePolicy& pi, const OpePolicy& mu,
                          const OpeConfig& c) {
  c.Validate();
  const IsTerms t = ImportanceWeights(d, pi, mu, "pdis");
  // Precup et al. 2000: V = (1/n) sum_i sum_t gamma^t w_t^i r_t^i, unbiased for pi's return over
  // the dataset's horizon whenever mu(a|s) > 0 wherever pi(a|s) > 0.
  std::vector<double> per_episode;
  for (int64_t e = 0; e < d.num_episodes(); ++e) {
    double v = 0.0, discount = 1.0;
    for (int64_t k = 0; k < d.steps(e); ++k) {
      const auto s = static_cast<size_t>(d.first_step(e) + k);
      v += discount * t.w[s] * d.rewards()[s];
      discount *= c.gamma;
    }
    per_episode.push_back(v);
  }
  return MeanWithInterval("pdis", per_episode, c, StreamRng(c.seed, kPdisBootstrap));
}

OpeEstimate WeightedPerDecisionIs(const io::Dataset& d, const OpePolicy& pi, const OpePolicy& mu,
                                  const OpeConfig& c) {
  c.Validate();
  const IsTerms t = ImportanceWeights(d, pi, mu, "wis");
  const int64_t n = d.num_episodes();
  OpeEstimate e{.method = "wis", .ci_kind = "episodes"};
  e.estimate = WeightedPdisValue(d, t, std::vector<double>(static_cast<size_t>(n), 1.0), c.gamma);
  // A ratio estimator is not a mean of per-episode values: each replicate recomputes it.
  Rng rng = StreamRng(c.seed, kWisBootstrap);
  std::vector<double> replicates;
  for (int b = 0; b < c.bootstrap; ++b) {
    replicates.push_back(WeightedPdisValue(d, t, ResampleCounts(n, rng), c.gamma));
  }
  std::tie(e.ci_low, e.ci_high) = PercentileInterval(std::move(replicates), c.confidence);
  return e;
}

namespace {

// DR's per-episode values with model q (Jiang & Li 2016), the recursion
// V_DR = V(s_t) + rho_t (r_t + gamma V_DR' - Q(s_t, a_t)) unrolled:
// sum_t gamma^t (w_t r_t - w_t Q(s_t, a_t) + w_{t-1} V(s_t)), w_{-1} = 1, with
// V(s) = sum_a pi(a|s) Q(s, a). The model terms have mean 0 under mu, so the estimate stays
// unbiased whatever Q is, and its variance shrinks as Q approaches Q^pi.
std::vector<double> DrPerEpisode(const io::Dataset& d, const IsTerms& t, const QFn& q,
                                 double gamma) {
  const int64_t n = d.action_space().n(), rows = NumObsRows(d);
  std::vector<double> q_rows(static_cast<size_t>(rows * n));
  q(d.observations().data(), rows, q_rows.data());
  std::vector<double> per_episode;
  for (int64_t e = 0; e < d.num_episodes(); ++e) {
    double v = 0.0, discount = 1.0, w_prev = 1.0;
    for (int64_t k = 0; k < d.steps(e); ++k) {
      const auto s = static_cast<size_t>(d.first_step(e) + k);
      const int64_t row = RowOf(d, e, k);
      double v_s = 0.0;
      for (int64_t a = 0; a < n; ++a) {
        v_s +=
            t.pi_probs[static_cast<size_t>(row * n + a)] * q_rows[static_cast<size_t>(row * n + a)];
      }
      const double q_sa =
          q_rows[static_cast<size_t>(row * n + ActionIndex(d, static_cast<int64_t>(s)))];
      v += discount * (t.w[s] * (d.rewards()[s] - q_sa) + w_prev * v_s);
      w_prev = t.w[s];
      discount *= gamma;
    }
    per_episode.push_back(v);
  }
  return per_episode;
}

}  // namespace

OpeEstimate DoublyRobust(const io::Dataset& d, const OpePolicy& pi, const OpePolicy& mu,
                         const QFn& q, const OpeConfig& c, const std::vector<QFn>& refit_q,
                         const std::vector<std::vector<double>>& refit_counts) {
  c.Validate();
  Require(static_cast<bool>(q), "dr needs a model Q (FQE's)");
  Require(refit_q.size() == refit_counts.size(),
          "dr: {} refit models but {} resamples; they come in pairs", refit_q.size(),
          refit_counts.size());
  const IsTerms t = ImportanceWeights(d, pi, mu, "dr");
  OpeEstimate e =
      MeanWithInterval("dr", DrPerEpisode(d, t, q, c.gamma), c, StreamRng(c.seed, kDrBootstrap));
  if (refit_q.empty()) return e;
  // The refits' joint resampling of data and model (as FQE's refit interval): replicate k is
  // the counts-weighted mean of DR's per-episode values under model k.
  std::vector<double> replicates;
  for (size_t k = 0; k < refit_q.size(); ++k) {
    const std::vector<double> v = DrPerEpisode(d, t, refit_q[k], c.gamma);
    Require(refit_counts[k].size() == v.size(), "dr: refit {} resamples {} episodes, not {}", k,
            refit_counts[k].size(), v.size());
    double sum = 0.0;
    for (size_t i = 0; i < v.size(); ++i) sum += refit_counts[k][i] * v[i];
    replicates.push_back(sum / static_cast<double>(v.size()));
  }
  std::tie(e.ci_low, e.ci_high) = PercentileInterval(std::move(replicates), c.confidence);
  e.ci_kind = fmt::format("refits ({})", refit_q.size());
  return e;
}

std::vector<OpeEstimate> EstimatePolicyValue(const io::Dataset& d, const OpePolicy& pi,
                                             const OpePolicy* mu, const OpeConfig& c) {
  c.Validate();
  CheckDataset(d);
  for (const char* m : {"pdis", "wis", "dr"}) {
    if (!IsMethod(c.methods, m)) continue;
    RequireDiscrete(d, m);
    Require(mu != nullptr, "{} needs the behavior policy that collected the dataset (--behavior)",
            m);
  }
  std::optional<FqeResult> fqe;
  std::vector<OpeEstimate> out;
  for (const std::string& m : c.methods) {
    if (m == "fqe" || m == "dr") {
      if (!fqe) fqe = FittedQEvaluation(d, pi, c);
    }
    if (m == "fqe") out.push_back(fqe->estimate);
    if (m == "pdis") out.push_back(PerDecisionIs(d, pi, *mu, c));
    if (m == "wis") out.push_back(WeightedPerDecisionIs(d, pi, *mu, c));
    if (m == "dr") {
      out.push_back(DoublyRobust(d, pi, *mu, fqe->q, c, fqe->refit_q, fqe->refit_counts));
    }
  }
  return out;
}

RolloutReturns RolloutReturn(const std::string& env_id, const EnvArgs& args, const OpePolicy& pi,
                             int episodes, uint64_t seed, double gamma) {
  Require(episodes >= 1, "--rollouts must be >= 1, got {}", episodes);
  Require(gamma >= 0.0 && gamma <= 1.0, "--gamma must be in [0, 1], got {}", gamma);
  VectorEnv vec(env_id, episodes, args);
  const Space& as = vec.action_space();
  const bool discrete = as.kind() == Space::Kind::kDiscrete;
  Require(discrete ? static_cast<bool>(pi.probs) : static_cast<bool>(pi.act),
          "policy {} cannot act on {}", pi.name, as.ToString());
  const auto n = static_cast<size_t>(episodes);
  // pi's draws: one child stream per env, so env i's episode does not depend on how many run.
  std::vector<Rng> rngs = StreamRng(seed, kRollout).Spawn(n);
  std::vector<int64_t> a_int(discrete ? n : 0);
  std::vector<float> a_box(discrete ? 0 : n * static_cast<size_t>(as.flat_size()));
  std::vector<double> probs(discrete ? n * static_cast<size_t>(as.n()) : 0);
  RolloutReturns r;
  r.discounted.assign(n, 0.0);
  r.undiscounted.assign(n, 0.0);
  std::vector<double> discount(n, 1.0);
  std::vector<uint8_t> done(n, 0);
  size_t remaining = n;
  int64_t steps = 0;
  const int64_t guard = 10'000'000;  // an env without TimeLimit must still end
  vec.Reset(seed);
  while (remaining > 0) {
    if (discrete) {
      pi.probs(vec.obs_data(), episodes, probs.data());
      for (size_t i = 0; i < n; ++i) {
        const std::span<const double> row(probs.data() + i * static_cast<size_t>(as.n()),
                                          static_cast<size_t>(as.n()));
        a_int[i] = as.start() + rngs[i].Choice(row);
      }
      vec.Step(std::span<const int64_t>(a_int));
    } else {
      pi.act(vec.obs_data(), episodes, a_box.data());
      vec.Step(std::span<const float>(a_box));
    }
    for (size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      r.discounted[i] += discount[i] * vec.rewards()[i];
      r.undiscounted[i] += vec.rewards()[i];
      discount[i] *= gamma;
      if (vec.has_final_obs()[i]) {
        done[i] = 1;
        --remaining;
      }
    }
    Require(++steps < guard, "{}: rollout ran {} steps without ending; set a TimeLimit", env_id,
            guard);
  }
  const double m = std::accumulate(r.discounted.begin(), r.discounted.end(), 0.0) / episodes;
  double ss = 0.0;
  for (double x : r.discounted) ss += (x - m) * (x - m);
  r.discounted_mean = m;
  r.discounted_std = std::sqrt(ss / episodes);
  r.undiscounted_mean =
      std::accumulate(r.undiscounted.begin(), r.undiscounted.end(), 0.0) / episodes;
  return r;
}

// ---- bellman ope --------------------------------------------------------------------------------

namespace {

// A run directory's greedy policy, epsilon-greedy on Discrete spaces, as an OpePolicy.
OpePolicy RunPolicy(const std::shared_ptr<Policy>& run, const std::string& dir, double epsilon,
                    const char* flag) {
  Require(epsilon >= 0.0 && epsilon <= 1.0, "{} must be in [0, 1], got {}", flag, epsilon);
  GreedyFn greedy = [run](const void* obs, int64_t n, void* a) { run->Act(obs, n, a); };
  return EpsilonGreedyPolicy(greedy, run->action_space(), epsilon,
                             epsilon > 0 ? fmt::format("{} (epsilon {})", dir, epsilon) : dir);
}

}  // namespace

OpeReport RunOpe(const OpeOptions& o, std::ostream& out) {
  Require(!o.dataset.empty(), "--dataset DIR is required");
  Require(!o.policy.empty(), "--policy RUN_DIR is required");
  Require(o.epsilon >= 0.0 && o.epsilon <= 1.0, "--epsilon must be in [0, 1], got {}", o.epsilon);
  Require(o.behavior_epsilon >= 0.0 && o.behavior_epsilon <= 1.0,
          "--behavior-epsilon must be in [0, 1], got {}", o.behavior_epsilon);
  Require(o.rollouts >= 1, "--rollouts must be >= 1, got {}", o.rollouts);
  Require(o.behavior_epsilon == 0.0 || (!o.behavior.empty() && o.behavior != "random"),
          "--behavior-epsilon {} needs --behavior RUN_DIR", o.behavior_epsilon);
  OpeConfig config = o.config;
  if (!o.methods.empty()) config.methods = o.methods;
  config.Validate();

  auto run = std::make_shared<Policy>(o.policy);
  const std::string env_id = o.env.empty() ? run->env_id() : o.env;
  Require(env_id == run->env_id(), "--env {} differs from the policy's env {} ({})", env_id,
          run->env_id(), o.policy);
  // The run's env kwargs; the dataset's TimeLimit, since the IS estimates are of returns over
  // the dataset's horizon (else the run's own, as `bellman eval` plays).
  EnvArgs args = run->env_args();
  const EnvSpec spec = MakeEnv(env_id, args)->spec();
  const io::Dataset data = io::ReadDataset(o.dataset, spec.observation_space, spec.action_space);
  CheckDatasetFitsEnv(data, spec, o.dataset);
  CheckDataset(data);
  if (data.metadata().max_episode_steps > 0) {
    args["max_episode_steps"] = data.metadata().max_episode_steps;
  } else if (run->max_episode_steps() >= 0) {
    args["max_episode_steps"] = run->max_episode_steps();
  }
  const bool discrete = spec.action_space.kind() == Space::Kind::kDiscrete;
  if (o.methods.empty()) {
    config.methods = {"fqe"};
    if (!o.behavior.empty() && discrete) config.methods = {"fqe", "pdis", "wis", "dr"};
  }
  const bool needs_mu = IsMethod(config.methods, "pdis") || IsMethod(config.methods, "wis") ||
                        IsMethod(config.methods, "dr");
  if (!discrete) {
    Require(!needs_mu && o.behavior.empty(),
            "{} has the action space {}: pdis, wis and dr need pi(a|s) and mu(a|s), which "
            "bellman knows for Discrete action spaces only; run --methods fqe without "
            "--behavior",
            env_id, spec.action_space.ToString());
    Require(o.epsilon == 0.0,
            "--epsilon {}: epsilon-greedy needs a Discrete action space, {} has {}", o.epsilon,
            env_id, spec.action_space.ToString());
  }
  Require(!needs_mu || !o.behavior.empty(),
          "--methods {}: importance sampling needs --behavior random|RUN_DIR, the policy that "
          "collected {}",
          fmt::join(config.methods, ","), o.dataset);
  Require(needs_mu || o.behavior.empty(),
          "--behavior is used by pdis, wis and dr only; --methods is {}",
          fmt::join(config.methods, ","));

  const OpePolicy pi = RunPolicy(run, o.policy, o.epsilon, "--epsilon");
  std::optional<OpePolicy> mu;
  std::shared_ptr<Policy> behavior_run;
  if (o.behavior == "random") {
    mu = UniformPolicy(spec.action_space);
  } else if (!o.behavior.empty()) {
    behavior_run = std::make_shared<Policy>(o.behavior);
    Require(behavior_run->env_id() == env_id, "--behavior {} was trained on {}, not {}", o.behavior,
            behavior_run->env_id(), env_id);
    mu = RunPolicy(behavior_run, o.behavior, o.behavior_epsilon, "--behavior-epsilon");
  }
  // Policy loading sets the run's torch threads; FQE is bit-identical for one thread.
  nets::SetNumThreads(1, 1);

  OpeReport report;
  report.env_id = env_id;
  report.episodes = data.num_episodes();
  report.steps = data.total_steps();
  report.estimates = EstimatePolicyValue(data, pi, mu ? &*mu : nullptr, config);
  report.truth = RolloutReturn(env_id, args, pi, o.rollouts, config.seed, config.gamma);

  const double truth = report.truth.discounted_mean;
  out << fmt::format("policy    {} on {}\n", pi.name, env_id);
  out << fmt::format("dataset   {} ({} episodes, {} steps){}\n", o.dataset, report.episodes,
                     report.steps, mu ? fmt::format(", behavior {}", mu->name) : "");
  out << fmt::format(
      "true      {} rollouts (seeds {}..{}): discounted return {:.4f} (standard error {:.4f}), "
      "undiscounted {:.4f}\n",
      o.rollouts, config.seed, config.seed + static_cast<uint64_t>(o.rollouts) - 1, truth,
      report.truth.discounted_std / std::sqrt(static_cast<double>(o.rollouts)),
      report.truth.undiscounted_mean);
  out << fmt::format("gamma {}, {:.0f}% percentile bootstrap intervals, B = {}, seed {}\n\n",
                     config.gamma, 100 * config.confidence, config.bootstrap, config.seed);
  out << fmt::format("{:<7}{:>12}{:>12}{:>12}{:>12}  {:<7}{}\n", "method", "estimate", "ci_low",
                     "ci_high", "true", "inside", "interval over");
  nlohmann::json estimates = nlohmann::json::array();
  for (const OpeEstimate& e : report.estimates) {
    const bool inside = e.ci_low <= truth && truth <= e.ci_high;
    out << fmt::format("{:<7}{:>12.4f}{:>12.4f}{:>12.4f}{:>12.4f}  {:<7}{}\n", e.method, e.estimate,
                       e.ci_low, e.ci_high, truth, inside ? "yes" : "no", e.ci_kind);
    estimates.push_back({{"method", e.method},
                         {"estimate", e.estimate},
                         {"ci_low", e.ci_low},
                         {"ci_high", e.ci_high},
                         {"ci_kind", e.ci_kind},
                         {"inside_ci", inside},
                         {"error", e.estimate - truth}});
  }
  if (!o.json.empty()) {
    nlohmann::json j = {
        {"env", env_id},
        {"dataset", {{"path", o.dataset}, {"episodes", report.episodes}, {"steps", report.steps}}},
        {"policy", o.policy},
        {"epsilon", o.epsilon},
        {"behavior", o.behavior},
        {"behavior_epsilon", o.behavior_epsilon},
        {"gamma", config.gamma},
        {"bootstrap", config.bootstrap},
        {"confidence", config.confidence},
        {"seed", config.seed},
        {"fqe",
         {{"steps", config.fqe_steps},
          {"target_interval", config.fqe_target_interval},
          {"batch_size", config.fqe_batch_size},
          {"lr", config.fqe_lr},
          {"hidden", config.fqe_hidden},
          {"refits", config.fqe_refits}}},
        {"true_return",
         {{"rollouts", o.rollouts},
          {"discounted_mean", truth},
          {"discounted_std", report.truth.discounted_std},
          {"discounted_standard_error",
           report.truth.discounted_std / std::sqrt(static_cast<double>(o.rollouts))},
          {"undiscounted_mean", report.truth.undiscounted_mean}}},
        {"estimates", estimates}};
    io::WriteFileAtomic(o.json, j.dump(2) + "\n");
  }
  return report;
}

}  // namespace bellman::train
