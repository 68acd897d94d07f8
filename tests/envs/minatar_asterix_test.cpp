// MinAtar Asterix against MinAtar's source (trajectories from gen_minatar_asterix.py) and rules
// pinned by hand.
#include <gtest/gtest.h>

#include "bellman/core/error.h"
#include "bellman/envs/minatar.h"
#include "envs/minatar_ref.h"

namespace bellman {
namespace {

TEST(MinAtarAsterix, TrajectoriesMatchMinAtar) { minatar_test::ReplayAll("asterix"); }

// Full action set: the index is the action id.
constexpr int64_t kNoop = 0, kLeft = 1, kUp = 2, kRight = 3, kDown = 4, kFire = 5;

// Channels: 0 player, 1 enemy, 2 trail, 3 gold; index (y * 10 + x) * 4 + c.
int At(const std::vector<uint8_t>& o, int y, int x, int c) { return o[(y * 10 + x) * 4 + c]; }
int Count(const std::vector<uint8_t>& o, int c) {
  int n = 0;
  for (int i = c; i < 400; i += 4) n += o[i];
  return n;
}

// GetState: last_action, generator position, 624 generator words, then the game's variables.
constexpr size_t kGame = 626;
enum : size_t {
  kPlayerX = kGame,
  kPlayerY,
  kSpawnSpeed,
  kSpawnTimer,
  kMoveSpeed,
  kMoveTimer,
  kRampTimer,
  kRampIndex,
  kTerminal,
  kSlots,  // 8 x (present, x, lr, is_gold); slot i is row i + 1
};
size_t Slot(int i) { return kSlots + 4 * static_cast<size_t>(i); }

struct Fixture {
  explicit Fixture(bool ramping = true)
      : env(MakeMinAtar("asterix", {.sticky_action_prob = 0.0, .difficulty_ramping = ramping})),
        obs(400) {
    env->Reset(5, obs.data());
  }
  // Rewrites game variables (the observation shows them after the next step).
  void Set(std::initializer_list<std::pair<size_t, double>> vars) {
    std::vector<double> s = env->GetState();
    for (auto [i, v] : vars) s[i] = v;
    env->SetState(s);
  }
  void PutEntity(int slot, int x, bool right, bool gold) {
    Set({{Slot(slot), 1}, {Slot(slot) + 1, x}, {Slot(slot) + 2, right}, {Slot(slot) + 3, gold}});
  }
  StepResult Step(int64_t a) { return env->Step(&a, obs.data()); }
  double Var(size_t i) const { return env->GetState()[i]; }

  std::unique_ptr<Env> env;
  std::vector<uint8_t> obs;
};

TEST(MinAtarAsterix, StartAndFirstSpawn) {
  Fixture f;
  // The player alone at (5, 5).
  EXPECT_EQ(At(f.obs, 5, 5, 0), 1);
  EXPECT_EQ(Count(f.obs, 0) + Count(f.obs, 1) + Count(f.obs, 2) + Count(f.obs, 3), 1);
  // Spawns every 10 steps, entities move every 5: nothing appears for 10 steps...
  for (int t = 0; t < 10; ++t) {
    EXPECT_EQ(f.Step(kNoop).reward, 0.0);
    EXPECT_EQ(Count(f.obs, 1) + Count(f.obs, 3), 0) << "step " << t;
  }
  // ...then on step 11 one entity spawns at an edge and moves at once (move timer 0), leaving its
  // trail on the edge column.
  f.Step(kNoop);
  EXPECT_EQ(Count(f.obs, 1) + Count(f.obs, 3), 1);
  EXPECT_EQ(Count(f.obs, 2), 1);
  int row = -1;
  for (int y = 1; y <= 8; ++y) {
    if (At(f.obs, y, 1, 1) + At(f.obs, y, 1, 3) + At(f.obs, y, 8, 1) + At(f.obs, y, 8, 3)) row = y;
  }
  ASSERT_NE(row, -1);
  const bool right = At(f.obs, row, 1, 1) + At(f.obs, row, 1, 3) == 1;
  EXPECT_EQ(At(f.obs, row, right ? 0 : 9, 2), 1);
  EXPECT_EQ(f.Var(Slot(row - 1)), 1);
  EXPECT_EQ(f.Var(Slot(row - 1) + 1), right ? 1 : 8);
  EXPECT_EQ(f.Var(kSpawnTimer), 9);
  EXPECT_EQ(f.Var(kMoveTimer), 4);
}

TEST(MinAtarAsterix, WalkingIntoGoldPays) {
  Fixture f;
  // Gold on the player's row one cell to the right; entities don't move this step.
  f.PutEntity(4, 6, false, true);
  f.Set({{kMoveTimer, 3}});
  const StepResult r = f.Step(kRight);
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(At(f.obs, 5, 6, 0), 1);
  EXPECT_EQ(Count(f.obs, 3), 0);
  EXPECT_EQ(f.Var(Slot(4)), 0);  // the slot is free again
}

TEST(MinAtarAsterix, GoldMovingOntoThePlayerPays) {
  Fixture f;
  f.PutEntity(4, 6, false, true);  // moving left, onto (5, 5)
  f.Set({{kMoveTimer, 0}});
  const StepResult r = f.Step(kNoop);
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_EQ(Count(f.obs, 3), 0);
  EXPECT_EQ(f.Var(kMoveTimer), 4);  // reset to move_speed 5, then counted down
}

TEST(MinAtarAsterix, EnemyTouchEndsButEntitiesStillMove) {
  Fixture f;
  // The player steps right onto an enemy moving left; the step still moves the entities, so the
  // final observation shows the enemy one cell past the player.
  f.PutEntity(4, 6, false, false);
  f.Set({{kMoveTimer, 0}});
  StepResult r = f.Step(kRight);
  EXPECT_EQ(r.reward, 0.0);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(At(f.obs, 5, 6, 0), 1);
  EXPECT_EQ(At(f.obs, 5, 5, 1), 1);
  EXPECT_EQ(At(f.obs, 5, 6, 2), 1);  // its trail, under the player
  EXPECT_EQ(f.Var(kTerminal), 1);
}

TEST(MinAtarAsterix, EnemyMovingOntoThePlayerEnds) {
  Fixture f;
  f.PutEntity(2, 4, true, false);  // row 3, moving right
  f.Set({{kPlayerY, 3}, {kMoveTimer, 0}});
  // The player stays at (3, 5) and the enemy moves onto it.
  EXPECT_TRUE(f.Step(kNoop).terminated);
  EXPECT_EQ(At(f.obs, 3, 5, 1), 1);
  EXPECT_EQ(At(f.obs, 3, 5, 0), 1);
}

TEST(MinAtarAsterix, EntitiesLeaveAtTheEdge) {
  Fixture f;
  f.PutEntity(0, 9, true, false);  // row 1, about to leave on the right
  f.PutEntity(7, 0, false, true);  // row 8, about to leave on the left
  f.Set({{kMoveTimer, 0}});
  EXPECT_FALSE(f.Step(kNoop).terminated);
  EXPECT_EQ(Count(f.obs, 1) + Count(f.obs, 2) + Count(f.obs, 3), 0);
  EXPECT_EQ(f.Var(Slot(0)), 0);
  EXPECT_EQ(f.Var(Slot(7)), 0);
}

TEST(MinAtarAsterix, PlayerStaysOnRowsOneToEight) {
  Fixture f;
  f.Set({{kPlayerX, 0}, {kPlayerY, 1}});
  f.Step(kUp);
  f.Step(kLeft);
  EXPECT_EQ(At(f.obs, 1, 0, 0), 1);
  f.Set({{kPlayerX, 9}, {kPlayerY, 8}});
  f.Step(kDown);
  f.Step(kRight);
  EXPECT_EQ(At(f.obs, 8, 9, 0), 1);
  f.Step(kFire);  // does nothing
  EXPECT_EQ(At(f.obs, 8, 9, 0), 1);
}

TEST(MinAtarAsterix, DifficultyRamp) {
  Fixture f;
  // 101 steps count the ramp timer from 100 to -1; the next one ramps (no spawn comes this
  // early).
  f.Set({{kRampTimer, 1}});
  f.Step(kNoop);
  EXPECT_EQ(f.Var(kRampTimer), 0);
  f.Step(kNoop);
  EXPECT_EQ(f.Var(kRampTimer), -1);
  EXPECT_EQ(f.Var(kSpawnSpeed), 10);
  f.Step(kNoop);
  // Ramp 0 (even): only the spawn interval shrinks.
  EXPECT_EQ(f.Var(kRampTimer), 100);
  EXPECT_EQ(f.Var(kRampIndex), 1);
  EXPECT_EQ(f.Var(kSpawnSpeed), 9);
  EXPECT_EQ(f.Var(kMoveSpeed), 5);
  // Ramp 1 (odd): both.
  f.Set({{kRampTimer, -1}});
  f.Step(kNoop);
  EXPECT_EQ(f.Var(kRampIndex), 2);
  EXPECT_EQ(f.Var(kSpawnSpeed), 8);
  EXPECT_EQ(f.Var(kMoveSpeed), 4);
  // Once both intervals are 1 the ramp stops, timer and index included.
  f.Set({{kRampTimer, -1}, {kSpawnSpeed, 1}, {kMoveSpeed, 1}, {kRampIndex, 9}});
  f.Step(kNoop);
  EXPECT_EQ(f.Var(kRampTimer), -1);
  EXPECT_EQ(f.Var(kRampIndex), 9);
}

TEST(MinAtarAsterix, NoRampingKeepsTheSpeeds) {
  Fixture f(/*ramping=*/false);
  f.Set({{kRampTimer, -1}});
  f.Step(kNoop);
  EXPECT_EQ(f.Var(kRampTimer), -1);
  EXPECT_EQ(f.Var(kSpawnSpeed), 10);
  EXPECT_EQ(f.Var(kRampIndex), 0);
}

TEST(MinAtarAsterix, FullRowsStillDrawTwice) {
  // With every row taken a spawn draws rand() twice and places nothing.
  Fixture f;
  f.Step(kNoop);  // starts the generator's block, so that its position counts the draws
  for (int i = 0; i < 8; ++i) f.PutEntity(i, i == 4 ? 0 : 5, true, true);
  f.Set({{kSpawnTimer, 0}, {kMoveTimer, 3}, {kPlayerX, 9}});
  const std::vector<double> before = f.env->GetState();
  f.Step(kNoop);
  const std::vector<double> after = f.env->GetState();
  // The sticky-action rand() and the two spawn rand()s: 6 32-bit words.
  EXPECT_EQ(after[1], before[1] + 6);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(after[Slot(i) + 1], before[Slot(i) + 1]);
  EXPECT_EQ(after[kSpawnTimer], 9);
}

TEST(MinAtarAsterix, SetStateValidates) {
  Fixture f;
  const std::vector<double> good = f.env->GetState();
  for (auto [i, v] : std::initializer_list<std::pair<size_t, double>>{{kPlayerY, 0},
                                                                      {kPlayerY, 9},
                                                                      {kPlayerX, 10},
                                                                      {kSpawnSpeed, 0},
                                                                      {kMoveSpeed, 6},
                                                                      {kRampTimer, -2},
                                                                      {kTerminal, 2},
                                                                      {Slot(3) + 1, 10},
                                                                      {Slot(3) + 2, 1},
                                                                      {kPlayerX, 2.5}}) {
    std::vector<double> bad = good;
    bad[i] = v;
    EXPECT_THROW(f.env->SetState(bad), Error) << i << " = " << v;
    EXPECT_EQ(f.env->GetState(), good);
  }
  std::vector<double> longer = good;
  longer.push_back(0);
  EXPECT_THROW(f.env->SetState(longer), Error);
  std::vector<double> shorter(good.begin(), good.end() - 1);
  EXPECT_THROW(f.env->SetState(shorter), Error);
  EXPECT_EQ(f.env->GetState(), good);
}

TEST(MinAtarAsterix, Spaces) {
  std::unique_ptr<Env> v0 = MakeEnv("MinAtar/Asterix-v0", {});
  std::unique_ptr<Env> v1 = MakeEnv("MinAtar/Asterix-v1", {});
  EXPECT_EQ(v0->observation_space().flat_size(), 400);
  EXPECT_EQ(v0->action_space().n(), 6);
  EXPECT_EQ(v1->action_space().n(), 5);  // n, l, u, r, d
}

}  // namespace
}  // namespace bellman
