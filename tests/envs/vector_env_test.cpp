#include "bellman/envs/vector_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/envs/env_pool.h"
#include "bellman/envs/registry.h"

namespace bellman {
namespace {

// A small env that draws from its generator on reset and on every step, so that any mix-up of
// generators, seeds or step order between envs shows in the observations.
// Discrete(3) actions move the position by (a - 1) / 2; Box actions by their first element. It
// terminates when |pos| > 1.5 and, with `throw_at` > 0, throws on its throw_at-th step overall.
class DriftEnv final : public Env {
 public:
  explicit DriftEnv(int64_t max_episode_steps = 20, bool box_actions = false, int throw_at = 0)
      : Env(EnvSpec{"Drift-v0",
                    Space::Box(-std::numeric_limits<double>::infinity(),
                               std::numeric_limits<double>::infinity(), {2}),
                    box_actions ? Space::Box(-1.0, 1.0, {2}) : Space::Discrete(3),
                    max_episode_steps,
                    {}}),
        box_actions_(box_actions),
        throw_at_(throw_at) {}

  std::vector<double> GetState() const override { return {pos_, static_cast<double>(t_)}; }
  void SetState(std::span<const double> s) override {
    pos_ = s[0];
    t_ = static_cast<int64_t>(s[1]);
    MarkRunning();
  }
  std::unique_ptr<Env> Clone() const override { return std::make_unique<DriftEnv>(*this); }
  std::string Render() const override { return std::to_string(pos_); }

 protected:
  void DoReset(void* obs) override {
    pos_ = np_random().Uniform(-0.05, 0.05);
    t_ = 0;
    Write(obs);
  }
  StepResult DoStep(const void* action, void* obs) override {
    if (throw_at_ > 0 && ++total_steps_ == throw_at_) throw std::runtime_error("boom");
    double move;
    if (box_actions_) {
      move = static_cast<const float*>(action)[0];
    } else {
      move = static_cast<double>(*static_cast<const int64_t*>(action) - 1) * 0.5;
    }
    pos_ += move + np_random().Uniform(-0.25, 0.25);
    ++t_;
    Write(obs);
    StepResult r;
    r.reward = pos_ * 0.1 + 1.0;
    r.terminated = std::abs(pos_) > 1.5;
    return r;
  }

 private:
  void Write(void* obs) const {
    float* o = static_cast<float*>(obs);
    o[0] = static_cast<float>(pos_);
    o[1] = static_cast<float>(t_);
  }
  bool box_actions_;
  int throw_at_;
  int total_steps_ = 0;
  double pos_ = 0.0;
  int64_t t_ = 0;
};

std::vector<std::unique_ptr<Env>> DriftEnvs(int n, int64_t max_steps = 20, bool box = false,
                                            int throwing_env = -1, int throw_at = 0) {
  std::vector<std::unique_ptr<Env>> envs;
  for (int i = 0; i < n; ++i) {
    envs.push_back(std::make_unique<DriftEnv>(max_steps, box, i == throwing_env ? throw_at : 0));
  }
  return envs;
}

// Everything a vector env reports for one env at one step, for bit-exact comparisons.
struct Row {
  std::vector<std::byte> obs;
  double reward = 0.0;
  bool terminated = false, truncated = false, has_final = false;
  std::vector<std::byte> final_obs;  // only where has_final
  double episode_return = 0.0;       // only where has_final
  int64_t episode_length = 0;        // only where has_final
  bool operator==(const Row&) const = default;
};

Row RowOf(const VecEnvBatch& b, int j, size_t obs_bytes) {
  Row r;
  const std::byte* obs = static_cast<const std::byte*>(b.obs) + static_cast<size_t>(j) * obs_bytes;
  r.obs.assign(obs, obs + obs_bytes);
  r.reward = b.rewards[j];
  r.terminated = b.terminated[j];
  r.truncated = b.truncated[j];
  r.has_final = b.has_final_obs[j];
  if (r.has_final) {
    const std::byte* f =
        static_cast<const std::byte*>(b.final_obs) + static_cast<size_t>(j) * obs_bytes;
    r.final_obs.assign(f, f + obs_bytes);
    r.episode_return = b.episode_return[j];
    r.episode_length = b.episode_length[j];
  }
  return r;
}

std::vector<Row> Rows(const VecEnv& v) {
  std::vector<Row> rows;
  const VecEnvBatch b = v.batch();
  for (int j = 0; j < b.size; ++j) rows.push_back(RowOf(b, j, v.obs_bytes()));
  return rows;
}

// Random valid actions for `steps` batched steps: [steps][num_envs rows].
std::vector<std::vector<std::byte>> RandomActionBatches(const Space& space, int num_envs, int steps,
                                                        uint64_t seed) {
  Rng rng(seed);
  const size_t row = space.byte_size();
  std::vector<std::vector<std::byte>> out(static_cast<size_t>(steps));
  for (auto& batch : out) {
    batch.resize(row * static_cast<size_t>(num_envs));
    for (int i = 0; i < num_envs; ++i)
      space.Sample(rng, batch.data() + row * static_cast<size_t>(i));
  }
  return out;
}

void StepBytes(VecEnv& v, const std::vector<std::byte>& actions) {
  if (v.action_space().dtype() == DType::kInt64) {
    v.Step(std::span<const int64_t>(reinterpret_cast<const int64_t*>(actions.data()),
                                    actions.size() / sizeof(int64_t)));
  } else {
    v.Step(std::span<const float>(reinterpret_cast<const float*>(actions.data()),
                                  actions.size() / sizeof(float)));
  }
}

// Runs a vector env for all action batches and records every row of every step (reset first).
std::vector<std::vector<Row>> Trajectory(VecEnv& v, uint64_t seed,
                                         const std::vector<std::vector<std::byte>>& actions) {
  std::vector<std::vector<Row>> out;
  v.Reset(seed);
  out.push_back(Rows(v));
  for (const auto& a : actions) {
    StepBytes(v, a);
    out.push_back(Rows(v));
  }
  return out;
}

// The reference: N independent envs stepped by hand, seeded seed + i, with same-step autoreset
// written out explicitly.
std::vector<std::vector<Row>> HandTrajectory(std::vector<std::unique_ptr<Env>> envs, uint64_t seed,
                                             const std::vector<std::vector<std::byte>>& actions) {
  const size_t n = envs.size();
  const size_t ob = envs[0]->observation_space().byte_size();
  const size_t ab = envs[0]->action_space().byte_size();
  std::vector<std::vector<Row>> out;
  std::vector<double> ret(n, 0.0);
  std::vector<int64_t> len(n, 0);
  std::vector<Row> rows(n);
  for (size_t i = 0; i < n; ++i) {
    rows[i].obs.resize(ob);
    envs[i]->Reset(seed + i, rows[i].obs.data());
  }
  out.push_back(rows);
  for (const auto& a : actions) {
    for (size_t i = 0; i < n; ++i) {
      Row r;
      r.obs.resize(ob);
      const StepResult s = envs[i]->Step(a.data() + i * ab, r.obs.data());
      r.reward = s.reward;
      r.terminated = s.terminated;
      r.truncated = s.truncated;
      ret[i] += s.reward;
      ++len[i];
      if (s.terminated || s.truncated) {
        r.has_final = true;
        r.final_obs = r.obs;
        r.episode_return = ret[i];
        r.episode_length = len[i];
        ret[i] = 0.0;
        len[i] = 0;
        envs[i]->Reset(std::nullopt, r.obs.data());
      }
      rows[i] = r;
    }
    out.push_back(rows);
  }
  return out;
}

int CountEnds(const std::vector<std::vector<Row>>& traj, bool truncation) {
  int count = 0;
  for (const auto& step : traj) {
    for (const Row& r : step) count += truncation ? r.truncated : r.terminated;
  }
  return count;
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no bellman::Error thrown)";
}

// --- batching matches independent envs -----------------------------------------------------

TEST(VectorEnv, MatchesIndependentEnvsSteppedByHand) {
  const int n = 5;
  const auto actions = RandomActionBatches(Space::Discrete(3), n, 300, 7);
  VectorEnv v(DriftEnvs(n));
  const auto got = Trajectory(v, 100, actions);
  const auto want = HandTrajectory(DriftEnvs(n), 100, actions);
  ASSERT_EQ(got.size(), want.size());
  for (size_t t = 0; t < got.size(); ++t) ASSERT_EQ(got[t], want[t]) << "step " << t;
  // The run covered both kinds of episode end.
  EXPECT_GT(CountEnds(want, false), 10);
  EXPECT_GT(CountEnds(want, true), 10);
}

TEST(EnvPool, MatchesIndependentEnvsSteppedByHandBoxActions) {
  const int n = 7;
  const auto actions = RandomActionBatches(Space::Box(-1.0, 1.0, {2}), n, 300, 8);
  for (int threads : {1, 2, 3}) {
    EnvPool pool(DriftEnvs(n, 20, true), threads);
    const auto got = Trajectory(pool, 42, actions);
    const auto want = HandTrajectory(DriftEnvs(n, 20, true), 42, actions);
    for (size_t t = 0; t < got.size(); ++t) {
      ASSERT_EQ(got[t], want[t]) << "threads " << threads << " step " << t;
    }
  }
}

TEST(VectorEnv, ResetSeedsEnvIWithSeedPlusI) {
  VectorEnv v(DriftEnvs(3));
  v.Reset(10);
  for (int i = 0; i < 3; ++i) {
    DriftEnv e;
    float obs[2];
    e.Reset(10 + i, obs);
    EXPECT_EQ(v.obs<float>()[2 * i], obs[0]) << i;
    EXPECT_EQ(v.env(i).GetState(), e.GetState());
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(v.rewards()[i], 0.0);
    EXPECT_EQ(v.terminated()[i], 0);
    EXPECT_EQ(v.truncated()[i], 0);
    EXPECT_EQ(v.has_final_obs()[i], 0);
  }
}

// --- autoreset -------------------------------------------------------------------------------

TEST(VectorEnv, AutoresetAtTerminationKeepsFinalObs) {
  // Action 2 moves +0.5 per step (noise +-0.25), so |pos| > 1.5 within 3 to 7 steps, before the
  // time limit of 100.
  VectorEnv v(DriftEnvs(2, 100));
  v.Reset(3);
  const std::vector<int64_t> right = {2, 2};
  std::vector<float> last(4);
  for (int t = 1; t <= 20; ++t) {
    const std::vector<double> before = v.env(0).GetState();
    v.Step(right);
    if (v.terminated()[0]) {
      EXPECT_FALSE(v.truncated()[0]);
      ASSERT_TRUE(v.has_final_obs()[0]);
      // final_obs is the observation of the terminal step: position past the bound, time t.
      const float* f = v.final_obs<float>().data();
      EXPECT_GT(std::abs(f[0]), 1.5f);
      EXPECT_EQ(f[1], static_cast<float>(t));
      // obs is already the first observation of the next episode.
      const float* o = v.obs<float>().data();
      EXPECT_EQ(o[1], 0.0f);
      EXPECT_LE(std::abs(o[0]), 0.05f);
      EXPECT_EQ(v.episode_length()[0], t);
      EXPECT_GT(before[0], -2.0);  // (the env really ran)
      // The episode after the reset continues normally.
      v.Step(right);
      EXPECT_FALSE(v.has_final_obs()[0]);
      EXPECT_EQ(v.obs<float>()[1], 1.0f);
      EXPECT_EQ(v.running_length()[0], 1);
      return;
    }
    EXPECT_FALSE(v.has_final_obs()[0]);
    last.assign(v.obs<float>().begin(), v.obs<float>().end());
  }
  FAIL() << "env 0 never terminated";
}

TEST(VectorEnv, AutoresetAtTruncationKeepsFinalObs) {
  // Action 1 does not move: the position stays near 0 (+-0.25 noise per step would need many
  // steps to reach 1.5), so the 5-step TimeLimit ends every episode.
  VectorEnv v(DriftEnvs(3, 5));
  v.Reset(11);
  const std::vector<int64_t> stay = {1, 1, 1};
  double sum = 0.0;
  std::vector<float> prev;
  for (int t = 1; t <= 5; ++t) {
    prev.assign(v.obs<float>().begin(), v.obs<float>().end());
    v.Step(stay);
    sum += v.rewards()[1];
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(v.truncated()[i]);
    EXPECT_FALSE(v.terminated()[i]);
    ASSERT_TRUE(v.has_final_obs()[i]);
    EXPECT_EQ(v.final_obs<float>()[2 * i + 1], 5.0f);  // the observation after step 5
    EXPECT_EQ(v.obs<float>()[2 * i + 1], 0.0f);        // next episode's first observation
    EXPECT_EQ(v.episode_length()[i], 5);
    EXPECT_EQ(v.running_length()[i], 0);
    EXPECT_EQ(v.running_return()[i], 0.0);
  }
  EXPECT_EQ(v.episode_return()[1], sum);
  // The reset did not reseed: env 1's next episode differs from a fresh Reset(12) episode.
  DriftEnv fresh;
  float o[2];
  fresh.Reset(12, o);
  EXPECT_NE(v.obs<float>()[2], o[0]);
}

TEST(VectorEnv, EpisodeStatisticsSumRewardsOfTheFinishedEpisode) {
  const int n = 4;
  const auto actions = RandomActionBatches(Space::Discrete(3), n, 400, 9);
  VectorEnv v(DriftEnvs(n));
  v.Reset(5);
  std::vector<double> ret(n, 0.0);
  std::vector<int64_t> len(n, 0);
  int finished = 0;
  for (const auto& a : actions) {
    StepBytes(v, a);
    for (int i = 0; i < n; ++i) {
      ret[i] += v.rewards()[i];
      ++len[i];
      if (v.has_final_obs()[i]) {
        EXPECT_EQ(v.episode_return()[i], ret[i]);
        EXPECT_EQ(v.episode_length()[i], len[i]);
        ret[i] = 0.0;
        len[i] = 0;
        ++finished;
      } else {
        EXPECT_EQ(v.running_return()[i], ret[i]);
        EXPECT_EQ(v.running_length()[i], len[i]);
      }
    }
  }
  EXPECT_GT(finished, 40);
}

TEST(VectorEnv, BatchViewMatchesAccessors) {
  VectorEnv v(DriftEnvs(3));
  v.Reset(1);
  v.Step(std::vector<int64_t>{0, 1, 2});
  const VecEnvBatch b = v.batch();
  EXPECT_EQ(b.size, 3);
  EXPECT_EQ(b.obs, v.obs_data());
  EXPECT_EQ(b.rewards, v.rewards().data());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b.env_ids[i], i);
  EXPECT_EQ(v.obs<float>().size(), 6u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(v.obs_data()) % 64, 0u);
}

// --- thread count does not change results -------------------------------------------------------

void ExpectSameForAllThreadCounts(const std::string& id, int n, int steps, uint64_t seed) {
  VectorEnv ref(id, n);
  const auto actions = RandomActionBatches(ref.action_space(), n, steps, seed + 1000);
  const auto want = Trajectory(ref, seed, actions);
  for (int threads : {1, 2, 3}) {
    EnvPool pool(id, n, {}, threads);
    const auto got = Trajectory(pool, seed, actions);
    ASSERT_EQ(got.size(), want.size());
    for (size_t t = 0; t < got.size(); ++t) {
      ASSERT_EQ(got[t], want[t]) << id << " threads " << threads << " step " << t;
    }
  }
  EXPECT_GT(CountEnds(want, false) + CountEnds(want, true), 0) << id;
}

TEST(EnvPool, SameResultsForOneTwoThreeThreadsAndVectorEnvFakeEnv) {
  const int n = 9;
  const auto actions = RandomActionBatches(Space::Discrete(3), n, 2000, 21);
  const auto want = Trajectory(*std::make_unique<VectorEnv>(DriftEnvs(n)), 77, actions);
  for (int threads : {1, 2, 3}) {
    EnvPool pool(DriftEnvs(n), threads);
    const auto got = Trajectory(pool, 77, actions);
    for (size_t t = 0; t < got.size(); ++t) {
      ASSERT_EQ(got[t], want[t]) << "threads " << threads << " step " << t;
    }
  }
}

TEST(EnvPool, SameResultsForOneTwoThreadsAndVectorEnvCartPole) {
  ExpectSameForAllThreadCounts("CartPole-v1", 8, 2000, 123);
}

TEST(EnvPool, SameResultsForOneTwoThreadsAndVectorEnvFrozenLake) {
  ExpectSameForAllThreadCounts("FrozenLake-v1", 8, 2000, 321);
}

TEST(EnvPool, SameResultsForOneTwoThreadsAndVectorEnvPendulum) {
  // Box (float32) actions and a TimeLimit (200 steps) as the only episode end.
  ExpectSameForAllThreadCounts("Pendulum-v1", 5, 450, 55);
}

TEST(VectorEnv, CartPoleMatchesIndependentEnvs) {
  const int n = 4;
  std::vector<std::unique_ptr<Env>> envs;
  for (int i = 0; i < n; ++i) envs.push_back(MakeEnv("CartPole-v1"));
  const auto actions = RandomActionBatches(envs[0]->action_space(), n, 500, 5);
  VectorEnv v("CartPole-v1", n);
  const auto got = Trajectory(v, 2024, actions);
  const auto want = HandTrajectory(std::move(envs), 2024, actions);
  for (size_t t = 0; t < got.size(); ++t) ASSERT_EQ(got[t], want[t]) << "step " << t;
  EXPECT_GT(CountEnds(want, false), 5);  // random CartPole episodes end after ~20 steps
}

TEST(VectorEnv, FrozenLakeMatchesIndependentEnvs) {
  const int n = 4;
  std::vector<std::unique_ptr<Env>> envs;
  for (int i = 0; i < n; ++i) envs.push_back(MakeEnv("FrozenLake-v1"));
  const auto actions = RandomActionBatches(envs[0]->action_space(), n, 500, 6);
  VectorEnv v("FrozenLake-v1", n);
  EXPECT_EQ(v.observation_space().dtype(), DType::kInt64);
  const auto got = Trajectory(v, 99, actions);
  const auto want = HandTrajectory(std::move(envs), 99, actions);
  for (size_t t = 0; t < got.size(); ++t) ASSERT_EQ(got[t], want[t]) << "step " << t;
}

// --- async mode ---------------------------------------------------------------------------------

TEST(EnvPoolAsync, EveryEnvReturnedExactlyOncePerCycle) {
  const int n = 8;
  for (int threads : {1, 2, 3}) {
    EnvPool pool(DriftEnvs(n), threads, 4);
    EXPECT_EQ(pool.batch_size(), 4);
    pool.AsyncReset(5);
    std::multiset<int> seen;
    for (int r = 0; r < 2; ++r) {
      const VecEnvBatch b = pool.Recv();
      ASSERT_EQ(b.size, 4);
      for (int j = 0; j < b.size; ++j) {
        seen.insert(b.env_ids[j]);
        EXPECT_FALSE(b.has_final_obs[j]);
        EXPECT_EQ(b.rewards[j], 0.0);
      }
    }
    EXPECT_EQ(seen, (std::multiset<int>{0, 1, 2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(pool.num_in_flight(), 0);
    Rng rng(1);
    for (int cycle = 0; cycle < 100; ++cycle) {
      // Send all envs (in two calls, shuffled order), then receive them all.
      std::vector<int> ids = {3, 0, 6, 1, 7, 2, 5, 4};
      std::rotate(ids.begin(), ids.begin() + cycle % n, ids.end());
      std::vector<int64_t> acts(n);
      for (auto& a : acts) a = rng.Integers(0, 3);
      pool.Send(std::span<const int64_t>(acts.data(), 4), std::span<const int>(ids.data(), 4));
      pool.Send(std::span<const int64_t>(acts.data() + 4, 4),
                std::span<const int>(ids.data() + 4, 4));
      EXPECT_EQ(pool.num_in_flight(), n);
      seen.clear();
      for (int r = 0; r < 2; ++r) {
        const VecEnvBatch b = pool.Recv();
        for (int j = 0; j < b.size; ++j) seen.insert(b.env_ids[j]);
      }
      ASSERT_EQ(seen, (std::multiset<int>{0, 1, 2, 3, 4, 5, 6, 7})) << "cycle " << cycle;
    }
  }
}

TEST(EnvPoolAsync, OneThreadReturnsEnvsInSendOrder) {
  EnvPool pool(DriftEnvs(6), 1, 2);
  pool.Reset(0);
  const std::vector<int> ids = {4, 1, 5, 0};
  pool.Send(std::vector<int64_t>{0, 1, 2, 0}, ids);
  VecEnvBatch b = pool.Recv();
  EXPECT_EQ(b.env_ids[0], 4);
  EXPECT_EQ(b.env_ids[1], 1);
  b = pool.Recv();
  EXPECT_EQ(b.env_ids[0], 5);
  EXPECT_EQ(b.env_ids[1], 0);
}

// Per env: the rows it produced, in order (its reset row, then one per step).
using PerEnv = std::vector<std::vector<Row>>;

TEST(EnvPoolAsync, PerEnvTrajectoriesEqualSyncOnes) {
  const int n = 6, steps = 400;
  // actions[i][t]: env i's action at its own step t, the same in both modes.
  Rng rng(31);
  std::vector<std::vector<int64_t>> actions(n, std::vector<int64_t>(steps));
  for (auto& per : actions) {
    for (auto& a : per) a = rng.Integers(0, 3);
  }
  // Sync reference.
  PerEnv want(n);
  {
    VectorEnv v(DriftEnvs(n));
    v.Reset(900);
    for (int i = 0; i < n; ++i) want[i].push_back(Rows(v)[i]);
    std::vector<int64_t> batch(n);
    for (int t = 0; t < steps; ++t) {
      for (int i = 0; i < n; ++i) batch[i] = actions[i][t];
      v.Step(batch);
      const auto rows = Rows(v);
      for (int i = 0; i < n; ++i) want[i].push_back(rows[i]);
    }
  }
  for (int threads : {1, 2, 3}) {
    for (int batch_size : {1, 2, 4, 6}) {
      EnvPool pool(DriftEnvs(n), threads, batch_size);
      pool.AsyncReset(900);
      PerEnv got(n);
      std::vector<int> t_of(n, 0);
      std::vector<int> ids;
      std::vector<int64_t> acts;
      // Free-running: send back whatever came back, until each env has used its actions (some
      // envs run ahead of others; that depends on timing).
      while (pool.num_in_flight() >= batch_size) {
        const VecEnvBatch b = pool.Recv();
        ids.clear();
        acts.clear();
        for (int j = 0; j < b.size; ++j) {
          const int i = b.env_ids[j];
          got[i].push_back(RowOf(b, j, pool.obs_bytes()));
          if (t_of[i] < steps) {
            ids.push_back(i);
            acts.push_back(actions[i][t_of[i]++]);
          }
        }
        pool.Send(acts, ids);
      }
      int complete = 0;
      for (int i = 0; i < n; ++i) {
        ASSERT_LE(got[i].size(), want[i].size());
        complete += got[i].size() == want[i].size();
        for (size_t t = 0; t < got[i].size(); ++t) {
          ASSERT_EQ(got[i][t], want[i][t])
              << "threads " << threads << " batch " << batch_size << " env " << i << " t " << t;
        }
      }
      // Only the envs left in flight at the end (fewer than batch_size) miss rows.
      EXPECT_GE(complete, n - (batch_size - 1));
    }
  }
}

TEST(EnvPoolAsync, SyncStepAfterAllReceived) {
  EnvPool pool(DriftEnvs(4), 2, 2);
  pool.AsyncReset(3);
  pool.Recv();
  EXPECT_NE(ErrorOf([&] {
              pool.Step(std::vector<int64_t>{1, 1, 1, 1});
            }).find("in flight"),
            std::string::npos);
  pool.Recv();
  pool.Step(std::vector<int64_t>{1, 1, 1, 1});  // allowed again: nothing in flight
  VectorEnv ref(DriftEnvs(4));
  ref.Reset(3);
  ref.Step(std::vector<int64_t>{1, 1, 1, 1});
  EXPECT_EQ(Rows(pool), Rows(ref));
}

// --- errors
// ---------------------------------------------------------------------------------------

TEST(VectorEnvErrors, BadConstructionArguments) {
  EXPECT_NE(ErrorOf([] { VectorEnv v("CartPole-v1", 0); }).find("num_envs must be >= 1, got 0"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { EnvPool p("CartPole-v1", -2); }).find("num_envs must be >= 1, got -2"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { EnvPool p(DriftEnvs(4), 0); }).find("num_threads must be >= 1, got 0"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] {
              EnvPool p(DriftEnvs(4), 1, 5);
            }).find("batch_size must be in [1, num_envs=4] (0: num_envs), got 5"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { VectorEnv v(DriftEnvs(0)); }).find("num_envs must be >= 1"),
            std::string::npos);
  auto mixed = DriftEnvs(2);
  mixed.push_back(std::make_unique<DriftEnv>(20, true));
  EXPECT_NE(ErrorOf([&] { VectorEnv v(std::move(mixed)); }).find("env 2"), std::string::npos);
  EXPECT_NE(ErrorOf([] { VectorEnv v("NoSuchEnv-v0", 2); }).find("unknown environment id"),
            std::string::npos);
  // More threads than envs: capped.
  EnvPool p(DriftEnvs(2), 8);
  EXPECT_EQ(p.num_threads(), 2);
}

TEST(VectorEnvErrors, WrongActionBuffer) {
  for (int threads : {0, 1, 2}) {
    std::unique_ptr<VecEnv> v;
    if (threads == 0) {
      v = std::make_unique<VectorEnv>(DriftEnvs(4));
    } else {
      v = std::make_unique<EnvPool>(DriftEnvs(4), threads);
    }
    v->Reset(0);
    const std::string name = threads == 0 ? "VectorEnv(Drift-v0)" : "EnvPool(Drift-v0)";
    EXPECT_EQ(ErrorOf([&] {
                v->Step(std::vector<int64_t>{0, 1, 2});
              }),
              name +
                  ": Step() got 3 action values, expected 4 (4 envs x 1 int64 for "
                  "Discrete(3))");
    EXPECT_EQ(ErrorOf([&] {
                v->Step(std::vector<float>{0, 1, 2, 0});
              }),
              name +
                  ": Step() got float32 actions, but the action space Discrete(3) takes "
                  "int64");
    // An out-of-range action is reported by the env, with its index.
    const std::string msg = ErrorOf([&] { v->Step(std::vector<int64_t>{0, 1, 3, 0}); });
    EXPECT_NE(msg.find("env 2 failed in Step"), std::string::npos) << msg;
    EXPECT_NE(msg.find("action 3 is outside the action space Discrete(3)"), std::string::npos)
        << msg;
  }
  VectorEnv box(DriftEnvs(2, 20, true));
  box.Reset(0);
  EXPECT_EQ(ErrorOf([&] {
              box.Step(std::vector<float>{0, 1, 2});
            }),
            "VectorEnv(Drift-v0): Step() got 3 action values, expected 4 (2 envs x 2 float32 for "
            "Box(-1.0, 1.0, (2,), float32))");
  EXPECT_NE(ErrorOf([&] { box.obs<int64_t>(); }).find("observations are float32"),
            std::string::npos);
}

TEST(VectorEnvErrors, StepBeforeReset) {
  VectorEnv v(DriftEnvs(2));
  EXPECT_EQ(ErrorOf([&] {
              v.Step(std::vector<int64_t>{0, 0});
            }),
            "VectorEnv(Drift-v0): Step() called before Reset(seed) (or after an env failed); call "
            "Reset(seed) first");
  EnvPool p(DriftEnvs(2), 2);
  EXPECT_NE(ErrorOf([&] {
              p.Step(std::vector<int64_t>{0, 0});
            }).find("before Reset(seed)"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              p.Send(std::vector<int64_t>{0}, std::vector<int>{0});
            }).find("Send() called before Reset"),
            std::string::npos);
}

TEST(VectorEnvErrors, EnvThrowingInAWorkerNamesTheEnv) {
  // Env 3 of 4 throws on its 5th step; with 2 threads it lives in the worker's shard.
  for (int threads : {0, 1, 2}) {
    std::unique_ptr<VecEnv> v;
    if (threads == 0) {
      v = std::make_unique<VectorEnv>(DriftEnvs(4, 100, false, 3, 5));
    } else {
      v = std::make_unique<EnvPool>(DriftEnvs(4, 100, false, 3, 5), threads);
    }
    v->Reset(0);
    const std::vector<int64_t> a = {1, 1, 1, 1};
    for (int t = 0; t < 4; ++t) v->Step(a);
    const std::string msg = ErrorOf([&] { v->Step(a); });
    EXPECT_NE(msg.find("env 3 failed in Step: boom"), std::string::npos) << msg;
    // The vector env refuses to continue until it is reset, then works again.
    EXPECT_NE(ErrorOf([&] { v->Step(a); }).find("before Reset(seed)"), std::string::npos);
    v->Reset(1);
    v->Step(a);
  }  // destructors join the workers
}

TEST(EnvPoolAsync, Errors) {
  EnvPool pool(DriftEnvs(4), 2, 2);
  pool.Reset(0);
  EXPECT_NE(
      ErrorOf([&] { pool.Recv(); }).find("Recv() needs batch_size=2 envs in flight, but 0 are"),
      std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              pool.Send(std::vector<int64_t>{0, 1}, std::vector<int>{1, 1});
            }).find("env 1 is already in flight"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              pool.Send(std::vector<int64_t>{0, 1}, std::vector<int>{0, 4});
            }).find("env id 4 is out of range [0, 4)"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              pool.Send(std::vector<int64_t>{0}, std::vector<int>{0, 1});
            }).find("Send() got 1 action values, expected 2"),
            std::string::npos);
  EXPECT_EQ(pool.num_in_flight(), 0);  // failed Sends hand nothing over
  pool.Send(std::vector<int64_t>{0, 1}, std::vector<int>{0, 1});
  EXPECT_NE(ErrorOf([&] {
              pool.Send(std::vector<int64_t>{0}, std::vector<int>{1});
            }).find("env 1 is already in flight"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { pool.Reset(0); }).find("Reset() while 2 envs are in flight"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { pool.AsyncReset(0); }).find("AsyncReset() while 2 envs"),
            std::string::npos);
  pool.Recv();
  pool.Reset(0);
}

TEST(EnvPoolAsync, EnvThrowingIsReportedByRecv) {
  for (int threads : {1, 2}) {
    EnvPool pool(DriftEnvs(4, 100, false, 2, 3), threads, 2);
    pool.AsyncReset(0);
    const std::vector<int64_t> acts = {1, 1};
    std::string msg;
    for (int round = 0; round < 50 && msg.empty(); ++round) {
      try {
        const VecEnvBatch b = pool.Recv();
        const std::vector<int> ids(b.env_ids, b.env_ids + b.size);
        pool.Send(acts, ids);
      } catch (const Error& e) {
        msg = e.what();
      }
    }
    EXPECT_NE(msg.find("env 2 failed in Step: boom"), std::string::npos) << msg;
    EXPECT_EQ(pool.num_in_flight(), 0);
    EXPECT_NE(ErrorOf([&] {
                pool.Send(acts, std::vector<int>{0, 1});
              }).find("before Reset"),
              std::string::npos);
    pool.Reset(1);
    pool.Step(std::vector<int64_t>{1, 1, 1, 1});
  }
}

// What the envs of one pool saw, shared with the test so that it outlives the pool.
struct Lifetimes {
  std::atomic<int> busy{0};                // DoReset calls running now
  std::atomic<int> resets_started{0};      // DoReset calls begun
  std::atomic<int> destroyed{0};           // env destructors run
  std::atomic<int> destroyed_while_busy{0};
};

// A DriftEnv whose reset takes ~1 ms, so that a pool destroyed right after AsyncReset still has
// resets running; it records its calls and its destruction in `Lifetimes`.
class SlowResetEnv final : public Env {
 public:
  explicit SlowResetEnv(std::shared_ptr<Lifetimes> life)
      : Env(EnvSpec{"SlowReset-v0", Space::Box(-1.0, 1.0, {2}), Space::Discrete(3), 20, {}}),
        life_(std::move(life)) {}
  ~SlowResetEnv() override {
    if (life_->busy.load() > 0) life_->destroyed_while_busy.fetch_add(1);
    life_->destroyed.fetch_add(1);
  }
  std::vector<double> GetState() const override { return {}; }
  void SetState(std::span<const double>) override {}
  std::unique_ptr<Env> Clone() const override { return std::make_unique<SlowResetEnv>(life_); }
  std::string Render() const override { return ""; }

 protected:
  void DoReset(void* obs) override {
    life_->busy.fetch_add(1);
    life_->resets_started.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::memset(obs, 0, 2 * sizeof(float));
    life_->busy.fetch_sub(1);
  }
  StepResult DoStep(const void*, void* obs) override {
    std::memset(obs, 0, 2 * sizeof(float));
    return {};
  }

 private:
  std::shared_ptr<Lifetimes> life_;
};

TEST(EnvPool, DestructorJoinsWithWorkInFlight) {
  // Destroying a pool with queued and running async work returns (no hang), and joins its
  // workers before the envs die: no env is destroyed while a worker is inside one of its calls,
  // and every env is destroyed exactly once.
  const int n = 16;
  int started = 0;
  for (int k = 0; k < 20; ++k) {
    auto life = std::make_shared<Lifetimes>();
    {
      std::vector<std::unique_ptr<Env>> envs;
      for (int i = 0; i < n; ++i) envs.push_back(std::make_unique<SlowResetEnv>(life));
      EnvPool pool(std::move(envs), 2, 4);
      pool.AsyncReset(static_cast<uint64_t>(k));
      // Let the workers pick up work, so that the destructor meets resets in progress.
      while (life->resets_started.load() == 0) std::this_thread::yield();
    }
    EXPECT_EQ(life->destroyed.load(), n) << "round " << k;
    EXPECT_EQ(life->destroyed_while_busy.load(), 0) << "round " << k;
    EXPECT_EQ(life->busy.load(), 0) << "round " << k;
    started += life->resets_started.load();
  }
  EXPECT_GE(started, 20);
}

}  // namespace
}  // namespace bellman
