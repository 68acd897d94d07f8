// Minimax-DQN (Fan, Wang, Xie & Yang 2020, "A Theoretical Analysis of Deep Q-Learning",
// section 5): DQN for two-player zero-sum Markov games. A network gives player 0's Q(s, a, o)
// for every joint action; the target of a transition is r + gamma val(Q_target(s', ., .)) with
// val the value of the stage matrix game (GLPK's LP, tabular/games.h), 0 after a termination;
// player 0 acts by the maximin strategy of Q(s, ., .) (uniform with probability explore).
// Player 1 is uniform random or, in self-play, the minimax (column) strategy of the same Q.
// docs/games.md. Torch-free header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bellman/envs/env.h"

namespace bellman::train {

struct MinimaxDqnConfig {
  std::string env_id = "Soccer-v0";
  EnvArgs env_args;
  int64_t steps = 100'000;
  int64_t learning_starts = 1'000;
  int64_t buffer_size = 100'000;
  int64_t batch_size = 64;
  int64_t train_freq = 1;
  int64_t target_update_interval = 500;  // env steps between hard target copies
  double gamma = 0.9;
  double learning_rate = 1e-3;
  double explore = 0.2;
  std::vector<int64_t> hidden_sizes = {128, 128};
  std::string opponent = "self";  // self | random
  uint64_t seed = 0;
  void Validate() const;  // throws bellman::Error naming the bad field
};

struct MinimaxDqnResult {
  // Both players' stage-game strategies of the final Q at every state (player 1's from the
  // column player's LP), and the stage values.
  std::vector<std::vector<double>> pi0, pi1;
  std::vector<double> V;
  int64_t episodes = 0, updates = 0;
};

// The env must be a two-player zero-sum MultiAgentEnv with a model (Discrete state index
// observations, one-hot encoded for the network).
MinimaxDqnResult TrainMinimaxDqn(const MinimaxDqnConfig& config);

}  // namespace bellman::train
