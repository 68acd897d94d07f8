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

TEST(BoardGames, SymmetriesMapPositionsToPositions) {
  // Play a few moves, transform the observation by each symmetry, and compare with the position
  // whose cells are transformed the same way: the same observation, and the winning move maps
  // to a winning move.
  for (const char* id : {"TicTacToe-v0", "ConnectFour-v0"}) {
    Board b(id);
    b.env->Reset(0, b.obs.data());
    const bool ttt = std::string(id) == "TicTacToe-v0";
    for (int64_t a :
         ttt ? std::vector<int64_t>{0, 4, 1, 5} : std::vector<int64_t>{0, 1, 0, 1, 0, 6})
      b.Play(a);
    const std::vector<GameSymmetry> syms = b.game().Symmetries();
    ASSERT_EQ(syms.size(), ttt ? 8u : 2u);
    const std::vector<double> state = b.env->GetState();
    const int64_t cells = static_cast<int64_t>(state.size()) - 1;
    for (const GameSymmetry& s : syms) {
      std::vector<double> mapped(state.size());
      for (int64_t i = 0; i < cells; ++i) mapped[i] = state[static_cast<size_t>(s.obs_index[i])];
      mapped.back() = state.back();
      Board t(id);
      t.env->Reset(0, t.obs.data());
      t.env->SetState(mapped);
      std::vector<float> obs_of_mapped(b.obs.size()), mapped_obs(b.obs.size());
      // The planes the documented layout gives the mapped position (SetState writes no
      // observation), against the observation mapped by the symmetry.
      for (int64_t i = 0; i < cells; ++i) {
        obs_of_mapped[i] = mapped[i] == state.back() + 1 ? 1.0f : 0.0f;
        obs_of_mapped[cells + i] = mapped[i] == 2 - state.back() ? 1.0f : 0.0f;
      }
      for (size_t i = 0; i < mapped_obs.size(); ++i)
        mapped_obs[i] = b.obs[static_cast<size_t>(s.obs_index[i])];
      EXPECT_EQ(mapped_obs, obs_of_mapped);
      // The winning move (TTT: 2 completes 0-1-2; C4: column 0 completes four) maps over.
      const int64_t win = ttt ? 2 : 0;
      int64_t mapped_win = -1;
      for (size_t a = 0; a < s.action_index.size(); ++a)
        if (s.action_index[a] == win) mapped_win = static_cast<int64_t>(a);
      ASSERT_GE(mapped_win, 0);
      EXPECT_EQ(t.Play(mapped_win).reward, 1.0);
    }
    EXPECT_EQ(syms[0].action_index[1], 1);  // the identity first
  }
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
