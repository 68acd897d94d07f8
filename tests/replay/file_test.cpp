#include "bellman/replay/file.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/space.h"
#include "bellman/replay/replay_buffer.h"

namespace bellman {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::path(testing::TempDir()) / ("bellman_replay_" + name + ".bin")).string();
}

std::vector<char> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteBytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A vector env with 2 envs driven by its own Rng: random rewards, episodes that end at random
// (terminated or truncated), same-step autoreset. Copyable, so two copies produce the same steps.
class FakeEnvs {
 public:
  explicit FakeEnvs(uint64_t seed) : rng_(seed) {}

  void Step(ReplayBuffer& buffer) {
    float obs[4], next[4], final_obs[4];
    int64_t action[2];
    double reward[2];
    uint8_t terminated[2], truncated[2], has_final[2];
    for (int e = 0; e < 2; ++e) {
      Observe(e, obs + 2 * e);
      action[e] = rng_.Integers(0, 3);
      reward[e] = rng_.Uniform(-1.0, 1.0);
      const double u = rng_.Random();
      terminated[e] = u < 0.1;
      truncated[e] = u > 0.92;
      has_final[e] = terminated[e] || truncated[e];
      ++t_[e];
      Observe(e, final_obs + 2 * e);
      if (has_final[e]) {
        ++episode_[e];
        t_[e] = 0;
      }
      Observe(e, next + 2 * e);
    }
    TransitionRows rows;
    rows.n = 2;
    rows.obs = obs;
    rows.action = action;
    rows.reward = reward;
    rows.next_obs = next;
    rows.terminated = terminated;
    rows.truncated = truncated;
    rows.final_obs = final_obs;
    rows.has_final_obs = has_final;
    buffer.AddStep(rows);
  }

 private:
  void Observe(int e, float* out) const {
    out[0] = static_cast<float>(1000 * e + episode_[e]);
    out[1] = static_cast<float>(t_[e]) * 0.1f;
  }
  Rng rng_;
  int episode_[2] = {0, 0};
  int t_[2] = {0, 0};
};

ReplayConfig PerConfig() {
  ReplayConfig c;
  c.capacity = 16;
  c.n_step = 3;
  c.gamma = 0.97;
  c.num_envs = 2;
  c.prioritized = true;
  c.per.alpha = 0.7;
  c.per.beta0 = 0.5;
  c.per.beta_steps = 1000;
  return c;
}

Space Obs(int64_t dim = 2) { return Space::Box(-1e6, 1e6, {dim}); }
Space Act() { return Space::Discrete(3); }

void ExpectSameStorage(const ReplayStorage& a, const ReplayStorage& b) {
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.position(), b.position());
  for (int64_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(std::memcmp(a.obs_row(i), b.obs_row(i), a.obs_bytes()), 0) << i;
    EXPECT_EQ(std::memcmp(a.next_obs_row(i), b.next_obs_row(i), a.obs_bytes()), 0) << i;
    EXPECT_EQ(std::memcmp(a.action_row(i), b.action_row(i), a.action_bytes()), 0) << i;
    EXPECT_EQ(std::bit_cast<uint32_t>(a.reward(i)), std::bit_cast<uint32_t>(b.reward(i))) << i;
    EXPECT_EQ(std::bit_cast<uint32_t>(a.discount(i)), std::bit_cast<uint32_t>(b.discount(i)));
    EXPECT_EQ(a.terminated(i), b.terminated(i)) << i;
    EXPECT_EQ(a.truncated(i), b.truncated(i)) << i;
  }
}

void ExpectSamePriorities(const ReplayBuffer& a, const ReplayBuffer& b) {
  ASSERT_TRUE(a.per() && b.per());
  for (int64_t i = 0; i < a.capacity(); ++i) {
    EXPECT_EQ(a.per()->priority(i), b.per()->priority(i)) << i;
  }
  EXPECT_EQ(a.per()->total_priority(), b.per()->total_priority());
  EXPECT_EQ(a.per()->max_priority(), b.per()->max_priority());
  EXPECT_EQ(a.per()->step(), b.per()->step());
}

void ExpectSameBatch(const Batch& a, const Batch& b) {
  ASSERT_EQ(a.size(), b.size());
  for (int64_t j = 0; j < a.size(); ++j) {
    EXPECT_EQ(a.indices()[j], b.indices()[j]);
    EXPECT_EQ(a.weights()[j], b.weights()[j]);
    EXPECT_EQ(a.reward()[j], b.reward()[j]);
  }
  EXPECT_EQ(std::memcmp(a.obs_data(), b.obs_data(), a.size() * a.obs_bytes()), 0);
}

TEST(Crc32, KnownValueAndIncremental) {
  const char* s = "123456789";
  EXPECT_EQ(Crc32(s, 9), 0xCBF43926u);  // the CRC-32 check value (zlib.crc32(b"123456789"))
  EXPECT_EQ(Crc32(s + 4, 5, Crc32(s, 4)), 0xCBF43926u);
  EXPECT_EQ(Crc32(s, 0), 0u);
}

TEST(ReplayFile, RoundTripIsBitExactAndContinuesIdentically) {
  const std::string path = TempPath("roundtrip");
  ReplayBuffer a(PerConfig(), Obs(), Act());
  FakeEnvs envs(1);
  for (int i = 0; i < 13; ++i) envs.Step(a);  // wraps the 16-row ring
  ASSERT_TRUE(a.storage().full());
  Rng rng(5);
  Batch batch;
  a.Sample(8, rng, batch);
  std::vector<double> td(8);
  for (double& d : td) d = rng.Uniform(-3.0, 3.0);
  a.UpdatePriorities(batch.indices(), td);
  a.set_step(123);
  const int pending0 = a.accumulator(0).pending(), pending1 = a.accumulator(1).pending();
  EXPECT_GT(pending0 + pending1, 0) << "the test should cover open n-step transitions";

  a.Save(path);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  ReplayBuffer b(PerConfig(), Obs(), Act());
  b.Load(path);
  ExpectSameStorage(a.storage(), b.storage());
  ExpectSamePriorities(a, b);
  EXPECT_EQ(b.accumulator(0).pending(), pending0);
  EXPECT_EQ(b.accumulator(1).pending(), pending1);

  // Same sampler stream on both: identical batches. Then the same env steps: identical storage,
  // priorities for new rows, and n-step rows completed from the reloaded open transitions.
  Rng rng_a(77), rng_b(77), td_rng(78);
  Batch ba, bb;
  for (int k = 0; k < 5; ++k) {
    a.Sample(6, rng_a, ba);
    b.Sample(6, rng_b, bb);
    ExpectSameBatch(ba, bb);
    std::vector<float> err(6);
    for (float& e : err) e = static_cast<float>(td_rng.Random());
    a.UpdatePriorities(ba.indices(), err);
    b.UpdatePriorities(bb.indices(), err);
    FakeEnvs envs_b = envs;
    envs.Step(a);
    envs_b.Step(b);
  }
  ExpectSameStorage(a.storage(), b.storage());
  ExpectSamePriorities(a, b);
  EXPECT_EQ(rng_a.state(), rng_b.state());
  std::filesystem::remove(path);
}

TEST(ReplayFile, UniformOneStepRoundTripAndOverwrite) {
  const std::string path = TempPath("uniform");
  ReplayConfig c;
  c.capacity = 10;
  c.num_envs = 2;
  ReplayBuffer a(c, Obs(), Act());
  FakeEnvs envs(2);
  envs.Step(a);
  a.Save(path);
  envs.Step(a);
  envs.Step(a);
  a.Save(path);  // replaces the previous file
  ReplayBuffer b(c, Obs(), Act());
  b.Load(path);
  EXPECT_EQ(b.size(), 6);
  ExpectSameStorage(a.storage(), b.storage());
  // An empty buffer round-trips too.
  ReplayBuffer empty(c, Obs(), Act());
  empty.Save(path);
  b.Load(path);
  EXPECT_EQ(b.size(), 0);
  std::filesystem::remove(path);
}

// Loading `path` into `into` throws an Error whose message contains `expected`.
void ExpectLoadError(ReplayBuffer& into, const std::string& path, const std::string& expected) {
  try {
    into.Load(path);
    ADD_FAILURE() << "expected an Error containing: " << expected;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << expected;
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << "names the file";
  }
}

class ReplayFileErrors : public testing::Test {
 protected:
  void SetUp() override {
    path_ = TempPath(testing::UnitTest::GetInstance()->current_test_info()->name());
    ReplayBuffer a(PerConfig(), Obs(), Act());
    FakeEnvs envs(3);
    for (int i = 0; i < 5; ++i) envs.Step(a);
    a.Save(path_);
    bytes_ = ReadBytes(path_);
    // The target holds data of its own, which a failed load must leave alone.
    target_ = std::make_unique<ReplayBuffer>(PerConfig(), Obs(), Act());
    FakeEnvs other(4);
    for (int i = 0; i < 3; ++i) other.Step(*target_);
    target_size_ = target_->size();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void ExpectTargetUnchanged() { EXPECT_EQ(target_->size(), target_size_); }

  std::string path_;
  std::vector<char> bytes_;
  std::unique_ptr<ReplayBuffer> target_;
  int64_t target_size_ = 0;
};

TEST_F(ReplayFileErrors, WrongMagic) {
  WriteBytes(path_, std::vector<char>{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  ExpectLoadError(*target_, path_, "not a bellman replay file");
  ExpectTargetUnchanged();
}

TEST_F(ReplayFileErrors, TruncatedPayload) {
  std::vector<char> cut(bytes_.begin(), bytes_.end() - 10);
  WriteBytes(path_, cut);
  ExpectLoadError(*target_, path_,
                  "truncated: the header says " + std::to_string(bytes_.size()) +
                      " bytes, the file has " + std::to_string(cut.size()));
  ExpectTargetUnchanged();
}

TEST_F(ReplayFileErrors, TruncatedPrelude) {
  WriteBytes(path_, std::vector<char>(bytes_.begin(), bytes_.begin() + 20));
  ExpectLoadError(*target_, path_, "truncated: 20 bytes, shorter than the 32-byte prelude");
  WriteBytes(path_, {});
  ExpectLoadError(*target_, path_, "truncated: 0 bytes");
  ExpectTargetUnchanged();
}

TEST_F(ReplayFileErrors, TrailingData) {
  std::vector<char> longer = bytes_;
  longer.push_back('x');
  WriteBytes(path_, longer);
  ExpectLoadError(*target_, path_, "unexpected trailing data");
}

TEST_F(ReplayFileErrors, CorruptPayload) {
  bytes_[bytes_.size() - 100] ^= 0x10;
  WriteBytes(path_, bytes_);
  ExpectLoadError(*target_, path_, "payload checksum mismatch");
  ExpectTargetUnchanged();
}

TEST_F(ReplayFileErrors, CorruptHeader) {
  bytes_[32 + 3] ^= 0x01;  // inside the capacity field
  WriteBytes(path_, bytes_);
  ExpectLoadError(*target_, path_, "header checksum mismatch");
  ExpectTargetUnchanged();
}

TEST_F(ReplayFileErrors, WrongVersion) {
  bytes_[8] = 7;
  WriteBytes(path_, bytes_);
  ExpectLoadError(*target_, path_, "format version 7, this build reads version 1");
}

TEST_F(ReplayFileErrors, ShapeMismatch) {
  ReplayBuffer wide(PerConfig(), Obs(3), Act());
  ExpectLoadError(wide, path_,
                  "observation is (2,) float32 in the file, but this buffer's is (3,) float32");
  ReplayBuffer box(PerConfig(), Obs(), Space::Box(-1.0, 1.0, {2}));
  ExpectLoadError(box, path_, "action is () int64 in the file, but this buffer's is (2,) float32");
  ReplayBuffer ints(PerConfig(), Space::Box(0.0, 10.0, {2}, DType::kFloat64), Act());
  ExpectLoadError(ints, path_,
                  "observation is (2,) float32 in the file, but this buffer's is (2,) float64");
}

TEST_F(ReplayFileErrors, ConfigMismatch) {
  ReplayConfig c = PerConfig();
  c.capacity = 32;
  ReplayBuffer bigger(c, Obs(), Act());
  ExpectLoadError(bigger, path_, "capacity is 16 in the file, but this buffer's is 32");
  c = PerConfig();
  c.prioritized = false;
  ReplayBuffer uniform(c, Obs(), Act());
  ExpectLoadError(uniform, path_, "saved with prioritized replay, this buffer does not use it");
  c = PerConfig();
  c.per.alpha = 0.6;
  ReplayBuffer alpha(c, Obs(), Act());
  ExpectLoadError(alpha, path_, "per.alpha is 0.7 in the file, but this buffer's is 0.6");
  c = PerConfig();
  c.n_step = 5;
  ReplayBuffer n5(c, Obs(), Act());
  ExpectLoadError(n5, path_, "n_step is 3 in the file, but this buffer's is 5");
  c = PerConfig();
  c.num_envs = 4;
  ReplayBuffer four(c, Obs(), Act());
  ExpectLoadError(four, path_,
                  "n-step accumulators (envs) is 2 in the file, but this buffer's is 4");
}

TEST_F(ReplayFileErrors, MissingFile) {
  ExpectLoadError(*target_, path_ + ".missing", "open failed");
}

}  // namespace
}  // namespace bellman
