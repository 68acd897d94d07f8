// Exact negamax of tic-tac-toe and small Connect Four boards, and MCTS in turn-based games.
#include "bellman/planning/game_solver.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "bellman/core/error.h"
#include "bellman/envs/registry.h"
#include "bellman/planning/mcts.h"

namespace bellman::planning {
namespace {

struct Position {
  std::unique_ptr<Env> env;
  std::vector<float> obs;
  explicit Position(const std::string& id, EnvArgs args = {}) : env(MakeEnv(id, args)) {
    obs.resize(static_cast<size_t>(env->observation_space().flat_size()));
    env->Reset(0, obs.data());
  }
  TurnBasedGame& game() { return dynamic_cast<TurnBasedGame&>(*env); }
  void Play(std::initializer_list<int64_t> moves) {
    for (int64_t a : moves) env->Step(&a, obs.data());
  }
};

TEST(GameSolver, TicTacToeIsADrawOver4520Positions) {
  Position p("TicTacToe-v0");
  GameSolver solver;
  EXPECT_EQ(solver.Value(p.game()), 0);
  // Every non-terminal position reachable from the empty board: 4520 (5478 legal positions
  // less the 958 finished ones).
  EXPECT_EQ(solver.positions(), 4520);
  // Opening in a corner draws; the only replies that hold for O are the centre.
  p.Play({0});
  EXPECT_EQ(solver.BestActions(p.game()), (std::vector<int64_t>{4}));
  const std::vector<int> values = solver.ActionValues(p.game());
  EXPECT_EQ(values[4], 0);
  EXPECT_EQ(values[8], -1);
  EXPECT_EQ(values[0], GameSolver::kIllegal);
}

TEST(GameSolver, FindsForcedWinsAndLosses) {
  Position p("TicTacToe-v0");
  GameSolver solver;
  p.Play({0, 4, 8});  // X in opposite corners: O draws only on an edge, a corner loses
  EXPECT_EQ(solver.BestActions(p.game()), (std::vector<int64_t>{1, 3, 5, 7}));
  EXPECT_EQ(solver.ActionValues(p.game())[2], -1);
  Position q("TicTacToe-v0");
  q.Play({0, 1, 4, 2});  // X wins at once with 8; undiscounted, other moves that still force
                         // the win are as good
  EXPECT_EQ(solver.Value(q.game()), 1);
  const std::vector<int64_t> best = solver.BestActions(q.game());
  EXPECT_NE(std::find(best.begin(), best.end(), 8), best.end());
  EXPECT_EQ(solver.ActionValues(q.game())[7], 0);  // 7 lets O block: a draw
}

TEST(GameSolver, SmallConnectFourAndTheLimit) {
  // Connect three on a 3 x 3 board with gravity: small enough to check the value both ways.
  Position p("ConnectFour-v0",
             {{"rows", int64_t{3}}, {"cols", int64_t{3}}, {"connect", int64_t{3}}});
  GameSolver solver;
  const int v = solver.Value(p.game());
  EXPECT_GE(v, -1);
  EXPECT_LE(v, 1);
  // Negamax consistency: the value is the best action value, every position's too.
  const std::vector<int> values = solver.ActionValues(p.game());
  EXPECT_EQ(v, *std::max_element(values.begin(), values.end()));
  Position big("ConnectFour-v0");
  GameSolver small_limit(1000);
  EXPECT_THROW(small_limit.Value(big.game()), Error);
}

TEST(MctsTwoPlayer, ExactValuesGiveAPerfectMoveAndNegamaxQ) {
  // The evaluator knows the game value (for the player to move) and nothing about moves.
  GameSolver solver;
  const MctsEvaluator exact = [&](const Env& env, const void*) {
    const auto& g = dynamic_cast<const TurnBasedGame&>(env);
    return MctsEvaluation{std::vector<double>(9, 1.0), static_cast<double>(solver.Value(g))};
  };
  MctsConfig c;
  c.num_simulations = 200;
  c.gamma = 1.0;
  c.root_noise = false;
  Position p("TicTacToe-v0");
  p.Play({0});  // O to move: only the centre holds the draw
  Rng rng(0);
  const MctsResult r = Mcts(*p.env, p.obs.data(), exact, c, rng);
  EXPECT_EQ(r.action, 4);
  EXPECT_EQ(r.visits[0], 0);  // the taken cell is never searched
  // Q of a child visited once is -V(child): the value for X after O's move, negated.
  c.num_simulations = 3;
  const MctsResult shallow = Mcts(*p.env, p.obs.data(), exact, c, rng);
  int once = 0;
  for (int64_t a = 1; a < 9; ++a) {
    if (shallow.visits[static_cast<size_t>(a)] != 1) continue;
    Position child("TicTacToe-v0");
    child.Play({0, a});
    EXPECT_EQ(shallow.q[static_cast<size_t>(a)], -solver.Value(child.game())) << a;
    ++once;
  }
  EXPECT_GT(once, 0);
}

TEST(MctsTwoPlayer, UninformedSearchWinsAndBlocks) {
  // Uniform priors and value 0: the search alone must take a win and stop the opponent's.
  const MctsEvaluator blind = [](const Env&, const void*) {
    return MctsEvaluation{std::vector<double>(9, 1.0), 0.0};
  };
  MctsConfig c;
  c.num_simulations = 800;
  c.gamma = 1.0;
  c.root_noise = false;
  Rng rng(1);
  Position win("TicTacToe-v0");
  win.Play({0, 3, 1, 4});  // X to move wins at 2
  EXPECT_EQ(Mcts(*win.env, win.obs.data(), blind, c, rng).action, 2);
  Position block("TicTacToe-v0");
  block.Play({0, 4, 1});  // O to move must block at 2
  EXPECT_EQ(Mcts(*block.env, block.obs.data(), blind, c, rng).action, 2);
}

}  // namespace
}  // namespace bellman::planning
