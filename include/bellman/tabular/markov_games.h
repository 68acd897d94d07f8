// Two-player zero-sum Markov games (Shapley 1953; Littman 1994): exact solution by Shapley's
// value iteration with a linear program per stage game, the value of fixed policies and of a
// best response to one (exploitability), and Minimax-Q learning from an env. docs/games.md.
//
// Values are player 0's (the row player, who maximises); player 1 receives the negation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bellman/envs/multi_agent.h"
#include "bellman/tabular/games.h"

namespace bellman::tabular {

using StochasticPolicy = std::vector<std::vector<double>>;  // pi[s][action]

// The stage game of state s under V: Q_s(a, o) = sum_k p_k (r_k + gamma (1 - terminated_k)
// V(s'_k)), rows a of player 0, columns o of player 1.
MatrixGame StageGame(const MarkovGameModel& P, const std::vector<double>& V, int64_t s,
                     double gamma);

struct MarkovGameSolution {
  std::vector<double> V;
  StochasticPolicy pi0, pi1;  // maximin strategies of the final stage games
  int64_t iterations = 0;
  double residual = 0.0;  // max_s |V(s) - val(StageGame(V, s))| at the end
};

// Shapley's value iteration V(s) <- val(StageGame(V, s)) until the largest change is below tol
// (a gamma-contraction: the error to V* is below tol gamma / (1 - gamma)). Throws
// bellman::Error for an empty or ragged model, gamma outside [0, 1), or no convergence.
MarkovGameSolution ShapleyValueIteration(const MarkovGameModel& P, double gamma, double tol = 1e-12,
                                         int64_t max_iterations = 100000);

// V^{pi0, pi1}: player 0's value when both play fixed stationary policies (iterative policy
// evaluation to tol).
std::vector<double> EvaluatePolicyPair(const MarkovGameModel& P, const StochasticPolicy& pi0,
                                       const StochasticPolicy& pi1, double gamma,
                                       double tol = 1e-12);

// Player 0's value when `player` (0 or 1) plays the fixed policy pi and the other player best
// responds: value iteration on the other player's MDP (it minimises player 0's value if it is
// player 1, maximises if it is player 0).
std::vector<double> BestResponseValue(const MarkovGameModel& P, const StochasticPolicy& pi,
                                      int64_t player, double gamma, double tol = 1e-12);

// Littman's Minimax-Q (1994, Figure 1) for player 0, trained in a two-player env that has a
// tabular StateIndex: Q(s, a, o) += alpha (r + gamma V(s') - Q(s, a, o)) with V(s') = 0 after a
// termination; then pi(s), V(s) from the row player's LP on Q(s, ., .). Acts uniformly at
// random with probability explore, else samples pi(s).
struct MinimaxQConfig {
  double gamma = 0.9;
  double alpha = 1.0;
  // Step size of the t-th update: alpha * alpha_decay^t (Littman: 10^(log10(0.01) / 10^6),
  // from 1 to 0.01 over a million steps); with alpha_power p > 0 instead alpha / n^p for the
  // n-th update of Q(s, a, o) (p = 1, alpha = 1: the sample average).
  double alpha_decay = 0.999995395;
  double alpha_power = 0.0;
  double explore = 0.2;
  double q_init = 1.0;  // Littman initialises Q and V to 1
  int64_t steps = 1'000'000;
  // Player 1: "random" (uniform) or "minimax_q" (a second Minimax-Q learner, self-play).
  std::string opponent = "random";
  uint64_t seed = 0;
  void Validate() const;  // throws bellman::Error naming the bad field
};

struct MinimaxQResult {
  std::vector<double> V;
  StochasticPolicy pi;           // player 0's
  StochasticPolicy opponent_pi;  // player 1's when it learned (else uniform)
  std::vector<double> Q;         // Q[(s * nA + a) * nO + o]
  int64_t episodes = 0;
};

MinimaxQResult MinimaxQ(MultiAgentEnv& env, const MinimaxQConfig& config);

// Nash-Q (Hu & Wellman 2003) for two-player general-sum games: each player's Q^i(s, a, o) over
// joint actions, both learned from both rewards: Q^i += alpha (r^i + gamma NashV^i(s') - Q^i),
// NashV^i(s') player i's payoff at the selected Nash equilibrium of the stage bimatrix game
// (Q^0(s'), Q^1(s')) (0 after a termination). Selection rule (a decision; the paper's
// convergence needs a consistent one): the equilibrium with the largest sum of payoffs, the
// first in enumeration order on ties (NashEquilibria). The state is agent 0's Discrete
// observation (the memory-1 IPD: the joint last action). Both act by the selected
// equilibrium's strategies, uniformly at random with probability explore.
struct NashQConfig {
  double gamma = 0.96;
  double alpha = 1.0;
  double alpha_power = 0.7;  // alpha / n^p for the n-th update of (s, a, o)
  double explore = 0.2;
  int64_t steps = 200'000;
  uint64_t seed = 0;
  void Validate() const;  // throws bellman::Error naming the bad field
};

struct NashQResult {
  std::vector<double> Q0, Q1;  // [(s * nA + a) * nO + o]
  StochasticPolicy pi0, pi1;   // the selected stage equilibria of the final Q
  std::vector<double> V0, V1;  // their payoffs
  int64_t episodes = 0;
};

NashQResult NashQ(MultiAgentEnv& env, const NashQConfig& config);

}  // namespace bellman::tabular
