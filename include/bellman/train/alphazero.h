// AlphaZero (Silver et al. 2018) on a true simulator: self-play with MCTS (planning/mcts.h) on a
// turn-based game, a network with a policy head trained towards the search's visit counts and a
// value head towards the game's outcome, loss (z - v)^2 - pi^T log p + c ||theta||^2 (eq. 1).
// docs/planning.md. Torch-free header (the CLI includes it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bellman/envs/env.h"
#include "bellman/planning/mcts.h"

namespace bellman::train {

struct AlphaZeroConfig {
  std::string env_id = "TicTacToe-v0";
  EnvArgs env_args;
  // Defaults: tic-tac-toe never loses to a perfect player on 6 of 6 seeds not tuned on
  // (docs/planning.md).
  int64_t iterations = 40;
  int64_t games_per_iteration = 100;
  int64_t train_steps_per_iteration = 500;
  int64_t batch_size = 64;
  int64_t buffer_size = 20'000;  // the newest positions kept for training
  double learning_rate = 1e-3;
  double weight_decay = 1e-4;  // c of eq. 1, as Adam's L2 term
  std::vector<int64_t> hidden_sizes = {64, 64};
  // Self-play search: AlphaZero's root noise (alpha 0.3 for chess-sized action sets; 1.0 for
  // tic-tac-toe's 9 moves is closer to alpha = 10 / n), undiscounted.
  planning::MctsConfig mcts = {.num_simulations = 50,
                               .gamma = 1.0,
                               .root_noise = true,
                               .root_dirichlet_alpha = 1.0,
                               .root_exploration_fraction = 0.25};
  // Moves sampled in proportion to the visit counts at the start of each game, then the most
  // visited (AlphaZero's temperature 1, then -> 0). 9: all of tic-tac-toe.
  int64_t temperature_moves = 9;
  // Train on each position under a random symmetry of the board (TurnBasedGame::Symmetries).
  bool augment_symmetries = true;
  // Value target (1 - w) z + w v_root: the game's outcome z mixed with the root search value.
  // Play sampled with temperature makes z a noisy, too kind judge of bad moves; w = 0.5 pulls the
  // target towards the search's minimax-like value.
  double value_target_search_weight = 0.5;
  uint64_t seed = 0;
  void Validate() const;  // throws bellman::Error naming the bad field
};

struct AlphaZeroProgress {
  int64_t iteration = 0;
  int64_t games = 0;                           // self-play games so far
  int64_t positions = 0;                       // in the buffer
  double value_loss = 0.0, policy_loss = 0.0;  // means over the iteration's training steps
  double seconds = 0.0;                        // since the start
  int64_t first_player_wins = 0, second_player_wins = 0, draws = 0;  // this iteration
};

// The trained network and search: the policy of a finished run.
class AlphaZeroAgent {
 public:
  ~AlphaZeroAgent();
  AlphaZeroAgent(AlphaZeroAgent&&) noexcept;
  AlphaZeroAgent& operator=(AlphaZeroAgent&&) noexcept;

  // The network's priors (softmax over every action) and value for the player to move.
  planning::MctsEvaluation Evaluate(const Env& env, const void* obs) const;
  // A deterministic search without root noise: the most visited move.
  int64_t Act(const Env& env, const void* obs, int64_t num_simulations) const;
  // torch::save / torch::load of the network's parameters (the architecture must match).
  void Save(const std::string& path) const;
  void Load(const std::string& path);

  struct Impl;
  explicit AlphaZeroAgent(std::unique_ptr<Impl> impl);
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// An untrained agent (its initial network), for comparisons.
AlphaZeroAgent MakeAlphaZeroAgent(const AlphaZeroConfig& config);
// Self-play training; on_iteration (may be empty) sees each iteration's progress.
AlphaZeroAgent TrainAlphaZero(const AlphaZeroConfig& config,
                              const std::function<void(const AlphaZeroProgress&)>& on_iteration);

// The agent against a perfect player (planning::GameSolver), as the first and as the second
// player, in every line the perfect player's optimal moves allow (it branches over all of them;
// the agent's search is deterministic). Outcomes are counted per line, from the agent's side.
struct VersusPerfectResult {
  int64_t lines = 0, wins = 0, draws = 0, losses = 0;
};
VersusPerfectResult PlayPerfectPlayer(const AlphaZeroAgent& agent, const std::string& env_id,
                                      const EnvArgs& env_args, int64_t num_simulations);

}  // namespace bellman::train
