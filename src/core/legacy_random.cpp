// LegacyRandomState: see include/bellman/core/legacy_random.h. Mirrors NumPy 1.24's
// src/mt19937/mt19937.c (seeding, generation) and the masked branch of
// random_bounded_uint64_fill in src/distributions/distributions.c.
#include "bellman/core/legacy_random.h"

#include <string>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"

namespace bellman {
namespace {

constexpr int kN = LegacyRandomState::kStateLen;
constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpperMask = 0x80000000U;
constexpr uint32_t kLowerMask = 0x7fffffffU;

// Knuth TAOCP Vol. 2, 3rd ed., p. 106 multiplier; mt19937_seed and init_genrand are the same.
void InitGenrand(std::array<uint32_t, kN>& mt, uint32_t s) {
  mt[0] = s;
  for (int i = 1; i < kN; ++i) {
    mt[i] = 1812433253U * (mt[i - 1] ^ (mt[i - 1] >> 30)) + static_cast<uint32_t>(i);
  }
}

// gen_mask: the smallest all-ones mask covering max.
uint64_t GenMask(uint64_t max) {
  uint64_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  return mask;
}

}  // namespace

LegacyRandomState::LegacyRandomState(int64_t seed) {
  if (seed < 0 || seed > 0xFFFFFFFFLL) {
    throw Error("LegacyRandomState: seed must be between 0 and 2**32 - 1, got " +
                std::to_string(seed));
  }
  InitGenrand(key_, static_cast<uint32_t>(seed));
  pos_ = kN;
}

LegacyRandomState::LegacyRandomState(std::span<const uint32_t> seed_array) {
  if (seed_array.empty()) throw Error("LegacyRandomState: seed array must be non-empty");
  // mt19937_init_by_array (Matsumoto & Nishimura's reference init_by_array).
  InitGenrand(key_, 19650218U);
  const int key_length = static_cast<int>(seed_array.size());
  int i = 1;
  int j = 0;
  for (int k = (kN > key_length ? kN : key_length); k > 0; --k) {
    key_[i] = (key_[i] ^ ((key_[i - 1] ^ (key_[i - 1] >> 30)) * 1664525U)) + seed_array[j] +
              static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      key_[0] = key_[kN - 1];
      i = 1;
    }
    if (j >= key_length) j = 0;
  }
  for (int k = kN - 1; k > 0; --k) {
    key_[i] =
        (key_[i] ^ ((key_[i - 1] ^ (key_[i - 1] >> 30)) * 1566083941U)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      key_[0] = key_[kN - 1];
      i = 1;
    }
  }
  key_[0] = 0x80000000U;  // MSB is 1, assuring a non-zero initial array
  pos_ = kN;
}

void LegacyRandomState::Generate() {
  int i = 0;
  uint32_t y;
  for (; i < kN - kM; ++i) {
    y = (key_[i] & kUpperMask) | (key_[i + 1] & kLowerMask);
    key_[i] = key_[i + kM] ^ (y >> 1) ^ (-(y & 1) & kMatrixA);
  }
  for (; i < kN - 1; ++i) {
    y = (key_[i] & kUpperMask) | (key_[i + 1] & kLowerMask);
    key_[i] = key_[i + (kM - kN)] ^ (y >> 1) ^ (-(y & 1) & kMatrixA);
  }
  y = (key_[kN - 1] & kUpperMask) | (key_[0] & kLowerMask);
  key_[kN - 1] = key_[kM - 1] ^ (y >> 1) ^ (-(y & 1) & kMatrixA);
  pos_ = 0;
}

uint64_t LegacyRandomState::BoundedMasked(uint64_t rng) {
  // random_bounded_uint64 with use_masked=true: draw under the smallest covering bit mask and
  // reject values above rng; 32-bit draws when rng fits in 32 bits.
  if (rng == 0) return 0;
  if (rng <= 0xFFFFFFFFULL) {
    if (rng == 0xFFFFFFFFULL) return NextUint32();
    const auto mask = static_cast<uint32_t>(GenMask(rng));
    uint32_t val;
    while ((val = (NextUint32() & mask)) > rng) {
    }
    return val;
  }
  if (rng == UINT64_MAX) return NextUint64();
  const uint64_t mask = GenMask(rng);
  uint64_t val;
  while ((val = (NextUint64() & mask)) > rng) {
  }
  return val;
}

int64_t LegacyRandomState::Randint(int64_t low, int64_t high) {
  if (low >= high) {
    throw Error("LegacyRandomState::Randint: low " + std::to_string(low) + " >= high " +
                std::to_string(high) + ", expected a non-empty range");
  }
  const uint64_t rng = static_cast<uint64_t>(high) - static_cast<uint64_t>(low) - 1;
  return static_cast<int64_t>(static_cast<uint64_t>(low) + BoundedMasked(rng));
}

int64_t LegacyRandomState::Choice(int64_t n) {
  if (n <= 0) {
    throw Error("LegacyRandomState::Choice: n must be positive, got " + std::to_string(n));
  }
  return Randint(0, n);
}

int64_t LegacyRandomState::Choice(std::span<const double> probs) {
  detail::CheckProbabilities(probs, "LegacyRandomState::Choice");
  return detail::SearchCdf(probs, Rand());
}

Mt19937State LegacyRandomState::state() const { return Mt19937State{key_, pos_}; }

void LegacyRandomState::set_state(const Mt19937State& s) {
  if (s.pos < 0 || s.pos > kN) {
    throw Error("LegacyRandomState::set_state: pos must be in [0, 624], got " +
                std::to_string(s.pos));
  }
  key_ = s.key;
  pos_ = s.pos;
}

}  // namespace bellman
