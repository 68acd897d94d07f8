// Monte Carlo tree search with a true simulator (AlphaZero-style; the env's Clone is the model)
// and MuZero's selection rule (Schrittwieser et al. 2020, appendix B; docs/planning.md):
//   score(s, a) = Q_norm(s, a) + P(s, a) sqrt(N(s)) / (1 + N(s, a)) (c1 + log((N(s) + c2 + 1) /
//   c2)),
// Q(s, a) = r(s, a) + gamma V(child) normalised by the min and max Q seen in the tree (0 for an
// unvisited child), Dirichlet noise on the root's priors, values backed up with the edge rewards.
// Discrete action spaces. Deterministic given the Rng: the same tree, visits and action.
//
// One search, two kinds of node state (docs/planning.md): the tree code (selection, backup,
// min-max, noise) runs on a SearchModel that makes a child from its parent and an action and
// evaluates it. Mcts() wraps an env (each node holds a Clone, rewards and terminations come from
// the simulator); MuZero's learned model (train/muzero.h) holds latent states instead.
//
// Batched leaf evaluation (leaf_batch k > 1): k simulations select their leaves one after the
// other under a virtual visit (each pending simulation counts as a visit of every node on its
// path, lowering those edges' exploration bonus so the next selection spreads out), the model
// expands the k leaves in one call (one forward of the nets), then the k backups run in
// selection order. A selection that ends at a leaf already pending in the batch closes the batch
// early. The result stays a function of the seed; k = 1 is the sequential search exactly.
//
// Turn-based two-player games (a root that is a TurnBasedGame, envs/board_games.h) are searched
// as negamax: values are from the point of view of the player to move at each node (the
// evaluator's value too), a child whose mover differs enters its parent's Q as
// r - gamma V(child), illegal moves are never selected and get no prior or root noise.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "bellman/core/rng.h"
#include "bellman/envs/env.h"

namespace bellman::planning {

struct MctsConfig {
  int64_t num_simulations = 50;
  double gamma = 0.997;
  double pb_c_init = 1.25;     // c1
  double pb_c_base = 19652.0;  // c2
  bool root_noise = true;
  double root_dirichlet_alpha = 0.3;
  double root_exploration_fraction = 0.25;
  int64_t leaf_batch = 1;  // leaves expanded per model call (virtual visits in between)
  // Env-clone search of a stochastic env: the root clone gets a generator seeded from the
  // search's Rng, so the tree samples its own futures instead of replaying the draws the real
  // env will make next (a clone copies the generator: sticky actions, random opponents).
  bool reseed_clones = false;
  // Throws bellman::Error naming the field.
  void Validate() const;
};

// The learned (or exact) part: priors over the actions (non-negative, normalised here) and a
// value estimate of the state the env is in, with its observation.
struct MctsEvaluation {
  std::vector<double> prior;
  double value = 0.0;
};
using MctsEvaluator = std::function<MctsEvaluation(const Env& env, const void* obs)>;

// What the tree asks of a model. Handles name the model's node states (an index into its own
// store); the model forgets them when the next search starts at Root().
struct SearchNode {
  int64_t handle = 0;
  double reward = 0.0;         // of the edge into the node (0 at the root)
  bool terminal = false;       // value 0, never expanded
  bool expandable = true;      // false: a leaf whose value is re-used on every visit (truncation)
  int64_t to_play = 0;         // turn-based games: the player to move (negamax across a change)
  std::vector<uint8_t> legal;  // empty: every action is legal
  MctsEvaluation eval;         // priors and value (unused when terminal)
};
struct SearchRequest {
  int64_t parent = 0;  // a handle the model returned
  int64_t action = 0;  // 0-based index into the action set
};
class SearchModel {
 public:
  virtual ~SearchModel() = default;
  virtual int64_t num_actions() const = 0;
  // Starts a search: forgets earlier handles and returns the evaluated root.
  virtual SearchNode Root() = 0;
  // The children of requests[i].parent by requests[i].action, evaluated, written to out[i]
  // (out has requests.size() entries). One call per leaf batch.
  virtual void Expand(const std::vector<SearchRequest>& requests, std::vector<SearchNode>& out) = 0;
};

struct MctsResult {
  std::vector<int64_t> visits;     // root children's visit counts
  std::vector<double> q;           // r + gamma V(child), 0 where unvisited
  double root_value = 0.0;         // the root's mean backed-up value
  int64_t action = 0;              // most visited (lowest index on ties), in the env's action space
  std::vector<double> root_prior;  // after noise
};

// Searches from `root` (not modified: every node holds a Clone) whose current observation is
// `root_obs`. Throws bellman::Error for a non-Discrete action space, an evaluator whose prior
// has the wrong size, negative or non-finite entries, or a bad config.
MctsResult Mcts(const Env& root, const void* root_obs, const MctsEvaluator& evaluator,
                const MctsConfig& config, Rng& rng);

// The search on any model; result.action is the 0-based index of the most visited child.
MctsResult Search(SearchModel& model, const MctsConfig& config, Rng& rng);

// A Gamma(alpha, 1) draw (Marsaglia & Tsang 2000; alpha < 1 boosted by U^(1/alpha)), and a
// Dirichlet(alpha, ..., alpha) of size n from normalised Gamma draws.
double SampleGamma(double alpha, Rng& rng);
std::vector<double> SampleDirichlet(double alpha, int64_t n, Rng& rng);

}  // namespace bellman::planning
