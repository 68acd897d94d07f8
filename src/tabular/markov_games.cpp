// Two-player zero-sum Markov games (bellman/tabular/markov_games.h).
#include "bellman/tabular/markov_games.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "bellman/core/error.h"

namespace bellman::tabular {

namespace {

struct Shape {
  int64_t nS, nA, nO;
};

Shape CheckModel(const MarkovGameModel& P, double gamma) {
  if (P.empty() || P[0].empty() || P[0][0].empty()) {
    throw Error("a Markov game model needs >= 1 state and >= 1 action per player");
  }
  if (!(gamma >= 0.0 && gamma < 1.0)) {
    throw Error(fmt::format("gamma must be in [0, 1) for a discounted Markov game, got {}", gamma));
  }
  const Shape sh{static_cast<int64_t>(P.size()), static_cast<int64_t>(P[0].size()),
                 static_cast<int64_t>(P[0][0].size())};
  for (int64_t s = 0; s < sh.nS; ++s) {
    if (static_cast<int64_t>(P[s].size()) != sh.nA) {
      throw Error(
          fmt::format("Markov game model: state {} has {} actions of player 0; state 0 "
                      "has {}",
                      s, P[s].size(), sh.nA));
    }
    for (const auto& row : P[s]) {
      if (static_cast<int64_t>(row.size()) != sh.nO) {
        throw Error(
            fmt::format("Markov game model: state {} has {} actions of player 1; state "
                        "0 has {}",
                        s, row.size(), sh.nO));
      }
    }
  }
  return sh;
}

void CheckPolicy(const StochasticPolicy& pi, int64_t nS, int64_t n, const char* who) {
  if (static_cast<int64_t>(pi.size()) != nS) {
    throw Error(fmt::format("{}'s policy has {} states; the game has {}", who, pi.size(), nS));
  }
  for (int64_t s = 0; s < nS; ++s) {
    if (static_cast<int64_t>(pi[s].size()) != n) {
      throw Error(fmt::format("{}'s policy at state {} has {} probabilities; expected {}", who, s,
                              pi[s].size(), n));
    }
  }
}

// sum_k p_k (r_k + gamma (1 - terminated_k) V(s'_k)) for one joint action.
double Backup(const std::vector<Transition>& outcomes, const std::vector<double>& V, double gamma) {
  double q = 0.0;
  for (const Transition& t : outcomes) {
    q += t.prob * (t.reward + (t.terminated ? 0.0 : gamma * V[static_cast<size_t>(t.next_state)]));
  }
  return q;
}

double Uniform(int64_t n) { return 1.0 / static_cast<double>(n); }

}  // namespace

MatrixGame StageGame(const MarkovGameModel& P, const std::vector<double>& V, int64_t s,
                     double gamma) {
  const int64_t nA = static_cast<int64_t>(P[s].size()), nO = static_cast<int64_t>(P[s][0].size());
  MatrixGame g{nA, nO, std::vector<double>(static_cast<size_t>(nA * nO))};
  for (int64_t a = 0; a < nA; ++a) {
    for (int64_t o = 0; o < nO; ++o)
      g.A[static_cast<size_t>(a * nO + o)] = Backup(P[s][a][o], V, gamma);
  }
  return g;
}

MarkovGameSolution ShapleyValueIteration(const MarkovGameModel& P, double gamma, double tol,
                                         int64_t max_iterations) {
  const Shape sh = CheckModel(P, gamma);
  MarkovGameSolution out;
  out.V.assign(static_cast<size_t>(sh.nS), 0.0);
  out.pi0.resize(static_cast<size_t>(sh.nS));
  out.pi1.resize(static_cast<size_t>(sh.nS));
  // Jacobi sweeps: every stage game of a sweep sees the previous sweep's V.
  for (out.iterations = 1; out.iterations <= max_iterations; ++out.iterations) {
    std::vector<double> next(out.V.size());
    double delta = 0.0;
    for (int64_t s = 0; s < sh.nS; ++s) {
      next[static_cast<size_t>(s)] = MaximinStrategy(StageGame(P, out.V, s, gamma)).first;
      delta =
          std::max(delta, std::abs(next[static_cast<size_t>(s)] - out.V[static_cast<size_t>(s)]));
    }
    out.V = std::move(next);
    if (delta < tol) break;
  }
  if (out.iterations > max_iterations) {
    throw Error(fmt::format("Shapley value iteration did not reach tol {} in {} iterations", tol,
                            max_iterations));
  }
  for (int64_t s = 0; s < sh.nS; ++s) {
    const MatrixGameSolution sol = SolveZeroSumGame(StageGame(P, out.V, s, gamma));
    out.residual = std::max(out.residual, std::abs(sol.value - out.V[static_cast<size_t>(s)]));
    out.pi0[static_cast<size_t>(s)] = sol.row_strategy;
    out.pi1[static_cast<size_t>(s)] = sol.col_strategy;
  }
  return out;
}

std::vector<double> EvaluatePolicyPair(const MarkovGameModel& P, const StochasticPolicy& pi0,
                                       const StochasticPolicy& pi1, double gamma, double tol) {
  const Shape sh = CheckModel(P, gamma);
  CheckPolicy(pi0, sh.nS, sh.nA, "player 0");
  CheckPolicy(pi1, sh.nS, sh.nO, "player 1");
  std::vector<double> V(static_cast<size_t>(sh.nS), 0.0);
  for (;;) {
    std::vector<double> next(V.size(), 0.0);
    double delta = 0.0;
    for (int64_t s = 0; s < sh.nS; ++s) {
      double v = 0.0;
      for (int64_t a = 0; a < sh.nA; ++a) {
        for (int64_t o = 0; o < sh.nO; ++o) {
          const double p = pi0[s][a] * pi1[s][o];
          if (p != 0.0) v += p * Backup(P[s][a][o], V, gamma);
        }
      }
      next[static_cast<size_t>(s)] = v;
      delta = std::max(delta, std::abs(v - V[static_cast<size_t>(s)]));
    }
    V = std::move(next);
    if (delta < tol) return V;
  }
}

std::vector<double> BestResponseValue(const MarkovGameModel& P, const StochasticPolicy& pi,
                                      int64_t player, double gamma, double tol) {
  const Shape sh = CheckModel(P, gamma);
  if (player != 0 && player != 1) {
    throw Error(fmt::format("player must be 0 or 1, got {}", player));
  }
  CheckPolicy(pi, sh.nS, player == 0 ? sh.nA : sh.nO, player == 0 ? "player 0" : "player 1");
  std::vector<double> V(static_cast<size_t>(sh.nS), 0.0);
  for (;;) {
    std::vector<double> next(V.size(), 0.0);
    double delta = 0.0;
    for (int64_t s = 0; s < sh.nS; ++s) {
      // The responder's actions are the other index; it minimises if it is player 1.
      const int64_t n_resp = player == 0 ? sh.nO : sh.nA, n_fixed = player == 0 ? sh.nA : sh.nO;
      double best = player == 0 ? INFINITY : -INFINITY;
      for (int64_t b = 0; b < n_resp; ++b) {
        double v = 0.0;
        for (int64_t f = 0; f < n_fixed; ++f) {
          const double p = pi[s][f];
          if (p == 0.0) continue;
          v += p * Backup(player == 0 ? P[s][f][b] : P[s][b][f], V, gamma);
        }
        best = player == 0 ? std::min(best, v) : std::max(best, v);
      }
      next[static_cast<size_t>(s)] = best;
      delta = std::max(delta, std::abs(best - V[static_cast<size_t>(s)]));
    }
    V = std::move(next);
    if (delta < tol) return V;
  }
}

void MinimaxQConfig::Validate() const {
  auto bad = [](const std::string& field, double v, const char* expected) {
    throw Error(fmt::format("minimax_q: {} = {} is invalid; expected {}", field, v, expected));
  };
  if (!(gamma >= 0.0 && gamma < 1.0)) bad("gamma", gamma, "[0, 1)");
  if (!(alpha > 0.0 && alpha <= 1.0)) bad("alpha", alpha, "(0, 1]");
  if (!(alpha_decay > 0.0 && alpha_decay <= 1.0)) bad("alpha_decay", alpha_decay, "(0, 1]");
  if (!(alpha_power >= 0.0 && alpha_power <= 1.0)) bad("alpha_power", alpha_power, "[0, 1]");
  if (!(explore >= 0.0 && explore <= 1.0)) bad("explore", explore, "[0, 1]");
  if (!std::isfinite(q_init)) bad("q_init", q_init, "a finite number");
  if (steps < 1) bad("steps", static_cast<double>(steps), ">= 1");
  if (opponent != "random" && opponent != "minimax_q") {
    throw Error(
        fmt::format("minimax_q: opponent '{}' is unknown; expected random or minimax_q", opponent));
  }
}

namespace {

// One Minimax-Q learner: Q over (s, own action, other's action), its policy and value.
struct MinimaxLearner {
  int64_t nS, n_own, n_other;
  std::vector<double> Q, V;
  std::vector<int64_t> visits;
  StochasticPolicy pi;

  MinimaxLearner(int64_t nS_, int64_t own, int64_t other, double q_init)
      : nS(nS_),
        n_own(own),
        n_other(other),
        Q(static_cast<size_t>(nS_ * own * other), q_init),
        V(static_cast<size_t>(nS_), q_init),
        visits(Q.size(), 0),
        pi(static_cast<size_t>(nS_), std::vector<double>(static_cast<size_t>(own), Uniform(own))) {}

  int64_t Act(int64_t s, double explore, Rng& rng) const {
    if (rng.Random() < explore) return rng.Integers(0, n_own);
    return rng.Choice(pi[static_cast<size_t>(s)]);
  }

  void Update(int64_t s, int64_t own, int64_t other, double reward, double next_value,
              const MinimaxQConfig& c, double decayed_alpha) {
    const size_t k = static_cast<size_t>((s * n_own + own) * n_other + other);
    const double alpha = c.alpha_power > 0.0
                             ? c.alpha / std::pow(static_cast<double>(++visits[k]), c.alpha_power)
                             : decayed_alpha;
    Q[k] += alpha * (reward + c.gamma * next_value - Q[k]);
    MatrixGame g{n_own, n_other,
                 std::vector<double>(Q.begin() + s * n_own * n_other,
                                     Q.begin() + (s + 1) * n_own * n_other)};
    auto [v, x] = MaximinStrategy(g);
    V[static_cast<size_t>(s)] = v;
    pi[static_cast<size_t>(s)] = std::move(x);
  }
};

}  // namespace

MinimaxQResult MinimaxQ(MultiAgentEnv& env, const MinimaxQConfig& c) {
  c.Validate();
  if (env.num_agents() != 2 || !env.has_model()) {
    throw Error(
        fmt::format("minimax_q needs a two-player zero-sum env with a tabular state; {} "
                    "has {} agents{}",
                    env.id(), env.num_agents(), env.has_model() ? "" : " and no model"));
  }
  const int64_t nS = static_cast<int64_t>(env.Model().size());
  const int64_t nA = env.action_space(0).n(), nO = env.action_space(1).n();
  MinimaxLearner p0(nS, nA, nO, c.q_init), p1(nS, nO, nA, c.q_init);
  Rng rng(c.seed);
  std::vector<int64_t> obs(2);
  std::vector<void*> bufs = {&obs[0], &obs[1]};
  env.Reset(c.seed, bufs);
  int64_t s = env.StateIndex();
  double alpha = c.alpha;
  MinimaxQResult out;
  for (int64_t t = 0; t < c.steps; ++t) {
    const int64_t a = p0.Act(s, c.explore, rng);
    const int64_t o = c.opponent == "random" ? rng.Integers(0, nO) : p1.Act(s, c.explore, rng);
    const std::vector<int64_t> joint = {a, o};
    const JointStepResult r = env.Step(joint, bufs);
    const int64_t next = env.StateIndex();
    p0.Update(s, a, o, r.rewards[0], r.terminated ? 0.0 : p0.V[static_cast<size_t>(next)], c,
              alpha);
    if (c.opponent == "minimax_q") {
      p1.Update(s, o, a, r.rewards[1], r.terminated ? 0.0 : p1.V[static_cast<size_t>(next)], c,
                alpha);
    }
    alpha *= c.alpha_decay;
    if (r.terminated || r.truncated) {
      ++out.episodes;
      env.Reset(std::nullopt, bufs);
      s = env.StateIndex();
    } else {
      s = next;
    }
  }
  out.V = std::move(p0.V);
  out.pi = std::move(p0.pi);
  out.opponent_pi = std::move(p1.pi);
  out.Q = std::move(p0.Q);
  return out;
}

void NashQConfig::Validate() const {
  auto bad = [](const std::string& field, double v, const char* expected) {
    throw Error(fmt::format("nash_q: {} = {} is invalid; expected {}", field, v, expected));
  };
  if (!(gamma >= 0.0 && gamma < 1.0)) bad("gamma", gamma, "[0, 1)");
  if (!(alpha > 0.0 && alpha <= 1.0)) bad("alpha", alpha, "(0, 1]");
  if (!(alpha_power >= 0.0 && alpha_power <= 1.0)) bad("alpha_power", alpha_power, "[0, 1]");
  if (!(explore >= 0.0 && explore <= 1.0)) bad("explore", explore, "[0, 1]");
  if (steps < 1) bad("steps", static_cast<double>(steps), ">= 1");
}

namespace {

// The selected equilibrium of the stage game at s: the largest sum of payoffs, first on ties.
NashEquilibrium SelectedEquilibrium(const std::vector<double>& Q0, const std::vector<double>& Q1,
                                    int64_t s, int64_t nA, int64_t nO) {
  const auto begin = static_cast<std::ptrdiff_t>(s * nA * nO);
  const auto end = begin + static_cast<std::ptrdiff_t>(nA * nO);
  const BimatrixGame g{nA, nO, std::vector<double>(Q0.begin() + begin, Q0.begin() + end),
                       std::vector<double>(Q1.begin() + begin, Q1.begin() + end)};
  std::vector<NashEquilibrium> eqs = NashEquilibria(g);
  size_t best = 0;
  for (size_t k = 1; k < eqs.size(); ++k) {
    if (eqs[k].value_row + eqs[k].value_col > eqs[best].value_row + eqs[best].value_col + 1e-12) {
      best = k;
    }
  }
  return std::move(eqs[best]);
}

}  // namespace

NashQResult NashQ(MultiAgentEnv& env, const NashQConfig& c) {
  c.Validate();
  if (env.num_agents() != 2 || env.observation_space(0).kind() != Space::Kind::kDiscrete) {
    throw Error(
        fmt::format("nash_q needs a two-player env whose agent 0 observes a Discrete "
                    "state; {} has {} agents and {}",
                    env.id(), env.num_agents(), env.observation_space(0).ToString()));
  }
  const int64_t nS = env.observation_space(0).n();
  const int64_t nA = env.action_space(0).n(), nO = env.action_space(1).n();
  NashQResult out;
  out.Q0.assign(static_cast<size_t>(nS * nA * nO), 0.0);
  out.Q1 = out.Q0;
  std::vector<int64_t> visits(out.Q0.size(), 0);
  Rng rng(c.seed);
  std::vector<int64_t> obs(2);
  std::vector<void*> bufs = {&obs[0], &obs[1]};
  env.Reset(c.seed, bufs);
  // The current state's selected equilibrium, carried over from the previous step's target when
  // the episode went on (the Q of the next state is not changed by this step's update unless
  // s' = s, which is re-solved).
  NashEquilibrium e = SelectedEquilibrium(out.Q0, out.Q1, obs[0], nA, nO);
  for (int64_t t = 0; t < c.steps; ++t) {
    const int64_t s = obs[0];
    const int64_t a = rng.Random() < c.explore ? rng.Integers(0, nA) : rng.Choice(e.x);
    const int64_t o = rng.Random() < c.explore ? rng.Integers(0, nO) : rng.Choice(e.y);
    const std::vector<int64_t> joint = {a, o};
    const JointStepResult r = env.Step(joint, bufs);
    const int64_t next_s = obs[0];
    NashEquilibrium next = SelectedEquilibrium(out.Q0, out.Q1, next_s, nA, nO);
    const double v0 = r.terminated ? 0.0 : next.value_row;
    const double v1 = r.terminated ? 0.0 : next.value_col;
    const size_t k = static_cast<size_t>((s * nA + a) * nO + o);
    const double alpha = c.alpha / std::pow(static_cast<double>(++visits[k]), c.alpha_power);
    out.Q0[k] += alpha * (r.rewards[0] + c.gamma * v0 - out.Q0[k]);
    out.Q1[k] += alpha * (r.rewards[1] + c.gamma * v1 - out.Q1[k]);
    if (r.terminated || r.truncated) {
      ++out.episodes;
      env.Reset(std::nullopt, bufs);
      e = SelectedEquilibrium(out.Q0, out.Q1, obs[0], nA, nO);
    } else {
      e = next_s == s ? SelectedEquilibrium(out.Q0, out.Q1, s, nA, nO) : std::move(next);
    }
  }
  for (int64_t s = 0; s < nS; ++s) {
    const NashEquilibrium e = SelectedEquilibrium(out.Q0, out.Q1, s, nA, nO);
    out.pi0.push_back(e.x);
    out.pi1.push_back(e.y);
    out.V0.push_back(e.value_row);
    out.V1.push_back(e.value_col);
  }
  return out;
}

}  // namespace bellman::tabular
