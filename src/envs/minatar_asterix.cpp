// MinAtar Asterix (minatar/environments/asterix.py): the player moves in the 4 cardinal
// directions on rows 1-8; enemies and gold spawn at the left or right edge of a free row (one
// entity per row) and cross the screen. +1 per gold picked up, terminal on touching an enemy.
// Difficulty ramping shortens the spawn interval (and, every other time, the move interval) every
// 102 steps: the ramp timer counts 100 down to -1 over 101 steps, and the next step ramps.
// Channels: player, enemy, trail, gold. Minimal actions: n, l, u, r, d.
//
// Random draws (the shared legacy generator), per spawn: rand() for the side, rand() for gold,
// then randint(len(free slots)) only if a row is free; the first two happen even when all 8
// rows are taken.
//
// Quirks kept from the reference: collisions are checked after the player moves and again after
// each entity moves; an enemy touch sets terminal but the step still runs to its end, so the
// entities still move (the last observation can show the enemy past the player); ramps are 102
// steps apart, not ramp_interval = 100; the reference's shot_timer is never read and is left out.
//
// GetState variables: player_x, player_y, spawn_speed, spawn_timer, move_speed, move_timer,
// ramp_timer, ramp_index, terminal, then for each of the 8 entity slots (slot i is row i + 1):
// present, x, lr (moving right), is_gold (an empty slot is 0, 0, 0, 0).
#include <algorithm>
#include <array>
#include <optional>

#include "envs/minatar_game.h"

namespace bellman::minatar {

namespace {

constexpr int kRampInterval = 100;
constexpr int kInitSpawnSpeed = 10;
constexpr int kInitMoveInterval = 5;
constexpr int kSlots = 8;

class Asterix : public Game {
 public:
  explicit Asterix(bool ramping) : ramping_(ramping) {}

  std::unique_ptr<Game> Clone() const override { return std::make_unique<Asterix>(*this); }

  void Reset(LegacyRandomState& /*rng*/) override {
    player_x_ = 5;
    player_y_ = 5;
    entities_.fill(std::nullopt);
    spawn_speed_ = kInitSpawnSpeed;
    spawn_timer_ = spawn_speed_;
    move_speed_ = kInitMoveInterval;
    move_timer_ = move_speed_;
    ramp_timer_ = kRampInterval;
    ramp_index_ = 0;
    terminal_ = false;
  }

  ActResult Act(int a, LegacyRandomState& rng) override {
    ActResult r;
    if (terminal_) {
      r.terminal = true;
      return r;
    }

    if (spawn_timer_ == 0) {
      SpawnEntity(rng);
      spawn_timer_ = spawn_speed_;
    }

    if (a == kLeft) {
      player_x_ = std::max(0, player_x_ - 1);
    } else if (a == kRight) {
      player_x_ = std::min(9, player_x_ + 1);
    } else if (a == kUp) {
      player_y_ = std::max(1, player_y_ - 1);
    } else if (a == kDown) {
      player_y_ = std::min(8, player_y_ + 1);
    }

    // The player may have walked into an entity.
    for (int i = 0; i < kSlots; ++i) Collide(i, r);
    if (move_timer_ == 0) {
      move_timer_ = move_speed_;
      for (int i = 0; i < kSlots; ++i) {
        std::optional<Entity>& e = entities_[i];
        if (!e) continue;
        e->x += e->lr ? 1 : -1;
        // Off screen: gone (the reference's later check compares the off-screen x with the
        // player's and so never matches).
        if (e->x < 0 || e->x > 9) {
          e.reset();
          continue;
        }
        Collide(i, r);
      }
    }

    --spawn_timer_;
    --move_timer_;

    // The ramp stops once both intervals are down to 1.
    if (ramping_ && (spawn_speed_ > 1 || move_speed_ > 1)) {
      if (ramp_timer_ >= 0) {
        --ramp_timer_;
      } else {
        // The move interval shrinks only on every other ramp (odd ramp_index).
        if (move_speed_ > 1 && ramp_index_ % 2 != 0) --move_speed_;
        if (spawn_speed_ > 1) --spawn_speed_;
        ++ramp_index_;
        ramp_timer_ = kRampInterval;
      }
    }
    r.terminal = terminal_;
    return r;
  }

  void State(uint8_t* obs) const override {
    auto at = [obs](int y, int x, int c) -> uint8_t& { return obs[(y * kGrid + x) * 4 + c]; };
    at(player_y_, player_x_, 0) = 1;
    for (int i = 0; i < kSlots; ++i) {
      const std::optional<Entity>& e = entities_[i];
      if (!e) continue;
      const int y = i + 1;
      at(y, e->x, e->gold ? 3 : 1) = 1;
      const int back_x = e->lr ? e->x - 1 : e->x + 1;
      if (back_x >= 0 && back_x <= 9) at(y, back_x, 2) = 1;
    }
  }

  int channels() const override { return 4; }
  std::vector<int> minimal_action_set() const override {
    return {kNoop, kLeft, kUp, kRight, kDown};
  }
  std::string channel_chars() const override { return "@X.$"; }

  void GetState(std::vector<double>& out) const override {
    for (int v : {player_x_, player_y_, spawn_speed_, spawn_timer_, move_speed_, move_timer_,
                  ramp_timer_, ramp_index_, int{terminal_}}) {
      out.push_back(v);
    }
    for (const std::optional<Entity>& e : entities_) {
      if (e) {
        for (int v : {1, e->x, int{e->lr}, int{e->gold}}) out.push_back(v);
      } else {
        for (int k = 0; k < 4; ++k) out.push_back(0);
      }
    }
  }

  void SetState(std::span<const double> state) override {
    StateReader r("asterix", state);
    Asterix s(ramping_);
    s.player_x_ = static_cast<int>(r.Int(0, 9, "player_x"));
    s.player_y_ = static_cast<int>(r.Int(1, 8, "player_y"));
    s.spawn_speed_ = static_cast<int>(r.Int(1, kInitSpawnSpeed, "spawn_speed"));
    // The timers are reset to the speed when they hit 0 and count down, so they never exceed
    // the initial speeds (a ramp lowers the speed, not the running timer).
    s.spawn_timer_ = static_cast<int>(r.Int(0, kInitSpawnSpeed, "spawn_timer"));
    s.move_speed_ = static_cast<int>(r.Int(1, kInitMoveInterval, "move_speed"));
    s.move_timer_ = static_cast<int>(r.Int(0, kInitMoveInterval, "move_timer"));
    s.ramp_timer_ = static_cast<int>(r.Int(-1, kRampInterval, "ramp_timer"));
    // Reachable values stop at 9; any count that cannot overflow is accepted.
    s.ramp_index_ = static_cast<int>(r.Int(0, 1'000'000'000, "ramp_index"));
    s.terminal_ = r.Bool("terminal");
    for (std::optional<Entity>& e : s.entities_) {
      const bool present = r.Bool("entity present");
      if (present) {
        Entity v;
        v.x = static_cast<int>(r.Int(0, 9, "entity x"));
        v.lr = r.Bool("entity lr");
        v.gold = r.Bool("entity is_gold");
        e = v;
      } else {
        // An empty slot's fields are 0, as GetState writes them.
        r.Int(0, 0, "empty slot x");
        r.Int(0, 0, "empty slot lr");
        r.Int(0, 0, "empty slot is_gold");
      }
    }
    r.Finish();
    *this = s;
  }

 private:
  struct Entity {
    int x = 0;
    bool lr = false;    // moving right (spawned at x 0)
    bool gold = false;  // treasure rather than an enemy
  };

  // _spawn_entity: both rand() draws come before the free-slot check.
  void SpawnEntity(LegacyRandomState& rng) {
    const bool lr = rng.Rand() < 1.0 / 2;
    const bool is_gold = rng.Rand() < 1.0 / 3;
    std::array<int, kSlots> slot_options{};
    int n = 0;
    for (int i = 0; i < kSlots; ++i) {
      if (!entities_[i]) slot_options[n++] = i;
    }
    if (n == 0) return;
    const int slot = slot_options[static_cast<size_t>(rng.Randint(0, n))];
    entities_[slot] = Entity{lr ? 0 : 9, lr, is_gold};
  }

  // Entity i on the player's cell: gold is collected, an enemy ends the game (and stays).
  void Collide(int i, ActResult& r) {
    std::optional<Entity>& e = entities_[i];
    if (!e || e->x != player_x_ || i + 1 != player_y_) return;
    if (e->gold) {
      e.reset();
      r.reward += 1;
    } else {
      terminal_ = true;
    }
  }

  bool ramping_;
  int player_x_ = 5, player_y_ = 5;
  std::array<std::optional<Entity>, kSlots> entities_{};
  int spawn_speed_ = kInitSpawnSpeed, spawn_timer_ = kInitSpawnSpeed;
  int move_speed_ = kInitMoveInterval, move_timer_ = kInitMoveInterval;
  int ramp_timer_ = kRampInterval, ramp_index_ = 0;
  bool terminal_ = false;
};

}  // namespace

std::unique_ptr<Game> MakeAsterix(bool ramping) { return std::make_unique<Asterix>(ramping); }

}  // namespace bellman::minatar
