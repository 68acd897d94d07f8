#include "bellman/io/tfevents.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>

#include "bellman/core/error.h"
#include "io/temp_dir.h"
#include "io/tfevents_reader.h"

namespace bellman::io {
namespace {

using test::ReadEventFile;
using test::ReadTfRecords;
using test::ReadWholeFile;

// A wall clock that advances by 0.25 s per call, so every event's wall_time is known.
TfEventsWriter::WallClock FakeClock() {
  auto t = std::make_shared<double>(1700000000.5);
  return [t] {
    const double now = *t;
    *t += 0.25;
    return now;
  };
}

std::string Le(uint64_t v, int width) {
  std::string s;
  for (int i = 0; i < width; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return s;
}

std::string DoubleLe(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return Le(bits, 8);
}

std::string Record(const std::string& payload) {
  const std::string len = Le(payload.size(), 8);
  return len + Le(test::ReferenceMaskedCrc32c(len), 4) + payload +
         Le(test::ReferenceMaskedCrc32c(payload), 4);
}

TEST(TfEvents, FileNameAndFirstRecord) {
  test::TempDir dir;
  std::filesystem::path path;
  {
    TfEventsWriter writer(dir.path() / "tb", FakeClock());
    path = writer.path();
  }
  EXPECT_EQ(path.parent_path(), dir.path() / "tb");
  const std::string name = path.filename().string();
  const std::string prefix = "events.out.tfevents.1700000000.";  // then the host name
  EXPECT_TRUE(name.starts_with(prefix) && name.size() > prefix.size()) << name;
  const auto events = ReadEventFile(path);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_EQ(events[0].wall_time, 1700000000.5);
  EXPECT_EQ(events[0].step, 0);
  EXPECT_EQ(events[0].other_fields, 0);
}

TEST(TfEvents, BytesMatchTheFormatWrittenOutByHand) {
  test::TempDir dir;
  std::filesystem::path path;
  {
    TfEventsWriter writer(dir.path(), FakeClock());
    writer.AddScalar("loss", 300, 0.5);
    path = writer.path();
  }
  // Event{wall_time (1, fixed64), file_version (3, bytes)}
  const std::string first = "\x09" + DoubleLe(1700000000.5) + "\x1a\x0d" + "brain.Event:2";
  // Event{wall_time, step (2, varint 300 = ac 02), summary (5, bytes){
  //   value (1, bytes){tag (1, bytes) "loss", simple_value (2, fixed32) 0.5f = 0x3f000000}}}
  const std::string value = std::string("\x0a\x04") + "loss" + "\x15" + Le(0x3f000000u, 4);
  const std::string summary = "\x0a" + std::string(1, static_cast<char>(value.size())) + value;
  const std::string second = "\x09" + DoubleLe(1700000000.75) + "\x10\xac\x02" + "\x2a" +
                             std::string(1, static_cast<char>(summary.size())) + summary;
  EXPECT_EQ(ReadWholeFile(path), Record(first) + Record(second));
}

TEST(TfEvents, ScalarsReadBackExactly) {
  test::TempDir dir;
  const std::vector<std::pair<int64_t, double>> points = {{0, 0.0},
                                                          {1, 1.0},
                                                          {2, -3.25},
                                                          {1000, 0.1},
                                                          {1 << 20, 1e30},
                                                          {int64_t{1} << 40, -1e-30},
                                                          {int64_t{9007199254740993}, 123.456}};
  std::filesystem::path path;
  {
    TfEventsWriter writer(dir.path(), FakeClock());
    for (const auto& [step, value] : points) writer.AddScalar("train/episode_return", step, value);
    writer.AddScalars(77, {{"loss", 0.25}, {"q_mean", 12.5}, {"epsilon", 0.05}});
    writer.AddScalar("nan", 78, std::numeric_limits<double>::quiet_NaN());
    writer.AddScalar("inf", 79, -std::numeric_limits<double>::infinity());
    writer.Flush();
    path = writer.path();
    // Flushed: readable while the writer is still open.
    EXPECT_EQ(ReadEventFile(path).size(), 1 + points.size() + 3);
  }
  const auto events = ReadEventFile(path);
  ASSERT_EQ(events.size(), 1 + points.size() + 3);
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& e = events[1 + i];
    EXPECT_EQ(e.step, points[i].first);
    EXPECT_EQ(e.wall_time, 1700000000.5 + 0.25 * static_cast<double>(i + 1));
    EXPECT_FALSE(e.file_version.has_value());
    EXPECT_EQ(e.other_fields, 0);
    ASSERT_EQ(e.scalars.size(), 1u);
    EXPECT_EQ(e.scalars[0].tag, "train/episode_return");
    // Bitwise equality with the float the value rounds to.
    EXPECT_EQ(e.scalars[0].value, static_cast<float>(points[i].second));
  }
  const auto& multi = events[1 + points.size()];
  EXPECT_EQ(multi.step, 77);
  ASSERT_EQ(multi.scalars.size(), 3u);
  EXPECT_EQ(multi.scalars[0].tag, "loss");
  EXPECT_EQ(multi.scalars[0].value, 0.25f);
  EXPECT_EQ(multi.scalars[1].tag, "q_mean");
  EXPECT_EQ(multi.scalars[1].value, 12.5f);
  EXPECT_EQ(multi.scalars[2].tag, "epsilon");
  EXPECT_EQ(multi.scalars[2].value, 0.05f);
  EXPECT_TRUE(std::isnan(events[2 + points.size()].scalars[0].value));
  EXPECT_EQ(events[3 + points.size()].scalars[0].value, -std::numeric_limits<float>::infinity());
}

TEST(TfEvents, NegativeStepUsesTenByteVarint) {
  test::TempDir dir;
  std::filesystem::path path;
  {
    TfEventsWriter writer(dir.path(), FakeClock());
    writer.AddScalar("x", -1, 2.0);
    path = writer.path();
  }
  const auto events = ReadEventFile(path);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].step, -1);
}

TEST(TfEvents, RestartMarkerIsASessionLogStart) {
  test::TempDir dir;
  std::filesystem::path path;
  {
    TfEventsWriter writer(dir.path(), FakeClock());
    writer.MarkRestart(5001);
    path = writer.path();
  }
  const auto events = ReadEventFile(path);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].step, 5001);
  EXPECT_EQ(events[1].session_log_status, 1);  // SessionLog.START
  EXPECT_TRUE(events[1].scalars.empty());
}

TEST(TfEvents, TwoWritersInTheSameSecondGetDifferentFiles) {
  test::TempDir dir;
  auto clock = [] { return 1700000000.0; };
  TfEventsWriter a(dir.path(), clock);
  TfEventsWriter b(dir.path(), clock);
  EXPECT_NE(a.path(), b.path());
  EXPECT_EQ(b.path().string(), a.path().string() + ".1");
}

std::string WriteSample(const std::filesystem::path& dir) {
  TfEventsWriter writer(dir, FakeClock());
  writer.AddScalar("a", 1, 1.5);
  writer.AddScalar("b", 2, 2.5);
  return writer.path().string();
}

void Overwrite(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST(TfEvents, ReaderRejectsACorruptDataByte) {
  test::TempDir dir;
  const std::string path = WriteSample(dir.path());
  std::string bytes = ReadWholeFile(path);
  ASSERT_NO_THROW(ReadTfRecords(bytes));
  const size_t first_record = 8 + 4 + ReadTfRecords(bytes)[0].size() + 4;
  bytes[first_record + 12 + 3] ^= 0x01;  // inside the second record's payload
  try {
    ReadTfRecords(bytes);
    FAIL() << "corrupt payload accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "record 1: bad data CRC");
  }
}

TEST(TfEvents, ReaderRejectsACorruptLengthAndATruncatedFile) {
  test::TempDir dir;
  const std::string path = WriteSample(dir.path());
  const std::string good = ReadWholeFile(path);
  std::string bad_length = good;
  bad_length[0] ^= 0x04;
  EXPECT_THROW(ReadTfRecords(bad_length), std::runtime_error);
  std::string bad_crc = good;
  bad_crc[good.size() - 1] ^= 0x80;  // the last data CRC
  EXPECT_THROW(ReadTfRecords(bad_crc), std::runtime_error);
  for (size_t cut : {size_t{1}, size_t{4}, size_t{13}}) {
    EXPECT_THROW(ReadTfRecords(good.substr(0, good.size() - cut)), std::runtime_error) << cut;
  }
  Overwrite(path, good);
  EXPECT_EQ(ReadEventFile(path).size(), 3u);
}

TEST(TfEvents, UnwritableDirectoryIsAnError) {
  test::TempDir dir;
  Overwrite((dir.path() / "file").string(), "x");
  EXPECT_THROW(TfEventsWriter(dir.path() / "file" / "sub"), Error);
}

}  // namespace
}  // namespace bellman::io
