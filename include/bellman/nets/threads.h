// Compute threads of libtorch and OpenBLAS, and the choice of OpenBLAS kernels.
#pragma once

#include <string>

namespace bellman::nets {

// Sets libtorch's intra-op threads (torch::set_num_threads) and OpenBLAS's threads
// (openblas_set_num_threads), which libtorch's CPU matmuls and FusedMlp both use. OpenBLAS keeps
// its own pool (nproc threads by default) that torch::set_num_threads does not touch: on a 2-core
// machine two BLAS threads next to torch's pool make small-net updates 3-6x slower and change the
// floating-point results of a GEMM, so keep blas_threads = 1 for reproducible runs.
// Also switches OpenBLAS to the best kernels for this CPU (UseBestBlasKernels, once).
// Throws bellman::Error if either count is < 1.
void SetNumThreads(int torch_threads, int blas_threads = 1);

// OpenBLAS's current thread count (for logs and tests).
int BlasNumThreads();

// The kernel set OpenBLAS chose at load time ("Haswell", "SkylakeX", ...; openblas_get_corename).
std::string BlasCoreName();

// OpenBLAS (a DYNAMIC_ARCH build) picks its kernels from the CPU model when it loads. Debian 12's
// OpenBLAS 0.3.21 does not know CPUs newer than itself (e.g. Intel family 6 model 207) and falls
// back to its SSE3 "Prescott" kernels, which run the GEMMs of small nets 3-10x slower; the only
// way to choose is the OPENBLAS_CORETYPE environment variable, read before main() runs.
// Returns the core this CPU should use when OpenBLAS's choice is weaker than the CPU: "SkylakeX"
// (AVX-512 F/CD/BW/DQ/VL) or "Haswell" (AVX2 + FMA); "" when OpenBLAS's choice is right, or when
// OPENBLAS_CORETYPE is set (an explicit choice always stands).
std::string SuggestedBlasCore();

// Switches OpenBLAS, in this process, to SuggestedBlasCore() through OpenBLAS's own dynamic-arch
// initialisation (as if OPENBLAS_CORETYPE had been set at load time). bellman calls it from
// SetNumThreads, so the CLI, the tests, the benchmarks and Python all compute with the same
// kernels. Runs once per process; call it before other threads use BLAS (the swap is not
// synchronised with a GEMM in flight). Returns the kernel set in use afterwards.
std::string UseBestBlasKernels();

// For the top of main(), before any thread starts: when SuggestedBlasCore() is not empty, sets
// OPENBLAS_CORETYPE to it and re-executes the program (/proc/self/exe) with the same arguments.
// Returns normally when there is nothing to do or the exec fails (then OpenBLAS's choice stays).
// The kernel set changes the last bits of GEMM results, so runs compare bit for bit only under
// the same core; the suggestion is a pure function of the CPU, so a machine always gets the same.
void ReexecWithSuggestedBlasCore(char** argv);

}  // namespace bellman::nets
