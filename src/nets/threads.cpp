// Thread pinning and OpenBLAS kernel choice (see include/bellman/nets/threads.h).
#include "bellman/nets/threads.h"

#include <cblas.h>
#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "bellman/core/error.h"

namespace bellman::nets {

void SetNumThreads(int torch_threads, int blas_threads) {
  if (torch_threads < 1 || blas_threads < 1) {
    throw Error(fmt::format("thread counts must be >= 1, got torch_threads={} blas_threads={}",
                            torch_threads, blas_threads));
  }
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
