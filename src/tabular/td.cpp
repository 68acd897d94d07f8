// Tabular TD control on an Env: Q-learning, SARSA, expected SARSA (Sutton & Barto 2018, eqs.
// 6.8, 6.7, 6.9) and Double Q-learning (van Hasselt 2010). docs/tabular.md.
#include "bellman/tabular/td.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/core/suggest.h"

namespace bellman::tabular {

namespace {

const std::vector<std::string>& MethodNames() {
  static const std::vector<std::string> names = {"q_learning", "sarsa", "expected_sarsa",
                                                 "double_q_learning"};
  return names;
}

// Maps an observation (Discrete, or Tuple of Discrete) to a row of the Q table.
class StateIndexer {
 public:
  StateIndexer(const Space& space, const std::string& who) {
    if (space.kind() == Space::Kind::kDiscrete) {
      sizes_.push_back(space.n());
      starts_.push_back(space.start());
    } else if (space.kind() == Space::Kind::kTuple) {
      for (const Space& sub : space.spaces()) {
        if (sub.kind() != Space::Kind::kDiscrete) {
          throw Error(
              fmt::format("{}: tabular methods need a Discrete observation space or a "
                          "Tuple of Discrete spaces, got {}",
                          who, space.ToString()));
        }
        sizes_.push_back(sub.n());
        starts_.push_back(sub.start());
      }
    } else {
      throw Error(
          fmt::format("{}: tabular methods need a Discrete observation space or a Tuple "
                      "of Discrete spaces, got {}",
                      who, space.ToString()));
    }
    num_states_ = 1;
    for (int64_t n : sizes_) {
      // A table row per state: refuse spaces whose product would not fit in memory anyway.
      if (n <= 0 || num_states_ > (int64_t{1} << 40) / n) {
        throw Error(fmt::format("{}: observation space {} is too large for a table", who,
                                space.ToString()));
      }
      num_states_ *= n;
    }
    who_ = who;
  }

  int64_t num_states() const { return num_states_; }
  size_t width() const { return sizes_.size(); }

  int64_t Index(const int64_t* obs) const {
    int64_t idx = 0;
    for (size_t i = 0; i < sizes_.size(); ++i) {
      const int64_t v = obs[i] - starts_[i];
      if (v < 0 || v >= sizes_[i]) {
        throw Error(
            fmt::format("{}: the env returned observation element {} = {}, outside "
                        "[{}, {})",
                        who_, i, obs[i], starts_[i], starts_[i] + sizes_[i]));
      }
      idx = idx * sizes_[i] + v;
    }
    return idx;
  }

 private:
  std::vector<int64_t> sizes_, starts_;
  int64_t num_states_ = 0;
  std::string who_;
};

size_t Argmax(const std::vector<double>& q) {
  size_t best = 0;
  for (size_t a = 1; a < q.size(); ++a) {
    if (q[a] > q[best]) best = a;  // first maximum, like np.argmax
  }
  return best;
}

size_t ArgmaxSum(const std::vector<double>& qa, const std::vector<double>& qb) {
  size_t best = 0;
  double best_v = qa[0] + qb[0];
  for (size_t a = 1; a < qa.size(); ++a) {
    const double v = qa[a] + qb[a];
    if (v > best_v) {
      best_v = v;
      best = a;
    }
  }
  return best;
}

}  // namespace

std::string TdMethodName(TdMethod m) { return MethodNames()[static_cast<size_t>(m)]; }

TdMethod ParseTdMethod(const std::string& name) {
  const auto& names = MethodNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<TdMethod>(i);
  }
  throw Error(fmt::format("unknown tabular method '{}'{}; known: {}", name, DidYouMean(name, names),
                          fmt::join(names, ", ")));
}

void TdConfig::Validate() const {
  auto fail = [](const char* key, const std::string& expected, auto value) {
    throw Error(fmt::format("td.{} must be {}, got {}", key, expected, value));
  };
  if (!(gamma >= 0.0 && gamma <= 1.0)) fail("gamma", "in [0, 1]", gamma);
  if (!(alpha > 0.0 && alpha <= 1.0)) fail("alpha", "in (0, 1]", alpha);
  if (!(epsilon_start >= 0.0 && epsilon_start <= 1.0)) {
    fail("epsilon_start", "in [0, 1]", epsilon_start);
  }
  if (!(epsilon_end >= 0.0 && epsilon_end <= 1.0)) fail("epsilon_end", "in [0, 1]", epsilon_end);
  if (epsilon_decay_steps < 0) fail("epsilon_decay_steps", ">= 0", epsilon_decay_steps);
  if (episodes < 0) fail("episodes", ">= 0 (0: no limit)", episodes);
  if (total_steps < 0) fail("total_steps", ">= 0 (0: no limit)", total_steps);
  if (episodes == 0 && total_steps == 0) {
    throw Error("td.episodes and td.total_steps are both 0; set at least one of them > 0");
  }
  if (!std::isfinite(q_init)) fail("q_init", "a finite number", q_init);
  if (seed < 0) fail("seed", ">= 0", seed);
}

double TdConfig::Epsilon(int64_t t) const {
  // Exactly epsilon_end once the decay is over (the interpolation formula could miss it by an
  // ulp, and epsilon_end = 0 must mean no exploration at all).
  if (t >= epsilon_decay_steps) return epsilon_end;
  const double frac = static_cast<double>(t) / static_cast<double>(epsilon_decay_steps);
  return epsilon_start + (epsilon_end - epsilon_start) * frac;
}

int64_t NumTabularStates(const Space& observation_space, const std::string& who) {
  return StateIndexer(observation_space, who).num_states();
}

TdResult LearnTd(Env& env, TdMethod method, const TdConfig& config) {
  config.Validate();
  const std::string who = fmt::format("{} on {}", TdMethodName(method), env.spec().id);
  const StateIndexer states(env.observation_space(), who);
  const Space& action_space = env.action_space();
  if (action_space.kind() != Space::Kind::kDiscrete) {
    throw Error(fmt::format("{}: tabular methods need a Discrete action space, got {}", who,
                            action_space.ToString()));
  }
  const int64_t nA = action_space.n();
  const int64_t a_start = action_space.start();
  const size_t nS = static_cast<size_t>(states.num_states());

  const double gamma = config.gamma;
  const double alpha = config.alpha;
  const bool double_q = method == TdMethod::kDoubleQLearning;
  // The agent's own stream: the first SeedSequence child of the seed, independent of the env's
  // np_random, which is Rng(seed) itself.
  Rng rng = Rng(static_cast<uint64_t>(config.seed)).Spawn(1)[0];

  QTable Q(nS, std::vector<double>(nA, config.q_init));
  QTable Q_b;  // Double Q-learning's second table
  if (double_q) Q_b = Q;

  auto greedy = [&](int64_t s) -> int64_t {
    return static_cast<int64_t>(double_q ? ArgmaxSum(Q[s], Q_b[s]) : Argmax(Q[s]));
  };
  // Epsilon-greedy: one uniform draw decides, a second picks the random action.
  auto act = [&](int64_t s, double epsilon) -> int64_t {
    if (rng.Random() < epsilon) return rng.Integers(0, nA);
    return greedy(s);
  };

  TdResult out;
  std::vector<int64_t> obs(states.width());
  int64_t t = 0;
  bool first_reset = true;
  auto budget_left = [&] {
    return (config.episodes == 0 ||
            static_cast<int64_t>(out.episode_returns.size()) < config.episodes) &&
           (config.total_steps == 0 || t < config.total_steps);
  };

  while (budget_left()) {
    env.Reset(first_reset ? std::optional<uint64_t>(config.seed) : std::nullopt, obs.data());
    first_reset = false;
    int64_t s = states.Index(obs.data());
    // SARSA picks A before the loop and A' inside it; the other methods pick A at the top of
    // each step, after the previous update (S&B's boxed algorithms).
    int64_t a = method == TdMethod::kSarsa ? act(s, config.Epsilon(t)) : 0;
    double episode_return = 0.0;
    int64_t length = 0;
    bool finished = false;
    while (config.total_steps == 0 || t < config.total_steps) {
      if (method != TdMethod::kSarsa) a = act(s, config.Epsilon(t));
      const int64_t env_action = a + a_start;
      const StepResult r = env.Step(&env_action, obs.data());
      ++t;
      ++length;
      episode_return += r.reward;
      const int64_t s2 = states.Index(obs.data());
      // Only `terminated` cuts the bootstrap; a truncated step still looks at V(S').
      const double bootstrap = r.terminated ? 0.0 : gamma;
      int64_t a2 = 0;

      switch (method) {
        case TdMethod::kQLearning: {
          const std::vector<double>& q2 = Q[s2];
          const double target = r.reward + bootstrap * q2[Argmax(q2)];
          Q[s][a] += alpha * (target - Q[s][a]);
          break;
        }
        case TdMethod::kSarsa: {
          // A' is drawn even after truncation: the target needs it, only acting stops.
          if (!r.terminated) a2 = act(s2, config.Epsilon(t));
          const double target = r.reward + (r.terminated ? 0.0 : gamma * Q[s2][a2]);
          Q[s][a] += alpha * (target - Q[s][a]);
          break;
        }
        case TdMethod::kExpectedSarsa: {
          // E_pi[Q(S', .)] under the epsilon-greedy policy that acts at S' (epsilon(t)).
          const std::vector<double>& q2 = Q[s2];
          const double epsilon = config.Epsilon(t);
          const size_t a_star = Argmax(q2);
          double expected = 0.0;
          for (size_t b = 0; b < q2.size(); ++b) {
            const double pi =
                epsilon / static_cast<double>(nA) + (b == a_star ? 1.0 - epsilon : 0.0);
            expected += pi * q2[b];
          }
          const double target = r.reward + bootstrap * expected;
          Q[s][a] += alpha * (target - Q[s][a]);
          break;
        }
        case TdMethod::kDoubleQLearning: {
          // van Hasselt 2010, Algorithm 1: a fair coin picks the table to update; it selects
          // a* by its own values and evaluates a* with the other table.
          const bool update_a = rng.Random() < 0.5;
          QTable& Q_upd = update_a ? Q : Q_b;
          const QTable& Q_eval = update_a ? Q_b : Q;
          const size_t a_star = Argmax(Q_upd[s2]);
          const double target = r.reward + bootstrap * Q_eval[s2][a_star];
          Q_upd[s][a] += alpha * (target - Q_upd[s][a]);
          break;
        }
      }

      s = s2;
      a = a2;
      if (r.terminated || r.truncated) {
        finished = true;
        break;
      }
    }
    if (!finished) break;  // total_steps ran out mid-episode: that episode is not counted
    out.episode_returns.push_back(episode_return);
    out.episode_lengths.push_back(length);
  }

  if (double_q) {
    for (size_t s = 0; s < nS; ++s)
      for (int64_t b = 0; b < nA; ++b) Q[s][b] = 0.5 * (Q[s][b] + Q_b[s][b]);
  }
  out.policy = GreedyPolicy(Q);
  out.Q = std::move(Q);
  out.total_steps = t;
  return out;
}

TdResult QLearning(Env& env, const TdConfig& config) {
  return LearnTd(env, TdMethod::kQLearning, config);
}
TdResult Sarsa(Env& env, const TdConfig& config) { return LearnTd(env, TdMethod::kSarsa, config); }
TdResult ExpectedSarsa(Env& env, const TdConfig& config) {
  return LearnTd(env, TdMethod::kExpectedSarsa, config);
}
TdResult DoubleQLearning(Env& env, const TdConfig& config) {
  return LearnTd(env, TdMethod::kDoubleQLearning, config);
}

}  // namespace bellman::tabular
