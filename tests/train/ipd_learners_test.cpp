// Naive learners and LOQA on the memory-1 iterated prisoner's dilemma with exact values: the
// outcome of issue 14's bar (naive learners defect, LOQA pairs cooperate).
#include "bellman/train/ipd_learners.h"

#include <gtest/gtest.h>

#include <cmath>

#include "bellman/core/error.h"

namespace bellman::train {
namespace ipd_test {

TEST(IpdLearners, NaiveLearnersDefect) {
  IpdLearningConfig c;
  c.learners = {"naive", "naive"};
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    c.seed = seed;
    const IpdLearningResult r = TrainIpdPair(c);
    EXPECT_GT(r.occupancy[3], 0.95) << "seed " << seed;  // DD
    EXPECT_NEAR(r.average_reward[0], -2.0, 0.05) << "seed " << seed;
  }
}

TEST(IpdLearners, LoqaPairsCooperate) {
  IpdLearningConfig c;
  int cooperative = 0;
  double mean_reward = 0.0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    c.seed = seed;
    const IpdLearningResult r = TrainIpdPair(c);
    cooperative += r.occupancy[0] > 0.9;
    mean_reward += 0.5 * (r.average_reward[0] + r.average_reward[1]) / 5.0;
    EXPECT_LT(r.occupancy[3], 0.05) << "seed " << seed;  // never mutual defection
    // Occupancies are a distribution.
    EXPECT_NEAR(r.occupancy[0] + r.occupancy[1] + r.occupancy[2] + r.occupancy[3], 1.0, 1e-12);
  }
  EXPECT_GE(cooperative, 4);
  EXPECT_GT(mean_reward, -1.2);
}

TEST(IpdLearners, ClosedFormValuesOfFixedPolicies) {
  // Zero steps: the values of the initial policies.
  IpdLearningConfig c;
  c.steps = 0;
  c.init_std = 0.0;  // theta = 0: both play 1/2 everywhere; each outcome 1/4, reward -1.5
  const IpdLearningResult r = TrainIpdPair(c);
  EXPECT_NEAR(r.average_reward[0], -1.5, 1e-12);
  for (double o : r.occupancy) EXPECT_NEAR(o, 0.25, 1e-12);
  c.learners = {"naive", "tft"};
  EXPECT_THROW(TrainIpdPair(c), Error);
}

}  // namespace ipd_test
}  // namespace bellman::train
