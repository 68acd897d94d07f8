// Multi-agent envs (issue 14; docs/games.md): N agents act at once each step, each with its own
// observation, Discrete action and reward (PettingZoo's parallel API, in C++ buffers as env.h).
//
// The public Reset/Step enforce the same episode protocol as Env: reset before step, no step
// after the episode ended, every action inside its agent's space, and the TimeLimit truncation
// (max_episode_steps; 0 for none). Two-player zero-sum games with a known model also give it as
// a MarkovGameModel, what Shapley's value iteration and the exploitability of a policy need.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bellman/core/rng.h"
#include "bellman/core/space.h"
#include "bellman/envs/env.h"

namespace bellman {

struct JointStepResult {
  std::vector<double> rewards;  // one per agent
  bool terminated = false;
  bool truncated = false;
};

// P[s][a][o][k]: the k-th outcome of player 0 playing a and player 1 playing o in state s; the
// reward is player 0's (player 1 receives its negation). Terminal outcomes end the game.
using MarkovGameModel = std::vector<std::vector<std::vector<std::vector<Transition>>>>;

class MultiAgentEnv {
 public:
  MultiAgentEnv(std::string id, std::vector<Space> observation_spaces,
                std::vector<Space> action_spaces, int64_t max_episode_steps);
  virtual ~MultiAgentEnv() = default;
  MultiAgentEnv& operator=(const MultiAgentEnv&) = delete;

  const std::string& id() const { return id_; }
  int64_t num_agents() const { return static_cast<int64_t>(action_spaces_.size()); }
  const Space& observation_space(int64_t agent) const;
  const Space& action_space(int64_t agent) const;

  // obs[i] is agent i's buffer, laid out as observation_space(i). A seed re-seeds the env's
  // generator with Rng(seed), as Env::Reset.
  void Reset(std::optional<uint64_t> seed, std::span<void* const> obs);
  // actions[i] is agent i's action. Throws bellman::Error for a step before reset or after the
  // episode ended, the wrong number of actions, or an action outside its agent's space.
  JointStepResult Step(std::span<const int64_t> actions, std::span<void* const> obs);

  virtual std::vector<double> GetState() const = 0;
  virtual void SetState(std::span<const double> state) = 0;
  virtual std::unique_ptr<MultiAgentEnv> Clone() const = 0;
  virtual std::string Render() const = 0;
  // Two-player zero-sum tabular games: the model, and the index of the current state in it.
  virtual bool has_model() const { return false; }
  virtual const MarkovGameModel& Model() const;
  virtual int64_t StateIndex() const;
  // The distribution of the state index after Reset (sums to 1).
  virtual std::vector<double> InitialDistribution() const;

  int64_t max_episode_steps() const { return max_episode_steps_; }
  void set_max_episode_steps(int64_t n) { max_episode_steps_ = n; }
  int64_t elapsed_steps() const { return elapsed_steps_; }
  Rng& np_random();

 protected:
  MultiAgentEnv(const MultiAgentEnv&) = default;  // for Clone()
  virtual void DoReset(std::span<void* const> obs) = 0;
  virtual JointStepResult DoStep(std::span<const int64_t> actions, std::span<void* const> obs) = 0;
  void MarkRunning() { needs_reset_ = false; }

 private:
  std::string id_;
  std::vector<Space> observation_spaces_, action_spaces_;
  int64_t max_episode_steps_;
  int64_t elapsed_steps_ = 0;
  bool needs_reset_ = true;
  std::optional<Rng> rng_;
};

// The multi-agent registry: CoinGame-v0 (Lerer & Peysakhovich 2017, LOLA's version),
// IteratedPrisonersDilemma-v0 (memory-1 observations), MatrixGame-v0
// (a zero-sum matrix game as a one-step game), Soccer-v0 (Littman 1994). Unknown ids and kwargs
// throw bellman::Error with a suggestion.
std::unique_ptr<MultiAgentEnv> MakeMultiAgentEnv(const std::string& id, const EnvArgs& args = {});
std::vector<std::string> MultiAgentEnvIds();

}  // namespace bellman
