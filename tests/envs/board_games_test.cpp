// TicTacToe-v0 and ConnectFour-v0: rules, canonical observations, illegal moves, the random
// opponent mode.
#include "bellman/envs/board_games.h"

#include <gtest/gtest.h>

#include "bellman/core/error.h"
#include "bellman/envs/registry.h"

namespace bellman {
namespace {

struct Board {
  std::unique_ptr<Env> env;
  std::vector<float> obs;
  explicit Board(const std::string& id, EnvArgs args = {}) : env(MakeEnv(id, args)) {
    obs.resize(static_cast<size_t>(env->observation_space().flat_size()));
  }
  TurnBasedGame& game() { return dynamic_cast<TurnBasedGame&>(*env); }
  StepResult Play(int64_t a) { return env->Step(&a, obs.data()); }
};

TEST(TicTacToe, RowsColumnsAndDiagonalsWin) {
  // X plays 0, 4, 8 (a diagonal) while O plays 1, 2.
  Board b("TicTacToe-v0");
  b.env->Reset(0, b.obs.data());
  EXPECT_EQ(b.game().to_play(), 0);
  for (int64_t a : {0, 1, 4, 2}) EXPECT_EQ(b.Play(a).reward, 0.0);
  const StepResult r = b.Play(8);
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(b.env->Render(), "XOO\n.X.\n..X\nX to move\n");
  // A draw: the board fills without a line.
  b.env->Reset(0, b.obs.data());
  StepResult last;
  for (int64_t a : {0, 1, 2, 4, 3, 5, 7, 6, 8}) last = b.Play(a);
  EXPECT_TRUE(last.terminated);
  EXPECT_EQ(last.reward, 0.0);
}

TEST(TicTacToe, ObservationIsFromThePlayerToMove) {
  Board b("TicTacToe-v0");
  b.env->Reset(0, b.obs.data());
  b.Play(4);  // X in the centre; O to move sees X as the opponent (plane 1)
  EXPECT_EQ(b.obs[4], 0.0f);
  EXPECT_EQ(b.obs[9 + 4], 1.0f);
  b.Play(0);  // O in a corner; X to move sees its centre on plane 0
  EXPECT_EQ(b.obs[4], 1.0f);
  EXPECT_EQ(b.obs[9 + 0], 1.0f);
  EXPECT_EQ(b.game().LegalMask(), (std::vector<uint8_t>{0, 1, 1, 1, 0, 1, 1, 1, 1}));
  // An illegal move loses at once.
  const StepResult r = b.Play(4);
  EXPECT_EQ(r.reward, -1.0);
  EXPECT_TRUE(r.terminated);
}

TEST(TicTacToe, StateRoundTripsAndBadStatesAreNamed) {
  Board b("TicTacToe-v0");
  b.env->Reset(0, b.obs.data());
  b.Play(4);
  const std::vector<double> s = b.env->GetState();
  EXPECT_EQ(s, (std::vector<double>{0, 0, 0, 0, 1, 0, 0, 0, 0, 1}));
  Board c("TicTacToe-v0");
  c.env->Reset(1, c.obs.data());
  c.env->SetState(s);
  EXPECT_EQ(c.game().to_play(), 1);
  EXPECT_THROW(c.env->SetState(std::vector<double>{0, 0, 3, 0, 0, 0, 0, 0, 0, 0}), Error);
  EXPECT_THROW(c.env->SetState(std::vector<double>{0, 0}), Error);
  EXPECT_THROW(MakeEnv("TicTacToe-v0", {{"opponent", std::string("perfect")}}), Error);
  EXPECT_THROW(MakeEnv("ConnectFour-v0", {{"connect", int64_t{9}}}), Error);
}

TEST(ConnectFour, PiecesFallAndFourConnect) {
  Board b("ConnectFour-v0");
  EXPECT_EQ(b.env->action_space().n(), 7);
  b.env->Reset(0, b.obs.data());
  // X stacks column 3 four times while O plays column 0: X's vertical four.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(b.Play(3).reward, 0.0);
    EXPECT_EQ(b.Play(0).reward, 0.0);
  }
  const StepResult r = b.Play(3);
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_TRUE(r.terminated);
  // A full column is illegal.
  Board c("ConnectFour-v0", {{"rows", int64_t{2}}, {"cols", int64_t{3}}, {"connect", int64_t{3}}});
  c.env->Reset(0, c.obs.data());
  c.Play(1);
  c.Play(1);
  EXPECT_EQ(c.game().LegalMask(), (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(c.env->Render(), ".O.\n.X.\nX to move\n");
}

TEST(BoardGames, RandomOpponentMakesASingleAgentMdp) {
  // Every agent move is answered inside Step; rewards are the agent's: +1, -1 or 0 at the end.
  for (int64_t agent_player : {0, 1}) {
    Board b("TicTacToe-v0", {{"opponent", std::string("random")}, {"agent_player", agent_player}});
    int wins = 0, losses = 0;
    for (uint64_t seed = 0; seed < 200; ++seed) {
      b.env->Reset(seed, b.obs.data());
      EXPECT_EQ(b.game().to_play(), agent_player);
      for (;;) {
        const std::vector<uint8_t> legal = b.game().LegalMask();
        const int64_t a = std::find(legal.begin(), legal.end(), 1) - legal.begin();
        const StepResult r = b.Play(a);  // always the first legal cell
        if (r.terminated) {
          wins += r.reward > 0;
          losses += r.reward < 0;
          break;
        }
        EXPECT_EQ(r.reward, 0.0);
        EXPECT_EQ(b.game().to_play(), agent_player);
      }
    }
    EXPECT_GT(wins, 20);
    EXPECT_GT(losses, 5);
  }
}

}  // namespace
}  // namespace bellman
