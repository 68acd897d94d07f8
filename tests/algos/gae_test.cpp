// GAE (include/bellman/algos/gae.h) against values computed by hand.
#include "bellman/algos/gae.h"

#include <gtest/gtest.h>

#include <vector>

namespace bellman::algos {
namespace {

TEST(Gae, OneEnvAcrossAnEpisodeEnd) {
  // 3 steps, one env; the episode ends at step 1 (done), a new one starts at step 2.
  const std::vector<float> r = {1.0f, 2.0f, 3.0f};
  const std::vector<float> v = {0.5f, 1.0f, 1.5f};
  const std::vector<float> d = {0.0f, 1.0f, 0.0f};
  const std::vector<float> last = {2.0f};
  std::vector<float> adv(3), ret(3);
  const float g = 0.9f, l = 0.8f;
  ComputeGae(r, v, d, last, 3, 1, g, l, adv, ret);
  // Step 2: delta = 3 + 0.9 * 2 - 1.5 = 3.3; A = 3.3.
  // Step 1: done, delta = 2 - 1 = 1; A = 1 (nothing flows back across the episode end).
  // Step 0: delta = 1 + 0.9 * 1.0 - 0.5 = 1.4; A = 1.4 + 0.9 * 0.8 * 1 = 2.12.
  EXPECT_FLOAT_EQ(adv[2], 3.3f);
  EXPECT_FLOAT_EQ(adv[1], 1.0f);
  EXPECT_FLOAT_EQ(adv[0], 2.12f);
  EXPECT_FLOAT_EQ(ret[0], 2.62f);
  EXPECT_FLOAT_EQ(ret[1], 2.0f);
  EXPECT_FLOAT_EQ(ret[2], 4.8f);
}

TEST(Gae, EnvsAreIndependentAndLambdaOneIsTheDiscountedReturn) {
  // 2 steps x 2 envs, step-major rows: [t0e0, t0e1, t1e0, t1e1]. lambda = 1: A_t + V_t is the
  // discounted return bootstrapped from last_values.
  const std::vector<float> r = {1.0f, 10.0f, 1.0f, 10.0f};
  const std::vector<float> v = {0.25f, 3.0f, 0.75f, 5.0f};
  const std::vector<float> d = {0.0f, 0.0f, 0.0f, 1.0f};
  const std::vector<float> last = {4.0f, 100.0f};
  std::vector<float> adv(4), ret(4);
  ComputeGae(r, v, d, last, 2, 2, 0.5f, 1.0f, adv, ret);
  // env 0: returns 1 + 0.5 * (1 + 0.5 * 4) = 2.5 and 1 + 0.5 * 4 = 3.
  EXPECT_FLOAT_EQ(ret[0], 2.5f);
  EXPECT_FLOAT_EQ(ret[2], 3.0f);
  // env 1 ends at t1: returns 10 + 0.5 * 10 = 15 and 10 (last_values masked).
  EXPECT_FLOAT_EQ(ret[1], 15.0f);
  EXPECT_FLOAT_EQ(ret[3], 10.0f);
  EXPECT_FLOAT_EQ(adv[3], 5.0f);
}

}  // namespace
}  // namespace bellman::algos
