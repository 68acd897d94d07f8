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

// `episodes` envs made with `args`, env i reset with seed + i, one batched forward per step;
// each env's first episode counted.
EvalResult Evaluate(const ActFn& act, const std::string& env_id, int episodes, uint64_t seed,
                    const EnvArgs& args = {});

}  // namespace bellman::train
