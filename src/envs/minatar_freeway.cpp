// MinAtar Freeway (minatar/environments/freeway.py): a chicken in column 4 crosses 8 lanes of
// traffic (rows 1-8, one car per lane) from the bottom row to the top. It can move up or down
// once every 3 frames; +1 on reaching row 0, which sends it back to row 9 and re-draws every
// car's speed and direction (positions are kept); a car on the chicken's cell sends it back to
// row 9. Car i moves one cell every |speed| + 1 frames in the speed's direction and wraps around.
// Terminal on the game's own clock: the 2501st act() (the timer counts 2500 down to -1). No
// difficulty ramping (the option is ignored, as in the reference).
// Channels: chicken, car, then the trail behind each car in one of 5 channels by |speed|.
// Minimal actions: n, u, d.
//
// Random draws (the shared legacy generator), at reset and at each crossing:
// randint(1, 6, size=8) (8 scalar draws: NumPy's int64 fill draws one masked 32-bit value per
// element, as randint(1, 6) does), then rand(8); direction = np.sign(rand - 0.5).
//
// Quirks kept from the reference: each car is checked against the chicken before and after its
// own move, in lane order, so a reset to row 9 by one car is seen by the next; the crossing is
// scored before the cars move. A draw of exactly 0.5 gives direction 0, i.e. speed 0: such a car
// moves left every frame, and state() reuses the previous car's trail channel (Python's loop
// variable `trail` is stale); for car 0 the reference raises UnboundLocalError, here the trail
// is simply not drawn. (The odds are 2^-53 per draw.)
//
// GetState variables: pos, move_timer, terminate_timer, terminal, then for each of the 8 cars
// (car i is in row i + 1): x, timer (frames until its next move), speed (signed, +1 moves right).
#include <algorithm>
#include <array>
#include <cstdlib>

#include "envs/minatar_game.h"

namespace bellman::minatar {

namespace {

constexpr int kPlayerSpeed = 3;
constexpr int kTimeLimit = 2500;
constexpr int kCars = 8;

class Freeway : public Game {
 public:
  std::unique_ptr<Game> Clone() const override { return std::make_unique<Freeway>(*this); }

  void Reset(LegacyRandomState& rng) override {
    RandomizeCars(rng, /*initialize=*/true);
    pos_ = 9;
    move_timer_ = kPlayerSpeed;
    terminate_timer_ = kTimeLimit;
    terminal_ = false;
  }

  ActResult Act(int a, LegacyRandomState& rng) override {
    ActResult r;
    if (terminal_) {
      r.terminal = true;
      return r;
    }

    if (a == kUp && move_timer_ == 0) {
      move_timer_ = kPlayerSpeed;
      pos_ = std::max(0, pos_ - 1);
    } else if (a == kDown && move_timer_ == 0) {
      move_timer_ = kPlayerSpeed;
      pos_ = std::min(9, pos_ + 1);
    }

    // Win condition.
    if (pos_ == 0) {
      r.reward += 1;
      RandomizeCars(rng, /*initialize=*/false);
      pos_ = 9;
    }

    for (int i = 0; i < kCars; ++i) {
      Car& car = cars_[i];
      const int y = i + 1;
      if (car.x == 4 && y == pos_) pos_ = 9;
      if (car.timer == 0) {
        car.timer = std::abs(car.speed);
        car.x += car.speed > 0 ? 1 : -1;
        if (car.x < 0) {
          car.x = 9;
        } else if (car.x > 9) {
          car.x = 0;
        }
        if (car.x == 4 && y == pos_) pos_ = 9;
      } else {
        car.timer -= 1;
      }
    }

    if (move_timer_ > 0) --move_timer_;
    --terminate_timer_;
    if (terminate_timer_ < 0) terminal_ = true;
    r.terminal = terminal_;
    return r;
  }

  void State(uint8_t* obs) const override {
    auto at = [obs](int y, int x, int c) -> uint8_t& { return obs[(y * kGrid + x) * 7 + c]; };
    at(pos_, 4, 0) = 1;
    // Python's `trail` outlives each iteration (see the quirk above); -1 is "never assigned".
    int trail = -1;
    for (int i = 0; i < kCars; ++i) {
      const Car& car = cars_[i];
      const int y = i + 1;
      at(y, car.x, 1) = 1;
      int back_x = car.speed > 0 ? car.x - 1 : car.x + 1;
      if (back_x < 0) {
        back_x = 9;
      } else if (back_x > 9) {
        back_x = 0;
      }
      const int speed = std::abs(car.speed);
      if (speed >= 1 && speed <= 5) trail = 1 + speed;
      if (trail >= 0) at(y, back_x, trail) = 1;
    }
  }

  int channels() const override { return 7; }
  std::vector<int> minimal_action_set() const override { return {kNoop, kUp, kDown}; }
  std::string channel_chars() const override { return "C#12345"; }

  void GetState(std::vector<double>& out) const override {
    for (int v : {pos_, move_timer_, terminate_timer_, int{terminal_}}) out.push_back(v);
    for (const Car& car : cars_) {
      for (int v : {car.x, car.timer, car.speed}) out.push_back(v);
    }
  }

  void SetState(std::span<const double> state) override {
    StateReader r("freeway", state);
    Freeway s;
    s.pos_ = static_cast<int>(r.Int(0, 9, "pos"));
    s.move_timer_ = static_cast<int>(r.Int(0, kPlayerSpeed, "move_timer"));
    s.terminate_timer_ = static_cast<int>(r.Int(-1, kTimeLimit, "terminate_timer"));
    s.terminal_ = r.Bool("terminal");
    for (Car& car : s.cars_) {
      car.x = static_cast<int>(r.Int(0, 9, "car x"));
      car.timer = static_cast<int>(r.Int(0, 5, "car timer"));
      // 0 is reachable (a direction draw of exactly 0.5), if only in principle.
      car.speed = static_cast<int>(r.Int(-5, 5, "car speed"));
    }
    r.Finish();
    *this = s;
  }

 private:
  struct Car {
    int x = 0;
    int timer = 0;  // frames to wait before the next move; reset to |speed| after each move
    int speed = 1;  // signed: the sign is the direction, |speed| + 1 the frames per move
  };

  // _randomize_cars: all 8 speeds are drawn before the 8 directions.
  void RandomizeCars(LegacyRandomState& rng, bool initialize) {
    std::array<int, kCars> speeds{};
    for (int& s : speeds) s = static_cast<int>(rng.Randint(1, 6));
    for (int& s : speeds) {
      const double d = rng.Rand() - 0.5;
      s *= d > 0 ? 1 : (d < 0 ? -1 : 0);  // np.sign
    }
    for (int i = 0; i < kCars; ++i) {
      if (initialize) cars_[i].x = 0;
      cars_[i].timer = std::abs(speeds[i]);
      cars_[i].speed = speeds[i];
    }
  }

  int pos_ = 9;
  int move_timer_ = kPlayerSpeed;
  int terminate_timer_ = kTimeLimit;
  bool terminal_ = false;
  std::array<Car, kCars> cars_{};
};

}  // namespace

std::unique_ptr<Game> MakeFreeway(bool /*ramping*/) { return std::make_unique<Freeway>(); }

}  // namespace bellman::minatar
