// PhaseTimer: seconds spent in named phases of a repeated operation (an algorithm's update),
// accumulated by scopes. Disabled, it reads no clock.
//   { const auto timed = timer.Time(kBackward); loss.backward(); }
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

namespace bellman {

class PhaseTimer {
 public:
  using Clock = std::chrono::steady_clock;

  PhaseTimer(bool enabled, size_t num_phases) : enabled_(enabled), seconds_(num_phases, 0.0) {}

  // Adds its lifetime to `phase` of the timer (nothing when the timer is disabled).
  class Scope {
   public:
    Scope(PhaseTimer& timer, size_t phase)
        : timer_(timer.enabled_ ? &timer : nullptr), phase_(phase) {
      if (timer_) start_ = Clock::now();
    }
    ~Scope() {
      if (timer_) timer_->seconds_[phase_] += Seconds(start_, Clock::now());
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    PhaseTimer* timer_;
    size_t phase_;
    Clock::time_point start_;
  };

  [[nodiscard]] Scope Time(size_t phase) { return Scope(*this, phase); }
  // Adds `seconds` to `phase` directly (a remainder computed by the caller).
  void Add(size_t phase, double seconds) { seconds_[phase] += seconds; }
  bool enabled() const { return enabled_; }
  double seconds(size_t phase) const { return seconds_[phase]; }
  double total() const {
    double sum = 0.0;
    for (double s : seconds_) sum += s;
    return sum;
  }
  static double Seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  }

 private:
  bool enabled_;
  std::vector<double> seconds_;
};

}  // namespace bellman
