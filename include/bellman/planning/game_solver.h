// Exact solutions of small turn-based games (tic-tac-toe, Connect Four on small boards) by
// negamax over every reachable position, memoised on the env's GetState. Values are from the
// point of view of the player to move, undiscounted: +1 a forced win, 0 a draw, -1 a forced
// loss. The perfect player of issue 14's bar ("never loses to a perfect player") picks among
// the moves of best value.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "bellman/envs/board_games.h"

namespace bellman::planning {

class GameSolver {
 public:
  // Throws bellman::Error after max_positions distinct positions (the game is too big).
  explicit GameSolver(int64_t max_positions = 5'000'000) : max_positions_(max_positions) {}

  // The game value of `game`'s current position for the player to move (which must not be a
  // finished game: Env::needs_reset() false).
  int Value(const TurnBasedGame& game);
  // Each action's value for the player to move: the reward of the move plus the negated value
  // of the position it leads to; illegal actions get kIllegal.
  std::vector<int> ActionValues(const TurnBasedGame& game);
  // The legal actions of best value.
  std::vector<int64_t> BestActions(const TurnBasedGame& game);
  int64_t positions() const { return static_cast<int64_t>(memo_.size()); }

  static constexpr int kIllegal = -2;

 private:
  int Solve(const TurnBasedGame& game);
  int64_t max_positions_;
  std::unordered_map<std::string, int8_t> memo_;
};

}  // namespace bellman::planning
