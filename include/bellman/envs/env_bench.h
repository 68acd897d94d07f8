// Environment throughput measurements, for `bellman bench envs` and bench/envs_bench.cpp.
#pragma once

#include <cstdint>
#include <string>

namespace bellman {

// Steps of one env (MakeEnv(id)) per second of wall time, measured for about `seconds`.
// Actions are random valid actions drawn from Rng(seed) into a buffer beforehand, so drawing
// them is not measured; the env is reset (without a seed) when an episode ends, and those
// resets are part of the measured time. Throws bellman::Error for unknown ids or seconds <= 0.
double MeasureEnvStepsPerSecond(const std::string& id, double seconds, uint64_t seed);

// Env-steps per second (num_envs per batch step) of a sync EnvPool(id, num_envs, {},
// num_threads), with precomputed random actions as above and same-step autoreset.
double MeasurePoolStepsPerSecond(const std::string& id, int num_envs, int num_threads,
                                 double seconds, uint64_t seed);

}  // namespace bellman
