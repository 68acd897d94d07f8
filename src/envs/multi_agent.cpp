#include "bellman/envs/multi_agent.h"

#include <fmt/format.h>

#include <random>

#include "bellman/core/error.h"
#include "bellman/core/suggest.h"
#include "bellman/envs/registry.h"

namespace bellman {

std::unique_ptr<MultiAgentEnv> MakeSoccer(const EnvArgs& args);      // soccer.cpp
std::unique_ptr<MultiAgentEnv> MakeMatrixGame(const EnvArgs& args);  // matrix_game_env.cpp
std::unique_ptr<MultiAgentEnv> MakeIpd(const EnvArgs& args);         // ipd.cpp
std::unique_ptr<MultiAgentEnv> MakeCoinGame(const EnvArgs& args);    // coin_game.cpp

MultiAgentEnv::MultiAgentEnv(std::string id, std::vector<Space> observation_spaces,
                             std::vector<Space> action_spaces, int64_t max_episode_steps)
    : id_(std::move(id)),
      observation_spaces_(std::move(observation_spaces)),
      action_spaces_(std::move(action_spaces)),
      max_episode_steps_(max_episode_steps) {
  if (observation_spaces_.size() != action_spaces_.size() || action_spaces_.empty()) {
    throw Error(fmt::format("{}: {} observation spaces for {} action spaces", id_,
                            observation_spaces_.size(), action_spaces_.size()));
  }
  for (const Space& s : action_spaces_) {
    if (s.kind() != Space::Kind::kDiscrete) {
      throw Error(
          fmt::format("{}: multi-agent envs have Discrete actions, got {}", id_, s.ToString()));
    }
  }
}

const Space& MultiAgentEnv::observation_space(int64_t agent) const {
  if (agent < 0 || agent >= num_agents()) {
    throw Error(fmt::format("{}: agent {} out of range 0..{}", id_, agent, num_agents() - 1));
  }
  return observation_spaces_[static_cast<size_t>(agent)];
}

const Space& MultiAgentEnv::action_space(int64_t agent) const {
  if (agent < 0 || agent >= num_agents()) {
    throw Error(fmt::format("{}: agent {} out of range 0..{}", id_, agent, num_agents() - 1));
  }
  return action_spaces_[static_cast<size_t>(agent)];
}

Rng& MultiAgentEnv::np_random() {
  if (!rng_) {
    std::random_device rd;
    rng_.emplace((static_cast<uint64_t>(rd()) << 32) | rd());
  }
  return *rng_;
}

void MultiAgentEnv::Reset(std::optional<uint64_t> seed, std::span<void* const> obs) {
  if (static_cast<int64_t>(obs.size()) != num_agents()) {
    throw Error(fmt::format("{}: reset() got {} observation buffers for {} agents", id_, obs.size(),
                            num_agents()));
  }
  if (seed) rng_.emplace(*seed);
  elapsed_steps_ = 0;
  DoReset(obs);
  needs_reset_ = false;
}

JointStepResult MultiAgentEnv::Step(std::span<const int64_t> actions, std::span<void* const> obs) {
  if (needs_reset_) {
    throw Error(fmt::format("{}: step() called before reset() or after the episode ended", id_));
  }
  if (static_cast<int64_t>(actions.size()) != num_agents() ||
      static_cast<int64_t>(obs.size()) != num_agents()) {
    throw Error(fmt::format("{}: step() got {} actions and {} observation buffers for {} agents",
                            id_, actions.size(), obs.size(), num_agents()));
  }
  for (size_t i = 0; i < actions.size(); ++i) {
    const Space& as = action_spaces_[i];
    if (actions[i] < as.start() || actions[i] >= as.start() + as.n()) {
      throw Error(fmt::format("{}: agent {}'s action {} is outside its action space {}", id_, i,
                              actions[i], as.ToString()));
    }
  }
  JointStepResult r = DoStep(actions, obs);
  ++elapsed_steps_;
  if (max_episode_steps_ > 0 && elapsed_steps_ >= max_episode_steps_) r.truncated = true;
  if (r.terminated || r.truncated) needs_reset_ = true;
  return r;
}

const MarkovGameModel& MultiAgentEnv::Model() const {
  throw Error(fmt::format("{} has no two-player zero-sum model", id_));
}

int64_t MultiAgentEnv::StateIndex() const {
  throw Error(fmt::format("{} has no tabular state index", id_));
}

std::vector<double> MultiAgentEnv::InitialDistribution() const {
  throw Error(fmt::format("{} has no tabular initial distribution", id_));
}

namespace {

struct MultiAgentRegistration {
  const char* id;
  std::unique_ptr<MultiAgentEnv> (*factory)(const EnvArgs&);
};

constexpr MultiAgentRegistration kRegistry[] = {
    {"CoinGame-v0", &MakeCoinGame},
    {"IteratedPrisonersDilemma-v0", &MakeIpd},
    {"MatrixGame-v0", &MakeMatrixGame},
    {"Soccer-v0", &MakeSoccer},
};

}  // namespace

std::unique_ptr<MultiAgentEnv> MakeMultiAgentEnv(const std::string& id, const EnvArgs& args) {
  for (const MultiAgentRegistration& r : kRegistry) {
    if (id == r.id) return r.factory(args);
  }
  const std::vector<std::string> ids = MultiAgentEnvIds();
  throw Error(fmt::format("unknown multi-agent env '{}'{}; known: {}", id, DidYouMean(id, ids),
                          fmt::join(ids, ", ")));
}

std::vector<std::string> MultiAgentEnvIds() {
  std::vector<std::string> ids;
  for (const MultiAgentRegistration& r : kRegistry) ids.emplace_back(r.id);
  return ids;
}

}  // namespace bellman
