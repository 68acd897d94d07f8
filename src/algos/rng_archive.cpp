// Rng states in torch archives (rng_archive.h).
#include "rng_archive.h"

#include <fmt/format.h>

#include "bellman/core/error.h"

namespace bellman::algos {

// RngState as int64 words for a torch archive: state hi/lo, inc hi/lo, has_uint32, uinteger.
torch::Tensor RngToTensor(const RngState& s) {
  auto t = torch::empty({6}, torch::kInt64);
  auto* p = t.data_ptr<int64_t>();
  p[0] = static_cast<int64_t>(static_cast<uint64_t>(s.state >> 64));
  p[1] = static_cast<int64_t>(static_cast<uint64_t>(s.state));
  p[2] = static_cast<int64_t>(static_cast<uint64_t>(s.inc >> 64));
  p[3] = static_cast<int64_t>(static_cast<uint64_t>(s.inc));
  p[4] = s.has_uint32 ? 1 : 0;
  p[5] = static_cast<int64_t>(s.uinteger);
  return t;
}

RngState RngFromTensor(const torch::Tensor& t, const char* what) {
  if (t.numel() != 6 || t.scalar_type() != torch::kInt64) {
    throw Error(fmt::format("{} must hold 6 int64 words", what));
  }
  const auto* p = t.data_ptr<int64_t>();
  auto u128 = [](int64_t hi, int64_t lo) {
    return (static_cast<unsigned __int128>(static_cast<uint64_t>(hi)) << 64) |
           static_cast<uint64_t>(lo);
  };
  RngState s;
  s.state = u128(p[0], p[1]);
  s.inc = u128(p[2], p[3]);
  s.has_uint32 = p[4] != 0;
  s.uinteger = static_cast<uint32_t>(p[5]);
  return s;
}

}  // namespace bellman::algos
