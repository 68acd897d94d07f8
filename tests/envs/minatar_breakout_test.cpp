// MinAtar Breakout against MinAtar's source (trajectories from gen_minatar_breakout.py) and
// rules pinned by hand.
#include <gtest/gtest.h>

#include "bellman/envs/minatar.h"
#include "envs/minatar_ref.h"

namespace bellman {
namespace {

TEST(MinAtarBreakout, TrajectoriesMatchMinAtar) { minatar_test::ReplayAll("breakout"); }

// Channels: 0 paddle, 1 ball, 2 trail, 3 brick; index (y * 10 + x) * 4 + c.
int At(const std::vector<uint8_t>& o, int y, int x, int c) { return o[(y * 10 + x) * 4 + c]; }

TEST(MinAtarBreakout, StartAndFirstBrick) {
  // No sticky actions: the player's actions are exactly the ones taken.
  std::unique_ptr<Env> env = MakeMinAtar("breakout", {.sticky_action_prob = 0.0});
  std::vector<uint8_t> o(400);
  env->Reset(3, o.data());
  // Paddle at x 4 on the bottom row, bricks on rows 1-3, the ball on row 3 at a wall.
  EXPECT_EQ(At(o, 9, 4, 0), 1);
  int bricks = 0;
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 10; ++x) bricks += At(o, y, x, 3);
  EXPECT_EQ(bricks, 30);
  const bool left = At(o, 3, 0, 1) == 1;
  EXPECT_TRUE(left || At(o, 3, 9, 1) == 1);
  // The ball moves down-right (from x 0) or down-left (from x 9) one cell per step.
  const int64_t noop = 0;
  env->Step(&noop, o.data());
  EXPECT_EQ(At(o, 4, left ? 1 : 8, 1), 1);
  EXPECT_EQ(At(o, 3, left ? 0 : 9, 2), 1);  // the trail marks the previous cell
}

}  // namespace
}  // namespace bellman
