// FourRooms-v0: the gridworld of Sutton, Precup & Singh (1999), "Between MDPs and semi-MDPs",
// section 3 and Figure 2: 104 cells in four rooms joined by four hallways.
//
// Actions 0..3 = up, down, left, right. The intended move happens with probability
// success_rate (2/3 in the paper); each of the other three with (1 - success_rate) / 3. A move
// into a wall leaves the agent where it is. Every transition has reward 0 except one into the
// goal cell: +1 and terminated (the paper's rewards; discount it with gamma = 0.9 as the paper
// does). Episodes start in a uniformly drawn non-goal cell. No TimeLimit.
//
// kwargs: goal [62, the paper's G1: the hallway between the two eastern rooms], success_rate
// [2/3]. State s is the s-th open cell of FourRoomsMap() in row-major order.
#include <fmt/format.h>

#include "bellman/envs/toy_text.h"
#include "envs/toy_text_common.h"

namespace bellman {

const std::vector<std::string>& FourRoomsMap() {
  // '#' wall, '.' room cell, 'H' hallway (Sutton et al. 1999, Figure 2).
  static const std::vector<std::string> map = {
      "#############",  //
      "#.....#.....#",  //
      "#.....#.....#",  //
      "#...........#",  //
      "#.....#.....#",  //
      "#.....#.....#",  //
      "##.####.....#",  //
      "#.....###.###",  //
      "#.....#.....#",  //
      "#.....#.....#",  //
      "#...........#",  //
      "#.....#.....#",  //
      "#############",  //
  };
  static const std::vector<std::string> marked = [] {
    std::vector<std::string> m = map;
    m[3][6] = 'H';   // north-west <-> north-east
    m[6][2] = 'H';   // north-west <-> south-west
    m[7][9] = 'H';   // north-east <-> south-east
    m[10][6] = 'H';  // south-west <-> south-east
    return m;
  }();
  return marked;
}

namespace toy_text {

namespace {

class FourRoomsEnv final : public DiscreteModelEnv {
 public:
  FourRoomsEnv(EnvSpec spec, std::shared_ptr<const TransitionModel> P,
               std::shared_ptr<const std::vector<double>> cdf, std::vector<int64_t> cells,
               int64_t goal)
      : DiscreteModelEnv(std::move(spec), std::move(P), std::move(cdf)),
        cells_(std::move(cells)),
        goal_(goal) {}

  std::unique_ptr<Env> Clone() const override { return std::make_unique<FourRoomsEnv>(*this); }

  // The map with 'A' for the agent and 'G' for the goal.
  std::string Render() const override {
    std::vector<std::string> m = FourRoomsMap();
    const int64_t ncol = static_cast<int64_t>(m[0].size());
    m[cells_[goal_] / ncol][cells_[goal_] % ncol] = 'G';
    m[cells_[s_] / ncol][cells_[s_] % ncol] = 'A';
    std::string out;
    for (const std::string& row : m) out += row + "\n";
    return out;
  }

 private:
  std::vector<int64_t> cells_;  // map index (row * ncol + col) of each state
  int64_t goal_;
};

std::unique_ptr<Env> MakeFourRooms(const EnvArgs& args) {
  const std::string id = "FourRooms-v0";
  const std::vector<std::string>& m = FourRoomsMap();
  const int64_t nrow = static_cast<int64_t>(m.size()), ncol = static_cast<int64_t>(m[0].size());
  std::vector<int64_t> cells, state_of(static_cast<size_t>(nrow * ncol), -1);
  for (int64_t r = 0; r < nrow; ++r) {
    for (int64_t c = 0; c < ncol; ++c) {
      if (m[r][c] == '#') continue;
      state_of[static_cast<size_t>(r * ncol + c)] = static_cast<int64_t>(cells.size());
      cells.push_back(r * ncol + c);
    }
  }
  const int64_t nS = static_cast<int64_t>(cells.size());
  EnvArgReader reader(id, args);
  const int64_t goal = reader.GetInt("goal", 62);
  const double success = reader.GetDouble("success_rate", 2.0 / 3.0);
  reader.Finish();
  if (goal < 0 || goal >= nS) {
    throw Error(fmt::format("{}: goal {} is not a state; expected 0..{}", id, goal, nS - 1));
  }
  if (!(success >= 0.0 && success <= 1.0)) {
    throw Error(fmt::format("{}: success_rate must be in [0, 1], got {}", id, success));
  }
  constexpr int64_t nA = 4;
  constexpr int64_t kDelta[nA][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};  // up down left right
  auto P = std::make_shared<TransitionModel>(nS, std::vector<std::vector<Transition>>(nA));
  for (int64_t s = 0; s < nS; ++s) {
    const int64_t r = cells[s] / ncol, c = cells[s] % ncol;
    for (int64_t a = 0; a < nA; ++a) {
      for (int64_t move = 0; move < nA; ++move) {
        const double p = move == a ? success : (1.0 - success) / 3.0;
        if (p == 0.0) continue;
        int64_t next = s;
        const int64_t nr = r + kDelta[move][0], nc = c + kDelta[move][1];
        if (m[nr][nc] != '#') next = state_of[static_cast<size_t>(nr * ncol + nc)];
        // The goal's own rows loop without reward: it is never left (episodes end on entry).
        const bool into_goal = next == goal && s != goal;
        (*P)[s][a].push_back({p, s == goal ? goal : next, into_goal ? 1.0 : 0.0, into_goal});
      }
    }
  }
  std::vector<double> initial(static_cast<size_t>(nS), 1.0 / static_cast<double>(nS - 1));
  initial[static_cast<size_t>(goal)] = 0.0;
  auto cdf = std::make_shared<const std::vector<double>>(CumSum(initial));
  EnvSpec spec{id, Space::Discrete(nS), Space::Discrete(nA), 0, std::nullopt};
  return std::make_unique<FourRoomsEnv>(std::move(spec), std::move(P), std::move(cdf),
                                        std::move(cells), goal);
}

}  // namespace

void RegisterFourRooms(std::vector<EnvRegistration>& out) {
  out.push_back({"FourRooms-v0", [](const EnvArgs& args) { return MakeFourRooms(args); }, ""});
}

}  // namespace toy_text
}  // namespace bellman
