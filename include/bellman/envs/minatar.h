// MinAtar (Young & Tian 2019): five miniature Atari games on a 10x10 grid, natively in C++.
//
// Ids: MinAtar/<Game>-v0 (full action set, 6 actions) and MinAtar/<Game>-v1 (the game's minimal
// action set), as MinAtar's own Gymnasium registration; <Game> is Asterix, Breakout, Freeway,
// Seaquest or SpaceInvaders. Keyword arguments: sticky_action_prob (0.1), difficulty_ramping
// (true), use_minimal_action_set (overrides the version's default).
//
// Semantics are MinAtar's exactly (kenjyoung/MinAtar, minatar/environment.py and gym.py):
// - observation: uint8 Box(0, 1, (10, 10, C)), row-major (y, x, channel), the reference's
//   state() array;
// - reset(seed=k) replaces the generator with NumPy's legacy RandomState(k) (the env and its
//   game share it); reset() without a seed continues it; a never-seeded env draws from entropy;
// - step(a): first rand() < sticky_action_prob repeats the previous action (the draw happens
//   even when the probability is 0), then the game's own draws; the previous action starts at
//   0 and, as in MinAtar, is not cleared by reset();
// - terminated when the game ends; no TimeLimit (Freeway ends on its own clock).
// GetState(): [last_action, generator position, 624 generator words, game variables...]; each
// game documents its variables in its source file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bellman/envs/env.h"

namespace bellman {

struct MinAtarOptions {
  double sticky_action_prob = 0.1;
  bool difficulty_ramping = true;
  bool use_minimal_action_set = false;
};

// game: "asterix", "breakout", "freeway", "seaquest" or "space_invaders" (MinAtar's module
// names). Throws bellman::Error for an unknown game or a probability outside [0, 1].
std::unique_ptr<Env> MakeMinAtar(const std::string& game, const MinAtarOptions& options = {});

// MinAtar's module names, in its order.
const std::vector<std::string>& MinAtarGames();

}  // namespace bellman
