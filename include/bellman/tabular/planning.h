// Planning on an explicit transition model P (Gymnasium's env.unwrapped.P): value iteration,
// exact policy evaluation and policy iteration (Sutton & Barto 2018, chapter 4).
//
// Conventions shared by every function here (docs/tabular.md has the equations):
// - A transition with `terminated` does not bootstrap: its target is r, not r + gamma V(s').
//   Gymnasium marks transitions INTO terminal states as terminated, so the value of a terminal
//   state's own (self-looping) rows never leaks into anyone's value.
// - Greedy policies break ties by the lowest action index, like np.argmax.
// - P is validated first: every state has the same number of actions (> 0), every (s, a) has at
//   least one transition, next states are in range, probabilities are in [0, 1] and sum to 1
//   within 1e-9, rewards are finite. Violations throw bellman::Error naming s, a and the value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bellman/envs/env.h"

namespace bellman::tabular {

using QTable = std::vector<std::vector<double>>;  // [s][a]

struct PlanningResult {
  std::vector<double> V;        // V(s) = max_a Q(s, a) (value iteration) or V^pi (policy iteration)
  QTable Q;                     // one-step lookahead of V
  std::vector<int64_t> policy;  // greedy in Q, lowest action index on ties
  int64_t iterations = 0;       // sweeps (value iteration) or evaluate+improve rounds (policy it.)
  bool converged = false;
};

// Solves A X = B in place by Gaussian elimination with partial pivoting: A row-major n x n, B
// row-major n x m (m right-hand sides), X written over B. Returns false (A and B then hold
// garbage) when a pivot is below 1e-13, i.e. A is singular at the scale of I - gamma P.
bool SolveLinear(std::vector<double>& A, std::vector<double>& B, size_t n, size_t m);

// Throws bellman::Error if P is malformed (see the list above). `who` prefixes the message.
void ValidateTransitionModel(const TransitionModel& P, const std::string& who = "P");

// The env's P, or a bellman::Error naming the env when it has none (CartPole-v1, ...).
const TransitionModel& RequireTransitionModel(const Env& env, const std::string& who);

// Q(s, a) = sum_k p_k (r_k + gamma (1 - terminated_k) V(s'_k)): one Bellman expectation
// lookahead (S&B eq. 4.6 written for action values).
QTable QFromV(const TransitionModel& P, const std::vector<double>& V, double gamma);

// argmax_a Q(s, a) per state, lowest index on ties.
std::vector<int64_t> GreedyPolicy(const QTable& Q);

// Value iteration (S&B eq. 4.10), synchronous sweeps from V = 0:
//   V_{k+1}(s) = max_a sum_k p (r + gamma (1 - terminated) V_k(s')),
// stopped when max_s |V_{k+1}(s) - V_k(s)| < tol (then ||V - V*|| <= gamma tol / (1 - gamma)).
// gamma must be in [0, 1); gamma == 1 is accepted only with max_iters > 0 (undiscounted
// episodic tasks may or may not converge; the cap makes the run finite and `converged` says
// which). max_iters == 0 means "until converged"; with gamma < 1 the run is still capped at
// twice the number of sweeps the contraction bound needs (plus 100), so a tol below
// floating-point resolution ends with converged == false instead of looping forever.
PlanningResult ValueIteration(const TransitionModel& P, double gamma, double tol = 1e-10,
                              int64_t max_iters = 0);
PlanningResult ValueIteration(const Env& env, double gamma, double tol = 1e-10,
                              int64_t max_iters = 0);

// V^pi for a deterministic policy, solved exactly: (I - gamma P_pi) V = r_pi by Gaussian
// elimination with partial pivoting (dense, O(S^3); 500 states take a few ms).
// P_pi(s, s') sums the probabilities of non-terminated transitions s -> s' under pi(s);
// r_pi(s) = sum_k p_k r_k. gamma must be in [0, 1]; with gamma == 1 every state must reach a
// terminated transition under pi, otherwise the system is singular and a bellman::Error names
// the first state that never terminates.
std::vector<double> PolicyEvaluation(const TransitionModel& P, const std::vector<int64_t>& policy,
                                     double gamma);

// Policy iteration (S&B section 4.3) from pi_0(s) = 0: exact evaluation, then greedy improvement
// pi'(s) = lowest a with Q(s, a) >= max_b Q(s, b) - 1e-12 (1 + |max_b Q(s, b)|). The tolerance
// makes ties between truly equal actions resolve the same way in every round despite rounding
// noise, so the loop stops when the policy is stable instead of flipping between equals.
// gamma must be in [0, 1) (the initial policy need not terminate). max_iters == 0: no cap other
// than 10000 rounds (policy iteration needs far fewer on any MDP of this size).
PlanningResult PolicyIteration(const TransitionModel& P, double gamma, int64_t max_iters = 0);
PlanningResult PolicyIteration(const Env& env, double gamma, int64_t max_iters = 0);

}  // namespace bellman::tabular
