// Exact-gradient learners on the memory-1 iterated prisoner's dilemma
// (bellman/train/ipd_learners.h).
#include "bellman/train/ipd_learners.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/core/validate.h"
#include "bellman/nets/threads.h"

namespace bellman::train {

void IpdLearningConfig::Validate() const {
  for (const std::string& l : learners) {
    if (l != "naive" && l != "loqa") {
      throw Error(fmt::format("ipd: learner '{}' is unknown; expected naive or loqa", l));
    }
  }
  Require(gamma >= 0.0 && gamma < 1.0, "ipd.gamma must be in [0, 1), got {}", gamma);
  Require(lr > 0.0, "ipd.lr must be > 0, got {}", lr);
  Require(steps >= 0, "ipd.steps must be >= 0, got {}", steps);
  Require(temperature > 0.0, "ipd.temperature must be > 0, got {}", temperature);
  Require(init_std >= 0.0, "ipd.init_std must be >= 0, got {}", init_std);
}

namespace {

using torch::Tensor;

// Outcomes o = 2 a + b over (own action a, other's action b), 0 = cooperate: CC, CD, DC, DD.
// LOLA's payoffs from the own side, and the other's in the same outcome order.
Tensor OwnPayoff() { return torch::tensor({-1.0, -3.0, 0.0, -2.0}, torch::kFloat64); }
Tensor OtherPayoff() { return torch::tensor({-1.0, 0.0, -3.0, -2.0}, torch::kFloat64); }

// The other agent's cooperation probabilities re-indexed to our states (its CD is our DC).
Tensor ToOurStates(const Tensor& q) { return q.index({torch::tensor({0, 1, 3, 2, 4})}); }

// Joint outcome probabilities from each of the 5 states: [5, 4].
Tensor OutcomeProbs(const Tensor& p, const Tensor& q) {
  return torch::stack({p * q, p * (1 - q), (1 - p) * q, (1 - p) * (1 - q)}, 1);
}

struct Exact {
  Tensor P0;  // [4] first outcome
  Tensor P;   // [4, 4] outcome -> next outcome
  Tensor M;   // (I - gamma P)^{-1}
};

Exact Solve(const Tensor& p, const Tensor& q, double gamma) {
  const Tensor probs = OutcomeProbs(p, q);
  Exact e{probs[0], probs.slice(0, 1, 5), Tensor()};
  e.M = torch::inverse(torch::eye(4, torch::kFloat64) - gamma * e.P);
  return e;
}

Tensor Value(const Exact& e, const Tensor& r) { return e.P0.matmul(e.M).matmul(r); }

// The gradient for one agent: p its policy (from theta with grad), q the other's in our states.
Tensor Gradient(const Tensor& theta, const Tensor& other_theta, const std::string& learner,
                const IpdLearningConfig& c) {
  const Tensor t = theta.detach().requires_grad_(true);
  const Tensor p = torch::sigmoid(t);
  const Tensor q = ToOurStates(torch::sigmoid(other_theta.detach()));
  Tensor q_used = q;
  if (learner == "loqa") {
    // The other's exact action values under both policies: Q(s, b) = sum_a pi(a | s) [r(a, b) +
    // gamma W(o(a, b))], W = (I - gamma P)^{-1} P r the value after each outcome.
    const Exact e = Solve(p, q, c.gamma);
    const Tensor r = OtherPayoff();
    const Tensor W = e.M.matmul(e.P.matmul(r));
    const Tensor after = r + c.gamma * W;                     // by outcome o = 2 a + b
    const Tensor q_coop = p * after[0] + (1 - p) * after[2];  // b = C
    const Tensor q_def = p * after[1] + (1 - p) * after[3];   // b = D
    const Tensor model = torch::sigmoid((q_coop - q_def) / c.temperature);
    // The actual policy's value, the model's gradient.
    q_used = q + (model - model.detach());
  }
  const Tensor v = Value(Solve(p, q_used, c.gamma), OwnPayoff());
  v.backward();
  return t.grad().detach();
}

}  // namespace

IpdLearningResult TrainIpdPair(const IpdLearningConfig& c) {
  c.Validate();
  nets::SetNumThreads(1, 1);
  Rng rng(c.seed);
  std::array<Tensor, 2> theta;
  for (Tensor& t : theta) {
    std::vector<double> init(5);
    for (double& x : init) x = c.init_std * rng.StandardNormal();
    t = torch::tensor(init, torch::kFloat64);
  }
  for (int64_t step = 0; step < c.steps; ++step) {
    const Tensor g0 = Gradient(theta[0], theta[1], c.learners[0], c);
    const Tensor g1 = Gradient(theta[1], theta[0], c.learners[1], c);
    theta[0] = theta[0] + c.lr * g0;
    theta[1] = theta[1] + c.lr * g1;
  }
  torch::NoGradGuard no_grad;
  IpdLearningResult out;
  const Tensor p = torch::sigmoid(theta[0]), q_own = torch::sigmoid(theta[1]);
  for (int64_t i = 0; i < 2; ++i) {
    const Tensor pi = torch::sigmoid(theta[static_cast<size_t>(i)]).contiguous();
    out.cooperate[static_cast<size_t>(i)].assign(pi.data_ptr<double>(), pi.data_ptr<double>() + 5);
  }
  const Exact e = Solve(p, ToOurStates(q_own), c.gamma);
  out.average_reward[0] = (1 - c.gamma) * Value(e, OwnPayoff()).item<double>();
  out.average_reward[1] = (1 - c.gamma) * Value(e, OtherPayoff()).item<double>();
  const Tensor occ = ((1 - c.gamma) * e.P0.matmul(e.M)).contiguous();
  for (int64_t o = 0; o < 4; ++o) out.occupancy[static_cast<size_t>(o)] = occ[o].item<double>();
  return out;
}

}  // namespace bellman::train
