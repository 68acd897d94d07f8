// Monte Carlo tree search (bellman/planning/mcts.h).
#include "bellman/planning/mcts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/envs/board_games.h"

namespace bellman::planning {

namespace {

struct Node {
  double prior = 0.0;
  int64_t visits = 0;
  double value_sum = 0.0;
  double reward = 0.0;  // of the edge into this node
  bool terminal = false;
  bool stepped = false;  // env and obs hold this node's state
  bool legal = true;     // turn-based games: a legal move from the parent
  int64_t to_play = 0;   // turn-based games: the player to move here
  std::unique_ptr<Env> env;
  std::vector<std::byte> obs;
  std::vector<Node> children;  // empty until expanded
  double value() const { return visits == 0 ? 0.0 : value_sum / static_cast<double>(visits); }
};

// MuZero's MinMaxStats: Q values normalised to [0, 1] over what the tree has seen.
struct MinMax {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void Update(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  double Normalize(double v) const { return hi > lo ? (v - lo) / (hi - lo) : v; }
};

// Priors normalised over the legal actions (all of them outside turn-based games).
void Expand(Node& node, const MctsEvaluation& e, int64_t num_actions) {
  if (static_cast<int64_t>(e.prior.size()) != num_actions) {
    throw Error(fmt::format("MCTS evaluator returned {} priors for {} actions", e.prior.size(),
                            num_actions));
  }
  for (double p : e.prior) {
    if (!(p >= 0.0) || !std::isfinite(p)) {
      throw Error(fmt::format("MCTS evaluator returned the prior {}; expected finite >= 0", p));
    }
  }
  node.children.resize(static_cast<size_t>(num_actions));
  const auto* game = dynamic_cast<const TurnBasedGame*>(node.env.get());
  std::vector<uint8_t> legal(static_cast<size_t>(num_actions), 1);
  if (game != nullptr) legal = game->LegalMask();
  double legal_sum = 0.0;
  int64_t n_legal = 0;
  for (int64_t a = 0; a < num_actions; ++a) {
    if (legal[static_cast<size_t>(a)]) {
      legal_sum += e.prior[static_cast<size_t>(a)];
      ++n_legal;
    }
  }
  for (int64_t a = 0; a < num_actions; ++a) {
    Node& child = node.children[static_cast<size_t>(a)];
    child.legal = legal[static_cast<size_t>(a)] != 0;
    child.prior = !child.legal      ? 0.0
                  : legal_sum > 0.0 ? e.prior[static_cast<size_t>(a)] / legal_sum
                                    : 1.0 / static_cast<double>(n_legal);
  }
}

// Turn-based games (negamax): a child whose player to move is not the parent's holds values
// from the other side, so they enter the parent's Q negated.
double Sign(const Node& parent, const Node& child) {
  return child.to_play == parent.to_play ? 1.0 : -1.0;
}

}  // namespace

void MctsConfig::Validate() const {
  Require(num_simulations >= 1, "mcts.num_simulations must be >= 1, got {}", num_simulations);
  Require(gamma >= 0.0 && gamma <= 1.0, "mcts.gamma must be in [0, 1], got {}", gamma);
  Require(pb_c_init >= 0.0 && pb_c_base > 0.0,
          "mcts.pb_c_init must be >= 0 and pb_c_base > 0, got {} and {}", pb_c_init, pb_c_base);
  Require(root_dirichlet_alpha > 0.0, "mcts.root_dirichlet_alpha must be > 0, got {}",
          root_dirichlet_alpha);
  Require(root_exploration_fraction >= 0.0 && root_exploration_fraction <= 1.0,
          "mcts.root_exploration_fraction must be in [0, 1], got {}", root_exploration_fraction);
}

double SampleGamma(double alpha, Rng& rng) {
  if (alpha < 1.0) {
    const double u = rng.Random();
    return SampleGamma(alpha + 1.0, rng) * std::pow(u, 1.0 / alpha);
  }
  const double d = alpha - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = rng.StandardNormal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.Random();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

std::vector<double> SampleDirichlet(double alpha, int64_t n, Rng& rng) {
  std::vector<double> g(static_cast<size_t>(n));
  double sum = 0.0;
  for (double& x : g) sum += (x = SampleGamma(alpha, rng));
  for (double& x : g) x /= sum;
  return g;
}

MctsResult Mcts(const Env& root_env, const void* root_obs, const MctsEvaluator& evaluator,
                const MctsConfig& c, Rng& rng) {
  c.Validate();
  const Space& as = root_env.action_space();
  if (as.kind() != Space::Kind::kDiscrete) {
    throw Error(fmt::format("MCTS searches Discrete action spaces; {} has {}", root_env.spec().id,
                            as.ToString()));
  }
  const int64_t nA = as.n();
  const size_t obs_bytes = root_env.observation_space().byte_size();
  Node root;
  root.env = root_env.Clone();
  root.obs.assign(static_cast<const std::byte*>(root_obs),
                  static_cast<const std::byte*>(root_obs) + obs_bytes);
  root.stepped = true;
  const auto* game = dynamic_cast<const TurnBasedGame*>(&root_env);
  if (game != nullptr) root.to_play = game->to_play();
  Expand(root, evaluator(*root.env, root.obs.data()), nA);
  if (c.root_noise) {
    // Noise over the legal actions only (AlphaZero's Dirichlet(alpha) over the legal moves).
    std::vector<size_t> legal;
    for (size_t a = 0; a < root.children.size(); ++a)
      if (root.children[a].legal) legal.push_back(a);
    const std::vector<double> noise =
        SampleDirichlet(c.root_dirichlet_alpha, static_cast<int64_t>(legal.size()), rng);
    for (size_t k = 0; k < legal.size(); ++k) {
      double& p = root.children[legal[k]].prior;
      p = p * (1.0 - c.root_exploration_fraction) + noise[k] * c.root_exploration_fraction;
    }
  }
  MinMax minmax;
  auto score = [&](const Node& parent, const Node& child) {
    const double n = static_cast<double>(parent.visits);
    double pb_c = std::log((n + c.pb_c_base + 1.0) / c.pb_c_base) + c.pb_c_init;
    pb_c *= std::sqrt(n) / (static_cast<double>(child.visits) + 1.0);
    const double value =
        child.visits > 0
            ? minmax.Normalize(child.reward + c.gamma * Sign(parent, child) * child.value())
            : 0.0;
    return pb_c * child.prior + value;
  };
  std::vector<Node*> path;
  for (int64_t sim = 0; sim < c.num_simulations; ++sim) {
    Node* node = &root;
    path.assign(1, node);
    while (!node->children.empty() && !node->terminal) {
      size_t best = 0;
      double best_score = -std::numeric_limits<double>::infinity();
      for (size_t a = 0; a < node->children.size(); ++a) {
        if (!node->children[a].legal) continue;
        const double s = score(*node, node->children[a]);
        if (s > best_score) {  // lowest index on ties
          best_score = s;
          best = a;
        }
      }
      Node& child = node->children[best];
      if (!child.stepped) {
        child.env = node->env->Clone();
        child.obs.resize(obs_bytes);
        const int64_t action = as.start() + static_cast<int64_t>(best);
        const StepResult r = child.env->Step(&action, child.obs.data());
        child.reward = r.reward;
        // A truncation ends the simulator's episode but not the task: its value is estimated.
        child.terminal = r.terminated;
        child.stepped = true;
        if (game != nullptr)
          child.to_play = static_cast<const TurnBasedGame&>(*child.env).to_play();
      }
      node = &child;
      path.push_back(node);
      if (node->children.empty()) break;
    }
    double value = 0.0;
    if (!node->terminal) {
      const MctsEvaluation e = evaluator(*node->env, node->obs.data());
      value = e.value;
      // A truncated leaf cannot be stepped further: it keeps its estimate and is not expanded.
      if (!node->env->needs_reset()) Expand(*node, e, nA);
    }
    // `value` is from the point of view of the player to move at path[k].
    for (size_t k = path.size(); k-- > 0;) {
      Node& n = *path[k];
      n.value_sum += value;
      ++n.visits;
      if (k > 0) {
        const double sign = Sign(*path[k - 1], n);
        minmax.Update(n.reward + c.gamma * sign * n.value());
        value = n.reward + c.gamma * sign * value;
      }
    }
  }
  MctsResult out;
  out.root_value = root.value();
  for (const Node& ch : root.children) {
    out.visits.push_back(ch.visits);
    out.q.push_back(ch.visits > 0 ? ch.reward + c.gamma * Sign(root, ch) * ch.value() : 0.0);
    out.root_prior.push_back(ch.prior);
  }
  out.action =
      as.start() + static_cast<int64_t>(std::max_element(out.visits.begin(), out.visits.end()) -
                                        out.visits.begin());
  return out;
}

}  // namespace bellman::planning
