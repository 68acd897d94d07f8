// Env: the environment interface (Gymnasium semantics, C++ buffers).
//
// Observations and actions are raw memory laid out as the spaces say (see space.h): an env
// writes its observation into a caller-owned buffer, so stepping never allocates. Actions are
// int64 for Discrete spaces and float32 arrays for Box spaces.
//
// The public Reset/Step are non-virtual: they enforce the episode protocol (reset before step,
// no step after terminated/truncated, Discrete actions in range) and the TimeLimit truncation,
// then call the env's DoReset/DoStep. `truncated` never becomes `terminated`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "bellman/core/env_spec.h"
#include "bellman/core/rng.h"
#include "bellman/core/space.h"

namespace bellman {

struct StepResult {
  double reward = 0.0;
  bool terminated = false;
  bool truncated = false;
};

// Keyword arguments for an env, as in gym.make(id, **kwargs): a value is None (monostate), a
// bool, an int, a double, a string or a list of strings (FrozenLake's `desc`).
using EnvArg =
    std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<std::string>>;
using EnvArgs = std::map<std::string, EnvArg>;

// One entry of a tabular transition model: Gymnasium's P[s][a] tuples.
struct Transition {
  double prob;
  int64_t next_state;
  double reward;
  bool terminated;
  bool operator==(const Transition&) const = default;
};
using TransitionModel = std::vector<std::vector<std::vector<Transition>>>;  // [s][a][k]

class Env {
 public:
  explicit Env(EnvSpec spec) : spec_(std::move(spec)) {}
  virtual ~Env() = default;
  Env& operator=(const Env&) = delete;

  const EnvSpec& spec() const { return spec_; }
  const Space& observation_space() const { return spec_.observation_space; }
  const Space& action_space() const { return spec_.action_space; }

  // reset(seed=...): a seed re-seeds the env's generator with Rng(seed) (Gymnasium's
  // np_random(seed)); without one the generator continues (or, if the env was never seeded,
  // is seeded from std::random_device, as Gymnasium seeds from OS entropy).
  void Reset(std::optional<uint64_t> seed, void* obs);
  // Throws bellman::Error for a step before reset, after the episode ended, or with a Discrete
  // action outside the action space. Box actions are passed on unchanged (envs clip, as
  // Gymnasium's do).
  StepResult Step(const void* action, void* obs);

  // Full simulator state as a flat vector (layout documented per env; for classic control the
  // same vector as Gymnasium's env.unwrapped.state). SetState leaves the episode running: a
  // Step follows from exactly that state. The TimeLimit counter is separate (elapsed_steps).
  virtual std::vector<double> GetState() const = 0;
  virtual void SetState(std::span<const double> state) = 0;
  virtual std::unique_ptr<Env> Clone() const = 0;
  // A text picture of the current state (for `bellman enjoy` and debugging).
  virtual std::string Render() const = 0;
  // The transition model for tabular envs; throws for others.
  virtual const TransitionModel& P() const;
  virtual bool has_transition_model() const { return false; }

  // gym.make(id, max_episode_steps=n): 0 removes the TimeLimit.
  void set_max_episode_steps(int64_t n) { spec_.max_episode_steps = n; }
  int64_t elapsed_steps() const { return elapsed_steps_; }
  void set_elapsed_steps(int64_t n) { elapsed_steps_ = n; }
  bool needs_reset() const { return needs_reset_; }
  Rng& np_random();  // the env's generator (seeded from entropy on first use if never seeded)
  void set_np_random(const Rng& rng) { rng_ = rng; }

 protected:
  Env(const Env&) = default;  // for Clone()
  // Called by Reset(seed) with the seed, before DoReset (envs with their own generator, such as
  // MinAtar's legacy RandomState, re-seed it here).
  virtual void OnSeed(uint64_t /*seed*/) {}
  virtual void DoReset(void* obs) = 0;
  virtual StepResult DoStep(const void* action, void* obs) = 0;
  // Called by SetState implementations: the episode is live again.
  void MarkRunning() {
    needs_reset_ = false;
    started_ = true;
  }

 private:
  EnvSpec spec_;
  std::optional<Rng> rng_;
  int64_t elapsed_steps_ = 0;
  bool needs_reset_ = true;
  bool started_ = false;
};

// Convenience typed buffers for tests and tools.
template <typename T>
T* ObsAs(void* p) {
  return static_cast<T*>(p);
}

}  // namespace bellman
