// Replay file format (docs/replay.md has the table):
//   prelude, 32 bytes: magic "BLMNRPLY", u32 version, u32 header_bytes, u64 payload_bytes,
//                      u32 header CRC-32, u32 payload CRC-32
//   header:  layout and cursors (capacity, size, position, column dtypes/shapes, PER and n-step
//            settings and scalar state)
//   payload: the first `size` rows of each column, then PER leaves, then open n-step transitions
// All integers and floats little-endian, as they are in memory on every platform bellman builds
// for (checked at compile time).
#include "bellman/replay/file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cassert>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/io/atomic_file.h"
#include "bellman/io/checksum.h"

static_assert(std::endian::native == std::endian::little,
              "replay files are little-endian; add byte swapping for this platform");

namespace bellman {

namespace {

constexpr char kMagic[8] = {'B', 'L', 'M', 'N', 'R', 'P', 'L', 'Y'};
constexpr size_t kPreludeBytes = 32;

// ---- errors ---------------------------------------------------------------------------------

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw Error(fmt::format("replay file '{}': {}", path, what));
}

[[noreturn]] void FailErrno(const std::string& path, const char* op) {
  Fail(path, fmt::format("{} failed: {}", op, std::strerror(errno)));
}

uint8_t DTypeCode(DType d) {
  switch (d) {
    case DType::kFloat32:
      return 0;
    case DType::kFloat64:
      return 1;
    case DType::kInt64:
      return 2;
    case DType::kInt8:
      return 3;
    case DType::kUint8:
      return 4;
  }
  return 255;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

// ---- header encoding --------------------------------------------------------------------------

class ByteWriter {
 public:
  template <typename T>
  void Put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const std::byte*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  const std::vector<std::byte>& bytes() const { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
};

class ByteReader {
 public:
  ByteReader(const std::vector<std::byte>& bytes, const std::string& path)
      : bytes_(bytes), path_(path) {}
  template <typename T>
  T Get() {
    if (pos_ + sizeof(T) > bytes_.size()) {
      Fail(path_,
           fmt::format("header ends after {} bytes, in the middle of a field", bytes_.size()));
    }
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  const std::vector<std::byte>& bytes_;
  const std::string& path_;
  size_t pos_ = 0;
};

struct ColumnType {
  uint8_t dtype = 0;
  std::vector<int64_t> shape;
  uint64_t row_bytes = 0;
};

void PutColumnType(ByteWriter& w, DType dtype, const std::vector<int64_t>& shape,
                   size_t row_bytes) {
  w.Put<uint8_t>(DTypeCode(dtype));
  w.Put<uint32_t>(static_cast<uint32_t>(shape.size()));
  for (int64_t d : shape) w.Put<int64_t>(d);
  w.Put<uint64_t>(row_bytes);
}

ColumnType GetColumnType(ByteReader& r, const std::string& path) {
  ColumnType c;
  c.dtype = r.Get<uint8_t>();
  const auto ndim = r.Get<uint32_t>();
  if (ndim > r.remaining() / sizeof(int64_t)) Fail(path, fmt::format("bad rank {}", ndim));
  for (uint32_t k = 0; k < ndim; ++k) c.shape.push_back(r.Get<int64_t>());
  c.row_bytes = r.Get<uint64_t>();
  return c;
}

std::string ColumnTypeString(uint8_t code, const std::vector<int64_t>& shape) {
  static constexpr const char* kNames[] = {"float32", "float64", "int64", "int8"};
  const std::string name = code < 4 ? kNames[code] : fmt::format("dtype#{}", code);
  return fmt::format("{} {}", ShapeString(shape), name);
}

void CheckColumnType(const std::string& path, const char* what, const ColumnType& file, DType dtype,
                     const std::vector<int64_t>& shape, size_t row_bytes) {
  if (file.dtype != DTypeCode(dtype) || file.shape != shape || file.row_bytes != row_bytes) {
    Fail(path, fmt::format("{} is {} in the file, but this buffer's is {}", what,
                           ColumnTypeString(file.dtype, file.shape),
                           ColumnTypeString(DTypeCode(dtype), shape)));
  }
}

template <typename T>
void CheckField(const std::string& path, const char* name, T file, T expected) {
  if (!(file == expected)) {
    Fail(path, fmt::format("{} is {} in the file, but this buffer's is {}", name, file, expected));
  }
}

// ---- file I/O -----------------------------------------------------------------------------

// Appends payload sections to the file, keeping their running CRC-32.
class PayloadWriter {
 public:
  explicit PayloadWriter(io::AtomicFileWriter& file) : file_(file) {}
  void Write(const void* data, size_t size) {
    crc_ = io::Crc32Extend(crc_, data, size);
    file_.Write(data, size);
  }
  uint32_t crc() const { return crc_; }

 private:
  io::AtomicFileWriter& file_;
  uint32_t crc_ = 0;
};

class FileReader {
 public:
  explicit FileReader(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) FailErrno(path_, "open");
    struct stat st {};
    if (::fstat(fd_, &st) != 0) FailErrno(path_, "fstat");
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~FileReader() { ::close(fd_); }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  uint64_t size() const { return size_; }
  void ReadAt(void* out, size_t n, uint64_t offset) const {
    auto* p = static_cast<std::byte*>(out);
    while (n > 0) {
      const ssize_t k = ::pread(fd_, p, n, static_cast<off_t>(offset));
      if (k < 0) {
        if (errno == EINTR) continue;
        FailErrno(path_, "read");
      }
      if (k == 0) Fail(path_, "the file shrank while it was being read");
      p += k;
      n -= static_cast<size_t>(k);
      offset += static_cast<uint64_t>(k);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// Reads payload sections in order from a file offset.
class PayloadReader {
 public:
  PayloadReader(const FileReader& file, uint64_t offset) : file_(file), offset_(offset) {}
  void Read(void* out, size_t n) {
    if (n == 0) return;
    file_.ReadAt(out, n, offset_);
    offset_ += n;
  }

 private:
  const FileReader& file_;
  uint64_t offset_;
};

}  // namespace

namespace detail {

// Reads and writes the private state of the replay classes (their friend).
class ReplayFileCodec {
 public:
  static void Save(const std::string& path, const ReplayStorage& storage,
                   const PrioritizedSampler* per, std::span<const NStepAccumulator> n_step);
  static void Load(const std::string& path, ReplayStorage& storage, PrioritizedSampler* per,
                   std::span<NStepAccumulator> n_step);

 private:
  static std::vector<std::byte> Header(const ReplayStorage& storage, const PrioritizedSampler* per,
                                       std::span<const NStepAccumulator> n_step);
  static uint64_t PayloadBytes(const ReplayStorage& storage, const PrioritizedSampler* per,
                               std::span<const NStepAccumulator> n_step);
};

std::vector<std::byte> ReplayFileCodec::Header(const ReplayStorage& s,
                                               const PrioritizedSampler* per,
                                               std::span<const NStepAccumulator> n_step) {
  ByteWriter w;
  w.Put<int64_t>(s.capacity_);
  w.Put<int64_t>(s.size_);
  w.Put<int64_t>(s.position_);
  PutColumnType(w, s.obs_dtype_, s.obs_shape_, s.obs_bytes_);
  PutColumnType(w, s.action_dtype_, s.action_shape_, s.action_bytes_);
  w.Put<uint8_t>(per ? 1 : 0);
  if (per) {
    w.Put<double>(per->config_.alpha);
    w.Put<double>(per->config_.beta0);
    w.Put<int64_t>(per->config_.beta_steps);
    w.Put<double>(per->config_.eps);
    w.Put<int64_t>(per->step_);
    w.Put<double>(per->max_priority_);
  }
  w.Put<uint32_t>(static_cast<uint32_t>(n_step.size()));
  if (!n_step.empty()) {
    w.Put<int32_t>(n_step[0].n_step_);
    w.Put<double>(n_step[0].gamma_);
    for (const NStepAccumulator& a : n_step) w.Put<int32_t>(a.count_);
  }
  return w.bytes();
}

uint64_t ReplayFileCodec::PayloadBytes(const ReplayStorage& s, const PrioritizedSampler* per,
                                       std::span<const NStepAccumulator> n_step) {
  const auto rows = static_cast<uint64_t>(s.size_);
  // obs, next_obs, action, reward, discount, terminated, truncated
  uint64_t bytes = rows * (2 * s.obs_bytes_ + s.action_bytes_ + 2 * sizeof(float) + 2);
  if (per) bytes += rows * sizeof(double);
  for (const NStepAccumulator& a : n_step) {
    bytes += static_cast<uint64_t>(a.count_) * (a.obs_bytes_ + a.action_bytes_ + sizeof(double));
  }
  return bytes;
}

void ReplayFileCodec::Save(const std::string& path, const ReplayStorage& s,
                           const PrioritizedSampler* per,
                           std::span<const NStepAccumulator> n_step) {
  if (per && per->storage_ != &s) {
    Fail(path, "the prioritized sampler given belongs to another storage");
  }
  for (const NStepAccumulator& a : n_step) {
    if (a.obs_bytes_ != s.obs_bytes_ || a.action_bytes_ != s.action_bytes_ ||
        a.n_step_ != n_step[0].n_step_ || a.gamma_ != n_step[0].gamma_) {
      Fail(path, "the n-step accumulators given do not all match the storage and each other");
    }
  }
  const std::vector<std::byte> header = Header(s, per, n_step);
  const uint64_t payload_bytes = PayloadBytes(s, per, n_step);
  // The previous file at `path`, if any, stays untouched until Commit() renames the new one over
  // it; an exception before that removes the temporary file.
  try {
    io::AtomicFileWriter file(path);
    std::array<std::byte, kPreludeBytes> prelude{};
    file.Write(prelude.data(), prelude.size());  // filled in once the payload CRC is known
    file.Write(header.data(), header.size());
    PayloadWriter f(file);
    const auto rows = static_cast<size_t>(s.size_);
    f.Write(s.obs_.data(), rows * s.obs_bytes_);
    f.Write(s.next_obs_.data(), rows * s.obs_bytes_);
    f.Write(s.action_.data(), rows * s.action_bytes_);
    f.Write(s.reward_.data(), rows * sizeof(float));
    f.Write(s.discount_.data(), rows * sizeof(float));
    f.Write(s.terminated_.data(), rows);
    f.Write(s.truncated_.data(), rows);
    if (per) {
      // Only the leaves: the inner nodes are recomputed from them, bit for bit (sum_tree.h).
      for (int64_t i = 0; i < s.size_; ++i) {
        const double v = per->sum_.Get(i);
        f.Write(&v, sizeof(v));
      }
    }
    for (const NStepAccumulator& a : n_step) {
      // Oldest first, so the ring's head is 0 after loading.
      for (int j = 0; j < a.count_; ++j) {
        const auto slot = static_cast<size_t>((a.head_ + j) % a.n_step_);
        f.Write(a.obs_.data() + slot * a.obs_bytes_, a.obs_bytes_);
        f.Write(a.action_.data() + slot * a.action_bytes_, a.action_bytes_);
        f.Write(&a.reward_[slot], sizeof(double));
      }
    }
    assert(file.size() == kPreludeBytes + header.size() + payload_bytes);
    std::memcpy(prelude.data(), kMagic, 8);
    const uint32_t version = kReplayFileVersion;
    const auto header_bytes = static_cast<uint32_t>(header.size());
    const uint32_t header_crc = io::Crc32(header.data(), header.size());
    const uint32_t payload_crc = f.crc();
    std::memcpy(prelude.data() + 8, &version, 4);
    std::memcpy(prelude.data() + 12, &header_bytes, 4);
    std::memcpy(prelude.data() + 16, &payload_bytes, 8);
    std::memcpy(prelude.data() + 24, &header_crc, 4);
    std::memcpy(prelude.data() + 28, &payload_crc, 4);
    file.WriteAt(0, prelude.data(), prelude.size());
    file.Commit();
  } catch (const Error& e) {
    Fail(path, e.what());  // io's message names the temporary file and the system error
  }
}

void ReplayFileCodec::Load(const std::string& path, ReplayStorage& s, PrioritizedSampler* per,
                           std::span<NStepAccumulator> n_step) {
  if (per && per->storage_ != &s) {
    Fail(path, "the prioritized sampler given belongs to another storage");
  }
  FileReader file(path);
  const uint64_t actual = file.size();

  // Prelude: magic, version, sizes, checksums.
  std::array<std::byte, kPreludeBytes> prelude{};
  file.ReadAt(prelude.data(), std::min<uint64_t>(actual, kPreludeBytes), 0);
  const size_t magic_seen = static_cast<size_t>(std::min<uint64_t>(actual, sizeof(kMagic)));
  if (std::memcmp(prelude.data(), kMagic, magic_seen) != 0) {
    Fail(path, "not a bellman replay file (wrong magic bytes)");
  }
  if (actual < kPreludeBytes) {
    Fail(path, fmt::format("truncated: {} bytes, shorter than the {}-byte prelude", actual,
                           kPreludeBytes));
  }
  uint32_t version, header_bytes, header_crc, payload_crc;
  uint64_t payload_bytes;
  std::memcpy(&version, prelude.data() + 8, 4);
  std::memcpy(&header_bytes, prelude.data() + 12, 4);
  std::memcpy(&payload_bytes, prelude.data() + 16, 8);
  std::memcpy(&header_crc, prelude.data() + 24, 4);
  std::memcpy(&payload_crc, prelude.data() + 28, 4);
  if (version != kReplayFileVersion) {
    Fail(path, fmt::format("format version {}, this build reads version {}", version,
                           kReplayFileVersion));
  }
  const uint64_t expected = kPreludeBytes + uint64_t{header_bytes} + payload_bytes;
  if (actual != expected) {
    Fail(path, fmt::format("{}: the header says {} bytes, the file has {}",
                           actual < expected ? "truncated" : "unexpected trailing data", expected,
                           actual));
  }

  // Header: checksum, then every field against the objects we load into.
  std::vector<std::byte> header(header_bytes);
  file.ReadAt(header.data(), header.size(), kPreludeBytes);
  const uint32_t header_crc_now = io::Crc32(header.data(), header.size());
  if (header_crc_now != header_crc) {
    Fail(path, fmt::format("header checksum mismatch (stored CRC-32 {:#010x}, computed {:#010x})",
                           header_crc, header_crc_now));
  }
  ByteReader r(header, path);
  const auto capacity = r.Get<int64_t>();
  const auto size = r.Get<int64_t>();
  const auto position = r.Get<int64_t>();
  const ColumnType obs = GetColumnType(r, path);
  const ColumnType action = GetColumnType(r, path);
  CheckField(path, "capacity", capacity, s.capacity_);
  CheckColumnType(path, "observation", obs, s.obs_dtype_, s.obs_shape_, s.obs_bytes_);
  CheckColumnType(path, "action", action, s.action_dtype_, s.action_shape_, s.action_bytes_);
  if (size < 0 || size > capacity || position < 0 || position >= capacity ||
      (size < capacity && position != size)) {
    Fail(path, fmt::format("inconsistent cursors: size {}, position {}, capacity {}", size,
                           position, capacity));
  }
  const bool file_per = r.Get<uint8_t>() != 0;
  if (file_per != (per != nullptr)) {
    Fail(path, fmt::format("the file was saved {} prioritized replay, this buffer {} it",
                           file_per ? "with" : "without", per ? "uses" : "does not use"));
  }
  int64_t step = 0;
  double max_priority = 1.0;
  if (per) {
    CheckField(path, "per.alpha", r.Get<double>(), per->config_.alpha);
    CheckField(path, "per.beta0", r.Get<double>(), per->config_.beta0);
    CheckField(path, "per.beta_steps", r.Get<int64_t>(), per->config_.beta_steps);
    CheckField(path, "per.eps", r.Get<double>(), per->config_.eps);
    step = r.Get<int64_t>();
    max_priority = r.Get<double>();
  }
  const auto num_envs = r.Get<uint32_t>();
  CheckField<uint64_t>(path, "the number of n-step accumulators (envs)", num_envs, n_step.size());
  std::vector<int32_t> counts(num_envs);
  if (num_envs > 0) {
    CheckField(path, "n_step", r.Get<int32_t>(), n_step[0].n_step_);
    CheckField(path, "gamma", r.Get<double>(), n_step[0].gamma_);
    for (uint32_t e = 0; e < num_envs; ++e) {
      counts[e] = r.Get<int32_t>();
      const NStepAccumulator& a = n_step[e];
      if (counts[e] < 0 || counts[e] >= a.n_step_ || a.obs_bytes_ != s.obs_bytes_ ||
          a.action_bytes_ != s.action_bytes_) {
        Fail(path, fmt::format("env {}: {} open n-step transitions, expected fewer than {}", e,
                               counts[e], a.n_step_));
      }
    }
  }
  if (r.remaining() != 0) Fail(path, fmt::format("{} unread header bytes", r.remaining()));

  // Payload size implied by the header, then its checksum, before anything changes.
  const auto rows = static_cast<uint64_t>(size);
  uint64_t implied = rows * (2 * s.obs_bytes_ + s.action_bytes_ + 2 * sizeof(float) + 2);
  if (per) implied += rows * sizeof(double);
  for (int32_t c : counts) {
    implied += static_cast<uint64_t>(c) * (s.obs_bytes_ + s.action_bytes_ + sizeof(double));
  }
  if (implied != payload_bytes) {
    Fail(path, fmt::format("payload is {} bytes, its header implies {}", payload_bytes, implied));
  }
  const uint64_t payload_offset = kPreludeBytes + header_bytes;
  {
    std::vector<std::byte> chunk(std::min<uint64_t>(payload_bytes, 1 << 20));
    uint32_t crc = 0;
    for (uint64_t done = 0; done < payload_bytes;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), payload_bytes - done));
      file.ReadAt(chunk.data(), n, payload_offset + done);
      crc = io::Crc32Extend(crc, chunk.data(), n);
      done += n;
    }
    if (crc != payload_crc) {
      Fail(path,
           fmt::format("payload checksum mismatch (stored CRC-32 {:#010x}, computed {:#010x}): the "
                       "file is corrupt",
                       payload_crc, crc));
    }
  }

  // Commit. The checksums passed, so only a file crafted to be inconsistent can fail below;
  // then the objects are left empty rather than half loaded.
  try {
    PayloadReader p(file, payload_offset);
    const auto n = static_cast<size_t>(size);
    p.Read(s.obs_.data(), n * s.obs_bytes_);
    p.Read(s.next_obs_.data(), n * s.obs_bytes_);
    p.Read(s.action_.data(), n * s.action_bytes_);
    p.Read(s.reward_.data(), n * sizeof(float));
    p.Read(s.discount_.data(), n * sizeof(float));
    p.Read(s.terminated_.data(), n);
    p.Read(s.truncated_.data(), n);
    s.size_ = size;
    s.position_ = position;
    if (per) {
      per->sum_.Clear();
      per->min_.Clear();
      std::vector<double> leaves(n);
      p.Read(leaves.data(), n * sizeof(double));
      for (size_t i = 0; i < n; ++i) {
        if (!(std::isfinite(leaves[i]) && leaves[i] > 0.0)) {
          Fail(path,
               fmt::format("priority of row {} is {}, expected finite and > 0", i, leaves[i]));
        }
        per->SetLeaf(static_cast<int64_t>(i), leaves[i]);
      }
      per->step_ = step;
      per->max_priority_ = max_priority;
    }
    for (uint32_t e = 0; e < num_envs; ++e) {
      NStepAccumulator& a = n_step[e];
      a.head_ = 0;
      a.count_ = counts[e];
      for (int32_t j = 0; j < counts[e]; ++j) {
        const auto slot = static_cast<size_t>(j);
        p.Read(a.obs_.data() + slot * a.obs_bytes_, a.obs_bytes_);
        p.Read(a.action_.data() + slot * a.action_bytes_, a.action_bytes_);
        p.Read(&a.reward_[slot], sizeof(double));
      }
    }
  } catch (...) {
    s.Clear();
    if (per) per->Clear();
    for (NStepAccumulator& a : n_step) a.Clear();
    throw;
  }
}

}  // namespace detail

void SaveReplay(const std::string& path, const ReplayStorage& storage,
                const PrioritizedSampler* per, std::span<const NStepAccumulator> n_step) {
  detail::ReplayFileCodec::Save(path, storage, per, n_step);
}

void LoadReplay(const std::string& path, ReplayStorage& storage, PrioritizedSampler* per,
                std::span<NStepAccumulator> n_step) {
  detail::ReplayFileCodec::Load(path, storage, per, n_step);
}

}  // namespace bellman
