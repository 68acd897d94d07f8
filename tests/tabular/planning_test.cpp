// Value iteration, exact policy evaluation and policy iteration: hand-checkable MDPs, random
// MDPs against iterative evaluation, the toy-text envs against an independent linear solve and
// against NumPy reference values (tests/data/gen_tabular_ref.py).
#include "bellman/tabular/planning.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/envs/registry.h"

namespace bellman::tabular {
namespace {

// Asserts that `fn` throws bellman::Error whose message contains every fragment.
template <class Fn>
void ExpectError(Fn&& fn, std::initializer_list<std::string> fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected bellman::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const std::string& f : fragments) {
      EXPECT_NE(msg.find(f), std::string::npos) << "message: " << msg << "\nmissing: " << f;
    }
  }
}

double MaxAbsDiff(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0.0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

double MaxAbsDiff(const QTable& a, const QTable& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0.0;
  for (size_t s = 0; s < std::min(a.size(), b.size()); ++s) m = std::max(m, MaxAbsDiff(a[s], b[s]));
  return m;
}

// Two states, no termination. In s0: action 0 stays (+1), action 1 moves to s1 (+0). In s1:
// action 0 stays (+2), action 1 moves to s0 (+0). With gamma = 0.9: V*(s1) = 2 / (1 - 0.9) = 20,
// V*(s0) = max(staying: 1 / 0.1 = 10, moving: 0.9 * 20 = 18) = 18.
TransitionModel TwoStateChain() {
  return {{{{1.0, 0, 1.0, false}}, {{1.0, 1, 0.0, false}}},
          {{{1.0, 1, 2.0, false}}, {{1.0, 0, 0.0, false}}}};
}

// s1 is terminal and self-loops (Gymnasium's convention for holes/goals). In s0: action 0 ends
// the episode with +1; action 1 is a coin flip: stay in s0 (+0) or end with +3. So
// Q(s0, 1) = 1.5 + 0.5 gamma V(s0), and V*(s0) = 1.5 / (1 - 0.5 gamma).
TransitionModel CoinFlip() {
  return {{{{1.0, 1, 1.0, true}}, {{0.5, 0, 0.0, false}, {0.5, 1, 3.0, true}}},
          {{{1.0, 1, 0.0, true}}, {{1.0, 1, 0.0, true}}}};
}

// A random MDP with `nS` states, `nA` actions, 1-3 outcomes per (s, a), some terminated.
TransitionModel RandomMdp(uint64_t seed, int64_t nS, int64_t nA) {
  Rng rng(seed);
  TransitionModel P(nS, std::vector<std::vector<Transition>>(nA));
  for (int64_t s = 0; s < nS; ++s) {
    for (int64_t a = 0; a < nA; ++a) {
      const int64_t k = rng.Integers(1, 4);
      std::vector<double> w(k);
      double total = 0.0;
      for (double& x : w) total += (x = 0.1 + rng.Random());
      double used = 0.0;
      for (int64_t i = 0; i < k; ++i) {
        const double p = i + 1 == k ? 1.0 - used : w[i] / total;
        used += p;
        P[s][a].push_back({p, rng.Integers(0, nS), rng.Uniform(-1.0, 1.0), rng.Random() < 0.1});
      }
    }
  }
  return P;
}

TEST(ValueIteration, TwoStateChainClosedForm) {
  const PlanningResult r = ValueIteration(TwoStateChain(), 0.9, 1e-13);
  ASSERT_TRUE(r.converged);
  EXPECT_NEAR(r.V[0], 18.0, 1e-11);
  EXPECT_NEAR(r.V[1], 20.0, 1e-11);
  EXPECT_EQ(r.policy, (std::vector<int64_t>{1, 0}));
  EXPECT_NEAR(r.Q[0][0], 1.0 + 0.9 * 18.0, 1e-11);
  EXPECT_NEAR(r.Q[0][1], 0.9 * 20.0, 1e-11);
  EXPECT_NEAR(r.Q[1][0], 20.0, 1e-11);
  EXPECT_NEAR(r.Q[1][1], 0.9 * 18.0, 1e-11);
  // V is re-read from Q: V(s) = max_a Q(s, a) exactly.
  EXPECT_EQ(r.V[0], std::max(r.Q[0][0], r.Q[0][1]));
  EXPECT_EQ(r.V[1], std::max(r.Q[1][0], r.Q[1][1]));
  // Contraction bound: ||V_k - V*|| <= gamma^k ||V*|| from V_0 = 0, so reaching 1e-13 takes
  // about log(1e-13 / 20) / log(0.9) ~ 334 sweeps, and not many more.
  EXPECT_GT(r.iterations, 250);
  EXPECT_LT(r.iterations, 400);
}

TEST(ValueIteration, TerminatedTransitionsDoNotBootstrap) {
  const double gamma = 0.9;
  const PlanningResult r = ValueIteration(CoinFlip(), gamma, 1e-13);
  ASSERT_TRUE(r.converged);
  const double v0 = 1.5 / (1.0 - 0.5 * gamma);
  EXPECT_NEAR(r.V[0], v0, 1e-11);
  EXPECT_EQ(r.policy[0], 1);
  EXPECT_NEAR(r.Q[0][0], 1.0, 1e-15);  // terminated: no gamma * V(s1) term
  EXPECT_EQ(r.V[1], 0.0);              // the terminal self-loop is worth nothing
  EXPECT_EQ(r.policy[1], 0);           // tie between 0 and 0: lowest index
}

TEST(ValueIteration, GammaZeroIsTheBestImmediateReward) {
  const PlanningResult r = ValueIteration(TwoStateChain(), 0.0, 1e-12);
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(r.V, (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(r.policy, (std::vector<int64_t>{0, 0}));
  EXPECT_LE(r.iterations, 2);
}

TEST(ValueIteration, UndiscountedNeedsMaxIters) {
  ExpectError([] { ValueIteration(CoinFlip(), 1.0, 1e-12); }, {"gamma = 1", "max_iters"});
  // With a cap, the undiscounted episodic task converges: V*(s0) = 3 (flip until +3).
  const PlanningResult r = ValueIteration(CoinFlip(), 1.0, 1e-12, 1000);
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.V[0], 3.0, 1e-11);
  // A non-terminating chain does not converge within the cap, and says so.
  const PlanningResult never = ValueIteration(TwoStateChain(), 1.0, 1e-12, 50);
  EXPECT_FALSE(never.converged);
  EXPECT_EQ(never.iterations, 50);
}

TEST(ValueIteration, MaxItersCapsTheSweeps) {
  const PlanningResult r = ValueIteration(TwoStateChain(), 0.9, 1e-13, 5);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.iterations, 5);
}

TEST(ValueIteration, ToleranceBelowRoundingStopsAtTheCap) {
  // tol = 1e-300 cannot be reached in double precision; the contraction-bound cap ends the run.
  const PlanningResult r = ValueIteration(TwoStateChain(), 0.5, 1e-300);
  EXPECT_NEAR(r.V[1], 4.0, 1e-14);
  EXPECT_GT(r.iterations, 0);
}

TEST(PolicyEvaluation, TwoStateChainClosedForm) {
  // Stay, stay: V = (1 / 0.1, 2 / 0.1).
  std::vector<double> V = PolicyEvaluation(TwoStateChain(), {0, 0}, 0.9);
  EXPECT_NEAR(V[0], 10.0, 1e-12);
  EXPECT_NEAR(V[1], 20.0, 1e-12);
  // Swap, swap: V0 = 0.9 V1, V1 = 0.9 V0 -> 0.
  V = PolicyEvaluation(TwoStateChain(), {1, 1}, 0.9);
  EXPECT_NEAR(V[0], 0.0, 1e-15);
  EXPECT_NEAR(V[1], 0.0, 1e-15);
}

TEST(PolicyEvaluation, UndiscountedTerminatingPolicy) {
  const std::vector<double> V = PolicyEvaluation(CoinFlip(), {1, 0}, 1.0);
  EXPECT_NEAR(V[0], 3.0, 1e-14);
  EXPECT_EQ(V[1], 0.0);
}

TEST(PolicyEvaluation, UndiscountedNonTerminatingPolicyNamesTheState) {
  // Under "stay" in s0 of the chain nothing ever terminates.
  ExpectError(
      [] {
        PolicyEvaluation(TwoStateChain(), {0, 0}, 1.0);
      },
      {"never terminates from state 0", "gamma < 1"});
  // In CoinFlip, s0 terminates under either action; a policy that only fails in s1 is fine
  // because s1's self-loop is terminated.
  EXPECT_NO_THROW(PolicyEvaluation(CoinFlip(), {0, 1}, 1.0));
}

TEST(PolicyEvaluation, MatchesIterativeEvaluationOnRandomMdps) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    const TransitionModel P = RandomMdp(seed, 40, 3);
    std::vector<int64_t> pi(40);
    Rng rng(seed + 100);
    for (int64_t& a : pi) a = rng.Integers(0, 3);
    const double gamma = 0.9;
    const std::vector<double> exact = PolicyEvaluation(P, pi, gamma);
    // Iterate the Bellman expectation backup (S&B eq. 4.5) to a fixed point.
    std::vector<double> V(40, 0.0);
    for (int k = 0; k < 2000; ++k) {
      const QTable Q = QFromV(P, V, gamma);
      for (size_t s = 0; s < 40; ++s) V[s] = Q[s][pi[s]];
    }
    EXPECT_LE(MaxAbsDiff(exact, V), 1e-12) << "seed " << seed;
  }
}

TEST(PolicyIteration, AgreesWithValueIterationOnRandomMdps) {
  for (uint64_t seed : {4u, 5u, 6u}) {
    const TransitionModel P = RandomMdp(seed, 60, 4);
    const PlanningResult vi = ValueIteration(P, 0.95, 1e-13);
    const PlanningResult pi = PolicyIteration(P, 0.95);
    ASSERT_TRUE(vi.converged);
    ASSERT_TRUE(pi.converged);
    EXPECT_LE(MaxAbsDiff(vi.V, pi.V), 1e-9) << "seed " << seed;
    EXPECT_LE(MaxAbsDiff(vi.Q, pi.Q), 1e-9) << "seed " << seed;
    EXPECT_GE(pi.iterations, 2);
    EXPECT_LE(pi.iterations, 20);
  }
}

TEST(PolicyIteration, TwoStateChain) {
  const PlanningResult r = PolicyIteration(TwoStateChain(), 0.9);
  ASSERT_TRUE(r.converged);
  EXPECT_EQ(r.policy, (std::vector<int64_t>{1, 0}));
  EXPECT_NEAR(r.V[0], 18.0, 1e-12);
  EXPECT_NEAR(r.V[1], 20.0, 1e-12);
}

TEST(PolicyIteration, TiesResolveToTheLowestAction) {
  // Two identical actions everywhere: policy iteration must not flip between them.
  TransitionModel P = {
      {{{1.0, 1, 1.0, false}}, {{1.0, 1, 1.0, false}}},
      {{{0.5, 0, 0.5, false}, {0.5, 1, 0.0, true}}, {{0.5, 0, 0.5, false}, {0.5, 1, 0.0, true}}}};
  const PlanningResult r = PolicyIteration(P, 0.99);
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(r.iterations, 1);
  EXPECT_EQ(r.policy, (std::vector<int64_t>{0, 0}));
}

TEST(GreedyPolicy, LowestIndexOnTies) {
  EXPECT_EQ(GreedyPolicy({{1.0, 3.0, 3.0}, {0.0, 0.0, 0.0}, {-1.0, -2.0, -1.0}}),
            (std::vector<int64_t>{1, 0, 0}));
}

TEST(PlanningErrors, BadGamma) {
  ExpectError([] { ValueIteration(TwoStateChain(), 1.5, 1e-10); }, {"gamma", "1.5", "[0, 1]"});
  ExpectError([] { ValueIteration(TwoStateChain(), -0.1, 1e-10); }, {"gamma", "-0.1"});
  ExpectError([] { ValueIteration(TwoStateChain(), std::nan(""), 1e-10); }, {"gamma", "nan"});
  ExpectError([] { PolicyIteration(TwoStateChain(), 1.0); }, {"gamma", "[0, 1)", "1"});
  ExpectError([] { PolicyEvaluation(TwoStateChain(), {0, 0}, 2.0); }, {"gamma", "2"});
  ExpectError([] { ValueIteration(TwoStateChain(), 0.9, 0.0); }, {"tol", "> 0"});
  ExpectError([] { ValueIteration(TwoStateChain(), 0.9, 1e-10, -3); }, {"max_iters", "-3"});
}

TEST(PlanningErrors, RowsMustSumToOne) {
  TransitionModel P = TwoStateChain();
  P[1][0] = {{0.5, 1, 2.0, false}, {0.4, 0, 0.0, false}};
  ExpectError([] { ValueIteration(TransitionModel{}, 0.9); }, {"no states"});
  ExpectError([&] { ValueIteration(P, 0.9); }, {"P[1][0]", "sum to 0.9", "expected 1"});
  ExpectError([&] { PolicyIteration(P, 0.9); }, {"PolicyIteration", "P[1][0]"});
  ExpectError([&] { PolicyEvaluation(P, {0, 0}, 0.9); }, {"PolicyEvaluation", "P[1][0]"});
  // Within 1e-9 is accepted (FrozenLake's thirds do not add up to exactly 1).
  P[1][0] = {{0.5, 1, 2.0, false}, {0.5 + 5e-10, 0, 0.0, false}};
  EXPECT_NO_THROW(ValueIteration(P, 0.9));
}

TEST(PlanningErrors, MalformedModels) {
  TransitionModel P = TwoStateChain();
  P[0][1][0].next_state = 7;
  ExpectError([&] { ValueIteration(P, 0.9); }, {"P[0][1]", "next state 7", "[0, 2)"});
  P = TwoStateChain();
  P[1].pop_back();
  ExpectError([&] { ValueIteration(P, 0.9); }, {"state 1 has 1 actions", "expected 2"});
  P = TwoStateChain();
  P[0][0].clear();
  ExpectError([&] { ValueIteration(P, 0.9); }, {"P[0][0] has no transitions"});
  P = TwoStateChain();
  P[0][0] = {{1.5, 0, 0.0, false}, {-0.5, 1, 0.0, false}};
  ExpectError([&] { ValueIteration(P, 0.9); }, {"P[0][0]", "probability 1.5"});
  P = TwoStateChain();
  P[0][0][0].reward = std::numeric_limits<double>::infinity();
  ExpectError([&] { ValueIteration(P, 0.9); }, {"P[0][0]", "reward inf"});
  ExpectError([] { PolicyEvaluation(TwoStateChain(), {0}, 0.9); }, {"1 entries", "(2)"});
  ExpectError([] { PolicyEvaluation(TwoStateChain(), {0, 2}, 0.9); }, {"policy[1] = 2"});
}

// A continuous-state env with no P (stands in for CartPole).
class NoModelEnv final : public Env {
 public:
  NoModelEnv()
      : Env(EnvSpec{"NoModel-v0", Space::Box(-1.0, 1.0, {2}), Space::Discrete(2), 0, {}}) {}
  std::vector<double> GetState() const override { return {}; }
  void SetState(std::span<const double>) override {}
  std::unique_ptr<Env> Clone() const override { return std::make_unique<NoModelEnv>(); }
  std::string Render() const override { return ""; }

 protected:
  void DoReset(void* obs) override { std::fill_n(static_cast<float*>(obs), 2, 0.0f); }
  StepResult DoStep(const void*, void* obs) override {
    std::fill_n(static_cast<float*>(obs), 2, 0.0f);
    return {0.0, true, false};
  }
};

TEST(PlanningErrors, EnvWithoutTransitionModel) {
  NoModelEnv env;
  ExpectError([&] { ValueIteration(env, 0.9); },
              {"ValueIteration", "NoModel-v0", "no tabular transition model"});
  ExpectError([&] { PolicyIteration(env, 0.9); }, {"PolicyIteration", "NoModel-v0"});
}

// --- The toy-text envs ------------------------------------------------------------------------

struct EnvCase {
  std::string id;
  EnvArgs args;
};

std::string Name(const EnvCase& c) {
  std::string n = c.id;
  for (const auto& [k, v] : c.args) {
    if (auto* b = std::get_if<bool>(&v)) n += fmt::format(" {}={}", k, *b);
  }
  return n;
}

// Value iteration to 1e-12, then an independent exact solve of its greedy policy:
// max |Q_vi - Q^pi| <= 1e-9 means the greedy policy is optimal and VI's values are right.
// Policy iteration must land on the same values.
TEST(ToyTextPlanning, ValueIterationMatchesExactEvaluationOfItsPolicy) {
  const std::vector<EnvCase> cases = {{"FrozenLake-v1", {}},
                                      {"FrozenLake-v1", {{"is_slippery", false}}},
                                      {"FrozenLake8x8-v1", {}},
                                      {"CliffWalking-v1", {}},
                                      {"Taxi-v4", {}}};
  for (const EnvCase& c : cases) {
    SCOPED_TRACE(Name(c));
    auto env = MakeEnv(c.id, c.args);
    const TransitionModel& P = env->P();
    const double gamma = 0.99;
    const PlanningResult vi = ValueIteration(P, gamma, 1e-12);
    ASSERT_TRUE(vi.converged);
    const std::vector<double> V_pi = PolicyEvaluation(P, vi.policy, gamma);
    const QTable Q_pi = QFromV(P, V_pi, gamma);
    EXPECT_LE(MaxAbsDiff(vi.Q, Q_pi), 1e-9);
    EXPECT_LE(MaxAbsDiff(vi.V, V_pi), 1e-9);

    const PlanningResult pi = PolicyIteration(P, gamma);
    ASSERT_TRUE(pi.converged);
    EXPECT_LE(MaxAbsDiff(pi.V, V_pi), 1e-9);
    EXPECT_LE(MaxAbsDiff(pi.Q, Q_pi), 1e-9);
    // PI's policy is greedy in its own Q (up to its 1e-12 tie slack).
    for (size_t s = 0; s < P.size(); ++s) {
      const double best = *std::max_element(pi.Q[s].begin(), pi.Q[s].end());
      EXPECT_GE(pi.Q[s][pi.policy[s]], best - 1e-9) << "state " << s;
    }
  }
}

// Optimal values recorded with NumPy from Gymnasium's own P (tests/data/gen_tabular_ref.py).
TEST(ToyTextPlanning, OptimalValuesMatchNumpyReference) {
  std::ifstream in(std::string(BELLMAN_TEST_DATA_DIR) + "/tabular_ref.json");
  ASSERT_TRUE(in) << "missing tests/data/tabular_ref.json";
  const nlohmann::json ref = nlohmann::json::parse(in);
  const double gamma = std::stod(ref["gamma"].get<std::string>());
  ASSERT_EQ(ref["cases"].size(), 5u);
  for (const auto& c : ref["cases"]) {
    EnvArgs args;
    for (const auto& [k, v] : c["kwargs"].items()) args[k] = v.get<bool>();
    const std::string id = c["env_id"].get<std::string>();
    SCOPED_TRACE(Name({id, args}));
    auto env = MakeEnv(id, args);
    std::vector<double> V_ref;
    for (const auto& v : c["V"]) V_ref.push_back(std::stod(v.get<std::string>()));
    const std::vector<int64_t> pi_ref = c["policy"].get<std::vector<int64_t>>();

    const PlanningResult vi = ValueIteration(*env, gamma, 1e-12);
    EXPECT_LE(MaxAbsDiff(vi.V, V_ref), 1e-9);
    EXPECT_LE(MaxAbsDiff(PolicyEvaluation(env->P(), pi_ref, gamma), V_ref), 1e-12);
    EXPECT_LE(MaxAbsDiff(PolicyIteration(*env, gamma).V, V_ref), 1e-12);
  }
}

TEST(ToyTextPlanning, KnownStartValues) {
  // FrozenLake 4x4 non-slippery: the shortest path takes 6 steps, reward 1 on the last:
  // V*(0) = 0.99^5.
  auto lake = MakeEnv("FrozenLake-v1", {{"is_slippery", false}});
  EXPECT_NEAR(ValueIteration(*lake, 0.99, 1e-12).V[0], std::pow(0.99, 5), 1e-12);
  // CliffWalking: 13 steps of -1 along the cliff edge from (3, 0): V*(36) = -(1 - 0.99^13) / 0.01.
  auto cliff = MakeEnv("CliffWalking-v1");
  EXPECT_NEAR(ValueIteration(*cliff, 0.99, 1e-12).V[36], -(1.0 - std::pow(0.99, 13)) / 0.01, 1e-10);
  // The slippery 4x4 lake: NumPy's value (tabular_ref.json), a well-known number.
  auto slippery = MakeEnv("FrozenLake-v1");
  EXPECT_NEAR(ValueIteration(*slippery, 0.99, 1e-12).V[0], 0.5420259320004736, 1e-9);
}

}  // namespace
}  // namespace bellman::tabular
