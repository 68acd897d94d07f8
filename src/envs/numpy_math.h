// NumPy's float64 scalar math, bit for bit, for environments that reproduce Gymnasium.
//
// Gymnasium's classic-control dynamics call np.sin / np.cos on float64 scalars and `x ** 2` on
// numpy float64 scalars. The reference (../shared/reference/peers.md) is Debian 12's NumPy 1.24
// on an x86-64 CPU WITHOUT AVX-512, where np.sin / np.cos of a float64 are glibc's sin / cos.
// (On an AVX-512 CPU NumPy 1.24 switches to Intel SVML kernels that differ from glibc in the
// last bit for about half of all arguments; tests/data/gen_classic_control.py therefore records
// with NPY_DISABLE_CPU_FEATURES set so that NumPy takes the glibc path on any machine.)
//  - numpy float64 `x ** 2` is libm pow(x, 2.0), which is not always x * x (glibc's pow is not
//    correctly rounded: they differ for ~0.1% of arguments). Pow2 calls pow itself (the
//    compiler would otherwise fold pow(x, 2.0) into x * x).
#pragma once

namespace bellman::numpy_math {

// np.sin(np.float64(x)) / np.cos(np.float64(x)) on the reference machine: glibc.
double Sin(double x);
double Cos(double x);
// Both at once (what CartPole needs per step): one call instead of two.
void SinCos(double x, double* sin_x, double* cos_x);

// numpy float64 scalar `x ** 2`: libm pow(x, 2.0), not x * x.
double Pow2(double x);

// numpy float64 scalar `a % b` (npy_remainder): fmod, moved into the sign of b; a zero result
// takes the sign of b. Python's float % gives the same values.
double Remainder(double a, double b);

}  // namespace bellman::numpy_math
