// Soccer-v0 (Littman 1994) and MatrixGame-v0: the rules, the model against sampled steps, the
// multi-agent protocol and its errors.
#include "bellman/envs/multi_agent.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <tuple>

#include "bellman/core/error.h"

namespace bellman {
namespace {

// The documented layout of Soccer-v0's state index.
int64_t SoccerIndex(int64_t a, int64_t b, int64_t ball) {
  return (a * 19 + (b < a ? b : b - 1)) * 2 + ball;
}

struct Game {
  std::unique_ptr<MultiAgentEnv> env;
  int64_t obs[2] = {-1, -1};
  std::vector<void*> bufs{&obs[0], &obs[1]};
};

Game Soccer(EnvArgs args = {}) { return {MakeMultiAgentEnv("Soccer-v0", args)}; }

JointStepResult Step(Game& g, int64_t a, int64_t o) {
  const std::vector<int64_t> joint = {a, o};
  return g.env->Step(joint, g.bufs);
}

constexpr int64_t kN = 0, kS = 1, kE = 2, kW = 3, kStand = 4;

TEST(Soccer, StartsInLittmansPositionsWithTheBallToEitherPlayer) {
  Game g = Soccer();
  int balls[2] = {0, 0};
  for (uint64_t seed = 0; seed < 40; ++seed) {
    g.env->Reset(seed, g.bufs);
    const std::vector<double> x = g.env->GetState();
    EXPECT_EQ(x[0], 8);   // A: row 1, column 3
    EXPECT_EQ(x[1], 11);  // B: row 2, column 1
    ++balls[static_cast<int>(x[2])];
    EXPECT_EQ(g.obs[0], SoccerIndex(8, 11, static_cast<int64_t>(x[2])));
    EXPECT_EQ(g.obs[1], g.obs[0]);
  }
  EXPECT_GT(balls[0], 5);
  EXPECT_GT(balls[1], 5);
}

TEST(Soccer, ScoringBlockingAndWalls) {
  Game g = Soccer();
  g.env->Reset(0, g.bufs);
  // A with the ball at row 1, column 0 runs west into its goal: +1 whatever B does.
  g.env->SetState(std::vector<double>{5, 19, 0});
  JointStepResult r = Step(g, kW, kStand);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.rewards, (std::vector<double>{1.0, -1.0}));
  // B with the ball at row 2, column 4 runs east into its goal.
  g.env->Reset(1, g.bufs);
  g.env->SetState(std::vector<double>{0, 14, 1});
  r = Step(g, kStand, kE);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.rewards, (std::vector<double>{-1.0, 1.0}));
  // An own goal: A carries the ball off the east edge of row 2.
  g.env->Reset(2, g.bufs);
  g.env->SetState(std::vector<double>{14, 0, 0});
  r = Step(g, kE, kStand);
  EXPECT_EQ(r.rewards[0], -1.0);
  // Off the board outside the goal rows, or without the ball: the player stays.
  g.env->Reset(3, g.bufs);
  g.env->SetState(std::vector<double>{0, 10, 1});
  r = Step(g, kN, kStand);
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(g.env->GetState(), (std::vector<double>{0, 10, 1}));
  g.env->SetState(std::vector<double>{5, 19, 1});
  r = Step(g, kW, kStand);
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(g.env->GetState(), (std::vector<double>{5, 19, 1}));
  // A (with the ball) walks into standing B: A stays and B takes the ball.
  g.env->SetState(std::vector<double>{6, 7, 0});
  r = Step(g, kE, kStand);
  EXPECT_EQ(g.env->GetState(), (std::vector<double>{6, 7, 1}));
  EXPECT_EQ(g.obs[0], SoccerIndex(6, 7, 1));
}

TEST(Soccer, OrderOfMovesDecidesACollision) {
  // A at (1,1) goes east, B at (1,3) goes west: both want (1,2). Whoever moves first gets it;
  // the second is blocked and the ball goes to the one standing there.
  Game g = Soccer();
  std::map<std::vector<double>, int> seen;
  g.env->Reset(0, g.bufs);
  for (int i = 0; i < 400; ++i) {
    g.env->SetState(std::vector<double>{6, 8, 0});
    Step(g, kE, kW);
    ++seen[g.env->GetState()];
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GT((seen[{7, 8, 0}]), 160);  // A first: B is blocked by A, who keeps the ball
  EXPECT_GT((seen[{6, 7, 1}]), 160);  // B first: A is blocked by B, who takes the ball
}

TEST(Soccer, EnvSamplesTheModel) {
  for (double draw : {0.0, 0.1}) {
    Game g = Soccer({{"draw_probability", draw}});
    const MarkovGameModel& P = g.env->Model();
    ASSERT_EQ(P.size(), 760u);
    for (const auto& s : P) {
      for (const auto& row : s) {
        for (const auto& outs : row) {
          double sum = 0.0;
          for (const Transition& t : outs) sum += t.prob;
          EXPECT_NEAR(sum, 1.0, 1e-15);
        }
      }
    }
    // Frequencies of sampled outcomes from a few states and joint actions against P.
    g.env->Reset(7, g.bufs);
    for (int64_t s : {0, 123, 377, 759}) {
      for (int64_t a = 0; a < 5; ++a) {
        for (int64_t o = 0; o < 5; ++o) {
          std::map<std::tuple<int64_t, double, bool>, int> counts;
          constexpr int kDraws = 400;
          for (int i = 0; i < kDraws; ++i) {
            const int64_t pair = s / 2, cell_a = pair / 19, b = pair % 19;
            g.env->SetState(std::vector<double>{static_cast<double>(cell_a),
                                                static_cast<double>(b < cell_a ? b : b + 1),
                                                static_cast<double>(s % 2)});
            ASSERT_EQ(g.env->StateIndex(), s);
            const JointStepResult r = Step(g, a, o);
            ++counts[{r.terminated ? -1 : g.obs[0], r.rewards[0], r.terminated}];
          }
          std::map<std::tuple<int64_t, double, bool>, double> expected;
          for (const Transition& t : P[s][a][o]) {
            expected[{t.terminated ? -1 : t.next_state, t.reward, t.terminated}] += t.prob;
          }
          for (const auto& [key, n] : counts) {
            ASSERT_TRUE(expected.count(key)) << "an outcome outside the model at s " << s;
            const double p = expected[key];
            EXPECT_NEAR(n / static_cast<double>(kDraws), p,
                        5 * std::sqrt(p * (1 - p) / kDraws) + 1e-9);
          }
        }
      }
    }
  }
}

TEST(Soccer, ProtocolErrorsNameTheProblem) {
  Game g = Soccer();
  EXPECT_THROW(Step(g, 0, 0), Error);  // before reset
  g.env->Reset(0, g.bufs);
  try {
    Step(g, 0, 5);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("agent 1's action 5"), std::string::npos) << e.what();
  }
  EXPECT_THROW(g.env->SetState(std::vector<double>{3, 3, 0}), Error);
  EXPECT_THROW(MakeMultiAgentEnv("Socer-v0"), Error);
  EXPECT_THROW(MakeMultiAgentEnv("Soccer-v0", {{"draw_probability", 1.0}}), Error);
  EXPECT_THROW(MakeMultiAgentEnv("Soccer-v0", {{"drawprob", 0.1}}), Error);
  // The TimeLimit truncates; terminated stays false.
  Game h = Soccer({{"max_episode_steps", int64_t{3}}});
  h.env->Reset(0, h.bufs);
  h.env->SetState(std::vector<double>{0, 19, 0});
  Step(h, kStand, kStand);
  Step(h, kStand, kStand);
  const JointStepResult r = Step(h, kStand, kStand);
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
  EXPECT_THROW(Step(h, kStand, kStand), Error);
}

TEST(MatrixGameEnv, OneStepPaysTheMatrix) {
  Game g{MakeMultiAgentEnv("MatrixGame-v0", {{"game", std::string("rock_paper_scissors")}})};
  g.env->Reset(0, g.bufs);
  const JointStepResult r = Step(g, 1, 0);  // paper beats rock
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.rewards, (std::vector<double>{1.0, -1.0}));
  EXPECT_THROW(MakeMultiAgentEnv("MatrixGame-v0", {{"game", std::string("chess")}}), Error);
}

}  // namespace
}  // namespace bellman

namespace bellman {
namespace {

TEST(IteratedPrisonersDilemma, PayoffsAndMemoryOneObservations) {
  Game g{MakeMultiAgentEnv("IteratedPrisonersDilemma-v0", {{"max_episode_steps", int64_t{4}}})};
  g.env->Reset(0, g.bufs);
  EXPECT_EQ(g.obs[0], 0);
  EXPECT_EQ(g.obs[1], 0);
  JointStepResult r = Step(g, 0, 1);  // agent 0 cooperates, agent 1 defects
  EXPECT_EQ(r.rewards, (std::vector<double>{-3.0, 0.0}));
  EXPECT_EQ(g.obs[0], 2);  // CD from agent 0's side
  EXPECT_EQ(g.obs[1], 3);  // DC from agent 1's side
  r = Step(g, 0, 0);
  EXPECT_EQ(r.rewards, (std::vector<double>{-1.0, -1.0}));
  EXPECT_EQ(g.obs[0], 1);
  r = Step(g, 1, 1);
  EXPECT_EQ(r.rewards, (std::vector<double>{-2.0, -2.0}));
  EXPECT_EQ(g.obs[1], 4);
  EXPECT_FALSE(r.truncated);
  r = Step(g, 1, 0);
  EXPECT_EQ(r.rewards, (std::vector<double>{0.0, -3.0}));
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
  EXPECT_THROW(g.env->SetState(std::vector<double>{0, -1}), Error);
}

}  // namespace
}  // namespace bellman

namespace bellman {
namespace {

TEST(CoinGame, PickUpsPayAndTheCoinAlternatesColour) {
  auto env = MakeMultiAgentEnv("CoinGame-v0");
  std::vector<float> o0(36), o1(36);
  std::vector<void*> bufs = {o0.data(), o1.data()};
  env->Reset(0, bufs);
  // Red at (0,0), blue at (2,2), a blue coin at (0,1): red steps right onto it.
  env->SetState(std::vector<double>{0, 0, 2, 2, 0, 1, 0});
  const std::vector<int64_t> right_and_up = {0, 3};
  JointStepResult r = env->Step(right_and_up, bufs);
  EXPECT_EQ(r.rewards, (std::vector<double>{1.0, -2.0}));  // blue's coin taken by red
  std::vector<double> s = env->GetState();
  EXPECT_EQ(s[0], 0);
  EXPECT_EQ(s[1], 1);
  EXPECT_EQ(s[2], 1);    // blue moved up from row 2 to row 1
  EXPECT_EQ(s[6], 1.0);  // the next coin is red
  EXPECT_FALSE(s[4] == s[0] && s[5] == s[1]);
  EXPECT_FALSE(s[4] == s[2] && s[5] == s[3]);
  // Own-first planes: red sees itself on plane 0 and the red coin on plane 2; blue sees itself
  // on plane 0 and the red coin as the other's colour on plane 3.
  EXPECT_EQ(o0[0 * 9 + 0 * 3 + 1], 1.0f);
  EXPECT_EQ(o1[0 * 9 + 1 * 3 + 2], 1.0f);
  const int64_t coin = static_cast<int64_t>(s[4] * 3 + s[5]);
  EXPECT_EQ(o0[2 * 9 + coin], 1.0f);
  EXPECT_EQ(o1[3 * 9 + coin], 1.0f);
  // Moves wrap around the torus; both on the coin: both +1, the owner of the colour also -2
  // from the other's pick-up.
  env->SetState(std::vector<double>{0, 2, 1, 0, 0, 0, 1});  // red coin at (0,0)
  const std::vector<int64_t> moves = {0, 3};  // red right wraps to (0,0); blue up to (0,0)
  r = env->Step(moves, bufs);
  EXPECT_EQ(r.rewards, (std::vector<double>{1.0 - 2.0, 1.0}));
  EXPECT_THROW(env->SetState(std::vector<double>{0, 0, 3, 0, 0, 1, 0}), Error);
}

}  // namespace
}  // namespace bellman
