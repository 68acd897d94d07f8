// Classic-control envs against Gymnasium 1.4, bit for bit: full and partial episodes (obs,
// reward, terminated, truncated and env.unwrapped.state at every step), set_state + step cases at
// the termination boundaries, and the NumPy scalar math the dynamics use; all recorded by
// tests/data/gen_classic_control.py into tests/data/classic_control_ref.json.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/envs/env.h"
#include "bellman/envs/registry.h"
#include "envs/numpy_math.h"

namespace bellman {
namespace {

using json = nlohmann::json;

const json& Ref() {
  static const json ref = [] {
    std::ifstream in(std::string(BELLMAN_TEST_DATA_DIR) + "/classic_control_ref.json");
    EXPECT_TRUE(in.good()) << "missing tests/data/classic_control_ref.json";
    return json::parse(in);
  }();
  return ref;
}

std::vector<uint8_t> Base64(const std::string& s) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;  // '=' padding
  };
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    const int v = value(c);
    if (v < 0) break;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// Little-endian IEEE bytes (the generator's encoding) -> values.
template <typename T>
std::vector<T> Decode(const json& field) {
  const std::vector<uint8_t> bytes = Base64(field.get<std::string>());
  EXPECT_EQ(bytes.size() % sizeof(T), 0u);
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

template <typename T>
bool SameBits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

EnvArgs ToArgs(const json& kwargs) {
  EnvArgs args;
  for (const auto& [key, v] : kwargs.items()) {
    if (v.is_boolean()) {
      args[key] = v.get<bool>();
    } else if (v.is_number_integer()) {
      args[key] = v.get<int64_t>();
    } else {
      args[key] = v.get<double>();
    }
  }
  return args;
}

// Checks n values bit for bit; returns false (after one failure message) on the first mismatch.
template <typename T>
bool ExpectBits(const T* got, const T* want, size_t n, const std::string& what) {
  for (size_t i = 0; i < n; ++i) {
    if (!SameBits(got[i], want[i])) {
      ADD_FAILURE() << what << "[" << i << "]: got " << std::hexfloat << got[i] << ", want "
                    << want[i];
      return false;
    }
  }
  return true;
}

// The action of step t in an episode record: int64 (Discrete) or float32 (Box) raw memory.
struct Actions {
  std::vector<int64_t> discrete;
  std::vector<float> box;
  const void* At(size_t t) const {
    return discrete.empty() ? static_cast<const void*>(&box[t])
                            : static_cast<const void*>(&discrete[t]);
  }
};

void CheckRuns(const std::string& env_id) {
  int runs = 0;
  for (const json& run : Ref()["runs"]) {
    if (run["env"] != env_id) continue;
    ++runs;
    std::unique_ptr<Env> env = MakeEnv(env_id, ToArgs(run["kwargs"]));
    const size_t obs_dim = static_cast<size_t>(env->observation_space().flat_size());
    std::vector<float> obs(obs_dim);
    for (const json& ep : run["episodes"]) {
      const std::optional<uint64_t> seed =
          ep["seed"].is_null() ? std::nullopt : std::optional<uint64_t>(ep["seed"].get<uint64_t>());
      const std::string where = env_id + " " + run["kwargs"].dump() + " seed " +
                                (seed ? std::to_string(*seed) : std::string("None"));
      SCOPED_TRACE(where);
      env->Reset(seed, obs.data());
      const std::vector<float> reset_obs = Decode<float>(ep["reset_obs"]);
      const std::vector<double> reset_state = Decode<double>(ep["reset_state"]);
      ASSERT_EQ(reset_obs.size(), obs_dim);
      if (!ExpectBits(obs.data(), reset_obs.data(), obs_dim, "reset obs")) return;
      const std::vector<double> state0 = env->GetState();
      ASSERT_EQ(state0.size(), reset_state.size());
      if (!ExpectBits(state0.data(), reset_state.data(), state0.size(), "reset state")) return;

      Actions actions;
      if (ep["actions"].is_string()) {
        actions.box = Decode<float>(ep["actions"]);
      } else {
        actions.discrete = ep["actions"].get<std::vector<int64_t>>();
      }
      const std::vector<float> want_obs = Decode<float>(ep["obs"]);
      const std::vector<double> want_state = Decode<double>(ep["state"]);
      const std::vector<double> rewards = ep["rewards"].get<std::vector<double>>();
      const std::string flags = ep["flags"];
      const size_t steps = flags.size();
      const size_t state_dim = reset_state.size();
      ASSERT_EQ(rewards.size(), steps);
      ASSERT_EQ(want_obs.size(), steps * obs_dim);
      ASSERT_EQ(want_state.size(), steps * state_dim);
      for (size_t t = 0; t < steps; ++t) {
        const std::string at = " at step " + std::to_string(t);
        const StepResult r = env->Step(actions.At(t), obs.data());
        if (!ExpectBits(obs.data(), &want_obs[t * obs_dim], obs_dim, "obs" + at)) return;
        if (!ExpectBits(&r.reward, &rewards[t], 1, "reward" + at)) return;
        const int flag = flags[t] - '0';
        ASSERT_EQ(r.terminated, (flag & 1) != 0) << "terminated" << at;
        ASSERT_EQ(r.truncated, (flag & 2) != 0) << "truncated" << at;
        const std::vector<double> state = env->GetState();
        ASSERT_EQ(state.size(), state_dim);
        if (!ExpectBits(state.data(), &want_state[t * state_dim], state_dim, "state" + at)) {
          return;
        }
      }
    }
  }
  EXPECT_GT(runs, 0) << "no reference runs for " << env_id;
}

void CheckSetStateCases(const std::string& env_id) {
  int cases = 0;
  for (const json& c : Ref()["set_state"]) {
    if (c["env"] != env_id) continue;
    ++cases;
    SCOPED_TRACE(env_id + " " + c["kwargs"].dump() + " " + c["name"].get<std::string>());
    std::unique_ptr<Env> env = MakeEnv(env_id, ToArgs(c["kwargs"]));
    std::vector<float> obs(static_cast<size_t>(env->observation_space().flat_size()));
    env->Reset(0, obs.data());
    const std::vector<double> state = Decode<double>(c["state"]);
    env->SetState(state);
    const std::vector<double> got_state = env->GetState();
    ASSERT_EQ(got_state, state);
    int64_t discrete = 0;
    std::vector<float> box;
    const void* action = &discrete;
    if (c["action"].is_string()) {
      box = Decode<float>(c["action"]);
      action = box.data();
    } else {
      discrete = c["action"].get<int64_t>();
    }
    const StepResult r = env->Step(action, obs.data());
    const std::vector<float> want_obs = Decode<float>(c["obs"]);
    ASSERT_EQ(want_obs.size(), obs.size());
    ExpectBits(obs.data(), want_obs.data(), obs.size(), "obs");
    const double reward = c["reward"].get<double>();
    ExpectBits(&r.reward, &reward, 1, "reward");
    EXPECT_EQ(r.terminated, c["terminated"].get<bool>());
    EXPECT_EQ(r.truncated, c["truncated"].get<bool>());
    const std::vector<double> next = env->GetState();
    const std::vector<double> want_next = Decode<double>(c["next_state"]);
    ASSERT_EQ(next.size(), want_next.size());
    ExpectBits(next.data(), want_next.data(), next.size(), "next state");
  }
  EXPECT_GT(cases, 0) << "no set_state cases for " << env_id;
}

TEST(ClassicControlTest, SpacesAndSpecsMatchGymnasium) {
  for (const auto& [id, want] : Ref()["spaces"].items()) {
    SCOPED_TRACE(id);
    std::unique_ptr<Env> env = MakeEnv(id);
    const Space& obs = env->observation_space();
    EXPECT_EQ(obs.kind(), Space::Kind::kBox);
    EXPECT_EQ(obs.dtype(), DType::kFloat32);
    const std::vector<float> low = Decode<float>(want["obs_low"]);
    const std::vector<float> high = Decode<float>(want["obs_high"]);
    ASSERT_EQ(obs.low().size(), low.size());
    for (size_t i = 0; i < low.size(); ++i) {
      // The bounds are float32 values held as doubles.
      EXPECT_TRUE(SameBits(static_cast<double>(low[i]), obs.low()[i])) << "low " << i;
      EXPECT_TRUE(SameBits(static_cast<double>(high[i]), obs.high()[i])) << "high " << i;
    }
    EXPECT_EQ(obs.ToString(), want["observation_space"].get<std::string>());
    EXPECT_EQ(env->action_space().ToString(), want["action_space"].get<std::string>());
    EXPECT_EQ(env->spec().max_episode_steps, want["max_episode_steps"].get<int64_t>());
    if (want["reward_threshold"].is_null()) {
      EXPECT_FALSE(env->spec().reward_threshold.has_value());
    } else {
      ASSERT_TRUE(env->spec().reward_threshold.has_value());
      EXPECT_EQ(*env->spec().reward_threshold, want["reward_threshold"].get<double>());
    }
  }
}

TEST(ClassicControlTest, CartPoleTrajectoriesMatchGymnasium) {
  CheckRuns("CartPole-v1");
  CheckRuns("CartPole-v0");
}
TEST(ClassicControlTest, MountainCarTrajectoriesMatchGymnasium) { CheckRuns("MountainCar-v0"); }
TEST(ClassicControlTest, MountainCarContinuousTrajectoriesMatchGymnasium) {
  CheckRuns("MountainCarContinuous-v0");
}
TEST(ClassicControlTest, PendulumTrajectoriesMatchGymnasium) { CheckRuns("Pendulum-v1"); }
TEST(ClassicControlTest, AcrobotTrajectoriesMatchGymnasium) { CheckRuns("Acrobot-v1"); }

TEST(ClassicControlTest, CartPoleThresholdsMatchGymnasium) { CheckSetStateCases("CartPole-v1"); }
TEST(ClassicControlTest, MountainCarThresholdsMatchGymnasium) {
  CheckSetStateCases("MountainCar-v0");
}
TEST(ClassicControlTest, MountainCarContinuousThresholdsMatchGymnasium) {
  CheckSetStateCases("MountainCarContinuous-v0");
}
TEST(ClassicControlTest, PendulumSetStateMatchesGymnasium) { CheckSetStateCases("Pendulum-v1"); }
TEST(ClassicControlTest, AcrobotTerminalAndWrapMatchGymnasium) { CheckSetStateCases("Acrobot-v1"); }

TEST(ClassicControlTest, NumpyMathMatchesNumpy) {
  const json& m = Ref()["numpy_math"];
  const std::vector<double> x = Decode<double>(m["trig_x"]);
  const std::vector<double> sin = Decode<double>(m["sin"]);
  const std::vector<double> cos = Decode<double>(m["cos"]);
  ASSERT_EQ(x.size(), sin.size());
  for (size_t i = 0; i < x.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "x = " << std::hexfloat << x[i]);
    const double c = numpy_math::Cos(x[i]);
    EXPECT_TRUE(SameBits(c, cos[i])) << std::hexfloat << c << " vs " << cos[i];
    // Beyond 2^24 SVML's sin takes a long reduction that bellman does not reproduce.
    if (std::fabs(x[i]) <= 0x1.0p24) {
      const double s = numpy_math::Sin(x[i]);
      EXPECT_TRUE(SameBits(s, sin[i])) << std::hexfloat << s << " vs " << sin[i];
      double s2, c2;
      numpy_math::SinCos(x[i], &s2, &c2);
      EXPECT_TRUE(SameBits(s2, s));
      EXPECT_TRUE(SameBits(c2, c));
    }
  }
  const std::vector<double> px = Decode<double>(m["pow_x"]);
  const std::vector<double> p2 = Decode<double>(m["pow2"]);
  ASSERT_EQ(px.size(), p2.size());
  int differs_from_product = 0;
  for (size_t i = 0; i < px.size(); ++i) {
    const double p = numpy_math::Pow2(px[i]);
    EXPECT_TRUE(SameBits(p, p2[i])) << std::hexfloat << px[i];
    differs_from_product += p != px[i] * px[i];
  }
  EXPECT_GE(differs_from_product, 20);  // the recorded cases where pow(x, 2) != x * x
  const std::vector<double> ma = Decode<double>(m["mod_a"]);
  const std::vector<double> mod = Decode<double>(m["mod"]);
  const double mb = m["mod_b"].get<double>();
  for (size_t i = 0; i < ma.size(); ++i) {
    const double r = numpy_math::Remainder(ma[i], mb);
    EXPECT_TRUE(SameBits(r, mod[i])) << std::hexfloat << ma[i] << " % " << mb;
  }
}

// ---- protocol and API ---------------------------------------------------------------------------

const char* const kAllIds[] = {"CartPole-v0",    "CartPole-v1",
                               "MountainCar-v0", "MountainCarContinuous-v0",
                               "Pendulum-v1",    "Acrobot-v1"};

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ClassicControlTest, StepBeforeResetThrows) {
  for (const char* id : kAllIds) {
    std::unique_ptr<Env> env = MakeEnv(id);
    std::vector<float> obs(static_cast<size_t>(env->observation_space().flat_size()));
    int64_t a = 0;
    float u = 0.0f;
    const void* action = env->action_space().kind() == Space::Kind::kDiscrete
                             ? static_cast<const void*>(&a)
                             : static_cast<const void*>(&u);
    const std::string msg = ErrorOf([&] { env->Step(action, obs.data()); });
    EXPECT_NE(msg.find(id), std::string::npos) << msg;
    EXPECT_NE(msg.find("before reset"), std::string::npos) << msg;
  }
}

TEST(ClassicControlTest, StepAfterTerminationThrows) {
  std::unique_ptr<Env> env = MakeEnv("CartPole-v1");
  float obs[4];
  env->Reset(0, obs);
  int64_t a = 1;
  StepResult r;
  int steps = 0;
  do {
    r = env->Step(&a, obs);  // always push right: the pole falls within a few dozen steps
    ++steps;
  } while (!r.terminated && steps < 500);
  ASSERT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);
  const std::string msg = ErrorOf([&] { env->Step(&a, obs); });
  EXPECT_NE(msg.find("after the episode ended"), std::string::npos) << msg;
  // A reset makes it live again.
  env->Reset(std::nullopt, obs);
  EXPECT_NO_THROW(env->Step(&a, obs));
}

TEST(ClassicControlTest, StepAfterTruncationThrows) {
  std::unique_ptr<Env> env = MakeEnv("Pendulum-v1");
  float obs[3];
  env->Reset(3, obs);
  float u = 0.5f;
  for (int t = 0; t < 199; ++t) ASSERT_FALSE(env->Step(&u, obs).truncated) << t;
  const StepResult r = env->Step(&u, obs);
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
  EXPECT_FALSE(ErrorOf([&] { env->Step(&u, obs); }).empty());
}

TEST(ClassicControlTest, OutOfRangeDiscreteActionThrows) {
  struct Case {
    const char* id;
    int64_t action;
    const char* space;
  };
  for (const Case& c :
       {Case{"CartPole-v1", 2, "Discrete(2)"}, Case{"CartPole-v1", -1, "Discrete(2)"},
        Case{"MountainCar-v0", 3, "Discrete(3)"}, Case{"Acrobot-v1", 3, "Discrete(3)"},
        Case{"Acrobot-v1", -1, "Discrete(3)"}}) {
    std::unique_ptr<Env> env = MakeEnv(c.id);
    std::vector<float> obs(static_cast<size_t>(env->observation_space().flat_size()));
    env->Reset(0, obs.data());
    const std::string msg = ErrorOf([&] { env->Step(&c.action, obs.data()); });
    EXPECT_NE(msg.find("action " + std::to_string(c.action)), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.space), std::string::npos) << msg;
    // The rejected step changed nothing: the episode goes on.
    int64_t ok = 0;
    EXPECT_NO_THROW(env->Step(&ok, obs.data())) << c.id;
  }
}

TEST(ClassicControlTest, SetStateChecksSizeAndRevivesEpisode) {
  std::unique_ptr<Env> env = MakeEnv("CartPole-v1");
  float obs[4];
  const std::string msg = ErrorOf([&] { env->SetState(std::vector<double>{0.0, 0.0}); });
  EXPECT_NE(msg.find("CartPole-v1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("4 values"), std::string::npos) << msg;
  EXPECT_NE(msg.find("got 2"), std::string::npos) << msg;
  for (const char* id : kAllIds) {
    EXPECT_FALSE(ErrorOf([&] { MakeEnv(id)->SetState(std::vector<double>(7, 0.0)); }).empty())
        << id;
  }

  // Terminate an episode, then SetState to an outside state: steps_beyond_terminated is None
  // again, so the terminating step pays 1.0 (Gymnasium), not 0.0.
  env->Reset(0, obs);
  int64_t a = 0;
  while (!env->Step(&a, obs).terminated) {
  }
  env->SetState(std::vector<double>{3.0, 0.0, 0.0, 0.0});
  const StepResult r = env->Step(&a, obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 1.0);
  // SetState does not restart the TimeLimit: the elapsed counter is the env's own.
  EXPECT_GT(env->elapsed_steps(), 1);
}

TEST(ClassicControlTest, KwargsAreCheckedAndUsed) {
  // Unknown kwargs are rejected with the nearest known name.
  std::string msg = ErrorOf([] { MakeEnv("CartPole-v1", {{"sutton_barto_rewards", true}}); });
  EXPECT_NE(msg.find("sutton_barto_rewards"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sutton_barto_reward"), std::string::npos) << msg;
  msg = ErrorOf([] { MakeEnv("Acrobot-v1", {{"book_or_nips", std::string("nips")}}); });
  EXPECT_NE(msg.find("book_or_nips"), std::string::npos) << msg;
  msg = ErrorOf([] { MakeEnv("Pendulum-v1", {{"g", std::string("ten")}}); });
  EXPECT_NE(msg.find("'g'"), std::string::npos) << msg;
  msg = ErrorOf([] { MakeEnv("MountainCar-v0", {{"goal_velocity", true}}); });
  EXPECT_NE(msg.find("goal_velocity"), std::string::npos) << msg;

  // Integer kwargs are numbers too (gym.make(..., g=9) works).
  std::unique_ptr<Env> a = MakeEnv("Pendulum-v1", {{"g", int64_t{9}}});
  std::unique_ptr<Env> b = MakeEnv("Pendulum-v1", {{"g", 9.0}});
  float oa[3], ob[3];
  a->Reset(1, oa);
  b->Reset(1, ob);
  float u = 1.0f;
  EXPECT_EQ(a->Step(&u, oa).reward, b->Step(&u, ob).reward);
  EXPECT_EQ(a->GetState(), b->GetState());

  // max_episode_steps overrides the registered TimeLimit.
  std::unique_ptr<Env> short_env = MakeEnv("MountainCar-v0", {{"max_episode_steps", int64_t{3}}});
  EXPECT_EQ(short_env->spec().max_episode_steps, 3);
  float obs[2];
  short_env->Reset(0, obs);
  int64_t act = 1;
  EXPECT_FALSE(short_env->Step(&act, obs).truncated);
  EXPECT_FALSE(short_env->Step(&act, obs).truncated);
  EXPECT_TRUE(short_env->Step(&act, obs).truncated);
}

TEST(ClassicControlTest, CloneContinuesIdentically) {
  for (const char* id : kAllIds) {
    SCOPED_TRACE(id);
    std::unique_ptr<Env> env = MakeEnv(id);
    const size_t n = static_cast<size_t>(env->observation_space().flat_size());
    std::vector<float> o1(n), o2(n);
    env->Reset(11, o1.data());
    const bool discrete = env->action_space().kind() == Space::Kind::kDiscrete;
    int64_t a = 1;
    float u = 0.25f;
    const void* action = discrete ? static_cast<const void*>(&a) : static_cast<const void*>(&u);
    for (int t = 0; t < 5; ++t) {
      a = t % 2;  // alternate pushes: CartPole stays up
      env->Step(action, o1.data());
    }
    std::unique_ptr<Env> copy = env->Clone();
    EXPECT_EQ(copy->spec().id, id);
    EXPECT_EQ(copy->elapsed_steps(), env->elapsed_steps());
    for (int t = 0; t < 5; ++t) {
      a = t % 2;
      const StepResult r1 = env->Step(action, o1.data());
      const StepResult r2 = copy->Step(action, o2.data());
      EXPECT_EQ(r1.reward, r2.reward);
      EXPECT_EQ(o1, o2);
      EXPECT_EQ(env->GetState(), copy->GetState());
    }
    // Both draw the same next reset from their copies of the generator.
    env->Reset(std::nullopt, o1.data());
    copy->Reset(std::nullopt, o2.data());
    EXPECT_EQ(o1, o2);
  }
}

TEST(ClassicControlTest, RenderDrawsTheState) {
  for (const char* id : kAllIds) {
    std::unique_ptr<Env> env = MakeEnv(id);
    std::vector<float> obs(static_cast<size_t>(env->observation_space().flat_size()));
    env->Reset(0, obs.data());
    const std::string text = env->Render();
    EXPECT_GT(text.size(), 20u) << id;
    EXPECT_NE(text.find('\n'), std::string::npos) << id;
  }
  std::unique_ptr<Env> cart = MakeEnv("CartPole-v1");
  cart->SetState(std::vector<double>{0.0, 0.0, 0.1, 0.0});
  EXPECT_NE(cart->Render().find("theta=+0.1000"), std::string::npos) << cart->Render();
  EXPECT_NE(cart->Render().find('/'), std::string::npos) << cart->Render();
}

TEST(ClassicControlTest, ResetWithoutSeedUsesEntropyAndStaysInRange) {
  std::unique_ptr<Env> env = MakeEnv("CartPole-v1");
  float obs[4];
  env->Reset(std::nullopt, obs);
  for (float v : obs) {
    EXPECT_GE(v, -0.05f);
    EXPECT_LE(v, 0.05f);
  }
  EXPECT_TRUE(env->observation_space().Contains(obs));
}

}  // namespace
}  // namespace bellman
