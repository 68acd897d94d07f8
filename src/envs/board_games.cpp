// TicTacToe-v0 and ConnectFour-v0 (bellman/envs/board_games.h): one connect-k game on a rows x
// cols board, with gravity (Connect Four: an action is a column) or without (tic-tac-toe: an
// action is a cell).
#include "bellman/envs/board_games.h"

#include <fmt/format.h>

#include <algorithm>

#include "bellman/core/error.h"
#include "bellman/envs/registry.h"
#include "envs/families.h"

namespace bellman {

namespace {

class ConnectGameEnv final : public TurnBasedGame {
 public:
  ConnectGameEnv(EnvSpec spec, int64_t rows, int64_t cols, int64_t connect, bool gravity,
                 bool random_opponent, int64_t agent_player)
      : TurnBasedGame(std::move(spec)),
        rows_(rows),
        cols_(cols),
        connect_(connect),
        gravity_(gravity),
        random_opponent_(random_opponent),
        agent_player_(agent_player),
        cells_(static_cast<size_t>(rows * cols), 0) {}

  int64_t to_play() const override { return to_play_; }

  std::vector<uint8_t> LegalMask() const override {
    std::vector<uint8_t> legal(static_cast<size_t>(num_actions()), 0);
    for (int64_t a = 0; a < num_actions(); ++a) legal[static_cast<size_t>(a)] = Target(a) >= 0;
    return legal;
  }

  std::vector<GameSymmetry> Symmetries() const override {
    const int64_t n = rows_ * cols_;
    // Cell maps: (r, c) -> source cell, for the dihedral group when square and gravity-free,
    // else the identity and the left-right mirror.
    std::vector<std::vector<int64_t>> maps;
    auto add = [&](auto source) {
      std::vector<int64_t> m(static_cast<size_t>(n));
      for (int64_t r = 0; r < rows_; ++r)
        for (int64_t c = 0; c < cols_; ++c) m[static_cast<size_t>(r * cols_ + c)] = source(r, c);
      maps.push_back(std::move(m));
    };
    const int64_t R = rows_ - 1, C = cols_ - 1;
    add([&](int64_t r, int64_t c) { return r * cols_ + c; });
    add([&](int64_t r, int64_t c) { return r * cols_ + (C - c); });
    if (!gravity_ && rows_ == cols_) {
      add([&](int64_t r, int64_t c) { return (R - r) * cols_ + c; });
      add([&](int64_t r, int64_t c) { return (R - r) * cols_ + (C - c); });
      add([&](int64_t r, int64_t c) { return c * cols_ + r; });
      add([&](int64_t r, int64_t c) { return (C - c) * cols_ + r; });
      add([&](int64_t r, int64_t c) { return c * cols_ + (R - r); });
      add([&](int64_t r, int64_t c) { return (C - c) * cols_ + (R - r); });
    }
    std::vector<GameSymmetry> out;
    for (const std::vector<int64_t>& m : maps) {
      GameSymmetry s;
      for (int64_t plane = 0; plane < 2; ++plane)
        for (int64_t i = 0; i < n; ++i)
          s.obs_index.push_back(plane * n + m[static_cast<size_t>(i)]);
      if (gravity_) {
        // Columns map as the bottom row does.
        for (int64_t c = 0; c < cols_; ++c)
          s.action_index.push_back(m[static_cast<size_t>(R * cols_ + c)] - R * cols_);
      } else {
        s.action_index = m;
      }
      out.push_back(std::move(s));
    }
    return out;
  }

  std::vector<double> GetState() const override {
    std::vector<double> s(cells_.begin(), cells_.end());
    s.push_back(static_cast<double>(to_play_));
    return s;
  }

  void SetState(std::span<const double> state) override {
    if (state.size() != cells_.size() + 1) {
      throw Error(fmt::format("{}: state has {} entries; expected {} cells and the player to move",
                              spec().id, state.size(), cells_.size()));
    }
    for (size_t i = 0; i < cells_.size(); ++i) {
      if (state[i] != 0.0 && state[i] != 1.0 && state[i] != 2.0) {
        throw Error(
            fmt::format("{}: cell {} is {}; expected 0 (empty), 1 or 2", spec().id, i, state[i]));
      }
      cells_[i] = static_cast<int8_t>(state[i]);
    }
    if (state.back() != 0.0 && state.back() != 1.0) {
      throw Error(fmt::format("{}: player to move {}; expected 0 or 1", spec().id, state.back()));
    }
    to_play_ = static_cast<int64_t>(state.back());
    MarkRunning();
  }

  std::unique_ptr<Env> Clone() const override { return std::make_unique<ConnectGameEnv>(*this); }

  // 'X' player 0, 'O' player 1, '.' empty; then who is to move.
  std::string Render() const override {
    std::string out;
    for (int64_t r = 0; r < rows_; ++r) {
      for (int64_t c = 0; c < cols_; ++c) out += ".XO"[cells_[static_cast<size_t>(r * cols_ + c)]];
      out += '\n';
    }
    out += fmt::format("{} to move\n", to_play_ == 0 ? 'X' : 'O');
    return out;
  }

 private:
  int64_t num_actions() const { return gravity_ ? cols_ : rows_ * cols_; }

  // The cell an action fills, or -1 when it is illegal.
  int64_t Target(int64_t a) const {
    if (!gravity_) return cells_[static_cast<size_t>(a)] == 0 ? a : -1;
    for (int64_t r = rows_ - 1; r >= 0; --r) {
      if (cells_[static_cast<size_t>(r * cols_ + a)] == 0) return r * cols_ + a;
    }
    return -1;
  }

  // Whether the piece just placed at `cell` completes a line of connect_.
  bool Wins(int64_t cell) const {
    const int8_t who = cells_[static_cast<size_t>(cell)];
    const int64_t r0 = cell / cols_, c0 = cell % cols_;
    constexpr int64_t kDirs[4][2] = {{0, 1}, {1, 0}, {1, 1}, {1, -1}};
    for (const auto& d : kDirs) {
      int64_t n = 1;
      for (int64_t sign : {1, -1}) {
        int64_t r = r0 + sign * d[0], c = c0 + sign * d[1];
        while (r >= 0 && r < rows_ && c >= 0 && c < cols_ &&
               cells_[static_cast<size_t>(r * cols_ + c)] == who) {
          ++n;
          r += sign * d[0];
          c += sign * d[1];
        }
      }
      if (n >= connect_) return true;
    }
    return false;
  }

  bool Full() const { return std::find(cells_.begin(), cells_.end(), 0) == cells_.end(); }

  // One move by the player to move: +1 a win, -1 an illegal move, 0 otherwise.
  StepResult Move(int64_t a) {
    const int64_t cell = Target(a);
    if (cell < 0) return {-1.0, true, false};
    cells_[static_cast<size_t>(cell)] = static_cast<int8_t>(to_play_ + 1);
    if (Wins(cell)) return {1.0, true, false};
    to_play_ = 1 - to_play_;
    return {0.0, Full(), false};
  }

  int64_t RandomLegal() {
    const std::vector<uint8_t> legal = LegalMask();
    std::vector<int64_t> moves;
    for (size_t a = 0; a < legal.size(); ++a)
      if (legal[a]) moves.push_back(static_cast<int64_t>(a));
    return moves[static_cast<size_t>(np_random().Integers(0, static_cast<int64_t>(moves.size())))];
  }

  void WriteObs(void* obs) const {
    float* o = static_cast<float*>(obs);
    const size_t n = cells_.size();
    for (size_t i = 0; i < n; ++i) {
      o[i] = cells_[i] == to_play_ + 1 ? 1.0f : 0.0f;
      o[n + i] = cells_[i] == 2 - to_play_ ? 1.0f : 0.0f;
    }
  }

  void DoReset(void* obs) override {
    std::fill(cells_.begin(), cells_.end(), int8_t{0});
    to_play_ = 0;
    if (random_opponent_ && agent_player_ == 1) Move(RandomLegal());
    WriteObs(obs);
  }

  StepResult DoStep(const void* action, void* obs) override {
    StepResult r = Move(*static_cast<const int64_t*>(action));
    if (random_opponent_ && !r.terminated) {
      const StepResult reply = Move(RandomLegal());
      r = {-reply.reward, reply.terminated, false};  // the opponent's win is the agent's loss
    }
    WriteObs(obs);
    return r;
  }

  int64_t rows_, cols_, connect_;
  bool gravity_, random_opponent_;
  int64_t agent_player_;
  std::vector<int8_t> cells_;
  int64_t to_play_ = 0;
};

std::unique_ptr<Env> MakeConnectGame(const std::string& id, const EnvArgs& args, bool gravity) {
  EnvArgReader reader(id, args);
  const int64_t rows = gravity ? reader.GetInt("rows", 6) : 3;
  const int64_t cols = gravity ? reader.GetInt("cols", 7) : 3;
  const int64_t connect = gravity ? reader.GetInt("connect", 4) : 3;
  const std::string opponent = reader.GetString("opponent", "none");
  const int64_t agent_player = reader.GetInt("agent_player", 0);
  reader.Finish();
  if (rows < 1 || cols < 1 || rows * cols > 400 || connect < 2 || connect > std::max(rows, cols)) {
    throw Error(fmt::format("{}: rows {} x cols {} must be 1..400 cells and connect {} in 2..{}",
                            id, rows, cols, connect, std::max(rows, cols)));
  }
  if (opponent != "none" && opponent != "random") {
    throw Error(fmt::format("{}: opponent '{}' is unknown; expected none or random", id, opponent));
  }
  if (agent_player != 0 && agent_player != 1) {
    throw Error(fmt::format("{}: agent_player must be 0 or 1, got {}", id, agent_player));
  }
  const int64_t nA = gravity ? cols : rows * cols;
  EnvSpec spec{id, Space::Box(0.0, 1.0, {2, rows, cols}, DType::kFloat32), Space::Discrete(nA), 0,
               std::nullopt};
  return std::make_unique<ConnectGameEnv>(std::move(spec), rows, cols, connect, gravity,
                                          opponent == "random", agent_player);
}

}  // namespace

void RegisterBoardGames(std::vector<EnvRegistration>& out) {
  out.push_back({"TicTacToe-v0",
                 [](const EnvArgs& args) { return MakeConnectGame("TicTacToe-v0", args, false); },
                 ""});
  out.push_back({"ConnectFour-v0",
                 [](const EnvArgs& args) { return MakeConnectGame("ConnectFour-v0", args, true); },
                 ""});
}

}  // namespace bellman
