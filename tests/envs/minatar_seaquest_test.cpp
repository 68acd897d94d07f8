// MinAtar Seaquest against MinAtar's source (trajectories from gen_minatar_seaquest.py) and rules
// pinned by hand. The expected states after SetState scenarios were computed by running
// minatar/environments/seaquest.py's Env on the same variables.
#include <gtest/gtest.h>

#include "bellman/core/error.h"
#include "bellman/core/legacy_random.h"
#include "bellman/envs/minatar.h"
#include "envs/minatar_ref.h"

namespace bellman {
namespace {

TEST(MinAtarSeaquest, TrajectoriesMatchMinAtar) { minatar_test::ReplayAll("seaquest"); }

// Channels: 0 sub_front, 1 sub_back, 2 friendly_bullet, 3 trail, 4 enemy_bullet, 5 enemy_fish,
// 6 enemy_sub, 7 oxygen_guage, 8 diver_guage, 9 diver; index (y * 10 + x) * 10 + c.
int At(const std::vector<uint8_t>& o, int y, int x, int c) { return o[(y * 10 + x) * 10 + c]; }
int RowCount(const std::vector<uint8_t>& o, int y, int c) {
  int n = 0;
  for (int x = 0; x < 10; ++x) n += At(o, y, x, c);
  return n;
}

// The wrapper's part of GetState: last action, generator position and its 624 words.
constexpr size_t kHeader = 2 + LegacyRandomState::kStateLen;

std::vector<double> GameState(const Env& env) {
  std::vector<double> s = env.GetState();
  return {s.begin() + kHeader, s.end()};
}

// A no-sticky env whose game variables are `game`.
std::unique_ptr<Env> WithGame(const std::vector<double>& game) {
  std::unique_ptr<Env> env = MakeMinAtar("seaquest", {.sticky_action_prob = 0.0});
  std::vector<uint8_t> o(1000);
  env->Reset(0, o.data());
  std::vector<double> s = env->GetState();
  s.resize(kHeader);
  s.insert(s.end(), game.begin(), game.end());
  env->SetState(s);
  return env;
}

StepResult Act(Env& env, int64_t a) {
  std::vector<uint8_t> o(1000);
  return env.Step(&a, o.data());
}

TEST(MinAtarSeaquest, StartOxygenAndSurfacingWithoutDivers) {
  std::unique_ptr<Env> env = MakeMinAtar("seaquest", {.sticky_action_prob = 0.0});
  EXPECT_EQ(env->observation_space().shape(), (std::vector<int64_t>{10, 10, 10}));
  std::vector<uint8_t> o(1000);
  env->Reset(1, o.data());
  // The sub starts at the surface, x 5, facing left (its back to the right); full oxygen.
  EXPECT_EQ(At(o, 0, 5, 0), 1);
  EXPECT_EQ(At(o, 0, 6, 1), 1);
  EXPECT_EQ(RowCount(o, 9, 7), 10);
  EXPECT_EQ(RowCount(o, 9, 8), 0);
  // Staying at the surface costs nothing; diving drains a unit (199 * 10 // 200 = 9 cells).
  int64_t a = 0;
  StepResult r = env->Step(&a, o.data());
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(RowCount(o, 9, 7), 10);
  a = 4;  // down
  r = env->Step(&a, o.data());
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(At(o, 1, 5, 0), 1);
  EXPECT_EQ(RowCount(o, 9, 7), 9);
  // Back up with no diver on board: the game ends.
  a = 2;
  r = env->Step(&a, o.data());
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 0.0);
}

TEST(MinAtarSeaquest, FullLoadPaysOxygenAndLeavesDiverCountNegative) {
  // oxygen 150, 6 divers, the sub one row below the surface.
  std::unique_ptr<Env> env =
      WithGame({150, 6, 5, 1, 0, 20, 10, 10, 5, 0, 0, 0, 0, /*lists*/ 0, 0, 0, 0, 0});
  // Surfacing with 6 pays 150 * 10 // 200 and empties the sub -- to -1, as the reference
  // decrements after emptying. The difficulty ramps (spawn speed 19; ramp_index 0 is even, so
  // the move speed stays).
  StepResult r = Act(*env, 2);
  EXPECT_EQ(r.reward, 7.0);
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(GameState(*env),
            (std::vector<double>{200, -1, 5, 0, 0, 19, 9, 9, 5, 1, 0, 1, 0, 0, 0, 0, 0, 0}));
  std::vector<uint8_t> o(1000);
  int64_t down = 4;
  env->Step(&down, o.data());
  EXPECT_EQ(RowCount(o, 9, 8), 0);  // no diver gauge for a negative count
  // With diver_count -1 surfacing is no longer fatal; ramp_index 1 is odd: the enemies speed up.
  r = Act(*env, 2);
  EXPECT_EQ(r.reward, 0.0);
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(GameState(*env),
            (std::vector<double>{200, -2, 5, 0, 0, 18, 7, 7, 4, 2, 0, 1, 0, 0, 0, 0, 0, 0}));
}

TEST(MinAtarSeaquest, OxygenRunsOutOneStepAfterReachingZero) {
  std::unique_ptr<Env> env = WithGame({1, 1, 5, 3, 0, 20, 10, 10, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  StepResult r = Act(*env, 0);
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(GameState(*env)[0], 0.0);
  r = Act(*env, 0);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(GameState(*env)[0], -1.0);
}

TEST(MinAtarSeaquest, BulletListKeepsPythonRemoveSemantics) {
  // f_bullets [[6,4,R], [2,6,L], [5,4,R]] and a fish on (6,4) that does not move this step.
  // reversed() takes [5,4,R] first: it moves onto the fish, which dies, and
  // f_bullets.remove(bullet) drops the FIRST equal entry, the untouched [6,4,R]. The moved
  // bullet slides down to the iterator's next index and moves again, to (7,4); [2,6,L] moves
  // last. An erase of the visited entry would leave [[7,4,R], [1,6,L]] instead.
  std::unique_ptr<Env> env = WithGame({100,
                                       2,
                                       1,
                                       7,
                                       0,
                                       20,
                                       10,
                                       10,
                                       5,
                                       0,
                                       3,
                                       0,
                                       0,
                                       /*f_bullets*/ 3,
                                       6,
                                       4,
                                       1,
                                       2,
                                       6,
                                       0,
                                       5,
                                       4,
                                       1,
                                       /*e_bullets*/ 0,
                                       /*e_fish*/ 1,
                                       6,
                                       4,
                                       1,
                                       3,
                                       /*e_subs*/ 0,
                                       /*divers*/ 0});
  const StepResult r = Act(*env, 0);
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_EQ(GameState(*env), (std::vector<double>{99,
                                                  2,
                                                  1,
                                                  7,
                                                  0,
                                                  20,
                                                  9,
                                                  9,
                                                  5,
                                                  0,
                                                  2,
                                                  0,
                                                  0,
                                                  /*f_bullets*/ 2,
                                                  1,
                                                  6,
                                                  0,
                                                  7,
                                                  4,
                                                  1,
                                                  /*others*/ 0,
                                                  0,
                                                  0,
                                                  0}));
}

TEST(MinAtarSeaquest, SetStateRejectsBadValuesAndKeepsTheGame) {
  std::unique_ptr<Env> env = WithGame({1, 1, 5, 3, 0, 20, 10, 10, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  const std::vector<double> before = env->GetState();
  std::vector<double> bad = before;
  bad[kHeader + 3] = 9;  // sub_y: the sub stays in rows 0-8
  EXPECT_THROW(env->SetState(bad), Error);
  bad = before;
  bad[kHeader + 2] = 9;  // sub_x 9 facing left: its back would be off the grid
  EXPECT_THROW(env->SetState(bad), Error);
  bad = before;
  bad[kHeader + 13] = 1;  // one friendly bullet announced, none given
  EXPECT_THROW(env->SetState(bad), Error);
  bad = before;
  bad.push_back(0);
  EXPECT_THROW(env->SetState(bad), Error);
  EXPECT_EQ(env->GetState(), before);
}

}  // namespace
}  // namespace bellman
