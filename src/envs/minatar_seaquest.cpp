// MinAtar Seaquest (minatar/environments/seaquest.py): a two-cell submarine (front and back, so
// its facing shows) moves in rows 0-8 and fires bullets from its front. Enemy fish and enemy subs
// (which fire bullets) cross the rows; +1 per enemy shot. Divers cross too: moving onto one picks
// it up (at most 6). Oxygen drains below the surface; surfacing (row 0) with at least one diver
// refills it and drops a diver, surfacing with 6 drops them all and pays oxygen * 10 // 200
// (and, as the reference then drops one more, leaves diver_count at -1: surfacing is no longer
// fatal until pickups bring it back to exactly 0).
// Each surfacing ramps the difficulty (faster spawns, faster enemies). Terminal when hit by an
// enemy or an enemy bullet, when oxygen runs out, or when surfacing with no diver.
// Channels: sub_front, sub_back, friendly_bullet, trail, enemy_bullet, enemy_fish, enemy_sub,
// oxygen_guage, diver_guage, diver. Minimal actions: all six.
//
// Every entity is a small Python list that act() mutates while iterating over (and removing from)
// the lists that hold it, so the port keeps Python's list semantics literally: list.remove()
// drops the first element EQUAL to its argument (possibly another, not yet visited entity with
// the same values), and reversed() walks an index down, so a removal below the current index
// makes the loop visit the current entity again. An entity removed from its list also stays
// alive for the rest of the loop body (a sub that leaves the screen still fires).
//
// GetState variables: oxygen, diver_count, sub_x, sub_y, sub_or, e_spawn_speed, e_spawn_timer,
// d_spawn_timer, move_speed, ramp_index, shot_timer, surface, terminal, then the lists, each as
// its length followed by its entities' fields: f_bullets (x, y, dir), e_bullets (x, y, dir),
// e_fish (x, y, lr, move timer), e_subs (x, y, lr, move timer, shot timer), divers (x, y, lr,
// move timer).
#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <iterator>

#include "envs/minatar_game.h"

namespace bellman::minatar {

namespace {

constexpr int kMaxOxygen = 200;
constexpr int kInitSpawnSpeed = 20;
constexpr int kDiverSpawnSpeed = 30;
constexpr int kInitMoveInterval = 5;
constexpr int kShotCoolDown = 5;
constexpr int kEnemyShotInterval = 10;
constexpr int kDiverMoveInterval = 5;

// One entity's Python list, [x, y, lr, timers...]; fields a kind does not have stay 0, so the
// element-wise == of two entities of one kind is Python's list ==.
using Obj = std::array<int, 5>;
constexpr int kBulletFields = 3, kFishFields = 4, kSubFields = 5, kDiverFields = 4;

// act()'s working set: every entity is an object in `pool` and each list holds object ids, so a
// removed entity keeps its identity while the loop body still refers to it.
struct Objects {
  std::vector<Obj> pool;

  void Load(const std::vector<Obj>& values, std::vector<int>& ids) {
    ids.clear();
    for (const Obj& o : values) ids.push_back(New(o));
  }
  void Store(const std::vector<int>& ids, std::vector<Obj>& values) const {
    values.clear();
    for (int id : ids) values.push_back(pool[static_cast<size_t>(id)]);
  }
  int New(const Obj& o) {
    pool.push_back(o);
    return static_cast<int>(pool.size()) - 1;
  }
  Obj& operator[](int id) { return pool[static_cast<size_t>(id)]; }
  // list.remove(value): the first element equal to value.
  void Remove(std::vector<int>& list, Obj value) {
    for (auto it = list.begin(); it != list.end(); ++it) {
      if ((*this)[*it] == value) {
        list.erase(it);
        return;
      }
    }
    // Python would raise ValueError; the callers only remove values the list holds.
    throw Error("MinAtar seaquest: internal error: list.remove of a missing entity");
  }
};

// `for item in reversed(list)`: CPython's reverse iterator keeps an index, steps it down after
// each item and stops as soon as it is outside the list, whatever the body removed meanwhile.
template <class Body>
void ForReversed(const std::vector<int>& list, Body&& body) {
  for (ptrdiff_t i = std::ssize(list) - 1; i >= 0 && i < std::ssize(list);) {
    const int id = list[static_cast<size_t>(i)];
    --i;
    body(id);
  }
}

// Python's // (floors; C++ truncates toward 0).
int FloorDiv(int a, int b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool SameCell(const Obj& a, const Obj& b) { return a[0] == b[0] && a[1] == b[1]; }

class Seaquest : public Game {
 public:
  explicit Seaquest(bool ramping) : ramping_(ramping) {}

  std::unique_ptr<Game> Clone() const override { return std::make_unique<Seaquest>(*this); }

  void Reset(LegacyRandomState& /*rng*/) override {
    oxygen_ = kMaxOxygen;
    diver_count_ = 0;
    sub_x_ = 5;
    sub_y_ = 0;
    sub_or_ = false;
    f_bullets_.clear();
    e_bullets_.clear();
    e_fish_.clear();
    e_subs_.clear();
    divers_.clear();
    e_spawn_speed_ = kInitSpawnSpeed;
    e_spawn_timer_ = e_spawn_speed_;
    d_spawn_timer_ = kDiverSpawnSpeed;
    move_speed_ = kInitMoveInterval;
    ramp_index_ = 0;
    shot_timer_ = 0;
    surface_ = true;
    terminal_ = false;
  }

  ActResult Act(int a, LegacyRandomState& rng) override {
    ActResult res;
    if (terminal_) {
      res.terminal = true;
      return res;
    }
    int r = 0;

    if (e_spawn_timer_ == 0) {
      SpawnEnemy(rng);
      e_spawn_timer_ = e_spawn_speed_;
    }
    if (d_spawn_timer_ == 0) {
      SpawnDiver(rng);
      d_spawn_timer_ = kDiverSpawnSpeed;
    }

    // Firing takes the turn: a moving sub does not fire.
    if (a == kFire && shot_timer_ == 0) {
      f_bullets_.push_back({sub_x_, sub_y_, int{sub_or_}, 0, 0});
      shot_timer_ = kShotCoolDown;
    } else if (a == kLeft) {
      sub_x_ = std::max(0, sub_x_ - 1);
      sub_or_ = false;
    } else if (a == kRight) {
      sub_x_ = std::min(9, sub_x_ + 1);
      sub_or_ = true;
    } else if (a == kUp) {
      sub_y_ = std::max(0, sub_y_ - 1);
    } else if (a == kDown) {
      sub_y_ = std::min(8, sub_y_ + 1);
    }

    Objects& o = objects_;
    o.pool.clear();
    // Room for the bullets the subs fire (one per visit, at most one visit per sub's index), so
    // the pool never reallocates during the loops.
    o.pool.reserve(f_bullets_.size() + e_bullets_.size() + e_fish_.size() + 2 * e_subs_.size() +
                   divers_.size());
    std::vector<int>& fb = ids_[0];
    std::vector<int>& eb = ids_[1];
    std::vector<int>& fish = ids_[2];
    std::vector<int>& subs = ids_[3];
    std::vector<int>& divers = ids_[4];
    o.Load(f_bullets_, fb);
    o.Load(e_bullets_, eb);
    o.Load(e_fish_, fish);
    o.Load(e_subs_, subs);
    o.Load(divers_, divers);
    const Obj player{sub_x_, sub_y_, 0, 0, 0};
    auto step = [](Obj& e) { e[0] += e[2] ? 1 : -1; };
    auto off_screen = [](const Obj& e) { return e[0] < 0 || e[0] > 9; };

    // Friendly bullets: a hit removes the first fish, else the first sub, on the bullet's cell.
    ForReversed(fb, [&](int id) {
      Obj& bullet = o[id];
      step(bullet);
      if (off_screen(bullet)) {
        o.Remove(fb, bullet);
        return;
      }
      // The first enemy on the bullet's cell, fish before subs.
      auto hit = [&](std::vector<int>& enemies) {
        for (int x : enemies) {
          if (SameCell(bullet, o[x])) {
            o.Remove(enemies, o[x]);
            o.Remove(fb, bullet);
            ++r;
            return true;
          }
        }
        return false;
      };
      if (!hit(fish)) hit(subs);
    });

    // Divers: picked up where they are, or after their move.
    ForReversed(divers, [&](int id) {
      Obj& diver = o[id];
      if (SameCell(diver, player) && diver_count_ < 6) {
        o.Remove(divers, diver);
        ++diver_count_;
      } else if (diver[3] == 0) {
        diver[3] = kDiverMoveInterval;
        step(diver);
        if (off_screen(diver)) {
          o.Remove(divers, diver);
        } else if (SameCell(diver, player) && diver_count_ < 6) {
          o.Remove(divers, diver);
          ++diver_count_;
        }
      } else {
        --diver[3];
      }
    });

    // Enemy subs. One that leaves the screen or is shot still runs its shot timer, and may
    // fire (its bullet leaves the screen below, off-screen subs firing outward).
    ForReversed(subs, [&](int id) {
      Obj& sub = o[id];
      if (SameCell(sub, player)) terminal_ = true;
      if (sub[3] == 0) {
        sub[3] = move_speed_;
        step(sub);
        if (off_screen(sub)) {
          o.Remove(subs, sub);
        } else if (SameCell(sub, player)) {
          terminal_ = true;
        } else {
          for (int x : fb) {
            if (SameCell(sub, o[x])) {
              o.Remove(subs, sub);
              o.Remove(fb, o[x]);
              ++r;
              break;
            }
          }
        }
      } else {
        --sub[3];
      }
      if (sub[4] == 0) {
        sub[4] = kEnemyShotInterval;
        const Obj bullet{sub[0], sub[1], sub[2], 0, 0};
        eb.push_back(o.New(bullet));  // `sub` is not used after this
      } else {
        --sub[4];
      }
    });

    // Enemy bullets: a hit before or after the move.
    ForReversed(eb, [&](int id) {
      Obj& bullet = o[id];
      if (SameCell(bullet, player)) terminal_ = true;
      step(bullet);
      if (off_screen(bullet)) {
        o.Remove(eb, bullet);
      } else if (SameCell(bullet, player)) {
        terminal_ = true;
      }
    });

    // Enemy fish: as the subs, without firing.
    ForReversed(fish, [&](int id) {
      Obj& f = o[id];
      if (SameCell(f, player)) terminal_ = true;
      if (f[3] == 0) {
        f[3] = move_speed_;
        step(f);
        if (off_screen(f)) {
          o.Remove(fish, f);
        } else if (SameCell(f, player)) {
          terminal_ = true;
        } else {
          for (int x : fb) {
            if (SameCell(f, o[x])) {
              o.Remove(fish, f);
              o.Remove(fb, o[x]);
              ++r;
              break;
            }
          }
        }
      } else {
        --f[3];
      }
    });

    o.Store(fb, f_bullets_);
    o.Store(eb, e_bullets_);
    o.Store(fish, e_fish_);
    o.Store(subs, e_subs_);
    o.Store(divers, divers_);

    if (e_spawn_timer_ > 0) --e_spawn_timer_;
    if (d_spawn_timer_ > 0) --d_spawn_timer_;
    if (shot_timer_ > 0) --shot_timer_;
    // Checked before this step's drain: the sub dies on the step after oxygen reaches 0.
    if (oxygen_ <= 0) terminal_ = true;
    if (sub_y_ > 0) {
      --oxygen_;
      surface_ = false;
    } else if (!surface_) {
      if (diver_count_ == 0) {
        terminal_ = true;
      } else {
        r += Surface();
      }
    }
    res.reward = r;
    res.terminal = terminal_;
    return res;
  }

  void State(uint8_t* obs) const override {
    auto at = [obs](int y, int x, int c) -> uint8_t& { return obs[(y * kGrid + x) * 10 + c]; };
    at(sub_y_, sub_x_, 0) = 1;
    // NumPy index: a back cell of -1 would be column 9 (SetState rules out one of 10).
    const int back_x = sub_or_ ? sub_x_ - 1 : sub_x_ + 1;
    at(sub_y_, (back_x + kGrid) % kGrid, 1) = 1;
    for (int x = 0; x < std::max(0, oxygen_) * 10 / kMaxOxygen; ++x) at(9, x, 7) = 1;
    // state[9, 9 - diver_count:9]: empty once diver_count is 0 or below.
    for (int x = std::max(0, 9 - diver_count_); x < 9; ++x) at(9, x, 8) = 1;
    for (const Obj& b : f_bullets_) at(b[1], b[0], 2) = 1;
    for (const Obj& b : e_bullets_) at(b[1], b[0], 4) = 1;
    auto with_trail = [&](const std::vector<Obj>& list, int c) {
      for (const Obj& e : list) {
        at(e[1], e[0], c) = 1;
        const int bx = e[2] ? e[0] - 1 : e[0] + 1;
        if (bx >= 0 && bx <= 9) at(e[1], bx, 3) = 1;
      }
    };
    with_trail(e_fish_, 5);
    with_trail(e_subs_, 6);
    with_trail(divers_, 9);
  }

  int channels() const override { return 10; }
  std::vector<int> minimal_action_set() const override {
    return {kNoop, kLeft, kUp, kRight, kDown, kFire};
  }
  std::string channel_chars() const override { return "Ss*.!FEodv"; }

  void GetState(std::vector<double>& out) const override {
    for (int v :
         {oxygen_, diver_count_, sub_x_, sub_y_, int{sub_or_}, e_spawn_speed_, e_spawn_timer_,
          d_spawn_timer_, move_speed_, ramp_index_, shot_timer_, int{surface_}, int{terminal_}}) {
      out.push_back(v);
    }
    auto list = [&out](const std::vector<Obj>& l, int fields) {
      out.push_back(static_cast<double>(l.size()));
      for (const Obj& e : l) {
        for (int k = 0; k < fields; ++k) out.push_back(e[static_cast<size_t>(k)]);
      }
    };
    list(f_bullets_, kBulletFields);
    list(e_bullets_, kBulletFields);
    list(e_fish_, kFishFields);
    list(e_subs_, kSubFields);
    list(divers_, kDiverFields);
  }

  void SetState(std::span<const double> state) override {
    StateReader r("seaquest", state);
    Seaquest s(ramping_);
    auto i = [&r](int64_t lo, int64_t hi, const char* what) {
      return static_cast<int>(r.Int(lo, hi, what));
    };
    // oxygen is checked before it drains, so a terminal step leaves it at -1.
    s.oxygen_ = i(-1, kMaxOxygen, "oxygen");
    // Surfacing with 6 divers sets diver_count to 0 and then decrements it like any surfacing,
    // so it goes below 0 from there.
    s.diver_count_ = i(INT_MIN / 2, 6, "diver_count");
    s.sub_x_ = i(0, 9, "sub_x");
    s.sub_y_ = i(0, 8, "sub_y");
    s.sub_or_ = r.Bool("sub_or");
    if (s.sub_x_ == 9 && !s.sub_or_) {
      // Its back cell would be column 10: state() raises IndexError in the reference.
      throw Error("MinAtar seaquest: SetState: a sub at x 9 must face right (sub_or 1)");
    }
    s.e_spawn_speed_ = i(1, kInitSpawnSpeed, "e_spawn_speed");
    s.e_spawn_timer_ = i(0, kInitSpawnSpeed, "e_spawn_timer");
    s.d_spawn_timer_ = i(0, kDiverSpawnSpeed, "d_spawn_timer");
    s.move_speed_ = i(2, kInitMoveInterval, "move_speed");
    s.ramp_index_ = i(0, INT_MAX / 2, "ramp_index");
    s.shot_timer_ = i(0, kShotCoolDown, "shot_timer");
    s.surface_ = r.Bool("surface");
    s.terminal_ = r.Bool("terminal");
    // Per field: the range of each field of one kind of entity.
    using Ranges = std::array<std::array<int, 2>, 5>;
    auto list = [&](std::vector<Obj>& l, int fields, const Ranges& ranges, const char* what) {
      const int n = i(0, 1000, what);
      for (int e = 0; e < n; ++e) {
        Obj obj{};
        for (int k = 0; k < fields; ++k) {
          const auto& [lo, hi] = ranges[static_cast<size_t>(k)];
          obj[static_cast<size_t>(k)] = i(lo, hi, what);
        }
        l.push_back(obj);
      }
    };
    constexpr Ranges kFriendly{{{0, 9}, {0, 8}, {0, 1}}};
    constexpr Ranges kEnemyBullet{{{0, 9}, {1, 8}, {0, 1}}};
    constexpr Ranges kFish{{{0, 9}, {1, 8}, {0, 1}, {0, kInitMoveInterval}}};
    constexpr Ranges kSub{
        {{0, 9}, {1, 8}, {0, 1}, {0, kInitMoveInterval}, {0, kEnemyShotInterval}}};
    constexpr Ranges kDiver{{{0, 9}, {1, 8}, {0, 1}, {0, kDiverMoveInterval}}};
    list(s.f_bullets_, kBulletFields, kFriendly, "f_bullets entry");
    list(s.e_bullets_, kBulletFields, kEnemyBullet, "e_bullets entry");
    list(s.e_fish_, kFishFields, kFish, "e_fish entry");
    list(s.e_subs_, kSubFields, kSub, "e_subs entry");
    list(s.divers_, kDiverFields, kDiver, "divers entry");
    r.Finish();
    *this = s;
  }

 private:
  // Env._surface: refills oxygen and ramps the difficulty.
  int Surface() {
    surface_ = true;
    int r = 0;
    if (diver_count_ == 6) {
      diver_count_ = 0;
      r = FloorDiv(oxygen_ * 10, kMaxOxygen);
    }
    oxygen_ = kMaxOxygen;
    // Also after emptying a full load above: the reference leaves diver_count at -1 then.
    --diver_count_;
    if (ramping_ && (e_spawn_speed_ > 1 || move_speed_ > 2)) {
      if (move_speed_ > 2 && ramp_index_ % 2) --move_speed_;
      if (e_spawn_speed_ > 1) --e_spawn_speed_;
      ++ramp_index_;
    }
    return r;
  }

  // A fish or sub at a random edge of a random row, unless that row already has an enemy going
  // the other way. The three draws come first either way.
  void SpawnEnemy(LegacyRandomState& rng) {
    const bool lr = rng.Rand() < 1.0 / 2;
    const bool is_sub = rng.Rand() < 1.0 / 3;
    const int x = lr ? 0 : 9;
    const int y = static_cast<int>(rng.Randint(1, 9));
    auto blocks = [&](const Obj& z) { return z[1] == y && (z[2] != 0) != lr; };
    if (std::any_of(e_subs_.begin(), e_subs_.end(), blocks) ||
        std::any_of(e_fish_.begin(), e_fish_.end(), blocks)) {
      return;
    }
    if (is_sub) {
      e_subs_.push_back({x, y, int{lr}, move_speed_, kEnemyShotInterval});
    } else {
      e_fish_.push_back({x, y, int{lr}, move_speed_, 0});
    }
  }

  void SpawnDiver(LegacyRandomState& rng) {
    const bool lr = rng.Rand() < 1.0 / 2;
    const int x = lr ? 0 : 9;
    const int y = static_cast<int>(rng.Randint(1, 9));
    divers_.push_back({x, y, int{lr}, kDiverMoveInterval, 0});
  }

  bool ramping_;
  int oxygen_ = kMaxOxygen, diver_count_ = 0, sub_x_ = 5, sub_y_ = 0;
  bool sub_or_ = false;  // true: facing right
  int e_spawn_speed_ = kInitSpawnSpeed, e_spawn_timer_ = kInitSpawnSpeed;
  int d_spawn_timer_ = kDiverSpawnSpeed, move_speed_ = kInitMoveInterval, ramp_index_ = 0;
  int shot_timer_ = 0;
  bool surface_ = true, terminal_ = false;
  std::vector<Obj> f_bullets_, e_bullets_, e_fish_, e_subs_, divers_;
  // act()'s scratch space, kept to save allocations; no state.
  Objects objects_;
  std::array<std::vector<int>, 5> ids_;
};

}  // namespace

std::unique_ptr<Game> MakeSeaquest(bool ramping) { return std::make_unique<Seaquest>(ramping); }

}  // namespace bellman::minatar
