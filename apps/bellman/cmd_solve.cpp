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

constexpr const char* kMethods[] = {"value_iteration", "policy_iteration", "q_learning",
                                    "sarsa",           "expected_sarsa",   "double_q_learning"};

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
                  "double_q_learning")
      ->capture_default_str();
  cmd->add_option("--gamma", o->gamma, "discount factor")->capture_default_str();
  cmd->add_option("--tol", o->tol, "value iteration stopping tolerance")->capture_default_str();
  cmd->add_option("--episodes", o->episodes, "TD methods: training episodes (default 1000)");
  cmd->add_option("--alpha", o->alpha, "TD methods: step size")->capture_default_str();
  cmd->add_option("--seed", o->seed, "TD methods: seed")->capture_default_str();
  cmd->callback([o] { RunSolve(*o); });
}

}  // namespace bellman::cli
