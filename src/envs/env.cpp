#include "bellman/envs/env.h"

#include <fmt/format.h>

#include <random>

#include "bellman/core/error.h"

namespace bellman {

Rng& Env::np_random() {
  if (!rng_) {
    // Gymnasium seeds an unseeded env from OS entropy (seeding.np_random(None)).
    std::random_device rd;
    uint64_t entropy = (static_cast<uint64_t>(rd()) << 32) | rd();
    rng_.emplace(entropy);
  }
  return *rng_;
}

void Env::Reset(std::optional<uint64_t> seed, void* obs) {
  if (seed) {
    rng_.emplace(*seed);
    OnSeed(*seed);
  }
  elapsed_steps_ = 0;
  DoReset(obs);
  needs_reset_ = false;
  started_ = true;
}

StepResult Env::Step(const void* action, void* obs) {
  if (needs_reset_) {
    throw Error(fmt::format(
        "{}: step() called {}; call reset() first", spec_.id,
        !started_ ? "before reset()" : "after the episode ended (terminated or truncated)"));
  }
  const Space& as = spec_.action_space;
  if (as.kind() == Space::Kind::kDiscrete) {
    int64_t a = *static_cast<const int64_t*>(action);
    if (a < as.start() || a >= as.start() + as.n()) {
      throw Error(
          fmt::format("{}: action {} is outside the action space {}", spec_.id, a, as.ToString()));
    }
  }
  StepResult r = DoStep(action, obs);
  ++elapsed_steps_;
  // gymnasium.wrappers.TimeLimit: truncated once elapsed_steps reaches max_episode_steps.
  if (spec_.max_episode_steps > 0 && elapsed_steps_ >= spec_.max_episode_steps) {
    r.truncated = true;
  }
  if (r.terminated || r.truncated) needs_reset_ = true;
  return r;
}

const TransitionModel& Env::P() const {
  throw Error(fmt::format("{} has no tabular transition model (P)", spec_.id));
}

}  // namespace bellman
