// Rng vs NumPy 1.24's Generator(PCG64(SeedSequence(seed))), on streams recorded by
// tests/data/gen_numpy_rng.py into tests/data/numpy_rng.json. Long streams are compared through
// an order-sensitive digest (the same function as `digest` in the script) plus their first
// values, so a mismatch shows both that and where a stream starts to differ.
#include "bellman/core/rng.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bellman/core/error.h"

namespace bellman {
namespace {

using nlohmann::json;
using u128 = unsigned __int128;

const json& Ref() {
  static const json ref = [] {
    std::ifstream in(std::string(BELLMAN_TEST_DATA_DIR) + "/numpy_rng.json");
    if (!in) throw std::runtime_error("cannot open numpy_rng.json under " BELLMAN_TEST_DATA_DIR);
    return json::parse(in);
  }();
  return ref;
}

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// sum_i Mix64(v_i + i * golden) mod 2^64, as gen_numpy_rng.py's digest().
uint64_t Digest(const std::vector<uint64_t>& values) {
  uint64_t sum = 0;
  for (size_t i = 0; i < values.size(); ++i) sum += Mix64(values[i] + i * 0x9E3779B97F4A7C15ULL);
  return sum;
}

uint64_t Bits(double x) { return std::bit_cast<uint64_t>(x); }

double HexDouble(const json& j) { return std::strtod(j.get<std::string>().c_str(), nullptr); }

u128 HexU128(const json& j) {
  const std::string s = j.get<std::string>();
  u128 v = 0;
  for (size_t i = 2; i < s.size(); ++i) {  // skip "0x"
    const char c = s[i];
    const int d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    v = (v << 4) | static_cast<u128>(d);
  }
  return v;
}

std::string Hex(u128 v) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[static_cast<int>(v & 0xf)]);
    v >>= 4;
  } while (v != 0);
  return "0x" + s;
}

// SeedSequence for a (up to 128-bit) entropy value stored as a hex string.
SeedSequence SeqFor(const json& entropy, std::vector<uint32_t> key = {}) {
  const u128 e = HexU128(entropy);
  const auto hi = static_cast<uint64_t>(e >> 64);
  const auto lo = static_cast<uint64_t>(e);
  return hi == 0 ? SeedSequence(lo, std::move(key)) : SeedSequence(hi, lo, std::move(key));
}

Rng RngFor(const json& seed) { return Rng(SeqFor(seed)); }

void ExpectState(const Rng& rng, const json& expected, const std::string& what) {
  const RngState s = rng.state();
  EXPECT_EQ(Hex(s.state), expected["state"].get<std::string>()) << what;
  EXPECT_EQ(Hex(s.inc), expected["inc"].get<std::string>()) << what;
  EXPECT_EQ(s.has_uint32, expected["has_uint32"].get<int>() != 0) << what;
  EXPECT_EQ(s.uinteger, expected["uinteger"].get<uint32_t>()) << what;
}

TEST(RngTest, ReferenceIsNumpy124) {
  EXPECT_EQ(Ref()["numpy_version"].get<std::string>().substr(0, 5), "1.24.");
}

TEST(RngTest, SeedSequenceGenerateStateMatchesNumpy) {
  for (const json& c : Ref()["seed_sequence"]) {
    const auto key = c["spawn_key"].get<std::vector<uint32_t>>();
    const SeedSequence seq = SeqFor(c["entropy"], key);
    const std::string what =
        "entropy " + c["entropy"].get<std::string>() + " key size " + std::to_string(key.size());
    const std::vector<uint32_t> s32 = seq.GenerateState32(37);
    const std::vector<uint64_t> s64 = seq.GenerateState64(9);
    EXPECT_EQ(Digest(std::vector<uint64_t>(s32.begin(), s32.end())),
              c["state32_37"].get<uint64_t>())
        << what;
    EXPECT_EQ(Digest(s64), c["state64_9"].get<uint64_t>()) << what;
    if (c.contains("state32_first")) {
      const auto first32 = c["state32_first"].get<std::vector<uint32_t>>();
      EXPECT_EQ(std::vector<uint32_t>(s32.begin(), s32.begin() + 4), first32) << what;
      const auto first64 = c["state64_first"].get<std::vector<uint64_t>>();
      EXPECT_EQ(std::vector<uint64_t>(s64.begin(), s64.begin() + 2), first64) << what;
    }
    // The 128-bit constructor with a zero high half is the same sequence (entropy words are
    // minimal, as NumPy's _int_to_uint32_array).
    const u128 e = HexU128(c["entropy"]);
    if ((e >> 64) == 0) {
      const SeedSequence wide(0, static_cast<uint64_t>(e), key);
      EXPECT_EQ(wide.GenerateState32(37), s32) << what;
    }
  }
}

TEST(RngTest, Pcg64SeedingMatchesNumpy) {
  for (const json& c : Ref()["pcg64_seeding"]) {
    const Rng rng = RngFor(c["seed"]);
    EXPECT_EQ(Hex(rng.state().state), c["state"].get<std::string>()) << c["seed"];
    EXPECT_EQ(Hex(rng.state().inc), c["inc"].get<std::string>()) << c["seed"];
    EXPECT_FALSE(rng.state().has_uint32);
  }
}

TEST(RngTest, IntegerSeedConstructorIsSeedSequence) {
  for (uint64_t seed : {0ULL, 1ULL, 42ULL, 0xFFFFFFFFULL, 0x8000000000000005ULL, ~0ULL}) {
    EXPECT_EQ(Rng(seed).state(), Rng(SeedSequence(seed)).state()) << seed;
  }
  EXPECT_EQ(Rng().state(), Rng(0).state());
}

TEST(RngTest, RawStreamsMatchNumpy) {
  for (const json& c : Ref()["raw"]) {
    const std::string what = "seed " + c["seed"].get<std::string>();
    {
      Rng rng = RngFor(c["seed"]);
      std::vector<uint64_t> out(20000);
      for (uint64_t& v : out) v = rng.NextUint64();
      const auto first = c["u64_first"].get<std::vector<uint64_t>>();
      EXPECT_EQ(std::vector<uint64_t>(out.begin(), out.begin() + 3), first) << what;
      EXPECT_EQ(Digest(out), c["u64_20000"].get<uint64_t>()) << what;
    }
    {
      Rng rng = RngFor(c["seed"]);
      std::vector<uint64_t> out(5001);
      for (uint64_t& v : out) v = rng.NextUint32();
      const auto first = c["u32_first"].get<std::vector<uint64_t>>();
      EXPECT_EQ(std::vector<uint64_t>(out.begin(), out.begin() + 4), first) << what;
      EXPECT_EQ(Digest(out), c["u32_5001"].get<uint64_t>()) << what;
      ExpectState(rng, c["u32_end_state"], what + " after 5001 u32");
    }
    {
      Rng rng = RngFor(c["seed"]);
      std::vector<uint64_t> out(20000);
      for (uint64_t& v : out) {
        const double r = rng.Random();
        ASSERT_GE(r, 0.0);
        ASSERT_LT(r, 1.0);
        v = Bits(r);
      }
      for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(out[i], Bits(HexDouble(c["random_first"][i]))) << what << " random " << i;
      }
      EXPECT_EQ(Digest(out), c["random_20000"].get<uint64_t>()) << what;
    }
  }
}

TEST(RngTest, UniformMatchesNumpy) {
  for (const json& c : Ref()["uniform"]) {
    Rng rng = RngFor(c["seed"]);
    const double low = HexDouble(c["low"]);
    const double high = HexDouble(c["high"]);
    const std::string what =
        "uniform(" + c["low"].get<std::string>() + ", " + c["high"].get<std::string>() + ")";
    std::vector<uint64_t> out(2000);
    for (uint64_t& v : out) v = Bits(rng.Uniform(low, high));
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(out[i], Bits(HexDouble(c["first"][i]))) << what;
    EXPECT_EQ(Digest(out), c["digest_2000"].get<uint64_t>()) << what;
  }
}

TEST(RngTest, UniformRejectsWhatNumpyRejects) {
  for (const json& c : Ref()["uniform_errors"]) {
    Rng rng(0);
    const RngState before = rng.state();
    const double low = HexDouble(c["low"]);
    const double high = HexDouble(c["high"]);
    if (c["raises"].get<bool>()) {
      EXPECT_THROW(rng.Uniform(low, high), Error) << low << " " << high;
      EXPECT_EQ(rng.state(), before) << "a rejected call must not draw";
    } else {
      EXPECT_NO_THROW(rng.Uniform(low, high)) << low << " " << high;
    }
  }
}

TEST(RngTest, IntegersMatchNumpy) {
  for (const json& c : Ref()["integers"]) {
    Rng rng = RngFor(c["seed"]);
    const auto low = c["low"].get<int64_t>();
    const auto high = c["high"].get<int64_t>();
    const bool closed = c["endpoint"].get<bool>();
    const std::string what = "integers(" + std::to_string(low) + ", " + std::to_string(high) +
                             (closed ? ", endpoint=True)" : ")");
    std::vector<uint64_t> out(3000);
    for (uint64_t& v : out) {
      const int64_t x = closed ? rng.IntegersClosed(low, high) : rng.Integers(low, high);
      ASSERT_GE(x, low) << what;
      if (closed) {
        ASSERT_LE(x, high) << what;
      } else {
        ASSERT_LT(x, high) << what;
      }
      v = static_cast<uint64_t>(x);
    }
    const auto first = c["first"].get<std::vector<int64_t>>();
    for (size_t i = 0; i < first.size(); ++i) {
      EXPECT_EQ(static_cast<int64_t>(out[i]), first[i]) << what << " #" << i;
    }
    EXPECT_EQ(Digest(out), c["digest_3000"].get<uint64_t>()) << what;
    // Shows whether the same half of a 64-bit word is left buffered as in NumPy.
    EXPECT_EQ(Bits(rng.Random()), Bits(HexDouble(c["random_after"]))) << what;
  }
}

TEST(RngTest, IntegersRejectEmptyRanges) {
  for (const json& c : Ref()["integers_errors"]) {
    ASSERT_TRUE(c["raises"].get<bool>());
    Rng rng(0);
    EXPECT_THROW(rng.Integers(c["low"].get<int64_t>(), c["high"].get<int64_t>()), Error);
  }
  Rng rng(0);
  EXPECT_THROW(rng.IntegersClosed(1, 0), Error);
  EXPECT_EQ(rng.IntegersClosed(7, 7), 7);
  EXPECT_EQ(rng.state(), Rng(0).state()) << "a one-value range draws nothing, as in NumPy";
  EXPECT_THROW(rng.Choice(0), Error);
  EXPECT_THROW(rng.Choice(-3), Error);
}

TEST(RngTest, ChoiceMatchesNumpy) {
  for (const json& c : Ref()["choice"]) {
    Rng rng = RngFor(c["seed"]);
    const auto n = c["n"].get<int64_t>();
    std::vector<uint64_t> out(2000);
    for (uint64_t& v : out) v = static_cast<uint64_t>(rng.Choice(n));
    const auto first = c["first"].get<std::vector<int64_t>>();
    for (size_t i = 0; i < first.size(); ++i) {
      EXPECT_EQ(static_cast<int64_t>(out[i]), first[i]) << "choice(" << n << ") #" << i;
    }
    EXPECT_EQ(Digest(out), c["digest_2000"].get<uint64_t>()) << "choice(" << n << ")";
  }
}

std::vector<double> Probs(const json& p) {
  std::vector<double> probs;
  for (const json& x : p) probs.push_back(HexDouble(x));
  return probs;
}

TEST(RngTest, ChoiceWithProbabilitiesMatchesNumpy) {
  for (const json& c : Ref()["choice_p"]) {
    Rng rng = RngFor(c["seed"]);
    const std::vector<double> probs = Probs(c["p"]);
    const std::string what = "choice(p of size " + std::to_string(probs.size()) + ")";
    std::vector<uint64_t> out(2000);
    for (uint64_t& v : out) {
      const int64_t i = rng.Choice(probs);
      ASSERT_GE(i, 0);
      ASSERT_LT(i, static_cast<int64_t>(probs.size()));
      EXPECT_GT(probs[static_cast<size_t>(i)], 0.0) << what << ": drew a zero-probability index";
      v = static_cast<uint64_t>(i);
    }
    const auto first = c["first"].get<std::vector<int64_t>>();
    for (size_t i = 0; i < first.size(); ++i) {
      EXPECT_EQ(static_cast<int64_t>(out[i]), first[i]) << what << " #" << i;
    }
    EXPECT_EQ(Digest(out), c["digest_2000"].get<uint64_t>()) << what;
  }
}

TEST(RngTest, ChoiceWithProbabilitiesRejectsWhatNumpyRejects) {
  for (const json& c : Ref()["choice_p_errors"]) {
    const std::vector<double> probs = Probs(c["p"]);
    Rng rng(0);
    if (c["raises"].get<bool>()) {
      EXPECT_THROW(rng.Choice(probs), Error) << "p of size " << probs.size();
      EXPECT_EQ(rng.state(), Rng(0).state()) << "a rejected call must not draw";
    } else {
      EXPECT_NO_THROW(rng.Choice(probs)) << "p of size " << probs.size();
    }
  }
}

// random() landing exactly on a cdf value (states built by the script so that the next draw is
// 0.0, 0.25 or 0.5): side='right' skips past it, so a zero-probability index is never chosen.
TEST(RngTest, ChoiceWithProbabilitiesAtExactCdfValues) {
  for (const json& c : Ref()["choice_p_edges"]) {
    RngState s;
    s.state = HexU128(c["state"]);
    s.inc = HexU128(c["inc"]);
    const std::vector<double> probs = Probs(c["p"]);
    Rng rng(0);
    rng.set_state(s);
    EXPECT_EQ(Bits(rng.Random()), Bits(HexDouble(c["random"])));
    rng.set_state(s);
    EXPECT_EQ(rng.Choice(probs), c["index"].get<int64_t>()) << "u = " << c["random"];
  }
}

TEST(RngTest, StandardNormalMatchesNumpy) {
  for (const json& c : Ref()["standard_normal"]) {
    Rng rng = RngFor(c["seed"]);
    std::vector<uint64_t> out(100000);
    for (uint64_t& v : out) v = Bits(rng.StandardNormal());
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(out[i], Bits(HexDouble(c["first"][i]))) << c["seed"] << " #" << i;
    }
    EXPECT_EQ(Digest(out), c["digest_100000"].get<uint64_t>()) << c["seed"];
  }
}

// Two million draws per seed: every layer of the ziggurat, thousands of wedge tests (fi table,
// exp) and tail draws (log1p) — a wrong table entry or rejection test shows up here.
TEST(RngTest, StandardNormalLongStreamsMatchNumpy) {
  for (const json& c : Ref()["standard_normal_long"]) {
    Rng rng = RngFor(c["seed"]);
    const auto n = c["n"].get<size_t>();
    std::vector<uint64_t> out(n);
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (uint64_t& v : out) {
      const double x = rng.StandardNormal();
      lo = std::min(lo, x);
      hi = std::max(hi, x);
      v = Bits(x);
    }
    EXPECT_EQ(Bits(lo), Bits(HexDouble(c["min"]))) << c["seed"];
    EXPECT_EQ(Bits(hi), Bits(HexDouble(c["max"]))) << c["seed"];
    EXPECT_EQ(Digest(out), c["digest"].get<uint64_t>()) << c["seed"];
  }
}

// Mixed call sequences: 32-bit draws (small integer ranges) leave half a word buffered while
// 64-bit draws (random, normal, wide ranges) pass it by, exactly as NumPy's has_uint32.
TEST(RngTest, InterleavedCallsMatchNumpy) {
  const json& ref = Ref()["interleave"];
  const json& pool = ref["ops_pool"];
  const json& pcases = Ref()["choice_p"];
  for (const json& c : ref["cases"]) {
    std::vector<json> ops(ref["prefix"].begin(), ref["prefix"].end());
    const auto ops_seed = c["ops_seed"].get<uint64_t>();
    for (uint64_t k = 0; k < c["ops_count"].get<uint64_t>(); ++k) {
      ops.push_back(pool[Mix64(ops_seed + k) % pool.size()]);
    }
    Rng rng = RngFor(c["seed"]);
    std::vector<uint64_t> words;
    for (const json& op : ops) {
      const std::string name = op[0].get<std::string>();
      if (name == "int") {
        words.push_back(
            static_cast<uint64_t>(rng.Integers(op[1].get<int64_t>(), op[2].get<int64_t>())));
      } else if (name == "rand") {
        words.push_back(Bits(rng.Random()));
      } else if (name == "u64") {
        words.push_back(rng.NextUint64());
      } else if (name == "u32") {
        words.push_back(rng.NextUint32());
      } else if (name == "normal") {
        words.push_back(Bits(rng.StandardNormal()));
      } else if (name == "uniform") {
        words.push_back(Bits(rng.Uniform(HexDouble(op[1]), HexDouble(op[2]))));
      } else if (name == "choice") {
        words.push_back(static_cast<uint64_t>(rng.Choice(op[1].get<int64_t>())));
      } else if (name == "choicep") {
        words.push_back(static_cast<uint64_t>(rng.Choice(Probs(pcases[op[1].get<size_t>()]["p"]))));
      } else {
        FAIL() << "unknown op " << name;
      }
    }
    const std::string what = "seed " + c["seed"].get<std::string>();
    const auto first = c["words_first"].get<std::vector<uint64_t>>();
    EXPECT_EQ(std::vector<uint64_t>(words.begin(), words.begin() + 9), first) << what;
    EXPECT_EQ(Digest(words), c["digest"].get<uint64_t>()) << what;
    ExpectState(rng, c["end_state"], what);
  }
}

TEST(RngTest, SpawnMatchesNumpy) {
  for (const json& c : Ref()["spawn"]) {
    const std::string what = "seed " + c["seed"].get<std::string>();
    SeedSequence root = SeqFor(c["seed"]);
    std::vector<SeedSequence> children = root.Spawn(3);
    for (SeedSequence& s : root.Spawn(2)) children.push_back(std::move(s));
    EXPECT_EQ(root.n_children_spawned(), 5u);
    for (SeedSequence& s : children[1].Spawn(2)) children.push_back(std::move(s));
    ASSERT_EQ(children.size(), c["children"].size());
    for (size_t i = 0; i < children.size(); ++i) {
      const json& e = c["children"][i];
      EXPECT_EQ(children[i].spawn_key(), e["spawn_key"].get<std::vector<uint32_t>>()) << what;
      Rng rng(children[i]);
      EXPECT_EQ(Hex(rng.state().state), e["state"].get<std::string>()) << what << " child " << i;
      std::vector<uint64_t> out(100);
      for (uint64_t& v : out) v = Bits(rng.Random());
      EXPECT_EQ(out[0], Bits(HexDouble(e["random_first"]))) << what << " child " << i;
      EXPECT_EQ(Digest(out), e["random_100"].get<uint64_t>()) << what << " child " << i;
    }

    // Rng::Spawn == Generator.spawn (NumPy 1.25): children from the generator's own
    // SeedSequence, counter continuing across calls, parent stream untouched.
    Rng parent = RngFor(c["seed"]);
    EXPECT_EQ(Bits(parent.Random()), Bits(HexDouble(c["parent_random_0"]))) << what;
    std::vector<Rng> kids = parent.Spawn(3);
    EXPECT_EQ(Bits(parent.Random()), Bits(HexDouble(c["parent_random_1"]))) << what;
    for (Rng& r : parent.Spawn(2)) kids.push_back(std::move(r));
    ASSERT_EQ(kids.size(), 5u);
    for (size_t i = 0; i < kids.size(); ++i) {
      const json& e = c["children"][i];
      EXPECT_EQ(Hex(kids[i].state().state), e["state"].get<std::string>()) << what << " " << i;
      EXPECT_EQ(kids[i].seed_seq().spawn_key(), e["spawn_key"].get<std::vector<uint32_t>>());
    }
    // Grandchildren through Rng::Spawn as well.
    std::vector<Rng> grand = kids[1].Spawn(2);
    EXPECT_EQ(Hex(grand[0].state().state), c["children"][5]["state"].get<std::string>()) << what;
    EXPECT_EQ(Hex(grand[1].state().state), c["children"][6]["state"].get<std::string>()) << what;
  }
}

TEST(RngTest, SpawnCounterOverflowThrows) {
  SeedSequence seq(1);
  std::vector<SeedSequence> a = seq.Spawn(2);
  EXPECT_THROW(seq.Spawn(std::numeric_limits<uint32_t>::max()), Error);
  EXPECT_EQ(seq.n_children_spawned(), 2u);
}

TEST(RngTest, StateRoundTripContinuesTheStream) {
  Rng rng(1234);
  for (int i = 0; i < 7; ++i) rng.NextUint32();  // odd: leaves a buffered half word
  ASSERT_TRUE(rng.state().has_uint32);
  const RngState saved = rng.state();
  std::vector<uint64_t> expected;
  for (int i = 0; i < 50; ++i) {
    expected.push_back(rng.NextUint32());
    expected.push_back(static_cast<uint64_t>(rng.Integers(-5, 1000)));
    expected.push_back(Bits(rng.StandardNormal()));
    expected.push_back(Bits(rng.Random()));
  }
  // Restore into the same generator and into one from another seed.
  Rng other(99);
  for (Rng* r : {&rng, &other}) {
    r->set_state(saved);
    EXPECT_EQ(r->state(), saved);
    std::vector<uint64_t> again;
    for (int i = 0; i < 50; ++i) {
      again.push_back(r->NextUint32());
      again.push_back(static_cast<uint64_t>(r->Integers(-5, 1000)));
      again.push_back(Bits(r->StandardNormal()));
      again.push_back(Bits(r->Random()));
    }
    EXPECT_EQ(again, expected);
  }
  // NumPy's state dict after a mixed program, loaded into a fresh generator, continues exactly.
  const json& c = Ref()["raw"][0];
  Rng fresh(7);
  RngState s;
  s.state = HexU128(c["u32_end_state"]["state"]);
  s.inc = HexU128(c["u32_end_state"]["inc"]);
  s.has_uint32 = c["u32_end_state"]["has_uint32"].get<int>() != 0;
  s.uinteger = c["u32_end_state"]["uinteger"].get<uint32_t>();
  fresh.set_state(s);
  Rng replay = RngFor(c["seed"]);
  for (int i = 0; i < 5001; ++i) replay.NextUint32();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(fresh.NextUint32(), replay.NextUint32());
}

TEST(RngTest, CopiesAreIndependentStreams) {
  Rng a(5);
  a.NextUint32();
  Rng b = a;
  EXPECT_EQ(a.NextUint64(), b.NextUint64());
  a.NextUint64();
  EXPECT_NE(a.state(), b.state());
}

}  // namespace
}  // namespace bellman
