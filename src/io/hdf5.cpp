#include "io/hdf5.h"

#include <fmt/format.h>

#include <cstring>

#include "bellman/core/error.h"

namespace bellman::io::h5 {
namespace fs = std::filesystem;

namespace {

// HDF5 prints its error stack to stderr by default; bellman reports its own one-line errors.
void SilenceHdf5() {
  static const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

herr_t CloseType(hid_t id) { return H5Tclose(id); }

// A memory type for `e` (the bool enum is built; others are the library's native types).
Handle MemType(Elem e) {
  switch (e) {
    case Elem::kFloat32:
      return Handle(H5Tcopy(H5T_NATIVE_FLOAT), CloseType);
    case Elem::kFloat64:
      return Handle(H5Tcopy(H5T_NATIVE_DOUBLE), CloseType);
    case Elem::kInt64:
      return Handle(H5Tcopy(H5T_NATIVE_INT64), CloseType);
    case Elem::kInt32:
      return Handle(H5Tcopy(H5T_NATIVE_INT32), CloseType);
    case Elem::kInt8:
      return Handle(H5Tcopy(H5T_NATIVE_INT8), CloseType);
    case Elem::kUint8:
      return Handle(H5Tcopy(H5T_NATIVE_UINT8), CloseType);
    case Elem::kBool: {
      // h5py's mapping of numpy bool (h5py/_conv.pyx): enum int8 {FALSE = 0, TRUE = 1}.
      Handle t(H5Tenum_create(H5T_NATIVE_INT8), CloseType);
      int8_t v = 0;
      H5Tenum_insert(t.get(), "FALSE", &v);
      v = 1;
      H5Tenum_insert(t.get(), "TRUE", &v);
      return t;
    }
  }
  throw Error("h5: unknown element type");
}

// The DType an Elem stores, for the five they share (int32 and bool are HDF5-only).
std::optional<DType> AsDType(Elem e) {
  switch (e) {
    case Elem::kFloat32:
      return DType::kFloat32;
    case Elem::kFloat64:
      return DType::kFloat64;
    case Elem::kInt64:
      return DType::kInt64;
    case Elem::kInt8:
      return DType::kInt8;
    case Elem::kUint8:
      return DType::kUint8;
    default:
      return std::nullopt;
  }
}

size_t ElemSize(Elem e) {
  if (e == Elem::kInt32) return 4;
  if (e == Elem::kBool) return 1;
  return DTypeSize(*AsDType(e));
}

// The Elem a stored type corresponds to, or nullopt for a type datasets here never hold.
std::optional<Elem> StoredElem(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) {
    if (size == 4) return Elem::kFloat32;
    if (size == 8) return Elem::kFloat64;
    return std::nullopt;
  }
  if (cls == H5T_ENUM) {
    return size == 1 ? std::optional<Elem>(Elem::kBool) : std::nullopt;
  }
  if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (size == 8) return Elem::kInt64;
    if (size == 4) return Elem::kInt32;
    if (size == 1) return is_signed ? Elem::kInt8 : Elem::kUint8;
    if (size == 2) return Elem::kInt32;  // read through conversion
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

Elem ElemOf(DType d) {
  switch (d) {
    case DType::kFloat32:
      return Elem::kFloat32;
    case DType::kFloat64:
      return Elem::kFloat64;
    case DType::kInt64:
      return Elem::kInt64;
    case DType::kInt8:
      return Elem::kInt8;
    case DType::kUint8:
      return Elem::kUint8;
  }
  return Elem::kFloat32;
}

std::string ElemName(Elem e) {
  if (e == Elem::kInt32) return "int32";
  if (e == Elem::kBool) return "bool";
  return DTypeName(*AsDType(e));
}

File File::Create(const fs::path& path) {
  SilenceHdf5();
  File f;
  f.name_ = path.string();
  f.file_ = Handle(H5Fcreate(f.name_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (f.file_.get() < 0) throw Error(fmt::format("cannot create HDF5 file '{}'", f.name_));
  return f;
}

File File::Open(const fs::path& path) {
  SilenceHdf5();
  File f;
  f.name_ = path.string();
  if (!fs::exists(path)) throw Error(fmt::format("'{}' does not exist", f.name_));
  if (H5Fis_hdf5(f.name_.c_str()) <= 0) {
    throw Error(fmt::format("'{}' is not an HDF5 file (truncated or another format)", f.name_));
  }
  f.file_ = Handle(H5Fopen(f.name_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (f.file_.get() < 0) {
    throw Error(fmt::format("cannot open HDF5 file '{}' (truncated or damaged)", f.name_));
  }
  return f;
}

void File::Flush() const {
  if (H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) {
    throw Error(fmt::format("cannot flush HDF5 file '{}'", name_));
  }
}

Handle CreateGroup(const File& f, const std::string& path) {
  Handle g(H5Gcreate2(f.id(), path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (g.get() < 0) throw Error(fmt::format("{}: cannot create group '{}'", f.name(), path));
  return g;
}

bool Exists(const File& f, const std::string& path) {
  // H5Lexists checks one link at a time; walk the path's components.
  size_t pos = 0;
  while (true) {
    const size_t next = path.find('/', pos);
    const std::string prefix = path.substr(0, next);
    if (!prefix.empty() && H5Lexists(f.id(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (next == std::string::npos) return true;
    pos = next + 1;
  }
}

bool IsGroup(const File& f, const std::string& path) {
  if (!Exists(f, path)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name(f.id(), path.c_str(), &info, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_GROUP;
}

std::vector<std::string> Members(const File& f, const std::string& group) {
  Handle g(H5Gopen2(f.id(), group.c_str(), H5P_DEFAULT), H5Gclose);
  if (g.get() < 0) throw Error(fmt::format("{}: no group '{}'", f.name(), group));
  H5G_info_t info;
  H5Gget_info(g.get(), &info);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len =
        H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    std::string name(static_cast<size_t>(len), '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size() + 1,
                       H5P_DEFAULT);
    names.push_back(name);
  }
  return names;
}

void Write(const File& f, const std::string& path, Elem elem, const std::vector<int64_t>& shape,
           const void* data) {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle type = MemType(elem);
  // Stored little-endian as numpy writes it on x86 (the native types are little-endian here).
  Handle ds(H5Dcreate2(f.id(), path.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT),
            H5Dclose);
  if (ds.get() < 0) throw Error(fmt::format("{}: cannot create dataset '{}'", f.name(), path));
  if (H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    throw Error(fmt::format("{}: cannot write dataset '{}' (disk full?)", f.name(), path));
  }
}

Array Read(const File& f, const std::string& path, Elem want) {
  if (!Exists(f, path)) throw Error(fmt::format("{}: missing field '{}'", f.name(), path));
  Handle ds(H5Dopen2(f.id(), path.c_str(), H5P_DEFAULT), H5Dclose);
  if (ds.get() < 0) throw Error(fmt::format("{}: '{}' is not a dataset", f.name(), path));
  Handle ftype(H5Dget_type(ds.get()), CloseType);
  const std::optional<Elem> stored = StoredElem(ftype.get());
  if (!stored) {
    throw Error(fmt::format("{}: field '{}' has a non-numeric type", f.name(), path));
  }
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  Array a;
  a.stored = *stored;
  size_t n = 1;
  for (hsize_t d : dims) {
    a.shape.push_back(static_cast<int64_t>(d));
    n *= static_cast<size_t>(d);
  }
  a.bytes.resize(n * ElemSize(want));
  // A bool enum converts to integers through its int8 base, not by the enum's names.
  Handle mtype = (*stored == Elem::kBool && want != Elem::kBool)
                     ? Handle(H5Tcopy(H5T_NATIVE_INT8), CloseType)
                     : MemType(want);
  void* target = a.bytes.data();
  if (*stored == Elem::kBool && want != Elem::kBool && want != Elem::kInt8 &&
      want != Elem::kUint8) {
    throw Error(fmt::format("{}: field '{}' is bool, expected {}", f.name(), path, ElemName(want)));
  }
  if (n > 0 && H5Dread(ds.get(), mtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, target) < 0) {
    throw Error(fmt::format("{}: cannot read field '{}' as {} (stored as {}; truncated file?)",
                            f.name(), path, ElemName(want), ElemName(*stored)));
  }
  return a;
}

void WriteAttr(const File& f, const std::string& path, const std::string& name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate_by_name(f.id(), path.c_str(), name.c_str(), H5T_NATIVE_INT64, space.get(),
                                H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  if (attr.get() < 0 || H5Awrite(attr.get(), H5T_NATIVE_INT64, &value) < 0) {
    throw Error(fmt::format("{}: cannot write attribute {}.{}", f.name(), path, name));
  }
}

void WriteAttr(const File& f, const std::string& path, const std::string& name,
               const std::string& value) {
  // h5py writes str attributes as variable-length UTF-8 strings.
  Handle type(H5Tcopy(H5T_C_S1), CloseType);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate_by_name(f.id(), path.c_str(), name.c_str(), type.get(), space.get(),
                                H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  const char* s = value.c_str();
  if (attr.get() < 0 || H5Awrite(attr.get(), type.get(), &s) < 0) {
    throw Error(fmt::format("{}: cannot write attribute {}.{}", f.name(), path, name));
  }
}

std::optional<int64_t> ReadIntAttr(const File& f, const std::string& path,
                                   const std::string& name) {
  if (H5Aexists_by_name(f.id(), path.c_str(), name.c_str(), H5P_DEFAULT) <= 0) return std::nullopt;
  Handle attr(H5Aopen_by_name(f.id(), path.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  Handle type(H5Aget_type(attr.get()), CloseType);
  if (H5Tget_class(type.get()) != H5T_INTEGER) return std::nullopt;  // e.g. seed "None" string
  int64_t v = 0;
  if (H5Aread(attr.get(), H5T_NATIVE_INT64, &v) < 0) {
    throw Error(fmt::format("{}: cannot read attribute {}.{}", f.name(), path, name));
  }
  return v;
}

}  // namespace bellman::io::h5
