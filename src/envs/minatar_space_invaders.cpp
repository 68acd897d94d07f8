// MinAtar SpaceInvaders (minatar/environments/space_invaders.py): a cannon on the bottom row
// shoots upward at a 4x6 block of aliens that moves sideways until it reaches an edge, then one
// row down, reversing. +1 per alien shot. The alien nearest the cannon's column shoots down
// every 10 steps. The block moves every min(aliens left, enemy_move_interval) steps, so it
// speeds up as it thins out; a cleared wave respawns, one step faster with ramping. Terminal
// when an alien or an alien bullet reaches the cannon, or when the block turns at the bottom.
// Channels: cannon, alien, alien_left, alien_right (the block's direction, set where the aliens
// are), friendly_bullet, enemy_bullet. Minimal actions: n, l, r, f. The game draws no random
// numbers (only the wrapper's sticky actions do).
//
// The reference moves bullets and aliens with np.roll, which wraps: a bullet leaving the grid
// comes back on the far row and is cleared there, and an alien block turning at the bottom row
// (terminal) wraps to row 0. The port keeps the rolls.
//
// GetState variables: pos, alien_dir (-1 or 1), enemy_move_interval, alien_move_timer,
// alien_shot_timer, ramp_index, shot_timer, terminal, then alien_map, f_bullet_map and
// e_bullet_map, 100 cells each, row by row.
#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>

#include "envs/minatar_game.h"

namespace bellman::minatar {

namespace {

constexpr int kShotCoolDown = 5;
constexpr int kEnemyMoveInterval = 12;
constexpr int kEnemyShotInterval = 10;

using Map = std::array<uint8_t, 100>;

uint8_t& Cell(Map& m, int y, int x) { return m[static_cast<size_t>(y * kGrid + x)]; }
uint8_t Cell(const Map& m, int y, int x) { return m[static_cast<size_t>(y * kGrid + x)]; }

// np.roll(m, shift, axis=0) for shift +-1: rows move down (+1) or up (-1), wrapping.
Map RollRows(const Map& m, int shift) {
  Map out{};
  for (int y = 0; y < kGrid; ++y) {
    const int from = (y - shift + kGrid) % kGrid;
    std::copy_n(m.begin() + from * kGrid, kGrid, out.begin() + y * kGrid);
  }
  return out;
}

// np.roll(m, shift, axis=1) for shift +-1: columns move right (+1) or left (-1), wrapping.
Map RollColumns(const Map& m, int shift) {
  Map out{};
  for (int y = 0; y < kGrid; ++y) {
    for (int x = 0; x < kGrid; ++x) Cell(out, y, x) = Cell(m, y, (x - shift + kGrid) % kGrid);
  }
  return out;
}

bool AnyInColumn(const Map& m, int x) {
  for (int y = 0; y < kGrid; ++y) {
    if (Cell(m, y, x)) return true;
  }
  return false;
}

bool AnyInRow(const Map& m, int y) {
  return std::any_of(m.begin() + y * kGrid, m.begin() + (y + 1) * kGrid,
                     [](uint8_t c) { return c != 0; });
}

int CountNonzero(const Map& m) {
  return static_cast<int>(std::count_if(m.begin(), m.end(), [](uint8_t c) { return c != 0; }));
}

void FillWave(Map& m) {
  for (int y = 0; y < 4; ++y) {
    for (int x = 2; x < 8; ++x) Cell(m, y, x) = 1;
  }
}

class SpaceInvaders : public Game {
 public:
  explicit SpaceInvaders(bool ramping) : ramping_(ramping) {}

  std::unique_ptr<Game> Clone() const override { return std::make_unique<SpaceInvaders>(*this); }

  void Reset(LegacyRandomState& /*rng*/) override {
    pos_ = 5;
    f_bullet_map_.fill(0);
    e_bullet_map_.fill(0);
    alien_map_.fill(0);
    FillWave(alien_map_);
    alien_dir_ = -1;
    enemy_move_interval_ = kEnemyMoveInterval;
    alien_move_timer_ = enemy_move_interval_;
    alien_shot_timer_ = kEnemyShotInterval;
    ramp_index_ = 0;
    shot_timer_ = 0;
    terminal_ = false;
  }

  ActResult Act(int a, LegacyRandomState& /*rng*/) override {
    ActResult res;
    if (terminal_) {
      res.terminal = true;
      return res;
    }
    // Firing takes the turn: the cannon does not move while firing.
    if (a == kFire && shot_timer_ == 0) {
      Cell(f_bullet_map_, 9, pos_) = 1;
      shot_timer_ = kShotCoolDown;
    } else if (a == kLeft) {
      pos_ = std::max(0, pos_ - 1);
    } else if (a == kRight) {
      pos_ = std::min(9, pos_ + 1);
    }

    // Bullets move first: row 0's friendly bullets wrap to row 9 and are cleared there, row 9's
    // enemy bullets to row 0.
    f_bullet_map_ = RollRows(f_bullet_map_, -1);
    std::fill_n(f_bullet_map_.begin() + 90, kGrid, 0);
    e_bullet_map_ = RollRows(e_bullet_map_, 1);
    std::fill_n(e_bullet_map_.begin(), kGrid, 0);
    if (Cell(e_bullet_map_, 9, pos_)) terminal_ = true;

    if (Cell(alien_map_, 9, pos_)) terminal_ = true;
    if (alien_move_timer_ == 0) {
      alien_move_timer_ = std::min(CountNonzero(alien_map_), enemy_move_interval_);
      if ((AnyInColumn(alien_map_, 0) && alien_dir_ < 0) ||
          (AnyInColumn(alien_map_, 9) && alien_dir_ > 0)) {
        alien_dir_ = -alien_dir_;
        if (AnyInRow(alien_map_, 9)) terminal_ = true;
        alien_map_ = RollRows(alien_map_, 1);
      } else {
        alien_map_ = RollColumns(alien_map_, alien_dir_);
      }
      if (Cell(alien_map_, 9, pos_)) terminal_ = true;
    }
    if (alien_shot_timer_ == 0) {
      alien_shot_timer_ = kEnemyShotInterval;
      NearestAlienShoots();
    }

    // A bullet and an alien on one cell destroy each other (they can also swap cells unhit).
    int r = 0;
    for (size_t i = 0; i < alien_map_.size(); ++i) {
      if (alien_map_[i] && f_bullet_map_[i]) {
        ++r;
        alien_map_[i] = 0;
        f_bullet_map_[i] = 0;
      }
    }

    if (shot_timer_ > 0) --shot_timer_;
    --alien_move_timer_;
    --alien_shot_timer_;
    if (CountNonzero(alien_map_) == 0) {
      // The new wave keeps the old direction and move timer.
      if (enemy_move_interval_ > 6 && ramping_) {
        --enemy_move_interval_;
        ++ramp_index_;
      }
      FillWave(alien_map_);
    }
    res.reward = r;
    res.terminal = terminal_;
    return res;
  }

  void State(uint8_t* obs) const override {
    auto at = [obs](int y, int x, int c) -> uint8_t& { return obs[(y * kGrid + x) * 6 + c]; };
    at(9, pos_, 0) = 1;
    for (int y = 0; y < kGrid; ++y) {
      for (int x = 0; x < kGrid; ++x) {
        const uint8_t alien = Cell(alien_map_, y, x);
        at(y, x, 1) = alien;
        at(y, x, alien_dir_ < 0 ? 2 : 3) = alien;
        at(y, x, 4) = Cell(f_bullet_map_, y, x);
        at(y, x, 5) = Cell(e_bullet_map_, y, x);
      }
    }
  }

  int channels() const override { return 6; }
  std::vector<int> minimal_action_set() const override { return {kNoop, kLeft, kRight, kFire}; }
  std::string channel_chars() const override { return "^@<>|!"; }

  void GetState(std::vector<double>& out) const override {
    for (int v : {pos_, alien_dir_, enemy_move_interval_, alien_move_timer_, alien_shot_timer_,
                  ramp_index_, shot_timer_, int{terminal_}}) {
      out.push_back(v);
    }
    for (const Map* m : {&alien_map_, &f_bullet_map_, &e_bullet_map_}) {
      for (uint8_t c : *m) out.push_back(c);
    }
  }

  void SetState(std::span<const double> state) override {
    StateReader r("space_invaders", state);
    SpaceInvaders s(ramping_);
    s.pos_ = static_cast<int>(r.Int(0, 9, "pos"));
    s.alien_dir_ = static_cast<int>(r.Int(-1, 1, "alien_dir"));
    if (s.alien_dir_ == 0)
      throw Error("MinAtar space_invaders: SetState: alien_dir must be -1 or 1");
    s.enemy_move_interval_ = static_cast<int>(r.Int(1, kEnemyMoveInterval, "enemy_move_interval"));
    s.alien_move_timer_ = static_cast<int>(r.Int(0, kEnemyMoveInterval, "alien_move_timer"));
    s.alien_shot_timer_ = static_cast<int>(r.Int(0, kEnemyShotInterval, "alien_shot_timer"));
    s.ramp_index_ = static_cast<int>(r.Int(0, INT_MAX / 2, "ramp_index"));
    s.shot_timer_ = static_cast<int>(r.Int(0, kShotCoolDown, "shot_timer"));
    s.terminal_ = r.Bool("terminal");
    for (uint8_t& c : s.alien_map_) c = static_cast<uint8_t>(r.Bool("alien_map cell"));
    for (uint8_t& c : s.f_bullet_map_) c = static_cast<uint8_t>(r.Bool("f_bullet_map cell"));
    for (uint8_t& c : s.e_bullet_map_) c = static_cast<uint8_t>(r.Bool("e_bullet_map cell"));
    r.Finish();
    if (CountNonzero(s.alien_map_) == 0) {
      // A wave respawns as soon as it is cleared; with no alien to shoot, the reference's
      // _nearest_alien returns None and act() raises.
      throw Error("MinAtar space_invaders: SetState: alien_map must hold at least one alien");
    }
    *this = s;
  }

 private:
  // _nearest_alien: the columns by distance to the cannon (ties: the left one first, as Python's
  // stable sort leaves them), the lowest alien of the first non-empty one fires.
  void NearestAlienShoots() {
    for (int d = 0; d < kGrid; ++d) {
      for (int x : {pos_ - d, pos_ + d}) {
        if (x < 0 || x >= kGrid) continue;
        for (int y = kGrid - 1; y >= 0; --y) {
          if (Cell(alien_map_, y, x)) {
            Cell(e_bullet_map_, y, x) = 1;
            return;
          }
        }
      }
    }
  }

  bool ramping_;
  int pos_ = 5;
  Map f_bullet_map_{}, e_bullet_map_{}, alien_map_{};
  int alien_dir_ = -1;
  int enemy_move_interval_ = kEnemyMoveInterval, alien_move_timer_ = kEnemyMoveInterval;
  int alien_shot_timer_ = kEnemyShotInterval, ramp_index_ = 0, shot_timer_ = 0;
  bool terminal_ = false;
};

}  // namespace

std::unique_ptr<Game> MakeSpaceInvaders(bool ramping) {
  return std::make_unique<SpaceInvaders>(ramping);
}

}  // namespace bellman::minatar
