// FormatGrid and the grid layouts of FrozenLake and CliffWalking.
#include "bellman/tabular/grid.h"

#include <gtest/gtest.h>

#include <string>

#include "bellman/core/error.h"
#include "bellman/envs/registry.h"
#include "bellman/tabular/planning.h"

namespace bellman::tabular {
namespace {

TEST(FormatGrid, TwoByThree) {
  const std::string out = FormatGrid({0.5, -1.25, 10.0, 0.0, 1.0, 2.0}, {0, 1, 2, 3, 0, 1}, 2, 3,
                                     {"←", "↓", "→", "↑"}, {"", "", "", "", "H", ""}, 2);
  EXPECT_EQ(out,
            "V:\n"
            "   0.50 -1.25 10.00\n"
            "   0.00  1.00  2.00\n"
            "policy:\n"
            "  ← ↓ →\n"
            "  ↑ H ↓\n");
}

TEST(FormatGrid, RejectsMismatchedSizes) {
  EXPECT_THROW(FormatGrid({0.0, 1.0}, {0, 0}, 2, 2, {"<", ">"}), Error);
  EXPECT_THROW(FormatGrid({0.0, 1.0}, {0, 2}, 1, 2, {"<", ">"}), Error);
  EXPECT_THROW(FormatGrid({0.0, 1.0}, {0, 1}, 1, 2, {"<", ">"}, {"H"}), Error);
  EXPECT_THROW(FormatGrid({}, {}, 0, 0, {"<", ">"}), Error);
}

TEST(GridLayout, ActionArrowsFollowEachEnvsActionOrder) {
  // FrozenLake: LEFT DOWN RIGHT UP. CliffWalking: UP RIGHT DOWN LEFT.
  const auto lake = GridLayoutFor("FrozenLake-v1");
  ASSERT_TRUE(lake);
  EXPECT_EQ(lake->nrow, 4);
  EXPECT_EQ(lake->ncol, 4);
  EXPECT_EQ(lake->action_arrows, (std::vector<std::string>{"←", "↓", "→", "↑"}));
  const auto cliff = GridLayoutFor("CliffWalking-v1");
  ASSERT_TRUE(cliff);
  EXPECT_EQ(cliff->nrow, 4);
  EXPECT_EQ(cliff->ncol, 12);
  EXPECT_EQ(cliff->action_arrows, (std::vector<std::string>{"↑", "→", "↓", "←"}));
  EXPECT_EQ(cliff->cell_labels[36], "");
  EXPECT_EQ(cliff->cell_labels[37], "C");
  EXPECT_EQ(cliff->cell_labels[46], "C");
  EXPECT_EQ(cliff->cell_labels[47], "G");
  EXPECT_FALSE(GridLayoutFor("Taxi-v4"));
  EXPECT_FALSE(GridLayoutFor("CartPole-v1"));
}

TEST(GridLayout, FrozenLakeMapFromArgs) {
  const auto big = GridLayoutFor("FrozenLake8x8-v1");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->nrow, 8);
  EXPECT_EQ(big->cell_labels[63], "G");
  EXPECT_EQ(big->cell_labels[19], "H");  // row 2 "FFFHFFFF"
  const auto named = GridLayoutFor("FrozenLake-v1", {{"map_name", std::string("8x8")}});
  ASSERT_TRUE(named);
  EXPECT_EQ(named->cell_labels, big->cell_labels);
  const auto custom =
      GridLayoutFor("FrozenLake-v1", {{"desc", std::vector<std::string>{"SFH", "FFG"}}});
  ASSERT_TRUE(custom);
  EXPECT_EQ(custom->nrow, 2);
  EXPECT_EQ(custom->ncol, 3);
  EXPECT_EQ(custom->cell_labels, (std::vector<std::string>{"", "", "H", "", "", "G"}));
  const auto random = GridLayoutFor("FrozenLake-v1", {{"map_name", std::monostate{}}});
  ASSERT_TRUE(random);
  EXPECT_EQ(random->nrow, 8);
  EXPECT_TRUE(random->cell_labels.empty());
}

// What `bellman solve --env FrozenLake-v1 --gamma 0.99` prints: V* and the optimal policy of the
// slippery lake (the well-known LEFT UP UP UP / LEFT . LEFT . / UP DOWN LEFT . / . RIGHT DOWN .).
TEST(GridLayout, SlipperyFrozenLakeOptimalPolicyPicture) {
  auto env = MakeEnv("FrozenLake-v1");
  const PlanningResult r = ValueIteration(*env, 0.99, 1e-12);
  const std::string out = FormatGrid(r.V, r.policy, *GridLayoutFor("FrozenLake-v1"));
  EXPECT_EQ(out,
            "V:\n"
            "  0.542 0.499 0.471 0.457\n"
            "  0.558 0.000 0.358 0.000\n"
            "  0.592 0.643 0.615 0.000\n"
            "  0.000 0.742 0.863 0.000\n"
            "policy:\n"
            "  ← ↑ ↑ ↑\n"
            "  ← H ← H\n"
            "  ↑ ↓ ← H\n"
            "  H → ↓ G\n");
}

TEST(GridLayout, CliffWalkingOptimalPolicyPicture) {
  auto env = MakeEnv("CliffWalking-v1");
  const PlanningResult r = ValueIteration(*env, 0.99, 1e-12);
  const std::string out = FormatGrid(r.V, r.policy, *GridLayoutFor("CliffWalking-v1"), 1);
  // The bottom row: start goes up, then the edge path along row 2, down into the goal.
  EXPECT_NE(out.find("  ↑ C C C C C C C C C C G\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  → → → → → → → → → → → ↓\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace bellman::tabular
