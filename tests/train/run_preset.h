// Learning tests' helper: one training run from a preset, its result printed.
#pragma once

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "bellman/train/train.h"
#include "io/temp_dir.h"

namespace bellman::train::test_util {

// Trains `algo` on `env` with configs/<algo>/<preset>.yaml and `seed` in tmp/run, quietly, and
// prints the final evaluation (so a log shows each seed's result).
inline TrainResult RunPreset(const std::string& algo, const std::string& env,
                             const std::string& preset, int seed, const test::TempDir& tmp,
                             std::vector<std::string> overrides = {}) {
  TrainOptions o;
  o.algo = algo;
  o.env = env;
  o.config_path = PresetPath(algo, preset);
  o.seed = seed;
  o.run_dir = (tmp / "run").string();
  o.progress = false;
  o.verbose = false;
  o.overrides = std::move(overrides);
  TrainResult r = Train(o);
  std::cout << algo << " " << env << " seed " << seed << ": eval " << r.final_eval.mean << " +/- "
            << r.final_eval.std << " after " << r.env_steps << " env steps, " << r.wall_seconds
            << " s\n";
  return r;
}

}  // namespace bellman::train::test_util
