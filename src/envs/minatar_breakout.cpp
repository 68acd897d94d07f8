// MinAtar Breakout (minatar/environments/breakout.py): a paddle on the bottom row bounces a ball
// that moves along diagonals into 3 rows of bricks; +1 per brick, a new wall when all are gone
// (checked when the ball reaches the bottom row), terminal when the ball passes the paddle.
// Channels: paddle, ball, trail, brick. Minimal actions: n, l, r. No randomness besides the
// ball's starting side, no difficulty ramping.
//
// GetState variables: ball_y, ball_x, ball_dir, pos, strike, last_x, last_y, terminal, then the
// 100 brick cells row by row.
#include <algorithm>
#include <array>

#include "envs/minatar_game.h"

namespace bellman::minatar {

namespace {

class Breakout : public Game {
 public:
  std::unique_ptr<Game> Clone() const override { return std::make_unique<Breakout>(*this); }

  void Reset(LegacyRandomState& rng) override {
    ball_y_ = 3;
    const int64_t ball_start = rng.Randint(0, 2);
    ball_x_ = ball_start == 0 ? 0 : 9;
    ball_dir_ = ball_start == 0 ? 2 : 3;
    pos_ = 4;
    bricks_.fill(0);
    FillWall();
    strike_ = false;
    last_x_ = ball_x_;
    last_y_ = ball_y_;
    terminal_ = false;
  }

  ActResult Act(int a, LegacyRandomState& /*rng*/) override {
    ActResult r;
    if (terminal_) {
      r.terminal = true;
      return r;
    }
    if (a == kLeft) {
      pos_ = std::max(0, pos_ - 1);
    } else if (a == kRight) {
      pos_ = std::min(9, pos_ + 1);
    }

    last_x_ = ball_x_;
    last_y_ = ball_y_;
    // Directions: 0 up-left, 1 up-right, 2 down-right, 3 down-left.
    static constexpr int kDx[4] = {-1, 1, 1, -1};
    static constexpr int kDy[4] = {-1, -1, 1, 1};
    int new_x = ball_x_ + kDx[ball_dir_];
    int new_y = ball_y_ + kDy[ball_dir_];

    bool strike_toggle = false;
    if (new_x < 0 || new_x > 9) {
      new_x = std::clamp(new_x, 0, 9);
      ball_dir_ = std::array{1, 0, 3, 2}[ball_dir_];
    }
    if (new_y < 0) {
      new_y = 0;
      ball_dir_ = std::array{3, 2, 1, 0}[ball_dir_];
    } else if (Brick(new_y, new_x)) {
      strike_toggle = true;
      if (!strike_) {
        r.reward += 1;
        strike_ = true;
        Brick(new_y, new_x) = 0;
        new_y = last_y_;
        ball_dir_ = std::array{3, 2, 1, 0}[ball_dir_];
      }
    } else if (new_y == 9) {
      if (std::all_of(bricks_.begin(), bricks_.end(), [](uint8_t b) { return b == 0; })) {
        FillWall();
      }
      if (ball_x_ == pos_) {
        ball_dir_ = std::array{3, 2, 1, 0}[ball_dir_];
        new_y = last_y_;
      } else if (new_x == pos_) {
        ball_dir_ = std::array{2, 3, 0, 1}[ball_dir_];
        new_y = last_y_;
      } else {
        terminal_ = true;
      }
    }
    if (!strike_toggle) strike_ = false;

    ball_x_ = new_x;
    ball_y_ = new_y;
    r.terminal = terminal_;
    return r;
  }

  void State(uint8_t* obs) const override {
    auto at = [obs](int y, int x, int c) -> uint8_t& { return obs[(y * kGrid + x) * 4 + c]; };
    at(ball_y_, ball_x_, 1) = 1;
    at(9, pos_, 0) = 1;
    at(last_y_, last_x_, 2) = 1;
    for (int y = 0; y < kGrid; ++y) {
      for (int x = 0; x < kGrid; ++x) at(y, x, 3) = bricks_[y * kGrid + x];
    }
  }

  int channels() const override { return 4; }
  std::vector<int> minimal_action_set() const override { return {kNoop, kLeft, kRight}; }
  std::string channel_chars() const override { return "=o.#"; }

  void GetState(std::vector<double>& out) const override {
    for (int v :
         {ball_y_, ball_x_, ball_dir_, pos_, int{strike_}, last_x_, last_y_, int{terminal_}}) {
      out.push_back(v);
    }
    for (uint8_t b : bricks_) out.push_back(b);
  }

  void SetState(std::span<const double> state) override {
    StateReader r("breakout", state);
    Breakout s;
    s.ball_y_ = static_cast<int>(r.Int(0, 9, "ball_y"));
    s.ball_x_ = static_cast<int>(r.Int(0, 9, "ball_x"));
    s.ball_dir_ = static_cast<int>(r.Int(0, 3, "ball_dir"));
    s.pos_ = static_cast<int>(r.Int(0, 9, "pos"));
    s.strike_ = r.Bool("strike");
    s.last_x_ = static_cast<int>(r.Int(0, 9, "last_x"));
    s.last_y_ = static_cast<int>(r.Int(0, 9, "last_y"));
    s.terminal_ = r.Bool("terminal");
    for (uint8_t& b : s.bricks_) b = static_cast<uint8_t>(r.Bool("brick"));
    r.Finish();
    *this = s;
  }

 private:
  uint8_t& Brick(int y, int x) { return bricks_[y * kGrid + x]; }
  void FillWall() { std::fill(bricks_.begin() + 10, bricks_.begin() + 40, 1); }

  int ball_y_ = 3, ball_x_ = 0, ball_dir_ = 2, pos_ = 4;
  bool strike_ = false;
  int last_x_ = 0, last_y_ = 3;
  bool terminal_ = false;
  std::array<uint8_t, 100> bricks_{};
};

}  // namespace

std::unique_ptr<Game> MakeBreakout(bool /*ramping*/) { return std::make_unique<Breakout>(); }

}  // namespace bellman::minatar
