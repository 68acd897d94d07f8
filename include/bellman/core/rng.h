// Rng: NumPy's Generator(PCG64(SeedSequence(seed))), bit for bit.
//
// Gymnasium seeds every environment with `np.random.default_rng`-style generators
// (gymnasium.utils.seeding.np_random): SeedSequence(seed) -> PCG64 -> Generator. Reproducing
// that stream and the Generator methods (random, uniform, integers, choice) exactly is what lets
// a user swap Gymnasium for bellman and get the same trajectory for the same seed.
// The same generator serves the rest of the library (replay sampling, exploration); Spawn()
// derives independent child streams the way SeedSequence.spawn does.
//
// Reference: NumPy 1.24 numpy/random/{bit_generator.pyx, _pcg64.pyx, src/pcg64/pcg64.h,
// _generator.pyx, _bounded_integers.pyx.in, src/distributions/distributions.c}. The tests in
// tests/core/rng_test.cpp compare against streams recorded from NumPy itself.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace bellman {

// numpy.random.SeedSequence (NumPy 1.17+), restricted to what bellman needs: entropy given as
// a non-negative integer (up to 128 bits) and a spawn key. pool_size is NumPy's default, 4.
class SeedSequence {
 public:
  explicit SeedSequence(uint64_t entropy, std::vector<uint32_t> spawn_key = {});
  // Constructs from a 128-bit entropy value given as (high, low) 64-bit halves.
  SeedSequence(uint64_t entropy_hi, uint64_t entropy_lo, std::vector<uint32_t> spawn_key);

  // generate_state(n_words, dtype=uint32).
  std::vector<uint32_t> GenerateState32(size_t n_words) const;
  // generate_state(n_words, dtype=uint64): pairs of uint32 words, the first one low.
  std::vector<uint64_t> GenerateState64(size_t n_words) const;
  // spawn(n): children with spawn_key + (n_children_spawned + i,). Throws bellman::Error if
  // the child index would leave uint32 (NumPy would then use two words for it).
  std::vector<SeedSequence> Spawn(size_t n);

  const std::vector<uint32_t>& spawn_key() const { return spawn_key_; }
  uint32_t n_children_spawned() const { return n_children_spawned_; }

 private:
  SeedSequence(std::vector<uint32_t> entropy_words, std::vector<uint32_t> spawn_key);
  void MixEntropy();

  std::vector<uint32_t> entropy_words_;  // entropy as little-endian uint32 words
  std::vector<uint32_t> spawn_key_;
  uint32_t n_children_spawned_ = 0;
  std::array<uint32_t, 4> pool_{};  // pool_size = 4
};

// The full generator state, for checkpoints and Env::GetState-style snapshots. Like NumPy's
// bit_generator.state it does not include the SeedSequence (so not the Spawn() counter).
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
  // Generator.uniform(low, high): low + (high - low) * random(). Like NumPy, throws
  // bellman::Error when high - low is negative (incl. -0.0) or not finite.
  double Uniform(double low, double high);
  // Generator.integers(low, high) with dtype int64 and endpoint=False: [low, high).
  // Throws bellman::Error if low >= high.
  int64_t Integers(int64_t low, int64_t high);
  // Generator.integers(low, high, endpoint=True): [low, high]; the only way to ask for the full
  // int64 range. Throws bellman::Error if low > high.
  int64_t IntegersClosed(int64_t low, int64_t high);
  // Generator.choice(n) (uniform, with replacement) -> index in [0, n). Throws if n <= 0.
  int64_t Choice(int64_t n);
  // Generator.choice(n, p=probs) -> index, via cdf.searchsorted(random(), side='right').
  // Throws bellman::Error, as NumPy raises, for empty, NaN or negative probabilities, or a sum
  // further than sqrt(eps) from 1.
  int64_t Choice(std::span<const double> probs);
  // Generator.standard_normal() (ziggurat).
  double StandardNormal();

  // Independent child generators (SeedSequence.spawn), for per-env / per-worker streams.
  // Deterministic: the k-th call returns the same children for the same seed. Equals NumPy
  // 1.25's Generator.spawn(n): Generator(PCG64(child)) for child in seed_seq.spawn(n). The
  // parent's own stream is not touched.
  std::vector<Rng> Spawn(size_t n);

  RngState state() const;
  void set_state(const RngState& s);

  const SeedSequence& seed_seq() const { return seq_; }

 private:
  // 0x2360ED051FC65DA44385DF649FCCF645, PCG_DEFAULT_MULTIPLIER_128 in NumPy's pcg64.h.
  static constexpr unsigned __int128 kMultiplier =
      (static_cast<unsigned __int128>(0x2360ED051FC65DA4ULL) << 64) | 0x4385DF649FCCF645ULL;

  // Uniform on [0, rng] (closed), NumPy's random_bounded_uint64 with use_masked=false.
  uint64_t Bounded(uint64_t rng);
  uint32_t BoundedLemire32(uint32_t rng);
  uint64_t BoundedLemire64(uint64_t rng);
  [[noreturn]] static void ThrowEmptyRange(int64_t low, int64_t high, bool closed);
  [[noreturn]] static void ThrowBadUniform(double low, double high);

  unsigned __int128 state_ = 0;
  unsigned __int128 inc_ = 0;
  bool has_uint32_ = false;
  uint32_t uinteger_ = 0;
  SeedSequence seq_;
};

namespace detail {
// Generator.choice / RandomState.choice with p, shared by Rng and LegacyRandomState: checks p
// as NumPy does (before any draw), then finds cdf.searchsorted(u, side='right') where
// cdf = p.cumsum() / p.cumsum()[-1], without materializing cdf.
void CheckProbabilities(std::span<const double> probs, const char* caller);
int64_t SearchCdf(std::span<const double> probs, double u);
}  // namespace detail

// ---- hot paths, inline ------------------------------------------------------------------------

inline uint64_t Rng::NextUint64() {
  // pcg_setseq_128_xsl_rr_64_random_r: step the LCG, then output the rotated xor of the halves.
  state_ = state_ * kMultiplier + inc_;
  const auto hi = static_cast<uint64_t>(state_ >> 64);
  const auto lo = static_cast<uint64_t>(state_);
  return std::rotr(hi ^ lo, static_cast<int>(hi >> 58));
}

inline uint32_t Rng::NextUint32() {
  if (has_uint32_) {
    has_uint32_ = false;
    return uinteger_;
  }
  const uint64_t next = NextUint64();
  has_uint32_ = true;
  uinteger_ = static_cast<uint32_t>(next >> 32);
  return static_cast<uint32_t>(next);
}

inline double Rng::Random() {
  return static_cast<double>(NextUint64() >> 11) * (1.0 / 9007199254740992.0);
}

inline double Rng::Uniform(double low, double high) {
  const double range = high - low;
  if (!std::isfinite(range) || std::signbit(range)) [[unlikely]] {
    ThrowBadUniform(low, high);
  }
  return low + range * Random();
}

inline uint32_t Rng::BoundedLemire32(uint32_t rng) {
  // Lemire (2019), "Fast Random Integer Generation in an Interval", with NumPy's shortcut of
  // computing the threshold only when the leftover might be below it.
  const uint32_t rng_excl = rng + 1;
  uint64_t m = static_cast<uint64_t>(NextUint32()) * rng_excl;
  auto leftover = static_cast<uint32_t>(m);
  if (leftover < rng_excl) {
    const uint32_t threshold = (UINT32_MAX - rng) % rng_excl;
    while (leftover < threshold) {
      m = static_cast<uint64_t>(NextUint32()) * rng_excl;
      leftover = static_cast<uint32_t>(m);
    }
  }
  return static_cast<uint32_t>(m >> 32);
}

inline uint64_t Rng::BoundedLemire64(uint64_t rng) {
  const uint64_t rng_excl = rng + 1;
  unsigned __int128 m = static_cast<unsigned __int128>(NextUint64()) * rng_excl;
  auto leftover = static_cast<uint64_t>(m);
  if (leftover < rng_excl) {
    const uint64_t threshold = (UINT64_MAX - rng) % rng_excl;
    while (leftover < threshold) {
      m = static_cast<unsigned __int128>(NextUint64()) * rng_excl;
      leftover = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

inline uint64_t Rng::Bounded(uint64_t rng) {
  // The branch structure decides which raw draws are consumed, so it follows NumPy's exactly:
  // no draw for a single value, 32-bit draws for spans that fit in 32 bits (Lemire cannot take
  // rng_excl = 2^32, hence the raw draw), 64-bit draws otherwise.
  if (rng == 0) return 0;
  if (rng <= 0xFFFFFFFFULL) {
    if (rng == 0xFFFFFFFFULL) return NextUint32();
    return BoundedLemire32(static_cast<uint32_t>(rng));
  }
  if (rng == UINT64_MAX) return NextUint64();
  return BoundedLemire64(rng);
}

inline int64_t Rng::Integers(int64_t low, int64_t high) {
  if (low >= high) [[unlikely]] {
    ThrowEmptyRange(low, high, false);
  }
  // Unsigned arithmetic: the span of [INT64_MIN, INT64_MAX) does not fit in int64.
  const uint64_t rng = static_cast<uint64_t>(high) - static_cast<uint64_t>(low) - 1;
  return static_cast<int64_t>(static_cast<uint64_t>(low) + Bounded(rng));
}

inline int64_t Rng::IntegersClosed(int64_t low, int64_t high) {
  if (low > high) [[unlikely]] {
    ThrowEmptyRange(low, high, true);
  }
  const uint64_t rng = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  return static_cast<int64_t>(static_cast<uint64_t>(low) + Bounded(rng));
}

}  // namespace bellman
