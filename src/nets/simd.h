// Runtime ISA dispatch for the elementwise loops of the fast path.
//
// The library is compiled for baseline x86-64 (SSE2). Loops marked BELLMAN_VECTOR_CLONES are
// compiled three times (AVX-512, AVX2, baseline) and the loader picks the best one for the CPU
// (GCC target_clones, an ifunc). The clones give identical results: the loops only add,
// multiply, divide, take square roots and compare element by element, the project compiles with
// -ffp-contract=off (no FMA contraction) and without -ffast-math (no reassociation), so vector
// width changes the speed and not one bit of the output.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define BELLMAN_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BELLMAN_VECTOR_CLONES
#endif

#if defined(__x86_64__) || defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace bellman::nets {

// Scoped flush-to-zero + denormals-are-zero for this thread's SSE/AVX arithmetic.
//
// Why: Adam's moments of a parameter whose gradient stays exactly 0 (a dead ReLU unit) decay
// geometrically into the subnormal range and then stick there (the smallest subnormal times
// beta1 = 0.9 rounds back to itself), and every multiply on a subnormal takes a microcode assist
// of ~100 cycles. Measured on RL Zoo's 256x256 CartPole DQN: the optimizer step took 3-4x the
// time of the whole forward pass. With FTZ/DAZ such a moment becomes exactly 0. The values
// involved are below 1.2e-38, so parameters change at most in bits far below their precision;
// the guard restores the caller's MXCSR on exit, so nothing outside the optimizer loops (and
// nothing in libtorch) sees a different floating-point mode.
class DenormalsAreZero {
 public:
#if defined(__x86_64__) || defined(__SSE__)
  DenormalsAreZero() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtz | kDaz); }
  ~DenormalsAreZero() { _mm_setcsr(saved_); }
#else
  DenormalsAreZero() = default;
#endif
  DenormalsAreZero(const DenormalsAreZero&) = delete;
  DenormalsAreZero& operator=(const DenormalsAreZero&) = delete;

 private:
#if defined(__x86_64__) || defined(__SSE__)
  static constexpr unsigned kFtz = 0x8000;  // MXCSR bit 15: results that would be subnormal -> 0
  static constexpr unsigned kDaz = 0x0040;  // MXCSR bit 6: subnormal inputs read as 0
  unsigned saved_;
#endif
};

}  // namespace bellman::nets
