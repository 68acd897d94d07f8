// Python spaces: bellman.Discrete, Box, Tuple, MultiDiscrete, MultiBinary with Gymnasium's
// attributes, sample/contains/seed semantics and repr.
#include <fmt/format.h>

#include <limits>
#include <random>

#include "bellman/core/error.h"
#include "common.h"

namespace bellman::python {

namespace {

py::module_ Numpy() { return py::module_::import("numpy"); }

py::tuple ShapeTuple(const std::vector<int64_t>& shape) {
  py::tuple t(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) t[i] = py::int_(shape[i]);
  return t;
}

DType DTypeFromPython(py::handle dtype) {
  std::string name = py::str(Numpy().attr("dtype")(dtype).attr("name"));
  if (name == "float32") return DType::kFloat32;
  if (name == "float64") return DType::kFloat64;
  if (name == "int64") return DType::kInt64;
  if (name == "int8") return DType::kInt8;
  if (name == "uint8") return DType::kUint8;
  throw Error(
      fmt::format("Box dtype must be float32, float64, int64, int8 or uint8, got {}", name));
}

// A Box bound as Gymnasium stores it: an array of the space's dtype (float32 CartPole bounds are
// the float32-rounded values).
py::array BoundArray(const Space& s, const std::vector<double>& values) {
  py::array_t<double> a(static_cast<py::ssize_t>(values.size()), values.data());
  py::object typed = a.attr("astype")(NumpyDType(s.dtype()));
  typed = typed.attr("reshape")(ShapeTuple(s.shape()));
  typed.attr("setflags")(py::arg("write") = false);
  return typed.cast<py::array>();
}

py::object NumpyInt64(int64_t v) { return Numpy().attr("int64")(v); }

uint64_t EntropySeed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) | rd();
}

py::object DiscreteSample(PySpace& self, py::object mask, py::object probability) {
  const Space& s = self.space;
  if (!mask.is_none() && !probability.is_none()) {
    throw Error("Discrete.sample: give mask or probability, not both");
  }
  if (!mask.is_none()) {
    // gymnasium: start + np_random.choice(np.where(mask == 1)[0]); start when nothing is valid.
    py::array_t<int8_t> m = py::array_t<int8_t, py::array::forcecast>::ensure(mask);
    if (!m || m.ndim() != 1 || m.shape(0) != s.n()) {
      throw Error(fmt::format("Discrete.sample: mask must be an int8 array of shape ({},)", s.n()));
    }
    std::vector<int64_t> valid;
    for (int64_t i = 0; i < s.n(); ++i) {
      if (m.at(i) == 1) {
        valid.push_back(i);
      } else if (m.at(i) != 0) {
        throw Error(fmt::format("Discrete.sample: mask values must be 0 or 1, got {}", m.at(i)));
      }
    }
    if (valid.empty()) return NumpyInt64(s.start());
    return NumpyInt64(s.start() + valid[self.rng().Choice(static_cast<int64_t>(valid.size()))]);
  }
  if (!probability.is_none()) {
    // gymnasium: start + np_random.choice(np.arange(n), p=probability).
    py::array_t<double> p = py::array_t<double, py::array::forcecast>::ensure(probability);
    if (!p || p.ndim() != 1 || p.shape(0) != s.n()) {
      throw Error(fmt::format("Discrete.sample: probability must be a float64 array of shape ({},)",
                              s.n()));
    }
    std::vector<double> probs(p.data(), p.data() + s.n());
    return NumpyInt64(s.start() + self.rng().Choice(probs));
  }
  int64_t v = 0;
  s.Sample(self.rng(), &v);
  return NumpyInt64(v);
}

py::object ArraySample(PySpace& self) {
  const Space& s = self.space;
  Buffer buf(s.byte_size());
  s.Sample(self.rng(), buf.data());
  return ObsToPython(s, buf.data());
}

py::object Sample(PySpace& self, py::object mask, py::object probability) {
  switch (self.space.kind()) {
    case Space::Kind::kDiscrete:
      return DiscreteSample(self, mask, probability);
    case Space::Kind::kTuple: {
      auto& t = static_cast<PyTuple&>(self);
      py::tuple out(t.subspaces.size());
      for (size_t i = 0; i < t.subspaces.size(); ++i) out[i] = t.subspaces[i].attr("sample")();
      return out;
    }
    default:
      if (!mask.is_none() || !probability.is_none()) {
        throw Error(fmt::format("{}.sample: mask and probability are not supported",
                                self.space.ToString()));
      }
      return ArraySample(self);
  }
}

bool Contains(const PySpace& self, py::handle x) {
  const Space& s = self.space;
  py::module_ np = Numpy();
  switch (s.kind()) {
    case Space::Kind::kDiscrete: {
      std::optional<int64_t> v = IntegerFromPython(x);
      return v && *v >= s.start() && *v < s.start() + s.n();
    }
    case Space::Kind::kBox: {
      // gymnasium Box.contains: cast non-arrays to the dtype, then dtype/shape/bounds.
      py::object a = py::reinterpret_borrow<py::object>(x);
      py::object dtype = NumpyDType(s.dtype());
      if (!py::isinstance<py::array>(a)) {
        try {
          a = np.attr("asarray")(a, py::arg("dtype") = dtype);
        } catch (py::error_already_set&) {
          return false;
        }
      }
      if (!np.attr("can_cast")(a.attr("dtype"), dtype).cast<bool>()) return false;
      if (!py::object(a.attr("shape")).equal(ShapeTuple(s.shape()))) return false;
      const auto& box = static_cast<const PyBox&>(self);
      py::object lo = BoundArray(box.space, s.low()), hi = BoundArray(box.space, s.high());
      return np.attr("all")(a.attr("__ge__")(lo)).cast<bool>() &&
             np.attr("all")(a.attr("__le__")(hi)).cast<bool>();
    }
    case Space::Kind::kMultiDiscrete:
    case Space::Kind::kMultiBinary: {
      py::object a = py::reinterpret_borrow<py::object>(x);
      if (py::isinstance<py::list>(a) || py::isinstance<py::tuple>(a)) a = np.attr("array")(a);
      if (!py::isinstance<py::array>(a)) return false;
      if (!py::object(a.attr("shape")).equal(ShapeTuple(s.shape()))) return false;
      if (s.kind() == Space::Kind::kMultiBinary) {
        return np.attr("all")(np.attr("logical_or")(a.attr("__eq__")(0), a.attr("__eq__")(1)))
            .cast<bool>();
      }
      if (!np.attr("can_cast")(a.attr("dtype"), np.attr("int64")).cast<bool>()) return false;
      py::array_t<int64_t> nvec(static_cast<py::ssize_t>(s.nvec().size()), s.nvec().data());
      return np.attr("all")(a.attr("__ge__")(0)).cast<bool>() &&
             np.attr("all")(a.attr("__lt__")(nvec)).cast<bool>();
    }
    case Space::Kind::kTuple: {
      const auto& t = static_cast<const PyTuple&>(self);
      py::object v = py::reinterpret_borrow<py::object>(x);
      if (py::isinstance<py::list>(v) || py::isinstance<py::array>(v)) v = py::tuple(v);
      if (!py::isinstance<py::tuple>(v)) return false;
      py::tuple tv = v.cast<py::tuple>();
      if (tv.size() != t.subspaces.size()) return false;
      for (size_t i = 0; i < tv.size(); ++i) {
        if (!t.subspaces[i].attr("contains")(tv[i]).cast<bool>()) return false;
      }
      return true;
    }
  }
  return false;
}

bool SameSpace(const Space& a, const Space& b) {
  if (a.kind() != b.kind() || a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  switch (a.kind()) {
    case Space::Kind::kDiscrete:
      return a.n() == b.n() && a.start() == b.start();
    case Space::Kind::kBox:
      return a.low() == b.low() && a.high() == b.high();
    case Space::Kind::kMultiDiscrete:
      return a.nvec() == b.nvec();
    case Space::Kind::kMultiBinary:
      return true;
    case Space::Kind::kTuple:
      if (a.spaces().size() != b.spaces().size()) return false;
      for (size_t i = 0; i < a.spaces().size(); ++i) {
        if (!SameSpace(a.spaces()[i], b.spaces()[i])) return false;
      }
      return true;
  }
  return false;
}

// Tuple.seed as Gymnasium does it: None seeds every subspace from entropy; an int seeds the
// Tuple's own generator, which draws one int32 seed per subspace; a list gives one per subspace.
py::tuple TupleSeed(PyTuple& t, py::handle seed) {
  py::tuple out(t.subspaces.size());
  if (seed.is_none()) {
    for (size_t i = 0; i < t.subspaces.size(); ++i) out[i] = t.subspaces[i].attr("seed")();
  } else if (py::isinstance<py::list>(seed) || py::isinstance<py::tuple>(seed)) {
    py::sequence seq = py::reinterpret_borrow<py::sequence>(seed);
    if (seq.size() != t.subspaces.size()) {
      throw Error(
          fmt::format("Tuple.seed: got {} seeds for {} subspaces", seq.size(), t.subspaces.size()));
    }
    for (size_t i = 0; i < t.subspaces.size(); ++i) out[i] = t.subspaces[i].attr("seed")(seq[i]);
  } else {
    t.Seed(SeedFromPython(seed, "Tuple.seed"));
    for (size_t i = 0; i < t.subspaces.size(); ++i) {
      int64_t sub = t.rng().Integers(0, std::numeric_limits<int32_t>::max());
      out[i] = t.subspaces[i].attr("seed")(sub);
    }
  }
  return out;
}

std::vector<int64_t> ShapeFromPython(py::handle shape) {
  std::vector<int64_t> out;
  if (py::isinstance<py::int_>(shape)) {
    out.push_back(shape.cast<int64_t>());
  } else {
    for (py::handle d : shape) out.push_back(d.cast<int64_t>());
  }
  return out;
}

std::unique_ptr<PyBox> MakeBox(py::object low, py::object high, py::object shape, py::object dtype,
                               py::object seed) {
  DType dt = DTypeFromPython(dtype);
  py::module_ np = Numpy();
  py::object lo = np.attr("asarray")(low, py::arg("dtype") = np.attr("float64"));
  py::object hi = np.attr("asarray")(high, py::arg("dtype") = np.attr("float64"));
  std::vector<int64_t> dims;
  if (!shape.is_none()) {
    dims = ShapeFromPython(shape);
  } else if (lo.attr("shape").cast<py::tuple>().size() > 0) {
    dims = ShapeFromPython(lo.attr("shape"));
  } else if (hi.attr("shape").cast<py::tuple>().size() > 0) {
    dims = ShapeFromPython(hi.attr("shape"));
  } else {
    throw Error("Box: give a shape, or low/high arrays to take it from");
  }
  py::tuple st = ShapeTuple(dims);
  auto flat = [&](py::object a) {
    py::object b = np.attr("ascontiguousarray")(np.attr("broadcast_to")(a, st)).attr("ravel")();
    return b.attr("tolist")().cast<std::vector<double>>();
  };
  auto box = std::make_unique<PyBox>(Space::Box(flat(lo), flat(hi), dims, dt));
  if (!seed.is_none()) box->Seed(SeedFromPython(seed, "Box"));
  return box;
}

std::unique_ptr<PyTuple> MakeTuple(py::iterable spaces, py::object seed) {
  std::vector<Space> subs;
  std::vector<py::object> objs;
  for (py::handle h : spaces) {
    if (!py::isinstance<PyDiscrete>(h)) {
      throw Error(fmt::format("Tuple holds Discrete subspaces only, got {}",
                              py::repr(h).cast<std::string>()));
    }
    subs.push_back(h.cast<const PyDiscrete&>().space);
    objs.push_back(py::reinterpret_borrow<py::object>(h));
  }
  auto t = std::make_unique<PyTuple>(Space::Tuple(std::move(subs)));
  t->subspaces = std::move(objs);
  if (!seed.is_none()) TupleSeed(*t, seed);
  return t;
}

}  // namespace

// The int64 value of an integer-like Python object (int, NumPy integer, 0-d integer array), or
// nullopt when it is not one. Mirrors the type test of gymnasium Discrete.contains.
std::optional<int64_t> IntegerFromPython(py::handle x) {
  if (PyBool_Check(x.ptr()) || PyLong_Check(x.ptr())) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(x.ptr(), &overflow);
    if (overflow != 0) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  py::module_ np = py::module_::import("numpy");
  if (py::isinstance(x, np.attr("generic")) || py::isinstance<py::array>(x)) {
    py::object dt = x.attr("dtype");
    bool integer = np.attr("issubdtype")(dt, np.attr("integer")).cast<bool>();
    bool scalar = x.attr("shape").cast<py::tuple>().size() == 0;
    bool castable = np.attr("can_cast")(dt, np.attr("int64")).cast<bool>();
    if (integer && scalar && castable)
      return py::int_(py::reinterpret_borrow<py::object>(x)).cast<int64_t>();
  }
  return std::nullopt;
}

Rng& PySpace::rng() {
  if (!generator) generator.emplace(EntropySeed());
  return *generator;
}

uint64_t PySpace::Seed(std::optional<uint64_t> seed) {
  uint64_t s = seed ? *seed : EntropySeed();
  generator.emplace(s);
  return s;
}

py::dtype NumpyDType(DType d) {
  switch (d) {
    case DType::kFloat32:
      return py::dtype::of<float>();
    case DType::kFloat64:
      return py::dtype::of<double>();
    case DType::kInt64:
      return py::dtype::of<int64_t>();
    case DType::kInt8:
      return py::dtype::of<int8_t>();
    case DType::kUint8:
      return py::dtype::of<uint8_t>();
  }
  return py::dtype::of<double>();
}

py::object WrapSpace(const Space& space) {
  switch (space.kind()) {
    case Space::Kind::kDiscrete:
      return py::cast(std::make_unique<PyDiscrete>(space));
    case Space::Kind::kBox:
      return py::cast(std::make_unique<PyBox>(space));
    case Space::Kind::kMultiDiscrete:
      return py::cast(std::make_unique<PyMultiDiscrete>(space));
    case Space::Kind::kMultiBinary:
      return py::cast(std::make_unique<PyMultiBinary>(space));
    case Space::Kind::kTuple: {
      auto t = std::make_unique<PyTuple>(space);
      for (const Space& sub : space.spaces()) t->subspaces.push_back(WrapSpace(sub));
      return py::cast(std::move(t));
    }
  }
  throw Error("unknown space kind");
}

std::optional<uint64_t> SeedFromPython(py::handle seed, const std::string& who) {
  if (seed.is_none()) return std::nullopt;
  std::optional<int64_t> v;
  bool is_int = !PyBool_Check(seed.ptr()) &&
                (PyLong_Check(seed.ptr()) ||
                 py::isinstance(seed, py::module_::import("numpy").attr("integer")));
  if (is_int) {
    py::int_ i(py::reinterpret_borrow<py::object>(seed));
    // Gymnasium's seeding.np_random accepts any int >= 0; bellman's Rng takes 64 bits.
    if (i.attr("__ge__")(py::int_(0)).cast<bool>() &&
        i.attr("__lt__")(py::int_(1).attr("__lshift__")(64)).cast<bool>()) {
      return PyLong_AsUnsignedLongLong(i.ptr());
    }
  }
  throw Error(fmt::format("{}: seed must be None or an int in [0, 2**64), got {}", who,
                          py::repr(seed).cast<std::string>()));
}

void BindSpaces(py::module_& m) {
  py::class_<PySpace>(m, "Space", "Base class of bellman's Gymnasium-compatible spaces.")
      .def("sample", &Sample, py::arg("mask") = py::none(), py::arg("probability") = py::none(),
           "A random element, drawn from the space's own generator (see seed()).")
      .def("contains", &Contains, py::arg("x"))
      .def("__contains__", &Contains)
      .def(
          "seed",
          [](PySpace& self, py::object seed) -> py::object {
            if (self.space.kind() == Space::Kind::kTuple) {
              return TupleSeed(static_cast<PyTuple&>(self), seed);
            }
            return py::int_(self.Seed(SeedFromPython(seed, "Space.seed")));
          },
          py::arg("seed") = py::none(),
          "Seeds the space's generator (Gymnasium's space.seed); returns the seed(s) used.")
      .def_property_readonly("shape",
                             [](const PySpace& self) -> py::object {
                               if (self.space.kind() == Space::Kind::kTuple) return py::none();
                               return ShapeTuple(self.space.shape());
                             })
      .def_property_readonly("dtype",
                             [](const PySpace& self) -> py::object {
                               if (self.space.kind() == Space::Kind::kTuple) return py::none();
                               return NumpyDType(self.space.dtype());
                             })
      .def("__repr__", [](const PySpace& self) { return self.space.ToString(); })
      .def("__str__", [](const PySpace& self) { return self.space.ToString(); })
      .def("__eq__",
           [](const PySpace& self, py::handle other) {
             return py::isinstance<PySpace>(other) &&
                    SameSpace(self.space, other.cast<const PySpace&>().space);
           })
      .def("__hash__",
           [](const PySpace& self) { return py::hash(py::str(self.space.ToString())); });

  py::class_<PyDiscrete, PySpace>(m, "Discrete",
                                  "Gymnasium's Discrete(n, start): {start..start+n-1}.")
      .def(py::init([](int64_t n, py::object seed, int64_t start) {
             auto d = std::make_unique<PyDiscrete>(Space::Discrete(n, start));
             if (!seed.is_none()) d->Seed(SeedFromPython(seed, "Discrete"));
             return d;
           }),
           py::arg("n"), py::arg("seed") = py::none(), py::arg("start") = 0)
      .def_property_readonly("n", [](const PyDiscrete& s) { return NumpyInt64(s.space.n()); })
      .def_property_readonly("start",
                             [](const PyDiscrete& s) { return NumpyInt64(s.space.start()); });

  py::class_<PyBox, PySpace>(m, "Box", "Gymnasium's Box(low, high, shape, dtype).")
      .def(py::init(&MakeBox), py::arg("low"), py::arg("high"), py::arg("shape") = py::none(),
           py::arg("dtype") = py::module_::import("numpy").attr("float32"),
           py::arg("seed") = py::none())
      .def_property_readonly("low",
                             [](const PyBox& s) { return BoundArray(s.space, s.space.low()); })
      .def_property_readonly("high",
                             [](const PyBox& s) { return BoundArray(s.space, s.space.high()); })
      .def_property_readonly(
          "bounded_below",
          [](const PyBox& s) {
            py::array_t<bool> out(static_cast<py::ssize_t>(s.space.low().size()));
            for (size_t i = 0; i < s.space.low().size(); ++i) {
              out.mutable_at(i) = s.space.low()[i] > -std::numeric_limits<double>::infinity();
            }
            return out.attr("reshape")(ShapeTuple(s.space.shape()));
          })
      .def_property_readonly(
          "bounded_above",
          [](const PyBox& s) {
            py::array_t<bool> out(static_cast<py::ssize_t>(s.space.high().size()));
            for (size_t i = 0; i < s.space.high().size(); ++i) {
              out.mutable_at(i) = s.space.high()[i] < std::numeric_limits<double>::infinity();
            }
            return out.attr("reshape")(ShapeTuple(s.space.shape()));
          })
      .def(
          "is_bounded",
          [](const PyBox& s, const std::string& manner) {
            const double inf = std::numeric_limits<double>::infinity();
            bool below = std::all_of(s.space.low().begin(), s.space.low().end(),
                                     [&](double v) { return v > -inf; });
            bool above = std::all_of(s.space.high().begin(), s.space.high().end(),
                                     [&](double v) { return v < inf; });
            if (manner == "both") return below && above;
            if (manner == "below") return below;
            if (manner == "above") return above;
            throw Error(fmt::format(
                "Box.is_bounded: manner must be 'both', 'below' or 'above', got '{}'", manner));
          },
          py::arg("manner") = "both");

  py::class_<PyTuple, PySpace>(m, "Tuple", "Gymnasium's Tuple of Discrete subspaces (Blackjack).")
      .def(py::init(&MakeTuple), py::arg("spaces"), py::arg("seed") = py::none())
      .def_property_readonly("spaces",
                             [](const PyTuple& t) {
                               py::tuple out(t.subspaces.size());
                               for (size_t i = 0; i < t.subspaces.size(); ++i) {
                                 out[i] = t.subspaces[i];
                               }
                               return out;
                             })
      .def("__len__", [](const PyTuple& t) { return t.subspaces.size(); })
      .def("__getitem__", [](const PyTuple& t, size_t i) {
        if (i >= t.subspaces.size()) throw py::index_error("Tuple index out of range");
        return t.subspaces[i];
      });

  py::class_<PyMultiDiscrete, PySpace>(m, "MultiDiscrete", "Gymnasium's MultiDiscrete(nvec).")
      .def(py::init([](std::vector<int64_t> nvec, py::object seed) {
             auto s = std::make_unique<PyMultiDiscrete>(Space::MultiDiscrete(std::move(nvec)));
             if (!seed.is_none()) s->Seed(SeedFromPython(seed, "MultiDiscrete"));
             return s;
           }),
           py::arg("nvec"), py::arg("seed") = py::none())
      .def_property_readonly("nvec", [](const PyMultiDiscrete& s) {
        return py::array_t<int64_t>(static_cast<py::ssize_t>(s.space.nvec().size()),
                                    s.space.nvec().data());
      });

  py::class_<PyMultiBinary, PySpace>(m, "MultiBinary", "Gymnasium's MultiBinary(n).")
      .def(py::init([](int64_t n, py::object seed) {
             auto s = std::make_unique<PyMultiBinary>(Space::MultiBinary(n));
             if (!seed.is_none()) s->Seed(SeedFromPython(seed, "MultiBinary"));
             return s;
           }),
           py::arg("n"), py::arg("seed") = py::none())
      .def_property_readonly("n", [](const PyMultiBinary& s) { return s.space.shape()[0]; });
}

}  // namespace bellman::python
