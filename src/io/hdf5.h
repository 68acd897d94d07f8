// A thin RAII layer over the HDF5 C library (Debian libhdf5-dev) for the dataset formats: files,
// groups, n-dimensional datasets of the dtypes spaces use, scalar and string attributes. Every
// failure is a bellman::Error naming the file and the object; HDF5's own error stack printing is
// switched off.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bellman/core/space.h"

namespace bellman::io::h5 {

// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() { Reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      Reset();
      id_ = o.id_;
      close_ = o.close_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  void Reset() {
    if (id_ >= 0 && close_ != nullptr) close_(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

// The element types of stored columns. kBool is h5py's numpy bool: an enum over int8 with
// FALSE = 0 and TRUE = 1, which h5py reads back as a bool array.
enum class Elem { kFloat32, kFloat64, kInt64, kInt32, kInt8, kUint8, kBool };

Elem ElemOf(DType d);
std::string ElemName(Elem e);

// A dataset read into memory: its shape and bytes converted to `want` when it was stored as
// another numeric type (HDF5 converts; e.g. float64 rewards read as float32 columns).
struct Array {
  std::vector<int64_t> shape;
  std::vector<std::byte> bytes;
  Elem stored;  // the element type as stored in the file
  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
};

class File {
 public:
  // Create truncates (for a temporary path); Open is read-only.
  static File Create(const std::filesystem::path& path);
  static File Open(const std::filesystem::path& path);
  hid_t id() const { return file_.get(); }
  const std::string& name() const { return name_; }
  void Flush() const;
  void Close() { file_.Reset(); }

 private:
  Handle file_;
  std::string name_;
};

// Groups and datasets, addressed by path inside the file ("episode_0/observations").
Handle CreateGroup(const File& f, const std::string& path);
bool Exists(const File& f, const std::string& path);
bool IsGroup(const File& f, const std::string& path);
// Names of the members of a group, in HDF5's (name) order.
std::vector<std::string> Members(const File& f, const std::string& group);

// Writes `data` (rows x row_shape elements of `elem`) as a new dataset.
void Write(const File& f, const std::string& path, Elem elem, const std::vector<int64_t>& shape,
           const void* data);
// Reads a dataset, converted to `want`. Throws naming `path` if it is missing or not numeric.
Array Read(const File& f, const std::string& path, Elem want);

// Attributes on a group or dataset (`path`; "/" is the file).
void WriteAttr(const File& f, const std::string& path, const std::string& name, int64_t value);
void WriteAttr(const File& f, const std::string& path, const std::string& name,
               const std::string& value);
std::optional<int64_t> ReadIntAttr(const File& f, const std::string& path, const std::string& name);

}  // namespace bellman::io::h5
