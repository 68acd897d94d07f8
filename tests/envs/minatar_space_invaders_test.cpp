// MinAtar SpaceInvaders against MinAtar's source (trajectories from
// gen_minatar_space_invaders.py) and rules pinned by hand. The expected values were computed by
// running minatar/environments/space_invaders.py's Env on the same actions and variables.
#include <gtest/gtest.h>

#include <algorithm>

#include "bellman/core/error.h"
#include "bellman/core/legacy_random.h"
#include "bellman/envs/minatar.h"
#include "envs/minatar_ref.h"

namespace bellman {
namespace {

TEST(MinAtarSpaceInvaders, TrajectoriesMatchMinAtar) { minatar_test::ReplayAll("space_invaders"); }

// Channels: 0 cannon, 1 alien, 2 alien_left, 3 alien_right, 4 friendly_bullet, 5 enemy_bullet;
// index (y * 10 + x) * 6 + c.
int At(const std::vector<uint8_t>& o, int y, int x, int c) { return o[(y * 10 + x) * 6 + c]; }
int Count(const std::vector<uint8_t>& o, int c) {
  int n = 0;
  for (size_t i = static_cast<size_t>(c); i < o.size(); i += 6) n += o[i];
  return n;
}

// The wrapper's part of GetState: last action, generator position and its 624 words.
constexpr size_t kHeader = 2 + LegacyRandomState::kStateLen;

// pos, alien_dir, enemy_move_interval, alien_move_timer, alien_shot_timer, ramp_index,
// shot_timer, terminal.
std::vector<double> Scalars(const Env& env) {
  std::vector<double> s = env.GetState();
  return {s.begin() + kHeader, s.begin() + kHeader + 8};
}

// A fresh no-sticky env with its game variables rewritten by `edit` (on the GetState vector).
template <class Edit>
std::unique_ptr<Env> Edited(bool ramping, Edit edit) {
  std::unique_ptr<Env> env =
      MakeMinAtar("space_invaders", {.sticky_action_prob = 0.0, .difficulty_ramping = ramping});
  std::vector<uint8_t> o(600);
  env->Reset(0, o.data());
  std::vector<double> s = env->GetState();
  edit(s.data() + kHeader, s.data() + kHeader + 8);  // scalars, then the three maps
  env->SetState(s);
  return env;
}
double& Alien(double* maps, int y, int x) { return maps[y * 10 + x]; }
double& FBullet(double* maps, int y, int x) { return maps[100 + y * 10 + x]; }

TEST(MinAtarSpaceInvaders, ShotAlienAndReturnFire) {
  std::unique_ptr<Env> env = MakeMinAtar("space_invaders", {.sticky_action_prob = 0.0});
  EXPECT_EQ(env->observation_space().shape(), (std::vector<int64_t>{10, 10, 6}));
  std::vector<uint8_t> o(600);
  env->Reset(2, o.data());
  // 4 rows x 6 columns of aliens moving left; the cannon at x 5.
  EXPECT_EQ(Count(o, 1), 24);
  EXPECT_EQ(Count(o, 2), 24);
  EXPECT_EQ(Count(o, 3), 0);
  EXPECT_EQ(At(o, 9, 5, 0), 1);
  EXPECT_EQ(At(o, 0, 2, 1), 1);
  EXPECT_EQ(At(o, 3, 7, 1), 1);
  // Fire, then wait: the bullet rises a row per step from row 8 and hits (3,5) on step 6.
  for (int step = 1; step <= 14; ++step) {
    const int64_t a = step == 1 ? 5 : 0;
    const StepResult r = env->Step(&a, o.data());
    SCOPED_TRACE(step);
    EXPECT_FALSE(r.terminated);
    EXPECT_EQ(r.reward, step == 6 ? 1.0 : 0.0);
    if (step <= 5) {
      EXPECT_EQ(At(o, 9 - step, 5, 4), 1);
    }
    if (step == 6) {
      EXPECT_EQ(At(o, 3, 5, 1), 0);
      EXPECT_EQ(Count(o, 4), 0);
    }
    // The aliens first move on step 13 (every 12 steps), one column left.
    EXPECT_EQ(At(o, 0, 7, 1), step < 13 ? 1 : 0);
    EXPECT_EQ(At(o, 0, 1, 1), step < 13 ? 0 : 1);
    // Every 10 steps the lowest alien of the nearest column fires: (2,5) on step 11, as (3,5)
    // is gone; its bullet falls a row per step.
    EXPECT_EQ(Count(o, 5), step < 11 ? 0 : 1);
    if (step >= 11) {
      EXPECT_EQ(At(o, 2 + step - 11, 5, 5), 1);
    }
  }
  EXPECT_EQ(Scalars(*env), (std::vector<double>{5, -1, 12, 10, 6, 0, 0, 0}));
}

TEST(MinAtarSpaceInvaders, ClearedWaveRespawnsFaster) {
  for (bool ramping : {true, false}) {
    SCOPED_TRACE(ramping);
    // The last alien at (0,0) and a bullet right below it.
    std::unique_ptr<Env> env = Edited(ramping, [](double* scalars, double* maps) {
      scalars[3] = 3;  // alien_move_timer
      scalars[4] = 5;  // alien_shot_timer
      std::fill(maps, maps + 100, 0.0);
      Alien(maps, 0, 0) = 1;
      FBullet(maps, 1, 0) = 1;
    });
    std::vector<uint8_t> o(600);
    const int64_t noop = 0;
    const StepResult r = env->Step(&noop, o.data());
    EXPECT_EQ(r.reward, 1.0);
    EXPECT_FALSE(r.terminated);
    // A new wave; with ramping it moves every 11 steps. Direction and timers carry over.
    EXPECT_EQ(Count(o, 1), 24);
    EXPECT_EQ(At(o, 0, 2, 2), 1);
    EXPECT_EQ(Scalars(*env),
              (std::vector<double>{5, -1, ramping ? 11.0 : 12.0, 2, 4, ramping ? 1.0 : 0.0, 0, 0}));
  }
}

TEST(MinAtarSpaceInvaders, EdgeTurnsDownAndBottomTurnEnds) {
  // A 2x3 block at rows 2-3, columns 0-2, due to move left: it moves down and turns right.
  std::unique_ptr<Env> env = Edited(true, [](double* scalars, double* maps) {
    scalars[3] = 0;
    scalars[4] = 5;
    std::fill(maps, maps + 100, 0.0);
    for (int y = 2; y < 4; ++y)
      for (int x = 0; x < 3; ++x) Alien(maps, y, x) = 1;
  });
  std::vector<uint8_t> o(600);
  const int64_t noop = 0;
  StepResult r = env->Step(&noop, o.data());
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(Count(o, 2), 0);
  EXPECT_EQ(Count(o, 3), 6);
  for (int y = 3; y < 5; ++y)
    for (int x = 0; x < 3; ++x) EXPECT_EQ(At(o, y, x, 3), 1);
  // Next move in min(6 aliens, 12) steps.
  EXPECT_EQ(Scalars(*env), (std::vector<double>{5, 1, 12, 5, 4, 0, 0, 0}));

  // An alien on the bottom row turning: terminal, and np.roll wraps it to row 0.
  env = Edited(true, [](double* scalars, double* maps) {
    scalars[3] = 0;
    scalars[4] = 5;
    std::fill(maps, maps + 100, 0.0);
    Alien(maps, 9, 0) = 1;
  });
  r = env->Step(&noop, o.data());
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(Count(o, 1), 1);
  EXPECT_EQ(At(o, 0, 0, 1), 1);
}

TEST(MinAtarSpaceInvaders, SetStateRejectsBadValuesAndKeepsTheGame) {
  std::unique_ptr<Env> env = MakeMinAtar("space_invaders", {.sticky_action_prob = 0.0});
  std::vector<uint8_t> o(600);
  env->Reset(0, o.data());
  const std::vector<double> before = env->GetState();
  std::vector<double> bad = before;
  bad[kHeader + 1] = 0;  // alien_dir is -1 or 1
  EXPECT_THROW(env->SetState(bad), Error);
  bad = before;
  bad[kHeader + 8 + 5] = 2;  // a map cell is 0 or 1
  EXPECT_THROW(env->SetState(bad), Error);
  bad = before;
  std::fill(bad.begin() + kHeader + 8, bad.begin() + kHeader + 108, 0.0);  // no alien
  EXPECT_THROW(env->SetState(bad), Error);
  bad = before;
  bad.pop_back();
  EXPECT_THROW(env->SetState(bad), Error);
  EXPECT_EQ(env->GetState(), before);
}

}  // namespace
}  // namespace bellman
