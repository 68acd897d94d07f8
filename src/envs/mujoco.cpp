// MuJoCo locomotion: gymnasium/envs/mujoco/{inverted_pendulum, half_cheetah, hopper,
// walker2d}_v4.py on top of mujoco_env.py (MujocoEnv), with our own MJCF files
// (assets/mujoco/*.xml, embedded in the library) and MuJoCo 2.2.2 (Debian libmujoco-dev).
//
// What follows Gymnasium exactly: frame_skip and dt = opt.timestep * frame_skip; a step writes
// the action to ctrl unchanged (MuJoCo clamps it to ctrlrange, the actuators are ctrllimited),
// calls mj_step frame_skip times and then mj_rnePostConstraint; the rewards operation by
// operation (x velocity from qpos[0] before and after the step, control cost as NumPy 1.24
// computes ctrl_cost_weight * np.sum(np.square(action)) for a float32 action); termination and
// health checks; the observation layouts; and reset: mj_resetData, then init_qpos / init_qvel
// plus noise drawn from the env's generator with the same NumPy calls in the same order.
// The physics is MuJoCo 2.2.2's, not the 2.3+ that Gymnasium installs (docs/mujoco.md).
//
// GetState() is Gymnasium's state_vector() [qpos (nq), qvel (nv)] followed by MuJoCo's
// constraint-solver warm start qacc_warmstart (nv), all float64. The warm start is there because
// the solver's result depends on where it starts, in the last bits: without it a state put into
// an env with a different history continues within solver tolerance, not bit for bit.
// SetState takes either the full vector or just [qpos, qvel]. Both are Gymnasium's set_state
// (qpos, qvel, then mj_forward, which also moves the warm start to the accelerations it solves
// for); the full vector then puts the given warm start back, so that the next step is bit for
// bit the one the env that produced the state would take. Clone() copies the whole mjData.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/envs/env.h"
#include "bellman/envs/registry.h"
#include "envs/families.h"
#include "envs/mujoco_model.h"

namespace bellman {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// What the four envs share: Gymnasium's MujocoEnv.
class MujocoEnv : public Env {
 public:
  MujocoEnv(EnvSpec spec, std::shared_ptr<const mjModel> model, int frame_skip)
      : Env(std::move(spec)),
        model_(std::move(model)),
        data_(mj_makeData(model_.get())),
        frame_skip_(frame_skip),
        // MujocoEnv.dt: model.opt.timestep * frame_skip (a float times an int, in float64).
        dt_(model_->opt.timestep * static_cast<double>(frame_skip)) {
    if (!data_) throw Error(fmt::format("{}: MuJoCo could not allocate mjData", this->spec().id));
  }

  std::vector<double> GetState() const override {
    const mjModel* m = model_.get();
    std::vector<double> s(data_->qpos, data_->qpos + m->nq);
    s.insert(s.end(), data_->qvel, data_->qvel + m->nv);
    s.insert(s.end(), data_->qacc_warmstart, data_->qacc_warmstart + m->nv);
    return s;
  }

  void SetState(std::span<const double> state) override {
    const mjModel* m = model_.get();
    const size_t n = static_cast<size_t>(m->nq + m->nv);
    if (state.size() != n && state.size() != n + static_cast<size_t>(m->nv)) {
      throw Error(fmt::format(
          "{}: SetState expects {} values [qpos ({}), qvel ({})] or {} values [qpos, qvel, "
          "qacc_warmstart ({})], got {}",
          spec().id, n, m->nq, m->nv, n + m->nv, m->nv, state.size()));
    }
    SetQposQvel(state.data(), state.data() + m->nq);
    // After mj_forward, which replaces the warm start with the accelerations it just solved for
    // (starting from the old one): the next mj_step must start exactly where the env that
    // produced `state` would.
    if (state.size() > n) {
      for (int i = 0; i < m->nv; ++i) data_->qacc_warmstart[i] = state[n + i];
    }
    MarkRunning();
  }

  // One line: each joint's position, by joint name.
  std::string Render() const override {
    const mjModel* m = model_.get();
    std::string line = fmt::format("t={:.3f}", data_->time);
    for (int j = 0; j < m->njnt; ++j) {
      const char* name = mj_id2name(m, mjOBJ_JOINT, j);
      line += fmt::format(" {}={:+.4f}", name ? name : "?", data_->qpos[m->jnt_qposadr[j]]);
    }
    line += '\n';
    return line;
  }

  double dt() const { return dt_; }

 protected:
  MujocoEnv(const MujocoEnv& other)
      : Env(other),
        model_(other.model_),
        data_(mj_makeData(model_.get())),
        frame_skip_(other.frame_skip_),
        dt_(other.dt_) {
    if (!data_) throw Error(fmt::format("{}: MuJoCo could not allocate mjData", spec().id));
    mj_copyData(data_.get(), model_.get(), other.data_.get());
  }

  const mjModel* m() const { return model_.get(); }
  mjData* d() const { return data_.get(); }

  // MujocoEnv.reset before reset_model: back to the model's initial state (qpos0, zero
  // velocities, controls, warm start and time).
  void ResetData() { mj_resetData(model_.get(), data_.get()); }

  // MujocoEnv.set_state: qpos and qvel, then mj_forward (the models have no actuator state).
  void SetQposQvel(const double* qpos, const double* qvel) {
    const mjModel* m = model_.get();
    for (int i = 0; i < m->nq; ++i) data_->qpos[i] = qpos[i];
    for (int i = 0; i < m->nv; ++i) data_->qvel[i] = qvel[i];
    mj_forward(m, data_.get());
  }

  // reset_model's noise: init + np_random.uniform(low=-scale, high=scale, size=n), element by
  // element in array order (init_qpos is model.qpos0, init_qvel is zero).
  void AddUniformNoise(double* x, int n, double scale) {
    Rng& rng = np_random();
    for (int i = 0; i < n; ++i) x[i] = x[i] + rng.Uniform(-scale, scale);
  }

  // MujocoEnv.do_simulation(action, frame_skip). Non-finite actions are refused (Gymnasium
  // would hand them to MuJoCo, whose checks then silently reset the simulation).
  void Simulate(const float* action) {
    const mjModel* m = model_.get();
    for (int i = 0; i < m->nu; ++i) {
      if (!std::isfinite(action[i])) [[unlikely]] {
        throw Error(fmt::format("{}: action[{}] is {}; actions must be finite numbers in {}",
                                spec().id, i, action[i], action_space().ToString()));
      }
    }
    // data.ctrl[:] = action: float32 -> float64, exact; MuJoCo clamps to ctrlrange.
    for (int i = 0; i < m->nu; ++i) data_->ctrl[i] = action[i];
    for (int k = 0; k < frame_skip_; ++k) mj_step(m, data_.get());
    // As Gymnasium: force-related quantities (cacc, cfrc_int, cfrc_ext) for observers.
    mj_rnePostConstraint(m, data_.get());
  }

  // ctrl_cost_weight * np.sum(np.square(action)) for a float32 action under NumPy 1.24:
  // np.square rounds each product to float32; np.sum reduces in float32 (pairwise, which is a
  // plain left-to-right loop below 8 elements, all our action sizes); the Python float weight
  // times that numpy float32 scalar is a float64 product.
  double ControlCost(const float* action, double ctrl_cost_weight) const {
    float sum = 0.0f;
    for (int i = 0; i < model_->nu; ++i) {
      const float sq = action[i] * action[i];
      sum += sq;
    }
    return ctrl_cost_weight * static_cast<double>(sum);
  }

 private:
  std::shared_ptr<const mjModel> model_;
  MjDataPtr data_;
  int frame_skip_;
  double dt_;
};

// ---- InvertedPendulum-v4 ----------------------------------------------------------------------

class InvertedPendulum final : public MujocoEnv {
 public:
  using MujocoEnv::MujocoEnv;
  std::unique_ptr<Env> Clone() const override {
    return std::unique_ptr<Env>(new InvertedPendulum(*this));
  }

 protected:
  void DoReset(void* obs) override {
    ResetData();
    std::vector<double> qpos(d()->qpos, d()->qpos + m()->nq);
    std::vector<double> qvel(d()->qvel, d()->qvel + m()->nv);
    AddUniformNoise(qpos.data(), m()->nq, 0.01);
    AddUniformNoise(qvel.data(), m()->nv, 0.01);
    SetQposQvel(qpos.data(), qvel.data());
    WriteObs(obs);
  }

  StepResult DoStep(const void* action, void* obs) override {
    Simulate(static_cast<const float*>(action));
    WriteObs(obs);
    StepResult r;
    r.reward = 1.0;
    // not np.isfinite(ob).all() or np.abs(ob[1]) > 0.2
    const double* o = static_cast<const double*>(obs);
    bool finite = true;
    for (int i = 0; i < m()->nq + m()->nv; ++i) finite = finite && std::isfinite(o[i]);
    r.terminated = !finite || std::fabs(o[1]) > 0.2;
    return r;
  }

 private:
  InvertedPendulum(const InvertedPendulum&) = default;

  // [qpos, qvel]
  void WriteObs(void* obs) const {
    double* o = static_cast<double*>(obs);
    for (int i = 0; i < m()->nq; ++i) o[i] = d()->qpos[i];
    for (int i = 0; i < m()->nv; ++i) o[m()->nq + i] = d()->qvel[i];
  }
};

// ---- HalfCheetah-v4, Hopper-v4, Walker2d-v4 ---------------------------------------------------

// The v4 constructor arguments (Gymnasium's defaults per env in the registrations below).
struct LocomotionConfig {
  double forward_reward_weight = 1.0;
  double ctrl_cost_weight = 0.1;
  double reset_noise_scale = 0.1;
  bool exclude_current_positions_from_observation = true;
  // Hopper and Walker2d only:
  double healthy_reward = 1.0;
  bool terminate_when_unhealthy = true;
  std::pair<double, double> healthy_state_range = {-100.0, 100.0};  // Hopper only
  std::pair<double, double> healthy_z_range = {0.7, kInf};
  std::pair<double, double> healthy_angle_range = {-0.2, 0.2};
};

enum class Body { kHalfCheetah, kHopper, kWalker2d };

class Locomotion final : public MujocoEnv {
 public:
  Locomotion(EnvSpec spec, std::shared_ptr<const mjModel> model, int frame_skip, Body body,
             const LocomotionConfig& cfg)
      : MujocoEnv(std::move(spec), std::move(model), frame_skip), body_(body), cfg_(cfg) {}

  std::unique_ptr<Env> Clone() const override {
    return std::unique_ptr<Env>(new Locomotion(*this));
  }

 protected:
  void DoReset(void* obs) override {
    ResetData();
    std::vector<double> qpos(d()->qpos, d()->qpos + m()->nq);
    std::vector<double> qvel(d()->qvel, d()->qvel + m()->nv);
    const double scale = cfg_.reset_noise_scale;
    AddUniformNoise(qpos.data(), m()->nq, scale);
    if (body_ == Body::kHalfCheetah) {
      // init_qvel + reset_noise_scale * np_random.standard_normal(nv)
      Rng& rng = np_random();
      for (int i = 0; i < m()->nv; ++i) qvel[i] = qvel[i] + scale * rng.StandardNormal();
    } else {
      AddUniformNoise(qvel.data(), m()->nv, scale);
    }
    SetQposQvel(qpos.data(), qvel.data());
    WriteObs(obs);
  }

  StepResult DoStep(const void* action, void* obs) override {
    const float* a = static_cast<const float*>(action);
    const double x_position_before = d()->qpos[0];
    Simulate(a);
    const double x_position_after = d()->qpos[0];
    const double x_velocity = (x_position_after - x_position_before) / dt();
    const double ctrl_cost = ControlCost(a, cfg_.ctrl_cost_weight);
    const double forward_reward = cfg_.forward_reward_weight * x_velocity;
    WriteObs(obs);
    StepResult r;
    if (body_ == Body::kHalfCheetah) {
      r.reward = forward_reward - ctrl_cost;
      return r;
    }
    const bool healthy = IsHealthy();
    // float(is_healthy or terminate_when_unhealthy) * healthy_reward
    const double healthy_reward =
        (healthy || cfg_.terminate_when_unhealthy ? 1.0 : 0.0) * cfg_.healthy_reward;
    const double rewards = forward_reward + healthy_reward;
    r.reward = rewards - ctrl_cost;
    r.terminated = cfg_.terminate_when_unhealthy && !healthy;
    return r;
  }

 private:
  Locomotion(const Locomotion&) = default;

  // Strict comparisons, as Gymnasium's: NaN is unhealthy.
  static bool Inside(double v, const std::pair<double, double>& range) {
    return range.first < v && v < range.second;
  }

  bool IsHealthy() const {
    const double z = d()->qpos[1];
    const double angle = d()->qpos[2];
    bool healthy = Inside(z, cfg_.healthy_z_range) && Inside(angle, cfg_.healthy_angle_range);
    if (body_ == Body::kHopper) {
      // state_vector()[2:]: qpos[2:] and the whole (unclipped) qvel.
      for (int i = 2; i < m()->nq; ++i)
        healthy = healthy && Inside(d()->qpos[i], cfg_.healthy_state_range);
      for (int i = 0; i < m()->nv; ++i)
        healthy = healthy && Inside(d()->qvel[i], cfg_.healthy_state_range);
    }
    return healthy;
  }

  // [qpos (without qpos[0] when excluded), qvel]; Hopper and Walker2d clip qvel to [-10, 10]
  // (np.clip lets NaN through).
  void WriteObs(void* obs) const {
    double* o = static_cast<double*>(obs);
    const int first = cfg_.exclude_current_positions_from_observation ? 1 : 0;
    int k = 0;
    for (int i = first; i < m()->nq; ++i) o[k++] = d()->qpos[i];
    const bool clip = body_ != Body::kHalfCheetah;
    for (int i = 0; i < m()->nv; ++i) {
      double v = d()->qvel[i];
      if (clip) {
        if (v < -10.0) v = -10.0;
        if (v > 10.0) v = 10.0;
      }
      o[k++] = v;
    }
  }

  Body body_;
  LocomotionConfig cfg_;
};

// ---- registration -----------------------------------------------------------------------------

// Gymnasium's spaces: observation Box(-inf, inf, (n,), float64); action Box from the actuators'
// ctrlrange as float32.
EnvSpec MakeSpec(const std::string& id, const mjModel* m, int64_t obs_size,
                 std::optional<double> reward_threshold) {
  std::vector<double> low(static_cast<size_t>(m->nu)), high(static_cast<size_t>(m->nu));
  for (int i = 0; i < m->nu; ++i) {
    low[i] = static_cast<float>(m->actuator_ctrlrange[2 * i]);
    high[i] = static_cast<float>(m->actuator_ctrlrange[2 * i + 1]);
  }
  return EnvSpec{id, Space::Box(-kInf, kInf, {obs_size}, DType::kFloat64),
                 Space::Box(std::move(low), std::move(high), {m->nu}, DType::kFloat32),
                 /*max_episode_steps=*/1000, reward_threshold};
}

// A (low, high) tuple kwarg. EnvArgs has no tuple of floats, so it comes as a list of two
// number strings: what `--env-arg healthy_z_range=[0.7, .inf]` (YAML) gives.
std::pair<double, double> GetRange(EnvArgReader& reader, const std::string& id,
                                   const std::string& key, std::pair<double, double> def) {
  const std::optional<std::vector<std::string>> v = reader.GetStringList(key);
  if (!v) return def;
  auto parse = [&](const std::string& s) {
    std::string t = s;
    // YAML spells infinity .inf / -.inf / +.inf.
    for (const char* yaml : {".inf", ".Inf", ".INF"}) {
      const size_t at = t.find(yaml);
      if (at != std::string::npos && at <= 1) t.replace(at, 4, "inf");
    }
    char* end = nullptr;
    const double x = std::strtod(t.c_str(), &end);
    if (t.empty() || *end != '\0' || std::isnan(x)) {
      throw Error(
          fmt::format("{}: argument '{}' must be two numbers [low, high], got '{}'", id, key, s));
    }
    return x;
  };
  if (v->size() != 2) {
    throw Error(fmt::format("{}: argument '{}' must be two numbers [low, high], got {} values", id,
                            key, v->size()));
  }
  return {parse((*v)[0]), parse((*v)[1])};
}

std::unique_ptr<Env> MakeInvertedPendulum(const EnvArgs& args) {
  const std::string id = "InvertedPendulum-v4";
  EnvArgReader reader(id, args);
  reader.Finish();
  std::shared_ptr<const mjModel> model = LoadMjcfModel("inverted_pendulum.xml");
  EnvSpec spec = MakeSpec(id, model.get(), model->nq + model->nv, 950.0);
  return std::make_unique<InvertedPendulum>(std::move(spec), std::move(model), 2);
}

std::unique_ptr<Env> MakeLocomotion(const std::string& id, const EnvArgs& args, Body body,
                                    LocomotionConfig cfg, const std::string& file, int frame_skip,
                                    std::optional<double> reward_threshold) {
  EnvArgReader reader(id, args);
  cfg.forward_reward_weight = reader.GetDouble("forward_reward_weight", cfg.forward_reward_weight);
  cfg.ctrl_cost_weight = reader.GetDouble("ctrl_cost_weight", cfg.ctrl_cost_weight);
  cfg.reset_noise_scale = reader.GetDouble("reset_noise_scale", cfg.reset_noise_scale);
  cfg.exclude_current_positions_from_observation = reader.GetBool(
      "exclude_current_positions_from_observation", cfg.exclude_current_positions_from_observation);
  if (body != Body::kHalfCheetah) {
    cfg.healthy_reward = reader.GetDouble("healthy_reward", cfg.healthy_reward);
    cfg.terminate_when_unhealthy =
        reader.GetBool("terminate_when_unhealthy", cfg.terminate_when_unhealthy);
    if (body == Body::kHopper) {
      cfg.healthy_state_range =
          GetRange(reader, id, "healthy_state_range", cfg.healthy_state_range);
    }
    cfg.healthy_z_range = GetRange(reader, id, "healthy_z_range", cfg.healthy_z_range);
    cfg.healthy_angle_range = GetRange(reader, id, "healthy_angle_range", cfg.healthy_angle_range);
  }
  reader.Finish();
  std::shared_ptr<const mjModel> model = LoadMjcfModel(file);
  const int64_t obs_size =
      (model->nq - (cfg.exclude_current_positions_from_observation ? 1 : 0)) + model->nv;
  EnvSpec spec = MakeSpec(id, model.get(), obs_size, reward_threshold);
  return std::make_unique<Locomotion>(std::move(spec), std::move(model), frame_skip, body, cfg);
}

}  // namespace

void RegisterMujoco(std::vector<EnvRegistration>& out) {
  // Registered as in gymnasium/envs/__init__.py (max_episode_steps=1000 for all four).
  out.push_back({"InvertedPendulum-v4", MakeInvertedPendulum, ""});
  out.push_back({"HalfCheetah-v4",
                 [](const EnvArgs& args) {
                   LocomotionConfig cfg;  // half_cheetah_v4.py defaults
                   cfg.ctrl_cost_weight = 0.1;
                   cfg.reset_noise_scale = 0.1;
                   return MakeLocomotion("HalfCheetah-v4", args, Body::kHalfCheetah, cfg,
                                         "half_cheetah.xml", 5, 4800.0);
                 },
                 ""});
  out.push_back({"Hopper-v4",
                 [](const EnvArgs& args) {
                   LocomotionConfig cfg;  // hopper_v4.py defaults
                   cfg.ctrl_cost_weight = 1e-3;
                   cfg.reset_noise_scale = 5e-3;
                   cfg.healthy_state_range = {-100.0, 100.0};
                   cfg.healthy_z_range = {0.7, kInf};
                   cfg.healthy_angle_range = {-0.2, 0.2};
                   return MakeLocomotion("Hopper-v4", args, Body::kHopper, cfg, "hopper.xml", 4,
                                         3800.0);
                 },
                 ""});
  out.push_back({"Walker2d-v4",
                 [](const EnvArgs& args) {
                   LocomotionConfig cfg;  // walker2d_v4.py defaults
                   cfg.ctrl_cost_weight = 1e-3;
                   cfg.reset_noise_scale = 5e-3;
                   cfg.healthy_z_range = {0.8, 2.0};
                   cfg.healthy_angle_range = {-1.0, 1.0};
                   return MakeLocomotion("Walker2d-v4", args, Body::kWalker2d, cfg, "walker2d.xml",
                                         4, std::nullopt);
                 },
                 ""});
}

}  // namespace bellman
