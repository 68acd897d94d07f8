// Gymnasium's toy-text environments: FrozenLake, CliffWalking, Taxi, Blackjack.
//
// The envs themselves are built through the registry (MakeEnv("FrozenLake-v1", {...})); this
// header holds the public pieces that are useful on their own: FrozenLake's named maps and the
// random map generator, both exactly as gymnasium.envs.toy_text.frozen_lake defines them, and
// MakeFrozenLake for the one constructor argument gym.make kwargs cannot carry
// (reward_schedule).
//
// Ids and kwargs (gym.make semantics; registered defaults in brackets):
//   FrozenLake-v1      desc (list of strings), map_name ["4x4"; "8x8"; None = random 8x8 map],
//                      is_slippery [true], success_rate [1/3]. TimeLimit 100.
//   FrozenLake8x8-v1   the same with map_name "8x8". TimeLimit 200.
//   CliffWalking-v1    is_slippery [false]. No TimeLimit. CliffWalking-v0 is an alias: Gymnasium's
//                      v0 (<= 1.0) is the same env without the is_slippery option.
//   CliffWalkingSlippery-v1  is_slippery [true]. No TimeLimit.
//   Taxi-v4            is_rainy [false], fickle_passenger [false], rainy_probability [0.8],
//                      fickle_probability [0.3]. TimeLimit 200. Taxi-v3 is an alias.
//   Blackjack-v1       sab [true], natural [false]. No TimeLimit.
//   FourRooms-v0       goal [62], success_rate [2/3] (Sutton, Precup & Singh 1999). No TimeLimit.
//
// State layouts (Env::GetState / SetState), all values integers stored as doubles:
//   FrozenLake, CliffWalking: [s, lastaction]          (lastaction -1 = None, right after reset)
//   Taxi:                     [s, lastaction, fickle_step]
//                             SetState accepts these with trailing entries left out (lastaction
//                             None, fickle_step false), e.g. [s] for planning.
//   Blackjack:                [n_player, player cards..., n_dealer, dealer cards..., suit, face]
//                             cards are 1..10 (1 = ace); suit 0..3 = C, D, H, S of the dealer's
//                             shown card; face 0..2 = J, Q, K when that card is a 10, else -1.
//                             suit and face only matter for Render() and may be omitted
//                             (then suit C, and face J for a 10). SetState accepts the hands
//                             play can reach: player's cards (aces as 1) summing to <= 31,
//                             dealer's to <= 26.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bellman/envs/env.h"

namespace bellman {

// FourRooms-v0's map (Sutton, Precup & Singh 1999, Figure 2): 13 rows of 13 characters, '#'
// wall, '.' room cell, 'H' hallway; state s is the s-th non-wall cell in row-major order (104
// states; hallways 25, 51, 62, 88). src/envs/four_rooms.cpp documents the env.
const std::vector<std::string>& FourRoomsMap();

// FrozenLake's predefined maps (frozen_lake.MAPS): "4x4" and "8x8". Throws bellman::Error
// naming the valid names for any other name.
const std::vector<std::string>& FrozenLakeMap(const std::string& map_name);
std::vector<std::string> FrozenLakeMapNames();

// frozen_lake.generate_random_map: draws size x size tiles, 'F' with probability p and 'H'
// otherwise (np_random(seed).choice(["F", "H"], (size, size), p=[p, 1 - p])), sets the top-left
// tile to 'S' and the bottom-right to 'G', and redraws the whole board until a path of non-hole
// tiles joins them. Same seed, same map as Gymnasium. Without a seed the generator is seeded from
// OS entropy (as Gymnasium does). p above 1 is treated as 1, as Gymnasium's min(1, p) does.
// Throws for size < 2 or p <= 0 (no valid board can be drawn: Gymnasium loops forever).
std::vector<std::string> GenerateRandomMap(int64_t size = 8, double p = 0.8,
                                           std::optional<uint64_t> seed = std::nullopt);

// frozen_lake.is_valid: whether a path of non-'H' tiles leads from (0, 0) to a 'G' tile
// (4-neighbourhood). `board` must be square with side `size`.
bool IsValidFrozenLakeMap(const std::vector<std::string>& board, int64_t size);

// FrozenLakeEnv's constructor arguments, for C++ callers. gym.make kwargs cover all of them but
// reward_schedule (a tuple, which EnvArgs cannot hold).
struct FrozenLakeConfig {
  // The map, one string per row, tiles 'S' (start; at least one), 'F', 'H', 'G'. nullopt: use
  // map_name.
  std::optional<std::vector<std::string>> desc;
  // "4x4" or "8x8"; nullopt (Python's None) without a desc: GenerateRandomMap() (8x8, p = 0.8,
  // unseeded).
  std::optional<std::string> map_name = "4x4";
  bool is_slippery = true;
  // Probability of the intended move when slippery; each perpendicular move gets
  // (1 - success_rate) / 2.
  double success_rate = 1.0 / 3.0;
  // Rewards for entering a goal, a hole, a frozen (or start) tile.
  std::array<double, 3> reward_schedule = {1.0, 0.0, 0.0};
};

// The env that MakeEnv("FrozenLake-v1", ...) builds, from a config. max_episode_steps 0: no
// TimeLimit. Throws bellman::Error for an invalid config.
std::unique_ptr<Env> MakeFrozenLake(const FrozenLakeConfig& config,
                                    const std::string& id = "FrozenLake-v1",
                                    int64_t max_episode_steps = 100);

}  // namespace bellman
