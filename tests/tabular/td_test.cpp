// Tabular TD control: update rules on tiny fake envs (exact values), truncation vs termination,
// seeding and determinism, config errors, and learning on the toy-text envs from fixed seeds.
#include "bellman/tabular/td.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include "bellman/core/config.h"
#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/envs/registry.h"
#include "bellman/tabular/planning.h"

namespace bellman::tabular {
namespace {

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

// An env that samples its own P like Gymnasium's discrete envs (argmax(cumsum(p) > u)).
class TableEnv final : public Env {
 public:
  TableEnv(TransitionModel P, int64_t start, int64_t max_episode_steps = 0)
      : Env(EnvSpec{"Table-v0",
                    Space::Discrete(static_cast<int64_t>(P.size())),
                    Space::Discrete(static_cast<int64_t>(P[0].size())),
                    max_episode_steps,
                    {}}),
        P_(std::move(P)),
        start_(start) {}

  const TransitionModel& P() const override { return P_; }
  bool has_transition_model() const override { return true; }
  std::vector<double> GetState() const override { return {static_cast<double>(s_)}; }
  void SetState(std::span<const double> state) override {
    s_ = static_cast<int64_t>(state[0]);
    MarkRunning();
  }
  std::unique_ptr<Env> Clone() const override { return std::unique_ptr<Env>(new TableEnv(*this)); }
  std::string Render() const override { return std::to_string(s_); }

  std::vector<RngState> reset_rng_states;  // np_random's state at each reset

 protected:
  void DoReset(void* obs) override {
    reset_rng_states.push_back(np_random().state());
    s_ = start_;
    *static_cast<int64_t*>(obs) = s_;
  }
  StepResult DoStep(const void* action, void* obs) override {
    const auto& outcomes = P_[s_][*static_cast<const int64_t*>(action)];
    const double u = np_random().Random();
    double cdf = 0.0;
    size_t k = 0;
    for (; k + 1 < outcomes.size(); ++k) {
      cdf += outcomes[k].prob;
      if (cdf > u) break;
    }
    const Transition& t = outcomes[k];
    s_ = t.next_state;
    *static_cast<int64_t*>(obs) = s_;
    return {t.reward, t.terminated, false};
  }

 private:
  TransitionModel P_;
  int64_t start_;
  int64_t s_ = 0;
};

// Corridor of n states; action 0 = left, 1 = right; reaching the right end gives +1 and ends
// the episode. `slip` is the chance of moving the other way.
TransitionModel Corridor(int64_t n, double slip) {
  TransitionModel P(n, std::vector<std::vector<Transition>>(2));
  auto move = [&](int64_t s, int64_t dir) -> Transition {
    const int64_t s2 = std::clamp<int64_t>(s + dir, 0, n - 1);
    return {1.0, s2, s2 == n - 1 ? 1.0 : 0.0, s2 == n - 1};
  };
  for (int64_t s = 0; s < n; ++s) {
    for (int64_t a = 0; a < 2; ++a) {
      if (s == n - 1) {
        P[s][a] = {{1.0, s, 0.0, true}};  // terminal self-loop, as in Gymnasium
        continue;
      }
      const int64_t dir = a == 0 ? -1 : 1;
      Transition want = move(s, dir), other = move(s, -dir);
      if (slip == 0.0) {
        P[s][a] = {want};
      } else {
        want.prob = 1.0 - slip;
        other.prob = slip;
        P[s][a] = {want, other};
      }
    }
  }
  return P;
}

// One state, one action, reward 1 per step; every step ends the episode, either by
// `terminated` or by a one-step TimeLimit (truncated).
TransitionModel OneStep(bool terminated) { return {{{{1.0, 0, 1.0, terminated}}}}; }

const TdMethod kAllMethods[] = {TdMethod::kQLearning, TdMethod::kSarsa, TdMethod::kExpectedSarsa,
                                TdMethod::kDoubleQLearning};

TEST(TdConfig, EpsilonScheduleIsLinearThenFlat) {
  TdConfig c;
  c.epsilon_start = 1.0;
  c.epsilon_end = 0.1;
  c.epsilon_decay_steps = 100;
  EXPECT_EQ(c.Epsilon(0), 1.0);
  EXPECT_DOUBLE_EQ(c.Epsilon(50), 0.55);
  EXPECT_EQ(c.Epsilon(100), 0.1);  // exactly epsilon_end, not within an ulp
  EXPECT_EQ(c.Epsilon(1000), 0.1);
  c.epsilon_decay_steps = 0;
  EXPECT_EQ(c.Epsilon(0), 0.1);
}

TEST(TdConfig, ValidateNamesTheField) {
  auto bad = [](auto mutate, std::initializer_list<std::string> fragments) {
    TdConfig c;
    mutate(c);
    ExpectError([&] { c.Validate(); }, fragments);
  };
  bad([](TdConfig& c) { c.gamma = 1.5; }, {"td.gamma", "[0, 1]", "1.5"});
  bad([](TdConfig& c) { c.alpha = 0.0; }, {"td.alpha", "(0, 1]", "got 0"});
  bad([](TdConfig& c) { c.epsilon_start = -0.5; }, {"td.epsilon_start", "-0.5"});
  bad([](TdConfig& c) { c.epsilon_end = 2.0; }, {"td.epsilon_end", "2"});
  bad([](TdConfig& c) { c.epsilon_decay_steps = -1; }, {"td.epsilon_decay_steps", "-1"});
  bad([](TdConfig& c) { c.episodes = -2; }, {"td.episodes", "-2"});
  bad([](TdConfig& c) { c.episodes = 0; }, {"td.episodes", "td.total_steps", "both 0"});
  bad([](TdConfig& c) { c.seed = -1; }, {"td.seed", ">= 0", "-1"});
  bad([](TdConfig& c) { c.q_init = std::nan(""); }, {"td.q_init"});
  // Learning validates first.
  TableEnv env(Corridor(3, 0.0), 0);
  TdConfig c;
  c.gamma = -1.0;
  ExpectError([&] { QLearning(env, c); }, {"td.gamma"});
}

TEST(TdConfig, LoadsFromYamlAndRejectsUnknownKeys) {
  const TdConfig c = LoadConfig<TdConfig>(
      YAML::Load("gamma: 0.9\nalpha: 0.25\nepsilon_end: 0.0\ntotal_steps: 500\nseed: 3"), "td");
  EXPECT_EQ(c.gamma, 0.9);
  EXPECT_EQ(c.alpha, 0.25);
  EXPECT_EQ(c.epsilon_end, 0.0);
  EXPECT_EQ(c.total_steps, 500);
  EXPECT_EQ(c.seed, 3);
  EXPECT_EQ(c.episodes, TdConfig{}.episodes);
  ExpectError([] { LoadConfig<TdConfig>(YAML::Load("epsilon_decay_step: 10"), "td"); },
              {"epsilon_decay_step", "did you mean 'epsilon_decay_steps'"});
}

TEST(TdMethod, NamesRoundTrip) {
  for (TdMethod m : kAllMethods) EXPECT_EQ(ParseTdMethod(TdMethodName(m)), m);
  ExpectError([] { ParseTdMethod("qlearning"); }, {"'qlearning'", "did you mean 'q_learning'"});
}

TEST(TdLearning, TruncationBootstrapsTerminationDoesNot) {
  TdConfig c;
  c.gamma = 0.5;
  c.alpha = 1.0;
  c.epsilon_start = c.epsilon_end = 0.0;
  c.episodes = 20;
  for (TdMethod m : kAllMethods) {
    SCOPED_TRACE(TdMethodName(m));
    // Terminated: Q = r = 1 after the first update of each table.
    TableEnv ends(OneStep(/*terminated=*/true), 0);
    const TdResult r = LearnTd(ends, m, c);
    EXPECT_EQ(r.Q[0][0], 1.0);
    EXPECT_EQ(r.episode_returns.size(), 20u);
    // Truncated by a one-step TimeLimit: Q <- 1 + 0.5 Q, so Q_n = 2 (1 - 0.5^n) with one table.
    TableEnv cut(OneStep(/*terminated=*/false), 0, /*max_episode_steps=*/1);
    const TdResult t = LearnTd(cut, m, c);
    if (m == TdMethod::kDoubleQLearning) {
      // Two tables share the updates at random; each bootstraps from the other.
      EXPECT_GT(t.Q[0][0], 1.5);
      EXPECT_LT(t.Q[0][0], 2.0);
    } else {
      EXPECT_EQ(t.Q[0][0], 2.0 * (1.0 - std::ldexp(1.0, -20)));
    }
    EXPECT_EQ(t.episode_lengths, std::vector<int64_t>(20, 1));
  }
}

TEST(TdLearning, UpdateRulesOnAHandComputedStep) {
  // Corridor of 3, start 0, deterministic. With epsilon 1 every action is random; check the
  // first Q-learning update against a hand computation by replaying the same draws.
  TdConfig c;
  c.gamma = 0.9;
  c.alpha = 0.5;
  c.epsilon_start = c.epsilon_end = 1.0;
  c.total_steps = 1;
  c.episodes = 0;
  c.q_init = 0.25;
  TableEnv env(Corridor(3, 0.0), 0);
  const TdResult r = QLearning(env, c);
  Rng agent = Rng(static_cast<uint64_t>(c.seed)).Spawn(1)[0];
  ASSERT_LT(agent.Random(), 1.0);  // the epsilon draw: explore
  const int64_t a = agent.Integers(0, 2);
  // Left from 0 bumps into the wall (s' = 0), right reaches s' = 1; both reward 0.
  const double expected = 0.25 + 0.5 * (0.0 + 0.9 * 0.25 - 0.25);
  EXPECT_DOUBLE_EQ(r.Q[0][a], expected);
  EXPECT_EQ(r.Q[0][1 - a], 0.25);
  EXPECT_EQ(r.total_steps, 1);
  EXPECT_TRUE(r.episode_returns.empty());  // the only episode did not finish
}

TEST(TdLearning, ExpectedSarsaUsesTheEpsilonGreedyExpectation) {
  // Two states: s0 --a--> s1 (reward 0), s1 ends with reward 1 (a=0) or 3 (a=1). One update of
  // Q(s0, .) after Q(s1) was learnt: target = gamma * (eps/2 * (Q10 + Q11) + (1 - eps) Q11).
  TransitionModel P = {{{{1.0, 1, 0.0, false}}, {{1.0, 1, 0.0, false}}},
                       {{{1.0, 1, 1.0, true}}, {{1.0, 1, 3.0, true}}}};
  TdConfig c;
  c.gamma = 1.0;
  c.alpha = 1.0;
  c.epsilon_start = c.epsilon_end = 0.5;
  c.episodes = 200;
  TableEnv env(P, 0);
  const TdResult r = ExpectedSarsa(env, c);
  // With alpha = 1 both Q(s1, .) are exact after being tried once, and Q(s0, a) is the exact
  // expectation 0.25 * 1 + 0.75 * 3 = 2.5 after the next visit.
  EXPECT_EQ(r.Q[1][0], 1.0);
  EXPECT_EQ(r.Q[1][1], 3.0);
  EXPECT_EQ(r.Q[0][0], 2.5);
  EXPECT_EQ(r.Q[0][1], 2.5);
  // SARSA's sampled target and Q-learning's max on the same MDP.
  TableEnv env2(P, 0);
  EXPECT_EQ(QLearning(env2, c).Q[0][0], 3.0);
}

TEST(TdLearning, CorridorIsSolvedByEveryMethod) {
  const TransitionModel P = Corridor(6, 0.0);
  const double gamma = 0.9;
  const double v_star = ValueIteration(P, gamma, 1e-12).V[0];
  EXPECT_NEAR(v_star, std::pow(0.9, 4), 1e-12);
  for (TdMethod m : kAllMethods) {
    for (int64_t seed : {0, 1, 2}) {
      SCOPED_TRACE(TdMethodName(m) + " seed " + std::to_string(seed));
      TdConfig c;
      c.gamma = gamma;
      c.alpha = 0.5;
      c.epsilon_start = 1.0;
      c.epsilon_end = 0.0;
      c.epsilon_decay_steps = 2000;
      c.episodes = 400;
      c.seed = seed;
      TableEnv env(P, 0, /*max_episode_steps=*/50);
      const TdResult r = LearnTd(env, m, c);
      EXPECT_NEAR(PolicyEvaluation(P, r.policy, gamma)[0], v_star, 1e-9);
      for (int64_t s = 0; s < 5; ++s) EXPECT_EQ(r.policy[s], 1) << "state " << s;
      EXPECT_EQ(r.episode_returns.back(), 1.0);
    }
  }
}

TEST(TdLearning, SameSeedSameQDifferentSeedDifferentQ) {
  const TransitionModel P = Corridor(5, 0.2);
  TdConfig c;
  c.episodes = 50;
  c.epsilon_decay_steps = 200;
  for (TdMethod m : kAllMethods) {
    SCOPED_TRACE(TdMethodName(m));
    TableEnv a(P, 0, 30), b(P, 0, 30), d(P, 0, 30);
    c.seed = 7;
    const TdResult ra = LearnTd(a, m, c);
    const TdResult rb = LearnTd(b, m, c);
    c.seed = 8;
    const TdResult rd = LearnTd(d, m, c);
    EXPECT_EQ(ra.Q, rb.Q);  // bit-identical
    EXPECT_EQ(ra.episode_returns, rb.episode_returns);
    EXPECT_EQ(ra.episode_lengths, rb.episode_lengths);
    EXPECT_NE(ra.Q, rd.Q);
  }
}

TEST(TdLearning, EnvIsSeededOnceThenContinues) {
  TdConfig c;
  c.seed = 42;
  c.episodes = 3;
  TableEnv env(Corridor(3, 0.5), 0, 10);
  QLearning(env, c);
  ASSERT_EQ(env.reset_rng_states.size(), 3u);
  EXPECT_EQ(env.reset_rng_states[0], Rng(42).state());  // reset(seed=42)
  EXPECT_NE(env.reset_rng_states[1], Rng(42).state());  // then reset() continues the stream
}

TEST(TdLearning, StopsAtTotalSteps) {
  TdConfig c;
  c.episodes = 0;
  c.total_steps = 37;
  TableEnv env(Corridor(4, 0.3), 0, 10);
  const TdResult r = Sarsa(env, c);
  EXPECT_EQ(r.total_steps, 37);
  int64_t finished = 0;
  for (int64_t n : r.episode_lengths) finished += n;
  EXPECT_LE(finished, 37);
  EXPECT_EQ(r.episode_returns.size(), r.episode_lengths.size());
}

// Tuple of Discrete observations (Blackjack's kind) are flattened row-major.
class TupleEnv final : public Env {
 public:
  TupleEnv()
      : Env(EnvSpec{"Tuple-v0",
                    Space::Tuple({Space::Discrete(2), Space::Discrete(3, 1)}),
                    Space::Discrete(2),
                    0,
                    {}}) {}
  std::vector<double> GetState() const override { return {}; }
  void SetState(std::span<const double>) override {}
  std::unique_ptr<Env> Clone() const override { return std::make_unique<TupleEnv>(); }
  std::string Render() const override { return ""; }

 protected:
  void DoReset(void* obs) override {
    auto* o = static_cast<int64_t*>(obs);
    o[0] = 1;
    o[1] = 3;  // flat index 1 * 3 + (3 - 1) = 5
  }
  StepResult DoStep(const void* action, void* obs) override {
    auto* o = static_cast<int64_t*>(obs);
    const int64_t a = *static_cast<const int64_t*>(action);
    o[0] = 0;
    o[1] = 1;  // flat index 0
    return {a == 1 ? 1.0 : 0.0, true, false};
  }
};

TEST(TdLearning, TupleObservationsAreFlattened) {
  TupleEnv env;
  EXPECT_EQ(NumTabularStates(env.observation_space(), "test"), 6);
  TdConfig c;
  c.alpha = 1.0;
  c.episodes = 30;
  c.epsilon_start = c.epsilon_end = 1.0;
  const TdResult r = QLearning(env, c);
  ASSERT_EQ(r.Q.size(), 6u);
  EXPECT_EQ(r.Q[5][0], 0.0);
  EXPECT_EQ(r.Q[5][1], 1.0);
  EXPECT_EQ(r.policy[5], 1);
}

class BoxEnv final : public Env {
 public:
  BoxEnv() : Env(EnvSpec{"Box-v0", Space::Box(-1.0, 1.0, {2}), Space::Discrete(2), 0, {}}) {}
  std::vector<double> GetState() const override { return {}; }
  void SetState(std::span<const double>) override {}
  std::unique_ptr<Env> Clone() const override { return std::make_unique<BoxEnv>(); }
  std::string Render() const override { return ""; }

 protected:
  void DoReset(void*) override {}
  StepResult DoStep(const void*, void*) override { return {}; }
};

TEST(TdLearning, RejectsNonTabularSpaces) {
  BoxEnv env;
  ExpectError([&] { QLearning(env, TdConfig{}); },
              {"q_learning on Box-v0", "Discrete observation space", "Box("});
}

// --- Learning on the toy-text envs -------------------------------------------------------------
//
// Budgets were chosen from 30 seeds each (all 30 pass); the tests run 3 fixed seeds and every
// one must pass. Each learning run takes well under 0.1 s.

constexpr double kGamma = 0.99;

// The learned greedy policy must be optimal from the start state: its exact value there (by
// policy evaluation on P) equals V*(start) to 1e-9. Ties make an action-by-action comparison
// meaningless.
void ExpectOptimalFromStart(const std::string& id, const EnvArgs& args, int64_t start,
                            TdMethod method, const TdConfig& config) {
  auto env = MakeEnv(id, args);
  const TransitionModel& P = env->P();
  const auto t0 = std::chrono::steady_clock::now();
  const TdResult r = LearnTd(*env, method, config);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double v_star = ValueIteration(P, config.gamma, 1e-12).V[start];
  const double v_learned = PolicyEvaluation(P, r.policy, config.gamma)[start];
  EXPECT_NEAR(v_learned, v_star, 1e-9)
      << TdMethodName(method) << " on " << id << " seed " << config.seed << ": " << r.total_steps
      << " steps, " << r.episode_returns.size() << " episodes, " << secs << " s";
  EXPECT_LT(secs, 2.0);
}

// FrozenLake 4x4 without slipping: reward 1 only at the goal, so exploration must find it first.
// Epsilon falls from 1 to 0 over the first half of the budget; the second half is greedy, which
// also lets SARSA's on-policy values settle on the greedy (optimal) policy.
const EnvArgs kNonSlippery = {{"is_slippery", false}};
TdConfig LakeConfig(int64_t seed) {
  TdConfig c;
  c.gamma = kGamma;
  c.alpha = 0.5;
  c.epsilon_start = 1.0;
  c.epsilon_end = 0.0;
  c.epsilon_decay_steps = 30000;
  c.episodes = 0;
  c.total_steps = 60000;
  c.seed = seed;
  return c;
}

// CliffWalking has no TimeLimit; with epsilon decaying to 0 a greedy policy that walks into a
// wall forever would never end an episode, so these runs add Gymnasium's max_episode_steps=200
// (truncation bootstraps, so it does not change the fixed point).
const EnvArgs kCliffLimited = {{"max_episode_steps", int64_t{200}}};
TdConfig CliffDecayConfig(int64_t seed) {
  TdConfig c;
  c.gamma = kGamma;
  c.alpha = 0.5;
  c.epsilon_start = 1.0;
  c.epsilon_end = 0.0;
  c.epsilon_decay_steps = 150000;
  c.episodes = 0;
  c.total_steps = 300000;
  c.seed = seed;
  return c;
}

// Sutton & Barto Example 6.6: epsilon = 0.1 throughout. total_steps is only a safety net.
TdConfig CliffExample66(int64_t seed, double alpha, int64_t episodes) {
  TdConfig c;
  c.gamma = kGamma;
  c.alpha = alpha;
  c.epsilon_start = c.epsilon_end = 0.1;
  c.epsilon_decay_steps = 0;
  c.episodes = episodes;
  c.total_steps = 2'000'000;
  c.seed = seed;
  return c;
}

constexpr int64_t kCliffStart = 36;  // (3, 0)
constexpr int64_t kCliffGoal = 47;   // (3, 11)

// States visited by a deterministic policy from `s` on a deterministic P, up to termination.
std::vector<int64_t> GreedyPath(const TransitionModel& P, const std::vector<int64_t>& pi,
                                int64_t s) {
  std::vector<int64_t> path = {s};
  for (int k = 0; k < 200; ++k) {
    const Transition& t = P[s][pi[s]].at(0);
    s = t.next_state;
    path.push_back(s);
    if (t.terminated) break;
  }
  return path;
}

// The fixed point of expected SARSA's update with a constant epsilon (S&B section 6.6): the
// action values of the best epsilon-greedy policy,
//   Q(s, a) = sum p (r + gamma (1 - terminated) [(1 - eps) max_b Q(s', b) + eps mean_b Q(s', b)]).
QTable EpsilonSoftOptimalQ(const TransitionModel& P, double gamma, double epsilon) {
  const size_t nS = P.size(), nA = P[0].size();
  QTable Q(nS, std::vector<double>(nA, 0.0));
  for (int k = 0; k < 100000; ++k) {
    std::vector<double> V(nS);
    for (size_t s = 0; s < nS; ++s) {
      const double mx = *std::max_element(Q[s].begin(), Q[s].end());
      double mean = 0.0;
      for (double q : Q[s]) mean += q / static_cast<double>(nA);
      V[s] = (1.0 - epsilon) * mx + epsilon * mean;
    }
    QTable next = QFromV(P, V, gamma);
    double delta = 0.0;
    for (size_t s = 0; s < nS; ++s)
      for (size_t a = 0; a < nA; ++a) delta = std::max(delta, std::abs(next[s][a] - Q[s][a]));
    Q = std::move(next);
    if (delta < 1e-13) break;
  }
  return Q;
}

TEST(TdToyText, QLearningFrozenLakeNonSlippery) {
  for (int64_t seed : {0, 1, 2}) {
    ExpectOptimalFromStart("FrozenLake-v1", kNonSlippery, 0, TdMethod::kQLearning,
                           LakeConfig(seed));
  }
}

TEST(TdToyText, SarsaFrozenLakeNonSlippery) {
  for (int64_t seed : {0, 1, 2}) {
    ExpectOptimalFromStart("FrozenLake-v1", kNonSlippery, 0, TdMethod::kSarsa, LakeConfig(seed));
  }
}

TEST(TdToyText, ExpectedSarsaFrozenLakeNonSlippery) {
  for (int64_t seed : {0, 1, 2}) {
    ExpectOptimalFromStart("FrozenLake-v1", kNonSlippery, 0, TdMethod::kExpectedSarsa,
                           LakeConfig(seed));
  }
}

TEST(TdToyText, DoubleQLearningFrozenLakeNonSlippery) {
  for (int64_t seed : {0, 1, 2}) {
    ExpectOptimalFromStart("FrozenLake-v1", kNonSlippery, 0, TdMethod::kDoubleQLearning,
                           LakeConfig(seed));
  }
}

TEST(TdToyText, QLearningCliffWalkingExample66) {
  // Off-policy: with epsilon = 0.1 throughout, the greedy policy is still the optimal path
  // along the cliff edge (13 steps).
  for (int64_t seed : {0, 1, 2}) {
    ExpectOptimalFromStart("CliffWalking-v1", {}, kCliffStart, TdMethod::kQLearning,
                           CliffExample66(seed, 0.5, 500));
  }
}

TEST(TdToyText, QLearningCliffWalkingEpsilonToZero) {
  for (int64_t seed : {0, 1, 2}) {
    ExpectOptimalFromStart("CliffWalking-v1", kCliffLimited, kCliffStart, TdMethod::kQLearning,
                           CliffDecayConfig(seed));
  }
}

TEST(TdToyText, DoubleQLearningCliffWalking) {
  // Double Q-learning underestimates: with epsilon = 0.1 throughout, pessimistic values learnt
  // from early falls can keep it circling near the start. A long epsilon decay from 1 gives it
  // the exploration it needs to find the edge path.
  for (int64_t seed : {0, 1, 2}) {
    ExpectOptimalFromStart("CliffWalking-v1", kCliffLimited, kCliffStart,
                           TdMethod::kDoubleQLearning, CliffDecayConfig(seed));
  }
}

TEST(TdToyText, SarsaTakesTheSafePathQLearningTheEdge) {
  // Sutton & Barto Example 6.6 / Figure 6.4, with epsilon = 0.1 throughout: SARSA learns the
  // values of its exploring policy, so its greedy path keeps away from the cliff edge and is
  // longer than the optimal 13 steps, while Q-learning's greedy path is the edge. Q-learning's
  // online return is worse, because its exploration makes it fall.
  for (int64_t seed : {0, 1, 2}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const TdConfig c = CliffExample66(seed, 0.1, 2000);
    auto sarsa_env = MakeEnv("CliffWalking-v1");
    auto q_env = MakeEnv("CliffWalking-v1");
    const TdResult sarsa = Sarsa(*sarsa_env, c);
    const TdResult q = QLearning(*q_env, c);
    const TransitionModel& P = q_env->P();

    const std::vector<int64_t> q_path = GreedyPath(P, q.policy, kCliffStart);
    EXPECT_EQ(q_path.back(), kCliffGoal);
    EXPECT_EQ(q_path.size(), 14u);  // 13 steps
    const std::vector<int64_t> sarsa_path = GreedyPath(P, sarsa.policy, kCliffStart);
    EXPECT_EQ(sarsa_path.back(), kCliffGoal);
    EXPECT_GT(sarsa_path.size(), 14u);
    EXPECT_LE(sarsa_path.size(), 20u);

    auto mean = [](const std::vector<double>& v) {
      double s = 0.0;
      for (double x : v) s += x;
      return s / static_cast<double>(v.size());
    };
    EXPECT_GT(mean(sarsa.episode_returns), mean(q.episode_returns) + 10.0);
  }
}

TEST(TdToyText, ExpectedSarsaLearnsTheBestEpsilonGreedyPolicy) {
  // With a constant epsilon, expected SARSA converges to the action values of the best
  // epsilon-greedy policy; its greedy part walks the path that epsilon-soft planning on P finds
  // (one row above the edge: 15 steps), not the optimal edge path.
  auto env = MakeEnv("CliffWalking-v1");
  const TransitionModel& P = env->P();
  const std::vector<int64_t> planned = GreedyPolicy(EpsilonSoftOptimalQ(P, kGamma, 0.1));
  const double v_planned = PolicyEvaluation(P, planned, kGamma)[kCliffStart];
  EXPECT_NEAR(v_planned, -(1.0 - std::pow(kGamma, 15)) / (1.0 - kGamma), 1e-9);
  for (int64_t seed : {0, 1, 2}) {
    auto e = MakeEnv("CliffWalking-v1");
    const TdResult r = ExpectedSarsa(*e, CliffExample66(seed, 0.5, 500));
    EXPECT_NEAR(PolicyEvaluation(P, r.policy, kGamma)[kCliffStart], v_planned, 1e-9)
        << "seed " << seed;
  }
}

TEST(TdToyText, QLearningBlackjackTupleObservations) {
  // Blackjack's observation is Tuple(Discrete(32), Discrete(11), Discrete(2)): 704 table rows.
  // Undiscounted Q-learning finds a policy close to the best basic strategy (about -0.045 per
  // game with sab=True), far better than "stick on 20 or more" (about -0.35).
  for (int64_t seed : {0, 1, 2}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto env = MakeEnv("Blackjack-v1");
    TdConfig c;
    c.gamma = 1.0;
    c.alpha = 0.01;
    c.epsilon_start = 1.0;
    c.epsilon_end = 0.05;
    c.epsilon_decay_steps = 50000;
    c.episodes = 200000;
    c.seed = seed;
    const TdResult r = QLearning(*env, c);
    ASSERT_EQ(r.Q.size(), 704u);
    // Play the greedy policy for 20000 games (standard error of the mean about 0.007).
    auto eval = MakeEnv("Blackjack-v1");
    int64_t obs[3];
    double total = 0.0;
    const int games = 20000;
    for (int g = 0; g < games; ++g) {
      eval->Reset(g == 0 ? std::optional<uint64_t>(12345) : std::nullopt, obs);
      for (;;) {
        const int64_t a = r.policy[(obs[0] * 11 + obs[1]) * 2 + obs[2]];
        const StepResult step = eval->Step(&a, obs);
        total += step.reward;
        if (step.terminated || step.truncated) break;
      }
    }
    EXPECT_GT(total / games, -0.08);
  }
}

TEST(TdToyText, SameSeedSameQOnSlipperyFrozenLake) {
  TdConfig c = LakeConfig(3);
  c.total_steps = 20000;
  for (TdMethod m : kAllMethods) {
    auto a = MakeEnv("FrozenLake-v1");
    auto b = MakeEnv("FrozenLake-v1");
    const TdResult ra = LearnTd(*a, m, c);
    const TdResult rb = LearnTd(*b, m, c);
    EXPECT_EQ(ra.Q, rb.Q) << TdMethodName(m);
    EXPECT_EQ(ra.episode_returns, rb.episode_returns) << TdMethodName(m);
  }
}

}  // namespace
}  // namespace bellman::tabular
