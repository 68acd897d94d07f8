#include "bellman/replay/n_step.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/space.h"
#include "bellman/replay/replay_buffer.h"

namespace bellman {
namespace {

// One expected storage row.
struct Row {
  float obs;
  int64_t action;
  double reward;
  float next_obs;
  int terminated, truncated;
  double discount;
};

void ExpectRows(const ReplayStorage& s, const std::vector<Row>& rows) {
  ASSERT_EQ(s.size(), static_cast<int64_t>(rows.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "storage row " << i);
    const auto r = static_cast<int64_t>(i);
    float obs, next;
    int64_t action;
    std::memcpy(&obs, s.obs_row(r), 4);
    std::memcpy(&next, s.next_obs_row(r), 4);
    std::memcpy(&action, s.action_row(r), 8);
    EXPECT_EQ(obs, rows[i].obs);
    EXPECT_EQ(action, rows[i].action);
    EXPECT_EQ(s.reward(r), static_cast<float>(rows[i].reward));
    EXPECT_EQ(next, rows[i].next_obs);
    EXPECT_EQ(s.terminated(r), rows[i].terminated);
    EXPECT_EQ(s.truncated(r), rows[i].truncated);
    EXPECT_EQ(s.discount(r), static_cast<float>(rows[i].discount));
  }
}

// Drives a ReplayBuffer the way a trainer drives it from a 2-env vector env with same-step
// autoreset. Env e in episode k at time t observes 1000 e + 100 k + t; the action at iteration
// i of env e is 10 i + e.
class TwoEnvs {
 public:
  explicit TwoEnvs(ReplayBuffer& buffer) : buffer_(buffer) {}

  // One vector step: reward and end flags per env ('.' running, 'T' terminated, 'R' truncated).
  void Step(double r0, char end0, double r1, char end1) {
    const double reward[2] = {r0, r1};
    const char end[2] = {end0, end1};
    float obs[2], next[2], final_obs[2];
    int64_t action[2];
    uint8_t terminated[2], truncated[2], has_final[2];
    for (int e = 0; e < 2; ++e) {
      obs[e] = Obs(e);
      action[e] = 10 * iteration_ + e;
      terminated[e] = end[e] == 'T';
      truncated[e] = end[e] == 'R';
      has_final[e] = end[e] != '.';
      ++t_[e];
      final_obs[e] = Obs(e);  // the true next observation
      if (has_final[e]) {
        ++episode_[e];
        t_[e] = 0;
      }
      next[e] = Obs(e);  // after autoreset: the next episode's first observation
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
    buffer_.AddStep(rows);
    ++iteration_;
  }

 private:
  float Obs(int e) const { return static_cast<float>(1000 * e + 100 * episode_[e] + t_[e]); }

  ReplayBuffer& buffer_;
  int64_t iteration_ = 0;
  int episode_[2] = {0, 0};
  int t_[2] = {0, 0};
};

ReplayConfig NStepConfig(int n, double gamma) {
  ReplayConfig c;
  c.capacity = 100;
  c.n_step = n;
  c.gamma = gamma;
  c.num_envs = 2;
  return c;
}

Space ObsSpace() { return Space::Box(-1e6, 1e6, {1}); }
Space ActSpace() { return Space::Discrete(1000); }

TEST(NStep, ThreeStepReturnsAcrossEpisodeEndsForTwoInterleavedEnvs) {
  // gamma = 0.5 keeps every product and sum exact, so the hand-computed values are exact.
  // env 0: episode 0 rewards 1 2 3 4 5, terminated at the 5th step; episode 1 rewards 10 20,
  //        truncated at the 2nd step (shorter than n).
  // env 1: episode 0 reward 7, terminated at once; episode 1 rewards 1 2 3 4, truncated;
  //        episode 2 rewards -1 -2, still running.
  ReplayBuffer buffer(NStepConfig(3, 0.5), ObsSpace(), ActSpace());
  TwoEnvs envs(buffer);
  envs.Step(1, '.', 7, 'T');    // i = 0
  envs.Step(2, '.', 1, '.');    // i = 1
  envs.Step(3, '.', 2, '.');    // i = 2
  envs.Step(4, '.', 3, '.');    // i = 3
  envs.Step(5, 'T', 4, 'R');    // i = 4
  envs.Step(10, '.', -1, '.');  // i = 5
  envs.Step(20, 'R', -2, '.');  // i = 6
  // Emission order: per iteration, env 0's rows then env 1's, oldest first.
  ExpectRows(buffer.storage(),
             {
                 // i = 0: env 1 terminates after 1 of 3 rewards: cut, no bootstrap.
                 {1000, 1, 7.0, 1001, 1, 0, 0.0},
                 // i = 2: env 0's first transition has its 3 rewards: 1 + 2/2 + 3/4.
                 {0, 0, 2.75, 3, 0, 0, 0.125},
                 // i = 3: env 0: 2 + 3/2 + 4/4; env 1: 1 + 2/2 + 3/4.
                 {1, 10, 4.5, 4, 0, 0, 0.125},
                 {1100, 11, 2.75, 1103, 0, 0, 0.125},
                 // i = 4: env 0 terminates: its three open transitions are cut at the end.
                 {2, 20, 3 + 4 / 2.0 + 5 / 4.0, 5, 1, 0, 0.0},
                 {3, 30, 4 + 5 / 2.0, 5, 1, 0, 0.0},
                 {4, 40, 5, 5, 1, 0, 0.0},
                 // i = 4: env 1 is truncated: bootstrap from its final observation 1104 with
                 // gamma^k for the k rewards each transition has.
                 {1101, 21, 2 + 3 / 2.0 + 4 / 4.0, 1104, 0, 1, 0.125},
                 {1102, 31, 3 + 4 / 2.0, 1104, 0, 1, 0.25},
                 {1103, 41, 4, 1104, 0, 1, 0.5},
                 // i = 6: env 0 is truncated after 2 steps (n larger than the episode).
                 {100, 50, 10 + 20 / 2.0, 102, 0, 1, 0.25},
                 {101, 60, 20, 102, 0, 1, 0.5},
             });
  EXPECT_EQ(buffer.accumulator(0).pending(), 0);
  EXPECT_EQ(buffer.accumulator(1).pending(), 2);  // env 1's episode 2 goes on
}

TEST(NStep, GammaPowersForANonDyadicGamma) {
  const double g = 0.99;
  NStepAccumulator acc(3, g, 4, 8);
  float o[5] = {0, 1, 2, 3, 4};
  int64_t a[5] = {0, 1, 2, 3, 4};
  const double r[5] = {1.5, -2.0, 0.25, 3.0, 1.0};
  EXPECT_EQ(acc.Push(&o[0], &a[0], r[0], &o[1], false, false).n, 0);
  EXPECT_EQ(acc.Push(&o[1], &a[1], r[1], &o[2], false, false).n, 0);
  TransitionRows out = acc.Push(&o[2], &a[2], r[2], &o[3], false, false);
  ASSERT_EQ(out.n, 1);
  EXPECT_DOUBLE_EQ(out.reward[0], r[0] + g * r[1] + g * g * r[2]);
  EXPECT_DOUBLE_EQ(out.discount[0], g * g * g);
  float first;
  std::memcpy(&first, out.obs, 4);
  EXPECT_EQ(first, 0.0f);
  // Truncation: transitions 1 and 2 are open, this step opens 3, and all three end here with
  // 3, 2 and 1 rewards: discounts gamma^3, gamma^2, gamma.
  out = acc.Push(&o[3], &a[3], r[3], &o[4], false, true);
  ASSERT_EQ(out.n, 3);
  EXPECT_DOUBLE_EQ(out.reward[0], r[1] + g * r[2] + g * g * r[3]);
  EXPECT_DOUBLE_EQ(out.reward[1], r[2] + g * r[3]);
  EXPECT_DOUBLE_EQ(out.reward[2], r[3]);
  EXPECT_DOUBLE_EQ(out.discount[0], g * g * g);
  EXPECT_DOUBLE_EQ(out.discount[1], g * g);
  EXPECT_DOUBLE_EQ(out.discount[2], g);
  for (int j = 0; j < 3; ++j) {
    float next;
    std::memcpy(&next, static_cast<const std::byte*>(out.next_obs) + 4 * j, 4);
    EXPECT_EQ(next, 4.0f);
    EXPECT_EQ(out.terminated[j], 0);
    EXPECT_EQ(out.truncated[j], 1);
  }
  EXPECT_EQ(acc.pending(), 0);
}

TEST(NStep, TerminatedAndTruncatedTogetherIsATermination) {
  NStepAccumulator acc(2, 0.9, 4, 8);
  float o = 1, n = 2;
  int64_t a = 0;
  TransitionRows out = acc.Push(&o, &a, 1.0, &n, true, true);
  ASSERT_EQ(out.n, 1);
  EXPECT_EQ(out.terminated[0], 1);
  EXPECT_EQ(out.truncated[0], 1);
  EXPECT_EQ(out.discount[0], 0.0);
}

TEST(NStep, OneStepThroughTheBufferEqualsDirectTransitions) {
  ReplayBuffer buffer(NStepConfig(1, 0.5), ObsSpace(), ActSpace());
  TwoEnvs envs(buffer);
  envs.Step(1, '.', 7, 'T');
  envs.Step(2, 'R', 1, '.');
  ExpectRows(buffer.storage(), {
                                   {0, 0, 1, 1, 0, 0, 0.5},
                                   {1000, 1, 7, 1001, 1, 0, 0.0},
                                   {1, 10, 2, 2, 0, 1, 0.5},
                                   {1100, 11, 1, 1101, 0, 0, 0.5},
                               });
}

TEST(NStep, EnvIdsRouteRowsOfPartialBatches) {
  // EnvPool's async mode hands back a subset of envs per step.
  ReplayBuffer buffer(NStepConfig(2, 0.5), ObsSpace(), ActSpace());
  float obs[1], next[1];
  int64_t action[1] = {0};
  double reward[1] = {1};
  uint8_t term[1] = {0};
  TransitionRows rows;
  rows.n = 1;
  rows.obs = obs;
  rows.action = action;
  rows.reward = reward;
  rows.next_obs = next;
  rows.terminated = term;
  const int env1[1] = {1};
  const int env0[1] = {0};
  obs[0] = 1000;
  next[0] = 1001;
  buffer.AddStep(rows, env1);
  obs[0] = 0;
  next[0] = 1;
  buffer.AddStep(rows, env0);
  EXPECT_EQ(buffer.size(), 0);
  obs[0] = 1001;
  next[0] = 1002;
  reward[0] = 2;
  buffer.AddStep(rows, env1);
  ExpectRows(buffer.storage(), {{1000, 0, 1 + 2 / 2.0, 1002, 0, 0, 0.25}});
  EXPECT_EQ(buffer.accumulator(0).pending(), 1);
  const int bad[1] = {2};
  EXPECT_THROW(buffer.AddStep(rows, bad), Error);
  rows.n = 1;
  EXPECT_THROW(buffer.AddStep(rows), Error) << "1 row without env ids for 2 envs";
}

TEST(NStep, RejectsBadSettings) {
  EXPECT_THROW(NStepAccumulator(0, 0.9, 4, 8), Error);
  EXPECT_THROW(NStepAccumulator(3, 1.1, 4, 8), Error);
  ReplayConfig c = NStepConfig(0, 0.9);
  try {
    c.Validate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "replay.n_step must be >= 1, got 0");
  }
}

}  // namespace
}  // namespace bellman
