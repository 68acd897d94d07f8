// Tabular temporal-difference control from samples: Q-learning, SARSA, expected SARSA and
// Double Q-learning, driven through an Env's public Reset/Step (Sutton & Barto 2018, chapter 6;
// van Hasselt 2010). docs/tabular.md has the update rules.
//
// States: a Discrete observation (index = obs - start) or a Tuple of Discrete spaces (Blackjack),
// flattened row-major (last element fastest). Actions: a Discrete action space.
//
// Randomness: the env is reset with `seed` on its first episode and without a seed afterwards
// (so its stream continues, as with Gymnasium's env.reset(seed=seed) followed by env.reset()).
// The agent's draws (epsilon-greedy, Double Q's coin) come from one Rng, the first child of
// SeedSequence(seed) (Rng(seed).Spawn(1)[0]), so they never replay the env's own stream. Same
// config and env -> bit-identical Q tables.
//
// Bootstrapping uses `terminated` only: a terminated step's target is r; a truncated step
// (TimeLimit) bootstraps from the next state's value like any other step, then a new episode
// starts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bellman/envs/env.h"
#include "bellman/tabular/planning.h"

namespace bellman::tabular {

enum class TdMethod { kQLearning, kSarsa, kExpectedSarsa, kDoubleQLearning };

// "q_learning", "sarsa", "expected_sarsa", "double_q_learning".
std::string TdMethodName(TdMethod m);
// Inverse of TdMethodName; throws bellman::Error suggesting the nearest name.
TdMethod ParseTdMethod(const std::string& name);

struct TdConfig {
  double gamma = 0.99;
  double alpha = 0.1;  // step size (learning rate)
  // Epsilon-greedy exploration, linear in env steps t (counted over the whole run):
  // epsilon(t) = epsilon_start + (epsilon_end - epsilon_start) * min(1, t / epsilon_decay_steps);
  // epsilon_decay_steps == 0 means epsilon_end from the first step.
  double epsilon_start = 1.0;
  double epsilon_end = 0.05;
  int64_t epsilon_decay_steps = 10000;
  // Training stops after `episodes` finished episodes or `total_steps` env steps, whichever
  // comes first; 0 means no limit of that kind, and at least one must be > 0. With only
  // `episodes`, an env without a TimeLimit must end its episodes by itself.
  int64_t episodes = 1000;
  int64_t total_steps = 0;
  double q_init = 0.0;  // initial value of every Q(s, a)
  int64_t seed = 0;     // >= 0

  template <class V>
  void Fields(V& v) {
    v("gamma", gamma);
    v("alpha", alpha);
    v("epsilon_start", epsilon_start);
    v("epsilon_end", epsilon_end);
    v("epsilon_decay_steps", epsilon_decay_steps);
    v("episodes", episodes);
    v("total_steps", total_steps);
    v("q_init", q_init);
    v("seed", seed);
  }
  // Throws bellman::Error naming the field, its value and the allowed range.
  void Validate() const;
  // epsilon(t) as documented above.
  double Epsilon(int64_t t) const;
};

struct TdResult {
  QTable Q;                             // for Double Q-learning: (Q^A + Q^B) / 2
  std::vector<int64_t> policy;          // greedy in Q, lowest action index on ties
  std::vector<double> episode_returns;  // undiscounted sum of rewards of each finished episode
  std::vector<int64_t> episode_lengths;
  int64_t total_steps = 0;  // env steps taken
};

// Number of table rows for the env's observation space (Discrete n, or the product of a Tuple's
// Discrete sizes); throws bellman::Error for other spaces.
int64_t NumTabularStates(const Space& observation_space, const std::string& who);

TdResult LearnTd(Env& env, TdMethod method, const TdConfig& config);

// Q-learning (S&B eq. 6.8): Q(S,A) += alpha [R + gamma max_a Q(S',a) - Q(S,A)].
TdResult QLearning(Env& env, const TdConfig& config);
// SARSA (S&B eq. 6.7): Q(S,A) += alpha [R + gamma Q(S',A') - Q(S,A)], A' epsilon-greedy.
TdResult Sarsa(Env& env, const TdConfig& config);
// Expected SARSA (S&B eq. 6.9) with the epsilon-greedy policy as the target policy.
TdResult ExpectedSarsa(Env& env, const TdConfig& config);
// Double Q-learning (van Hasselt 2010, Algorithm 1); acts epsilon-greedily in Q^A + Q^B.
TdResult DoubleQLearning(Env& env, const TdConfig& config);

}  // namespace bellman::tabular
