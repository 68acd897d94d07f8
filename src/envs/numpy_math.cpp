#include "envs/numpy_math.h"

#include <bit>
#include <cmath>
#include <cstdint>

namespace bellman::numpy_math {

// glibc's sin/cos: what NumPy 1.24 uses for float64 on the reference machine (no AVX-512).
double Sin(double x) { return std::sin(x); }
double Cos(double x) { return std::cos(x); }
void SinCos(double x, double* sin_x, double* cos_x) {
  *sin_x = std::sin(x);
  *cos_x = std::cos(x);
}

double Pow2(double x) {
  // volatile: keeps the compiler from folding pow(x, 2.0) into x * x.
  volatile double two = 2.0;
  return std::pow(x, two);
}

double Remainder(double a, double b) {
  double mod = std::fmod(a, b);
  if (b == 0.0) return mod;
  if (mod != 0.0) {
    if ((b < 0.0) != (mod < 0.0)) mod += b;
  } else {
    mod = std::copysign(0.0, b);
  }
  return mod;
}

}  // namespace bellman::numpy_math
