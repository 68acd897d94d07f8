// Soccer-v0: Littman's grid soccer (Littman 1994, "Markov games as a framework for multi-agent
// reinforcement learning", section 6), the two-player zero-sum Markov game whose optimal
// policies are stochastic.
//
// A 4 x 5 grid (rows 0..3 from the top). Player A (agent 0) starts at row 1, column 3, player B
// (agent 1) at row 2, column 1; the ball goes to one of them uniformly. Actions 0..4 = north,
// south, east, west, stand. Both pick at once; the two moves are then executed in a uniformly
// random order. A move onto the other player's square does not happen and the ball goes to the
// stationary player. The player with the ball scores by moving off the board in rows 1-2: off
// the west edge is A's goal (+1 to A, -1 to B), off the east edge B's (-1 to A), whoever
// carries it there (an own goal counts). Any other move off the board leaves the player where it
// is. Before the moves, the game ends in a draw (reward 0) with probability draw_probability.
// A goal or a draw terminates the episode (Littman resets the board and plays on; the
// discounted value of the episodic game is the same up to the next goal). Discount with 0.9 as
// the paper does.
//
// Both agents observe the state index s in Discrete(760): s = (a * 19 + b') * 2 + ball where a
// and b are the players' cells (row * 5 + column), b' = b if b < a else b - 1, ball 0 for A.
// kwargs: draw_probability [0.0], max_episode_steps [100; 0 for none].
#include <fmt/format.h>

#include <array>

#include "bellman/core/error.h"
#include "bellman/envs/multi_agent.h"
#include "bellman/envs/registry.h"

namespace bellman {

namespace {

constexpr int64_t kRows = 4, kCols = 5, kCells = kRows * kCols;
constexpr int64_t kStates = kCells * (kCells - 1) * 2;
constexpr int64_t kActions = 5;
constexpr int64_t kDelta[kActions][2] = {{-1, 0}, {1, 0}, {0, 1}, {0, -1}, {0, 0}};
constexpr int64_t kStartA = 1 * kCols + 3, kStartB = 2 * kCols + 1;

struct SoccerState {
  std::array<int64_t, 2> cell;  // A, B
  int64_t ball;                 // 0: A has it, 1: B
};

int64_t Encode(const SoccerState& x) {
  const int64_t a = x.cell[0], b = x.cell[1];
  return (a * (kCells - 1) + (b < a ? b : b - 1)) * 2 + x.ball;
}

SoccerState Decode(int64_t s) {
  SoccerState x{};
  x.ball = s % 2;
  const int64_t pair = s / 2;
  x.cell[0] = pair / (kCells - 1);
  const int64_t b = pair % (kCells - 1);
  x.cell[1] = b < x.cell[0] ? b : b + 1;
  return x;
}

// One player's move; returns A's reward if it scores (+1 or -1), else 0 and updates x.
double Move(SoccerState& x, int64_t player, int64_t action, bool& scored) {
  const int64_t other = 1 - player;
  const int64_t r = x.cell[player] / kCols + kDelta[action][0];
  const int64_t c = x.cell[player] % kCols + kDelta[action][1];
  if (r >= 0 && r < kRows && c >= 0 && c < kCols && r * kCols + c == x.cell[other]) {
    x.ball = other;  // blocked: the stationary player takes the ball
    return 0.0;
  }
  if (x.ball == player && (r == 1 || r == 2) && (c < 0 || c >= kCols)) {
    scored = true;
    return c < 0 ? 1.0 : -1.0;
  }
  if (r >= 0 && r < kRows && c >= 0 && c < kCols) x.cell[player] = r * kCols + c;
  return 0.0;
}

// Both moves in the given order.
Transition Play(const SoccerState& start, int64_t a, int64_t o, int64_t first, double prob) {
  SoccerState x = start;
  const std::array<int64_t, 2> actions = {a, o};
  bool scored = false;
  double reward = Move(x, first, actions[static_cast<size_t>(first)], scored);
  if (!scored) reward = Move(x, 1 - first, actions[static_cast<size_t>(1 - first)], scored);
  return {prob, Encode(scored ? start : x), reward, scored};
}

class SoccerEnv final : public MultiAgentEnv {
 public:
  SoccerEnv(double draw_probability, int64_t max_episode_steps)
      : MultiAgentEnv("Soccer-v0", {Space::Discrete(kStates), Space::Discrete(kStates)},
                      {Space::Discrete(kActions), Space::Discrete(kActions)}, max_episode_steps),
        draw_probability_(draw_probability),
        model_(std::make_shared<const MarkovGameModel>(BuildModel(draw_probability))) {}

  std::vector<double> GetState() const override {
    return {static_cast<double>(x_.cell[0]), static_cast<double>(x_.cell[1]),
            static_cast<double>(x_.ball)};
  }
  void SetState(std::span<const double> state) override {
    if (state.size() != 3) {
      throw Error(
          fmt::format("Soccer-v0: state has {} entries; expected 3 (cell of A, cell of "
                      "B, ball holder)",
                      state.size()));
    }
    SoccerState x{{static_cast<int64_t>(state[0]), static_cast<int64_t>(state[1])},
                  static_cast<int64_t>(state[2])};
    for (int64_t c : x.cell) {
      if (c < 0 || c >= kCells) {
        throw Error(fmt::format("Soccer-v0: cell {} outside 0..{}", c, kCells - 1));
      }
    }
    if (x.cell[0] == x.cell[1] || (x.ball != 0 && x.ball != 1)) {
      throw Error(
          fmt::format("Soccer-v0: invalid state ({}, {}, {}): the players share a cell "
                      "or the ball holder is not 0 or 1",
                      x.cell[0], x.cell[1], x.ball));
    }
    x_ = x;
    MarkRunning();
  }
  std::unique_ptr<MultiAgentEnv> Clone() const override {
    return std::unique_ptr<MultiAgentEnv>(new SoccerEnv(*this));
  }
  // 'A'/'B' for a player with the ball, 'a'/'b' without; '|' marks the goal mouths.
  std::string Render() const override {
    std::string out;
    for (int64_t r = 0; r < kRows; ++r) {
      out += (r == 1 || r == 2) ? '|' : ' ';
      for (int64_t c = 0; c < kCols; ++c) {
        const int64_t cell = r * kCols + c;
        char ch = '.';
        if (cell == x_.cell[0]) ch = x_.ball == 0 ? 'A' : 'a';
        if (cell == x_.cell[1]) ch = x_.ball == 1 ? 'B' : 'b';
        out += ch;
      }
      out += (r == 1 || r == 2) ? "|\n" : " \n";
    }
    return out;
  }
  bool has_model() const override { return true; }
  const MarkovGameModel& Model() const override { return *model_; }
  int64_t StateIndex() const override { return Encode(x_); }
  std::vector<double> InitialDistribution() const override {
    std::vector<double> p(kStates, 0.0);
    p[static_cast<size_t>(Encode({{kStartA, kStartB}, 0}))] = 0.5;
    p[static_cast<size_t>(Encode({{kStartA, kStartB}, 1}))] = 0.5;
    return p;
  }

  static MarkovGameModel BuildModel(double draw_probability) {
    MarkovGameModel P(kStates, std::vector<std::vector<std::vector<Transition>>>(
                                   kActions, std::vector<std::vector<Transition>>(kActions)));
    for (int64_t s = 0; s < kStates; ++s) {
      const SoccerState x = Decode(s);
      for (int64_t a = 0; a < kActions; ++a) {
        for (int64_t o = 0; o < kActions; ++o) {
          std::vector<Transition>& out = P[s][a][o];
          if (draw_probability > 0.0) out.push_back({draw_probability, s, 0.0, true});
          for (int64_t first = 0; first < 2; ++first) {
            const Transition t = Play(x, a, o, first, 0.5 * (1.0 - draw_probability));
            bool merged = false;
            for (Transition& u : out) {
              if (u.next_state == t.next_state && u.reward == t.reward &&
                  u.terminated == t.terminated) {
                u.prob += t.prob;
                merged = true;
              }
            }
            if (!merged) out.push_back(t);
          }
        }
      }
    }
    return P;
  }

 private:
  SoccerEnv(const SoccerEnv&) = default;

  void WriteObs(std::span<void* const> obs) const {
    for (void* p : obs) *static_cast<int64_t*>(p) = Encode(x_);
  }
  void DoReset(std::span<void* const> obs) override {
    x_ = {{kStartA, kStartB}, np_random().Integers(0, 2)};
    WriteObs(obs);
  }
  // One uniform draw per step: below draw_probability a draw, else its rescaled value picks the
  // order (A first below 1/2), so the env samples exactly the model's outcomes.
  JointStepResult DoStep(std::span<const int64_t> actions, std::span<void* const> obs) override {
    const double u = np_random().Random();
    JointStepResult r{{0.0, 0.0}, false, false};
    if (u < draw_probability_) {
      r.terminated = true;
    } else {
      const int64_t first = (u - draw_probability_) / (1.0 - draw_probability_) < 0.5 ? 0 : 1;
      const Transition t = Play(x_, actions[0], actions[1], first, 1.0);
      x_ = Decode(t.next_state);
      r.rewards = {t.reward, -t.reward};
      r.terminated = t.terminated;
    }
    WriteObs(obs);
    return r;
  }

  double draw_probability_;
  std::shared_ptr<const MarkovGameModel> model_;
  SoccerState x_{{kStartA, kStartB}, 0};
};

}  // namespace

std::unique_ptr<MultiAgentEnv> MakeSoccer(const EnvArgs& args) {
  EnvArgReader reader("Soccer-v0", args);
  const double draw = reader.GetDouble("draw_probability", 0.0);
  const int64_t max_steps = reader.GetInt("max_episode_steps", 100);
  reader.Finish();
  if (!(draw >= 0.0 && draw < 1.0)) {
    throw Error(fmt::format("Soccer-v0: draw_probability must be in [0, 1), got {}", draw));
  }
  if (max_steps < 0) {
    throw Error(fmt::format("Soccer-v0: max_episode_steps must be >= 0, got {}", max_steps));
  }
  return std::make_unique<SoccerEnv>(draw, max_steps);
}

}  // namespace bellman
