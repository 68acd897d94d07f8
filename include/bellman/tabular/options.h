// Options and semi-MDPs on explicit models (Sutton, Precup & Singh 1999, "Between MDPs and
// semi-MDPs"; docs/planning.md, "Options"): Markov options, their exact multi-time models,
// SMDP value iteration and exact SMDP policy iteration over a set of options, and the two
// sample-based learners of the paper: SMDP Q-learning (eq. 11, Bradtke & Duff 1995) and
// intra-option Q-learning (section 6, eq. 20).
//
// Conventions of planning.h: a terminated transition does not bootstrap; greedy choices break
// ties by the lowest option index. An option is available in state s when initiation[s] is 1;
// every state must have at least one available option.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bellman/envs/env.h"
#include "bellman/tabular/planning.h"

namespace bellman::tabular {

// A Markov option <I, pi, beta> with a deterministic policy.
struct Option {
  std::string name;
  std::vector<uint8_t> initiation;  // I: 1 where the option may start
  std::vector<int64_t> policy;      // pi(s): the primitive action taken in s
  std::vector<double> termination;  // beta(s): probability of ending on arrival in s
};

// The primitive action a as an option: available everywhere, ends after one step.
Option PrimitiveOption(int64_t num_states, int64_t action, const std::string& name);
std::vector<Option> PrimitiveOptions(int64_t num_states, int64_t num_actions);

// FourRooms-v0's 8 hallway options (Sutton et al. 1999, section 3): for each room and each of
// its two hallways, I = the room's cells and its other hallway, pi = a shortest path to the
// target hallway (lowest action index among equally short ones; moves as if they never slip),
// beta = 0 inside the room and 1 everywhere else (the target hallway included). Names
// "room<r>-><hallway state>".
std::vector<Option> FourRoomsHallwayOptions();

// The state graph's Laplacian L = D - A (Machado, Bellemare & Bowling 2017; the graph has an
// edge s - s' when some action moves s to s' or s' to s with probability > 0, s != s') and its
// eigen-decomposition by cyclic Jacobi rotations: eigenvalues ascending, eigenvector k in
// eigenvectors[k] (unit norm; sign fixed so that its largest-magnitude entry is positive).
struct Laplacian {
  std::vector<double> L;  // row-major S x S
  std::vector<double> eigenvalues;
  std::vector<std::vector<double>> eigenvectors;
};
Laplacian GraphLaplacian(const TransitionModel& P);

// The eigen-option of the direction e (Machado et al. 2017, section 3): the optimal policy of
// the MDP with intrinsic reward r(s, s') = e(s') - e(s) and a stop action worth 0, under
// discount gamma (value iteration on P's dynamics and terminations, its rewards ignored),
// terminating (beta = 1) wherever stopping is optimal (no action has a positive intrinsic
// value: on a deterministic grid, exactly at e's local maxima); I = the states where it does
// not stop. Pass -e for the opposite direction.
Option EigenOption(const TransitionModel& P, const std::vector<double>& e, double gamma,
                   const std::string& name);

// Successor representation (Dayan 1993) of a policy: Psi(s, x) = expected discounted visits to
// x from s before the episode terminates, row-major S x S, exactly: Psi = (I - gamma P_pi)^{-1}
// with P_pi the non-terminated transitions under pi. policy: one action per state, or empty for
// the uniformly random policy.
std::vector<double> SuccessorRepresentation(const TransitionModel& P,
                                            const std::vector<int64_t>& policy, double gamma);
// The same learned by TD(0) from `steps` env steps of the policy (empty: uniformly random):
//   Psi(s, .) += alpha_n [1_s + gamma (1 - terminated) Psi(s', .) - Psi(s, .)],
// alpha_n = alpha / n^alpha_power for the n-th update of row s. Reset with seed first; random
// actions come from Rng(seed).Spawn(1)[0]. Rows of states never occupied stay 0.
std::vector<double> LearnSuccessorRepresentation(Env& env, const std::vector<int64_t>& policy,
                                                 double gamma, int64_t steps, double alpha,
                                                 double alpha_power, int64_t seed);

// The option's multi-time model under discount gamma (Sutton et al. 1999, eqs. 5 and 6):
//   R(s) = E[r_1 + gamma r_2 + ... + gamma^{k-1} r_k],
//   P(s, x) = sum_k gamma^k Pr(the option ends in x after k steps),
// for every state s (not only the initiation set), solved exactly from the linear equations
//   R = r_pi + M R,  P = B + M P,  M(s, s') = gamma Pr(s -> s', not terminated) (1 - beta(s')),
//   B(s, x) = gamma Pr(s -> x, not terminated) beta(x).
// Throws bellman::Error when the option can run forever (I - M singular) or the sizes differ.
struct OptionModel {
  std::vector<double> reward;      // R(s)
  std::vector<double> transition;  // P(s, x), row-major S x S (discount included)
};
OptionModel ComputeOptionModel(const TransitionModel& P, const Option& option, double gamma);

// Q(s, o) = R_o(s) + sum_x P_o(s, x) V(x) for available options, -inf otherwise.
QTable SmdpQFromV(const std::vector<OptionModel>& models, const std::vector<Option>& options,
                  const std::vector<double>& V);

struct SmdpResult {
  std::vector<double> V;        // max over available options
  QTable Q;                     // [s][o]; -inf where o is not available
  std::vector<int64_t> policy;  // greedy option per state
  int64_t iterations = 0;
  bool converged = false;
};

// V^mu(s) of the option policy mu (an available option per state), exactly:
// (I - P_mu) V = R_mu. Throws bellman::Error naming a state where mu's option is unavailable.
std::vector<double> SmdpPolicyEvaluation(const std::vector<OptionModel>& models,
                                         const std::vector<Option>& options,
                                         const std::vector<int64_t>& policy);

// SMDP value iteration (Sutton et al. 1999, eq. 9) from V = 0, stopped when a sweep changes V by
// less than tol (max norm), or after max_iters sweeps (0: 100000).
SmdpResult SmdpValueIteration(const TransitionModel& P, const std::vector<Option>& options,
                              double gamma, double tol = 1e-12, int64_t max_iters = 0);
// Exact SMDP policy iteration: V^mu = (I - P_mu)^{-1} R_mu by Gaussian elimination, greedy
// improvement (ties within 1e-12 relative keep the lowest index), until the policy is stable.
SmdpResult SmdpPolicyIteration(const TransitionModel& P, const std::vector<Option>& options,
                               double gamma, int64_t max_iters = 1000);

struct OptionLearningConfig {
  double gamma = 0.9;
  // Step size of the n-th update of Q(s, o): alpha / n^alpha_power (0: constant alpha; in
  // (0.5, 1] the Robbins-Monro conditions hold and the tables converge, Even-Dar & Mansour 2003).
  double alpha = 0.1;
  double alpha_power = 0.0;
  double epsilon = 0.1;          // epsilon-greedy over the available options
  int64_t total_steps = 100000;  // primitive env steps
  int64_t seed = 0;
};

struct OptionLearningResult {
  QTable Q;  // [s][o]; -inf where o is not available
  std::vector<int64_t> policy;
  int64_t total_steps = 0;
  int64_t episodes = 0;
  int64_t option_executions = 0;
};

// SMDP Q-learning (Sutton et al. 1999, eq. 11): run the chosen option to its end, then
//   Q(s, o) += alpha [r + gamma r' + ... + gamma^{k-1} r'' + gamma^k max_o' Q(s', o') - Q(s, o)]
// (no bootstrap when the episode terminated). The env is reset with `seed` first and without a
// seed afterwards; the agent's draws (epsilon-greedy, termination coins) use Rng(seed).Spawn(1).
OptionLearningResult SmdpQLearning(Env& env, const std::vector<Option>& options,
                                   const OptionLearningConfig& config);
// Intra-option Q-learning (Sutton et al. 1999, eq. 20): after every primitive step (s, a, r, s'),
// every option o with pi_o(s) = a and I_o(s) is updated:
//   Q(s, o) += alpha [r + gamma U(s', o) - Q(s, o)],
//   U(s', o) = (1 - beta_o(s')) Q(s', o) + beta_o(s') max_o' Q(s', o').
// Behaviour as in SmdpQLearning (options chosen epsilon-greedily and run to their end).
OptionLearningResult IntraOptionQLearning(Env& env, const std::vector<Option>& options,
                                          const OptionLearningConfig& config);

}  // namespace bellman::tabular
