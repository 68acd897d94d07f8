// Crash-safe writes: a file or directory appears at its final name complete, or not at all.
//
// Protocol (docs/io.md): write everything under a temporary name in the same directory, fsync the
// data, rename(2) to the final name (atomic on POSIX file systems), then fsync the parent
// directory so that the rename itself is durable. A crash at any point leaves either the old
// state or the new one, plus at worst a stale ".tmp-*" entry that the next save removes.
//
// Checkpoints use CheckpointStore: `<run>/checkpoints/step_<N>/` directories, a `latest` file
// naming the newest complete one, and the last K kept. One process writes a run directory at a
// time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bellman::io {

// Writes `bytes` to `path` atomically: temp file ".tmp-<name>.XXXXXX" next to it, write, fsync,
// rename over `path`, fsync the directory. Throws bellman::Error naming the path on failure.
void WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes);

// The streaming form of WriteFileAtomic, for content too large to build in memory first (replay
// buffers): `path` appears complete at Commit(), or not at all.
//
// The constructor creates the temporary file ".tmp-<name>.XXXXXX" next to `path` (mode 0666 minus
// the umask, as a plain open would give). Write() appends through a buffer; WriteAt() overwrites
// bytes already written (a prelude whose checksums are known only at the end). Commit() flushes,
// fsyncs the file, renames it over `path` and fsyncs the directory. Destroyed without Commit()
// (an exception while writing), it removes the temporary file and `path` keeps its old content.
// Every failure is a bellman::Error naming the file and the system error.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void Write(const void* data, size_t size);
  void Write(std::string_view bytes) { Write(bytes.data(), bytes.size()); }
  // Overwrites [offset, offset + size), which must lie within the bytes written so far.
  void WriteAt(uint64_t offset, const void* data, size_t size);
  // Bytes written so far.
  uint64_t size() const { return size_; }
  void Commit();

  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temp_path() const { return temp_path_; }

 private:
  static constexpr size_t kBufferBytes = size_t{1} << 20;
  void Flush();
  void Abandon() noexcept;  // closes and removes the temporary file

  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  int fd_ = -1;
  std::string buffer_;
  uint64_t size_ = 0;
  bool committed_ = false;
};

// The whole content of a file; throws bellman::Error naming the path if it cannot be read.
std::string ReadFile(const std::filesystem::path& path);

// fsync of a file or directory (opened read-only); throws bellman::Error on failure.
void FsyncPath(const std::filesystem::path& path);

// A directory that appears at `final_path` only when Commit() succeeds.
//
// The constructor removes a stale `<parent>/.tmp-<name>` left by a crash and creates it afresh;
// fill it through path(). Commit() fsyncs every file and directory under it, renames it to
// `final_path` (atomically exchanging it with an existing `final_path`, which is then removed)
// and fsyncs the parent. Destroyed without Commit() (an exception while writing), it removes the
// temporary directory.
class AtomicDirectory {
 public:
  explicit AtomicDirectory(std::filesystem::path final_path);
  ~AtomicDirectory();
  AtomicDirectory(const AtomicDirectory&) = delete;
  AtomicDirectory& operator=(const AtomicDirectory&) = delete;

  // The temporary directory to write into.
  const std::filesystem::path& path() const { return temp_path_; }
  const std::filesystem::path& final_path() const { return final_path_; }
  // Convenience: writes path()/name (no fsync yet; Commit() syncs everything).
  void WriteFile(std::string_view name, std::string_view bytes) const;
  void Commit();

 private:
  std::filesystem::path final_path_;
  std::filesystem::path temp_path_;
  bool committed_ = false;
};

// `<root>/step_<N>/` checkpoint directories with a `<root>/latest` pointer file.
class CheckpointStore {
 public:
  // `root` is usually `<run>/checkpoints`; it is created if missing. `keep_last` complete
  // checkpoints are kept (the newest ones by step); 0 keeps all.
  CheckpointStore(std::filesystem::path root, int keep_last);

  // Writes checkpoint `step`:
  //   1. removes stale ".tmp-*" entries in root (left by a crash),
  //   2. calls write(dir) with the temporary directory `root/.tmp-step_<N>/`,
  //   3. fsyncs it and renames it to `root/step_<N>/`,
  //   4. writes `root/latest` atomically with "step_<N>",
  //   5. only then removes checkpoints beyond the last `keep_last`.
  // If `write` throws, nothing changes except that the temporary directory is removed.
  // Returns the final directory.
  std::filesystem::path Save(int64_t step,
                             const std::function<void(const std::filesystem::path& dir)>& write);

  // The newest complete checkpoint: the directory named by `latest`; when `latest` does not exist
  // yet (a crash between steps 3 and 4 of the first save), the highest step_<N>. nullopt when there
  // is none. Throws bellman::Error if `latest` is unreadable or names a missing directory.
  std::optional<std::filesystem::path> Latest() const;

  // Steps of the complete checkpoints, ascending.
  std::vector<int64_t> Steps() const;

  std::filesystem::path PathFor(int64_t step) const;
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
  int keep_last_;
};

// "step_1200" -> 1200; nullopt for any other name.
std::optional<int64_t> ParseCheckpointName(std::string_view name);

// What `--resume DIR` / `--checkpoint DIR` accept: a run directory (uses DIR/checkpoints), a
// checkpoints directory (has a `latest` or step_<N> entries), or one checkpoint directory
// (returned as is). Throws bellman::Error when DIR does not exist or holds no checkpoint.
std::filesystem::path ResolveCheckpoint(const std::filesystem::path& dir);

}  // namespace bellman::io
