// LegacyRandomState vs NumPy 1.24's np.random.RandomState (MT19937), on streams recorded by
// tests/data/gen_numpy_rng.py into tests/data/numpy_legacy_rng.json (digests as in rng_test.cpp).
#include "bellman/core/legacy_random.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bellman/core/error.h"

namespace bellman {
namespace {

using nlohmann::json;

const json& Ref() {
  static const json ref = [] {
    std::ifstream in(std::string(BELLMAN_TEST_DATA_DIR) + "/numpy_legacy_rng.json");
    if (!in) {
      throw std::runtime_error("cannot open numpy_legacy_rng.json under " BELLMAN_TEST_DATA_DIR);
    }
    return json::parse(in);
  }();
  return ref;
}

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t Digest(const std::vector<uint64_t>& values) {
  uint64_t sum = 0;
  for (size_t i = 0; i < values.size(); ++i) sum += Mix64(values[i] + i * 0x9E3779B97F4A7C15ULL);
  return sum;
}

uint64_t Bits(double x) { return std::bit_cast<uint64_t>(x); }

double HexDouble(const json& j) { return std::strtod(j.get<std::string>().c_str(), nullptr); }

uint64_t KeyDigest(const Mt19937State& s) {
  return Digest(std::vector<uint64_t>(s.key.begin(), s.key.end()));
}

std::vector<double> Probs(const json& p) {
  std::vector<double> probs;
  for (const json& x : p) probs.push_back(HexDouble(x));
  return probs;
}

TEST(LegacyRandomTest, ReferenceIsNumpy124) {
  EXPECT_EQ(Ref()["numpy_version"].get<std::string>().substr(0, 5), "1.24.");
}

TEST(LegacyRandomTest, IntegerSeedingMatchesNumpy) {
  for (const json& c : Ref()["seeding"]) {
    const auto seed = c["seed"].get<int64_t>();
    LegacyRandomState rs(seed);
    const Mt19937State s = rs.state();
    EXPECT_EQ(s.pos, 624);
    EXPECT_EQ(std::vector<uint32_t>(s.key.begin(), s.key.begin() + 4),
              c["key_first"].get<std::vector<uint32_t>>())
        << seed;
    EXPECT_EQ(KeyDigest(s), c["key_digest"].get<uint64_t>()) << seed;

    std::vector<uint64_t> u32(2000);
    for (uint64_t& v : u32) v = rs.NextUint32();
    EXPECT_EQ(std::vector<uint64_t>(u32.begin(), u32.begin() + 4),
              c["u32_first"].get<std::vector<uint64_t>>())
        << seed;
    EXPECT_EQ(Digest(u32), c["u32_2000"].get<uint64_t>()) << seed;

    LegacyRandomState rs2(seed);
    std::vector<uint64_t> r(5000);
    for (uint64_t& v : r) {
      const double x = rs2.Rand();
      ASSERT_GE(x, 0.0);
      ASSERT_LT(x, 1.0);
      v = Bits(x);
    }
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(r[i], Bits(HexDouble(c["rand_first"][i]))) << seed;
    EXPECT_EQ(Digest(r), c["rand_5000"].get<uint64_t>()) << seed;
  }
}

TEST(LegacyRandomTest, ArraySeedingMatchesNumpy) {
  for (const json& c : Ref()["seed_arrays"]) {
    std::vector<uint32_t> seed;
    if (c["seed_array"].is_object()) {
      for (uint32_t i = 0; i < c["seed_array"]["range"].get<uint32_t>(); ++i) seed.push_back(i);
    } else {
      seed = c["seed_array"].get<std::vector<uint32_t>>();
    }
    const std::string what = "seed array of size " + std::to_string(seed.size());
    LegacyRandomState rs(seed);
    const Mt19937State s = rs.state();
    EXPECT_EQ(std::vector<uint32_t>(s.key.begin(), s.key.begin() + 4),
              c["key_first"].get<std::vector<uint32_t>>())
        << what;
    EXPECT_EQ(KeyDigest(s), c["key_digest"].get<uint64_t>()) << what;
    std::vector<uint64_t> r(1000);
    for (uint64_t& v : r) v = Bits(rs.Rand());
    for (size_t i = 0; i < 2; ++i) EXPECT_EQ(r[i], Bits(HexDouble(c["rand_first"][i]))) << what;
    EXPECT_EQ(Digest(r), c["rand_1000"].get<uint64_t>()) << what;
  }
}

TEST(LegacyRandomTest, RejectsSeedsNumpyRejects) {
  EXPECT_THROW(LegacyRandomState(-1), Error);
  EXPECT_THROW(LegacyRandomState(int64_t{1} << 32), Error);
  EXPECT_NO_THROW(LegacyRandomState(0xFFFFFFFFLL));
  EXPECT_THROW(LegacyRandomState(std::span<const uint32_t>()), Error);
}

TEST(LegacyRandomTest, RandintMatchesNumpy) {
  for (const json& c : Ref()["randint"]) {
    LegacyRandomState rs(c["seed"].get<int64_t>());
    const auto low = c["low"].get<int64_t>();
    const auto high = c["high"].get<int64_t>();
    const std::string what = "randint(" + std::to_string(low) + ", " + std::to_string(high) + ")";
    std::vector<uint64_t> out(3000);
    for (uint64_t& v : out) {
      const int64_t x = rs.Randint(low, high);
      ASSERT_GE(x, low) << what;
      ASSERT_LT(x, high) << what;
      v = static_cast<uint64_t>(x);
    }
    const auto first = c["first"].get<std::vector<int64_t>>();
    for (size_t i = 0; i < first.size(); ++i) {
      EXPECT_EQ(static_cast<int64_t>(out[i]), first[i]) << what << " #" << i;
    }
    EXPECT_EQ(Digest(out), c["digest_3000"].get<uint64_t>()) << what;
    EXPECT_EQ(Bits(rs.Rand()), Bits(HexDouble(c["rand_after"]))) << what;
  }
}

TEST(LegacyRandomTest, RandintRejectsEmptyRanges) {
  for (const json& c : Ref()["randint_errors"]) {
    ASSERT_TRUE(c["raises"].get<bool>());
    LegacyRandomState rs(0);
    EXPECT_THROW(rs.Randint(c["low"].get<int64_t>(), c["high"].get<int64_t>()), Error);
    EXPECT_EQ(rs.state(), LegacyRandomState(0).state());
  }
  LegacyRandomState rs(0);
  EXPECT_THROW(rs.Choice(0), Error);
  EXPECT_THROW(rs.Choice(std::vector<double>{0.5, 0.4}), Error);
}

TEST(LegacyRandomTest, ChoiceMatchesNumpy) {
  for (const json& c : Ref()["choice"]) {
    LegacyRandomState rs(c["seed"].get<int64_t>());
    const auto n = c["n"].get<int64_t>();
    std::vector<uint64_t> out(2000);
    for (uint64_t& v : out) v = static_cast<uint64_t>(rs.Choice(n));
    const auto first = c["first"].get<std::vector<int64_t>>();
    for (size_t i = 0; i < first.size(); ++i) {
      EXPECT_EQ(static_cast<int64_t>(out[i]), first[i]) << "choice(" << n << ") #" << i;
    }
    EXPECT_EQ(Digest(out), c["digest_2000"].get<uint64_t>()) << "choice(" << n << ")";
  }
}

TEST(LegacyRandomTest, ChoiceWithProbabilitiesMatchesNumpy) {
  for (const json& c : Ref()["choice_p"]) {
    LegacyRandomState rs(c["seed"].get<int64_t>());
    const std::vector<double> probs = Probs(c["p"]);
    std::vector<uint64_t> out(2000);
    for (uint64_t& v : out) v = static_cast<uint64_t>(rs.Choice(probs));
    const auto first = c["first"].get<std::vector<int64_t>>();
    for (size_t i = 0; i < first.size(); ++i) {
      EXPECT_EQ(static_cast<int64_t>(out[i]), first[i]) << "p of size " << probs.size();
    }
    EXPECT_EQ(Digest(out), c["digest_2000"].get<uint64_t>()) << "p of size " << probs.size();
  }
}

// MinAtar-style mixed calls on one stream.
TEST(LegacyRandomTest, InterleavedCallsMatchNumpy) {
  const json& ref = Ref()["interleave"];
  const json& pool = ref["ops_pool"];
  for (const json& c : ref["cases"]) {
    LegacyRandomState rs(c["seed"].get<int64_t>());
    std::vector<uint64_t> words;
    const auto ops_seed = c["ops_seed"].get<uint64_t>();
    for (uint64_t k = 0; k < c["ops_count"].get<uint64_t>(); ++k) {
      const json& op = pool[Mix64(ops_seed + k) % pool.size()];
      const std::string name = op[0].get<std::string>();
      if (name == "rand") {
        words.push_back(Bits(rs.Rand()));
      } else if (name == "randint") {
        words.push_back(
            static_cast<uint64_t>(rs.Randint(op[1].get<int64_t>(), op[2].get<int64_t>())));
      } else if (name == "choice") {
        words.push_back(static_cast<uint64_t>(rs.Choice(op[1].get<int64_t>())));
      } else if (name == "u32") {
        words.push_back(rs.NextUint32());
      } else {
        FAIL() << "unknown op " << name;
      }
    }
    const auto first = c["words_first"].get<std::vector<uint64_t>>();
    EXPECT_EQ(std::vector<uint64_t>(words.begin(), words.begin() + 6), first) << c["seed"];
    EXPECT_EQ(Digest(words), c["digest"].get<uint64_t>()) << c["seed"];
    EXPECT_EQ(rs.state().pos, c["end_pos"].get<int>()) << c["seed"];
    EXPECT_EQ(KeyDigest(rs.state()), c["end_key_digest"].get<uint64_t>()) << c["seed"];
  }
}

TEST(LegacyRandomTest, StateRoundTripContinuesTheStream) {
  LegacyRandomState rs(42);
  for (int i = 0; i < 1000; ++i) rs.Rand();  // crosses a regeneration of the key
  const Mt19937State saved = rs.state();
  std::vector<uint64_t> expected;
  for (int i = 0; i < 700; ++i) {
    expected.push_back(Bits(rs.Rand()));
    expected.push_back(static_cast<uint64_t>(rs.Randint(-3, 1 << 20)));
  }
  LegacyRandomState other(7);
  other.set_state(saved);
  EXPECT_EQ(other.state(), saved);
  std::vector<uint64_t> again;
  for (int i = 0; i < 700; ++i) {
    again.push_back(Bits(other.Rand()));
    again.push_back(static_cast<uint64_t>(other.Randint(-3, 1 << 20)));
  }
  EXPECT_EQ(again, expected);
  Mt19937State bad = saved;
  bad.pos = 625;
  EXPECT_THROW(other.set_state(bad), Error);
}

}  // namespace
}  // namespace bellman
