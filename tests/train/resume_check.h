// The train-stop-resume check that every algorithm family's tests run: a full run, and the same
// run stopped after `stop_after` env steps (between checkpoints) and resumed, must write the same
// progress.csv, final evaluation, algorithm file and replay buffer, bit for bit.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "bellman/train/train.h"
#include "io/temp_dir.h"

namespace bellman::train::test_util {

// make(run_dir) builds the options of one run (same config and seed each call). Returns the
// full run's result. The last checkpoint is step_<n_timesteps>.
inline TrainResult ExpectResumeIsBitExact(
    const std::function<TrainOptions(const std::filesystem::path&)>& make, const std::string& algo,
    const test::TempDir& tmp, int64_t n_timesteps, int64_t stop_after) {
  namespace fs = std::filesystem;
  using test::Slurp;
  TrainResult full = Train(make(tmp / "full"));
  EXPECT_TRUE(full.finished);
  EXPECT_EQ(full.env_steps, n_timesteps);

  TrainOptions killed = make(tmp / "resumed");
  killed.stop_after_steps = stop_after;
  EXPECT_FALSE(Train(killed).finished);
  TrainOptions resume;
  resume.resume = (tmp / "resumed").string();
  resume.progress = false;
  resume.verbose = false;
  TrainResult done = Train(resume);
  EXPECT_TRUE(done.finished);
  EXPECT_EQ(Slurp(tmp / "full" / "progress.csv"), Slurp(tmp / "resumed" / "progress.csv"));
  EXPECT_EQ(full.final_eval.returns, done.final_eval.returns);
  const std::string step = "step_" + std::to_string(n_timesteps);
  const fs::path a = tmp / "full" / "checkpoints" / step;
  const fs::path b = tmp / "resumed" / "checkpoints" / step;
  EXPECT_EQ(Slurp(a / (algo + ".pt")), Slurp(b / (algo + ".pt")));
  EXPECT_EQ(fs::exists(a / "replay.bin"), fs::exists(b / "replay.bin"));
  if (fs::exists(a / "replay.bin")) {
    EXPECT_EQ(Slurp(a / "replay.bin"), Slurp(b / "replay.bin"));
  }
  // A NaN in a logged loss would have stopped the run with an error; none is logged either.
  EXPECT_EQ(Slurp(tmp / "full" / "progress.csv").find("nan"), std::string::npos);
  return full;
}

}  // namespace bellman::train::test_util
