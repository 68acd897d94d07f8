// MuJoCo envs (InvertedPendulum-v4, HalfCheetah-v4, Hopper-v4, Walker2d-v4): spaces and specs as
// Gymnasium registers them; reset noise equal to NumPy's draws bit for bit
// (tests/data/gen_mujoco_reset.py -> mujoco_reset_ref.json); rewards recomputed from the
// x positions read through GetState; termination, truncation, determinism, clone/state
// round trips and argument errors. No Python mujoco is available, so trajectories are not
// compared with Gymnasium's (docs/mujoco.md).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/envs/env.h"
#include "bellman/envs/registry.h"

namespace bellman {
namespace {

using json = nlohmann::json;

const std::vector<std::string> kIds = {"InvertedPendulum-v4", "HalfCheetah-v4", "Hopper-v4",
                                       "Walker2d-v4"};

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Uniform random actions in [-scale high, scale high]; beyond ctrlrange MuJoCo clamps them.
std::vector<float> RandomAction(const Env& env, Rng& rng, double scale = 1.2) {
  const Space& as = env.action_space();
  std::vector<float> a(static_cast<size_t>(as.flat_size()));
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<float>(rng.Uniform(-scale, scale) * as.high()[i]);
  }
  return a;
}

double ControlCost(const std::vector<float>& a, double weight) {
  float sum = 0.0f;  // np.sum(np.square(a)) for a float32 array of < 8 elements
  for (float x : a) sum += x * x;
  return weight * static_cast<double>(sum);
}

TEST(MujocoTest, SpacesAndSpecsMatchGymnasium) {
  struct Want {
    std::string id;
    int64_t obs, obs_with_x, act;
    double act_high;
    std::optional<double> threshold;
  };
  const std::vector<Want> wants = {{"InvertedPendulum-v4", 4, 4, 1, 3.0, 950.0},
                                   {"HalfCheetah-v4", 17, 18, 6, 1.0, 4800.0},
                                   {"Hopper-v4", 11, 12, 3, 1.0, 3800.0},
                                   {"Walker2d-v4", 17, 18, 6, 1.0, std::nullopt}};
  for (const Want& w : wants) {
    SCOPED_TRACE(w.id);
    std::unique_ptr<Env> env = MakeEnv(w.id);
    const Space& os = env->observation_space();
    EXPECT_EQ(os.ToString(), "Box(-inf, inf, (" + std::to_string(w.obs) + ",), float64)");
    const Space& as = env->action_space();
    EXPECT_EQ(as.dtype(), DType::kFloat32);
    ASSERT_EQ(as.flat_size(), w.act);
    for (int64_t i = 0; i < w.act; ++i) {
      EXPECT_EQ(as.low()[i], -w.act_high);
      EXPECT_EQ(as.high()[i], w.act_high);
    }
    EXPECT_EQ(env->spec().max_episode_steps, 1000);
    EXPECT_EQ(env->spec().reward_threshold, w.threshold);
    if (w.id != "InvertedPendulum-v4") {
      std::unique_ptr<Env> with_x =
          MakeEnv(w.id, {{"exclude_current_positions_from_observation", false}});
      EXPECT_EQ(with_x->observation_space().flat_size(), w.obs_with_x);
    }
  }
  EXPECT_NE(std::find(EnvIds().begin(), EnvIds().end(), "Hopper-v4"), EnvIds().end());
}

TEST(MujocoTest, ResetNoiseMatchesNumpyDraws) {
  std::ifstream in(std::string(BELLMAN_TEST_DATA_DIR) + "/mujoco_reset_ref.json");
  ASSERT_TRUE(in.good()) << "missing tests/data/mujoco_reset_ref.json";
  const json ref = json::parse(in);
  auto decode = [](const json& values) {
    std::vector<double> out;
    for (const json& v : values) out.push_back(std::strtod(v.get<std::string>().c_str(), nullptr));
    return out;
  };
  int cases = 0;
  for (const json& c : ref["cases"]) {
    const std::string id = c["env"];
    const uint64_t seed = c["seed"];
    SCOPED_TRACE(id + " seed " + std::to_string(seed));
    std::unique_ptr<Env> env = MakeEnv(id);
    std::vector<double> obs(static_cast<size_t>(env->observation_space().flat_size()));
    env->Reset(seed, obs.data());
    std::vector<double> want = decode(c["qpos"]);
    const size_t nq = want.size();
    const std::vector<double> qvel = decode(c["qvel"]);
    want.insert(want.end(), qvel.begin(), qvel.end());
    const std::vector<double> state = env->GetState();  // [qpos, qvel, qacc_warmstart]
    ASSERT_EQ(state.size(), want.size() + qvel.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_TRUE(SameBits(state[i], want[i]))
          << "state[" << i << "]: got " << std::hexfloat << state[i] << ", want " << want[i];
    }
    // The observation is [qpos[1:] (qpos for InvertedPendulum), qvel]; reset velocities are far
    // inside Hopper's and Walker2d's [-10, 10] clip.
    const size_t skip = id == "InvertedPendulum-v4" ? 0 : 1;
    ASSERT_EQ(obs.size(), want.size() - skip);
    for (size_t i = 0; i < obs.size(); ++i) EXPECT_TRUE(SameBits(obs[i], want[i + skip]));

    // init_qpos is the model's qpos0: what a reset without noise gives.
    if (id != "InvertedPendulum-v4") {
      std::unique_ptr<Env> quiet = MakeEnv(id, {{"reset_noise_scale", 0.0}});
      std::vector<double> o(obs.size());
      quiet->Reset(seed, o.data());
      const std::vector<double> init = quiet->GetState();
      const std::vector<double> init_qpos = decode(c["init_qpos"]);
      for (size_t i = 0; i < nq; ++i) EXPECT_EQ(init[i], init_qpos[i]) << "qpos0[" << i << "]";
      for (size_t i = nq; i < nq + qvel.size(); ++i) EXPECT_EQ(init[i], 0.0);
    }
    ++cases;
  }
  EXPECT_EQ(cases, 24);
}

// reward = forward_reward_weight * (x_after - x_before) / dt (+ healthy_reward) - ctrl_cost,
// recomputed here from the states around each step.
TEST(MujocoTest, RewardIsForwardVelocityMinusControlCost) {
  struct Case {
    std::string id;
    double dt, ctrl_cost_weight, healthy_reward;
  };
  // dt = timestep * frame_skip: 0.01 * 5, 0.002 * 4, 0.002 * 4.
  const std::vector<Case> cases = {{"HalfCheetah-v4", 0.01 * 5, 0.1, 0.0},
                                   {"Hopper-v4", 0.002 * 4, 1e-3, 1.0},
                                   {"Walker2d-v4", 0.002 * 4, 1e-3, 1.0}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    std::unique_ptr<Env> env = MakeEnv(c.id);
    std::vector<double> obs(static_cast<size_t>(env->observation_space().flat_size()));
    env->Reset(3, obs.data());
    Rng rng(11);
    for (int t = 0; t < 30; ++t) {
      const std::vector<float> a = RandomAction(*env, rng);
      const double x_before = env->GetState()[0];
      const StepResult r = env->Step(a.data(), obs.data());
      const double x_after = env->GetState()[0];
      double want = 1.0 * ((x_after - x_before) / c.dt);
      if (c.healthy_reward != 0.0) want = want + c.healthy_reward;
      want = want - ControlCost(a, c.ctrl_cost_weight);
      ASSERT_TRUE(SameBits(r.reward, want)) << "step " << t << ": " << r.reward << " vs " << want;
      if (r.terminated) break;
    }
  }
  // Weights are used as given.
  std::unique_ptr<Env> env =
      MakeEnv("HalfCheetah-v4", {{"forward_reward_weight", 2.0}, {"ctrl_cost_weight", 0.0}});
  std::vector<double> obs(17);
  env->Reset(0, obs.data());
  const std::vector<float> a = {1, -1, 1, -1, 1, -1};
  const double x_before = env->GetState()[0];
  const StepResult r = env->Step(a.data(), obs.data());
  EXPECT_TRUE(SameBits(r.reward, 2.0 * ((env->GetState()[0] - x_before) / 0.05)));
}

TEST(MujocoTest, InvertedPendulumTerminatesWhenThePoleFalls) {
  std::unique_ptr<Env> env = MakeEnv("InvertedPendulum-v4");
  std::vector<double> obs(4);
  env->Reset(0, obs.data());
  const float push = 1.0f;
  int steps = 0;
  StepResult r;
  while (!r.terminated && steps < 100) {
    r = env->Step(&push, obs.data());
    ++steps;
    EXPECT_EQ(r.reward, 1.0);
    EXPECT_EQ(r.terminated, std::fabs(obs[1]) > 0.2);
  }
  EXPECT_TRUE(r.terminated);
  EXPECT_LT(steps, 50);
  EXPECT_GT(steps, 1);
}

TEST(MujocoTest, HopperAndWalkerTerminateWhenUnhealthy) {
  for (const std::string id : {"Hopper-v4", "Walker2d-v4"}) {
    SCOPED_TRACE(id);
    std::unique_ptr<Env> env = MakeEnv(id);
    std::vector<double> obs(static_cast<size_t>(env->observation_space().flat_size()));
    env->Reset(0, obs.data());
    const std::vector<float> zero(static_cast<size_t>(env->action_space().flat_size()), 0.0f);
    // Healthy at the start: alive bonus, not terminated.
    StepResult r = env->Step(zero.data(), obs.data());
    EXPECT_FALSE(r.terminated);
    // Torso tilted beyond healthy_angle_range (Hopper 0.2 rad, Walker2d 1 rad).
    std::vector<double> s = env->GetState();
    s[2] = 1.3;
    env->SetState(s);
    r = env->Step(zero.data(), obs.data());
    EXPECT_TRUE(r.terminated);
    EXPECT_FALSE(r.truncated);
    // Without termination the episode goes on, and the alive bonus stops while unhealthy.
    std::unique_ptr<Env> keep = MakeEnv(id, {{"terminate_when_unhealthy", false}});
    keep->Reset(0, obs.data());
    keep->SetState(s);
    const double x_before = keep->GetState()[0];
    r = keep->Step(zero.data(), obs.data());
    EXPECT_FALSE(r.terminated);
    EXPECT_TRUE(SameBits(r.reward, 1.0 * ((keep->GetState()[0] - x_before) / 0.008) + 0.0 -
                                       ControlCost(zero, 1e-3)));
    // Torso low: below healthy_z_range (Hopper 0.7, Walker2d 0.8).
    env->Reset(0, obs.data());
    s = env->GetState();
    s[1] = 0.5;
    env->SetState(s);
    EXPECT_TRUE(env->Step(zero.data(), obs.data()).terminated);
  }
  // Hopper's healthy_state_range also bounds the velocities (state_vector()[2:]).
  std::unique_ptr<Env> hopper = MakeEnv("Hopper-v4");
  std::vector<double> obs(11);
  hopper->Reset(0, obs.data());
  std::vector<double> s = hopper->GetState();
  s[6] = 500.0;  // rootx velocity: not in healthy_state_range, and clipped in the observation
  hopper->SetState(s);
  const std::vector<float> zero(3, 0.0f);
  EXPECT_TRUE(hopper->Step(zero.data(), obs.data()).terminated);
  // Ranges as kwargs: a wider z range keeps the low torso healthy.
  hopper = MakeEnv("Hopper-v4", {{"healthy_z_range", std::vector<std::string>{"0.1", ".inf"}}});
  hopper->Reset(0, obs.data());
  s = hopper->GetState();
  s[1] = 0.5;
  hopper->SetState(s);
  EXPECT_FALSE(hopper->Step(zero.data(), obs.data()).terminated);
}

TEST(MujocoTest, ObservationClipsHopperAndWalkerVelocities) {
  for (const std::string id : {"Hopper-v4", "Walker2d-v4", "HalfCheetah-v4"}) {
    SCOPED_TRACE(id);
    std::unique_ptr<Env> env = MakeEnv(id, {{"exclude_current_positions_from_observation", false}});
    std::vector<double> obs(static_cast<size_t>(env->observation_space().flat_size()));
    env->Reset(0, obs.data());
    std::vector<double> s = env->GetState();
    const size_t nq_model = s.size() / 3;  // [qpos, qvel, warm start]; nq == nv for all three
    s[nq_model + 3] = 40.0;                // a joint spinning fast
    env->SetState(s);
    const std::vector<float> zero(static_cast<size_t>(env->action_space().flat_size()), 0.0f);
    env->Step(zero.data(), obs.data());
    const std::vector<double> after = env->GetState();
    for (size_t i = 0; i < nq_model; ++i) EXPECT_TRUE(SameBits(obs[i], after[i]));
    for (size_t i = nq_model; i < 2 * nq_model; ++i) {
      const double v = after[i];
      const double want = id == "HalfCheetah-v4" ? v : (v < -10 ? -10 : (v > 10 ? 10 : v));
      EXPECT_TRUE(SameBits(obs[i], want)) << i;
    }
  }
}

TEST(MujocoTest, HalfCheetahNeverTerminatesAndTruncatesAt1000) {
  std::unique_ptr<Env> env = MakeEnv("HalfCheetah-v4");
  std::vector<double> obs(17);
  env->Reset(5, obs.data());
  Rng rng(5);
  StepResult r;
  int steps = 0;
  while (!r.terminated && !r.truncated) {
    const std::vector<float> a = RandomAction(*env, rng);
    r = env->Step(a.data(), obs.data());
    ++steps;
  }
  EXPECT_FALSE(r.terminated);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(steps, 1000);
  EXPECT_EQ(env->elapsed_steps(), 1000);
}

// Runs `steps` steps with actions from Rng(action_seed); returns obs, rewards and flags.
std::vector<double> Trajectory(Env& env, uint64_t action_seed, int steps, double scale = 1.2) {
  std::vector<double> out;
  std::vector<double> obs(static_cast<size_t>(env.observation_space().flat_size()));
  Rng rng(action_seed);
  for (int t = 0; t < steps; ++t) {
    const std::vector<float> a = RandomAction(env, rng, scale);
    const StepResult r = env.Step(a.data(), obs.data());
    out.insert(out.end(), obs.begin(), obs.end());
    out.push_back(r.reward);
    out.push_back(r.terminated);
    if (r.terminated || r.truncated) break;
  }
  return out;
}

TEST(MujocoTest, SameSeedAndActionsGiveIdenticalTrajectories) {
  for (const std::string& id : kIds) {
    SCOPED_TRACE(id);
    std::unique_ptr<Env> a = MakeEnv(id), b = MakeEnv(id);
    std::vector<double> oa(static_cast<size_t>(a->observation_space().flat_size())), ob(oa);
    a->Reset(17, oa.data());
    b->Reset(17, ob.data());
    EXPECT_TRUE(SameBits(oa, ob));
    EXPECT_TRUE(SameBits(Trajectory(*a, 3, 200), Trajectory(*b, 3, 200)));
    // A different seed starts elsewhere.
    b->Reset(18, ob.data());
    EXPECT_FALSE(SameBits(oa, ob));
  }
}

TEST(MujocoTest, CloneAndSetStateContinueBitExactly) {
  for (const std::string& id : kIds) {
    SCOPED_TRACE(id);
    std::unique_ptr<Env> env = MakeEnv(id);
    std::vector<double> obs(static_cast<size_t>(env->observation_space().flat_size()));
    env->Reset(1, obs.data());
    // Small actions: every env (the pendulum included) is still running after these steps.
    constexpr double kSmall = 0.05;
    Trajectory(*env, 9, 5, kSmall);
    ASSERT_FALSE(env->needs_reset());
    const std::vector<double> state = env->GetState();  // [qpos, qvel, qacc_warmstart]
    ASSERT_EQ(state.size() % 3, 0u);                    // nq == nv in all four models
    const std::vector<double> qpos_qvel(state.begin(), state.begin() + state.size() / 3 * 2);

    std::unique_ptr<Env> clone = env->Clone();
    std::unique_ptr<Env> snapshot = env->Clone();
    EXPECT_EQ(clone->elapsed_steps(), env->elapsed_steps());
    EXPECT_TRUE(SameBits(clone->GetState(), state));
    const std::vector<double> want = Trajectory(*env, 4, 20, kSmall);
    EXPECT_GE(want.size(), 5 * (obs.size() + 2));  // the pendulum may fall within the 20
    EXPECT_TRUE(SameBits(Trajectory(*clone, 4, 20, kSmall), want));

    // The full state into a clone that has moved on since: the same continuation, bit for bit.
    std::unique_ptr<Env> back = clone->Clone();
    back->SetState(state);
    EXPECT_TRUE(SameBits(back->GetState(), state));
    EXPECT_FALSE(back->needs_reset());
    EXPECT_TRUE(SameBits(Trajectory(*back, 4, 20, kSmall), want));

    // [qpos, qvel] alone is Gymnasium's set_state: the warm start is the env's own, moved by
    // mj_forward, so the continuation agrees within the solver's tolerance, not bit for bit.
    std::unique_ptr<Env> twin = snapshot->Clone();
    Trajectory(*twin, 77, 3, kSmall);
    twin->SetState(qpos_qvel);
    const std::vector<double> twin_state = twin->GetState();
    for (size_t i = 0; i < qpos_qvel.size(); ++i) EXPECT_TRUE(SameBits(twin_state[i], state[i]));
    const std::vector<double> near = Trajectory(*twin, 4, 1, kSmall);
    ASSERT_EQ(near.size(), obs.size() + 2);
    for (size_t i = 0; i < near.size(); ++i) EXPECT_NEAR(near[i], want[i], 1e-6) << i;

    const std::string msg = ErrorOf([&] { env->SetState(std::vector<double>(3, 0.0)); });
    EXPECT_NE(msg.find("SetState expects"), std::string::npos) << msg;
  }
}

TEST(MujocoTest, BadActionsAreRefused) {
  std::unique_ptr<Env> env = MakeEnv("Hopper-v4");
  std::vector<double> obs(11);
  env->Reset(0, obs.data());
  const std::vector<double> before = env->GetState();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> a = {0.0f, nan, 0.0f};
  std::string msg = ErrorOf([&] { env->Step(a.data(), obs.data()); });
  EXPECT_NE(msg.find("Hopper-v4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("action[1] is nan"), std::string::npos) << msg;
  a = {0.0f, 0.0f, -std::numeric_limits<float>::infinity()};
  msg = ErrorOf([&] { env->Step(a.data(), obs.data()); });
  EXPECT_NE(msg.find("action[2] is -inf"), std::string::npos) << msg;
  // Refused before anything moved; the episode goes on.
  EXPECT_TRUE(SameBits(env->GetState(), before));
  EXPECT_EQ(env->elapsed_steps(), 0);
  a = {5.0f, -5.0f, 0.5f};  // out of ctrlrange: accepted, clamped by MuJoCo (ctrllimited)
  EXPECT_NO_THROW(env->Step(a.data(), obs.data()));
  std::unique_ptr<Env> fresh = MakeEnv("Hopper-v4");
  EXPECT_FALSE(ErrorOf([&] { fresh->Step(a.data(), obs.data()); }).empty());  // before reset
}

TEST(MujocoTest, KwargsAreCheckedAndUsed) {
  std::string msg = ErrorOf([] { MakeEnv("Hopper-v4", {{"ctrl_cost", 0.1}}); });
  EXPECT_NE(msg.find("unknown argument 'ctrl_cost'"), std::string::npos) << msg;
  msg = ErrorOf([] { MakeEnv("HalfCheetah-v4", {{"healthy_reward", 1.0}}); });
  EXPECT_NE(msg.find("unknown argument 'healthy_reward'"), std::string::npos) << msg;
  msg = ErrorOf([] {
    MakeEnv("Walker2d-v4", {{"healthy_state_range", std::vector<std::string>{"-1", "1"}}});
  });
  EXPECT_NE(msg.find("unknown argument"), std::string::npos) << msg;
  msg = ErrorOf([] { MakeEnv("InvertedPendulum-v4", {{"reset_noise_scale", 0.1}}); });
  EXPECT_NE(msg.find("unknown argument"), std::string::npos) << msg;
  msg = ErrorOf([] { MakeEnv("Hopper-v4", {{"terminate_when_unhealthy", 1.0}}); });
  EXPECT_NE(msg.find("must be a bool"), std::string::npos) << msg;
  msg = ErrorOf([] {
    MakeEnv("Hopper-v4", {{"healthy_z_range", std::vector<std::string>{"0.7"}}});
  });
  EXPECT_NE(msg.find("healthy_z_range"), std::string::npos) << msg;
  msg = ErrorOf([] {
    MakeEnv("Walker2d-v4", {{"healthy_angle_range", std::vector<std::string>{"-1", "one"}}});
  });
  EXPECT_NE(msg.find("'one'"), std::string::npos) << msg;
  std::unique_ptr<Env> env = MakeEnv("Hopper-v4", {{"max_episode_steps", int64_t{5}}});
  EXPECT_EQ(env->spec().max_episode_steps, 5);
}

TEST(MujocoTest, RenderShowsJointPositions) {
  for (const std::string& id : kIds) {
    std::unique_ptr<Env> env = MakeEnv(id);
    std::vector<double> obs(static_cast<size_t>(env->observation_space().flat_size()));
    env->Reset(0, obs.data());
    const std::string text = env->Render();
    EXPECT_NE(text.find(id == "InvertedPendulum-v4" ? "hinge=" : "rootz="), std::string::npos)
        << text;
    EXPECT_EQ(text.back(), '\n');
  }
}

TEST(MujocoTest, EnvsCanBeMadeAndSteppedFromManyThreads) {
  // Model loading is serialized; each env owns its mjData, so envs step independently.
  std::vector<std::vector<double>> results(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&results, i] {
      std::unique_ptr<Env> env = MakeEnv("Walker2d-v4");
      std::vector<double> obs(17);
      env->Reset(2, obs.data());
      results[i] = Trajectory(*env, 8, 50);
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 1; i < results.size(); ++i) EXPECT_TRUE(SameBits(results[i], results[0]));
}

}  // namespace
}  // namespace bellman
