// Turn-based two-player board games (issue 14; docs/games.md): single-agent Envs whose player to
// move alternates, what AlphaZero-style search and self-play want. The observation is always
// from the point of view of the player to move (canonical form): plane 0 holds its pieces, plane
// 1 the opponent's, as float32 0/1 in a Box of shape [2, rows, cols]. The reward of a step goes
// to the player who made the move: +1 for a win, 0 otherwise; the game terminates on a win or a
// full board. An illegal move (a taken cell, a full column) loses: reward -1, terminated, as in
// PettingZoo's classic games.
//
// Ids and kwargs:
//   TicTacToe-v0    3 x 3, three in a row; action = cell (row * 3 + column).
//   ConnectFour-v0  rows [6], cols [7], connect [4]; action = column, the piece falls to the
//                   lowest empty cell. Small boards (e.g. rows=4 cols=4) can be solved exactly.
// Both take opponent ["none": the caller plays both sides; "random": a uniformly random legal
// move is played inside Step after each of the agent's moves, so the env is an ordinary
// single-agent MDP with reward +1 win, -1 loss, 0 draw] and agent_player [0: the agent moves
// first; 1: with an opponent, the opponent opens the game in Reset].
//
// GetState/SetState: [cell_0 .. cell_{n-1}, to_play], cells 0 empty, 1 player 0's piece, 2
// player 1's.
#pragma once

#include <cstdint>
#include <vector>

#include "bellman/envs/env.h"

namespace bellman {

// A symmetry of a game (a board rotation or reflection): the position and move it maps to,
// as index maps: observation'[i] = observation[obs_index[i]], policy'[a] = policy[action_index[a]].
struct GameSymmetry {
  std::vector<int64_t> obs_index;
  std::vector<int64_t> action_index;
};

class TurnBasedGame : public Env {
 public:
  using Env::Env;
  // The game's symmetries, the identity first (AlphaGo Zero's training augmentation): the 8 of
  // the square for tic-tac-toe, the mirror for Connect Four.
  virtual std::vector<GameSymmetry> Symmetries() const = 0;
  // The player to move (0 or 1).
  virtual int64_t to_play() const = 0;
  // legal[a] != 0 when action a is a legal move now.
  virtual std::vector<uint8_t> LegalMask() const = 0;
};

}  // namespace bellman
