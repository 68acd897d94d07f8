// Atomic file and directory writes (temp name, fsync, rename, fsync parent) and checkpoint
// directories. See docs/io.md for the protocol and what each crash point leaves behind.
#include "bellman/io/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "bellman/core/error.h"

namespace bellman::io {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTempPrefix = ".tmp-";
constexpr std::string_view kLatestName = "latest";

[[noreturn]] void ThrowErrno(std::string_view what, const fs::path& path) {
  throw Error(fmt::format("{} '{}': {}", what, path.string(), std::strerror(errno)));
}

fs::path ParentOf(const fs::path& path) {
  fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

void WriteAll(int fd, std::string_view bytes, const fs::path& path) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("cannot write", path);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// The entries of `dir` (all levels if `recursive`); bellman::Error instead of filesystem_error.
template <class Iterator>
std::vector<fs::directory_entry> ListEntries(const fs::path& dir) {
  std::vector<fs::directory_entry> entries;
  std::error_code ec;
  for (Iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(*it);
  if (ec) throw Error(fmt::format("cannot list '{}': {}", dir.string(), ec.message()));
  return entries;
}
std::vector<fs::directory_entry> ListDir(const fs::path& dir) {
  return ListEntries<fs::directory_iterator>(dir);
}

// fsyncs every file and directory under `dir`, then `dir` itself: after this the whole tree is
// on disk and a rename of `dir` cannot expose a partially written file.
void FsyncTree(const fs::path& dir) {
  for (const auto& entry : ListEntries<fs::recursive_directory_iterator>(dir)) {
    std::error_code ec;
    if (entry.is_regular_file(ec) || entry.is_directory(ec)) FsyncPath(entry.path());
  }
  FsyncPath(dir);
}

void RemoveAllOrThrow(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) throw Error(fmt::format("cannot remove '{}': {}", path.string(), ec.message()));
}

// The process's umask, without changing it when /proc tells it (Linux >= 4.7): umask(2) can only
// be read by setting it, and another thread creating a file in between would get the wrong mode.
mode_t CurrentUmask() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("Umask:")) {
      return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8) & 0777);
    }
  }
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return mask;
}

bool IsDirectory(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

}  // namespace

void FsyncPath(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowErrno("cannot open for fsync", path);
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    ThrowErrno("cannot fsync", path);
  }
  ::close(fd);
}

void WriteFileAtomic(const fs::path& path, std::string_view bytes) {
  AtomicFileWriter file(path);
  file.Write(bytes);
  file.Commit();
}

AtomicFileWriter::AtomicFileWriter(fs::path path) : path_(std::move(path)) {
  std::string temp =
      (ParentOf(path_) / fmt::format("{}{}.XXXXXX", kTempPrefix, path_.filename().string()))
          .string();
  fd_ = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd_ < 0) ThrowErrno("cannot create a temporary file for", path_);
  temp_path_ = temp;
  // mkostemp creates 0600; give the file the usual permissions (0666 minus the umask).
  if (::fchmod(fd_, 0666 & ~CurrentUmask()) != 0) {
    const int saved = errno;
    Abandon();
    errno = saved;
    ThrowErrno("cannot chmod", temp_path_);
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  if (!committed_) Abandon();
}

void AtomicFileWriter::Abandon() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());  // best effort
}

void AtomicFileWriter::Write(const void* data, size_t size) {
  if (fd_ < 0) throw Error(fmt::format("'{}': write after Commit()", path_.string()));
  const auto* p = static_cast<const char*>(data);
  size_ += size;
  if (buffer_.size() + size > kBufferBytes) Flush();
  if (size >= kBufferBytes) {
    WriteAll(fd_, std::string_view(p, size), temp_path_);
  } else {
    buffer_.append(p, size);
  }
}

void AtomicFileWriter::Flush() {
  WriteAll(fd_, buffer_, temp_path_);
  buffer_.clear();
}

void AtomicFileWriter::WriteAt(uint64_t offset, const void* data, size_t size) {
  if (fd_ < 0) throw Error(fmt::format("'{}': write after Commit()", path_.string()));
  if (offset > size_ || size > size_ - offset) {
    throw Error(fmt::format("'{}': WriteAt({}, {} bytes) is outside the {} bytes written",
                            path_.string(), offset, size, size_));
  }
  Flush();  // the range may still be in the buffer
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("cannot write", temp_path_);
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

void AtomicFileWriter::Commit() {
  if (fd_ < 0) throw Error(fmt::format("'{}' was already committed", path_.string()));
  Flush();
  if (::fsync(fd_) != 0) ThrowErrno("cannot fsync", temp_path_);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) ThrowErrno("cannot close", temp_path_);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    ThrowErrno("cannot rename a temporary file to", path_);  // the destructor unlinks it
  }
  committed_ = true;
  FsyncPath(ParentOf(path_));
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw Error(fmt::format("cannot read '{}'", path.string()));
  return std::move(content).str();
}

// ---------------------------------------------------------------------------------------------

AtomicDirectory::AtomicDirectory(fs::path final_path) : final_path_(std::move(final_path)) {
  if (final_path_.filename().empty()) {
    throw Error(fmt::format("AtomicDirectory: '{}' must name a directory, without a trailing '/'",
                            final_path_.string()));
  }
  const fs::path parent = ParentOf(final_path_);
  temp_path_ = parent / (std::string(kTempPrefix) + final_path_.filename().string());
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw Error(fmt::format("cannot create '{}': {}", parent.string(), ec.message()));
  RemoveAllOrThrow(temp_path_);  // a stale one from a crashed save
  if (!fs::create_directory(temp_path_, ec) || ec) {
    throw Error(fmt::format("cannot create '{}': {}", temp_path_.string(), ec.message()));
  }
}

AtomicDirectory::~AtomicDirectory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_path_, ec);  // best effort; the next save removes it otherwise
  }
}

void AtomicDirectory::WriteFile(std::string_view name, std::string_view bytes) const {
  const fs::path path = temp_path_ / name;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) ThrowErrno("cannot create", path);
  try {
    WriteAll(fd, bytes, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) ThrowErrno("cannot close", path);
}

void AtomicDirectory::Commit() {
  if (committed_) {
    throw Error(fmt::format("AtomicDirectory '{}' was already committed", final_path_.string()));
  }
  FsyncTree(temp_path_);
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    if (errno != ENOTEMPTY && errno != EEXIST) {
      ThrowErrno(fmt::format("cannot rename '{}' to", temp_path_.string()), final_path_);
    }
    // final_path exists (the same checkpoint saved again after a resume): swap the two in one
    // atomic step, so that final_path is never missing, then delete the old one.
    if (::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, final_path_.c_str(), RENAME_EXCHANGE) ==
        0) {
      FsyncPath(ParentOf(final_path_));
      committed_ = true;
      RemoveAllOrThrow(temp_path_);  // now the old content
      return;
    }
    if (errno != EINVAL && errno != ENOSYS) {
      ThrowErrno(fmt::format("cannot exchange '{}' with", temp_path_.string()), final_path_);
    }
    // A file system without RENAME_EXCHANGE: move the old one aside first. A crash between the
    // two renames leaves final_path missing and its old content under a ".tmp-" name.
    const fs::path old = ParentOf(final_path_) /
                         (std::string(kTempPrefix) + "old-" + final_path_.filename().string());
    RemoveAllOrThrow(old);
    if (::rename(final_path_.c_str(), old.c_str()) != 0)
      ThrowErrno("cannot move aside", final_path_);
    if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
      ThrowErrno(fmt::format("cannot rename '{}' to", temp_path_.string()), final_path_);
    }
    FsyncPath(ParentOf(final_path_));
    committed_ = true;
    RemoveAllOrThrow(old);
    return;
  }
  committed_ = true;
  FsyncPath(ParentOf(final_path_));
}

// ---------------------------------------------------------------------------------------------

std::optional<int64_t> ParseCheckpointName(std::string_view name) {
  constexpr std::string_view kPrefix = "step_";
  if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) return std::nullopt;
  const std::string_view digits = name.substr(kPrefix.size());
  if (digits.size() > 18) return std::nullopt;  // fits int64 without overflow checks
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;  // one spelling per step
  int64_t step = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    step = step * 10 + (c - '0');
  }
  return step;
}

CheckpointStore::CheckpointStore(fs::path root, int keep_last)
    : root_(std::move(root)), keep_last_(keep_last) {
  if (keep_last < 0) {
    throw Error(fmt::format("checkpoint keep_last must be >= 0 (0 keeps all), got {}", keep_last));
  }
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) throw Error(fmt::format("cannot create '{}': {}", root_.string(), ec.message()));
}

fs::path CheckpointStore::PathFor(int64_t step) const {
  if (step < 0) throw Error(fmt::format("checkpoint step must be >= 0, got {}", step));
  return root_ / fmt::format("step_{}", step);
}

std::vector<int64_t> CheckpointStore::Steps() const {
  std::vector<int64_t> steps;
  for (const auto& entry : ListDir(root_)) {
    std::error_code ec;
    if (!entry.is_directory(ec)) continue;
    if (auto step = ParseCheckpointName(entry.path().filename().string())) steps.push_back(*step);
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

fs::path CheckpointStore::Save(int64_t step, const std::function<void(const fs::path&)>& write) {
  const fs::path final_path = PathFor(step);
  // Stale temporaries of earlier crashed saves (checkpoint dirs, `latest` temp files, dirs being
  // pruned): none of them is a complete checkpoint.
  for (const auto& entry : ListDir(root_)) {
    if (entry.path().filename().string().starts_with(kTempPrefix)) RemoveAllOrThrow(entry.path());
  }
  AtomicDirectory dir(final_path);
  write(dir.path());
  dir.Commit();
  WriteFileAtomic(root_ / kLatestName, final_path.filename().string() + "\n");

  if (keep_last_ > 0) {
    std::vector<int64_t> steps = Steps();
    std::sort(steps.rbegin(), steps.rend());
    int kept = 1;  // the new one
    for (int64_t s : steps) {
      if (s == step) continue;
      if (kept < keep_last_) {
        ++kept;
        continue;
      }
      // Rename first so that a crash mid-delete never leaves a half-deleted step_<N> that looks
      // like a complete checkpoint.
      const fs::path doomed = root_ / fmt::format("{}prune-step_{}", kTempPrefix, s);
      if (::rename(PathFor(s).c_str(), doomed.c_str()) != 0)
        ThrowErrno("cannot remove", PathFor(s));
      RemoveAllOrThrow(doomed);
    }
  }
  return final_path;
}

std::optional<fs::path> CheckpointStore::Latest() const {
  const fs::path latest = root_ / kLatestName;
  std::error_code ec;
  if (!fs::exists(latest, ec)) {
    const std::vector<int64_t> steps = Steps();
    if (steps.empty()) return std::nullopt;
    return PathFor(steps.back());
  }
  std::string name = ReadFile(latest);
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r' || name.back() == ' ')) {
    name.pop_back();
  }
  if (!ParseCheckpointName(name)) {
    throw Error(fmt::format("'{}' must hold a checkpoint name like 'step_1000', got '{}'",
                            latest.string(), name));
  }
  const fs::path dir = root_ / name;
  if (!IsDirectory(dir)) {
    std::string have;
    for (int64_t s : Steps()) have += fmt::format("{}step_{}", have.empty() ? "" : ", ", s);
    throw Error(fmt::format("'{}' names '{}', which does not exist (checkpoints present: {})",
                            latest.string(), name, have.empty() ? "none" : have));
  }
  return dir;
}

fs::path ResolveCheckpoint(const fs::path& dir) {
  if (!IsDirectory(dir)) {
    throw Error(fmt::format("checkpoint path '{}' is not a directory", dir.string()));
  }
  auto from_store = [](const fs::path& root) {
    std::optional<fs::path> latest = CheckpointStore(root, 0).Latest();
    if (!latest) throw Error(fmt::format("'{}' holds no complete checkpoint", root.string()));
    return *latest;
  };
  if (IsDirectory(dir / "checkpoints")) return from_store(dir / "checkpoints");
  std::error_code ec;
  if (fs::exists(dir / kLatestName, ec)) return from_store(dir);
  for (const auto& entry : ListDir(dir)) {
    if (entry.is_directory(ec) && ParseCheckpointName(entry.path().filename().string())) {
      return from_store(dir);
    }
  }
  return dir;
}

}  // namespace bellman::io
