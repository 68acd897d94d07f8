// Monte Carlo tree search (bellman/planning/mcts.h).
#include "bellman/planning/mcts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>

#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/envs/board_games.h"

namespace bellman::planning {

namespace {

struct Node {
  double prior = 0.0;
  int64_t visits = 0;
  int64_t pending = 0;  // virtual visits of the simulations waiting in a leaf batch
  double value_sum = 0.0;
  double reward = 0.0;     // of the edge into this node
  bool evaluated = false;  // the model returned this node (its handle is valid)
  bool in_batch = false;   // requested in the current leaf batch
  bool terminal = false;
  bool expandable = true;
  bool legal = true;    // turn-based games: a legal move from the parent
  int64_t to_play = 0;  // turn-based games: the player to move here
  int64_t handle = -1;
  double leaf_value = 0.0;     // a non-expandable node's evaluation, re-used on every visit
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

// Takes the model's answer for `node`; creates its children with priors normalised over the
// legal actions (all of them outside turn-based games) unless it is a leaf for good.
void Fill(Node& node, const SearchNode& m, int64_t num_actions) {
  node.evaluated = true;
  node.handle = m.handle;
  node.reward = m.reward;
  node.terminal = m.terminal;
  node.expandable = m.expandable;
  node.to_play = m.to_play;
  if (m.terminal) return;
  node.leaf_value = m.eval.value;
  if (!m.expandable) return;
  const MctsEvaluation& e = m.eval;
  if (static_cast<int64_t>(e.prior.size()) != num_actions) {
    throw Error(fmt::format("MCTS evaluator returned {} priors for {} actions", e.prior.size(),
                            num_actions));
  }
  for (double p : e.prior) {
    if (!(p >= 0.0) || !std::isfinite(p)) {
      throw Error(fmt::format("MCTS evaluator returned the prior {}; expected finite >= 0", p));
    }
  }
  if (!std::isfinite(e.value)) {
    throw Error(fmt::format("MCTS evaluator returned the value {}; expected finite", e.value));
  }
  node.children.resize(static_cast<size_t>(num_actions));
  double legal_sum = 0.0;
  int64_t n_legal = 0;
  auto is_legal = [&](int64_t a) { return m.legal.empty() || m.legal[static_cast<size_t>(a)]; };
  for (int64_t a = 0; a < num_actions; ++a) {
    if (is_legal(a)) {
      legal_sum += e.prior[static_cast<size_t>(a)];
      ++n_legal;
    }
  }
  for (int64_t a = 0; a < num_actions; ++a) {
    Node& child = node.children[static_cast<size_t>(a)];
    child.legal = is_legal(a);
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

// The env-clone model: every node holds a Clone of the root env, stepped along its path.
class EnvCloneModel final : public SearchModel {
 public:
  EnvCloneModel(const Env& root, const void* root_obs, const MctsEvaluator& evaluator,
                std::optional<uint64_t> reseed)
      : reseed_(reseed),
        root_(root),
        root_obs_(root_obs),
        evaluator_(evaluator),
        obs_bytes_(root.observation_space().byte_size()),
        start_(root.action_space().start()),
        num_actions_(root.action_space().n()) {}
  int64_t num_actions() const override { return num_actions_; }
  SearchNode Root() override {
    envs_.clear();
    obs_.clear();
    envs_.push_back(root_.Clone());
    if (reseed_) envs_[0]->set_np_random(Rng(*reseed_));
    obs_.emplace_back(static_cast<const std::byte*>(root_obs_),
                      static_cast<const std::byte*>(root_obs_) + obs_bytes_);
    SearchNode n;
    Describe(0, n);
    n.eval = evaluator_(*envs_[0], obs_[0].data());
    return n;
  }
  void Expand(const std::vector<SearchRequest>& requests, std::vector<SearchNode>& out) override {
    for (size_t i = 0; i < requests.size(); ++i) {
      const size_t parent = static_cast<size_t>(requests[i].parent);
      envs_.push_back(envs_[parent]->Clone());
      obs_.emplace_back(obs_bytes_);
      const int64_t action = start_ + requests[i].action;
      const StepResult r = envs_.back()->Step(&action, obs_.back().data());
      SearchNode& n = out[i];
      n = SearchNode{};
      n.reward = r.reward;
      // A truncation ends the simulator's episode but not the task: its value is estimated, and
      // it cannot be stepped further.
      n.terminal = r.terminated;
      Describe(static_cast<int64_t>(envs_.size()) - 1, n);
      if (!n.terminal) n.eval = evaluator_(*envs_.back(), obs_.back().data());
    }
  }

 private:
  void Describe(int64_t handle, SearchNode& n) const {
    const Env& env = *envs_[static_cast<size_t>(handle)];
    n.handle = handle;
    n.expandable = !env.needs_reset();
    if (const auto* game = dynamic_cast<const TurnBasedGame*>(&env)) {
      n.to_play = game->to_play();
      n.legal = game->LegalMask();
    }
  }
  std::optional<uint64_t> reseed_;
  const Env& root_;
  const void* root_obs_;
  const MctsEvaluator& evaluator_;
  size_t obs_bytes_;
  int64_t start_, num_actions_;
  std::vector<std::unique_ptr<Env>> envs_;
  std::vector<std::vector<std::byte>> obs_;
};

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
  Require(leaf_batch >= 1, "mcts.leaf_batch must be >= 1, got {}", leaf_batch);
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

MctsResult Search(SearchModel& model, const MctsConfig& c, Rng& rng) {
  c.Validate();
  const int64_t nA = model.num_actions();
  Node root;
  Fill(root, model.Root(), nA);
  if (root.children.empty()) {
    throw Error("MCTS root is terminal or cannot be expanded: there is nothing to search");
  }
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
  // Pending (virtual) visits count in both N(s) and N(s, a); Q only from finished backups.
  auto score = [&](const Node& parent, const Node& child) {
    const double n = static_cast<double>(parent.visits + parent.pending);
    double pb_c = std::log((n + c.pb_c_base + 1.0) / c.pb_c_base) + c.pb_c_init;
    pb_c *= std::sqrt(n) / (static_cast<double>(child.visits + child.pending) + 1.0);
    const double value =
        child.visits > 0
            ? minmax.Normalize(child.reward + c.gamma * Sign(parent, child) * child.value())
            : 0.0;
    return pb_c * child.prior + value;
  };
  std::vector<std::vector<Node*>> paths;
  std::vector<SearchRequest> requests;
  std::vector<SearchNode> answers;
  for (int64_t done = 0; done < c.num_simulations;) {
    const int64_t k = std::min(c.leaf_batch, c.num_simulations - done);
    paths.clear();
    requests.clear();
    while (static_cast<int64_t>(paths.size()) < k) {
      std::vector<Node*> path{&root};
      Node* node = &root;
      while (node->evaluated && !node->children.empty()) {
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
        node = &node->children[best];
        path.push_back(node);
      }
      if (!node->evaluated) {
        if (node->in_batch) break;  // the same leaf twice: close the batch
        node->in_batch = true;
        const Node& parent = *path[path.size() - 2];
        requests.push_back({parent.handle, node - parent.children.data()});
      }
      for (Node* n : path) ++n->pending;
      paths.push_back(std::move(path));
    }
    answers.resize(requests.size());
    if (!requests.empty()) model.Expand(requests, answers);
    size_t next_answer = 0;
    for (const std::vector<Node*>& path : paths) {
      Node& leaf = *path.back();
      if (leaf.in_batch) {
        leaf.in_batch = false;
        Fill(leaf, answers[next_answer++], nA);
      }
      // `value` is from the point of view of the player to move at path[j].
      double value = leaf.terminal ? 0.0 : leaf.leaf_value;
      for (size_t j = path.size(); j-- > 0;) {
        Node& n = *path[j];
        --n.pending;
        n.value_sum += value;
        ++n.visits;
        // Every node on the path enters the min-max statistics, the root too (reward 0, its
        // own sign): the pseudocode's backpropagate.
        const double sign = j > 0 ? Sign(*path[j - 1], n) : 1.0;
        minmax.Update(n.reward + c.gamma * sign * n.value());
        value = n.reward + c.gamma * sign * value;
      }
    }
    done += static_cast<int64_t>(paths.size());
  }
  MctsResult out;
  out.root_value = root.value();
  for (const Node& ch : root.children) {
    out.visits.push_back(ch.visits);
    out.q.push_back(ch.visits > 0 ? ch.reward + c.gamma * Sign(root, ch) * ch.value() : 0.0);
    out.root_prior.push_back(ch.prior);
  }
  out.action = std::max_element(out.visits.begin(), out.visits.end()) - out.visits.begin();
  return out;
}

MctsResult Mcts(const Env& root_env, const void* root_obs, const MctsEvaluator& evaluator,
                const MctsConfig& c, Rng& rng) {
  const Space& as = root_env.action_space();
  if (as.kind() != Space::Kind::kDiscrete) {
    throw Error(fmt::format("MCTS searches Discrete action spaces; {} has {}", root_env.spec().id,
                            as.ToString()));
  }
  std::optional<uint64_t> reseed;
  if (c.reseed_clones) reseed = rng.NextUint64();
  EnvCloneModel model(root_env, root_obs, evaluator, reseed);
  MctsResult out = Search(model, c, rng);
  out.action += as.start();
  return out;
}

}  // namespace bellman::planning
