// Private: what FrozenLake, CliffWalking and Taxi share. All three are Gymnasium "discrete"
// envs: a state index s, a tabular model P[s][a] of (prob, next_state, reward, terminated), an
// initial-state distribution, and step = categorical_sample(P[s][a]).
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/envs/env.h"
#include "bellman/envs/registry.h"

namespace bellman::toy_text {

// toy_text.utils.categorical_sample: argmax(cumsum(p) > u). np.cumsum adds left to right, and
// argmax of an all-false array is 0 (reachable when rounding leaves the last partial sum
// below u).
inline size_t CategoricalSample(const std::vector<Transition>& transitions, double u) {
  double cumsum = 0.0;
  for (size_t i = 0; i < transitions.size(); ++i) {
    cumsum += transitions[i].prob;
    if (cumsum > u) return i;
  }
  return 0;
}

// The same over a precomputed cumsum (initial-state distributions).
inline int64_t SampleFromCdf(const std::vector<double>& cdf, double u) {
  for (size_t i = 0; i < cdf.size(); ++i) {
    if (cdf[i] > u) return static_cast<int64_t>(i);
  }
  return 0;
}

// np.cumsum of a probability vector.
inline std::vector<double> CumSum(const std::vector<double>& p) {
  std::vector<double> out(p.size());
  double c = 0.0;
  for (size_t i = 0; i < p.size(); ++i) {
    c += p[i];
    out[i] = c;
  }
  return out;
}

// Reads state[index] as an integer in [lo, hi]; SetState's input check.
inline int64_t StateInt(const std::string& id, std::span<const double> state, size_t index,
                        int64_t lo, int64_t hi, const char* what) {
  double v = state[index];
  if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || std::floor(v) != v) {
    throw Error(fmt::format("{}: SetState: {} (state[{}]) must be an integer in [{}, {}], got {}",
                            id, what, index, lo, hi, v));
  }
  return static_cast<int64_t>(v);
}

inline void CheckProbability(const std::string& id, const char* name, double p) {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw Error(fmt::format("{}: {} must be a probability in [0, 1], got {}", id, name, p));
  }
}

// State s plus Gymnasium's lastaction (-1 for None); P and the initial distribution are shared
// between clones (they never change after construction).
class DiscreteModelEnv : public Env {
 public:
  DiscreteModelEnv(EnvSpec spec, std::shared_ptr<const TransitionModel> P,
                   std::shared_ptr<const std::vector<double>> initial_cdf)
      : Env(std::move(spec)), P_(std::move(P)), initial_cdf_(std::move(initial_cdf)) {}

  const TransitionModel& P() const override { return *P_; }
  bool has_transition_model() const override { return true; }

  // [s, lastaction].
  std::vector<double> GetState() const override {
    return {static_cast<double>(s_), static_cast<double>(lastaction_)};
  }
  // [s] or [s, lastaction].
  void SetState(std::span<const double> state) override {
    if (state.empty() || state.size() > 2) {
      throw Error(fmt::format("{}: SetState expects [s, lastaction] (or [s]), got {} values",
                              spec().id, state.size()));
    }
    SetStateAndAction(state);
    MarkRunning();
  }

 protected:
  int64_t num_states() const { return static_cast<int64_t>(P_->size()); }
  int64_t num_actions() const { return spec().action_space.n(); }

  void SetStateAndAction(std::span<const double> state) {
    s_ = StateInt(spec().id, state, 0, 0, num_states() - 1, "s");
    lastaction_ = state.size() > 1 ? StateInt(spec().id, state, 1, -1, num_actions() - 1,
                                              "lastaction (-1 for None)")
                                   : -1;
  }

  // reset(): s = categorical_sample(initial_state_distrib, np_random).
  void DoReset(void* obs) override {
    s_ = SampleFromCdf(*initial_cdf_, np_random().Random());
    lastaction_ = -1;
    *static_cast<int64_t*>(obs) = s_;
  }

  // step(a): one draw, then the chosen transition. No allocation.
  StepResult DoStep(const void* action, void* obs) override {
    const int64_t a = *static_cast<const int64_t*>(action);
    const Transition& t = SampleTransition(a);
    s_ = t.next_state;
    lastaction_ = a;
    *static_cast<int64_t*>(obs) = s_;
    return {t.reward, t.terminated, false};
  }

  const Transition& SampleTransition(int64_t a) {
    const std::vector<Transition>& ts = (*P_)[s_][a];
    return ts[CategoricalSample(ts, np_random().Random())];
  }

  std::shared_ptr<const TransitionModel> P_;
  std::shared_ptr<const std::vector<double>> initial_cdf_;
  int64_t s_ = 0;
  int64_t lastaction_ = -1;  // Gymnasium's None
};

// Per-family registration, called by RegisterToyText (toy_text.cpp).
void RegisterFrozenLake(std::vector<EnvRegistration>& out);
void RegisterCliffWalking(std::vector<EnvRegistration>& out);
void RegisterTaxi(std::vector<EnvRegistration>& out);
void RegisterBlackjack(std::vector<EnvRegistration>& out);
void RegisterFourRooms(std::vector<EnvRegistration>& out);

}  // namespace bellman::toy_text
