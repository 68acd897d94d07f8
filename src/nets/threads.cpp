// Thread pinning and OpenBLAS kernel choice (see include/bellman/nets/threads.h).
#include "bellman/nets/threads.h"

#include <cblas.h>
#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <string>

#include "bellman/core/error.h"

// OpenBLAS's DYNAMIC_ARCH entry points (driver/others/dynamic.c): quit forgets the kernel table,
// init picks it again, reading OPENBLAS_CORETYPE first. Weak: an OpenBLAS built for one CPU
// (no DYNAMIC_ARCH) lacks them, and then there is nothing to choose.
extern "C" {
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
}

namespace bellman::nets {

void SetNumThreads(int torch_threads, int blas_threads) {
  if (torch_threads < 1 || blas_threads < 1) {
    throw Error(fmt::format("thread counts must be >= 1, got torch_threads={} blas_threads={}",
                            torch_threads, blas_threads));
  }
  UseBestBlasKernels();
  torch::set_num_threads(torch_threads);
  openblas_set_num_threads(blas_threads);
}

int BlasNumThreads() { return openblas_get_num_threads(); }

std::string BlasCoreName() {
  const char* name = openblas_get_corename();
  return name == nullptr ? std::string() : std::string(name);
}

std::string SuggestedBlasCore() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return "";
#if defined(__x86_64__) && defined(__GNUC__)
  const std::string core = BlasCoreName();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512vl");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool has_avx512_core =
      core == "SkylakeX" || core == "Cooperlake" || core == "SapphireRapids";
  const bool has_avx2_core = has_avx512_core || core == "Haswell" || core == "Zen";
  if (avx512 && !has_avx512_core) return "SkylakeX";
  if (avx2 && !has_avx2_core) return "Haswell";
#endif
  return "";
}

std::string UseBestBlasKernels() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string core = SuggestedBlasCore();
    if (core.empty() || gotoblas_dynamic_init == nullptr || gotoblas_dynamic_quit == nullptr) {
      return;
    }
    // dynamic.c's force_coretype checks that the CPU and the OS support the kernel's
    // instructions and falls back otherwise, so a wrong suggestion cannot crash.
    if (setenv("OPENBLAS_CORETYPE", core.c_str(), 1) != 0) return;
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    // Child processes (and this process's later checks) see the environment as it was.
    unsetenv("OPENBLAS_CORETYPE");
  });
  return BlasCoreName();
}

void ReexecWithSuggestedBlasCore(char** argv) {
  const std::string core = SuggestedBlasCore();
  if (core.empty() || argv == nullptr || argv[0] == nullptr) return;
  // setenv also guards against a loop: after the exec OPENBLAS_CORETYPE is set, so the suggestion
  // is empty whatever OpenBLAS then reports.
  if (setenv("OPENBLAS_CORETYPE", core.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // exec failed: carry on with the kernels already loaded.
  unsetenv("OPENBLAS_CORETYPE");
}

}  // namespace bellman::nets
