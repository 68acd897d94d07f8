// Classic control: gymnasium/envs/classic_control/{cartpole, mountain_car,
// continuous_mountain_car, pendulum, acrobot}.py, reproduced bit for bit.
//
// Every expression follows Gymnasium's float64 arithmetic operation by operation (the project
// compiles with -ffp-contract=off, so nothing is fused or reordered), with NumPy's own
// transcendental functions where Gymnasium calls NumPy (envs/numpy_math.h: np.sin/np.cos are
// glibc's on the reference machine, `x ** 2` on a numpy float64 is libm pow) and libm where it
// calls the math module (math.cos in both MountainCars). Casts to float32 happen exactly where
// Gymnasium casts: the observation, Acrobot's reset state, MountainCarContinuous's state after
// a step.
//
// GetState()/SetState() use Gymnasium's env.unwrapped.state, as float64:
//   CartPole                  [x, x_dot, theta, theta_dot]
//   MountainCar(Continuous)   [position, velocity]
//   Pendulum                  [th, thdot]            (th is not wrapped)
//   Acrobot                   [theta1, theta2, dtheta1, dtheta2]
// SetState is Gymnasium's `env.unwrapped.state = np.array(state)` (float64): the next step starts
// from exactly those values.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/envs/env.h"
#include "bellman/envs/registry.h"
#include "envs/families.h"
#include "envs/numpy_math.h"

namespace bellman {

namespace {

namespace npm = numpy_math;

constexpr double kPi = std::numbers::pi;  // == math.pi == np.pi
constexpr double kInf = std::numeric_limits<double>::infinity();

// v rounded to float32 and held as a double: a float32 Box bound, or a value of a float32
// numpy array (Acrobot's reset state, MountainCarContinuous's state).
//
// The empty asm keeps the rounding: GCC 12.2 at -O2/-O3 (SLP vectorizer) miscompiles two such
// round trips stored to adjacent doubles, `p = (double)(float)a; v = (double)(float)b;`, into a
// plain copy of a and b, silently dropping the narrowing.
double F32(double v) {
  float f = static_cast<float>(v);
  asm("" : "+m"(f));
  return static_cast<double>(f);
}

std::vector<double> Negated(std::vector<double> v) {
  for (double& x : v) x = -x;
  return v;
}

void CheckStateSize(const EnvSpec& spec, std::span<const double> state, size_t n,
                    const char* layout) {
  if (state.size() != n) {
    throw Error(
        fmt::format("{}: SetState expects {} values {}, got {}", spec.id, n, layout, state.size()));
  }
}

// One text line with `marker` at `value` on a track covering [lo, hi].
std::string Track(double value, double lo, double hi, char marker, int width = 41) {
  std::string line(static_cast<size_t>(width), '-');
  line.front() = '|';
  line.back() = '|';
  double t = (value - lo) / (hi - lo);
  if (!(t >= 0.0)) t = 0.0;  // NaN too
  if (t > 1.0) t = 1.0;
  line[static_cast<size_t>(std::lround(t * (width - 1)))] = marker;
  return line;
}

// A small square canvas with the pivot at the centre, for the pendulums.
struct Canvas {
  static constexpr int kSize = 9;
  char cells[kSize][kSize];
  Canvas() {
    for (auto& row : cells) {
      for (char& c : row) c = '.';
    }
  }
  // (x right, y up) in units of one link, two cells per unit.
  void Put(double x, double y, char c) {
    const int half = kSize / 2;
    const int col = half + static_cast<int>(std::lround(x * (half / 2.0)));
    const int row = half - static_cast<int>(std::lround(y * (half / 2.0)));
    if (row >= 0 && row < kSize && col >= 0 && col < kSize) cells[row][col] = c;
  }
  std::string str() const {
    std::string s;
    for (const auto& row : cells) {
      s.append(row, kSize);
      s.push_back('\n');
    }
    return s;
  }
};

// ---- CartPole ---------------------------------------------------------------------------------
// Barto, Sutton & Anderson (1983); Gymnasium's CartPoleEnv with kinematics_integrator="euler".

class CartPole final : public Env {
 public:
  // The constants as cartpole.py computes them (products and sums in float64).
  static constexpr double kGravity = 9.8;
  static constexpr double kMassCart = 1.0;
  static constexpr double kMassPole = 0.1;
  static constexpr double kTotalMass = kMassPole + kMassCart;
  static constexpr double kLength = 0.5;  // half the pole's length
  static constexpr double kPoleMassLength = kMassPole * kLength;
  static constexpr double kForceMag = 10.0;
  static constexpr double kTau = 0.02;
  static constexpr double kThetaThresholdRadians = 12 * 2 * kPi / 360;
  static constexpr double kXThreshold = 2.4;

  CartPole(EnvSpec spec, bool sutton_barto_reward)
      : Env(std::move(spec)), sutton_barto_reward_(sutton_barto_reward) {}

  static Space ObservationSpace() {
    std::vector<double> high = {F32(kXThreshold * 2), kInf, F32(kThetaThresholdRadians * 2), kInf};
    return Space::Box(Negated(high), high, {4});
  }

  std::unique_ptr<Env> Clone() const override { return std::make_unique<CartPole>(*this); }

  std::vector<double> GetState() const override { return {x_, x_dot_, theta_, theta_dot_}; }

  void SetState(std::span<const double> state) override {
    CheckStateSize(spec(), state, 4, "[x, x_dot, theta, theta_dot]");
    x_ = state[0];
    x_dot_ = state[1];
    theta_ = state[2];
    theta_dot_ = state[3];
    steps_beyond_terminated_ = -1;
    MarkRunning();
  }

  std::string Render() const override {
    // The cart on the track [-x_threshold, x_threshold]; its pole leans as theta says.
    const char pole = std::fabs(theta_) < 0.02 ? '|' : (theta_ > 0 ? '/' : '\\');
    return fmt::format("x={:+.4f} x_dot={:+.4f} theta={:+.4f} theta_dot={:+.4f}\n{}\n", x_, x_dot_,
                       theta_, theta_dot_, Track(x_, -kXThreshold, kXThreshold, pole));
  }

 protected:
  void DoReset(void* obs) override {
    Rng& rng = np_random();
    x_ = rng.Uniform(-0.05, 0.05);
    x_dot_ = rng.Uniform(-0.05, 0.05);
    theta_ = rng.Uniform(-0.05, 0.05);
    theta_dot_ = rng.Uniform(-0.05, 0.05);
    steps_beyond_terminated_ = -1;
    WriteObs(obs);
  }

  StepResult DoStep(const void* action, void* obs) override {
    const double force = *static_cast<const int64_t*>(action) == 1 ? kForceMag : -kForceMag;
    double sintheta, costheta;
    npm::SinCos(theta_, &sintheta, &costheta);
    const double temp =
        (force + kPoleMassLength * (theta_dot_ * theta_dot_) * sintheta) / kTotalMass;
    const double thetaacc =
        (kGravity * sintheta - costheta * temp) /
        (kLength * (4.0 / 3.0 - kMassPole * (costheta * costheta) / kTotalMass));
    const double xacc = temp - kPoleMassLength * thetaacc * costheta / kTotalMass;
    x_ = x_ + kTau * x_dot_;
    x_dot_ = x_dot_ + kTau * xacc;
    theta_ = theta_ + kTau * theta_dot_;
    theta_dot_ = theta_dot_ + kTau * thetaacc;
    WriteObs(obs);

    StepResult r;
    r.terminated = x_ < -kXThreshold || x_ > kXThreshold || theta_ < -kThetaThresholdRadians ||
                   theta_ > kThetaThresholdRadians;
    if (!r.terminated) [[likely]] {
      r.reward = sutton_barto_reward_ ? 0.0 : 1.0;
    } else if (steps_beyond_terminated_ < 0) {
      steps_beyond_terminated_ = 0;
      r.reward = sutton_barto_reward_ ? -1.0 : 1.0;
    } else {
      // Unreachable through Env::Step (it refuses a step after termination); kept so the
      // state machine is Gymnasium's.
      ++steps_beyond_terminated_;
      r.reward = sutton_barto_reward_ ? -1.0 : 0.0;
    }
    return r;
  }

 private:
  void WriteObs(void* obs) const {
    float* o = static_cast<float*>(obs);
    o[0] = static_cast<float>(x_);
    o[1] = static_cast<float>(x_dot_);
    o[2] = static_cast<float>(theta_);
    o[3] = static_cast<float>(theta_dot_);
  }

  bool sutton_barto_reward_;
  double x_ = 0, x_dot_ = 0, theta_ = 0, theta_dot_ = 0;
  int64_t steps_beyond_terminated_ = -1;  // -1: None
};

// ---- MountainCar ------------------------------------------------------------------------------
// Moore (1990); Gymnasium's MountainCarEnv (discrete) and Continuous_MountainCarEnv.

constexpr double kMinPosition = -1.2;
constexpr double kMaxPosition = 0.6;
constexpr double kMaxSpeed = 0.07;

Space MountainCarObservationSpace() {
  return Space::Box({F32(kMinPosition), F32(-kMaxSpeed)}, {F32(kMaxPosition), F32(kMaxSpeed)}, {2});
}

std::string RenderMountainCar(double position, double velocity, double goal_position) {
  std::string track = Track(position, kMinPosition, kMaxPosition, 'o');
  const size_t flag = static_cast<size_t>(
      std::lround((goal_position - kMinPosition) / (kMaxPosition - kMinPosition) * 40));
  if (track[flag] != 'o') track[flag] = 'F';
  return fmt::format("position={:+.4f} velocity={:+.5f}\n{}\n", position, velocity, track);
}

class MountainCar final : public Env {
 public:
  static constexpr double kGoalPosition = 0.5;
  static constexpr double kForce = 0.001;
  static constexpr double kGravity = 0.0025;

  MountainCar(EnvSpec spec, double goal_velocity)
      : Env(std::move(spec)), goal_velocity_(goal_velocity) {}

  std::unique_ptr<Env> Clone() const override { return std::make_unique<MountainCar>(*this); }
  std::vector<double> GetState() const override { return {position_, velocity_}; }
  void SetState(std::span<const double> state) override {
    CheckStateSize(spec(), state, 2, "[position, velocity]");
    position_ = state[0];
    velocity_ = state[1];
    MarkRunning();
  }
  std::string Render() const override {
    return RenderMountainCar(position_, velocity_, kGoalPosition);
  }

 protected:
  void DoReset(void* obs) override {
    position_ = np_random().Uniform(-0.6, -0.4);
    velocity_ = 0.0;
    WriteObs(obs);
  }

  StepResult DoStep(const void* action, void* obs) override {
    const int64_t a = *static_cast<const int64_t*>(action);
    velocity_ = velocity_ + (static_cast<double>(a - 1) * kForce +
                             std::cos(3 * position_) * -kGravity);  // math.cos: libm
    velocity_ = Clip(velocity_, -kMaxSpeed, kMaxSpeed);
    position_ = position_ + velocity_;
    position_ = Clip(position_, kMinPosition, kMaxPosition);
    if (position_ == kMinPosition && velocity_ < 0) velocity_ = 0.0;
    WriteObs(obs);
    StepResult r;
    r.terminated = position_ >= kGoalPosition && velocity_ >= goal_velocity_;
    r.reward = -1.0;
    return r;
  }

 private:
  // np.clip on a float64 scalar: min(max(v, lo), hi), NaN passing through.
  static double Clip(double v, double lo, double hi) {
    if (v < lo) return lo;
    if (v > hi) return hi;
    return v;
  }
  void WriteObs(void* obs) const {
    float* o = static_cast<float*>(obs);
    o[0] = static_cast<float>(position_);
    o[1] = static_cast<float>(velocity_);
  }

  double goal_velocity_;
  double position_ = 0, velocity_ = 0;
};

class MountainCarContinuous final : public Env {
 public:
  static constexpr double kMinAction = -1.0;
  static constexpr double kMaxAction = 1.0;
  static constexpr double kGoalPosition = 0.45;
  static constexpr double kPower = 0.0015;

  MountainCarContinuous(EnvSpec spec, double goal_velocity)
      : Env(std::move(spec)), goal_velocity_(goal_velocity) {}

  std::unique_ptr<Env> Clone() const override {
    return std::make_unique<MountainCarContinuous>(*this);
  }
  std::vector<double> GetState() const override { return {position_, velocity_}; }
  void SetState(std::span<const double> state) override {
    CheckStateSize(spec(), state, 2, "[position, velocity]");
    position_ = state[0];
    velocity_ = state[1];
    MarkRunning();
  }
  std::string Render() const override {
    return RenderMountainCar(position_, velocity_, kGoalPosition);
  }

 protected:
  void DoReset(void* obs) override {
    position_ = np_random().Uniform(-0.6, -0.4);
    velocity_ = 0.0;
    WriteObs(obs);
  }

  StepResult DoStep(const void* action, void* obs) override {
    const float a = *static_cast<const float*>(action);
    // force = min(max(action[0], min_action), max_action): Python's max/min keep the first
    // argument unless the second compares greater/smaller (a NaN action stays NaN).
    double force = a;
    if (kMinAction > force) force = kMinAction;
    if (kMaxAction < force) force = kMaxAction;
    // The state may hold float32 values (after a step) or float64 ones (after reset); numpy
    // promotes both to float64 here, so all of this is float64 arithmetic.
    double velocity = velocity_ + (force * kPower - 0.0025 * std::cos(3 * position_));
    if (velocity > kMaxSpeed) velocity = kMaxSpeed;
    if (velocity < -kMaxSpeed) velocity = -kMaxSpeed;
    double position = position_ + velocity;
    if (position > kMaxPosition) position = kMaxPosition;
    if (position < kMinPosition) position = kMinPosition;
    if (position == kMinPosition && velocity < 0) velocity = 0.0;

    StepResult r;
    // Decided on the float64 values, before the state is stored as float32.
    r.terminated = position >= kGoalPosition && velocity >= goal_velocity_;
    // The reward uses the unclipped action: math.pow(action[0], 2) * 0.1.
    r.reward = (r.terminated ? 100.0 : 0.0) - npm::Pow2(static_cast<double>(a)) * 0.1;
    // self.state = np.array([position, velocity], dtype=np.float32)
    position_ = F32(position);
    velocity_ = F32(velocity);
    WriteObs(obs);
    return r;
  }

 private:
  void WriteObs(void* obs) const {
    float* o = static_cast<float*>(obs);
    o[0] = static_cast<float>(position_);
    o[1] = static_cast<float>(velocity_);
  }

  double goal_velocity_;
  double position_ = 0, velocity_ = 0;
};

// ---- Pendulum ---------------------------------------------------------------------------------

class Pendulum final : public Env {
 public:
  static constexpr double kMaxSpeed = 8;
  static constexpr double kMaxTorque = 2.0;
  static constexpr double kDt = 0.05;
  static constexpr double kM = 1.0;
  static constexpr double kL = 1.0;
  static constexpr double kLSquared = 1.0;  // Python's l ** 2 for l = 1.0: exact

  Pendulum(EnvSpec spec, double g) : Env(std::move(spec)), g_(g) {}

  static Space ObservationSpace() {
    std::vector<double> high = {1.0, 1.0, F32(kMaxSpeed)};
    return Space::Box(Negated(high), high, {3});
  }

  std::unique_ptr<Env> Clone() const override { return std::make_unique<Pendulum>(*this); }
  std::vector<double> GetState() const override { return {th_, thdot_}; }
  void SetState(std::span<const double> state) override {
    CheckStateSize(spec(), state, 2, "[th, thdot]");
    th_ = state[0];
    thdot_ = state[1];
    MarkRunning();
  }
  std::string Render() const override {
    // th = 0 is upright; the rod points at (sin th, cos th).
    Canvas c;
    for (double f : {0.5, 1.0, 1.5}) c.Put(f * std::sin(th_), f * std::cos(th_), '#');
    c.Put(2.0 * std::sin(th_), 2.0 * std::cos(th_), 'O');
    c.Put(0, 0, '+');
    return fmt::format("th={:+.4f} thdot={:+.4f}\n{}", th_, thdot_, c.str());
  }

 protected:
  void DoReset(void* obs) override {
    // np_random.uniform(low=-high, high=high) with high = [pi, 1.0], element by element.
    Rng& rng = np_random();
    th_ = rng.Uniform(-kPi, kPi);
    thdot_ = rng.Uniform(-1.0, 1.0);
    WriteObs(obs);
  }

  StepResult DoStep(const void* action, void* obs) override {
    // u = np.clip(u, -max_torque, max_torque)[0]: a float32 clip of the float32 action.
    float u = *static_cast<const float*>(action);
    if (u < static_cast<float>(-kMaxTorque)) u = static_cast<float>(-kMaxTorque);
    if (u > static_cast<float>(kMaxTorque)) u = static_cast<float>(kMaxTorque);
    // numpy promotes the float32 u to float64 in every product below (u ** 2 included).
    const double ud = u;
    // angle_normalize(th) = ((th + pi) % (2 pi)) - pi; `** 2` on numpy float64 is pow.
    const double costs = npm::Pow2(npm::Remainder(th_ + kPi, 2 * kPi) - kPi) +
                         0.1 * npm::Pow2(thdot_) + 0.001 * npm::Pow2(ud);
    double newthdot =
        thdot_ + (3 * g_ / (2 * kL) * npm::Sin(th_) + 3.0 / (kM * kLSquared) * ud) * kDt;
    if (newthdot < -kMaxSpeed) newthdot = -kMaxSpeed;
    if (newthdot > kMaxSpeed) newthdot = kMaxSpeed;
    th_ = th_ + newthdot * kDt;
    thdot_ = newthdot;
    WriteObs(obs);
    StepResult r;
    r.reward = -costs;
    return r;
  }

 private:
  void WriteObs(void* obs) const {
    double s, c;
    npm::SinCos(th_, &s, &c);
    float* o = static_cast<float*>(obs);
    o[0] = static_cast<float>(c);
    o[1] = static_cast<float>(s);
    o[2] = static_cast<float>(thdot_);
  }

  double g_;
  double th_ = 0, thdot_ = 0;
};

// ---- Acrobot ----------------------------------------------------------------------------------
// Sutton (1996), dynamics from Sutton & Barto's book (book_or_nips = "book"); Gymnasium's
// AcrobotEnv with torque_noise_max = 0 (so no random draw per step).

class Acrobot final : public Env {
 public:
  static constexpr double kDt = 0.2;
  static constexpr double kLinkLength1 = 1.0;
  static constexpr double kLinkMass1 = 1.0;
  static constexpr double kLinkMass2 = 1.0;
  static constexpr double kLinkComPos1 = 0.5;
  static constexpr double kLinkComPos2 = 0.5;
  static constexpr double kLinkMoi = 1.0;
  static constexpr double kMaxVel1 = 4 * kPi;
  static constexpr double kMaxVel2 = 9 * kPi;
  static constexpr double kAvailTorque[3] = {-1.0, 0.0, +1.0};

  explicit Acrobot(EnvSpec spec) : Env(std::move(spec)) {}

  static Space ObservationSpace() {
    std::vector<double> high = {1.0, 1.0, 1.0, 1.0, F32(kMaxVel1), F32(kMaxVel2)};
    return Space::Box(Negated(high), high, {6});
  }

  std::unique_ptr<Env> Clone() const override { return std::make_unique<Acrobot>(*this); }
  std::vector<double> GetState() const override { return {s_[0], s_[1], s_[2], s_[3]}; }
  void SetState(std::span<const double> state) override {
    CheckStateSize(spec(), state, 4, "[theta1, theta2, dtheta1, dtheta2]");
    for (int i = 0; i < 4; ++i) s_[i] = state[i];
    MarkRunning();
  }
  std::string Render() const override {
    // theta1 = theta2 = 0: both links hang down.
    Canvas c;
    const double x1 = std::sin(s_[0]), y1 = -std::cos(s_[0]);
    const double x2 = x1 + std::sin(s_[0] + s_[1]), y2 = y1 - std::cos(s_[0] + s_[1]);
    c.Put(0.5 * x1, 0.5 * y1, '#');
    c.Put(0.5 * (x1 + x2), 0.5 * (y1 + y2), '#');
    c.Put(x1, y1, 'o');
    c.Put(x2, y2, 'O');
    c.Put(0, 0, '+');
    return fmt::format("theta1={:+.4f} theta2={:+.4f} dtheta1={:+.4f} dtheta2={:+.4f}\n{}", s_[0],
                       s_[1], s_[2], s_[3], c.str());
  }

 protected:
  void DoReset(void* obs) override {
    // uniform(-0.1, 0.1, size=(4,)).astype(np.float32)
    Rng& rng = np_random();
    for (double& v : s_) v = F32(rng.Uniform(-0.1, 0.1));
    WriteObs(obs);
  }

  StepResult DoStep(const void* action, void* obs) override {
    const double torque = kAvailTorque[*static_cast<const int64_t*>(action)];
    // ns = rk4(self._dsdt, np.append(s, torque), [0, dt]): one classical RK4 step on the
    // augmented state (torque is its 5th component, with derivative 0, so it stays fixed).
    constexpr double dt = kDt - 0;
    constexpr double dt2 = dt / 2.0;
    double y0[4] = {s_[0], s_[1], s_[2], s_[3]};
    double k1[4], k2[4], k3[4], k4[4], y[4];
    Dsdt(y0, torque, k1);
    for (int i = 0; i < 4; ++i) y[i] = y0[i] + dt2 * k1[i];
    Dsdt(y, torque, k2);
    for (int i = 0; i < 4; ++i) y[i] = y0[i] + dt2 * k2[i];
    Dsdt(y, torque, k3);
    for (int i = 0; i < 4; ++i) y[i] = y0[i] + dt * k3[i];
    Dsdt(y, torque, k4);
    for (int i = 0; i < 4; ++i) {
      s_[i] = y0[i] + dt / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    }
    s_[0] = Wrap(s_[0], -kPi, kPi);
    s_[1] = Wrap(s_[1], -kPi, kPi);
    s_[2] = Bound(s_[2], -kMaxVel1, kMaxVel1);
    s_[3] = Bound(s_[3], -kMaxVel2, kMaxVel2);
    WriteObs(obs);
    StepResult r;
    r.terminated = -npm::Cos(s_[0]) - npm::Cos(s_[1] + s_[0]) > 1.0;
    r.reward = r.terminated ? 0.0 : -1.0;
    return r;
  }

 private:
  // AcrobotEnv._dsdt: (dtheta1, dtheta2, ddtheta1, ddtheta2) at s with torque a. Python's
  // literal constant products (m1 * lc1 ** 2 ...) are exact, and C++ folds them identically.
  static void Dsdt(const double s[4], double a, double out[4]) {
    constexpr double m1 = kLinkMass1, m2 = kLinkMass2, l1 = kLinkLength1;
    constexpr double lc1 = kLinkComPos1, lc2 = kLinkComPos2;
    constexpr double I1 = kLinkMoi, I2 = kLinkMoi;
    constexpr double g = 9.8;
    constexpr double lc1_sq = lc1 * lc1, lc2_sq = lc2 * lc2, l1_sq = l1 * l1;  // ** 2, exact
    const double theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3];
    double sin_theta2, cos_theta2;
    npm::SinCos(theta2, &sin_theta2, &cos_theta2);
    const double d1 = m1 * lc1_sq + m2 * (l1_sq + lc2_sq + 2 * l1 * lc2 * cos_theta2) + I1 + I2;
    const double d2 = m2 * (lc2_sq + l1 * lc2 * cos_theta2) + I2;
    const double phi2 = m2 * lc2 * g * npm::Cos(theta1 + theta2 - kPi / 2.0);
    const double phi1 = -m2 * l1 * lc2 * npm::Pow2(dtheta2) * sin_theta2 -
                        2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin_theta2 +
                        (m1 * lc1 + m2 * l1) * g * npm::Cos(theta1 - kPi / 2) + phi2;
    // book_or_nips == "book"
    const double ddtheta2 =
        (a + d2 / d1 * phi1 - m2 * l1 * lc2 * npm::Pow2(dtheta1) * sin_theta2 - phi2) /
        (m2 * lc2_sq + I2 - npm::Pow2(d2) / d1);
    const double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    out[0] = dtheta1;
    out[1] = dtheta2;
    out[2] = ddtheta1;
    out[3] = ddtheta2;
  }

  // acrobot.wrap: shift by whole turns into [m, M].
  static double Wrap(double x, double m, double M) {
    const double diff = M - m;
    while (x > M) x = x - diff;
    while (x < m) x = x + diff;
    return x;
  }
  // acrobot.bound: min(max(x, m), M) with Python's max/min.
  static double Bound(double x, double m, double M) {
    const double lo = m > x ? m : x;
    return M < lo ? M : lo;
  }

  void WriteObs(void* obs) const {
    double s0, c0, s1, c1;
    npm::SinCos(s_[0], &s0, &c0);
    npm::SinCos(s_[1], &s1, &c1);
    float* o = static_cast<float*>(obs);
    o[0] = static_cast<float>(c0);
    o[1] = static_cast<float>(s0);
    o[2] = static_cast<float>(c1);
    o[3] = static_cast<float>(s1);
    o[4] = static_cast<float>(s_[2]);
    o[5] = static_cast<float>(s_[3]);
  }

  double s_[4] = {0, 0, 0, 0};
};

// ---- registration -----------------------------------------------------------------------------

EnvSpec MakeSpec(const std::string& id, Space obs, Space act, int64_t max_episode_steps,
                 std::optional<double> reward_threshold) {
  return EnvSpec{id, std::move(obs), std::move(act), max_episode_steps, reward_threshold};
}

std::unique_ptr<Env> MakeCartPole(const std::string& id, const EnvArgs& args, int64_t max_steps,
                                  double reward_threshold) {
  EnvArgReader reader(id, args);
  const bool sutton_barto_reward = reader.GetBool("sutton_barto_reward", false);
  reader.Finish();
  return std::make_unique<CartPole>(
      MakeSpec(id, CartPole::ObservationSpace(), Space::Discrete(2), max_steps, reward_threshold),
      sutton_barto_reward);
}

}  // namespace

void RegisterClassicControl(std::vector<EnvRegistration>& out) {
  // Registered as in gymnasium/envs/__init__.py.
  out.push_back({"CartPole-v0",
                 [](const EnvArgs& args) { return MakeCartPole("CartPole-v0", args, 200, 195.0); },
                 ""});
  out.push_back({"CartPole-v1",
                 [](const EnvArgs& args) { return MakeCartPole("CartPole-v1", args, 500, 475.0); },
                 ""});
  out.push_back({"MountainCar-v0",
                 [](const EnvArgs& args) -> std::unique_ptr<Env> {
                   const std::string id = "MountainCar-v0";
                   EnvArgReader reader(id, args);
                   const double goal_velocity = reader.GetDouble("goal_velocity", 0.0);
                   reader.Finish();
                   return std::make_unique<MountainCar>(
                       MakeSpec(id, MountainCarObservationSpace(), Space::Discrete(3), 200, -110.0),
                       goal_velocity);
                 },
                 ""});
  out.push_back(
      {"MountainCarContinuous-v0",
       [](const EnvArgs& args) -> std::unique_ptr<Env> {
         const std::string id = "MountainCarContinuous-v0";
         EnvArgReader reader(id, args);
         const double goal_velocity = reader.GetDouble("goal_velocity", 0.0);
         reader.Finish();
         return std::make_unique<MountainCarContinuous>(
             MakeSpec(id, MountainCarObservationSpace(), Space::Box(-1.0, 1.0, {1}), 999, 90.0),
             goal_velocity);
       },
       ""});
  out.push_back({"Pendulum-v1",
                 [](const EnvArgs& args) -> std::unique_ptr<Env> {
                   const std::string id = "Pendulum-v1";
                   EnvArgReader reader(id, args);
                   const double g = reader.GetDouble("g", 10.0);
                   reader.Finish();
                   return std::make_unique<Pendulum>(
                       MakeSpec(id, Pendulum::ObservationSpace(), Space::Box(-2.0, 2.0, {1}), 200,
                                std::nullopt),
                       g);
                 },
                 ""});
  out.push_back({"Acrobot-v1",
                 [](const EnvArgs& args) -> std::unique_ptr<Env> {
                   const std::string id = "Acrobot-v1";
                   EnvArgReader reader(id, args);
                   reader.Finish();
                   return std::make_unique<Acrobot>(
                       MakeSpec(id, Acrobot::ObservationSpace(), Space::Discrete(3), 500, -100.0));
                 },
                 ""});
}

}  // namespace bellman
