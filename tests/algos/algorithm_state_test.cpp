// Every registered algorithm: its declared state round-trips exactly (what a resume relies on),
// and the registry (built from the files' BELLMAN_REGISTER_ALGORITHMS lines) matches configs/.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "bellman/algos/algorithm.h"
#include "bellman/core/config.h"
#include "bellman/core/error.h"
#include "bellman/envs/registry.h"
#include "bellman/nets/state_dict.h"

namespace bellman::algos {
namespace {

namespace fs = std::filesystem;

// The algorithm on CartPole-v1 (discrete actions) or, if it takes only Box actions, Pendulum-v1.
std::unique_ptr<Algorithm> Make(const AlgoRegistration& reg, uint64_t seed, std::string* env_id) {
  YAML::Node config(YAML::NodeType::Map);
  if (reg.name == "dt") config["target_return"] = -200.0;  // dt's one key without a default
  const YAML::Node resolved = reg.resolve(config);
  for (const std::string id : {"CartPole-v1", "Pendulum-v1"}) {
    try {
      const EnvSpec spec = MakeEnv(id)->spec();
      // Dataset statistics too, for the offline algorithms that normalise states (td3_bc).
      const auto dim = static_cast<size_t>(spec.observation_space.flat_size());
      auto algo = reg.make(resolved, AlgoContext{.env = spec,
                                                 .num_envs = 2,
                                                 .total_timesteps = 10'000,
                                                 .net_rng = Rng(seed),
                                                 .explore_rng = Rng(seed + 100),
                                                 .dataset_obs_mean = std::vector<double>(dim, 0.5),
                                                 .dataset_obs_std = std::vector<double>(dim, 2.0)});
      if (env_id) *env_id = id;
      return algo;
    } catch (const Error&) {
      // The algorithm does not take this env's spaces: try the next one.
    }
  }
  ADD_FAILURE() << reg.name << " takes neither CartPole-v1 nor Pendulum-v1";
  return nullptr;
}

TEST(AlgorithmState, EveryAlgorithmRoundTripsExactly) {
  ASSERT_GE(AlgoRegistry().size(), 14u);
  for (const AlgoRegistration& reg : AlgoRegistry()) {
    SCOPED_TRACE(reg.name);
    std::string env_id;
    auto a = Make(reg, 1, &env_id);
    auto b = Make(reg, 2, nullptr);
    ASSERT_TRUE(a && b);
    nets::StateDict state_a, state_b;
    a->DeclareState(state_a);
    b->DeclareState(state_b);
    ASSERT_EQ(state_a.names(), state_b.names());
    // Every module of the two instances, as one vector (parameters and buffers, in order).
    auto modules = [](const nets::StateDict& s) {
      std::vector<torch::Tensor> all;
      for (const std::string& name : s.names()) {
        torch::nn::Module* m = nullptr;
        try {
          m = &s.module(name);
        } catch (const Error&) {
          continue;  // not a module
        }
        for (const auto& p : m->parameters())
          all.push_back(p.detach().flatten().to(torch::kFloat64));
        for (const auto& p : m->buffers()) all.push_back(p.detach().flatten().to(torch::kFloat64));
      }
      return torch::cat(all);
    };
    ASSERT_FALSE(torch::equal(modules(state_a), modules(state_b)))
        << "two seeds gave the same networks: the test would not see a lost entry";
    LoadState(*b, SaveState(*a));
    EXPECT_TRUE(torch::equal(modules(state_a), modules(state_b)));
    // The loaded copy acts as the original, greedily and exploring (same generators).
    const auto spec = MakeEnv(env_id)->spec();
    std::vector<float> obs(2 * static_cast<size_t>(spec.observation_space.flat_size()), 0.03f);
    const size_t action_bytes = 2 * spec.action_space.byte_size();
    for (bool explore : {false, true}) {
      std::vector<std::byte> act_a(action_bytes), act_b(action_bytes);
      a->Act(obs.data(), 2, explore, act_a.data());
      b->Act(obs.data(), 2, explore, act_b.data());
      EXPECT_EQ(act_a, act_b) << "explore " << explore;
    }
  }
}

TEST(AlgorithmState, StateOfAnotherAlgorithmNamesTheEntry) {
  std::string env_id;
  auto dqn = Make(FindAlgo("dqn"), 1, &env_id);
  auto td3 = Make(FindAlgo("td3"), 1, &env_id);
  ASSERT_TRUE(dqn && td3);
  try {
    LoadState(*dqn, SaveState(*td3));
    FAIL() << "a TD3 state loaded into DQN";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "q_net: missing");
  }
}

TEST(AlgorithmRegistry, MatchesThePresetFolders) {
  std::set<std::string> registered, presets;
  for (const auto& reg : AlgoRegistry()) registered.insert(reg.name);
  for (const auto& e : fs::directory_iterator(fs::path(BELLMAN_SOURCE_DIR) / "configs")) {
    if (e.is_directory()) presets.insert(e.path().filename().string());
  }
  EXPECT_EQ(registered, presets);
  EXPECT_EQ(registered.count("dqn"), 1u);
  EXPECT_EQ(registered.count("rainbow"), 1u);  // a second registration in c51.cpp
}

// Every preset is a YAML map whose algorithm section (if any) the registry resolves: no broken
// file, unknown key or invalid value ships.
TEST(AlgorithmRegistry, EveryPresetLoadsAndResolves) {
  int files = 0;
  for (const auto& dir : fs::directory_iterator(fs::path(BELLMAN_SOURCE_DIR) / "configs")) {
    if (!dir.is_directory()) continue;
    const std::string algo = dir.path().filename().string();
    for (const auto& f : fs::directory_iterator(dir.path())) {
      SCOPED_TRACE(f.path().string());
      const YAML::Node root = LoadYamlFile(f.path().string());
      ASSERT_TRUE(root.IsMap());
      if (root[algo]) {
        EXPECT_NO_THROW(FindAlgo(algo).resolve(root[algo]));
      }
      ++files;
    }
  }
  EXPECT_GT(files, 50);
}

}  // namespace
}  // namespace bellman::algos
