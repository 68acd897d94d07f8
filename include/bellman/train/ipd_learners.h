// Learning in the iterated prisoner's dilemma with memory-1 policies and exact discounted
// values (the exact setting of LOLA, Foerster et al. 2018, section 4.1): each agent's policy is
// P(cooperate | s) = sigmoid(theta[s]) for s = start, CC, CD, DC, DD (own action first), and
// V = p0^T (I - gamma P)^{-1} r in closed form. Learners:
//   naive  gradient ascent on V_own with the other's policy held fixed (defects: LOLA, Table 1);
//   loqa   LOQA (Aghajohari et al. 2024) with exact values: the opponent is modelled as
//          sampling in proportion to exp(Q_opp / temperature), Q_opp being the opponent's exact
//          action values under both current policies, which depend on the agent's own policy;
//          the agent ascends V_own(p, q) where q has the opponent's actual cooperation
//          probabilities as its value and the model's gradient (the exact counterpart of LOQA's
//          score-function term through log pi_opp_model).
// docs/games.md. Torch-free header.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace bellman::train {

struct IpdLearningConfig {
  std::array<std::string, 2> learners = {"loqa", "loqa"};  // naive | loqa
  double gamma = 0.96;
  double lr = 1.0;
  int64_t steps = 300;  // simultaneous gradient steps
  double temperature = 1.0;
  double init_std = 1.0;  // theta[s] ~ N(0, init_std^2) from Rng(seed), agent 0 first
  uint64_t seed = 0;
  void Validate() const;  // throws bellman::Error naming the bad field
};

struct IpdLearningResult {
  std::array<std::vector<double>, 2> cooperate;  // P(C | s), s = start, CC, CD, DC, DD
  std::array<double, 2> average_reward{};        // (1 - gamma) V: reward per step
  // Discounted occupancy (1 - gamma) sum_t gamma^t P(outcome at t) of CC, CD, DC, DD (agent 0's
  // action first).
  std::array<double, 4> occupancy{};
};

IpdLearningResult TrainIpdPair(const IpdLearningConfig& config);

}  // namespace bellman::train
