// MinAtar Freeway against MinAtar's source (trajectories from gen_minatar_freeway.py) and rules
// pinned by hand.
#include <gtest/gtest.h>

#include <cstdlib>

#include "bellman/core/error.h"
#include "bellman/envs/minatar.h"
#include "envs/minatar_ref.h"

namespace bellman {
namespace {

TEST(MinAtarFreeway, TrajectoriesMatchMinAtar) { minatar_test::ReplayAll("freeway"); }

// Full action set: the index is the action id.
constexpr int64_t kNoop = 0, kUp = 2, kDown = 4;

// Channels: 0 chicken, 1 car, 2-6 the trail of a car with |speed| 1-5; index (y * 10 + x) * 7 + c.
int At(const std::vector<uint8_t>& o, int y, int x, int c) { return o[(y * 10 + x) * 7 + c]; }

// GetState: last_action, generator position, 624 generator words, then the game's variables.
constexpr size_t kGame = 626;
constexpr size_t kPos = kGame, kMoveTimer = kGame + 1, kTerminateTimer = kGame + 2,
                 kTerminal = kGame + 3;
// Car i (row i + 1): x, timer, speed.
size_t Car(int i) { return kGame + 4 + 3 * static_cast<size_t>(i); }

struct Fixture {
  Fixture() : env(MakeMinAtar("freeway", {.sticky_action_prob = 0.0})), obs(700) {
    env->Reset(11, obs.data());
  }
  void Set(std::initializer_list<std::pair<size_t, double>> vars) {
    std::vector<double> s = env->GetState();
    for (auto [i, v] : vars) s[i] = v;
    env->SetState(s);
  }
  // Every car at x 0, moving left once every 6 frames, next move in 5: none reaches column 4
  // for 36 frames.
  void SlowCars() {
    for (int i = 0; i < 8; ++i) Set({{Car(i), 0}, {Car(i) + 1, 5}, {Car(i) + 2, -5}});
  }
  StepResult Step(int64_t a) { return env->Step(&a, obs.data()); }
  double Var(size_t i) const { return env->GetState()[i]; }
  int ChickenRow() const {
    int row = -1;
    for (int y = 0; y < 10; ++y) {
      if (At(obs, y, 4, 0)) row = y;
    }
    return row;
  }

  std::unique_ptr<Env> env;
  std::vector<uint8_t> obs;
};

TEST(MinAtarFreeway, ResetLayout) {
  Fixture f;
  EXPECT_EQ(f.ChickenRow(), 9);
  for (int i = 0; i < 8; ++i) {
    const int y = i + 1;
    const int speed = static_cast<int>(f.Var(Car(i) + 2));
    ASSERT_GE(std::abs(speed), 1);
    ASSERT_LE(std::abs(speed), 5);
    EXPECT_EQ(f.Var(Car(i) + 1), std::abs(speed));
    EXPECT_EQ(At(f.obs, y, 0, 1), 1) << "car " << i;
    // The trail is behind the car, wrapping around, in the channel of its speed.
    EXPECT_EQ(At(f.obs, y, speed > 0 ? 9 : 1, 1 + std::abs(speed)), 1) << "car " << i;
    int set = 0;
    for (int x = 0; x < 10; ++x) {
      for (int c = 0; c < 7; ++c) set += At(f.obs, y, x, c);
    }
    EXPECT_EQ(set, 2) << "car " << i;
  }
}

TEST(MinAtarFreeway, ClockEndsTheGameAfter2501Steps) {
  Fixture f;
  // Waiting on the bottom row (no cars there) never scores and never gets hit.
  for (int t = 1; t <= 2500; ++t) {
    const StepResult r = f.Step(kNoop);
    ASSERT_FALSE(r.terminated) << "step " << t;
    ASSERT_EQ(r.reward, 0.0);
  }
  EXPECT_EQ(f.Var(kTerminateTimer), 0);
  EXPECT_TRUE(f.Step(kNoop).terminated);
  EXPECT_EQ(f.Var(kTerminateTimer), -1);
  EXPECT_EQ(f.Var(kTerminal), 1);
}

TEST(MinAtarFreeway, ChickenMovesEveryThreeFrames) {
  Fixture f;
  f.SlowCars();
  // The move timer starts at 3 and counts down once per frame; a move sets it back to 3.
  const int expected[] = {9, 9, 9, 8, 8, 8, 7, 7, 7, 6};
  for (int row : expected) {
    f.Step(kUp);
    EXPECT_EQ(f.ChickenRow(), row);
  }
  EXPECT_EQ(f.Var(kMoveTimer), 2);
  f.Step(kNoop);
  f.Step(kNoop);  // timer at 0: the next press moves at once
  f.Step(kDown);
  EXPECT_EQ(f.ChickenRow(), 7);
}

TEST(MinAtarFreeway, CrossingScoresAndRedrawsTheCars) {
  Fixture f;
  f.SlowCars();
  f.Set({{Car(3), 7}, {kPos, 1}, {kMoveTimer, 0}});
  const StepResult r = f.Step(kUp);
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(f.ChickenRow(), 9);
  for (int i = 0; i < 8; ++i) {
    // Positions are kept; speeds and timers are re-drawn (timer = |speed| before the cars move,
    // and those whose timer hit 0 this frame are counted down once).
    const int speed = static_cast<int>(f.Var(Car(i) + 2));
    EXPECT_GE(std::abs(speed), 1);
    EXPECT_LE(std::abs(speed), 5);
    EXPECT_EQ(f.Var(Car(i) + 1), std::abs(speed) - 1);
    EXPECT_EQ(f.Var(Car(i)), i == 3 ? 7 : 0);
  }
}

TEST(MinAtarFreeway, CarsSendTheChickenBack) {
  Fixture f;
  f.SlowCars();
  // A car moving onto the chicken: row 8's car at x 5 moves left this frame.
  f.Set({{Car(7), 5}, {Car(7) + 1, 0}, {Car(7) + 2, -1}, {kMoveTimer, 0}});
  StepResult r = f.Step(kUp);
  EXPECT_EQ(r.reward, 0.0);
  EXPECT_EQ(f.ChickenRow(), 9);
  EXPECT_EQ(At(f.obs, 8, 4, 1), 1);
  EXPECT_EQ(At(f.obs, 8, 5, 2), 1);  // the speed-1 trail
  EXPECT_EQ(f.Var(Car(7) + 1), 1);   // waits one frame before moving again
  // The chicken walking into a car that does not move this frame.
  f.Set({{Car(6), 4}, {Car(6) + 1, 3}, {kPos, 8}, {kMoveTimer, 0}});
  f.Step(kUp);
  EXPECT_EQ(f.ChickenRow(), 9);
  // With the row clear it gets through.
  f.Set({{Car(6), 6}, {Car(7), 0}, {Car(7) + 1, 5}, {kPos, 8}, {kMoveTimer, 0}});
  f.Step(kUp);
  EXPECT_EQ(f.ChickenRow(), 7);
}

TEST(MinAtarFreeway, CarsWrapAround) {
  Fixture f;
  f.SlowCars();
  f.Set({{Car(0), 9}, {Car(0) + 1, 0}, {Car(0) + 2, 2}, {Car(1), 0}, {Car(1) + 1, 0}});
  f.Step(kNoop);
  EXPECT_EQ(At(f.obs, 1, 0, 1), 1);  // right past 9 comes back at 0
  EXPECT_EQ(At(f.obs, 1, 9, 3), 1);  // speed-2 trail behind it, on the far side
  EXPECT_EQ(At(f.obs, 2, 9, 1), 1);  // left past 0 comes back at 9
  EXPECT_EQ(At(f.obs, 2, 0, 6), 1);  // speed-5 trail
}

TEST(MinAtarFreeway, SetStateValidates) {
  Fixture f;
  const std::vector<double> good = f.env->GetState();
  for (auto [i, v] : std::initializer_list<std::pair<size_t, double>>{{kPos, 10},
                                                                      {kMoveTimer, 4},
                                                                      {kTerminateTimer, -2},
                                                                      {kTerminateTimer, 2501},
                                                                      {kTerminal, -1},
                                                                      {Car(2), 10},
                                                                      {Car(2) + 1, 6},
                                                                      {Car(2) + 2, 6},
                                                                      {Car(2) + 2, -6},
                                                                      {kPos, 0.5}}) {
    std::vector<double> bad = good;
    bad[i] = v;
    EXPECT_THROW(f.env->SetState(bad), Error) << i << " = " << v;
    EXPECT_EQ(f.env->GetState(), good);
  }
  std::vector<double> longer = good;
  longer.push_back(0);
  EXPECT_THROW(f.env->SetState(longer), Error);
  EXPECT_EQ(f.env->GetState(), good);
}

TEST(MinAtarFreeway, Spaces) {
  std::unique_ptr<Env> v0 = MakeEnv("MinAtar/Freeway-v0", {});
  std::unique_ptr<Env> v1 = MakeEnv("MinAtar/Freeway-v1", {});
  EXPECT_EQ(v0->observation_space().flat_size(), 700);
  EXPECT_EQ(v0->action_space().n(), 6);
  EXPECT_EQ(v1->action_space().n(), 3);  // n, u, d
}

}  // namespace
}  // namespace bellman
