// CoinGame-v0: the Coin Game of Lerer & Peysakhovich (2017) as used by LOLA (Foerster et al.
// 2018) and LOQA (Aghajohari et al. 2024): a 3 x 3 torus, a red agent (0) and a blue agent (1),
// one coin at a time, red or blue.
//
// Actions 0..3 move by (row, col) + (0, 1), (0, -1), (1, 0), (-1, 0), wrapping around. After
// both moves, an agent on the coin gets +1; if the coin is the other agent's colour, the other
// agent gets -2 (both may pick it up in the same step). A picked-up coin is replaced at once by
// one of the other colour (the colours alternate) in a uniformly drawn cell that neither agent
// occupies. At reset the agents start in distinct uniform cells and the first coin's colour is
// uniform (then flipped, as the reference generator does). No termination; max_episode_steps
// [150] truncates.
//
// Observation (a decision): each agent sees Box(0, 1, [4, 3, 3]) float32 planes from its own
// side: its position, the other's position, coins of its colour, coins of the other's colour
// (the reference gives both agents the red-first planes; own-first lets one network serve both).
// State: [red row, red col, blue row, blue col, coin row, coin col, coin is red].
#include <fmt/format.h>

#include <array>

#include "bellman/core/error.h"
#include "bellman/envs/multi_agent.h"
#include "bellman/envs/registry.h"

namespace bellman {

namespace {

constexpr int64_t kN = 3;
constexpr int64_t kMoves[4][2] = {{0, 1}, {0, -1}, {1, 0}, {-1, 0}};

class CoinGameEnv final : public MultiAgentEnv {
 public:
  explicit CoinGameEnv(int64_t max_steps)
      : MultiAgentEnv("CoinGame-v0",
                      {Space::Box(0.0, 1.0, {4, kN, kN}), Space::Box(0.0, 1.0, {4, kN, kN})},
                      {Space::Discrete(4), Space::Discrete(4)}, max_steps) {}

  std::vector<double> GetState() const override {
    return {static_cast<double>(pos_[0][0]),
            static_cast<double>(pos_[0][1]),
            static_cast<double>(pos_[1][0]),
            static_cast<double>(pos_[1][1]),
            static_cast<double>(coin_[0]),
            static_cast<double>(coin_[1]),
            red_coin_ ? 1.0 : 0.0};
  }
  void SetState(std::span<const double> s) override {
    if (s.size() != 7) {
      throw Error(
          fmt::format("CoinGame-v0: state has {} entries; expected 7 (red row, col, blue "
                      "row, col, coin row, col, coin is red)",
                      s.size()));
    }
    for (size_t i = 0; i < 6; ++i) {
      if (!(s[i] >= 0 && s[i] < kN) || s[i] != static_cast<double>(static_cast<int64_t>(s[i]))) {
        throw Error(fmt::format("CoinGame-v0: state entry {} is {}; expected 0, 1 or 2", i, s[i]));
      }
    }
    pos_ = {{{static_cast<int64_t>(s[0]), static_cast<int64_t>(s[1])},
             {static_cast<int64_t>(s[2]), static_cast<int64_t>(s[3])}}};
    coin_ = {static_cast<int64_t>(s[4]), static_cast<int64_t>(s[5])};
    red_coin_ = s[6] != 0.0;
    MarkRunning();
  }
  std::unique_ptr<MultiAgentEnv> Clone() const override {
    return std::unique_ptr<MultiAgentEnv>(new CoinGameEnv(*this));
  }
  // 'R' and 'B' the agents, 'r' or 'b' the coin ('*' under an agent).
  std::string Render() const override {
    std::string out;
    for (int64_t r = 0; r < kN; ++r) {
      for (int64_t c = 0; c < kN; ++c) {
        char ch = '.';
        if (coin_[0] == r && coin_[1] == c) ch = red_coin_ ? 'r' : 'b';
        if (pos_[1][0] == r && pos_[1][1] == c) ch = 'B';
        if (pos_[0][0] == r && pos_[0][1] == c) ch = 'R';
        out += ch;
      }
      out += '\n';
    }
    return out;
  }

 private:
  CoinGameEnv(const CoinGameEnv&) = default;
  using Cell = std::array<int64_t, 2>;

  Cell RandomCell() { return {np_random().Integers(0, kN), np_random().Integers(0, kN)}; }
  void NewCoin() {
    red_coin_ = !red_coin_;
    do {
      coin_ = RandomCell();
    } while (coin_ == pos_[0] || coin_ == pos_[1]);
  }
  void WriteObs(std::span<void* const> obs) const {
    for (size_t i = 0; i < 2; ++i) {
      float* o = static_cast<float*>(obs[i]);
      std::fill(o, o + 4 * kN * kN, 0.0f);
      const Cell& own = pos_[i];
      const Cell& other = pos_[1 - i];
      o[0 * kN * kN + own[0] * kN + own[1]] = 1.0f;
      o[1 * kN * kN + other[0] * kN + other[1]] = 1.0f;
      const bool own_colour = red_coin_ == (i == 0);
      o[(own_colour ? 2 : 3) * kN * kN + coin_[0] * kN + coin_[1]] = 1.0f;
    }
  }
  void DoReset(std::span<void* const> obs) override {
    red_coin_ = np_random().Integers(0, 2) == 1;
    pos_[0] = RandomCell();
    do {
      pos_[1] = RandomCell();
    } while (pos_[1] == pos_[0]);
    NewCoin();
    WriteObs(obs);
  }
  JointStepResult DoStep(std::span<const int64_t> actions, std::span<void* const> obs) override {
    for (size_t i = 0; i < 2; ++i) {
      for (size_t d = 0; d < 2; ++d) {
        pos_[i][d] = (pos_[i][d] + kMoves[actions[i]][d] + kN) % kN;
      }
    }
    JointStepResult r{{0.0, 0.0}, false, false};
    bool picked = false;
    for (size_t i = 0; i < 2; ++i) {
      if (pos_[i] != coin_) continue;
      picked = true;
      r.rewards[i] += 1.0;
      const bool own_colour = red_coin_ == (i == 0);
      if (!own_colour) r.rewards[1 - i] -= 2.0;
    }
    if (picked) NewCoin();
    WriteObs(obs);
    return r;
  }

  std::array<Cell, 2> pos_{};
  Cell coin_{};
  bool red_coin_ = false;
};

}  // namespace

std::unique_ptr<MultiAgentEnv> MakeCoinGame(const EnvArgs& args) {
  EnvArgReader reader("CoinGame-v0", args);
  const int64_t max_steps = reader.GetInt("max_episode_steps", 150);
  reader.Finish();
  if (max_steps < 0) {
    throw Error(fmt::format("CoinGame-v0: max_episode_steps must be >= 0, got {}", max_steps));
  }
  return std::make_unique<CoinGameEnv>(max_steps);
}

}  // namespace bellman
