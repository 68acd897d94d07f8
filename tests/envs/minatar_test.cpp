// The MinAtar wrapper (src/envs/minatar.cpp): ids, spaces, kwargs, sticky actions, seeding,
// state, render, and the vector pool. Game rules are in minatar_<game>_test.cpp.
#include "bellman/envs/minatar.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/envs/env_pool.h"
#include "bellman/envs/registry.h"
#include "envs/minatar_ref.h"

namespace bellman {
namespace {

using minatar_test::Digest;

TEST(MinAtar, RegisteredIdsAndSpaces) {
  struct Case {
    const char* title;
    int64_t channels;
    int64_t minimal;
  };
  // Channels and minimal action sets from MinAtar's sources.
  for (const Case& c : {Case{"Asterix", 4, 5}, Case{"Breakout", 4, 3}, Case{"Freeway", 7, 3},
                        Case{"Seaquest", 10, 6}, Case{"SpaceInvaders", 6, 4}}) {
    for (int v = 0; v < 2; ++v) {
      const std::string id = fmt::format("MinAtar/{}-v{}", c.title, v);
      ASSERT_NE(FindEnv(id), nullptr) << id;
      std::unique_ptr<Env> env;
      try {
        env = MakeEnv(id);
      } catch (const Error& e) {
        // A game not ported yet says so; the others must construct.
        EXPECT_NE(std::string(e.what()).find("not implemented"), std::string::npos) << e.what();
        continue;
      }
      EXPECT_EQ(env->observation_space().ToString(),
                fmt::format("Box(0, 1, (10, 10, {}), uint8)", c.channels));
      // MinAtar's gym.py: v0 has all 6 actions, v1 the minimal set.
      EXPECT_EQ(env->action_space().n(), v == 0 ? 6 : c.minimal) << id;
      EXPECT_EQ(env->spec().max_episode_steps, 0) << id;
    }
  }
  // The kwarg overrides the version's default.
  EXPECT_EQ(MakeEnv("MinAtar/Breakout-v0", {{"use_minimal_action_set", true}})->action_space().n(),
            3);
  EXPECT_EQ(MakeMinAtar("breakout", {.use_minimal_action_set = true})->spec().id,
            "MinAtar/Breakout-v1");
}

TEST(MinAtar, BadArgumentsAreClearErrors) {
  try {
    MakeEnv("MinAtar/Breakout-v1", {{"sticky_action_probability", 0.2}});
    FAIL() << "unknown kwarg accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sticky_action_prob"), std::string::npos) << e.what();
  }
  EXPECT_THROW(MakeEnv("MinAtar/Breakout-v1", {{"sticky_action_prob", 1.5}}), Error);
  EXPECT_THROW(MakeMinAtar("pong"), Error);
  std::unique_ptr<Env> env = MakeEnv("MinAtar/Breakout-v1");
  std::vector<uint8_t> obs(400);
  // RandomState takes seeds in [0, 2**32 - 1].
  EXPECT_THROW(env->Reset(uint64_t{1} << 32, obs.data()), Error);
  env->Reset(UINT32_MAX, obs.data());
  const int64_t bad = 3;  // the minimal set has 3 actions
  EXPECT_THROW(env->Step(&bad, obs.data()), Error);
}

// Runs `steps` actions from a fresh reset(seed) and returns the digest of every observation.
std::vector<uint32_t> Play(Env& env, uint64_t seed, const std::vector<int64_t>& actions) {
  std::vector<uint8_t> obs(static_cast<size_t>(env.observation_space().flat_size()));
  env.Reset(seed, obs.data());
  std::vector<uint32_t> out{Digest(obs)};
  for (int64_t a : actions) {
    const StepResult r = env.Step(&a, obs.data());
    out.push_back(Digest(obs));
    if (r.terminated) {
      env.Reset(std::nullopt, obs.data());
      out.push_back(Digest(obs));
    }
  }
  return out;
}

TEST(MinAtar, StickyActionsRepeatThePreviousAction) {
  // With probability 1 every action is the previous one, which starts at 0 (no-op): the paddle
  // never moves from x = 4, whatever the agent asks.
  std::unique_ptr<Env> env = MakeMinAtar("breakout", {.sticky_action_prob = 1.0});
  std::vector<uint8_t> obs(400);
  env->Reset(5, obs.data());
  for (int i = 0; i < 6; ++i) {
    const int64_t right = 3;
    if (env->Step(&right, obs.data()).terminated) break;
    EXPECT_EQ(obs[(9 * 10 + 4) * 4 + 0], 1) << "step " << i;
  }
  // With probability 0 the draw still happens (MinAtar draws rand() first, always): the game's
  // own draws then come from the same positions of the stream as with 0.1, so the ball's start
  // after each reset is the same for both while the agent only plays no-ops.
  std::vector<int64_t> noops(300, 0);
  std::unique_ptr<Env> a = MakeMinAtar("breakout", {.sticky_action_prob = 0.0});
  std::unique_ptr<Env> b = MakeMinAtar("breakout", {.sticky_action_prob = 0.1});
  EXPECT_EQ(Play(*a, 11, noops), Play(*b, 11, noops));
}

TEST(MinAtar, SeedingCloneAndState) {
  std::vector<int64_t> actions;
  for (int i = 0; i < 500; ++i) actions.push_back((i * 7 + i / 3) % 6);
  std::unique_ptr<Env> a = MakeEnv("MinAtar/Breakout-v0");
  std::unique_ptr<Env> b = MakeEnv("MinAtar/Breakout-v0");
  EXPECT_EQ(Play(*a, 3, actions), Play(*b, 3, actions));
  EXPECT_NE(Play(*a, 3, actions), Play(*b, 4, actions));

  // Clone and GetState/SetState carry everything, the generator included.
  std::vector<uint8_t> o1(400), o2(400), o3(400);
  a->Reset(9, o1.data());
  for (int i = 0; i < 40; ++i) {
    const int64_t act = i % 6;
    if (a->Step(&act, o1.data()).terminated) a->Reset(std::nullopt, o1.data());
  }
  std::unique_ptr<Env> c = a->Clone();
  std::unique_ptr<Env> d = MakeEnv("MinAtar/Breakout-v0");
  d->SetState(a->GetState());
  for (int i = 0; i < 200; ++i) {
    const int64_t act = (i * 5) % 6;
    const StepResult r1 = a->Step(&act, o1.data());
    const StepResult r2 = c->Step(&act, o2.data());
    const StepResult r3 = d->Step(&act, o3.data());
    ASSERT_EQ(o1, o2) << i;
    ASSERT_EQ(o1, o3) << i;
    ASSERT_EQ(r1.reward, r3.reward);
    ASSERT_EQ(r1.terminated, r3.terminated);
    ASSERT_EQ(r1.terminated, r2.terminated);
    if (r1.terminated) {
      a->Reset(std::nullopt, o1.data());
      c->Reset(std::nullopt, o2.data());
      d->Reset(std::nullopt, o3.data());
    }
  }
  // A bad state is an error and changes nothing.
  std::vector<double> s = a->GetState();
  std::vector<double> bad = s;
  bad[0] = 6;  // last_action out of range
  EXPECT_THROW(a->SetState(bad), Error);
  bad = s;
  bad.pop_back();
  EXPECT_THROW(a->SetState(bad), Error);
  EXPECT_EQ(a->GetState(), s);
}

TEST(MinAtar, Render) {
  std::unique_ptr<Env> env = MakeEnv("MinAtar/Breakout-v1");
  std::vector<uint8_t> obs(400);
  env->Reset(0, obs.data());
  const std::string r = env->Render();
  // 10 rows between borders; bricks '#' on rows 1-3, the paddle '=' at x 4 of the bottom row.
  EXPECT_EQ(r.substr(0, 13), "+----------+\n");
  EXPECT_NE(r.find("|##########|"), std::string::npos) << r;
  EXPECT_NE(r.find("|    =     |"), std::string::npos) << r;
  EXPECT_EQ(std::count(r.begin(), r.end(), '\n'), 12);
}

TEST(MinAtar, PoolRowsEqualSingleEnvs) {
  const int n = 4;
  EnvPool pool("MinAtar/Breakout-v1", n, {}, 2);
  pool.Reset(100);
  std::vector<std::unique_ptr<Env>> singles;
  std::vector<std::vector<uint8_t>> obs(n, std::vector<uint8_t>(400));
  for (int i = 0; i < n; ++i) {
    singles.push_back(MakeEnv("MinAtar/Breakout-v1"));
    singles[i]->Reset(100 + i, obs[i].data());
  }
  const auto* rows = static_cast<const uint8_t*>(pool.obs_data());
  int episodes = 0;
  for (int t = 0; t < 400; ++t) {
    std::vector<int64_t> actions(n);
    for (int i = 0; i < n; ++i) actions[i] = (t + i * 2 + t / 5) % 3;
    pool.Step(actions);
    for (int i = 0; i < n; ++i) {
      const StepResult r = singles[i]->Step(&actions[i], obs[i].data());
      ASSERT_EQ(pool.rewards()[i], r.reward);
      ASSERT_EQ(pool.terminated()[i] != 0, r.terminated);
      if (r.terminated) {
        ++episodes;
        ASSERT_TRUE(std::equal(obs[i].begin(), obs[i].end(),
                               static_cast<const uint8_t*>(pool.final_obs_data()) + i * 400));
        singles[i]->Reset(std::nullopt, obs[i].data());
      }
      ASSERT_TRUE(std::equal(obs[i].begin(), obs[i].end(), rows + i * 400)) << t << " " << i;
    }
  }
  EXPECT_GT(episodes, 4);
}

}  // namespace
}  // namespace bellman
