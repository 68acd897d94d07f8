// `bellman collect` and `bellman dataset`: offline datasets from a policy playing an env.
// Torch-free header (the CLI includes it).
#pragma once
#include <cstdint>
#include <ostream>
#include <string>

namespace bellman::train {

struct CollectOptions {
  std::string env;
  // "random" (the action space's uniform sample) or a run/checkpoint directory whose greedy
  // policy plays, with probability `epsilon` replaced by a random action.
  std::string policy = "random";
  double epsilon = 0.0;
  // Box actions: Gaussian noise N(0, noise^2) in [-1, 1] units (a fraction of the half-range)
  // added to the policy's action and clipped to the bounds, the stochastic behaviour D4RL's
  // datasets come from. Draws come from Rng(seed) after the epsilon draw.
  double noise = 0.0;
  int64_t episodes = 0;    // exactly one of episodes / steps is > 0
  int64_t steps = 0;       // whole episodes until at least this many steps
  int64_t seed = 0;        // episode i is reset with seed + i; the random actions use Rng(seed)
  std::string out;         // the Minari dataset folder to write
  std::string dataset_id;  // default: "bellman/<env>-<policy kind>-v0"
};

// Plays the episodes and writes the dataset atomically; returns the number of episodes.
int64_t Collect(const CollectOptions& options);

// `bellman dataset make`: D4RL's recipes (random, medium, medium-replay, expert, medium-expert)
// for Pendulum-v1, Hopper-v4 and HalfCheetah-v4, and DQN-replay datasets (replay, random) for
// MinAtar Breakout and SpaceInvaders, reproducible from `seed` (docs/offline.md, "Recipes").
struct MakeDatasetOptions {
  std::string env;
  std::string level;
  std::string out;
  int64_t seed = 0;
  int64_t steps = 0;     // dataset steps (0: the recipe's); MinAtar replay: the DQN run's env steps
  std::string policies;  // where the behaviour policies' runs are kept and reused (default:
                         // runs/dataset-make/<env>-seed<seed>)
};
// Trains (or reuses) the behaviour policies and writes the dataset, with D4RL's reference scores
// (the random policy's and the expert's mean returns) in its metadata. Returns `out`.
std::string MakeDataset(const MakeDatasetOptions& options);

// Episodes, steps, return mean/min/max, spaces and references of a dataset (Minari or D4RL).
void PrintDatasetInfo(const std::string& path, std::ostream& out);

// `bellman dataset best-of-n`: the data of Best-of-N's distillation step (V-GPS): every action
// of `dataset` replaced by Best-of-N's choice at its observation (n candidates sampled from the
// run `policy`, ranked by the run `critic`'s Q; train.h's BestOfNAct); observations, rewards and
// episode ends unchanged, so `train --algo bc` on the result imitates the argmax candidate.
// Writes `out` atomically (Minari) and returns the number of relabelled steps.
int64_t RelabelBestOfN(const std::string& dataset, const std::string& policy,
                       const std::string& critic, int n, const std::string& out);
// A Minari dataset (or D4RL file) rewritten as D4RL's flat HDF5 file.
void ExportD4rl(const std::string& path, const std::string& out_file);

}  // namespace bellman::train
