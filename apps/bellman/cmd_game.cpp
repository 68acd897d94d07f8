// `bellman game`: two-player zero-sum Markov games (tabular/markov_games.h). Shapley's value
// iteration gives the exact value and equilibrium; Minimax-Q learns from the env. Both print
// the value at the start and each policy's exploitability, what a best-responding opponent
// takes from it (exact, by value iteration on the opponent's MDP).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "bellman/core/error.h"
#include "bellman/core/suggest.h"
#include "bellman/envs/env_args.h"
#include "bellman/envs/multi_agent.h"
#include "bellman/tabular/markov_games.h"
#include "bellman/train/minimax_dqn.h"
#include "commands.h"

namespace bellman::cli {

namespace {

struct GameOptions {
  std::string env_id = "Soccer-v0";
  std::vector<std::string> env_args;
  std::string method = "shapley";
  tabular::MinimaxQConfig minimax_q;
  train::MinimaxDqnConfig minimax_dqn;
  bool print_values = false;
};

// The expected value over the env's initial state distribution.
double StartValue(const MultiAgentEnv& env, const std::vector<double>& V) {
  const std::vector<double> p = env.InitialDistribution();
  double sum = 0.0;
  for (size_t s = 0; s < p.size(); ++s) sum += p[s] * V[s];
  return sum;
}

void PrintPolicyReport(MultiAgentEnv& env, const MarkovGameModel& P, double gamma,
                       double start_value, const tabular::StochasticPolicy& pi, int64_t player) {
  const std::vector<double> br = tabular::BestResponseValue(P, pi, player, gamma);
  const double v = StartValue(env, br);
  fmt::print(
      "player {}'s policy against a best response: {:+.6f} at the start; exploitability "
      "{:.6f}\n",
      player, v, player == 0 ? start_value - v : v - start_value);
}

void RunGame(GameOptions o) {
  const std::vector<std::string> methods = {"shapley", "minimax_q", "minimax_dqn", "nash_q"};
  if (std::find(methods.begin(), methods.end(), o.method) == methods.end()) {
    throw Error(
        fmt::format("unknown --method '{}'{}; methods: shapley, minimax_q, minimax_dqn, nash_q",
                    o.method, DidYouMean(o.method, methods)));
  }
  // --opponent self is a second learner: Minimax-Q's "minimax_q", Minimax-DQN's "self".
  std::string& opp = o.minimax_q.opponent;
  if (opp == "self") opp = "minimax_q";
  o.minimax_dqn.opponent = opp == "minimax_q" ? "self" : opp;
  std::unique_ptr<MultiAgentEnv> env = MakeMultiAgentEnv(o.env_id, ParseEnvArgs(o.env_args));
  if (o.method == "nash_q") {
    // General-sum: no exact solution to compare with; the learned stage equilibria per state.
    tabular::NashQConfig c;
    c.gamma = o.minimax_q.gamma;
    c.steps = o.minimax_q.steps;
    c.explore = o.minimax_q.explore;
    c.seed = o.minimax_q.seed;
    if (o.minimax_q.alpha_power > 0.0) c.alpha_power = o.minimax_q.alpha_power;
    const tabular::NashQResult r = tabular::NashQ(*env, c);
    fmt::print("Nash-Q on {} (gamma {}, seed {}): {} steps, {} episodes\n", o.env_id, c.gamma,
               c.seed, c.steps, r.episodes);
    fmt::print("{:>6} {:>10} {:>10}  equilibrium strategies of player 0; of player 1\n", "state",
               "V0", "V1");
    for (size_t s = 0; s < r.V0.size(); ++s) {
      fmt::print("{:>6} {:>10.4f} {:>10.4f}  [{:.3f}]; [{:.3f}]\n", s, r.V0[s], r.V1[s],
                 fmt::join(r.pi0[s], " "), fmt::join(r.pi1[s], " "));
    }
    return;
  }
  if (!env->has_model()) throw Error(fmt::format("{} has no zero-sum model", o.env_id));
  const MarkovGameModel& P = env->Model();
  const double gamma = o.minimax_q.gamma;
  const tabular::MarkovGameSolution exact = tabular::ShapleyValueIteration(P, gamma);
  const double v_star = StartValue(*env, exact.V);
  fmt::print(
      "Shapley value iteration on {} (gamma {}): {} iterations, residual {:.2e}; value "
      "at the start {:+.6f}\n",
      o.env_id, gamma, exact.iterations, exact.residual, v_star);
  if (o.method == "shapley") {
    PrintPolicyReport(*env, P, gamma, v_star, exact.pi0, 0);
    PrintPolicyReport(*env, P, gamma, v_star, exact.pi1, 1);
    if (o.print_values) {
      for (size_t s = 0; s < exact.V.size(); ++s) {
        fmt::print("{:>6} {:+.9f} pi0 [{:.4f}]\n", s, exact.V[s], fmt::join(exact.pi0[s], " "));
      }
    }
    return;
  }
  if (o.method == "minimax_dqn") {
    train::MinimaxDqnConfig& d = o.minimax_dqn;
    d.env_id = o.env_id;
    d.env_args = ParseEnvArgs(o.env_args);
    d.gamma = gamma;
    d.steps = o.minimax_q.steps;
    d.explore = o.minimax_q.explore;
    d.seed = o.minimax_q.seed;
    const train::MinimaxDqnResult r = train::TrainMinimaxDqn(d);
    fmt::print(
        "Minimax-DQN on {} against {} (seed {}): {} steps, {} episodes, {} updates, "
        "learned value at the start {:+.6f}\n",
        o.env_id, d.opponent, d.seed, d.steps, r.episodes, r.updates, StartValue(*env, r.V));
    PrintPolicyReport(*env, P, gamma, v_star, r.pi0, 0);
    if (d.opponent == "self") PrintPolicyReport(*env, P, gamma, v_star, r.pi1, 1);
    return;
  }
  tabular::MinimaxQConfig& c = o.minimax_q;
  const tabular::MinimaxQResult r = tabular::MinimaxQ(*env, c);
  fmt::print(
      "Minimax-Q on {} against {} (seed {}): {} steps, {} episodes, learned value at the "
      "start {:+.6f}\n",
      o.env_id, c.opponent, c.seed, c.steps, r.episodes, StartValue(*env, r.V));
  PrintPolicyReport(*env, P, gamma, v_star, r.pi, 0);
  if (c.opponent == "minimax_q") PrintPolicyReport(*env, P, gamma, v_star, r.opponent_pi, 1);
}

}  // namespace

void AddGameCommand(CLI::App& app) {
  auto o = std::make_shared<GameOptions>();
  CLI::App* cmd = app.add_subcommand(
      "game", "Two-player zero-sum Markov games: Shapley's exact solution or Minimax-Q");
  cmd->add_option("--env", o->env_id, "multi-agent env id (Soccer-v0, MatrixGame-v0)")
      ->capture_default_str();
  cmd->add_option("--env-arg", o->env_args, "env keyword argument key=value (repeatable)");
  cmd->add_option("--method", o->method,
                  "shapley | minimax_q | minimax_dqn | nash_q (general-sum, e.g. "
                  "IteratedPrisonersDilemma-v0)")
      ->capture_default_str();
  cmd->add_option("--gamma", o->minimax_q.gamma, "discount factor")->capture_default_str();
  cmd->add_option("--steps", o->minimax_q.steps, "minimax_q, minimax_dqn: env steps")
      ->capture_default_str();
  cmd->add_option("--opponent", o->minimax_q.opponent,
                  "minimax_q, minimax_dqn: player 1 is random or self (a second learner; "
                  "minimax_dqn: the column strategy of the same Q)")
      ->capture_default_str();
  cmd->add_option("--explore", o->minimax_q.explore,
                  "minimax_q, minimax_dqn: uniform action probability")
      ->capture_default_str();
  cmd->add_option("--batch-size", o->minimax_dqn.batch_size, "minimax_dqn: batch size")
      ->capture_default_str();
  cmd->add_option("--lr", o->minimax_dqn.learning_rate, "minimax_dqn: Adam learning rate")
      ->capture_default_str();
  cmd->add_option("--target-update", o->minimax_dqn.target_update_interval,
                  "minimax_dqn: env steps between target copies")
      ->capture_default_str();
  cmd->add_option("--alpha-power", o->minimax_q.alpha_power,
                  "minimax_q: step size alpha / n^p per (s, a, o) instead of the decay")
      ->capture_default_str();
  cmd->add_option("--seed", o->minimax_q.seed, "minimax_q, minimax_dqn: seed")
      ->capture_default_str();
  cmd->add_flag("--print-values", o->print_values, "shapley: print V and pi0 of every state");
  cmd->callback([o] {
    GameOptions run = *o;
    // Littman's schedule: alpha from 1 to 0.01 over the run, whatever its length.
    if (run.minimax_q.alpha_power == 0.0) {
      run.minimax_q.alpha_decay =
          std::pow(0.01, 1.0 / static_cast<double>(std::max<int64_t>(1, run.minimax_q.steps)));
    }
    RunGame(run);
  });
}

}  // namespace bellman::cli
