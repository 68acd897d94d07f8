// Conversions between raw env buffers (laid out as a Space says) and Python values, and
// between gym.make keyword arguments and EnvArgs.
#include <fmt/format.h>

#include <cstring>

#include "bellman/core/error.h"
#include "common.h"

namespace bellman::python {

namespace {

std::string TypeName(py::handle x) { return py::str(py::type::of(x).attr("__name__")); }

std::string Repr(py::handle x) {
  std::string r = py::repr(x);
  if (r.size() > 60) r = r.substr(0, 57) + "...";
  return r;
}

py::array NewArray(DType dtype, std::vector<py::ssize_t> shape, const void* data) {
  py::array a(NumpyDType(dtype), shape);
  std::memcpy(a.mutable_data(), data, static_cast<size_t>(a.nbytes()));
  return a;
}

}  // namespace

py::object ObsToPython(const Space& space, const void* data) {
  switch (space.kind()) {
    case Space::Kind::kDiscrete:
      return py::int_(*static_cast<const int64_t*>(data));
    case Space::Kind::kTuple: {
      const auto* v = static_cast<const int64_t*>(data);
      py::tuple t(space.spaces().size());
      for (size_t i = 0; i < space.spaces().size(); ++i) t[i] = py::int_(v[i]);
      return t;
    }
    default: {
      std::vector<py::ssize_t> shape(space.shape().begin(), space.shape().end());
      return NewArray(space.dtype(), shape, data);
    }
  }
}

py::object BatchToPython(const Space& space, const void* data, int64_t n) {
  switch (space.kind()) {
    case Space::Kind::kDiscrete:
      return NewArray(DType::kInt64, {static_cast<py::ssize_t>(n)}, data);
    case Space::Kind::kTuple: {
      // gymnasium batch_space(Tuple) is a Tuple of batched subspaces: one int64 array per part.
      const auto* v = static_cast<const int64_t*>(data);
      size_t k = space.spaces().size();
      py::tuple t(k);
      for (size_t j = 0; j < k; ++j) {
        py::array_t<int64_t> a(static_cast<py::ssize_t>(n));
        for (int64_t i = 0; i < n; ++i) a.mutable_at(i) = v[static_cast<size_t>(i) * k + j];
        t[j] = a;
      }
      return t;
    }
    default: {
      std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(n)};
      shape.insert(shape.end(), space.shape().begin(), space.shape().end());
      return NewArray(space.dtype(), shape, data);
    }
  }
}

void ActionFromPython(const Space& space, py::handle action, void* out, const std::string& who) {
  switch (space.kind()) {
    case Space::Kind::kDiscrete: {
      std::optional<int64_t> v = IntegerFromPython(action);
      if (!v) {
        throw Error(fmt::format("{}: action must be an int in {}, got {} ({})", who,
                                space.ToString(), Repr(action), TypeName(action)));
      }
      *static_cast<int64_t*>(out) = *v;
      return;
    }
    case Space::Kind::kBox: {
      // Converted to the space's dtype (float32), as bellman's C++ envs read it.
      py::array a;
      try {
        py::object np = py::module_::import("numpy");
        a = np.attr("ascontiguousarray")(action, py::arg("dtype") = NumpyDType(space.dtype()));
      } catch (const std::exception&) {
        throw Error(fmt::format("{}: action must be an array of numbers for {}, got {} ({})", who,
                                space.ToString(), Repr(action), TypeName(action)));
      }
      if (a.size() != space.flat_size()) {
        std::string shape = py::str(a.attr("shape"));
        throw Error(fmt::format("{}: action has shape {} ({} values), {} needs {}", who, shape,
                                a.size(), space.ToString(), space.flat_size()));
      }
      std::memcpy(out, a.data(), space.byte_size());
      return;
    }
    default: {
      py::array a;
      try {
        py::object np = py::module_::import("numpy");
        a = np.attr("ascontiguousarray")(action, py::arg("dtype") = NumpyDType(space.dtype()));
      } catch (const std::exception&) {
        throw Error(fmt::format("{}: action must be an integer array for {}, got {}", who,
                                space.ToString(), Repr(action)));
      }
      if (a.size() != space.flat_size()) {
        throw Error(fmt::format("{}: action has {} values, {} needs {}", who, a.size(),
                                space.ToString(), space.flat_size()));
      }
      std::memcpy(out, a.data(), space.byte_size());
      return;
    }
  }
}

EnvArgs EnvArgsFromKwargs(const py::dict& kwargs, const std::string& id) {
  EnvArgs args;
  py::module_ np = py::module_::import("numpy");
  for (auto [k, v] : kwargs) {
    std::string key = py::str(k);
    if (v.is_none()) {
      args[key] = std::monostate{};
    } else if (PyBool_Check(v.ptr()) || py::isinstance(v, np.attr("bool_"))) {
      args[key] = v.cast<bool>();
    } else if (PyLong_Check(v.ptr()) || py::isinstance(v, np.attr("integer"))) {
      args[key] = py::int_(py::reinterpret_borrow<py::object>(v)).cast<int64_t>();
    } else if (PyFloat_Check(v.ptr()) || py::isinstance(v, np.attr("floating"))) {
      args[key] = py::float_(py::reinterpret_borrow<py::object>(v)).cast<double>();
    } else if (py::isinstance<py::str>(v)) {
      args[key] = v.cast<std::string>();
    } else if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v) ||
               py::isinstance<py::array>(v)) {
      // A list of strings (FrozenLake's desc); rows may also be bytes or lists of characters.
      std::vector<std::string> rows;
      bool ok = true;
      for (py::handle row : v) {
        if (py::isinstance<py::str>(row)) {
          rows.push_back(row.cast<std::string>());
        } else if (py::isinstance<py::bytes>(row)) {
          rows.push_back(row.cast<std::string>());
        } else if (py::isinstance<py::list>(row) || py::isinstance<py::tuple>(row) ||
                   py::isinstance<py::array>(row)) {
          std::string r;
          for (py::handle c : row) {
            if (py::isinstance<py::bytes>(c) || py::isinstance<py::str>(c)) {
              r += c.cast<std::string>();
            } else {
              ok = false;
            }
          }
          rows.push_back(r);
        } else {
          ok = false;
        }
      }
      if (!ok) {
        throw Error(
            fmt::format("{}: argument '{}' = {} is not supported; list arguments must "
                        "hold strings",
                        id, key, Repr(v)));
      }
      args[key] = rows;
    } else {
      throw Error(
          fmt::format("{}: argument '{}' has type {}; expected None, bool, int, float, "
                      "str or a list of str",
                      id, key, TypeName(v)));
    }
  }
  return args;
}

std::optional<std::string> CheckRenderMode(py::handle mode, const std::string& id) {
  if (mode.is_none()) return std::nullopt;
  if (py::isinstance<py::str>(mode) && mode.cast<std::string>() == "ansi") return "ansi";
  throw Error(
      fmt::format("{}: render_mode={} is not supported; bellman renders text: use None or 'ansi'",
                  id, Repr(mode)));
}

}  // namespace bellman::python
