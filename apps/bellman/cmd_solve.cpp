// `bellman solve`: exact planning (value / policy iteration) or tabular TD learning on a
// tabular env; prints V, the greedy policy (as a grid for grid worlds) and the iteration count.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <optional>

#include "bellman/core/error.h"
#include "bellman/core/suggest.h"
#include "bellman/envs/env_args.h"
#include "bellman/envs/registry.h"
#include "bellman/tabular/tabular.h"
#include "commands.h"

namespace bellman::cli {

namespace {

struct SolveOptions {
  std::string env_id = "FrozenLake-v1";
  std::vector<std::string> env_args;
  std::string method = "value_iteration";
  double gamma = 0.99;
  double tol = 1e-10;
  std::optional<int64_t> episodes;  // TD methods; unset: TdConfig's default
  int64_t seed = 0;
  double alpha = 0.1;
  // Options (FourRooms-v0's hallway options and/or primitive actions as options): the methods
  // plan or learn over them as an SMDP (tabular/options.h).
  std::string options = "none";
  double alpha_power = 0.0;
  int64_t steps = 2'000'000;
};

void PrintValues(const Env& env, const EnvArgs& args, const std::vector<double>& V,
                 const std::vector<int64_t>& policy) {
  if (auto layout = tabular::GridLayoutFor(env.spec().id, args)) {
    fmt::print("{}", tabular::FormatGrid(V, policy, *layout));
    return;
  }
  fmt::print("{:>6} {:>12} {:>7}\n", "state", "V", "action");
  for (size_t s = 0; s < V.size(); ++s) fmt::print("{:>6} {:>12.6f} {:>7}\n", s, V[s], policy[s]);
}

constexpr const char* kMethods[] = {
    "value_iteration",   "policy_iteration",       "q_learning", "sarsa", "expected_sarsa",
    "double_q_learning", "intra_option_q_learning"};

// --options: plan or learn over options (Sutton, Precup & Singh 1999).
void RunSolveOptions(const SolveOptions& o, Env& env) {
  const std::vector<std::string> sets = {"primitives", "hallways", "hallways+primitives", "eigen",
                                         "eigen+primitives"};
  if (std::find(sets.begin(), sets.end(), o.options) == sets.end()) {
    throw Error(fmt::format("unknown --options '{}'{}; expected none, {}", o.options,
                            DidYouMean(o.options, sets), fmt::join(sets, ", ")));
  }
  const TransitionModel& P = tabular::RequireTransitionModel(env, "bellman solve --options");
  const auto nS = static_cast<int64_t>(P.size()), nA = static_cast<int64_t>(P[0].size());
  std::vector<tabular::Option> options;
  if (o.options.rfind("eigen", 0) == 0) {
    // Machado et al. 2017: eigenvectors 1-4 of the state graph's Laplacian, both directions.
    const tabular::Laplacian lap = tabular::GraphLaplacian(P);
    for (size_t k = 1; k <= 4 && k < lap.eigenvectors.size(); ++k) {
      std::vector<double> neg = lap.eigenvectors[k];
      for (double& x : neg) x = -x;
      options.push_back(
          tabular::EigenOption(P, lap.eigenvectors[k], o.gamma, fmt::format("eigen{}+", k)));
      options.push_back(tabular::EigenOption(P, neg, o.gamma, fmt::format("eigen{}-", k)));
    }
  } else if (o.options != "primitives") {
    if (o.env_id != "FourRooms-v0") {
      throw Error(fmt::format("--options {} are FourRooms-v0's hallway options; --env is {}",
                              o.options, o.env_id));
    }
    options = tabular::FourRoomsHallwayOptions();
  }
  if (o.options != "hallways" && o.options != "eigen") {
    for (auto& p : tabular::PrimitiveOptions(nS, nA)) options.push_back(std::move(p));
  }
  std::vector<double> V;
  std::vector<int64_t> policy;
  if (o.method == "value_iteration" || o.method == "policy_iteration") {
    const tabular::SmdpResult r = o.method == "value_iteration"
                                      ? tabular::SmdpValueIteration(P, options, o.gamma, o.tol)
                                      : tabular::SmdpPolicyIteration(P, options, o.gamma);
    fmt::print("SMDP {} over {} options on {} (gamma {}): {} iterations, {}\n", o.method,
               options.size(), o.env_id, o.gamma, r.iterations,
               r.converged ? "converged" : "NOT converged");
    V = r.V;
    policy = r.policy;
  } else if (o.method == "q_learning" || o.method == "intra_option_q_learning") {
    tabular::OptionLearningConfig c{.gamma = o.gamma,
                                    .alpha = o.alpha,
                                    .alpha_power = o.alpha_power,
                                    .total_steps = o.steps,
                                    .seed = o.seed};
    const tabular::OptionLearningResult r = o.method == "q_learning"
                                                ? tabular::SmdpQLearning(env, options, c)
                                                : tabular::IntraOptionQLearning(env, options, c);
    fmt::print(
        "{} over {} options on {} (gamma {}, alpha {} / n^{}, seed {}): {} steps, {} "
        "episodes, {} options run\n",
        o.method == "q_learning" ? "SMDP Q-learning" : "intra-option Q-learning", options.size(),
        o.env_id, o.gamma, o.alpha, o.alpha_power, o.seed, r.total_steps, r.episodes,
        r.option_executions);
    policy = r.policy;
    for (size_t s = 0; s < r.Q.size(); ++s) V.push_back(r.Q[s][static_cast<size_t>(policy[s])]);
    std::vector<tabular::OptionModel> models;
    for (const auto& opt : options) models.push_back(tabular::ComputeOptionModel(P, opt, o.gamma));
    const std::vector<double> v = tabular::SmdpPolicyEvaluation(models, options, policy);
    const tabular::SmdpResult best = tabular::SmdpPolicyIteration(P, options, o.gamma);
    double gap = 0.0;
    for (size_t s = 0; s < v.size(); ++s) gap = std::max(gap, best.V[s] - v[s]);
    fmt::print("greedy option policy: at most {:.6f} below the optimal SMDP value (exact)\n", gap);
  } else {
    throw Error(
        fmt::format("--options works with value_iteration, policy_iteration, q_learning "
                    "and intra_option_q_learning, not '{}'",
                    o.method));
  }
  fmt::print("options:");
  for (size_t k = 0; k < options.size(); ++k) fmt::print(" {}={}", k, options[k].name);
  fmt::print("\n");
  fmt::print("{:>6} {:>12} {:>7}\n", "state", "V", "option");
  for (size_t s = 0; s < V.size(); ++s) fmt::print("{:>6} {:>12.6f} {:>7}\n", s, V[s], policy[s]);
}

void RunSolve(const SolveOptions& o) {
  const std::vector<std::string> methods(std::begin(kMethods), std::end(kMethods));
  if (std::find(methods.begin(), methods.end(), o.method) == methods.end()) {
    throw Error(fmt::format("unknown --method '{}'{}; methods: {}", o.method,
                            DidYouMean(o.method, methods), fmt::join(methods, ", ")));
  }
  if (o.episodes && *o.episodes < 1) {
    throw Error(fmt::format("--episodes must be >= 1, got {}", *o.episodes));
  }
  EnvArgs args = ParseEnvArgs(o.env_args);
  std::unique_ptr<Env> env = MakeEnv(o.env_id, args);
  if (o.options != "none" || o.method == "intra_option_q_learning") {
    if (o.options == "none") {
      throw Error("--method intra_option_q_learning learns over options; give --options");
    }
    RunSolveOptions(o, *env);
    return;
  }
  if (o.method == "value_iteration" || o.method == "policy_iteration") {
    const TransitionModel& P = tabular::RequireTransitionModel(*env, "bellman solve");
    tabular::PlanningResult r = o.method == "value_iteration"
                                    ? tabular::ValueIteration(P, o.gamma, o.tol)
                                    : tabular::PolicyIteration(P, o.gamma);
    fmt::print("{} on {} (gamma {}): {} iterations, {}\n", o.method, o.env_id, o.gamma,
               r.iterations, r.converged ? "converged" : "NOT converged");
    PrintValues(*env, args, r.V, r.policy);
    return;
  }
  tabular::TdConfig cfg;
  cfg.gamma = o.gamma;
  cfg.alpha = o.alpha;
  cfg.seed = o.seed;
  if (o.episodes) cfg.episodes = *o.episodes;
  cfg.epsilon_decay_steps = std::max<int64_t>(1, cfg.episodes * 20);
  cfg.Validate();
  tabular::TdResult r = tabular::LearnTd(*env, tabular::ParseTdMethod(o.method), cfg);
  fmt::print("{} on {} (gamma {}, alpha {}, seed {}): {} episodes, {} env steps\n", o.method,
             o.env_id, o.gamma, o.alpha, o.seed, r.episode_returns.size(), r.total_steps);
  std::vector<double> V(r.Q.size());
  for (size_t s = 0; s < V.size(); ++s) V[s] = *std::max_element(r.Q[s].begin(), r.Q[s].end());
  PrintValues(*env, args, V, r.policy);
  if (env->has_transition_model()) {
    // Judge the learned greedy policy exactly: its true value vs the optimum.
    std::vector<double> v_pi = tabular::PolicyEvaluation(env->P(), r.policy, o.gamma);
    tabular::PlanningResult best = tabular::ValueIteration(env->P(), o.gamma, 1e-12);
    int64_t start;
    env->Reset(static_cast<uint64_t>(o.seed), &start);
    fmt::print("greedy policy value at start state {}: {:.6f} (optimal {:.6f})\n", start,
               v_pi[start], best.V[start]);
  }
}

}  // namespace

void AddSolveCommand(CLI::App& app) {
  auto o = std::make_shared<SolveOptions>();
  CLI::App* cmd = app.add_subcommand(
      "solve", "Solve a tabular env: value/policy iteration on P, or TD learning from samples");
  cmd->add_option("--env", o->env_id, "environment id")->capture_default_str();
  cmd->add_option("--env-arg", o->env_args, "env keyword argument key=value (repeatable)");
  cmd->add_option("--method", o->method,
                  "value_iteration | policy_iteration | q_learning | sarsa | expected_sarsa | "
                  "double_q_learning | intra_option_q_learning (with --options)")
      ->capture_default_str();
  cmd->add_option("--gamma", o->gamma, "discount factor")->capture_default_str();
  cmd->add_option("--tol", o->tol, "value iteration stopping tolerance")->capture_default_str();
  cmd->add_option("--episodes", o->episodes, "TD methods: training episodes (default 1000)");
  cmd->add_option("--alpha", o->alpha, "TD methods: step size")->capture_default_str();
  cmd->add_option("--seed", o->seed, "TD methods: seed")->capture_default_str();
  cmd->add_option("--options", o->options,
                  "plan or learn over options as an SMDP: primitives | hallways | "
                  "hallways+primitives (FourRooms-v0's hallway options) | eigen | "
                  "eigen+primitives (Laplacian eigen-options of any env with P)")
      ->capture_default_str();
  cmd->add_option("--alpha-power", o->alpha_power,
                  "with --options: step size alpha / n^p for the n-th update of Q(s, o)")
      ->capture_default_str();
  cmd->add_option("--steps", o->steps, "with --options: env steps of option learning")
      ->capture_default_str();
  cmd->callback([o] { RunSolve(*o); });
}

}  // namespace bellman::cli
