// Taxi-v4 (alias Taxi-v3): gymnasium/envs/toy_text/taxi.py (Dietterich 2000, "Hierarchical
// Reinforcement Learning with the MAXQ Value Function Decomposition", section 3.1 and 7.1).
//
// A 5x5 grid with walls, four stands R, G, Y, B. State = ((row * 5 + col) * 5 + pass_loc) * 4 +
// dest_idx, pass_loc 4 meaning "in the taxi". Actions: south, north, east, west, pickup, dropoff.
// Rewards -1 per step, -10 for an illegal pickup/dropoff, +20 for delivering (terminal).
// Options: is_rainy (moves go sideways with probability (1 - rainy_probability) / 2 each) and
// fickle_passenger (with probability fickle_probability, drawn at reset, the passenger changes
// destination on the first move after being picked up).
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "bellman/envs/toy_text.h"
#include "envs/toy_text_common.h"

namespace bellman::toy_text {

namespace {

// taxi.MAP: row 0 and 6 are the border; cell (r, c) is MAP[1 + r][2 * c + 1], and the wall
// character between columns c and c + 1 of row r is MAP[1 + r][2 * c + 2] (':' = open).
constexpr const char* kMap[7] = {
    "+---------+", "|R: | : :G|", "| : | : : |", "| : : : : |",
    "| | : | : |", "|Y| : |B: |", "+---------+",
};
constexpr int64_t kLocs[4][2] = {{0, 0}, {0, 4}, {4, 0}, {4, 3}};
constexpr int64_t kMaxRow = 4;
constexpr int64_t kMaxCol = 4;
constexpr int64_t kNumStates = 500;
constexpr int64_t kNumActions = 6;
constexpr const char* kActionNames[] = {"South", "North", "East", "West", "Pickup", "Dropoff"};

struct Decoded {
  int64_t row, col, pass_loc, dest_idx;
};

int64_t Encode(int64_t row, int64_t col, int64_t pass_loc, int64_t dest_idx) {
  return ((row * 5 + col) * 5 + pass_loc) * 4 + dest_idx;
}

Decoded Decode(int64_t i) {
  Decoded d{};
  d.dest_idx = i % 4;
  i /= 4;
  d.pass_loc = i % 5;
  i /= 5;
  d.col = i % 5;
  d.row = i / 5;
  return d;
}

// self.locs.index((row, col)), or -1 when the taxi is not at a stand.
int64_t LocIndex(int64_t row, int64_t col) {
  for (int64_t i = 0; i < 4; ++i) {
    if (kLocs[i][0] == row && kLocs[i][1] == col) return i;
  }
  return -1;
}

struct Builder {
  double rainy_probability;
  double rainy_lateral_probability;  // (1.0 - rainy_probability) / 2.0
  TransitionModel* P;

  // _pickup: returns (new_pass_idx, new_reward).
  static std::pair<int64_t, double> Pickup(int64_t row, int64_t col, int64_t pass_idx,
                                           double reward) {
    if (pass_idx < 4 && kLocs[pass_idx][0] == row && kLocs[pass_idx][1] == col) {
      return {4, reward};
    }
    return {pass_idx, -10.0};
  }

  struct DropoffResult {
    int64_t pass_idx;
    double reward;
    bool terminated;
  };
  // _dropoff: deliver at the destination; at another stand the passenger gets out (not
  // terminal); anywhere else -10.
  static DropoffResult Dropoff(int64_t row, int64_t col, int64_t pass_idx, int64_t dest_idx,
                               double default_reward) {
    if (kLocs[dest_idx][0] == row && kLocs[dest_idx][1] == col && pass_idx == 4) {
      return {dest_idx, 20.0, true};
    }
    const int64_t at = LocIndex(row, col);
    if (at >= 0 && pass_idx == 4) return {at, default_reward, false};
    return {pass_idx, -10.0, false};
  }

  void Dry(int64_t row, int64_t col, int64_t pass_idx, int64_t dest_idx, int64_t action) {
    const int64_t state = Encode(row, col, pass_idx, dest_idx);
    int64_t new_row = row, new_col = col, new_pass_idx = pass_idx;
    double reward = -1.0;
    bool terminated = false;
    if (action == 0) {
      new_row = std::min(row + 1, kMaxRow);
    } else if (action == 1) {
      new_row = std::max<int64_t>(row - 1, 0);
    }
    if (action == 2 && kMap[1 + row][2 * col + 2] == ':') {
      new_col = std::min(col + 1, kMaxCol);
    } else if (action == 3 && kMap[1 + row][2 * col] == ':') {
      new_col = std::max<int64_t>(col - 1, 0);
    } else if (action == 4) {
      std::tie(new_pass_idx, reward) = Pickup(row, col, new_pass_idx, reward);
    } else if (action == 5) {
      DropoffResult d = Dropoff(row, col, new_pass_idx, dest_idx, reward);
      new_pass_idx = d.pass_idx;
      reward = d.reward;
      terminated = d.terminated;
    }
    (*P)[state][action].push_back(
        {1.0, Encode(new_row, new_col, new_pass_idx, dest_idx), reward, terminated});
  }

  // _calc_new_position: clamp to the grid; an east/west move is blocked by a wall character
  // next to the clamped cell.
  static std::pair<int64_t, int64_t> NewPosition(int64_t row, int64_t col, int64_t dr, int64_t dc) {
    const int64_t new_row = std::max<int64_t>(0, std::min(row + dr, kMaxRow));
    const int64_t new_col = std::max<int64_t>(0, std::min(col + dc, kMaxCol));
    if (dc == 1 && kMap[1 + new_row][2 * new_col] != ':') return {row, col};
    if (dc == -1 && kMap[1 + new_row][2 * new_col + 2] != ':') return {row, col};
    return {new_row, new_col};
  }

  void Rainy(int64_t row, int64_t col, int64_t pass_idx, int64_t dest_idx, int64_t action) {
    // (forward, left, right) for south, north, east, west.
    static constexpr int64_t kMoves[4][3][2] = {
        {{1, 0}, {0, 1}, {0, -1}},
        {{-1, 0}, {0, -1}, {0, 1}},
        {{0, 1}, {-1, 0}, {1, 0}},
        {{0, -1}, {1, 0}, {-1, 0}},
    };
    const int64_t state = Encode(row, col, pass_idx, dest_idx);
    std::pair<int64_t, int64_t> left_pos{row, col}, right_pos{row, col};
    int64_t new_row = row, new_col = col, new_pass_idx = pass_idx;
    double reward = -1.0;
    bool terminated = false;
    // No drift at all when the intended move is blocked (wall or border).
    if ((action == 0 && row < kMaxRow) || (action == 1 && row > 0) ||
        (action == 2 && kMap[1 + row][2 * col + 2] == ':') ||
        (action == 3 && kMap[1 + row][2 * col] == ':')) {
      const int64_t(*m)[2] = kMoves[action];
      new_row = std::max<int64_t>(0, std::min(row + m[0][0], kMaxRow));
      new_col = std::max<int64_t>(0, std::min(col + m[0][1], kMaxCol));
      left_pos = NewPosition(row, col, m[1][0], m[1][1]);
      right_pos = NewPosition(row, col, m[2][0], m[2][1]);
    } else if (action == 4) {
      std::tie(new_pass_idx, reward) = Pickup(row, col, new_pass_idx, reward);
    } else if (action == 5) {
      DropoffResult d = Dropoff(row, col, new_pass_idx, dest_idx, reward);
      new_pass_idx = d.pass_idx;
      reward = d.reward;
      terminated = d.terminated;
    }
    const int64_t intended = Encode(new_row, new_col, new_pass_idx, dest_idx);
    std::vector<Transition>& li = (*P)[state][action];
    if (action <= 3) {
      // Movement rewards are a literal -1 in all three branches.
      li.push_back({rainy_probability, intended, -1.0, terminated});
      li.push_back({rainy_lateral_probability,
                    Encode(left_pos.first, left_pos.second, new_pass_idx, dest_idx), -1.0,
                    terminated});
      li.push_back({rainy_lateral_probability,
                    Encode(right_pos.first, right_pos.second, new_pass_idx, dest_idx), -1.0,
                    terminated});
    } else {
      li.push_back({1.0, intended, reward, terminated});
    }
  }
};

std::string Colorize(const std::string& s, int color, bool bold, bool highlight) {
  // gymnasium.utils.colorize
  return fmt::format("\x1b[{}{}m{}\x1b[0m", color + (highlight ? 10 : 0), bold ? ";1" : "", s);
}

class TaxiEnv final : public DiscreteModelEnv {
 public:
  TaxiEnv(EnvSpec spec, std::shared_ptr<const TransitionModel> P,
          std::shared_ptr<const std::vector<double>> initial_cdf, bool fickle_passenger,
          double fickle_probability)
      : DiscreteModelEnv(std::move(spec), std::move(P), std::move(initial_cdf)),
        fickle_passenger_(fickle_passenger),
        fickle_probability_(fickle_probability) {}

  std::unique_ptr<Env> Clone() const override { return std::make_unique<TaxiEnv>(*this); }

  // [s, lastaction, fickle_step].
  std::vector<double> GetState() const override {
    return {static_cast<double>(s_), static_cast<double>(lastaction_), fickle_step_ ? 1.0 : 0.0};
  }
  void SetState(std::span<const double> state) override {
    if (state.empty() || state.size() > 3) {
      throw Error(fmt::format(
          "{}: SetState expects [s, lastaction, fickle_step] (trailing ones optional), got {} "
          "values",
          spec().id, state.size()));
    }
    SetStateAndAction(state.first(std::min<size_t>(state.size(), 2)));
    fickle_step_ = state.size() > 2 && StateInt(spec().id, state, 2, 0, 1, "fickle_step") == 1;
    MarkRunning();
  }

  // _render_text (render_mode="ansi"), colour codes included.
  std::string Render() const override {
    std::vector<std::vector<std::string>> out(7);
    for (int r = 0; r < 7; ++r) {
      for (const char* c = kMap[r]; *c; ++c) out[r].emplace_back(1, *c);
    }
    const Decoded d = Decode(s_);
    std::string& taxi = out[1 + d.row][2 * d.col + 1];
    if (d.pass_loc < 4) {
      taxi = Colorize(taxi, 33, false, true);  // yellow, highlight
      std::string& pass = out[1 + kLocs[d.pass_loc][0]][2 * kLocs[d.pass_loc][1] + 1];
      pass = Colorize(pass, 34, true, false);  // blue, bold
    } else {
      taxi = Colorize(taxi == " " ? "_" : taxi, 32, false, true);  // green, highlight
    }
    std::string& dest = out[1 + kLocs[d.dest_idx][0]][2 * kLocs[d.dest_idx][1] + 1];
    dest = Colorize(dest, 35, false, false);  // magenta
    std::string text;
    for (const auto& row : out) {
      for (const auto& cell : row) text += cell;
      text += '\n';
    }
    text += lastaction_ >= 0 ? fmt::format("  ({})\n", kActionNames[lastaction_]) : "\n";
    return text;
  }

 protected:
  void DoReset(void* obs) override {
    DiscreteModelEnv::DoReset(obs);
    // Short-circuit as in Python: no draw unless fickle_passenger.
    fickle_step_ = fickle_passenger_ && np_random().Random() < fickle_probability_;
  }

  StepResult DoStep(const void* action, void* obs) override {
    const int64_t a = *static_cast<const int64_t*>(action);
    const Transition& t = SampleTransition(a);
    lastaction_ = a;
    const Decoded shadow = Decode(s_);
    const Decoded next = Decode(t.next_state);
    int64_t s = t.next_state;
    // The fickle passenger changes destination once, on the first move that carries them.
    if (fickle_passenger_ && fickle_step_ && shadow.pass_loc == 4 &&
        (next.row != shadow.row || next.col != shadow.col)) {
      fickle_step_ = false;
      int64_t possible[3];
      int64_t n = 0;
      for (int64_t i = 0; i < 4; ++i) {
        if (i != shadow.dest_idx) possible[n++] = i;
      }
      const int64_t dest_idx = possible[np_random().Choice(3)];  // np_random.choice(list)
      s = Encode(next.row, next.col, next.pass_loc, dest_idx);
    }
    s_ = s;
    *static_cast<int64_t*>(obs) = s_;
    return {t.reward, t.terminated, false};
  }

 private:
  bool fickle_passenger_;
  double fickle_probability_;
  bool fickle_step_ = false;
};

std::unique_ptr<Env> MakeTaxi(const std::string& id, const EnvArgs& args) {
  EnvArgReader reader(id, args);
  const bool is_rainy = reader.GetBool("is_rainy", false);
  const bool fickle_passenger = reader.GetBool("fickle_passenger", false);
  const double rainy_probability = reader.GetDouble("rainy_probability", 0.8);
  const double fickle_probability = reader.GetDouble("fickle_probability", 0.3);
  reader.Finish();
  CheckProbability(id, "rainy_probability", rainy_probability);
  CheckProbability(id, "fickle_probability", fickle_probability);

  auto P = std::make_shared<TransitionModel>(kNumStates,
                                             std::vector<std::vector<Transition>>(kNumActions));
  Builder builder{rainy_probability, (1.0 - rainy_probability) / 2.0, P.get()};
  std::vector<double> initial(kNumStates, 0.0);
  double total = 0.0;
  for (int64_t row = 0; row <= kMaxRow; ++row) {
    for (int64_t col = 0; col <= kMaxCol; ++col) {
      for (int64_t pass_idx = 0; pass_idx < 5; ++pass_idx) {
        for (int64_t dest_idx = 0; dest_idx < 4; ++dest_idx) {
          const int64_t state = Encode(row, col, pass_idx, dest_idx);
          if (pass_idx < 4 && pass_idx != dest_idx) {
            initial[state] += 1.0;
            total += 1.0;
          }
          for (int64_t action = 0; action < kNumActions; ++action) {
            if (is_rainy) {
              builder.Rainy(row, col, pass_idx, dest_idx, action);
            } else {
              builder.Dry(row, col, pass_idx, dest_idx, action);
            }
          }
        }
      }
    }
  }
  for (double& p : initial) p /= total;
  auto cdf = std::make_shared<const std::vector<double>>(CumSum(initial));
  EnvSpec spec{id, Space::Discrete(kNumStates), Space::Discrete(kNumActions), 200, 8.0};
  return std::make_unique<TaxiEnv>(std::move(spec), std::move(P), std::move(cdf), fickle_passenger,
                                   fickle_probability);
}

}  // namespace

void RegisterTaxi(std::vector<EnvRegistration>& out) {
  out.push_back({"Taxi-v4", [](const EnvArgs& args) { return MakeTaxi("Taxi-v4", args); }, ""});
  out.push_back(
      {"Taxi-v3", [](const EnvArgs& args) { return MakeTaxi("Taxi-v3", args); }, "Taxi-v4"});
}

}  // namespace bellman::toy_text
