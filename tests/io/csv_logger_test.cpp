#include "bellman/io/csv_logger.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <limits>

#include "bellman/core/error.h"
#include "io/temp_dir.h"
#include "io/tfevents_reader.h"

namespace bellman::io {
namespace {

using test::ReadWholeFile;

void Overwrite(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST(CsvLogger, HeaderThenOneFlushedRowPerCall) {
  test::TempDir dir;
  const auto path = dir / "run" / "progress.csv";
  CsvLogger log(path, {"step", "episode_return", "loss", "note"});
  EXPECT_EQ(ReadWholeFile(path), "step,episode_return,loss,note\n");
  log.Log({int64_t{100}, 21.5, std::monostate{}, std::string("warm-up")});
  // Flushed: visible to another reader before the logger is closed.
  EXPECT_EQ(ReadWholeFile(path), "step,episode_return,loss,note\n100,21.5,,warm-up\n");
  log.Log({int64_t{200}, 0.1, 1e-07, std::string("a,b \"c\"")});
  EXPECT_EQ(ReadWholeFile(path),
            "step,episode_return,loss,note\n100,21.5,,warm-up\n"
            "200,0.1,1e-07,\"a,b \"\"c\"\"\"\n");
}

TEST(CsvLogger, DoublesRoundTrip) {
  EXPECT_EQ(CsvLogger::Format(500.0), "500");
  EXPECT_EQ(CsvLogger::Format(-0.5), "-0.5");
  EXPECT_EQ(CsvLogger::Format(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(CsvLogger::Format(std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(CsvLogger::Format(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(CsvLogger::Format(int64_t{-9007199254740993}), "-9007199254740993");
  for (double v : {1.0 / 3.0, 6.02214076e23, 5e-324, 123456.789}) {
    EXPECT_EQ(std::strtod(CsvLogger::Format(v).c_str(), nullptr), v);  // stod rejects subnormals
  }
}

TEST(CsvLogger, ResumeAppendsAfterExistingRows) {
  test::TempDir dir;
  const auto path = dir / "progress.csv";
  {
    CsvLogger log(path, {"step", "return"});
    log.Log({int64_t{1}, 1.5});
  }
  {
    CsvLogger log(path, {"step", "return"});
    log.Log({int64_t{2}, 2.5});
  }
  EXPECT_EQ(ReadWholeFile(path), "step,return\n1,1.5\n2,2.5\n");
}

TEST(CsvLogger, ResumeCutsAPartialLastLine) {
  test::TempDir dir;
  const auto path = dir / "progress.csv";
  Overwrite(path, "step,return\n1,1.5\n2,2.");  // killed mid-row
  {
    CsvLogger log(path, {"step", "return"});
    EXPECT_EQ(ReadWholeFile(path), "step,return\n1,1.5\n");
    log.Log({int64_t{2}, 2.5});
  }
  EXPECT_EQ(ReadWholeFile(path), "step,return\n1,1.5\n2,2.5\n");
}

TEST(CsvLogger, ResumeAfterAPartialHeaderOrAnEmptyFileWritesTheHeader) {
  test::TempDir dir;
  const auto path = dir / "progress.csv";
  for (const std::string& before : {std::string(""), std::string("ste")}) {
    Overwrite(path, before);
    CsvLogger log(path, {"step", "return"});
    log.Log({int64_t{1}, 1.0});
    EXPECT_EQ(ReadWholeFile(path), "step,return\n1,1\n") << "'" << before << "'";
  }
}

TEST(CsvLogger, ResumeWithDifferentColumnsIsAnError) {
  test::TempDir dir;
  const auto path = dir / "progress.csv";
  { CsvLogger log(path, {"step", "return"}); }
  try {
    CsvLogger log(path, {"step", "loss"});
    FAIL() << "mismatched header accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'step,return'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'step,loss'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ReadWholeFile(path), "step,return\n");  // untouched
}

TEST(CsvLogger, WrongNumberOfValuesOrBadColumnsAreErrors) {
  test::TempDir dir;
  CsvLogger log(dir / "p.csv", {"a", "b"});
  EXPECT_THROW(log.Log({int64_t{1}}), Error);
  EXPECT_THROW(log.Log({int64_t{1}, 2.0, 3.0}), Error);
  EXPECT_THROW(CsvLogger(dir / "q.csv", {}), Error);
  EXPECT_THROW(CsvLogger(dir / "q.csv", {"a", "a"}), Error);
  EXPECT_THROW(CsvLogger(dir / "q.csv", {"a", ""}), Error);
}

TEST(CsvLogger, DropRowsAfterKeepsRowsUpToTheCheckpoint) {
  test::TempDir dir;
  const auto path = dir / "progress.csv";
  {
    CsvLogger log(path, {"step", "return"});
    for (int64_t s : {1000, 2000, 3000, 4000}) log.Log({s, 1.0});
  }
  CsvLogger log(path, {"step", "return"});
  EXPECT_EQ(log.DropRowsAfter("step", 2000), 2);
  log.Log({int64_t{3000}, 2.0});
  EXPECT_EQ(ReadWholeFile(path), "step,return\n1000,1\n2000,1\n3000,2\n");
  EXPECT_EQ(log.DropRowsAfter("step", 5000), 0);
  EXPECT_THROW(log.DropRowsAfter("nope", 1), Error);
}

}  // namespace
}  // namespace bellman::io
