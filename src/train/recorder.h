// TransitionRecorder: every transition an online run collects, kept as whole episodes and
// written as a Minari dataset when the run ends (`bellman train --record-dataset DIR`): D4RL's
// medium-replay (the replay of a run trained up to the medium level) and the DQN-replay
// datasets (every transition a DQN run saw) come from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bellman/core/env_spec.h"
#include "bellman/core/space.h"
#include "bellman/io/dataset.h"
#include "bellman/replay/storage.h"

namespace bellman::train {

// Gymnasium's EnvSpec.to_json() fields that readers use (id, max_episode_steps), in its layout
// (collect.cpp).
std::string EnvSpecJson(const EnvSpec& spec);

class TransitionRecorder {
 public:
  // first_obs: the vector env's num_envs first observations.
  TransitionRecorder(const Space& observation_space, const Space& action_space, int num_envs,
                     io::DatasetMetadata metadata, const void* first_obs);
  // One vector step (next_obs rows are the next episode's first observations where
  // has_final_obs is set, as the vector env gives them). Completes an env's episode on
  // terminated or truncated.
  void Record(const TransitionRows& rows);
  // The complete episodes, in the order they ended; an episode still running is left out.
  const io::Dataset& dataset() const { return data_; }

 private:
  struct Episode {
    std::vector<std::byte> obs, actions;
    std::vector<double> rewards;
    std::vector<uint8_t> terminations, truncations;
  };
  Space observation_space_, action_space_;
  std::vector<Episode> running_;
  io::Dataset data_;
};

}  // namespace bellman::train
