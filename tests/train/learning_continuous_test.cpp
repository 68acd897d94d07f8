// Learning tests of issue 5: TD3 and SAC reach a mean return >= -250 on Pendulum-v1 within 20k
// env steps, PPO solves CartPole-v1 (>= 475) within 100k, each on 3 fixed seeds, no retries.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <tuple>

#include "bellman/train/train.h"
#include "io/temp_dir.h"
#include "train/run_preset.h"

namespace bellman::train {
namespace {

using test_util::RunPreset;

class LearningContinuousPendulum : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(LearningContinuousPendulum, FastPresetReachesMinus250) {
  const auto& [algo, seed] = GetParam();
  test::TempDir tmp;
  TrainResult r = RunPreset(algo, "Pendulum-v1", "Pendulum-v1-fast", seed, tmp);
  EXPECT_LE(r.env_steps, 20'000);
  EXPECT_GE(r.final_eval.mean, -250.0) << algo << " seed " << seed;
}

INSTANTIATE_TEST_SUITE_P(Seeds, LearningContinuousPendulum,
                         ::testing::Combine(::testing::Values("td3", "sac"),
                                            ::testing::Values(1, 2, 3)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_seed" +
                                  std::to_string(std::get<1>(info.param));
                         });

class LearningPpoCartPole : public ::testing::TestWithParam<int> {};

TEST_P(LearningPpoCartPole, FastPresetReaches475) {
  test::TempDir tmp;
  TrainResult r = RunPreset("ppo", "CartPole-v1", "CartPole-v1-fast", GetParam(), tmp);
  EXPECT_LE(r.env_steps, 100'000);
  EXPECT_GE(r.final_eval.mean, 475.0) << "seed " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Seeds, LearningPpoCartPole, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace bellman::train
