// Minimax-DQN: a Q-network over joint actions with LP targets, on a matrix game (the exact
// value and an equilibrium). Soccer's figures (docs/games.md) take 30-60 s: not a CI test.
#include "bellman/train/minimax_dqn.h"

#include <gtest/gtest.h>

#include "bellman/core/error.h"
#include "bellman/tabular/markov_games.h"

namespace bellman::train {
namespace minimax_dqn_test {

TEST(MinimaxDqn, LearnsAMatrixGamesValueAndEquilibrium) {
  MinimaxDqnConfig c;
  c.env_id = "MatrixGame-v0";
  c.env_args = {{"game", std::string("random")}, {"seed", int64_t{3}}};
  c.steps = 3000;
  c.learning_starts = 200;
  c.target_update_interval = 100;
  c.seed = 1;
  const MinimaxDqnResult r = TrainMinimaxDqn(c);
  const tabular::MatrixGame g = tabular::RandomMatrixGame(5, 5, 3);
  const double value = tabular::SolveZeroSumGame(g).value;
  EXPECT_NEAR(r.V[0], value, 0.02);
  // The learned strategies are close to an equilibrium of the true game.
  EXPECT_LT(tabular::Exploitability(g, r.pi0[0], r.pi1[0]), 0.05);
}

TEST(MinimaxDqn, BadConfigIsNamed) {
  MinimaxDqnConfig c;
  c.opponent = "me";
  EXPECT_THROW(TrainMinimaxDqn(c), Error);
  c = MinimaxDqnConfig{};
  c.env_id = "CoinGame-v0";  // general-sum, no model
  EXPECT_THROW(TrainMinimaxDqn(c), Error);
}

}  // namespace minimax_dqn_test
}  // namespace bellman::train
