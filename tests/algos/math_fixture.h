// Helpers for the algorithm math tests: an algorithm built from inline YAML, a batch whose rows
// are all one transition, and a copy of a declared Rng stream (to replay an update's draws).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bellman/algos/algorithm.h"
#include "bellman/core/rng.h"
#include "bellman/replay/replay_buffer.h"

namespace torch::nn {
class Module;
}

namespace bellman::algos::testing {

// Sets the one linear layer of `module` to weight `w` (row-major) and bias `b` (fails the test
// for another shape or more layers).
void SetLinear(torch::nn::Module& module, const std::vector<float>& w, const std::vector<float>& b);

// `algo` on `env_id`, configured by the YAML map `config` (net seed 1, explore seed 2).
std::unique_ptr<Algorithm> MakeAlgo(const std::string& algo, const std::string& env_id,
                                    const std::string& config);

// A batch of `rows` copies of (obs, action, reward, next_obs, terminated), one-step discount 0.5.
// `action` holds one index for a discrete space, or the action vector for a box.
Batch OneTransitionBatch(const std::string& env_id, std::vector<float> obs,
                         std::vector<float> action, double reward, std::vector<float> next_obs,
                         bool terminated, int64_t rows = 4);

// One OffPolicyAlgorithm::Update on `batch`, its metrics by name (fails the test if `algo` is not
// off-policy).
std::map<std::string, double> UpdateMetrics(Algorithm& algo, const Batch& batch);

// The Rng stream the algorithm declared as `name`, in its current state.
Rng DeclaredRng(Algorithm& algo, const std::string& name);

}  // namespace bellman::algos::testing
