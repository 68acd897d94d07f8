// Options and semi-MDPs (bellman/tabular/options.h; Sutton, Precup & Singh 1999).
#include "bellman/tabular/options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/envs/toy_text.h"

namespace bellman::tabular {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

size_t Index(int64_t s) { return static_cast<size_t>(s); }

void CheckOptions(const std::vector<Option>& options, size_t num_states, int64_t num_actions,
                  const std::string& who) {
  if (options.empty()) throw Error(fmt::format("{}: no options", who));
  for (const Option& o : options) {
    if (o.initiation.size() != num_states || o.policy.size() != num_states ||
        o.termination.size() != num_states) {
      throw Error(fmt::format(
          "{}: option '{}' has {} / {} / {} initiation / policy / termination "
          "entries; the model has {} states",
          who, o.name, o.initiation.size(), o.policy.size(), o.termination.size(), num_states));
    }
    for (size_t s = 0; s < num_states; ++s) {
      const bool runs = o.initiation[s] || o.termination[s] < 1.0;
      if (runs && (o.policy[s] < 0 || o.policy[s] >= num_actions)) {
        throw Error(fmt::format("{}: option '{}' takes action {} in state {}; expected 0..{}", who,
                                o.name, o.policy[s], s, num_actions - 1));
      }
      if (!(o.termination[s] >= 0.0 && o.termination[s] <= 1.0)) {
        throw Error(fmt::format("{}: option '{}' has beta({}) = {}; expected [0, 1]", who, o.name,
                                s, o.termination[s]));
      }
    }
  }
}

// Every state has an option to start (a set of options to plan or learn with).
void CheckCoverage(const std::vector<Option>& options, size_t num_states, const std::string& who) {
  for (size_t s = 0; s < num_states; ++s) {
    const bool any = std::any_of(options.begin(), options.end(),
                                 [&](const Option& o) { return o.initiation[s] != 0; });
    if (!any) {
      throw Error(fmt::format(
          "{}: no option is available in state {}; every state needs one (add the primitive "
          "actions as options)",
          who, s));
    }
  }
}

// Greedy available option, lowest index on ties.
int64_t Greedy(const std::vector<double>& q) {
  return static_cast<int64_t>(std::max_element(q.begin(), q.end()) - q.begin());
}

}  // namespace

Option PrimitiveOption(int64_t num_states, int64_t action, const std::string& name) {
  return Option{.name = name,
                .initiation = std::vector<uint8_t>(Index(num_states), 1),
                .policy = std::vector<int64_t>(Index(num_states), action),
                .termination = std::vector<double>(Index(num_states), 1.0)};
}

std::vector<Option> PrimitiveOptions(int64_t num_states, int64_t num_actions) {
  std::vector<Option> out;
  for (int64_t a = 0; a < num_actions; ++a) {
    out.push_back(PrimitiveOption(num_states, a, fmt::format("action{}", a)));
  }
  return out;
}

std::vector<Option> FourRoomsHallwayOptions() {
  const std::vector<std::string>& m = FourRoomsMap();
  const auto nrow = static_cast<int64_t>(m.size()), ncol = static_cast<int64_t>(m[0].size());
  std::vector<int64_t> state_of(Index(nrow * ncol), -1), row, col;
  for (int64_t r = 0; r < nrow; ++r) {
    for (int64_t c = 0; c < ncol; ++c) {
      if (m[r][c] == '#') continue;
      state_of[Index(r * ncol + c)] = static_cast<int64_t>(row.size());
      row.push_back(r);
      col.push_back(c);
    }
  }
  const auto nS = static_cast<int64_t>(row.size());
  constexpr int64_t kDelta[4][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};  // the env's actions
  auto neighbour = [&](int64_t s, int64_t a) {
    const int64_t r = row[Index(s)] + kDelta[a][0], c = col[Index(s)] + kDelta[a][1];
    return m[r][c] == '#' ? int64_t{-1} : state_of[Index(r * ncol + c)];
  };
  auto hallway = [&](int64_t s) { return m[row[Index(s)]][col[Index(s)]] == 'H'; };
  // Rooms: connected components of non-hallway cells.
  std::vector<int64_t> room(Index(nS), -1);
  int64_t rooms = 0;
  for (int64_t s = 0; s < nS; ++s) {
    if (hallway(s) || room[Index(s)] >= 0) continue;
    std::deque<int64_t> todo = {s};
    room[Index(s)] = rooms;
    while (!todo.empty()) {
      const int64_t u = todo.front();
      todo.pop_front();
      for (int64_t a = 0; a < 4; ++a) {
        const int64_t v = neighbour(u, a);
        if (v >= 0 && !hallway(v) && room[Index(v)] < 0) {
          room[Index(v)] = rooms;
          todo.push_back(v);
        }
      }
    }
    ++rooms;
  }
  std::vector<Option> out;
  for (int64_t r = 0; r < rooms; ++r) {
    std::vector<int64_t> halls;  // the room's hallways, in state order
    for (int64_t s = 0; s < nS; ++s) {
      if (!hallway(s)) continue;
      for (int64_t a = 0; a < 4; ++a) {
        const int64_t v = neighbour(s, a);
        if (v >= 0 && room[Index(v)] == r) {
          halls.push_back(s);
          break;
        }
      }
    }
    for (const int64_t target : halls) {
      // Breadth-first distances to the target over the room and its hallways.
      auto inside = [&](int64_t s) { return room[Index(s)] == r || hallway(s); };
      std::vector<int64_t> dist(Index(nS), -1);
      std::deque<int64_t> todo = {target};
      dist[Index(target)] = 0;
      while (!todo.empty()) {
        const int64_t u = todo.front();
        todo.pop_front();
        if (u != target && hallway(u)) continue;  // other hallways lead out of the room
        for (int64_t a = 0; a < 4; ++a) {
          const int64_t v = neighbour(u, a);
          if (v >= 0 && inside(v) && dist[Index(v)] < 0) {
            dist[Index(v)] = dist[Index(u)] + 1;
            todo.push_back(v);
          }
        }
      }
      Option o{.name = fmt::format("room{}->{}", r, target),
               .initiation = std::vector<uint8_t>(Index(nS), 0),
               .policy = std::vector<int64_t>(Index(nS), 0),
               .termination = std::vector<double>(Index(nS), 1.0)};
      for (int64_t s = 0; s < nS; ++s) {
        const bool in_room = room[Index(s)] == r;
        const bool other_hall =
            hallway(s) && s != target && std::find(halls.begin(), halls.end(), s) != halls.end();
        if (!in_room && !other_hall) continue;
        o.initiation[Index(s)] = 1;
        if (in_room) o.termination[Index(s)] = 0.0;
        for (int64_t a = 0; a < 4; ++a) {  // the first action that gets one step closer
          const int64_t v = neighbour(s, a);
          if (v >= 0 && dist[Index(v)] >= 0 && dist[Index(v)] == dist[Index(s)] - 1) {
            o.policy[Index(s)] = a;
            break;
          }
        }
      }
      out.push_back(std::move(o));
    }
  }
  return out;
}

Laplacian GraphLaplacian(const TransitionModel& P) {
  ValidateTransitionModel(P, "GraphLaplacian");
  const size_t n = P.size();
  std::vector<double> A(n * n, 0.0);
  for (size_t s = 0; s < n; ++s) {
    for (const auto& outcomes : P[s]) {
      for (const Transition& t : outcomes) {
        const auto x = Index(t.next_state);
        if (x != s && t.prob > 0.0) A[s * n + x] = A[x * n + s] = 1.0;
      }
    }
  }
  Laplacian out;
  out.L.assign(n * n, 0.0);
  for (size_t s = 0; s < n; ++s) {
    double degree = 0.0;
    for (size_t x = 0; x < n; ++x) degree += A[s * n + x];
    for (size_t x = 0; x < n; ++x) out.L[s * n + x] = (s == x ? degree : 0.0) - A[s * n + x];
  }
  // Cyclic Jacobi (Golub & Van Loan, Algorithm 8.5.3): rotations zero each off-diagonal entry in
  // turn until the off-diagonal mass is below 1e-22 of the total; V accumulates the rotations.
  std::vector<double> M = out.L, V(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) V[i * n + i] = 1.0;
  double total = 0.0;
  for (double x : M) total += x * x;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0.0;
    for (size_t p = 0; p < n; ++p) {
      for (size_t q = p + 1; q < n; ++q) off += 2.0 * M[p * n + q] * M[p * n + q];
    }
    if (off <= 1e-22 * total) break;
    for (size_t p = 0; p < n; ++p) {
      for (size_t q = p + 1; q < n; ++q) {
        const double apq = M[p * n + q];
        if (apq == 0.0) continue;
        const double theta = (M[q * n + q] - M[p * n + p]) / (2.0 * apq);
        const double t =
            (theta >= 0.0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), sn = t * c;
        for (size_t k = 0; k < n; ++k) {  // columns p, q of M
          const double mkp = M[k * n + p], mkq = M[k * n + q];
          M[k * n + p] = c * mkp - sn * mkq;
          M[k * n + q] = sn * mkp + c * mkq;
        }
        for (size_t k = 0; k < n; ++k) {  // rows p, q of M
          const double mpk = M[p * n + k], mqk = M[q * n + k];
          M[p * n + k] = c * mpk - sn * mqk;
          M[q * n + k] = sn * mpk + c * mqk;
        }
        for (size_t k = 0; k < n; ++k) {  // columns p, q of V
          const double vkp = V[k * n + p], vkq = V[k * n + q];
          V[k * n + p] = c * vkp - sn * vkq;
          V[k * n + q] = sn * vkp + c * vkq;
        }
      }
    }
  }
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return M[a * n + a] < M[b * n + b]; });
  for (size_t i : order) {
    out.eigenvalues.push_back(M[i * n + i]);
    std::vector<double> v(n);
    size_t big = 0;
    for (size_t k = 0; k < n; ++k) {
      v[k] = V[k * n + i];
      if (std::abs(v[k]) > std::abs(v[big]) + 1e-12) big = k;
    }
    if (v[big] < 0.0) {
      for (double& x : v) x = -x;
    }
    out.eigenvectors.push_back(std::move(v));
  }
  return out;
}

Option EigenOption(const TransitionModel& P, const std::vector<double>& e, double gamma,
                   const std::string& name) {
  ValidateTransitionModel(P, "EigenOption");
  const size_t n = P.size();
  if (e.size() != n) {
    throw Error(fmt::format("EigenOption: a direction of {} entries for {} states", e.size(), n));
  }
  // Value iteration on the intrinsic-reward MDP (reward e(s') - e(s), the env's dynamics and
  // terminations) with a "stop" action worth 0 (Machado et al. 2017's terminate action):
  //   V(s) = max(0, max_a sum_k p_k (e(s'_k) - e(s) + gamma (1 - terminated_k) V(s'_k))).
  const size_t nA = P[0].size();
  std::vector<double> V(n, 0.0);
  QTable Q(n, std::vector<double>(nA, 0.0));
  for (int it = 0; it < 100000; ++it) {
    double delta = 0.0;
    for (size_t s = 0; s < n; ++s) {
      for (size_t a = 0; a < nA; ++a) {
        double q = 0.0;
        for (const Transition& t : P[s][a]) {
          const auto x = Index(t.next_state);
          q += t.prob * (e[x] - e[s] + (t.terminated ? 0.0 : gamma * V[x]));
        }
        Q[s][a] = q;
      }
    }
    for (size_t s = 0; s < n; ++s) {
      const double v = std::max(0.0, *std::max_element(Q[s].begin(), Q[s].end()));
      delta = std::max(delta, std::abs(v - V[s]));
      V[s] = v;
    }
    if (delta < 1e-13) break;
  }
  Option o{.name = name,
           .initiation = std::vector<uint8_t>(n, 0),
           .policy = GreedyPolicy(Q),
           .termination = std::vector<double>(n, 1.0)};
  for (size_t s = 0; s < n; ++s) {
    const double best = *std::max_element(Q[s].begin(), Q[s].end());
    if (best > 1e-12) {  // climbing e is worth more than stopping here
      o.initiation[s] = 1;
      o.termination[s] = 0.0;
    }
  }
  return o;
}

std::vector<double> SuccessorRepresentation(const TransitionModel& P,
                                            const std::vector<int64_t>& policy, double gamma) {
  ValidateTransitionModel(P, "SuccessorRepresentation");
  const size_t n = P.size();
  const size_t nA = P[0].size();
  if (!policy.empty() && policy.size() != n) {
    throw Error(fmt::format("SuccessorRepresentation: a policy of {} entries for {} states",
                            policy.size(), n));
  }
  std::vector<double> A(n * n, 0.0), I(n * n, 0.0);
  for (size_t s = 0; s < n; ++s) {
    A[s * n + s] = 1.0;
    I[s * n + s] = 1.0;
    for (size_t a = 0; a < nA; ++a) {
      if (!policy.empty() && Index(policy[s]) != a) continue;
      const double pa = policy.empty() ? 1.0 / static_cast<double>(nA) : 1.0;
      for (const Transition& t : P[s][a]) {
        if (!t.terminated) A[s * n + Index(t.next_state)] -= gamma * pa * t.prob;
      }
    }
  }
  if (!SolveLinear(A, I, n, n)) {
    throw Error(
        "SuccessorRepresentation: I - gamma P_pi is singular (gamma = 1 and a policy "
        "that never terminates?)");
  }
  return I;
}

std::vector<double> LearnSuccessorRepresentation(Env& env, const std::vector<int64_t>& policy,
                                                 double gamma, int64_t steps, double alpha,
                                                 double alpha_power, int64_t seed) {
  const Space& os = env.observation_space();
  const Space& as = env.action_space();
  if (os.kind() != Space::Kind::kDiscrete || as.kind() != Space::Kind::kDiscrete) {
    throw Error(
        fmt::format("{}: a tabular SR needs Discrete observations and actions", env.spec().id));
  }
  const auto n = Index(os.n());
  if (!policy.empty() && policy.size() != n) {
    throw Error(fmt::format("LearnSuccessorRepresentation: a policy of {} entries for {} states",
                            policy.size(), n));
  }
  std::vector<double> psi(n * n, 0.0);
  std::vector<int64_t> updates(n, 0);
  Rng rng = Rng(static_cast<uint64_t>(seed)).Spawn(1)[0];
  int64_t obs = 0;
  env.Reset(static_cast<uint64_t>(seed), &obs);
  for (int64_t t = 0; t < steps; ++t) {
    const auto s = Index(obs - os.start());
    const int64_t action = as.start() + (policy.empty() ? rng.Integers(0, as.n()) : policy[s]);
    int64_t next = 0;
    const StepResult r = env.Step(&action, &next);
    const auto x = Index(next - os.start());
    const double n_s = static_cast<double>(++updates[s]);
    const double a = alpha_power > 0.0 ? alpha / std::pow(n_s, alpha_power) : alpha;
    double* row = &psi[s * n];
    const double* next_row = &psi[x * n];
    const double bootstrap = r.terminated ? 0.0 : gamma;
    for (size_t j = 0; j < n; ++j) {
      const double target = (j == s ? 1.0 : 0.0) + bootstrap * next_row[j];
      row[j] += a * (target - row[j]);
    }
    obs = next;
    if (r.terminated || r.truncated) env.Reset(std::nullopt, &obs);
  }
  return psi;
}

OptionModel ComputeOptionModel(const TransitionModel& P, const Option& option, double gamma) {
  const size_t n = P.size();
  CheckOptions({option}, n, static_cast<int64_t>(P.empty() ? 0 : P[0].size()),
               "ComputeOptionModel");
  if (!(gamma >= 0.0 && gamma <= 1.0)) {
    throw Error(fmt::format("ComputeOptionModel: gamma must be in [0, 1], got {}", gamma));
  }
  // A = I - M; right-hand sides [r_pi | B] solved together.
  std::vector<double> A(n * n, 0.0), rhs(n * (n + 1), 0.0);
  for (size_t s = 0; s < n; ++s) {
    A[s * n + s] = 1.0;
    if (!option.initiation[s] && option.termination[s] >= 1.0) continue;  // never executing
    for (const Transition& t : P[s][Index(option.policy[s])]) {
      rhs[s * (n + 1)] += t.prob * t.reward;
      if (t.terminated) continue;
      const auto x = Index(t.next_state);
      const double beta = option.termination[x];
      A[s * n + x] -= gamma * t.prob * (1.0 - beta);
      rhs[s * (n + 1) + 1 + x] += gamma * t.prob * beta;
    }
  }
  if (!SolveLinear(A, rhs, n, n + 1)) {
    throw Error(fmt::format(
        "option '{}' can run forever without discounting (I - M is singular); use gamma < 1 or "
        "an option that terminates",
        option.name));
  }
  OptionModel model;
  model.reward.resize(n);
  model.transition.resize(n * n);
  for (size_t s = 0; s < n; ++s) {
    model.reward[s] = rhs[s * (n + 1)];
    std::copy_n(&rhs[s * (n + 1) + 1], n, &model.transition[s * n]);
  }
  return model;
}

QTable SmdpQFromV(const std::vector<OptionModel>& models, const std::vector<Option>& options,
                  const std::vector<double>& V) {
  const size_t n = V.size();
  QTable Q(n, std::vector<double>(options.size(), kNegInf));
  for (size_t s = 0; s < n; ++s) {
    for (size_t o = 0; o < options.size(); ++o) {
      if (!options[o].initiation[s]) continue;
      double q = models[o].reward[s];
      const double* p = &models[o].transition[s * n];
      for (size_t x = 0; x < n; ++x) q += p[x] * V[x];
      Q[s][o] = q;
    }
  }
  return Q;
}

std::vector<double> SmdpPolicyEvaluation(const std::vector<OptionModel>& models,
                                         const std::vector<Option>& options,
                                         const std::vector<int64_t>& policy) {
  const size_t n = policy.size();
  std::vector<double> A(n * n, 0.0), b(n);
  for (size_t s = 0; s < n; ++s) {
    const int64_t o = policy[s];
    if (o < 0 || Index(o) >= options.size() || !options[Index(o)].initiation[s]) {
      throw Error(
          fmt::format("SmdpPolicyEvaluation: option {} is not available in state {}", o, s));
    }
    const OptionModel& m = models[Index(o)];
    for (size_t x = 0; x < n; ++x) A[s * n + x] = -m.transition[s * n + x];
    A[s * n + s] += 1.0;
    b[s] = m.reward[s];
  }
  if (!SolveLinear(A, b, n, 1)) {
    throw Error("SmdpPolicyEvaluation: the option policy never ends (I - P_mu is singular)");
  }
  return b;
}

namespace {

std::vector<OptionModel> Models(const TransitionModel& P, const std::vector<Option>& options,
                                double gamma, const std::string& who) {
  ValidateTransitionModel(P, who);
  CheckOptions(options, P.size(), static_cast<int64_t>(P[0].size()), who);
  CheckCoverage(options, P.size(), who);
  std::vector<OptionModel> models;
  for (const Option& o : options) models.push_back(ComputeOptionModel(P, o, gamma));
  return models;
}

SmdpResult Finish(const std::vector<OptionModel>& models, const std::vector<Option>& options,
                  std::vector<double> V, int64_t iterations, bool converged) {
  SmdpResult r;
  r.Q = SmdpQFromV(models, options, V);
  r.V = std::move(V);
  for (const auto& q : r.Q) r.policy.push_back(Greedy(q));
  r.iterations = iterations;
  r.converged = converged;
  return r;
}

}  // namespace

SmdpResult SmdpValueIteration(const TransitionModel& P, const std::vector<Option>& options,
                              double gamma, double tol, int64_t max_iters) {
  const auto models = Models(P, options, gamma, "SmdpValueIteration");
  const size_t n = P.size();
  std::vector<double> V(n, 0.0);
  const int64_t cap = max_iters > 0 ? max_iters : 100000;
  for (int64_t it = 1; it <= cap; ++it) {
    const QTable Q = SmdpQFromV(models, options, V);
    double delta = 0.0;
    std::vector<double> next(n);
    for (size_t s = 0; s < n; ++s) {
      next[s] = *std::max_element(Q[s].begin(), Q[s].end());
      delta = std::max(delta, std::abs(next[s] - V[s]));
    }
    V = std::move(next);
    if (delta < tol) return Finish(models, options, std::move(V), it, true);
  }
  return Finish(models, options, std::move(V), cap, false);
}

SmdpResult SmdpPolicyIteration(const TransitionModel& P, const std::vector<Option>& options,
                               double gamma, int64_t max_iters) {
  const auto models = Models(P, options, gamma, "SmdpPolicyIteration");
  const size_t n = P.size();
  std::vector<int64_t> policy(n);
  for (size_t s = 0; s < n; ++s) {  // the first available option
    policy[s] =
        static_cast<int64_t>(std::find_if(options.begin(), options.end(),
                                          [&](const Option& o) { return o.initiation[s] != 0; }) -
                             options.begin());
  }
  for (int64_t it = 1; it <= max_iters; ++it) {
    std::vector<double> V = SmdpPolicyEvaluation(models, options, policy);
    const QTable Q = SmdpQFromV(models, options, V);
    bool stable = true;
    for (size_t s = 0; s < n; ++s) {
      const double best = *std::max_element(Q[s].begin(), Q[s].end());
      const double keep = best - 1e-12 * (1.0 + std::abs(best));
      if (Q[s][Index(policy[s])] >= keep) continue;  // no strict improvement
      policy[s] = static_cast<int64_t>(
          std::find_if(Q[s].begin(), Q[s].end(), [&](double q) { return q >= keep; }) -
          Q[s].begin());
      stable = false;
    }
    if (stable) {
      SmdpResult r = Finish(models, options, std::move(V), it, true);
      r.policy = policy;
      return r;
    }
  }
  throw Error(fmt::format("SmdpPolicyIteration: no stable policy after {} rounds", max_iters));
}

namespace {

enum class OptionLearner { kSmdp, kIntraOption };

OptionLearningResult LearnOptions(Env& env, const std::vector<Option>& options,
                                  const OptionLearningConfig& c, OptionLearner learner) {
  const Space& os = env.observation_space();
  const Space& as = env.action_space();
  if (os.kind() != Space::Kind::kDiscrete || as.kind() != Space::Kind::kDiscrete) {
    throw Error(
        fmt::format("{}: option learning needs Discrete observations and actions", env.spec().id));
  }
  const int64_t nS = os.n();
  CheckOptions(options, Index(nS), as.n(), env.spec().id);
  CheckCoverage(options, Index(nS), env.spec().id);
  if (!(c.gamma >= 0.0 && c.gamma <= 1.0) || !(c.alpha > 0.0 && c.alpha <= 1.0) ||
      !(c.epsilon >= 0.0 && c.epsilon <= 1.0) || c.total_steps < 1 || c.seed < 0 ||
      !(c.alpha_power >= 0.0 && c.alpha_power <= 1.0)) {
    throw Error(fmt::format(
        "option learning: need gamma in [0, 1], alpha in (0, 1], alpha_power in [0, 1], "
        "epsilon in [0, 1], total_steps >= 1 and seed >= 0; got {}, {}, {}, {}, {}, {}",
        c.gamma, c.alpha, c.alpha_power, c.epsilon, c.total_steps, c.seed));
  }
  const size_t nO = options.size();
  // Q over every (s, o) where o can be executing; the greedy choice looks at available ones.
  QTable Q(Index(nS), std::vector<double>(nO, 0.0));
  std::vector<std::vector<int64_t>> updates(Index(nS), std::vector<int64_t>(nO, 0));
  auto step_size = [&](int64_t s, size_t o) {
    const auto n = static_cast<double>(++updates[Index(s)][o]);
    return c.alpha_power > 0.0 ? c.alpha / std::pow(n, c.alpha_power) : c.alpha;
  };
  Rng rng = Rng(static_cast<uint64_t>(c.seed)).Spawn(1)[0];
  auto max_available = [&](int64_t s) {
    double best = kNegInf;
    for (size_t o = 0; o < nO; ++o) {
      if (options[o].initiation[Index(s)]) best = std::max(best, Q[Index(s)][o]);
    }
    return best;
  };
  auto choose = [&](int64_t s) {
    std::vector<size_t> avail;
    for (size_t o = 0; o < nO; ++o) {
      if (options[o].initiation[Index(s)]) avail.push_back(o);
    }
    if (rng.Random() < c.epsilon) {
      return avail[Index(rng.Integers(0, static_cast<int64_t>(avail.size())))];
    }
    size_t best = avail[0];
    for (size_t o : avail) {
      if (Q[Index(s)][o] > Q[Index(s)][best]) best = o;
    }
    return best;
  };
  OptionLearningResult result;
  int64_t obs = 0, steps = 0;
  env.Reset(static_cast<uint64_t>(c.seed), &obs);
  bool first = true;
  while (steps < c.total_steps) {
    if (!first) env.Reset(std::nullopt, &obs);
    first = false;
    int64_t s = obs - os.start();
    bool episode_over = false;
    while (!episode_over && steps < c.total_steps) {
      const size_t o = choose(s);
      ++result.option_executions;
      const int64_t s0 = s;
      double G = 0.0, discount = 1.0;
      bool terminated = false;
      for (;;) {  // run the option to its end
        const int64_t a = options[o].policy[Index(s)];
        const int64_t action = a + as.start();
        int64_t next = 0;
        const StepResult step = env.Step(&action, &next);
        ++steps;
        const int64_t s1 = next - os.start();
        if (learner == OptionLearner::kIntraOption) {
          // Every option that would have taken a here learns from this step (eq. 20).
          for (size_t k = 0; k < nO; ++k) {
            const Option& ok = options[k];
            const bool executing = ok.initiation[Index(s)] || ok.termination[Index(s)] < 1.0;
            if (!executing || ok.policy[Index(s)] != a) continue;
            double target = step.reward;
            if (!step.terminated) {
              const double beta = ok.termination[Index(s1)];
              const double U = (1.0 - beta) * Q[Index(s1)][k] + beta * max_available(s1);
              target += c.gamma * U;
            }
            Q[Index(s)][k] += step_size(s, k) * (target - Q[Index(s)][k]);
          }
        }
        G += discount * step.reward;
        discount *= c.gamma;
        s = s1;
        terminated = step.terminated;
        episode_over = step.terminated || step.truncated;
        if (episode_over || steps >= c.total_steps) break;
        const double beta = options[o].termination[Index(s)];
        if (beta >= 1.0 || (beta > 0.0 && rng.Random() < beta)) break;
      }
      if (learner == OptionLearner::kSmdp) {
        // Eq. 11: a terminated episode does not bootstrap; a truncated one (or the budget's end)
        // bootstraps from where it stopped.
        const double target = G + (terminated ? 0.0 : discount * max_available(s));
        Q[Index(s0)][o] += step_size(s0, o) * (target - Q[Index(s0)][o]);
      }
    }
    if (episode_over) ++result.episodes;
  }
  result.total_steps = steps;
  result.Q = Q;
  for (size_t s = 0; s < Index(nS); ++s) {
    for (size_t o = 0; o < nO; ++o) {
      if (!options[o].initiation[s]) result.Q[s][o] = kNegInf;
    }
    result.policy.push_back(Greedy(result.Q[s]));
  }
  return result;
}

}  // namespace

OptionLearningResult SmdpQLearning(Env& env, const std::vector<Option>& options,
                                   const OptionLearningConfig& config) {
  return LearnOptions(env, options, config, OptionLearner::kSmdp);
}

OptionLearningResult IntraOptionQLearning(Env& env, const std::vector<Option>& options,
                                          const OptionLearningConfig& config) {
  return LearnOptions(env, options, config, OptionLearner::kIntraOption);
}

}  // namespace bellman::tabular
