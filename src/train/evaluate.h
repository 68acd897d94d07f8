// Greedy evaluation on fresh seeded envs, and stepping a VecEnv with raw action rows. Internal
// to src/train/ (the public entry points are in bellman/train/train.h).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "bellman/envs/env.h"
#include "bellman/envs/vector_env.h"
#include "bellman/train/train.h"

namespace bellman::train {

// n observations -> n action rows, laid out as the spaces say.
using ActFn = std::function<void(const void* obs, int64_t n, void* actions)>;

// Mean and population std (ddof 0, as np.std) of `returns`.
EvalResult Summarize(std::vector<double> returns);

// One step of every env of `vec` with the action rows in `actions` (int64 or float32 rows, as
// the action space says).
void StepWith(VecEnv& vec, const std::vector<std::byte>& actions);

// A stateful policy's hooks (Algorithm::ResetEpisodes / ObserveStep); empty functions: none.
struct EvalHooks {
  std::function<void(int64_t n)> reset;
  std::function<void(const double* rewards, const uint8_t* dones, int64_t n)> observe;
};

// `episodes` envs made with `args`, env i reset with seed + i, one batched forward per step;
// each env's first episode counted. hooks.reset(episodes) before the first step, hooks.observe
// after every step with its rewards and episode ends.
EvalResult Evaluate(const ActFn& act, const std::string& env_id, int episodes, uint64_t seed,
                    const EnvArgs& args = {}, const EvalHooks& hooks = {});

}  // namespace bellman::train
