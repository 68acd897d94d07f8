// MCTS (planning/mcts.h) with exact and with uninformed evaluators on toy-text envs whose optimal
// values are known (tabular value iteration), and its determinism and Dirichlet noise.
#include "bellman/planning/mcts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/envs/registry.h"
#include "bellman/tabular/planning.h"

namespace bellman::planning {
namespace {

MctsEvaluator Uniform(int64_t n, double value = 0.0) {
  return [n, value](const Env&, const void*) {
    return MctsEvaluation{std::vector<double>(static_cast<size_t>(n), 1.0), value};
  };
}

// V* of the state the env is in (toy-text envs: GetState()[0] is the state index).
MctsEvaluator Exact(const std::vector<double>& V, int64_t n) {
  return [V, n](const Env& env, const void*) {
    return MctsEvaluation{std::vector<double>(static_cast<size_t>(n), 1.0),
                          V[static_cast<size_t>(env.GetState()[0])]};
  };
}

TEST(Mcts, WithExactValuesItPlaysTheOptimalAction) {
  // CliffWalking: -1 per step, -100 for the cliff; from the start the optimal move is UP (0).
  auto env = MakeEnv("CliffWalking-v1");
  const double gamma = 0.99;
  const tabular::PlanningResult vi = tabular::ValueIteration(env->P(), gamma, 1e-12);
  int64_t obs = 0;
  env->Reset(0, &obs);
  MctsConfig c;
  c.gamma = gamma;
  c.num_simulations = 64;
  c.root_noise = false;
  Rng rng(1);
  const MctsResult r = Mcts(*env, &obs, Exact(vi.V, 4), c, rng);
  EXPECT_EQ(r.action, vi.policy[static_cast<size_t>(obs)]);
  // A root child visited once holds its leaf evaluation: its Q is exactly r + gamma V*(s') =
  // Q*(s, a). (Unvisited children count as the worst normalised value, MuZero's rule, so after
  // 4 simulations the best child has 3 visits and RIGHT, into the cliff, has 1.)
  c.num_simulations = 4;
  const MctsResult four = Mcts(*env, &obs, Exact(vi.V, 4), c, rng);
  int64_t once = 0;
  for (int64_t a = 0; a < 4; ++a) {
    if (four.visits[static_cast<size_t>(a)] != 1) continue;
    ++once;
    EXPECT_NEAR(four.q[static_cast<size_t>(a)], vi.Q[static_cast<size_t>(obs)][a], 1e-9) << a;
  }
  EXPECT_EQ(once, 1);
  EXPECT_EQ(env->GetState()[0], static_cast<double>(obs));  // the root env is untouched
}

TEST(Mcts, UninformedSearchFindsTheGoal) {
  // FrozenLake 4x4, no slipping, from state 9 (row 2, column 1): reward 1 only at the goal
  // (15), 3 steps away past holes. With uniform priors and zero values, 400 simulations reach it
  // and the most visited first move is optimal.
  auto env = MakeEnv("FrozenLake-v1", {{"is_slippery", false}});
  const double gamma = 0.9;
  const tabular::PlanningResult vi = tabular::ValueIteration(env->P(), gamma, 1e-12);
  int64_t obs = 0;
  env->Reset(0, &obs);
  env->SetState(std::vector<double>{9.0});
  obs = 9;
  MctsConfig c;
  c.gamma = gamma;
  c.num_simulations = 400;
  c.root_noise = false;
  Rng rng(1);
  const MctsResult r = Mcts(*env, &obs, Uniform(4), c, rng);
  const auto& q = vi.Q[static_cast<size_t>(obs)];
  EXPECT_NEAR(q[static_cast<size_t>(r.action)], *std::max_element(q.begin(), q.end()), 1e-12)
      << "action " << r.action;
  EXPECT_GT(r.root_value, 0.0);
}

TEST(Mcts, SameSeedSameSearch) {
  auto env = MakeEnv("FrozenLake-v1");
  int64_t obs = 0;
  env->Reset(3, &obs);
  MctsConfig c;
  c.num_simulations = 100;
  Rng a(5), b(5), d(6);
  const MctsResult ra = Mcts(*env, &obs, Uniform(4), c, a);
  const MctsResult rb = Mcts(*env, &obs, Uniform(4), c, b);
  EXPECT_EQ(ra.visits, rb.visits);
  EXPECT_EQ(ra.q, rb.q);
  EXPECT_EQ(ra.root_prior, rb.root_prior);
  EXPECT_NE(Mcts(*env, &obs, Uniform(4), c, d).root_prior, ra.root_prior);  // other noise
  int64_t total = 0;
  for (int64_t v : ra.visits) total += v;
  EXPECT_EQ(total, c.num_simulations);  // every simulation passes through one root child
}

TEST(Mcts, DirichletNoiseHasTheRightMoments) {
  // Dirichlet(alpha) of size n: mean 1/n, variance (n - 1) / (n^2 (n alpha + 1)).
  Rng rng(11);
  const int64_t n = 4, draws = 200000;
  for (const double alpha : {0.3, 2.5}) {
    double mean = 0.0, sq = 0.0;
    for (int64_t k = 0; k < draws; ++k) {
      const std::vector<double> d = SampleDirichlet(alpha, n, rng);
      mean += d[0];
      sq += d[0] * d[0];
    }
    mean /= draws;
    const double var = sq / draws - mean * mean;
    EXPECT_NEAR(mean, 0.25, 0.003) << alpha;
    EXPECT_NEAR(var, 3.0 / (16.0 * (4.0 * alpha + 1.0)), 0.003) << alpha;
  }
}

// A latent-style model over a deterministic tabular MDP: handles are states, children come from
// P (first transition), values are V*. Counts the model calls and the leaves per call.
class TabularModel final : public SearchModel {
 public:
  TabularModel(const TransitionModel& P, std::vector<double> V, int64_t root)
      : P_(P), V_(std::move(V)), root_(root) {}
  int64_t num_actions() const override { return static_cast<int64_t>(P_[0].size()); }
  SearchNode Root() override { return Node(root_, 0.0, false); }
  void Expand(const std::vector<SearchRequest>& requests, std::vector<SearchNode>& out) override {
    ++calls;
    max_batch = std::max(max_batch, static_cast<int64_t>(requests.size()));
    for (size_t i = 0; i < requests.size(); ++i) {
      const Transition& t =
          P_[static_cast<size_t>(requests[i].parent)][static_cast<size_t>(requests[i].action)][0];
      out[i] = Node(t.next_state, t.reward, t.terminated);
    }
  }
  int64_t calls = 0, max_batch = 0;

 private:
  SearchNode Node(int64_t s, double reward, bool terminal) const {
    SearchNode n;
    n.handle = s;
    n.reward = reward;
    n.terminal = terminal;
    n.eval = {std::vector<double>(static_cast<size_t>(num_actions()), 1.0),
              V_[static_cast<size_t>(s)]};
    return n;
  }
  const TransitionModel& P_;
  std::vector<double> V_;
  int64_t root_;
};

TEST(Mcts, TheGenericSearchOnALatentModelEqualsTheEnvCloneSearch) {
  // Non-slippery FrozenLake is deterministic, so a model built from P with V* at the leaves is
  // the same tree as env clones with an exact evaluator: identical visits and Q.
  auto env = MakeEnv("FrozenLake-v1", {{"is_slippery", false}});
  const double gamma = 0.9;
  const tabular::PlanningResult vi = tabular::ValueIteration(env->P(), gamma, 1e-12);
  int64_t obs = 0;
  env->Reset(0, &obs);
  MctsConfig c;
  c.gamma = gamma;
  c.num_simulations = 200;
  Rng a(3), b(3);
  TabularModel model(env->P(), vi.V, obs);
  const MctsResult latent = Search(model, c, a);
  const MctsResult clones = Mcts(*env, &obs, Exact(vi.V, 4), c, b);
  EXPECT_EQ(latent.visits, clones.visits);
  EXPECT_EQ(latent.q, clones.q);
  EXPECT_EQ(latent.root_value, clones.root_value);
  EXPECT_EQ(model.max_batch, 1);
}

TEST(Mcts, BatchedLeafEvaluationKeepsTheOptimalActionWithFewerModelCalls) {
  // CliffWalking (deterministic) from its start, values V*: the optimal first move is UP.
  auto env = MakeEnv("CliffWalking-v1");
  const double gamma = 0.99;
  const tabular::PlanningResult vi = tabular::ValueIteration(env->P(), gamma, 1e-12);
  int64_t s0 = 0;
  env->Reset(0, &s0);
  const auto& q0 = vi.Q[static_cast<size_t>(s0)];
  const double best = *std::max_element(q0.begin(), q0.end());
  MctsConfig c;
  c.gamma = gamma;
  c.num_simulations = 256;
  c.root_noise = false;
  for (const int64_t k : {1, 4, 8, 16}) {
    c.leaf_batch = k;
    TabularModel model(env->P(), vi.V, s0);
    Rng rng(0);
    const MctsResult r = Search(model, c, rng);
    int64_t total = 0;
    for (int64_t v : r.visits) total += v;
    EXPECT_EQ(total, c.num_simulations) << k;  // every simulation is backed up once
    EXPECT_NEAR(q0[static_cast<size_t>(r.action)], best, 1e-12) << "leaf_batch " << k;
    EXPECT_LE(model.max_batch, k);
    if (k > 1) {
      EXPECT_GT(model.max_batch, 1) << k;  // leaves really are batched
      EXPECT_LT(model.calls, c.num_simulations / 2) << k;
    }
    TabularModel again(env->P(), vi.V, s0);
    Rng rng2(0);
    EXPECT_EQ(Search(again, c, rng2).visits, r.visits) << k;  // deterministic
  }
  c.leaf_batch = 0;
  TabularModel model(env->P(), vi.V, s0);
  Rng rng(0);
  EXPECT_THROW(Search(model, c, rng), Error);
}

TEST(Mcts, ReseededClonesDoNotReplayTheRealEnvsNextDraws) {
  // Slippery FrozenLake: two envs in the same state whose generators differ. Plain clones copy
  // each env's generator, so the trees follow each env's own future slips; with reseed_clones
  // both trees sample from a generator seeded by the search's Rng and are identical.
  auto a = MakeEnv("FrozenLake-v1"), b = MakeEnv("FrozenLake-v1");
  int64_t obs = 0;
  a->Reset(1, &obs);
  b->Reset(2, &obs);
  const tabular::PlanningResult vi = tabular::ValueIteration(a->P(), 0.99, 1e-12);
  MctsConfig c;
  c.num_simulations = 200;
  c.gamma = 0.99;
  c.root_noise = false;
  auto search = [&](const Env& env) {
    Rng rng(9);
    return Mcts(env, &obs, Exact(vi.V, 4), c, rng).q;
  };
  EXPECT_NE(search(*a), search(*b));
  c.reseed_clones = true;
  EXPECT_EQ(search(*a), search(*b));
}

TEST(Mcts, BadInputIsANamedError) {
  auto env = MakeEnv("FrozenLake-v1");
  int64_t obs = 0;
  env->Reset(0, &obs);
  MctsConfig c;
  Rng rng(0);
  EXPECT_THROW(Mcts(*env, &obs, Uniform(3), c, rng), Error);  // 3 priors for 4 actions
  c.num_simulations = 0;
  EXPECT_THROW(Mcts(*env, &obs, Uniform(4), c, rng), Error);
  auto pendulum = MakeEnv("Pendulum-v1");
  std::vector<float> o(3);
  pendulum->Reset(0, o.data());
  c.num_simulations = 1;
  EXPECT_THROW(Mcts(*pendulum, o.data(), Uniform(1), c, rng), Error);  // Box actions
}

}  // namespace
}  // namespace bellman::planning
