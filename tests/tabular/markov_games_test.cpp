// Two-player zero-sum Markov games: Shapley's value iteration on Littman's soccer against
// independent checks (best responses by MDP value iteration, the game's symmetry), and
// Minimax-Q on matrix games (exact) and soccer (exploitability).
#include "bellman/tabular/markov_games.h"

#include <gtest/gtest.h>

#include <cmath>

#include "bellman/core/error.h"

namespace bellman::tabular {
namespace {

constexpr double kGamma = 0.9;

int64_t SoccerIndex(int64_t a, int64_t b, int64_t ball) {
  return (a * 19 + (b < a ? b : b - 1)) * 2 + ball;
}

// Soccer's symmetry: turn the board 180 degrees and swap the players (and their goals).
int64_t Mirror(int64_t s) {
  const int64_t ball = s % 2, pair = s / 2, a = pair / 19, b0 = pair % 19;
  const int64_t b = b0 < a ? b0 : b0 + 1;
  auto rot = [](int64_t cell) { return (3 - cell / 5) * 5 + (4 - cell % 5); };
  return SoccerIndex(rot(b), rot(a), 1 - ball);
}

const MarkovGameSolution& SoccerSolution() {
  static const MarkovGameSolution sol = [] {
    auto env = MakeMultiAgentEnv("Soccer-v0");
    return ShapleyValueIteration(env->Model(), kGamma, 1e-12);
  }();
  return sol;
}

double StartValue(const std::vector<double>& V) {
  // Littman's start: A at cell 8, B at cell 11, the ball to either with probability 1/2.
  const std::vector<double> p = MakeMultiAgentEnv("Soccer-v0")->InitialDistribution();
  EXPECT_EQ(p[SoccerIndex(8, 11, 0)], 0.5);
  EXPECT_EQ(p[SoccerIndex(8, 11, 1)], 0.5);
  return 0.5 * (V[SoccerIndex(8, 11, 0)] + V[SoccerIndex(8, 11, 1)]);
}

TEST(Shapley, SoccerIsSolvedToAFixedPoint) {
  const MarkovGameSolution& sol = SoccerSolution();
  EXPECT_LT(sol.residual, 1e-11);
  ASSERT_EQ(sol.V.size(), 760u);
  for (size_t s = 0; s < sol.V.size(); ++s) {
    EXPECT_NEAR(sol.V[s], -sol.V[Mirror(static_cast<int64_t>(s))], 1e-9) << "state " << s;
    EXPECT_LE(std::abs(sol.V[s]), 1.0);
  }
  // With the ball at the mouth of its goal a player scores at once whatever the other does.
  EXPECT_NEAR(sol.V[SoccerIndex(5, 19, 0)], 1.0, 1e-12);
  EXPECT_NEAR(StartValue(sol.V), 0.0, 1e-9);  // the start is symmetric
}

TEST(Shapley, EquilibriumPoliciesCannotBeExploited) {
  const MarkovGameSolution& sol = SoccerSolution();
  auto env = MakeMultiAgentEnv("Soccer-v0");
  const MarkovGameModel& P = env->Model();
  // A best response to either player's equilibrium policy gains nothing anywhere.
  const std::vector<double> br1 = BestResponseValue(P, sol.pi0, 0, kGamma);
  const std::vector<double> br0 = BestResponseValue(P, sol.pi1, 1, kGamma);
  const std::vector<double> both = EvaluatePolicyPair(P, sol.pi0, sol.pi1, kGamma);
  for (size_t s = 0; s < sol.V.size(); ++s) {
    EXPECT_NEAR(br1[s], sol.V[s], 1e-8) << s;
    EXPECT_NEAR(br0[s], sol.V[s], 1e-8) << s;
    EXPECT_NEAR(both[s], sol.V[s], 1e-8) << s;
  }
  // The uniform policy is exploitable: a best response scores against it.
  const StochasticPolicy uniform(760, std::vector<double>(5, 0.2));
  EXPECT_LT(StartValue(BestResponseValue(P, uniform, 0, kGamma)), -0.3);
  // Some equilibrium strategy is stochastic (Littman's point: no deterministic policy is
  // optimal in soccer).
  int stochastic = 0;
  for (const auto& p : sol.pi0) {
    for (double x : p) stochastic += x > 1e-6 && x < 1 - 1e-6;
  }
  EXPECT_GT(stochastic, 0);
}

TEST(Shapley, OneStateGameIsTheMatrixGame) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    auto env = MakeMultiAgentEnv(
        "MatrixGame-v0", {{"game", std::string("random")}, {"seed", static_cast<int64_t>(seed)}});
    const MarkovGameSolution sol = ShapleyValueIteration(env->Model(), 0.5);
    EXPECT_NEAR(sol.V[0], SolveZeroSumGame(RandomMatrixGame(5, 5, seed)).value, 1e-12);
  }
}

TEST(MinimaxQ, LearnsMatrixGameValuesExactly) {
  // Deterministic payoffs and sample-average steps (alpha = 1 / n): once every joint action has
  // been tried, Q is the payoff matrix and V the game's value.
  MinimaxQConfig c;
  c.alpha_power = 1.0;
  c.steps = 2000;
  c.seed = 3;
  for (const char* game : {"rock_paper_scissors", "matching_pennies", "random"}) {
    auto env = MakeMultiAgentEnv("MatrixGame-v0", {{"game", std::string(game)}});
    const MinimaxQResult r = MinimaxQ(*env, c);
    const MarkovGameSolution exact = ShapleyValueIteration(env->Model(), c.gamma);
    EXPECT_NEAR(r.V[0], exact.V[0], 1e-6) << game;
    EXPECT_EQ(r.episodes, c.steps);
  }
  auto rps = MakeMultiAgentEnv("MatrixGame-v0");
  const MinimaxQResult r = MinimaxQ(*rps, c);
  for (double p : r.pi[0]) EXPECT_NEAR(p, 1.0 / 3.0, 1e-6);
}

TEST(MinimaxQ, SelfPlayInSoccerApproachesTheEquilibrium) {
  // Littman's set-up: draws with probability 0.1 per step, gamma 0.9, explore 0.2, alpha from 1
  // to 0.01 over a million steps, both players Minimax-Q learners (his "MM").
  auto env = MakeMultiAgentEnv("Soccer-v0", {{"draw_probability", 0.1}});
  const MarkovGameModel& P = env->Model();
  const double v_star = StartValue(ShapleyValueIteration(P, kGamma).V);
  MinimaxQConfig c;
  c.steps = 1'000'000;
  c.alpha_decay = std::pow(0.01, 1.0 / static_cast<double>(c.steps));
  c.opponent = "minimax_q";
  c.seed = 1;
  const MinimaxQResult r = MinimaxQ(*env, c);
  const double exploit0 = v_star - StartValue(BestResponseValue(P, r.pi, 0, kGamma));
  const double exploit1 = StartValue(BestResponseValue(P, r.opponent_pi, 1, kGamma)) - v_star;
  const StochasticPolicy uniform(760, std::vector<double>(5, 0.2));
  const double exploit_uniform = v_star - StartValue(BestResponseValue(P, uniform, 0, kGamma));
  std::printf("soccer: exploitability of minimax-Q players %.4f and %.4f, of uniform %.4f\n",
              exploit0, exploit1, exploit_uniform);
  EXPECT_LT(exploit0, 0.1);  // measured 0.024 (seed 1) against 0.34 for the uniform policy
  EXPECT_LT(exploit1, 0.1);
  EXPECT_GT(exploit_uniform, 0.3);
}

TEST(MinimaxQ, BadConfigIsNamed) {
  auto env = MakeMultiAgentEnv("MatrixGame-v0");
  MinimaxQConfig c;
  c.explore = 1.5;
  try {
    MinimaxQ(*env, c);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("explore = 1.5"), std::string::npos) << e.what();
  }
  c = MinimaxQConfig{};
  c.opponent = "selfplay";
  EXPECT_THROW(MinimaxQ(*env, c), Error);
  EXPECT_THROW(ShapleyValueIteration(env->Model(), 1.0), Error);
}

}  // namespace
}  // namespace bellman::tabular

namespace bellman::tabular {
namespace {

TEST(Bimatrix, ClassicGamesHaveTheirKnownEquilibria) {
  // Prisoner's dilemma (LOLA's payoffs): the unique equilibrium is mutual defection.
  const BimatrixGame pd{2, 2, {-1, -3, 0, -2}, {-1, 0, -3, -2}};
  std::vector<NashEquilibrium> e = NashEquilibria(pd);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].x, (std::vector<double>{0, 1}));
  EXPECT_EQ(e[0].y, (std::vector<double>{0, 1}));
  EXPECT_DOUBLE_EQ(e[0].value_row, -2.0);
  // Battle of the sexes: two pure equilibria and a mixed one, x = (2/3, 1/3), y = (1/3, 2/3).
  const BimatrixGame bos{2, 2, {2, 0, 0, 1}, {1, 0, 0, 2}};
  e = NashEquilibria(bos);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].x, (std::vector<double>{1, 0}));
  EXPECT_EQ(e[1].x, (std::vector<double>{0, 1}));
  EXPECT_NEAR(e[2].x[0], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(e[2].y[0], 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(e[2].value_row, 2.0 / 3.0, 1e-12);
  // A zero-sum game's equilibrium has the LP value.
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const MatrixGame z = RandomMatrixGame(4, 4, seed);
    BimatrixGame g{4, 4, z.A, z.A};
    for (double& b : g.B) b = -b;
    const std::vector<NashEquilibrium> ze = NashEquilibria(g);
    ASSERT_EQ(ze.size(), 1u) << seed;  // nondegenerate zero-sum: unique
    EXPECT_NEAR(ze[0].value_row, SolveZeroSumGame(z).value, 1e-9) << seed;
  }
  EXPECT_THROW(NashEquilibria(BimatrixGame{2, 2, {1, 2, 3}, {1, 2, 3, 4}}), Error);
}

TEST(NashQ, MyopicPrisonersDilemmaLearnersDefectEverywhere) {
  // gamma = 0: each stage game is the prisoner's dilemma itself (deterministic payoffs; the
  // first update of a joint action has alpha = 1), whose only equilibrium is (D, D), worth -2.
  auto env = MakeMultiAgentEnv("IteratedPrisonersDilemma-v0");
  NashQConfig c;
  c.gamma = 0.0;
  c.steps = 5'000;
  c.seed = 1;
  const NashQResult r = NashQ(*env, c);
  for (int64_t s = 0; s < 5; ++s) {
    EXPECT_EQ(r.pi0[static_cast<size_t>(s)], (std::vector<double>{0, 1})) << s;
    EXPECT_EQ(r.pi1[static_cast<size_t>(s)], (std::vector<double>{0, 1})) << s;
    EXPECT_EQ(r.V0[static_cast<size_t>(s)], -2.0) << s;
    EXPECT_EQ(r.V1[static_cast<size_t>(s)], -2.0) << s;
  }
  EXPECT_EQ(r.episodes, 50);
  NashQConfig bad;
  bad.alpha_power = 2.0;
  EXPECT_THROW(NashQ(*env, bad), Error);
}

}  // namespace
}  // namespace bellman::tabular
