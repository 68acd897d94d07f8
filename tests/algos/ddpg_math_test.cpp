// DDPG's update against hand-computed losses (Lillicrap et al. 2016, Algorithm 1; SB3's DDPG:
// TD3 with one critic, no target smoothing, an actor step every update): the critic regresses on
// y = r + discount Q'(s', mu'(s')) with the TARGET critic and TARGET actor, the actor minimises
// -Q(s, mu(s)), and actions enter the critic scaled from the env's [-2, 2] to [-1, 1].
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "algos/math_fixture.h"
#include "bellman/algos/algorithm.h"
#include "bellman/nets/state_dict.h"

namespace bellman::algos {
namespace {

using testing::SetLinear;

// DDPG on Pendulum-v1 (obs 3, action 1 in [-2, 2]) with linear nets:
//   actor mu(s) = tanh(b), actor target mu'(s) = tanh(b'), whatever s is;
//   critic Q(s, a) = 2 a + 0.5, target critic Q'(s, a) = a + 2 (a in [-1, 1] units).
// lr is tiny, so the critic step before the actor loss changes nothing visible.
std::unique_ptr<Algorithm> MakeDdpg() {
  auto algo = testing::MakeAlgo(
      "ddpg", "Pendulum-v1",
      "{gamma: 0.5, lr: 1.0e-12, learning_starts: 0, batch_size: 4, hidden_sizes: [], "
      "fast_path: false}");
  nets::StateDict state;
  algo->DeclareState(state);
  SetLinear(state.module("actor"), {0.f, 0.f, 0.f}, {std::atanh(0.25f)});
  SetLinear(state.module("actor_target"), {0.f, 0.f, 0.f}, {std::atanh(0.5f)});
  SetLinear(state.module("critic0"), {0.f, 0.f, 0.f, 2.f}, {0.5f});
  SetLinear(state.module("critic0_target"), {0.f, 0.f, 0.f, 1.f}, {2.f});
  EXPECT_THROW(state.module("critic1"), Error);  // DDPG has one critic
  return algo;
}

// One Update on rows that are all (s, a = 1.0 env units, r = 1, s', terminated).
std::map<std::string, double> UpdateOnOneTransition(Algorithm& algo, bool terminated) {
  return testing::UpdateMetrics(
      algo, testing::OneTransitionBatch("Pendulum-v1", {0.6f, 0.8f, -1.0f}, {1.0f}, 1.0,
                                        {0.8f, 0.6f, 2.0f}, terminated));
}

TEST(DdpgMath, CriticTargetUsesTheTargetActorAndCritic) {
  auto algo = MakeDdpg();
  auto m = UpdateOnOneTransition(*algo, /*terminated=*/false);
  // Stored action 1.0 -> 0.5 in [-1, 1]: Q(s, a) = 2 (0.5) + 0.5 = 1.5.
  // a' = mu'(s') = 0.5; y = 1 + 0.5 Q'(s', 0.5) = 1 + 0.5 (2.5) = 2.25.
  // (The online critic would give 1.75, the online actor 2.125: other losses.)
  EXPECT_NEAR(m.at("q_mean"), 1.5, 1e-6);
  EXPECT_NEAR(m.at("critic_loss"), (1.5 - 2.25) * (1.5 - 2.25), 1e-5);
  // Actor: mu(s) = 0.25, -Q(s, 0.25) = -(2 (0.25) + 0.5) = -1.
  EXPECT_NEAR(m.at("actor_loss"), -1.0, 1e-5);
}

TEST(DdpgMath, TerminationCutsTheBootstrap) {
  auto algo = MakeDdpg();
  auto m = UpdateOnOneTransition(*algo, /*terminated=*/true);
  EXPECT_NEAR(m.at("critic_loss"), (1.5 - 1.0) * (1.5 - 1.0), 1e-5);  // y = r = 1
}

}  // namespace
}  // namespace bellman::algos
