// DQN learners on a multi-agent env (envs/multi_agent.h): one learner per agent (independent
// Q-learning, each agent treating the others as part of its environment) or one shared network
// for all agents (parameter sharing, the agent's index appended one-hot to its observation),
// with self-play checkpoints: every `checkpoint_every` steps the learners' networks are saved
// (to a pool in memory, and as files when a run directory is given), and with
// opponents = "pool" (shared learners) the learner takes a random seat each episode while the
// other seats play a checkpoint drawn from the pool, and only the learner's seat trains
// (self-play against past selves, as in fictitious self-play). docs/games.md. Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bellman/envs/env.h"

namespace bellman::train {

struct MultiAgentDqnConfig {
  std::string env_id = "IteratedPrisonersDilemma-v0";
  EnvArgs env_args;
  std::string learners = "independent";  // independent | shared
  std::string opponents = "learners";    // learners | pool (shared; checkpoint_every > 0)
  int64_t steps = 30'000;                // joint env steps
  int64_t learning_starts = 1'000;
  int64_t buffer_size = 50'000;  // per learner
  int64_t batch_size = 64;
  int64_t train_freq = 1;
  int64_t target_update_interval = 500;
  double gamma = 0.96;
  double learning_rate = 1e-3;
  double epsilon_start = 1.0, epsilon_end = 0.05;
  double exploration_fraction = 0.3;  // of the steps, for the linear epsilon decay
  std::vector<int64_t> hidden_sizes = {64, 64};
  int64_t checkpoint_every = 0;  // 0: no self-play checkpoints
  std::string run_dir;           // checkpoints as <run_dir>/selfplay/learner<L>_step<T>.pt
  uint64_t seed = 0;
  void Validate() const;  // throws bellman::Error naming the bad field
};

struct MultiAgentDqnProgress {
  int64_t steps = 0, episodes = 0, updates = 0;
  std::vector<double> recent_return;  // per agent, mean of the last 20 finished episodes
  double seconds = 0.0;
};

struct MultiAgentDqnResult {
  std::vector<double> recent_return;  // per agent, the last 20 training episodes
  // Greedy play after training (no exploration), per agent: with every learner acting, and
  // agent 0's learner against uniformly random other agents.
  std::vector<double> greedy_return, versus_random_return;
  int64_t episodes = 0, updates = 0;
  std::vector<std::string> checkpoints;  // files written
  int64_t pool_size = 0;
};

MultiAgentDqnResult TrainMultiAgentDqn(
    const MultiAgentDqnConfig& config,
    const std::function<void(const MultiAgentDqnProgress&)>& on_progress = nullptr,
    int64_t log_every = 5'000, int64_t eval_episodes = 20);

}  // namespace bellman::train
