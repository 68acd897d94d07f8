// EnvSpec: what an env is, independent of its state (id, spaces, Gymnasium's TimeLimit). In core
// so that algorithms see spaces and limits without depending on envs/ (DESIGN.md layers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bellman/core/space.h"

namespace bellman {

struct EnvSpec {
  std::string id;
  Space observation_space;
  Space action_space;
  int64_t max_episode_steps = 0;  // 0: no TimeLimit (Blackjack, CliffWalking, MinAtar)
  std::optional<double> reward_threshold;
};

}  // namespace bellman
