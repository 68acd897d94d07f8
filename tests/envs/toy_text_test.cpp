// Toy-text envs against Gymnasium 1.4: random maps, trajectories (obs, reward, terminated,
// truncated, ansi renders) and full transition tables recorded by tests/data/gen_toy_text.py.
#include "bellman/envs/toy_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/envs/registry.h"

namespace bellman {

// Readable gtest failure messages for transitions (internal linkage: no clash with other tests).
[[maybe_unused]] static void PrintTo(const Transition& t, std::ostream* os) {
  *os << "(" << t.prob << ", " << t.next_state << ", " << t.reward << ", "
      << (t.terminated ? "True" : "False") << ")";
}

namespace {

using json = nlohmann::json;

const json& Ref() {
  static const json ref = [] {
    std::ifstream in(std::string(BELLMAN_TEST_DATA_DIR) + "/toy_text_ref.json");
    EXPECT_TRUE(in.good()) << "missing tests/data/toy_text_ref.json";
    return json::parse(in);
  }();
  return ref;
}

const json& PRef() {
  static const json ref = [] {
    std::ifstream in(std::string(BELLMAN_TEST_DATA_DIR) + "/toy_text_p.json");
    EXPECT_TRUE(in.good()) << "missing tests/data/toy_text_p.json";
    return json::parse(in);
  }();
  return ref;
}

EnvArgs ToArgs(const json& kwargs) {
  EnvArgs args;
  for (const auto& [key, v] : kwargs.items()) {
    if (v.is_null()) {
      args[key] = std::monostate{};
    } else if (v.is_boolean()) {
      args[key] = v.get<bool>();
    } else if (v.is_number_integer()) {
      args[key] = v.get<int64_t>();
    } else if (v.is_number_float()) {
      args[key] = v.get<double>();
    } else if (v.is_string()) {
      args[key] = v.get<std::string>();
    } else {
      args[key] = v.get<std::vector<std::string>>();
    }
  }
  return args;
}

// Observations as int64 vectors (one value for Discrete, three for Blackjack).
std::vector<int64_t> ObsOf(const json& j) {
  if (j.is_array()) return j.get<std::vector<int64_t>>();
  return {j.get<int64_t>()};
}

std::string Describe(const json& traj) {
  return traj["id"].get<std::string>() + " " + traj["kwargs"].dump() +
         " seed=" + std::to_string(traj["seed"].get<int64_t>());
}

TEST(ToyText, RegisteredIdsAndSpecs) {
  struct Expect {
    const char* id;
    int64_t max_steps;
    int64_t n_obs;
    int64_t n_act;
    bool tabular;
    const char* alias_of;
  };
  for (const Expect& e : {
           Expect{"FrozenLake-v1", 100, 16, 4, true, ""},
           Expect{"FrozenLake8x8-v1", 200, 64, 4, true, ""},
           Expect{"CliffWalking-v1", 0, 48, 4, true, ""},
           Expect{"CliffWalking-v0", 0, 48, 4, true, "CliffWalking-v1"},
           Expect{"CliffWalkingSlippery-v1", 0, 48, 4, true, ""},
           Expect{"Taxi-v4", 200, 500, 6, true, ""},
           Expect{"Taxi-v3", 200, 500, 6, true, "Taxi-v4"},
           Expect{"Blackjack-v1", 0, 0, 2, false, ""},
       }) {
    SCOPED_TRACE(e.id);
    const EnvRegistration* r = FindEnv(e.id);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->alias_of, e.alias_of);
    auto env = MakeEnv(e.id);
    EXPECT_EQ(env->spec().id, e.id);
    EXPECT_EQ(env->spec().max_episode_steps, e.max_steps);
    EXPECT_EQ(env->action_space().ToString(), "Discrete(" + std::to_string(e.n_act) + ")");
    EXPECT_EQ(env->has_transition_model(), e.tabular);
    if (e.tabular) {
      EXPECT_EQ(env->observation_space().kind(), Space::Kind::kDiscrete);
      EXPECT_EQ(env->observation_space().n(), e.n_obs);
      EXPECT_EQ(static_cast<int64_t>(env->P().size()), e.n_obs);
    } else {
      EXPECT_THROW(env->P(), Error);
    }
  }
  auto bj = MakeEnv("Blackjack-v1");
  const Space& obs = bj->observation_space();
  ASSERT_EQ(obs.kind(), Space::Kind::kTuple);
  EXPECT_EQ(obs.flat_size(), 3);
  EXPECT_EQ(obs.spaces()[0].n(), 32);
  EXPECT_EQ(obs.spaces()[1].n(), 11);
  EXPECT_EQ(obs.spaces()[2].n(), 2);
  EXPECT_EQ(MakeEnv("FrozenLake-v1")->spec().reward_threshold, 0.70);
  EXPECT_EQ(MakeEnv("FrozenLake8x8-v1")->spec().reward_threshold, 0.85);
  EXPECT_EQ(MakeEnv("Taxi-v4")->spec().reward_threshold, 8.0);
}

TEST(ToyText, GenerateRandomMapMatchesGymnasium) {
  const json& maps = Ref()["random_maps"];
  ASSERT_GE(maps.size(), 5u);
  for (const json& m : maps) {
    const int64_t size = m["size"];
    const double p = m["p"];
    const uint64_t seed = m["seed"];
    SCOPED_TRACE(m.dump());
    std::vector<std::string> board = GenerateRandomMap(size, p, seed);
    EXPECT_EQ(board, m["map"].get<std::vector<std::string>>());
    EXPECT_TRUE(IsValidFrozenLakeMap(board, size));
  }
  // Unseeded maps are valid 8x8 maps too.
  std::vector<std::string> board = GenerateRandomMap();
  ASSERT_EQ(board.size(), 8u);
  EXPECT_EQ(board[0][0], 'S');
  EXPECT_EQ(board[7][7], 'G');
  EXPECT_TRUE(IsValidFrozenLakeMap(board, 8));
  EXPECT_FALSE(IsValidFrozenLakeMap({"SH", "HG"}, 2));
  EXPECT_THROW(GenerateRandomMap(1, 0.8, 0), Error);
  EXPECT_THROW(GenerateRandomMap(4, 0.0, 0), Error);
  EXPECT_THROW(GenerateRandomMap(4, -0.5, 0), Error);
}

// Replays every recorded trajectory: reset(seed), the recorded actions, reset() (no seed) after
// each terminated/truncated step. Before each step it also checks that a Clone() and a fresh env
// given GetState() (+ the generator and the step counter) produce the same step.
TEST(ToyText, TrajectoriesMatchGymnasium) {
  const json& trajs = Ref()["trajectories"];
  ASSERT_GE(trajs.size(), 50u);
  int64_t n_steps = 0, n_terminated = 0, n_truncated = 0, n_renders = 0;
  for (const json& traj : trajs) {
    SCOPED_TRACE(Describe(traj));
    const std::string id = traj["id"];
    const EnvArgs args = ToArgs(traj["kwargs"]);
    auto env = MakeEnv(id, args);
    auto fresh = MakeEnv(id, args);
    const size_t obs_size = static_cast<size_t>(env->observation_space().flat_size());
    std::vector<int64_t> obs(obs_size), obs2(obs_size), obs3(obs_size);
    env->Reset(traj["seed"].get<uint64_t>(), obs.data());
    ASSERT_EQ(obs, ObsOf(traj["reset_obs"]));
    const json* renders = traj.contains("renders") ? &traj["renders"] : nullptr;
    if (renders) {
      EXPECT_EQ(env->Render(), (*renders)[0].get<std::string>());
      ++n_renders;
    }
    size_t k = 0;
    for (const json& step : traj["steps"]) {
      SCOPED_TRACE("step " + std::to_string(k));
      const int64_t a = step[0];

      std::unique_ptr<Env> clone = env->Clone();
      fresh->SetState(env->GetState());
      fresh->set_np_random(env->np_random());
      fresh->set_elapsed_steps(env->elapsed_steps());
      ASSERT_EQ(fresh->GetState(), env->GetState());
      ASSERT_EQ(fresh->Render(), env->Render());

      StepResult r = env->Step(&a, obs.data());
      StepResult rc = clone->Step(&a, obs2.data());
      StepResult rf = fresh->Step(&a, obs3.data());
      ASSERT_EQ(obs, ObsOf(step[1]));
      ASSERT_EQ(r.reward, step[2].get<double>());
      ASSERT_EQ(r.terminated, step[3].get<int>() == 1);
      ASSERT_EQ(r.truncated, step[4].get<int>() == 1);
      for (const auto& [o, rr] : {std::pair{&obs2, &rc}, std::pair{&obs3, &rf}}) {
        ASSERT_EQ(*o, obs);
        ASSERT_EQ(rr->reward, r.reward);
        ASSERT_EQ(rr->terminated, r.terminated);
        ASSERT_EQ(rr->truncated, r.truncated);
      }
      ++k;
      ++n_steps;
      n_terminated += r.terminated;
      n_truncated += r.truncated;
      if (renders && k < renders->size()) {
        EXPECT_EQ(env->Render(), (*renders)[k].get<std::string>());
        ++n_renders;
      }
      if (r.terminated || r.truncated) {
        ASSERT_EQ(step.size(), 6u);
        EXPECT_THROW(env->Step(&a, obs.data()), Error);  // no step after the end
        env->Reset(std::nullopt, obs.data());
        ASSERT_EQ(obs, ObsOf(step[5]));
      } else {
        ASSERT_EQ(step.size(), 5u);
      }
    }
  }
  // The data exercises all outcomes.
  EXPECT_GT(n_steps, 10000);
  EXPECT_GT(n_terminated, 500);
  EXPECT_GT(n_truncated, 20);
  EXPECT_GT(n_renders, 100);
}

TEST(ToyText, TransitionModelsMatchGymnasium) {
  const json& tables = PRef()["tables"];
  const TransitionModel* rainy = nullptr;
  std::unique_ptr<Env> rainy_env;
  for (const json& t : tables) {
    SCOPED_TRACE(t["id"].get<std::string>() + " " + t["kwargs"].dump());
    auto env = MakeEnv(t["id"], ToArgs(t["kwargs"]));
    ASSERT_TRUE(env->has_transition_model());
    const TransitionModel& P = env->P();
    const int64_t nS = t["n_states"], nA = t["n_actions"];
    ASSERT_EQ(static_cast<int64_t>(P.size()), nS);
    std::vector<double> probs;
    for (const json& h : t["probs"])
      probs.push_back(std::strtod(h.get<std::string>().c_str(), nullptr));

    // Every (s, a) is a distribution: probabilities in [0, 1] summing to 1 (up to rounding, as
    // in Gymnasium: 1/3 + 1/3 + 1/3 computed in floats).
    std::vector<double> seen;  // distinct probabilities in order of first appearance
    for (int64_t s = 0; s < nS; ++s) {
      ASSERT_EQ(static_cast<int64_t>(P[s].size()), nA);
      for (int64_t a = 0; a < nA; ++a) {
        double sum = 0.0;
        for (const Transition& tr : P[s][a]) {
          EXPECT_GE(tr.prob, 0.0);
          sum += tr.prob;
          if (std::find(seen.begin(), seen.end(), tr.prob) == seen.end()) seen.push_back(tr.prob);
          EXPECT_GE(tr.next_state, 0);
          EXPECT_LT(tr.next_state, nS);
        }
        EXPECT_NEAR(sum, 1.0, 1e-12) << "s=" << s << " a=" << a;
      }
    }
    EXPECT_EQ(seen, probs);  // bit-exact probabilities, in Gymnasium's order

    if (!t.contains("entries")) {
      // Taxi rainy with another rainy_probability: the same outcomes as the default rainy
      // table, only the probabilities differ.
      ASSERT_NE(rainy, nullptr);
      for (int64_t s = 0; s < nS; ++s) {
        for (int64_t a = 0; a < nA; ++a) {
          ASSERT_EQ(P[s][a].size(), (*rainy)[s][a].size());
          for (size_t i = 0; i < P[s][a].size(); ++i) {
            EXPECT_EQ(P[s][a][i].next_state, (*rainy)[s][a][i].next_state);
            EXPECT_EQ(P[s][a][i].reward, (*rainy)[s][a][i].reward);
            EXPECT_EQ(P[s][a][i].terminated, (*rainy)[s][a][i].terminated);
          }
        }
      }
      continue;
    }
    const json& counts = t["counts"];
    const json& entries = t["entries"];
    size_t e = 0;
    for (int64_t s = 0; s < nS; ++s) {
      for (int64_t a = 0; a < nA; ++a) {
        const std::vector<Transition>& li = P[s][a];
        ASSERT_EQ(li.size(), counts[s * nA + a].get<size_t>()) << "s=" << s << " a=" << a;
        for (const Transition& tr : li) {
          Transition want{probs[entries[e].get<size_t>()], entries[e + 1].get<int64_t>(),
                          entries[e + 2].get<double>(), entries[e + 3].get<int>() == 1};
          ASSERT_EQ(tr, want) << "s=" << s << " a=" << a;
          e += 4;
        }
      }
    }
    EXPECT_EQ(e, entries.size());
    if (t["id"] == "Taxi-v4" && t["kwargs"].contains("is_rainy") &&
        !t["kwargs"].contains("rainy_probability")) {
      rainy_env = std::move(env);
      rainy = &rainy_env->P();
    }
  }
}

TEST(ToyText, AliasesBehaveLikeTheirTarget) {
  for (const auto& [alias, target] :
       {std::pair{"Taxi-v3", "Taxi-v4"}, std::pair{"CliffWalking-v0", "CliffWalking-v1"}}) {
    auto a = MakeEnv(alias), b = MakeEnv(target);
    EXPECT_EQ(a->P(), b->P());
    int64_t oa = 0, ob = 0;
    a->Reset(5, &oa);
    b->Reset(5, &ob);
    EXPECT_EQ(oa, ob);
    for (int64_t i = 0; i < 50 && !a->needs_reset(); ++i) {
      int64_t act = i % a->action_space().n();
      StepResult ra = a->Step(&act, &oa), rb = b->Step(&act, &ob);
      EXPECT_EQ(oa, ob);
      EXPECT_EQ(ra.reward, rb.reward);
    }
  }
}

TEST(ToyText, FrozenLakeRandomMapWhenMapNameIsNone) {
  auto env = MakeEnv("FrozenLake-v1", {{"map_name", std::monostate{}}});
  ASSERT_EQ(env->observation_space().n(), 64);
  const TransitionModel& P = env->P();
  // The map is drawn from entropy (Gymnasium's generate_random_map without a seed), so only
  // what holds for every map is checked: the goal at 63 and the start at 0 are fixed, a hole or
  // the goal is absorbing (1 entry), every other cell is slippery (3 entries).
  for (int64_t a = 0; a < 4; ++a) {
    EXPECT_EQ(P[63][a], (std::vector<Transition>{{1.0, 63, 0.0, true}}));  // the goal
    EXPECT_EQ(P[0][a].size(), 3u);                                         // the start
  }
  for (int64_t s = 0; s < 64; ++s) {
    for (int64_t a = 0; a < 4; ++a) {
      const size_t n = P[s][a].size();
      EXPECT_TRUE(n == 1 || n == 3) << "state " << s << " action " << a << ": " << n;
      if (n == 1) {
        EXPECT_TRUE(P[s][a][0].terminated && P[s][a][0].next_state == s) << "state " << s;
      }
    }
  }
  int64_t obs = -1;
  env->Reset(0, &obs);
  EXPECT_EQ(obs, 0);
  // desc=None is the default.
  EXPECT_EQ(MakeEnv("FrozenLake-v1", {{"desc", std::monostate{}}})->P(),
            MakeEnv("FrozenLake-v1")->P());
  // desc wins over map_name, as in Gymnasium.
  auto custom = MakeEnv("FrozenLake8x8-v1", {{"desc", std::vector<std::string>{"SG"}}});
  EXPECT_EQ(custom->observation_space().n(), 2);
  EXPECT_EQ(custom->spec().max_episode_steps, 200);
}

TEST(ToyText, FrozenLakeStartDistributionAndRewardSchedule) {
  // Two start tiles: reset picks one uniformly (1/2 each), with one random() per reset.
  auto env = MakeEnv("FrozenLake-v1", {{"desc", std::vector<std::string>{"SFS", "FHG"}}});
  int counts[6] = {};
  int64_t obs = 0;
  env->Reset(0, &obs);
  for (int i = 0; i < 400; ++i) {
    env->Reset(std::nullopt, &obs);
    ++counts[obs];
  }
  EXPECT_EQ(counts[0] + counts[2], 400);
  EXPECT_GT(counts[0], 150);
  EXPECT_GT(counts[2], 150);

  FrozenLakeConfig config;
  config.is_slippery = false;
  config.reward_schedule = {10.0, -5.0, -0.5};
  auto custom = MakeFrozenLake(config);
  const TransitionModel& P = custom->P();
  EXPECT_EQ(P[0][2], (std::vector<Transition>{{1.0, 1, -0.5, false}}));   // to F
  EXPECT_EQ(P[1][1], (std::vector<Transition>{{1.0, 5, -5.0, true}}));    // into H
  EXPECT_EQ(P[14][2], (std::vector<Transition>{{1.0, 15, 10.0, true}}));  // onto G
  EXPECT_EQ(P[4][3], (std::vector<Transition>{{1.0, 0, -0.5, false}}));   // back onto S
  EXPECT_EQ(P[5][0], (std::vector<Transition>{{1.0, 5, 0.0, true}}));     // a hole: literal 0
  EXPECT_EQ(custom->spec().max_episode_steps, 100);
}

TEST(ToyText, BadKwargsAreErrors) {
  auto message = [](const std::string& id, const EnvArgs& args) -> std::string {
    try {
      MakeEnv(id, args);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  using Strings = std::vector<std::string>;
  std::string m = message("FrozenLake-v1", {{"map_name", std::string("5x5")}});
  EXPECT_NE(m.find("'5x5'"), std::string::npos) << m;
  EXPECT_NE(m.find("4x4, 8x8"), std::string::npos) << m;
  m = message("FrozenLake-v1", {{"desc", Strings{"SFF", "FG"}}});
  EXPECT_NE(m.find("same length"), std::string::npos) << m;
  m = message("FrozenLake-v1", {{"desc", Strings{"SFX", "FFG"}}});
  EXPECT_NE(m.find("'X'"), std::string::npos) << m;
  m = message("FrozenLake-v1", {{"desc", Strings{"FFF", "FFG"}}});
  EXPECT_NE(m.find("'S'"), std::string::npos) << m;
  m = message("FrozenLake-v1", {{"desc", Strings{}}});
  EXPECT_NE(m.find("non-empty"), std::string::npos) << m;
  m = message("FrozenLake-v1", {{"success_rate", 1.5}});
  EXPECT_NE(m.find("success_rate"), std::string::npos) << m;
  EXPECT_NE(m.find("1.5"), std::string::npos) << m;
  m = message("FrozenLake-v1", {{"is_slipery", true}});
  EXPECT_NE(m.find("is_slippery"), std::string::npos) << m;
  m = message("FrozenLake-v1", {{"reward_schedule", Strings{"1", "0", "0"}}});
  EXPECT_NE(m.find("unknown argument 'reward_schedule'"), std::string::npos) << m;
  m = message("Taxi-v4", {{"rainy_probability", -0.1}});
  EXPECT_NE(m.find("rainy_probability"), std::string::npos) << m;
  m = message("Taxi-v4", {{"fickle_probability", 2.0}});
  EXPECT_NE(m.find("fickle_probability"), std::string::npos) << m;
  m = message("Taxi-v4", {{"is_rainy", int64_t{1}}});
  EXPECT_NE(m.find("must be a bool"), std::string::npos) << m;
  m = message("CliffWalking-v1", {{"slippery", true}});
  EXPECT_NE(m.find("is_slippery"), std::string::npos) << m;
  m = message("Blackjack-v1", {{"naturals", true}});
  EXPECT_NE(m.find("natural"), std::string::npos) << m;
}

TEST(ToyText, ProtocolErrorsComeFromTheBase) {
  auto env = MakeEnv("Taxi-v4");
  int64_t obs = 0, a = 0;
  EXPECT_THROW(env->Step(&a, &obs), Error);  // before reset
  env->Reset(0, &obs);
  a = 6;
  EXPECT_THROW(env->Step(&a, &obs), Error);
  a = -1;
  EXPECT_THROW(env->Step(&a, &obs), Error);
  auto bj = MakeEnv("Blackjack-v1");
  int64_t o3[3];
  a = 2;
  bj->Reset(0, o3);
  EXPECT_THROW(bj->Step(&a, o3), Error);
}

TEST(ToyText, SetStateChecksAndGoesLive) {
  auto fl = MakeEnv("FrozenLake-v1");
  int64_t obs = 0, a = 2;
  EXPECT_THROW(fl->SetState(std::vector<double>{16.0}), Error);
  EXPECT_THROW(fl->SetState(std::vector<double>{1.5}), Error);
  EXPECT_THROW(fl->SetState(std::vector<double>{1.0, 4.0}), Error);
  EXPECT_THROW(fl->SetState(std::vector<double>{}), Error);
  fl->SetState(std::vector<double>{14.0});  // next to the goal; no reset needed
  EXPECT_EQ(fl->GetState(), (std::vector<double>{14.0, -1.0}));
  fl->set_np_random(Rng(0));
  StepResult r = fl->Step(&a, &obs);
  EXPECT_GE(obs, 10);
  (void)r;

  auto taxi = MakeEnv("Taxi-v4", {{"fickle_passenger", true}});
  taxi->SetState(std::vector<double>{328.0, 4.0, 1.0});
  EXPECT_EQ(taxi->GetState(), (std::vector<double>{328.0, 4.0, 1.0}));
  EXPECT_THROW(taxi->SetState(std::vector<double>{328.0, 4.0, 2.0}), Error);
  EXPECT_THROW(taxi->SetState(std::vector<double>{500.0}), Error);

  auto bj = MakeEnv("Blackjack-v1");
  // Player 1 + 10 (a natural), dealer 10 + 7, dealer shows the queen of hearts.
  bj->SetState(std::vector<double>{2, 1, 10, 2, 10, 7, 2, 1});
  EXPECT_EQ(bj->GetState(), (std::vector<double>{2, 1, 10, 2, 10, 7, 2, 1}));
  EXPECT_EQ(bj->Render(), "Dealer: QH (10)\nPlayer: A 10 = 21 (usable ace)\n");
  bj->set_np_random(Rng(0));
  int64_t o3[3];
  a = 0;  // stick: the dealer stands on 17; sab: a natural wins 1
  r = bj->Step(&a, o3);
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(o3[0], 21);
  EXPECT_EQ(o3[1], 10);
  EXPECT_EQ(o3[2], 1);
  // Suit and face may be left out.
  bj->SetState(std::vector<double>{3, 5, 5, 2, 2, 1, 9});
  EXPECT_EQ(bj->GetState(), (std::vector<double>{3, 5, 5, 2, 2, 1, 9, 0, -1}));
  EXPECT_EQ(bj->Render(), "Dealer: AC (1)\nPlayer: 5 5 2 = 12\n");
  EXPECT_THROW(bj->SetState(std::vector<double>{2, 1, 11, 2, 10, 7}), Error);           // card 11
  EXPECT_THROW(bj->SetState(std::vector<double>{2, 1, 10, 2, 10}), Error);              // too short
  EXPECT_THROW(bj->SetState(std::vector<double>{2, 1, 10, 2, 10, 7, 1}), Error);        // bad tail
  EXPECT_THROW(bj->SetState(std::vector<double>{4, 10, 10, 10, 10, 2, 10, 7}), Error);  // 40
}

}  // namespace
}  // namespace bellman
