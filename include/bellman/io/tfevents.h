// TensorBoard event files, written without TensorFlow or protobuf.
//
// An event file is a sequence of TFRecords, each holding one serialized `tensorboard.Event`
// (tensorboard/compat/proto/event.proto). The first record carries file_version
// "brain.Event:2"; each AddScalar writes an Event whose Summary holds one
// Value{tag, simple_value}. The framing, the field numbers and the masked CRC-32C are described
// in docs/io.md. TensorBoard reads every file in a directory whose name contains "tfevents", in
// name order, so a resumed run simply adds a new file next to the old one.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bellman::io {

class TfEventsWriter {
 public:
  // Seconds since the Unix epoch, with sub-second precision (the Event.wall_time).
  using WallClock = std::function<double()>;

  // Creates `dir` if needed and a new file `events.out.tfevents.<unix_time>.<hostname>` in it
  // (with ".1", ".2", ... appended if that name is taken), and writes the file_version record.
  // `wall_clock` defaults to the system clock; tests inject a fixed one.
  explicit TfEventsWriter(const std::filesystem::path& dir, WallClock wall_clock = {});
  ~TfEventsWriter();
  TfEventsWriter(const TfEventsWriter&) = delete;
  TfEventsWriter& operator=(const TfEventsWriter&) = delete;

  // One scalar point. TensorBoard's simple_value is a float32: `value` is rounded to float.
  void AddScalar(std::string_view tag, int64_t step, double value);
  // Several scalars at the same step in one Event (what a trainer logs each interval).
  void AddScalars(int64_t step, const std::vector<std::pair<std::string, double>>& values);
  // Writes Event{step: first_new_step, session_log{status: START}}. TensorBoard's event
  // multiplexer (purge_orphaned_data, on by default) then discards the points with
  // step >= first_new_step read before it: a run resumed from a checkpoint at step T
  // (first_new_step = T + 1) shows one curve instead of also the crashed run's tail.
  void MarkRestart(int64_t first_new_step);

  // Pushes buffered records to the OS (no fsync: event files are logs, not checkpoints).
  void Flush();

  const std::filesystem::path& path() const { return path_; }

 private:
  void WriteEvent(const std::string& event);

  std::filesystem::path path_;
  WallClock wall_clock_;
  std::FILE* file_ = nullptr;
};

}  // namespace bellman::io
