#include "bellman/replay/storage.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/space.h"
#include "bellman/replay/sampler.h"

namespace bellman {
namespace {

// Transition k: obs (k, -k), action 10k, reward k/2, next_obs (k + 0.5, -k), terminated every
// third, truncated every fifth.
struct Rows {
  std::vector<float> obs, next_obs;
  std::vector<int64_t> action;
  std::vector<double> reward;
  std::vector<uint8_t> terminated, truncated;

  Rows(int first, int n) {
    for (int k = first; k < first + n; ++k) {
      obs.insert(obs.end(), {static_cast<float>(k), static_cast<float>(-k)});
      next_obs.insert(next_obs.end(), {static_cast<float>(k) + 0.5f, static_cast<float>(-k)});
      action.push_back(10 * k);
      reward.push_back(k / 2.0);
      terminated.push_back(k % 3 == 0);
      truncated.push_back(k % 5 == 0);
    }
  }
  TransitionRows View(double gamma = 0.9) const {
    TransitionRows r;
    r.n = static_cast<int64_t>(action.size());
    r.obs = obs.data();
    r.action = action.data();
    r.reward = reward.data();
    r.next_obs = next_obs.data();
    r.terminated = terminated.data();
    r.truncated = truncated.data();
    r.gamma = gamma;
    return r;
  }
};

ReplayStorage MakeStorage(int64_t capacity) {
  return ReplayStorage(capacity, Space::Box(-100.0, 100.0, {2}), Space::Discrete(4));
}

// Checks that storage row i holds transition k (as built by Rows) with 1-step discount gamma.
void ExpectRow(const ReplayStorage& s, int64_t i, int k, double gamma = 0.9) {
  SCOPED_TRACE(testing::Message() << "row " << i << " should hold transition " << k);
  float obs[2], next[2];
  int64_t action;
  std::memcpy(obs, s.obs_row(i), sizeof(obs));
  std::memcpy(next, s.next_obs_row(i), sizeof(next));
  std::memcpy(&action, s.action_row(i), sizeof(action));
  EXPECT_EQ(obs[0], static_cast<float>(k));
  EXPECT_EQ(obs[1], static_cast<float>(-k));
  EXPECT_EQ(next[0], static_cast<float>(k) + 0.5f);
  EXPECT_EQ(action, 10 * k);
  EXPECT_EQ(s.reward(i), static_cast<float>(k / 2.0));
  EXPECT_EQ(s.terminated(i), k % 3 == 0);
  EXPECT_EQ(s.truncated(i), k % 5 == 0);
  EXPECT_EQ(s.discount(i), k % 3 == 0 ? 0.0f : static_cast<float>(gamma));
}

TEST(ReplayStorage, LayoutFromSpaces) {
  ReplayStorage s = MakeStorage(4);
  EXPECT_EQ(s.obs_dtype(), DType::kFloat32);
  EXPECT_EQ(s.obs_shape(), std::vector<int64_t>{2});
  EXPECT_EQ(s.obs_bytes(), 8u);
  EXPECT_EQ(s.action_dtype(), DType::kInt64);
  EXPECT_TRUE(s.action_shape().empty());
  EXPECT_EQ(s.action_bytes(), 8u);
  ReplayStorage box(4, Space::Box(-1.0, 1.0, {3}), Space::Box(-2.0, 2.0, {6}));
  EXPECT_EQ(box.action_dtype(), DType::kFloat32);
  EXPECT_EQ(box.action_bytes(), 24u);
  EXPECT_EQ(box.capacity(), 4);
  EXPECT_EQ(box.size(), 0);
}

TEST(ReplayStorage, RingWrapsAroundAndKeepsTheNewestRows) {
  ReplayStorage s = MakeStorage(5);
  Rows a(0, 3);
  EXPECT_EQ(s.Add(a.View()), 0);
  EXPECT_EQ(s.size(), 3);
  EXPECT_EQ(s.position(), 3);
  EXPECT_FALSE(s.full());
  for (int i = 0; i < 3; ++i) ExpectRow(s, i, i);

  Rows b(3, 4);  // transitions 3..6: rows 3, 4, then wraps to 0, 1
  EXPECT_EQ(s.Add(b.View()), 3);
  EXPECT_EQ(s.size(), 5);
  EXPECT_EQ(s.position(), 2);
  EXPECT_TRUE(s.full());
  ExpectRow(s, 0, 5);
  ExpectRow(s, 1, 6);
  ExpectRow(s, 2, 2);
  ExpectRow(s, 3, 3);
  ExpectRow(s, 4, 4);

  // More rows than capacity in one call: only the last `capacity` survive, in ring order.
  ReplayStorage t = MakeStorage(3);
  Rows c(0, 7);
  EXPECT_EQ(t.Add(c.View()), 0);
  EXPECT_EQ(t.position(), 1);
  ExpectRow(t, 0, 6);
  ExpectRow(t, 1, 4);
  ExpectRow(t, 2, 5);

  t.Clear();
  EXPECT_EQ(t.size(), 0);
  EXPECT_EQ(t.position(), 0);
}

TEST(ReplayStorage, FinalObsReplacesNextObsAfterAutoreset) {
  ReplayStorage s = MakeStorage(4);
  Rows a(1, 3);
  const std::vector<float> final_obs = {100, 101, 200, 201, 300, 301};
  const std::vector<uint8_t> has_final = {0, 1, 0};
  TransitionRows v = a.View();
  v.final_obs = final_obs.data();
  v.has_final_obs = has_final.data();
  s.Add(v);
  float next[2];
  std::memcpy(next, s.next_obs_row(0), sizeof(next));
  EXPECT_EQ(next[0], 1.5f);
  std::memcpy(next, s.next_obs_row(1), sizeof(next));
  EXPECT_EQ(next[0], 200.0f);
  EXPECT_EQ(next[1], 201.0f);
  std::memcpy(next, s.next_obs_row(2), sizeof(next));
  EXPECT_EQ(next[0], 3.5f);
}

TEST(ReplayStorage, PerRowDiscountsAndMissingTruncated) {
  ReplayStorage s = MakeStorage(4);
  Rows a(1, 2);
  const std::vector<double> discount = {0.25, 0.0};
  TransitionRows v = a.View();
  v.discount = discount.data();
  v.gamma = -1.0;  // ignored when discounts are given
  v.truncated = nullptr;
  s.Add(v);
  EXPECT_EQ(s.discount(0), 0.25f);
  EXPECT_EQ(s.discount(1), 0.0f);
  EXPECT_EQ(s.truncated(0), 0);
  EXPECT_EQ(s.truncated(1), 0);
}

TEST(ReplayStorage, RejectsBadInput) {
  EXPECT_THROW(MakeStorage(0), Error);
  ReplayStorage s = MakeStorage(4);
  Rows a(0, 2);
  TransitionRows v = a.View();
  v.reward = nullptr;
  try {
    s.Add(v);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing reward"), std::string::npos) << e.what();
  }
  v = a.View(1.5);
  try {
    s.Add(v);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gamma must be in [0, 1], got 1.5"), std::string::npos)
        << e.what();
  }
  const std::vector<double> bad = {0.5, -0.1};
  v = a.View();
  v.discount = bad.data();
  EXPECT_THROW(s.Add(v), Error);
  v = a.View();
  const std::vector<float> final_obs(4);
  v.final_obs = final_obs.data();
  EXPECT_THROW(s.Add(v), Error);
  EXPECT_EQ(s.size(), 0);  // nothing written by rejected calls
}

TEST(Batch, GathersRowsAndReusesItsMemory) {
  ReplayStorage s = MakeStorage(16);
  Rows a(0, 16);
  s.Add(a.View());
  UniformSampler sampler(s);
  Rng rng(7);
  Batch batch;
  sampler.Sample(64, rng, batch);
  const void* obs = batch.obs_data();
  const void* next = batch.next_obs_data();
  const void* idx = batch.indices_data();
  for (int round = 0; round < 3; ++round) {
    sampler.Sample(round == 1 ? 64 : 17, rng, batch);
    // No reallocation after the first (largest) batch.
    EXPECT_EQ(batch.obs_data(), obs);
    EXPECT_EQ(batch.next_obs_data(), next);
    EXPECT_EQ(batch.indices_data(), idx);
    auto o = batch.obs<float>();
    auto n = batch.next_obs<float>();
    auto act = batch.action<int64_t>();
    ASSERT_EQ(o.size(), static_cast<size_t>(2 * batch.size()));
    for (int64_t j = 0; j < batch.size(); ++j) {
      const int k = static_cast<int>(batch.indices()[j]);  // row k holds transition k
      EXPECT_EQ(o[2 * j], static_cast<float>(k));
      EXPECT_EQ(o[2 * j + 1], static_cast<float>(-k));
      EXPECT_EQ(n[2 * j], static_cast<float>(k) + 0.5f);
      EXPECT_EQ(act[j], 10 * k);
      EXPECT_EQ(batch.reward()[j], static_cast<float>(k / 2.0));
      EXPECT_EQ(batch.terminated()[j], k % 3 == 0);
      EXPECT_EQ(batch.truncated()[j], k % 5 == 0);
      EXPECT_EQ(batch.discount()[j], k % 3 == 0 ? 0.0f : 0.9f);
      EXPECT_EQ(batch.weights()[j], 1.0f);
    }
  }
  EXPECT_THROW(batch.obs<int64_t>(), Error);
  EXPECT_THROW(batch.action<float>(), Error);
}

}  // namespace
}  // namespace bellman
