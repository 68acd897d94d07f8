#include "bellman/replay/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/space.h"

namespace bellman {
namespace {

// Adds n transitions whose obs and action are the transition number (row k holds k while the
// storage has not wrapped).
void Fill(ReplayStorage& s, int first, int n) {
  std::vector<float> obs;
  std::vector<int64_t> action;
  std::vector<double> reward;
  std::vector<uint8_t> done;
  for (int k = first; k < first + n; ++k) {
    obs.push_back(static_cast<float>(k));
    action.push_back(k);
    reward.push_back(k);
    done.push_back(0);
  }
  TransitionRows r;
  r.n = n;
  r.obs = obs.data();
  r.next_obs = obs.data();
  r.action = action.data();
  r.reward = reward.data();
  r.terminated = done.data();
  r.gamma = 0.99;
  s.Add(r);
}

ReplayStorage MakeStorage(int64_t capacity) {
  return ReplayStorage(capacity, Space::Box(-1e9, 1e9, {1}), Space::Discrete(1000000));
}

// Pearson's statistic sum (observed - expected)^2 / expected.
double ChiSquare(const std::vector<int64_t>& counts, const std::vector<double>& probs,
                 int64_t draws) {
  double stat = 0.0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const double expected = probs[i] * static_cast<double>(draws);
    const double d = static_cast<double>(counts[i]) - expected;
    stat += d * d / expected;
  }
  return stat;
}

TEST(UniformSampler, CoversRowsUniformly) {
  // 32 rows, 320,000 draws with replacement. The chi-square statistic with df = 31 stays below
  // its 99.9% quantile, 61.098, for a uniform sampler (seed fixed, so the test is deterministic).
  ReplayStorage s = MakeStorage(32);
  Fill(s, 0, 32);
  UniformSampler sampler(s);
  Rng rng(12345);
  Batch batch;
  std::vector<int64_t> counts(32, 0);
  const int64_t rounds = 10000, n = 32;
  for (int64_t r = 0; r < rounds; ++r) {
    sampler.Sample(n, rng, batch);
    auto obs = batch.obs<float>();
    for (int64_t j = 0; j < n; ++j) {
      const int64_t i = batch.indices()[j];
      ASSERT_GE(i, 0);
      ASSERT_LT(i, 32);
      ASSERT_EQ(obs[j], static_cast<float>(i));
      ++counts[static_cast<size_t>(i)];
    }
  }
  const double stat = ChiSquare(counts, std::vector<double>(32, 1.0 / 32), rounds * n);
  RecordProperty("chi_square", std::to_string(stat));
  EXPECT_LT(stat, 61.098) << "chi-square, df = 31";
}

TEST(UniformSampler, OnlySamplesFilledRowsAndUsesIntegers) {
  ReplayStorage s = MakeStorage(100);
  Fill(s, 0, 5);
  UniformSampler sampler(s);
  Rng rng(9), twin(9);
  Batch batch;
  sampler.Sample(50, rng, batch);
  for (int64_t j = 0; j < 50; ++j) {
    // The draws are exactly rng.Integers(0, size), like numpy's randint in SB3.
    EXPECT_EQ(batch.indices()[j], twin.Integers(0, 5));
  }
  EXPECT_THROW(sampler.Sample(0, rng, batch), Error);
  ReplayStorage empty = MakeStorage(4);
  EXPECT_THROW(UniformSampler(empty).Sample(1, rng, batch), Error);
}

TEST(PrioritizedConfig, ValidateNamesTheField) {
  PrioritizedConfig c;
  c.Validate();
  c.beta0 = 1.5;
  try {
    c.Validate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "per.beta0 must be in [0, 1], got 1.5");
  }
  c = PrioritizedConfig{};
  c.eps = 0.0;
  EXPECT_THROW(c.Validate(), Error);
  c = PrioritizedConfig{};
  c.alpha = -1.0;
  EXPECT_THROW(c.Validate(), Error);
  c = PrioritizedConfig{};
  c.beta_steps = -5;
  EXPECT_THROW(c.Validate(), Error);
}

// Sampling frequencies against P(i) = p_i^alpha / sum_k p_k^alpha.
std::vector<int64_t> CountDraws(PrioritizedSampler& sampler, int64_t rows, int64_t rounds,
                                int64_t n, Rng& rng) {
  std::vector<int64_t> counts(static_cast<size_t>(rows), 0);
  Batch batch;
  for (int64_t r = 0; r < rounds; ++r) {
    sampler.Sample(n, rng, batch);
    for (int64_t j = 0; j < n; ++j) ++counts[static_cast<size_t>(batch.indices()[j])];
  }
  return counts;
}

std::vector<double> Probabilities(const PrioritizedSampler& sampler, int64_t rows) {
  std::vector<double> p;
  for (int64_t i = 0; i < rows; ++i) p.push_back(sampler.priority(i) / sampler.total_priority());
  return p;
}

TEST(PrioritizedSampler, FrequenciesMatchPriorities) {
  // 8 rows with distinct priorities, 200,000 draws. Chi-square with df = 7 must stay below its
  // 99.9% quantile, 24.32, both for single draws (pure proportional sampling) and for
  // stratified batches of 64 (which only reduce the variance).
  ReplayStorage s = MakeStorage(8);
  Fill(s, 0, 8);
  PrioritizedConfig config;
  config.alpha = 0.6;
  PrioritizedSampler sampler(s, config);
  sampler.OnAdd(0, 8);
  const std::vector<int64_t> idx = {0, 1, 2, 3, 4, 5, 6, 7};
  const std::vector<double> td = {0.1, -0.5, 1.0, 2.0, -3.0, 4.0, 6.0, -9.0};
  sampler.UpdatePriorities(idx, td);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_DOUBLE_EQ(sampler.priority(static_cast<int64_t>(i)),
                     std::pow(std::abs(td[i]) + 1e-6, 0.6));
  }
  const std::vector<double> probs = Probabilities(sampler, 8);
  Rng rng(2016);
  const std::vector<int64_t> single = CountDraws(sampler, 8, 200000, 1, rng);
  const double stat_single = ChiSquare(single, probs, 200000);
  RecordProperty("chi_square_single", std::to_string(stat_single));
  EXPECT_LT(stat_single, 24.32) << "chi-square, df = 7, single draws";
  const std::vector<int64_t> strat = CountDraws(sampler, 8, 3125, 64, rng);
  const double stat_strat = ChiSquare(strat, probs, 200000);
  RecordProperty("chi_square_stratified", std::to_string(stat_strat));
  EXPECT_LT(stat_strat, 24.32) << "chi-square, df = 7, batches of 64";

  // A uniform sampler fails the same test: the statistic has power against these priorities.
  std::vector<int64_t> uniform(8, 25000);
  EXPECT_GT(ChiSquare(uniform, probs, 200000), 1000.0);
}

TEST(PrioritizedSampler, PriorityUpdatesChangeFrequencies) {
  ReplayStorage s = MakeStorage(8);
  Fill(s, 0, 8);
  PrioritizedConfig config;
  config.alpha = 1.0;
  PrioritizedSampler sampler(s, config);
  sampler.OnAdd(0, 8);
  // All at the initial max priority 1: uniform.
  Rng rng(5);
  std::vector<int64_t> counts = CountDraws(sampler, 8, 100000, 1, rng);
  EXPECT_LT(ChiSquare(counts, std::vector<double>(8, 0.125), 100000), 24.32);
  // Row 3 gets 7.999999 + eps = 8 while the others stay at 1: P(3) = 8 / 15.
  const std::vector<int64_t> idx = {3};
  const std::vector<float> td = {-7.999999f};
  sampler.UpdatePriorities(idx, td);
  counts = CountDraws(sampler, 8, 100000, 1, rng);
  const std::vector<double> probs = Probabilities(sampler, 8);
  EXPECT_NEAR(probs[3], 8.0 / 15.0, 1e-6);
  EXPECT_LT(ChiSquare(counts, probs, 100000), 24.32);
  EXPECT_NEAR(static_cast<double>(counts[3]) / 100000, 8.0 / 15.0, 0.01);
  // New rows come in at the largest priority so far (8), here overwriting row 0 after a wrap.
  EXPECT_NEAR(sampler.max_priority(), 8.0, 1e-5);
  Fill(s, 8, 1);
  sampler.OnAdd(0, 1);
  EXPECT_EQ(sampler.priority(0), sampler.max_priority());
}

TEST(PrioritizedSampler, ImportanceWeightsMatchHandComputedValues) {
  // alpha = 0.5, eps = 1, td errors 0, 3, 8, 15: p^alpha = sqrt(1, 4, 9, 16) = 1, 2, 3, 4,
  // total 10, N = 4. P(i) = p_i / 10 and w_i = (N P(i))^-beta / max_j w_j = (p_i / p_min)^-beta
  // with p_min = 1.
  ReplayStorage s = MakeStorage(4);
  Fill(s, 0, 4);
  PrioritizedConfig config;
  config.alpha = 0.5;
  config.eps = 1.0;
  config.beta0 = 0.5;
  config.beta_steps = 100;
  PrioritizedSampler sampler(s, config);
  sampler.OnAdd(0, 4);
  const std::vector<int64_t> idx = {0, 1, 2, 3};
  const std::vector<double> td = {0.0, 3.0, -8.0, 15.0};
  sampler.UpdatePriorities(idx, td);
  EXPECT_EQ(sampler.total_priority(), 10.0);
  struct Case {
    int64_t step;
    double expected[4];
  };
  const Case cases[] = {
      {0, {1.0, 1.0 / std::sqrt(2.0), 1.0 / std::sqrt(3.0), 0.5}},                    // beta = 0.5
      {50, {1.0, std::pow(2.0, -0.75), std::pow(3.0, -0.75), std::pow(4.0, -0.75)}},  // 0.75
      {100, {1.0, 0.5, 1.0 / 3.0, 0.25}},                                             // beta = 1
  };
  Rng rng(8);
  Batch batch;
  for (const Case& c : cases) {
    sampler.set_step(c.step);
    std::vector<bool> seen(4, false);
    for (int r = 0; r < 50; ++r) {
      sampler.Sample(4, rng, batch);
      for (int64_t j = 0; j < 4; ++j) {
        const int64_t i = batch.indices()[j];
        seen[static_cast<size_t>(i)] = true;
        EXPECT_FLOAT_EQ(batch.weights()[j], static_cast<float>(c.expected[i]))
            << "row " << i << " at step " << c.step;
      }
    }
    EXPECT_EQ(seen, std::vector<bool>(4, true));
  }
  // Stratified: with 10 equal segments of mass 1, segment j holds row 0 for j = 0, row 1 for
  // j = 1, 2, row 2 for j = 3..5 and row 3 for j = 6..9.
  sampler.Sample(10, rng, batch);
  const std::vector<int64_t> strata = {0, 1, 1, 2, 2, 2, 3, 3, 3, 3};
  EXPECT_EQ(std::vector<int64_t>(batch.indices().begin(), batch.indices().end()), strata);
}

TEST(PrioritizedSampler, BetaAnnealsLinearlyToOne) {
  ReplayStorage s = MakeStorage(4);
  PrioritizedConfig config;
  config.beta0 = 0.4;
  config.beta_steps = 1000;
  PrioritizedSampler sampler(s, config);
  EXPECT_DOUBLE_EQ(sampler.beta(), 0.4);
  sampler.set_step(250);
  EXPECT_DOUBLE_EQ(sampler.beta(), 0.55);
  sampler.set_step(500);
  EXPECT_DOUBLE_EQ(sampler.beta(), 0.7);
  sampler.set_step(1000);
  EXPECT_DOUBLE_EQ(sampler.beta(), 1.0);
  sampler.set_step(5000);
  EXPECT_DOUBLE_EQ(sampler.beta(), 1.0);
  config.beta_steps = 0;  // fixed beta
  PrioritizedSampler fixed(s, config);
  fixed.set_step(100000);
  EXPECT_DOUBLE_EQ(fixed.beta(), 0.4);
}

TEST(PrioritizedSampler, OnlyFilledRowsAreSampled) {
  ReplayStorage s = MakeStorage(100);
  Fill(s, 0, 3);
  PrioritizedSampler sampler(s, PrioritizedConfig{});
  sampler.OnAdd(0, 3);
  Rng rng(1);
  Batch batch;
  for (int r = 0; r < 1000; ++r) {
    sampler.Sample(7, rng, batch);
    for (int64_t i : batch.indices()) ASSERT_LT(i, 3);
  }
}

TEST(PrioritizedSampler, RejectsBadUpdates) {
  ReplayStorage s = MakeStorage(8);
  Fill(s, 0, 4);
  PrioritizedSampler sampler(s, PrioritizedConfig{});
  sampler.OnAdd(0, 4);
  const std::vector<int64_t> idx = {1, 5};
  const std::vector<double> td = {0.5, 0.5};
  try {
    sampler.UpdatePriorities(idx, td);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("index 5 (entry 1) outside [0, 4)"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(sampler.priority(1), 1.0) << "a rejected update changes nothing";
  const std::vector<int64_t> idx2 = {1, 2};
  const std::vector<double> nan = {0.5, std::nan("")};
  EXPECT_THROW(sampler.UpdatePriorities(idx2, nan), Error);
  const std::vector<double> one = {0.5};
  EXPECT_THROW(sampler.UpdatePriorities(idx2, one), Error);
  Rng rng(1);
  Batch batch;
  EXPECT_THROW(sampler.Sample(0, rng, batch), Error);
}

}  // namespace
}  // namespace bellman
