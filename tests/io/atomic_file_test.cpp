#include "bellman/io/atomic_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "bellman/core/error.h"
#include "io/temp_dir.h"

namespace bellman::io {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void SaveStep(CheckpointStore& store, int64_t step) {
  store.Save(step, [step](const fs::path& dir) {
    std::ofstream(dir / "counters.txt") << step;
    fs::create_directory(dir / "nets");
    std::ofstream(dir / "nets" / "q.bin") << "weights@" << step;
  });
}

TEST(WriteFileAtomic, WritesReplacesAndLeavesNoTemporaries) {
  test::TempDir dir;
  const fs::path path = dir / "config.yaml";
  WriteFileAtomic(path, "gamma: 0.99\n");
  EXPECT_EQ(ReadFile(path), "gamma: 0.99\n");
  WriteFileAtomic(path, std::string("a\0b", 3));
  EXPECT_EQ(ReadFile(path), std::string("a\0b", 3));
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"config.yaml"});
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::owner_read, fs::perms::owner_read);
}

TEST(WriteFileAtomic, MissingDirectoryIsAnErrorNamingThePath) {
  test::TempDir dir;
  try {
    WriteFileAtomic(dir / "missing" / "x", "1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing/x"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ReadFile(dir / "nope"), Error);
}

TEST(AtomicDirectory, AppearsOnlyOnCommit) {
  test::TempDir dir;
  const fs::path final_path = dir / "out";
  {
    AtomicDirectory ad(final_path);
    EXPECT_EQ(ad.path(), dir / ".tmp-out");
    ad.WriteFile("a.txt", "A");
    EXPECT_FALSE(fs::exists(final_path));
    ad.Commit();
    EXPECT_THROW(ad.Commit(), Error);
  }
  EXPECT_EQ(ReadFile(final_path / "a.txt"), "A");
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"out"});
}

TEST(AtomicDirectory, ReplacesAnExistingDirectory) {
  test::TempDir dir;
  const fs::path final_path = dir / "out";
  fs::create_directory(final_path);
  std::ofstream(final_path / "old.txt") << "old";
  AtomicDirectory ad(final_path);
  ad.WriteFile("new.txt", "new");
  ad.Commit();
  EXPECT_EQ(Entries(final_path), std::vector<std::string>{"new.txt"});
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"out"});
}

TEST(AtomicDirectory, AbandonedWithoutCommitLeavesNothing) {
  test::TempDir dir;
  try {
    AtomicDirectory ad(dir / "out");
    ad.WriteFile("a.txt", "A");
    throw std::runtime_error("writer failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(Entries(dir.path()).empty());
}

TEST(CheckpointStore, LatestPointsAtTheNewest) {
  test::TempDir run;
  CheckpointStore store(run / "checkpoints", 0);
  EXPECT_EQ(store.Latest(), std::nullopt);
  SaveStep(store, 1000);
  EXPECT_EQ(store.Latest(), run / "checkpoints" / "step_1000");
  SaveStep(store, 2000);
  EXPECT_EQ(ReadFile(run / "checkpoints" / "latest"), "step_2000\n");
  EXPECT_EQ(store.Latest(), run / "checkpoints" / "step_2000");
  EXPECT_EQ(ReadFile(*store.Latest() / "nets" / "q.bin"), "weights@2000");
  EXPECT_EQ(store.Steps(), (std::vector<int64_t>{1000, 2000}));
  EXPECT_EQ(Entries(run / "checkpoints"),
            (std::vector<std::string>{"latest", "step_1000", "step_2000"}));
}

TEST(CheckpointStore, KeepsTheLastK) {
  test::TempDir run;
  CheckpointStore store(run / "checkpoints", 2);
  for (int64_t step : {100, 200, 300, 400}) SaveStep(store, step);
  EXPECT_EQ(store.Steps(), (std::vector<int64_t>{300, 400}));
  EXPECT_EQ(Entries(run / "checkpoints"),
            (std::vector<std::string>{"latest", "step_300", "step_400"}));
  CheckpointStore one(run / "one", 1);
  SaveStep(one, 5);
  SaveStep(one, 6);
  EXPECT_EQ(one.Steps(), std::vector<int64_t>{6});
  EXPECT_THROW(CheckpointStore(run / "bad", -1), Error);
}

TEST(CheckpointStore, SavingTheSameStepAgainReplacesIt) {
  test::TempDir run;
  CheckpointStore store(run / "checkpoints", 3);
  SaveStep(store, 100);
  store.Save(100, [](const fs::path& dir) { std::ofstream(dir / "counters.txt") << "again"; });
  EXPECT_EQ(ReadFile(run / "checkpoints" / "step_100" / "counters.txt"), "again");
  EXPECT_FALSE(fs::exists(run / "checkpoints" / "step_100" / "nets"));
  EXPECT_EQ(store.Steps(), std::vector<int64_t>{100});
}

TEST(CheckpointStore, CrashMidSaveKeepsThePreviousCheckpoint) {
  test::TempDir run;
  const fs::path root = run / "checkpoints";
  CheckpointStore store(root, 2);
  SaveStep(store, 1000);
  SaveStep(store, 2000);

  // A process killed while writing step 3000: its temp dir stays, half written; so does a temp
  // file of an interrupted `latest` update.
  fs::create_directories(root / ".tmp-step_3000" / "nets");
  std::ofstream(root / ".tmp-step_3000" / "nets" / "q.bin") << "half";
  std::ofstream(root / ".tmp-latest.Ab12Cd") << "step_30";

  // What a restarted process sees: the previous checkpoint, intact.
  CheckpointStore reopened(root, 2);
  EXPECT_EQ(reopened.Latest(), root / "step_2000");
  EXPECT_EQ(ReadFile(*reopened.Latest() / "nets" / "q.bin"), "weights@2000");
  EXPECT_EQ(reopened.Steps(), (std::vector<int64_t>{1000, 2000}));

  // The next save removes the stale temporaries.
  SaveStep(reopened, 3000);
  EXPECT_EQ(Entries(root), (std::vector<std::string>{"latest", "step_2000", "step_3000"}));
  EXPECT_EQ(ReadFile(root / "step_3000" / "nets" / "q.bin"), "weights@3000");
}

TEST(CheckpointStore, FailedWriteChangesNothing) {
  test::TempDir run;
  const fs::path root = run / "checkpoints";
  CheckpointStore store(root, 1);
  SaveStep(store, 10);
  EXPECT_THROW(store.Save(20,
                          [](const fs::path& dir) {
                            std::ofstream(dir / "partial") << "x";
                            throw Error("replay buffer too large");
                          }),
               Error);
  EXPECT_EQ(Entries(root), (std::vector<std::string>{"latest", "step_10"}));
  EXPECT_EQ(store.Latest(), root / "step_10");
}

TEST(CheckpointStore, CrashBeforeTheFirstLatestFallsBackToTheHighestStep) {
  test::TempDir run;
  const fs::path root = run / "checkpoints";
  CheckpointStore store(root, 0);
  SaveStep(store, 10);
  SaveStep(store, 20);
  fs::remove(root / "latest");
  EXPECT_EQ(store.Latest(), root / "step_20");
}

TEST(CheckpointStore, BadLatestIsAClearError) {
  test::TempDir run;
  const fs::path root = run / "checkpoints";
  CheckpointStore store(root, 0);
  SaveStep(store, 10);
  WriteFileAtomic(root / "latest", "step_99\n");
  try {
    store.Latest();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("step_99"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("present: step_10"), std::string::npos) << e.what();
  }
  WriteFileAtomic(root / "latest", "garbage");
  EXPECT_THROW(store.Latest(), Error);
}

TEST(CheckpointStore, ParseCheckpointName) {
  EXPECT_EQ(ParseCheckpointName("step_0"), 0);
  EXPECT_EQ(ParseCheckpointName("step_50000"), 50000);
  EXPECT_EQ(ParseCheckpointName("step_"), std::nullopt);
  EXPECT_EQ(ParseCheckpointName("step_01"), std::nullopt);
  EXPECT_EQ(ParseCheckpointName("step_1a"), std::nullopt);
  EXPECT_EQ(ParseCheckpointName(".tmp-step_1"), std::nullopt);
  EXPECT_EQ(ParseCheckpointName("latest"), std::nullopt);
}

TEST(CheckpointStore, ResolveCheckpointAcceptsRunCheckpointsOrStepDirectories) {
  test::TempDir run;
  CheckpointStore store(run / "checkpoints", 0);
  SaveStep(store, 10);
  SaveStep(store, 20);
  const fs::path want = run / "checkpoints" / "step_20";
  EXPECT_EQ(ResolveCheckpoint(run.path()), want);
  EXPECT_EQ(ResolveCheckpoint(run / "checkpoints"), want);
  EXPECT_EQ(ResolveCheckpoint(run / "checkpoints" / "step_10"), run / "checkpoints" / "step_10");
  EXPECT_THROW(ResolveCheckpoint(run / "nope"), Error);
  test::TempDir empty_run;
  fs::create_directory(empty_run / "checkpoints");
  EXPECT_THROW(ResolveCheckpoint(empty_run.path()), Error);
}

}  // namespace
}  // namespace bellman::io
