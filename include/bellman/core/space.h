// Spaces, as Gymnasium defines them: Discrete, Box, MultiDiscrete, MultiBinary, and Tuple
// (Blackjack's observation). A Space describes the raw memory an env reads or writes: a flat,
// row-major array of `dtype` with `shape`.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "bellman/core/rng.h"

namespace bellman {

enum class DType { kFloat32, kFloat64, kInt64, kInt8, kUint8 };

size_t DTypeSize(DType d);

// The DType that a C++ element type stands for (typed views check it against a space).
template <typename T>
constexpr DType DTypeOf() {
  if constexpr (std::is_same_v<T, float>) {
    return DType::kFloat32;
  } else if constexpr (std::is_same_v<T, double>) {
    return DType::kFloat64;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return DType::kInt64;
  } else if constexpr (std::is_same_v<T, int8_t>) {
    return DType::kInt8;
  } else {
    static_assert(std::is_same_v<T, uint8_t>, "element type must match a DType");
    return DType::kUint8;
  }
}
std::string DTypeName(DType d);  // "float32", "float64", "int64", "int8", "uint8"

class Space {
 public:
  enum class Kind { kDiscrete, kBox, kMultiDiscrete, kMultiBinary, kTuple };

  static Space Discrete(int64_t n, int64_t start = 0);
  // Box with per-element bounds (size must equal the product of shape).
  static Space Box(std::vector<double> low, std::vector<double> high, std::vector<int64_t> shape,
                   DType dtype = DType::kFloat32);
  // Box with the same bounds for every element.
  static Space Box(double low, double high, std::vector<int64_t> shape,
                   DType dtype = DType::kFloat32);
  static Space MultiDiscrete(std::vector<int64_t> nvec);
  static Space MultiBinary(int64_t n);
  // Tuple of Discrete spaces, stored as consecutive int64 values.
  static Space Tuple(std::vector<Space> spaces);

  Kind kind() const { return kind_; }
  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  // Number of scalar elements in one sample (1 for Discrete, 3 for Blackjack's Tuple).
  int64_t flat_size() const;
  size_t byte_size() const { return static_cast<size_t>(flat_size()) * DTypeSize(dtype_); }

  int64_t n() const { return n_; }                              // Discrete
  int64_t start() const { return start_; }                      // Discrete
  const std::vector<double>& low() const { return low_; }       // Box
  const std::vector<double>& high() const { return high_; }     // Box
  const std::vector<int64_t>& nvec() const { return nvec_; }    // MultiDiscrete
  const std::vector<Space>& spaces() const { return spaces_; }  // Tuple

  // Whether the flat sample at `data` (laid out as dtype/shape) lies in the space.
  bool Contains(const void* data) const;
  // Draws a sample into `out`, following Gymnasium's Space.sample algorithms.
  void Sample(Rng& rng, void* out) const;
  // Gymnasium's repr: "Discrete(2)", "Box(-inf, inf, (4,), float32)", ...
  std::string ToString() const;

 private:
  Kind kind_ = Kind::kDiscrete;
  DType dtype_ = DType::kInt64;
  std::vector<int64_t> shape_;
  int64_t n_ = 0, start_ = 0;
  std::vector<double> low_, high_;
  std::vector<int64_t> nvec_;
  std::vector<Space> spaces_;
};

}  // namespace bellman
