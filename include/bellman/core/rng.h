// Rng: NumPy's Generator(PCG64(SeedSequence(seed))), bit for bit.
//
// Gymnasium seeds every environment with `np.random.default_rng`-style generators
// (gymnasium.utils.seeding.np_random): SeedSequence(seed) -> PCG64 -> Generator. Reproducing
// that stream and the Generator methods (random, uniform, integers, choice) exactly is what lets
// a user swap Gymnasium for bellman and get the same trajectory for the same seed.
// The same generator serves the rest of the library (replay sampling, exploration); Spawn()
// derives independent child streams the way SeedSequence.spawn does.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace bellman {

// numpy.random.SeedSequence (NumPy 1.17+), restricted to what bellman needs: entropy given as
// a non-negative integer (up to 128 bits) and a spawn key.
class SeedSequence {
 public:
  explicit SeedSequence(uint64_t entropy, std::vector<uint32_t> spawn_key = {});
  // Constructs from a 128-bit entropy value given as (high, low) 64-bit halves.
  SeedSequence(uint64_t entropy_hi, uint64_t entropy_lo, std::vector<uint32_t> spawn_key);

  // generate_state(n_words, dtype=uint32).
  std::vector<uint32_t> GenerateState32(size_t n_words) const;
  // generate_state(n_words, dtype=uint64).
  std::vector<uint64_t> GenerateState64(size_t n_words) const;
  // spawn(n): children with spawn_key + (n_children_spawned + i,).
  std::vector<SeedSequence> Spawn(size_t n);

  const std::vector<uint32_t>& spawn_key() const { return spawn_key_; }

 private:
  std::vector<uint32_t> entropy_words_;  // entropy as little-endian uint32 words
  std::vector<uint32_t> spawn_key_;
  uint32_t n_children_spawned_ = 0;
  std::array<uint32_t, 4> pool_{};  // pool_size = 4
  void MixEntropy();
};

// The full generator state, for checkpoints and Env::GetState-style snapshots.
struct RngState {
  unsigned __int128 state = 0;
  unsigned __int128 inc = 0;
  bool has_uint32 = false;
  uint32_t uinteger = 0;
  bool operator==(const RngState&) const = default;
};

class Rng {
 public:
  // PCG64(SeedSequence(seed)): what np.random.default_rng(seed) and Gymnasium's
  // seeding.np_random(seed) build.
  explicit Rng(uint64_t seed = 0);
  explicit Rng(const SeedSequence& seq);

  // Raw PCG64 (XSL-RR 128/64) outputs. NextUint32 buffers the upper half of a 64-bit draw,
  // exactly like NumPy's PCG64 bit generator (has_uint32 / uinteger).
  uint64_t NextUint64();
  uint32_t NextUint32();
  // Generator.random(): (next_uint64 >> 11) * 2^-53, in [0, 1).
  double Random();
  // Generator.uniform(low, high): low + (high - low) * random().
  double Uniform(double low, double high);
  // Generator.integers(low, high) with dtype int64 and endpoint=False: [low, high).
  int64_t Integers(int64_t low, int64_t high);
  // Generator.choice(n) (uniform, with replacement) -> index in [0, n).
  int64_t Choice(int64_t n);
  // Generator.choice(n, p=probs) -> index, via cdf.searchsorted(random(), side='right').
  int64_t Choice(std::span<const double> probs);
  // Generator.standard_normal() (ziggurat).
  double StandardNormal();

  // Independent child generators (SeedSequence.spawn), for per-env / per-worker streams.
  // Deterministic: the k-th call returns the same children for the same seed.
  std::vector<Rng> Spawn(size_t n);

  RngState state() const;
  void set_state(const RngState& s);

 private:
  unsigned __int128 state_ = 0;
  unsigned __int128 inc_ = 0;
  bool has_uint32_ = false;
  uint32_t uinteger_ = 0;
  SeedSequence seq_;
};

}  // namespace bellman
