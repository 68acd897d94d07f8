#include "bellman/core/space.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "bellman/core/error.h"

namespace bellman {

size_t DTypeSize(DType d) {
  switch (d) {
    case DType::kFloat32:
      return 4;
    case DType::kFloat64:
      return 8;
    case DType::kInt64:
      return 8;
    case DType::kInt8:
    case DType::kUint8:
      return 1;
  }
  return 0;
}

std::string DTypeName(DType d) {
  switch (d) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat64:
      return "float64";
    case DType::kInt64:
      return "int64";
    case DType::kInt8:
      return "int8";
    case DType::kUint8:
      return "uint8";
  }
  return "?";
}

namespace {

int64_t Product(const std::vector<int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

// Shortest round-trip decimal of v as the dtype holds it (numpy prints float32 bounds from the
// float32 value: -0.41887903, not -0.418879032135009765625).
std::string ShortestRepr(double v, DType dtype) {
  return dtype == DType::kFloat32 ? fmt::format("{}", static_cast<float>(v)) : fmt::format("{}", v);
}

// str() of a numpy float scalar: "-1.0", "0.07", "inf".
std::string ScalarString(double v, DType dtype) {
  if (dtype == DType::kInt64 || dtype == DType::kInt8 || dtype == DType::kUint8) {
    return fmt::format("{}", static_cast<int64_t>(v));  // numpy int scalars print bare
  }
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  if (std::isnan(v)) return "nan";
  std::string r = ShortestRepr(v, dtype);
  if (r.find_first_of(".e") == std::string::npos) r += ".0";
  return r;
}

// str() of a 1-D numpy float array in numpy's default (non-scientific) mode: every finite
// element split at the decimal point, integer parts right-aligned and fractions left-aligned to
// common widths, at most 8 fraction digits, inf/nan right-aligned to the same width.
std::string ArrayString(const std::vector<double>& values, DType dtype) {
  struct Part {
    std::string int_part, frac;
    bool finite;
    std::string special;
  };
  std::vector<Part> parts;
  size_t pad_left = 0, pad_right = 0;
  bool any_nonfinite = false, neg_inf = false;
  for (double v : values) {
    Part p;
    p.finite = std::isfinite(v);
    if (!p.finite) {
      any_nonfinite = true;
      neg_inf = neg_inf || (std::isinf(v) && v < 0);
      p.special = std::isnan(v) ? "nan" : (v < 0 ? "-inf" : "inf");
    } else {
      std::string r = ShortestRepr(v, dtype);
      if (r.find('e') != std::string::npos) r = fmt::format("{:.8f}", v);
      size_t dot = r.find('.');
      p.int_part = dot == std::string::npos ? r : r.substr(0, dot);
      p.frac = dot == std::string::npos ? "" : r.substr(dot + 1);
      if (p.frac.size() > 8) {
        r = fmt::format("{:.8f}", v);
        dot = r.find('.');
        p.int_part = r.substr(0, dot);
        p.frac = r.substr(dot + 1);
        while (!p.frac.empty() && p.frac.back() == '0') p.frac.pop_back();
      }
      pad_left = std::max(pad_left, p.int_part.size());
      pad_right = std::max(pad_right, p.frac.size());
    }
    parts.push_back(p);
  }
  if (any_nonfinite) {
    size_t offset = pad_right + 1;
    size_t inflen = 3 + (neg_inf ? 1 : 0);
    if (inflen > offset) pad_left = std::max(pad_left, inflen - offset);
    if (3 > offset) pad_left = std::max(pad_left, 3 - offset);
  }
  std::vector<std::string> items;
  for (const Part& p : parts) {
    if (p.finite) {
      items.push_back(fmt::format("{:>{}}.{:<{}}", p.int_part, pad_left, p.frac, pad_right));
    } else {
      items.push_back(fmt::format("{:>{}}", p.special, pad_left + pad_right + 1));
    }
  }
  return fmt::format("[{}]", fmt::join(items, " "));
}

double ReadAsDouble(const void* data, DType d, int64_t i) {
  switch (d) {
    case DType::kFloat32:
      return static_cast<const float*>(data)[i];
    case DType::kFloat64:
      return static_cast<const double*>(data)[i];
    case DType::kInt64:
      return static_cast<double>(static_cast<const int64_t*>(data)[i]);
    case DType::kInt8:
      return static_cast<const int8_t*>(data)[i];
    case DType::kUint8:
      return static_cast<const uint8_t*>(data)[i];
  }
  return 0;
}

}  // namespace

Space Space::Discrete(int64_t n, int64_t start) {
  if (n <= 0) throw Error(fmt::format("Discrete(n) needs n > 0, got {}", n));
  Space s;
  s.kind_ = Kind::kDiscrete;
  s.dtype_ = DType::kInt64;
  s.n_ = n;
  s.start_ = start;
  return s;
}

Space Space::Box(std::vector<double> low, std::vector<double> high, std::vector<int64_t> shape,
                 DType dtype) {
  int64_t size = Product(shape);
  if (static_cast<int64_t>(low.size()) != size || static_cast<int64_t>(high.size()) != size) {
    throw Error(fmt::format("Box: low/high have {}/{} elements, shape {} needs {}", low.size(),
                            high.size(), ShapeString(shape), size));
  }
  for (int64_t i = 0; i < size; ++i) {
    if (!(low[i] <= high[i])) {
      throw Error(fmt::format("Box: low[{}] = {} is above high[{}] = {}", i, low[i], i, high[i]));
    }
  }
  Space s;
  s.kind_ = Kind::kBox;
  s.dtype_ = dtype;
  s.shape_ = std::move(shape);
  s.low_ = std::move(low);
  s.high_ = std::move(high);
  return s;
}

Space Space::Box(double low, double high, std::vector<int64_t> shape, DType dtype) {
  size_t size = static_cast<size_t>(Product(shape));
  return Box(std::vector<double>(size, low), std::vector<double>(size, high), std::move(shape),
             dtype);
}

Space Space::MultiDiscrete(std::vector<int64_t> nvec) {
  for (int64_t n : nvec) {
    if (n <= 0) throw Error(fmt::format("MultiDiscrete: every n must be > 0, got {}", n));
  }
  Space s;
  s.kind_ = Kind::kMultiDiscrete;
  s.dtype_ = DType::kInt64;
  s.shape_ = {static_cast<int64_t>(nvec.size())};
  s.nvec_ = std::move(nvec);
  return s;
}

Space Space::MultiBinary(int64_t n) {
  if (n <= 0) throw Error(fmt::format("MultiBinary(n) needs n > 0, got {}", n));
  Space s;
  s.kind_ = Kind::kMultiBinary;
  s.dtype_ = DType::kInt8;
  s.shape_ = {n};
  return s;
}

Space Space::Tuple(std::vector<Space> spaces) {
  for (const Space& sub : spaces) {
    if (sub.kind() != Kind::kDiscrete) {
      throw Error("Tuple spaces hold Discrete subspaces only, got " + sub.ToString());
    }
  }
  Space s;
  s.kind_ = Kind::kTuple;
  s.dtype_ = DType::kInt64;
  s.shape_ = {static_cast<int64_t>(spaces.size())};
  s.spaces_ = std::move(spaces);
  return s;
}

int64_t Space::flat_size() const {
  if (kind_ == Kind::kDiscrete) return 1;
  return Product(shape_);
}

bool Space::Contains(const void* data) const {
  switch (kind_) {
    case Kind::kDiscrete: {
      int64_t v = *static_cast<const int64_t*>(data);
      return v >= start_ && v < start_ + n_;
    }
    case Kind::kBox: {
      for (int64_t i = 0; i < flat_size(); ++i) {
        double v = ReadAsDouble(data, dtype_, i);
        if (!(v >= low_[i] && v <= high_[i])) return false;
      }
      return true;
    }
    case Kind::kMultiDiscrete: {
      const int64_t* v = static_cast<const int64_t*>(data);
      for (size_t i = 0; i < nvec_.size(); ++i) {
        if (v[i] < 0 || v[i] >= nvec_[i]) return false;
      }
      return true;
    }
    case Kind::kMultiBinary: {
      const int8_t* v = static_cast<const int8_t*>(data);
      for (int64_t i = 0; i < flat_size(); ++i) {
        if (v[i] != 0 && v[i] != 1) return false;
      }
      return true;
    }
    case Kind::kTuple: {
      const int64_t* v = static_cast<const int64_t*>(data);
      for (size_t i = 0; i < spaces_.size(); ++i) {
        if (!spaces_[i].Contains(v + i)) return false;
      }
      return true;
    }
  }
  return false;
}

void Space::Sample(Rng& rng, void* out) const {
  switch (kind_) {
    case Kind::kDiscrete:
      // gymnasium Discrete.sample: start + np_random.integers(n)
      *static_cast<int64_t*>(out) = start_ + rng.Integers(0, n_);
      return;
    case Kind::kBox: {
      // Bounded boxes: np_random.uniform(low, high) per element (Gymnasium draws the bounded
      // elements with uniform, unbounded with normal, half-bounded with exponential shifts;
      // bellman draws normal for unbounded and shifted |normal| for half-bounded).
      for (int64_t i = 0; i < flat_size(); ++i) {
        double lo = low_[i], hi = high_[i], v;
        bool blo = std::isfinite(lo), bhi = std::isfinite(hi);
        if (blo && bhi) {
          v = rng.Uniform(lo, hi);
        } else if (!blo && !bhi) {
          v = rng.StandardNormal();
        } else if (blo) {
          v = lo + std::fabs(rng.StandardNormal());
        } else {
          v = hi - std::fabs(rng.StandardNormal());
        }
        switch (dtype_) {
          case DType::kFloat32:
            static_cast<float*>(out)[i] = static_cast<float>(v);
            break;
          case DType::kFloat64:
            static_cast<double*>(out)[i] = v;
            break;
          case DType::kInt64:
            static_cast<int64_t*>(out)[i] = static_cast<int64_t>(std::floor(v));
            break;
          case DType::kInt8:
            static_cast<int8_t*>(out)[i] = static_cast<int8_t>(std::floor(v));
            break;
          case DType::kUint8:
            static_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(std::floor(v));
            break;
        }
      }
      return;
    }
    case Kind::kMultiDiscrete:
      for (size_t i = 0; i < nvec_.size(); ++i) {
        static_cast<int64_t*>(out)[i] = rng.Integers(0, nvec_[i]);
      }
      return;
    case Kind::kMultiBinary:
      for (int64_t i = 0; i < flat_size(); ++i) {
        static_cast<int8_t*>(out)[i] = static_cast<int8_t>(rng.Integers(0, 2));
      }
      return;
    case Kind::kTuple:
      for (size_t i = 0; i < spaces_.size(); ++i) {
        spaces_[i].Sample(rng, static_cast<int64_t*>(out) + i);
      }
      return;
  }
}

std::string Space::ToString() const {
  switch (kind_) {
    case Kind::kDiscrete:
      return start_ == 0 ? fmt::format("Discrete({})", n_)
                         : fmt::format("Discrete({}, start={})", n_, start_);
    case Kind::kBox: {
      // gymnasium Box.__repr__: each bound as a scalar when all its elements are equal.
      auto bound = [&](const std::vector<double>& b) {
        bool same = std::all_of(b.begin(), b.end(), [&](double x) { return x == b[0]; });
        return same ? ScalarString(b[0], dtype_) : ArrayString(b, dtype_);
      };
      return fmt::format("Box({}, {}, {}, {})", bound(low_), bound(high_), ShapeString(shape_),
                         DTypeName(dtype_));
    }
    case Kind::kMultiDiscrete:
      return fmt::format("MultiDiscrete([{}])", fmt::join(nvec_, " "));
    case Kind::kMultiBinary:
      return fmt::format("MultiBinary({})", shape_[0]);
    case Kind::kTuple: {
      std::vector<std::string> parts;
      for (const Space& s : spaces_) parts.push_back(s.ToString());
      return fmt::format("Tuple({})", fmt::join(parts, ", "));
    }
  }
  return "?";
}

}  // namespace bellman
