// The parts of a training loop (src/train/run.cpp drives them): the phase timers of
// `profile: true`, and the Learner that stores each vector step's transitions and trains on them
// when due. The off-policy learner (off_policy.cpp) keeps a replay buffer and runs SB3's
// train_freq/gradient_steps rounds; the on-policy one (on_policy.cpp) hands transitions to the
// algorithm's rollout and trains when it is full. Internal to src/train/.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "bellman/algos/algorithm.h"
#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/replay/batch.h"

namespace bellman::io {
class Dataset;  // bellman/io/dataset.h
}

namespace bellman::train {

// Wall-clock seconds per phase of the loop (config `profile: true`). Off: no clock reads.
class Phase {
 public:
  explicit Phase(double* acc) : acc_(acc) {
    if (acc_) t0_ = std::chrono::steady_clock::now();
  }
  ~Phase() {
    if (acc_)
      *acc_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }
  Phase(const Phase&) = delete;
  Phase& operator=(const Phase&) = delete;

 private:
  double* acc_;
  std::chrono::steady_clock::time_point t0_;
};

struct LoopProfile {
  double env = 0.0;     // VectorEnv::Step (dynamics, autoreset)
  double replay = 0.0;  // AddStep, Sample, UpdatePriorities
  double act = 0.0;     // acting: one batched forward + epsilon draws
  double update = 0.0;  // Algorithm::Update in total (split by the algorithm's own profile)
  double target = 0.0;  // OnEnvStep (schedules, target network updates)
  double eval = 0.0;    // periodic evaluations
  double io = 0.0;      // progress.csv, TensorBoard, checkpoints
};

// The accumulator of one phase, or nullptr (no clock reads) when profiling is off.
inline double* PhaseOf(LoopProfile* profile, double LoopProfile::*field) {
  return profile ? &(profile->*field) : nullptr;
}

using AddMetricsFn = std::function<void(const algos::Metrics&)>;

class Learner {
 public:
  virtual ~Learner() = default;
  // The vector step's transitions, right after the env step (replay phase).
  virtual void Store(const TransitionRows& rows) = 0;
  // After the step's bookkeeping and OnEnvStep: the updates that are due, each Update's
  // metrics handed to `add`.
  virtual void Train(int64_t env_steps, int64_t vec_steps, const AddMetricsFn& add) = 0;
  // Complete transitions with initial priorities from an Ape-X actor's block (the off-policy
  // learner with prioritized replay only; bellman::Error otherwise).
  virtual void StoreBlock(const TransitionRows& /*rows*/, std::span<const float> /*td_errors*/) {
    throw Error("only an off-policy learner stores Ape-X blocks");
  }
  // The learner's files in a checkpoint directory (replay.bin), and reading them back.
  virtual void Save(const std::filesystem::path& dir) const = 0;
  virtual void Load(const std::filesystem::path& dir) = 0;
};

// `sampler` and `profile` (nullptr: off) outlive the learner; `algo` too.
std::unique_ptr<Learner> MakeOffPolicyLearner(algos::OffPolicyAlgorithm& algo,
                                              const algos::OffPolicySchedule& schedule,
                                              const Space& observation_space,
                                              const Space& action_space, int num_envs, Rng& sampler,
                                              LoopProfile* profile);
std::unique_ptr<Learner> MakeOnPolicyLearner(algos::OnPolicyAlgorithm& algo, LoopProfile* profile);
// One gradient step per loop iteration on batches sampled from `data` (offline.cpp).
// max_episode_steps is the env's time limit (schedule().normalize_reward's scale).
std::unique_ptr<Learner> MakeOfflineLearner(algos::OffPolicyAlgorithm& algo,
                                            const io::Dataset& data, int64_t max_episode_steps,
                                            Rng& sampler, LoopProfile* profile);
// One UpdateOnSegments per loop iteration: the offline learner of a SequenceAlgorithm.
std::unique_ptr<Learner> MakeSequenceLearner(algos::SequenceAlgorithm& algo, LoopProfile* profile);
// CORL's reward scale for an offline run: max_episode_steps / (max - min return over the
// dataset's finished episodes, or over all of them when none finished). Throws bellman::Error
// when every such episode has the same return (the scale is undefined).
double CorlRewardScale(const io::Dataset& data, int64_t max_episode_steps);
// Per-element mean and population std of the observations of the dataset's transitions.
void ObservationStats(const io::Dataset& data, std::vector<double>& mean, std::vector<double>& std);
// Throws bellman::Error naming `path` when the dataset's spaces or env id are not the env's.
void CheckDatasetFitsEnv(const io::Dataset& data, const EnvSpec& env, const std::string& path);

}  // namespace bellman::train
