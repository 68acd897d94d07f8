// Rng and SeedSequence: see include/bellman/core/rng.h. Every function here mirrors one piece of
// NumPy 1.24's numpy/random sources, named in the comments, because any difference in the order
// or number of raw draws changes every later value of the stream.
#include "bellman/core/rng.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "bellman/core/error.h"
#include "core/ziggurat_tables.h"

namespace bellman {
namespace {

// bit_generator.pyx constants.
constexpr uint32_t kInitA = 0x43b0d7e5;
constexpr uint32_t kMultA = 0x931e8875;
constexpr uint32_t kInitB = 0x8b51f9dd;
constexpr uint32_t kMultB = 0x58f38ded;
constexpr uint32_t kMixMultL = 0xca01f9dd;
constexpr uint32_t kMixMultR = 0x4973f715;
constexpr int kXShift = 16;
constexpr size_t kPoolSize = 4;

uint32_t HashMix(uint32_t value, uint32_t& hash_const) {
  value ^= hash_const;
  hash_const *= kMultA;
  value *= hash_const;
  value ^= value >> kXShift;
  return value;
}

uint32_t Mix(uint32_t x, uint32_t y) {
  uint32_t result = kMixMultL * x - kMixMultR * y;
  result ^= result >> kXShift;
  return result;
}

// _int_to_uint32_array: little-endian words, no leading zero words, and [0] for zero.
std::vector<uint32_t> IntToWords(unsigned __int128 n) {
  std::vector<uint32_t> words;
  if (n == 0) words.push_back(0);
  while (n > 0) {
    words.push_back(static_cast<uint32_t>(n));
    n >>= 32;
  }
  return words;
}

}  // namespace

// ---- SeedSequence ------------------------------------------------------------------------------

SeedSequence::SeedSequence(uint64_t entropy, std::vector<uint32_t> spawn_key)
    : SeedSequence(IntToWords(entropy), std::move(spawn_key)) {}

SeedSequence::SeedSequence(uint64_t entropy_hi, uint64_t entropy_lo,
                           std::vector<uint32_t> spawn_key)
    : SeedSequence(IntToWords((static_cast<unsigned __int128>(entropy_hi) << 64) | entropy_lo),
                   std::move(spawn_key)) {}

SeedSequence::SeedSequence(std::vector<uint32_t> entropy_words, std::vector<uint32_t> spawn_key)
    : entropy_words_(std::move(entropy_words)), spawn_key_(std::move(spawn_key)) {
  MixEntropy();
}

void SeedSequence::MixEntropy() {
  // get_assembled_entropy: with a spawn key, the run entropy is zero-padded to the pool size so
  // that a spawned child never collides with an unspawned sequence of longer entropy (gh-16539).
  std::vector<uint32_t> entropy = entropy_words_;
  if (!spawn_key_.empty() && entropy.size() < kPoolSize) entropy.resize(kPoolSize, 0);
  entropy.insert(entropy.end(), spawn_key_.begin(), spawn_key_.end());

  // mix_entropy.
  uint32_t hash_const = kInitA;
  for (size_t i = 0; i < kPoolSize; ++i) {
    pool_[i] = HashMix(i < entropy.size() ? entropy[i] : 0, hash_const);
  }
  for (size_t i_src = 0; i_src < kPoolSize; ++i_src) {
    for (size_t i_dst = 0; i_dst < kPoolSize; ++i_dst) {
      if (i_src != i_dst) pool_[i_dst] = Mix(pool_[i_dst], HashMix(pool_[i_src], hash_const));
    }
  }
  for (size_t i_src = kPoolSize; i_src < entropy.size(); ++i_src) {
    for (size_t i_dst = 0; i_dst < kPoolSize; ++i_dst) {
      pool_[i_dst] = Mix(pool_[i_dst], HashMix(entropy[i_src], hash_const));
    }
  }
}

std::vector<uint32_t> SeedSequence::GenerateState32(size_t n_words) const {
  std::vector<uint32_t> state(n_words);
  uint32_t hash_const = kInitB;
  for (size_t i = 0; i < n_words; ++i) {
    uint32_t data = pool_[i % kPoolSize];
    data ^= hash_const;
    hash_const *= kMultB;
    data *= hash_const;
    data ^= data >> kXShift;
    state[i] = data;
  }
  return state;
}

std::vector<uint64_t> SeedSequence::GenerateState64(size_t n_words) const {
  // NumPy views the uint32 words as little-endian uint64: the first word is the low half.
  const std::vector<uint32_t> words = GenerateState32(2 * n_words);
  std::vector<uint64_t> state(n_words);
  for (size_t i = 0; i < n_words; ++i) {
    state[i] =
        static_cast<uint64_t>(words[2 * i]) | (static_cast<uint64_t>(words[2 * i + 1]) << 32);
  }
  return state;
}

std::vector<SeedSequence> SeedSequence::Spawn(size_t n) {
  if (n > std::numeric_limits<uint32_t>::max() - n_children_spawned_) {
    throw Error("SeedSequence::Spawn: " + std::to_string(n) + " more children after " +
                std::to_string(n_children_spawned_) + " would exceed 2^32 - 1 children");
  }
  std::vector<SeedSequence> children;
  children.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint32_t> key = spawn_key_;
    key.push_back(n_children_spawned_ + static_cast<uint32_t>(i));
    children.push_back(SeedSequence(entropy_words_, std::move(key)));
  }
  n_children_spawned_ += static_cast<uint32_t>(n);
  return children;
}

// ---- Rng ---------------------------------------------------------------------------------------

Rng::Rng(uint64_t seed) : Rng(SeedSequence(seed)) {}

Rng::Rng(const SeedSequence& seq) : seq_(seq) {
  // PCG64.__init__: generate_state(4, uint64) -> (initstate, initseq) as (high, low) pairs, then
  // pcg_setseq_128_srandom_r.
  const std::vector<uint64_t> val = seq_.GenerateState64(4);
  const unsigned __int128 initstate = (static_cast<unsigned __int128>(val[0]) << 64) | val[1];
  const unsigned __int128 initseq = (static_cast<unsigned __int128>(val[2]) << 64) | val[3];
  state_ = 0;
  inc_ = (initseq << 1) | 1;
  state_ = state_ * kMultiplier + inc_;
  state_ += initstate;
  state_ = state_ * kMultiplier + inc_;
  has_uint32_ = false;
  uinteger_ = 0;
}

int64_t Rng::Choice(int64_t n) {
  if (n <= 0) throw Error("Rng::Choice: n must be positive, got " + std::to_string(n));
  return Integers(0, n);
}

int64_t Rng::Choice(std::span<const double> probs) {
  detail::CheckProbabilities(probs, "Rng::Choice");
  return detail::SearchCdf(probs, Random());
}

double Rng::StandardNormal() {
  // random_standard_normal (distributions.c): one 64-bit draw gives the layer (8 bits), the sign
  // (1 bit) and a 52-bit magnitude; 99.3% of draws return at the first test.
  using ziggurat::kFi;
  using ziggurat::kKi;
  using ziggurat::kWi;
  for (;;) {
    uint64_t r = NextUint64();
    const int idx = static_cast<int>(r & 0xff);
    r >>= 8;
    const bool negative = r & 0x1;
    const uint64_t rabs = (r >> 1) & 0x000fffffffffffffULL;
    double x = static_cast<double>(rabs) * kWi[idx];
    if (negative) x = -x;
    if (rabs < kKi[idx]) return x;
    if (idx == 0) {
      // Tail beyond r (Marsaglia 1964). NumPy uses log1p(-U), i.e. log(1 - U), to avoid log(0).
      for (;;) {
        const double xx = -ziggurat::kNorInvR * std::log1p(-Random());
        const double yy = -std::log1p(-Random());
        if (yy + yy > xx * xx) {
          return ((rabs >> 8) & 0x1) ? -(ziggurat::kNorR + xx) : ziggurat::kNorR + xx;
        }
      }
    }
    if (((kFi[idx - 1] - kFi[idx]) * Random() + kFi[idx]) < std::exp(-0.5 * x * x)) return x;
  }
}

std::vector<Rng> Rng::Spawn(size_t n) {
  std::vector<Rng> children;
  children.reserve(n);
  for (const SeedSequence& child : seq_.Spawn(n)) children.emplace_back(child);
  return children;
}

RngState Rng::state() const { return RngState{state_, inc_, has_uint32_, uinteger_}; }

void Rng::set_state(const RngState& s) {
  state_ = s.state;
  inc_ = s.inc;
  has_uint32_ = s.has_uint32;
  uinteger_ = s.uinteger;
}

void Rng::ThrowEmptyRange(int64_t low, int64_t high, bool closed) {
  throw Error(std::string(closed ? "Rng::IntegersClosed" : "Rng::Integers") + ": low " +
              std::to_string(low) + (closed ? " > high " : " >= high ") + std::to_string(high) +
              ", expected a non-empty range");
}

void Rng::ThrowBadUniform(double low, double high) {
  throw Error("Rng::Uniform: high - low must be finite and >= 0, got low=" + std::to_string(low) +
              " high=" + std::to_string(high));
}

// ---- choice with p -----------------------------------------------------------------------------

namespace detail {

void CheckProbabilities(std::span<const double> probs, const char* caller) {
  const std::string who(caller);
  if (probs.empty()) throw Error(who + ": probabilities must not be empty");
  // _common.pyx kahan_sum, in NumPy's order of operations (the tolerance check uses it).
  double sum = probs[0];
  double c = 0.0;
  for (size_t i = 1; i < probs.size(); ++i) {
    const double y = probs[i] - c;
    const double t = sum + y;
    c = (t - sum) - y;
    sum = t;
  }
  if (std::isnan(sum)) throw Error(who + ": probabilities contain NaN");
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] < 0) {
      throw Error(who + ": probabilities must be non-negative, got p[" + std::to_string(i) +
                  "] = " + std::to_string(probs[i]));
    }
  }
  const double atol = std::sqrt(std::numeric_limits<double>::epsilon());
  if (std::abs(sum - 1.0) > atol) {
    throw Error(who + ": probabilities must sum to 1, got " + std::to_string(sum));
  }
}

int64_t SearchCdf(std::span<const double> probs, double u) {
  // cdf = p.cumsum(); cdf /= cdf[-1]; cdf.searchsorted(u, side='right'): the first i with
  // cdf[i] > u. cumsum is a sequential left-to-right sum, so recomputing the partial sums in the
  // same order yields the same cdf values; cdf is non-decreasing, so the first index found by
  // a scan equals the one found by NumPy's binary search.
  double total = 0.0;
  for (const double p : probs) total += p;
  double partial = 0.0;
  const auto n = static_cast<int64_t>(probs.size());
  for (int64_t i = 0; i < n; ++i) {
    partial += probs[static_cast<size_t>(i)];
    if (partial / total > u) return i;
  }
  return n;  // unreachable for u < 1: cdf[-1] = total / total = 1
}

}  // namespace detail
}  // namespace bellman
