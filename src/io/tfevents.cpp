// TensorBoard event files: TFRecord framing + hand-encoded protobuf (proto3 wire format).
//
// Field numbers (tensorboard/compat/proto/event.proto, summary.proto):
//   Event:         wall_time = 1 (double), step = 2 (int64), file_version = 3 (string),
//                  summary = 5 (Summary), session_log = 7 (SessionLog)
//   Summary:       value = 1 (repeated Summary.Value)
//   Summary.Value: tag = 1 (string), simple_value = 2 (float)
//   SessionLog:    status = 1 (enum; START = 1)
#include "bellman/io/tfevents.h"

#include <fmt/format.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "bellman/core/error.h"
#include "bellman/io/checksum.h"

namespace bellman::io {
namespace {

static_assert(
    std::endian::native == std::endian::little,
    "tfevents.cpp writes fixed-width fields with memcpy and assumes a little-endian host");

// Protobuf wire types.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kFixed32 = 5;

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutTag(std::string& out, uint32_t field, uint32_t wire_type) {
  PutVarint(out, (uint64_t{field} << 3) | wire_type);
}

template <class T>
void PutFixed(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.append(bytes, sizeof(T));
}

void PutBytesField(std::string& out, uint32_t field, std::string_view bytes) {
  PutTag(out, field, kLengthDelimited);
  PutVarint(out, bytes.size());
  out.append(bytes);
}

// Event header shared by every record: wall_time, and step unless it is 0 (proto3 omits default
// values; a reader sees 0 either way).
std::string EventHeader(double wall_time, int64_t step) {
  std::string event;
  PutTag(event, 1, kFixed64);
  PutFixed(event, wall_time);
  if (step != 0) {
    PutTag(event, 2, kVarint);
    PutVarint(event, static_cast<uint64_t>(step));  // int64: two's complement, 10 bytes if < 0
  }
  return event;
}

void PutScalarValue(std::string& summary, std::string_view tag, double value) {
  std::string v;
  PutBytesField(v, 1, tag);
  PutTag(v, 2, kFixed32);
  PutFixed(v, static_cast<float>(value));
  PutBytesField(summary, 1, v);
}

double SystemWallTime() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

TfEventsWriter::TfEventsWriter(const std::filesystem::path& dir, WallClock wall_clock)
    : wall_clock_(wall_clock ? std::move(wall_clock) : WallClock(SystemWallTime)) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw Error(fmt::format("cannot create the TensorBoard log directory '{}': {}", dir.string(),
                            ec.message()));
  }
  const double now = wall_clock_();
  const std::string base =
      fmt::format("events.out.tfevents.{:010d}.{}", static_cast<int64_t>(now), HostName());
  // "x": fail rather than append to (and corrupt) a file of another writer started the same
  // second.
  for (int suffix = 0; file_ == nullptr; ++suffix) {
    path_ = dir / (suffix == 0 ? base : fmt::format("{}.{}", base, suffix));
    file_ = std::fopen(path_.c_str(), "wbx");
    if (file_ == nullptr && (errno != EEXIST || suffix >= 1000)) {
      throw Error(fmt::format("cannot create the TensorBoard event file '{}': {}", path_.string(),
                              std::strerror(errno)));
    }
  }
  std::string event = EventHeader(now, 0);
  PutBytesField(event, 3, "brain.Event:2");
  try {
    WriteEvent(event);
    Flush();
  } catch (...) {
    std::fclose(file_);
    throw;
  }
}

TfEventsWriter::~TfEventsWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void TfEventsWriter::AddScalar(std::string_view tag, int64_t step, double value) {
  std::string summary;
  PutScalarValue(summary, tag, value);
  std::string event = EventHeader(wall_clock_(), step);
  PutBytesField(event, 5, summary);
  WriteEvent(event);
}

void TfEventsWriter::AddScalars(int64_t step,
                                const std::vector<std::pair<std::string, double>>& values) {
  if (values.empty()) return;
  std::string summary;
  for (const auto& [tag, value] : values) PutScalarValue(summary, tag, value);
  std::string event = EventHeader(wall_clock_(), step);
  PutBytesField(event, 5, summary);
  WriteEvent(event);
}

void TfEventsWriter::MarkRestart(int64_t first_new_step) {
  std::string session_log;
  PutTag(session_log, 1, kVarint);
  PutVarint(session_log, 1);  // SessionLog.START
  std::string event = EventHeader(wall_clock_(), first_new_step);
  PutBytesField(event, 7, session_log);
  WriteEvent(event);
}

void TfEventsWriter::Flush() {
  if (std::fflush(file_) != 0) {
    throw Error(fmt::format("cannot write TensorBoard event file '{}': {}", path_.string(),
                            std::strerror(errno)));
  }
}

// TFRecord: uint64 length, uint32 masked_crc32c(length bytes), data, uint32 masked_crc32c(data);
// all little-endian.
void TfEventsWriter::WriteEvent(const std::string& event) {
  std::string record;
  record.reserve(event.size() + 16);
  PutFixed(record, static_cast<uint64_t>(event.size()));
  PutFixed(record, MaskCrc32c(Crc32c(record.data(), 8)));
  record.append(event);
  PutFixed(record, MaskCrc32c(Crc32c(event)));
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size()) {
    throw Error(fmt::format("cannot write TensorBoard event file '{}': {}", path_.string(),
                            std::strerror(errno)));
  }
}

}  // namespace bellman::io
