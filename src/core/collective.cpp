// The non-virtual part of bellman/core/collective.h: the parameter check.
#include "bellman/core/collective.h"

#include <fmt/format.h>

#include "bellman/core/error.h"

namespace bellman {

uint64_t Fnv1a(const void* data, size_t bytes, uint64_t hash) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

void Collective::CheckSame(uint64_t hash, const std::string& what) {
  // Two's-complement reinterpretation: min == max over ranks iff every rank holds the same bits.
  int64_t lo = static_cast<int64_t>(hash), hi = lo;
  AllReduceMin(&lo, 1);
  AllReduceMax(&hi, 1);
  ++checks_;
  if (lo != hi) {
    throw Error(fmt::format(
        "data-parallel ranks diverged: rank {} of {} holds {} with hash {:016x}, another rank "
        "{:016x} (check {}); every rank must run the same config and algorithm",
        rank(), world_size(), what, hash,
        static_cast<uint64_t>(lo == static_cast<int64_t>(hash) ? hi : lo), checks_));
  }
  check_chain_ = Fnv1a(&hash, sizeof(hash), check_chain_);
}

}  // namespace bellman
