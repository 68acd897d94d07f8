// Planning on an explicit P: value iteration, exact policy evaluation, policy iteration.
// Sutton & Barto 2018, chapter 4; docs/tabular.md.
#include "bellman/tabular/planning.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "bellman/core/error.h"

namespace bellman::tabular {

namespace {

void CheckGamma(double gamma, bool allow_one, const std::string& who) {
  const bool ok = allow_one ? (gamma >= 0.0 && gamma <= 1.0) : (gamma >= 0.0 && gamma < 1.0);
  if (!ok) {
    throw Error(fmt::format("{}: gamma must be in {}, got {}", who, allow_one ? "[0, 1]" : "[0, 1)",
                            gamma));
  }
}

// One Bellman expectation lookahead for (s, a). A terminated transition does not bootstrap.
double Lookahead(const std::vector<Transition>& outcomes, const std::vector<double>& V,
                 double gamma) {
  double q = 0.0;
  for (const Transition& t : outcomes) {
    const double target = t.terminated ? t.reward : t.reward + gamma * V[t.next_state];
    q += t.prob * target;
  }
  return q;
}

}  // namespace

bool SolveLinear(std::vector<double>& A, std::vector<double>& B, size_t n, size_t m) {
  for (size_t k = 0; k < n; ++k) {
    size_t piv = k;
    double best = std::abs(A[k * n + k]);
    for (size_t i = k + 1; i < n; ++i) {
      const double v = std::abs(A[i * n + k]);
      if (v > best) {
        best = v;
        piv = i;
      }
    }
    // Entries of I - gamma P_pi are O(1); a pivot this small means a singular system, not a
    // badly scaled one.
    if (!(best > 1e-13)) return false;
    if (piv != k) {
      std::swap_ranges(A.begin() + k * n, A.begin() + (k + 1) * n, A.begin() + piv * n);
      std::swap_ranges(B.begin() + k * m, B.begin() + (k + 1) * m, B.begin() + piv * m);
    }
    const double* row_k = &A[k * n];
    const double* b_k = &B[k * m];
    for (size_t i = k + 1; i < n; ++i) {
      double* row_i = &A[i * n];
      const double f = row_i[k] / row_k[k];
      if (f == 0.0) continue;  // P_pi is sparse: most rows have nothing to eliminate
      row_i[k] = 0.0;
      for (size_t j = k + 1; j < n; ++j) row_i[j] -= f * row_k[j];
      double* b_i = &B[i * m];
      for (size_t j = 0; j < m; ++j) b_i[j] -= f * b_k[j];
    }
  }
  for (size_t k = n; k-- > 0;) {
    const double* row_k = &A[k * n];
    double* x = &B[k * m];
    for (size_t j = k + 1; j < n; ++j) {
      const double a = row_k[j];
      if (a == 0.0) continue;
      const double* x_j = &B[j * m];
      for (size_t c = 0; c < m; ++c) x[c] -= a * x_j[c];
    }
    for (size_t c = 0; c < m; ++c) x[c] /= row_k[k];
  }
  return true;
}

namespace {

void CheckPolicy(const TransitionModel& P, const std::vector<int64_t>& policy,
                 const std::string& who) {
  const size_t nS = P.size();
  const int64_t nA = static_cast<int64_t>(P[0].size());
  if (policy.size() != nS) {
    throw Error(fmt::format("{}: policy has {} entries, expected one per state ({})", who,
                            policy.size(), nS));
  }
  for (size_t s = 0; s < nS; ++s) {
    if (policy[s] < 0 || policy[s] >= nA) {
      throw Error(
          fmt::format("{}: policy[{}] = {} is not an action in [0, {})", who, s, policy[s], nA));
    }
  }
}

// With gamma == 1, I - P_pi is singular exactly when some state cannot reach a terminated
// transition under pi (those states form a closed set that never ends). Returns the lowest such
// state, or -1.
int64_t FirstNonTerminatingState(const TransitionModel& P, const std::vector<int64_t>& policy) {
  const size_t nS = P.size();
  std::vector<std::vector<int64_t>> preds(nS);
  std::vector<char> ends(nS, 0);
  std::vector<int64_t> frontier;
  for (size_t s = 0; s < nS; ++s) {
    for (const Transition& t : P[s][policy[s]]) {
      if (t.prob <= 0.0) continue;
      if (t.terminated) {
        ends[s] = 1;
      } else {
        preds[t.next_state].push_back(static_cast<int64_t>(s));
      }
    }
    if (ends[s]) frontier.push_back(static_cast<int64_t>(s));
  }
  while (!frontier.empty()) {
    const int64_t s = frontier.back();
    frontier.pop_back();
    for (int64_t p : preds[s]) {
      if (!ends[p]) {
        ends[p] = 1;
        frontier.push_back(p);
      }
    }
  }
  for (size_t s = 0; s < nS; ++s) {
    if (!ends[s]) return static_cast<int64_t>(s);
  }
  return -1;
}

std::vector<double> EvaluateValidated(const TransitionModel& P, const std::vector<int64_t>& policy,
                                      double gamma, const std::string& who) {
  const size_t n = P.size();
  if (gamma == 1.0) {
    const int64_t s = FirstNonTerminatingState(P, policy);
    if (s >= 0) {
      throw Error(fmt::format(
          "{}: with gamma = 1 the policy never terminates from state {} (action {}), so "
          "(I - gamma P_pi) V = r_pi has no unique solution; use gamma < 1",
          who, s, policy[s]));
    }
  }
  std::vector<double> A(n * n, 0.0);
  std::vector<double> b(n, 0.0);
  for (size_t s = 0; s < n; ++s) {
    A[s * n + s] = 1.0;
    for (const Transition& t : P[s][policy[s]]) {
      b[s] += t.prob * t.reward;
      if (!t.terminated) A[s * n + t.next_state] -= gamma * t.prob;
    }
  }
  if (!SolveLinear(A, b, n, 1)) {
    throw Error(fmt::format("{}: (I - gamma P_pi) is singular (gamma = {})", who, gamma));
  }
  return b;
}

}  // namespace

void ValidateTransitionModel(const TransitionModel& P, const std::string& who) {
  if (P.empty()) throw Error(fmt::format("{}: the transition model has no states", who));
  const size_t nS = P.size();
  const size_t nA = P[0].size();
  if (nA == 0) throw Error(fmt::format("{}: state 0 has no actions", who));
  for (size_t s = 0; s < nS; ++s) {
    if (P[s].size() != nA) {
      throw Error(fmt::format("{}: state {} has {} actions, expected {} (as state 0)", who, s,
                              P[s].size(), nA));
    }
    for (size_t a = 0; a < nA; ++a) {
      const std::vector<Transition>& outcomes = P[s][a];
      if (outcomes.empty()) {
        throw Error(
            fmt::format("{}: P[{}][{}] has no transitions; expected probabilities "
                        "summing to 1",
                        who, s, a));
      }
      double sum = 0.0;
      for (const Transition& t : outcomes) {
        if (!(t.prob >= 0.0 && t.prob <= 1.0)) {
          throw Error(fmt::format("{}: P[{}][{}] has probability {}, expected a value in [0, 1]",
                                  who, s, a, t.prob));
        }
        if (t.next_state < 0 || t.next_state >= static_cast<int64_t>(nS)) {
          throw Error(fmt::format("{}: P[{}][{}] has next state {}, expected a state in [0, {})",
                                  who, s, a, t.next_state, nS));
        }
        if (!std::isfinite(t.reward)) {
          throw Error(fmt::format("{}: P[{}][{}] has reward {}, expected a finite number", who, s,
                                  a, t.reward));
        }
        sum += t.prob;
      }
      if (!(std::abs(sum - 1.0) <= 1e-9)) {
        throw Error(fmt::format(
            "{}: probabilities of P[{}][{}] sum to {}, expected 1 (within 1e-9)", who, s, a, sum));
      }
    }
  }
}

const TransitionModel& RequireTransitionModel(const Env& env, const std::string& who) {
  if (!env.has_transition_model()) {
    throw Error(fmt::format(
        "{}: {} has no tabular transition model (P); planning needs one of the toy-text envs "
        "with P (FrozenLake-v1, FrozenLake8x8-v1, CliffWalking-v1, Taxi-v4)",
        who, env.spec().id));
  }
  return env.P();
}

QTable QFromV(const TransitionModel& P, const std::vector<double>& V, double gamma) {
  QTable Q(P.size());
  for (size_t s = 0; s < P.size(); ++s) {
    Q[s].resize(P[s].size());
    for (size_t a = 0; a < P[s].size(); ++a) Q[s][a] = Lookahead(P[s][a], V, gamma);
  }
  return Q;
}

std::vector<int64_t> GreedyPolicy(const QTable& Q) {
  std::vector<int64_t> pi(Q.size(), 0);
  for (size_t s = 0; s < Q.size(); ++s) {
    // Strict '>' keeps the first maximum: np.argmax's tie-break.
    for (size_t a = 1; a < Q[s].size(); ++a) {
      if (Q[s][a] > Q[s][pi[s]]) pi[s] = static_cast<int64_t>(a);
    }
  }
  return pi;
}

PlanningResult ValueIteration(const TransitionModel& P, double gamma, double tol,
                              int64_t max_iters) {
  const std::string who = "ValueIteration";
  if (gamma == 1.0 && max_iters <= 0) {
    throw Error(
        fmt::format("{}: gamma = 1 needs max_iters > 0 (undiscounted value iteration "
                    "need not converge), got max_iters = {}",
                    who, max_iters));
  }
  CheckGamma(gamma, /*allow_one=*/true, who);
  if (!(tol > 0.0) || !std::isfinite(tol)) {
    throw Error(fmt::format("{}: tol must be a finite number > 0, got {}", who, tol));
  }
  if (max_iters < 0) {
    throw Error(
        fmt::format("{}: max_iters must be >= 0 (0: until converged), got {}", who, max_iters));
  }
  ValidateTransitionModel(P, who);

  int64_t cap = max_iters;
  if (cap == 0) {
    // ||V_{k+1} - V_k|| <= gamma^k ||V_1 - V_0|| <= gamma^k r_max from V_0 = 0, so exact
    // arithmetic converges within log(tol / r_max) / log(gamma) sweeps; twice that plus a margin
    // only fails when tol is below the rounding noise of the values.
    double r_max = 0.0;
    for (const auto& row : P)
      for (const auto& outcomes : row)
        for (const Transition& t : outcomes) r_max = std::max(r_max, std::abs(t.reward));
    double sweeps = 1.0;
    if (gamma > 0.0 && r_max > tol) sweeps = std::log(tol / r_max) / std::log(gamma);
    cap = static_cast<int64_t>(std::min(2.0 * std::ceil(sweeps) + 100.0, 1e9));
  }

  const size_t nS = P.size();
  std::vector<double> V(nS, 0.0), V_next(nS, 0.0);
  PlanningResult out;
  for (int64_t k = 1; k <= cap; ++k) {
    double delta = 0.0;
    for (size_t s = 0; s < nS; ++s) {
      double best = -std::numeric_limits<double>::infinity();
      for (const auto& outcomes : P[s]) best = std::max(best, Lookahead(outcomes, V, gamma));
      V_next[s] = best;
      delta = std::max(delta, std::abs(best - V[s]));
    }
    V.swap(V_next);
    out.iterations = k;
    if (delta < tol) {
      out.converged = true;
      break;
    }
  }
  // One more backup gives Q; V is then re-read from Q so that V(s) = max_a Q(s, a) exactly and
  // the greedy policy is greedy in the V that is returned.
  out.Q = QFromV(P, V, gamma);
  out.policy = GreedyPolicy(out.Q);
  out.V.resize(nS);
  for (size_t s = 0; s < nS; ++s) out.V[s] = out.Q[s][out.policy[s]];
  return out;
}

PlanningResult ValueIteration(const Env& env, double gamma, double tol, int64_t max_iters) {
  return ValueIteration(RequireTransitionModel(env, "ValueIteration"), gamma, tol, max_iters);
}

std::vector<double> PolicyEvaluation(const TransitionModel& P, const std::vector<int64_t>& policy,
                                     double gamma) {
  const std::string who = "PolicyEvaluation";
  CheckGamma(gamma, /*allow_one=*/true, who);
  ValidateTransitionModel(P, who);
  CheckPolicy(P, policy, who);
  return EvaluateValidated(P, policy, gamma, who);
}

PlanningResult PolicyIteration(const TransitionModel& P, double gamma, int64_t max_iters) {
  const std::string who = "PolicyIteration";
  CheckGamma(gamma, /*allow_one=*/false, who);
  if (max_iters < 0) {
    throw Error(
        fmt::format("{}: max_iters must be >= 0 (0: until stable), got {}", who, max_iters));
  }
  ValidateTransitionModel(P, who);
  const int64_t cap = max_iters > 0 ? max_iters : 10000;
  const size_t nS = P.size();

  PlanningResult out;
  std::vector<int64_t> pi(nS, 0);
  for (int64_t k = 1; k <= cap; ++k) {
    out.V = EvaluateValidated(P, pi, gamma, who);
    out.Q = QFromV(P, out.V, gamma);
    out.iterations = k;
    out.policy = pi;  // V and Q belong to this policy, also if the cap ends the loop
    std::vector<int64_t> improved(nS, 0);
    for (size_t s = 0; s < nS; ++s) {
      const std::vector<double>& q = out.Q[s];
      const double best = *std::max_element(q.begin(), q.end());
      const double slack = 1e-12 * (1.0 + std::abs(best));
      size_t a = 0;
      while (q[a] < best - slack) ++a;
      improved[s] = static_cast<int64_t>(a);
    }
    if (improved == pi) {
      out.converged = true;
      break;
    }
    pi.swap(improved);
  }
  return out;
}

PlanningResult PolicyIteration(const Env& env, double gamma, int64_t max_iters) {
  return PolicyIteration(RequireTransitionModel(env, "PolicyIteration"), gamma, max_iters);
}

}  // namespace bellman::tabular
