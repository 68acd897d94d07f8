// Ape-X's pieces (src/train/apex.h) on an in-memory store, and the c10d TCPStore behind
// dist::OpenStore: blocks arrive whole and in order with the actor's own TD errors as priorities,
// parameters travel without the actor's exploration state, a silent actor is dropped and comes
// back, a dead store server is StoreUnreachable and a restarted one is reconnected to.
#include "train/apex.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "algos/math_fixture.h"
#include "bellman/algos/algorithm.h"
#include "bellman/algos/value_agent.h"
#include "bellman/dist/store.h"
#include "bellman/envs/registry.h"
#include "bellman/nets/state_dict.h"
#include "bellman/replay/replay_buffer.h"
#include "dist/free_port.h"

namespace bellman::train {
namespace {

class MemoryStore final : public KeyValueStore {
 public:
  void Set(const std::string& key, const std::string& value) override { kv_[key] = value; }
  std::optional<std::string> TryGet(const std::string& key) override {
    const auto it = kv_.find(key);
    if (it == kv_.end()) return std::nullopt;
    return it->second;
  }
  int64_t Add(const std::string& key, int64_t delta) override {
    int64_t v = counters_[key] + delta;
    counters_[key] = v;
    return v;
  }
  void Delete(const std::string& key) override { kv_.erase(key); }
  void Reconnect(double /*timeout_s*/) override {}
  size_t keys() const { return kv_.size(); }

 private:
  std::map<std::string, std::string> kv_;
  std::map<std::string, int64_t> counters_;
};

constexpr const char* kDqn = "{learning_starts: 0, prioritized: true, n_step: 2}";

TEST(Apex, EpsilonsFollowHorganEtAl) {
  EXPECT_DOUBLE_EQ(ApexEpsilon(0, 1), 0.4);
  EXPECT_DOUBLE_EQ(ApexEpsilon(0, 8), 0.4);
  EXPECT_DOUBLE_EQ(ApexEpsilon(7, 8), std::pow(0.4, 8.0));
  EXPECT_DOUBLE_EQ(ApexEpsilon(1, 3), std::pow(0.4, 4.5));
}

TEST(Apex, ParamsTravelWithoutTheActorsExplorationState) {
  auto learner = algos::testing::MakeAlgo("dqn", "CartPole-v1", kDqn);
  const auto& reg = algos::FindAlgo("dqn");
  auto actor = reg.make(reg.resolve(YAML::Load(kDqn)),
                        algos::AlgoContext{.env = MakeEnv("CartPole-v1")->spec(),
                                           .num_envs = 1,
                                           .total_timesteps = 1000,
                                           .net_rng = Rng(7),
                                           .explore_rng = Rng(8)});
  auto& a = dynamic_cast<algos::ValueAgent&>(*actor);
  const RngState explore_before = a.explore_rng().state();
  algos::LoadParams(*actor, algos::SaveParams(*learner));
  nets::StateDict ls, as;
  learner->DeclareState(ls);
  actor->DeclareState(as);
  for (const char* net : {"q_net", "q_target"}) {
    const auto lp = ls.module(net).parameters(), ap = as.module(net).parameters();
    ASSERT_EQ(lp.size(), ap.size());
    for (size_t i = 0; i < lp.size(); ++i) EXPECT_TRUE(torch::equal(lp[i], ap[i])) << net;
  }
  EXPECT_TRUE(a.explore_rng().state() == explore_before);
}

// CartPole steps of one env into an actor; the learner reads the blocks back.
TEST(Apex, BlocksArriveInOrderWithTheActorsPriorities) {
  MemoryStore store;
  auto env = MakeEnv("CartPole-v1");
  const EnvSpec spec = env->spec();
  auto algo = algos::testing::MakeAlgo("dqn", "CartPole-v1", kDqn);
  auto& off = dynamic_cast<algos::OffPolicyAlgorithm&>(*algo);
  off.FixExplorationRate(ApexEpsilon(0, 2));
  ApexLearner learner(store, 1, 60.0, [](const std::string&) {});
  learner.PublishParams(algos::SaveParams(*algo));
  ApexActor actor(store, 0, spec.observation_space, spec.action_space, 1, 2, 0.99,
                  /*block_steps=*/10, 60.0);
  actor.SyncParams(*algo, /*wait=*/true);
  EXPECT_EQ(actor.param_loads(), 1);

  // The same transitions through a 2-step replay buffer of the learner's kind, for reference.
  ReplayConfig rc;
  rc.capacity = 100;
  rc.n_step = 2;
  rc.gamma = 0.99;
  rc.prioritized = true;
  ReplayBuffer reference(rc, spec.observation_space, spec.action_space);
  std::vector<float> obs(4), next(4);
  env->Reset(3, obs.data());
  int64_t steps = 0, episodes = 0, length = 0;
  double ret = 0.0;
  while (actor.blocks_sent() < 3) {
    int64_t a = steps % 2;
    const StepResult res = env->Step(&a, next.data());
    const double r = res.reward;
    const uint8_t term = res.terminated, trunc = res.truncated;
    const TransitionRows rows{.n = 1,
                              .obs = obs.data(),
                              .action = &a,
                              .reward = &r,
                              .next_obs = next.data(),
                              .terminated = &term,
                              .truncated = &trunc};
    reference.AddStep(rows);
    ret += r;
    double done_return = ret;
    int64_t done_length = 0;
    int finished = 0;
    ++steps;
    ++length;
    if (term || trunc) {
      finished = 1;
      done_length = length;
      length = 0;
    }
    actor.Step(rows, &done_return, &done_length, finished, off);
    obs = next;
    if (term || trunc) {
      ++episodes;
      ret = 0.0;
      env->Reset(100 + episodes, obs.data());
    }
  }
  ASSERT_EQ(steps, 30);
  int64_t row = 0, env_steps = 0;
  std::vector<float> expected_td;
  Batch one;
  for (int k = 0; k < 3; ++k) {
    ASSERT_EQ(learner.Poll([&](std::string_view bytes) {
      ApexBlock b = DecodeApexBlock(bytes, 16, 8);
      env_steps += b.env_steps;
      const ReplayStorage& s = reference.storage();
      for (int64_t i = 0; i < b.rows.n; ++i, ++row) {
        ASSERT_LT(row, s.size());
        EXPECT_EQ(std::memcmp(b.obs.data() + i * 16, s.obs_row(row), 16), 0) << row;
        EXPECT_EQ(std::memcmp(b.next_obs.data() + i * 16, s.next_obs_row(row), 16), 0) << row;
        EXPECT_EQ(std::memcmp(b.action.data() + i * 8, s.action_row(row), 8), 0) << row;
        EXPECT_EQ(static_cast<float>(b.reward[static_cast<size_t>(i)]), s.reward(row));
        EXPECT_EQ(static_cast<float>(b.discount[static_cast<size_t>(i)]), s.discount(row));
        EXPECT_EQ(b.terminated[static_cast<size_t>(i)], s.terminated(row));
      }
      // The priorities are the TD errors of these rows under the actor's network.
      ReplayStorage copy(b.rows.n, spec.observation_space, spec.action_space);
      copy.Add(b.rows);
      copy.PrepareBatch(b.rows.n, one);
      for (int64_t i = 0; i < b.rows.n; ++i) one.indices_data()[i] = i;
      copy.Gather(one);
      off.TdErrorsOf(one, expected_td);
      EXPECT_EQ(expected_td, b.td_errors);
    }),
              1);
  }
  EXPECT_EQ(env_steps, 30);
  EXPECT_EQ(row, reference.storage().size());
  EXPECT_EQ(learner.Poll([](std::string_view) { FAIL() << "no fourth block"; }), 0);
  EXPECT_EQ(learner.blocks_read(), 3);
  EXPECT_EQ(store.keys(), 1u);  // the parameters and nothing else: read blocks are deleted
}

TEST(Apex, CorruptBlocksAreNamedErrors) {
  EXPECT_THROW(
      {
        try {
          DecodeApexBlock("garbage", 16, 8);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("Ape-X block"), std::string::npos) << e.what();
          throw;
        }
      },
      Error);
  std::string header(48, '\0');
  const int64_t words[6] = {0x3158504142, 5, 16, 8, 5, 0};
  std::memcpy(header.data(), words, sizeof words);
  try {
    DecodeApexBlock(header, 16, 8);  // rows promised, none there
    FAIL() << "a short block was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ends at byte 48"), std::string::npos) << e.what();
  }
  try {
    DecodeApexBlock(header, 12, 8);
    FAIL() << "a block of another env was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("16 observation"), std::string::npos) << e.what();
  }
}

TEST(Apex, ASilentActorIsDroppedAndComesBack) {
  MemoryStore store;
  std::vector<std::string> lines;
  ApexLearner learner(store, 2, 0.05, [&](const std::string& l) { lines.push_back(l); });
  store.Add("apex/a0/beat", 1);
  store.Add("apex/a1/beat", 1);
  learner.Poll([](std::string_view) {});
  EXPECT_EQ(learner.alive(), 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  store.Add("apex/a0/beat", 1);  // actor 0 lives, actor 1 is silent
  learner.Poll([](std::string_view) {});
  EXPECT_EQ(learner.alive(), 1);
  EXPECT_EQ(learner.drops(), 1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("actor 1 (rank 2) silent"), std::string::npos) << lines[0];
  store.Add("apex/a1/beat", 1);
  learner.Poll([](std::string_view) {});
  EXPECT_EQ(learner.alive(), 2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find("actor 1 (rank 2) is back"), std::string::npos) << lines[1];
}

TEST(Apex, ACountedBlockLostInARestartIsSkipped) {
  // An actor counted block 0 in a restarted learner's store but wrote it into the dead one.
  MemoryStore store;
  std::vector<std::string> lines;
  ApexLearner learner(store, 1, 60.0, [&](const std::string& l) { lines.push_back(l); });
  store.Add("apex/a0/sent", 1);
  store.Set("apex/a0/b1", "x");
  store.Add("apex/a0/sent", 1);
  EXPECT_EQ(learner.Poll([](std::string_view) { FAIL() << "block 0 does not exist"; }), 0);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("block 0 was lost; skipped"), std::string::npos) << lines[0];
  std::string got;
  EXPECT_EQ(learner.Poll([&](std::string_view b) { got = b; }), 1);
  EXPECT_EQ(got, "x");
  EXPECT_EQ(store.Add("apex/a0/read", 0), 2);
}

using bellman::test_util::FreePort;

TEST(ApexStore, AClientReconnectsToARestartedServer) {
  const dist::WorldInfo w{
      .rank = 0, .world_size = 2, .master_addr = "127.0.0.1", .master_port = FreePort()};
  dist::WorldInfo client_world = w;
  client_world.rank = 1;
  auto server = dist::OpenStore(w, /*serve=*/true, 5.0);
  auto client = dist::OpenStore(client_world, /*serve=*/false, 5.0);
  server->Set("k", "v1");
  EXPECT_EQ(client->TryGet("k"), std::optional<std::string>("v1"));
  EXPECT_EQ(client->TryGet("absent"), std::nullopt);
  EXPECT_EQ(client->Add("n", 2), 2);
  EXPECT_EQ(server->Add("n", 0), 2);
  server.reset();  // the learner dies
  EXPECT_THROW(client->Add("n", 1), StoreUnreachable);
  server = dist::OpenStore(w, /*serve=*/true, 5.0);  // and restarts: an empty store
  client->Reconnect(5.0);
  EXPECT_EQ(client->Add("n", 1), 1);
  EXPECT_THROW(server->Reconnect(1.0), Error);
}

}  // namespace
}  // namespace bellman::train
