// Text pictures of a value function and a greedy policy on grid-world envs (FrozenLake,
// CliffWalking), for `bellman solve` and debugging.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bellman/envs/env.h"

namespace bellman::tabular {

// How an env's states and actions map to a grid: state s is row s / ncol, column s % ncol.
struct GridLayout {
  int64_t nrow = 0;
  int64_t ncol = 0;
  std::vector<std::string> action_arrows;  // one per action, in the env's action order
  // Per state: a label shown instead of the policy's arrow where acting means nothing (holes
  // and goal "H"/"G", cliff "C"); empty strings (or an empty vector) show the arrow.
  std::vector<std::string> cell_labels;
};

// FrozenLake-v1 and FrozenLake8x8-v1 (actions LEFT DOWN RIGHT UP: ← ↓ → ↑; the map comes from
// `desc` or `map_name` in args, labels H and G; with map_name=None and no desc the map is random,
// 8x8, and unlabelled) and CliffWalking-v1 / CliffWalkingSlippery-v1 (4 x 12, actions UP RIGHT
// DOWN LEFT: ↑ → ↓ ←, cliff C, goal G). nullopt for any other env.
std::optional<GridLayout> GridLayoutFor(const std::string& env_id, const EnvArgs& args = {});

// Two blocks, "V:" then "policy:", each nrow lines of ncol right-aligned cells; V with
// `precision` decimals. Throws bellman::Error if the sizes disagree (V and policy must have
// nrow * ncol entries, every action needs an arrow, cell_labels is empty or nrow * ncol long).
std::string FormatGrid(const std::vector<double>& V, const std::vector<int64_t>& policy,
                       int64_t nrow, int64_t ncol, const std::vector<std::string>& action_arrows,
                       const std::vector<std::string>& cell_labels = {}, int precision = 3);
std::string FormatGrid(const std::vector<double>& V, const std::vector<int64_t>& policy,
                       const GridLayout& layout, int precision = 3);

}  // namespace bellman::tabular
