// The run's configuration: resolving trainer + algorithm keys from a preset, a YAML file and
// --set overrides into the fully resolved config.yaml; presets; the seed streams of a run.
// Internal to src/train/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bellman/core/rng.h"
#include "bellman/envs/env.h"
#include "bellman/train/train.h"

namespace bellman::train {

// Resolves trainer + algorithm config: returns the fully resolved YAML (config.yaml) and the
// trainer's part in *out. Top-level keys are the trainer's (TrainConfig, env_kwargs), the
// algorithm's section (`dqn:`), or, in overrides only, one of the algorithm's keys
// ("lr=1e-3" = "dqn.lr=1e-3"). A YAML file and --set get the same error for any other key.
YAML::Node Resolve(YAML::Node root, const std::vector<std::string>& overrides, TrainConfig* out);

// config.yaml's text (doubles with 17 digits: the exact values read back).
std::string ToYaml(const YAML::Node& node);

// The kwargs the run's envs are made with: env_kwargs plus max_episode_steps (-1: the env's own).
EnvArgs RunEnvArgs(const TrainConfig& tc);

// Throws bellman::Error for an id no env is registered under ("did you mean" + where to look).
void CheckEnvId(const std::string& id);

// "20261205-221500", local time: the suffix of a default run directory.
std::string Timestamp();

// The trainer's streams, all from the root seed (DESIGN.md: one root seed, a stream per
// consumer).
struct Streams {
  uint64_t env_seed;   // train env i is reset with env_seed + i
  uint64_t eval_seed;  // eval env i is reset with eval_seed + i, at every periodic evaluation
  // The final evaluation's env i is reset with final_eval_seed + i: episodes that played no part
  // in the choice to stop (eval_stop_return picks the network that did well on eval_seed's
  // episodes, so re-using them would report a biased number).
  uint64_t final_eval_seed;
  Rng sampler;
  Rng explore;
  Rng net;
};
Streams MakeStreams(int64_t seed);

}  // namespace bellman::train
