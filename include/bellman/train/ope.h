// Off-policy evaluation (OPE): estimates of an evaluation policy's discounted return from a
// dataset another (behaviour) policy collected, each with a bootstrap confidence interval, and
// `bellman ope`, which compares them with the policy's true return measured by rolling it out.
// docs/ope.md has the equations and the decisions. Torch-free header (the CLI includes it).
//
// Methods:
//   fqe   fitted Q evaluation (Le, Voloshin & Yue 2019, "Batch policy learning under
//         constraints", FQE), a small MLP Q(s, a);
//   pdis  per-decision importance sampling (Precup, Sutton & Singh 2000);
//   wis   weighted per-decision importance sampling (Thomas 2015's CWPDIS, PhD thesis ch. 3);
//   dr    doubly robust (Jiang & Li 2016, the recursive per-step form) with FQE's Q as model.
// The importance-sampling family (pdis, wis, dr) needs pi(a|s) and mu(a|s): Discrete action
// spaces only. Box action spaces get fqe only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bellman/core/space.h"
#include "bellman/envs/env.h"
#include "bellman/io/dataset.h"

namespace bellman::train {

// n observations (laid out as the observation space says) -> n action rows (int64 for Discrete,
// float32[dim] for Box): a deterministic policy, e.g. a trained run's greedy one.
using GreedyFn = std::function<void(const void* obs, int64_t n, void* actions)>;

// A policy as OPE sees it: its action probabilities on a Discrete action space, or its action on
// a Box one (deterministic policies only there).
struct OpePolicy {
  // Discrete(n): pi(. | s) for n observations, written as n rows of action_space.n() doubles
  // (row i, column k: the probability of action start + k). Rows must sum to 1.
  std::function<void(const void* obs, int64_t n, double* probs)> probs;
  // Box: n float32 action rows.
  std::function<void(const void* obs, int64_t n, float* actions)> act;
  std::string name;  // in messages: "runs/dqn-... (epsilon 0.1)", "random"
};

// epsilon-greedy around `greedy`, with the semantics of `bellman collect --epsilon`: with
// probability epsilon a uniform draw from the action space replaces the greedy action (the draw
// may pick the greedy action itself), so pi(a|s) = epsilon / n + (1 - epsilon) [a = greedy(s)].
// On a Box space the policy is `greedy` itself and epsilon must be 0. Throws bellman::Error for
// epsilon outside [0, 1], or a space other than Discrete and Box.
OpePolicy EpsilonGreedyPolicy(GreedyFn greedy, const Space& action_space, double epsilon,
                              std::string name);
// Uniform over a Discrete space (`bellman collect --policy random`). Throws for other spaces.
OpePolicy UniformPolicy(const Space& action_space);

struct OpeConfig {
  // Subset of {"fqe", "pdis", "wis", "dr"}, in the order to report them.
  std::vector<std::string> methods = {"fqe", "pdis", "wis", "dr"};
  double gamma = 0.99;       // the discount of the estimated return sum_t gamma^t r_t
  int bootstrap = 200;       // B: bootstrap resamples of the dataset's episodes
  double confidence = 0.95;  // percentile interval [(1 - c) / 2, (1 + c) / 2]
  uint64_t seed = 0;         // every draw (FQE's init and batches, resamples) comes from it
  // FQE: gradient steps in all, and every fqe_target_interval of them the target network
  // Q_{k-1} is replaced by the current Q (one iteration k of Le et al.'s Algorithm 3).
  int64_t fqe_steps = 20'000;
  int64_t fqe_target_interval = 50;
  int64_t fqe_batch_size = 256;
  double fqe_lr = 1e-3;  // Adam
  std::vector<int64_t> fqe_hidden = {64, 64};
  // 0: FQE's interval resamples the per-episode values V(s_0) of the one fitted Q (ignores the
  // fitting variance, so it is too narrow). R >= 2: refit FQE on R episode resamples (Hao et al.
  // 2021, "Bootstrapping fitted Q-evaluation"), R times the cost; the interval covers both.
  int fqe_refits = 0;

  // Throws bellman::Error naming the bad field (unknown method with a suggestion, gamma outside
  // [0, 1], bootstrap < 1, ...).
  void Validate() const;
};

struct OpeEstimate {
  std::string method;  // "fqe", "pdis", "wis", "dr"
  double estimate = 0.0;
  double ci_low = 0.0;
  double ci_high = 0.0;
  // What the interval resamples: "episodes", "initial states (one fit)" or "refits (R)".
  std::string ci_kind;
};

// Q(s, .) of a Discrete action space: n observations -> n rows of action_space.n() doubles.
using QFn = std::function<void(const void* obs, int64_t n, double* q)>;

struct FqeResult {
  OpeEstimate estimate;
  std::vector<double> initial_values;  // V(s_0) of each episode's first observation
  // The fitted Q (Discrete action spaces; empty for Box): DR's model.
  QFn q;
  // With fqe_refits: each refit's Q (Discrete only) and the episode counts of the resample it
  // was fitted on, so that DR's interval can include the model's fitting variance.
  std::vector<QFn> refit_q;
  std::vector<std::vector<double>> refit_counts;
  double final_loss = 0.0;  // mean TD loss of the last 100 steps, in units of reward_scale^2
  double reward_scale = 1.0;
};

// Each throws bellman::Error for a dataset with no episodes or a policy whose probabilities are
// not a distribution. The IS methods throw when mu gives probability 0 to a logged action (the
// data cannot come from mu) or the action space is not Discrete.
FqeResult FittedQEvaluation(const io::Dataset& data, const OpePolicy& pi, const OpeConfig& config);
OpeEstimate PerDecisionIs(const io::Dataset& data, const OpePolicy& pi, const OpePolicy& mu,
                          const OpeConfig& config);
OpeEstimate WeightedPerDecisionIs(const io::Dataset& data, const OpePolicy& pi, const OpePolicy& mu,
                                  const OpeConfig& config);
// DR's interval: the episode bootstrap with `q` held fixed; given refit models and their
// resample counts (FqeResult::refit_q/refit_counts), the percentile interval of DR computed with
// refit k's model on refit k's resample, which also covers the model's fitting variance.
OpeEstimate DoublyRobust(const io::Dataset& data, const OpePolicy& pi, const OpePolicy& mu,
                         const QFn& q, const OpeConfig& config,
                         const std::vector<QFn>& refit_q = {},
                         const std::vector<std::vector<double>>& refit_counts = {});

// config.methods in their order (dr fits FQE if fqe is not among them). mu may be null when no
// IS method is asked for.
std::vector<OpeEstimate> EstimatePolicyValue(const io::Dataset& data, const OpePolicy& pi,
                                             const OpePolicy* mu, const OpeConfig& config);

// The truth to compare with: pi played on `episodes` envs made with `args`, env i reset with
// seed + i; pi's random draws (Discrete) come from Rng(seed)'s children, one per env.
struct RolloutReturns {
  std::vector<double> discounted;    // sum_t gamma^t r_t per episode
  std::vector<double> undiscounted;  // sum_t r_t per episode
  double discounted_mean = 0.0;
  double discounted_std = 0.0;  // population std
  double undiscounted_mean = 0.0;
};
RolloutReturns RolloutReturn(const std::string& env_id, const EnvArgs& args, const OpePolicy& pi,
                             int episodes, uint64_t seed, double gamma);

// `bellman ope`.
struct OpeOptions {
  std::string env;      // default: the policy run's
  std::string dataset;  // Minari folder or D4RL file recorded on env
  std::string policy;   // the evaluation policy: a run or checkpoint directory (greedy)
  double epsilon = 0.0;
  std::string behavior;  // "random", a run/checkpoint directory, or "" (only fqe then)
  double behavior_epsilon = 0.0;
  // Empty: fqe, plus pdis, wis and dr when --behavior is given. Otherwise config.methods is
  // replaced by these.
  std::vector<std::string> methods;
  OpeConfig config;
  int rollouts = 100;  // true return: episodes of pi, env i reset with config.seed + i
  std::string json;    // write the report here too (atomically) when not empty
};

struct OpeReport {
  std::string env_id;
  std::vector<OpeEstimate> estimates;
  RolloutReturns truth;
  int64_t episodes = 0;  // of the dataset
  int64_t steps = 0;
};

// Loads everything, checks it fits together, estimates, rolls pi out, prints the table to `out`
// and writes the JSON report. Throws bellman::Error naming the bad value.
OpeReport RunOpe(const OpeOptions& options, std::ostream& out);

}  // namespace bellman::train
