// Algorithm, OffPolicyAlgorithm, OnPolicyAlgorithm: what the trainer's loops (src/train/) see of
// an algorithm, and the algorithm registry. Torch-free: the trainer and the CLI compile without
// <torch/torch.h>.
//
// An algorithm owns its networks, optimizer, counters and its exploration generator; it never
// touches envs, the replay buffer or files: it declares its state (DeclareState) and train/
// writes that through io's atomic files and checksums (docs/architecture.md).
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bellman/core/collective.h"
#include "bellman/core/config.h"
#include "bellman/core/env_spec.h"
#include "bellman/core/rng.h"
#include "bellman/replay/batch.h"
#include "bellman/replay/replay_buffer.h"

namespace bellman::nets {
class StateDict;  // bellman/nets/state_dict.h (torch)
}

namespace bellman::io {
class Dataset;  // bellman/io/dataset.h
}

namespace bellman::algos {

// Named scalars from one Update, in a fixed order (the progress.csv columns).
using Metrics = std::vector<std::pair<std::string, double>>;

// How the trainer drives an off-policy algorithm (SB3's OffPolicyAlgorithm semantics).
struct OffPolicySchedule {
  int64_t learning_starts = 0;  // env steps of uniform random actions before any update
  int64_t train_freq = 1;       // vector-env steps between update rounds
  int64_t gradient_steps = 1;   // updates per round; -1: as many as env steps in the round
  int64_t batch_size = 32;
  ReplayConfig replay;
  // Offline runs only: rewards scaled by max_episode_steps / (max - min episode return of the
  // dataset), CORL's modify_reward for locomotion (docs/offline.md, "Reward normalisation").
  bool normalize_reward = false;
};

// What every loop sees: acting, the per-step hook, logs and the algorithm's checkpoint files.
class Algorithm {
 public:
  virtual ~Algorithm() = default;
  // One batched forward for n observations laid out as the observation space says; writes n
  // actions laid out as the action space says (int64 for Discrete, float32[dim] rows for Box,
  // already inside the space's bounds). explore: the algorithm's exploration (epsilon-greedy,
  // action noise, a sampled stochastic policy; random actions before learning_starts);
  // otherwise its deterministic evaluation policy.
  virtual void Act(const void* obs, int64_t n, bool explore, void* actions) = 0;
  // Called once per vector-env step with the total env steps so far (schedules, target updates).
  virtual void OnEnvStep(int64_t env_steps) = 0;
  // Metric names the algorithm's updates return, in order.
  virtual std::vector<std::string> metric_names() const = 0;
  // Extra scalars for logs (e.g. the exploration rate).
  virtual Metrics Stats() const = 0;
  // Declares everything a checkpoint holds (networks, optimizers, counters, generators, a
  // rollout in progress) by name, once: the same list saves and loads (nets::StateDict).
  virtual void DeclareState(nets::StateDict& state) = 0;
  // With AlgoContext::profile: seconds spent so far in each phase of an update ("forward",
  // "backward", "optimizer") and of OnEnvStep ("target_update"). Empty when profiling is off.
  virtual Metrics ProfileSeconds() const { return {}; }
  // Stateful policies (Decision Transformer) keep a history per env. ResetEpisodes(n): n fresh
  // envs are about to play (evaluation). ObserveStep: after each vector step, its rewards and
  // episode ends (an env whose episode ended starts a new one at its next Act). No-ops for
  // the others.
  virtual void ResetEpisodes(int64_t /*n*/) {}
  virtual void ObserveStep(const double* /*rewards*/, const uint8_t* /*dones*/, int64_t /*n*/) {}
};

// Learns from a replay buffer the trainer keeps: one gradient step per sampled batch.
class OffPolicyAlgorithm : public Algorithm {
 public:
  // One gradient step on a sampled batch.
  virtual Metrics Update(const Batch& batch) = 0;
  // |TD error| of each row of the last Update (new PER priorities).
  virtual std::span<const float> td_errors() const = 0;
  virtual OffPolicySchedule schedule() const = 0;

  // Ape-X (docs/distributed.md): whether the algorithm can run as actors and a learner (the
  // DQN family). The two calls below throw bellman::Error for the others.
  virtual bool SupportsApex() const { return false; }
  // |TD error| of each row of `batch` under the current networks, learning nothing: an actor's
  // initial priorities for the transitions it sends (Horgan et al. 2018, Algorithm 1 line 9).
  virtual void TdErrorsOf(const Batch& batch, std::vector<float>& out);
  // An actor explores with this constant rate from its first step (epsilon_i), with no random
  // warm-up and no schedule.
  virtual void FixExplorationRate(double rate);
};

// Learns from whole trajectory segments of the offline dataset it was given
// (AlgoContext::dataset) rather than from replayed transitions (Decision Transformer): the
// offline loop calls UpdateOnSegments once per gradient step and builds no replay buffer.
class SequenceAlgorithm : public Algorithm {
 public:
  virtual Metrics UpdateOnSegments() = 0;
};

// Keeps its own rollout (PPO): the trainer builds no replay buffer and hands it every vector
// step; the rollout in progress is part of the algorithm's checkpoint files.
class OnPolicyAlgorithm : public Algorithm {
 public:
  // The transitions of the last explore Act. Returns true when the rollout is complete; the
  // trainer then calls Update.
  virtual bool Observe(const TransitionRows& rows) = 0;
  // Trains on the complete rollout (several epochs inside) and starts the next one.
  virtual Metrics Update() = 0;
};

// What an algorithm needs to be built besides its config.
struct AlgoContext {
  EnvSpec env;
  int num_envs = 1;
  int64_t total_timesteps = 0;  // for the exploration schedule
  Rng net_rng;                  // network initialisation
  Rng explore_rng;              // epsilon-greedy draws
  std::string device = "cpu";
  bool profile = false;  // time the phases of Update (ProfileSeconds)
  // Offline runs: per-element mean and std of the dataset's observations (one row per
  // transition), for algorithms that normalise states (TD3+BC). Empty when training online.
  std::vector<double> dataset_obs_mean = {};
  std::vector<double> dataset_obs_std = {};
  // Offline runs: the dataset itself (outlives the algorithm), for SequenceAlgorithm.
  const io::Dataset* dataset = nullptr;
  // Data-parallel runs (docs/distributed.md): the group whose mean gradient every optimizer
  // step uses (nets::GradientSync), and how many all-reduces between parameter-hash checks
  // (0: none). nullptr: one process.
  Collective* collective = nullptr;
  int64_t dist_check_interval = 0;
};

struct AlgoRegistration {
  std::string name;
  // The fully resolved config (every field, defaults filled in) from the user's YAML map;
  // throws bellman::Error for unknown keys and values Validate() rejects.
  std::function<YAML::Node(const YAML::Node&)> resolve;
  std::function<std::unique_ptr<Algorithm>(const YAML::Node& resolved, AlgoContext)> make;
};

// The registry entry of an algorithm whose Config has Fields, Validate(name), and whose
// constructor is Algo(Config, AlgoContext, name). `defaults` lets one algorithm file register
// variants (Rainbow is C51 with Rainbow's defaults, DDPG is TD3 with DDPG's).
template <class Algo, class Config>
AlgoRegistration MakeRegistration(const std::string& name, Config defaults = Config()) {
  auto load = [name, defaults](const YAML::Node& node) {
    Config c = LoadConfig<Config>(node, name, defaults);
    c.Validate(name);
    return c;
  };
  return AlgoRegistration{
      .name = name,
      .resolve = [load](const YAML::Node& node) { return DumpConfig(load(node)); },
      .make = [load, name](const YAML::Node& node,
                           AlgoContext context) -> std::unique_ptr<Algorithm> {
        return std::make_unique<Algo>(load(node), std::move(context), name);
      }};
}

// Checks of keys that several algorithm configs share; each throws bellman::Error naming
// "<algo>.<key>" and the value (core/validate.h).
void ValidateReplaySchedule(const std::string& algo, int64_t batch_size, int64_t buffer_size,
                            int64_t learning_starts, int64_t train_freq, int64_t gradient_steps);
void ValidateEpsilonSchedule(const std::string& algo, double fraction, double initial_eps,
                             double final_eps);

// The algorithm's declared state as bytes (a torch archive), and back. LoadState throws
// bellman::Error naming the entry that is missing or does not fit this config.
std::string SaveState(Algorithm& algo);
void LoadState(Algorithm& algo, std::string_view bytes);
// Only the declared networks (modules: online and target), not optimizers, counters or
// generators: what an Ape-X learner sends its actors, which keep their own exploration state.
std::string SaveParams(Algorithm& algo);
void LoadParams(Algorithm& algo, std::string_view bytes);

// Registered algorithms ("dqn"), sorted by name. Each algorithm file registers itself with
// BELLMAN_REGISTER_ALGORITHMS (below); the build lists every such file (docs/architecture.md).
const std::vector<AlgoRegistration>& AlgoRegistry();
// Throws bellman::Error for an unknown name, suggesting the nearest one.
const AlgoRegistration& FindAlgo(const std::string& name);

// Opens the registration function of an algorithm file: CMakeLists.txt finds every line
// `BELLMAN_REGISTER_ALGORITHMS(id)` in src/algos/*.cpp and calls RegisterAlgorithms_<id> from a
// generated source, so a new algorithm is one file (+ preset + test) and no list to edit. The
// body appends the file's registrations to `registry`:
//   BELLMAN_REGISTER_ALGORITHMS(qrdqn) { registry.push_back(MakeRegistration<...>("qrdqn")); }
#define BELLMAN_REGISTER_ALGORITHMS(id) \
  void RegisterAlgorithms_##id(std::vector<::bellman::algos::AlgoRegistration>& registry)

}  // namespace bellman::algos
