// Q-Transformer and ARSQ (src/algos/q_transformer.cpp) on hand-made datasets whose optimal
// choices are known exactly:
//   - the autoregressive max backup over action dimensions picks the best joint action where a
//     per-dimension average would not, and ARSQ's soft backup (alpha * logsumexp) at a large
//     temperature picks what the soft values say;
//   - the last dimension bootstraps from the next state (the choice flips with gamma);
//   - the conservative regulariser keeps the only action the data took;
//   - rewards below 0 after reward_scale/reward_bias are a clear error.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bellman/algos/algorithm.h"
#include "bellman/core/error.h"
#include "bellman/io/dataset.h"

namespace bellman::algos {
namespace {

template <class T>
std::span<const std::byte> Bytes(const std::vector<T>& v) {
  return std::as_bytes(std::span<const T>(v));
}

std::unique_ptr<Algorithm> Make(const std::string& algo, const io::Dataset& data,
                                const std::string& config) {
  const AlgoRegistration& reg = FindAlgo(algo);
  EnvSpec env{.id = "Test-v0",
              .observation_space = data.observation_space(),
              .action_space = data.action_space(),
              .max_episode_steps = 10,
              .reward_threshold = std::nullopt};
  return reg.make(reg.resolve(YAML::Load(config)), AlgoContext{.env = env,
                                                               .num_envs = 1,
                                                               .total_timesteps = 1000,
                                                               .net_rng = Rng(1),
                                                               .explore_rng = Rng(2),
                                                               .dataset = &data});
}

void Train(Algorithm& algo, int64_t steps) {
  auto& seq = dynamic_cast<SequenceAlgorithm&>(algo);
  for (int64_t i = 0; i < steps; ++i) seq.UpdateOnSegments();
}

const char* kSmall =
    "{bins: 2, embed_dim: 16, n_layers: 1, encoder: {hidden_sizes: [16]}, lr: 3.0e-3, "
    "batch_size: 32, tau: 0.05, conservative_weight: 0.0, mc_lower_bound: false";

// One-step episodes from obs 0 with a 2-D action in {-1, 1}^2 (bins 2: the bins are the two
// ends): r(-1, -1) = 1, r(-1, +1) = 0, r(+1, .) = 0.7. Exact values: Q_2 = r; Q_1(a1) = max_a2 r
// = 1 for -1, 0.7 for +1 (greedy -1, then -1). Averaging over a2 instead would prefer +1 (0.7
// against 0.5). Soft (alpha 2): Q_1(-1) = 2 log(e^0.5 + e^0) = 1.948, Q_1(+1) = 0.7 + 2 log 2 =
// 2.086, so the greedy first dimension is +1.
io::Dataset TwoDimBandit() {
  io::Dataset d(Space::Box(-1.0, 1.0, {1}), Space::Box(-1.0, 1.0, {2}));
  const std::vector<float> obs = {0.0f, 0.0f};
  for (int rep = 0; rep < 10; ++rep) {
    for (float a1 : {-1.0f, 1.0f}) {
      for (float a2 : {-1.0f, 1.0f}) {
        const std::vector<float> a = {a1, a2};
        const double r = a1 > 0 ? 0.7 : (a2 < 0 ? 1.0 : 0.0);
        d.AddEpisode(Bytes(obs), Bytes(a), std::vector<double>{r}, std::vector<uint8_t>{1},
                     std::vector<uint8_t>{0});
      }
    }
  }
  return d;
}

std::vector<float> Greedy(Algorithm& algo, std::vector<float> obs, int64_t dims) {
  std::vector<float> a(static_cast<size_t>(dims));
  algo.Act(obs.data(), 1, /*explore=*/false, a.data());
  return a;
}

TEST(QTransformer, MaxBackupOverDimensionsPicksTheBestJointAction) {
  const io::Dataset d = TwoDimBandit();
  auto qt = Make("q_transformer", d, std::string(kSmall) + "}");
  Train(*qt, 800);
  EXPECT_EQ(Greedy(*qt, {0.0f}, 2), (std::vector<float>{-1.0f, -1.0f}));
}

TEST(QTransformer, ArsqSoftBackupFollowsTheSoftValues) {
  const io::Dataset d = TwoDimBandit();
  // A small temperature is the max backup again; a large one prefers the first dimension whose
  // second has more (soft) value in total.
  auto cold = Make("arsq", d, std::string(kSmall) + ", alpha: 0.01}");
  Train(*cold, 800);
  EXPECT_EQ(Greedy(*cold, {0.0f}, 2), (std::vector<float>{-1.0f, -1.0f}));
  auto hot = Make("arsq", d, std::string(kSmall) + ", alpha: 2.0}");
  Train(*hot, 800);
  const std::vector<float> a = Greedy(*hot, {0.0f}, 2);
  EXPECT_EQ(a[0], 1.0f);
  // Exploring samples dimension by dimension from softmax(Q / alpha): at alpha 2 both first
  // bins come up (p(+1) = e^(2.086/2) / (e^(1.948/2) + e^(2.086/2)) = 0.517).
  std::vector<float> obs(200, 0.0f), acts(400);
  hot->Act(obs.data(), 200, /*explore=*/true, acts.data());
  int plus = 0;
  for (int i = 0; i < 200; ++i) plus += acts[static_cast<size_t>(2 * i)] > 0 ? 1 : 0;
  EXPECT_GT(plus, 70);
  EXPECT_LT(plus, 135);
}

// Action quantisation: the bandit's actions take 4 values, so a k-means codebook of 4 codes is
// exactly those 4 actions; Q-learning on the codes plays the best one, (-1, -1).
TEST(QTransformer, ActionCodesRecoverTheDatasetsActionsAndPlayTheBest) {
  const io::Dataset d = TwoDimBandit();
  auto qt = Make("q_transformer", d, std::string(kSmall) + ", action_codes: 4}");
  Train(*qt, 400);
  EXPECT_EQ(Greedy(*qt, {0.0f}, 2), (std::vector<float>{-1.0f, -1.0f}));
  // Every code is one of the four actions (k-means++ never seeds a duplicate).
  std::vector<float> obs(100, 0.0f), acts(200);
  auto soft = Make("arsq", d, std::string(kSmall) + ", action_codes: 4, alpha: 10.0}");
  soft->Act(obs.data(), 100, /*explore=*/true, acts.data());
  for (float a : acts) EXPECT_TRUE(a == -1.0f || a == 1.0f) << a;
  io::Dataset discrete(Space::Box(-1.0, 1.0, {1}), Space::Discrete(2));
  discrete.AddEpisode(Bytes(std::vector<float>{0.0f, 0.0f}), Bytes(std::vector<int64_t>{1}),
                      std::vector<double>{1.0}, std::vector<uint8_t>{1}, std::vector<uint8_t>{0});
  EXPECT_THROW(Make("q_transformer", discrete, "{action_codes: 4}"), Error);
  EXPECT_THROW(Make("q_transformer", d, "{action_codes: 1}"), Error);
}

// A two-state chain with Discrete(2) actions: s0 --0--> r 0.5, end; s0 --1--> r 0, s1;
// s1 --1--> r 1, end; s1 --0--> r 0, end. Q(s0, 1) = gamma * 1: above 0.5 for gamma 0.9, below
// for gamma 0.3.
io::Dataset Chain() {
  io::Dataset d(Space::Box(-1.0, 1.0, {1}), Space::Discrete(2));
  for (int rep = 0; rep < 10; ++rep) {
    d.AddEpisode(Bytes(std::vector<float>{0.0f, 0.0f}), Bytes(std::vector<int64_t>{0}),
                 std::vector<double>{0.5}, std::vector<uint8_t>{1}, std::vector<uint8_t>{0});
    for (int64_t last : {0, 1}) {
      d.AddEpisode(Bytes(std::vector<float>{0.0f, 1.0f, 1.0f}),
                   Bytes(std::vector<int64_t>{1, last}), std::vector<double>{0.0, 1.0 * last},
                   std::vector<uint8_t>{0, 1}, std::vector<uint8_t>{0, 0});
    }
  }
  return d;
}

int64_t GreedyDiscrete(Algorithm& algo, float obs) {
  int64_t a = -1;
  algo.Act(&obs, 1, false, &a);
  return a;
}

TEST(QTransformer, TheLastDimensionBootstrapsFromTheNextState) {
  const io::Dataset d = Chain();
  auto far = Make("q_transformer", d, std::string(kSmall) + ", gamma: 0.9}");
  Train(*far, 800);
  EXPECT_EQ(GreedyDiscrete(*far, 0.0f), 1);
  EXPECT_EQ(GreedyDiscrete(*far, 1.0f), 1);
  auto near = Make("q_transformer", d, std::string(kSmall) + ", gamma: 0.3}");
  Train(*near, 800);
  EXPECT_EQ(GreedyDiscrete(*near, 0.0f), 0);
  EXPECT_EQ(GreedyDiscrete(*near, 1.0f), 1);
}

TEST(QTransformer, TheRegulariserKeepsTheDatasetsOnlyAction) {
  // Discrete(5), the data only ever takes action 3 (reward 0.1): the other bins are pushed to 0
  // and the taken one to 0.1 + ..., so the greedy action is 3.
  io::Dataset d(Space::Box(-1.0, 1.0, {1}), Space::Discrete(5));
  for (int rep = 0; rep < 20; ++rep) {
    d.AddEpisode(Bytes(std::vector<float>{0.0f, 0.0f}), Bytes(std::vector<int64_t>{3}),
                 std::vector<double>{0.1}, std::vector<uint8_t>{1}, std::vector<uint8_t>{0});
  }
  auto qt = Make(
      "q_transformer", d,
      "{embed_dim: 16, n_layers: 1, encoder: {hidden_sizes: [16]}, lr: 3.0e-3, batch_size: 16, "
      "conservative_weight: 1.0}");
  Train(*qt, 300);
  EXPECT_EQ(GreedyDiscrete(*qt, 0.0f), 3);
}

TEST(QTransformer, NegativeRewardsAreAClearError) {
  io::Dataset d(Space::Box(-1.0, 1.0, {1}), Space::Discrete(2));
  d.AddEpisode(Bytes(std::vector<float>{0.0f, 0.0f}), Bytes(std::vector<int64_t>{1}),
               std::vector<double>{-2.0}, std::vector<uint8_t>{1}, std::vector<uint8_t>{0});
  try {
    Make("q_transformer", d, "{}");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("reward -2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("q_transformer.reward_bias"), std::string::npos)
        << e.what();
  }
  // With the bias the same data trains.
  EXPECT_NO_THROW(Make("q_transformer", d, "{reward_bias: 2.0}"));
  EXPECT_THROW(Make("q_transformer", d, "{backup: hard}"), Error);
  EXPECT_THROW(Make("q_transformer", d, "{bins: 1}"), Error);
}

}  // namespace
}  // namespace bellman::algos
