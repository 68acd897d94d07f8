// LegacyRandomState: NumPy's legacy np.random.RandomState (MT19937), bit for bit.
//
// Some reference environments still draw from RandomState (MinAtar seeds
// `np.random.RandomState(seed)` and uses rand(), randint() and choice()), so matching their
// trajectories needs the legacy stream and the legacy algorithms: RandomState.randint uses masked
// rejection sampling, not the Lemire method of Generator.integers. New code uses Rng.
//
// Reference: NumPy 1.24 numpy/random/{mtrand.pyx, _mt19937.pyx, src/mt19937/mt19937.{h,c},
// src/distributions/distributions.c}; tests/core/legacy_random_test.cpp compares against
// streams recorded from NumPy.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace bellman {

// The MT19937 state as RandomState.get_state() reports it: the 624-word key and the position.
struct Mt19937State {
  std::array<uint32_t, 624> key{};
  int pos = 624;
  bool operator==(const Mt19937State&) const = default;
};

class LegacyRandomState {
 public:
  static constexpr int kStateLen = 624;

  // RandomState(seed) for an integer seed in [0, 2^32 - 1] (Knuth's init_genrand seeding, as
  // NumPy's mt19937_seed). Throws bellman::Error outside that range, as NumPy does.
  explicit LegacyRandomState(int64_t seed = 0);
  // RandomState(seed_array) for a 1-D array of uint32 (init_by_array). Throws if empty.
  explicit LegacyRandomState(std::span<const uint32_t> seed_array);

  // Raw MT19937 outputs (tempered). A 64-bit draw is two 32-bit draws, the first one high.
  uint32_t NextUint32();
  uint64_t NextUint64();
  // rand() / random_sample(): 53-bit double from two 32-bit draws, in [0, 1).
  double Rand();
  // randint(low, high) with the default dtype (int64): [low, high), masked rejection sampling.
  // Throws bellman::Error if low >= high.
  int64_t Randint(int64_t low, int64_t high);
  // choice(n) / choice(population) for a 1-D population of size n, without p: the index drawn
  // by randint(0, n). Throws if n <= 0.
  int64_t Choice(int64_t n);
  // choice(n, p=probs): cdf.searchsorted(rand(), side='right'), same checks as Rng::Choice.
  int64_t Choice(std::span<const double> probs);

  Mt19937State state() const;
  // Throws bellman::Error if pos is outside [0, 624].
  void set_state(const Mt19937State& s);

 private:
  void Generate();  // mt19937_gen: refills the key, pos = 0
  uint64_t BoundedMasked(uint64_t rng);

  std::array<uint32_t, kStateLen> key_{};
  int pos_ = kStateLen;
};

inline uint32_t LegacyRandomState::NextUint32() {
  if (pos_ == kStateLen) Generate();
  uint32_t y = key_[pos_++];
  // Tempering.
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= (y >> 18);
  return y;
}

inline uint64_t LegacyRandomState::NextUint64() {
  const uint64_t hi = NextUint32();
  return (hi << 32) | NextUint32();
}

inline double LegacyRandomState::Rand() {
  // mt19937_next_double: 27 + 26 bits.
  const int32_t a = static_cast<int32_t>(NextUint32() >> 5);
  const int32_t b = static_cast<int32_t>(NextUint32() >> 6);
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

}  // namespace bellman
