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
